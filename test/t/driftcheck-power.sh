#!/bin/sh
# driftcheck's false-alarm rate and power on seeded data: identical
# distributions give no drift in about 95% of trials at --p-val 0.05, and
# a shift of half a standard deviation at n = 500 is found.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

PY=/usr/bin/python3
cd "$T_DIR" || exit 2

$PY - <<'PYEOF'
import numpy as np
rng = np.random.default_rng(2026)
for t in range(200):
    np.save("ks_r%d.npy" % t, rng.normal(0, 1, 200))
    np.save("ks_c%d.npy" % t, rng.normal(0, 1, 150))
for t in range(100):
    np.save("mmd_r%d.npy" % t, rng.normal(0, 1, (60, 2)))
    np.save("mmd_c%d.npy" % t, rng.normal(0, 1, (50, 2)))
np.save("shift_r.npy", rng.normal(0, 1, (500, 4)))
np.save("shift_c.npy", rng.normal(0, 1, (500, 4)) + [0.5, 0, 0, 0])
np.save("shift1_r.npy", rng.normal(0, 1, 500))
np.save("shift1_c.npy", rng.normal(0.5, 1, 500))
PYEOF

# count METHOD N: how many of N null trials said "no drift" (exit 0).
count() {
	quiet=0
	t=0
	while [ "$t" -lt "$2" ]; do
		if driftcheck --ref "$1_r$t.npy" --method "$1" --seed "$t" \
		    <"$1_c$t.npy" >/dev/null 2>&1; then
			quiet=$((quiet + 1))
		fi
		t=$((t + 1))
	done
	echo "$quiet"
}

# between N LO HI
between() {
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

n=$(count ks 200)
ok_if "ks: no drift in $n of 200 null trials (90%..99% expected)" \
    between "$n" 180 198
n=$(count mmd 100)
ok_if "mmd: no drift in $n of 100 null trials (90..99 expected)" \
    between "$n" 90 99

expect_status "ks finds a 0.5 sigma mean shift at n=500" 1 \
    sh -c 'driftcheck --ref shift1_r.npy --method ks <shift1_c.npy'
expect_status "ks (bonferroni over 4 features) finds it in one feature" 1 \
    sh -c 'driftcheck --ref shift_r.npy <shift_c.npy'
expect_eq "and names the feature" "0" \
    "$(jq -r '[.features[]|select(.drift)|.name]|join(",")' "$T_DIR/out")"
expect_status "mmd finds the shift in 4 dimensions" 1 \
    sh -c 'driftcheck --ref shift_r.npy --method mmd <shift_c.npy'
expect_status "psi calls a 0.5 sigma shift at least moderate" 0 \
    sh -c 'driftcheck --ref shift1_r.npy --method psi <shift1_c.npy | jq -c "select(.features[0].level != \"none\")" | grep -q .'
expect_status "wasserstein/std over 0.1 for the shift" 1 \
    sh -c 'driftcheck --ref shift1_r.npy --method wasserstein <shift1_c.npy'

done_testing
