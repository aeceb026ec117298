/* smp.c — strategic merge patch, JSON merge patch and JSON patch on jv.
 *
 * The strategic merge follows k8s.io/apimachinery's strategicpatch
 * (mergeMap, mergeSlice, normalizeElementOrder …) function by function,
 * with Go's map[string]interface{} values mapped onto jv: Go compares
 * list items and merge keys with ==, which here is go_eq (same Go type,
 * same value; an integral number is an int64, any other a float64).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "smp.h"

#define MAX_DEPTH 1000

struct smp {
	struct buf path;	/* "spec.template.spec.containers", for messages */
	int depth;
};

static jv
fail(const struct smp *s, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s && s->path.len)
		return jv_invalid_with_msg(jv_string_fmt("field '%s': %s", s->path.p, msg));
	return jv_invalid_with_msg(jv_string(msg));
}

static size_t
path_push(struct smp *s, const char *name)
{
	size_t old = s->path.len;

	if (old)
		buf_addc(&s->path, '.');
	buf_adds(&s->path, name);
	return old;
}

static void
path_pop(struct smp *s, size_t old)
{
	s->path.len = old;
	if (s->path.p)
		s->path.p[old] = '\0';
}

/* Go's types for decoded JSON. */
enum gotype { G_NULL, G_BOOL, G_INT, G_FLOAT, G_STRING, G_MAP, G_SLICE };

static enum gotype
gotype(jv v)
{
	double d;

	switch (jv_get_kind(v)) {
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		return G_BOOL;
	case JV_KIND_NUMBER:
		d = jv_number_value(v);
		return d == floor(d) && fabs(d) < 9.2e18 ? G_INT : G_FLOAT;
	case JV_KIND_STRING:
		return G_STRING;
	case JV_KIND_OBJECT:
		return G_MAP;
	case JV_KIND_ARRAY:
		return G_SLICE;
	default:
		return G_NULL;
	}
}

/* Go's == on two interface{} values (borrows both). Maps and slices are
 * never equal: Go would panic comparing them. */
static int
go_eq(jv a, jv b)
{
	enum gotype t = gotype(a);

	if (t != gotype(b))
		return 0;
	switch (t) {
	case G_NULL:
		return 1;
	case G_BOOL:
		return jv_get_kind(a) == jv_get_kind(b);
	case G_INT:
	case G_FLOAT:
		return jv_number_value(a) == jv_number_value(b);
	case G_STRING:
		return strcmp(jv_string_value(a), jv_string_value(b)) == 0;
	default:
		return 0;
	}
}

static int
has(jv obj, const char *key)
{
	return jv_get_kind(obj) == JV_KIND_OBJECT &&
	    jv_object_has(jv_copy(obj), jv_string(key));
}

static int
is_string(jv v, const char *s)
{
	return jv_get_kind(v) == JV_KIND_STRING && strcmp(jv_string_value(v), s) == 0;
}

/* The value of a map item's merge key (borrowed map; null when absent). */
static jv
key_of(jv item, const char *key)
{
	if (jv_get_kind(item) != JV_KIND_OBJECT)
		return jv_null();
	jv v = jv_object_get(jv_copy(item), jv_string(key));
	return jv_is_valid(v) ? v : jv_null();
}

/* removeDirectives: drops maps that carry "$patch", recursively; *keep
 * says whether v itself stays. */
static jv
remove_directives(jv v, int *keep)
{
	jv out;
	int k;

	*keep = 1;
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		if (has(v, "$patch")) {
			jv_free(v);
			*keep = 0;
			return jv_null();
		}
		out = jv_object();
		jv_object_foreach(v, key, val) {
			val = remove_directives(val, &k);
			if (k)
				out = jv_object_set(out, key, val);
			else
				jv_free(key);
		}
		jv_free(v);
		return out;
	}
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		out = jv_array();
		jv_array_foreach(v, i, item) {
			item = remove_directives(item, &k);
			if (k)
				out = jv_array_append(out, item);
			(void)i;
		}
		jv_free(v);
		return out;
	}
	return v;
}

/* discardNullValuesFromPatch (and json-patch's pruneNulls): null members
 * go, at every depth; null list items stay. */
