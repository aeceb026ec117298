/* jcheck.h — is this text already what we would print?
 *
 * `get` streams list items the API server sends as compact JSON; parsing
 * each into jv and printing it again costs most of k8spatch's CPU. When an
 * item's text is valid, compact JSON (RFC 8259 grammar, valid UTF-8, no
 * whitespace between tokens) it can be printed as it is; anything else
 * goes the slow way through jv, which reports it or normalises it.
 */
#ifndef K8SPATCH_JCHECK_H
#define K8SPATCH_JCHECK_H

#include <stddef.h>

/* 1 when s[0..n) is exactly one compact JSON object, nesting at most 200
 * deep; else 0. */
int jcheck_compact_object(const char *s, size_t n);

#endif
