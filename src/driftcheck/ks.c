/* ks.c — the two-sample Kolmogorov–Smirnov test, as SciPy 1.10 does it.
 *
 * The statistic is taken where SciPy takes it (after all ties at a value),
 * with the same floating-point expression i/n1 - j/n2, so it agrees to the
 * last bit. The exact p-value follows scipy.stats._stats_py (equal sizes:
 * _compute_prob_outside_square) and _stats_pythran
 * (_compute_outer_prob_inside_method, Viehmann's recursion for 1 - p).
 */
#include <math.h>
#include <stdlib.h>

#include "drift.h"

#define MAX_AUTO_N 10000

static long
gcd(long a, long b)
{
	while (b) {
		long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

double
ks_prob_outside_square(long n, long h)
{
	/* P = 2 * A0 * (1 - A1*(1 - A2*(1 - ...))), Horner-like. */
	double P = 0, p1;
	long k = (long)floor((double)n / h), j;

	for (; k >= 0; k--) {
		p1 = 1.0;
		for (j = 0; j < h; j++)
			p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
		P = p1 * (1.0 - P);
	}
	return 2 * P;
}

double
ks_outer_prob_inside(long m, long n, long g, long h)
{
	long mg, ng, minj, maxj, curlen, lenA, i, jj, j, lastminj, lastlen, q;
	double *A, val, res;

	if (m < n) {
		long t = m;

		m = n;
		n = t;
	}
	mg = m / g;
	ng = n / g;
	minj = 0;
	maxj = (long)ceil((double)h / mg);
	if (maxj > n + 1)
		maxj = n + 1;
	curlen = maxj - minj;
	lenA = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
	A = malloc((size_t)lenA * sizeof *A);
	if (A == NULL)
		return NAN;
	for (q = 0; q < lenA; q++)
		A[q] = 1.0;
	for (q = minj; q < maxj; q++)
		A[q] = 0.0;
	for (i = 1; i <= m; i++) {
		lastminj = minj;
		lastlen = curlen;
		minj = (long)floor((double)(ng * i - h) / mg) + 1;
		if (minj < 0)
			minj = 0;
		if (minj > n)
			minj = n;
		maxj = (long)ceil((double)(ng * i + h) / mg);
		if (maxj > n + 1)
			maxj = n + 1;
		if (maxj <= minj) {
			free(A);
			return 1.0;
		}
		val = minj == 0 ? 0.0 : 1.0;
		for (jj = 0; jj < maxj - minj; jj++) {
			j = jj + minj;
			val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
			A[jj] = val;
		}
		curlen = maxj - minj;
		if (lastlen > curlen)
			for (q = maxj - minj; q < maxj - minj + (lastlen - curlen); q++)
				A[q] = 1;
	}
	res = A[maxj - minj - 1];
	free(A);
	return res;
}

static double
clip01(double p)
{
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* _attempt_exact_2kssamp for the two-sided alternative. */
static int
attempt_exact(long n1, long n2, double *d, double *p)
{
	long g = gcd(n1, n2);
	double lcm = (double)(n1 / g) * n2;
	double h = nearbyint(*d * lcm);

	*d = h / lcm;
	if (h == 0) {
		*p = 1.0;
		return 0;
	}
	if (n1 == n2)
		*p = ks_prob_outside_square(n1, (long)h);
	else
		*p = ks_outer_prob_inside(n1, n2, g, (long)h);
	return isfinite(*p) && *p >= 0 && *p <= 1 ? 0 : -1;
}

void
ks_2samp(const double *a, size_t n1, const double *b, size_t n2,
    struct ks_result *r)
{
	size_t i = 0, j = 0;
	double v, diff, maxS = -INFINITY, minS = INFINITY, m, n;

	/* Walk the merged order; after all copies of a value, compare CDFs. */
	while (i < n1 || j < n2) {
		if (j >= n2 || (i < n1 && a[i] <= b[j]))
			v = a[i];
		else
			v = b[j];
		while (i < n1 && a[i] == v)
			i++;
		while (j < n2 && b[j] == v)
			j++;
		diff = (double)i / n1 - (double)j / n2;
		if (diff > maxS)
			maxS = diff;
		if (diff < minS)
			minS = diff;
	}
	minS = clip01(-minS);
	r->d = minS > maxS ? minS : maxS;
	r->exact = n1 <= MAX_AUTO_N && n2 <= MAX_AUTO_N;
	if (r->exact && attempt_exact((long)n1, (long)n2, &r->d, &r->p) < 0)
		r->exact = 0;
	if (!r->exact) {
		m = n1 > n2 ? (double)n1 : (double)n2;
		n = n1 > n2 ? (double)n2 : (double)n1;
		r->p = kstwo_sf((long)nearbyint(m * n / (m + n)), r->d);
	}
	r->p = clip01(r->p);
}
