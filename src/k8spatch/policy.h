/* policy.h — what a guarded patch may change (DESIGN.md's policy file).
 *
 *   kinds: [Deployment, StatefulSet]
 *   namespaces: [web, shop]          # or ["*"]
 *   deny_namespaces: [kube-system]
 *   allow: [spec.replicas, "spec.template.spec.containers[*].resources"]
 *   deny: ["**.securityContext", spec.template.spec.hostNetwork]
 *   limits:
 *     replicas: {min: 1, max: 20, max_factor: 2}
 *     memory: {max: 4Gi, max_factor: 4}    # every container's limit/request
 *     cpu: {max: "4", max_factor: 4}
 *   images:
 *     registries: [docker.io/library]
 *
 * Everything not allowed is refused: kinds, namespaces and allow must be
 * given, an unknown key is an error (a misspelt "denny:" must not leave
 * the policy open), and paths must parse (kpath.h). Paths are judged on
 * the effective change (diff.h), never on the patch text.
 */
#ifndef K8SPATCH_POLICY_H
#define K8SPATCH_POLICY_H

#include <stddef.h>
#include <jv.h>

#include "kpath.h"
#include "quantity.h"

struct policy_pattern {
	char *text;
	struct kseg *segs;
	size_t n;
};

struct policy_limit {
	int has_min, has_max, has_factor;
	struct quantity min, max, factor;
};

struct policy {
	char **kinds, **namespaces, **deny_namespaces, **registries;
	struct policy_pattern *allow, *deny;
	size_t nallow, ndeny;
	struct policy_limit replicas, memory, cpu;
	int has_images;
};

/* Reads the policy file; 0, or EXIT_USAGE with *err ("FILE:LINE: …"). */
int policy_load(const char *path, struct policy *p, char **err);
/* The same from text, for tests (name is used in messages). */
int policy_parse(const char *name, const char *text, size_t len,
    struct policy *p, char **err);
void policy_free(struct policy *p);

/* NULL when kind (of API group, "" for the core one) in namespace may be
 * patched, else why not (caller frees). The policy's kinds are "*",
 * "Kind.group", or a bare "Kind", which for a built-in kind's name means
 * only the built-in one. namespace NULL: a cluster-scoped kind, which
 * only namespaces ["*"] allows. */
char *policy_check_target(const struct policy *p, const char *kind,
    const char *group, const char *namespace);

/*
 * Judges changes (borrowed, diff_effective's array): every path under an
 * allow pattern and under no deny pattern, the limits held, images from
 * the allowed registries. NULL when allowed, else the reason, naming the
 * path (caller frees).
 */
char *policy_check_changes(const struct policy *p, jv changes);

/* 1 when image is an image reference by Docker's grammar (registry,
 * lower-case path, tag, digest), which new images must be. */
int policy_image_valid(const char *image);

/* The registry part of an image reference as Docker normalises it:
 * "nginx:1.25" → "docker.io/library/nginx:1.25" (caller frees). */
char *policy_image_normalize(const char *image);

#endif
