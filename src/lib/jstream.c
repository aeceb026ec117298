/* jstream.c — a streaming splitter for large JSON responses.
 *
 * Two layers: a small state machine that walks the objects along the
 * split path (few bytes: keys, colons, commas), and a tight scanner that
 * finds where a captured piece ends (nearly all bytes). A piece that lies
 * inside one chunk is handed over in place; only pieces that straddle a
 * chunk boundary are copied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jstream.h"
#include "msg.h"

#define JS_MAXDEPTH 8

enum js_state {
	S_TOP,			/* before the top-level '{' */
	S_KEY_OR_END,		/* in an object: a key or '}' */
	S_KEY,			/* inside a key string */
	S_COLON,
	S_VALUE,		/* after the colon */
	S_AFTER_MEMBER,		/* ',' or '}' */
	S_ELEM_OR_END,		/* in the split array: an element or ']' */
	S_AFTER_ELEM,		/* ',' or ']' */
	S_CAPTURE,		/* inside a piece */
	S_DONE,			/* after the top-level '}' */
	S_ERROR
};

enum cap_kind { CAP_COMPOSITE, CAP_STRING, CAP_SCALAR };

struct jstream {
	char *comp[JS_MAXDEPTH];
	int ncomp;
	char *split, *elem_path;
	jstream_fn fn;
	void *ctx;

	enum js_state st;
	int level;		/* objects entered along the path */
	struct buf key;
	int key_esc;

	int cap_elem;		/* the piece is an array element */
	enum cap_kind cap_kind;
	int cap_depth, cap_instr, cap_esc;
	struct buf cap;		/* a piece that straddles chunks */
	struct buf path;	/* path of a captured member */

	size_t offset;
	char err[160];
};

struct jstream *
jstream_new(const char *split, jstream_fn fn, void *ctx)
{
	struct jstream *js = xcalloc(1, sizeof(*js));
	const char *p = split, *dot;

	while (*p && js->ncomp < JS_MAXDEPTH) {
		dot = strchr(p, '.');
		if (dot == NULL)
			dot = p + strlen(p);
		js->comp[js->ncomp] = xmalloc((size_t)(dot - p) + 1);
		memcpy(js->comp[js->ncomp], p, (size_t)(dot - p));
		js->comp[js->ncomp++][dot - p] = '\0';
		p = *dot ? dot + 1 : dot;
	}
	js->split = xstrdup(split);
	js->elem_path = xmalloc(strlen(split) + 3);
	sprintf(js->elem_path, "%s[]", split);
	js->fn = fn;
	js->ctx = ctx;
	return js;
}

void
jstream_free(struct jstream *js)
{
	int i;

	if (js == NULL)
		return;
	for (i = 0; i < js->ncomp; i++)
		free(js->comp[i]);
	free(js->split);
	free(js->elem_path);
	buf_free(&js->key);
	buf_free(&js->cap);
	buf_free(&js->path);
	free(js);
}

const char *
jstream_error(const struct jstream *js)
{
	return js->err;
}

size_t
jstream_offset(const struct jstream *js)
{
	return js->offset;
}

static int
fail(struct jstream *js, size_t at, const char *what)
{
	snprintf(js->err, sizeof(js->err), "invalid JSON at byte %zu: %s",
	    js->offset + at, what);
	js->st = S_ERROR;
	return -1;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Starts a piece at its first character c. */
static int
cap_start(struct jstream *js, char c, int elem)
{
	js->cap_elem = elem;
	js->cap_depth = 0;
	js->cap_instr = js->cap_esc = 0;
	buf_reset(&js->cap);
	if (c == '{' || c == '[')
		js->cap_kind = CAP_COMPOSITE;
	else if (c == '"')
		js->cap_kind = CAP_STRING;
	else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' ||
	    c == 'n')
		js->cap_kind = CAP_SCALAR;
	else
		return -1;
	js->st = S_CAPTURE;
	return 0;
}

/*
 * Scans d[i..len) for the end of the current piece. Returns the index just
 * past it, or len when the chunk ends first (*done 0).
 */
