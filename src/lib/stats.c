/* stats.c — statistics as Prometheus 2.42 computes them, plus the
 * smoothing, fitting and anomaly scores statz builds on. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "stats.h"

/* The accumulators are inline steps, so stats_describe can run them all
 * in one pass over the data with exactly the arithmetic of the separate
 * functions. */
static inline void
kadd(struct ksum *k, double x)
{
	double t = k->sum + x;

	/* Neumaier: compensate with whichever term lost bits. */
	if (fabs(k->sum) >= fabs(x))
		k->c += (k->sum - t) + x;
	else
		k->c += (x - t) + k->sum;
	k->sum = t;
}

void
ksum_add(struct ksum *k, double x)
{
	kadd(k, x);
}

double
ksum_value(const struct ksum *k)
{
	return isinf(k->sum) ? k->sum : k->sum + k->c;
}

struct mean_acc {
	struct ksum k;
	double count;
};

static inline void
mean_step(struct mean_acc *a, double x)
{
	a->count++;
	if (isinf(a->k.sum)) {
		/* Inf − Inf would turn a correct infinite mean into NaN;
		 * Prometheus keeps the mean instead. */
		if (isinf(x) && (a->k.sum > 0) == (x > 0))
			return;
		if (!isinf(x) && !isnan(x))
			return;
	}
	kadd(&a->k, x / a->count - a->k.sum / a->count);
}

