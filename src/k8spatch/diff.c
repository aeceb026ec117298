/* diff.c — the effective change between a live object and a proposed one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diff.h"
#include "jsonl.h"
#include "kpath.h"
#include "msg.h"
#include "strategy.h"

/* Where the walk is: the change path and the strategy path of strategy.h
 * ("spec.template.spec.containers[].env"). */
struct where {
	struct buf path, spath;
};

struct ctx {
	const char *api_version, *kind;
	jv out;
};

static void
push_name(struct where *w, const char *name, size_t *mark, size_t *smark)
{
	*mark = w->path.len;
	*smark = w->spath.len;
	kpath_name(&w->path, name);
	if (w->spath.len > 0)
		buf_addc(&w->spath, '.');
	buf_adds(&w->spath, name);
}

static void
push_item(struct where *w, const char *item, size_t *mark, size_t *smark)
{
	*mark = w->path.len;
	*smark = w->spath.len;
	kpath_item(&w->path, item);
	buf_adds(&w->spath, "[]");
}

static void
pop(struct where *w, size_t mark, size_t smark)
{
	w->path.len = mark;
	w->spath.len = smark;
	if (w->path.p)
		w->path.p[mark] = '\0';
	if (w->spath.p)
		w->spath.p[smark] = '\0';
}

/* Records one change; old/new consumed, jv_invalid() meaning absent. */
static void
emit(struct ctx *c, struct where *w, jv old, jv new)
{
	jv ch = jv_object_set(jv_object(), jv_string("path"),
	    jv_string(w->path.p ? w->path.p : ""));

	if (jv_is_valid(old))
		ch = jv_object_set(ch, jv_string("old"), old);
	else
		jv_free(old);
	if (jv_is_valid(new))
		ch = jv_object_set(ch, jv_string("new"), new);
	else
		jv_free(new);
	c->out = jv_array_append(c->out, ch);
}

static void walk(struct ctx *c, struct where *w, jv a, jv b);

static int
all_scalars(jv list)
{
	int ok = 1;

	jv_array_foreach(list, i, e) {
		jv_kind k = jv_get_kind(e);

		(void)i;
		if (k == JV_KIND_OBJECT || k == JV_KIND_ARRAY)
			ok = 0;
		jv_free(e);
	}
	return ok;
}

/* The item name of e by key: its key's value as text, else NULL. */
static char *
item_name(jv e, const char *key)
{
	jv v;
	char tmp[64];
	char *s = NULL;

	if (jv_get_kind(e) != JV_KIND_OBJECT)
		return NULL;
	v = jv_object_get(jv_copy(e), jv_string(key));
	if (jv_get_kind(v) == JV_KIND_STRING) {
		s = xstrdup(jv_string_value(v));
	} else if (jv_get_kind(v) == JV_KIND_NUMBER) {
		snprintf(tmp, sizeof tmp, "%.17g", jv_number_value(v));
		s = xstrdup(tmp);
	}
	jv_free(v);
	return s;
}

/* The list as {name: item} and its names in order, or invalid when an
 * item has no usable key or two items share one. */
static jv
keyed(jv list, const char *key, jv *order)
{
	jv map = jv_object();

	*order = jv_array();
	jv_array_foreach(list, i, e) {
		char *n = item_name(e, key);

		(void)i;
		if (n == NULL || jv_object_has(jv_copy(map), jv_string(n))) {
			free(n);
			jv_free(e);
			jv_free(map);
			jv_free(*order);
			*order = jv_invalid();
			return jv_invalid();
		}
		*order = jv_array_append(*order, jv_string(n));
		map = jv_object_set(map, jv_string(n), e);
		free(n);
	}
	return map;
}

/* The names of order (borrowed) that map (borrowed) also has, in order. */
static jv
common(jv order, jv map)
{
	jv out = jv_array();

	jv_array_foreach(order, i, n) {
		(void)i;
		if (jv_object_has(jv_copy(map), jv_copy(n)))
			out = jv_array_append(out, n);
		else
			jv_free(n);
	}
	return out;
}

/* Items by merge key (a and b consumed); 0 when the lists cannot be
 * matched so. */
