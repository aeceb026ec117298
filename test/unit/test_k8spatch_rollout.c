/* Unit tests: kubectl rollout status's rules (rollout_status), pod
 * trouble in DESIGN's words (pod_problem), label selectors, kubectl's
 * kind names, and an exec plugin's answer (cred_parse_exec). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "credential.h"
#include "kinds.h"
#include "objects.h"
#include "podhealth.h"
#include "rollout.h"

/* "STATE message" of an object given as JSON text. */
static const char *
status(const char *json)
{
	static char out[700];
	char msg[512], reason[64];
	jv obj = jv_parse(json);
	int st;

	assert_true(jv_is_valid(obj));
	st = rollout_status(obj, msg, sizeof msg, reason, sizeof reason);
	snprintf(out, sizeof out, "%s%s%s %s", st < 0 ? "error" :
	    st == ROLL_DONE ? "done" : st == ROLL_FAILED ? "failed" : "waiting",
	    *reason ? ":" : "", reason, msg);
	jv_free(obj);
	return out;
}

#define D(gen, spec, st) "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"," \
	"\"generation\":" #gen "},\"spec\":" spec ",\"status\":" st "}"

static void
test_deployment(void **state)
{
	(void)state;
	assert_string_equal(status(D(2, "{\"replicas\":3}", "{\"observedGeneration\":1}")),
	    "waiting Waiting for deployment spec update to be observed...");
	assert_string_equal(status(D(2, "{\"replicas\":3}",
	    "{\"observedGeneration\":2,\"updatedReplicas\":1,\"replicas\":3}")),
	    "waiting Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...");
	assert_string_equal(status(D(2, "{\"replicas\":3}",
	    "{\"observedGeneration\":2,\"updatedReplicas\":3,\"replicas\":4}")),
	    "waiting Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...");
	assert_string_equal(status(D(2, "{\"replicas\":3}",
	    "{\"observedGeneration\":2,\"updatedReplicas\":3,\"replicas\":3,\"availableReplicas\":2}")),
	    "waiting Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available...");
	assert_string_equal(status(D(2, "{\"replicas\":3}",
	    "{\"observedGeneration\":2,\"updatedReplicas\":3,\"replicas\":3,\"availableReplicas\":3}")),
	    "done deployment \"web\" successfully rolled out");
	assert_string_equal(status(D(2, "{\"replicas\":3}",
	    "{\"observedGeneration\":2,\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}")),
	    "failed:ProgressDeadlineExceeded deployment \"web\" exceeded its progress deadline");
	/* Scaled to zero: done at once. */
	assert_string_equal(status(D(1, "{\"replicas\":0}", "{\"observedGeneration\":1}")),
	    "done deployment \"web\" successfully rolled out");
}

static void
test_statefulset_daemonset(void **state)
{
	(void)state;
	assert_string_equal(status("{\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":1},"
	    "\"spec\":{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\"}},"
	    "\"status\":{\"observedGeneration\":1,\"readyReplicas\":3,\"updatedReplicas\":1,"
	    "\"currentRevision\":\"a\",\"updateRevision\":\"b\"}}"),
	    "waiting waiting for statefulset rolling update to complete 1 pods at revision b...");
	assert_string_equal(status("{\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":1},"
	    "\"spec\":{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\"}},"
	    "\"status\":{\"observedGeneration\":1,\"readyReplicas\":2}}"),
	    "waiting Waiting for 1 pods to be ready...");
	assert_string_equal(status("{\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":1},"
	    "\"spec\":{\"replicas\":4,\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":2}}},"
	    "\"status\":{\"observedGeneration\":1,\"readyReplicas\":4,\"updatedReplicas\":1}}"),
	    "waiting Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...");
	assert_string_equal(status("{\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":1},"
	    "\"spec\":{\"replicas\":4,\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":2}}},"
	    "\"status\":{\"observedGeneration\":1,\"readyReplicas\":4,\"updatedReplicas\":2}}"),
	    "done partitioned roll out complete: 2 new pods have been updated...");
	assert_string_equal(status("{\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":1},"
	    "\"spec\":{\"replicas\":1,\"updateStrategy\":{\"type\":\"OnDelete\"}},\"status\":{}}"),
	    "error rollout status is only available for RollingUpdate strategy type (statefulset has OnDelete)");
	assert_string_equal(status("{\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"ds\",\"generation\":3},"
	    "\"spec\":{},\"status\":{\"observedGeneration\":3,\"desiredNumberScheduled\":2,"
	    "\"updatedNumberScheduled\":2,\"numberAvailable\":1}}"),
	    "waiting Waiting for daemon set \"ds\" rollout to finish: 1 of 2 updated pods are available...");
	assert_string_equal(status("{\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"ds\",\"generation\":3},"
	    "\"spec\":{},\"status\":{\"observedGeneration\":3,\"desiredNumberScheduled\":2,"
	    "\"updatedNumberScheduled\":2,\"numberAvailable\":2}}"),
	    "done daemon set \"ds\" successfully rolled out");
	assert_string_equal(status("{\"kind\":\"ConfigMap\"}"),
	    "error no status viewer has been implemented for ConfigMap");
}

