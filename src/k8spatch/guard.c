/* guard.c — patch requests, applied step by step under a policy. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "guard.h"
#include "jsonl.h"
#include "kinds.h"
#include "kutil.h"
#include "msg.h"
#include "objects.h"
#include "timeutil.h"

/* Attempts at get → dry-run → patch when the server's bookkeeping moved
 * the resourceVersion under us. */
#define ATTEMPTS	4

/*
 * Set by SIGTERM, SIGINT or SIGHUP while a guarded change is in hand: a
 * CronJob past its deadline, a drained node. Nothing is written after
 * it; a change written but not yet seen to work is rolled back before
 * k8spatch ends. The only state outside the options: a handler can reach
 * nothing else.
 */
static volatile sig_atomic_t stopping;
static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define NSTOP	(sizeof stop_signals / sizeof *stop_signals)

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* No SA_RESTART: the wait's sleep ends at once. A signal the parent
 * ignores stays ignored. */
static void
catch_stop(struct sigaction old[NSTOP])
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSTOP; i++)
		if (sigaction(stop_signals[i], NULL, &old[i]) == 0 &&
		    old[i].sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
}

static void
release_stop(const struct sigaction old[NSTOP])
{
	size_t i;

	for (i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &old[i], NULL);
}

int
guard_interrupted(void)
{
	return stopping != 0;
}

struct run {
	struct kclient *k;
	const struct guard_opts *o;
	struct kkind kind;
	const char *ns, *name;
	enum patch_type type;
	jv patch;		/* borrowed from the request */
	jv rec;			/* the result record being built */
	jv steps;
	jv live, answer;	/* the object before, the server's answer */
	int status;
};

/* ---- the record --------------------------------------------------------- */

static void
step(struct run *r, const char *name, int ok, double t0, const char *error)
{
	jv s = jv_object_set(jv_object(), jv_string("step"), jv_string(name));

	s = jv_object_set(s, jv_string("ok"), jv_bool(ok));
	s = jv_object_set(s, jv_string("ms"), jv_number((double)(long)
	    ((time_now() - t0) * 1e3)));
	if (error && *error)
		s = jv_object_set(s, jv_string("error"), jv_string(error));
	r->steps = jv_array_append(r->steps, s);
}

/* Ends the run: result word, exit status and (optional) error. */
static int
finish(struct run *r, const char *result, int status, const char *fmt, ...)
{
	char err[1400];
	va_list ap;

	r->rec = jv_object_set(r->rec, jv_string("result"), jv_string(result));
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(err, sizeof err, fmt, ap);
		va_end(ap);
		r->rec = jv_object_set(r->rec, jv_string("error"),
		    jv_string(err));
	}
	r->status = status;
	return status;
}

static void
set_changed(struct run *r, jv changes)
{
	r->rec = jv_object_set(r->rec, jv_string("changed"),
	    diff_paths(changes));
}

static void
set_outcome(struct run *r, jv obj)
{
	double g;
	const char *rev = rollout_revision(obj);

	if (jv_num_at(obj, "metadata.generation", &g))
		r->rec = jv_object_set(r->rec, jv_string("generation"),
		    jv_number(g));
	if (rev)
		r->rec = jv_object_set(r->rec, jv_string("revision"),
		    jv_string(rev));
}

/* ---- the request -------------------------------------------------------- */

int
guard_patch_type(const char *name)
{
	static const char *const names[] = { "strategic", "merge", "json",
	    "apply", NULL };

	return opt_choice(name, names);
}