/* Bytes that matter outside strings, and inside them. */
static const unsigned char structural[256] = {
	['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1
};
static const unsigned char in_string[256] = { ['"'] = 1, ['\\'] = 1 };

/*
 * Scans d[i..len) for the end of the current piece. Returns the index just
 * past it, or len when the chunk ends first (*done 0). The tables let the
 * loops skip digits, commas and letters without a branch per kind.
 */
static size_t
cap_scan(struct jstream *js, const char *d, size_t i, size_t len, int *done)
{
	const unsigned char *u = (const unsigned char *)d;
	int depth = js->cap_depth, instr = js->cap_instr, esc = js->cap_esc;

	*done = 0;
	if (js->cap_kind == CAP_SCALAR) {
		for (; i < len; i++) {
			char c = d[i];
			if (c == ',' || c == ']' || c == '}' || is_ws(c)) {
				*done = 1;
				return i;
			}
		}
		return len;
	}
	if (js->cap_kind == CAP_STRING && depth == 0 && !instr) {
		/* the opening quote */
		instr = 1;
		depth = -1;	/* marks "a bare string": ends with its quote */
		i++;
	}
	while (i < len) {
		if (instr) {
			if (esc) {
				esc = 0;
				i++;
				continue;
			}
			while (i < len && !in_string[u[i]])
				i++;
			if (i >= len)
				break;
			if (u[i++] == '\\') {
				esc = 1;
				continue;
			}
			instr = 0;
			if (depth == -1) {
				*done = 1;
				return i;
			}
			continue;
		}
		while (i < len && !structural[u[i]])
			i++;
		if (i >= len)
			break;
		switch (u[i++]) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		default:	/* '}' or ']' */
			if (--depth == 0) {
				js->cap_depth = 0;
				*done = 1;
				return i;
			}
			break;
		}
	}
	js->cap_depth = depth;
	js->cap_instr = instr;
	js->cap_esc = esc;
	return len;
}

static const char *
member_path(struct jstream *js)
{
	int i;

	buf_reset(&js->path);
	for (i = 0; i < js->level - 1; i++) {
		buf_adds(&js->path, js->comp[i]);
		buf_addc(&js->path, '.');
	}
	buf_add(&js->path, js->key.p ? js->key.p : "", js->key.len);
	return js->path.p;
}

/* Hands a complete piece to the callback. */
static int
cap_emit(struct jstream *js, const char *text, size_t len)
{
	const char *path = js->cap_elem ? js->elem_path : js->path.p;
	int rc;

	js->st = js->cap_elem ? S_AFTER_ELEM : S_AFTER_MEMBER;
	rc = js->fn(js->ctx, path, text, len);
	buf_reset(&js->cap);
	if (rc != 0)
		js->st = S_ERROR;
	return rc;
}

static int
key_matches(const struct jstream *js, int idx)
{
	return idx < js->ncomp && js->key.len == strlen(js->comp[idx]) &&
	    memcmp(js->key.p, js->comp[idx], js->key.len) == 0;
}

/* After a member's colon: descend along the path, or capture the value. */
static int
on_value(struct jstream *js, char c, size_t at)
{
	int idx = js->level - 1;

	if (key_matches(js, idx)) {
		if (idx == js->ncomp - 1 && c == '[') {
			js->st = S_ELEM_OR_END;
			return 1;
		}
		if (idx < js->ncomp - 1 && c == '{') {
			if (js->level >= JS_MAXDEPTH)
				return fail(js, at, "nested too deep");
			js->level++;
			js->st = S_KEY_OR_END;
			return 1;
		}
	}
	member_path(js);
	if (cap_start(js, c, 0) != 0)
		return fail(js, at, "expected a value");
	return 0;
}

static int
close_object(struct jstream *js)
{
	js->level--;
	js->st = js->level == 0 ? S_DONE : S_AFTER_MEMBER;
	return 1;
}

/*
 * One structural character outside pieces. Returns 1 if c was consumed,
 * 0 if a piece starts at c (not consumed), -1 on error.
 */
static int
step(struct jstream *js, char c, size_t at)
{
	if (js->st == S_KEY) {
		if (js->key_esc)
			js->key_esc = 0;
		else if (c == '\\')
			js->key_esc = 1;
		else if (c == '"') {
			js->st = S_COLON;
			return 1;
		}
		buf_addc(&js->key, c);
		return 1;
	}
	if (is_ws(c))
		return 1;
	switch (js->st) {
	case S_TOP:
		if (c != '{')
			return fail(js, at, "response is not a JSON object");
		js->level = 1;
		js->st = S_KEY_OR_END;
		return 1;
	case S_KEY_OR_END:
		if (c == '}')
			return close_object(js);
		if (c != '"')
			return fail(js, at, "expected a key");
		buf_reset(&js->key);
		js->st = S_KEY;
		return 1;
	case S_COLON:
		if (c != ':')
			return fail(js, at, "expected ':'");
		js->st = S_VALUE;
		return 1;
	case S_VALUE:
		return on_value(js, c, at);
	case S_AFTER_MEMBER:
		if (c == ',') {
			js->st = S_KEY_OR_END;
			return 1;
		}
		if (c == '}')
			return close_object(js);
		return fail(js, at, "expected ',' or '}'");
	case S_ELEM_OR_END:
		if (c == ']') {
			js->st = S_AFTER_MEMBER;
			return 1;
		}
		if (cap_start(js, c, 1) != 0)
			return fail(js, at, "expected an array element");
		return 0;
	case S_AFTER_ELEM:
		if (c == ',') {
			js->st = S_ELEM_OR_END;
			return 1;
		}
		if (c == ']') {
			js->st = S_AFTER_MEMBER;
			return 1;
		}
		return fail(js, at, "expected ',' or ']'");
	case S_DONE:
		return fail(js, at, "text after the end of the document");
	default:
		return fail(js, at, "internal state");
	}
}

