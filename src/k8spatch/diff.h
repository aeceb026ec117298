/* diff.h — the effective change: what a patch really does to an object.
 *
 * The guard judges the server's dry-run answer against the live object,
 * never the patch text: a `$patch: replace`, a JSON-patch `move` or a
 * merge that nulls a field all show here as what they change.
 *
 * Changes are listed at their leaves: a scalar, a list of scalars, an
 * empty object or list. A field added or removed as a whole subtree shows
 * as every leaf under it, so a denied field cannot hide inside an added
 * container or a removed block. Lists with a merge key (strategy.h) are
 * matched item by item by that key ("containers[nginx]"), others by
 * position ("tolerations[0]"); a keyed list whose items only changed
 * order shows as a change of the list itself.
 *
 * Left out, because the server owns them and a dry run changes them
 * anyway: metadata.resourceVersion, generation, managedFields,
 * creationTimestamp, uid and selfLink; and status unless DIFF_STATUS is
 * given. The guard gives it: its dry run carries the live
 * resourceVersion, so the answer's status is the live one unless the
 * patch changed it — which a kind without a status subresource (a
 * custom resource) lets a patch do.
 */
#ifndef K8SPATCH_DIFF_H
#define K8SPATCH_DIFF_H

#include <jv.h>

/*
 * Borrows both. An array of {"path": P, "old": V, "new": V}, "old" or
 * "new" missing when the field is absent on that side, in the objects'
 * field order. The apiVersion and kind of after select the merge keys.
 */
#define DIFF_STATUS	1	/* judge status too */

jv diff_effective(jv before, jv after, int flags);

/* The distinct paths of changes (consumed), in order. */
jv diff_paths(jv changes);

#endif
