/* k8spatch — read, diagnose, patch, scale and roll back Kubernetes
 * workloads, with guardrails that make an LLM's patch safe to apply.
 * See k8spatch(1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "failing.h"
#include "guard.h"
#include "jsonl.h"
#include "kinds.h"
#include "kubeconfig.h"
#include "kutil.h"
#include "msg.h"
#include "objects.h"
#include "opt.h"
#include "policy.h"
#include "rollout.h"
#include "timeutil.h"
#include "verbs.h"

enum {
	O_KUBECONFIG = OPT_ID(1), O_CONTEXT, O_CLUSTER, O_USER,
	O_FIELD_SELECTOR, O_PATCH_FILE, O_TYPE, O_DRY_RUN, O_FIELD_MANAGER,
	O_FORCE_CONFLICTS, O_POLICY, O_LOCAL, O_REPLICAS, O_CURRENT_REPLICAS,
	O_TO_REVISION, O_TIMEOUT, O_FAIL_AFTER, O_FAIL_RESTARTS, O_NO_WAIT,
	O_LOG_LINES, O_CA, O_CLIENT_CERT, O_CLIENT_KEY, O_SKIP_TLS_VERIFY
};

static const struct opt k8spatch_opts[] = {
	{ "kubeconfig", O_KUBECONFIG, "FILE",
	    "the kubeconfig (default: KUBECONFIG, else ~/.kube/config)" },
	{ "context", O_CONTEXT, "NAME", "the kubeconfig context to use" },
	{ "cluster", O_CLUSTER, "NAME", "the kubeconfig cluster, instead of the context's" },
	{ "user", O_USER, "NAME", "the kubeconfig user, instead of the context's" },
	{ "namespace", 'n', "NS", "the namespace (default: the context's, else default)" },
	{ "all-namespaces", 'A', NULL, "get, failing: every namespace" },
	{ "selector", 'l', "SELECTOR", "get, failing: a label selector (app=web,tier!=db)" },
	{ "field-selector", O_FIELD_SELECTOR, "SELECTOR", "get: a field selector (status.phase=Running)" },
	{ "patch", 'p', "PATCH", "patch: the patch, JSON or YAML" },
	{ "patch-file", O_PATCH_FILE, "FILE", "patch: read the patch from FILE" },
	{ "type", O_TYPE, "TYPE", "patch: strategic (default), merge, json or apply" },
	{ "dry-run", O_DRY_RUN, NULL, "ask the server, change nothing (guarded: stop after the policy)" },
	{ "field-manager", O_FIELD_MANAGER, "NAME", "the field manager of writes (default k8spatch)" },
	{ "force-conflicts", O_FORCE_CONFLICTS, NULL, "server-side apply: take fields other managers own" },
	{ "policy", O_POLICY, "FILE", "guarded mode: apply only what the policy allows" },
	{ "local", O_LOCAL, NULL, "patch: edit a manifest file, no cluster" },
	{ "filename", 'f', "FILE", "with --local: the manifest file" },
	{ "replicas", O_REPLICAS, "N", "scale: the new number of replicas" },
	{ "current-replicas", O_CURRENT_REPLICAS, "N", "scale: only if there are N now" },
	{ "to-revision", O_TO_REVISION, "N", "rollback: to revision N (default: the previous)" },
	{ "timeout", O_TIMEOUT, "DURATION", "wait: give up after DURATION (default 10m, 0: never)" },
	{ "fail-after", O_FAIL_AFTER, "DURATION", "wait: a new pod failing this long fails the rollout (default 60s, 0: off)" },
	{ "fail-restarts", O_FAIL_RESTARTS, "N", "wait: a new pod crashing N times fails the rollout (default 2)" },
	{ "no-wait", O_NO_WAIT, NULL, "guarded patch: do not wait for the rollout (nor roll back)" },
	{ "log-lines", O_LOG_LINES, "N", "failing: lines of the failing container's log (default 50)" },
	/* kubectl's names for the HTTP layer's flags: a user's hands know them */
	{ "server", 's', "URL", "as --url" },
	{ "certificate-authority", O_CA, "FILE", "as --cacert" },
	{ "client-certificate", O_CLIENT_CERT, "FILE", "as --cert" },
	{ "client-key", O_CLIENT_KEY, "FILE", "as --key" },
	{ "insecure-skip-tls-verify", O_SKIP_TLS_VERIFY, NULL, "as --insecure" },
	{ NULL, 0, NULL, NULL }
};

