/* schema.c — checks an LLM's answer against a JSON schema.
 *
 * Only what a model's answer needs: the structural keywords that servers
 * also use to constrain generation (types, required, enums, arrays, nested
 * properties) and simple bounds. The messages are written for the model:
 * on a failed check they are sent back to it, so they say where (a
 * JSON-path-like "$.items[2].severity") and what was expected.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonl.h"
#include "msg.h"
#include "schema.h"

struct check {
	struct buf path;	/* "$.a[1]" */
	char *err;
};

static int fail(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct check *c, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	buf_printf(&b, "%s: %s", c->path.p, msg);
	free(c->err);
	c->err = buf_detach(&b);
	return -1;
}

/* Compact JSON of v (borrowed), cut to fit a message. */
static void
brief(jv v, char *out, size_t len)
{
	jv s = jv_dump_string(jv_copy(v), 0);
	const char *p = jv_string_value(s);

	if (strlen(p) < len)
		snprintf(out, len, "%s", p);
	else
		snprintf(out, len, "%.*s...", (int)(len - 4), p);
	jv_free(s);
}

static const char *
kind_name(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_OBJECT: return "an object";
	case JV_KIND_ARRAY: return "an array";
	case JV_KIND_STRING: return "a string";
	case JV_KIND_NUMBER: return "a number";
	case JV_KIND_TRUE:
	case JV_KIND_FALSE: return "a boolean";
	case JV_KIND_NULL: return "null";
	default: return "invalid";
	}
}

static int
is_type(jv v, const char *type)
{
	jv_kind k = jv_get_kind(v);
	double d;

	if (strcmp(type, "object") == 0)
		return k == JV_KIND_OBJECT;
	if (strcmp(type, "array") == 0)
		return k == JV_KIND_ARRAY;
	if (strcmp(type, "string") == 0)
		return k == JV_KIND_STRING;
	if (strcmp(type, "number") == 0)
		return k == JV_KIND_NUMBER;
	if (strcmp(type, "integer") == 0) {
		if (k != JV_KIND_NUMBER)
			return 0;
		d = jv_number_value(v);
		return isfinite(d) && floor(d) == d;
	}
	if (strcmp(type, "boolean") == 0)
		return k == JV_KIND_TRUE || k == JV_KIND_FALSE;
	if (strcmp(type, "null") == 0)
		return k == JV_KIND_NULL;
	return 1;	/* an unknown type name constrains nothing */
}

/* The schema keyword's value, or invalid when absent (caller frees). */
static jv
kw(jv schema, const char *name)
{
	if (!jv_object_has(jv_copy(schema), jv_string(name)))
		return jv_invalid();
	return jv_object_get(jv_copy(schema), jv_string(name));
}

static int
check_type(struct check *c, jv schema, jv v)
{
	jv t = kw(schema, "type");
	struct buf want = BUF_INIT;
	int ok = 0, rc = 0;

	if (jv_get_kind(t) == JV_KIND_STRING) {
		ok = is_type(v, jv_string_value(t));
		buf_adds(&want, jv_string_value(t));
	} else if (jv_get_kind(t) == JV_KIND_ARRAY) {
		jv_array_foreach(t, i, e) {
			if (jv_get_kind(e) == JV_KIND_STRING) {
				ok |= is_type(v, jv_string_value(e));
				buf_printf(&want, "%s%s", want.len ? " or " : "",
				    jv_string_value(e));
			}
			jv_free(e);
		}
	} else {
		ok = 1;
	}
	if (!ok)
		rc = fail(c, "expected %s, got %s", want.p ? want.p : "?",
		    kind_name(v));
	buf_free(&want);
	jv_free(t);
	return rc;
}

static int
check_enum(struct check *c, jv schema, jv v)
{
	jv e = kw(schema, "enum"), k = kw(schema, "const");
	struct buf list = BUF_INIT;
	char one[80];
	int rc = 0, found = 0;

	if (jv_get_kind(e) == JV_KIND_ARRAY) {
		jv_array_foreach(e, i, x) {
			found |= jv_equal(jv_copy(x), jv_copy(v));
			brief(x, one, sizeof one);
			if (list.len < 300)
				buf_printf(&list, "%s%s", i ? ", " : "", one);
			jv_free(x);
		}
		if (!found) {
			brief(v, one, sizeof one);
			rc = fail(c, "%s is not one of %s", one,
			    list.p ? list.p : "(empty enum)");
		}
	}
	if (rc == 0 && jv_is_valid(k) && !jv_equal(jv_copy(k), jv_copy(v))) {
		brief(k, one, sizeof one);
		rc = fail(c, "expected the constant %s", one);
	}
	buf_free(&list);
	jv_free(e);
	jv_free(k);
	return rc;
}

