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

/*
 * The same table walked one field at a time, for the strategic merge
 * patch (smp.c). A struct strategy_type is a Go struct of k8s.io/api
 * that has tagged fields somewhere below it; NULL stands for every other
 * type (maps merge key by key, lists are replaced whole).
 */
struct strategy_type;

struct strategy_field {
	int merge;		/* patchStrategy "merge": the list is merged */
	int retain_keys;	/* patchStrategy "retainKeys" (informative:
				 * the $retainKeys directive works anywhere) */
	const char *merge_key;	/* items matched by this key; NULL for a
				 * list of scalars merged as a set */
};

/*
 * The type of objects of API_VERSION and KIND. Sets *builtin to whether
 * kubectl knows the kind (strategic merge is refused for the others, as
 * the API server does for custom resources); NULL when nothing in the
 * kind has a strategy.
 */
const struct strategy_type *strategy_root(const char *api_version,
    const char *kind, int *builtin);

/*
 * The strategy of field NAME of type T (NULL: none), filled into *f, and
 * the type of its value (of its items, for a list), NULL when plain.
 */
const struct strategy_type *strategy_field(const struct strategy_type *t,
    const char *name, struct strategy_field *f);

#endif
