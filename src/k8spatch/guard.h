/* guard.h — applying a patch request, guarded by a policy.
 *
 * Without a policy a patch is applied as `kubectl patch` applies it (the
 * live object is read first so the result can say what changed). With
 * one, every step is recorded in the result's "steps":
 *
 *   target     the kind and namespace are allowed
 *   get        the live object
 *   dry-run    the exact patch, carrying the live resourceVersion, with
 *              dryRun=All; its answer minus the live object is the
 *              effective change (diff.h)
 *   policy     every changed path allowed, none denied, limits held,
 *              images from allowed registries; refused → nothing written
 *              (--dry-run stops here)
 *   patch      the same patch for real: a change made meanwhile by someone
 *              else makes it fail with 409 and is never overwritten
 *   wait       when the pod template changed: the rollout, failing fast
 *   rollback   on failure: the exact previous template put back
 *   wait-rollback  the rollback's own rollout
 *
 * A SIGTERM, SIGINT or SIGHUP meanwhile (a CronJob past its deadline)
 * stops the run: before the write, nothing is written; during the wait,
 * the rollout has failed ("Interrupted") and the previous template is put
 * back, its rollout not waited for.
 *
 * A 409 caused only by the server's own bookkeeping (status updates
 * between our read and our write) is retried from "get" a few times; a
 * 409 after a change to anything but status is a conflict.
 */
#ifndef K8SPATCH_GUARD_H
#define K8SPATCH_GUARD_H

#include <jv.h>

#include "client.h"
#include "policy.h"
#include "rollout.h"

struct guard_opts {
	const struct policy *policy;	/* NULL: unguarded */
	const char *namespace;		/* for requests without one */
	int dry_run;
	const char *field_manager;
	int force;			/* server-side apply --force-conflicts */
	int wait;			/* guarded: wait, roll back on failure */
	struct wait_opts wopts;
	const char *sub;		/* "scale": every step on the /scale
					 * subresource, as kubectl scale; NULL:
					 * the object */
};

/*
 * Applies req (borrowed): a patch-request record {"apiVersion", "kind",
 * "namespace", "name", "patch", "patch_type"}. Returns the patch-result
 * record (req's fields plus "result", "changed", "generation",
 * "revision", "error", "steps", which replace any req had) and sets
 * *status: 0 applied, unchanged or
 * dry-run; 1 refused, rolled back, a conflict or a failed rollback; 2 a
 * bad request or a patch the server calls invalid; 3 the server failed.
 */
jv guard_apply(struct kclient *k, jv req, const struct guard_opts *o,
    int *status);

/* 1 when a signal (SIGTERM, SIGINT, SIGHUP) came during a guarded
 * change: it wrote nothing more, rolled back what it had written but not
 * seen to work, and the caller should take no more requests. */
int guard_interrupted(void);

/* The patch type of a name ("strategic", "merge", "json", "apply"); -1
 * when it is none of those. */
int guard_patch_type(const char *name);

#endif
