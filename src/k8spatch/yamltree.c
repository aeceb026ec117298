/* yamltree.c — YAML documents as trees with byte offsets (libyaml events),
 * and their values as kubectl reads them (Go's yaml.v2). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "msg.h"
#include "yamltree.h"

/* Deeper nesting is refused: the readers and the editor recurse. */
#define MAX_DEPTH 512
/* Aliases may not expand a document beyond this many nodes. */
#define MAX_WEIGHT 1000000

/*
 * libyaml's marks count characters; the editor needs bytes. Marks come
 * in nearly increasing order, so a cursor walking the UTF-8 text (which
 * libyaml has validated) converts them in linear time overall.
 */
struct posmap {
	const char *text;
	size_t len, base, ci, bi;
};

static size_t
pos_byte(struct posmap *m, size_t ci)
{
	while (m->ci < ci && m->bi < m->len) {
		m->bi++;
		while (m->bi < m->len && ((unsigned char)m->text[m->bi] & 0xC0) == 0x80)
			m->bi++;
		m->ci++;
	}
	while (m->ci > ci && m->bi > m->base) {
		m->bi--;
		while (m->bi > m->base && ((unsigned char)m->text[m->bi] & 0xC0) == 0x80)
			m->bi--;
		m->ci--;
	}
	return m->bi;
}

struct parse {
	const char *text;
	size_t len;
	struct posmap pm;
	struct ydoc *doc;
	struct ynode **stack;
	size_t depth, cap;
	char *err;
};

static char *
errf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static void
doc_add(void ***arr, size_t *n, size_t *cap, void *p)
{
	xgrow((void **)arr, cap, *n + 1, sizeof(void *));
	(*arr)[(*n)++] = p;
}

void
ydoc_free(struct ydoc *doc)
{
	size_t i;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->nnodes; i++) {
		struct ynode *n = doc->nodes[i];

		free(n->tag);
		free(n->anchor);
		free(n->value);
		free(n->kids);
		jv_free(n->val);
		free(n);
	}
	free(doc->nodes);
	free(doc->aliases);
	free(doc);
}

static struct ynode *
node_new(struct parse *ps, enum ykind kind, const yaml_mark_t *start,
    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	struct ynode *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->start = pos_byte(&ps->pm, start->index);
	n->line = start->line + 1;
	n->anchor = anchor ? xstrdup((const char *)anchor) : NULL;
	n->tag = tag ? xstrdup((const char *)tag) : NULL;
	n->val = jv_invalid();
	n->weight = 1;
	n->id = ps->doc->nnodes;
	doc_add((void ***)&ps->doc->nodes, &ps->doc->nnodes, &ps->doc->capnodes, n);
	return n;
}

/* Attaches n to the open collection, or makes it the document's root. */
static int
attach(struct parse *ps, struct ynode *n)
{
	struct ynode *parent;

	if (ps->depth == 0) {
		ps->doc->root = n;
		return 0;
	}
	parent = ps->stack[ps->depth - 1];
	n->parent = parent;
	n->pidx = parent->n;
	xgrow((void **)&parent->kids, &parent->cap, parent->n + 1, sizeof *parent->kids);
	parent->kids[parent->n++] = n;
	parent->weight += n->weight;
	if (parent->weight > MAX_WEIGHT) {
		ps->err = errf("line %zu: aliases expand the document beyond "
		    "a million nodes", n->line);
		return -1;
	}
	return 0;
}

/*
 * Where a block scalar's content ends: libyaml's mark is past the blank
 * lines that follow it (and sometimes past the next line's indentation);
 * the content ends at the line break of its last non-blank line.
 */
static size_t
block_scalar_end(const char *t, size_t start, size_t raw)
{
	size_t e = raw, ls, i;

	for (;;) {
		ls = e;
		while (ls > start && t[ls - 1] != '\n')
			ls--;
		if (ls <= start)
			break;
		for (i = ls; i < e; i++)
			if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r')
				break;
		if (i < e)
			break;
		e = ls - 1;
		if (e > start && t[e - 1] == '\r')
			e--;
	}
	return e;
}

