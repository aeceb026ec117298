/* sample.c — reading a drift sample in any of the input formats.
 *
 * A sample is held whole in memory: a two-sample test needs all of both.
 * Rows go in through row_commit(), which checks them as a unit, so a
 * ragged or NaN row is reported once and never half-added.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "jsonl.h"
#include "msg.h"
#include "npy.h"
#include "sample.h"
#include "series.h"

#define MAX_FEATURES 1000000

struct cell {
	double v;
	char *s;		/* text of a non-numeric string, else NULL */
	int missing;		/* null or an empty CSV field */
};

struct row {
	struct cell *c;
	size_t n, cap;
	char **names;		/* names of the cells, when the row has them */
};

const char *const fmt_names[] = { "auto", "jsonl", "csv", "npy", NULL };

/*
 * A number spelled as text: the whole string (blanks around it aside), in
 * the grammar every opspipe reader takes for numeric strings — decimal,
 * "NaN", "±Inf" — so "0x10" and "1e" are text, as in NumPy and pandas.
 */
static int
text_number(const char *s, double *out)
{
	size_t len;

	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len == 0 ? -1 : series_value_text(s, len, out);
}

static void
row_reset(struct row *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->c[i].s);
	r->n = 0;
}

static struct cell *
row_add(struct row *r)
{
	struct cell *c;

	xgrow((void **)&r->c, &r->cap, r->n + 1, sizeof *r->c);
	c = &r->c[r->n++];
	memset(c, 0, sizeof *c);
	return c;
}

/* A string cell: numeric text becomes a number, other text a category. */
static void
cell_text(struct cell *c, const char *s, int csv)
{
	if (csv && *s == '\0') {
		c->missing = 1;
		return;
	}
	if (text_number(s, &c->v) == 0)
		return;
	c->s = xstrdup(s);
}

static void
col_grow(struct column *col, size_t n)
{
	size_t cap = col->cap;

	xgrow((void **)&col->num, &col->cap, n, sizeof *col->num);
	if (col->str != NULL) {
		col->str = xrealloc(col->str, col->cap * sizeof *col->str);
		memset(col->str + cap, 0, (col->cap - cap) * sizeof *col->str);
	}
}

/* The column gets an array for text, NULL for every cell so far. */
static void
col_text_array(struct column *col)
{
	if (col->str == NULL)
		col->str = xcalloc(col->cap ? col->cap : 1, sizeof *col->str);
}

static void
make_columns(struct table *s, size_t n, char **names)
{
	char tmp[32];
	size_t i;

	s->ncol = n;
	s->col = xcalloc(n ? n : 1, sizeof *s->col);
	s->named = names != NULL;
	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof tmp, "%zu", i);
		s->col[i].name = xstrdup(names ? names[i] : tmp);
	}
}

/*
 * Checks a row as a whole and appends it, from input line `line`.
 * Returns 0, or -1 with a message in err (the row is not added). NaN,
 * ±Inf and missing numbers are dropped with drop_nan, else rejected; text
 * is kept, for sample_reject_text or sample_to_text to judge.
 */
static int
row_commit(struct table *s, struct row *r, size_t line,
    const struct read_conf *conf, char *err, size_t errlen)
{
	size_t i;
	struct column *col;

	if (s->col == NULL)
		make_columns(s, r->n, r->names);
	if (r->n != s->ncol) {
		snprintf(err, errlen, "row has %zu fields, expected %zu",
		    r->n, s->ncol);
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		if (r->c[i].s == NULL && (r->c[i].missing || !isfinite(r->c[i].v))) {
			if (conf->drop_nan) {
				s->dropped++;
				return 0;
			}
			snprintf(err, errlen, "field '%s': %s", s->col[i].name,
			    r->c[i].missing ? "missing value" :
			    isnan(r->c[i].v) ? "NaN" : "infinite value");
			return -1;
		}
	}
	xgrow((void **)&s->line, &s->linecap, s->nrows + 1, sizeof *s->line);
	s->line[s->nrows] = line;
	for (i = 0; i < r->n; i++) {
		col = &s->col[i];
		col_grow(col, s->nrows + 1);
		if (r->c[i].s != NULL) {
			col_text_array(col);
			col->ntext++;
			col->num[s->nrows] = NAN;
			col->str[s->nrows] = r->c[i].s;
			r->c[i].s = NULL;
		} else {
			col->num[s->nrows] = r->c[i].v;
		}
	}
	s->nrows++;
	return 0;
}

