/* stats.h — the statistics statz (and driftcheck) compute, as Prometheus
 * computes them.
 *
 * Where a function mirrors a PromQL function, it follows Prometheus 2.42's
 * promql/functions.go operation for operation (same summation order, same
 * compensation), so the results agree with the server to the last bits,
 * not just approximately. None of these functions looks at NaN specially:
 * callers drop NaN samples first.
 */
#ifndef OPSPIPE_STATS_H
#define OPSPIPE_STATS_H

#include <stddef.h>

/* Neumaier-compensated running sum: Prometheus' kahanSumInc. */
struct ksum {
	double sum, c;
};
void ksum_add(struct ksum *k, double x);
/* sum + c, except that an infinite sum is returned as it is. */
double ksum_value(const struct ksum *k);

/* avg_over_time: incremental mean with compensation and ±Inf handling. */
double stats_mean(const double *v, size_t n);
/* stddev_over_time: population standard deviation (Welford, compensated). */
double stats_stddev(const double *v, size_t n);
double stats_min(const double *v, size_t n);
double stats_max(const double *v, size_t n);

/* Sorts ascending in place (no NaN allowed). */
void stats_sort(double *v, size_t n);
/*
 * quantile_over_time on sorted values: rank q·(n−1), linear interpolation
 * between the neighbours, written as Prometheus writes it (so an infinite
 * neighbour with weight 0 gives NaN there too). q outside [0, 1] gives ∓Inf,
 * n == 0 gives NaN.
 */
double stats_quantile_sorted(const double *sorted, size_t n, double q);
/*
 * The same for each q[i] (nq <= 64) into out[i], by selection instead of
 * a full sort: v is reordered, not sorted. Same results, bit for bit.
 */
void stats_quantiles(double *v, size_t n, const double *q, size_t nq,
    double *out);

/*
 * Least squares of v over t (Unix seconds, used at millisecond precision
 * as Prometheus stores them), x measured in seconds from t0. Returns the
 * slope per second and the intercept at t0: deriv() is the slope with t0
 * the first sample's time, predict_linear(v, d) is slope·d + intercept with
 * t0 the evaluation time. A constant series gives slope 0 (NaN for a
 * constant ±Inf). Needs n >= 2; returns -1 otherwise.
 */
int stats_linreg(const double *t, const double *v, size_t n, double t0,
    double *slope, double *intercept);

/*
 * min, max, mean (stats_mean), stddev (stats_stddev) and the deriv()
 * slope (t0 the first time; has_slope 0 below two samples) in one pass,
 * with results identical to the separate functions'.
 */
struct describe {
	double min, max, mean, stddev, slope;
	int has_slope;
};
void stats_describe(const double *t, const double *v, size_t n,
    struct describe *d);

/* The numbers a prediction interval for a linear fit needs. */
struct linfit {
	double slope, intercept;	/* intercept at t0 */
	double xmean, sxx;		/* x in seconds from t0 */
	double sse;			/* residual sum of squares */
	size_t n;
};
int stats_linfit(const double *t, const double *v, size_t n, double t0,
    struct linfit *f);

/*
 * Prometheus' holt_winters(v, sf, tf) (double exponential smoothing):
 * level is the function's result. trend is the trend after the last
 * sample (for extrapolation), sse/nres the one-step-ahead squared errors
 * of the samples after the second (the second is fitted exactly).
 */
struct holt {
	double level, trend, sse;
	size_t nres;
};
int stats_holt(const double *v, size_t n, double sf, double tf,
    struct holt *out);

/*
 * Additive Holt-Winters (level, trend, season of period m), in the
 * error-correction form statsmodels' ExponentialSmoothing uses:
 *   e = y − (l + b + s[j mod m])
 *   l' = α(y − s) + (1−α)(l + b),  b' = β(l' − l) + (1−β)b,
 *   s' = γ(y − l − b) + (1−γ)s.
 * Initial state from the first two seasons: l = mean of season 1,
 * b = mean of (y[m+i] − y[i])/m, s[i] = y[i] − l. Needs n >= 2m.
 * season (m values) is the caller's, indexed by j mod m.
 */
struct hw {
	double level, trend, sse;
	double *season;
	size_t m, n, nres;
};
int stats_hw(const double *v, size_t n, size_t m, double alpha, double beta,
    double gamma, struct hw *out);
/* The h-step-ahead forecast after stats_hw (h >= 1). */
double stats_hw_forecast(const struct hw *h, size_t steps);

/*
 * Minimises f over (0,1)^dim (dim <= 3) by Nelder–Mead on logit-mapped
 * coordinates, started from the best point of a coarse grid.
 * Deterministic. x receives the minimiser. Returns f(x).
 */
typedef double (*stats_objective)(const double *x, void *ctx);
double stats_minimise01(stats_objective f, void *ctx, int dim, double *x);

/* Standard normal quantile (inverse CDF), 0 < p < 1. */
double stats_norm_ppf(double p);

/*
 * Anomaly scores. A reference is built from a sample (scratch holds n
 * doubles; the sample is not changed), then each value gets a score;
 * |score| > threshold is an anomaly.
 *  zscore: (x − mean) / stddev
 *  mad:    (x − median) / (1.4826·MAD); when MAD is 0, 1.2533·mean absolute
 *          deviation stands in for 1.4826·MAD
 *  iqr:    how far outside [Q1, Q3], in IQRs (Tukey fences at ±threshold)
 * A zero scale scores values equal to the centre 0 and others ±Inf.
 */
enum anom_method { ANOM_ZSCORE, ANOM_MAD, ANOM_IQR };
struct anom_ref {
	enum anom_method method;
	double center, scale;	/* zscore, mad */
	double q1, q3;		/* iqr */
};
void anom_ref_build(struct anom_ref *r, enum anom_method m, const double *v,
    size_t n, double *scratch);
/* The same from values already sorted ascending. */
void anom_ref_sorted(struct anom_ref *r, enum anom_method m,
    const double *sorted, size_t n, double *scratch);
double anom_score(const struct anom_ref *r, double x);

#endif
