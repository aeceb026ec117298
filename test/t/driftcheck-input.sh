#!/bin/sh
# driftcheck's input side: .npy files written by NumPy in every supported
# dtype, byte order, memory order and rank; CSV and JSON lines; and bad
# input — ragged rows, NaN, empty and one-row samples, mismatched feature
# counts, a truncated .npy — reported with where, and exit status 2.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

PY=/usr/bin/python3
cd "$T_DIR" || exit 2

# Column j holds values only it has, so a transposed or misread array
# cannot give the same per-feature distributions as the JSON copy.
$PY - <<'PYEOF'
import json
import numpy as np
rng = np.random.default_rng(3)
base = np.stack([rng.integers(0, 40, 50), rng.integers(40, 80, 50),
                 rng.integers(80, 120, 50)], axis=1)
with open("base.jsonl", "w") as f:
    for row in base:
        f.write(json.dumps([int(v) for v in row]) + "\n")
with open("base1.jsonl", "w") as f:
    for v in base[:, 0]:
        f.write(json.dumps([int(v)]) + "\n")
kinds = []
for t in ("f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"):
    for order in "<>":
        dt = np.dtype(order + t)
        for layout in ("C", "F"):
            name = "a_%s%s_%s" % ("le" if order == "<" else "be", t, layout)
            a = np.asarray(base.astype(dt), order=layout)
            np.save(name + ".npy", a)
            kinds.append(name)
        np.save("v_%s%s.npy" % ("le" if order == "<" else "be", t),
                base[:, 0].astype(dt))
open("kinds", "w").write("\n".join(kinds) + "\n")
# A truncated file and a version-2 header.
data = open("a_lef8_C.npy", "rb").read()
open("trunc.npy", "wb").write(data[:-5])
open("hdr.npy", "wb").write(data[:40])
from numpy.lib import format as fm
with open("v2.npy", "wb") as f:
    fm.write_array(f, base.astype("<f8"), version=(2, 0))
np.save("three_d.npy", np.zeros((2, 2, 2)))
np.save("complex.npy", np.zeros(3, dtype=complex))
PYEOF

# Every dtype/order/layout: the same distributions as the JSON copy (KS
# statistic 0 on each of the 3 features). The cases are counted: when the
# generator fails, none run, and an empty list of failures proves nothing.
bad=""
n=0
while read -r k; do
	n=$((n + 1))
	s=$(driftcheck --ref "$k.npy" --method ks <base.jsonl |
	    jq -r '[.features[].statistic]|map(tostring)|join(",")')
	[ "$s" = "0,0,0" ] || bad="$bad $k($s)"
done <kinds
expect_eq "npy: 40 dtype/endian/order variants read like NumPy wrote them" "40 cases," "$n cases,$bad"
bad=""
n=0
for f in v_*.npy; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	s=$(driftcheck --ref "$f" --method ks <base1.jsonl | jq -r '.features[0].statistic')
	[ "$s" = 0 ] || bad="$bad $f($s)"
done
expect_eq "npy: 1-D arrays in all 20 dtypes and byte orders" "20 cases," "$n cases,$bad"
expect_eq "npy: format version 2 header" 0 \
    "$(driftcheck --ref v2.npy --method ks <base.jsonl | jq -r '[.features[].statistic]|max')"
expect_status "npy on stdin is recognised by its magic" 0 \
    sh -c 'driftcheck --ref base.jsonl --method ks <a_bei2_F.npy'

expect_status "truncated .npy is bad input" 2 sh -c 'driftcheck --ref trunc.npy <base.jsonl'
expect_match "and says so" "^driftcheck: trunc.npy: npy: truncated data: shape needs 1200 bytes, file has 1195$" \
    "$(cat "$T_DIR/err")"
expect_status "a header cut short is bad input" 2 sh -c 'driftcheck --ref hdr.npy <base.jsonl'
expect_match "and says so" "npy: truncated header" "$(cat "$T_DIR/err")"
expect_status "3-D arrays are refused" 2 sh -c 'driftcheck --ref three_d.npy <base.jsonl'
expect_match "with the reason" "more than 2 dimensions" "$(cat "$T_DIR/err")"
expect_status "complex dtype is refused" 2 sh -c 'driftcheck --ref complex.npy <base.jsonl'
expect_match "naming the dtype" "unsupported dtype '<c16'" "$(cat "$T_DIR/err")"

