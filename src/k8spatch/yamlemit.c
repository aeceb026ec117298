/* yamlemit.c — values written as YAML text, block or flow. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamlemit.h"
#include "yamltree.h"

/* Bytes no plain, single-quoted or block scalar may hold: C0 controls
 * but tab, DEL, and the UTF-8 of U+0080–U+009F (NEL among them), U+2028,
 * U+2029 and U+FEFF, which YAML takes as line breaks or byte order marks.
 * Returns the length of such a character at s, 0 when s is fine. */
static size_t
special_char(const unsigned char *s, size_t left, int tab_ok, int nl_ok)
{
	if (*s == '\t')
		return tab_ok ? 0 : 1;
	if (*s == '\n')
		return nl_ok ? 0 : 1;
	if (*s < 0x20 || *s == 0x7f)
		return 1;
	if (*s == 0xC2 && left >= 2 && s[1] >= 0x80 && s[1] <= 0x9F)
		return 2;
	if (*s == 0xE2 && left >= 3 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
		return 3;
	if (*s == 0xEF && left >= 3 && s[1] == 0xBB && s[2] == 0xBF)
		return 3;
	return 0;
}

static int
has_special(const char *s, size_t len, int tab_ok, int nl_ok)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (special_char((const unsigned char *)s + i, len - i, tab_ok, nl_ok))
			return 1;
	return 0;
}

/* Could YAML 1.1 (PyYAML) read s as a number, a date or a time? */
static int
numberish(const char *s, size_t len)
{
	size_t i;

	if (!((s[0] >= '0' && s[0] <= '9') ||
	    ((s[0] == '-' || s[0] == '+' || s[0] == '.') && len > 1 &&
	    ((s[1] >= '0' && s[1] <= '9') || s[1] == '.'))))
		return 0;
	for (i = 0; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF_:.xXoObB+-tTzZ ", s[i]))
			return 0;
	return 1;
}

int
yemit_plain_ok(const char *s, size_t len, int flow)
{
	jv v;
	int ok;

	if (len == 0 || memchr(s, '\0', len) || has_special(s, len, 0, 0))
		return 0;
	if (s[0] == ' ' || s[len - 1] == ' ' || s[len - 1] == ':')
		return 0;
	if (strchr(",[]{}#&*!|>'\"%@`?:", s[0]) || (s[0] == '-' && (len == 1 || s[1] == ' ')))
		return 0;
	if ((len >= 3 && (strncmp(s, "---", 3) == 0 || strncmp(s, "...", 3) == 0)) ||
	    strcmp(s, "<<") == 0 || strcmp(s, "=") == 0)
		return 0;
	if (strstr(s, ": ") || strstr(s, " #") || strstr(s, ":\t"))
		return 0;
	if (flow && strpbrk(s, ",[]{}:"))
		return 0;
	if (numberish(s, len))
		return 0;
	v = ytree_plain(s, len);
	ok = jv_get_kind(v) == JV_KIND_STRING;
	jv_free(v);
	return ok;
}

void
yemit_number(struct buf *b, double d)
{
	jv s;
	const char *p, *e;

	if (d == floor(d) && fabs(d) < 1e17) {
		buf_printf(b, "%.0f", d);
		return;
	}
	s = jv_dump_string(jv_number(d), 0);
	p = jv_string_value(s);
	e = strpbrk(p, "eE");
	/* YAML 1.1 floats need a dot before the exponent. */
	if (e && !memchr(p, '.', (size_t)(e - p))) {
		buf_add(b, p, (size_t)(e - p));
		buf_adds(b, ".0");
		buf_adds(b, e);
	} else {
		buf_adds(b, p);
	}
	jv_free(s);
}

void
yemit_double(struct buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n;

	buf_addc(b, '"');
	for (i = 0; i < len; i++) {
		switch (u[i]) {
		case '"':
			buf_adds(b, "\\\"");
			continue;
		case '\\':
			buf_adds(b, "\\\\");
			continue;
		case '\n':
			buf_adds(b, "\\n");
			continue;
		case '\t':
			buf_adds(b, "\\t");
			continue;
		case '\r':
			buf_adds(b, "\\r");
			continue;
		default:
			break;
		}
		n = special_char(u + i, len - i, 1, 1);
		if (n == 1)
			buf_printf(b, "\\x%02x", u[i]);
		else if (n == 2)
			buf_printf(b, "\\x%02x", u[i + 1]);
		else if (n == 3)
			buf_adds(b, u[i] == 0xEF ? "\\uFEFF" : u[i + 2] == 0xA8 ? "\\L" : "\\P");
		else
			buf_addc(b, (char)u[i]);
		if (n > 1)
			i += n - 1;
	}
	buf_addc(b, '"');
}

int
yemit_single(struct buf *b, const char *s, size_t len)
{
	size_t i;

	if (has_special(s, len, 0, 0))
		return -1;
	buf_addc(b, '\'');
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			buf_addc(b, '\'');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '\'');
	return 0;
}

