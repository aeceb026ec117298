/* jsonpatch.c — JSON patch (RFC 6902) on jv, for `k8spatch patch --local
 * --type json`. See smp.h for where it is stricter than kubectl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "smp.h"

/*
 * RFC 6902. A JSON pointer is parsed into its tokens; the operations
 * rebuild the path from the changed leaf up (jv values are immutable).
 */
enum jop { OP_ADD, OP_REMOVE, OP_REPLACE, OP_TEST, OP_GET };

struct jctx {
	int n;			/* the operation's number, from 1 */
	const char *op;		/* its name (in opname) or NULL */
	char opname[16];
	const char *path;	/* the pointer at fault */
	char why[160];
};

static jv
pointer_tokens(const char *p)
{
	jv toks = jv_array();
	struct buf tok = BUF_INIT;

	if (*p == '\0')
		return toks;
	if (*p != '/') {
		jv_free(toks);
		return jv_invalid();
	}
	for (p++;; p++) {
		if (*p == '/' || *p == '\0') {
			toks = jv_array_append(toks, jv_string_sized(tok.p ? tok.p : "", (int)tok.len));
			buf_reset(&tok);
			if (*p == '\0')
				break;
		} else if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
			buf_addc(&tok, p[1] == '0' ? '~' : '/');
			p++;
		} else if (*p == '~') {
			jv_free(toks);
			buf_free(&tok);
			return jv_invalid();
		} else {
			buf_addc(&tok, *p);
		}
	}
	buf_free(&tok);
	return toks;
}

