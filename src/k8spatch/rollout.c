/* rollout.c — kubectl rollout status/undo/restart, and fail-fast. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonl.h"
#include "kutil.h"
#include "msg.h"
#include "objects.h"
#include "podhealth.h"
#include "rollout.h"
#include "timeutil.h"

#define REVISION_ANN	"deployment.kubernetes.io/revision"
#define HASH_LABEL	"pod-template-hash"
#define REV_HASH_LABEL	"controller-revision-hash"

static int
is_kind(jv obj, const char *kind)
{
	const char *k = jv_get_str(obj, "kind");

	return k && strcmp(k, kind) == 0;
}

/* ---- kubectl's status viewers ------------------------------------------- */

static long
num(jv obj, const char *path)
{
	return (long)jv_num_or(obj, path, 0);
}

static int
deployment_status(jv d, const char *name, char *msg, size_t len,
    char *reason, size_t rlen)
{
	jv conds = jv_at(d, "status.conditions");
	long replicas = num(d, "spec.replicas"), upd, total, avail;
	int timed_out = 0, has_replicas;
	double dummy;

	if (num(d, "metadata.generation") > num(d, "status.observedGeneration")) {
		snprintf(msg, len, "Waiting for deployment spec update to be "
		    "observed...");
		jv_free(conds);
		return ROLL_WAITING;
	}
	if (jv_get_kind(conds) == JV_KIND_ARRAY)
		jv_array_foreach(conds, i, c) {
			const char *t = jv_get_str(c, "type");
			const char *r = jv_get_str(c, "reason");

			(void)i;
			if (t && r && strcmp(t, "Progressing") == 0 &&
			    strcmp(r, "ProgressDeadlineExceeded") == 0)
				timed_out = 1;
			jv_free(c);
		}
	jv_free(conds);
	if (timed_out) {
		snprintf(msg, len, "deployment \"%s\" exceeded its progress "
		    "deadline", name);
		snprintf(reason, rlen, "ProgressDeadlineExceeded");
		return ROLL_FAILED;
	}
	has_replicas = jv_num_at(d, "spec.replicas", &dummy);
	upd = num(d, "status.updatedReplicas");
	total = num(d, "status.replicas");
	avail = num(d, "status.availableReplicas");
	if (has_replicas && upd < replicas)
		snprintf(msg, len, "Waiting for deployment \"%s\" rollout to "
		    "finish: %ld out of %ld new replicas have been updated...",
		    name, upd, replicas);
	else if (total > upd)
		snprintf(msg, len, "Waiting for deployment \"%s\" rollout to "
		    "finish: %ld old replicas are pending termination...", name,
		    total - upd);
	else if (avail < upd)
		snprintf(msg, len, "Waiting for deployment \"%s\" rollout to "
		    "finish: %ld of %ld updated replicas are available...", name,
		    avail, upd);
	else {
		snprintf(msg, len, "deployment \"%s\" successfully rolled out",
		    name);
		return ROLL_DONE;
	}
	return ROLL_WAITING;
}

static int
rolling(jv obj, const char *kind, char *msg, size_t len)
{
	const char *t = jv_str_at(obj, "spec.updateStrategy.type");

	/* The API server defaults the type; an object without one is
	 * treated as it would be stored. */
	if (t && strcmp(t, "RollingUpdate") != 0) {
		snprintf(msg, len, "rollout status is only available for "
		    "RollingUpdate strategy type (%s has %s)", kind, t);
		return 0;
	}
	return 1;
}

