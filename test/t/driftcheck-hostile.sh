#!/bin/sh
# driftcheck against sloppy input found in review: a series record with an
# infinite sample, CSV from Excel (UTF-8 byte order mark), bare numbers
# that auto-detection would take for a CSV header, repeated --features,
# a .npy claiming 10^12 columns. Nothing may vanish silently. Also options
# no other test would miss: --p-val, --ref-format.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

cd "$T_DIR" || exit 2

printf '[1]\n[2]\n[3]\n[4]\n[5]\n' >r5.jsonl

# One +Inf in a series must cost that sample only, not the rest of the
# series after it.
echo '{"metric":{},"values":[[1,"1"],[2,"+Inf"],[3,"2"],[4,"3"],[5,"4"]]}' >inf.jsonl
expect_status "series with a +Inf sample: exit 2" 2 sh -c 'driftcheck --ref r5.jsonl <inf.jsonl'
expect_eq "the samples after the +Inf are still read" 4 "$(jq -r .n_cur "$T_DIR/out")"
expect_eq "the line, field and count are reported" \
    "driftcheck: stdin:1: field 'value': infinite value (1 of 5 samples)" "$(cat "$T_DIR/err")"

# CSV saved by Excel starts with a UTF-8 byte order mark; JSON lines may too.
printf 'a,b\n1,2\n2,3\n3,4\n4,5\n' >ref.csv
printf '\357\273\277a,b\r\n1,2\r\n"2",3\r\n3,"4"\r\n4,5\r\n' >bom.csv
expect_status "csv with a byte order mark: its first column matches by name" 0 \
    sh -c 'driftcheck --ref ref.csv <bom.csv'
expect_eq "and is named without the mark" "a b" "$(jq -r '[.features[].name]|join(" ")' "$T_DIR/out")"
printf '\357\273\277[1]\n[2]\n[3]\n' >bom.jsonl
expect_status "JSON lines with a byte order mark are still JSON lines" 0 \
    sh -c 'driftcheck --ref r5.jsonl <bom.jsonl'
expect_eq "all three rows read" 3 "$(jq -r .n_cur "$T_DIR/out")"

# One number per line (jq -r output) used to be read as CSV whose header
# was the first value: one row silently gone.
seq 1 10 >bare.txt
expect_status "bare numbers, format guessed: refused, exit 2" 2 \
    sh -c 'driftcheck --ref r5.jsonl <bare.txt'
expect_eq "the message says why and what to do" \
    "driftcheck: stdin:1: the first line is numbers, not a CSV header: add a header naming the columns, or give the format csv" \
    "$(sed -n 1p "$T_DIR/err")"
expect_status "with --format csv a numeric header is the user's choice" 0 \
    sh -c 'driftcheck --ref r5.jsonl --format csv <bare.txt'
expect_eq "and names the column" 9 "$(jq -r .n_cur "$T_DIR/out")"
printf '0,1\n1,2\n3,4\n5,6\n' >pandas.csv
expect_status "a .csv file with integer column names (pandas) is still read" 0 \
    sh -c 'driftcheck --ref pandas.csv --format csv <pandas.csv'
expect_eq "with its 3 rows" 3 "$(jq -r .n_ref "$T_DIR/out")"

# A feature named twice was tested twice, and its duplicate halved the
# Bonferroni threshold of every feature.
expect_status "--features a,b,a: usage error" 2 \
    sh -c 'driftcheck --ref ref.csv --features a,b,a <ref.csv'
expect_eq "says which" "driftcheck: --features names 'a' twice" "$(sed -n 1p "$T_DIR/err")"

# A .npy of shape (0, 10^12) is 128 bytes: its column count must not be
# believed (it used to end in "out of memory").
/usr/bin/python3 - <<'PYEOF'
h = b"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1000000000000), }"
h += b" " * (117 - len(h)) + b"\n"
open("wide.npy", "wb").write(b"\x93NUMPY\x01\x00" + bytes([len(h), 0]) + h)
PYEOF
expect_status "npy with 10^12 columns and no rows: bad input" 2 \
    sh -c 'driftcheck --ref wide.npy <r5.jsonl'
expect_eq "says so" "driftcheck: wide.npy: npy: 1000000000000 columns; at most 1000000 features" \
    "$(cat "$T_DIR/err")"