/* Reads a numeric keyword; 0 when absent. */
static int
num_kw(jv schema, const char *name, double *out)
{
	return jv_get_num(schema, name, out);
}

static int
check_bounds(struct check *c, jv schema, jv v)
{
	double d, b;

	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		d = jv_number_value(v);
		if (num_kw(schema, "minimum", &b) && d < b)
			return fail(c, "%g is less than the minimum %g", d, b);
		if (num_kw(schema, "maximum", &b) && d > b)
			return fail(c, "%g is more than the maximum %g", d, b);
		if (num_kw(schema, "exclusiveMinimum", &b) && d <= b)
			return fail(c, "%g is not more than %g", d, b);
		if (num_kw(schema, "exclusiveMaximum", &b) && d >= b)
			return fail(c, "%g is not less than %g", d, b);
	}
	if (jv_get_kind(v) == JV_KIND_STRING) {
		d = (double)jv_string_length_codepoints(jv_copy(v));
		if (num_kw(schema, "minLength", &b) && d < b)
			return fail(c, "string shorter than %g characters", b);
		if (num_kw(schema, "maxLength", &b) && d > b)
			return fail(c, "string longer than %g characters", b);
	}
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		d = (double)jv_array_length(jv_copy(v));
		if (num_kw(schema, "minItems", &b) && d < b)
			return fail(c, "%g items, expected at least %g", d, b);
		if (num_kw(schema, "maxItems", &b) && d > b)
			return fail(c, "%g items, expected at most %g", d, b);
	}
	return 0;
}

static int check_value(struct check *c, jv schema, jv v);

/* Descends into a child: path grows by ".key" or "[i]", then shrinks. */
static int
check_child(struct check *c, jv schema, jv v, const char *key, int index)
{
	size_t mark = c->path.len;
	int rc;

	if (key)
		buf_printf(&c->path, ".%s", key);
	else
		buf_printf(&c->path, "[%d]", index);
	rc = check_value(c, schema, v);
	c->path.len = mark;
	c->path.p[mark] = '\0';
	return rc;
}

static int
check_object(struct check *c, jv schema, jv v)
{
	jv props = kw(schema, "properties"), req = kw(schema, "required");
	jv extra = kw(schema, "additionalProperties"), sub;
	int rc = 0;

	if (jv_get_kind(req) == JV_KIND_ARRAY) {
		jv_array_foreach(req, i, name) {
			if (rc == 0 && jv_get_kind(name) == JV_KIND_STRING &&
			    !jv_object_has(jv_copy(v), jv_copy(name)))
				rc = fail(c, "missing required property \"%s\"",
				    jv_string_value(name));
			jv_free(name);
		}
	}
	jv_object_foreach(v, key, val) {
		if (rc == 0) {
			if (jv_get_kind(props) == JV_KIND_OBJECT &&
			    jv_object_has(jv_copy(props), jv_copy(key))) {
				sub = jv_object_get(jv_copy(props), jv_copy(key));
				rc = check_child(c, sub, val, jv_string_value(key), 0);
				jv_free(sub);
			} else if (jv_get_kind(extra) == JV_KIND_FALSE) {
				rc = fail(c, "unexpected property \"%s\"",
				    jv_string_value(key));
			} else if (jv_get_kind(extra) == JV_KIND_OBJECT) {
				rc = check_child(c, extra, val,
				    jv_string_value(key), 0);
			}
		}
		jv_free(key);
		jv_free(val);
	}
	jv_free(props);
	jv_free(req);
	jv_free(extra);
	return rc;
}

static int
check_array(struct check *c, jv schema, jv v)
{
	jv items = kw(schema, "items");
	int rc = 0;

	if (jv_get_kind(items) == JV_KIND_OBJECT) {
		jv_array_foreach(v, i, e) {
			if (rc == 0)
				rc = check_child(c, items, e, NULL, i);
			jv_free(e);
		}
	}
	jv_free(items);
	return rc;
}

/* anyOf / oneOf: one branch must pass (oneOf's "only one" is not worth
 * rejecting a model's answer for); allOf: every branch. */