/* Checks the request's fields; 0, or finish()ed with status 2. */
static int
read_request(struct run *r, jv req)
{
	const char *av = jv_get_str(req, "apiVersion");
	const char *kind = jv_get_str(req, "kind");
	const char *pt = jv_get_str(req, "patch_type");
	char *err = NULL;
	int t, rc;

	r->ns = jv_get_str(req, "namespace") ? jv_get_str(req, "namespace") :
	    r->o->namespace;
	r->name = jv_get_str(req, "name");
	r->patch = jv_object_get(jv_copy(req), jv_string("patch"));
	/* Each goes into the request's path: nothing may leave its place
	 * there ("web/../kube-system", "x?", "x#"). */
	if (kind == NULL || *kind == '\0')
		return finish(r, "failed", EXIT_USAGE, "field 'kind' is missing");
	if (!kinds_valid_name(r->name))
		return finish(r, "failed", EXIT_USAGE,
		    "field 'name' is missing or not a name");
	if (!kinds_valid_namespace(r->ns))
		return finish(r, "failed", EXIT_USAGE,
		    "field 'namespace' is not a namespace name");
	if (av && !kinds_valid_api_version(av))
		return finish(r, "failed", EXIT_USAGE,
		    "field 'apiVersion' is not an API version");
	if ((t = guard_patch_type(pt ? pt : "strategic")) < 0)
		return finish(r, "failed", EXIT_USAGE, "field 'patch_type' "
		    "'%s' is not strategic, merge, json or apply", pt);
	r->type = (enum patch_type)t;
	if (jv_get_kind(r->patch) != (r->type == PATCH_JSON ? JV_KIND_ARRAY :
	    JV_KIND_OBJECT))
		return finish(r, "failed", EXIT_USAGE, "field 'patch' must be "
		    "%s for patch_type %s", r->type == PATCH_JSON ?
		    "an array of operations" : "an object", patch_type_name(
		    r->type));
	rc = av ? kinds_for_object(r->k, av, kind, &r->kind, &err) :
	    kinds_resolve(r->k, kind, &r->kind, &err);
	if (rc) {
		finish(r, "failed", rc, "%s", err);
		free(err);
		return rc;
	}
	return 0;
}

/* The patch as sent. Server-side apply wants the object's identity in
 * the body. Under a policy it carries the live resourceVersion (rv), last,
 * so nothing in the patch can take it away. */
static char *
patch_body(struct run *r, const char *rv)
{
	jv p = jv_copy(r->patch), meta;
	char *text, *av;

	if (r->type == PATCH_APPLY) {
		av = kinds_api_version(&r->kind);
		if (!jv_object_has(jv_copy(p), jv_string("apiVersion")))
			p = jv_object_set(p, jv_string("apiVersion"),
			    jv_string(av));
		if (!jv_object_has(jv_copy(p), jv_string("kind")))
			p = jv_object_set(p, jv_string("kind"),
			    jv_string(r->kind.kind));
		if (jv_str_at(p, "metadata.name") == NULL)
			p = jv_set_at(p, "metadata.name", jv_string(r->name));
		free(av);
	}
	if (rv && r->type == PATCH_JSON) {
		p = jv_array_append(p, jv_object_set(jv_object_set(
		    jv_object_set(jv_object(), jv_string("op"),
		    jv_string("add")), jv_string("path"),
		    jv_string("/metadata/resourceVersion")),
		    jv_string("value"), jv_string(rv)));
	} else if (rv) {
		meta = jv_object_get(jv_copy(p), jv_string("metadata"));
		if (jv_get_kind(meta) != JV_KIND_OBJECT) {
			jv_free(meta);
			meta = jv_object();
		}
		meta = jv_object_set(meta, jv_string("resourceVersion"),
		    jv_string(rv));
		p = jv_object_set(p, jv_string("metadata"), meta);
	}
	text = jv_text(p);
	jv_free(p);
	return text;
}

/* 1 when the directive at obj."$retainKeys" leaves key out. */
static int
retains_not(jv obj, const char *key)
{
	jv keep = jv_object_get(jv_copy(obj), jv_string("$retainKeys"));
	int out = jv_is_valid(keep) && jv_get_kind(keep) != JV_KIND_NULL;

	if (jv_get_kind(keep) == JV_KIND_ARRAY)
		jv_array_foreach(keep, i, k) {
			(void)i;
			if (jv_get_kind(k) == JV_KIND_STRING &&
			    strcmp(jv_string_value(k), key) == 0)
				out = 0;
			jv_free(k);
		}
	jv_free(keep);
	return out;
}

