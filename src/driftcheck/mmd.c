/* mmd.c — maximum mean discrepancy with a Gaussian RBF kernel, the
 * statistic and permutation test of alibi-detect's MMDDrift.
 *
 * Statistic (alibi-detect mmd2_from_kernel_matrix, zero diagonal):
 *   MMD² = ΣK_xx/(n(n-1)) + ΣK_yy/(m(m-1)) - 2·ΣK_xy/(nm)
 * with k(a,b) = exp(-‖a-b‖²/(2σ²)). σ defaults to alibi's sigma_median on
 * the reference against itself: √(½·s) where s is the element at index
 * n + (n²-n)/2 - 1 of all n² sorted squared distances, which is the pair
 * distance of rank ⌊(P-1)/2⌋ among the P = n(n-1)/2 distinct pairs.
 *
 * Speed: the kernel matrix is computed once, in double for the reported
 * statistic, and kept in single precision for the permutations: only its
 * upper triangle, packed, 2(n+m)² bytes. A permutation is a 0/1 mask over
 * the pooled rows, never a copied matrix (see permuted_stats). Rows are
 * taken four at a time against a column chunk of every mask, so the
 * matrix streams through the cache once per chunk, on all cores.
 *
 * When the matrix would not fit in max_memory, the block estimator
 * (Zaremba, Gretton & Blaschko 2013) is used instead: both samples are cut
 * into b matching blocks of about BLOCK_ROWS rows, the unbiased MMD² of
 * each block pair is averaged, and the p-value is the one-sided normal tail
 * of mean/(sd/√b). It needs O(rows·features) memory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "msg.h"

#define SIGMA_MAX_ROWS	4096	/* median over at most this many rows */
#define BLOCK_ROWS	1000
#define CHUNK		2048	/* columns per cache block */
#define TILE		64	/* transpose tile */

uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
rng_below(uint64_t *s, uint64_t bound)
{
	uint64_t lim = -bound % bound, r;

	do
		r = rng_next(s);
	while (r < lim);
	return r % bound;
}

