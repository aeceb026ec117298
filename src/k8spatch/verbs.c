/* verbs.c — what each k8spatch verb does with its operands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failing.h"
#include "guard.h"
#include "jsonl.h"
#include "kinds.h"
#include "kutil.h"
#include "msg.h"
#include "objects.h"
#include "opt.h"
#include "verbs.h"
#include "yamljv.h"

static int
worst(int a, int b)
{
	return a > b ? a : b;
}

static int
emit(jv v)
{
	return jsonl_write(stdout, v) ? EXIT_LOCAL : 0;
}

/* KIND[/NAME] [NAME]: the kind's text and the one name. */
static void
split_target(char **args, int n, char *kind, size_t klen, const char **name,
    int need_name)
{
	const char *slash = strchr(args[0], '/');

	snprintf(kind, klen, "%.*s", slash ? (int)(slash - args[0]) :
	    (int)strlen(args[0]), args[0]);
	*name = slash ? slash + 1 : n > 1 ? args[1] : NULL;
	if (slash && n > 1)
		opt_usage_error("give KIND/NAME or KIND NAME, not both");
	if (need_name && *name == NULL)
		opt_usage_error("a NAME is needed after '%s'", args[0]);
	if (*name && !kinds_valid_name(*name))
		opt_usage_error("'%s' is not a valid object name", *name);
}

void
verb_check(const struct verb_ctx *c, const char *verb, char **args, int n)
{
	const struct options *o = &c->o;
	int patch = strcmp(verb, "patch") == 0;

	if (o->policy_file && !patch && strcmp(verb, "scale") != 0 &&
	    strcmp(verb, "-") != 0)
		opt_usage_error("--policy applies to patch, scale and -");
	if (patch && n == 0)
		opt_usage_error("patch needs KIND NAME (or --local -f FILE)");
	if (patch && (o->patch == NULL) == (o->patch_file == NULL))
		opt_usage_error("patch needs one of -p or --patch-file");
	if (strcmp(verb, "scale") == 0 && o->replicas < 0)
		opt_usage_error("scale needs --replicas");
	if (o->namespace && !kinds_valid_namespace(o->namespace))
		opt_usage_error("'%s' is not a valid namespace", o->namespace);
	if (o->filename && !o->local)
		opt_usage_error("-f is for patch --local");
	(void)args;
}

static int
resolve(struct verb_ctx *c, const char *name, struct kkind *kind)
{
	char *err = NULL;
	int rc = kinds_resolve(&c->k, name, kind, &err);

	if (rc) {
		msg_warn("%s", err);
		free(err);
	}
	return rc;
}

/* ---- get ---------------------------------------------------------------- */

static int
print_line(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	if (fwrite(text, 1, len, stdout) != len || putchar('\n') == EOF)
		return EXIT_LOCAL;
	return 0;
}

int
verb_get(struct verb_ctx *c, char **args, int n)
{
	char kindname[256];
	const char *name;
	struct kkind kind;
	struct kerr e;
	int rc, i;
	jv obj;

	split_target(args, n > 1 ? 1 : n, kindname, sizeof kindname, &name, 0);
	if ((rc = resolve(c, kindname, &kind)) != 0)
		return rc;
	if (name == NULL && n == 1) {
		rc = obj_list_text(&c->k, &kind, c->o.all_namespaces ? NULL :
		    c->namespace, c->o.selector, c->o.field_selector, print_line,
		    NULL, &e);
		if (rc && rc != EXIT_LOCAL)
			msg_warn("%s", e.message);
		kkind_free(&kind);
		return rc;
	}
	for (i = name ? 0 : 1; i < n; i++) {
		const char *nm = i == 0 ? name : args[i];
		int r;

		if (!kinds_valid_name(nm)) {
			msg_warn("'%s' is not a valid object name", nm);
			rc = worst(rc, EXIT_USAGE);
			continue;
		}
		if ((r = obj_get(&c->k, &kind, c->namespace, nm, &obj, &e))) {
			msg_warn("%s", e.message);
			rc = worst(rc, r);
		} else {
			rc = worst(rc, emit(obj));
		}
	}
	kkind_free(&kind);
	return rc;
}