static jv
discard_nulls(jv v)
{
	jv out;

	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		out = jv_object();
		jv_object_foreach(v, key, val) {
			if (jv_get_kind(val) == JV_KIND_NULL) {
				jv_free(key);
				jv_free(val);
			} else {
				out = jv_object_set(out, key, discard_nulls(val));
			}
		}
		jv_free(v);
		return out;
	}
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		out = jv_array();
		jv_array_foreach(v, i, item) {
			out = jv_array_append(out, discard_nulls(item));
			(void)i;
		}
		jv_free(v);
		return out;
	}
	return v;
}

/* A patch value for a key the original lacks (or has with another type). */
static jv
take_patch_value(jv orig, jv key, jv v)
{
	int keep;

	v = remove_directives(discard_nulls(v), &keep);
	if (keep)
		return jv_object_set(orig, key, v);
	jv_free(v);
	return jv_object_delete(orig, key);
}

static jv merge_map(struct smp *s, jv orig, jv patch, const struct strategy_type *t);
static jv merge_slice(struct smp *s, jv orig, jv patch, const struct strategy_type *t,
    const char *mkey, int del_list);

/* sliceElementType: the Go type all items of a and b share (borrowed). */
static int
elem_type(const struct smp *s, jv a, jv b, enum gotype *out, jv *err)
{
	jv lists[2] = { a, b };
	int seen = 0, l;

	for (l = 0; l < 2; l++) {
		if (jv_get_kind(lists[l]) != JV_KIND_ARRAY)
			continue;
		jv_array_foreach(lists[l], i, item) {
			enum gotype t = gotype(item);

			jv_free(item);
			(void)i;
			if (t == G_NULL) {
				*err = fail(s, "a list item is null");
				return -1;
			}
			if (!seen && t == G_SLICE) {
				*err = fail(s, "lists of lists cannot be merged");
				return -1;
			}
			if (seen && t != *out) {
				*err = fail(s, "list items are not all of one type");
				return -1;
			}
			*out = t;
			seen = 1;
		}
	}
	if (!seen)
		*err = fail(s, "no items in the lists to merge");
	return seen ? 0 : -1;
}

/* index(): where v is in l, by merge key for maps (-1: nowhere). */
static int
index_of(jv l, jv v, const char *mkey, int maps)
{
	int i, n = jv_array_length(jv_copy(l)), r = -1;
	jv want = maps ? key_of(v, mkey) : jv_copy(v);

	for (i = 0; i < n && r < 0; i++) {
		jv item = jv_array_get(jv_copy(l), i);
		jv got = maps ? key_of(item, mkey) : jv_copy(item);

		if (go_eq(want, got))
			r = i;
		jv_free(got);
		jv_free(item);
	}
	jv_free(want);
	return r;
}

/* Every item of l is a map with mkey (validateMergeKeyInLists). */
static int
check_merge_keys(const struct smp *s, jv l, const char *mkey, jv *err)
{
	int ok = 1;

	jv_array_foreach(l, i, item) {
		if (ok && (jv_get_kind(item) != JV_KIND_OBJECT || !has(item, mkey))) {
			*err = fail(s, "a list item has no merge key '%s'", mkey);
			ok = 0;
		}
		jv_free(item);
		(void)i;
	}
	return ok ? 0 : -1;
}

/* normalizeSliceOrder: Go's sort.SliceStable (an insertion sort at these
 * sizes) by the position in order; maps marked $patch: delete go last. */
static jv
sort_by_order(const struct smp *s, jv items, jv order, const char *mkey, int maps)
{
	jv keep = jv_array(), drop = jv_array(), err;
	int n, i, j;
	jv *a;

	if (maps && (check_merge_keys(s, items, mkey, &err) || check_merge_keys(s, order, mkey, &err))) {
		jv_free(keep);
		jv_free(drop);
		jv_free(items);
		return err;
	}
	jv_array_foreach(items, k, item) {
		jv d = maps ? key_of(item, "$patch") : jv_null();

		if (is_string(d, "delete"))
			drop = jv_array_append(drop, item);
		else
			keep = jv_array_append(keep, item);
		jv_free(d);
		(void)k;
	}
	jv_free(items);
	n = jv_array_length(jv_copy(keep));
	a = xcalloc((size_t)n + 1, sizeof *a);
	for (i = 0; i < n; i++)
		a[i] = jv_array_get(jv_copy(keep), i);
	jv_free(keep);
	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			int ij = index_of(order, a[j], mkey, maps);
			int ik = index_of(order, a[j - 1], mkey, maps);
			jv tmp;

			if (ij >= 0 && ik >= 0 && !(ij < ik))
				break;
			tmp = a[j];
			a[j] = a[j - 1];
			a[j - 1] = tmp;
		}
	keep = jv_array();
	for (i = 0; i < n; i++)
		keep = jv_array_append(keep, a[i]);
	free(a);
	return jv_array_concat(keep, drop);
}

