/* objects.c — get, list (streamed), patch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jcheck.h"
#include "jsonl.h"
#include "jstream.h"
#include "kutil.h"
#include "msg.h"
#include "objects.h"

/* Everything past here reads fields of the answer: it must be an object. */
static int
must_be_object(jv *out, struct kerr *e)
{
	if (jv_get_kind(*out) == JV_KIND_OBJECT)
		return 0;
	jv_free(*out);
	*out = jv_null();
	memset(e, 0, sizeof *e);
	snprintf(e->message, sizeof e->message, "the API server's answer is "
	    "not an object");
	return EXIT_UPSTREAM;
}

int
obj_get_sub(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, const char *sub, jv *out, struct kerr *e)
{
	struct buf path = BUF_INIT;
	int rc;

	kinds_path(&path, kind, ns, name, sub);
	rc = kc_get(k, path.p, out, e);
	buf_free(&path);
	return rc ? rc : must_be_object(out, e);
}

int
obj_get(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, jv *out, struct kerr *e)
{
	return obj_get_sub(k, kind, ns, name, NULL, out, e);
}

/* One page of a list as it streams in. */
struct page {
	const struct kkind *kind;
	char *api_version;
	obj_fn fn;
	obj_text_fn tfn;	/* instead of fn */
	void *ctx;
	struct buf line;	/* tfn's text */
	struct jstream *js;
	char *cont;		/* metadata.continue of this page */
	int stop;		/* fn's nonzero answer */
	int bad;		/* an item was not JSON */
};

/* Does the object text have these top-level keys? */
static int
has_key(const char *text, size_t len, const char *key)
{
	struct jobj_iter it;
	struct jmember m;
	int r;

	if (jobj_begin(&it, text, len) != 0)
		return 0;
	while ((r = jobj_next(&it, &m)) == 1)
		if (jmember_is(&m, key))
			return 1;
	return 0;
}

/* The fast way: a compact item printed as it came, apiVersion and kind
 * put first when the server left them off (built-in kinds' list items). */
static int
item_text(struct page *pg, const char *text, size_t len)
{
	int av, kd;

	if (!jcheck_compact_object(text, len))
		return -1;
	av = has_key(text, len, "apiVersion");
	kd = has_key(text, len, "kind");
	if (av && kd)
		return pg->tfn(pg->ctx, text, len);
	if (av || kd)
		return -1;
	buf_reset(&pg->line);
	buf_adds(&pg->line, "{\"apiVersion\":");
	jsonl_dump(&pg->line, jv_string(pg->api_version));
	buf_adds(&pg->line, ",\"kind\":");
	jsonl_dump(&pg->line, jv_string(pg->kind->kind));
	if (len > 2)
		buf_addc(&pg->line, ',');
	buf_add(&pg->line, text + 1, len - 1);
	return pg->tfn(pg->ctx, pg->line.p, pg->line.len);
}

static int
on_piece(void *ctx, const char *path, const char *text, size_t len)
{
	struct page *pg = ctx;
	jv v;

	if (strcmp(path, "metadata") == 0) {
		v = jv_parse_sized(text, (int)len);
		if (jv_is_valid(v) && jv_get_str(v, "continue") &&
		    *jv_get_str(v, "continue"))
			pg->cont = xstrdup(jv_get_str(v, "continue"));
		jv_free(v);
		return 0;
	}
	if (strcmp(path, "items[]") != 0)
		return 0;
	if (pg->tfn && (pg->stop = item_text(pg, text, len)) >= 0)
		return pg->stop;
	pg->stop = 0;
	v = jv_parse_sized(text, (int)len);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		pg->bad = 1;
		return 1;
	}
	/* apiVersion and kind first, as kubectl prints them. */
	v = jv_object_merge(jv_object_set(jv_object_set(jv_object(),
	    jv_string("apiVersion"), jv_string(pg->api_version)),
	    jv_string("kind"), jv_string(pg->kind->kind)), v);
	if (pg->tfn) {
		buf_reset(&pg->line);
		jsonl_dump(&pg->line, v);
		pg->stop = pg->tfn(pg->ctx, pg->line.p, pg->line.len);
	} else {
		pg->stop = pg->fn(pg->ctx, v);
	}
	return pg->stop;
}

static int
on_data(void *ctx, const char *data, size_t len)
{
	struct page *pg = ctx;

	return jstream_feed(pg->js, data, len) != 0;
}

static void
list_path(struct buf *path, const struct kkind *kind, const char *ns,
    const char *labels, const char *fields, const char *cont)
{
	char limit[32];

	kinds_path(path, kind, ns, NULL, NULL);
	snprintf(limit, sizeof limit, "%d", OBJ_PAGE);
	kc_query(path, "limit", limit);
	if (labels && *labels)
		kc_query(path, "labelSelector", labels);
	if (fields && *fields)
		kc_query(path, "fieldSelector", fields);
	if (cont)
		kc_query(path, "continue", cont);
}

static int
one_page(struct kclient *k, struct page *pg, const char *path,
    struct kerr *e)
{
	int rc;

	pg->js = jstream_new("items", on_piece, pg);
	rc = kc_stream(k, path, on_data, pg, e);
	if (rc == 0 && jstream_finish(pg->js) != 0)
		pg->bad = 1;
	if (pg->stop == 0 && (pg->bad || (rc && jstream_error(pg->js)[0]))) {
		memset(e, 0, sizeof *e);
		snprintf(e->message, sizeof e->message, "the list of %s from "
		    "the API server is not valid JSON", pg->kind->resource);
		rc = EXIT_UPSTREAM;
	} else if (pg->stop) {
		rc = pg->stop;
	}
	jstream_free(pg->js);
	pg->js = NULL;
	return rc;
}