/* ---- patch -------------------------------------------------------------- */

/* The patch text as JSON, else as YAML (kubectl takes both). */
static jv
parse_patch(const char *text, size_t len, const char *what)
{
	size_t line;
	jv v = jv_parse_sized(text, (int)len);

	if (jv_is_valid(v))
		return v;
	jv_free(v);
	v = yamljv_parse(text, len, YAMLJV_TYPED, &line);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);

		msg_warn("%s: not JSON, nor YAML (line %zu: %s)", what, line,
		    jv_string_value(m));
		jv_free(m);
		exit(EXIT_USAGE);
	}
	return v;
}

static jv
read_patch(const struct options *o)
{
	char *text;
	size_t len;
	jv v;

	if (o->patch)
		return parse_patch(o->patch, strlen(o->patch), "--patch");
	if ((text = slurp(o->patch_file, &len)) == NULL)
		msg_die(EXIT_USAGE, "cannot read --patch-file '%s': %s",
		    o->patch_file, strerror(errno));
	v = parse_patch(text, len, o->patch_file);
	free(text);
	return v;
}

static void
guard_options(struct verb_ctx *c, struct guard_opts *g)
{
	memset(g, 0, sizeof *g);
	g->policy = c->o.policy_file ? &c->policy : NULL;
	g->namespace = c->namespace;
	g->dry_run = c->o.dry_run;
	g->field_manager = c->o.field_manager;
	g->force = c->o.force;
	g->wait = !c->o.no_wait;
	g->wopts = c->o.wait;
}

/* Prints the patch result; says on stderr what went wrong, if anything. */
static int
report(jv rec, int status)
{
	const char *result = jv_get_str(rec, "result");
	const char *err = jv_get_str(rec, "error");

	if (status && err)
		msg_warn("%s %s/%s: %s: %s", jv_get_str(rec, "kind") ?
		    jv_get_str(rec, "kind") : "?", jv_get_str(rec,
		    "namespace") ? jv_get_str(rec, "namespace") : "",
		    jv_get_str(rec, "name") ? jv_get_str(rec, "name") : "?",
		    result ? result : "failed", err);
	return worst(status, emit(rec));
}

static jv
request(struct verb_ctx *c, const struct kkind *kind, const char *name,
    jv patch, const char *type)
{
	char *av = kinds_api_version(kind);
	jv req = jv_object();

	req = jv_object_set(req, jv_string("apiVersion"), jv_string(av));
	req = jv_object_set(req, jv_string("kind"), jv_string(kind->kind));
	if (kind->namespaced)
		req = jv_object_set(req, jv_string("namespace"),
		    jv_string(c->namespace));
	req = jv_object_set(req, jv_string("name"), jv_string(name));
	req = jv_object_set(req, jv_string("patch"), patch);
	req = jv_object_set(req, jv_string("patch_type"), jv_string(type));
	free(av);
	return req;
}

int
verb_patch(struct verb_ctx *c, char **args, int n)
{
	char kindname[256];
	const char *name;
	struct kkind kind;
	struct guard_opts g;
	jv patch, req, rec;
	int rc, status;

	split_target(args, n, kindname, sizeof kindname, &name, 1);
	patch = read_patch(&c->o);
	if ((rc = resolve(c, kindname, &kind)) != 0) {
		jv_free(patch);
		return rc;
	}
	req = request(c, &kind, name, patch, patch_type_name(c->o.type));
	guard_options(c, &g);
	rec = guard_apply(&c->k, req, &g, &status);
	jv_free(req);
	kkind_free(&kind);
	return report(rec, status);
}

/* ---- scale -------------------------------------------------------------- */

static jv
scale_record(const struct kkind *kind, const char *ns, const char *name,
    const char *result, long long replicas, double previous)
{
	jv r = jv_object();

	r = jv_object_set(r, jv_string("kind"), jv_string(kind->kind));
	r = jv_object_set(r, jv_string("namespace"), jv_string(ns));
	r = jv_object_set(r, jv_string("name"), jv_string(name));
	r = jv_object_set(r, jv_string("result"), jv_string(result));
	r = jv_object_set(r, jv_string("replicas"),
	    jv_number((double)replicas));
	return jv_object_set(r, jv_string("previous"), jv_number(previous));
}