static int
walk_keyed(struct ctx *c, struct where *w, jv a, jv b, const char *key)
{
	jv oa, ob, ma = keyed(a, key, &oa), mb = keyed(b, key, &ob);
	size_t mark, smark;

	jv_free(a);
	jv_free(b);
	if (!jv_is_valid(ma) || !jv_is_valid(mb)) {
		jv_free(ma);
		jv_free(oa);
		jv_free(mb);
		jv_free(ob);
		return 0;
	}
	/* Items that stay but in another order (init containers run in
	 * it): the list itself changed, whatever else did. */
	if (!jv_equal(common(oa, mb), common(ob, ma)))
		emit(c, w, jv_copy(oa), jv_copy(ob));
	jv_array_foreach(oa, i, n) {
		(void)i;
		push_item(w, jv_string_value(n), &mark, &smark);
		walk(c, w, jv_object_get(jv_copy(ma), jv_copy(n)),
		    jv_object_get(jv_copy(mb), jv_copy(n)));
		pop(w, mark, smark);
		jv_free(n);
	}
	jv_array_foreach(ob, i, n) {
		(void)i;
		if (!jv_object_has(jv_copy(ma), jv_copy(n))) {
			push_item(w, jv_string_value(n), &mark, &smark);
			walk(c, w, jv_invalid(), jv_object_get(jv_copy(mb),
			    jv_copy(n)));
			pop(w, mark, smark);
		}
		jv_free(n);
	}
	jv_free(ma);
	jv_free(mb);
	jv_free(oa);
	jv_free(ob);
	return 1;
}

static int
length_of(jv v)
{
	return jv_get_kind(v) == JV_KIND_ARRAY ? jv_array_length(jv_copy(v)) :
	    0;
}

/* Lists: a := before, b := after; either may be invalid (absent). */
static void
walk_list(struct ctx *c, struct where *w, jv a, jv b)
{
	const char *key = strategy_merge_key(c->api_version, c->kind,
	    w->spath.p ? w->spath.p : "");
	int na = length_of(a), nb = length_of(b), i;
	size_t mark, smark;
	char idx[32];

	if ((na == 0 && nb == 0) || ((!jv_is_valid(a) || all_scalars(a)) &&
	    (!jv_is_valid(b) || all_scalars(b)))) {
		/* A list of scalars is one value; so is an empty one. */
		if (!jv_equal(jv_copy(a), jv_copy(b)))
			emit(c, w, a, b);
		else {
			jv_free(a);
			jv_free(b);
		}
		return;
	}
	if (key && jv_is_valid(a) && jv_is_valid(b) &&
	    walk_keyed(c, w, jv_copy(a), jv_copy(b), key)) {
		jv_free(a);
		jv_free(b);
		return;
	}
	for (i = 0; i < (na > nb ? na : nb); i++) {
		jv e = jv_array_get(jv_copy(i < na ? a : b), i);
		char *name = key ? item_name(e, key) : NULL;

		jv_free(e);

		/* Added or removed items of a keyed list keep their name. */
		if (name && (!jv_is_valid(a) || !jv_is_valid(b)))
			push_item(w, name, &mark, &smark);
		else {
			snprintf(idx, sizeof idx, "%d", i);
			push_item(w, idx, &mark, &smark);
		}
		free(name);
		walk(c, w, i < na ? jv_array_get(jv_copy(a), i) : jv_invalid(),
		    i < nb ? jv_array_get(jv_copy(b), i) : jv_invalid());
		pop(w, mark, smark);
	}
	jv_free(a);
	jv_free(b);
}