static int
daemonset_status(jv d, const char *name, char *msg, size_t len)
{
	long desired = num(d, "status.desiredNumberScheduled");
	long upd = num(d, "status.updatedNumberScheduled");
	long avail = num(d, "status.numberAvailable");

	if (!rolling(d, "daemon set", msg, len))
		return -1;
	if (num(d, "metadata.generation") > num(d, "status.observedGeneration")) {
		snprintf(msg, len, "Waiting for daemon set spec update to be "
		    "observed...");
		return ROLL_WAITING;
	}
	if (upd < desired)
		snprintf(msg, len, "Waiting for daemon set \"%s\" rollout to "
		    "finish: %ld out of %ld new pods have been updated...", name,
		    upd, desired);
	else if (avail < desired)
		snprintf(msg, len, "Waiting for daemon set \"%s\" rollout to "
		    "finish: %ld of %ld updated pods are available...", name,
		    avail, desired);
	else {
		snprintf(msg, len, "daemon set \"%s\" successfully rolled out",
		    name);
		return ROLL_DONE;
	}
	return ROLL_WAITING;
}

static int
statefulset_status(jv s, char *msg, size_t len)
{
	long replicas = num(s, "spec.replicas"), upd, ready;
	double part;
	int has_replicas = jv_num_at(s, "spec.replicas", &part);
	const char *ur = jv_str_at(s, "status.updateRevision");
	const char *cr = jv_str_at(s, "status.currentRevision");
	jv ru = jv_at(s, "spec.updateStrategy.rollingUpdate");

	if (!rolling(s, "statefulset", msg, len)) {
		jv_free(ru);
		return -1;
	}
	upd = num(s, "status.updatedReplicas");
	ready = num(s, "status.readyReplicas");
	if (num(s, "status.observedGeneration") == 0 ||
	    num(s, "metadata.generation") > num(s, "status.observedGeneration")) {
		jv_free(ru);
		snprintf(msg, len, "Waiting for statefulset spec update to be "
		    "observed...");
		return ROLL_WAITING;
	}
	if (has_replicas && ready < replicas) {
		jv_free(ru);
		snprintf(msg, len, "Waiting for %ld pods to be ready...",
		    replicas - ready);
		return ROLL_WAITING;
	}
	if (jv_get_kind(ru) == JV_KIND_OBJECT) {
		int has_part = jv_num_at(ru, "partition", &part);

		jv_free(ru);
		if (has_replicas && has_part && upd < replicas - (long)part) {
			snprintf(msg, len, "Waiting for partitioned roll out to "
			    "finish: %ld out of %ld new pods have been "
			    "updated...", upd, replicas - (long)part);
			return ROLL_WAITING;
		}
		snprintf(msg, len, "partitioned roll out complete: %ld new pods "
		    "have been updated...", upd);
		return ROLL_DONE;
	}
	jv_free(ru);
	if (ur && (cr == NULL || strcmp(ur, cr) != 0)) {
		snprintf(msg, len, "waiting for statefulset rolling update to "
		    "complete %ld pods at revision %s...", upd, ur);
		return ROLL_WAITING;
	}
	snprintf(msg, len, "statefulset rolling update complete %ld pods at "
	    "revision %s...", num(s, "status.currentReplicas"), cr ? cr : "");
	return ROLL_DONE;
}

int
rollout_status(jv obj, char *msg, size_t len, char *reason, size_t rlen)
{
	const char *name = jv_str_at(obj, "metadata.name");

	*msg = '\0';
	*reason = '\0';
	name = name ? name : "";
	if (is_kind(obj, "Deployment"))
		return deployment_status(obj, name, msg, len, reason, rlen);
	if (is_kind(obj, "DaemonSet"))
		return daemonset_status(obj, name, msg, len);
	if (is_kind(obj, "StatefulSet"))
		return statefulset_status(obj, msg, len);
	snprintf(msg, len, "no status viewer has been implemented for %s",
	    jv_get_str(obj, "kind") ? jv_get_str(obj, "kind") : "this kind");
	return -1;
}

const char *
rollout_revision(jv obj)
{
	jv ann = jv_at(obj, "metadata.annotations");
	const char *r = jv_get_str(ann, REVISION_ANN);

	jv_free(ann);
	if (r)
		return r;
	return jv_str_at(obj, "status.updateRevision");
}

/* ---- the new template's pods -------------------------------------------- */