void
yemit_indent(struct buf *b, size_t n)
{
	char *p = buf_reserve(b, n);

	memset(p, ' ', n);
	b->len += n;
	b->p[b->len] = '\0';
}

int
yemit_block(struct buf *b, const struct yemit *e, const char *s, size_t len,
    int folded, size_t indent)
{
	size_t i, ls, body = len;
	int clip, content = 0;

	if (len == 0 || s[0] == ' ' || s[0] == '\t' || has_special(s, len, 1, 1) ||
	    memchr(s, '\0', len))
		return -1;
	clip = s[len - 1] == '\n';
	if (clip) {
		body--;
		if (body == 0 || s[body - 1] == '\n')
			return -1;
	}
	/* A line of spaces alone would read as a shorter, blank line. */
	for (ls = 0; ls <= body; ls = i + 1) {
		const char *nl = memchr(s + ls, '\n', body - ls);

		i = nl ? (size_t)(nl - s) : body;
		if (i > ls && strspn(s + ls, " \t") >= i - ls)
			return -1;
		content |= i > ls;
		if (nl == NULL)
			break;
	}
	if (!content)
		return -1;
	folded = folded && memchr(s, '\n', body) == NULL;
	buf_adds(b, folded ? ">" : "|");
	if (!clip)
		buf_addc(b, '-');
	for (ls = 0; ls <= body; ls = i + 1) {
		const char *nl = memchr(s + ls, '\n', body - ls);

		i = nl ? (size_t)(nl - s) : body;
		buf_adds(b, e->eol);
		if (i > ls) {
			yemit_indent(b, indent);
			buf_add(b, s + ls, i - ls);
		}
		if (nl == NULL)
			break;
	}
	return 0;
}

void
yemit_scalar(struct buf *b, jv v, int flow)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		buf_adds(b, "null");
		break;
	case JV_KIND_TRUE:
		buf_adds(b, "true");
		break;
	case JV_KIND_FALSE:
		buf_adds(b, "false");
		break;
	case JV_KIND_NUMBER:
		yemit_number(b, jv_number_value(v));
		break;
	case JV_KIND_STRING: {
		const char *s = jv_string_value(v);
		size_t n = (size_t)jv_string_length_bytes(jv_copy(v));

		if (yemit_plain_ok(s, n, flow))
			buf_add(b, s, n);
		else
			yemit_double(b, s, n);
		break;
	}
	default:
		yemit_flow(b, v, 0);
		break;
	}
}

void
yemit_key(struct buf *b, const char *key, size_t len)
{
	if (yemit_plain_ok(key, len, 0))
		buf_add(b, key, len);
	else
		yemit_double(b, key, len);
}

