/* podhealth.h — what is wrong with a pod, in DESIGN's reason words.
 *
 * Shared by `wait` (fail fast on the new template's pods) and `failing`.
 * Reasons, in the order they are looked for:
 *   Unschedulable               PodScheduled False, reason Unschedulable
 *   ImagePullBackOff            waiting ImagePullBackOff, ErrImagePull,
 *                               InvalidImageName, ErrImageNeverPull
 *   CreateContainerConfigError  waiting CreateContainerConfigError or
 *                               CreateContainerError
 *   OOMKilled                   terminated (now or last) with OOMKilled,
 *                               and waiting or not ready, or running
 *                               again after its second or later death
 *                               less than 10 minutes ago
 *   CrashLoopBackOff            waiting CrashLoopBackOff, or running
 *                               after a recent death as above
 *   NotReady                    running but not ready (a probe failing:
 *                               `failing` calls it ProbeFailure when an
 *                               Unhealthy event says so)
 * Init containers are looked at before the others. A pod that succeeded or
 * is being deleted has no problem.
 */
#ifndef K8SPATCH_PODHEALTH_H
#define K8SPATCH_PODHEALTH_H

#include <jv.h>

struct pod_problem {
	char reason[48];	/* "" when the pod is healthy */
	char container[128];
	int restarts;		/* of that container */
	char message[512];
	double since;		/* when the trouble began (Unix s); 0 unknown */
};

/* Borrows pod. 1 with *p filled when the pod is unhealthy, else 0. */
int pod_problem(jv pod, struct pod_problem *p);

/* Crash-like reasons, judged by restarts as well as time. */
int pod_problem_crashing(const struct pod_problem *p);

#endif
