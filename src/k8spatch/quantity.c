/* quantity.c — Kubernetes resource quantities in exact nano-units. */
#include <stdio.h>
#include <string.h>

#include "quantity.h"

__extension__ typedef __int128 i128;

#define NANO		((i128)1000000000)
/* 2^63 units: beyond any quantity a policy limit needs. */
#define LIMIT		(((i128)1 << 63) * NANO)

/* Suffixes and what they multiply by: 2^shift × 10^exp. */
static const struct suffix {
	const char *s;
	int shift, exp;
} suffixes[] = {
	{ "Ki", 10, 0 }, { "Mi", 20, 0 }, { "Gi", 30, 0 }, { "Ti", 40, 0 },
	{ "Pi", 50, 0 }, { "Ei", 60, 0 },
	{ "n", 0, -9 }, { "u", 0, -6 }, { "m", 0, -3 }, { "", 0, 0 },
	{ "k", 0, 3 }, { "M", 0, 6 }, { "G", 0, 9 }, { "T", 0, 12 },
	{ "P", 0, 15 }, { "E", 0, 18 },
};

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "e-3", "E12": 1 with *exp set when s is exactly an exponent. */
static int
exponent(const char *s, int *exp)
{
	int neg = 0, v = 0;

	if (*s != 'e' && *s != 'E')
		return 0;
	s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!digit(*s))
		return 0;
	for (; digit(*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > 100)
			return 0;	/* far outside the range anyway */
	}
	if (*s != '\0')
		return 0;
	*exp = neg ? -v : v;
	return 1;
}

static int
suffix(const char *s, int *shift, int *exp)
{
	size_t i;

	if (exponent(s, exp)) {
		*shift = 0;
		return 1;
	}
	for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++)
		if (strcmp(s, suffixes[i].s) == 0) {
			*shift = suffixes[i].shift;
			*exp = suffixes[i].exp;
			return 1;
		}
	return 0;
}

/*
 * mant × 10^exp × 2^shift, in nano-units, rounded up (away from zero
 * for positive values, as Kubernetes rounds). mant has at most 40 digits
 * and is below LIMIT × 10^k for the digits taken.
 */
static int
scale(i128 mant, int exp, int shift, i128 *out)
{
	i128 v = mant;
	int e = exp + 9;	/* to nano-units */
	int inexact = 0;

	for (; shift > 0; shift--) {
		if (v > LIMIT)
			return -1;
		v *= 2;
	}
	for (; e > 0; e--) {
		if (v > LIMIT)
			return -1;
		v *= 10;
	}
	for (; e < 0; e++) {
		inexact |= v % 10 != 0;
		v /= 10;
	}
	if (inexact)
		v += 1;
	if (v > LIMIT)
		return -1;
	*out = v;
	return 0;
}

int
quantity_parse(const char *s, struct quantity *q)
{
	int neg = 0, digits = 0, frac = 0, shift, exp, dropped = 0, lost = 0;
	i128 mant = 0, v;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; digit(*s); s++, digits++)
		if (mant < LIMIT)
			mant = mant * 10 + (*s - '0');
		else
			dropped++;	/* too large; caught by scale() */
	if (*s == '.') {
		for (s++; digit(*s); s++, digits++)
			if (mant < LIMIT) {
				mant = mant * 10 + (*s - '0');
				frac++;
			} else if (*s != '0') {
				lost = 1;
			}
	}
	if (digits == 0 || !suffix(s, &shift, &exp))
		return -1;
	/* Digits too many to hold round up, as Kubernetes rounds. */
	mant += lost;
	if (scale(mant, exp - frac + dropped, shift, &v) != 0)
		return -1;
	q->nano = neg ? -v : v;
	return 0;
}

int
quantity_from_jv(jv v, struct quantity *q)
{
	char buf[64];

	if (jv_get_kind(v) == JV_KIND_STRING)
		return quantity_parse(jv_string_value(v), q);
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		/* Seventeen digits give back the double the JSON held. */
		snprintf(buf, sizeof buf, "%.17g", jv_number_value(v));
		if (strchr(buf, 'n') || strchr(buf, 'i'))
			return -1;	/* nan, inf */
		return quantity_parse(buf, q);
	}
	return -1;
}

int
quantity_cmp(struct quantity a, struct quantity b)
{
	return a.nano < b.nano ? -1 : a.nano > b.nano;
}

int
quantity_le_scaled(struct quantity a, struct quantity b,
    struct quantity factor)
{
	i128 p;

	/* a ≤ b × f  ⇔  a·10^9 ≤ b_nano·f_nano, all in range: |a| ≤ 2^63·10^9
	 * so a·10^9 < 2^127. A product that overflows is beyond any a. */
	if (__builtin_mul_overflow(b.nano, factor.nano, &p))
		return (b.nano < 0) == (factor.nano < 0);
	return a.nano * NANO <= p;
}

size_t
quantity_format(struct quantity q, char *buf, size_t len)
{
	i128 v = q.nano < 0 ? -q.nano : q.nano;
	i128 whole = v / NANO;
	long frac = (long)(v % NANO);
	char w[48], f[16], *p = w + sizeof w - 1;
	int n;

	*p = '\0';
	do {
		*--p = (char)('0' + (int)(whole % 10));
		whole /= 10;
	} while (whole > 0);
	f[0] = '\0';
	if (frac > 0) {
		snprintf(f, sizeof f, ".%09ld", frac);
		for (n = (int)strlen(f) - 1; f[n] == '0'; n--)
			f[n] = '\0';
	}
	n = snprintf(buf, len, "%s%s%s", q.nano < 0 ? "-" : "", p, f);
	return n < 0 ? 0 : (size_t)n;
}