static int
deletes(jv obj)
{
	const char *d = jv_get_kind(obj) == JV_KIND_OBJECT ? jv_get_str(obj,
	    "$patch") : NULL;

	return d && strcmp(d, "delete") == 0;
}

/* Why a strategic merge patch would take away the resourceVersion the
 * write carries (patch_body), so that the write would overwrite a change
 * made after the dry run; NULL when it cannot. */
static const char *
unpins(const struct run *r)
{
	jv meta;
	const char *why = NULL;

	if (r->type != PATCH_STRATEGIC)
		return NULL;	/* merge: no directives; JSON patch: last op */
	meta = jv_object_get(jv_copy(r->patch), jv_string("metadata"));
	if (deletes(r->patch) || deletes(meta))
		why = "$patch: delete";
	else if (retains_not(r->patch, "metadata") || (jv_get_kind(meta) ==
	    JV_KIND_OBJECT && retains_not(meta, "resourceVersion")))
		why = "$retainKeys";
	jv_free(meta);
	return why;
}

/* ---- the steps ---------------------------------------------------------- */

static int
api_failed(struct run *r, const char *stepname, double t0,
    const struct kerr *e, int rc)
{
	step(r, stepname, 0, t0, e->message);
	return finish(r, "failed", rc, "%s", e->message);
}

static int
get_live(struct run *r)
{
	double t0 = time_now();
	struct kerr e;
	int rc;

	jv_free(r->live);
	if ((rc = obj_get_sub(r->k, &r->kind, r->ns, r->name, r->o->sub,
	    &r->live, &e)) != 0)
		return api_failed(r, "get", t0, &e, rc);
	step(r, "get", 1, t0, NULL);
	return 0;
}

static int
send_patch(struct run *r, const char *body, int dry_run, struct kerr *e)
{
	struct patch_opts po = { .type = r->type, .dry_run = dry_run,
	    .field_manager = r->o->field_manager, .force = r->o->force,
	    .sub = r->o->sub };

	jv_free(r->answer);
	return obj_patch(r->k, &r->kind, r->ns, r->name, body, &po,
	    &r->answer, e);
}

/* The object without what the server changes on its own. */
static jv
user_view(jv obj)
{
	jv m = jv_at(obj, "metadata");

	obj = jv_object_delete(jv_copy(obj), jv_string("status"));
	if (jv_get_kind(m) == JV_KIND_OBJECT) {
		m = jv_object_delete(m, jv_string("resourceVersion"));
		m = jv_object_delete(m, jv_string("managedFields"));
		obj = jv_object_set(obj, jv_string("metadata"), m);
	} else {
		jv_free(m);
	}
	return obj;
}

/* After a 409: 1 when someone else changed the object (not only the
 * server's status bookkeeping), 0 to try again, or an error status. */
static int
changed_meanwhile(struct run *r, jv judged)
{
	double t0 = time_now();
	struct kerr e;
	jv now;
	int rc, other;

	if ((rc = obj_get_sub(r->k, &r->kind, r->ns, r->name, r->o->sub, &now,
	    &e)) != 0)
		return -api_failed(r, "get", t0, &e, rc);
	other = !jv_equal(user_view(judged), user_view(now));
	jv_free(now);
	return other;
}

static int
template_changed(jv changes)
{
	int yes = 0;

	jv_array_foreach(changes, i, c) {
		const char *p = jv_get_str(c, "path");

		(void)i;
		if (p && strncmp(p, "spec.template.", 14) == 0)
			yes = 1;
		jv_free(c);
	}
	return yes;
}

static int
finished(const struct run *r)
{
	return jv_get_str(r->rec, "result") != NULL;
}

