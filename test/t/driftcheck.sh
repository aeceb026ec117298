#!/bin/sh
# driftcheck against independent references computed here with Debian's
# NumPy and SciPy on the same generated data: KS statistics and p-values
# (exact and asymptotic regimes), the MMD statistic (a NumPy transcription
# of alibi-detect's formulas), PSI by hand, normalised Wasserstein, JS and
# chi-squared; and the verdict record and exit statuses.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

PY=/usr/bin/python3
cd "$T_DIR" || exit 2

# gen NAME N D LOC SEED: N rows of D normal features, as .npy and JSON lines.
$PY - <<'EOF'
import json
import numpy as np

def save(name, x):
    np.save(name + ".npy", x)
    with open(name + ".jsonl", "w") as f:
        for row in x:
            f.write(json.dumps([float(v) for v in row]) + "\n")
    with open(name + ".csv", "w") as f:
        f.write(",".join("f%d" % i for i in range(x.shape[1])) + "\n")
        for row in x:
            f.write(",".join(repr(float(v)) for v in row) + "\n")

rng = np.random.default_rng(7)
save("r", rng.normal(0, 1, (300, 3)))
save("c", rng.normal(0.25, 1, (250, 3)))
save("eq", rng.normal(0, 1, (300, 3)))          # n1 == n2 exact branch
save("rb", rng.normal(0, 1, (12000, 2)))        # asymptotic regime
save("cb", rng.normal(0.03, 1, (10500, 2)))
save("cs", rng.normal(0.3, 1, (80, 2)))         # asymptotic, en <= 140
EOF

# ks_ref REF CUR: "stat p" per feature from scipy.stats.ks_2samp.
ks_ref() {
	$PY -c '
import sys, numpy as np, scipy.stats as st
r, c = np.load(sys.argv[1]), np.load(sys.argv[2])
for i in range(r.shape[1]):
    t = st.ks_2samp(r[:, i], c[:, i])
    print(repr(float(t.statistic)), repr(float(t.pvalue)))' "$1" "$2"
}

# close A B RTOL: |a-b| <= rtol*max(|a|,|b|) (or both 0).
close() {
	$PY -c 'import sys; a, b, t = map(float, sys.argv[1:])
sys.exit(0 if abs(a - b) <= t * max(abs(a), abs(b)) else 1)' "$1" "$2" "$3"
}

