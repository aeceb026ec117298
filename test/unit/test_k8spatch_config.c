/* Unit tests: k8spatch's YAML reader and kubeconfig loading — merging a
 * KUBECONFIG list as client-go does, contexts, relative paths, every
 * cluster and user field, exec plugins, auth-provider, in-cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "jcheck.h"
#include "jsonl.h"
#include "kubeconfig.h"
#include "kutil.h"
#include "yamljv.h"

static char dir[64];

static const char *
path(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static void
put(const char *name, const char *text)
{
	FILE *fp = fopen(path(name), "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* YAML text → compact JSON, or "error LINE: message". */
static char *
y(const char *text, int flags)
{
	static char out[4096];
	size_t line;
	jv v = yamljv_parse(text, strlen(text), flags, &line);

	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);

		snprintf(out, sizeof out, "error %zu: %s", line,
		    jv_string_value(m));
		jv_free(m);
		return out;
	}
	v = jv_dump_string(v, JV_PRINT_SORTED);
	snprintf(out, sizeof out, "%s", jv_string_value(v));
	jv_free(v);
	return out;
}

static void
test_yaml(void **state)
{
	(void)state;
	assert_string_equal(y("a: 1\nb: [x, 'y', true, ~, 0.5, 0x10]\n",
	    YAMLJV_TYPED), "{\"a\":1,\"b\":[\"x\",\"y\",true,null,0.5,16]}");
	assert_string_equal(y("a: 1\nb: no\nc: \"2\"\nd:\n", YAMLJV_STRINGS),
	    "{\"a\":\"1\",\"b\":\"no\",\"c\":\"2\",\"d\":null}");
	assert_string_equal(y("x: &a {k: v}\ny: *a\nz:\n  <<: *a\n  m: 1\n",
	    YAMLJV_TYPED),
	    "{\"x\":{\"k\":\"v\"},\"y\":{\"k\":\"v\"},\"z\":{\"k\":\"v\",\"m\":1}}");
	/* An explicit key beats a merged one. */
	assert_string_equal(y("b: &b {k: 1}\nc: {<<: *b, k: 2}\n", YAMLJV_TYPED),
	    "{\"b\":{\"k\":1},\"c\":{\"k\":2}}");
	assert_string_equal(y("a: 1\na: 2\n", YAMLJV_TYPED),
	    "error 2: key 'a' given twice");
	assert_string_equal(y("a: [1\n", YAMLJV_TYPED),
	    "error 2: did not find expected ',' or ']' while parsing a flow sequence");
	assert_string_equal(y("a: *nope\n", YAMLJV_TYPED),
	    "error 1: unknown alias");
	assert_string_equal(y("? [a]\n: 1\n", YAMLJV_TYPED),
	    "error 1: only scalar mapping keys are supported");
	assert_string_equal(y("", YAMLJV_TYPED), "null");
	assert_string_equal(y("k: 1e3\nv: 1.5.2\nw: .inf\n", YAMLJV_TYPED),
	    "{\"k\":1000,\"v\":\"1.5.2\",\"w\":\".inf\"}");
}

static void
test_yaml_bombs(void **state)
{
	const char *lol =
	    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
	struct { char *p; size_t n; } deep;
	size_t i;

	(void)state;
	assert_string_equal(y(lol, YAMLJV_TYPED),
	    "error 6: aliases expand to too many nodes");
	deep.n = 5000;
	deep.p = malloc(deep.n + 1);
	for (i = 0; i < deep.n; i++)
		deep.p[i] = '[';
	deep.p[deep.n] = '\0';
	assert_true(strncmp(y(deep.p, YAMLJV_TYPED), "error", 5) == 0);
	free(deep.p);
}

static const char *base =
    "apiVersion: v1\nkind: Config\n"
    "current-context: one\n"
    "clusters:\n"
    "- name: c1\n  cluster:\n    server: https://one.example:6443\n"
    "    certificate-authority: ca.crt\n    tls-server-name: kubernetes.test\n"
    "    proxy-url: http://proxy:3128\n"
    "- name: shared\n  cluster:\n    server: https://from-first\n"
    "contexts:\n"
    "- name: one\n  context: {cluster: c1, user: u1, namespace: web}\n"
    "- name: nons\n  context: {cluster: shared, user: u1}\n"
    "users:\n"
    "- name: u1\n  user:\n    token: secret-token\n"
    "    client-certificate: certs/c.crt\n    client-key: /abs/c.key\n";

