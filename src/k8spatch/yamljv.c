/* yamljv.c — YAML documents as jv values, on libyaml's event parser. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "msg.h"
#include "yamljv.h"

/* Nesting deeper than this is refused rather than recursed into. */
#define MAX_DEPTH	200
/* Nodes a document may expand to through aliases. */
#define MAX_NODES	1000000

struct yp {
	yaml_parser_t parser;
	yaml_event_t ev;
	int have_ev;
	int flags;
	jv anchors;		/* name → [value, node count] */
	size_t nodes;
	size_t line;		/* of the problem */
	char err[256];
};

static int
fail(struct yp *y, size_t line, const char *what)
{
	if (y->err[0] == '\0') {
		snprintf(y->err, sizeof y->err, "%s", what);
		y->line = line;
	}
	return -1;
}

/* Reads the next event into y->ev, freeing the previous one. */
static int
next(struct yp *y)
{
	if (y->have_ev)
		yaml_event_delete(&y->ev);
	y->have_ev = 0;
	if (!yaml_parser_parse(&y->parser, &y->ev)) {
		char what[200];

		snprintf(what, sizeof what, "%s%s%s",
		    y->parser.problem ? y->parser.problem : "invalid YAML",
		    y->parser.context ? " " : "",
		    y->parser.context ? y->parser.context : "");
		return fail(y, y->parser.problem_mark.line + 1, what);
	}
	y->have_ev = 1;
	return 0;
}

static size_t
ev_line(const struct yp *y)
{
	return y->ev.start_mark.line + 1;
}

static int
is_null(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '~') ||
	    (n == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
	    memcmp(s, "NULL", 4) == 0));
}

static int
all_digits(const char *s, const char *e, const char *set)
{
	if (s == e)
		return 0;
	for (; s < e; s++)
		if (strchr(set, *s) == NULL)
			return 0;
	return 1;
}

/* A YAML 1.2 core-schema number; 1 with *out set. */
static int
core_number(const char *s, size_t n, double *out)
{
	const char *p = s, *e = s + n;
	char buf[128], *end;

	if (n == 0 || n >= sizeof buf)
		return 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		if (!all_digits(s + 2, e, s[1] == 'o' ? "01234567" :
		    "0123456789abcdefABCDEF"))
			return 0;
		memcpy(buf, s + 2, n - 2);
		buf[n - 2] = '\0';
		*out = (double)strtoull(buf, NULL, s[1] == 'o' ? 8 : 16);
		return 1;
	}
	if (*p == '-' || *p == '+')
		p++;
	/* [0-9]+ (. [0-9]*)? | . [0-9]+, then an optional exponent. */
	if (p < e && *p == '.') {
		if (p + 1 >= e || strchr("0123456789", p[1]) == NULL)
			return 0;
	} else if (p >= e || strchr("0123456789", *p) == NULL) {
		return 0;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = strtod(buf, &end);
	if (end != buf + n || !isfinite(*out))
		return 0;
	/* strtod also reads hex floats and "inf"; the checks above and the
	 * full consumption exclude those only for well-formed decimals. */
	return strpbrk(buf, "xXpPnN") == NULL;
}

static jv
scalar(struct yp *y)
{
	const char *s = (const char *)y->ev.data.scalar.value;
	size_t n = y->ev.data.scalar.length;
	const char *tag = (const char *)y->ev.data.scalar.tag;
	double d;

	if (!y->ev.data.scalar.plain_implicit || (tag && strcmp(tag,
	    YAML_STR_TAG) == 0))
		return jv_string_sized(s, (int)n);
	if (is_null(s, n))
		return jv_null();
	if (y->flags & YAMLJV_STRINGS)
		return jv_string_sized(s, (int)n);
	if (n == 4 && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0))
		return jv_true();
	if (n == 5 && (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0))
		return jv_false();
	if (core_number(s, n, &d))
		return jv_number(d);
	return jv_string_sized(s, (int)n);
}

static jv node(struct yp *y, int depth);

static void
remember(struct yp *y, const char *anchor, jv v, size_t count)
{
	if (anchor == NULL) {
		jv_free(v);
		return;
	}
	y->anchors = jv_object_set(y->anchors, jv_string(anchor),
	    JV_ARRAY(v, jv_number((double)count)));
}