void
yemit_flow(struct buf *b, jv v, int json)
{
	int first = 1;

	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		buf_addc(b, '{');
		jv_object_foreach(v, k, m) {
			const char *ks = jv_string_value(k);
			size_t kl = (size_t)jv_string_length_bytes(jv_copy(k));

			buf_adds(b, first ? "" : ", ");
			if (!json && yemit_plain_ok(ks, kl, 1))
				buf_add(b, ks, kl);
			else
				yemit_double(b, ks, kl);
			buf_adds(b, ": ");
			yemit_flow(b, m, json);
			first = 0;
			jv_free(k);
			jv_free(m);
		}
		buf_addc(b, '}');
	} else if (jv_get_kind(v) == JV_KIND_ARRAY) {
		buf_addc(b, '[');
		jv_array_foreach(v, i, item) {
			buf_adds(b, i ? ", " : "");
			yemit_flow(b, item, json);
			jv_free(item);
		}
		buf_addc(b, ']');
	} else if (json && jv_get_kind(v) == JV_KIND_STRING) {
		yemit_double(b, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
	} else {
		yemit_scalar(b, v, 1);
	}
}

static int
is_empty(jv v)
{
	return (jv_get_kind(v) == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) == 0) ||
	    (jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) == 0);
}

/* A string with line breaks as a block scalar at indent, else quoted. */
static void
multiline(struct buf *b, const struct yemit *e, jv v, size_t indent)
{
	const char *s = jv_string_value(v);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(v));

	if (yemit_block(b, e, s, n, 0, indent) != 0)
		yemit_double(b, s, n);
}

static int
has_newline(jv v)
{
	return jv_get_kind(v) == JV_KIND_STRING && strchr(jv_string_value(v), '\n') != NULL;
}

void
yemit_after_key(struct buf *b, const struct yemit *e, jv v, size_t col)
{
	if (has_newline(v)) {
		buf_addc(b, ' ');
		multiline(b, e, v, col + e->step);
	} else if (jv_get_kind(v) == JV_KIND_OBJECT && !is_empty(v)) {
		buf_adds(b, e->eol);
		yemit_map_lines(b, e, v, col + e->step, 0);
	} else if (jv_get_kind(v) == JV_KIND_ARRAY && !is_empty(v)) {
		buf_adds(b, e->eol);
		yemit_seq_lines(b, e, v, col + e->seq_off, 0);
	} else {
		buf_addc(b, ' ');
		if (is_empty(v))
			buf_adds(b, jv_get_kind(v) == JV_KIND_OBJECT ? "{}" : "[]");
		else
			yemit_scalar(b, v, 0);
	}
}

void
yemit_item(struct buf *b, const struct yemit *e, jv v, size_t col)
{
	buf_addc(b, ' ');
	if (has_newline(v))
		multiline(b, e, v, col);
	else if (jv_get_kind(v) == JV_KIND_OBJECT && !is_empty(v))
		yemit_map_lines(b, e, v, col, 1);
	else if (jv_get_kind(v) == JV_KIND_ARRAY && !is_empty(v))
		yemit_seq_lines(b, e, v, col, 1);
	else if (is_empty(v))
		buf_adds(b, jv_get_kind(v) == JV_KIND_OBJECT ? "{}" : "[]");
	else
		yemit_scalar(b, v, 0);
}

void
yemit_map_lines(struct buf *b, const struct yemit *e, jv obj, size_t col,
    int first_inline)
{
	int first = 1;

	jv_object_foreach(obj, k, v) {
		if (!first)
			buf_adds(b, e->eol);
		if (!first || !first_inline)
			yemit_indent(b, col);
		yemit_key(b, jv_string_value(k), (size_t)jv_string_length_bytes(jv_copy(k)));
		buf_addc(b, ':');
		yemit_after_key(b, e, v, col);
		first = 0;
		jv_free(k);
		jv_free(v);
	}
}

void
yemit_seq_lines(struct buf *b, const struct yemit *e, jv arr, size_t col,
    int first_inline)
{
	jv_array_foreach(arr, i, item) {
		if (i)
			buf_adds(b, e->eol);
		if (i || !first_inline)
			yemit_indent(b, col);
		buf_addc(b, '-');
		yemit_item(b, e, item, col + 2);
		jv_free(item);
	}
}
