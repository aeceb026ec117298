/* kinds.c — kubectl's names for resources, and API discovery. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonl.h"
#include "kinds.h"
#include "kutil.h"
#include "msg.h"

/* The built-in kinds k8spatch is most often asked about, with kubectl's
 * short names (kubectl api-resources). */
static const struct builtin {
	const char *group, *version, *resource, *singular, *kind;
	int namespaced;
	const char *shorts;	/* comma-separated */
} builtins[] = {
	{ "", "v1", "pods", "pod", "Pod", 1, "po" },
	{ "", "v1", "services", "service", "Service", 1, "svc" },
	{ "", "v1", "configmaps", "configmap", "ConfigMap", 1, "cm" },
	{ "", "v1", "secrets", "secret", "Secret", 1, "" },
	{ "", "v1", "namespaces", "namespace", "Namespace", 0, "ns" },
	{ "", "v1", "nodes", "node", "Node", 0, "no" },
	{ "", "v1", "events", "event", "Event", 1, "ev" },
	{ "", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", 1,
	    "sa" },
	{ "", "v1", "persistentvolumeclaims", "persistentvolumeclaim",
	    "PersistentVolumeClaim", 1, "pvc" },
	{ "", "v1", "persistentvolumes", "persistentvolume",
	    "PersistentVolume", 0, "pv" },
	{ "", "v1", "replicationcontrollers", "replicationcontroller",
	    "ReplicationController", 1, "rc" },
	{ "", "v1", "endpoints", "endpoints", "Endpoints", 1, "ep" },
	{ "", "v1", "limitranges", "limitrange", "LimitRange", 1, "limits" },
	{ "", "v1", "resourcequotas", "resourcequota", "ResourceQuota", 1,
	    "quota" },
	{ "apps", "v1", "deployments", "deployment", "Deployment", 1,
	    "deploy" },
	{ "apps", "v1", "replicasets", "replicaset", "ReplicaSet", 1, "rs" },
	{ "apps", "v1", "statefulsets", "statefulset", "StatefulSet", 1,
	    "sts" },
	{ "apps", "v1", "daemonsets", "daemonset", "DaemonSet", 1, "ds" },
	{ "apps", "v1", "controllerrevisions", "controllerrevision",
	    "ControllerRevision", 1, "" },
	{ "batch", "v1", "jobs", "job", "Job", 1, "" },
	{ "batch", "v1", "cronjobs", "cronjob", "CronJob", 1, "cj" },
	{ "autoscaling", "v2", "horizontalpodautoscalers",
	    "horizontalpodautoscaler", "HorizontalPodAutoscaler", 1, "hpa" },
	{ "networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", 1,
	    "ing" },
	{ "networking.k8s.io", "v1", "networkpolicies", "networkpolicy",
	    "NetworkPolicy", 1, "netpol" },
	{ "policy", "v1", "poddisruptionbudgets", "poddisruptionbudget",
	    "PodDisruptionBudget", 1, "pdb" },
	{ "rbac.authorization.k8s.io", "v1", "roles", "role", "Role", 1, "" },
	{ "rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding",
	    "RoleBinding", 1, "" },
	{ "rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole",
	    "ClusterRole", 0, "" },
	{ "rbac.authorization.k8s.io", "v1", "clusterrolebindings",
	    "clusterrolebinding", "ClusterRoleBinding", 0, "" },
	{ "storage.k8s.io", "v1", "storageclasses", "storageclass",
	    "StorageClass", 0, "sc" },
	{ "apiextensions.k8s.io", "v1", "customresourcedefinitions",
	    "customresourcedefinition", "CustomResourceDefinition", 0,
	    "crd,crds" },
	{ "scheduling.k8s.io", "v1", "priorityclasses", "priorityclass",
	    "PriorityClass", 0, "pc" },
};

/* "deployments.v1.apps": the name, and the version and group if given. */
struct parsed {
	char name[128], version[64], group[192];
};

static int
is_version(const char *s, size_t n)
{
	size_t i = 1;

	if (n < 2 || s[0] != 'v' || !isdigit((unsigned char)s[1]))
		return 0;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i == n)
		return 1;
	if (n - i > 5 && strncmp(s + i, "alpha", 5) == 0)
		i += 5;
	else if (n - i > 4 && strncmp(s + i, "beta", 4) == 0)
		i += 4;
	else
		return 0;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	return i == n;
}

static int
parse_name(const char *s, struct parsed *p)
{
	size_t n = strcspn(s, "."), v;

	memset(p, 0, sizeof *p);
	if (n == 0 || n >= sizeof p->name)
		return -1;
	memcpy(p->name, s, n);
	if (s[n] == '\0')
		return 0;
	s += n + 1;
	v = strcspn(s, ".");
	if (s[v] == '.' && is_version(s, v) && v < sizeof p->version) {
		memcpy(p->version, s, v);
		s += v + 1;
	}
	if (strlen(s) >= sizeof p->group || *s == '\0')
		return -1;
	strcpy(p->group, s);
	return 0;
}

