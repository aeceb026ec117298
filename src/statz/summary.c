/* summary.c — one series' samples and the statistics of the stats record. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "series.h"
#include "statz.h"

int
time_in_range(double t)
{
	return t >= STATZ_MIN_TIME && t <= STATZ_MAX_TIME;
}

int
series_times_ok(const struct series *s, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!time_in_range(s->s[i].t)) {
			snprintf(why, whylen, "field '%s': sample %zu: time "
			    "%.15g is out of range (years 1 to 9999; "
			    "milliseconds, not seconds?)", s->instant ?
			    "value" : "values", i + 1, s->s[i].t);
			return -1;
		}
	return 0;
}

void
data_reset(struct data *d)
{
	d->n = 0;
	d->nan = 0;
}

void
data_free(struct data *d)
{
	free(d->t);
	free(d->v);
	free(d->sorted);
	free(d->scratch);
	memset(d, 0, sizeof *d);
}

void
data_push(struct data *d, double t, double v)
{
	if (isnan(v)) {
		d->nan++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap;

		xgrow((void **)&d->t, &cap, d->n + 1, sizeof *d->t);
		cap = d->cap;
		xgrow((void **)&d->v, &cap, d->n + 1, sizeof *d->v);
		d->cap = cap;
	}
	d->t[d->n] = t;
	d->v[d->n] = v;
	d->n++;
}

struct tv {
	double t, v;
	size_t i;
};

static int
cmp_tv(const void *a, const void *b)
{
	const struct tv *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int
data_order(struct data *d, int dedup)
{
	struct tv *tv;
	size_t i, j;

	for (i = 1; i < d->n; i++)
		if (d->t[i] < d->t[i - 1] || (dedup && d->t[i] == d->t[i - 1]))
			break;
	if (i >= d->n)
		return 0;
	/* Rare (a broken exporter, a hand-made file): the index keeps
	 * equal times in input order, so "first" stays the first seen. */
	tv = xmalloc(d->n * sizeof *tv);
	for (i = 0; i < d->n; i++) {
		tv[i].t = d->t[i];
		tv[i].v = d->v[i];
		tv[i].i = i;
	}
	qsort(tv, d->n, sizeof *tv, cmp_tv);
	for (i = j = 0; i < d->n; i++) {
		if (dedup && j > 0 && tv[i].t == d->t[j - 1])
			continue;
		d->t[j] = tv[i].t;
		d->v[j] = tv[i].v;
		j++;
	}
	d->n = j;
	free(tv);
	return 1;
}

static void
put_key(struct buf *b, const char *key)
{
	buf_printf(b, ",\"%s\":", key);
}

void
put_num(struct buf *b, const char *key, double v)
{
	char num[32];
	size_t len = fmt_value(num, v);

	put_key(b, key);
	buf_add(b, num, len);
}

void
put_null(struct buf *b, const char *key)
{
	put_key(b, key);
	buf_adds(b, "null");
}

void
put_time(struct buf *b, const char *key, double t)
{
	char num[32];
	size_t len = fmt_time(num, t);

	put_key(b, key);
	buf_add(b, num, len);
}

jv
strip_keys(jv rec, const struct conf *c)
{
	static const char *const keys[] = { "count", "min", "max", "mean",
	    "stddev", "first", "last", "delta", "slope", "start", "end", "nan",
	    "series", "anomalies", "anomaly_count", "forecast", NULL };
	const char *const *k;
	size_t i;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return rec;
	for (k = keys; *k; k++)
		rec = jv_object_delete(rec, jv_string(*k));
	for (i = 0; i < c->npct; i++)
		rec = jv_object_delete(rec, jv_string(c->pct_key[i]));
	return rec;
}

/* The copy quantiles reorder, kept across series to save mallocs. */
static void
copy_values(struct data *d)
{
	if (d->scap < d->n) {
		size_t cap = d->scap;

		xgrow((void **)&d->sorted, &cap, d->n, sizeof *d->sorted);
		cap = d->scap;
		xgrow((void **)&d->scratch, &cap, d->n, sizeof *d->scratch);
		d->scap = cap;
	}
	memcpy(d->sorted, d->v, d->n * sizeof *d->v);
}

void
data_sort_copy(struct data *d)
{
	copy_values(d);
	stats_sort(d->sorted, d->n);
}

/* Percentiles by selection, unless the anomalies need the sorted values
 * anyway (a full sort costs more than a few selections). */
static void
percentiles(const struct conf *c, struct data *d, double *out)
{
	size_t i;

	copy_values(d);
	if (c->anomalies && c->method != ANOM_ZSCORE && c->window == 0) {
		stats_sort(d->sorted, d->n);
		for (i = 0; i < c->npct; i++)
			out[i] = stats_quantile_sorted(d->sorted, d->n,
			    c->pct[i]);
	} else {
		stats_quantiles(d->sorted, d->n, c->pct, c->npct, out);
	}
}

static void
put_empty(struct buf *b, const struct conf *c)
{
	static const char *const keys[] = { "min", "max", "mean", "stddev",
	    NULL };
	static const char *const tail[] = { "first", "last", "delta", "slope",
	    "start", "end", NULL };
	const char *const *k;
	size_t i;

	for (k = keys; *k; k++)
		put_null(b, *k);
	for (i = 0; i < c->npct; i++)
		put_null(b, c->pct_key[i]);
	for (k = tail; *k; k++)
		put_null(b, *k);
}

int
summary_add(struct buf *b, const struct conf *c, struct data *d,
    char *why, size_t whylen)
{
	struct describe ds;
	double pct[32];
	size_t i, n = d->n;
	int rc = 0;

	buf_printf(b, ",\"count\":%zu", n);
	d->anomalies = 0;
	if (n == 0) {
		put_empty(b, c);
		buf_printf(b, ",\"nan\":%zu", d->nan);
		if (c->anomalies)
			buf_adds(b, ",\"anomalies\":[],\"anomaly_count\":0");
		if (c->forecast)
			put_null(b, "forecast");
		return 0;
	}
	percentiles(c, d, pct);
	stats_describe(d->t, d->v, n, &ds);
	put_num(b, "min", ds.min);
	put_num(b, "max", ds.max);
	put_num(b, "mean", ds.mean);
	put_num(b, "stddev", ds.stddev);
	for (i = 0; i < c->npct; i++)
		put_num(b, c->pct_key[i], pct[i]);
	put_num(b, "first", d->v[0]);
	put_num(b, "last", d->v[n - 1]);
	put_num(b, "delta", d->v[n - 1] - d->v[0]);
	if (ds.has_slope)
		put_num(b, "slope", ds.slope);
	else
		put_null(b, "slope");
	put_time(b, "start", d->t[0]);
	put_time(b, "end", d->t[n - 1]);
	buf_printf(b, ",\"nan\":%zu", d->nan);
	if (c->anomalies)
		anomalies_add(b, c, d);
	if (c->forecast)
		rc = forecast_add(b, c, d, why, whylen);
	return rc;
}

void
data_dump_values(struct buf *b, const struct data *d)
{
	char num[32];
	size_t i;

	buf_adds(b, ",\"values\":[");
	for (i = 0; i < d->n; i++) {
		buf_adds(b, i ? ",[" : "[");
		buf_add(b, num, fmt_time(num, d->t[i]));
		buf_addc(b, ',');
		buf_add(b, num, fmt_value(num, d->v[i]));
		buf_addc(b, ']');
	}
	buf_addc(b, ']');
}