/* normalizeElementOrder and mergeSortedSlice: patch items in patch order,
 * server-only items in server order, interleaved as kubectl does (a new
 * item goes before the server items it is compared against). */
static jv
normalize_order(const struct smp *s, jv patch_items, jv server_only, jv patch_order,
    jv server_order, const char *mkey, int maps)
{
	jv left, right, out;
	int i = 0, j = 0, nl, nr;

	right = sort_by_order(s, patch_items, patch_order, mkey, maps);
	if (!jv_is_valid(right)) {
		jv_free(server_only);
		return right;
	}
	left = sort_by_order(s, server_only, server_order, mkey, maps);
	if (!jv_is_valid(left)) {
		jv_free(right);
		return left;
	}
	nl = jv_array_length(jv_copy(left));
	nr = jv_array_length(jv_copy(right));
	out = jv_array();
	while (i < nl && j < nr) {
		jv l = jv_array_get(jv_copy(left), i), r = jv_array_get(jv_copy(right), j);
		int li = index_of(server_order, l, mkey, maps), ri = index_of(server_order, r, mkey, maps);

		if (li >= 0 && ri >= 0 && li < ri) {
			out = jv_array_append(out, l);
			jv_free(r);
			i++;
		} else {
			out = jv_array_append(out, r);
			jv_free(l);
			j++;
		}
	}
	for (; i < nl; i++)
		out = jv_array_append(out, jv_array_get(jv_copy(left), i));
	for (; j < nr; j++)
		out = jv_array_append(out, jv_array_get(jv_copy(right), j));
	jv_free(left);
	jv_free(right);
	return out;
}

/* Splits merged into the items present in by (by value, or by merge key)
 * and the others. */
static int
partition(const struct smp *s, jv merged, jv by, const char *mkey, jv *in, jv *out, jv *err)
{
	int ok = 1;

	*in = jv_array();
	*out = jv_array();
	jv_array_foreach(merged, i, item) {
		int found;

		(void)i;
		if (!ok) {
			jv_free(item);
			continue;
		}
		if (mkey && (jv_get_kind(item) != JV_KIND_OBJECT || !has(item, mkey))) {
			*err = fail(s, "a list item has no merge key '%s'", mkey);
			ok = 0;
			jv_free(item);
			continue;
		}
		found = index_of(by, item, mkey, mkey != NULL) >= 0;
		if (found)
			*in = jv_array_append(*in, item);
		else
			*out = jv_array_append(*out, item);
	}
	if (!ok) {
		jv_free(*in);
		jv_free(*out);
	}
	return ok ? 0 : -1;
}

/* Items of orig whose merge key equals v's, all removed. */
static jv
delete_matching(const struct smp *s, jv orig, const char *mkey, jv mv)
{
	jv out = jv_array();
	int ok = 1;

	jv_array_foreach(orig, i, item) {
		jv k = key_of(item, mkey);

		(void)i;
		if (jv_get_kind(item) != JV_KIND_OBJECT)
			ok = 0;
		if (jv_get_kind(item) == JV_KIND_OBJECT && has(item, mkey) && go_eq(k, mv))
			jv_free(item);
		else
			out = jv_array_append(out, item);
		jv_free(k);
	}
	jv_free(orig);
	if (!ok) {
		jv_free(out);
		return fail(s, "a list item is not a map");
	}
	return out;
}

