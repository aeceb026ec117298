/* jsonl.c — JSON lines in and out, on libjq's jv. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonl.h"
#include "msg.h"
#include "series.h"

struct jsonl {
	FILE *fp;
	int owns_fp;
	char *name;
	char *line;
	size_t cap;
	size_t lineno;
	unsigned long bad;
	int error;		/* a read error ended the input */
};

struct jsonl *
jsonl_open(FILE *fp, const char *name)
{
	struct jsonl *r = xcalloc(1, sizeof *r);

	r->fp = fp;
	r->name = xstrdup(name);
	return r;
}

struct jsonl *
jsonl_open_path(const char *path)
{
	struct jsonl *r;
	FILE *fp;

	if (strcmp(path, "-") == 0)
		return jsonl_open(stdin, "stdin");
	fp = fopen(path, "r");
	if (fp == NULL) {
		msg_warn("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	r = jsonl_open(fp, path);
	r->owns_fp = 1;
	return r;
}

void
jsonl_close(struct jsonl *r)
{
	if (r == NULL)
		return;
	if (r->owns_fp)
		fclose(r->fp);
	free(r->line);
	free(r->name);
	free(r);
}

static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

int
jsonl_getline(struct jsonl *r, const char **line, size_t *len)
{
	ssize_t n;

	for (;;) {
		errno = 0;
		n = getline(&r->line, &r->cap, r->fp);
		if (n < 0) {
			if (ferror(r->fp) && !r->error) {
				msg_at(r->name, 0, "read error: %s",
				    strerror(errno ? errno : EIO));
				r->error = 1;
			}
			return 0;
		}
		r->lineno++;
		if (n > 0 && r->line[n - 1] == '\n')
			n--;
		if (n > 0 && r->line[n - 1] == '\r')
			n--;
		r->line[n] = '\0';
		if (blank(r->line, (size_t)n))
			continue;
		*line = r->line;
		*len = (size_t)n;
		return 1;
	}
}

/* Shortens a parser message for long lines: jq quotes input sometimes. */
static jv
parse_error(jv msg)
{
	jv out;

	if (jv_get_kind(msg) != JV_KIND_STRING) {
		jv_free(msg);
		return jv_invalid_with_msg(jv_string("invalid JSON"));
	}
	out = jv_invalid_with_msg(jv_string_fmt("invalid JSON: %s",
	    jv_string_value(msg)));
	jv_free(msg);
	return out;
}

static int
literal(const char *p, size_t len)
{
	return (len == 4 && (memcmp(p, "true", 4) == 0 ||
	    memcmp(p, "null", 4) == 0)) ||
	    (len == 5 && memcmp(p, "false", 5) == 0);
}

/*
 * libjq 1.6 reads nan, 01, +1, 1. and .5 as numbers (nan then prints as
 * null), which JSON does not allow: a value would change silently. So a
 * line jq accepted is scanned once more, and every bare token outside
 * strings must be a literal or a JSON number. Returns the first bad token
 * or NULL; *tlen is its length.
 */
static const char *
bad_token(const char *p, const char *end, size_t *tlen)
{
	static const char stop[] = "{}[],:\" \t\r\n";
	const char *q;

	while (p < end) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && p + 1 < end)
					p++;
			p += p < end;
			continue;
		}
		if (strchr(stop, *p)) {
			p++;
			continue;
		}
		for (q = p; q < end && !strchr(stop, *q); q++)
			;
		if (!literal(p, (size_t)(q - p)) && json_number_end(p, q) != q) {
			*tlen = (size_t)(q - p);
			return p;
		}
		p = q;
	}
	return NULL;
}

static jv
strict_tokens(jv v, const char *line, size_t len)
{
	size_t tlen;
	const char *bad = bad_token(line, line + len, &tlen);

	if (bad == NULL)
		return v;
	jv_free(v);
	return jv_invalid_with_msg(jv_string_fmt("invalid JSON: '%.*s' is "
	    "not a JSON value at column %zu", tlen > 20 ? 20 : (int)tlen, bad,
	    (size_t)(bad - line) + 1));
}

jv
jsonl_parse(const char *line, size_t len)
{
	const char *nul = memchr(line, '\0', len);
	jv_parser *p;
	jv v, rest;

	if (nul != NULL)
		return jv_invalid_with_msg(jv_string_fmt(
		    "NUL byte at column %zu", (size_t)(nul - line) + 1));
	if (len > INT_MAX)
		return jv_invalid_with_msg(jv_string("line too long"));
	p = jv_parser_new(0);
	jv_parser_set_buf(p, line, (int)len, 0);
	v = jv_parser_next(p);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);

		jv_parser_free(p);
		if (jv_get_kind(msg) == JV_KIND_NULL) {
			jv_free(msg);
			return jv_invalid_with_msg(jv_string("no JSON value"));
		}
		return parse_error(msg);
	}
	rest = jv_parser_next(p);
	jv_parser_free(p);
	if (jv_is_valid(rest) || jv_invalid_has_msg(jv_copy(rest))) {
		jv_free(rest);
		jv_free(v);
		return jv_invalid_with_msg(jv_string(
		    "more than one JSON value on the line"));
	}
	jv_free(rest);
	return strict_tokens(v, line, len);
}

int
jsonl_next(struct jsonl *r, jv *out)
{
	const char *line;
	size_t len;
	jv v;

	if (!jsonl_getline(r, &line, &len))
		return 0;
	v = jsonl_parse(line, len);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);

		jsonl_warn(r, "%s", jv_string_value(msg));
		jv_free(msg);
		return -1;
	}
	*out = v;
	return 1;
}

size_t
jsonl_lineno(const struct jsonl *r)
{
	return r->lineno;
}

const char *
jsonl_name(const struct jsonl *r)
{
	return r->name;
}

unsigned long
jsonl_bad(const struct jsonl *r)
{
	return r->bad;
}

int
jsonl_error(const struct jsonl *r)
{
	return r->error;
}

void
jsonl_warn(struct jsonl *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vat(r->name, r->lineno, fmt, ap);
	va_end(ap);
	r->bad++;
}

int
jsonl_write(FILE *fp, jv v)
{
	jv_dumpf(v, fp, 0);
	if (putc('\n', fp) == EOF || ferror(fp))
		return -1;
	return 0;
}

void
jsonl_dump(struct buf *b, jv v)
{
	jv s = jv_dump_string(v, 0);

	buf_add(b, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
}

const char *
jv_get_str(jv obj, const char *key)
{
	jv v;
	const char *s;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return NULL;
	v = jv_object_get(jv_copy(obj), jv_string(key));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return NULL;
	}
	/* The string stays alive in obj after we drop our reference. */
	s = jv_string_value(v);
	jv_free(v);
	return s;
}

int
jv_get_num(jv obj, const char *key, double *out)
{
	jv v;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return 0;
	v = jv_object_get(jv_copy(obj), jv_string(key));
	if (jv_get_kind(v) != JV_KIND_NUMBER) {
		jv_free(v);
		return 0;
	}
	*out = jv_number_value(v);
	jv_free(v);
	return 1;
}
