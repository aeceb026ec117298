/* Unit tests: the guard's judgement — field paths and patterns, the
 * effective change between a live object and a dry-run answer, and the
 * policy's checks (paths, limits, images, kinds and namespaces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff.h"
#include "jsonl.h"
#include "kpath.h"
#include "policy.h"

static int
under(const char *path, const char *pattern)
{
	size_t np, nq;
	struct kseg *p = kpath_split(path, &np), *q = kpath_split(pattern, &nq);
	int r;

	assert_non_null(p);
	assert_non_null(q);
	r = kpath_under(p, np, q, nq);
	kpath_free(p, np);
	kpath_free(q, nq);
	return r;
}

static void
test_paths(void **state)
{
	struct buf b = BUF_INIT;
	struct kseg *s;
	size_t n;

	(void)state;
	kpath_name(&b, "metadata");
	kpath_name(&b, "annotations");
	kpath_name(&b, "kubectl.kubernetes.io/restartedAt");
	assert_string_equal(b.p,
	    "metadata.annotations.\"kubectl.kubernetes.io/restartedAt\"");
	s = kpath_split(b.p, &n);
	assert_int_equal(n, 3);
	assert_string_equal(s[2].text, "kubectl.kubernetes.io/restartedAt");
	kpath_free(s, n);
	buf_reset(&b);
	kpath_name(&b, "containers");
	kpath_item(&b, "we\"ird]");
	kpath_name(&b, "");
	assert_string_equal(b.p, "containers[\"we\\\"ird]\"].\"\"");
	s = kpath_split(b.p, &n);
	assert_int_equal(n, 3);
	assert_string_equal(s[1].text, "we\"ird]");
	assert_int_equal(s[1].item, 1);
	assert_string_equal(s[2].text, "");
	kpath_free(s, n);
	buf_free(&b);
	assert_null(kpath_split("a..b", &n));
	assert_null(kpath_split("a[b", &n));
	assert_null(kpath_split("a.\"b", &n));
	assert_null(kpath_split("", &n));
	assert_null(kpath_split("a]", &n));

	assert_true(under("spec.replicas", "spec.replicas"));
	assert_true(under("spec.template.spec.containers[nginx].resources.limits.memory",
	    "spec.template.spec.containers[*].resources"));
	assert_true(under("spec.template.spec.containers[nginx].image",
	    "spec.template.spec.containers"));
	assert_false(under("spec.template.spec.containers[nginx].image",
	    "spec.template.spec.containers[app].image"));
	assert_false(under("spec.template.spec.containers[nginx]",
	    "spec.template.spec.containers[*].image"));
	assert_true(under("spec.template.spec.containers[nginx].securityContext.privileged",
	    "**.securityContext"));
	assert_true(under("securityContext", "**.securityContext"));
	assert_true(under("spec.template.spec.containers[a].livenessProbe.x",
	    "spec.template.spec.containers[*].*Probe"));
	assert_false(under("spec.template.spec.containers[a].image",
	    "spec.template.spec.containers[*].*Probe"));
	assert_false(under("spec.template.spec.hostNetworkX",
	    "spec.template.spec.hostNetwork"));
	assert_false(under("spec.replicasX", "spec.replicas"));
	assert_false(under("spec", "spec.replicas"));
	assert_true(under("spec.template.spec.containers[a].args",
	    "spec.template.spec.containers[*].args[*]"));
	assert_true(under("a.b.c", "**"));
	/* Quoted names are literal, not globs. */
	assert_false(under("a.b", "a.\"*\""));
	assert_true(under("a.*", "a.\"*\""));
}

static jv
J(const char *s)
{
	jv v = jv_parse(s);

	assert_true(jv_is_valid(v));
	return v;
}

/* The diff of two JSON texts as compact JSON. */
static char *
d(const char *a, const char *b)
{
	static char out[8192];
	jv ja = J(a), jb = J(b), r = diff_effective(ja, jb, 0);

	r = jv_dump_string(r, 0);
	snprintf(out, sizeof out, "%s", jv_string_value(r));
	jv_free(r);
	jv_free(ja);
	jv_free(jb);
	return out;
}

#define DEP "\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\""

