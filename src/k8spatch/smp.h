/* smp.h — the three patch types of the Kubernetes API, on jv values
 * (smp.c: strategic and merge; jsonpatch.c: JSON patch).
 *
 * Each follows what `kubectl patch --local` (1.32) computes, so the file
 * k8spatch writes means what kubectl and the API server would have made:
 *
 *   smp_strategic  strategic merge patch (k8s.io/apimachinery's
 *                  strategicpatch, apply half): lists merged by the merge
 *                  keys of strategy.h, the $patch (replace, delete),
 *                  $retainKeys, $deleteFromPrimitiveList/F and
 *                  $setElementOrder/F directives, null deletes a key; new
 *                  list items placed where kubectl places them.
 *   smp_merge      JSON merge patch, RFC 7386 (evanphx/json-patch v4).
 *   smp_json       JSON patch, RFC 6902. Stricter than kubectl's library
 *                  where that one is laxer than the RFC: a path must start
 *                  with "/", array indices are "-" or plain non-negative
 *                  integers, replace and test need an existing target,
 *                  copy needs an existing source and add a value.
 *
 * All consume their arguments and return the patched document, or
 * jv_invalid_with_msg naming the field or operation at fault.
 */
#ifndef K8SPATCH_SMP_H
#define K8SPATCH_SMP_H

#include <jv.h>

#include "strategy.h"

/* type: the document's strategy_root (NULL: no field has a strategy). */
jv smp_strategic(jv doc, jv patch, const struct strategy_type *type);
jv smp_merge(jv doc, jv patch);
jv smp_json(jv doc, jv ops);

#endif