static int
in_list(const char *list, const char *name)
{
	size_t len = strlen(name);

	while (*list) {
		size_t n = strcspn(list, ",");

		if (n == len && strncasecmp(list, name, n) == 0)
			return 1;
		list += n + (list[n] == ',');
	}
	return 0;
}

static void
fill(struct kkind *out, const char *group, const char *version,
    const char *resource, const char *kind, int namespaced)
{
	out->group = xstrdup(group);
	out->version = xstrdup(version);
	out->resource = xstrdup(resource);
	out->kind = xstrdup(kind);
	out->namespaced = namespaced;
}

static int
builtin_match(const struct builtin *b, const struct parsed *p)
{
	if (p->group[0] && strcmp(p->group, b->group) != 0)
		return 0;
	if (p->version[0] && strcmp(p->version, b->version) != 0)
		return 0;
	return strcasecmp(p->name, b->resource) == 0 ||
	    strcasecmp(p->name, b->singular) == 0 ||
	    strcasecmp(p->name, b->kind) == 0 || in_list(b->shorts, p->name);
}

int
kinds_builtin(const char *name, struct kkind *out)
{
	struct parsed p;
	size_t i;

	memset(out, 0, sizeof *out);
	if (parse_name(name, &p) != 0)
		return -1;
	for (i = 0; i < sizeof builtins / sizeof *builtins; i++)
		if (builtin_match(&builtins[i], &p)) {
			fill(out, builtins[i].group, builtins[i].version,
			    builtins[i].resource, builtins[i].kind,
			    builtins[i].namespaced);
			return 0;
		}
	return -1;
}

const char *
kinds_builtin_group(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof builtins / sizeof *builtins; i++)
		if (strcmp(builtins[i].kind, kind) == 0)
			return builtins[i].group;
	return NULL;
}

/* ---- discovery ---------------------------------------------------------- */

/* The APIResourceList of a group version, fetched once. */
static int
resource_list(struct kclient *k, const char *gv, jv *out, char **err)
{
	struct buf path = BUF_INIT;
	struct kerr e;
	int rc;

	*out = jv_object_get(jv_copy(k->discovery), jv_string(gv));
	if (jv_is_valid(*out))
		return 0;
	jv_free(*out);
	buf_printf(&path, strchr(gv, '/') ? "/apis/%s" : "/api/%s", gv);
	rc = kc_get(k, path.p, out, &e);
	buf_free(&path);
	if (rc) {
		*err = strfmt("discovery of %s: %s", gv, e.message);
		return rc;
	}
	k->discovery = jv_object_set(k->discovery, jv_string(gv),
	    jv_copy(*out));
	return 0;
}

static int
resource_match(jv r, const struct parsed *p)
{
	const char *name = jv_get_str(r, "name");
	const char *singular = jv_get_str(r, "singularName");
	const char *kind = jv_get_str(r, "kind");
	jv shorts;
	int hit = 0;

	if (name == NULL || strchr(name, '/'))
		return 0;	/* a subresource */
	if (strcasecmp(p->name, name) == 0 || (singular && strcasecmp(p->name,
	    singular) == 0) || (kind && strcasecmp(p->name, kind) == 0))
		return 1;
	shorts = jv_object_get(jv_copy(r), jv_string("shortNames"));
	if (jv_get_kind(shorts) == JV_KIND_ARRAY)
		jv_array_foreach(shorts, i, s) {
			(void)i;
			if (jv_get_kind(s) == JV_KIND_STRING &&
			    strcasecmp(jv_string_value(s), p->name) == 0)
				hit = 1;
			jv_free(s);
		}
	jv_free(shorts);
	return hit;
}

/* Looks through one group version's resources; 1 when found. */
static int
search_gv(struct kclient *k, const char *gv, const struct parsed *p,
    struct kkind *out, char **err, int *rc)
{
	const char *slash = strchr(gv, '/');
	jv list, res;
	int found = 0;

	*rc = resource_list(k, gv, &list, err);
	if (*rc)
		return 0;
	res = jv_at(list, "resources");
	jv_free(list);
	if (jv_get_kind(res) == JV_KIND_ARRAY)
		jv_array_foreach(res, i, r) {
			(void)i;
			if (!found && resource_match(r, p)) {
				char group[192];
				jv ns = jv_at(r, "namespaced");

				snprintf(group, sizeof group, "%.*s",
				    slash ? (int)(slash - gv) : 0, gv);
				fill(out, group, slash ? slash + 1 : gv,
				    jv_get_str(r, "name"), jv_get_str(r,
				    "kind") ? jv_get_str(r, "kind") : "",
				    jv_get_kind(ns) == JV_KIND_TRUE);
				jv_free(ns);
				found = 1;
			}
			jv_free(r);
		}
	jv_free(res);
	return found;
}