/* mergeSliceWithSpecialElements: $patch: delete and replace items. */
static int
special_items(const struct smp *s, jv *orig, jv *patch, const char *mkey, jv *err)
{
	jv plain = jv_array();
	int replace = 0, ok = 1;

	jv_array_foreach(*patch, i, item) {
		jv d = key_of(item, "$patch");

		(void)i;
		if (!ok || !has(item, "$patch")) {
			if (ok)
				plain = jv_array_append(plain, jv_copy(item));
		} else if (is_string(d, "delete")) {
			if (!has(item, mkey)) {
				*err = fail(s, "a $patch: delete item has no merge key '%s'", mkey);
				ok = 0;
			} else {
				jv mv = key_of(item, mkey);

				*orig = delete_matching(s, *orig, mkey, mv);
				jv_free(mv);
				if (!jv_is_valid(*orig)) {
					*err = *orig;
					*orig = jv_array();
					ok = 0;
				}
			}
		} else if (is_string(d, "replace")) {
			replace = 1;
		} else {
			*err = is_string(d, "merge") ?
			    fail(s, "merging lists cannot yet be specified in the patch") :
			    fail(s, "unknown $patch directive in a list item");
			ok = 0;
		}
		jv_free(d);
		jv_free(item);
	}
	jv_free(*patch);
	if (!ok) {
		jv_free(plain);
		return -1;
	}
	if (replace) {
		jv_free(*orig);
		*orig = plain;
		*patch = jv_array();
	} else {
		*patch = plain;
	}
	return 0;
}

/* findMapInSliceBasedOnKeyValue: the first map of list whose key is
 * present and equal to mv; -2 when an item is not a map. */
static int
find_by_key(jv list, const char *mkey, jv mv)
{
	int r = -1;

	jv_array_foreach(list, i, item) {
		if (r == -1 && jv_get_kind(item) != JV_KIND_OBJECT)
			r = -2;
		if (r == -1 && has(item, mkey)) {
			jv k = key_of(item, mkey);

			if (go_eq(k, mv))
				r = i;
			jv_free(k);
		}
		jv_free(item);
	}
	return r;
}

/* mergeSliceWithoutSpecialElements: items matched by merge key are merged,
 * the others appended. */
static jv
merge_items(struct smp *s, jv orig, jv patch, const char *mkey, const struct strategy_type *t)
{
	jv_array_foreach(patch, i, item) {
		jv mv;
		int at;

		(void)i;
		if (!jv_is_valid(orig)) {
			jv_free(item);
			continue;
		}
		if (!has(item, mkey)) {
			jv_free(item);
			jv_free(orig);
			orig = fail(s, "a list item has no merge key '%s'", mkey);
			continue;
		}
		mv = key_of(item, mkey);
		at = find_by_key(orig, mkey, mv);
		jv_free(mv);
		if (at == -2) {
			jv_free(item);
			jv_free(orig);
			orig = fail(s, "a list item is not a map");
		} else if (at >= 0) {
			jv merged = merge_map(s, jv_array_get(jv_copy(orig), at), item, t);

			if (!jv_is_valid(merged)) {
				jv_free(orig);
				orig = merged;
			} else {
				orig = jv_array_set(orig, at, merged);
			}
		} else {
			orig = jv_array_append(orig, item);
		}
	}
	jv_free(patch);
	return orig;
}

/* Go's deduplicateScalars (its order does not survive normalize_order). */
static jv
dedupe(jv list)
{
	jv out = jv_array();

	jv_array_foreach(list, i, item) {
		int dup = 0;

		jv_array_foreach(out, j, seen) {
			dup |= go_eq(item, seen);
			jv_free(seen);
			(void)j;
		}
		if (dup)
			jv_free(item);
		else
			out = jv_array_append(out, item);
		(void)i;
	}
	jv_free(list);
	return out;
}

static jv
delete_from_slice(jv cur, jv del)
{
	jv out = jv_array();

	jv_array_foreach(cur, i, item) {
		if (index_of(del, item, NULL, 0) >= 0)
			jv_free(item);
		else
			out = jv_array_append(out, item);
		(void)i;
	}
	jv_free(cur);
	jv_free(del);
	return out;
}

