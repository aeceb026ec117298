/* group.c — --by LABEL,… and --all: the samples of many series pooled
 * into one record per group, emitted when the input ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "msg.h"
#include "group.h"

struct group {
	char *key;		/* the group's label values, as JSON text */
	jv by;			/* the same as an object */
	jv rec;			/* fields equal in every member */
	struct data d;
	size_t series;
};

struct groups {
	struct group *g;
	size_t n, cap;
};

struct groups *
groups_new(void)
{
	return xcalloc(1, sizeof(struct groups));
}

/* {label: value, …} of the --by labels in obj (null when absent). */
static jv
by_values(const struct conf *c, jv obj)
{
	jv key = jv_object();
	size_t i;

	for (i = 0; i < c->nby; i++) {
		jv v = jv_get_kind(obj) == JV_KIND_OBJECT ?
		    jv_object_get(jv_copy(obj), jv_string(c->by[i])) :
		    jv_invalid();

		key = jv_object_set(key, jv_string(c->by[i]),
		    jv_is_valid(v) ? v : jv_null());
	}
	return key;
}

/* a's members that b has with an equal value (a consumed, b borrowed);
 * with deep set, members that are objects on both sides are intersected
 * in turn, so a group keeps the labels all its series share. */
static jv
intersect(jv a, jv b, int deep)
{
	jv out = jv_copy(a);

	jv_object_foreach(a, k, v) {
		jv w = jv_object_get(jv_copy(b), jv_copy(k));

		if (!jv_is_valid(w))
			out = jv_object_delete(out, k);
		else if (deep && jv_get_kind(v) == JV_KIND_OBJECT &&
		    jv_get_kind(w) == JV_KIND_OBJECT)
			out = jv_object_set(out, k, intersect(jv_copy(v), w, 0));
		else if (!jv_equal(jv_copy(v), jv_copy(w)))
			out = jv_object_delete(out, k);
		else
			jv_free(k);
		jv_free(w);
		jv_free(v);
	}
	jv_free(a);
	return out;
}

/* A --by group's metric has its labels even where members had no metric
 * object to intersect. by is consumed, rec too. */
static jv
with_by_labels(jv rec, jv by)
{
	jv m = jv_object_get(jv_copy(rec), jv_string("metric"));

	if (jv_get_kind(m) != JV_KIND_OBJECT) {
		jv_free(m);
		m = jv_object();
	}
	jv_object_foreach(by, k, v) {
		if (jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(k);
			jv_free(v);
		} else {
			m = jv_object_set(m, k, v);
		}
	}
	jv_free(by);
	return jv_object_set(rec, jv_string("metric"), m);
}

static struct group *
find(struct groups *gs, const char *key)
{
	size_t i;

	/* Groups are few (a label's values): a linear search is enough. */
	for (i = gs->n; i-- > 0;)
		if (strcmp(gs->g[i].key, key) == 0)
			return &gs->g[i];
	return NULL;
}

struct data *
groups_add(struct groups *gs, const struct conf *c, jv rec, jv labels)
{
	jv key = by_values(c, labels);
	jv text = jv_dump_string(jv_copy(key), JV_PRINT_SORTED);
	struct group *g = find(gs, jv_string_value(text));

	if (g == NULL) {
		xgrow((void **)&gs->g, &gs->cap, gs->n + 1, sizeof *gs->g);
		g = &gs->g[gs->n++];
		memset(g, 0, sizeof *g);
		g->key = xstrdup(jv_string_value(text));
		g->by = jv_copy(key);
		g->rec = rec;
	} else {
		g->rec = intersect(g->rec, rec, 1);
		jv_free(rec);
	}
	g->series++;
	jv_free(text);
	jv_free(key);
	return &g->d;
}

int
groups_flush(struct groups *gs, const struct conf *c, jv empty)
{
	struct buf b = BUF_INIT;
	char why[160];
	size_t i;
	int bad = 0;

	/* "Everything pooled" is one record even when everything is
	 * nothing: count 0 says so plainly downstream. */
	if (gs->n == 0 && c->nby == 0) {
		xgrow((void **)&gs->g, &gs->cap, 1, sizeof *gs->g);
		memset(&gs->g[0], 0, sizeof gs->g[0]);
		gs->g[0].key = xstrdup("{}");
		gs->g[0].by = jv_object();
		gs->g[0].rec = empty;
		gs->n = 1;
	} else {
		jv_free(empty);
	}

	for (i = 0; i < gs->n; i++) {
		struct group *g = &gs->g[i];

		buf_reset(&b);
		data_order(&g->d, 0);
		if (c->nby && !c->field)
			g->rec = with_by_labels(g->rec, jv_copy(g->by));
		jv_free(g->by);
		jsonl_dump(&b, strip_keys(g->rec, c));
		g->rec = jv_invalid();
		b.p[--b.len] = '\0';	/* reopen the object */
		/* With --field a member is a line, not a series. */
		if (!c->field)
			buf_printf(&b, "%s\"series\":%zu", b.len > 1 ? "," :
			    "", g->series);
		if (summary_add(&b, c, &g->d, why, sizeof why) != 0) {
			msg_warn("group %s: %s", g->key, why);
			bad = 1;
		}
		if (c->keep_values)
			data_dump_values(&b, &g->d);
		buf_adds(&b, "}\n");
		fwrite(b.p, 1, b.len, stdout);
		data_free(&g->d);
		free(g->key);
	}
	buf_free(&b);
	free(gs->g);
	free(gs);
	return bad;
}
