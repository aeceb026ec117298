/* forecast.c — --forecast with a linear fit, Prometheus' Holt smoothing or
 * additive Holt-Winters, and a prediction interval from the residuals;
 * --peak (the largest forecast over the horizon) and --fallback (a simpler
 * model when the data cannot support the one asked for). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
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

/*
 * One forecast being written: the model's own numbers go to b as they are
 * computed; what --peak needs is gathered on the way.
 */
struct fc {
	const struct conf *c;
	struct data *d;
	double anchor, at;
	double z;			/* the interval's normal quantile */
	double peak, peak_upper;	/* over the horizon, --peak */
	struct fitmemo *memo;		/* NULL: fit whatever is free */
};

static void
put_interval(struct buf *b, const struct fc *f, double value, double se)
{
	if (isfinite(se)) {
		put_num(b, "lower", value - f->z * se);
		put_num(b, "upper", value + f->z * se);
	} else {
		put_null(b, "lower");
		put_null(b, "upper");
	}
}

/* One step of the horizon, for --peak. */
static void
peak_step(struct fc *f, double value, double se)
{
	double up = value + f->z * se;

	if (!(value <= f->peak))
		f->peak = value;
	if (isfinite(se) && !(up <= f->peak_upper))
		f->peak_upper = up;
}