static jv
merge_slice(struct smp *s, jv orig, jv patch, const struct strategy_type *t,
    const char *mkey, int del_list)
{
	enum gotype et = G_NULL;
	jv merged, in, out, err;
	int maps;

	if (jv_array_length(jv_copy(orig)) == 0 && jv_array_length(jv_copy(patch)) == 0) {
		jv_free(patch);
		return orig;
	}
	if (elem_type(s, orig, patch, &et, &err)) {
		jv_free(orig);
		jv_free(patch);
		return err;
	}
	maps = et == G_MAP;
	if (!maps) {
		if (del_list)
			return delete_from_slice(orig, patch);
		merged = dedupe(jv_array_concat(jv_copy(orig), jv_copy(patch)));
	} else {
		if (mkey == NULL) {
			jv_free(orig);
			jv_free(patch);
			return fail(s, "cannot merge lists without merge key");
		}
		if (special_items(s, &orig, &patch, mkey, &err)) {
			jv_free(orig);
			return err;
		}
		merged = merge_items(s, jv_copy(orig), jv_copy(patch), mkey, t);
		if (!jv_is_valid(merged)) {
			jv_free(orig);
			jv_free(patch);
			return merged;
		}
	}
	if (partition(s, merged, patch, maps ? mkey : NULL, &in, &out, &err)) {
		jv_free(merged);
		jv_free(orig);
		jv_free(patch);
		return err;
	}
	jv_free(merged);
	merged = normalize_order(s, in, out, patch, orig, mkey, maps);
	jv_free(orig);
	jv_free(patch);
	return merged;
}

