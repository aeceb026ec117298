/* univar.c — one-feature drift measures: PSI, normalised Wasserstein,
 * Jensen–Shannon distance and the chi-squared contingency test. */
#include <math.h>
#include <stdlib.h>

#include "drift.h"
#include "msg.h"
#include "stats.h"

/* numpy.quantile's default (linear) on sorted data. */
static double
quantile_sorted(const double *a, size_t n, double q)
{
	double h = (n - 1) * q, t;
	size_t lo = (size_t)floor(h);

	if (lo + 1 >= n)
		return a[n - 1];
	t = h - lo;
	/* numpy's _lerp: exact at both ends. */
	return t >= 0.5 ? a[lo + 1] - (a[lo + 1] - a[lo]) * (1 - t) :
	    a[lo] + (a[lo + 1] - a[lo]) * t;
}

/* Bin of x among sorted, distinct edges: how many edges are < x. */
static size_t
bin_of(const double *e, size_t ne, double x)
{
	size_t lo = 0, hi = ne;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double
psi(const double *a, size_t n1, const double *b, size_t n2, int bins)
{
	double *e = xcalloc((size_t)bins, sizeof *e), *ca, *cb, pa, pb;
	struct ksum sum = { 0, 0 };
	size_t ne = 0, i;
	int k;

	for (k = 1; k < bins; k++) {
		double q = quantile_sorted(a, n1, (double)k / bins);

		if (ne == 0 || q > e[ne - 1])
			e[ne++] = q;
	}
	ca = xcalloc(ne + 1, sizeof *ca);
	cb = xcalloc(ne + 1, sizeof *cb);
	for (i = 0; i < n1; i++)
		ca[bin_of(e, ne, a[i])]++;
	for (i = 0; i < n2; i++)
		cb[bin_of(e, ne, b[i])]++;
	for (i = 0; i <= ne; i++) {
		pa = ca[i] / n1;
		pb = cb[i] / n2;
		if (pa == 0)
			pa = PSI_EPS;
		if (pb == 0)
			pb = PSI_EPS;
		ksum_add(&sum, (pb - pa) * log(pb / pa));
	}
	free(e);
	free(ca);
	free(cb);
	return ksum_value(&sum);
}

static double
stddev_pop(const double *a, size_t n)
{
	struct ksum s = { 0, 0 }, ss = { 0, 0 };
	double mean;
	size_t i;

	for (i = 0; i < n; i++)
		ksum_add(&s, a[i]);
	mean = ksum_value(&s) / n;
	for (i = 0; i < n; i++)
		ksum_add(&ss, (a[i] - mean) * (a[i] - mean));
	return sqrt(ksum_value(&ss) / n);
}

double
wasserstein_norm(const double *a, size_t n1, const double *b, size_t n2)
{
	struct ksum w = { 0, 0 };
	size_t i = 0, j = 0;
	double v, next, sd;

	/* Integrate |F_a - F_b| between consecutive values of the merge. */
	while (i < n1 || j < n2) {
		v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
		while (i < n1 && a[i] == v)
			i++;
		while (j < n2 && b[j] == v)
			j++;
		if (i >= n1 && j >= n2)
			break;
		next = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
		ksum_add(&w, (next - v) * fabs((double)i / n1 - (double)j / n2));
	}
	sd = stddev_pop(a, n1);
	return ksum_value(&w) / (sd > WASS_MIN_STD ? sd : WASS_MIN_STD);
}

void
joint_hist(const double *a, size_t n1, const double *b, size_t n2, int bins,
    double *ha, double *hb)
{
	double lo = fmin(a[0], b[0]), hi = fmax(a[n1 - 1], b[n2 - 1]);
	double *e = xcalloc((size_t)bins + 1, sizeof *e), x, norm;
	size_t i, idx;
	int k, which;

	if (lo == hi) {
		lo -= 0.5;
		hi += 0.5;
	}
	/* numpy.linspace, then numpy.histogram's index fix-ups at edges. */
	for (k = 0; k <= bins; k++)
		e[k] = lo + k * ((hi - lo) / bins);
	e[bins] = hi;
	norm = bins / (hi - lo);
	for (k = 0; k < bins; k++)
		ha[k] = hb[k] = 0;
	for (which = 0; which < 2; which++) {
		const double *s = which ? b : a;
		size_t n = which ? n2 : n1;

		for (i = 0; i < n; i++) {
			x = s[i];
			idx = (size_t)((x - lo) * norm);
			if (idx >= (size_t)bins)
				idx = (size_t)bins - 1;
			if (x < e[idx] && idx > 0)
				idx--;
			else if (x >= e[idx + 1] && idx != (size_t)bins - 1)
				idx++;
			(which ? hb : ha)[idx]++;
		}
	}
	free(e);
}

double
js_distance(const double *p, const double *q, size_t k)
{
	double sp = 0, sq = 0, m, pi, qi, js = 0;
	size_t i;

	for (i = 0; i < k; i++) {
		sp += p[i];
		sq += q[i];
	}
	for (i = 0; i < k; i++) {
		pi = p[i] / sp;
		qi = q[i] / sq;
		m = (pi + qi) / 2.0;
		if (pi > 0)
			js += pi * log(pi / m);
		if (qi > 0)
			js += qi * log(qi / m);
	}
	js = js / 2.0 / log(2.0);
	return sqrt(js > 0 ? js : 0);
}

/* Series for P(a, x), for x < a + 1. */
static double
gamma_p_series(double a, double x)
{
	double sum = 1.0 / a, del = sum, ap = a;
	int i;

	for (i = 0; i < 10000; i++) {
		ap += 1;
		del *= x / ap;
		sum += del;
		if (fabs(del) < fabs(sum) * 1e-17)
			break;
	}
	return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Continued fraction for Q(a, x) (modified Lentz), for x >= a + 1. */
static double
gamma_q_cf(double a, double x)
{
	double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d, an, del;
	int i;

	for (i = 1; i < 10000; i++) {
		an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (fabs(d) < 1e-300)
			d = 1e-300;
		c = b + an / c;
		if (fabs(c) < 1e-300)
			c = 1e-300;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return exp(-x + a * log(x) - lgamma(a)) * h;
}

double
gamma_q(double a, double x)
{
	if (x <= 0)
		return 1.0;
	if (x < a + 1)
		return 1.0 - gamma_p_series(a, x);
	return gamma_q_cf(a, x);
}

void
chi2_2xk(const double *ref, const double *cur, size_t k, double *stat,
    double *p, int *dof)
{
	double nr = 0, nc = 0, tot, colsum, o, e, diff;
	struct ksum s = { 0, 0 };
	size_t i;
	int row;

	*dof = (int)k - 1;
	for (i = 0; i < k; i++) {
		nr += ref[i];
		nc += cur[i];
	}
	tot = nr + nc;
	if (*dof <= 0) {
		*stat = 0;
		*p = 1.0;
		return;
	}
	for (i = 0; i < k; i++) {
		colsum = ref[i] + cur[i];
		for (row = 0; row < 2; row++) {
			o = row ? cur[i] : ref[i];
			e = (row ? nc : nr) * colsum / tot;
			if (*dof == 1) {	/* Yates: move o toward e by 1/2 */
				diff = e - o;
				o += (diff > 0 ? 1 : diff < 0 ? -1 : 0) *
				    fmin(0.5, fabs(diff));
			}
			ksum_add(&s, (o - e) * (o - e) / e);
		}
	}
	*stat = ksum_value(&s);
	*p = gamma_q(*dof / 2.0, *stat / 2.0);
}
