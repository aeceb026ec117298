/* podhealth.c — classifying a pod's trouble from its status. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonl.h"
#include "kutil.h"
#include "podhealth.h"
#include "timeutil.h"

static int
one_of(const char *s, const char *const *set)
{
	size_t i;

	for (i = 0; s && set[i]; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

static double
time_at(jv obj, const char *path)
{
	const char *s = jv_str_at(obj, path);
	double t;

	return s && time_parse(s, 0, &t) == 0 ? t : 0;
}

/* When the pod stopped being ready, else when it was created. */
static double
trouble_since(jv pod)
{
	jv ready = jv_condition(pod, "Ready");
	double t = time_at(ready, "lastTransitionTime");

	jv_free(ready);
	return t ? t : time_at(pod, "metadata.creationTimestamp");
}

static void
set(struct pod_problem *p, const char *reason, jv cs, const char *msg)
{
	const char *name = jv_get_str(cs, "name");
	double r;

	snprintf(p->reason, sizeof p->reason, "%s", reason);
	snprintf(p->container, sizeof p->container, "%s", name ? name : "");
	p->restarts = jv_get_num(cs, "restartCount", &r) ? (int)r : 0;
	snprintf(p->message, sizeof p->message, "%s", msg ? msg : "");
}

/*
 * A crash loop is running and even ready between two kills: the kubelet
 * restarts the container, which works until it dies again. It is still
 * the pod's problem while the last death is recent (the kubelet forgets
 * its back-off after 10 minutes of running) and not the first one.
 */
#define CRASH_MEMORY	600.0

static int
crashed_lately(jv cs)
{
	double finished = time_at(cs, "lastState.terminated.finishedAt");

	return jv_num_or(cs, "restartCount", 0) >= 2 && finished > 0 &&
	    (double)time(NULL) - finished < CRASH_MEMORY;
}

/* One container status; 1 when it names the pod's problem. */
static int
container(jv cs, struct pod_problem *p)
{
	static const char *const pull[] = { "ImagePullBackOff", "ErrImagePull",
	    "InvalidImageName", "ErrImageNeverPull", NULL };
	static const char *const config[] = { "CreateContainerConfigError",
	    "CreateContainerError", NULL };
	const char *waiting = jv_str_at(cs, "state.waiting.reason");
	const char *wmsg = jv_str_at(cs, "state.waiting.message");
	const char *term = jv_str_at(cs, "state.terminated.reason");
	const char *last = jv_str_at(cs, "lastState.terminated.reason");
	int is_ready = jv_true_at(cs, "ready"), hit = 1;

	if (one_of(waiting, pull))
		set(p, "ImagePullBackOff", cs, wmsg ? wmsg : waiting);
	else if (one_of(waiting, config))
		set(p, "CreateContainerConfigError", cs, wmsg ? wmsg : waiting);
	else if ((term && strcmp(term, "OOMKilled") == 0) || (last &&
	    strcmp(last, "OOMKilled") == 0 && (waiting || !is_ready ||
	    crashed_lately(cs))))
		set(p, "OOMKilled", cs, "the container was OOMKilled (exit "
		    "code 137): it needs more memory than its limit");
	else if (waiting && strcmp(waiting, "CrashLoopBackOff") == 0)
		set(p, "CrashLoopBackOff", cs, wmsg ? wmsg : waiting);
	else if (last && ((!is_ready && jv_num_or(cs, "restartCount", 0) > 0) ||
	    crashed_lately(cs)))
		/* Between two back-offs a crashing container runs a while. */
		set(p, "CrashLoopBackOff", cs, "restarting after it "
		    "terminated");
	else if (jv_str_at(cs, "state.running.startedAt") && !is_ready)
		set(p, "NotReady", cs, "running but not ready");
	else
		hit = 0;
	return hit;
}

static int
containers(jv pod, const char *field, struct pod_problem *p)
{
	jv list = jv_at(pod, field);
	int hit = 0;

	if (jv_get_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, cs) {
			struct pod_problem q;

			(void)i;
			memset(&q, 0, sizeof q);
			/* The first serious problem wins over NotReady. */
			if (container(cs, &q) && (!hit || (strcmp(p->reason,
			    "NotReady") == 0 && strcmp(q.reason, "NotReady")))) {
				*p = q;
				hit = 1;
			}
			jv_free(cs);
		}
	jv_free(list);
	return hit;
}

int
pod_problem(jv pod, struct pod_problem *p)
{
	jv sched = jv_condition(pod, "PodScheduled");
	const char *phase = jv_str_at(pod, "status.phase");
	const char *st = jv_get_str(sched, "status");
	const char *why = jv_get_str(sched, "reason");
	int hit = 0;

	memset(p, 0, sizeof *p);
	/* A pod being deleted (a rollout's old one, say) is on its way out:
	 * its crash is history, not the workload's present. */
	if ((phase && strcmp(phase, "Succeeded") == 0) ||
	    jv_str_at(pod, "metadata.deletionTimestamp") != NULL) {
		jv_free(sched);
		return 0;
	}
	if (st && strcmp(st, "False") == 0 && why && strcmp(why,
	    "Unschedulable") == 0) {
		snprintf(p->reason, sizeof p->reason, "Unschedulable");
		snprintf(p->message, sizeof p->message, "%s",
		    jv_get_str(sched, "message") ? jv_get_str(sched, "message") :
		    "no node fits the pod");
		p->since = time_at(sched, "lastTransitionTime");
		hit = 1;
	} else if (containers(pod, "status.initContainerStatuses", p) ||
	    containers(pod, "status.containerStatuses", p)) {
		hit = 1;
	}
	jv_free(sched);
	if (hit && p->since == 0)
		p->since = trouble_since(pod);
	return hit;
}

int
pod_problem_crashing(const struct pod_problem *p)
{
	return strcmp(p->reason, "CrashLoopBackOff") == 0 ||
	    strcmp(p->reason, "OOMKilled") == 0;
}