/* One JSON value as a cell. Arrays and objects are not features. */
static int
cell_json(struct cell *c, jv v)
{
	int rc = 0;

	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER:
		c->v = jv_number_value(v);
		break;
	case JV_KIND_STRING:
		cell_text(c, jv_string_value(v), 0);
		break;
	case JV_KIND_NULL:
		c->missing = 1;
		break;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		c->s = xstrdup(jv_get_kind(v) == JV_KIND_TRUE ? "true" : "false");
		break;
	default:
		rc = -1;
	}
	jv_free(v);
	return rc;
}

/* Fills row from an array (consumed). */
static int
row_from_array(struct row *r, jv a, char *err, size_t errlen)
{
	int i, n = jv_array_length(jv_copy(a)), rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		if (cell_json(row_add(r), jv_array_get(jv_copy(a), i)) < 0) {
			snprintf(err, errlen, "element %d is not a number or string", i);
			rc = -1;
		}
	jv_free(a);
	return rc;
}

/* Fills row from named fields of obj (borrowed). */
static int
row_from_object(struct row *r, jv obj, const struct read_conf *conf,
    struct table *s, char *err, size_t errlen)
{
	size_t i;
	jv keys, v;

	if (conf->features == NULL && s->col == NULL) {
		/* The first record's keys, in its order, name the features. */
		struct row tmp = { 0 };
		int it;

		for (it = jv_object_iter(obj); jv_object_iter_valid(obj, it);
		    it = jv_object_iter_next(obj, it)) {
			keys = jv_object_iter_key(obj, it);
			xgrow((void **)&tmp.names, &tmp.cap, tmp.n + 1,
			    sizeof *tmp.names);
			tmp.names[tmp.n++] = xstrdup(jv_string_value(keys));
			jv_free(keys);
		}
		make_columns(s, tmp.n, tmp.names);
		for (i = 0; i < tmp.n; i++)
			free(tmp.names[i]);
		free(tmp.names);
	}
	for (i = 0; i < (conf->features ? conf->nfeatures : s->ncol); i++) {
		const char *name = conf->features ? conf->features[i] :
		    s->col[i].name;

		v = jv_object_get(jv_copy(obj), jv_string(name));
		if (!jv_is_valid(v)) {
			jv_free(v);
			snprintf(err, errlen, "field '%s' missing", name);
			return -1;
		}
		if (cell_json(row_add(r), v) < 0) {
			snprintf(err, errlen, "field '%s' is not a number or string",
			    name);
			return -1;
		}
	}
	return 0;
}

static int
looks_like_series(const char *line, size_t len)
{
	return len > 0 && line[0] == '{' && (memmem(line, len, "\"values\"", 8) ||
	    memmem(line, len, "\"value\"", 7));
}

/* A series record: its values (NaN ones dropped: Prometheus' gaps) are
 * rows of one feature, "value". An infinite sample is reported, but the
 * samples after it are still read: one +Inf must not lose the series. */