static int
linear(struct buf *b, struct fc *f)
{
	const struct conf *c = f->c;
	struct data *d = f->d;
	struct linfit lf;
	double value, se = NAN, x, n, step;
	size_t j, steps;

	if (stats_linfit(d->t, d->v, d->n, f->anchor, &lf) != 0)
		return -1;
	n = (double)d->n;
	/* predict_linear(v, d) at the anchor: the intercept is there. */
	value = lf.slope * c->horizon + lf.intercept;
	if (d->n > 2 && lf.sxx > 0) {
		x = c->horizon - lf.xmean;
		se = sqrt(lf.sse / (n - 2) * (1 + 1 / n + x * x / lf.sxx));
	}
	put_num(b, "value", value);
	put_interval(b, f, value, se);
	put_num(b, "slope", lf.slope);
	if (c->peak) {
		/* A line and a convex interval: the ends of the horizon are
		 * where the largest values are, the first step and the last. */
		step = median_step(d);
		steps = step > 0 && step < c->horizon ? 2 : 1;
		for (j = 1; j <= steps; j++) {
			x = j == steps ? c->horizon : step;
			se = NAN;
			if (d->n > 2 && lf.sxx > 0)
				se = sqrt(lf.sse / (n - 2) * (1 + 1 / n +
				    (x - lf.xmean) * (x - lf.xmean) / lf.sxx));
			peak_step(f, lf.slope * x + lf.intercept, se);
		}
	}
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

/*
 * Fills p[0..np) from the fixed values, fitting the free ones. With a
 * memo that says so (a backtest between refits), the parameters fitted
 * last stand in for the free ones; otherwise what is fitted is kept there.
 */
static void
fit(struct fitctx *x, struct fc *f, enum model model, stats_objective obj,
    int np, double *p)
{
	struct fitmemo *memo = f->memo;
	double u[3] = { 0, 0, 0 };
	int i, free_n = 0;

	if (memo && memo->reuse && memo->valid && memo->model == model &&
	    memo->m == x->m) {
		for (i = 0; i < np; i++)
			p[i] = x->fixed[i] >= 0 ? x->fixed[i] : memo->p[i];
		return;
	}
	for (i = 0; i < np; i++)
		free_n += x->fixed[i] < 0;
	if (free_n > 0)
		stats_minimise01(obj, x, free_n, u);
	params(x, u, p, np);
	if (memo) {
		memo->valid = 1;
		memo->model = model;
		memo->m = x->m;
		memo->at = f->anchor;
		for (i = 0; i < np; i++)
			memo->p[i] = p[i];
	}
}

/* The first step of the horizon, counted from the last sample as the
 * smoothing models count: steps between the last sample and the anchor
 * are not part of it. */
static size_t
first_step(const struct fc *f, double step, size_t steps)
{
	double j = step > 0 ? round((f->anchor - f->d->t[f->d->n - 1]) /
	    step) + 1 : 1;

	return j < 1 ? 1 : j > (double)steps ? steps : (size_t)j;
}

static int
holt(struct buf *b, struct fc *f, char *why, size_t whylen)
{
	const struct conf *c = f->c;
	struct data *d = f->d;
	struct fitctx x = { d, 0, NULL, { c->sf, c->tf, -1 } };
	struct holt h;
	double p[2], step = median_step(d), value, var = 0, cj, sigma2;
	size_t steps = steps_to(d, step, f->at), j, j0;

	if (d->n < 3 && (c->sf < 0 || c->tf < 0)) {
		snprintf(why, whylen, "fitting holt needs at least 3 samples, "
		    "the series has %zu", d->n);
		return -1;
	}
	fit(&x, f, MODEL_HOLT, holt_sse, 2, p);
	stats_holt(d->v, d->n, p[0], p[1], &h);
	sigma2 = h.nres > 0 ? h.sse / (double)h.nres : NAN;
	j0 = first_step(f, step, steps);
	/* ETS(A,A,N): var_j = σ²(1 + Σ_{i<j} c_i²), c_i = α(1 + iβ) with
	 * Prometheus' sf, tf. */
	var = 1;
	for (j = 1; j <= steps; j++) {
		if (c->peak && j >= j0)
			peak_step(f, h.level + (double)j * h.trend,
			    sqrt(var * sigma2));
		if (j == steps)
			break;
		cj = p[0] * (1 + (double)j * p[1]);
		var += cj * cj;
	}
	value = h.level + (double)steps * h.trend;
	put_num(b, "value", value);
	put_interval(b, f, value, sqrt(var * sigma2));
	put_num(b, "level", h.level);
	put_num(b, "trend", step > 0 ? h.trend / step : NAN);
	put_num(b, "sf", p[0]);
	put_num(b, "tf", p[1]);
	buf_printf(b, ",\"steps\":%zu", steps);
	return 0;
}

static int
holt_winters(struct buf *b, struct fc *f, char *why, size_t whylen)
{
	const struct conf *c = f->c;
	struct data *d = f->d;
	struct fitctx x = { d, 0, NULL, { c->alpha, c->beta, c->gamma } };
	struct hw h = { 0 };
	double p[3], step = median_step(d), value, var, cj, sigma2;
	size_t steps = steps_to(d, step, f->at), j, j0;

	x.m = step > 0 ? (size_t)llround(c->season / step) : 0;
	if (x.m < 2) {
		snprintf(why, whylen, "holt-winters: the season holds fewer "
		    "than 2 samples");
		return -1;
	}
	if (d->n < 2 * x.m) {
		snprintf(why, whylen, "holt-winters needs at least two seasons "
		    "(%zu samples), the series has %zu", 2 * x.m, d->n);
		return -1;
	}
	x.season = xmalloc(x.m * sizeof *x.season);
	h.season = xmalloc(x.m * sizeof *h.season);
	fit(&x, f, MODEL_HW, hw_sse, 3, p);
	stats_hw(d->v, d->n, x.m, p[0], p[1], p[2], &h);
	sigma2 = h.sse / (double)h.nres;
	j0 = first_step(f, step, steps);
	/* ETS(A,A,A): c_j = α(1 + jβ) + γ·[j is a whole number of seasons]. */
	var = 1;
	for (j = 1; j <= steps; j++) {
		if (c->peak && j >= j0)
			peak_step(f, stats_hw_forecast(&h, j),
			    sqrt(var * sigma2));
		if (j == steps)
			break;
		cj = p[0] * (1 + (double)j * p[1]) + (j % x.m == 0 ? p[2] : 0);
		var += cj * cj;
	}
	value = stats_hw_forecast(&h, steps);
	put_num(b, "value", value);
	put_interval(b, f, value, sqrt(var * sigma2));
	put_num(b, "level", h.level);
	put_num(b, "trend", h.trend / step);
	put_num(b, "alpha", p[0]);
	put_num(b, "beta", p[1]);
	put_num(b, "gamma", p[2]);
	buf_printf(b, ",\"steps\":%zu,\"period\":%zu", steps, x.m);
	free(x.season);
	free(h.season);
	return 0;
}

static int
run_model(struct buf *b, struct fc *f, enum model m, char *why,
    size_t whylen)
{
	switch (m) {
	case MODEL_LINEAR:
		return linear(b, f);
	case MODEL_HOLT:
		return holt(b, f, why, whylen);
	default:
		return holt_winters(b, f, why, whylen);
	}
}

/* Drops what was appended to b since mark. */
static void
truncate_to(struct buf *b, size_t mark)
{
	b->len = mark;
	if (b->p)
		b->p[mark] = '\0';
}

/* The model, and with --fallback the simpler ones after it, until one can
 * run on the data; the first one's reason for refusing is kept. */
static int
models(struct buf *b, struct fc *f, char *why, size_t whylen)
{
	enum model m = f->c->model;
	size_t mark = b->len, len;
	char first[400] = "";

	for (;;) {
		buf_printf(b, ",\"forecast\":{\"model\":\"%s\"", model_names[m]);
		put_time(b, "at", f->at);
		if (run_model(b, f, m, why, whylen) == 0)
			break;
		truncate_to(b, mark);
		if (!f->c->fallback || m == MODEL_LINEAR)
			return -1;
		/* every refusal on the way, in order */
		len = strlen(first);
		snprintf(first + len, sizeof first - len, "%s%s",
		    len ? "; " : "", why);
		why[0] = '\0';
		m = m == MODEL_HW ? MODEL_HOLT : MODEL_LINEAR;
		f->peak = f->peak_upper = -HUGE_VAL;
	}
	if (first[0] != '\0') {
		buf_adds(b, ",\"fallback\":");
		jsonl_dump(b, jv_string(first));
	}
	return 0;
}

int
forecast_run(struct buf *b, const struct conf *c, struct data *d,
    struct fitmemo *memo, char *why, size_t whylen)
{
	struct fc f = { c, d, 0, 0, 0, -HUGE_VAL, -HUGE_VAL, memo };
	size_t mark = b->len;

	f.anchor = c->has_at ? c->at : d->t[d->n - 1];
	f.at = f.anchor + c->horizon;
	f.z = stats_norm_ppf((1 + c->level) / 2);
	if (d->n < 2) {
		snprintf(why, whylen, "a forecast needs at least 2 samples, "
		    "the series has %zu", d->n);
		put_null(b, "forecast");
		return -1;
	}
	if (!time_in_range(f.at)) {
		snprintf(why, whylen, "the forecast time is beyond the years 1 "
		    "to 9999");
		put_null(b, "forecast");
		return -1;
	}
	if (models(b, &f, why, whylen) != 0) {
		truncate_to(b, mark);
		put_null(b, "forecast");
		return -1;
	}
	put_num(b, "interval", c->level);
	if (c->peak) {
		put_num(b, "horizon", c->horizon);
		put_num(b, "peak", f.peak);
		if (f.peak_upper > -HUGE_VAL)
			put_num(b, "peak_upper", f.peak_upper);
		else
			put_null(b, "peak_upper");
	}
	buf_addc(b, '}');
	return 0;
}

int
forecast_add(struct buf *b, const struct conf *c, struct data *d,
    char *why, size_t whylen)
{
	return forecast_run(b, c, d, NULL, why, whylen);
}