static void
test_diff(void **state)
{
	(void)state;
	/* Server-owned fields do not count. */
	assert_string_equal(d("{" DEP ",\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"1\",\"generation\":1},\"status\":{\"a\":1}}",
	    "{" DEP ",\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"2\",\"generation\":2},\"status\":{\"a\":2}}"),
	    "[]");
	{
		jv a = J("{\"status\":{\"a\":1},\"metadata\":{\"generation\":1}}");
		jv b = J("{\"status\":{\"a\":2},\"metadata\":{\"generation\":2}}");
		jv r = jv_dump_string(diff_effective(a, b, DIFF_STATUS), 0);

		/* The guard's view: status counts (a custom resource without
		 * a status subresource writes it). */
		assert_string_equal(jv_string_value(r),
		    "[{\"path\":\"status.a\",\"old\":1,\"new\":2}]");
		jv_free(r);
		jv_free(a);
		jv_free(b);
	}
	assert_string_equal(d("{" DEP ",\"spec\":{\"replicas\":2}}",
	    "{" DEP ",\"spec\":{\"replicas\":3}}"),
	    "[{\"path\":\"spec.replicas\",\"old\":2,\"new\":3}]");
	/* Containers by name, in any order; an added one shows every leaf. */
	assert_string_equal(d("{" DEP ",\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"y\"}]}}}}",
	    "{" DEP ",\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x2\"},{\"name\":\"b\",\"image\":\"y\"},{\"name\":\"c\",\"image\":\"z\",\"securityContext\":{\"privileged\":true}}]}}}}"),
	    "[{\"path\":\"spec.template.spec.containers[a].image\",\"old\":\"x\",\"new\":\"x2\"},"
	    "{\"path\":\"spec.template.spec.containers[c].name\",\"new\":\"c\"},"
	    "{\"path\":\"spec.template.spec.containers[c].image\",\"new\":\"z\"},"
	    "{\"path\":\"spec.template.spec.containers[c].securityContext.privileged\",\"new\":true}]");
	/* A removed block shows every leaf it held. */
	assert_string_equal(d("{" DEP ",\"spec\":{\"template\":{\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":1000}}}}}",
	    "{" DEP ",\"spec\":{\"template\":{\"spec\":{}}}}"),
	    "[{\"path\":\"spec.template.spec.securityContext.runAsNonRoot\",\"old\":true},"
	    "{\"path\":\"spec.template.spec.securityContext.runAsUser\",\"old\":1000}]");
	/* Lists of scalars are one value; lists without a key go by index. */
	assert_string_equal(d("{" DEP ",\"spec\":{\"c\":[1,2],\"t\":[{\"k\":1}]}}",
	    "{" DEP ",\"spec\":{\"c\":[2,1],\"t\":[{\"k\":1},{\"k\":2}]}}"),
	    "[{\"path\":\"spec.c\",\"old\":[1,2],\"new\":[2,1]},"
	    "{\"path\":\"spec.t[1].k\",\"new\":2}]");
	/* Reordered containers: the list itself changed. */
	assert_string_equal(d("{" DEP ",\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}}}",
	    "{" DEP ",\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]}}}}"),
	    "[{\"path\":\"spec.template.spec.containers\",\"old\":[\"a\",\"b\"],\"new\":[\"b\",\"a\"]}]");
	/* … also when an item changed as well (init containers run in
	 * their order), or one was added. */
	assert_string_equal(d("{" DEP ",\"spec\":{\"template\":{\"spec\":{\"initContainers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\"}]}}}}",
	    "{" DEP ",\"spec\":{\"template\":{\"spec\":{\"initContainers\":[{\"name\":\"c\"},{\"name\":\"b\"},{\"name\":\"a\",\"image\":\"y\"}]}}}}"),
	    "[{\"path\":\"spec.template.spec.initContainers\",\"old\":[\"a\",\"b\"],\"new\":[\"c\",\"b\",\"a\"]},"
	    "{\"path\":\"spec.template.spec.initContainers[a].image\",\"old\":\"x\",\"new\":\"y\"},"
	    "{\"path\":\"spec.template.spec.initContainers[c].name\",\"new\":\"c\"}]");
	/* An item added at the end or removed keeps the others' order. */
	assert_string_equal(d("{" DEP ",\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}}}",
	    "{" DEP ",\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\"}]}}}}"),
	    "[{\"path\":\"spec.template.spec.containers[a].name\",\"old\":\"a\"}]");
	/* A subtree replaced by a scalar: both sides' leaves. */
	assert_string_equal(d("{" DEP ",\"spec\":{\"x\":{\"y\":1}}}",
	    "{" DEP ",\"spec\":{\"x\":5}}"),
	    "[{\"path\":\"spec.x.y\",\"old\":1},{\"path\":\"spec.x\",\"new\":5}]");
	assert_string_equal(d("{" DEP ",\"metadata\":{\"annotations\":{}}}",
	    "{" DEP ",\"metadata\":{\"annotations\":{\"a.b/c\":\"1\"}}}"),
	    "[{\"path\":\"metadata.annotations.\\\"a.b/c\\\"\",\"new\":\"1\"}]");
	assert_string_equal(d("{" DEP ",\"spec\":{}}",
	    "{" DEP ",\"spec\":{\"e\":{},\"l\":[]}}"),
	    "[{\"path\":\"spec.e\",\"new\":{}},{\"path\":\"spec.l\",\"new\":[]}]");
}