static int
read_series_line(struct table *s, struct series *se, const char *line,
    size_t len, size_t lineno, const struct read_conf *conf, char *err,
    size_t errlen)
{
	char *e = NULL, first[256] = "";
	size_t i, nbad = 0;
	struct row r = { 0 };
	char *names[1] = { "value" };
	int rc = 0;

	if (series_parse(se, line, len, &e) < 0) {
		snprintf(err, errlen, "%s", e ? e : "bad series record");
		free(e);
		return -1;
	}
	if (!se->has_values)
		return 1;	/* not a series after all */
	if (s->col == NULL)
		make_columns(s, 1, names);
	s->series++;
	for (i = 0; i < se->n; i++) {
		if (isnan(se->s[i].v)) {
			s->dropped++;
			continue;
		}
		row_add(&r)->v = se->s[i].v;
		if (row_commit(s, &r, lineno, conf, err, errlen) < 0 &&
		    nbad++ == 0)
			snprintf(first, sizeof first, "%.200s", err);
		row_reset(&r);
	}
	if (nbad > 0) {
		snprintf(err, errlen, "%.200s (%zu of %zu samples)", first, nbad,
		    se->n);
		rc = -1;
	}
	free(r.c);
	series_clear(se);
	return rc;
}

static int
read_json_line(struct table *s, struct row *r, jv v, size_t lineno,
    const struct read_conf *conf, char *err, size_t errlen)
{
	jv f;
	int rc = -1;

	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		rc = row_from_array(r, jv_copy(v), err, errlen);
	} else if (jv_get_kind(v) == JV_KIND_OBJECT) {
		f = jv_object_get(jv_copy(v), jv_string("features"));
		if (jv_get_kind(f) == JV_KIND_ARRAY && conf->features == NULL)
			rc = row_from_array(r, f, err, errlen);
		else {
			jv_free(f);
			if (s->col == NULL && conf->features != NULL)
				make_columns(s, conf->nfeatures, conf->features);
			rc = row_from_object(r, v, conf, s, err, errlen);
		}
	} else {
		snprintf(err, errlen, "not an array or object");
	}
	jv_free(v);
	if (rc == 0)
		rc = row_commit(s, r, lineno, conf, err, errlen);
	return rc;
}

static int
read_jsonl(struct table *s, FILE *fp, const struct read_conf *conf)
{
	struct jsonl *in = jsonl_open(fp, s->src);
	struct series se;
	struct row r = { 0 };
	const char *line;
	size_t len;
	char err[256];
	int rc;
	jv v;

	series_init(&se);
	while (jsonl_getline(in, &line, &len)) {
		rc = 1;
		if (looks_like_series(line, len))
			rc = read_series_line(s, &se, line, len,
			    jsonl_lineno(in), conf, err, sizeof err);
		if (rc > 0) {
			v = jsonl_parse(line, len);
			if (!jv_is_valid(v)) {
				jv m = jv_invalid_get_msg(v);

				snprintf(err, sizeof err, "%s",
				    jv_get_kind(m) == JV_KIND_STRING ?
				    jv_string_value(m) : "bad JSON");
				jv_free(m);
				rc = -1;
			} else {
				rc = read_json_line(s, &r, v, jsonl_lineno(in),
				    conf, err, sizeof err);
			}
		}
		row_reset(&r);
		if (rc < 0)
			jsonl_warn(in, "%s", err);
	}
	s->bad += jsonl_bad(in) + (jsonl_error(in) != 0);
	jsonl_close(in);
	series_free(&se);
	free(r.c);
	return 0;
}

/* Every field of a record is a number: data, not a header. */
static int
all_numbers(char **f, size_t nf)
{
	double v;
	size_t i;

	for (i = 0; i < nf; i++)
		if (text_number(f[i], &v) != 0)
			return 0;
	return 1;
}

/*
 * Reads the header and makes the columns; *pick maps each column to its
 * CSV field (caller frees). Returns 0, or -1 (reported, counted).
 *
 * guessed: the format was sniffed from the content, not given or
 * implied by a .csv name. Then a first line of numbers is refused rather
 * than taken as the header: it is far more likely one value per line
 * (jq -r output) than columns named "0.25", and taking it as names would
 * silently drop a data row.
 */
