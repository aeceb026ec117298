#!/usr/bin/python3
"""bench/driftcheck_numpy.py METHOD REF.npy CUR.npy [PERMUTATIONS]

The NumPy side of bench/driftcheck: the same algorithms driftcheck runs,
as a Python user would write them with NumPy and SciPy.

  mmd-alibi  alibi-detect MMDDrift's algorithm transcribed to NumPy: the
             kernel matrix once (float64), sigma by the median heuristic on
             the reference, then per permutation kernel_mat[idx][:, idx]
             and mmd2_from_kernel_matrix.
  mmd-mask   the permutation scheme driftcheck uses, vectorised: a float32
             kernel matrix times a 0/1 mask matrix (one BLAS GEMM).
  ks         scipy.stats.ks_2samp per feature, Bonferroni.
Prints the statistic and p-value.
"""
import sys

import numpy as np
import scipy.stats as st


def sqd(x, y):
    x2 = (x ** 2).sum(-1)[:, None]
    y2 = (y ** 2).sum(-1)[None, :]
    return np.maximum(x2 + y2 - 2 * x @ y.T, 1e-30)


def sigma_median(x):
    d = sqd(x, x)
    n = x.shape[0]
    return np.sqrt(0.5 * np.sort(d.reshape(-1))[n + (n * n - n) // 2 - 1])


def kernel(x_ref, x):
    sigma = sigma_median(x_ref)
    z = np.concatenate([x_ref, x])
    K = np.exp(-sqd(z, z) / (2 * sigma ** 2))
    np.fill_diagonal(K, 0)
    return K


def mmd2(K, m):
    n = K.shape[0] - m
    return (K[:-m, :-m].sum() / (n * (n - 1)) + K[-m:, -m:].sum() / (m * (m - 1))
            - 2.0 * K[-m:, :-m].mean())


def mmd_alibi(x_ref, x, perms, rng):
    K = kernel(x_ref, x)
    m = x.shape[0]
    stat = mmd2(K, m)
    permuted = []
    for _ in range(perms):
        idx = rng.permutation(K.shape[0])
        permuted.append(mmd2(K[idx][:, idx], m))
    return stat, float(np.mean(stat <= np.array(permuted)))


def mmd_mask(x_ref, x, perms, rng):
    K = kernel(x_ref, x)
    n, m = x_ref.shape[0], x.shape[0]
    N = n + m
    stat = mmd2(K, m)
    Z = np.zeros((N, perms + 1), dtype=np.float32)
    for p in range(perms):
        Z[rng.permutation(N)[n:], p] = 1
    Z[n:, perms] = 1
    K32 = K.astype(np.float32)
    R = K32.sum(1, dtype=np.float64)
    r = (K32 @ Z).astype(np.float64)            # row sums into Y, per mask
    yy = (Z * r).sum(0)
    xy = ((1 - Z) * r).sum(0)
    xx = ((1 - Z) * (R[:, None] - r)).sum(0)
    s = xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m)
    return stat, float(np.mean(s[perms] <= s[:perms]))


def ks(x_ref, x):
    p = [st.ks_2samp(x_ref[:, i], x[:, i]).pvalue for i in range(x.shape[1])]
    return min(p), min(p) < 0.05 / len(p)


def main():
    method, ref, cur = sys.argv[1:4]
    perms = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    x_ref, x = np.load(ref), np.load(cur)
    rng = np.random.default_rng(0)
    if method == "mmd-alibi":
        print(*mmd_alibi(x_ref, x, perms, rng))
    elif method == "mmd-mask":
        print(*mmd_mask(x_ref, x, perms, rng))
    else:
        print(*ks(x_ref, x))


main()
