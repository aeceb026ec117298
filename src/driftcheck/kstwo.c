/* kstwo.c — the survival function of the two-sided one-sample
 * Kolmogorov–Smirnov statistic D_n, the asymptotic regime of ks_2samp.
 *
 * The algorithm choice follows Simard & L'Ecuyer (2011) exactly as
 * scipy.stats._ksstats._kolmogn does: Ruben–Gambino at the ends, the
 * Durbin matrix (Marsaglia–Tsang–Wang), Pomeranz's recursion, the
 * Pelz–Good expansion, and twice Smirnov's one-sided tail (Birnbaum–Tingey
 * sum) where that is exact or close enough.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "msg.h"

#define E128 128

static double
clip01(double p)
{
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* log(n! / n^n) by Stirling, without the n log n cancellation. */
static double
log_nfact_div_npown(double n)
{
	static const double c[] = {
		-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
		-2.7777777777777777778e-3, 8.3333333333333333333e-2
	};
	double rn = 1.0 / n, x = rn / n, poly = 0;
	size_t i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		poly = poly * x + c[i];
	return log(n) / 2 - n + log(2 * M_PI) / 2 + rn * poly;
}

/* Smirnov's one-sided Pr(D+_n >= e), Birnbaum & Tingey's exact sum. */
static double
smirnov(long n, double e)
{
	long v, nn;
	double p = 0, evn, lc, lgn1 = lgamma((double)n + 1);

	if (e <= 0)
		return 1.0;
	if (e >= 1)
		return 0.0;
	nn = (long)floor(n * (1.0 - e));
	for (v = 0; v <= nn; v++) {
		evn = e + (double)v / n;
		if (1.0 - evn <= 0)
			continue;
		lc = lgn1 - lgamma((double)v + 1) - lgamma((double)(n - v) + 1);
		p += exp(lc + (v - 1) * log(evn) + (n - v) * log1p(-evn));
	}
	return p * e;
}

static void
matmul(const double *a, const double *b, double *out, int m)
{
	int i, j, k;

	memset(out, 0, (size_t)m * m * sizeof *out);
	for (i = 0; i < m; i++)
		for (k = 0; k < m; k++) {
			double aik = a[i * m + k];

			for (j = 0; j < m; j++)
				out[i * m + j] += aik * b[k * m + j];
		}
}

/* Durbin's matrix method, Pr(D_n <= d). */
static double
kolmogn_dmtw(long n, double d)
{
	double nd = n * d, h, fac, tt, p, *H, *P, *T, *v, *w;
	long k, nn, expnt = 0, hexpnt = 0, i;
	int m, j, r;

	if (d >= 1.0)
		return 1.0;
	if (nd <= 0.5)
		return 0.0;
	k = (long)ceil(nd);
	h = k - nd;
	m = (int)(2 * k - 1);
	H = xcalloc((size_t)m * m, sizeof *H);
	P = xcalloc((size_t)m * m, sizeof *P);
	T = xcalloc((size_t)m * m, sizeof *T);
	v = xcalloc((size_t)m, sizeof *v);
	w = xcalloc((size_t)m, sizeof *w);
	fac = 1.0;
	for (j = 1; j <= m; j++) {
		w[j - 1] = fac;
		fac /= j;
		v[j - 1] = (1.0 - pow(h, j)) * fac;
	}
	tt = pow(fmax(2 * h - 1.0, 0), m) - 2 * pow(h, m);
	v[m - 1] = (1.0 + tt) * fac;
	for (i = 1; i < m; i++)
		for (r = (int)i - 1; r < m; r++)
			H[r * m + i] = w[r - (i - 1)];
	for (r = 0; r < m; r++)
		H[r * m] = v[r];
	for (j = 0; j < m; j++)
		H[(m - 1) * m + j] = v[m - 1 - j];
	for (r = 0; r < m; r++)
		P[r * m + r] = 1.0;
	for (nn = n; nn > 0; nn /= 2) {
		if (nn % 2) {
			matmul(P, H, T, m);
			memcpy(P, T, (size_t)m * m * sizeof *P);
			expnt += hexpnt;
		}
		matmul(H, H, T, m);
		memcpy(H, T, (size_t)m * m * sizeof *H);
		hexpnt *= 2;
		if (fabs(H[(k - 1) * m + (k - 1)]) > ldexp(1, E128)) {
			for (r = 0; r < m * m; r++)
				H[r] = ldexp(H[r], -E128);
			hexpnt += E128;
		}
	}
	p = P[(k - 1) * m + (k - 1)];
	for (i = 1; i <= n; i++) {
		p = i * p / n;
		if (fabs(p) < ldexp(1, -E128)) {
			p = ldexp(p, E128);
			expnt -= E128;
		}
	}
	if (expnt != 0)
		p = ldexp(p, (int)expnt);
	free(H);
	free(P);
	free(T);
	free(v);
	free(w);
	return clip01(p);
}