static int
csv_header(struct table *s, struct csv *c, const struct read_conf *conf,
    int guessed, size_t **pick, size_t *npick)
{
	char **f, **names, err[256];
	size_t nf, i, j;
	int rc;

	if ((rc = csv_next(c, &f, &nf, err, sizeof err)) <= 0) {
		if (rc < 0)
			msg_at(s->src, c->line, "%s", err);
		else
			msg_at(s->src, 0, "no CSV header");
		goto bad;
	}
	if (guessed && all_numbers(f, nf)) {
		msg_at(s->src, c->line, "the first line is numbers, not a CSV "
		    "header: add a header naming the columns, or give the "
		    "format csv");
		goto bad;
	}
	*npick = conf->features ? conf->nfeatures : nf;
	*pick = xcalloc(*npick ? *npick : 1, sizeof **pick);
	names = xcalloc(*npick ? *npick : 1, sizeof *names);
	for (i = 0; i < *npick; i++) {
		for (j = 0; conf->features && j < nf &&
		    strcmp(f[j], conf->features[i]) != 0; j++)
			;
		if (conf->features && j == nf) {
			msg_at(s->src, c->line, "no column '%s'",
			    conf->features[i]);
			free(names);
			goto bad;
		}
		(*pick)[i] = conf->features ? j : i;
		names[i] = f[(*pick)[i]];
	}
	make_columns(s, *npick, names);
	free(names);
	return 0;
bad:
	s->bad++;
	return -1;
}

static int
read_csv(struct table *s, const char *p, size_t len,
    const struct read_conf *conf, int guessed)
{
	struct csv c;
	struct row r = { 0 };
	char **f, err[256];
	size_t nf, i, *pick = NULL, npick = 0, line;
	int rc;

	csv_init(&c, p, len);
	if (csv_header(s, &c, conf, guessed, &pick, &npick) < 0)
		goto out;
	while ((rc = csv_next(&c, &f, &nf, err, sizeof err)) != 0) {
		line = c.line;
		if (rc > 0 && nf != c.ncols_header) {
			snprintf(err, sizeof err, "row has %zu fields, header has %zu",
			    nf, c.ncols_header);
			rc = -1;
		}
		if (rc > 0) {
			for (i = 0; i < npick; i++)
				cell_text(row_add(&r), f[pick[i]], 1);
			rc = row_commit(s, &r, line, conf, err, sizeof err) ==
			    0 ? 1 : -1;
			row_reset(&r);
		}
		if (rc < 0) {
			msg_at(s->src, line, "%s", err);
			s->bad++;
		}
	}
out:
	free(r.c);
	free(pick);
	csv_free(&c);
	return 0;
}

static int
read_npy(struct table *s, const unsigned char *p, size_t len,
    const struct read_conf *conf)
{
	struct npy a;
	struct row r = { 0 };
	char err[256];
	size_t i, j;

	if (npy_read(p, len, &a, err, sizeof err) < 0) {
		msg_at(s->src, 0, "%s", err);
		return -1;
	}
	/* An empty array's column count costs no data bytes: a 100-byte
	 * file could otherwise ask for 10^12 columns. */
	if (a.cols > MAX_FEATURES) {
		msg_at(s->src, 0, "npy: %zu columns; at most %d features",
		    a.cols, MAX_FEATURES);
		npy_free(&a);
		return -1;
	}
	if (conf->features != NULL && conf->nfeatures != a.cols) {
		msg_at(s->src, 0, "--features names %zu features, the array "
		    "has %zu", conf->nfeatures, a.cols);
		npy_free(&a);
		return -1;
	}
	make_columns(s, a.cols, conf->features);
	/* Rows count from 1, as lines do everywhere else. */
	for (i = 0; i < a.rows; i++) {
		for (j = 0; j < a.cols; j++)
			row_add(&r)->v = a.v[i * a.cols + j];
		if (row_commit(s, &r, i + 1, conf, err, sizeof err) < 0) {
			msg_at(s->src, 0, "row %zu: %s", i + 1, err);
			s->bad++;
		}
		row_reset(&r);
	}
	free(r.c);
	npy_free(&a);
	return 0;
}

