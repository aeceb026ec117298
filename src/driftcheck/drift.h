/* drift.h — the two-sample tests driftcheck offers. */
#ifndef DRIFTCHECK_DRIFT_H
#define DRIFTCHECK_DRIFT_H

#include <stddef.h>
#include <stdint.h>

/* Kolmogorov–Smirnov, as scipy.stats.ks_2samp (SciPy 1.10) with
 * method='auto': exact when both sizes are at most 10000, else the kstwo
 * distribution at round(n·m/(n+m)); exact falls back to asymptotic when
 * it cannot be computed. Inputs sorted ascending. */
struct ks_result {
	double d, p;
	int exact;
};
void ks_2samp(const double *a, size_t n1, const double *b, size_t n2,
    struct ks_result *r);
/* kstwo.sf(x, n): Simard & L'Ecuyer's choice of algorithms, as SciPy. */
double kstwo_sf(long n, double x);
/* Pr(D_{n,n} >= h/n) and the general exact two-sided p-value. */
double ks_prob_outside_square(long n, long h);
double ks_outer_prob_inside(long m, long n, long g, long h);

/* Regularized upper incomplete gamma Q(a, x). */
double gamma_q(double a, double x);
/* Chi-squared test of a 2×k contingency table (reference counts, current
 * counts), Yates' correction when k == 2, as scipy chi2_contingency. */
void chi2_2xk(const double *ref, const double *cur, size_t k, double *stat,
    double *p, int *dof);

/* Population Stability Index on reference-quantile bins (a, b sorted).
 * Empty bins count as PSI_EPS of their sample. */
#define PSI_EPS 1e-4
double psi(const double *a, size_t n1, const double *b, size_t n2, int bins);
/* Wasserstein-1 distance divided by the reference's standard deviation
 * (population, floored at WASS_MIN_STD). a and b sorted. */
#define WASS_MIN_STD 1e-3
double wasserstein_norm(const double *a, size_t n1, const double *b,
    size_t n2);
/* Jensen–Shannon distance, base 2, of two histograms on shared bins. */
double js_distance(const double *p, const double *q, size_t k);
/* Histograms of a and b on `bins` equal-width bins over their joint range
 * (numpy.histogram_bin_edges of the concatenation). */
void joint_hist(const double *a, size_t n1, const double *b, size_t n2,
    int bins, double *ha, double *hb);

/* Maximum mean discrepancy with a Gaussian RBF kernel (alibi-detect). */
struct mmd_conf {
	double sigma;		/* <= 0: median heuristic */
	int permutations;
	uint64_t seed;
	size_t max_memory;	/* bytes for the kernel matrix */
	int threads;
};
struct mmd_result {
	double mmd2, p, sigma;
	const char *estimator;	/* "full" or "block" */
	const char *sigma_from;	/* "given", "median", "median-subsample" */
	size_t blocks;		/* block estimator: how many */
	double z;		/* block estimator: standardised statistic */
	size_t bytes;		/* memory the kernel matrix took */
};
/* x: n rows, y: m rows, d features each, row-major. */
void mmd_test(const double *x, size_t n, const double *y, size_t m, size_t d,
    const struct mmd_conf *c, struct mmd_result *r);

/* splitmix64, for seeded permutations and subsamples. */
uint64_t rng_next(uint64_t *state);
/* A uniform integer in [0, bound). */
uint64_t rng_below(uint64_t *state, uint64_t bound);

#endif
