/* Unit tests: src/lib/stats — Prometheus' arithmetic, selection,
 * smoothing, the minimiser, the normal quantile, anomaly scores. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
assert_close(double got, double want, double rel)
{
	if (isnan(want) && isnan(got))
		return;
	if (got == want)
		return;
	if (!(fabs(got - want) <= rel * fmax(fabs(got), fabs(want))))
		fail_msg("got %.17g, want %.17g", got, want);
}

/* A deterministic generator, so failures reproduce. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_ksum(void **state)
{
	struct ksum k = { 0, 0 };

	(void)state;
	/* Naive summation loses the 1 entirely. */
	ksum_add(&k, 1e100);
	ksum_add(&k, 1);
	ksum_add(&k, -1e100);
	assert_true(ksum_value(&k) == 1);
	k.sum = INFINITY;
	k.c = NAN;
	assert_true(ksum_value(&k) == INFINITY);
}

static void
test_mean(void **state)
{
	const double a[] = { 1, 2, 3, 4 };
	const double inf1[] = { INFINITY, 1, 2 };
	const double infs[] = { INFINITY, -INFINITY };
	const double same[] = { -INFINITY, 5, -INFINITY };
	const double big[] = { DBL_MAX, DBL_MAX, DBL_MAX };

	(void)state;
	assert_true(stats_mean(a, N(a)) == 2.5);
	assert_true(stats_mean(inf1, N(inf1)) == INFINITY);
	assert_true(isnan(stats_mean(infs, N(infs))));
	assert_true(stats_mean(same, N(same)) == -INFINITY);
	/* The incremental mean does not overflow where a sum would. */
	assert_close(stats_mean(big, N(big)), DBL_MAX, 1e-15);
}