static void
pomeranz_j1j2(long i, long n, long ll, long ceilf, long roundf, long *j1,
    long *j2)
{
	long a, b, d = (i + 1) / 2, mod = (i + 1) % 2;

	if (i == 0) {
		a = -ll - ceilf - 1;
		b = ll + ceilf - 1;
	} else if (mod == 0) {
		if (d == n + 1) {
			a = n - ll - ceilf - 1;
			b = n + ll + ceilf - 1;
		} else {
			a = d - 1 - ll - roundf - 1;
			b = d + ll - 1 + ceilf - 1;
		}
	} else {
		a = d - 1 - ll - 1;
		b = d + ll + roundf - 1;
	}
	*j1 = a + 2 > 0 ? a + 2 : 0;
	*j2 = b < n ? b : n;
}

/* Pomeranz's recursion, Pr(D_n <= x). */
static double
kolmogn_pomeranz(long n, double x)
{
	double t = n * x, f, g, *gp, *tgp, *omgp, *V0, *V1, *tmp, *pw, ans;
	long ll = (long)floor(t), ceilf, roundf, npw, m, i, j1, j2, k1, ln2;
	long V0s = 0, V1s = 0, expnt = 0, a, b, q;

	f = t - ll;
	g = fmin(f, 1.0 - f);
	ceilf = f > 0;
	roundf = f > 0.5;
	npw = 2 * (ll + 1);
	gp = xcalloc((size_t)npw, sizeof *gp);
	tgp = xcalloc((size_t)npw, sizeof *tgp);
	omgp = xcalloc((size_t)npw, sizeof *omgp);
	V0 = xcalloc((size_t)npw, sizeof *V0);
	V1 = xcalloc((size_t)npw, sizeof *V1);
	gp[0] = tgp[0] = omgp[0] = 1.0;
	for (m = 1; m < npw; m++) {
		gp[m] = gp[m - 1] * (g / n) / m;
		tgp[m] = tgp[m - 1] * (2 * g / n) / m;
		omgp[m] = omgp[m - 1] * ((1 - 2 * g) / n) / m;
	}
	V1[0] = 1;
	pomeranz_j1j2(0, n, ll, ceilf, roundf, &j1, &j2);
	for (i = 1; i < 2 * n + 2; i++) {
		k1 = j1;
		tmp = V0, V0 = V1, V1 = tmp;
		q = V0s, V0s = V1s, V1s = q;
		memset(V1, 0, (size_t)npw * sizeof *V1);
		pomeranz_j1j2(i, n, ll, ceilf, roundf, &j1, &j2);
		pw = i == 1 || i == 2 * n + 1 ? gp : i % 2 ? tgp : omgp;
		ln2 = j2 - k1 + 1;
		if (ln2 > 0) {
			double mx = 0;

			/* conv = convolve(V0[k1-V0s : +ln2], pw[:ln2]);
			 * V1[a] = conv[j1-k1+a] for a < j2-j1+1. */
			for (a = 0; a < j2 - j1 + 1; a++) {
				long c = j1 - k1 + a;
				double s = 0;

				for (b = 0; b <= c && b < ln2; b++)
					if (c - b < ln2)
						s += V0[k1 - V0s + b] * pw[c - b];
				V1[a] = s;
				if (s > mx)
					mx = s;
			}
			if (mx > 0 && mx < ldexp(1, -E128)) {
				for (a = 0; a < npw; a++)
					V1[a] = ldexp(V1[a], E128);
				expnt -= E128;
			}
			V1s = V0s + j1 - k1;
		}
	}
	ans = V1[n - V1s];
	for (m = 1; m <= n; m++) {
		if (fabs(ans) > ldexp(1, E128)) {
			ans = ldexp(ans, -E128);
			expnt += E128;
		}
		ans *= m;
	}
	if (expnt != 0)
		ans = ldexp(ans, (int)expnt);
	free(gp);
	free(tgp);
	free(omgp);
	free(V0);
	free(V1);
	return clip01(ans);
}