double
stats_mean(const double *v, size_t n)
{
	struct mean_acc a = { { 0, 0 }, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		mean_step(&a, v[i]);
	return ksum_value(&a.k);
}

struct sd_acc {
	struct ksum mean, aux;
	double count;
};

static inline void
sd_step(struct sd_acc *a, double x)
{
	double delta;

	a->count++;
	delta = x - (a->mean.sum + a->mean.c);
	kadd(&a->mean, delta / a->count);
	kadd(&a->aux, delta * (x - (a->mean.sum + a->mean.c)));
}

static double
sd_value(const struct sd_acc *a)
{
	return sqrt((a->aux.sum + a->aux.c) / a->count);
}

double
stats_stddev(const double *v, size_t n)
{
	struct sd_acc a = { { 0, 0 }, { 0, 0 }, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		sd_step(&a, v[i]);
	return sd_value(&a);
}

double
stats_min(const double *v, size_t n)
{
	double m = n ? v[0] : NAN;
	size_t i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

double
stats_max(const double *v, size_t n)
{
	double m = n ? v[0] : NAN;
	size_t i;

	for (i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static void
insertion_sort(double *v, size_t n)
{
	size_t i, j;
	double x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static double
median3(double a, double b, double c)
{
	if (a < b)
		return b < c ? b : (a < c ? c : a);
	return a < c ? a : (b < c ? c : b);
}

/* Hoare partition of v[lo..hi) around the median of three: returns j
 * with v[lo..j] <= pivot <= v[j+1..hi). */
static size_t
partition(double *v, size_t lo, size_t hi)
{
	double pivot = median3(v[lo], v[lo + (hi - lo) / 2], v[hi - 1]), x;
	size_t i = lo, j = hi - 1;

	for (;;) {
		while (v[i] < pivot)
			i++;
		while (v[j] > pivot)
			j--;
		if (i >= j)
			return j;
		x = v[i];
		v[i] = v[j];
		v[j] = x;
		i++;
		j--;
	}
}

/* Quicksort with inline comparisons: qsort's callback per comparison
 * costs more than the comparison, and statz sorts every series. */
void
stats_sort(double *v, size_t n)
{
	size_t j;

	while (n > 24) {
		j = partition(v, 0, n);
		/* Recurse into the smaller half, loop on the larger. */
		if (j + 1 < n - j - 1) {
			stats_sort(v, j + 1);
			v += j + 1;
			n -= j + 1;
		} else {
			stats_sort(v + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion_sort(v, n);
}

double
stats_quantile_sorted(const double *s, size_t n, double q)
{
	double rank, lo, hi, weight;

	if (n == 0)
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	rank = q * ((double)n - 1);
	lo = fmax(0, floor(rank));
	hi = fmin((double)n - 1, lo + 1);
	weight = rank - floor(rank);
	return s[(size_t)lo] * (1 - weight) + s[(size_t)hi] * weight;
}

/* Puts the k-th smallest of v[lo..hi) at v[k], smaller ones before it
 * and larger ones after (Hoare partitioning, as stats_sort). */
static void
select_nth(double *v, size_t lo, size_t hi, size_t k)
{
	size_t j;

	while (hi - lo > 16) {
		j = partition(v, lo, hi);
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
	insertion_sort(v + lo, hi - lo);
}

void
stats_quantiles(double *v, size_t n, const double *q, size_t nq,
    double *out)
{
	size_t order[64], i, j, from = 0, lo, hi;
	double rank, weight, vhi;

	/* Ascending q lets each selection work on what the last left. */
	for (i = 0; i < nq && i < 64; i++) {
		for (j = i; j > 0 && q[order[j - 1]] > q[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (j = 0; j < nq && j < 64; j++) {
		i = order[j];
		if (n == 0 || q[i] < 0 || q[i] > 1) {
			out[i] = stats_quantile_sorted(v, n, q[i]);
			continue;
		}
		rank = q[i] * ((double)n - 1);
		lo = (size_t)fmax(0, floor(rank));
		hi = lo + 1 < n ? lo + 1 : n - 1;
		weight = rank - floor(rank);
		select_nth(v, from, n, lo);
		from = lo;
		vhi = v[lo];
		if (hi != lo) {
			vhi = v[hi];
			for (size_t k = hi + 1; k < n; k++)
				if (v[k] < vhi)
					vhi = v[k];
		}
		out[i] = v[lo] * (1 - weight) + vhi * weight;
	}
}

/* Prometheus keeps times as int64 milliseconds; llround's libm call
 * costs more than this (times are never near a half millisecond).
 * Callers keep times within years 1 to 9999; beyond ±2^62 ms (and for
 * NaN) the result is clamped rather than undefined. */
static int64_t
to_ms(double t)
{
	double x = t * 1000;

	if (!(x > -4611686018427387904.0 && x < 4611686018427387904.0))
		return x > 0 ? INT64_C(4611686018427387904) :
		    -INT64_C(4611686018427387904);
	return x >= 0 ? (int64_t)(x + 0.5) : -(int64_t)(-x + 0.5);
}

struct lin_acc {
	struct ksum sx, sy, sxy, sx2;
	double dn, v0;
	int64_t m0;
	int consty;
};

static void
lin_init(struct lin_acc *a, double t0, double v0)
{
	memset(a, 0, sizeof *a);
	a->m0 = to_ms(t0);
	a->v0 = v0;
	a->consty = 1;
}

static inline void
lin_step(struct lin_acc *a, double t, double v)
{
	double x = (double)(to_ms(t) - a->m0) / 1e3;

	if (v != a->v0)
		a->consty = 0;
	a->dn += 1.0;
	kadd(&a->sx, x);
	kadd(&a->sy, v);
	kadd(&a->sxy, x * v);
	kadd(&a->sx2, x * x);
}

/* Prometheus' linearRegression from the sums. */
static void
lin_finish(const struct lin_acc *a, struct linfit *f)
{
	double sx = a->sx.sum + a->sx.c, sy = a->sy.sum + a->sy.c;
	double sxy = a->sxy.sum + a->sxy.c, sx2 = a->sx2.sum + a->sx2.c;
	double covxy;

	f->xmean = sx / a->dn;
	f->sxx = sx2 - sx * sx / a->dn;
	if (a->consty) {
		f->slope = isinf(a->v0) ? NAN : 0;
		f->intercept = isinf(a->v0) ? NAN : a->v0;
		return;
	}
	covxy = sxy - sx * sy / a->dn;
	f->slope = covxy / f->sxx;
	f->intercept = sy / a->dn - f->slope * sx / a->dn;
}

static int
linfit(const double *t, const double *v, size_t n, double t0,
    struct linfit *f, int want_sse)
{
	struct lin_acc a;
	double x, r;
	size_t i;

	memset(f, 0, sizeof *f);
	if (n < 2)
		return -1;
	lin_init(&a, t0, v[0]);
	for (i = 0; i < n; i++)
		lin_step(&a, t[i], v[i]);
	f->n = n;
	lin_finish(&a, f);
	if (a.consty)
		return 0;
	for (i = 0; want_sse && i < n; i++) {
		x = (double)(to_ms(t[i]) - a.m0) / 1e3;
		r = v[i] - (f->intercept + f->slope * x);
		f->sse += r * r;
	}
	return 0;
}

void
stats_describe(const double *t, const double *v, size_t n,
    struct describe *d)
{
	struct mean_acc m = { { 0, 0 }, 0 };
	struct sd_acc sd = { { 0, 0 }, { 0, 0 }, 0 };
	struct lin_acc lin;
	struct linfit f;
	double lo = n ? v[0] : NAN, hi = lo;
	size_t i;

	lin_init(&lin, n ? t[0] : 0, lo);
	for (i = 0; i < n; i++) {
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
		mean_step(&m, v[i]);
		sd_step(&sd, v[i]);
		lin_step(&lin, t[i], v[i]);
	}
	d->min = lo;
	d->max = hi;
	d->mean = ksum_value(&m.k);
	d->stddev = sd_value(&sd);
	d->has_slope = n >= 2;
	d->slope = NAN;
	if (d->has_slope) {
		lin_finish(&lin, &f);
		d->slope = f.slope;
	}
}

int
stats_linfit(const double *t, const double *v, size_t n, double t0,
    struct linfit *f)
{
	return linfit(t, v, n, t0, f, 1);
}

int
stats_linreg(const double *t, const double *v, size_t n, double t0,
    double *slope, double *intercept)
{
	struct linfit f;

	if (linfit(t, v, n, t0, &f, 0) != 0)
		return -1;
	*slope = f.slope;
	*intercept = f.intercept;
	return 0;
}

int
stats_holt(const double *v, size_t n, double sf, double tf, struct holt *out)
{
	double s0 = 0, s1, b, pred, e;
	size_t i;

	memset(out, 0, sizeof *out);
	if (n < 2)
		return -1;
	s1 = v[0];
	b = v[1] - v[0];
	for (i = 1; i < n; i++) {
		/* Prometheus' calcTrendValue: the first step keeps b. */
		if (i > 1)
			b = tf * (s1 - s0) + (1 - tf) * b;
		pred = s1 + b;
		if (i > 1) {
			e = v[i] - pred;
			out->sse += e * e;
			out->nres++;
		}
		s0 = s1;
		s1 = sf * v[i] + (1 - sf) * (s1 + b);
	}
	out->level = s1;
	out->trend = tf * (s1 - s0) + (1 - tf) * b;
	return 0;
}

int
stats_hw(const double *v, size_t n, size_t m, double alpha, double beta,
    double gamma, struct hw *out)
{
	double l = 0, b = 0, lnew, e, *s = out->season;
	size_t i;

	out->sse = 0;
	out->nres = 0;
	out->m = m;
	out->n = n;
	if (m < 1 || n < 2 * m)
		return -1;
	for (i = 0; i < m; i++)
		l += v[i];
	l /= (double)m;
	for (i = 0; i < m; i++)
		b += (v[m + i] - v[i]) / (double)m;
	b /= (double)m;
	for (i = 0; i < m; i++)
		s[i] = v[i] - l;
	for (i = 0; i < n; i++) {
		double *si = &s[i % m];

		e = v[i] - (l + b + *si);
		out->sse += e * e;
		out->nres++;
		lnew = alpha * (v[i] - *si) + (1 - alpha) * (l + b);
		*si = gamma * (v[i] - (l + b)) + (1 - gamma) * *si;
		b = beta * (lnew - l) + (1 - beta) * b;
		l = lnew;
	}
	out->level = l;
	out->trend = b;
	return 0;
}

double
stats_hw_forecast(const struct hw *h, size_t steps)
{
	return h->level + (double)steps * h->trend +
	    h->season[(h->n - 1 + steps) % h->m];
}

/* Nelder–Mead on unbounded u, with x = 1/(1 + e^−u) in (0, 1). */
struct nm {
	stats_objective f;
	void *ctx;
	int dim;
};

/* Bounded so that x stays strictly inside (0, 1), as Prometheus requires
 * of holt_winters' factors. */
static double
expit(double u)
{
	return 1 / (1 + exp(-fmin(30, fmax(-30, u))));
}

static double
nm_eval(const struct nm *nm, const double *u)
{
	double x[3], y;
	int i;

	for (i = 0; i < nm->dim; i++)
		x[i] = expit(u[i]);
	y = nm->f(x, nm->ctx);
	return isfinite(y) ? y : HUGE_VAL;
}

static double
logit(double x)
{
	return log(x / (1 - x));
}

/* Moves point p to c + k(p − c) (k < 0 reflects); returns its value. */
static double
nm_move(const struct nm *nm, const double *c, const double *p, double k,
    double *out)
{
	int i;

	for (i = 0; i < nm->dim; i++)
		out[i] = c[i] + k * (p[i] - c[i]);
	return nm_eval(nm, out);
}

static void
nm_order(double s[4][3], double *fs, int npt, int dim)
{
	int i, j, k;
	double t;

	for (i = 1; i < npt; i++)
		for (j = i; j > 0 && fs[j - 1] > fs[j]; j--) {
			t = fs[j]; fs[j] = fs[j - 1]; fs[j - 1] = t;
			for (k = 0; k < dim; k++) {
				t = s[j][k];
				s[j][k] = s[j - 1][k];
				s[j - 1][k] = t;
			}
		}
}

static void
nm_run(const struct nm *nm, double s[4][3], double *fs)
{
	int dim = nm->dim, npt = dim + 1, it, i, k;
	double c[3], r[3], e[3], fr, fe;

	for (it = 0; it < 400; it++) {
		nm_order(s, fs, npt, dim);
		if (fs[dim] - fs[0] <= 1e-13 * (fabs(fs[0]) + 1e-300))
			break;
		for (k = 0; k < dim; k++) {
			c[k] = 0;
			for (i = 0; i < dim; i++)
				c[k] += s[i][k] / dim;
		}
		fr = nm_move(nm, c, s[dim], -1, r);
		if (fr < fs[0]) {
			fe = nm_move(nm, c, s[dim], -2, e);
			if (fe < fr) {
				memcpy(s[dim], e, sizeof e);
				fs[dim] = fe;
			} else {
				memcpy(s[dim], r, sizeof r);
				fs[dim] = fr;
			}
		} else if (fr < fs[dim - 1]) {
			memcpy(s[dim], r, sizeof r);
			fs[dim] = fr;
		} else {
			fe = nm_move(nm, c, fr < fs[dim] ? r : s[dim], 0.5, e);
			if (fe < fmin(fr, fs[dim])) {
				memcpy(s[dim], e, sizeof e);
				fs[dim] = fe;
			} else {
				for (i = 1; i < npt; i++)
					fs[i] = nm_move(nm, s[0], s[i], 0.5,
					    s[i]);
			}
		}
	}
	nm_order(s, fs, npt, dim);
}

double
stats_minimise01(stats_objective f, void *ctx, int dim, double *x)
{
	static const double grid[] = { 0.05, 0.2, 0.4, 0.6, 0.8, 0.95 };
	const int ng = (int)(sizeof grid / sizeof grid[0]);
	struct nm nm = { f, ctx, dim };
	double best[3] = { 0.5, 0.5, 0.5 }, u[3], fbest = HUGE_VAL, y;
	double s[4][3], fs[4];
	int idx[3] = { 0, 0, 0 }, i, total = 1;

	for (i = 0; i < dim; i++)
		total *= ng;
	/* Coarse grid first: the surface has local minima near the edges. */
	while (total-- > 0) {
		for (i = 0; i < dim; i++)
			u[i] = logit(grid[idx[i]]);
		y = nm_eval(&nm, u);
		if (y < fbest) {
			fbest = y;
			memcpy(best, u, sizeof u);
		}
		for (i = 0; i < dim && ++idx[i] == ng; i++)
			idx[i] = 0;
	}
	if (fbest == HUGE_VAL)
		for (i = 0; i < dim; i++)
			best[i] = 0;
	for (i = 0; i <= dim; i++) {
		memcpy(s[i], best, sizeof best);
		if (i > 0)
			s[i][i - 1] += 0.5;
		fs[i] = nm_eval(&nm, s[i]);
	}
	nm_run(&nm, s, fs);
	for (i = 0; i < dim; i++)
		x[i] = expit(s[0][i]);
	return fs[0];
}

/* Acklam's rational approximation, then one Halley step on erfc. */
double
stats_norm_ppf(double p)
{
	static const double a[] = { -3.969683028665376e+01,
	    2.209460984245205e+02, -2.759285104469687e+02,
	    1.383577518672690e+02, -3.066479806614716e+01,
	    2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01,
	    1.615858368580409e+02, -1.556989798598866e+02,
	    6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03,
	    -3.223964580411365e-01, -2.400758277161838e+00,
	    -2.549732539343734e+00, 4.374664141464968e+00,
	    2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03,
	    3.224671290700398e-01, 2.445134137142996e+00,
	    3.754408661907416e+00 };
	double q, r, x, e, u;

	if (!(p > 0 && p < 1))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) *
		    q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) *
		    q + 1);
	} else if (p <= 1 - 0.02425) {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) *
		    r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r +
		    b[3]) * r + b[4]) * r + 1);
	} else {
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q +
		    c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) *
		    q + d[3]) * q + 1);
	}
	/* Near 1, p − Φ(x) cancels; 1 − p is exact there, so use the
	 * upper tail. */
	if (p > 0.5)
		e = (1 - p) - 0.5 * erfc(x / sqrt(2));
	else
		e = 0.5 * erfc(-x / sqrt(2)) - p;
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

void
anom_ref_sorted(struct anom_ref *r, enum anom_method m, const double *s,
    size_t n, double *scratch)
{
	size_t i;
	double mad, mean_ad = 0;

	memset(r, 0, sizeof *r);
	r->method = m;
	switch (m) {
	case ANOM_ZSCORE:
		r->center = stats_mean(s, n);
		r->scale = stats_stddev(s, n);
		break;
	case ANOM_MAD:
		r->center = stats_quantile_sorted(s, n, 0.5);
		for (i = 0; i < n; i++) {
			scratch[i] = fabs(s[i] - r->center);
			mean_ad += scratch[i] / (double)n;
		}
		stats_sort(scratch, n);
		mad = stats_quantile_sorted(scratch, n, 0.5);
		/* More than half the values on the median leave MAD 0; the
		 * mean absolute deviation still sees the spread. */
		r->scale = mad > 0 ? 1.4826 * mad : 1.2533 * mean_ad;
		break;
	case ANOM_IQR:
		r->q1 = stats_quantile_sorted(s, n, 0.25);
		r->q3 = stats_quantile_sorted(s, n, 0.75);
		r->center = r->q1;
		r->scale = r->q3 - r->q1;
		break;
	}
}

void
anom_ref_build(struct anom_ref *r, enum anom_method m, const double *v,
    size_t n, double *scratch)
{
	double *sorted;

	if (m == ANOM_ZSCORE) {
		anom_ref_sorted(r, m, v, n, scratch);
		return;
	}
	/* The scratch holds the sorted copy; MAD reuses it after. */
	sorted = xmalloc((n ? n : 1) * sizeof *sorted);
	memcpy(sorted, v, n * sizeof *v);
	stats_sort(sorted, n);
	anom_ref_sorted(r, m, sorted, n, scratch);
	free(sorted);
}

static double
ratio(double d, double scale)
{
	if (d == 0)
		return 0;
	if (scale == 0)
		return d > 0 ? INFINITY : -INFINITY;
	return d / scale;
}

double
anom_score(const struct anom_ref *r, double x)
{
	if (r->method != ANOM_IQR)
		return ratio(x - r->center, r->scale);
	if (x > r->q3)
		return ratio(x - r->q3, r->scale);
	if (x < r->q1)
		return ratio(x - r->q1, r->scale);
	return 0;
}
