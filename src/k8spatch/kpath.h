/* kpath.h — field paths as the guard writes and the policy matches them.
 *
 * A path is field names joined by '.', with list items in brackets after
 * the list's name, named by their merge key (or by position in a list
 * that has none):
 *
 *     spec.template.spec.containers[nginx].resources.limits.memory
 *     spec.template.spec.tolerations[0].key
 *     metadata.annotations."kubectl.kubernetes.io/restartedAt"
 *
 * A name holding '.', '[', ']', '"', '*', a blank or nothing at all is
 * written in double quotes (jq's spelling), with '"' and '\' escaped; so
 * is an item name holding ']' or '"'.
 *
 * Patterns (the policy's allow and deny lists) use the same syntax plus:
 * '*' or a glob in a name ("*Probe") matches one field name, "[*]" any one
 * item, "**" any number of fields and items (none too). A path is under a
 * pattern when the pattern matches the path or a prefix of it
 * ("spec.template" covers everything below it). A list's path, when the
 * list changed as a whole, is under "LIST[*]" too.
 */
#ifndef K8SPATCH_KPATH_H
#define K8SPATCH_KPATH_H

#include "buf.h"

/* Appends ".name" (no dot at the start of b) quoted as needed. */
void kpath_name(struct buf *b, const char *name);
/* Appends "[item]", quoted as needed. */
void kpath_item(struct buf *b, const char *item);

struct kseg {
	char *text;		/* the name or item, unquoted */
	int item;		/* 1: a list item ("[x]") */
	int literal;		/* 1: was quoted: no globs */
};

/* Splits a path or pattern into segments (caller frees with
 * kpath_free). Returns NULL for a malformed one. */
struct kseg *kpath_split(const char *s, size_t *n);
void kpath_free(struct kseg *segs, size_t n);

/* 1 when path is under pattern (both already split). */
int kpath_under(const struct kseg *path, size_t np, const struct kseg *pat,
    size_t nq);

#endif
