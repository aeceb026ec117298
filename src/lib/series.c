/* series.c — the fast reader and writer for series records.
 *
 * The values array is scanned by hand: a strict JSON-number scanner with
 * Clinger's exact fast path for conversion (strtod beyond it), strings only
 * where a value may be a numeric string. The rest of the record is cut out
 * as raw member text and parsed by jv, which validates it.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonl.h"
#include "msg.h"
#include "series.h"

void
series_init(struct series *s)
{
	memset(s, 0, sizeof *s);
	s->rec = jv_null();
}

void
series_clear(struct series *s)
{
	jv_free(s->rec);
	s->rec = jv_null();
	s->n = 0;
	s->instant = 0;
	s->has_values = 0;
}

void
series_free(struct series *s)
{
	jv_free(s->rec);
	free(s->s);
	memset(s, 0, sizeof *s);
	s->rec = jv_null();
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Exact powers of ten representable in a double. */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static double
slow_number(const char *start, size_t len)
{
	char small[64];
	char *copy = len < sizeof small ? small : xmalloc(len + 1);
	double v;

	memcpy(copy, start, len);
	copy[len] = '\0';
	v = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	return v;
}

static int
is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

const char *
json_number_end(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end || !is_digit(*p))
		return NULL;
	if (*p++ != '0')
		while (p < end && is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		if (++p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

/* Text already checked by number_end: only digits, '.', 'e' remain. The
 * counters saturate, so a number of two billion digits cannot overflow
 * them; anything outside the exact range goes to strtod anyway. */
const char *
json_number(const char *p, const char *end, double *out)
{
	const char *q = json_number_end(p, end), *s = p;
	uint64_t mant = 0;
	int digits = 0, exp10 = 0, e = 0, neg;

	if (q == NULL)
		return NULL;
	if ((neg = *s == '-'))
		s++;
	for (s += *s == '0'; s < q && is_digit(*s); s++) {
		if (digits < 19)
			mant = mant * 10 + (uint64_t)(*s - '0');
		else if (exp10 < 1000000)
			exp10++;
		digits += digits < 20;
	}
	if (s < q && *s == '.')
		for (s++; s < q && is_digit(*s); s++) {
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(*s - '0');
				exp10 -= exp10 > -1000000;
				digits += mant != 0;
			} else {
				digits = 20;
			}
		}
	if (s < q) {
		int exp_neg = *++s == '-';

		for (s += *s == '+' || *s == '-'; s < q; s++)
			if (e < 100000)
				e = e * 10 + (*s - '0');
		exp10 += exp_neg ? -e : e;
	}
	/* Clinger: both the mantissa and the power of ten are exact, so one
	 * IEEE operation rounds correctly. Anything else goes to strtod. */
	if (digits <= 19 && mant <= (UINT64_C(1) << 53) && exp10 >= -22 &&
	    exp10 <= 22) {
		double v = (double)mant;

		v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
		*out = neg ? -v : v;
	} else {
		*out = slow_number(p, (size_t)(q - p));
	}
	return q;
}

/* The spellings of special values we accept inside a string. */
static int
special_value(const char *s, size_t len, double *out)
{
	const char *p = s;
	int neg = 0;

	if (len == 3 && strncasecmp(s, "NaN", 3) == 0) {
		*out = NAN;
		return 1;
	}
	if (len > 0 && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
		len--;
	}
	if ((len == 3 && strncasecmp(p, "Inf", 3) == 0) ||
	    (len == 8 && strncasecmp(p, "Infinity", 8) == 0)) {
		*out = neg ? -INFINITY : INFINITY;
		return 1;
	}
	return 0;
}

static int
lenient_number(const char *s, size_t len, double *out)
{
	char copy[72];
	char *end;

	memcpy(copy, s, len);
	copy[len] = '\0';
	*out = strtod(copy, &end);
	return end == copy + len ? 0 : -1;
}

/* A value in a numeric string: "0.25", "+1", "NaN", "-Inf". */
static int
string_value(const char *s, size_t len, double *out)
{
	const char *end = s + len, *q;

	if (special_value(s, len, out))
		return 0;
	q = json_number(s, end, out);
	if (q == end && len > 0)
		return 0;
	/* Other servers' spellings Go's ParseFloat takes: "+1", ".5", "5." —
	 * decimal only, so strtod's hex and whitespace never get a say. */
	if (len == 0 || len > 64 || strspn(s, "0123456789+-.eE") < len)
		return -1;
	return lenient_number(s, len, out);
}

/* Scans a string without escapes (values and most keys never have them);
 * returns the position after the closing quote, *len the content length. */
static const char *
plain_string(const char *p, const char *end, const char **content,
    size_t *len)
{
	const char *q;

	if (p >= end || *p != '"')
		return NULL;
	q = memchr(p + 1, '"', (size_t)(end - p - 1));
	if (q == NULL || memchr(p + 1, '\\', (size_t)(q - p - 1)))
		return NULL;
	*content = p + 1;
	*len = (size_t)(q - p - 1);
	return q + 1;
}

static const char *
scan_value(const char *p, const char *end, double *v, const char **err)
{
	const char *content;
	size_t len;

	if (p < end && *p == '"') {
		p = plain_string(p, end, &content, &len);
		if (p == NULL || string_value(content, len, v) != 0) {
			*err = "value is not a number";
			return NULL;
		}
		return p;
	}
	p = json_number(p, end, v);
	if (p == NULL)
		*err = "value is not a number";
	return p;
}

static void
push_sample(struct series *s, double t, double v)
{
	if (s->n == s->cap)
		xgrow((void **)&s->s, &s->cap, s->n + 1, sizeof *s->s);
	s->s[s->n].t = t;
	s->s[s->n].v = v;
	s->n++;
}

const char *
series_scan_sample(struct series *s, const char *p, const char *end,
    const char **err)
{
	double t, v;

	p = skip_ws(p, end);
	if (p >= end || *p != '[') {
		*err = "sample is not a [time, value] pair";
		return NULL;
	}
	p = skip_ws(p + 1, end);
	if ((p = json_number(p, end, &t)) == NULL) {
		*err = "timestamp is not a number";
		return NULL;
	}
	/* 1e400 overflows to Inf: no time, and nothing fmt_time can write
	 * as a number that reads back. */
	if (!isfinite(t)) {
		*err = "timestamp is not a finite number";
		return NULL;
	}
	p = skip_ws(p, end);
	if (p >= end || *p != ',') {
		*err = "sample is not a [time, value] pair";
		return NULL;
	}
	p = skip_ws(p + 1, end);
	if ((p = scan_value(p, end, &v, err)) == NULL)
		return NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != ']') {
		*err = "sample is not a [time, value] pair";
		return NULL;
	}
	push_sample(s, t, v);
	return p + 1;
}