static int
on_scalar(struct parse *ps, const yaml_event_t *ev)
{
	struct ynode *n;
	size_t raw, ls;
	const char *t = ps->text;

	n = node_new(ps, Y_SCALAR, &ev->start_mark, ev->data.scalar.anchor,
	    ev->data.scalar.tag);
	n->style = (unsigned char)ev->data.scalar.style;
	n->vlen = ev->data.scalar.length;
	n->value = xmalloc(n->vlen + 1);
	memcpy(n->value, ev->data.scalar.value, n->vlen);
	n->value[n->vlen] = '\0';
	raw = pos_byte(&ps->pm, ev->end_mark.index);
	n->end = raw;
	if (n->style == YAML_LITERAL_SCALAR_STYLE || n->style == YAML_FOLDED_SCALAR_STYLE) {
		const char *h = memchr(t + n->start, n->style == YAML_LITERAL_SCALAR_STYLE ?
		    '|' : '>', raw - n->start);
		size_t i;

		for (i = h ? (size_t)(h - t) + 1 : raw; i < raw && t[i] != '\n' && t[i] != '#'; i++)
			if (t[i] == '+')
				n->keep = 1;
		n->end = block_scalar_end(t, n->start, raw);
		ls = raw;
		while (ls > n->end && (t[ls - 1] == ' ' || t[ls - 1] == '\t'))
			ls--;
		n->tail = (ls > n->end && t[ls - 1] == '\n') ? ls : raw;
	}
	return attach(ps, n);
}

static struct ynode *
find_anchor(struct parse *ps, const char *name)
{
	size_t i = ps->doc->nnodes;

	/* A later anchor of the same name replaces an earlier one. */
	while (i-- > 0)
		if (ps->doc->nodes[i]->anchor && strcmp(ps->doc->nodes[i]->anchor, name) == 0)
			return ps->doc->nodes[i];
	return NULL;
}

static int
on_alias(struct parse *ps, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ynode *target = find_anchor(ps, name), *n;

	if (target == NULL || target->open) {
		ps->err = errf(target ? "line %zu: alias '*%s' is inside the node it names" :
		    "line %zu: unknown alias '*%s'", (size_t)ev->start_mark.line + 1, name);
		return -1;
	}
	n = node_new(ps, Y_ALIAS, &ev->start_mark, NULL, NULL);
	n->end = pos_byte(&ps->pm, ev->end_mark.index);
	n->target = target;
	n->weight = target->weight;
	target->shared = 1;
	doc_add((void ***)&ps->doc->aliases, &ps->doc->naliases, &ps->doc->capaliases, n);
	return attach(ps, n);
}

static int
on_start(struct parse *ps, const yaml_event_t *ev, enum ykind kind)
{
	struct ynode *n;
	int flow;

	if (ps->depth >= MAX_DEPTH) {
		ps->err = errf("line %zu: nesting deeper than %d levels",
		    (size_t)ev->start_mark.line + 1, MAX_DEPTH);
		return -1;
	}
	if (kind == Y_MAP) {
		n = node_new(ps, kind, &ev->start_mark, ev->data.mapping_start.anchor,
		    ev->data.mapping_start.tag);
		flow = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
	} else {
		n = node_new(ps, kind, &ev->start_mark, ev->data.sequence_start.anchor,
		    ev->data.sequence_start.tag);
		flow = ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
	}
	n->flow = (unsigned char)flow;
	n->open = 1;
	xgrow((void **)&ps->stack, &ps->cap, ps->depth + 1, sizeof *ps->stack);
	ps->stack[ps->depth++] = n;
	return 0;
}

static int
on_end(struct parse *ps, const yaml_event_t *ev)
{
	struct ynode *n = ps->stack[--ps->depth];
	size_t i;

	n->open = 0;
	if (n->flow || n->n == 0)
		n->end = pos_byte(&ps->pm, ev->end_mark.index);
	else
		n->end = n->kids[n->n - 1]->end;
	if (n->kind == Y_MAP)
		for (i = 0; i < n->n; i += 2)
			if (n->kids[i]->kind == Y_SCALAR && n->kids[i]->style == YAML_PLAIN_SCALAR_STYLE &&
			    n->kids[i]->tag == NULL && strcmp(n->kids[i]->value, "<<") == 0)
				n->merges = 1;
	return attach(ps, n);
}

