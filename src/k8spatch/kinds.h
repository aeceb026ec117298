/* kinds.h — what KIND on the command line means, as kubectl reads it.
 *
 * "deploy", "deployment", "deployments", "Deployment",
 * "deployments.apps", "deployments.v1.apps" all name apps/v1 Deployments;
 * short names are kubectl's (po, svc, cm, deploy, sts, ds, rs, job, cj,
 * hpa, ns, no, ev, …). Kinds not built in — CustomResourceDefinitions
 * such as Argo Rollouts — are found through the API server's discovery
 * documents (/api/v1, /apis, /apis/GROUP/VERSION).
 */
#ifndef K8SPATCH_KINDS_H
#define K8SPATCH_KINDS_H

#include "buf.h"
#include "client.h"

struct kkind {
	char *group;		/* "" for the core group */
	char *version;		/* "v1" */
	char *resource;		/* "deployments" */
	char *kind;		/* "Deployment" */
	int namespaced;
};

/*
 * Resolves name (no "/NAME" part). The built-in table first, then, when k
 * is not NULL, discovery. Returns 0, EXIT_USAGE when nothing has that
 * name ("the server doesn't have a resource type 'x'"), or an API error's
 * status, with *err set (caller frees).
 */
int kinds_resolve(struct kclient *k, const char *name, struct kkind *out,
    char **err);
/* The built-in table only: 0 or -1. */
int kinds_builtin(const char *name, struct kkind *out);
/* The group of the built-in kind spelt exactly kind ("Deployment" →
 * "apps", "Pod" → ""), else NULL. */
const char *kinds_builtin_group(const char *kind);
/* The kind for an object's apiVersion and kind ("apps/v1", "Deployment"). */
int kinds_for_object(struct kclient *k, const char *api_version,
    const char *kind, struct kkind *out, char **err);
void kkind_free(struct kkind *k);

/* "apps/v1" or "v1" (caller frees). */
char *kinds_api_version(const struct kkind *k);
/* "deployments.apps" or "pods", as kubectl names a resource in messages. */
char *kinds_qualified(const struct kkind *k);

/*
 * What may stand in an API path (kinds_path), checked before a request is
 * built from words a patch request or the command line brought: 1 when
 * valid. A name is not empty, "." or "..", and holds no '/', '%', '?',
 * '#', '\\', blank, control or non-ASCII byte (Kubernetes' path segment
 * names, and nothing a URL would read as something else). A namespace
 * is an RFC 1123 label (63 of a-z, 0-9 and '-', alphanumeric at both
 * ends). An apiVersion is VERSION or GROUP/VERSION (a-z, 0-9, '.', '-').
 */
int kinds_valid_name(const char *s);
int kinds_valid_namespace(const char *s);
int kinds_valid_api_version(const char *s);

/*
 * The API path of a resource: "/apis/apps/v1/namespaces/web/deployments"
 * + "/NAME" + "/SUB" (name, sub may be NULL; namespace NULL or "" for all
 * namespaces or a cluster-scoped kind). Appended to path.
 */
void kinds_path(struct buf *path, const struct kkind *k,
    const char *namespace, const char *name, const char *sub);

#endif