# --p-val decides: KS of [1..5] against three zeros has p = 1/28.
printf '[0]\n[0]\n[0]\n' >zeros.jsonl
expect_status "p = 0.0357 is drift at the default --p-val 0.05" 1 \
    sh -c 'driftcheck --ref r5.jsonl <zeros.jsonl'
expect_status "and not at --p-val 0.01" 0 sh -c 'driftcheck --ref r5.jsonl --p-val 0.01 <zeros.jsonl'
expect_eq "which the record shows as the threshold" 0.01 "$(jq -r .threshold "$T_DIR/out")"

# --ref-format beats the file name: JSON lines saved as .csv.
cp r5.jsonl misnamed.csv
expect_status "with --ref-format jsonl: read as JSON lines" 0 \
    sh -c 'driftcheck --ref misnamed.csv --ref-format jsonl <r5.jsonl'
expect_eq "all 5 rows, numeric (ks)" "5 ks" "$(jq -r '"\(.n_ref) \(.method)"' "$T_DIR/out")"

# One stray text cell used to switch a numeric feature to chi2 without a
# word; then it compared it as categories with a warning. It is bad input
# (driftcheck-types.sh has the rest).
printf 'a,b\n1,2\n"1,5",3\n3,4\n4,5\n' >typo.csv
expect_status "a text cell in a numeric feature: bad input, exit 2" 2 \
    sh -c 'driftcheck --ref ref.csv <typo.csv'
expect_eq "named by line and field, with what to do" \
    "driftcheck: stdin:3: field 'a': '1,5' is not a number|driftcheck: feature 'a' has numbers and 1 text value: rows with text left out (--categorical a compares it as categories)" \
    "$(paste -sd'|' "$T_DIR/err")"
expect_eq "the feature is still tested as numbers, on the other rows" "ks 3 1" \
    "$(jq -r '"\(.features[0].method) \(.n_cur) \(.rejected)"' "$T_DIR/out")"

# Values near DBL_MAX: mmd called a NaN statistic drift, wasserstein
# divided by an Inf standard deviation and found no drift at all.
printf '[1e308]\n[-1e308]\n[1e308]\n[5]\n' >huge.jsonl
printf '[1]\n[1]\n[1]\n[1]\n' >ones.jsonl
bad=""
for m in mmd psi wasserstein js; do
	driftcheck --ref huge.jsonl --method "$m" <ones.jsonl >/dev/null 2>"$T_DIR/err"
	st=$?
	[ "$st" -eq 2 ] && grep -q "^driftcheck: values up to 1e+308 overflow $m's arithmetic" "$T_DIR/err" ||
		bad="$bad $m($st)"
done
expect_eq "mmd, psi, wasserstein, js refuse values near 1e308 (exit 2, with why)" "" "$bad"
expect_status "ks takes them" 0 sh -c 'driftcheck --ref huge.jsonl --method ks <ones.jsonl'
expect_eq "with the statistic scipy gives (0.75)" 0.75 "$(jq -r .statistic "$T_DIR/out")"

# The block estimator on blocks of one row divided by zero: a null
# statistic and a made-up p-value of 0.5.
printf '[1]\n[2]\n[3]\n' >t3.jsonl
printf '[5]\n[6]\n[7]\n' >u3.jsonl
expect_status "mmd with --max-memory 1 on 3 rows: a verdict" 1 \
    sh -c 'driftcheck --ref t3.jsonl --method mmd --max-memory 1 <u3.jsonl'
expect_eq "from the full estimator, with a finite statistic" "full true" \
    "$(jq -r '"\(.estimator) \(.statistic|type == "number")"' "$T_DIR/out")"
seq 1 7 | sed 's/.*/[&]/' >t7.jsonl
seq 3 9 | sed 's/.*/[&]/' >u7.jsonl
driftcheck --ref t7.jsonl --method mmd --max-memory 1 <u7.jsonl >"$T_DIR/out"
expect_eq "7 rows and --max-memory 1: 2 blocks of 3, a finite statistic" "block 2 true" \
    "$(jq -r '"\(.estimator) \(.blocks) \(.statistic|type == "number")"' "$T_DIR/out")"

done_testing