/* The shared HTTP flags, but --timeout is wait's here (kubectl's
 * --request-timeout is the per-request one) and basic auth comes from the
 * kubeconfig, whose --user names a user. */
static const struct opt_override k8spatch_overrides[] = {
	{ HTTP_OPT_TIMEOUT, "request-timeout", NULL,
	    "give up a request after SEC seconds (0: never)", 0 },
	{ HTTP_OPT_URL, NULL, NULL,
	    "the API server's URL (kubectl's --server)", 0 },
	{ HTTP_OPT_USER, NULL, NULL, NULL, 1 },
	{ 0, NULL, NULL, NULL, 0 }
};

static const struct opt *const k8spatch_tables[] = { k8spatch_opts,
    http_opts, NULL };

static const struct opt_program k8spatch_prog = {
	.name = "k8spatch",
	.synopsis = "[OPTIONS] get KIND[/NAME] [NAME...] [-l SELECTOR] [-A]\n"
	"[OPTIONS] patch KIND[/NAME] [NAME] -p PATCH | --patch-file FILE "
	"[--type TYPE] [--policy FILE] [--dry-run]\n"
	"[OPTIONS] patch --local -f FILE -p PATCH | --patch-file FILE "
	"[--type TYPE] [KIND NAME]\n"
	"[OPTIONS] scale KIND[/NAME] [NAME] --replicas N [--current-replicas M]\n"
	"[OPTIONS] rollback KIND[/NAME] [NAME] [--to-revision N]\n"
	"[OPTIONS] restart KIND[/NAME] [NAME]\n"
	"[OPTIONS] wait KIND[/NAME] [NAME] [--timeout DURATION]\n"
	"[OPTIONS] failing [-A] [-l SELECTOR] [--log-lines N]\n"
	"[OPTIONS] [--policy FILE] [--dry-run] - < PATCH-REQUESTS",
	.summary = "read, diagnose, patch, scale and roll back Kubernetes "
	"workloads, safely",
	.tables = k8spatch_tables,
	.epilog = "Exit status: 0 done; 1 refused, rollout failed, rolled back "
	"or a conflict;\n2 bad input or an invalid patch; 3 the API server "
	"failed; 4 a write error.\nEnvironment: KUBECONFIG, HOME, "
	"KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT,\nPOD_NAMESPACE.\n",
	.overrides = k8spatch_overrides
};

/* Flags of the HTTP layer are applied after the kubeconfig, so they win
 * over it, as kubectl's do. */
static void
keep_http(struct options *o, int key, const char *arg)
{
	xgrow((void **)&o->http, &o->nhttp_cap, o->nhttp + 1, sizeof *o->http);
	o->http[o->nhttp].key = key;
	o->http[o->nhttp].arg = arg;
	o->nhttp++;
	if (key == HTTP_OPT_TOKEN || key == HTTP_OPT_TOKEN_FILE)
		o->token_flag = 1;
}

/* kubectl's spelling of an HTTP layer flag, as that flag. */
static int
kubectl_alias(int key)
{
	switch (key) {
	case 's': return HTTP_OPT_URL;
	case O_CA: return HTTP_OPT_CACERT;
	case O_CLIENT_CERT: return HTTP_OPT_CERT;
	case O_CLIENT_KEY: return HTTP_OPT_KEY;
	case O_SKIP_TLS_VERIFY: return HTTP_OPT_INSECURE;
	default: return key;
	}
}