static jv
alias(struct yp *y)
{
	jv a = jv_object_get(jv_copy(y->anchors),
	    jv_string((const char *)y->ev.data.alias.anchor));
	jv v, n;
	double count;

	if (!jv_is_valid(a)) {
		jv_free(a);
		fail(y, ev_line(y), "unknown alias");
		return jv_invalid();
	}
	v = jv_array_get(jv_copy(a), 0);
	n = jv_array_get(a, 1);
	count = jv_number_value(n);
	jv_free(n);
	y->nodes += (size_t)count;
	if (y->nodes > MAX_NODES) {
		jv_free(v);
		fail(y, ev_line(y), "aliases expand to too many nodes");
		return jv_invalid();
	}
	return v;
}

static jv
sequence(struct yp *y, int depth)
{
	jv arr = jv_array();

	if (next(y))
		goto bad;
	while (y->ev.type != YAML_SEQUENCE_END_EVENT) {
		jv v = node(y, depth + 1);

		if (!jv_is_valid(v)) {
			jv_free(v);
			goto bad;
		}
		arr = jv_array_append(arr, v);
		if (next(y))
			goto bad;
	}
	return arr;
bad:
	jv_free(arr);
	return jv_invalid();
}

/* "<<: *base" or "<<: [*a, *b]": keys the mapping does not set itself. */
static jv
apply_merges(jv obj, jv merges)
{
	int i, n = jv_array_length(jv_copy(merges));

	for (i = 0; i < n; i++) {
		jv m = jv_array_get(jv_copy(merges), i);

		jv_object_foreach(m, k, v) {
			if (jv_object_has(jv_copy(obj), jv_copy(k)))
				jv_free(v);
			else
				obj = jv_object_set(obj, jv_copy(k), v);
			jv_free(k);
		}
		jv_free(m);
	}
	jv_free(merges);
	return obj;
}

static int
add_merge(struct yp *y, jv *merges, jv v, size_t line)
{
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		*merges = jv_array_append(*merges, v);
		return 0;
	}
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv_array_foreach(v, i, m) {
			(void)i;
			if (jv_get_kind(m) != JV_KIND_OBJECT) {
				jv_free(m);
				jv_free(v);
				return fail(y, line, "'<<' merges only mappings");
			}
			*merges = jv_array_append(*merges, m);
		}
		jv_free(v);
		return 0;
	}
	jv_free(v);
	return fail(y, line, "'<<' merges only mappings");
}

static jv
mapping(struct yp *y, int depth)
{
	jv obj = jv_object(), merges = jv_array();

	if (next(y))
		goto bad;
	while (y->ev.type != YAML_MAPPING_END_EVENT) {
		size_t line = ev_line(y);
		int merge;
		jv k, v;

		if (y->ev.type != YAML_SCALAR_EVENT) {
			fail(y, line, "only scalar mapping keys are supported");
			goto bad;
		}
		k = jv_string_sized((const char *)y->ev.data.scalar.value,
		    (int)y->ev.data.scalar.length);
		merge = y->ev.data.scalar.plain_implicit &&
		    strcmp(jv_string_value(k), "<<") == 0;
		if (next(y) || !jv_is_valid(v = node(y, depth + 1))) {
			jv_free(k);
			goto bad;
		}
		if (merge) {
			jv_free(k);
			if (add_merge(y, &merges, v, line))
				goto bad;
		} else if (jv_object_has(jv_copy(obj), jv_copy(k))) {
			char what[200];

			snprintf(what, sizeof what, "key '%.120s' given twice",
			    jv_string_value(k));
			jv_free(k);
			jv_free(v);
			fail(y, line, what);
			goto bad;
		} else {
			obj = jv_object_set(obj, k, v);
		}
		if (next(y))
			goto bad;
	}
	return apply_merges(obj, merges);
bad:
	jv_free(obj);
	jv_free(merges);
	return jv_invalid();
}

