/* strategy.c — the patchStrategy/patchMergeKey tags of k8s.io/api.
 *
 * Only the Go structs that lead to a tagged field are written down; every
 * other field is plain (maps merge key by key, lists are replaced whole),
 * which is what the strategic merge does with untagged fields. Tags come
 * from k8s.io/api (core/v1, apps/v1, batch/v1, admissionregistration/v1,
 * storage/v1) and k8s.io/apimachinery's ObjectMeta, as of Kubernetes 1.32;
 * fields added after 1.20 (schedulingGates, resourceClaims, hostIPs) are
 * unknown to an older kubectl, which refuses to merge into them.
 */
#include <string.h>

#include "strategy.h"

struct field_def {
	const char *name;
	unsigned flags;
	const char *merge_key;
	const struct strategy_type *type;
};

struct strategy_type {
	const struct field_def *fields;	/* ends with a NULL name */
};

enum { MERGE = 1, RETAIN = 2 };

#define TYPE(n, ...) \
	static const struct field_def n##_fields[] = { __VA_ARGS__, { NULL, 0, NULL, NULL } }; \
	static const struct strategy_type n = { n##_fields }

/* metav1.ObjectMeta */
TYPE(object_meta,
    { "finalizers", MERGE, NULL, NULL },
    { "ownerReferences", MERGE, "uid", NULL });

/* Any object whose only tags are its metadata's. */
TYPE(plain_object,
    { "metadata", 0, NULL, &object_meta });

/* Container and EphemeralContainer (EphemeralContainerCommon). */
TYPE(container,
    { "ports", MERGE, "containerPort", NULL },
    { "env", MERGE, "name", NULL },
    { "volumeMounts", MERGE, "mountPath", NULL },
    { "volumeDevices", MERGE, "devicePath", NULL });

TYPE(pod_spec,
    { "volumes", MERGE | RETAIN, "name", NULL },
    { "initContainers", MERGE, "name", &container },
    { "containers", MERGE, "name", &container },
    { "ephemeralContainers", MERGE, "name", &container },
    { "imagePullSecrets", MERGE, "name", NULL },
    { "hostAliases", MERGE, "ip", NULL },
    { "topologySpreadConstraints", MERGE, "topologyKey", NULL },
    { "schedulingGates", MERGE, "name", NULL },
    { "resourceClaims", MERGE | RETAIN, "name", NULL });

TYPE(pod_status,
    { "conditions", MERGE, "type", NULL },
    { "podIPs", MERGE, "ip", NULL },
    { "hostIPs", MERGE, "ip", NULL },
    { "resourceClaimStatuses", MERGE | RETAIN, "name", NULL });

/* The statuses whose only tagged field is conditions, merged by type. */
TYPE(conditions_status,
    { "conditions", MERGE, "type", NULL });

TYPE(pod,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &pod_spec },
    { "status", 0, NULL, &pod_status });

TYPE(pod_template_spec,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &pod_spec });

TYPE(pod_template,
    { "metadata", 0, NULL, &object_meta },
    { "template", 0, NULL, &pod_template_spec });

TYPE(deployment_spec,
    { "template", 0, NULL, &pod_template_spec },
    { "strategy", RETAIN, NULL, NULL });

TYPE(deployment,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &deployment_spec },
    { "status", 0, NULL, &conditions_status });

/* StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job. */
TYPE(workload_spec,
    { "template", 0, NULL, &pod_template_spec });

TYPE(workload,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &workload_spec },
    { "status", 0, NULL, &conditions_status });

TYPE(job_template_spec,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &workload_spec });

TYPE(cron_job_spec,
    { "jobTemplate", 0, NULL, &job_template_spec });

TYPE(cron_job,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &cron_job_spec });

TYPE(service_spec,
    { "ports", MERGE, "port", NULL });

TYPE(service,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &service_spec },
    { "status", 0, NULL, &conditions_status });

TYPE(node_spec,
    { "podCIDRs", MERGE, NULL, NULL });

TYPE(node_status,
    { "conditions", MERGE, "type", NULL },
    { "addresses", MERGE, "type", NULL });

TYPE(node,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &node_spec },
    { "status", 0, NULL, &node_status });

/* Namespace, PersistentVolumeClaim, HorizontalPodAutoscaler (v2),
 * PodDisruptionBudget. */
TYPE(status_object,
    { "metadata", 0, NULL, &object_meta },
    { "status", 0, NULL, &conditions_status });

TYPE(service_account,
    { "metadata", 0, NULL, &object_meta },
    { "secrets", MERGE, "name", NULL });

TYPE(webhook_configuration,
    { "metadata", 0, NULL, &object_meta },
    { "webhooks", MERGE, "name", NULL });

TYPE(csi_node_spec,
    { "drivers", MERGE, "name", NULL });

TYPE(csi_node,
    { "metadata", 0, NULL, &object_meta },
    { "spec", 0, NULL, &csi_node_spec });

struct kind_def {
	const char *group;
	const char *kind;
	const struct strategy_type *type;
};