static int
owned_by(jv obj, const char *uid)
{
	jv refs = jv_at(obj, "metadata.ownerReferences");
	int yes = 0;

	if (jv_get_kind(refs) == JV_KIND_ARRAY)
		jv_array_foreach(refs, i, r) {
			const char *u = jv_get_str(r, "uid");

			(void)i;
			if (u && uid && strcmp(u, uid) == 0 &&
			    jv_true_at(r, "controller"))
				yes = 1;
			jv_free(r);
		}
	jv_free(refs);
	return yes;
}

/* A template without the pod-template-hash label (equalIgnoreHash). */
static jv
without_hash(jv tmpl)
{
	jv labels = jv_at(tmpl, "metadata.labels");

	if (jv_get_kind(labels) == JV_KIND_OBJECT) {
		labels = jv_object_delete(labels, jv_string(HASH_LABEL));
		if (jv_object_length(jv_copy(labels)) == 0) {
			jv m = jv_object_delete(jv_at(tmpl, "metadata"),
			    jv_string("labels"));

			jv_free(labels);
			return jv_object_set(tmpl, jv_string("metadata"), m);
		}
		return jv_set_at(tmpl, "metadata.labels", labels);
	}
	jv_free(labels);
	return tmpl;
}

static int
same_template(jv a, jv b)
{
	return jv_equal(without_hash(a), without_hash(b));
}

/* The ReplicaSets a Deployment controls (a new array). */
static int
owned_replicasets(struct kclient *k, jv d, jv *out, struct kerr *e)
{
	struct kkind rs;
	jv sel = jv_at(d, "spec.selector"), all, mine = jv_array();
	char *s = obj_selector(sel);
	const char *uid = jv_str_at(d, "metadata.uid");
	int rc;

	jv_free(sel);
	kinds_builtin("replicasets", &rs);
	rc = obj_list_all(k, &rs, jv_str_at(d, "metadata.namespace"), s, NULL,
	    &all, e);
	free(s);
	kkind_free(&rs);
	if (rc == 0)
		jv_array_foreach(all, i, r) {
			(void)i;
			if (owned_by(r, uid))
				mine = jv_array_append(mine, r);
			else
				jv_free(r);
		}
	jv_free(all);
	*out = mine;
	return rc;
}

/* The history of a workload: its ReplicaSets or ControllerRevisions. */
static int
history(struct kclient *k, jv obj, int deployment, jv *out, struct kerr *e)
{
	struct kkind cr;
	jv sel, all, mine;
	char *s;
	int rc;

	if (deployment)
		return owned_replicasets(k, obj, out, e);
	mine = jv_array();
	sel = jv_at(obj, "spec.selector");
	s = obj_selector(sel);
	jv_free(sel);
	kinds_builtin("controllerrevisions", &cr);
	rc = obj_list_all(k, &cr, jv_str_at(obj, "metadata.namespace"), s,
	    NULL, &all, e);
	free(s);
	kkind_free(&cr);
	if (rc == 0)
		jv_array_foreach(all, i, r) {
			(void)i;
			if (owned_by(r, jv_str_at(obj, "metadata.uid")))
				mine = jv_array_append(mine, r);
			else
				jv_free(r);
		}
	jv_free(all);
	*out = mine;
	return rc;
}

/* The ControllerRevision's patch without its "$patch" markers, compared
 * with the object's template. */
static int
revision_matches(jv obj, jv rev)
{
	jv want = jv_at(rev, "data.spec.template");

	if (jv_get_kind(want) == JV_KIND_OBJECT)
		want = jv_object_delete(want, jv_string("$patch"));
	return jv_equal(want, jv_at(obj, "spec.template"));
}

/* The hash of the DaemonSet's ControllerRevision for its current
 * template (what its new pods carry as controller-revision-hash), or
 * NULL when the controller has not made it yet (caller frees). */