static const char *
problem(const char *json)
{
	static char out[700];
	struct pod_problem p;
	jv pod = jv_parse(json);

	assert_true(jv_is_valid(pod));
	if (!pod_problem(pod, &p))
		snprintf(out, sizeof out, "healthy");
	else
		snprintf(out, sizeof out, "%s %s %d", p.reason, p.container,
		    p.restarts);
	jv_free(pod);
	return out;
}

/* A container status running and ready, last terminated REASON
 * AGO seconds ago after RESTARTS restarts. */
static const char *
running_after(const char *reason, int restarts, long ago)
{
	char when[32], json[512];
	time_t t = time(NULL) - ago;

	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	snprintf(json, sizeof json, "{\"status\":{\"containerStatuses\":[{\"name\":\"a\","
	    "\"restartCount\":%d,\"ready\":true,\"state\":{\"running\":{\"startedAt\":\"%s\"}},"
	    "\"lastState\":{\"terminated\":{\"reason\":\"%s\",\"finishedAt\":\"%s\"}}}]}}",
	    restarts, when, reason, when);
	return problem(json);
}

/* Between two kills a crash-looping container runs, even ready: still
 * failing while its last death is recent and not its first. */
static void
test_pods_between_kills(void)
{
	assert_string_equal(running_after("OOMKilled", 3, 1), "OOMKilled a 3");
	assert_string_equal(running_after("Error", 5, 30), "CrashLoopBackOff a 5");
	/* One death, or the last long ago: healthy (a fixed pod, a blip). */
	assert_string_equal(running_after("OOMKilled", 1, 1), "healthy");
	assert_string_equal(running_after("OOMKilled", 7, 3600), "healthy");
	assert_string_equal(running_after("Error", 2, 700), "healthy");
	/* A crashed pod being deleted (a rollout's old one): not a problem. */
	assert_string_equal(problem("{\"metadata\":{\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},"
	    "\"status\":{\"containerStatuses\":[{\"name\":\"a\",\"restartCount\":4,"
	    "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
	    "\"lastState\":{\"terminated\":{\"reason\":\"OOMKilled\"}}}]}}"), "healthy");
}

