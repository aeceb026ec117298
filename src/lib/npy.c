/* npy.c — a strict reader for NumPy .npy files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "npy.h"

#define NPY_MAGIC	"\x93NUMPY"
#define NPY_MAGIC_LEN	6

/* A cursor over the header's Python dict literal. */
struct lex {
	const char *p, *end;
};

static int
fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

static void
skip_space(struct lex *lx)
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		lx->p++;
}

static int
accept(struct lex *lx, char c)
{
	skip_space(lx);
	if (lx->p < lx->end && *lx->p == c) {
		lx->p++;
		return 1;
	}
	return 0;
}

/* A quoted Python string without escapes (NumPy never writes any). */
static int
lex_string(struct lex *lx, char *out, size_t outlen)
{
	char q;
	size_t n = 0;

	skip_space(lx);
	if (lx->p >= lx->end || (*lx->p != '\'' && *lx->p != '"'))
		return -1;
	q = *lx->p++;
	while (lx->p < lx->end && *lx->p != q) {
		if (*lx->p == '\\' || n + 1 >= outlen)
			return -1;
		out[n++] = *lx->p++;
	}
	if (lx->p >= lx->end)
		return -1;
	lx->p++;
	out[n] = '\0';
	return 0;
}

static int
lex_word(struct lex *lx, const char *w)
{
	size_t n = strlen(w);

	skip_space(lx);
	if ((size_t)(lx->end - lx->p) >= n && memcmp(lx->p, w, n) == 0) {
		lx->p += n;
		return 1;
	}
	return 0;
}

static int
lex_size(struct lex *lx, size_t *out)
{
	size_t v = 0;
	int digits = 0;

	skip_space(lx);
	while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
		if (v > (SIZE_MAX - 9) / 10)
			return -1;
		v = v * 10 + (size_t)(*lx->p++ - '0');
		digits++;
	}
	if (lx->p < lx->end && *lx->p == 'L')	/* Python 2 longs */
		lx->p++;
	*out = v;
	return digits ? 0 : -1;
}

/* "(3,)", "(3, 2)"; 0-D and 3-D shapes are refused by the caller. */
static int
lex_shape(struct lex *lx, struct npy_header *h, char *err, size_t errlen)
{
	size_t dim;

	h->ndim = 0;
	if (!accept(lx, '('))
		return fail(err, errlen, "npy header: 'shape' is not a tuple");
	while (!accept(lx, ')')) {
		if (lex_size(lx, &dim) < 0)
			return fail(err, errlen, "npy header: bad 'shape' entry");
		if (h->ndim >= 2)
			return fail(err, errlen,
			    "npy: arrays of more than 2 dimensions are not supported");
		h->shape[h->ndim++] = dim;
		if (!accept(lx, ',')) {
			if (!accept(lx, ')'))
				return fail(err, errlen, "npy header: bad 'shape'");
			break;
		}
	}
	if (h->ndim == 0)
		return fail(err, errlen, "npy: 0-dimensional arrays are not supported");
	if (h->ndim == 1)
		h->shape[1] = 1;
	return 0;
}

static int
parse_descr(const char *d, struct npy_header *h, char *err, size_t errlen)
{
	char order = d[0];

	if (strlen(d) != 3 || strchr("<>|=", order) == NULL ||
	    strchr("fiu", d[1]) == NULL || strchr("1248", d[2]) == NULL)
		goto bad;
	h->kind = d[1];
	h->size = d[2] - '0';
	if (h->kind == 'f' && h->size < 4)
		goto bad;
	/* '|' (not applicable) is only right for one-byte items. */
	if (order == '|' && h->size != 1)
		goto bad;
	h->big_endian = order == '>';
	return 0;
bad:
	snprintf(err, errlen, "npy: unsupported dtype '%s' (float32/64, "
	    "int8..int64, uint8..uint64)", d);
	return -1;
}