/* Every group's preferred version (or the one asked for). */
static int
discover(struct kclient *k, const struct parsed *p, struct kkind *out,
    char **err)
{
	struct kerr e;
	jv groups, list;
	int rc = 0, found = 0;

	if (p->group[0] == '\0' && search_gv(k, "v1", p, out, err, &rc))
		return 0;
	if (rc)
		return rc;
	if ((rc = kc_get(k, "/apis", &groups, &e)) != 0) {
		*err = strfmt("discovery: %s", e.message);
		return rc;
	}
	list = jv_at(groups, "groups");
	jv_free(groups);
	if (jv_get_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, g) {
			const char *name = jv_get_str(g, "name");
			jv pv = jv_at(g, "preferredVersion");
			const char *ver = jv_get_str(pv, "version");
			char gv[300];

			(void)i;
			if (!found && rc == 0 && name && ver &&
			    (p->group[0] == '\0' || strcmp(p->group, name) == 0)) {
				snprintf(gv, sizeof gv, "%s/%s", name,
				    p->version[0] ? p->version : ver);
				found = search_gv(k, gv, p, out, err, &rc);
			}
			jv_free(pv);
			jv_free(g);
		}
	jv_free(list);
	if (rc)
		return rc;
	if (!found) {
		*err = strfmt("the server doesn't have a resource type '%s'",
		    p->name);
		return EXIT_USAGE;
	}
	return 0;
}

int
kinds_resolve(struct kclient *k, const char *name, struct kkind *out,
    char **err)
{
	struct parsed p;

	*err = NULL;
	if (kinds_builtin(name, out) == 0)
		return 0;
	if (parse_name(name, &p) != 0) {
		*err = strfmt("'%s' is not a resource type", name);
		return EXIT_USAGE;
	}
	if (k == NULL) {
		*err = strfmt("the resource type '%s' is not built in", name);
		return EXIT_USAGE;
	}
	return discover(k, &p, out, err);
}

int
kinds_for_object(struct kclient *k, const char *api_version,
    const char *kind, struct kkind *out, char **err)
{
	const char *slash = strchr(api_version, '/');
	struct parsed p;
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	*err = NULL;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", kind);
	snprintf(p.group, sizeof p.group, "%.*s", slash ? (int)(slash -
	    api_version) : 0, api_version);
	snprintf(p.version, sizeof p.version, "%s", slash ? slash + 1 :
	    api_version);
	for (i = 0; i < sizeof builtins / sizeof *builtins; i++)
		if (strcmp(builtins[i].kind, kind) == 0 &&
		    strcmp(builtins[i].group, p.group) == 0 &&
		    strcmp(builtins[i].version, p.version) == 0) {
			fill(out, builtins[i].group, builtins[i].version,
			    builtins[i].resource, kind, builtins[i].namespaced);
			return 0;
		}
	if (search_gv(k, api_version, &p, out, err, &rc))
		return 0;
	if (rc == 0)
		*err = strfmt("the server doesn't have kind '%s' in '%s'", kind,
		    api_version);
	return rc ? rc : EXIT_USAGE;
}

void
kkind_free(struct kkind *k)
{
	free(k->group);
	free(k->version);
	free(k->resource);
	free(k->kind);
	memset(k, 0, sizeof *k);
}

char *
kinds_api_version(const struct kkind *k)
{
	return *k->group ? strfmt("%s/%s", k->group, k->version) :
	    xstrdup(k->version);
}

char *
kinds_qualified(const struct kkind *k)
{
	return *k->group ? strfmt("%s.%s", k->resource, k->group) :
	    xstrdup(k->resource);
}

int
kinds_valid_name(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0' || strlen(s) > 253 || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; s[i]; i++)
		if (strchr("/%?#\\", s[i]) || (unsigned char)s[i] <= ' ' ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int
kinds_valid_namespace(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 63 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
kinds_valid_api_version(const char *s)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	const char *v = slash ? slash + 1 : s;
	size_t i;

	if (s == NULL || *s == '\0' || *v == '\0' || slash == s)
		return 0;
	for (i = 0; s + i < v - (slash != NULL); i++)
		if (!lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
			return 0;
	for (i = 0; v[i]; i++)
		if (!lower_alnum(v[i]))
			return 0;
	return 1;
}

void
kinds_path(struct buf *path, const struct kkind *k, const char *namespace,
    const char *name, const char *sub)
{
	if (*k->group)
		buf_printf(path, "/apis/%s/%s", k->group, k->version);
	else
		buf_printf(path, "/api/%s", k->version);
	if (k->namespaced && namespace && *namespace)
		buf_printf(path, "/namespaces/%s", namespace);
	buf_printf(path, "/%s", k->resource);
	if (name)
		buf_printf(path, "/%s", name);
	if (sub)
		buf_printf(path, "/%s", sub);
}