static void
own_option(struct options *o, int key, const char *arg)
{
	static const char *const types[] = { "strategic", "merge", "json",
	    "apply", NULL };

	switch (key) {
	case O_KUBECONFIG: o->kubeconfig = arg; break;
	case O_CONTEXT: o->context = arg; break;
	case O_CLUSTER: o->cluster = arg; break;
	case O_USER: o->user = arg; break;
	case 'n': o->namespace = arg; break;
	case 'A': o->all_namespaces = 1; break;
	case 'l': o->selector = arg; break;
	case O_FIELD_SELECTOR: o->field_selector = arg; break;
	case 'p': o->patch = arg; break;
	case O_PATCH_FILE: o->patch_file = arg; break;
	case O_TYPE: o->type = opt_choice_arg("type", arg, types); break;
	case O_DRY_RUN: o->dry_run = 1; break;
	case O_FIELD_MANAGER: o->field_manager = arg; break;
	case O_FORCE_CONFLICTS: o->force = 1; break;
	case O_POLICY: o->policy_file = arg; break;
	case O_LOCAL: o->local = 1; break;
	case 'f': o->filename = arg; break;
	case O_REPLICAS:
		o->replicas = opt_long_arg("replicas", arg, 0, 1000000);
		break;
	case O_CURRENT_REPLICAS:
		o->current_replicas = opt_long_arg("current-replicas", arg, 0,
		    1000000);
		break;
	case O_TO_REVISION:
		o->to_revision = opt_long_arg("to-revision", arg, 0, 1L << 40);
		break;
	case O_TIMEOUT: o->wait.timeout = opt_duration_arg("timeout", arg); break;
	case O_FAIL_AFTER:
		o->wait.fail_after = opt_duration_arg("fail-after", arg);
		break;
	case O_FAIL_RESTARTS:
		o->wait.fail_restarts = (int)opt_long_arg("fail-restarts", arg,
		    1, 1000);
		break;
	case O_NO_WAIT: o->no_wait = 1; break;
	case O_LOG_LINES:
		o->log_lines = (int)opt_long_arg("log-lines", arg, 0, 100000);
		break;
	}
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	struct opt_parser *p = opt_begin(&k8spatch_prog, argc, argv);
	const char *arg;
	int key, first;

	memset(o, 0, sizeof *o);
	o->type = PATCH_STRATEGIC;
	o->replicas = o->current_replicas = -1;
	o->wait.timeout = 600;
	o->wait.fail_after = 60;
	o->wait.fail_restarts = 2;
	o->log_lines = 50;
	o->field_manager = "k8spatch";
	while ((key = opt_next(p, &arg)) != -1) {
		key = kubectl_alias(key);
		if (key >= HTTP_OPT_URL && key <= HTTP_OPT_MAX_RESPONSE)
			keep_http(o, key, arg);
		else
			own_option(o, key, arg);
	}
	first = opt_index(p);
	opt_end(p);
	return first;
}

/* ---- connecting --------------------------------------------------------- */

