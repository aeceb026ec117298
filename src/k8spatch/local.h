/* local.h — `k8spatch patch --local`: a patch applied to a manifest file,
 * with no cluster, changing only the changed values.
 *
 * Comments, key order, quoting style, indentation, document separators and
 * every untouched line stay byte for byte as they were, so a pull request's
 * diff is the fix and nothing else. The semantic result equals
 * `kubectl patch --local -f FILE --type T -p PATCH -o json`.
 */
#ifndef K8SPATCH_LOCAL_H
#define K8SPATCH_LOCAL_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"

enum patch_type {
	PATCH_STRATEGIC,	/* application/strategic-merge-patch+json */
	PATCH_MERGE,		/* application/merge-patch+json (RFC 7386) */
	PATCH_JSON,		/* application/json-patch+json (RFC 6902) */
	PATCH_APPLY		/* application/apply-patch+yaml (server only) */
};

/*
 * Applies patch (consumed: an object, or an array of operations for
 * PATCH_JSON) to the document of text that is KIND NAME (both NULL: the
 * file's only document), appending the whole new file to out. Returns 0,
 * or an exit status (EXIT_USAGE for a bad manifest or patch, a missing or
 * ambiguous document) with *err set to a message the caller prints and
 * frees.
 *
 * KIND is what kubectl takes (Deployment, deployment, deployments, deploy,
 * deployments.apps), or KIND/NAME with name NULL; KIND alone picks the
 * only document of that kind. *err starts with "line N: " when the problem
 * has a line in the file ("line 12: Deployment 'web': field 'spec…': …"),
 * so the caller prints "k8spatch: FILE: " before it. EXIT_LOCAL (4): the
 * edited document did not read back as the patched value, a bug; out is
 * left as it was. PATCH_APPLY is refused (server-side apply has no local
 * form). See LOCAL MODE in k8spatch(1).
 */
int local_patch(const char *text, size_t len, const char *kind,
    const char *name, jv patch, enum patch_type type, struct buf *out,
    char **err);

#endif