static const char *second =
    "current-context: two\n"
    "clusters:\n"
    "- name: shared\n  cluster:\n    server: https://from-second\n"
    "    insecure-skip-tls-verify: true\n"
    "- name: c2\n  cluster:\n    server: https://two\n"
    "    certificate-authority-data: aGVsbG8=\n"
    "contexts:\n"
    "- name: two\n  context: {cluster: c2, user: u2}\n"
    "- name: one\n  context: {cluster: c2, user: u2}\n"
    "users:\n"
    "- name: u2\n  user:\n    username: admin\n    password: pw\n"
    "- name: bad\n  user:\n    token: t\n    username: x\n"
    "- name: gcp\n  user:\n    auth-provider: {name: gcp, config: {}}\n"
    "- name: ex\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
    "      command: ./bin/plugin\n      args: [get-token, --x]\n"
    "      env: [{name: FOO, value: bar}]\n      interactiveMode: Never\n"
    "      provideClusterInfo: true\n"
    "- name: ex1\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
    "      command: plugin\n"
    "- name: exb\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
    "      command: plugin\n"
    "- name: exa\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n"
    "      command: plugin\n      interactiveMode: Never\n"
    "- name: certdata\n  user:\n    client-certificate-data: Y2VydA==\n"
    "    client-key-data: a2V5\n    tokenFile: tok\n";

static int
load(struct kube_select *sel, struct kube_conn *c, char **err)
{
	return kubeconfig_load(sel, c, err);
}

static void
test_merge(void **state)
{
	struct kube_select sel = { 0 };
	struct kube_conn c;
	char *err = NULL, env[512];

	(void)state;
	put("a.yaml", base);
	put("b.yaml", second);
	/* The first file's current-context, its context "one", the first
	 * file's definition of "shared"; a missing file is skipped. */
	snprintf(env, sizeof env, "%s:%s:%s:%s", path("a.yaml"),
	    path("missing.yaml"), path("b.yaml"), path("a.yaml"));
	sel.env_kubeconfig = env;
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_string_equal(c.context, "one");
	assert_string_equal(c.server, "https://one.example:6443");
	assert_string_equal(c.namespace, "web");
	assert_string_equal(c.ca_file, path("ca.crt"));
	assert_string_equal(c.tls_server_name, "kubernetes.test");
	assert_string_equal(c.proxy_url, "http://proxy:3128");
	assert_string_equal(c.token, "secret-token");
	assert_string_equal(c.cert_file, path("certs/c.crt"));
	assert_string_equal(c.key_file, "/abs/c.key");
	kube_conn_free(&c);

	sel.context = "nons";
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_string_equal(c.server, "https://from-first");
	assert_int_equal(c.insecure, 0);
	assert_string_equal(c.namespace, "default");
	kube_conn_free(&c);

	/* Order reversed: the second file wins current-context and "one". */
	snprintf(env, sizeof env, "%s:%s", path("b.yaml"), path("a.yaml"));
	sel.context = NULL;
	sel.namespace = "ops";
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_string_equal(c.context, "two");
	assert_string_equal(c.server, "https://two");
	assert_int_equal(c.ca_data.len, 5);
	assert_memory_equal(c.ca_data.p, "hello", 5);
	assert_string_equal(c.username, "admin");
	assert_string_equal(c.password, "pw");
	assert_string_equal(c.namespace, "ops");
	kube_conn_free(&c);
	sel.context = "one";
	sel.namespace = NULL;
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_string_equal(c.server, "https://two");
	kube_conn_free(&c);
}

static void
test_users(void **state)
{
	struct kube_select sel = { 0 };
	struct kube_conn c;
	char *err = NULL;

	(void)state;
	put("b.yaml", second);
	sel.kubeconfig = path("b.yaml");
	sel.user = "ex";
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_non_null(c.exec);
	assert_string_equal(c.exec->command, path("./bin/plugin"));
	assert_string_equal(c.exec->args[0], "get-token");
	assert_string_equal(c.exec->args[1], "--x");
	assert_null(c.exec->args[2]);
	assert_string_equal(c.exec->env[0], "FOO=bar");
	assert_string_equal(c.exec->interactive_mode, "Never");
	assert_int_equal(c.exec->provide_cluster_info, 1);
	kube_conn_free(&c);

	sel.user = "exb";	/* v1beta1: IfAvailable by default */
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_string_equal(c.exec->command, "plugin");
	assert_string_equal(c.exec->interactive_mode, "IfAvailable");
	kube_conn_free(&c);

	sel.user = "certdata";
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_string_equal(c.cert_data.p, "cert");
	assert_string_equal(c.key_data.p, "key");
	assert_string_equal(c.token_file, path("tok"));
	kube_conn_free(&c);

	sel.user = "ex1";	/* v1 needs interactiveMode */
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "interactiveMode"));
	kube_conn_free(&c);
	free(err);
	err = NULL;

	sel.user = "exa";
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "v1alpha1"));
	kube_conn_free(&c);
	free(err);
	err = NULL;

	sel.user = "gcp";
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "auth-provider 'gcp'"));
	assert_non_null(strstr(err, "exec credential plugin"));
	kube_conn_free(&c);
	free(err);
	err = NULL;

	sel.user = "bad";
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "more than one authentication method"));
	assert_null(strstr(err, "t\n"));
	kube_conn_free(&c);
	free(err);
}