/* dry-run and policy: 0 and not finished() to go on writing. */
static int
judge(struct run *r, const char *body, jv *changes, int *again)
{
	double t0 = time_now();
	struct kerr e;
	char *why;
	int rc;

	*again = 0;
	*changes = jv_array();
	if ((rc = send_patch(r, body, 1, &e)) != 0) {
		if (e.status == 409 && !e.field_conflict) {
			step(r, "dry-run", 0, t0, e.message);
			*again = 1;
			return rc;
		}
		return api_failed(r, "dry-run", t0, &e, rc);
	}
	step(r, "dry-run", 1, t0, NULL);
	t0 = time_now();
	jv_free(*changes);
	*changes = diff_effective(r->live, r->answer, DIFF_STATUS);
	set_changed(r, jv_copy(*changes));
	why = policy_check_changes(r->o->policy, *changes);
	step(r, "policy", why == NULL, t0, why);
	if (why) {
		finish(r, "refused", EXIT_FINDING, "%s", why);
		free(why);
		return EXIT_FINDING;
	}
	if (jv_array_length(jv_copy(*changes)) == 0)
		return finish(r, "unchanged", 0, NULL);
	if (r->o->dry_run)
		return finish(r, "dry-run", 0, NULL);
	return 0;
}

/* get → dry-run → policy → patch, again after a bookkeeping 409. */
static int
guarded_write(struct run *r, jv *changes)
{
	double t0;
	struct kerr e;
	char *body;
	int attempt, rc, again, other;

	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		if ((rc = get_live(r)) != 0)
			return rc;
		body = patch_body(r, jv_str_at(r->live,
		    "metadata.resourceVersion") ? jv_str_at(r->live,
		    "metadata.resourceVersion") : "");
		jv_free(*changes);
		rc = judge(r, body, changes, &again);
		if (rc || again || finished(r)) {
			/* Refused, unchanged, a dry run: nothing is written. */
			free(body);
			if (again)
				continue;
			return rc;
		}
		if (stopping) {
			free(body);
			return finish(r, "failed", EXIT_FINDING, "interrupted "
			    "by a signal before the write; nothing was written");
		}
		t0 = time_now();
		rc = send_patch(r, body, 0, &e);
		free(body);
		if (rc == 0) {
			step(r, "patch", 1, t0, NULL);
			return 0;
		}
		if (e.status != 409 || e.field_conflict)
			return api_failed(r, "patch", t0, &e, rc);
		step(r, "patch", 0, t0, e.message);
		if ((other = changed_meanwhile(r, r->live)) != 0)
			return other < 0 ? -other : finish(r, "failed",
			    EXIT_FINDING, "conflict: %s/%s was changed by "
			    "someone else after it was judged; nothing was "
			    "written (%s)", r->kind.resource, r->name,
			    e.message);
	}
	return finish(r, "failed", EXIT_FINDING, "conflict: %s/%s kept "
	    "changing under %d attempts; nothing was written",
	    r->kind.resource, r->name, ATTEMPTS);
}

/* Puts the previous template back, unless someone else replaced ours. */
static int
restore_template(struct run *r, jv before, jv written, struct kerr *e)
{
	struct patch_opts po = { .type = PATCH_JSON,
	    .field_manager = r->o->field_manager };
	jv cur, ops;
	char *body;
	int attempt, rc = 0;

	for (attempt = 0; attempt < ATTEMPTS * 2; attempt++) {
		if ((rc = obj_get(r->k, &r->kind, r->ns, r->name, &cur, e)) != 0)
			return rc;
		if (!jv_equal(jv_at(cur, "spec.template"), jv_copy(written))) {
			jv_free(cur);
			snprintf(e->message, sizeof e->message, "the template "
			    "was changed by someone else during the rollout; "
			    "it was not rolled back");
			return EXIT_FINDING;
		}
		ops = JV_ARRAY(jv_object_set(jv_object_set(jv_object_set(
		    jv_object(), jv_string("op"), jv_string("replace")),
		    jv_string("path"), jv_string("/spec/template")),
		    jv_string("value"), jv_copy(before)),
		    jv_object_set(jv_object_set(jv_object_set(jv_object(),
		    jv_string("op"), jv_string("add")), jv_string("path"),
		    jv_string("/metadata/resourceVersion")), jv_string("value"),
		    jv_at(cur, "metadata.resourceVersion")));
		jv_free(cur);
		body = jv_text(ops);
		jv_free(ops);
		rc = obj_patch(r->k, &r->kind, r->ns, r->name, body, &po, NULL,
		    e);
		free(body);
		if (rc == 0 || e->status != 409)
			return rc;
	}
	return rc;
}