/* applyRetainKeysDirective. */
static jv
retain_keys(const struct smp *s, jv orig, jv *patch)
{
	jv list, out;
	int ok = 1;

	if (!has(*patch, "$retainKeys"))
		return orig;
	list = jv_object_get(jv_copy(*patch), jv_string("$retainKeys"));
	*patch = jv_object_delete(*patch, jv_string("$retainKeys"));
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		jv_free(list);
		jv_free(orig);
		return fail(s, "$retainKeys is not a list");
	}
	jv_object_foreach(*patch, k, v) {
		const char *ks = jv_string_value(k);

		if (ok && jv_get_kind(v) != JV_KIND_NULL &&
		    strncmp(ks, "$deleteFromPrimitiveList", 24) != 0 &&
		    strncmp(ks, "$setElementOrder", 16) != 0 && index_of(list, k, NULL, 0) < 0)
			ok = 0;
		jv_free(k);
		jv_free(v);
	}
	if (!ok) {
		jv_free(list);
		jv_free(orig);
		return fail(s, "the patch sets a key its $retainKeys list does not name");
	}
	out = jv_object();
	jv_object_foreach(orig, k, v) {
		if (index_of(list, k, NULL, 0) >= 0)
			out = jv_object_set(out, k, v);
		else {
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(orig);
	jv_free(list);
	return out;
}

/* validatePatchWithSetOrderList: the patch list's items keep the order
 * the $setElementOrder list gives them. */
static int
check_order(const struct smp *s, jv plist, jv order, const char *mkey, jv *err)
{
	int np = jv_array_length(jv_copy(plist)), no = jv_array_length(jv_copy(order));
	int pi = 0, oi = 0, ok = 1;
	jv items;

	if (np == 0 || no == 0)
		return 0;
	items = jv_array();
	jv_array_foreach(plist, i, item) {
		jv d = key_of(item, "$patch");

		if (mkey && jv_get_kind(item) != JV_KIND_OBJECT)
			ok = 0;
		if (mkey && is_string(d, "delete"))
			jv_free(item);
		else
			items = jv_array_append(items, item);
		jv_free(d);
		(void)i;
	}
	np = jv_array_length(jv_copy(items));
	while (ok && pi < np && oi < no) {
		jv p = jv_array_get(jv_copy(items), pi), o = jv_array_get(jv_copy(order), oi);

		if (has(p, "$patch")) {
			pi++;
		} else if (mkey && (!has(p, mkey) || !has(o, mkey))) {
			ok = 0;
		} else {
			jv pk = mkey ? key_of(p, mkey) : jv_copy(p), ok_ = mkey ? key_of(o, mkey) : jv_copy(o);

			if (go_eq(pk, ok_))
				pi++;
			oi++;
			jv_free(pk);
			jv_free(ok_);
		}
		jv_free(p);
		jv_free(o);
	}
	jv_free(items);
	if (!ok || (pi < np && oi >= no)) {
		*err = fail(s, ok ? "the order of the patch list does not match its $setElementOrder list" :
		    "a $setElementOrder item has no merge key '%s'", mkey ? mkey : "");
		return -1;
	}
	return 0;
}

/* One $setElementOrder/KEY directive (mergePatchIntoOriginal). */
static jv
set_order_one(struct smp *s, jv orig, jv *patch, const char *dkey, const struct strategy_type *t)
{
	struct strategy_field f;
	const struct strategy_type *sub;
	const char *key = dkey + 17;
	jv order, olist, plist, merged, in, out, err;
	int ofound, pfound, keep;
	enum gotype et = G_NULL;

	order = jv_object_get(jv_copy(*patch), jv_string(dkey));
	*patch = jv_object_delete(*patch, jv_string(dkey));
	if (jv_get_kind(order) != JV_KIND_ARRAY || dkey[16] != '/') {
		jv_free(order);
		jv_free(orig);
		return fail(s, "bad %s directive", dkey);
	}
	ofound = has(orig, key);
	pfound = has(*patch, key);
	olist = ofound ? jv_object_get(jv_copy(orig), jv_string(key)) : jv_array();
	plist = pfound ? jv_object_get(jv_copy(*patch), jv_string(key)) : jv_array();
	sub = strategy_field(t, key, &f);
	merged = jv_null();
	if (jv_get_kind(olist) != JV_KIND_ARRAY || jv_get_kind(plist) != JV_KIND_ARRAY)
		merged = fail(s, "%s names '%s', which is not a list", dkey, key);
	else if (check_order(s, plist, order, f.merge_key, &err))
		merged = err;
	else if (ofound && !pfound)
		merged = jv_copy(olist);
	else if (!ofound && pfound)
		merged = remove_directives(jv_copy(plist), &keep);
	else if (ofound && pfound && f.merge)
		merged = merge_slice(s, jv_copy(olist), jv_copy(plist), sub, f.merge_key, 0);
	else if (ofound && pfound)
		merged = jv_copy(plist);
	if (jv_is_valid(merged) && jv_get_kind(merged) == JV_KIND_ARRAY) {
		if (elem_type(s, olist, plist, &et, &err) ||
		    partition(s, merged, order, f.merge_key, &in, &out, &err)) {
			jv_free(merged);
			merged = err;
		} else {
			jv_free(merged);
			merged = normalize_order(s, in, out, order, olist, f.merge_key, et == G_MAP);
		}
	}
	jv_free(order);
	jv_free(olist);
	jv_free(plist);
	if (!jv_is_valid(merged) || !(ofound || pfound)) {
		if (!jv_is_valid(merged))
			jv_free(orig);
		return jv_is_valid(merged) ? orig : merged;
	}
	*patch = jv_object_delete(*patch, jv_string(key));
	return jv_object_set(orig, jv_string(key), merged);
}

static jv
set_element_order(struct smp *s, jv orig, jv *patch, const struct strategy_type *t)
{
	jv keys = jv_array();

	jv_object_foreach(*patch, k, v) {
		if (strncmp(jv_string_value(k), "$setElementOrder", 16) == 0)
			keys = jv_array_append(keys, k);
		else
			jv_free(k);
		jv_free(v);
	}
	jv_array_foreach(keys, i, k) {
		if (jv_is_valid(orig))
			orig = set_order_one(s, orig, patch, jv_string_value(k), t);
		jv_free(k);
		(void)i;
	}
	jv_free(keys);
	return orig;
}

/* One member of a strategic merge patch map. */
static jv
merge_member(struct smp *s, jv orig, jv k, jv v, const struct strategy_type *t)
{
	struct strategy_field f;
	const struct strategy_type *sub;
	const char *ks = jv_string_value(k);
	int del_list = 0;
	jv ov, r;
	size_t mark;

	if (strncmp(ks, "$deleteFromPrimitiveList", 24) == 0) {
		if (ks[24] != '/') {
			jv_free(orig);
			jv_free(v);
			r = fail(s, "bad directive '%s'", ks);
			jv_free(k);
			return r;
		}
		r = jv_string(ks + 25);
		jv_free(k);
		k = r;
		del_list = 1;
	}
	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return jv_object_delete(orig, k);
	}
	ov = jv_object_get(jv_copy(orig), jv_copy(k));
	if (!jv_is_valid(ov) || gotype(ov) != gotype(v)) {
		jv_free(ov);
		if (del_list) {
			jv_free(k);
			jv_free(v);
			return orig;
		}
		return take_patch_value(orig, k, v);
	}
	sub = strategy_field(t, jv_string_value(k), &f);
	mark = path_push(s, jv_string_value(k));
	if (gotype(ov) == G_MAP) {
		r = merge_map(s, ov, v, sub);
	} else if (gotype(ov) == G_SLICE) {
		if (f.merge || del_list)
			r = merge_slice(s, ov, v, sub, f.merge_key, del_list);
		else {
			jv_free(ov);
			r = v;
		}
	} else {
		jv_free(ov);
		r = v;
	}
	path_pop(s, mark);
	if (!jv_is_valid(r)) {
		jv_free(orig);
		jv_free(k);
		return r;
	}
	return jv_object_set(orig, k, r);
}