static char *
daemonset_hash(struct kclient *k, jv ds, struct kerr *e, int *rc)
{
	static const char *const labels[] = { REV_HASH_LABEL,
	    "controller.kubernetes.io/hash", NULL };
	const char *name = jv_str_at(ds, "metadata.name");
	char *hash = NULL;
	jv hist;
	size_t i;

	*rc = history(k, ds, 0, &hist, e);
	jv_array_foreach(hist, n, rev) {
		const char *rn = jv_str_at(rev, "metadata.name");
		jv l = jv_at(rev, "metadata.labels");

		(void)n;
		for (i = 0; hash == NULL && revision_matches(ds, rev) &&
		    labels[i]; i++)
			if (jv_get_str(l, labels[i]))
				hash = xstrdup(jv_get_str(l, labels[i]));
		/* Else its name: DAEMONSET-HASH. */
		if (hash == NULL && revision_matches(ds, rev) && name && rn &&
		    strncmp(rn, name, strlen(name)) == 0 &&
		    rn[strlen(name)] == '-')
			hash = xstrdup(rn + strlen(name) + 1);
		jv_free(l);
		jv_free(rev);
	}
	jv_free(hist);
	return hash;
}

/* The selector of the new template's pods, or NULL when none exist yet. */
static char *
new_pods_selector(struct kclient *k, jv obj, struct kerr *e, int *rc)
{
	jv sel = jv_at(obj, "spec.selector"), list;
	char *base = obj_selector(sel), *out = NULL;
	const char *hash = NULL;
	struct buf b = BUF_INIT;

	jv_free(sel);
	*rc = 0;
	if (base == NULL)
		return NULL;
	if (is_kind(obj, "Deployment")) {
		jv tmpl = jv_at(obj, "spec.template");

		*rc = owned_replicasets(k, obj, &list, e);
		jv_array_foreach(list, i, r) {
			(void)i;
			if (hash == NULL && same_template(jv_at(r,
			    "spec.template"), jv_copy(tmpl))) {
				jv l = jv_at(r, "metadata.labels");

				hash = jv_get_str(l, HASH_LABEL);
				if (hash)
					buf_printf(&b, "%s,%s=%s", base,
					    HASH_LABEL, hash);
				jv_free(l);
			}
			jv_free(r);
		}
		jv_free(list);
		jv_free(tmpl);
	} else if (is_kind(obj, "StatefulSet") &&
	    (hash = jv_str_at(obj, "status.updateRevision")) != NULL) {
		buf_printf(&b, "%s,%s=%s", base, REV_HASH_LABEL, hash);
	} else if (is_kind(obj, "DaemonSet")) {
		/* Only the current revision's pods: old ones failing is what a
		 * fix may be fixing. */
		char *h = daemonset_hash(k, obj, e, rc);

		if (h)
			buf_printf(&b, "%s,%s=%s", base, REV_HASH_LABEL, h);
		free(h);
	}
	free(base);
	out = b.len ? buf_detach(&b) : NULL;
	buf_free(&b);
	return out;
}

/* Fail-fast: the first new-template pod that has failed, or 0. */
static int
failed_pod(struct kclient *k, jv obj, const struct wait_opts *o,
    double start, struct pod_problem *p, char *pod, size_t plen,
    struct kerr *e)
{
	struct kkind pods;
	char *sel;
	jv list;
	int rc, hit = 0;
	double now = time_now();

	sel = new_pods_selector(k, obj, e, &rc);
	if (rc || sel == NULL) {
		free(sel);
		return rc ? -rc : 0;
	}
	kinds_builtin("pods", &pods);
	rc = obj_list_all(k, &pods, jv_str_at(obj, "metadata.namespace"), sel,
	    NULL, &list, e);
	kkind_free(&pods);
	free(sel);
	if (rc) {
		jv_free(list);
		return -rc;
	}
	jv_array_foreach(list, i, po) {
		struct pod_problem q;
		double since;

		(void)i;
		if (!hit && pod_problem(po, &q) && strcmp(q.reason,
		    "NotReady") != 0) {
			since = q.since > 0 ? q.since : start;
			if ((pod_problem_crashing(&q) && q.restarts >=
			    o->fail_restarts) || now - since >= o->fail_after) {
				*p = q;
				snprintf(pod, plen, "%s", jv_str_at(po,
				    "metadata.name") ? jv_str_at(po,
				    "metadata.name") : "");
				hit = 1;
			}
		}
		jv_free(po);
	}
	jv_free(list);
	return hit;
}

