/* Unit tests: the merge keys of k8s.io/api (strategy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "strategy.h"

#define KEY(av, k, path) strategy_merge_key(av, k, path)

static void
test_pod_template_paths(void **state)
{
	static const char *const owners[][2] = {
		{ "apps/v1", "Deployment" }, { "apps/v1", "StatefulSet" },
		{ "apps/v1", "DaemonSet" }, { "apps/v1", "ReplicaSet" },
		{ "batch/v1", "Job" }, { "v1", "ReplicationController" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof owners / sizeof owners[0]; i++) {
		const char *av = owners[i][0], *k = owners[i][1];

		assert_string_equal(KEY(av, k, "spec.template.spec.containers"), "name");
		assert_string_equal(KEY(av, k, "spec.template.spec.initContainers"), "name");
		assert_string_equal(KEY(av, k, "spec.template.spec.containers[].env"), "name");
		assert_string_equal(KEY(av, k, "spec.template.spec.containers[].ports"), "containerPort");
		assert_string_equal(KEY(av, k, "spec.template.spec.containers[].volumeMounts"), "mountPath");
		assert_string_equal(KEY(av, k, "spec.template.spec.volumes"), "name");
		assert_string_equal(KEY(av, k, "spec.template.spec.imagePullSecrets"), "name");
		assert_string_equal(KEY(av, k, "spec.template.spec.hostAliases"), "ip");
		assert_string_equal(KEY(av, k, "spec.template.spec.topologySpreadConstraints"), "topologyKey");
		assert_null(KEY(av, k, "spec.template.spec.tolerations"));
		assert_null(KEY(av, k, "spec.template.spec.containers[].envFrom"));
		assert_null(KEY(av, k, "spec.template.spec.containers[].args"));
		assert_string_equal(KEY(av, k, "metadata.ownerReferences"), "uid");
		assert_string_equal(KEY(av, k, "status.conditions"), "type");
	}
	assert_string_equal(KEY("batch/v1", "CronJob",
	    "spec.jobTemplate.spec.template.spec.containers[].env"), "name");
	assert_string_equal(KEY("v1", "Pod", "spec.ephemeralContainers[].env"), "name");
	assert_string_equal(KEY("v1", "Pod", "status.podIPs"), "ip");
	assert_string_equal(KEY("v1", "PodTemplate", "template.spec.containers"), "name");
}

static void
test_other_kinds(void **state)
{
	(void)state;
	assert_string_equal(KEY("v1", "Service", "spec.ports"), "port");
	assert_string_equal(KEY("v1", "Node", "status.addresses"), "type");
	assert_string_equal(KEY("v1", "ServiceAccount", "secrets"), "name");
	assert_string_equal(KEY("admissionregistration.k8s.io/v1",
	    "MutatingWebhookConfiguration", "webhooks"), "name");
	assert_string_equal(KEY("v1", "ConfigMap", "metadata.ownerReferences"), "uid");
	/* A set of scalars has no key; so do atomic lists. */
	assert_null(KEY("v1", "ConfigMap", "metadata.finalizers"));
	assert_null(KEY("v1", "Service", "spec.externalIPs"));
}

static void
test_not_found(void **state)
{
	int builtin;

	(void)state;
	/* The path must say "[]" to go into a list's items. */
	assert_null(KEY("apps/v1", "Deployment", "spec.template.spec.containers.env"));
	assert_null(KEY("apps/v1", "Deployment", "spec.template.spec.containers[]"));
	assert_null(KEY("apps/v1", "Deployment", "spec.containers"));
	assert_null(KEY("apps/v1", "Deployment", ""));
	assert_null(KEY("apps/v1", "Deployment", NULL));
	assert_null(KEY("argoproj.io/v1alpha1", "Rollout", "spec.template.spec.containers"));
	assert_null(KEY(NULL, "Deployment", "spec.template.spec.containers"));
	/* Custom resources and unknown versions are not built in. */
	assert_null(strategy_root("argoproj.io/v1alpha1", "Rollout", &builtin));
	assert_int_equal(builtin, 0);
	strategy_root("apps/v1", "Foo", &builtin);
	assert_int_equal(builtin, 0);
	strategy_root("v2", "Pod", &builtin);
	assert_int_equal(builtin, 0);
	strategy_root("apps/v1x", "Deployment", &builtin);
	assert_int_equal(builtin, 0);
	assert_non_null(strategy_root("apps/v1beta2", "Deployment", &builtin));
	assert_int_equal(builtin, 1);
	assert_non_null(strategy_root("v1", "Secret", &builtin));
	assert_int_equal(builtin, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pod_template_paths),
		cmocka_unit_test(test_other_kinds),
		cmocka_unit_test(test_not_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