static const char *policy_text =
    "kinds: [Deployment, StatefulSet]\n"
    "namespaces: [web, shop]\n"
    "deny_namespaces: [kube-system]\n"
    "allow:\n"
    "  - spec.replicas\n"
    "  - spec.template.spec.containers[*].resources\n"
    "  - spec.template.spec.containers[*].image\n"
    "  - spec.template.spec.containers[*].readinessProbe\n"
    "deny:\n"
    "  - \"**.securityContext\"\n"
    "  - spec.template.spec.hostNetwork\n"
    "limits:\n"
    "  replicas: {min: 1, max: 20, max_factor: 3}\n"
    "  memory: {max: 4Gi, max_factor: 4}\n"
    "  cpu: {max: \"4\", max_factor: 4}\n"
    "images:\n"
    "  registries: [docker.io/library, registry.example.com]\n";

static struct policy pol;

static int
setup(void **state)
{
	char *err = NULL;

	(void)state;
	if (policy_parse("p.yaml", policy_text, strlen(policy_text), &pol,
	    &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	policy_free(&pol);
	return 0;
}

/* NULL when the change (JSON text of one change) passes, else why. */
static char *
judge(const char *change)
{
	static char out[1024];
	jv ch = J(change), list = JV_ARRAY(ch);
	char *why = policy_check_changes(&pol, list);

	jv_free(list);
	if (why == NULL)
		return NULL;
	snprintf(out, sizeof out, "%s", why);
	free(why);
	return out;
}

#define C "spec.template.spec.containers[nginx]"

static void
test_checks(void **state)
{
	(void)state;
	assert_null(judge("{\"path\":\"spec.replicas\",\"old\":2,\"new\":6}"));
	assert_string_equal(judge("{\"path\":\"spec.replicas\",\"old\":2,\"new\":7}"),
	    "'spec.replicas' 7 is more than 3 times the current 2");
	assert_string_equal(judge("{\"path\":\"spec.replicas\",\"old\":10,\"new\":21}"),
	    "'spec.replicas' 21 is above the policy's replicas max 20");
	assert_string_equal(judge("{\"path\":\"spec.replicas\",\"old\":2,\"new\":0}"),
	    "'spec.replicas' 0 is below the policy's replicas min 1");
	assert_null(judge("{\"path\":\"" C ".resources.limits.memory\",\"old\":\"128Mi\",\"new\":\"512Mi\"}"));
	assert_string_equal(judge("{\"path\":\"" C ".resources.limits.memory\",\"old\":\"128Mi\",\"new\":\"1280Mi\"}"),
	    "'" C ".resources.limits.memory' \"1280Mi\" is more than 4 times the current \"128Mi\"");
	assert_string_equal(judge("{\"path\":\"" C ".resources.requests.memory\",\"old\":\"2Gi\",\"new\":\"5Gi\"}"),
	    "'" C ".resources.requests.memory' \"5Gi\" is above the policy's memory max 4294967296");
	assert_string_equal(judge("{\"path\":\"" C ".resources.limits.memory\",\"old\":\"128Mi\"}"),
	    "'" C ".resources.limits.memory' removes the memory limit (policy max)");
	assert_null(judge("{\"path\":\"" C ".resources.requests.memory\",\"old\":\"128Mi\"}"));
	assert_null(judge("{\"path\":\"" C ".resources.limits.cpu\",\"old\":\"500m\",\"new\":2}"));
	assert_string_equal(judge("{\"path\":\"" C ".resources.limits.cpu\",\"old\":\"500m\",\"new\":\"2001m\"}"),
	    "'" C ".resources.limits.cpu' \"2001m\" is more than 4 times the current \"500m\"");
	assert_string_equal(judge("{\"path\":\"" C ".resources.limits.memory\",\"old\":\"1Gi\",\"new\":\"lots\"}"),
	    "'" C ".resources.limits.memory' is \"lots\", not a memory quantity");
	assert_string_equal(judge("{\"path\":\"" C ".securityContext.privileged\",\"new\":true}"),
	    "'" C ".securityContext.privileged' is denied by the policy ('**.securityContext')");
	assert_string_equal(judge("{\"path\":\"" C ".resources.securityContext.x\",\"new\":true}"),
	    "'" C ".resources.securityContext.x' is denied by the policy ('**.securityContext')");
	assert_string_equal(judge("{\"path\":\"spec.template.spec.hostNetwork\",\"new\":true}"),
	    "'spec.template.spec.hostNetwork' is denied by the policy ('spec.template.spec.hostNetwork')");
	assert_string_equal(judge("{\"path\":\"" C ".command\",\"new\":[\"sh\"]}"),
	    "'" C ".command' is not under any path the policy allows");
	assert_string_equal(judge("{\"path\":\"spec.template.spec.serviceAccountName\",\"new\":\"admin\"}"),
	    "'spec.template.spec.serviceAccountName' is not under any path the policy allows");
	assert_null(judge("{\"path\":\"" C ".image\",\"old\":\"nginx:1.24\",\"new\":\"nginx:1.25\"}"));
	assert_null(judge("{\"path\":\"" C ".image\",\"new\":\"docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef\"}"));
	assert_null(judge("{\"path\":\"" C ".image\",\"new\":\"registry.example.com/team/app:2\"}"));
	assert_string_equal(judge("{\"path\":\"" C ".image\",\"new\":\"evil.io/nginx:1\"}"),
	    "'" C ".image' image 'evil.io/nginx:1' is not from an allowed registry");
	assert_string_equal(judge("{\"path\":\"" C ".image\",\"new\":\"someone/nginx:1\"}"),
	    "'" C ".image' image 'someone/nginx:1' is not from an allowed registry");
	assert_string_equal(judge("{\"path\":\"" C ".image\",\"new\":\"registry.example.com.evil.io/x\"}"),
	    "'" C ".image' image 'registry.example.com.evil.io/x' is not from an allowed registry");
}

/* max_factor alone, where there is no current value to multiply. */
static void
test_factor_alone(void **state)
{
	static const char *text = "kinds: [D]\nnamespaces: [a]\nallow: ['**']\n"
	    "limits: {replicas: {max_factor: 2}, memory: {max_factor: 4}}\n";
	struct policy p;
	char *err = NULL, *why;
	jv l;

	(void)state;
	assert_int_equal(policy_parse("p.yaml", text, strlen(text), &p, &err), 0);
	l = J("[{\"path\":\"" C ".resources.limits.memory\",\"new\":\"1000Gi\"}]");
	why = policy_check_changes(&p, l);
	assert_string_equal(why, "'" C ".resources.limits.memory' \"1000Gi\" has "
	    "no current value to bound by the policy's memory max_factor 4, and no max");
	free(why);
	jv_free(l);
	l = J("[{\"path\":\"spec.replicas\",\"old\":0,\"new\":1}]");
	why = policy_check_changes(&p, l);
	assert_non_null(why);
	free(why);
	jv_free(l);
	l = J("[{\"path\":\"spec.replicas\",\"old\":2,\"new\":0}]");
	assert_null(policy_check_changes(&p, l));
	jv_free(l);
	policy_free(&p);
	/* With a max beside it, the max bounds it. */
	assert_null(judge("{\"path\":\"" C ".resources.limits.memory\",\"new\":\"1Gi\"}"));
	assert_non_null(judge("{\"path\":\"" C ".resources.limits.memory\",\"new\":\"5Gi\"}"));
}

static void
test_target(void **state)
{
	char *why;

	(void)state;
	assert_null(policy_check_target(&pol, "Deployment", "apps", "web"));
	why = policy_check_target(&pol, "DaemonSet", "apps", "web");
	assert_string_equal(why, "kind 'DaemonSet' is not in the policy's kinds");
	free(why);
	why = policy_check_target(&pol, "Deployment", "apps", "kube-system");
	assert_string_equal(why, "namespace 'kube-system' is in the policy's deny_namespaces");
	free(why);
	why = policy_check_target(&pol, "Deployment", "apps", "other");
	assert_string_equal(why, "namespace 'other' is not in the policy's namespaces");
	free(why);
	why = policy_check_target(&pol, "StatefulSet", "apps.kruise.io", "web");
	assert_string_equal(why, "kind 'StatefulSet.apps.kruise.io' is not in the policy's kinds");
	free(why);
	why = policy_check_target(&pol, "Deployment", "apps", NULL);
	assert_string_equal(why, "kind 'Deployment' is cluster-scoped and the policy's namespaces are not [\"*\"]");
	free(why);
}

static char *
bad_policy(const char *text)
{
	static char out[512];
	struct policy p;
	char *err = NULL;

	if (policy_parse("p.yaml", text, strlen(text), &p, &err) == 0) {
		policy_free(&p);
		return NULL;
	}
	snprintf(out, sizeof out, "%s", err);
	free(err);
	return out;
}

static void
test_policy_errors(void **state)
{
	(void)state;
	assert_string_equal(bad_policy("kinds: [Deployment]\nnamespaces: [a]\nallow: [x]\ndenny: [y]\n"),
	    "p.yaml: policy: unknown key 'denny'");
	assert_string_equal(bad_policy("kinds: [Deployment]\nnamespaces: [a]\n"),
	    "p.yaml: 'allow' is required (nothing is allowed without it)");
	assert_string_equal(bad_policy("kinds: [Deployment]\nnamespaces: [a]\nallow: [\"a[\"]\n"),
	    "p.yaml: 'allow': malformed path 'a['");
	assert_string_equal(bad_policy("kinds: [D]\nnamespaces: [a]\nallow: [x]\nlimits: {memory: {max: 4G1}}\n"),
	    "p.yaml: limits.memory.max: \"4G1\" is not a quantity");
	assert_string_equal(bad_policy("kinds: [D]\nnamespaces: [a]\nallow: [x]\nlimits: {memory: {maxx: 1}}\n"),
	    "p.yaml: limits.memory: unknown key 'maxx'");
	assert_string_equal(bad_policy("kinds: [D]\nnamespaces: [a]\nallow: [x]\nallow: [y]\n"),
	    "p.yaml:4: key 'allow' given twice");
	assert_string_equal(bad_policy("kinds: [D]\nnamespaces: [a]\nallow: [x]\nlimits: {cpu: {max_factor: 0}}\n"),
	    "p.yaml: limits.cpu.max_factor must be above 0");
	assert_string_equal(bad_policy("- a\n"), "p.yaml: the policy must be a mapping");
	assert_null(bad_policy("kinds: Deployment\nnamespaces: ['*']\nallow: [spec.replicas]\n"));
}

static void
test_image_valid(void **state)
{
	static const char *const good[] = { "nginx", "nginx:1.25",
	    "docker.io/library/nginx:1.25", "localhost:5000/a/b_c.d--e:v1",
	    "ghcr.io/o/app@sha256:0123456789abcdef0123456789abcdef",
	    "nginx:1.25@sha256:0123456789abcdef0123456789abcdef",
	    "[::1]:5000/app", "Registry.Example/app", NULL };
	static const char *const bad[] = { "", " nginx", "nginx ",
	    "nginx\n", "docker.io/library/nginx/../../evil/x:1",
	    "docker.io/library//nginx", "docker.io/library/NGINX",
	    "docker.io/library/./nginx", "nginx:", "nginx:-1", "nginx@sha256:ab",
	    "nginx::1", "nginx:1:2", "/nginx", "nginx/", "a..b/c", "a-/b",
	    "docker.io/library/nginx?x", "docker.io/library/nginx#x",
	    "http://docker.io/library/nginx", "a/b___c", "a/b._c", NULL };
	char longname[300];
	size_t i;

	(void)state;
	for (i = 0; good[i]; i++)
		assert_true(policy_image_valid(good[i]));
	for (i = 0; bad[i]; i++)
		assert_false(policy_image_valid(bad[i]));
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_false(policy_image_valid(longname));
	assert_string_equal(judge("{\"path\":\"" C ".image\",\"new\":\"docker.io/library/x/../../evil/y\"}"),
	    "'" C ".image' image 'docker.io/library/x/../../evil/y' is not a valid image reference");
}

static void
test_image_normalize(void **state)
{
	static const char *const cases[][2] = {
		{ "nginx", "docker.io/library/nginx" },
		{ "nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "team/app", "docker.io/team/app" },
		{ "index.docker.io/library/nginx", "docker.io/library/nginx" },
		{ "localhost/app", "localhost/app" },
		{ "localhost:5000/app", "localhost:5000/app" },
		{ "Registry/app", "Registry/app" },
		{ "ghcr.io/o/app@sha256:ab", "ghcr.io/o/app@sha256:ab" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *n = policy_image_normalize(cases[i][0]);

		assert_string_equal(n, cases[i][1]);
		free(n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_factor_alone),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_image_valid),
		cmocka_unit_test(test_image_normalize),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