/* ---- wait --------------------------------------------------------------- */

static jv
wait_record(const struct kkind *kind, const char *ns, const char *name,
    const char *state, const char *reason, const char *message, jv obj,
    double ms)
{
	jv r = jv_object();
	const char *rev = jv_is_valid(obj) ? rollout_revision(obj) : NULL;

	r = jv_object_set(r, jv_string("kind"), jv_string(kind->kind));
	r = jv_object_set(r, jv_string("namespace"), jv_string(ns));
	r = jv_object_set(r, jv_string("name"), jv_string(name));
	r = jv_object_set(r, jv_string("rollout"), jv_string(state));
	if (reason && *reason)
		r = jv_object_set(r, jv_string("reason"), jv_string(reason));
	r = jv_object_set(r, jv_string("message"), jv_string(message));
	if (rev)
		r = jv_object_set(r, jv_string("revision"), jv_string(rev));
	return jv_object_set(r, jv_string("ms"), jv_number((double)(long)ms));
}

/* Sleeps, unless told to stop (a signal interrupts the sleep). */
static void
nap(double sec, const volatile sig_atomic_t *stop)
{
	struct timespec ts;

	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
	while (!(stop && *stop) && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Gives up when the time is out or a signal said so: EXIT_FINDING with
 * *rec, else 0. */
static int
give_up(const struct wait_opts *o, double start, const char *msg,
    const struct kkind *kind, const char *ns, const char *name, jv obj,
    jv *rec)
{
	char text[1600];

	if (o->stop && *o->stop) {
		snprintf(text, sizeof text, "interrupted before the rollout "
		    "completed: %s", msg);
		*rec = wait_record(kind, ns, name, "failed", "Interrupted",
		    text, obj, (time_now() - start) * 1e3);
		return EXIT_FINDING;
	}
	if (o->timeout > 0 && time_now() - start >= o->timeout) {
		snprintf(text, sizeof text, "timed out after %gs: %s",
		    o->timeout, msg);
		*rec = wait_record(kind, ns, name, "timeout", "Timeout", text,
		    obj, (time_now() - start) * 1e3);
		return EXIT_FINDING;
	}
	return 0;
}

int
rollout_wait(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, const struct wait_opts *o, jv *rec)
{
	double start = time_now(), poll = 0.1;
	char msg[512], reason[64], pod[256], text[1600];
	struct pod_problem p;
	struct kerr e;
	jv obj = jv_invalid();
	int st, rc;

	for (;;) {
		jv_free(obj);
		if ((rc = obj_get(k, kind, ns, name, &obj, &e)) != 0) {
			*rec = wait_record(kind, ns, name, "error", "",
			    e.message, jv_invalid(), (time_now() - start) * 1e3);
			return rc;
		}
		st = rollout_status(obj, msg, sizeof msg, reason, sizeof reason);
		if (st < 0) {
			*rec = wait_record(kind, ns, name, "error", "", msg,
			    jv_invalid(), (time_now() - start) * 1e3);
			jv_free(obj);
			return EXIT_USAGE;
		}
		if (st == ROLL_DONE || st == ROLL_FAILED)
			break;
		if (o->fail_after > 0 && (rc = failed_pod(k, obj, o, start, &p,
		    pod, sizeof pod, &e)) != 0) {
			if (rc < 0) {
				*rec = wait_record(kind, ns, name, "error", "",
				    e.message, obj, (time_now() - start) * 1e3);
				jv_free(obj);
				return -rc;
			}
			snprintf(reason, sizeof reason, "%s", p.reason);
			snprintf(text, sizeof text, "pod %s container %s: %s "
			    "(%d restarts): %s", pod, p.container, p.reason,
			    p.restarts, p.message);
			*rec = wait_record(kind, ns, name, "failed", reason,
			    text, obj, (time_now() - start) * 1e3);
			jv_free(obj);
			return EXIT_FINDING;
		}
		if ((rc = give_up(o, start, msg, kind, ns, name, obj, rec))) {
			jv_free(obj);
			return rc;
		}
		nap(poll, o->stop);
		poll = poll * 1.5 > 2 ? 2 : poll * 1.5;
	}
	*rec = wait_record(kind, ns, name, st == ROLL_DONE ? "complete" :
	    "failed", reason, msg, obj, (time_now() - start) * 1e3);
	jv_free(obj);
	return st == ROLL_DONE ? 0 : EXIT_FINDING;
}

/* ---- undo --------------------------------------------------------------- */

static jv
undo_record(const struct kkind *kind, const char *ns, const char *name,
    const char *result, const char *message)
{
	jv r = jv_object();

	r = jv_object_set(r, jv_string("kind"), jv_string(kind->kind));
	r = jv_object_set(r, jv_string("namespace"), jv_string(ns));
	r = jv_object_set(r, jv_string("name"), jv_string(name));
	r = jv_object_set(r, jv_string("result"), jv_string(result));
	return jv_object_set(r, jv_string(strcmp(result, "failed") == 0 ?
	    "error" : "message"), jv_string(message));
}

static long
revision_of(jv obj, int deployment)
{
	const char *s;
	char *end;
	long v;

	if (!deployment)
		return (long)jv_num_or(obj, "revision", -1);
	s = jv_str_at(obj, "metadata.annotations." REVISION_ANN);
	if (s == NULL) {
		jv ann = jv_at(obj, "metadata.annotations");

		s = jv_get_str(ann, REVISION_ANN);
		jv_free(ann);
	}
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end ? -1 : v;
}

/*
 * kubectl's choice from a history (ReplicaSets or ControllerRevisions):
 * to_revision > 0 that revision, else the second newest. NULL with why.
 */
static jv
pick_revision(jv history, long to_revision, int deployment, const char **why)
{
	jv latest = jv_null(), previous = jv_null(), found = jv_null();
	long lrev = -1, prev = -1;

	*why = NULL;
	jv_array_foreach(history, i, h) {
		long v = revision_of(h, deployment);

		(void)i;
		if (v < 0) {
			jv_free(h);
			continue;
		}
		if (to_revision > 0 && v == to_revision &&
		    jv_get_kind(found) == JV_KIND_NULL) {
			jv_free(found);
			found = jv_copy(h);
		}
		if (lrev < v) {
			jv_free(previous);
			previous = latest;
			prev = lrev;
			latest = jv_copy(h);
			lrev = v;
		} else if (prev < v) {
			jv_free(previous);
			previous = jv_copy(h);
			prev = v;
		}
		jv_free(h);
	}
	jv_free(latest);
	if (to_revision > 0) {
		jv_free(previous);
		if (jv_get_kind(found) == JV_KIND_NULL)
			*why = "unable to find specified revision in history";
		return found;
	}
	jv_free(found);
	if (jv_get_kind(previous) == JV_KIND_NULL)
		*why = deployment ? "no rollout history found" :
		    "no last revision to roll back to";
	return previous;
}

/* Annotations kubectl keeps from the Deployment, not the ReplicaSet. */
static int
skip_annotation(const char *k)
{
	static const char *const skip[] = {
		"kubectl.kubernetes.io/last-applied-configuration",
		REVISION_ANN, "deployment.kubernetes.io/revision-history",
		"deployment.kubernetes.io/desired-replicas",
		"deployment.kubernetes.io/max-replicas",
		"deprecated.deployment.rollback.to", NULL };
	size_t i;

	for (i = 0; skip[i]; i++)
		if (strcmp(k, skip[i]) == 0)
			return 1;
	return 0;
}

/* kubectl's JSON patch: the ReplicaSet's template (hash label removed)
 * and the merged annotations. */
static char *
deployment_undo_patch(jv d, jv rs)
{
	jv tmpl = jv_at(rs, "spec.template"), labels, ann = jv_object(), v;
	jv dann = jv_at(d, "metadata.annotations");
	jv rann = jv_at(rs, "metadata.annotations");
	char *text;

	labels = jv_at(tmpl, "metadata.labels");
	if (jv_get_kind(labels) == JV_KIND_OBJECT)
		tmpl = jv_set_at(tmpl, "metadata.labels",
		    jv_object_delete(labels, jv_string(HASH_LABEL)));
	else
		jv_free(labels);
	if (jv_get_kind(dann) == JV_KIND_OBJECT)
		jv_object_foreach(dann, key, val) {
			if (skip_annotation(jv_string_value(key)))
				ann = jv_object_set(ann, jv_copy(key), val);
			else
				jv_free(val);
			jv_free(key);
		}
	if (jv_get_kind(rann) == JV_KIND_OBJECT)
		jv_object_foreach(rann, key, val) {
			if (!skip_annotation(jv_string_value(key)))
				ann = jv_object_set(ann, jv_copy(key), val);
			else
				jv_free(val);
			jv_free(key);
		}
	jv_free(dann);
	jv_free(rann);
	v = JV_ARRAY(
	    jv_object_set(jv_object_set(jv_object_set(jv_object(),
	    jv_string("op"), jv_string("replace")), jv_string("path"),
	    jv_string("/spec/template")), jv_string("value"), tmpl),
	    jv_object_set(jv_object_set(jv_object_set(jv_object(),
	    jv_string("op"), jv_string("replace")), jv_string("path"),
	    jv_string("/metadata/annotations")), jv_string("value"), ann));
	text = jv_text(v);
	jv_free(v);
	return text;
}

static int
undo_write(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, jv obj, jv rev, int deployment, int dry_run,
    struct kerr *e)
{
	struct patch_opts po = { .dry_run = dry_run };
	char *body;
	int rc;

	if (deployment) {
		po.type = PATCH_JSON;
		body = deployment_undo_patch(obj, rev);
	} else {
		jv data = jv_at(rev, "data");

		po.type = PATCH_STRATEGIC;
		body = jv_text(data);
		jv_free(data);
	}
	rc = obj_patch(k, kind, ns, name, body, &po, NULL, e);
	free(body);
	return rc;
}

/* The workload and its history, refused as kubectl refuses: a kind
 * without a rollbacker, a paused Deployment. 0, or the exit status with
 * msg set. */
static int
undo_history(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, jv *obj, jv *hist, char *msg, size_t len)
{
	int deployment = strcmp(kind->kind, "Deployment") == 0, rc;
	char *q;
	struct kerr e;

	*obj = jv_null();
	*hist = jv_null();
	if (!deployment && strcmp(kind->kind, "StatefulSet") != 0 &&
	    strcmp(kind->kind, "DaemonSet") != 0) {
		snprintf(msg, len, "no rollbacker has been implemented for %s",
		    kind->kind);
		return EXIT_USAGE;
	}
	if ((rc = obj_get(k, kind, ns, name, obj, &e)) != 0 ||
	    (rc = history(k, *obj, deployment, hist, &e)) != 0) {
		snprintf(msg, len, "%s", e.message);
		return rc;
	}
	if (deployment && jv_true_at(*obj, "spec.paused")) {
		q = kinds_qualified(kind);
		snprintf(msg, len, "you cannot rollback a paused deployment; "
		    "resume it first with 'kubectl rollout resume %s/%s' and "
		    "try again", q, name);
		free(q);
		return EXIT_USAGE;
	}
	return 0;
}

int
rollout_undo(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, long to_revision, int dry_run, jv *rec)
{
	int deployment = strcmp(kind->kind, "Deployment") == 0, rc;
	char *q = kinds_qualified(kind), msg[1200];
	const char *why;
	struct kerr e;
	jv obj, hist, rev = jv_null();

	if ((rc = undo_history(k, kind, ns, name, &obj, &hist, msg,
	    sizeof msg)) != 0)
		goto fail;
	rev = pick_revision(hist, to_revision, deployment, &why);
	if (why) {
		snprintf(msg, sizeof msg, "%s%s%s", why, deployment &&
		    to_revision == 0 ? " for deployment " : "", deployment &&
		    to_revision == 0 ? name : "");
		rc = EXIT_USAGE;
		goto fail;
	}
	if (deployment ? same_template(jv_at(rev, "spec.template"),
	    jv_at(obj, "spec.template")) : revision_matches(obj, rev)) {
		snprintf(msg, sizeof msg, "%s/%s skipped rollback (current "
		    "template already matches revision %ld)", q, name,
		    revision_of(rev, deployment));
		*rec = undo_record(kind, ns, name, "skipped", msg);
		goto out;
	}
	if ((rc = undo_write(k, kind, ns, name, obj, rev, deployment, dry_run,
	    &e)) != 0) {
		snprintf(msg, sizeof msg, "%s", e.message);
		goto fail;
	}
	snprintf(msg, sizeof msg, "%s/%s rolled back%s", q, name,
	    dry_run ? " (server dry run)" : "");
	*rec = jv_object_set(undo_record(kind, ns, name, dry_run ? "dry-run" :
	    "rolled-back", msg), jv_string("revision"), jv_number((double)
	    revision_of(rev, deployment)));
	goto out;
fail:
	*rec = undo_record(kind, ns, name, "failed", msg);
out:
	free(q);
	jv_free(obj);
	jv_free(hist);
	jv_free(rev);
	return rc;
}

/* ---- restart ------------------------------------------------------------ */

int
rollout_restart(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, int dry_run, jv *rec)
{
	struct patch_opts po = { .type = PATCH_STRATEGIC, .dry_run = dry_run,
	    .field_manager = "kubectl-rollout" };
	char now[64], body[256], msg[1200], *q = kinds_qualified(kind);
	struct kerr e;
	jv obj = jv_null();
	int rc;

	time_format((double)(long)time_now(), now, sizeof now);
	if (strcmp(kind->kind, "Deployment") != 0 &&
	    strcmp(kind->kind, "StatefulSet") != 0 &&
	    strcmp(kind->kind, "DaemonSet") != 0) {
		snprintf(msg, sizeof msg, "%s/%s: restarting is not supported",
		    q, name);
		rc = EXIT_USAGE;
	} else if ((rc = obj_get(k, kind, ns, name, &obj, &e)) != 0) {
		snprintf(msg, sizeof msg, "%s", e.message);
	} else if (jv_true_at(obj, "spec.paused")) {
		snprintf(msg, sizeof msg, "can't restart paused deployment "
		    "(run rollout resume first)");
		rc = EXIT_USAGE;
	} else {
		snprintf(body, sizeof body, "{\"spec\":{\"template\":{\"metadata"
		    "\":{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\""
		    ":\"%s\"}}}}}", now);
		if ((rc = obj_patch(k, kind, ns, name, body, &po, NULL, &e)) != 0)
			snprintf(msg, sizeof msg, "%s", e.message);
		else
			snprintf(msg, sizeof msg, "%s/%s restarted%s", q, name,
			    dry_run ? " (server dry run)" : "");
	}
	*rec = undo_record(kind, ns, name, rc ? "failed" : dry_run ?
	    "dry-run" : "restarted", msg);
	if (rc == 0)
		*rec = jv_object_set(*rec, jv_string("restartedAt"),
		    jv_string(now));
	jv_free(obj);
	free(q);
	return rc;
}