static void
test_pods(void **state)
{
	(void)state;
	assert_string_equal(problem("{\"status\":{\"phase\":\"Running\",\"containerStatuses\":"
	    "[{\"name\":\"a\",\"ready\":true,\"state\":{\"running\":{\"startedAt\":\"2026-01-01T00:00:00Z\"}}}]}}"),
	    "healthy");
	assert_string_equal(problem("{\"status\":{\"containerStatuses\":[{\"name\":\"a\",\"restartCount\":4,"
	    "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
	    "\"lastState\":{\"terminated\":{\"reason\":\"OOMKilled\",\"exitCode\":137}}}]}}"),
	    "OOMKilled a 4");
	assert_string_equal(problem("{\"status\":{\"containerStatuses\":[{\"name\":\"a\",\"restartCount\":4,"
	    "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
	    "\"lastState\":{\"terminated\":{\"reason\":\"Error\",\"exitCode\":1}}}]}}"),
	    "CrashLoopBackOff a 4");
	assert_string_equal(problem("{\"status\":{\"containerStatuses\":[{\"name\":\"a\",\"restartCount\":2,"
	    "\"ready\":false,\"state\":{\"running\":{\"startedAt\":\"x\"}},"
	    "\"lastState\":{\"terminated\":{\"reason\":\"Error\"}}}]}}"),
	    "CrashLoopBackOff a 2");
	assert_string_equal(problem("{\"status\":{\"containerStatuses\":[{\"name\":\"b\","
	    "\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\"}}}]}}"),
	    "ImagePullBackOff b 0");
	assert_string_equal(problem("{\"status\":{\"initContainerStatuses\":[{\"name\":\"init\","
	    "\"state\":{\"waiting\":{\"reason\":\"CreateContainerConfigError\"}}}],"
	    "\"containerStatuses\":[{\"name\":\"b\",\"state\":{\"waiting\":{\"reason\":\"PodInitializing\"}}}]}}"),
	    "CreateContainerConfigError init 0");
	assert_string_equal(problem("{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\","
	    "\"status\":\"False\",\"reason\":\"Unschedulable\",\"message\":\"0/2 nodes\"}]}}"),
	    "Unschedulable  0");
	assert_string_equal(problem("{\"status\":{\"containerStatuses\":[{\"name\":\"a\",\"ready\":false,"
	    "\"state\":{\"running\":{\"startedAt\":\"x\"}}},{\"name\":\"b\","
	    "\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\"}}}]}}"),
	    "ImagePullBackOff b 0");
	assert_string_equal(problem("{\"status\":{\"phase\":\"Succeeded\"}}"), "healthy");
	test_pods_between_kills();
	/* Not what a pod looks like: no crash. */
	assert_string_equal(problem("{\"status\":{\"containerStatuses\":[1,\"x\",null]}}"), "healthy");
	assert_string_equal(problem("[]"), "healthy");
}

static const char *
selector(const char *json)
{
	static char out[256];
	jv s = jv_parse(json);
	char *t = obj_selector(s);

	snprintf(out, sizeof out, "%s", t ? t : "(none)");
	free(t);
	jv_free(s);
	return out;
}

