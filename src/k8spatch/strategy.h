/* strategy.h — how Kubernetes merges the lists of its built-in types.
 *
 * A strategic merge patch, and the guard's change paths
 * ("spec.template.spec.containers[nginx].resources.limits.memory"), name
 * list items by a merge key: containers by "name", container ports by
 * "containerPort", tolerations not at all (atomic). This is the table of
 * those keys and strategies, taken from the patchMergeKey/patchStrategy
 * tags of k8s.io/api for the built-in kinds. Custom resources have none:
 * every list of theirs is atomic.
 *
 * Paths are the field names from the object's root joined by '.', with
 * "[]" after each list whose items the path goes into:
 * "spec.template.spec.containers[].env".
 */
#ifndef K8SPATCH_STRATEGY_H
#define K8SPATCH_STRATEGY_H

/*
 * The merge key of the list at PATH in an object of API_VERSION ("apps/v1")
 * and KIND ("Deployment"), or NULL when Kubernetes replaces that list whole
 * (an atomic list, an unknown field or kind).
 */
const char *strategy_merge_key(const char *api_version, const char *kind,
    const char *path);

#endif