const char *
series_scan_values(struct series *s, const char *p, const char *end,
    const char **err, size_t *where)
{
	*where = 0;
	p = skip_ws(p, end);
	if (p >= end || *p != '[') {
		*err = "not an array";
		return NULL;
	}
	p = skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return p + 1;
	for (;;) {
		(*where)++;
		if ((p = series_scan_sample(s, p, end, err)) == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p < end && *p == ']')
			return p + 1;
		if (p >= end || *p != ',') {
			*err = "expected ',' or ']' after a sample";
			return NULL;
		}
		p++;
	}
}

/* Skips one JSON value structurally; jv validates it later. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	p = skip_ws(p, end);
	do {
		if (p >= end)
			return NULL;
		switch (*p) {
		case '"':
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			p++;
			break;
		case '[': case '{':
			depth++;
			p++;
			break;
		case ']': case '}':
			if (--depth < 0)
				return NULL;
			p++;
			break;
		default:
			if (depth == 0) {
				while (p < end && !strchr(",]} \t\r\n", *p))
					p++;
				return p;
			}
			p++;
		}
	} while (depth > 0);
	return p;
}

static char *
field_error(const char *field, size_t index, const char *what)
{
	char *msg;
	int n;

	if (index > 0)
		n = asprintf(&msg, "field '%s': sample %zu: %s", field, index,
		    what);
	else
		n = asprintf(&msg, "field '%s': %s", field, what);
	if (n < 0)
		msg_oom();
	return msg;
}

/* One member of the top object: either the values (scanned fast) or raw
 * text kept for jv. Returns the position after it, or NULL with *err. */