static int
parse_dict(struct lex *lx, struct npy_header *h, char *err, size_t errlen)
{
	char key[32], val[32];
	int seen = 0, bit;

	if (!accept(lx, '{'))
		return fail(err, errlen, "npy header: not a dict");
	while (!accept(lx, '}')) {
		if (lex_string(lx, key, sizeof key) < 0 || !accept(lx, ':'))
			return fail(err, errlen, "npy header: bad key");
		if (strcmp(key, "descr") == 0) {
			bit = 1;
			if (lex_string(lx, val, sizeof val) < 0)
				return fail(err, errlen,
				    "npy: 'descr' is not a simple dtype string");
			if (parse_descr(val, h, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "fortran_order") == 0) {
			bit = 2;
			if (lex_word(lx, "True"))
				h->fortran = 1;
			else if (lex_word(lx, "False"))
				h->fortran = 0;
			else
				return fail(err, errlen,
				    "npy header: bad 'fortran_order'");
		} else if (strcmp(key, "shape") == 0) {
			bit = 4;
			if (lex_shape(lx, h, err, errlen) < 0)
				return -1;
		} else {
			snprintf(err, errlen, "npy header: unexpected key '%s'", key);
			return -1;
		}
		if (seen & bit)
			return fail(err, errlen, "npy header: duplicate key");
		seen |= bit;
		if (!accept(lx, ',')) {
			if (!accept(lx, '}'))
				return fail(err, errlen, "npy header: bad dict");
			break;
		}
	}
	if (seen != 7)
		return fail(err, errlen,
		    "npy header: 'descr', 'fortran_order' or 'shape' missing");
	skip_space(lx);
	if (lx->p != lx->end)
		return fail(err, errlen, "npy header: junk after the dict");
	return 0;
}

int
npy_parse_header(const unsigned char *p, size_t len, struct npy_header *h,
    char *err, size_t errlen)
{
	size_t hlen, pre;
	struct lex lx;

	memset(h, 0, sizeof *h);
	if (len < NPY_MAGIC_LEN + 2 || memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
		return fail(err, errlen, "not a .npy file (bad magic)");
	switch (p[6]) {
	case 1:
		pre = 10;
		if (len < pre)
			return fail(err, errlen, "npy: truncated header");
		hlen = (size_t)p[8] | (size_t)p[9] << 8;
		break;
	case 2:
	case 3:
		pre = 12;
		if (len < pre)
			return fail(err, errlen, "npy: truncated header");
		hlen = (size_t)p[8] | (size_t)p[9] << 8 |
		    (size_t)p[10] << 16 | (size_t)p[11] << 24;
		break;
	default:
		return fail(err, errlen, "npy: unsupported format version");
	}
	if (p[7] != 0)
		return fail(err, errlen, "npy: unsupported format version");
	if (hlen > len - pre)
		return fail(err, errlen, "npy: truncated header");
	if (hlen == 0 || p[pre + hlen - 1] != '\n')
		return fail(err, errlen, "npy header: not terminated by a newline");
	if (memchr(p + pre, '\0', hlen) != NULL)
		return fail(err, errlen, "npy header: NUL byte");
	lx.p = (const char *)p + pre;
	lx.end = (const char *)p + pre + hlen - 1;
	if (parse_dict(&lx, h, err, errlen) < 0)
		return -1;
	h->data_offset = pre + hlen;
	return 0;
}

static double
load(const unsigned char *q, const struct npy_header *h)
{
	unsigned char b[8];
	uint64_t u = 0;
	int i;

	for (i = 0; i < h->size; i++)
		b[i] = h->big_endian ? q[h->size - 1 - i] : q[i];
	for (i = h->size - 1; i >= 0; i--)
		u = u << 8 | b[i];
	if (h->kind == 'f') {
		if (h->size == 4) {
			float f;
			uint32_t w = (uint32_t)u;

			memcpy(&f, &w, sizeof f);
			return f;
		} else {
			double d;

			memcpy(&d, &u, sizeof d);
			return d;
		}
	}
	if (h->kind == 'u')
		return (double)u;
	/* Sign-extend the item to 64 bits. */
	if (h->size < 8 && (u >> (h->size * 8 - 1)) & 1)
		u |= ~(uint64_t)0 << (h->size * 8);
	return (double)(int64_t)u;
}

int
npy_read(const unsigned char *p, size_t len, struct npy *a, char *err,
    size_t errlen)
{
	struct npy_header h;
	size_t n, need, r, c, src;

	memset(a, 0, sizeof *a);
	if (npy_parse_header(p, len, &h, err, errlen) < 0)
		return -1;
	if (h.shape[1] != 0 && h.shape[0] > SIZE_MAX / h.shape[1])
		return fail(err, errlen, "npy: shape too large");
	n = h.shape[0] * h.shape[1];
	if (n > SIZE_MAX / 8)
		return fail(err, errlen, "npy: shape too large");
	need = n * (size_t)h.size;
	if (len - h.data_offset < need) {
		snprintf(err, errlen, "npy: truncated data: shape needs %zu bytes, "
		    "file has %zu", need, len - h.data_offset);
		return -1;
	}
	if (len - h.data_offset > need) {
		snprintf(err, errlen, "npy: %zu bytes of junk after the data",
		    len - h.data_offset - need);
		return -1;
	}
	a->rows = h.shape[0];
	a->cols = h.shape[1];
	a->v = xmalloc(n ? n * sizeof *a->v : 1);
	for (r = 0; r < a->rows; r++)
		for (c = 0; c < a->cols; c++) {
			src = h.fortran ? c * a->rows + r : r * a->cols + c;
			a->v[r * a->cols + c] =
			    load(p + h.data_offset + src * (size_t)h.size, &h);
		}
	return 0;
}

void
npy_free(struct npy *a)
{
	free(a->v);
	a->v = NULL;
	a->rows = a->cols = 0;
}