static int
check_combinators(struct check *c, jv schema, jv v)
{
	static const char *const any[] = { "anyOf", "oneOf" };
	jv list;
	int rc = 0, passed;

	for (size_t k = 0; k < 2 && rc == 0; k++) {
		list = kw(schema, any[k]);
		if (jv_get_kind(list) == JV_KIND_ARRAY &&
		    jv_array_length(jv_copy(list)) > 0) {
			passed = 0;
			jv_array_foreach(list, i, sub) {
				if (!passed && check_value(c, sub, v) == 0)
					passed = 1;
				jv_free(sub);
			}
			rc = passed ? 0 : -1;	/* keeps the last branch's error */
		}
		jv_free(list);
	}
	list = kw(schema, "allOf");
	if (rc == 0 && jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, sub) {
			if (rc == 0)
				rc = check_value(c, sub, v);
			jv_free(sub);
		}
	}
	jv_free(list);
	return rc;
}

static int
check_value(struct check *c, jv schema, jv v)
{
	if (jv_get_kind(schema) != JV_KIND_OBJECT)
		return 0;	/* true, {} and friends accept anything */
	if (check_type(c, schema, v) || check_enum(c, schema, v) ||
	    check_bounds(c, schema, v) || check_combinators(c, schema, v))
		return -1;
	if (jv_get_kind(v) == JV_KIND_OBJECT)
		return check_object(c, schema, v);
	if (jv_get_kind(v) == JV_KIND_ARRAY)
		return check_array(c, schema, v);
	return 0;
}

char *
schema_check(jv schema, jv v)
{
	struct check c = { BUF_INIT, NULL };

	buf_adds(&c.path, "$");
	if (check_value(&c, schema, v) == 0) {
		free(c.err);
		c.err = NULL;
	}
	buf_free(&c.path);
	return c.err;
}

static int
known_type(jv t)
{
	static const char *const types[] = { "object", "array", "string",
	    "number", "integer", "boolean", "null" };

	if (jv_get_kind(t) != JV_KIND_STRING)
		return 0;
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (strcmp(jv_string_value(t), types[i]) == 0)
			return 1;
	return 0;
}

/* Where a subschema sits, for the message: "properties.severity". */
static char *lint_at(jv schema, const char *where);

static char *
lint_children(jv schema, const char *key, const char *where)
{
	jv sub = kw(schema, key);
	char *err = NULL, at[256];

	if (jv_get_kind(sub) == JV_KIND_OBJECT && strcmp(key, "properties")) {
		snprintf(at, sizeof at, "%s%s%s", where, *where ? "." : "", key);
		err = lint_at(sub, at);
	} else if (jv_get_kind(sub) == JV_KIND_OBJECT) {
		jv_object_foreach(sub, name, child) {
			snprintf(at, sizeof at, "%s%sproperties.%s", where,
			    *where ? "." : "", jv_string_value(name));
			if (err == NULL)
				err = lint_at(child, at);
			jv_free(name);
			jv_free(child);
		}
	} else if (jv_get_kind(sub) == JV_KIND_ARRAY) {
		jv_array_foreach(sub, i, child) {
			snprintf(at, sizeof at, "%s%s%s[%d]", where,
			    *where ? "." : "", key, i);
			if (err == NULL && jv_get_kind(child) == JV_KIND_OBJECT)
				err = lint_at(child, at);
			jv_free(child);
		}
	}
	jv_free(sub);
	return err;
}

/*
 * The checker lets an unknown type name through, so a typo ("objekt")
 * would turn validation off without a word: refuse it here, at any depth.
 */
static char *
lint_at(jv schema, const char *where)
{
	static const char *const subs[] = { "properties",
	    "additionalProperties", "items", "anyOf", "oneOf", "allOf" };
	struct buf b = BUF_INIT;
	jv t = kw(schema, "type");
	char *err = NULL;
	int bad = 0;

	if (jv_get_kind(schema) != JV_KIND_OBJECT)
		return NULL;	/* true/false schemas */
	if (jv_get_kind(t) == JV_KIND_ARRAY) {
		jv_array_foreach(t, i, e) {
			bad |= !known_type(e);
			jv_free(e);
		}
	} else {
		bad = jv_is_valid(t) && !known_type(t);
	}
	jv_free(t);
	if (bad) {
		buf_printf(&b, "%s%s\"type\" must be object, array, string, "
		    "number, integer, boolean or null, or a list of them",
		    where, *where ? ": " : "");
		return buf_detach(&b);
	}
	for (size_t k = 0; err == NULL && k < sizeof subs / sizeof *subs; k++)
		err = lint_children(schema, subs[k], where);
	return err;
}

char *
schema_lint(jv schema)
{
	if (jv_get_kind(schema) != JV_KIND_OBJECT)
		return xstrdup("a schema must be a JSON object");
	return lint_at(schema, "");
}