/* The kinds kubectl's scheme registers (groups of k8s.io/api). */
static const struct kind_def kinds[] = {
	{ "", "Pod", &pod },
	{ "", "PodTemplate", &pod_template },
	{ "", "ReplicationController", &workload },
	{ "", "Service", &service },
	{ "", "Node", &node },
	{ "", "Namespace", &status_object },
	{ "", "PersistentVolumeClaim", &status_object },
	{ "", "ServiceAccount", &service_account },
	{ "", "ComponentStatus", &plain_object },
	{ "", "ConfigMap", &plain_object },
	{ "", "Secret", &plain_object },
	{ "", "Endpoints", &plain_object },
	{ "", "Event", &plain_object },
	{ "", "LimitRange", &plain_object },
	{ "", "ResourceQuota", &plain_object },
	{ "", "PersistentVolume", &plain_object },
	{ "", "Binding", &plain_object },
	{ "", "List", &plain_object },
	{ "apps", "Deployment", &deployment },
	{ "apps", "StatefulSet", &workload },
	{ "apps", "DaemonSet", &workload },
	{ "apps", "ReplicaSet", &workload },
	{ "apps", "ControllerRevision", &plain_object },
	{ "extensions", "Deployment", &deployment },
	{ "extensions", "DaemonSet", &workload },
	{ "extensions", "ReplicaSet", &workload },
	{ "extensions", "Ingress", &plain_object },
	{ "extensions", "NetworkPolicy", &plain_object },
	{ "batch", "Job", &workload },
	{ "batch", "CronJob", &cron_job },
	{ "autoscaling", "HorizontalPodAutoscaler", &status_object },
	{ "autoscaling", "Scale", &plain_object },
	{ "policy", "PodDisruptionBudget", &status_object },
	{ "policy", "Eviction", &plain_object },
	{ "networking.k8s.io", "Ingress", &plain_object },
	{ "networking.k8s.io", "IngressClass", &plain_object },
	{ "networking.k8s.io", "NetworkPolicy", &plain_object },
	{ "rbac.authorization.k8s.io", "Role", &plain_object },
	{ "rbac.authorization.k8s.io", "ClusterRole", &plain_object },
	{ "rbac.authorization.k8s.io", "RoleBinding", &plain_object },
	{ "rbac.authorization.k8s.io", "ClusterRoleBinding", &plain_object },
	{ "storage.k8s.io", "StorageClass", &plain_object },
	{ "storage.k8s.io", "VolumeAttachment", &plain_object },
	{ "storage.k8s.io", "CSIDriver", &plain_object },
	{ "storage.k8s.io", "CSINode", &csi_node },
	{ "storage.k8s.io", "CSIStorageCapacity", &plain_object },
	{ "scheduling.k8s.io", "PriorityClass", &plain_object },
	{ "coordination.k8s.io", "Lease", &plain_object },
	{ "admissionregistration.k8s.io", "ValidatingWebhookConfiguration", &webhook_configuration },
	{ "admissionregistration.k8s.io", "MutatingWebhookConfiguration", &webhook_configuration },
	{ "certificates.k8s.io", "CertificateSigningRequest", &plain_object },
	{ "discovery.k8s.io", "EndpointSlice", &plain_object },
	{ "events.k8s.io", "Event", &plain_object },
	{ "node.k8s.io", "RuntimeClass", &plain_object },
	{ NULL, NULL, NULL }
};

/* "v1", "v2beta1", "v1alpha3": a Kubernetes API version. */
static int
is_version(const char *v)
{
	if (*v++ != 'v' || *v < '1' || *v > '9')
		return 0;
	while (*v >= '0' && *v <= '9')
		v++;
	if (strncmp(v, "alpha", 5) == 0)
		v += 5;
	else if (strncmp(v, "beta", 4) == 0)
		v += 4;
	else
		return *v == '\0';
	if (*v < '1' || *v > '9')
		return 0;
	while (*v >= '0' && *v <= '9')
		v++;
	return *v == '\0';
}

const struct strategy_type *
strategy_root(const char *api_version, const char *kind, int *builtin)
{
	const struct kind_def *k;
	const char *slash, *version;
	size_t glen;

	*builtin = 0;
	if (api_version == NULL || kind == NULL)
		return NULL;
	slash = strchr(api_version, '/');
	glen = slash ? (size_t)(slash - api_version) : 0;
	version = slash ? slash + 1 : api_version;
	if (!is_version(version) || (slash == NULL && strcmp(version, "v1") != 0))
		return NULL;
	for (k = kinds; k->kind; k++)
		if (strcmp(k->kind, kind) == 0 && strlen(k->group) == glen &&
		    strncmp(k->group, api_version, glen) == 0) {
			*builtin = 1;
			return k->type;
		}
	return NULL;
}

const struct strategy_type *
strategy_field(const struct strategy_type *t, const char *name,
    struct strategy_field *f)
{
	const struct field_def *d;

	memset(f, 0, sizeof *f);
	if (t == NULL)
		return NULL;
	for (d = t->fields; d->name; d++)
		if (strcmp(d->name, name) == 0) {
			f->merge = (d->flags & MERGE) != 0;
			f->retain_keys = (d->flags & RETAIN) != 0;
			f->merge_key = d->merge_key;
			return d->type;
		}
	return NULL;
}

const char *
strategy_merge_key(const char *api_version, const char *kind,
    const char *path)
{
	const struct strategy_type *t;
	struct strategy_field f = { 0, 0, NULL };
	char seg[128];
	const char *p = path, *end;
	size_t n;
	int builtin, into_items = 0;

	t = strategy_root(api_version, kind, &builtin);
	if (path == NULL || *path == '\0')
		return NULL;
	for (;;) {
		/* A field's value is only looked into when the path goes on
		 * past it; going on past a list requires its "[]". */
		if (t == NULL || (f.merge && !into_items))
			return NULL;
		end = strchr(p, '.');
		n = end ? (size_t)(end - p) : strlen(p);
		into_items = n >= 2 && p[n - 2] == '[' && p[n - 1] == ']';
		if (into_items)
			n -= 2;
		if (n == 0 || n >= sizeof seg)
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		t = strategy_field(t, seg, &f);
		if (end == NULL)
			return f.merge && !into_items ? f.merge_key : NULL;
		p = end + 1;
	}
}
