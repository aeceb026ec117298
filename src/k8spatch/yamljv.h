/* yamljv.h — YAML documents as jv values, on libyaml.
 *
 * For k8spatch's own YAML files (kubeconfig, policy) and for patches given
 * as YAML, as kubectl accepts them. Anchors and aliases are expanded (with
 * a bound on the expanded size, against "billion laughs"), "<<" merge keys
 * are honoured, a key given twice in one mapping is an error (a policy
 * that says `deny:` twice must not silently keep only one), and only
 * scalar keys are accepted.
 *
 * Scalars are resolved one of two ways:
 *   YAMLJV_TYPED    YAML 1.2's core schema: plain null/~/empty → null,
 *                   true/false → booleans, integers and floats → numbers,
 *                   anything else and every quoted scalar → a string.
 *   YAMLJV_STRINGS  plain null/~/empty → null, every other scalar a string:
 *                   the reader converts each field to the type it expects,
 *                   as client-go's sigs.k8s.io/yaml does for kubeconfig
 *                   (a namespace named "no" stays "no", `max: 20` is "20").
 */
#ifndef K8SPATCH_YAMLJV_H
#define K8SPATCH_YAMLJV_H

#include <stddef.h>
#include <jv.h>

enum { YAMLJV_TYPED = 0, YAMLJV_STRINGS = 1 };

/*
 * Every document of text as a jv array (an empty file gives []). On error
 * returns jv_invalid_with_msg(message) and sets *line to the 1-based line
 * of the problem (0 when unknown).
 */
jv yamljv_docs(const char *text, size_t len, int flags, size_t *line);

/* The first document only (null for an empty file), as Go's
 * yaml.Unmarshal reads a kubeconfig; errors as yamljv_docs. */
jv yamljv_parse(const char *text, size_t len, int flags, size_t *line);

/*
 * Helpers for readers of YAMLJV_STRINGS values; all borrow v.
 * yamljv_bool: "true"/"false" (and YAML 1.1's yes/no/on/off, which Go's
 * yaml.v2 also takes) → 0 with *out set; null → 0 with *out = dflt;
 * anything else -1.
 */
int yamljv_bool(jv v, int dflt, int *out);

#endif
