/* kutil.c — files, base64 and field paths for k8spatch. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "kutil.h"
#include "msg.h"

char *
strfmt(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char *
slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[16384];
	size_t n;
	int e;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(fp)) {
		e = errno ? errno : EIO;
		fclose(fp);
		buf_free(&b);
		errno = e;
		return NULL;
	}
	fclose(fp);
	if (b.p == NULL)
		buf_add(&b, "", 0);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode(const char *s, size_t len, struct buf *out)
{
	unsigned long acc = 0;
	int bits = 0, pad = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64_value(c)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	/* Leftover bits must be zero padding of a 2- or 3-byte tail. */
	if (bits >= 6 || (acc & ((1UL << bits) - 1)) != 0 || pad > 2)
		return -1;
	if (out->p == NULL)
		buf_add(out, "", 0);
	return 0;
}

void
base64_encode(const unsigned char *s, size_t len, struct buf *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v = (unsigned long)s[i] << 16 |
		    (unsigned long)s[i + 1] << 8 | s[i + 2];

		buf_addc(out, a[v >> 18 & 63]);
		buf_addc(out, a[v >> 12 & 63]);
		buf_addc(out, a[v >> 6 & 63]);
		buf_addc(out, a[v & 63]);
	}
	if (i < len) {
		unsigned long v = (unsigned long)s[i] << 16 |
		    (i + 1 < len ? (unsigned long)s[i + 1] << 8 : 0);

		buf_addc(out, a[v >> 18 & 63]);
		buf_addc(out, a[v >> 12 & 63]);
		buf_addc(out, i + 1 < len ? a[v >> 6 & 63] : '=');
		buf_addc(out, '=');
	}
	if (out->p == NULL)
		buf_add(out, "", 0);
}

jv
jv_at(jv obj, const char *path)
{
	jv v = jv_copy(obj);
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, ".");

		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			jv_free(v);
			return jv_null();
		}
		v = jv_object_get(v, jv_string_sized(p, (int)n));
		if (!jv_is_valid(v)) {
			jv_free(v);
			return jv_null();
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return v;
}

const char *
jv_str_at(jv obj, const char *path)
{
	jv v = jv_at(obj, path);
	const char *s = NULL;

	/* The string stays alive inside obj after our reference goes. */
	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v);
	jv_free(v);
	return s;
}

int
jv_num_at(jv obj, const char *path, double *out)
{
	jv v = jv_at(obj, path);
	int ok = jv_get_kind(v) == JV_KIND_NUMBER;

	if (ok)
		*out = jv_number_value(v);
	jv_free(v);
	return ok;
}

int
jv_true_at(jv obj, const char *path)
{
	jv v = jv_at(obj, path);
	int yes = jv_get_kind(v) == JV_KIND_TRUE;

	jv_free(v);
	return yes;
}

double
jv_num_or(jv obj, const char *path, double dflt)
{
	double d;

	return jv_num_at(obj, path, &d) ? d : dflt;
}

jv
jv_set_at(jv obj, const char *path, jv v)
{
	size_t n = strcspn(path, ".");
	jv key = jv_string_sized(path, (int)n), child;

	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		jv_free(obj);
		obj = jv_object();
	}
	if (path[n] == '\0')
		return jv_object_set(obj, key, v);
	child = jv_object_get(jv_copy(obj), jv_copy(key));
	if (!jv_is_valid(child)) {
		jv_free(child);
		child = jv_object();
	}
	return jv_object_set(obj, key, jv_set_at(child, path + n + 1, v));
}

jv
jv_condition(jv obj, const char *type)
{
	jv conds = jv_at(obj, "status.conditions"), found = jv_null();

	if (jv_get_kind(conds) == JV_KIND_ARRAY)
		jv_array_foreach(conds, i, c) {
			const char *t = jv_get_str(c, "type");

			(void)i;
			if (t && strcmp(t, type) == 0 &&
			    jv_get_kind(found) == JV_KIND_NULL) {
				jv_free(found);
				found = jv_copy(c);
			}
			jv_free(c);
		}
	jv_free(conds);
	return found;
}

char *
jv_text(jv v)
{
	struct buf b = BUF_INIT;

	jsonl_dump(&b, jv_copy(v));
	return buf_detach(&b);
}