static void
connect_cluster(struct options *o, struct kube_conn *conn, struct kclient *k)
{
	struct kube_select sel = { 0 };
	struct http_conf http;
	const char *url = NULL, *token_file = NULL;
	char *err = NULL;
	size_t i;

	for (i = 0; i < o->nhttp; i++)
		if (o->http[i].key == HTTP_OPT_URL)
			url = o->http[i].arg;
	sel.kubeconfig = o->kubeconfig;
	sel.env_kubeconfig = getenv("KUBECONFIG");
	sel.home = getenv("HOME");
	sel.context = o->context;
	sel.cluster = o->cluster;
	sel.user = o->user;
	sel.namespace = o->namespace;
	sel.server = url;
	sel.service_host = getenv("KUBERNETES_SERVICE_HOST");
	sel.service_port = getenv("KUBERNETES_SERVICE_PORT");
	/* Tests only: where the service account files are (man page). */
	sel.sa_dir = getenv("K8SPATCH_SERVICEACCOUNT_DIR");
	sel.pod_namespace = getenv("POD_NAMESPACE");
	if (kubeconfig_load(&sel, conn, &err) != 0)
		msg_die(EXIT_USAGE, "%s", err);
	if (o->token_flag) {
		/* --token or --token-file replace the kubeconfig's user. */
		kube_conn_drop_user(conn);
	}
	for (i = 0; i < o->nhttp; i++)
		if (o->http[i].key == HTTP_OPT_TOKEN)
			token_file = NULL;
		else if (o->http[i].key == HTTP_OPT_TOKEN_FILE)
			token_file = o->http[i].arg;
	/* The last of --token and --token-file counts; a file is read again
	 * after a minute and after a 401, as a kubeconfig's tokenFile (the
	 * flag is still applied below, for its usage errors). */
	if (token_file)
		conn->token_file = xstrdup(token_file);
	http_conf_init(&http, NULL, NULL);
	if (kc_configure(&http, conn, &err) != 0)
		msg_die(EXIT_USAGE, "kubeconfig: %s%s%s: %s", conn->cluster_name ?
		    "cluster '" : "", conn->cluster_name ? conn->cluster_name :
		    "", conn->cluster_name ? "'" : "", err);
	for (i = 0; i < o->nhttp; i++)
		http_conf_option(&http, o->http[i].key, o->http[i].arg);
	kc_init(k, conn, &http);
}

/* ---- the verbs ---------------------------------------------------------- */

static const struct verb {
	const char *name;
	int min, max;		/* operands after the verb */
	int (*run)(struct verb_ctx *, char **, int);
} verbs[] = {
	{ "get", 1, 64, verb_get },
	{ "patch", 0, 2, verb_patch },
	{ "scale", 1, 2, verb_scale },
	{ "rollback", 1, 2, verb_rollback },
	{ "restart", 1, 2, verb_restart },
	{ "wait", 1, 2, verb_wait },
	{ "failing", 0, 0, verb_failing },
	{ "-", 0, 0, verb_stdin },
};

static const struct verb *
find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof verbs / sizeof *verbs; i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	opt_usage_error("unknown verb '%s' (get, patch, scale, rollback, "
	    "restart, wait, failing or -)", name);
}

int
main(int argc, char **argv)
{
	struct verb_ctx c;
	const struct verb *v;
	struct kube_conn conn;
	char *err = NULL;
	int first, n, rc;

	memset(&c, 0, sizeof c);
	first = parse_options(argc, argv, &c.o);
	argc -= first;
	argv += first;
	if (argc < 1)
		opt_usage_error("a verb is needed (get, patch, scale, rollback, "
		    "restart, wait, failing or -)");
	v = find_verb(argv[0]);
	n = argc - 1;
	if (n < v->min || n > v->max)
		opt_usage_error("%s: wrong number of arguments", v->name);
	if (c.o.local && strcmp(v->name, "patch") == 0) {
		rc = verb_local(&c, argv + 1, n);
		goto out;
	}
	verb_check(&c, v->name, argv + 1, n);
	if (c.o.policy_file && policy_load(c.o.policy_file, &c.policy, &err))
		msg_die(EXIT_USAGE, "%s", err);
	if (http_global_init() != 0)
		msg_die(EXIT_LOCAL, "cannot initialise libcurl");
	connect_cluster(&c.o, &conn, &c.k);
	c.namespace = conn.namespace;
	/* The kubeconfig's or the pod's namespace goes into paths too. */
	if (!kinds_valid_namespace(c.namespace))
		msg_die(EXIT_USAGE, "'%s' is not a valid namespace", c.namespace);
	rc = v->run(&c, argv + 1, n);
	kc_free(&c.k);
	kube_conn_free(&conn);
	policy_free(&c.policy);
	http_global_cleanup();
out:
	free(c.o.http);
	if (msg_close_stdout() != 0 && rc < EXIT_LOCAL)
		rc = EXIT_LOCAL;
	return rc;
}