static int
on_event(struct parse *ps, const yaml_event_t *ev, ydoc_fn fn, void *ctx)
{
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		ps->doc->start = pos_byte(&ps->pm, ev->start_mark.index);
		ps->doc->line = ev->start_mark.line + 1;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		ps->doc->end = pos_byte(&ps->pm, ev->end_mark.index);
		r = fn(ps->doc, ctx);
		if (r == 0)
			ydoc_free(ps->doc);
		ps->doc = NULL;
		if (r < 0)
			return -1;
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(ps, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(ps, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(ps, ev, Y_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(ps, ev, Y_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(ps, ev);
	default:
		return 0;
	}
}

int
ytree_parse(const char *text, size_t len, ydoc_fn fn, void *ctx, char **err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct parse ps;
	size_t index = 0;
	int rc = 0, done = 0;

	memset(&ps, 0, sizeof ps);
	ps.text = text;
	ps.len = len;
	ps.pm.text = text;
	ps.pm.len = len;
	/* A leading byte order mark is skipped here: libyaml is told the
	 * text is UTF-8 (UTF-16 is refused), and then would not skip it. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		ps.pm.base = ps.pm.bi = 3;
	*err = NULL;
	if (!yaml_parser_initialize(&parser))
		msg_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text + ps.pm.base,
	    len - ps.pm.base);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			ps.err = errf("line %zu column %zu: %s",
			    (size_t)parser.problem_mark.line + 1,
			    (size_t)parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "not YAML");
			rc = -1;
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			ps.doc = xcalloc(1, sizeof *ps.doc);
			ps.doc->index = index++;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&ps, &ev, fn, ctx);
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&parser);
	ydoc_free(ps.doc);
	free(ps.stack);
	*err = ps.err;
	return rc;
}

/* Go's strconv.ParseInt/ParseUint with base 0, as yaml.v2 calls them. */
static int
go_parse_int(const char *s, double *out)
{
	int neg = 0, base = 10;
	unsigned long long v = 0, lim;
	const char *p = s;
	unsigned d;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1] != '\0')
		base = 8, p++;
	if (*p == '\0')
		return -1;
	lim = neg ? (unsigned long long)INT64_MAX + 1 : UINT64_MAX;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return -1;
		if (d >= (unsigned)base || v > (lim - d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + d;
	}
	*out = neg ? -(double)v : (double)v;
	return 0;
}

/* yaml.v2's yamlStyleFloat: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
yaml_style_float(const char *p)
{
	int digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
		if (digits == 0)
			return 0;
	} else {
		for (; *p >= '0' && *p <= '9'; p++)
			digits++;
		if (digits == 0)
			return 0;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
static const char *const trues[] = { "y", "Y", "yes", "Yes", "YES", "true",
	"True", "TRUE", "on", "On", "ON", NULL };
static const char *const falses[] = { "n", "N", "no", "No", "NO", "false",
	"False", "FALSE", "off", "Off", "OFF", NULL };
static const char *const nonfinite[] = { ".nan", ".NaN", ".NAN", ".inf",
	".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", NULL };

static int
in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int
ydoc_empty(const struct ydoc *doc)
{
	const struct ynode *r = doc->root;

	return r == NULL || (r->kind == Y_SCALAR && r->style == YAML_PLAIN_SCALAR_STYLE &&
	    r->tag == NULL && (r->vlen == 0 || in_list(nulls, r->value)));
}

static jv
resolve_number(const char *s, size_t len)
{
	char *plain = xmalloc(len + 1);
	double d;
	size_t i, j;
	jv r = jv_invalid();

	for (i = j = 0; i < len; i++)
		if (s[i] != '_')
			plain[j++] = s[i];
	plain[j] = '\0';
	if (go_parse_int(plain, &d) == 0) {
		r = jv_number(d);
	} else if (yaml_style_float(plain)) {
		errno = 0;
		d = strtod(plain, NULL);
		if (errno == 0 && isfinite(d))
			r = jv_number(d);
	}
	free(plain);
	return jv_is_valid(r) ? r : jv_string_sized(s, (int)len);
}

jv
ytree_plain(const char *s, size_t len)
{
	char c = len ? s[0] : '\0';

	if (len == 0 || memchr(s, '\0', len) != NULL)
		return len == 0 ? jv_null() : jv_string_sized(s, (int)len);
	/* yaml.v2 looks a scalar up only when its first byte hints so. */
	if (strchr("yYnNtTfFoO~", c) || c == '.' || c == '+' || c == '-') {
		if (in_list(nulls, s))
			return jv_null();
		if (in_list(trues, s))
			return jv_true();
		if (in_list(falses, s))
			return jv_false();
		if (in_list(nonfinite, s))
			return jv_invalid_with_msg(jv_string_fmt("'%s' is not a number JSON can hold", s));
	}
	if (c == '.') {
		double d;

		if (yaml_style_float(s) && (d = strtod(s, NULL), isfinite(d)))
			return jv_number(d);
		return jv_string_sized(s, (int)len);
	}
	if ((c >= '0' && c <= '9') || c == '+' || c == '-')
		return resolve_number(s, len);
	return jv_string_sized(s, (int)len);
}

static int
tag_is(const char *tag, const char *name)
{
	return (strncmp(tag, "tag:yaml.org,2002:", 18) == 0 && strcmp(tag + 18, name) == 0);
}

static jv
scalar_value(const struct ynode *n)
{
	jv v;

	if (n->tag == NULL || strcmp(n->tag, "!") == 0 || tag_is(n->tag, "str")) {
		if (n->tag || n->style != YAML_PLAIN_SCALAR_STYLE)
			return jv_string_sized(n->value, (int)n->vlen);
		v = ytree_plain(n->value, n->vlen);
		if (!jv_is_valid(v)) {
			jv m = jv_invalid_get_msg(v);

			v = jv_invalid_with_msg(jv_string_fmt("line %zu: %s", n->line,
			    jv_string_value(m)));
			jv_free(m);
		}
		return v;
	}
	v = ytree_plain(n->value, n->vlen);
	if (jv_is_valid(v) && ((tag_is(n->tag, "int") && jv_get_kind(v) == JV_KIND_NUMBER &&
	    jv_number_value(v) == floor(jv_number_value(v))) ||
	    (tag_is(n->tag, "float") && jv_get_kind(v) == JV_KIND_NUMBER) ||
	    (tag_is(n->tag, "bool") && (jv_get_kind(v) == JV_KIND_TRUE || jv_get_kind(v) == JV_KIND_FALSE)) ||
	    (tag_is(n->tag, "null") && jv_get_kind(v) == JV_KIND_NULL)))
		return v;
	jv_free(v);
	return jv_invalid_with_msg(jv_string_fmt("line %zu: cannot read '%s' tagged %s",
	    n->line, n->value, n->tag));
}

jv
ytree_key(const struct ynode *key)
{
	jv v;
	double d;

	if (key->kind == Y_ALIAS)
		key = key->target;
	if (key->kind != Y_SCALAR)
		return jv_invalid_with_msg(jv_string_fmt("line %zu: a key that is not a scalar", key->line));
	v = scalar_value(key);
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
	case JV_KIND_INVALID:
		return v;
	case JV_KIND_TRUE:
		return jv_string("true");
	case JV_KIND_FALSE:
		return jv_string("false");
	case JV_KIND_NUMBER:
		d = jv_number_value(v);
		if (d == floor(d) && fabs(d) < 9.2e18) {
			jv_free(v);
			return jv_string_fmt("%lld", (long long)d);
		}
		break;	/* Go formats float keys its own way: refused */
	default:
		break;
	}
	jv_free(v);
	return jv_invalid_with_msg(jv_string_fmt("line %zu: unsupported key '%s'",
	    key->line, key->value));
}

static jv node_value(struct ynode *n, int depth);

/* Sets the entries of a merged mapping, as yaml.v2 does: in text order. */
static jv
merge_into(jv obj, struct ynode *src, int depth)
{
	jv m;

	if (src->kind == Y_ALIAS)
		src = src->target;
	m = node_value(src, depth + 1);
	if (!jv_is_valid(m)) {
		jv_free(obj);
		return m;
	}
	if (jv_get_kind(m) != JV_KIND_OBJECT) {
		jv_free(obj);
		jv_free(m);
		return jv_invalid_with_msg(jv_string_fmt("line %zu: '<<' merges something "
		    "that is not a mapping", src->line));
	}
	jv_object_foreach(m, k, v)
		obj = jv_object_set(obj, k, v);
	jv_free(m);
	return obj;
}

static jv
map_value(struct ynode *n, int depth)
{
	jv obj = jv_object(), seen = jv_object();
	size_t i, j;

	for (i = 0; i + 1 < n->n && jv_is_valid(obj); i += 2) {
		struct ynode *k = n->kids[i], *v = n->kids[i + 1];
		jv key, val;

		if (k->kind == Y_SCALAR && k->style == YAML_PLAIN_SCALAR_STYLE && k->tag == NULL &&
		    strcmp(k->value, "<<") == 0) {
			if (v->kind == Y_SEQ) {
				/* yaml.v2 merges a list of mappings last to first. */
				for (j = v->n; j-- > 0 && jv_is_valid(obj);)
					obj = merge_into(obj, v->kids[j], depth);
			} else {
				obj = merge_into(obj, v, depth);
			}
			continue;
		}
		key = ytree_key(k);
		if (!jv_is_valid(key)) {
			jv_free(obj);
			obj = key;
			break;
		}
		if (jv_object_has(jv_copy(seen), jv_copy(key))) {
			jv_free(obj);
			obj = jv_invalid_with_msg(jv_string_fmt("line %zu: key '%s' is given twice",
			    k->line, jv_string_value(key)));
			jv_free(key);
			break;
		}
		seen = jv_object_set(seen, jv_copy(key), jv_true());
		val = node_value(v, depth + 1);
		if (!jv_is_valid(val)) {
			jv_free(key);
			jv_free(obj);
			obj = val;
			break;
		}
		obj = jv_object_set(obj, key, val);
	}
	jv_free(seen);
	return obj;
}

static jv
node_value(struct ynode *n, int depth)
{
	jv v;
	size_t i;

	if (depth > MAX_DEPTH * 2)
		return jv_invalid_with_msg(jv_string_fmt("line %zu: nesting too deep", n->line));
	if (n->kind == Y_ALIAS)
		n = n->target;
	if (jv_is_valid(n->val))
		return jv_copy(n->val);
	switch (n->kind) {
	case Y_SCALAR:
		v = scalar_value(n);
		break;
	case Y_SEQ:
		v = jv_array();
		for (i = 0; i < n->n && jv_is_valid(v); i++) {
			jv item = node_value(n->kids[i], depth + 1);

			if (!jv_is_valid(item)) {
				jv_free(v);
				v = item;
			} else {
				v = jv_array_append(v, item);
			}
		}
		break;
	default:
		v = map_value(n, depth);
		break;
	}
	/* An anchored node is read once, however many aliases name it. */
	if (n->shared && jv_is_valid(v))
		n->val = jv_copy(v);
	return v;
}

jv
ytree_value(struct ynode *n)
{
	return node_value(n, 0);
}

const struct ynode *
ytree_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map && map->kind == Y_ALIAS)
		map = map->target;
	if (map == NULL || map->kind != Y_MAP)
		return NULL;
	for (i = 0; i + 1 < map->n; i += 2) {
		jv k = ytree_key(map->kids[i]);
		int eq = jv_get_kind(k) == JV_KIND_STRING && strcmp(jv_string_value(k), key) == 0;

		jv_free(k);
		if (eq)
			return map->kids[i + 1]->kind == Y_ALIAS ? map->kids[i + 1]->target :
			    map->kids[i + 1];
	}
	return NULL;
}

const char *
ytree_string(const struct ydoc *doc, const char *path, char *buf, size_t size)
{
	const struct ynode *n = doc->root;
	char seg[64];
	const char *p = path, *dot;
	jv v;
	int ok;

	while (n && *p) {
		dot = strchr(p, '.');
		snprintf(seg, sizeof seg, "%.*s", dot ? (int)(dot - p) : (int)strlen(p), p);
		n = ytree_get(n, seg);
		p = dot ? dot + 1 : "";
	}
	if (n == NULL || n->kind != Y_SCALAR)
		return NULL;
	v = scalar_value(n);
	ok = jv_get_kind(v) == JV_KIND_STRING;
	if (ok)
		snprintf(buf, size, "%s", jv_string_value(v));
	jv_free(v);
	return ok ? buf : NULL;
}
