/* failing.h — `k8spatch failing`: one record per unhealthy workload.
 *
 * The k8sgpt analyzers' ground, told as data (DESIGN's failing-workload
 * record): unhealthy pods (podhealth.h) grouped under their top owner —
 * the owner chain walked up through ReplicaSets to the Deployment, or to
 * the StatefulSet, DaemonSet or Job, else the bare Pod — then workloads
 * whose own status is bad (ProgressDeadlineExceeded, ReplicasUnavailable,
 * JobFailed). Each record carries the pods, the workload's recent Warning
 * events, the tail of the failing container's previous (else current)
 * log, and a fingerprint: the SHA-256 of cluster, kind, namespace, name
 * and reason only, so it is the same from run to run.
 */
#ifndef K8SPATCH_FAILING_H
#define K8SPATCH_FAILING_H

#include <jv.h>

#include "client.h"

struct failing_opts {
	const char *namespace;	/* NULL: every namespace */
	const char *selector;	/* pods' label selector or NULL */
	int log_lines;		/* 0: no logs */
	int max_events;		/* per workload */
};

/* Called with each record (consumed); nonzero stops. */
typedef int (*failing_fn)(void *ctx, jv rec);

/* Returns 0, an API error's status, or emit's nonzero value. */
int failing_scan(struct kclient *k, const struct failing_opts *o,
    failing_fn emit, void *ctx);

/* The fingerprint (64 hex digits and a NUL into hex). */
void failing_fingerprint(const char *cluster, const char *kind,
    const char *ns, const char *name, const char *reason, char hex[65]);

#endif
