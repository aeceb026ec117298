/* verbs.h — k8spatch's verbs, between the command line and the modules
 * that do the work (objects, guard, rollout, failing, local). */
#ifndef K8SPATCH_VERBS_H
#define K8SPATCH_VERBS_H

#include <stddef.h>

#include "client.h"
#include "local.h"
#include "policy.h"
#include "rollout.h"

struct http_flag {
	int key;
	const char *arg;
};

/* The parsed command line. */
struct options {
	const char *kubeconfig, *context, *cluster, *user, *namespace;
	int all_namespaces;
	const char *selector, *field_selector;
	const char *patch, *patch_file;
	int type;			/* enum patch_type */
	int dry_run, force, local, no_wait, token_flag;
	const char *field_manager, *policy_file, *filename;
	long long replicas, current_replicas, to_revision;	/* -1: unset */
	struct wait_opts wait;
	int log_lines;
	struct http_flag *http;		/* HTTP flags, applied after the
					 * kubeconfig */
	size_t nhttp, nhttp_cap;
};

struct verb_ctx {
	struct options o;
	struct policy policy;		/* loaded when --policy is given */
	struct kclient k;
	const char *namespace;		/* -n, the context's, or default */
};

/* Checks the operands and option combinations of a verb before anything
 * is read or sent; exits 2 with a usage error when they do not fit. */
void verb_check(const struct verb_ctx *c, const char *verb, char **args,
    int n);

/* Each verb returns the exit status; args are the operands after it. */
int verb_get(struct verb_ctx *c, char **args, int n);
int verb_patch(struct verb_ctx *c, char **args, int n);
int verb_scale(struct verb_ctx *c, char **args, int n);
int verb_rollback(struct verb_ctx *c, char **args, int n);
int verb_restart(struct verb_ctx *c, char **args, int n);
int verb_wait(struct verb_ctx *c, char **args, int n);
int verb_failing(struct verb_ctx *c, char **args, int n);
int verb_stdin(struct verb_ctx *c, char **args, int n);
/* patch --local: no cluster at all. */
int verb_local(struct verb_ctx *c, char **args, int n);

#endif
