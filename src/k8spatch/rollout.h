/* rollout.h — waiting for, rolling back and restarting workloads.
 *
 * wait: `kubectl rollout status` rules exactly (Deployment: observed
 * generation, updated/available replicas, ProgressDeadlineExceeded;
 * StatefulSet: ready replicas, partitions, revisions; DaemonSet: updated
 * and available pods), plus fail-fast: when a pod of the new template is
 * in CrashLoopBackOff or OOMKilled (restarted fail_restarts times, or for
 * fail_after seconds), or in ImagePullBackOff/ErrImagePull,
 * CreateContainerConfigError or Unschedulable for fail_after seconds, the
 * rollout has failed now, with that reason. The new template's pods: the
 * Deployment's ReplicaSet of that template, the StatefulSet's update
 * revision, the DaemonSet's ControllerRevision of that template (never
 * the old pods, whose failing a fix may be fixing).
 *
 * rollback: `kubectl rollout undo` semantics — a Deployment gets the JSON
 * patch kubectl sends (the ReplicaSet's template, its annotations), a
 * StatefulSet or DaemonSet its ControllerRevision's data; kubectl's
 * errors (no history, revision not found, paused) and its "skipped" when
 * the template already matches.
 *
 * restart: `kubectl rollout restart` (kubectl.kubernetes.io/restartedAt).
 */
#ifndef K8SPATCH_ROLLOUT_H
#define K8SPATCH_ROLLOUT_H

#include <signal.h>
#include <stddef.h>
#include <jv.h>

#include "client.h"
#include "kinds.h"

struct wait_opts {
	double timeout;		/* seconds; 0: none */
	double fail_after;	/* seconds; 0: no fail-fast */
	int fail_restarts;	/* restarts that fail a crashing pod */
	/* Set (by a signal handler) to give up now: the wait fails with
	 * reason "Interrupted". NULL: never. */
	const volatile sig_atomic_t *stop;
};

enum { ROLL_WAITING, ROLL_DONE, ROLL_FAILED };

/*
 * kubectl's verdict on one object (borrowed): ROLL_DONE, ROLL_WAITING or
 * ROLL_FAILED, with kubectl's message ("deployment \"x\" successfully
 * rolled out") and, when failed, a reason ("ProgressDeadlineExceeded").
 * -1 for a kind or strategy kubectl cannot watch, msg saying why.
 */
int rollout_status(jv obj, char *msg, size_t len, char *reason,
    size_t rlen);

/*
 * Waits for KIND NAME. Returns 0 complete, 1 failed or timed out, or an
 * API error's status; *rec is the record to print: {"kind", "namespace",
 * "name", "rollout": "complete|failed|timeout", "reason", "message",
 * "revision", "pods"?, "ms"}.
 */
int rollout_wait(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, const struct wait_opts *o, jv *rec);

/* Returns 0 (rolled back or skipped), 2 (kubectl's refusals) or an API
 * error's status; *rec the record to print, with "error" on failure. */
int rollout_undo(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, long to_revision, int dry_run, jv *rec);

int rollout_restart(struct kclient *k, const struct kkind *kind,
    const char *ns, const char *name, int dry_run, jv *rec);

/* The revision of a workload object: the Deployment's revision
 * annotation, a StatefulSet's updateRevision, else NULL (borrowed). */
const char *rollout_revision(jv obj);

#endif
