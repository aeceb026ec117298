/* failing.c — unhealthy workloads as failing-workload records. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failing.h"
#include "jsonl.h"
#include "kinds.h"
#include "kutil.h"
#include "msg.h"
#include "objects.h"
#include "podhealth.h"
#include "timeutil.h"

struct scan {
	struct kclient *k;
	const struct failing_opts *o;
	jv rs_owner;		/* "ns/rs" → {"kind", "name"} of its owner */
	jv groups;		/* "Kind/ns/name" → record being built */
	jv notready;		/* pods running but not ready: candidates */
	jv events;		/* ns → that namespace's Warning events */
};

void
failing_fingerprint(const char *cluster, const char *kind, const char *ns,
    const char *name, const char *reason, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	struct buf b = BUF_INIT;

	/* NUL-separated: no field can run into the next one. */
	buf_add(&b, cluster, strlen(cluster) + 1);
	buf_add(&b, kind, strlen(kind) + 1);
	buf_add(&b, ns, strlen(ns) + 1);
	buf_add(&b, name, strlen(name) + 1);
	buf_add(&b, reason, strlen(reason));
	if (!EVP_Digest(b.p, b.len, md, &n, EVP_sha256(), NULL))
		msg_die(EXIT_LOCAL, "sha256 failed");
	for (i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	buf_free(&b);
}

static jv
kind_name(const char *kind, const char *name)
{
	return jv_object_set(jv_object_set(jv_object(), jv_string("kind"),
	    jv_string(kind)), jv_string("name"), jv_string(name));
}

/* The controller owner of obj as {"kind","name"}, else null. */
static jv
controller(jv obj)
{
	jv refs = jv_at(obj, "metadata.ownerReferences"), found = jv_null();

	if (jv_get_kind(refs) == JV_KIND_ARRAY)
		jv_array_foreach(refs, i, r) {
			(void)i;
			if (jv_get_kind(found) == JV_KIND_NULL &&
			    jv_true_at(r, "controller") && jv_get_str(r,
			    "kind") && jv_get_str(r, "name")) {
				jv_free(found);
				found = kind_name(jv_get_str(r, "kind"),
				    jv_get_str(r, "name"));
			}
			jv_free(r);
		}
	jv_free(refs);
	return found;
}

static int
list(struct scan *s, const char *resource, const char *labels,
    const char *fields, const char *ns, jv *out)
{
	struct kkind kind;
	struct kerr e;
	int rc;

	kinds_builtin(resource, &kind);
	rc = obj_list_all(s->k, &kind, ns, labels, fields, out, &e);
	kkind_free(&kind);
	if (rc)
		msg_warn("listing %s: %s", resource, e.message);
	return rc;
}

static int
load_replicasets(struct scan *s)
{
	jv all;
	int rc = list(s, "replicasets", NULL, NULL, s->o->namespace, &all);

	if (rc)
		return rc;
	jv_array_foreach(all, i, r) {
		char key[512];
		jv owner = controller(r);

		(void)i;
		snprintf(key, sizeof key, "%s/%s", jv_str_at(r,
		    "metadata.namespace"), jv_str_at(r, "metadata.name"));
		if (jv_get_kind(owner) == JV_KIND_NULL) {
			jv_free(owner);
			owner = kind_name("ReplicaSet", jv_str_at(r,
			    "metadata.name"));
		}
		s->rs_owner = jv_object_set(s->rs_owner, jv_string(key), owner);
		jv_free(r);
	}
	jv_free(all);
	return 0;
}

/* The top owner of a pod: Deployment via its ReplicaSet, else the
 * controller, else the pod itself. */
static jv
top_owner(struct scan *s, jv pod)
{
	jv owner = controller(pod);
	const char *kind = jv_get_str(owner, "kind");
	char key[512];

	if (jv_get_kind(owner) == JV_KIND_NULL) {
		jv_free(owner);
		return kind_name("Pod", jv_str_at(pod, "metadata.name"));
	}
	if (strcmp(kind, "ReplicaSet") == 0) {
		jv up;

		snprintf(key, sizeof key, "%s/%s", jv_str_at(pod,
		    "metadata.namespace"), jv_get_str(owner, "name"));
		up = jv_object_get(jv_copy(s->rs_owner), jv_string(key));
		if (jv_is_valid(up)) {
			jv_free(owner);
			return up;
		}
		jv_free(up);
	}
	return owner;
}

static jv
new_record(const char *kind, const char *ns, const char *name,
    const char *reason)
{
	jv r = jv_object();

	r = jv_object_set(r, jv_string("kind"), jv_string(kind));
	r = jv_object_set(r, jv_string("namespace"), jv_string(ns));
	r = jv_object_set(r, jv_string("name"), jv_string(name));
	r = jv_object_set(r, jv_string("reason"), jv_string(reason));
	/* DESIGN's field order, filled in as the pods are seen. */
	r = jv_object_set(r, jv_string("container"), jv_string(""));
	r = jv_object_set(r, jv_string("restarts"), jv_number(0));
	r = jv_object_set(r, jv_string("since"), jv_null());
	r = jv_object_set(r, jv_string("message"), jv_string(""));
	r = jv_object_set(r, jv_string("pods"), jv_array());
	return r;
}

static void
add_pod(struct scan *s, jv pod, const struct pod_problem *p)
{
	jv owner = top_owner(s, pod), rec;
	const char *ns = jv_str_at(pod, "metadata.namespace");
	char key[768], since[64];
	double t, r;

	snprintf(key, sizeof key, "%s/%s/%s", jv_get_str(owner, "kind"), ns,
	    jv_get_str(owner, "name"));
	rec = jv_object_get(jv_copy(s->groups), jv_string(key));
	if (!jv_is_valid(rec)) {
		jv_free(rec);
		rec = new_record(jv_get_str(owner, "kind"), ns,
		    jv_get_str(owner, "name"), p->reason);
		rec = jv_object_set(rec, jv_string("container"),
		    jv_string(p->container));
		rec = jv_object_set(rec, jv_string("message"),
		    jv_string(p->message));
	}
	if (jv_get_num(rec, "restarts", &r) && p->restarts > r &&
	    strcmp(jv_get_str(rec, "reason"), p->reason) == 0)
		rec = jv_object_set(rec, jv_string("restarts"),
		    jv_number(p->restarts));
	if (p->since > 0 && (jv_get_str(rec, "since") == NULL || (time_parse(
	    jv_get_str(rec, "since"), 0, &t) == 0 && p->since < t))) {
		time_format(p->since, since, sizeof since);
		rec = jv_object_set(rec, jv_string("since"), jv_string(since));
	}
	rec = jv_object_set(rec, jv_string("pods"), jv_array_append(
	    jv_object_get(jv_copy(rec), jv_string("pods")),
	    jv_string(jv_str_at(pod, "metadata.name"))));
	s->groups = jv_object_set(s->groups, jv_string(key), rec);
	jv_free(owner);
}

static int
scan_pods(struct scan *s)
{
	jv pods;
	int rc = list(s, "pods", s->o->selector, NULL, s->o->namespace, &pods);

	if (rc)
		return rc;
	jv_array_foreach(pods, i, pod) {
		struct pod_problem p;

		(void)i;
		if (pod_problem(pod, &p)) {
			if (strcmp(p.reason, "NotReady") == 0)
				s->notready = jv_array_append(s->notready,
				    jv_copy(pod));
			else
				add_pod(s, pod, &p);
		}
		jv_free(pod);
	}
	jv_free(pods);
	return 0;
}

/* ---- events ------------------------------------------------------------- */

static jv
ns_events(struct scan *s, const char *ns)
{
	jv ev = jv_object_get(jv_copy(s->events), jv_string(ns));

	if (jv_is_valid(ev))
		return ev;
	jv_free(ev);
	if (list(s, "events", NULL, "type=Warning", ns, &ev) != 0)
		ev = jv_array();
	s->events = jv_object_set(s->events, jv_string(ns), jv_copy(ev));
	return ev;
}

static double
event_time(jv ev)
{
	static const char *const fields[] = { "lastTimestamp", "eventTime",
	    "firstTimestamp", "metadata.creationTimestamp", NULL };
	double t;
	size_t i;

	for (i = 0; fields[i]; i++) {
		const char *v = jv_str_at(ev, fields[i]);

		if (v && time_parse(v, 0, &t) == 0)
			return t;
	}
	return 0;
}

/* Does the event concern one of names (a jv object used as a set)? */
static int
about(jv ev, jv names)
{
	const char *n = jv_str_at(ev, "involvedObject.name");

	return n && jv_object_has(jv_copy(names), jv_string(n));
}

static jv
event_summary(jv ev)
{
	jv e = jv_object();
	double count = jv_num_or(ev, "count", 1), t = event_time(ev);
	char last[64];

	e = jv_object_set(e, jv_string("reason"), jv_string(jv_str_at(ev,
	    "reason") ? jv_str_at(ev, "reason") : ""));
	e = jv_object_set(e, jv_string("message"), jv_string(jv_str_at(ev,
	    "message") ? jv_str_at(ev, "message") : ""));
	e = jv_object_set(e, jv_string("count"), jv_number(count));
	if (t > 0) {
		time_format(t, last, sizeof last);
		e = jv_object_set(e, jv_string("last"), jv_string(last));
	}
	return e;
}

/* The workload's recent Warning events, newest first. */
static jv
events_for(struct scan *s, jv rec, jv names)
{
	jv all = ns_events(s, jv_get_str(rec, "namespace")), mine = jv_array();
	jv out = jv_array();
	int n, i;

	jv_array_foreach(all, i_, ev) {
		(void)i_;
		if (about(ev, names))
			mine = jv_array_append(mine, JV_ARRAY(jv_number(
			    -event_time(ev)), ev));
		else
			jv_free(ev);
	}
	jv_free(all);
	mine = jv_sort(mine, jv_copy(mine));
	n = jv_array_length(jv_copy(mine));
	for (i = 0; i < n && i < s->o->max_events; i++) {
		jv ev = jv_array_get(jv_array_get(jv_copy(mine), i), 1);

		out = jv_array_append(out, event_summary(ev));
		jv_free(ev);
	}
	jv_free(mine);
	return out;
}

/* Names whose events belong to the record: the workload, its pods, and
 * for a Deployment its ReplicaSets. */
static jv
names_of(struct scan *s, jv rec)
{
	jv names = jv_object_set(jv_object(), jv_string(jv_get_str(rec,
	    "name")), jv_true());
	jv pods = jv_object_get(jv_copy(rec), jv_string("pods"));
	const char *ns = jv_get_str(rec, "namespace");
	size_t nl = strlen(ns);

	jv_array_foreach(pods, i, p) {
		(void)i;
		names = jv_object_set(names, p, jv_true());
	}
	jv_free(pods);
	jv_object_foreach(s->rs_owner, key, owner) {
		const char *k = jv_string_value(key);

		if (strncmp(k, ns, nl) == 0 && k[nl] == '/' && strcmp(
		    jv_get_str(owner, "name"), jv_get_str(rec, "name")) == 0)
			names = jv_object_set(names, jv_string(k + nl + 1),
			    jv_true());
		jv_free(key);
		jv_free(owner);
	}
	return names;
}

/* ---- workload-level reasons --------------------------------------------- */

/* The condition of this type when it has this status, else null. */
static jv
condition(jv obj, const char *type, const char *status)
{
	jv c = jv_condition(obj, type);
	const char *st = jv_get_str(c, "status");

	if (st == NULL || strcmp(st, status) != 0) {
		jv_free(c);
		return jv_null();
	}
	return c;
}

static void
add_workload(struct scan *s, jv obj, const char *kind, const char *reason,
    jv cond)
{
	const char *ns = jv_str_at(obj, "metadata.namespace");
	const char *name = jv_str_at(obj, "metadata.name");
	char key[768];
	jv rec;

	snprintf(key, sizeof key, "%s/%s/%s", kind, ns, name);
	if (jv_object_has(jv_copy(s->groups), jv_string(key)))
		return;	/* its pods already tell more */
	rec = new_record(kind, ns, name, reason);
	rec = jv_object_set(rec, jv_string("message"), jv_string(
	    jv_get_str(cond, "message") ? jv_get_str(cond, "message") : ""));
	if (jv_get_str(cond, "lastTransitionTime"))
		rec = jv_object_set(rec, jv_string("since"), jv_string(
		    jv_get_str(cond, "lastTransitionTime")));
	s->groups = jv_object_set(s->groups, jv_string(key), rec);
}

static int
scan_workloads(struct scan *s)
{
	jv deps, jobs;
	int rc;

	/* With -l, the workloads labelled so, as their pods are. */
	if ((rc = list(s, "deployments", s->o->selector, NULL,
	    s->o->namespace, &deps)))
		return rc;
	jv_array_foreach(deps, i, d) {
		jv c = condition(d, "Progressing", "False");
		const char *why = jv_get_str(c, "reason");

		(void)i;
		if (why && strcmp(why, "ProgressDeadlineExceeded") == 0) {
			add_workload(s, d, "Deployment", why, c);
		} else {
			jv_free(c);
			c = condition(d, "Available", "False");
			if (jv_get_kind(c) == JV_KIND_OBJECT)
				add_workload(s, d, "Deployment",
				    "ReplicasUnavailable", c);
		}
		jv_free(c);
		jv_free(d);
	}
	jv_free(deps);
	if ((rc = list(s, "jobs", s->o->selector, NULL, s->o->namespace,
	    &jobs)))
		return rc;
	jv_array_foreach(jobs, i, j) {
		jv c = condition(j, "Failed", "True");

		(void)i;
		if (jv_get_kind(c) == JV_KIND_OBJECT)
			add_workload(s, j, "Job", "JobFailed", c);
		jv_free(c);
		jv_free(j);
	}
	jv_free(jobs);
	return 0;
}

/* Not-ready pods become ProbeFailure when an Unhealthy event says so. */
static void
confirm_probes(struct scan *s)
{
	jv_array_foreach(s->notready, i, pod) {
		jv evs = ns_events(s, jv_str_at(pod, "metadata.namespace"));
		int unhealthy = 0;
		struct pod_problem p;

		(void)i;
		jv_array_foreach(evs, k, ev) {
			const char *r = jv_str_at(ev, "reason");
			const char *n = jv_str_at(ev, "involvedObject.name");

			(void)k;
			if (r && n && strcmp(r, "Unhealthy") == 0 &&
			    strcmp(n, jv_str_at(pod, "metadata.name")) == 0)
				unhealthy = 1;
			jv_free(ev);
		}
		jv_free(evs);
		if (unhealthy && pod_problem(pod, &p)) {
			snprintf(p.reason, sizeof p.reason, "ProbeFailure");
			snprintf(p.message, sizeof p.message, "a probe is "
			    "failing: the container runs but is not ready");
			add_pod(s, pod, &p);
		}
		jv_free(pod);
	}
}

/* ---- logs and the finished record --------------------------------------- */

static char *
log_tail(struct scan *s, const char *ns, const char *pod,
    const char *container)
{
	struct buf path = BUF_INIT;
	struct kerr e;
	char n[32], *text = NULL;
	int prev;

	snprintf(n, sizeof n, "%d", s->o->log_lines);
	for (prev = 1; prev >= 0 && text == NULL; prev--) {
		buf_reset(&path);
		buf_printf(&path, "/api/v1/namespaces/%s/pods/%s/log", ns, pod);
		kc_query(&path, "container", container);
		kc_query(&path, "tailLines", n);
		if (prev)
			kc_query(&path, "previous", "true");
		if (kc_text(s->k, path.p, &text, &e) != 0)
			text = NULL;
	}
	buf_free(&path);
	return text;
}

static jv
complete(struct scan *s, jv rec)
{
	static const char *const ran[] = { "CrashLoopBackOff", "OOMKilled",
	    "ProbeFailure", NULL };
	const char *reason = jv_get_str(rec, "reason");
	const char *container = jv_get_str(rec, "container");
	jv names = names_of(s, rec), pod;
	char hex[65], *logs = NULL;
	size_t i;

	rec = jv_object_set(rec, jv_string("events"), events_for(s, rec,
	    names));
	jv_free(names);
	for (i = 0; ran[i] && strcmp(ran[i], reason); i++)
		;
	pod = jv_array_get(jv_object_get(jv_copy(rec), jv_string("pods")), 0);
	if (ran[i] && container && *container && s->o->log_lines > 0 &&
	    jv_get_kind(pod) == JV_KIND_STRING)
		logs = log_tail(s, jv_get_str(rec, "namespace"),
		    jv_string_value(pod), container);
	jv_free(pod);
	if (logs) {
		rec = jv_object_set(rec, jv_string("logs"), jv_string(logs));
		free(logs);
	}
	if (jv_get_str(rec, "since") == NULL)
		rec = jv_object_delete(rec, jv_string("since"));
	failing_fingerprint(s->k->cluster, jv_get_str(rec, "kind"),
	    jv_get_str(rec, "namespace"), jv_get_str(rec, "name"),
	    jv_get_str(rec, "reason"), hex);
	return jv_object_set(rec, jv_string("fingerprint"), jv_string(hex));
}

int
failing_scan(struct kclient *k, const struct failing_opts *o,
    failing_fn emit, void *ctx)
{
	struct scan s = { .k = k, .o = o };
	jv keys;
	int rc;

	s.rs_owner = jv_object();
	s.groups = jv_object();
	s.notready = jv_array();
	s.events = jv_object();
	/* Pods first: a workload's own status says less than its pods. */
	if ((rc = load_replicasets(&s)) == 0 && (rc = scan_pods(&s)) == 0 &&
	    (confirm_probes(&s), rc = scan_workloads(&s)) == 0) {
		keys = jv_keys(jv_copy(s.groups));	/* sorted: stable */
		jv_array_foreach(keys, i, key) {
			(void)i;
			if (rc == 0)
				rc = emit(ctx, complete(&s, jv_object_get(
				    jv_copy(s.groups), jv_copy(key))));
			jv_free(key);
		}
		jv_free(keys);
	}
	jv_free(s.rs_owner);
	jv_free(s.groups);
	jv_free(s.notready);
	jv_free(s.events);
	return rc;
}