__attribute__((target_clones("avx2", "default")))
static double
sqdist(const double *a, const double *b, size_t d)
{
	double s = 0;
	size_t k;

#pragma omp simd reduction(+:s)
	for (k = 0; k < d; k++)
		s += (a[k] - b[k]) * (a[k] - b[k]);
	return s;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The k-th smallest of v[0..n) (v is reordered). */
static double
select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, i, j;
	double pivot, t;

	while (hi > lo + 16) {
		pivot = v[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i], v[i] = v[j], v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	qsort(v + lo, hi - lo + 1, sizeof *v, cmp_double);
	return v[k];
}

static double
sigma_median(const double *x, size_t n, size_t d, uint64_t seed,
    const char **from)
{
	size_t s = n, i, j, p = 0, np, *rows;
	double *dist, med;
	uint64_t st = seed ^ 0x5157u;

	*from = "median";
	rows = xmalloc(n * sizeof *rows);
	for (i = 0; i < n; i++)
		rows[i] = i;
	if (n > SIGMA_MAX_ROWS) {
		/* A seeded partial Fisher–Yates picks the subsample. */
		s = SIGMA_MAX_ROWS;
		for (i = 0; i < s; i++) {
			j = i + rng_below(&st, n - i);
			p = rows[i], rows[i] = rows[j], rows[j] = p;
		}
		*from = "median-subsample";
	}
	np = s * (s - 1) / 2;
	if (np == 0) {
		free(rows);
		return 1.0;
	}
	dist = xmalloc(np * sizeof *dist);
#pragma omp parallel for schedule(dynamic, 16)
	for (i = 0; i < s; i++) {
		size_t jj, q = i * s - i * (i + 1) / 2;	/* pairs before row i */

		for (jj = i + 1; jj < s; jj++)
			dist[q++] = sqdist(x + rows[i] * d, x + rows[jj] * d, d);
	}
	med = select_kth(dist, np, (np - 1) / 2);
	free(dist);
	free(rows);
	/* alibi clamps squared distances at 1e-30. */
	return sqrt(0.5 * (med > 1e-30 ? med : 1e-30));
}

/* Four rows of K against one mask chunk: the hot loop. */
__attribute__((target_clones("avx2", "default")))
static void
dot4(const float *k0, const float *k1, const float *k2, const float *k3,
    const float *z, size_t len, double out[4])
{
	float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	size_t j;

#pragma omp simd reduction(+:a0,a1,a2,a3)
	for (j = 0; j < len; j++) {
		a0 += k0[j] * z[j];
		a1 += k1[j] * z[j];
		a2 += k2[j] * z[j];
		a3 += k3[j] * z[j];
	}
	out[0] += a0;
	out[1] += a1;
	out[2] += a2;
	out[3] += a3;
}

struct full {
	float *K;		/* upper triangle, packed by rows: K_ij, j > i */
	double *R;		/* row sums of K without the diagonal (as stored) */
	double T;		/* sum of K_ij over i < j */
	float *mask;		/* (P+1)×N: 1 where the row is in Y */
	size_t N, n, m, P;
};

/* Where row i's entries K_i,i+1 … K_i,N-1 start in the packed triangle. */
static size_t
rowptr(size_t N, size_t i)
{
	return i * N - i * (i + 1) / 2;
}

/* Fills K and returns the exact double-precision MMD². Per-row sums are
 * added up in row order, so the statistic does not depend on how the
 * threads were scheduled. */
static double
kernel_matrix(struct full *f, const double *z, size_t d, double gamma)
{
	size_t N = f->N, n = f->n, i, j;
	double sxx = 0, syy = 0, sxy = 0, *rs = xcalloc(3 * N, sizeof *rs);

#pragma omp parallel for schedule(dynamic, 16)
	for (i = 0; i < N; i++) {
		size_t jj;
		double kv, *r = rs + 3 * i, up = 0;
		float *row = f->K + rowptr(N, i);	/* row[0] is K_i,i+1 */

		for (jj = i + 1; jj < N; jj++) {
			kv = exp(-gamma * sqdist(z + i * d, z + jj * d, d));
			row[jj - i - 1] = (float)kv;
			up += row[jj - i - 1];
			r[jj < n ? 0 : i >= n ? 1 : 2] += kv;
		}
		f->R[i] = up;
	}
	/* Column parts of the row sums, in a fixed order. */
	f->T = 0;
	for (i = 0; i < N; i++) {
		const float *row = f->K + rowptr(N, i);

		f->T += f->R[i];
		for (j = i + 1; j < N; j++)
			f->R[j] += row[j - i - 1];
		sxx += rs[3 * i];
		syy += rs[3 * i + 1];
		sxy += rs[3 * i + 2];
	}
	free(rs);
	return 2 * sxx / ((double)n * (n - 1)) + 2 * syy / ((double)f->m *
	    (f->m - 1)) - 2 * sxy / ((double)n * f->m);
}

/* Masks 0..P-1 are seeded permutations (alibi's randperm: the last m
 * positions form Y); mask P is the observed split. */
static void
make_masks(struct full *f, uint64_t seed)
{
	size_t N = f->N, p, i, j, t, *idx = xmalloc(N * sizeof *idx);
	uint64_t st = seed;

	f->mask = xcalloc((f->P + 1) * N, sizeof *f->mask);
	for (p = 0; p < f->P; p++) {
		for (i = 0; i < N; i++)
			idx[i] = i;
		for (i = N - 1; i > 0; i--) {
			j = rng_below(&st, i + 1);
			t = idx[i], idx[i] = idx[j], idx[j] = t;
		}
		for (i = N - f->m; i < N; i++)
			f->mask[p * N + idx[i]] = 1;
	}
	for (i = f->n; i < N; i++)
		f->mask[f->P * N + i] = 1;
	free(idx);
}

/*
 * MMD² under every mask, from the single-precision triangle. With
 * u_i = Σ_{j>i} K_ij z_j, the Y pairs sum to A = Σ z_i u_i, the cross
 * pairs to C = Σ z_i R_i - 2A and the X pairs to B = T - A - C, so one
 * pass over the triangle per mask does it. Each block of four rows keeps
 * its sums in its own slot, added in order at the end: the result does
 * not depend on thread scheduling.
 */
static void
permuted_stats(const struct full *f, double *out)
{
	size_t N = f->N, M = f->P + 1, nb = (N + 3) / 4, p, b;
	double *blk = xcalloc(nb * M * 2, sizeof *blk), A, zR, B, C;
	double n = (double)f->n, m = (double)f->m;

#pragma omp parallel
	{
		double *acc = xmalloc(M * 4 * sizeof *acc);
		size_t i0, c0, q, r, j, rows, len, L;

#pragma omp for schedule(dynamic, 1)
		for (i0 = 0; i0 < N; i0 += 4) {
			const float *k[4], *row;
			double *o = blk + (i0 / 4) * M * 2;
			const float *zq;

			rows = N - i0 < 4 ? N - i0 : 4;
			/* Columns from i0 + 4 on are common to the four rows. */
			L = N > i0 + 4 ? N - (i0 + 4) : 0;
			for (r = 0; r < 4; r++) {
				size_t i = i0 + (r < rows ? r : 0);

				k[r] = f->K + rowptr(N, i) + (i0 + 3 - i);
			}
			memset(acc, 0, M * 4 * sizeof *acc);
			for (c0 = 0; c0 < L; c0 += CHUNK) {
				len = L - c0 < CHUNK ? L - c0 : CHUNK;
				for (q = 0; q < M; q++)
					dot4(k[0] + c0, k[1] + c0, k[2] + c0,
					    k[3] + c0, f->mask + q * N + i0 + 4 + c0,
					    len, acc + q * 4);
			}
			for (q = 0; q < M; q++) {
				zq = f->mask + q * N;
				for (r = 0; r < rows; r++) {
					size_t i = i0 + r;
					double u = acc[q * 4 + r];

					/* The corner of the block, j in (i, i0+4). */
					row = f->K + rowptr(N, i);
					for (j = i + 1; j < i0 + 4 && j < N; j++)
						u += (double)row[j - i - 1] * zq[j];
					if (zq[i] != 0) {
						o[q * 2] += u;
						o[q * 2 + 1] += f->R[i];
					}
				}
			}
		}
		free(acc);
	}
	for (p = 0; p < M; p++) {
		A = zR = 0;
		for (b = 0; b < nb; b++) {
			A += blk[(b * M + p) * 2];
			zR += blk[(b * M + p) * 2 + 1];
		}
		C = zR - 2 * A;
		B = f->T - A - C;
		out[p] = 2 * B / (n * (n - 1)) + 2 * A / (m * (m - 1)) -
		    2 * C / (n * m);
	}
	free(blk);
}

static void
mmd_full(const double *x, size_t n, const double *y, size_t m, size_t d,
    const struct mmd_conf *c, struct mmd_result *r)
{
	struct full f = { 0 };
	double *z, *stats, gamma = 1.0 / (2.0 * r->sigma * r->sigma);
	size_t p, ge = 0;

	f.N = n + m, f.n = n, f.m = m, f.P = (size_t)c->permutations;
	z = xmalloc(f.N * d * sizeof *z);
	memcpy(z, x, n * d * sizeof *z);
	memcpy(z + n * d, y, m * d * sizeof *z);
	f.K = xmalloc((f.N * (f.N - 1) / 2 + 1) * sizeof *f.K);
	f.R = xmalloc(f.N * sizeof *f.R);
	r->mmd2 = kernel_matrix(&f, z, d, gamma);
	free(z);
	make_masks(&f, c->seed);
	stats = xmalloc((f.P + 1) * sizeof *stats);
	permuted_stats(&f, stats);
	/* alibi: p = mean(mmd2 <= mmd2_permuted), compared like for like. */
	for (p = 0; p < f.P; p++)
		ge += stats[f.P] <= stats[p];
	r->p = f.P ? (double)ge / f.P : 1.0;
	r->estimator = "full";
	r->bytes = f.N * (f.N - 1) / 2 * sizeof *f.K +
	    (f.P + 1) * f.N * sizeof *f.mask;
	free(stats);
	free(f.K);
	free(f.R);
	free(f.mask);
}

/* Unbiased MMD² of x[xa..xb) against y[ya..yb), straight from the data. */
static double
mmd2_direct(const double *x, size_t xa, size_t xb, const double *y,
    size_t ya, size_t yb, size_t d, double gamma)
{
	double sxx = 0, syy = 0, sxy = 0, n = (double)(xb - xa),
	    m = (double)(yb - ya);
	size_t i, j;

	for (i = xa; i < xb; i++)
		for (j = i + 1; j < xb; j++)
			sxx += exp(-gamma * sqdist(x + i * d, x + j * d, d));
	for (i = ya; i < yb; i++)
		for (j = i + 1; j < yb; j++)
			syy += exp(-gamma * sqdist(y + i * d, y + j * d, d));
	for (i = xa; i < xb; i++)
		for (j = ya; j < yb; j++)
			sxy += exp(-gamma * sqdist(x + i * d, y + j * d, d));
	return 2 * sxx / (n * (n - 1)) + 2 * syy / (m * (m - 1)) -
	    2 * sxy / (n * m);
}

static void
mmd_block(const double *x, size_t n, const double *y, size_t m, size_t d,
    struct mmd_result *r)
{
	size_t b = (n < m ? n : m) / BLOCK_ROWS, i;
	double gamma = 1.0 / (2.0 * r->sigma * r->sigma), *eta, mean = 0,
	    var = 0;

	if (b < 2)
		b = 2;
	/* a block's unbiased terms divide by rows*(rows-1): 2 rows at least */
	if (b > (n < m ? n : m) / 2)
		b = (n < m ? n : m) / 2;
	eta = xmalloc(b * sizeof *eta);
#pragma omp parallel for schedule(dynamic, 1)
	for (i = 0; i < b; i++)
		eta[i] = mmd2_direct(x, i * n / b, (i + 1) * n / b, y, i * m / b,
		    (i + 1) * m / b, d, gamma);
	for (i = 0; i < b; i++)
		mean += eta[i];
	mean /= b;
	for (i = 0; i < b; i++)
		var += (eta[i] - mean) * (eta[i] - mean);
	var /= b - 1;
	r->mmd2 = mean;
	r->z = var > 0 ? mean / sqrt(var / b) : mean > 0 ? INFINITY : 0;
	r->p = 0.5 * erfc(r->z / M_SQRT2);
	r->blocks = b;
	r->estimator = "block";
	r->bytes = 0;
	free(eta);
}

void
mmd_test(const double *x, size_t n, const double *y, size_t m, size_t d,
    const struct mmd_conf *c, struct mmd_result *r)
{
	double N = (double)(n + m);

	memset(r, 0, sizeof *r);
	if (c->sigma > 0) {
		r->sigma = c->sigma;
		r->sigma_from = "given";
	} else {
		r->sigma = sigma_median(x, n, d, c->seed, &r->sigma_from);
	}
	/* Two blocks of two rows are the block estimator's minimum; below
	 * that the full matrix is a few bytes whatever --max-memory says. */
	if (N * (N - 1) / 2 * sizeof(float) +
	    (c->permutations + 1.0) * N * sizeof(float) +
	    (N * d + N) * sizeof(double) <= (double)c->max_memory ||
	    n < 4 || m < 4)
		mmd_full(x, n, y, m, d, c, r);
	else
		mmd_block(x, n, y, m, d, r);
}