static int
roll_back(struct run *r, jv before, const char *why)
{
	double t0 = time_now();
	jv written = jv_at(r->answer, "spec.template"), rec;
	struct kerr e;
	int rc;

	rc = restore_template(r, before, written, &e);
	jv_free(written);
	step(r, "rollback", rc == 0, t0, rc ? e.message : NULL);
	if (rc)
		return finish(r, "failed", EXIT_FINDING, "rollout failed (%s) "
		    "and rolling back failed: %s", why, e.message);
	if (stopping)
		/* Told to end: the template is back; its rollout is the
		 * controller's business now. */
		return finish(r, "rolled-back", EXIT_FINDING, "rollout failed: "
		    "%s; the previous template was put back (its rollout was "
		    "not waited for)", why);
	t0 = time_now();
	rc = rollout_wait(r->k, &r->kind, r->ns, r->name, &r->o->wopts, &rec);
	step(r, "wait-rollback", rc == 0, t0, rc ? jv_get_str(rec, "message") :
	    NULL);
	if (rc) {
		finish(r, "failed", EXIT_FINDING, "rollout failed (%s); the "
		    "previous template was restored but its rollout did not "
		    "complete: %s", why, jv_get_str(rec, "message"));
		jv_free(rec);
		return EXIT_FINDING;
	}
	jv_free(rec);
	if (obj_get(r->k, &r->kind, r->ns, r->name, &rec, &e) == 0)
		set_outcome(r, rec);	/* the revision now running */
	jv_free(rec);
	return finish(r, "rolled-back", EXIT_FINDING, "rollout failed: %s; "
	    "rolled back to the previous template", why);
}

/* The new template's rollout; rolled back when it fails. */
static int
watch_rollout(struct run *r, jv before)
{
	double t0 = time_now();
	struct wait_opts w = r->o->wopts;
	struct kerr e;
	jv rec, obj;
	int rc;

	w.stop = &stopping;
	rc = rollout_wait(r->k, &r->kind, r->ns, r->name, &w, &rec);
	step(r, "wait", rc == 0, t0, rc ? jv_get_str(rec, "message") : NULL);
	if (rc == EXIT_FINDING) {
		char why[1200];

		snprintf(why, sizeof why, "%s%s%s", jv_get_str(rec, "reason") ?
		    jv_get_str(rec, "reason") : "", jv_get_str(rec, "reason") ?
		    ": " : "", jv_get_str(rec, "message"));
		jv_free(rec);
		return roll_back(r, before, why);
	}
	if (rc == EXIT_USAGE) {
		/* A rollout kubectl cannot watch (OnDelete): the change is
		 * written and takes effect as pods are replaced. */
		rc = finish(r, "applied", 0, "not waited for: %s",
		    jv_get_str(rec, "message"));
		jv_free(rec);
		return rc;
	}
	if (rc) {
		finish(r, "failed", rc, "the patch was written, but waiting for "
		    "the rollout failed: %s", jv_get_str(rec, "message"));
		jv_free(rec);
		return rc;
	}
	jv_free(rec);
	if ((rc = obj_get(r->k, &r->kind, r->ns, r->name, &obj, &e)) != 0)
		return finish(r, "failed", rc, "the patch was written and its "
		    "rollout completed, but reading it back failed: %s",
		    e.message);
	/* A rollout that completed is ours only if the template is. */
	rc = jv_equal(jv_at(obj, "spec.template"), jv_at(r->answer,
	    "spec.template"));
	set_outcome(r, obj);
	jv_free(obj);
	if (!rc)
		return finish(r, "failed", EXIT_FINDING, "the template was "
		    "changed by someone else during the rollout: the rollout "
		    "that completed was theirs, ours was not seen to work; "
		    "theirs is left as it is");
	return finish(r, "applied", 0, NULL);
}