static void
test_stddev_min_max(void **state)
{
	const double a[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	const double one[] = { 3 };
	const double inf[] = { 1, INFINITY };

	(void)state;
	assert_close(stats_stddev(a, N(a)), 2, 1e-15);
	assert_true(stats_stddev(one, 1) == 0);
	assert_true(isnan(stats_stddev(inf, N(inf))));
	assert_true(stats_min(a, N(a)) == 2);
	assert_true(stats_max(a, N(a)) == 9);
	assert_true(isnan(stats_min(a, 0)));
}

static void
test_quantile_sorted(void **state)
{
	const double s[] = { 1, 2, 3, 4 };
	const double inf[] = { 1, INFINITY };

	(void)state;
	assert_true(stats_quantile_sorted(s, 4, 0.5) == 2.5);
	assert_true(stats_quantile_sorted(s, 4, 0) == 1);
	assert_true(stats_quantile_sorted(s, 4, 1) == 4);
	assert_close(stats_quantile_sorted(s, 4, 0.9), 3.7, 1e-15);
	assert_true(stats_quantile_sorted(s, 4, -0.1) == -INFINITY);
	assert_true(stats_quantile_sorted(s, 4, 1.1) == INFINITY);
	assert_true(isnan(stats_quantile_sorted(s, 0, 0.5)));
	/* Prometheus' formula: weight 0 times +Inf is NaN, not 1. */
	assert_true(isnan(stats_quantile_sorted(inf, 2, 0)));
	assert_true(isnan(stats_quantile_sorted(inf, 2, 1)));
	assert_true(stats_quantile_sorted(inf, 2, 0.5) == INFINITY);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Selection gives the sorted array's quantiles bit for bit, and
 * stats_sort agrees with qsort, on random data with many repeats. */
static void
test_sort_and_select(void **state)
{
	const double q[] = { 0.99, 0, 0.5, 0.9, 0.95, 0.999, 1, 0.25, 0.001,
	    -1, 2 };
	double *v = malloc(5000 * sizeof *v), *s = malloc(5000 * sizeof *s);
	double *w = malloc(5000 * sizeof *w), out[N(q)];
	uint64_t seed = 42;
	size_t n, i, sizes[] = { 1, 2, 3, 17, 25, 100, 1440, 4999 };

	(void)state;
	for (size_t z = 0; z < N(sizes); z++) {
		n = sizes[z];
		for (i = 0; i < n; i++)
			v[i] = z % 2 ? (double)(next_rand(&seed) % 7) :
			    (double)(int64_t)(next_rand(&seed) >> 11) / 1e3;
		memcpy(s, v, n * sizeof *v);
		memcpy(w, v, n * sizeof *v);
		qsort(s, n, sizeof *s, cmp_double);
		stats_sort(w, n);
		assert_memory_equal(s, w, n * sizeof *s);
		memcpy(w, v, n * sizeof *v);
		stats_quantiles(w, n, q, N(q), out);
		for (i = 0; i < N(q); i++) {
			double want = stats_quantile_sorted(s, n, q[i]);

			if (!(out[i] == want))
				fail_msg("n %zu q %g: got %.17g want %.17g",
				    n, q[i], out[i], want);
		}
	}
	free(v);
	free(s);
	free(w);
}

static void
test_linreg(void **state)
{
	const double t[] = { 100, 110.5, 121, 130 };
	const double line[] = { 201, 222, 243, 261 };
	const double cons[] = { 5, 5, 5, 5 };
	const double cinf[] = { INFINITY, INFINITY, INFINITY, INFINITY };
	double slope, icpt;
	struct linfit f;

	(void)state;
	assert_int_equal(stats_linreg(t, line, 4, 100, &slope, &icpt), 0);
	assert_close(slope, 2, 1e-12);
	assert_close(icpt, 201, 1e-12);
	/* predict_linear: the intercept at the evaluation time. */
	assert_int_equal(stats_linreg(t, line, 4, 130, &slope, &icpt), 0);
	assert_close(icpt, 261, 1e-12);
	assert_int_equal(stats_linreg(t, cons, 4, 100, &slope, &icpt), 0);
	assert_true(slope == 0 && icpt == 5);
	assert_int_equal(stats_linreg(t, cinf, 4, 100, &slope, &icpt), 0);
	assert_true(isnan(slope) && isnan(icpt));
	assert_int_equal(stats_linreg(t, line, 1, 100, &slope, &icpt), -1);
	assert_int_equal(stats_linfit(t, line, 4, 100, &f), 0);
	assert_true(f.sse < 1e-20);
	assert_close(f.xmean, 15.375, 1e-12);
}

static void
test_holt(void **state)
{
	const double line[] = { 1, 3, 5, 7, 9 };
	const double v[] = { 10, 12, 11, 15 };
	struct holt h;

	(void)state;
	assert_int_equal(stats_holt(line, 5, 0.3, 0.6, &h), 0);
	assert_close(h.level, 9, 1e-15);
	assert_close(h.trend, 2, 1e-15);
	assert_true(h.sse < 1e-20 && h.nres == 3);
	/* By hand, Prometheus' recursion with sf 0.5, tf 0.5:
	 * s=10 b=2; i=1: s=0.5*12+0.5*12=12;
	 * i=2: b=0.5*2+0.5*2=2, s=0.5*11+0.5*14=12.5;
	 * i=3: b=0.5*0.5+0.5*2=1.25, s=0.5*15+0.5*13.75=14.375. */
	assert_int_equal(stats_holt(v, 4, 0.5, 0.5, &h), 0);
	assert_close(h.level, 14.375, 1e-15);
	assert_close(h.trend, 0.5 * (14.375 - 12.5) + 0.5 * 1.25, 1e-15);
	assert_close(h.sse, 9 + 1.25 * 1.25, 1e-15);
	assert_int_equal(stats_holt(v, 1, 0.5, 0.5, &h), -1);
}

static void
test_hw(void **state)
{
	double v[36], season[6];
	struct hw h = { 0 };
	size_t i;

	(void)state;
	/* A pure season is fitted exactly, and continued. (With a trend
	 * it is not: the initial level is the first season's mean, as in
	 * statsmodels, not the level before the first sample.) */
	for (i = 0; i < N(v); i++)
		v[i] = 100 + (double)(i % 6) * 3;
	h.season = season;
	assert_int_equal(stats_hw(v, N(v), 6, 0.3, 0.1, 0.2, &h), 0);
	assert_true(h.sse < 1e-18);
	assert_int_equal(h.nres, N(v));
	for (i = 1; i <= 8; i++)
		assert_close(stats_hw_forecast(&h, i),
		    100 + (double)((35 + i) % 6) * 3,
		    1e-12);
	assert_int_equal(stats_hw(v, 11, 6, 0.3, 0.1, 0.2, &h), -1);
}

/* The one-pass summary gives the separate functions' bits. */
static void
test_describe(void **state)
{
	double t[300], v[300], slope, icpt;
	struct describe d;
	uint64_t seed = 7;
	size_t i, n;

	(void)state;
	for (i = 0; i < 300; i++) {
		t[i] = 1795320000 + (double)i * 15.001;
		v[i] = (double)(int64_t)(next_rand(&seed) >> 20) / 997;
	}
	v[150] = INFINITY;
	for (n = 0; n <= 300; n += 149) {
		stats_describe(t, v, n, &d);
		if (n == 0) {
			assert_true(isnan(d.min) && !d.has_slope);
			continue;
		}
		assert_true(d.min == stats_min(v, n) && d.max == stats_max(v, n));
		assert_memory_equal(&d.mean, &(double){ stats_mean(v, n) },
		    sizeof(double));
		assert_memory_equal(&d.stddev, &(double){ stats_stddev(v, n) },
		    sizeof(double));
		assert_int_equal(stats_linreg(t, v, n, t[0], &slope, &icpt), 0);
		assert_memory_equal(&d.slope, &slope, sizeof slope);
	}
}

static double
bowl(const double *x, void *ctx)
{
	(void)ctx;
	return (x[0] - 0.3) * (x[0] - 0.3) + 2 * (x[1] - 0.7) * (x[1] - 0.7) +
	    (x[2] - 0.05) * (x[2] - 0.05);
}

static double
edge(const double *x, void *ctx)
{
	(void)ctx;
	return x[0];	/* the minimum is at the open boundary */
}

static void
test_minimise(void **state)
{
	double x[3];

	(void)state;
	assert_true(stats_minimise01(bowl, NULL, 3, x) < 1e-10);
	assert_close(x[0], 0.3, 1e-4);
	assert_close(x[1], 0.7, 1e-4);
	assert_close(x[2], 0.05, 1e-3);
	stats_minimise01(edge, NULL, 1, x);
	assert_true(x[0] > 0 && x[0] < 1e-3);
}

static void
test_norm_ppf(void **state)
{
	(void)state;
	assert_close(stats_norm_ppf(0.975), 1.959963984540054, 1e-14);
	assert_close(stats_norm_ppf(0.001), -3.090232306167813, 1e-13);
	/* scipy.stats.norm.ppf's values. */
	assert_close(stats_norm_ppf(0.9999999), 5.199337582290661, 1e-12);
	assert_close(stats_norm_ppf(1e-12), -7.034483825301131, 1e-12);
	assert_true(fabs(stats_norm_ppf(0.5)) < 1e-16);
	assert_true(isnan(stats_norm_ppf(2)));
}

static void
test_anomaly_scores(void **state)
{
	const double v[] = { 1, 2, 3, 4, 100 };
	const double flat[] = { 5, 5, 5, 5, 6 };
	double scratch[5];
	struct anom_ref r;

	(void)state;
	anom_ref_build(&r, ANOM_ZSCORE, v, 5, scratch);
	assert_close(anom_score(&r, 100), (100 - 22) / stats_stddev(v, 5),
	    1e-14);
	/* MAD: median 3, |dev| = 2 1 0 1 97, MAD 1. */
	anom_ref_build(&r, ANOM_MAD, v, 5, scratch);
	assert_close(anom_score(&r, 100), 97 / 1.4826, 1e-14);
	assert_close(anom_score(&r, 1), -2 / 1.4826, 1e-14);
	/* IQR: Q1 2, Q3 4, IQR 2. */
	anom_ref_build(&r, ANOM_IQR, v, 5, scratch);
	assert_close(anom_score(&r, 100), 48, 1e-14);
	assert_true(anom_score(&r, 3) == 0);
	assert_close(anom_score(&r, -2), -2, 1e-14);
	/* MAD 0: the mean absolute deviation (0.2 here) stands in. */
	anom_ref_build(&r, ANOM_MAD, flat, 5, scratch);
	assert_close(anom_score(&r, 6), 1 / (1.2533 * 0.2), 1e-14);
	/* IQR 0: the odd one is infinitely far, the rest 0. */
	anom_ref_build(&r, ANOM_IQR, flat, 5, scratch);
	assert_true(anom_score(&r, 6) == INFINITY);
	assert_true(anom_score(&r, 5) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ksum),
		cmocka_unit_test(test_mean),
		cmocka_unit_test(test_stddev_min_max),
		cmocka_unit_test(test_quantile_sorted),
		cmocka_unit_test(test_sort_and_select),
		cmocka_unit_test(test_linreg),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_holt),
		cmocka_unit_test(test_hw),
		cmocka_unit_test(test_minimise),
		cmocka_unit_test(test_norm_ppf),
		cmocka_unit_test(test_anomaly_scores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