static int
slurp(FILE *fp, struct buf *b)
{
	size_t n;

	do {
		char *p = buf_reserve(b, 65536);

		n = fread(p, 1, 65536, fp);
		b->len += n;
		b->p[b->len] = '\0';
	} while (n > 0);
	return ferror(fp) ? -1 : 0;
}

static int
has_suffix(const char *path, const char *ext)
{
	const char *dot = strrchr(path, '.');

	return dot != NULL && strcmp(dot, ext) == 0;
}

static enum fmt
sniff(const char *path, const struct buf *b)
{
	const char *p;

	if (b->len >= 6 && memcmp(b->p, "\x93NUMPY", 6) == 0)
		return FMT_NPY;
	if (has_suffix(path, ".npy"))
		return FMT_NPY;
	if (has_suffix(path, ".csv"))
		return FMT_CSV;
	for (p = b->p; p < b->p + b->len && strchr(" \t\r\n", *p); p++)
		;
	if (p < b->p + b->len && *p != '[' && *p != '{')
		return FMT_CSV;
	return FMT_JSONL;
}

int
sample_read(struct table *s, const char *path, const struct read_conf *conf)
{
	struct buf b = BUF_INIT;
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	enum fmt f;
	int rc = -1;

	memset(s, 0, sizeof *s);
	s->src = fp == stdin ? "stdin" : path;
	if (fp == NULL) {
		msg_warn("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (slurp(fp, &b) < 0) {
		msg_at(s->src, 0, "read error: %s", strerror(errno ? errno : EIO));
		goto out;
	}
	buf_reserve(&b, 1);
	/* Excel and Notepad start UTF-8 text with a byte order mark; it
	 * would become part of the first column's name or hide a '['. */
	if (b.len >= 3 && memcmp(b.p, "\xEF\xBB\xBF", 3) == 0) {
		memmove(b.p, b.p + 3, b.len - 3 + 1);
		b.len -= 3;
	}
	f = conf->fmt != FMT_AUTO ? conf->fmt : sniff(path, &b);
	if (f == FMT_NPY) {
		rc = read_npy(s, (const unsigned char *)b.p, b.len, conf);
	} else if (f == FMT_CSV) {
		rc = read_csv(s, b.p, b.len, conf, conf->fmt == FMT_AUTO &&
		    !has_suffix(path, ".csv"));
	} else {
		FILE *mf = fmemopen(b.p, b.len ? b.len : 1, "r");

		if (mf == NULL)
			msg_oom();
		if (b.len == 0)
			b.p[0] = '\n';
		rc = read_jsonl(s, mf, conf);
		fclose(mf);
	}
out:
	if (fp != stdin)
		fclose(fp);
	buf_free(&b);
	return rc;
}

void
sample_free(struct table *s)
{
	size_t i, j;

	for (i = 0; i < s->ncol; i++) {
		free(s->col[i].name);
		free(s->col[i].num);
		if (s->col[i].str)
			for (j = 0; j < s->nrows; j++)
				free(s->col[i].str[j]);
		free(s->col[i].str);
	}
	free(s->col);
	free(s->line);
	memset(s, 0, sizeof *s);
}

/* Digits from p; their count. */
static size_t
digits(const char *p)
{
	return strspn(p, "0123456789");
}

/* Groups of three digits, each after the separator sep; what follows. */
static const char *
groups(const char *p, char sep)
{
	while (*p == sep && digits(p + 1) == 3 &&
	    !strchr("0123456789", p[4] ? p[4] : 'x'))
		p += 4;
	return p;
}

/*
 * s is a number written another way than the grammar numbers take here
 * (text_number): [+-] then 0x and hex digits; or digits, a ',' and
 * digits (a decimal comma); or 1 to 3 digits, groups of 3 after one
 * separator of ",. '_", and a decimal part after the other of ',' and
 * '.'. Ranges ("18-25") and versions ("1.2.3") are none of these.
 */
static int
number_like(const char *s)
{
	static const char seps[] = ",. '_";
	const char *p, *q;
	size_t n;

	while (*s == ' ')
		s++;
	if (*s == '+' || *s == '-')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    (n = strspn(s + 2, "0123456789abcdefABCDEF")) > 0)
		return s[2 + n + strspn(s + 2 + n, " ")] == '\0';
	if ((n = digits(s)) == 0)
		return 0;
	p = s + n;
	if (*p == ',' && digits(p + 1) > 0) {
		q = p + 1 + digits(p + 1);
		if (q[strspn(q, " ")] == '\0')
			return 1;
	}
	for (const char *sep = seps; *sep && n <= 3; sep++) {
		if (*p != *sep || (q = groups(p, *sep)) == p)
			continue;
		if ((*q == ',' || *q == '.') && *q != *sep && digits(q + 1) > 0)
			q += 1 + digits(q + 1);
		if (q[strspn(q, " ")] == '\0')
			return 1;
	}
	return 0;
}