/* The Pelz–Good approximation of Pr(D_n <= x). */
static double
kolmogn_pelzgood(long n, double x)
{
	double z, z2, z3, z4, z6, qlog, q, k1a, k1b, k2a, k2b, k2c, k3a, k3b,
	    k3c, k3d, K[4] = { 0, 0, 0, 0 }, qp, m2, m4, m6, k2x = 0, k3x = 0,
	    s3z, sum = 0;
	long maxk, k;
	int i;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	z = sqrt((double)n) * x;
	z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
	qlog = -M_PI * M_PI / 8 / z2;
	if (qlog < -708)
		return 0;
	q = exp(qlog);
	k1a = -z2;
	k1b = M_PI * M_PI / 4;
	k2a = 6 * z6 + 2 * z4;
	k2b = (2 * z4 - 5 * z2) * M_PI * M_PI / 4;
	k2c = pow(M_PI, 4) * (1 - 2 * z2) / 16;
	k3d = pow(M_PI, 6) * (5 - 30 * z2) / 64;
	k3c = pow(M_PI, 4) * (-60 * z2 + 212 * z4) / 16;
	k3b = M_PI * M_PI * (135 * z4 - 96 * z6) / 4;
	k3a = -30 * z6 - 90 * pow(z, 8);
	maxk = (long)ceil(16 * z / M_PI);
	for (k = maxk; k > 0; k--) {
		double mm = 2.0 * k - 1;

		m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2;
		qp = pow(q, 8.0 * k);
		K[0] = K[0] * qp + 1.0;
		K[1] = K[1] * qp + k1a + k1b * m2;
		K[2] = K[2] * qp + k2a + k2b * m2 + k2c * m4;
		K[3] = K[3] * qp + k3a + k3b * m2 + k3c * m4 + k3d * m6;
	}
	for (i = 0; i < 4; i++)
		K[i] *= q * sqrt(2 * M_PI);
	K[0] /= z;
	K[1] /= 6 * z4;
	K[2] /= 72 * pow(z, 7);
	K[3] /= 6480 * pow(z, 10);
	q = exp(-M_PI * M_PI / 2 / z2);
	s3z = sqrt(3.0) * z;
	for (k = maxk; k > 0; k--) {
		double ks = (double)k * k, kp = M_PI * k, qk = pow(q, ks);

		k2x += ks * qk;
		k3x += (s3z + kp) * (s3z - kp) * ks * qk;
	}
	K[2] += k2x * M_PI * M_PI * sqrt(2 * M_PI) / (-36 * z3);
	K[3] += k3x * M_PI * M_PI * sqrt(2 * M_PI) / (216 * z6);
	for (i = 0; i < 4; i++)
		sum += K[i] / pow((double)n, i / 2.0);
	return sum;
}

double
kstwo_sf(long n, double x)
{
	double t, nx2, prob, cdf;
	long i;

	if (n <= 0 || isnan(x))
		return NAN;
	if (x >= 1.0)
		return 0.0;
	if (x <= 0.0)
		return 1.0;
	t = n * x;
	if (t <= 1.0) {
		if (t <= 0.5)
			return 1.0;
		if (n <= 140) {
			prob = 1.0;
			for (i = 1; i <= n; i++)
				prob *= i * (1.0 / n) * (2 * t - 1);
		} else {
			prob = exp(log_nfact_div_npown((double)n) +
			    n * log(2 * t - 1));
		}
		return clip01(1.0 - prob);
	}
	if (t >= n - 1)
		return clip01(2 * pow(1.0 - x, (double)n));
	if (x >= 0.5)
		return clip01(2 * smirnov(n, x));
	nx2 = t * x;
	if (n <= 140) {
		if (nx2 <= 0.754693)
			return clip01(1.0 - kolmogn_dmtw(n, x));
		if (nx2 <= 4)
			return clip01(1.0 - kolmogn_pomeranz(n, x));
		return clip01(2 * smirnov(n, x));
	}
	if (nx2 >= 370.0)
		return 0.0;
	if (nx2 >= 2.2)
		return clip01(2 * smirnov(n, x));
	if (n <= 100000 && n * pow(x, 1.5) <= 1.4)
		cdf = kolmogn_dmtw(n, x);
	else
		cdf = kolmogn_pelzgood(n, x);
	return clip01(1.0 - cdf);
}