int
jstream_feed(struct jstream *js, const char *data, size_t len)
{
	size_t i = 0, start, stop;
	int done, rc = 0;

	if (js->st == S_ERROR)
		return -1;
	while (i < len) {
		if (js->st != S_CAPTURE) {
			if ((rc = step(js, data[i], i)) < 0)
				goto out;
			if (rc == 1) {
				i++;
				continue;
			}
		}
		/* js->cap already holds the piece's beginning when it
		 * straddles a chunk boundary. */
		start = i;
		stop = cap_scan(js, data, i, len, &done);
		if (!done) {
			buf_add(&js->cap, data + start, stop - start);
			break;
		}
		if (js->cap.len > 0) {
			buf_add(&js->cap, data + start, stop - start);
			rc = cap_emit(js, js->cap.p, js->cap.len);
		} else {
			rc = cap_emit(js, data + start, stop - start);
		}
		if (rc != 0)
			goto out;
		i = stop;
	}
	rc = 0;
out:
	js->offset += len;
	return rc;
}

int
jstream_finish(struct jstream *js)
{
	if (js->st == S_DONE)
		return 0;
	if (js->st != S_ERROR) {
		snprintf(js->err, sizeof(js->err),
		    "invalid JSON: document ends early (after %zu bytes)",
		    js->offset);
		js->st = S_ERROR;
	}
	return -1;
}

const char *
jvalue_end(const char *p, const char *end)
{
	int depth = 0, instr = 0, esc = 0;

	while (p < end && is_ws(*p))
		p++;
	if (p >= end)
		return NULL;
	if (*p != '{' && *p != '[' && *p != '"') {
		while (p < end && *p != ',' && *p != ']' && *p != '}' &&
		    !is_ws(*p))
			p++;
		return p;
	}
	if (*p == '"') {
		for (p++; p < end; p++) {
			if (esc)
				esc = 0;
			else if (*p == '\\')
				esc = 1;
			else if (*p == '"')
				return p + 1;
		}
		return NULL;
	}
	for (; p < end; p++) {
		char c = *p;
		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
		} else if (c == '"') {
			instr = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

int
jobj_begin(struct jobj_iter *it, const char *text, size_t len)
{
	it->end = text + len;
	it->p = skip_ws(text, it->end);
	it->n = 0;
	if (it->p >= it->end || *it->p != '{')
		return -1;
	it->p++;
	return 0;
}

int
jobj_next_key(struct jobj_iter *it, struct jmember *m)
{
	const char *p = skip_ws(it->p, it->end), *q;

	if (p < it->end && *p == '}') {
		it->p = p + 1;
		return 0;
	}
	if (it->n > 0) {
		if (p >= it->end || *p != ',')
			return -1;
		p = skip_ws(p + 1, it->end);
	}
	if (p >= it->end || *p != '"' || (q = jvalue_end(p, it->end)) == NULL)
		return -1;
	m->key = p + 1;
	m->klen = (size_t)(q - p) - 2;
	p = skip_ws(q, it->end);
	if (p >= it->end || *p != ':')
		return -1;
	m->val = skip_ws(p + 1, it->end);
	m->vlen = 0;
	it->p = m->val;
	it->n++;
	return 1;
}

void
jobj_skip_to(struct jobj_iter *it, const char *after)
{
	it->p = after;
}

int
jobj_next(struct jobj_iter *it, struct jmember *m)
{
	const char *q;
	int rc = jobj_next_key(it, m);

	if (rc != 1)
		return rc;
	if ((q = jvalue_end(m->val, it->end)) == NULL || q == m->val)
		return -1;
	m->vlen = (size_t)(q - m->val);
	it->p = q;
	return 1;
}

int
jmember_is(const struct jmember *m, const char *s)
{
	size_t n = strlen(s);

	return m->klen == n && memcmp(m->key, s, n) == 0;
}
