/* forecast.c — --forecast with a linear fit, Prometheus' Holt smoothing or
 * additive Holt-Winters, and a prediction interval from the residuals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"
#include "series.h"
#include "statz.h"

static const char *const model_names[] = { "linear", "holt",
    "holt-winters" };

/* The typical spacing: smoothing models count steps, not seconds. */
static double
median_step(struct data *d)
{
	size_t i;

	for (i = 1; i < d->n; i++)
		d->scratch[i - 1] = d->t[i] - d->t[i - 1];
	stats_sort(d->scratch, d->n - 1);
	return stats_quantile_sorted(d->scratch, d->n - 1, 0.5);
}

static size_t
steps_to(struct data *d, double step, double at)
{
	double h = step > 0 ? round((at - d->t[d->n - 1]) / step) : 1;

	return h < 1 ? 1 : h > 1e7 ? 10000000 : (size_t)h;
}

static void
put_interval(struct buf *b, const struct conf *c, double value, double se)
{
	double z = stats_norm_ppf((1 + c->level) / 2);

	if (isfinite(se)) {
		put_num(b, "lower", value - z * se);
		put_num(b, "upper", value + z * se);
	} else {
		put_null(b, "lower");
		put_null(b, "upper");
	}
}

static int
linear(struct buf *b, const struct conf *c, struct data *d, double anchor)
{
	struct linfit f;
	double value, se = NAN, x, n;

	if (stats_linfit(d->t, d->v, d->n, anchor, &f) != 0)
		return -1;
	/* predict_linear(v, d) at the anchor: the intercept is there. */
	value = f.slope * c->horizon + f.intercept;
	n = (double)d->n;
	if (d->n > 2 && f.sxx > 0) {
		x = c->horizon - f.xmean;
		se = sqrt(f.sse / (n - 2) * (1 + 1 / n + x * x / f.sxx));
	}
	put_num(b, "value", value);
	put_interval(b, c, value, se);
	put_num(b, "slope", f.slope);
	return 0;
}

struct fitctx {
	const struct data *d;
	size_t m;
	double *season;
	double fixed[3];	/* < 0: free, taken from x in order */
};

static void
params(const struct fitctx *f, const double *x, double *p, int np)
{
	int i, k = 0;

	for (i = 0; i < np; i++)
		p[i] = f->fixed[i] >= 0 ? f->fixed[i] : x[k++];
}

static double
holt_sse(const double *x, void *ctx)
{
	const struct fitctx *f = ctx;
	struct holt h;
	double p[2];

	params(f, x, p, 2);
	stats_holt(f->d->v, f->d->n, p[0], p[1], &h);
	return h.sse;
}

static double
hw_sse(const double *x, void *ctx)
{
	const struct fitctx *f = ctx;
	struct hw h = { 0 };
	double p[3];

	params(f, x, p, 3);
	h.season = f->season;
	stats_hw(f->d->v, f->d->n, f->m, p[0], p[1], p[2], &h);
	return h.sse;
}

/* Fills p[0..np) from the fixed values, fitting the free ones. */
static void
fit(struct fitctx *f, stats_objective obj, int np, double *p)
{
	double x[3] = { 0, 0, 0 };
	int i, free_n = 0;

	for (i = 0; i < np; i++)
		free_n += f->fixed[i] < 0;
	if (free_n > 0)
		stats_minimise01(obj, f, free_n, x);
	params(f, x, p, np);
}

static int
holt(struct buf *b, const struct conf *c, struct data *d, double at,
    char *why, size_t whylen)
{
	struct fitctx f = { d, 0, NULL, { c->sf, c->tf, 0 } };
	struct holt h;
	double p[2], step = median_step(d), value, var = 0, cj;
	size_t steps = steps_to(d, step, at), j;

	if (d->n < 3 && (c->sf < 0 || c->tf < 0)) {
		snprintf(why, whylen, "fitting holt needs at least 3 samples, "
		    "the series has %zu", d->n);
		return -1;
	}
	fit(&f, holt_sse, 2, p);
	stats_holt(d->v, d->n, p[0], p[1], &h);
	value = h.level + (double)steps * h.trend;
	if (h.nres > 0) {
		/* ETS(A,A,N): c_j = α(1 + jβ) with Prometheus' sf, tf. */
		var = 1;
		for (j = 1; j < steps; j++) {
			cj = p[0] * (1 + (double)j * p[1]);
			var += cj * cj;
		}
		var *= h.sse / (double)h.nres;
	}
	put_num(b, "value", value);
	put_interval(b, c, value, h.nres > 0 ? sqrt(var) : NAN);
	put_num(b, "level", h.level);
	put_num(b, "trend", step > 0 ? h.trend / step : NAN);
	put_num(b, "sf", p[0]);
	put_num(b, "tf", p[1]);
	buf_printf(b, ",\"steps\":%zu", steps);
	return 0;
}