/* Through the /scale subresource, as kubectl scale. */
static int
plain_scale(struct verb_ctx *c, const struct kkind *kind, const char *name,
    jv scale)
{
	struct patch_opts po = { .type = PATCH_MERGE, .dry_run = c->o.dry_run,
	    .field_manager = c->o.field_manager, .sub = "scale" };
	double cur = jv_num_or(scale, "spec.replicas", 0);
	char body[256];
	struct kerr e;
	int rc;

	if ((long long)cur == c->o.replicas)
		return emit(scale_record(kind, c->namespace, name, "unchanged",
		    c->o.replicas, cur));
	/* The resourceVersion makes --current-replicas a real precondition. */
	snprintf(body, sizeof body, "{\"metadata\":{\"resourceVersion\":\"%s\"},"
	    "\"spec\":{\"replicas\":%lld}}", jv_str_at(scale,
	    "metadata.resourceVersion") ? jv_str_at(scale,
	    "metadata.resourceVersion") : "", c->o.replicas);
	if ((rc = obj_patch(&c->k, kind, c->namespace, name, body, &po, NULL,
	    &e)) != 0) {
		msg_warn("%s", e.message);
		return rc;
	}
	return emit(scale_record(kind, c->namespace, name, c->o.dry_run ?
	    "dry-run" : "applied", c->o.replicas, cur));
}

int
verb_scale(struct verb_ctx *c, char **args, int n)
{
	char kindname[256], body[128];
	const char *name;
	struct kkind kind;
	struct guard_opts g;
	struct buf path = BUF_INIT;
	struct kerr e;
	jv scale, req, rec;
	int rc, status;
	double cur;

	split_target(args, n, kindname, sizeof kindname, &name, 1);
	if ((rc = resolve(c, kindname, &kind)) != 0)
		return rc;
	kinds_path(&path, &kind, c->namespace, name, "scale");
	rc = kc_get(&c->k, path.p, &scale, &e);
	buf_free(&path);
	if (rc) {
		msg_warn("%s", e.message);
	} else if (c->o.current_replicas >= 0 && (long long)(cur = jv_num_or(
	    scale, "spec.replicas", 0)) != c->o.current_replicas) {
		msg_warn("expected replicas to be %lld, was %lld",
		    c->o.current_replicas, (long long)cur);
		rc = worst(EXIT_FINDING, emit(scale_record(&kind, c->namespace,
		    name, "failed", c->o.replicas, cur)));
	} else if (c->o.policy_file == NULL) {
		rc = plain_scale(c, &kind, name, scale);
	} else {
		/* Guarded: the same change through the same /scale, each
		 * step judged (a Role may grant deployments/scale alone). */
		snprintf(body, sizeof body, "{\"spec\":{\"replicas\":%lld}}",
		    c->o.replicas);
		req = request(c, &kind, name, jv_parse(body), "merge");
		guard_options(c, &g);
		g.sub = "scale";
		rec = guard_apply(&c->k, req, &g, &status);
		jv_free(req);
		rc = report(rec, status);
	}
	jv_free(scale);
	kkind_free(&kind);
	return rc;
}

/* ---- rollout verbs ------------------------------------------------------ */

static int
rollout_verb(struct verb_ctx *c, char **args, int n, const char *verb)
{
	char kindname[256];
	const char *name;
	struct kkind kind;
	jv rec;
	int rc;

	split_target(args, n, kindname, sizeof kindname, &name, 1);
	if ((rc = resolve(c, kindname, &kind)) != 0)
		return rc;
	if (strcmp(verb, "wait") == 0)
		rc = rollout_wait(&c->k, &kind, c->namespace, name, &c->o.wait,
		    &rec);
	else if (strcmp(verb, "rollback") == 0)
		rc = rollout_undo(&c->k, &kind, c->namespace, name,
		    c->o.to_revision > 0 ? c->o.to_revision : 0, c->o.dry_run,
		    &rec);
	else
		rc = rollout_restart(&c->k, &kind, c->namespace, name,
		    c->o.dry_run, &rec);
	if (rc && (jv_get_str(rec, "error") || jv_get_str(rec, "message")))
		msg_warn("%s", jv_get_str(rec, "error") ? jv_get_str(rec,
		    "error") : jv_get_str(rec, "message"));
	kkind_free(&kind);
	return worst(rc, emit(rec));
}