static const char *
member(struct series *s, const char *p, const char *end, struct buf *rest,
    char **err)
{
	const char *key, *start = p, *q, *why = NULL;
	size_t klen, where = 0;

	q = plain_string(p, end, &key, &klen);
	if (q != NULL && ((klen == 6 && memcmp(key, "values", 6) == 0) ||
	    (klen == 5 && memcmp(key, "value", 5) == 0))) {
		int instant = klen == 5;

		q = skip_ws(q, end);
		if (q >= end || *q != ':')
			goto syntax;
		if (s->has_values) {
			*err = field_error(instant ? "value" : "values", 0,
			    "a record holds one of 'values' and 'value'");
			return NULL;
		}
		s->has_values = 1;
		s->instant = instant;
		q = instant ? series_scan_sample(s, q + 1, end, &why) :
		    series_scan_values(s, q + 1, end, &why, &where);
		if (q == NULL) {
			*err = field_error(instant ? "value" : "values",
			    where, why);
			return NULL;
		}
		return q;
	}
	if ((q = skip_value(p, end)) == NULL)
		goto syntax;
	q = skip_ws(q, end);
	if (q >= end || *q != ':')
		goto syntax;
	if ((q = skip_value(q + 1, end)) == NULL)
		goto syntax;
	if (rest->len > 1)
		buf_addc(rest, ',');
	buf_add(rest, start, (size_t)(q - start));
	return q;
syntax:
	*err = xstrdup("invalid JSON: not a well-formed object");
	return NULL;
}

/* The fast path matches keys byte for byte, so "valu\u0065s" reaches jv,
 * which decodes it to "values": take those samples out of the record too,
 * or the record would be written with two "values" members. */
static int
escaped_values(struct series *s, int instant, char **err)
{
	const char *key = instant ? "value" : "values", *why = NULL, *q;
	jv v = jv_object_get(jv_copy(s->rec), jv_string(key));
	struct buf text = BUF_INIT;
	size_t where = 0;

	if (!jv_is_valid(v)) {
		jv_free(v);
		return 0;
	}
	if (s->has_values) {
		jv_free(v);
		*err = field_error(key, 0,
		    "a record holds one of 'values' and 'value'");
		return -1;
	}
	s->rec = jv_object_delete(s->rec, jv_string(key));
	s->has_values = 1;
	s->instant = instant;
	jsonl_dump(&text, v);
	q = instant ? series_scan_sample(s, text.p, text.p + text.len, &why) :
	    series_scan_values(s, text.p, text.p + text.len, &why, &where);
	buf_free(&text);
	if (q == NULL) {
		*err = field_error(key, where, why);
		return -1;
	}
	return 0;
}

static int
parse_rest(struct series *s, struct buf *rest, char **err)
{
	jv rec;

	buf_addc(rest, '}');
	rec = jsonl_parse(rest->p, rest->len);
	if (!jv_is_valid(rec)) {
		jv msg = jv_invalid_get_msg(rec);

		if (asprintf(err, "%s", jv_get_kind(msg) == JV_KIND_STRING ?
		    jv_string_value(msg) : "invalid JSON") < 0)
			msg_oom();
		jv_free(msg);
		return -1;
	}
	s->rec = rec;
	if (escaped_values(s, 0, err) != 0 || escaped_values(s, 1, err) != 0)
		return -1;
	return 0;
}

int
series_parse(struct series *s, const char *line, size_t len, char **err)
{
	const char *p = line, *end = line + len;
	struct buf rest = BUF_INIT;
	int rc = -1, comma = 0;

	series_clear(s);
	*err = NULL;
	if (memchr(line, '\0', len) != NULL) {
		*err = xstrdup("NUL byte in the line");
		return -1;
	}
	p = skip_ws(p, end);
	if (p >= end || *p != '{') {
		*err = xstrdup("not a JSON object");
		return -1;
	}
	buf_addc(&rest, '{');
	p = skip_ws(p + 1, end);
	while (p < end && *p != '}') {
		if ((p = member(s, p, end, &rest, err)) == NULL)
			goto out;
		p = skip_ws(p, end);
		if ((comma = p < end && *p == ',') == 0)
			break;
		p = skip_ws(p + 1, end);
	}
	/* A comma needs a member after it: {"a":1,} is not JSON. */
	if (comma || p >= end || *p != '}' || skip_ws(p + 1, end) != end) {
		*err = xstrdup("invalid JSON: not a well-formed object");
		goto out;
	}
	rc = parse_rest(s, &rest, err);
out:
	buf_free(&rest);
	if (rc != 0)
		s->n = 0;
	return rc;
}