/* The node starting at the current event; leaves its last event current. */
static jv
node(struct yp *y, int depth)
{
	const yaml_char_t *a = NULL;
	char *anchor;
	size_t before = y->nodes;
	jv v;

	if (depth > MAX_DEPTH) {
		fail(y, ev_line(y), "nested too deeply");
		return jv_invalid();
	}
	if (++y->nodes > MAX_NODES) {
		fail(y, ev_line(y), "too many nodes");
		return jv_invalid();
	}
	switch (y->ev.type) {
	case YAML_ALIAS_EVENT:
		return alias(y);
	case YAML_SCALAR_EVENT:
		a = y->ev.data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		a = y->ev.data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		a = y->ev.data.mapping_start.anchor;
		break;
	default:
		fail(y, ev_line(y), "unexpected YAML event");
		return jv_invalid();
	}
	/* The event, and its anchor, go away with the next event. */
	anchor = a ? xstrdup((const char *)a) : NULL;
	if (y->ev.type == YAML_SCALAR_EVENT)
		v = scalar(y);
	else if (y->ev.type == YAML_SEQUENCE_START_EVENT)
		v = sequence(y, depth);
	else
		v = mapping(y, depth);
	if (jv_is_valid(v))
		remember(y, anchor, jv_copy(v), y->nodes - before);
	free(anchor);
	return v;
}

static jv
parse_all(struct yp *y)
{
	jv docs = jv_array();

	for (;;) {
		jv d;

		if (next(y))
			goto bad;
		if (y->ev.type == YAML_STREAM_END_EVENT)
			return docs;
		if (y->ev.type != YAML_DOCUMENT_START_EVENT)
			continue;	/* STREAM_START */
		if (next(y))
			goto bad;
		if (y->ev.type == YAML_DOCUMENT_END_EVENT) {
			docs = jv_array_append(docs, jv_null());
			continue;
		}
		d = node(y, 0);
		if (!jv_is_valid(d)) {
			jv_free(d);
			goto bad;
		}
		docs = jv_array_append(docs, d);
		if (next(y))	/* DOCUMENT_END */
			goto bad;
		jv_free(y->anchors);	/* anchors do not cross documents */
		y->anchors = jv_object();
		y->nodes = 0;
	}
bad:
	jv_free(docs);
	return jv_invalid();
}

jv
yamljv_docs(const char *text, size_t len, int flags, size_t *line)
{
	struct yp y;
	jv docs;

	memset(&y, 0, sizeof y);
	y.flags = flags;
	y.anchors = jv_object();
	*line = 0;
	if (!yaml_parser_initialize(&y.parser))
		msg_oom();
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)text,
	    len);
	docs = parse_all(&y);
	if (y.have_ev)
		yaml_event_delete(&y.ev);
	yaml_parser_delete(&y.parser);
	jv_free(y.anchors);
	if (!jv_is_valid(docs)) {
		jv_free(docs);
		*line = y.line;
		return jv_invalid_with_msg(jv_string(y.err[0] ? y.err :
		    "invalid YAML"));
	}
	return docs;
}

jv
yamljv_parse(const char *text, size_t len, int flags, size_t *line)
{
	jv docs = yamljv_docs(text, len, flags, line);

	if (!jv_is_valid(docs))
		return docs;
	if (jv_array_length(jv_copy(docs)) == 0) {
		jv_free(docs);
		return jv_null();
	}
	return jv_array_get(docs, 0);
}

int
yamljv_bool(jv v, int dflt, int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes",
	    "Yes", "YES", "on", "On", "ON", "y", "Y", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no",
	    "No", "NO", "off", "Off", "OFF", "n", "N", NULL };
	const char *s;
	size_t i;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		*out = dflt;
		return 0;
	case JV_KIND_TRUE:
		*out = 1;
		return 0;
	case JV_KIND_FALSE:
		*out = 0;
		return 0;
	case JV_KIND_STRING:
		s = jv_string_value(v);
		for (i = 0; yes[i]; i++)
			if (strcmp(s, yes[i]) == 0)
				return *out = 1, 0;
		for (i = 0; no[i]; i++)
			if (strcmp(s, no[i]) == 0)
				return *out = 0, 0;
		return -1;
	default:
		return -1;
	}
}