static void
test_selectors_kinds(void **state)
{
	struct kkind k;
	char *q;

	(void)state;
	assert_string_equal(selector("{\"matchLabels\":{\"app\":\"web\",\"tier\":\"f\"}}"), "app=web,tier=f");
	assert_string_equal(selector("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":["
	    "{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]},"
	    "{\"key\":\"x\",\"operator\":\"Exists\"},{\"key\":\"y\",\"operator\":\"DoesNotExist\"},"
	    "{\"key\":\"z\",\"operator\":\"NotIn\",\"values\":[\"c\"]}]}"),
	    "app=web,env in (a,b),x,!y,z notin (c)");
	assert_string_equal(selector("{}"), "(none)");
	assert_string_equal(selector("{\"matchExpressions\":[5]}"), "(none)");
	assert_string_equal(selector("7"), "(none)");
	assert_int_equal(kinds_builtin("deploy", &k), 0);
	q = kinds_qualified(&k);
	assert_string_equal(q, "deployments.apps");
	free(q);
	kkind_free(&k);
	assert_int_equal(kinds_builtin("hpa", &k), 0);
	assert_string_equal(k.group, "autoscaling");
	kkind_free(&k);
	assert_int_equal(kinds_builtin("ingresses.networking.k8s.io", &k), 0);
	assert_string_equal(k.kind, "Ingress");
	kkind_free(&k);
	assert_int_equal(kinds_builtin("deployments.v1.apps", &k), 0);
	kkind_free(&k);
	assert_int_equal(kinds_builtin("deployments.v2.apps", &k), -1);
	assert_int_equal(kinds_builtin("deployments.batch", &k), -1);
	assert_int_equal(kinds_builtin("ns", &k), 0);
	assert_int_equal(k.namespaced, 0);
	kkind_free(&k);
	assert_int_equal(kinds_builtin("rollouts", &k), -1);
}

/* Words that go into API paths cannot leave their place there. */
static void
test_path_words(void **state)
{
	static const char *const names[] = { "nginx", "web-1.x", "sa:x",
	    "system:node:a", NULL };
	static const char *const bad_names[] = { "", ".", "..", "a/b", "a%2F",
	    "a?b", "a#b", "a b", "a\\b", "d\xc3\xa9", NULL };
	static const char *const spaces[] = { "web", "kube-system", "a1",
	    NULL };
	static const char *const bad_spaces[] = { "", "Web", "-a", "a-",
	    "web/../kube-system", "a.b", "kube-system?", NULL };
	static const char *const versions[] = { "v1", "apps/v1",
	    "networking.k8s.io/v1", "argoproj.io/v1alpha1", NULL };
	static const char *const bad_versions[] = { "", "/v1", "apps/",
	    "apps/v1/namespaces", "apps/v1?", "apps/v1#", "Apps/v1", NULL };
	size_t i;

	(void)state;
	for (i = 0; names[i]; i++)
		assert_true(kinds_valid_name(names[i]));
	for (i = 0; bad_names[i]; i++)
		assert_false(kinds_valid_name(bad_names[i]));
	assert_false(kinds_valid_name(NULL));
	for (i = 0; spaces[i]; i++)
		assert_true(kinds_valid_namespace(spaces[i]));
	for (i = 0; bad_spaces[i]; i++)
		assert_false(kinds_valid_namespace(bad_spaces[i]));
	for (i = 0; versions[i]; i++)
		assert_true(kinds_valid_api_version(versions[i]));
	for (i = 0; bad_versions[i]; i++)
		assert_false(kinds_valid_api_version(bad_versions[i]));
}

static const char *
answer(const char *text, const char *want_version)
{
	static char out[512];
	char *tok, *cert, *key, *err = NULL;
	double exp;

	if (cred_parse_exec(text, strlen(text), want_version, &tok, &cert,
	    &key, &exp, &err) != 0) {
		snprintf(out, sizeof out, "error: %s", err);
		free(err);
		return out;
	}
	snprintf(out, sizeof out, "%s %s %.0f", tok ? tok : "-", cert ? "cert" : "-", exp);
	free(tok);
	free(cert);
	free(key);
	return out;
}

#define V1 "client.authentication.k8s.io/v1"

static void
test_exec_answer(void **state)
{
	(void)state;
	assert_string_equal(answer("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
	    "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}", V1),
	    "t - 1893456000");
	assert_string_equal(answer("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
	    "\"status\":{\"clientCertificateData\":\"C\",\"clientKeyData\":\"K\"}}", V1),
	    "- cert 0");
	assert_string_equal(answer("{\"apiVersion\":\"" V1 "beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}", V1),
	    "error: exec plugin is configured to use API version " V1 ", plugin returned version " V1 "beta1");
	assert_string_equal(answer("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\"}", V1),
	    "error: exec plugin didn't return a status field");
	assert_string_equal(answer("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{}}", V1),
	    "error: exec plugin: no token or client certificate in the answer");
	assert_string_equal(answer("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
	    "\"status\":{\"clientCertificateData\":\"C\"}}", V1),
	    "error: exec plugin: clientCertificateData and clientKeyData must be given together");
	assert_string_equal(answer("{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\","
	    "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"soon\"}}", V1),
	    "error: exec plugin: expirationTimestamp 'soon' is not a time");
	assert_string_equal(answer("token: x", V1), "error: exec plugin: the answer is not JSON");
	assert_string_equal(answer("[1]", V1), "error: exec plugin: the answer is not an ExecCredential");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment),
		cmocka_unit_test(test_statefulset_daemonset),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_selectors_kinds),
		cmocka_unit_test(test_path_words),
		cmocka_unit_test(test_exec_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