static double
hw_variance(const double *p, size_t m, size_t steps, double sigma2)
{
	double var = 1, cj;
	size_t j;

	/* ETS(A,A,A): c_j = α(1 + jβ) + γ·[j is a whole number of seasons]. */
	for (j = 1; j < steps; j++) {
		cj = p[0] * (1 + (double)j * p[1]) + (j % m == 0 ? p[2] : 0);
		var += cj * cj;
	}
	return var * sigma2;
}

static int
holt_winters(struct buf *b, const struct conf *c, struct data *d, double at,
    char *why, size_t whylen)
{
	struct fitctx f = { d, 0, NULL, { c->alpha, c->beta, c->gamma } };
	struct hw h = { 0 };
	double p[3], step = median_step(d), value;
	size_t steps = steps_to(d, step, at);

	f.m = step > 0 ? (size_t)llround(c->season / step) : 0;
	if (f.m < 2) {
		snprintf(why, whylen, "holt-winters: the season holds fewer "
		    "than 2 samples");
		return -1;
	}
	if (d->n < 2 * f.m) {
		snprintf(why, whylen, "holt-winters needs at least two seasons "
		    "(%zu samples), the series has %zu", 2 * f.m, d->n);
		return -1;
	}
	f.season = xmalloc(f.m * sizeof *f.season);
	h.season = xmalloc(f.m * sizeof *h.season);
	fit(&f, hw_sse, 3, p);
	stats_hw(d->v, d->n, f.m, p[0], p[1], p[2], &h);
	value = stats_hw_forecast(&h, steps);
	put_num(b, "value", value);
	put_interval(b, c, value,
	    sqrt(hw_variance(p, f.m, steps, h.sse / (double)h.nres)));
	put_num(b, "level", h.level);
	put_num(b, "trend", h.trend / step);
	put_num(b, "alpha", p[0]);
	put_num(b, "beta", p[1]);
	put_num(b, "gamma", p[2]);
	buf_printf(b, ",\"steps\":%zu,\"period\":%zu", steps, f.m);
	free(f.season);
	free(h.season);
	return 0;
}

int
forecast_add(struct buf *b, const struct conf *c, struct data *d,
    char *why, size_t whylen)
{
	double anchor = c->has_at ? c->at : d->t[d->n - 1];
	double at = anchor + c->horizon;
	size_t mark = b->len;
	int rc;

	if (d->n < 2) {
		snprintf(why, whylen, "a forecast needs at least 2 samples, "
		    "the series has %zu", d->n);
		put_null(b, "forecast");
		return -1;
	}
	if (!time_in_range(at)) {
		snprintf(why, whylen, "the forecast time is beyond the years 1 "
		    "to 9999");
		put_null(b, "forecast");
		return -1;
	}
	buf_printf(b, ",\"forecast\":{\"model\":\"%s\"", model_names[c->model]);
	put_time(b, "at", at);
	switch (c->model) {
	case MODEL_LINEAR:
		rc = linear(b, c, d, anchor);
		break;
	case MODEL_HOLT:
		rc = holt(b, c, d, at, why, whylen);
		break;
	default:
		rc = holt_winters(b, c, d, at, why, whylen);
		break;
	}
	if (rc != 0) {
		b->len = mark;
		b->p[mark] = '\0';
		put_null(b, "forecast");
		return -1;
	}
	put_num(b, "interval", c->level);
	buf_addc(b, '}');
	return 0;
}