static jv
merge_map(struct smp *s, jv orig, jv patch, const struct strategy_type *t)
{
	jv d;

	if (s->depth >= MAX_DEPTH) {
		jv_free(orig);
		jv_free(patch);
		return fail(s, "patch nested too deep");
	}
	if (has(patch, "$patch")) {
		d = jv_object_get(jv_copy(patch), jv_string("$patch"));
		jv_free(orig);
		if (is_string(d, "replace")) {
			jv_free(d);
			return jv_object_delete(patch, jv_string("$patch"));
		}
		jv_free(patch);
		if (is_string(d, "delete")) {
			jv_free(d);
			return jv_object();
		}
		jv_free(d);
		return fail(s, "unknown $patch directive in a map");
	}
	orig = retain_keys(s, orig, &patch);
	if (jv_is_valid(orig))
		orig = set_element_order(s, orig, &patch, t);
	if (!jv_is_valid(orig)) {
		jv_free(patch);
		return orig;
	}
	s->depth++;
	jv_object_foreach(patch, k, v) {
		if (jv_is_valid(orig))
			orig = merge_member(s, orig, k, v, t);
		else {
			jv_free(k);
			jv_free(v);
		}
	}
	s->depth--;
	jv_free(patch);
	return orig;
}

jv
smp_strategic(jv doc, jv patch, const struct strategy_type *type)
{
	struct smp s;
	jv r;

	memset(&s, 0, sizeof s);
	if (jv_get_kind(patch) != JV_KIND_OBJECT || jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		jv_free(patch);
		return fail(NULL, "a strategic merge patch must be a JSON object");
	}
	r = merge_map(&s, doc, patch, type);
	buf_free(&s.path);
	return r;
}

/* RFC 7386 as evanphx/json-patch v4 does it: null members are pruned
 * from what is added (its pruneNulls is discardNullValuesFromPatch), not
 * from arrays that replace an object's member. */
static jv
merge_docs(jv doc, jv patch, int depth)
{
	jv_object_foreach(patch, k, v) {
		jv cur = jv_object_get(jv_copy(doc), jv_copy(k));

		if (jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(v);
			doc = jv_object_delete(doc, k);
		} else if (!jv_is_valid(cur) || jv_get_kind(cur) == JV_KIND_NULL ||
		    jv_get_kind(cur) != JV_KIND_OBJECT) {
			doc = jv_object_set(doc, k, discard_nulls(v));
		} else if (jv_get_kind(v) != JV_KIND_OBJECT || depth > MAX_DEPTH) {
			doc = jv_object_set(doc, k, v);
		} else {
			doc = jv_object_set(doc, k, merge_docs(jv_copy(cur), v, depth + 1));
		}
		jv_free(cur);
	}
	jv_free(patch);
	return doc;
}

jv
smp_merge(jv doc, jv patch)
{
	if (jv_get_kind(patch) != JV_KIND_OBJECT || jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		jv_free(patch);
		return fail(NULL, "a merge patch must be a JSON object");
	}
	return merge_docs(doc, patch, 0);
}