static int
rollable(const struct kkind *k)
{
	return strcmp(k->kind, "Deployment") == 0 ||
	    strcmp(k->kind, "StatefulSet") == 0 ||
	    strcmp(k->kind, "DaemonSet") == 0;
}

static int
guarded(struct run *r)
{
	double t0 = time_now();
	char *why = policy_check_target(r->o->policy, r->kind.kind,
	    r->kind.group, r->kind.namespaced ? r->ns : NULL);
	const char *pin;
	jv changes = jv_array(), before;
	int rc;

	step(r, "target", why == NULL, t0, why);
	if (why) {
		finish(r, "refused", EXIT_FINDING, "%s", why);
		free(why);
		return EXIT_FINDING;
	}
	if ((pin = unpins(r)) != NULL) {
		step(r, "policy", 0, t0, pin);
		return finish(r, "refused", EXIT_FINDING, "the patch's '%s' "
		    "would drop the resourceVersion that keeps the write from "
		    "overwriting someone else's change; nothing was sent", pin);
	}
	if ((rc = guarded_write(r, &changes)) != 0 || finished(r)) {
		jv_free(changes);
		return rc;
	}
	set_outcome(r, r->answer);
	if (!r->o->wait || !rollable(&r->kind) || !template_changed(changes)) {
		jv_free(changes);
		return finish(r, "applied", 0, NULL);
	}
	jv_free(changes);
	before = jv_at(r->live, "spec.template");
	rc = watch_rollout(r, before);
	jv_free(before);
	return rc;
}

/* As kubectl patch: read, patch (or dry-run), tell what changed. */
static int
unguarded(struct run *r)
{
	const char *name = r->o->dry_run ? "dry-run" : "patch";
	char *body = patch_body(r, NULL);
	double t0;
	struct kerr e;
	jv changes;
	int rc;

	if ((rc = get_live(r)) != 0) {
		free(body);
		return rc;
	}
	t0 = time_now();
	rc = send_patch(r, body, r->o->dry_run, &e);
	free(body);
	if (rc)
		return api_failed(r, name, t0, &e, rc);
	step(r, name, 1, t0, NULL);
	changes = diff_effective(r->live, r->answer, 0);
	set_outcome(r, r->answer);
	rc = jv_array_length(jv_copy(changes)) == 0;
	set_changed(r, changes);
	return finish(r, r->o->dry_run ? "dry-run" : rc ? "unchanged" :
	    "applied", 0, NULL);
}

/* The request's fields without those the result owns: a request that
 * brings its own "result" (a result fed back, or a model's text) must be
 * judged, not believed, nor its "error" or "changed" passed on as ours. */
static jv
request_fields(jv req)
{
	static const char *const own[] = { "result", "changed", "generation",
	    "revision", "error", "steps", NULL };
	size_t i;

	req = jv_copy(req);
	for (i = 0; own[i]; i++)
		req = jv_object_delete(req, jv_string(own[i]));
	return req;
}

jv
guard_apply(struct kclient *k, jv req, const struct guard_opts *o,
    int *status)
{
	struct run r;

	memset(&r, 0, sizeof r);
	r.k = k;
	r.o = o;
	r.rec = request_fields(req);
	r.steps = jv_array();
	r.live = jv_null();
	r.answer = jv_null();
	if (read_request(&r, req) == 0) {
		if (!jv_object_has(jv_copy(r.rec), jv_string("namespace")) &&
		    r.kind.namespaced)
			r.rec = jv_object_set(r.rec, jv_string("namespace"),
			    jv_string(r.ns));
		if (o->policy) {
			struct sigaction old[NSTOP];

			catch_stop(old);
			guarded(&r);
			release_stop(old);
		} else {
			unguarded(&r);
		}
	}
	r.rec = jv_object_set(r.rec, jv_string("steps"), r.steps);
	*status = r.status;
	jv_free(r.patch);
	jv_free(r.live);
	jv_free(r.answer);
	kkind_free(&r.kind);
	return r.rec;
}