static int
list_pages(struct kclient *k, struct page pg, const char *ns,
    const char *labels, const char *fields, struct kerr *e)
{
	const struct kkind *kind = pg.kind;
	char *cont = NULL;
	int rc;

	pg.api_version = kinds_api_version(kind);
	memset(e, 0, sizeof *e);
	do {
		struct buf path = BUF_INIT;

		list_path(&path, kind, ns, labels, fields, cont);
		free(cont);
		pg.cont = NULL;
		rc = one_page(k, &pg, path.p, e);
		buf_free(&path);
		cont = pg.cont;
	} while (rc == 0 && cont != NULL);
	free(cont);
	free(pg.api_version);
	buf_free(&pg.line);
	return rc;
}

int
obj_list(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *labels, const char *fields, obj_fn fn, void *ctx,
    struct kerr *e)
{
	struct page pg = { .kind = kind, .fn = fn, .ctx = ctx };

	return list_pages(k, pg, ns, labels, fields, e);
}

int
obj_list_text(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *labels, const char *fields, obj_text_fn fn, void *ctx,
    struct kerr *e)
{
	struct page pg = { .kind = kind, .tfn = fn, .ctx = ctx };

	return list_pages(k, pg, ns, labels, fields, e);
}

static int
collect(void *ctx, jv item)
{
	jv *arr = ctx;

	*arr = jv_array_append(*arr, item);
	return 0;
}

int
obj_list_all(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *labels, const char *fields, jv *out, struct kerr *e)
{
	int rc;

	*out = jv_array();
	rc = obj_list(k, kind, ns, labels, fields, collect, out, e);
	if (rc) {
		jv_free(*out);
		*out = jv_array();
	}
	return rc;
}

const char *
patch_content_type(enum patch_type t)
{
	switch (t) {
	case PATCH_MERGE:
		return "application/merge-patch+json";
	case PATCH_JSON:
		return "application/json-patch+json";
	case PATCH_APPLY:
		return "application/apply-patch+yaml";
	default:
		return "application/strategic-merge-patch+json";
	}
}

const char *
patch_type_name(enum patch_type t)
{
	static const char *const names[] = { "strategic", "merge", "json",
	    "apply" };

	return names[t];
}

int
obj_patch(struct kclient *k, const struct kkind *kind, const char *ns,
    const char *name, const char *body, const struct patch_opts *o, jv *out,
    struct kerr *e)
{
	struct buf path = BUF_INIT;
	int rc;

	kinds_path(&path, kind, ns, name, o->sub);
	if (o->dry_run)
		kc_query(&path, "dryRun", "All");
	if (o->field_manager)
		kc_query(&path, "fieldManager", o->field_manager);
	if (o->type == PATCH_APPLY && o->force)
		kc_query(&path, "force", "true");
	rc = kc_do(k, "PATCH", path.p, patch_content_type(o->type), body, out,
	    e);
	buf_free(&path);
	return rc || out == NULL ? rc : must_be_object(out, e);
}

/* "k in (a,b)" and the other operators of a matchExpressions item. */
static int
expression(struct buf *b, jv ex)
{
	const char *key = jv_get_str(ex, "key"), *op = jv_get_str(ex,
	    "operator");
	jv vals = jv_at(ex, "values");
	int ok = 1;

	if (key == NULL || op == NULL) {
		ok = 0;
	} else if (strcmp(op, "Exists") == 0) {
		buf_adds(b, key);
	} else if (strcmp(op, "DoesNotExist") == 0) {
		buf_printf(b, "!%s", key);
	} else if ((strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) &&
	    jv_get_kind(vals) == JV_KIND_ARRAY) {
		buf_printf(b, "%s %s (", key, op[0] == 'I' ? "in" : "notin");
		jv_array_foreach(vals, i, v) {
			if (jv_get_kind(v) == JV_KIND_STRING)
				buf_printf(b, "%s%s", i ? "," : "",
				    jv_string_value(v));
			else
				ok = 0;
			jv_free(v);
		}
		buf_addc(b, ')');
	} else {
		ok = 0;
	}
	jv_free(vals);
	return ok;
}

char *
obj_selector(jv selector)
{
	struct buf b = BUF_INIT;
	jv ml = jv_at(selector, "matchLabels");
	jv me = jv_at(selector, "matchExpressions");
	int ok = jv_get_kind(selector) == JV_KIND_OBJECT;

	if (ok && jv_get_kind(ml) == JV_KIND_OBJECT)
		jv_object_foreach(ml, key, v) {
			if (jv_get_kind(v) == JV_KIND_STRING)
				buf_printf(&b, "%s%s=%s", b.len ? "," : "",
				    jv_string_value(key), jv_string_value(v));
			else
				ok = 0;
			jv_free(key);
			jv_free(v);
		}
	if (ok && jv_get_kind(me) == JV_KIND_ARRAY)
		jv_array_foreach(me, i, ex) {
			(void)i;
			if (b.len)
				buf_addc(&b, ',');
			ok = ok && expression(&b, ex);
			jv_free(ex);
		}
	jv_free(ml);
	jv_free(me);
	if (!ok || b.len == 0) {
		/* An empty selector selects everything: never what a
		 * workload's pods need, so refuse it. */
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}
