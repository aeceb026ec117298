/* jcheck.c — a validator for compact JSON, without building anything. */
#include <string.h>

#include "jcheck.h"
#include "series.h"

#define MAX_DEPTH	200

struct cur {
	const unsigned char *p, *end;
};

static int value(struct cur *c, int depth);

/* One UTF-8 sequence at c->p (a byte >= 0x80): 1 and advanced, or 0. */
static int
utf8(struct cur *c)
{
	const unsigned char *p = c->p;
	unsigned int cp, n, i;

	if (*p >= 0xc2 && *p <= 0xdf) {
		n = 1;
		cp = *p & 0x1f;
	} else if (*p >= 0xe0 && *p <= 0xef) {
		n = 2;
		cp = *p & 0x0f;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 3;
		cp = *p & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(c->end - p) <= n)
		return 0;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	c->p += n + 1;
	return 1;
}

static int
hex4(const unsigned char *p)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strchr("0123456789abcdefABCDEF", p[i]) == NULL || p[i] == 0)
			return 0;
	return 1;
}

static int
string(struct cur *c)
{
	if (c->p >= c->end || *c->p != '"')
		return 0;
	c->p++;
	while (c->p < c->end) {
		unsigned char ch = *c->p;

		if (ch == '"') {
			c->p++;
			return 1;
		}
		if (ch < 0x20) {
			return 0;
		} else if (ch == '\\') {
			if (c->end - c->p < 2)
				return 0;
			if (c->p[1] == 'u') {
				/* A lone surrogate escape is left to jv. */
				if (c->end - c->p < 6 || !hex4(c->p + 2) ||
				    ((c->p[2] == 'd' || c->p[2] == 'D') &&
				    strchr("89abAB89abcdefCDEF", c->p[3])))
					return 0;
				c->p += 6;
			} else if (strchr("\"\\/bfnrt", c->p[1]) && c->p[1]) {
				c->p += 2;
			} else {
				return 0;
			}
		} else if (ch >= 0x80) {
			if (!utf8(c))
				return 0;
		} else {
			c->p++;
		}
	}
	return 0;
}

static int
literal(struct cur *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

static int
container(struct cur *c, int depth, int object)
{
	char close = object ? '}' : ']';

	if (depth > MAX_DEPTH)
		return 0;
	c->p++;
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 1;
	}
	for (;;) {
		if (object && (!string(c) || c->p >= c->end || *c->p++ != ':'))
			return 0;
		if (!value(c, depth + 1) || c->p >= c->end)
			return 0;
		if (*c->p == close) {
			c->p++;
			return 1;
		}
		if (*c->p++ != ',')
			return 0;
	}
}

static int
value(struct cur *c, int depth)
{
	const char *e;

	if (c->p >= c->end)
		return 0;
	switch (*c->p) {
	case '{':
		return container(c, depth, 1);
	case '[':
		return container(c, depth, 0);
	case '"':
		return string(c);
	case 't':
		return literal(c, "true");
	case 'f':
		return literal(c, "false");
	case 'n':
		return literal(c, "null");
	default:
		e = json_number_end((const char *)c->p, (const char *)c->end);
		if (e == NULL)
			return 0;
		c->p = (const unsigned char *)e;
		return 1;
	}
}

int
jcheck_compact_object(const char *s, size_t n)
{
	struct cur c = { (const unsigned char *)s, (const unsigned char *)s +
	    n };

	if (n < 2 || s[0] != '{')
		return 0;
	return value(&c, 0) && c.p == c.end;
}