/* A JSON number's text without the trailing zeros of its fraction:
 * Prometheus writes milliseconds as ".620", we write the shortest form
 * (".62"), as fmt_time does, so both spellings of a time compare equal. */
static size_t
trimmed_time(const char *p, size_t len)
{
	const char *dot = memchr(p, '.', len);

	if (dot == NULL || memchr(dot, 'e', len - (size_t)(dot - p)) ||
	    memchr(dot, 'E', len - (size_t)(dot - p)))
		return len;
	while (p[len - 1] == '0')
		len--;
	return p[len - 1] == '.' ? len - 1 : len;
}

/* What one sample's value becomes: its text copied, or a number written. */
struct piece {
	const char *p;
	size_t len;
	char num[32];
};

/* The value of a Prometheus sample: a string holding a number. Only the
 * grammar is checked; nothing needs the double. */
static const char *
transcode_value(struct piece *out, const char *p, const char *end,
    const char **err)
{
	const char *q;
	double v;

	*err = "value is not a number";
	if (p < end && *p != '"') {
		out->p = p;
		q = json_number_end(p, end);
		out->len = q ? (size_t)(q - p) : 0;
		return q;
	}
	if ((q = plain_string(p, end, &out->p, &out->len)) == NULL)
		return NULL;
	/* Prometheus spells values as JSON numbers inside quotes: copy them;
	 * the specials and other servers' spellings ("+1", ".5") are
	 * converted. */
	if (json_number_end(out->p, out->p + out->len) == out->p + out->len &&
	    out->len > 0)
		return q;
	if (!special_value(out->p, out->len, &v) &&
	    string_value(out->p, out->len, &v) != 0)
		return NULL;
	out->len = fmt_value(out->num, v);
	out->p = out->num;
	return q;
}

/*
 * One "[t,v]" appended as "[t,v]" (after a comma when sep), with one
 * reservation in out. *t and *tlen get the timestamp's text.
 */
static const char *
transcode_sample(struct buf *out, const char *p, const char *end, int sep,
    const char **t, size_t *tlen, const char **err)
{
	struct piece v;
	const char *q;
	char *w;

	p = skip_ws(p, end);
	if (p >= end || *p != '[')
		goto pair;
	*t = skip_ws(p + 1, end);
	if ((q = json_number_end(*t, end)) == NULL) {
		*err = "timestamp is not a number";
		return NULL;
	}
	*tlen = (size_t)(q - *t);
	p = skip_ws(q, end);
	if (p >= end || *p != ',')
		goto pair;
	if ((p = transcode_value(&v, skip_ws(p + 1, end), end, err)) == NULL)
		return NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != ']')
		goto pair;
	w = buf_reserve(out, *tlen + v.len + 4);
	if (sep)
		*w++ = ',';
	*w++ = '[';
	memcpy(w, *t, *tlen);
	w += trimmed_time(*t, *tlen);
	*w++ = ',';
	memcpy(w, v.p, v.len);
	w += v.len;
	*w++ = ']';
	out->len = (size_t)(w - out->p);
	out->p[out->len] = '\0';
	return p + 1;
pair:
	*err = "sample is not a [time, value] pair";
	return NULL;
}

const char *
series_transcode(struct buf *out, const char *p, const char *end,
    int instant, size_t *count, double *first, double *last,
    const char **err)
{
	const char *t = NULL;
	size_t tlen = 0;

	*count = 0;
	if (instant) {
		p = transcode_sample(out, p, end, 0, &t, &tlen, err);
		if (p != NULL) {
			*count = 1;
			json_number(t, t + tlen, first);
			*last = *first;
		}
		return p;
	}
	p = skip_ws(p, end);
	if (p >= end || *p != '[') {
		*err = "not an array";
		return NULL;
	}
	buf_addc(out, '[');
	p = skip_ws(p + 1, end);
	while (p < end && *p != ']') {
		if (*count > 0 && *p++ != ',') {
			*err = "expected ',' or ']' after a sample";
			return NULL;
		}
		p = transcode_sample(out, p, end, *count > 0, &t, &tlen, err);
		if (p == NULL)
			return NULL;
		/* Times are converted for the first and the last sample only. */
		if ((*count)++ == 0)
			json_number(t, t + tlen, first);
		p = skip_ws(p, end);
	}
	if (p >= end) {
		*err = "unterminated array";
		return NULL;
	}
	if (*count > 0)
		json_number(t, t + tlen, last);
	buf_addc(out, ']');
	return p + 1;
}