static void
test_errors(void **state)
{
	struct kube_select sel = { 0 };
	struct kube_conn c;
	char *err = NULL;

	(void)state;
	put("a.yaml", base);
	put("broken.yaml", "clusters: [\n");
	put("nocur.yaml", "clusters: []\n");
	put("notlist.yaml", "clusters: {a: b}\n");
	sel.kubeconfig = path("a.yaml");
	sel.context = "nope";
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "context 'nope' not found"));
	kube_conn_free(&c);
	free(err);

	sel.context = NULL;
	sel.kubeconfig = path("broken.yaml");
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "broken.yaml:2:"));
	kube_conn_free(&c);
	free(err);

	sel.kubeconfig = path("missing.yaml");	/* explicit: must exist */
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "No such file"));
	kube_conn_free(&c);
	free(err);

	sel.kubeconfig = path("nocur.yaml");
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "no current-context"));
	kube_conn_free(&c);
	free(err);

	sel.kubeconfig = path("notlist.yaml");
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "clusters is not a kubeconfig list"));
	kube_conn_free(&c);
	free(err);

	/* --url works without a context. */
	sel.kubeconfig = path("nocur.yaml");
	sel.server = "http://127.0.0.1:1";
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_string_equal(c.server, "http://127.0.0.1:1");
	kube_conn_free(&c);
}

static void
test_in_cluster(void **state)
{
	struct kube_select sel = { 0 };
	struct kube_conn c;
	char *err = NULL, sa[128];

	(void)state;
	snprintf(sa, sizeof sa, "%s/sa", dir);
	mkdir(sa, 0700);
	put("sa/token", "tok\n");
	put("sa/ca.crt", "pem");
	put("sa/namespace", "shop\n");
	sel.home = "/nonexistent";
	sel.service_host = "10.0.0.1";
	sel.service_port = "443";
	sel.sa_dir = sa;
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_int_equal(c.in_cluster, 1);
	assert_string_equal(c.server, "https://10.0.0.1:443");
	assert_string_equal(c.token_file, path("sa/token"));
	assert_string_equal(c.ca_file, path("sa/ca.crt"));
	assert_string_equal(c.namespace, "shop");
	kube_conn_free(&c);

	sel.service_host = "fd00::1";
	sel.pod_namespace = "pods-ns";
	assert_int_equal(load(&sel, &c, &err), 0);
	assert_string_equal(c.server, "https://[fd00::1]:443");
	assert_string_equal(c.namespace, "pods-ns");
	kube_conn_free(&c);

	/* Neither a file nor a cluster. */
	sel.service_host = NULL;
	assert_int_equal(load(&sel, &c, &err), 2);
	assert_non_null(strstr(err, "no kubeconfig"));
	kube_conn_free(&c);
	free(err);
}

static int
compact(const char *s)
{
	return jcheck_compact_object(s, strlen(s));
}

static void
test_jcheck(void **state)
{
	(void)state;
	assert_true(compact("{}"));
	assert_true(compact("{\"a\":[1,-2.5e3,true,false,null,\"x\\n\\u00e9\",{}],\"b\":{\"c\":[]}}"));
	assert_true(compact("{\"\xc3\xa9\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}"));
	assert_false(compact("{ }"));
	assert_false(compact("{\"a\": 1}"));
	assert_false(compact("{\"a\":1}\n"));
	assert_false(compact("{\"a\":01}"));
	assert_false(compact("{\"a\":tru}"));
	assert_false(compact("{\"a\":1,}"));
	assert_false(compact("{\"a\"}"));
	assert_false(compact("[1]"));
	assert_false(compact("{\"a\":\"\x01\"}"));
	assert_false(compact("{\"a\":\"\\x\"}"));
	assert_false(compact("{\"a\":\"\\ud800\"}"));
	assert_false(compact("{\"a\":\"\xc0\xaf\"}"));	/* overlong */
	assert_false(compact("{\"a\":\"\xed\xa0\x80\"}"));	/* surrogate */
	assert_false(compact("{\"a\":\"\xff\"}"));
	assert_false(compact("{\"a\":\"x}"));
	assert_false(compact("{\"a\":NaN}"));
	assert_false(compact("{\"a\":1}{}"));
}

/* Messages are not cut at a fixed buffer: a 3,000-byte name stays whole. */
static void
test_long_message(void **state)
{
	char name[3001];
	char *m;

	(void)state;
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	m = strfmt("context '%s' not found", name);
	assert_int_equal(strlen(m), strlen("context '' not found") + 3000);
	assert_string_equal(m + strlen(m) - 11, "' not found");
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_yaml_bombs),
		cmocka_unit_test(test_jcheck),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_in_cluster),
	};
	int rc;
	char cmd[128];

	snprintf(dir, sizeof dir, "/tmp/k8spatch-unit.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
