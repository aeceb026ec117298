/* objects.h — reading and writing Kubernetes objects.
 *
 * Lists are streamed and paged (limit/continue), so memory is bounded by
 * one object, not by the cluster; each item gets the apiVersion and kind
 * the API server leaves off list items, as kubectl fills them in.
 */
#ifndef K8SPATCH_OBJECTS_H
#define K8SPATCH_OBJECTS_H

#include <jv.h>

#include "client.h"
#include "kinds.h"
#include "local.h"

/* Items per page of a list. */
#define OBJ_PAGE	500

/* Called with each listed object (consumed); nonzero stops the list and
 * is returned by obj_list. */
typedef int (*obj_fn)(void *ctx, jv item);

int obj_get(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, jv *out, struct kerr *e);
/* The same for a subresource ("scale"; NULL: the object). */
int obj_get_sub(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, const char *sub, jv *out, struct kerr *e);
/* labels, fields: selectors or NULL; ns NULL or "" lists every namespace. */
int obj_list(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *labels, const char *fields, obj_fn fn, void *ctx,
    struct kerr *e);
/*
 * The same for printing: each item as one line of compact JSON text (no
 * newline), with apiVersion and kind first. An item the server sent
 * compact is passed through without being parsed into jv (jcheck.h), the
 * rest is normalised.
 */
typedef int (*obj_text_fn)(void *ctx, const char *text, size_t len);
int obj_list_text(struct kclient *k, const struct kkind *kind,
    const char *ns, const char *labels, const char *fields, obj_text_fn fn,
    void *ctx, struct kerr *e);
/* Every item of a list in one array (for small lists: pods of one
 * workload, its ReplicaSets, events). */
int obj_list_all(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *labels, const char *fields, jv *out, struct kerr *e);

struct patch_opts {
	enum patch_type type;
	int dry_run;			/* ?dryRun=All */
	const char *field_manager;	/* NULL: none sent */
	int force;			/* server-side apply: take over fields */
	const char *sub;		/* subresource ("scale") or NULL */
};

/* The Content-Type of a patch type. */
const char *patch_content_type(enum patch_type t);
/* "strategic", "merge", "json", "apply". */
const char *patch_type_name(enum patch_type t);

/* PATCH with body (JSON text); *out the server's answer. */
int obj_patch(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, const char *body, const struct patch_opts *o, jv *out,
    struct kerr *e);

/* A label selector object ({matchLabels, matchExpressions}) as the
 * labelSelector query string; NULL when it cannot be one (caller frees). */
char *obj_selector(jv selector);

#endif