int
series_value_text(const char *s, size_t len, double *out)
{
	return string_value(s, len, out);
}

int
series_value(jv v, double *out)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER:
		*out = jv_number_value(v);
		return 0;
	case JV_KIND_STRING:
		return string_value(jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)), out);
	default:
		return -1;
	}
}

size_t
fmt_value(char *buf, double v)
{
	int prec;

	if (isnan(v))
		return (size_t)snprintf(buf, 32, "\"NaN\"");
	if (isinf(v))
		return (size_t)snprintf(buf, 32, v > 0 ? "\"+Inf\"" : "\"-Inf\"");
	/* -0 falls through to %g, which keeps its sign ("-0"). */
	if (fabs(v) < 1e15 && v == (double)(int64_t)v && !signbit(v))
		return (size_t)snprintf(buf, 32, "%lld", (long long)v);
	/* The shortest of 15, 16, 17 digits that reads back exactly: for a
	 * normal double nothing shorter than %.15g can (DBL_DIG is 15), but a
	 * subnormal holds fewer digits, so there the search starts at 1. */
	for (prec = fabs(v) < DBL_MIN ? 1 : 15; prec < 17; prec++) {
		snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return (size_t)snprintf(buf, 32, "%.*g", prec, v);
}

size_t
fmt_time(char *buf, double t)
{
	long long ms, secs;
	int frac, n;
	const char *sign = "";

	/* Milliseconds of a time beyond 1e15 s do not fit a long long (and
	 * NaN or Inf have none): llround would give LLONG_MIN and -ms would
	 * overflow. Such times are written as values instead. */
	if (!(fabs(t) < 1e15))
		return fmt_value(buf, t);
	ms = llround(t * 1000);
	secs = ms / 1000;
	frac = (int)(ms % 1000);
	if (ms < 0) {
		sign = "-";
		secs = -ms / 1000;
		frac = (int)(-ms % 1000);
	}
	if (frac == 0)
		return (size_t)snprintf(buf, 32, "%s%lld", sign, secs);
	n = snprintf(buf, 32, "%s%lld.%03d", sign, secs, frac);
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	return (size_t)n;
}

jv
jv_value(double v)
{
	if (isnan(v))
		return jv_string("NaN");
	if (isinf(v))
		return jv_string(v > 0 ? "+Inf" : "-Inf");
	return jv_number(v);
}

static void
dump_sample(struct buf *b, const struct sample *smp)
{
	char *p = buf_reserve(b, 70);
	size_t n = 0;

	p[n++] = '[';
	n += fmt_time(p + n, smp->t);
	p[n++] = ',';
	n += fmt_value(p + n, smp->v);
	p[n++] = ']';
	b->len += n;
	b->p[b->len] = '\0';
}

void
series_dump_values(struct buf *b, const struct series *s)
{
	size_t i;

	if (s->instant) {
		if (s->n > 0)
			dump_sample(b, &s->s[0]);
		else
			buf_adds(b, "null");
		return;
	}
	buf_addc(b, '[');
	for (i = 0; i < s->n; i++) {
		if (i)
			buf_addc(b, ',');
		dump_sample(b, &s->s[i]);
	}
	buf_addc(b, ']');
}

int
series_write(FILE *fp, const struct series *s)
{
	struct buf b = BUF_INIT;
	int rc = 0;

	jsonl_dump(&b, jv_get_kind(s->rec) == JV_KIND_OBJECT ?
	    jv_copy(s->rec) : jv_object());
	/* Replace the closing brace by the values and a new one. */
	b.len--;
	if (b.len > 1)
		buf_addc(&b, ',');
	buf_adds(&b, s->instant ? "\"value\":" : "\"values\":");
	series_dump_values(&b, s);
	buf_add(&b, "}\n", 2);
	if (fwrite(b.p, 1, b.len, fp) != b.len)
		rc = -1;
	buf_free(&b);
	return rc;
}