static void
walk_object(struct ctx *c, struct where *w, jv a, jv b)
{
	size_t mark, smark;

	if (jv_get_kind(a) == JV_KIND_OBJECT && jv_object_length(jv_copy(a))
	    == 0 && (!jv_is_valid(b) || jv_object_length(jv_copy(b)) == 0)) {
		emit(c, w, a, b);	/* {} is a leaf */
		return;
	}
	if (jv_get_kind(b) == JV_KIND_OBJECT && jv_object_length(jv_copy(b))
	    == 0 && !jv_is_valid(a)) {
		emit(c, w, a, b);
		return;
	}
	if (jv_is_valid(a)) {
		jv_object_foreach(a, k, va) {
			jv vb = jv_is_valid(b) ? jv_object_get(jv_copy(b),
			    jv_copy(k)) : jv_invalid();

			push_name(w, jv_string_value(k), &mark, &smark);
			walk(c, w, va, vb);
			pop(w, mark, smark);
			jv_free(k);
		}
	}
	if (jv_is_valid(b)) {
		jv_object_foreach(b, k, vb) {
			if (!jv_is_valid(a) || !jv_object_has(jv_copy(a),
			    jv_copy(k))) {
				push_name(w, jv_string_value(k), &mark, &smark);
				walk(c, w, jv_invalid(), vb);
				pop(w, mark, smark);
			} else {
				jv_free(vb);
			}
			jv_free(k);
		}
	}
	jv_free(a);
	jv_free(b);
}

/* a and b consumed; either may be jv_invalid() for "absent". */
static void
walk(struct ctx *c, struct where *w, jv a, jv b)
{
	jv_kind ka = jv_is_valid(a) ? jv_get_kind(a) : JV_KIND_INVALID;
	jv_kind kb = jv_is_valid(b) ? jv_get_kind(b) : JV_KIND_INVALID;

	if (ka == JV_KIND_INVALID && kb == JV_KIND_INVALID) {
		jv_free(a);
		jv_free(b);
		return;
	}
	if (ka != JV_KIND_INVALID && kb != JV_KIND_INVALID &&
	    jv_equal(jv_copy(a), jv_copy(b))) {
		jv_free(a);
		jv_free(b);
		return;
	}
	if ((ka == JV_KIND_OBJECT || ka == JV_KIND_INVALID) &&
	    (kb == JV_KIND_OBJECT || kb == JV_KIND_INVALID)) {
		walk_object(c, w, a, b);
	} else if ((ka == JV_KIND_ARRAY || ka == JV_KIND_INVALID) &&
	    (kb == JV_KIND_ARRAY || kb == JV_KIND_INVALID)) {
		walk_list(c, w, a, b);
	} else if (ka == JV_KIND_OBJECT || ka == JV_KIND_ARRAY ||
	    kb == JV_KIND_OBJECT || kb == JV_KIND_ARRAY) {
		/* A subtree became a scalar or the reverse: every leaf of
		 * both sides counts. */
		walk(c, w, a, jv_invalid());
		walk(c, w, jv_invalid(), b);
	} else {
		emit(c, w, a, b);
	}
}

/* The object without the fields the server owns. */
static jv
strip(jv obj, int flags)
{
	static const char *const meta[] = { "resourceVersion", "generation",
	    "managedFields", "creationTimestamp", "uid", "selfLink", NULL };
	jv m;
	size_t i;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return obj;
	if (!(flags & DIFF_STATUS))
		obj = jv_object_delete(obj, jv_string("status"));
	m = jv_object_get(jv_copy(obj), jv_string("metadata"));
	if (jv_get_kind(m) != JV_KIND_OBJECT) {
		jv_free(m);
		return obj;
	}
	for (i = 0; meta[i]; i++)
		m = jv_object_delete(m, jv_string(meta[i]));
	return jv_object_set(obj, jv_string("metadata"), m);
}

jv
diff_effective(jv before, jv after, int flags)
{
	struct where w = { BUF_INIT, BUF_INIT };
	struct ctx c;

	c.api_version = jv_get_str(after, "apiVersion");
	c.kind = jv_get_str(after, "kind");
	c.out = jv_array();
	walk(&c, &w, strip(jv_copy(before), flags), strip(jv_copy(after),
	    flags));
	buf_free(&w.path);
	buf_free(&w.spath);
	return c.out;
}

jv
diff_paths(jv changes)
{
	jv seen = jv_object(), out = jv_array();

	jv_array_foreach(changes, i, ch) {
		jv p = jv_object_get(ch, jv_string("path"));

		(void)i;
		if (!jv_object_has(jv_copy(seen), jv_copy(p))) {
			seen = jv_object_set(seen, jv_copy(p), jv_true());
			out = jv_array_append(out, p);
		} else {
			jv_free(p);
		}
	}
	jv_free(changes);
	jv_free(seen);
	return out;
}