/* An array index token: "0" or [1-9][0-9]*, below max; "-" is n. */
static int
array_index(const char *t, int n, int dash_ok, int max)
{
	long v = 0;
	const char *p;

	if (strcmp(t, "-") == 0)
		return dash_ok ? n : -1;
	if (*t == '\0' || (*t == '0' && t[1] != '\0'))
		return -1;
	for (p = t; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v <= max ? (int)v : -1;
}

static jv jp_at(struct jctx *c, jv doc, jv toks, int i, enum jop op, jv value, jv *got);

static jv
jp_missing(struct jctx *c, jv doc, jv tok, jv value)
{
	snprintf(c->why, sizeof c->why, "path '%s' does not exist", c->path);
	jv_free(tok);
	jv_free(doc);
	jv_free(value);
	return jv_invalid();
}

/* Token tok of the pointer in object doc: the last one, or on the way. */
static jv
jp_object(struct jctx *c, jv doc, jv toks, int i, jv tok, enum jop op, jv value, jv *got)
{
	int last = i == jv_array_length(jv_copy(toks)) - 1;
	int present = jv_object_has(jv_copy(doc), jv_copy(tok));
	jv r;

	if (last && op == OP_ADD) {
		jv_free(*got);
		*got = jv_null();
		return jv_object_set(doc, tok, value);
	}
	if (!present)
		return jp_missing(c, doc, tok, value);
	if (!last) {
		r = jp_at(c, jv_object_get(jv_copy(doc), jv_copy(tok)), toks, i + 1, op, value, got);
		if (!jv_is_valid(r)) {
			jv_free(doc);
			jv_free(tok);
			return r;
		}
		return jv_object_set(doc, tok, r);
	}
	if (op == OP_REPLACE)
		return jv_object_set(doc, tok, value);
	jv_free(value);
	jv_free(*got);
	*got = jv_object_get(jv_copy(doc), jv_copy(tok));
	if (op == OP_REMOVE)
		return jv_object_delete(doc, tok);
	jv_free(tok);
	return doc;
}

/* Token tok of the pointer in array doc. */
static jv
jp_array(struct jctx *c, jv doc, jv toks, int i, jv tok, enum jop op, jv value, jv *got)
{
	int last = i == jv_array_length(jv_copy(toks)) - 1;
	int len = jv_array_length(jv_copy(doc)), at;
	jv r;

	at = array_index(jv_string_value(tok), len, last && op == OP_ADD,
	    last && op == OP_ADD ? len : len - 1);
	if (at < 0) {
		snprintf(c->why, sizeof c->why, "'%s' is not an index of a list of %d",
		    jv_string_value(tok), len);
		jv_free(tok);
		jv_free(doc);
		jv_free(value);
		return jv_invalid();
	}
	jv_free(tok);
	if (!last) {
		r = jp_at(c, jv_array_get(jv_copy(doc), at), toks, i + 1, op, value, got);
		if (!jv_is_valid(r)) {
			jv_free(doc);
			return r;
		}
		return jv_array_set(doc, at, r);
	}
	if (op == OP_ADD)
		return jv_array_concat(jv_array_append(jv_array_slice(jv_copy(doc), 0, at), value),
		    jv_array_slice(doc, at, len));
	if (op == OP_REPLACE)
		return jv_array_set(doc, at, value);
	jv_free(value);
	jv_free(*got);
	*got = jv_array_get(jv_copy(doc), at);
	if (op == OP_REMOVE)
		return jv_array_concat(jv_array_slice(jv_copy(doc), 0, at),
		    jv_array_slice(doc, at + 1, len));
	return doc;
}

static jv
jp_at(struct jctx *c, jv doc, jv toks, int i, enum jop op, jv value, jv *got)
{
	jv tok = jv_array_get(jv_copy(toks), i);

	if (jv_get_kind(doc) == JV_KIND_OBJECT)
		return jp_object(c, doc, toks, i, tok, op, value, got);
	if (jv_get_kind(doc) == JV_KIND_ARRAY)
		return jp_array(c, doc, toks, i, tok, op, value, got);
	return jp_missing(c, doc, tok, value);
}

/* Applies op at path; *got receives the value found there (remove, test,
 * get). Returns the new document or jv_invalid() with c->why set. */
static jv
jp_apply(struct jctx *c, jv doc, const char *path, enum jop op, jv value, jv *got)
{
	jv toks = pointer_tokens(path), r;

	c->path = path;
	if (!jv_is_valid(toks)) {
		snprintf(c->why, sizeof c->why, "'%s' is not a JSON pointer", path);
		jv_free(doc);
		jv_free(value);
		return jv_invalid();
	}
	if (jv_array_length(jv_copy(toks)) == 0) {
		jv_free(toks);
		if (op == OP_TEST || op == OP_GET) {
			jv_free(value);
			jv_free(*got);
			*got = jv_copy(doc);
			return doc;
		}
		snprintf(c->why, sizeof c->why, "cannot %s the whole document", c->op);
		jv_free(doc);
		jv_free(value);
		return jv_invalid();
	}
	r = jp_at(c, doc, toks, 0, op, op == OP_TEST || op == OP_GET ? jv_null() : value, got);
	if (op == OP_TEST || op == OP_GET)
		jv_free(value);
	jv_free(toks);
	return r;
}

static const char *
member(jv op, const char *key, jv *out)
{
	*out = jv_object_get(jv_copy(op), jv_string(key));
	if (!jv_is_valid(*out))
		return NULL;
	return jv_get_kind(*out) == JV_KIND_STRING ? jv_string_value(*out) : NULL;
}

/* One operation; returns the new document or invalid with c->why. */
static jv
json_op(struct jctx *c, jv doc, jv op)
{
	jv name, path, from, value, got = jv_null();
	const char *ps, *fs;

	c->op = member(op, "op", &name);
	if (c->op) {
		snprintf(c->opname, sizeof c->opname, "%s", c->op);
		c->op = c->opname;
	}
	ps = member(op, "path", &path);
	fs = member(op, "from", &from);
	value = jv_object_get(jv_copy(op), jv_string("value"));
	if (c->op == NULL || ps == NULL) {
		snprintf(c->why, sizeof c->why, c->op ? "no 'path'" : "no 'op'");
		jv_free(doc);
		doc = jv_invalid();
	} else if (strcmp(c->op, "add") == 0 || strcmp(c->op, "replace") == 0 || strcmp(c->op, "test") == 0) {
		if (!jv_is_valid(value)) {
			snprintf(c->why, sizeof c->why, "no 'value'");
			jv_free(doc);
			doc = jv_invalid();
		} else if (strcmp(c->op, "test") == 0) {
			doc = jp_apply(c, doc, ps, OP_TEST, jv_null(), &got);
			if (jv_is_valid(doc) && !jv_equal(jv_copy(got), jv_copy(value))) {
				snprintf(c->why, sizeof c->why, "the value at '%s' differs", ps);
				jv_free(doc);
				doc = jv_invalid();
			}
		} else {
			doc = jp_apply(c, doc, ps, c->op[0] == 'a' ? OP_ADD : OP_REPLACE, jv_copy(value), &got);
		}
	} else if (strcmp(c->op, "remove") == 0) {
		doc = jp_apply(c, doc, ps, OP_REMOVE, jv_null(), &got);
	} else if (strcmp(c->op, "move") == 0 || strcmp(c->op, "copy") == 0) {
		size_t fl = fs ? strlen(fs) : 0;
		int move = c->op[0] == 'm';

		if (fs == NULL) {
			snprintf(c->why, sizeof c->why, "no 'from'");
			jv_free(doc);
			doc = jv_invalid();
		} else if (move && strncmp(ps, fs, fl) == 0 && ps[fl] == '/') {
			snprintf(c->why, sizeof c->why, "cannot move '%s' into itself", fs);
			jv_free(doc);
			doc = jv_invalid();
		} else if (!(move && strcmp(ps, fs) == 0)) {
			jv unused = jv_null();

			doc = jp_apply(c, doc, fs, move ? OP_REMOVE : OP_GET, jv_null(), &got);
			if (jv_is_valid(doc))
				doc = jp_apply(c, doc, ps, OP_ADD, jv_copy(got), &unused);
			jv_free(unused);
		}
	} else {
		snprintf(c->why, sizeof c->why, "unknown operation");
		jv_free(doc);
		doc = jv_invalid();
	}
	jv_free(got);
	jv_free(name);
	jv_free(path);
	jv_free(from);
	jv_free(value);
	jv_free(op);
	return doc;
}

jv
smp_json(jv doc, jv ops)
{
	struct jctx c;
	jv r;

	if (jv_get_kind(ops) != JV_KIND_ARRAY) {
		jv_free(doc);
		jv_free(ops);
		return jv_invalid_with_msg(jv_string("a JSON patch must be a list of operations"));
	}
	memset(&c, 0, sizeof c);
	jv_array_foreach(ops, i, op) {
		if (!jv_is_valid(doc)) {
			jv_free(op);
			continue;
		}
		c.n = i + 1;
		c.op = NULL;
		if (jv_get_kind(op) != JV_KIND_OBJECT) {
			jv_free(op);
			jv_free(doc);
			snprintf(c.why, sizeof c.why, "not an object");
			doc = jv_invalid();
			break;
		}
		doc = json_op(&c, doc, op);
		if (!jv_is_valid(doc))
			break;
	}
	jv_free(ops);
	if (jv_is_valid(doc))
		return doc;
	jv_free(doc);
	r = c.op ? jv_invalid_with_msg(jv_string_fmt("JSON patch operation %d ('%s'): %s", c.n, c.op, c.why)) :
	    jv_invalid_with_msg(jv_string_fmt("JSON patch operation %d: %s", c.n, c.why));
	return r;
}