int
verb_rollback(struct verb_ctx *c, char **args, int n)
{
	return rollout_verb(c, args, n, "rollback");
}

int
verb_restart(struct verb_ctx *c, char **args, int n)
{
	return rollout_verb(c, args, n, "restart");
}

int
verb_wait(struct verb_ctx *c, char **args, int n)
{
	return rollout_verb(c, args, n, "wait");
}

/* ---- failing ------------------------------------------------------------ */

static int
print_failing(void *ctx, jv rec)
{
	(void)ctx;
	return emit(rec);
}

int
verb_failing(struct verb_ctx *c, char **args, int n)
{
	struct failing_opts fo = { .namespace = c->o.all_namespaces ? NULL :
	    c->namespace, .selector = c->o.selector, .log_lines =
	    c->o.log_lines, .max_events = 10 };

	(void)args;
	(void)n;
	return failing_scan(&c->k, &fo, print_failing, NULL);
}

/* ---- patch requests on stdin -------------------------------------------- */

int
verb_stdin(struct verb_ctx *c, char **args, int n)
{
	struct jsonl *in = jsonl_open(stdin, "stdin");
	struct guard_opts g;
	int rc = 0, status;
	jv req, rec;

	(void)args;
	(void)n;
	guard_options(c, &g);
	for (;;) {
		int got = jsonl_next(in, &req);

		if (got == 0)
			break;
		if (got < 0)
			continue;
		if (jv_get_kind(req) != JV_KIND_OBJECT) {
			jsonl_warn(in, "a patch request must be an object");
			jv_free(req);
			continue;
		}
		rec = guard_apply(&c->k, req, &g, &status);
		jv_free(req);
		rc = worst(rc, report(rec, status));
		if (rc == EXIT_LOCAL)
			break;
		if (guard_interrupted()) {
			msg_warn("stdin:%zu: interrupted; the requests after it "
			    "were not read", jsonl_lineno(in));
			break;
		}
	}
	if (jsonl_bad(in) > 0)
		rc = worst(rc, EXIT_USAGE);
	jsonl_close(in);
	return rc;
}

/* ---- local mode ------------------------------------------------------- */

int
verb_local(struct verb_ctx *c, char **args, int n)
{
	char kind[256], *text, *err = NULL;
	const char *name = NULL;
	struct buf out = BUF_INIT;
	size_t len;
	jv patch;
	int rc;

	if (c->o.filename == NULL)
		opt_usage_error("patch --local needs -f FILE");
	if ((c->o.patch == NULL) == (c->o.patch_file == NULL))
		opt_usage_error("patch needs one of -p or --patch-file");
	kind[0] = '\0';
	if (n > 0)
		split_target(args, n, kind, sizeof kind, &name, 0);
	text = strcmp(c->o.filename, "-") == 0 ? slurp("/dev/stdin", &len) :
	    slurp(c->o.filename, &len);
	if (text == NULL)
		msg_die(EXIT_USAGE, "cannot read '%s': %s", c->o.filename,
		    strerror(errno));
	patch = read_patch(&c->o);
	rc = local_patch(text, len, kind[0] ? kind : NULL, name, patch,
	    (enum patch_type)c->o.type, &out, &err);
	if (rc == 0) {
		if (out.len && fwrite(out.p, 1, out.len, stdout) != out.len)
			rc = EXIT_LOCAL;
	} else {
		msg_warn("%s: %s", c->o.filename, err ? err : "failed");
	}
	free(err);
	free(text);
	buf_free(&out);
	return rc;
}