# CSV: header names, quoted fields, CRLF; named columns match JSON keys.
printf 'lat,"zone, name"\r\n1.5,a\r\n2.5,"b"\r\n3.5,a\r\n' >q.csv
printf '{"lat":1.5,"zone, name":"a"}\n{"lat":2.5,"zone, name":"b"}\n{"lat":3.5,"zone, name":"a"}\n' >q.jsonl
expect_status "csv with quotes and CRLF against JSON objects: no drift" 0 \
    sh -c 'driftcheck --ref q.csv <q.jsonl'
expect_eq "csv: quoted header name and categorical column" "lat ks zone, name chi2" \
    "$(jq -r '[.features[]|"\(.name) \(.method)"]|join(" ")' "$T_DIR/out")"

# Bad rows: reported with line and field, the rest still tested, exit 2.
printf '[1,2]\n[2,3]\n[3]\n[4,"NaN"]\n[5,6]\n[6,7]\n' >bad.jsonl
printf '[1,2]\n[2,3]\n[3,4]\n[5,6]\n' >good.jsonl
expect_status "ragged and NaN rows: exit 2" 2 sh -c 'driftcheck --ref good.jsonl <bad.jsonl'
expect_eq "the ragged row is named by line" "driftcheck: stdin:3: row has 1 fields, expected 2" \
    "$(sed -n 1p "$T_DIR/err")"
expect_eq "the NaN row is named by line and field" "driftcheck: stdin:4: field '1': NaN" \
    "$(sed -n 2p "$T_DIR/err")"
expect_eq "the verdict still covers the good rows" 4 "$(jq -r .n_cur "$T_DIR/out")"
expect_status "--drop-nan drops NaN rows quietly" 0 \
    sh -c 'printf "[1,2]\n[2,3]\n[4,\"NaN\"]\n[5,null]\n[5,6]\n" | driftcheck --ref good.jsonl --drop-nan'
expect_eq "and counts them" "3 2" "$(jq -r '"\(.n_cur) \(.dropped)"' "$T_DIR/out")"
printf 'a,b\n1,2\n3\n4,5\n,6\n' >bad.csv
expect_status "csv: ragged row and empty field: exit 2" 2 sh -c 'driftcheck --ref good.jsonl <bad.csv'
expect_eq "csv errors name their lines" "driftcheck: stdin:3: row has 1 fields, header has 2|driftcheck: stdin:5: field 'a': missing value" \
    "$(paste -sd'|' "$T_DIR/err")"
printf '[1,2]\nnot json\n[2,3]\n[3,4]\n' >syntax.jsonl
expect_status "a JSON syntax error: exit 2" 2 sh -c 'driftcheck --ref good.jsonl <syntax.jsonl'
expect_match "names line 2" "^driftcheck: stdin:2: " "$(cat "$T_DIR/err")"

expect_status "empty current sample: exit 2" 2 sh -c 'driftcheck --ref good.jsonl </dev/null'
expect_eq "says so" "driftcheck: the current sample has 0 usable rows; a test needs at least 2" \
    "$(cat "$T_DIR/err")"
expect_status "one-row sample: exit 2" 2 sh -c 'echo "[1,2]" | driftcheck --ref good.jsonl'
expect_match "says so" "has 1 usable row;" "$(cat "$T_DIR/err")"
expect_status "mismatched feature counts: exit 2" 2 sh -c 'driftcheck --ref base.jsonl <good.jsonl'
expect_eq "says so" "driftcheck: the reference has 3 features, the current sample 2" "$(cat "$T_DIR/err")"
expect_status "a reference feature missing by name: exit 2" 2 \
    sh -c 'driftcheck --ref q.jsonl <q.csv --features lat,nope'
expect_status "missing --ref is a usage error" 2 driftcheck
expect_status "unreadable --ref: exit 2" 2 driftcheck --ref /nonexistent.npy
expect_status "--threshold with ks is a usage error" 2 driftcheck --ref good.jsonl --threshold 0.2
expect_status "bad --method: exit 2" 2 driftcheck --ref good.jsonl --method nope
expect_status "bad --max-memory: exit 2" 2 driftcheck --ref good.jsonl --max-memory 12X

done_testing