# check_ks NAME REF CUR PMETHOD RTOL
check_ks() {
	driftcheck --ref "$2" --method ks <"$3" >out.json
	jq -r '.features[] | "\(.statistic) \(.p_value) \(.p_method)"' out.json >got
	ks_ref "${2%.*}.npy" "${3%.*}.npy" >want
	expect_eq "$1: one result per feature" "$(wc -l <want)" "$(wc -l <got)"
	i=0
	while read -r ws wp; do
		i=$((i + 1))
		line=$(sed -n "${i}p" got)
		gs=${line%% *}
		rest=${line#* }
		gp=${rest%% *}
		gm=${rest#* }
		ok_if "$1 feature $i: statistic equals scipy ($ws)" close "$ws" "$gs" 1e-15
		ok_if "$1 feature $i: p-value equals scipy ($wp vs $gp)" close "$wp" "$gp" "$5"
		expect_eq "$1 feature $i: p_method" "$4" "$gm"
	done <want
}

check_ks "ks exact, n1 != n2" r.npy c.jsonl exact 1e-12
check_ks "ks exact, n1 == n2" r.npy eq.csv exact 1e-12
check_ks "ks asymptotic" rb.npy cb.npy asymp 1e-9
check_ks "ks asymptotic, small current" rb.npy cs.npy asymp 1e-9

# The verdict record: Bonferroni threshold and the exit status.
driftcheck --ref r.npy <c.jsonl >out.json
expect_eq "drift found exits 1" 1 "$?"
expect_eq "verdict shape" "true ks bonferroni 300 250 3" \
    "$(jq -r '"\(.drift) \(.method) \(.correction) \(.n_ref) \(.n_cur) \(.features|length)"' out.json)"
expect_eq "bonferroni threshold is p_val/k" "0.016666666666666666" "$(jq -r .threshold out.json)"
expect_eq "top-level p_value is the smallest" "$(jq -r '[.features[].p_value]|min' out.json)" \
    "$(jq -r .p_value out.json)"
driftcheck --ref r.npy <eq.jsonl >out.json
expect_eq "no drift exits 0" 0 "$?"
expect_eq "no drift verdict" false "$(jq -r .drift out.json)"

# Benjamini–Hochberg as alibi-detect's fdr(): the largest q*i/k under which
# the i-th smallest p-value falls.
driftcheck --ref r.npy --correction fdr <c.jsonl >out.json
want=$(jq -r '[.features[].p_value]' out.json | $PY -c '
import json, sys, numpy as np
p = np.sort(np.array(json.load(sys.stdin))); n = len(p); q = 0.05
thr = q * np.arange(1, n + 1) / n; below = p < thr
print(repr(float(thr[np.where(below)[0].max()])) if below.any() else repr(float(thr.min())))')
ok_if "fdr threshold as alibi-detect ($want)" close "$want" "$(jq -r .threshold out.json)" 1e-15

# MMD: the statistic and sigma of a NumPy transcription of alibi-detect
# (GaussianRBF with sigma_median on x_ref against itself, zero diagonal,
# mmd2_from_kernel_matrix).
cat >mmdref.py <<'EOF'
import sys
import numpy as np

def sqd(x, y):
    x2 = (x ** 2).sum(-1)[:, None]
    y2 = (y ** 2).sum(-1)[None, :]
    return np.maximum(x2 + y2 - 2 * x @ y.T, 1e-30)

def sigma_median(x, y, dist):
    n = min(x.shape[0], y.shape[0])
    n = n if np.all(x[:n] == y[:n]) and x.shape == y.shape else 0
    n_median = n + (np.prod(dist.shape) - n) // 2 - 1
    return np.sqrt(0.5 * np.sort(dist.reshape(-1))[n_median])

def mmd2(x_ref, x, sigma=None):
    if sigma is None:
        sigma = sigma_median(x_ref, x_ref, sqd(x_ref, x_ref))
    k = lambda a, b: np.exp(-sqd(a, b) / (2 * sigma ** 2))
    K = np.block([[k(x_ref, x_ref), k(x_ref, x)], [k(x, x_ref), k(x, x)]])
    K = K - np.diag(np.diag(K))
    n, m = x_ref.shape[0], x.shape[0]
    k_xx, k_yy, k_xy = K[:-m, :-m], K[-m:, -m:], K[-m:, :-m]
    return (k_xx.sum() / (n * (n - 1)) + k_yy.sum() / (m * (m - 1))
            - 2.0 * k_xy.mean()), sigma

sig = float(sys.argv[3]) if len(sys.argv) > 3 else None
s, sigma = mmd2(np.load(sys.argv[1]), np.load(sys.argv[2]), sig)
print(repr(float(s)), repr(float(sigma)))
EOF
driftcheck --ref r.npy --method mmd --seed 3 <c.npy >out.json
ref=$($PY mmdref.py r.npy c.npy)
ok_if "mmd statistic equals the NumPy transcription to 1e-6 (${ref% *})" \
    close "${ref% *}" "$(jq -r .statistic out.json)" 1e-6
ok_if "mmd median-heuristic sigma as alibi-detect (${ref#* })" \
    close "${ref#* }" "$(jq -r .sigma out.json)" 1e-12
expect_eq "mmd record" "mmd full median 100 3" \
    "$(jq -r '"\(.method) \(.estimator) \(.sigma_from) \(.permutations) \(.seed)"' out.json)"
expect_eq "mmd finds a 0.25 sigma shift (p=0 of 100)" "0 true" "$(jq -r '"\(.p_value) \(.drift)"' out.json)"
driftcheck --ref r.npy --method mmd --sigma 0.7 <eq.npy >out.json
ref=$($PY mmdref.py r.npy eq.npy 0.7)
ok_if "mmd statistic with --sigma (${ref% *})" close "${ref% *}" "$(jq -r .statistic out.json)" 1e-6
expect_eq "mmd: same distribution, no drift" false "$(jq -r .drift out.json)"
# The permutation p-value: the same seeded permutations (splitmix64,
# Fisher–Yates, the last m positions are the current sample, as alibi's
# randperm split) computed in double precision with NumPy give the same
# p-value as driftcheck's single-precision kernel matrix.
cat >mmdperm.py <<'EOF'
import sys
import numpy as np
exec(open("mmdref.py").read().split("sig = ")[0])
M = (1 << 64) - 1
class Rng:
    def __init__(self, seed):
        self.s = seed
    def next(self):
        self.s = (self.s + 0x9e3779b97f4a7c15) & M
        z = self.s
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
        return z ^ (z >> 31)
    def below(self, bound):
        lim = ((1 << 64) - bound) % bound
        r = self.next()
        while r < lim:
            r = self.next()
        return r % bound
x_ref, x = np.load(sys.argv[1]), np.load(sys.argv[2])
seed, perms = int(sys.argv[3]), int(sys.argv[4])
n, m = len(x_ref), len(x)
N = n + m
sigma = sigma_median(x_ref, x_ref, sqd(x_ref, x_ref))
z = np.concatenate([x_ref, x])
K = np.exp(-sqd(z, z) / (2 * sigma ** 2))
np.fill_diagonal(K, 0)
def stat(y):
    y = y.astype(float)
    return (((1 - y) @ K @ (1 - y)) / (n * (n - 1)) + (y @ K @ y) / (m * (m - 1))
            - 2 * ((1 - y) @ K @ y) / (n * m))
obs = stat(np.arange(N) >= n)
rng = Rng(seed)
ge = 0
for p in range(perms):
    idx = list(range(N))
    for i in range(N - 1, 0, -1):
        j = rng.below(i + 1)
        idx[i], idx[j] = idx[j], idx[i]
    y = np.zeros(N, bool)
    y[idx[N - m:]] = True
    ge += obs <= stat(y)
print(ge / perms)
EOF
for seed in 3 4; do
	want=$($PY mmdperm.py r.npy eq.npy "$seed" 100)
	got=$(driftcheck --ref r.npy --method mmd --seed "$seed" <eq.npy | jq -r .p_value)
	ok_if "mmd permutation p-value equals NumPy in double precision (seed $seed: $want)" \
	    close "$want" "$got" 0
done
# --permutations N: N splits, not the default 100 (a p-value in 37ths).
want=$($PY mmdperm.py r.npy eq.npy 5 37)
driftcheck --ref r.npy --method mmd --seed 5 --permutations 37 <eq.npy >out.json
ok_if "mmd --permutations 37 equals NumPy's 37 permutations ($want)" \
    close "$want" "$(jq -r .p_value out.json)" 0
expect_eq "and the record says 37" 37 "$(jq -r .permutations out.json)"
driftcheck --ref r.npy --method mmd --seed 3 <eq.npy | jq -c 'del(.memory)' >a.json
driftcheck --ref r.npy --method mmd --seed 3 <eq.npy | jq -c 'del(.memory)' >b.json
ok_if "mmd: --seed makes the p-value reproducible" cmp -s a.json b.json

# Above --max-memory: the block estimator, said so in the record.
driftcheck --ref rb.npy --method mmd --max-memory 64M <cb.npy >out.json
expect_eq "mmd over --max-memory uses the block estimator" "block 10" \
    "$(jq -r '"\(.estimator) \(.blocks)"' out.json)"
expect_eq "block estimator sigma from a subsample" "median-subsample" "$(jq -r .sigma_from out.json)"

# PSI by hand: reference deciles (numpy.quantile), x <= edge goes left,
# empty bins as 1e-4.
driftcheck --ref r.npy --method psi --bins 10 <c.npy >out.json
want=$($PY -c '
import numpy as np
r, c = np.load("r.npy"), np.load("c.npy")
out = []
for i in range(r.shape[1]):
    e = np.unique(np.quantile(r[:, i], np.arange(1, 10) / 10))
    a = np.bincount(np.searchsorted(e, r[:, i], "left"), minlength=len(e) + 1) / len(r)
    b = np.bincount(np.searchsorted(e, c[:, i], "left"), minlength=len(e) + 1) / len(c)
    a = np.where(a == 0, 1e-4, a); b = np.where(b == 0, 1e-4, b)
    out.append(repr(float(np.sum((b - a) * np.log(b / a)))))
print(" ".join(out))')
got=$(jq -r '[.features[].statistic|tostring]|join(" ")' out.json)
i=0
for w in $want; do
	i=$((i + 1))
	ok_if "psi feature $i by hand ($w)" close "$w" "$(echo "$got" | cut -d' ' -f$i)" 1e-12
done
expect_match "psi levels" '^(none|moderate|significant)( (none|moderate|significant)){2}$' \
    "$(jq -r '[.features[].level]|join(" ")' out.json)"
expect_eq "psi threshold defaults to 0.25" 0.25 "$(jq -r .threshold out.json)"

# Wasserstein normalised by the reference's population stddev; JS distance
# base 2 on numpy.histogram's shared bins.
driftcheck --ref r.npy --method wasserstein <c.npy >out.json
want=$($PY -c '
import numpy as np, scipy.stats as st
r, c = np.load("r.npy"), np.load("c.npy")
print(repr(float(st.wasserstein_distance(r[:, 0], c[:, 0]) / np.std(r[:, 0]))))')
ok_if "wasserstein / std equals scipy ($want)" close "$want" "$(jq -r '.features[0].statistic' out.json)" 1e-10
driftcheck --ref r.npy --method js --bins 12 <c.npy >out.json
want=$($PY -c '
import numpy as np
from scipy.spatial.distance import jensenshannon
r, c = np.load("r.npy")[:, 1], np.load("c.npy")[:, 1]
e = np.histogram_bin_edges(np.concatenate([r, c]), bins=12)
print(repr(float(jensenshannon(np.histogram(r, e)[0], np.histogram(c, e)[0], base=2))))')
ok_if "js distance equals scipy ($want)" close "$want" "$(jq -r '.features[1].statistic' out.json)" 1e-12

# Categorical features: auto picks chi2 for them and ks for numbers.
$PY - <<'EOF'
import json
import numpy as np
rng = np.random.default_rng(11)
def write(name, n, p2, p3):
    cats = rng.choice(["a", "b", "c"], size=n, p=p3)
    bins = rng.choice(["on", "off"], size=n, p=p2)
    x = rng.normal(0, 1, n)
    with open(name, "w") as f:
        for i in range(n):
            f.write(json.dumps({"zone": cats[i], "flag": bins[i], "lat": float(x[i]), "id": i}) + "\n")
write("cat_r.jsonl", 400, [0.5, 0.5], [0.5, 0.3, 0.2])
write("cat_c.jsonl", 300, [0.6, 0.4], [0.3, 0.3, 0.4])
EOF
driftcheck --ref cat_r.jsonl --features zone,flag,lat <cat_c.jsonl >out.json
expect_eq "auto: chi2 for strings, ks for numbers" "auto chi2 chi2 ks" \
    "$(jq -r '"\(.method) \([.features[].method]|join(" "))"' out.json)"
$PY -c '
import json, numpy as np, scipy.stats as st
r = [json.loads(l) for l in open("cat_r.jsonl")]; c = [json.loads(l) for l in open("cat_c.jsonl")]
for k in ("zone", "flag"):
    cats = sorted(set(x[k] for x in r + c))
    t = np.array([[sum(x[k] == v for x in s) for v in cats] for s in (r, c)])
    s, p, dof, _ = st.chi2_contingency(t, correction=True)
    print(repr(float(s)))
    print(repr(float(p)))' >chi2.want
want() { sed -n "$1p" chi2.want; }
ok_if "chi2 statistic (3 categories) equals scipy ($(want 1))" close "$(want 1)" "$(jq -r '.features[0].statistic' out.json)" 1e-12
ok_if "chi2 p-value (3 categories) equals scipy ($(want 2))" close "$(want 2)" "$(jq -r '.features[0].p_value' out.json)" 1e-9
ok_if "chi2 with Yates at 1 dof equals scipy ($(want 3))" close "$(want 3)" "$(jq -r '.features[1].statistic' out.json)" 1e-12
ok_if "chi2 p-value at 1 dof equals scipy ($(want 4))" close "$(want 4)" "$(jq -r '.features[1].p_value' out.json)" 1e-9
expect_eq "chi2 dof" "2 1" "$(jq -r '[.features[0].dof,.features[1].dof]|map(tostring)|join(" ")' out.json)"
expect_status "ks on a categorical feature is refused" 2 \
    sh -c 'driftcheck --ref cat_r.jsonl --features zone --method ks <cat_c.jsonl'
expect_match "and says why" "feature 'zone' is categorical" "$(cat "$T_DIR/err")"

# Named fields match by name, whatever the order in the current sample.
jq -c '{lat, zone}' cat_c.jsonl >swapped.jsonl
driftcheck --ref cat_r.jsonl --features lat,zone <swapped.jsonl >a.json
jq -c '{zone, lat}' cat_c.jsonl >b.jsonl
driftcheck --ref cat_r.jsonl --features lat,zone <b.jsonl >b.json
ok_if "field order in the input does not matter" cmp -s a.json b.json

# A series record's values are a 1-D sample (promq output); NaN gaps dropped.
$PY -c '
import json, numpy as np
rng = np.random.default_rng(5)
for name, loc in (("s_ref.jsonl", 0.0), ("s_cur.jsonl", 1.0)):
    with open(name, "w") as f:
        for pod in ("a", "b"):
            v = [[1795320000 + 60 * i, float(x)] for i, x in enumerate(rng.normal(loc, 1, 100))]
            v[3][1] = "NaN"
            f.write(json.dumps({"query": "rate(x[5m])", "metric": {"pod": pod}, "values": v}) + "\n")'
driftcheck --ref s_ref.jsonl <s_cur.jsonl >out.json
expect_eq "series records: status 1 (drift)" 1 "$?"
expect_eq "series records: values pooled, NaN dropped" "198 198 4 value" \
    "$(jq -r '"\(.n_ref) \(.n_cur) \(.dropped) \(.features[0].name)"' out.json)"

done_testing