const char *
sample_numeric_text(const struct table *a, const struct table *b, size_t c)
{
	const struct table *t[2] = { a, b };
	const char *example = NULL;

	for (int k = 0; k < 2; k++) {
		const struct column *col = &t[k]->col[c];

		if (col->ntext < t[k]->nrows || col->str == NULL)
			return NULL;
		for (size_t r = 0; r < t[k]->nrows; r++) {
			if (col->str[r] == NULL || !number_like(col->str[r]))
				return NULL;
			if (example == NULL)
				example = col->str[r];
		}
	}
	return example;
}

void
sample_to_text(struct table *s, size_t c)
{
	struct column *col = &s->col[c];
	char tmp[32];
	size_t i;

	col_text_array(col);
	for (i = 0; i < s->nrows; i++)
		if (col->str[i] == NULL) {
			fmt_value(tmp, col->num[i]);
			col->str[i] = xstrdup(tmp);
		}
	col->categorical = 1;
}

/* The first numeric column of row r that holds text, or ncol. */
static size_t
text_in_numeric(const struct table *s, const int *numeric, size_t r)
{
	size_t c;

	for (c = 0; c < s->ncol; c++)
		if (numeric[c] && s->col[c].str && s->col[c].str[r])
			return c;
	return s->ncol;
}

static void
row_move(struct table *s, size_t to, size_t from)
{
	size_t c;

	s->line[to] = s->line[from];
	for (c = 0; c < s->ncol; c++) {
		s->col[c].num[to] = s->col[c].num[from];
		if (s->col[c].str)
			s->col[c].str[to] = s->col[c].str[from];
	}
}

static void
row_free_text(struct table *s, size_t r)
{
	size_t c;

	for (c = 0; c < s->ncol; c++)
		if (s->col[c].str) {
			free(s->col[c].str[r]);
			s->col[c].str[r] = NULL;
		}
}

void
sample_reject_text(struct table *s, const int *numeric, int drop)
{
	size_t r, keep = 0, c;

	for (r = 0; r < s->nrows; r++) {
		if ((c = text_in_numeric(s, numeric, r)) == s->ncol) {
			row_move(s, keep++, r);
			continue;
		}
		if (drop) {
			s->dropped++;
		} else {
			/* .npy holds numbers only: this is a line */
			msg_at(s->src, s->line[r], "field '%s': '%.80s' is not "
			    "a number", s->col[c].name, s->col[c].str[r]);
			s->bad++;
		}
		row_free_text(s, r);
	}
	s->nrows = keep;
	for (c = 0; c < s->ncol; c++)
		if (numeric[c])
			s->col[c].ntext = 0;
}

double *
sample_matrix(const struct table *s)
{
	double *m = xmalloc((s->nrows * s->ncol + 1) *
	    sizeof *m);
	size_t i, j;

	for (i = 0; i < s->nrows; i++)
		for (j = 0; j < s->ncol; j++)
			m[i * s->ncol + j] = s->col[j].num[i];
	return m;
}
