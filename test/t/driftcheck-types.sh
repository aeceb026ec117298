#!/bin/sh
# driftcheck: what makes a feature numeric or categorical, and what its
# exit status says when input is partly bad. One "N/A" in a column of
# numbers used to turn it into categories and a shift of 1000 into "no
# drift" (exit 0), which the drift flow exported as opspipe_drift_detected
# 0. Also: chi2 over hundreds of values, hex in CSV, .npy rows counted
# from 1, read and write errors, and the error path that leaked.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

cd "$T_DIR" || exit 2

# ref: 1..200; cur: 1001..1200, with "N/A" on data line 50 (line 51 of
# the CSV, after its header).
awk 'BEGIN { print "a"; for (i = 1; i <= 200; i++) print i }' >ref.csv
awk 'BEGIN { print "a"; for (i = 1; i <= 200; i++) print (i == 50 ? "N/A" : 1000 + i) }' >cur.csv
awk 'BEGIN { for (i = 1; i <= 200; i++) printf "{\"a\":%d}\n", i }' >ref.jsonl
awk 'BEGIN { for (i = 1; i <= 200; i++)
	if (i == 50) print "{\"a\":\"N/A\"}"; else printf "{\"a\":%d}\n", 1000 + i }' >cur.jsonl

expect_status "csv: a shift of 1000 with one N/A is drift (exit 1), not categories" 1 \
    sh -c 'driftcheck --ref ref.csv <cur.csv'
expect_eq "... tested with ks on the 199 good rows, the bad one counted" "true ks 199 1" \
    "$(jq -r '"\(.drift) \(.features[0].method) \(.n_cur) \(.rejected)"' "$T_DIR/out")"
expect_eq "... the N/A named by line and field" "driftcheck: stdin:51: field 'a': 'N/A' is not a number" \
    "$(sed -n 1p "$T_DIR/err")"
expect_status "json lines: the same shift with one \"N/A\" is drift too" 1 \
    sh -c 'driftcheck --ref ref.jsonl <cur.jsonl'
expect_eq "... ks, the bad line counted" "true ks 1" \
    "$(jq -r '"\(.drift) \(.features[0].method) \(.rejected)"' "$T_DIR/out")"
expect_eq "... and named" "driftcheck: stdin:50: field 'a': 'N/A' is not a number" \
    "$(sed -n 1p "$T_DIR/err")"
expect_status "--drop-nan drops the text row instead: drift, exit 1" 1 \
    sh -c 'driftcheck --ref ref.csv --drop-nan <cur.csv'
expect_eq "... counted as dropped, not rejected, and not reported" "1 null " \
    "$(jq -r '"\(.dropped) \(.rejected)"' "$T_DIR/out") $(cat "$T_DIR/err")"

# Exit status when rows were left out: drift found on the good rows is
# drift (1); no drift is not a clean bill (2); the verdict is printed
# either way.
awk 'BEGIN { print "a"; for (i = 1; i <= 200; i++) print (i == 50 ? "N/A" : i) }' >same.csv
expect_status "no drift with a rejected row: exit 2" 2 sh -c 'driftcheck --ref ref.csv <same.csv'
expect_eq "... the verdict is still printed, with the count" "false 1" \
    "$(jq -r '"\(.drift) \(.rejected)"' "$T_DIR/out")"
expect_status "no drift, all rows good: exit 0" 0 sh -c 'driftcheck --ref ref.csv <ref.csv'
expect_eq "... and no rejected field" null "$(jq -r .rejected "$T_DIR/out")"

# Categorical: declared, or text in every row of both samples.
printf 'zone,lat\n1,10\n2,11\n1,12\n2,13\n1,10\n2,11\n' >zr.csv
printf 'zone,lat\n1,10\n1,11\n1,12\n1,13\n1,10\n2,11\n' >zc.csv
expect_status "--categorical zone compares numeric codes as categories" 0 \
    sh -c 'driftcheck --ref zr.csv --categorical zone <zc.csv'
expect_eq "... zone by chi2, lat by ks" "zone chi2 2|lat ks null" \
    "$(jq -r '[.features[] | "\(.name) \(.method) \(.dof // 1 | . + 1)"] | join("|")' "$T_DIR/out" |
        sed 's/ks [0-9]*$/ks null/')"
printf 'c\nred\nblue\nred\nblue\n' >cr.csv
printf 'c\nred\nred\nred\nblue\n' >cc.csv
expect_status "text in every row of both samples is categorical without asking" 0 \
    sh -c 'driftcheck --ref cr.csv <cc.csv'
expect_eq "... tested by chi2" chi2 "$(jq -r '.features[0].method' "$T_DIR/out")"
# Numbers spelled with a decimal comma (a European export) are text in
# every row, and were compared as categories without a word: a numeric
# feature switched to chi2 (and psi, wasserstein or a threshold chosen for
# numbers did not apply). They are refused unless declared categorical.
/usr/bin/python3 - <<'PY'
import json, random
r = random.Random(3)
for name, mu in (("dref", 5.0), ("dcur", 5.3)):
    vals = [round(r.gauss(mu, 1), 1) for _ in range(500)]
    with open(name + ".jsonl", "w") as f:
        for v in vals:
            f.write(json.dumps({"load": ("%.1f" % v).replace(".", ",")}) + "\n")
    with open(name + ".csv", "w") as f:
        f.write("load,pod\n" + "".join('"%s",p%d\n' % (("%.1f" % v).replace(".", ","), i % 3)
                                        for i, v in enumerate(vals)))
PY
for f in jsonl csv; do
	expect_status "$f: every value a number with a decimal comma: refused (exit 2), not categories" 2 \
	    sh -c "driftcheck --ref dref.$f <dcur.$f"
	expect_match "... saying which feature and why" \
	    "^driftcheck: feature 'load': every value is text, but values like '[0-9-]+,[0-9]' are numbers written another way" \
	    "$(cat "$T_DIR/err")"
	expect_eq "... and no verdict" "" "$(cat "$T_DIR/out")"
done
driftcheck --ref dref.jsonl --categorical load <dcur.jsonl >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--categorical load compares them as categories, as asked" "chi2|" \
    "$(jq -r '.features[0].method' "$T_DIR/out")|$(cat "$T_DIR/err")"
printf 'v\n"1.234.567"\n"2.345.678"\n' >thou.csv
expect_status "thousands separators are numbers written another way too" 2 sh -c 'driftcheck --ref thou.csv <thou.csv'
printf 'band\n18-25\n26-40\n18-25\n41-65\n' >bands.csv
expect_status "ranges (age bands) are categories" 0 sh -c 'driftcheck --ref bands.csv <bands.csv'
expect_eq "... by chi2" chi2 "$(jq -r '.features[0].method' "$T_DIR/out")"
expect_status "--categorical naming no feature: exit 2" 2 \
    sh -c 'driftcheck --ref zr.csv --categorical nope <zc.csv'
expect_eq "... says so" "driftcheck: --categorical names 'nope', which is no feature of the samples" \
    "$(cat "$T_DIR/err")"
expect_status "--categorical a,a: usage error" 2 driftcheck --ref zr.csv --categorical a,a
expect_status "a declared categorical feature with ks: exit 2" 2 \
    sh -c 'driftcheck --ref zr.csv --categorical zone --method ks <zc.csv'
expect_match "... says ks needs numbers" "feature 'zone' is categorical: ks needs numbers" \
    "$(cat "$T_DIR/err")"

# chi2 over hundreds of values is refused: its cells are far too small.
expect_status "--categorical on 400 distinct values: refused, exit 2" 2 \
    sh -c 'driftcheck --ref ref.csv --categorical a <cur.csv'
expect_eq "... with the count, the limit and the way out" \
    "driftcheck: feature 'a' has 400 distinct values: chi2 compares at most 100 categories (--max-categories); test numbers with ks" \
    "$(tail -n 1 "$T_DIR/err")"
expect_eq "... and no verdict" "" "$(cat "$T_DIR/out")"
expect_status "--method chi2 on a numeric feature with 400 values: refused too" 2 \
    sh -c 'driftcheck --ref ref.csv --method chi2 <same.csv'
# Allowed, it shows why: 400 categories seen once each hide a shift of
# 1000 entirely.
expect_status "--max-categories 1000 allows it" 0 \
    sh -c 'driftcheck --ref ref.csv --categorical a --max-categories 1000 <cur.csv'
expect_eq "... and chi2 then sees no drift in a shift of 1000" "chi2 false" \
    "$(jq -r '"\(.method) \(.drift)"' "$T_DIR/out")"
expect_status "--max-categories 1: usage error" 2 driftcheck --ref ref.csv --max-categories 1

# Numbers in CSV are decimal, as in the JSON strings every reader takes:
# strtod alone read "0x10" as 16.
printf 'a\n1\n2\n3\n16\n' >small.csv
printf 'a\n0x10\n1\n2\n3\n' >hex.csv
expect_status "csv: 0x10 is not a number" 2 sh -c 'driftcheck --ref small.csv <hex.csv'
expect_eq "... and says so" "driftcheck: stdin:2: field 'a': '0x10' is not a number" \
    "$(sed -n 1p "$T_DIR/err")"
printf 'a\n1.5\n-2000\n3\n' >dec-ref.csv
printf 'a\n 1.5 \n-2e3\n+3\nNaN\n' >dec.csv
expect_status "csv: ' 1.5 ', '-2e3', '+3' are numbers, NaN a NaN" 2 sh -c 'driftcheck --ref dec-ref.csv <dec.csv'
expect_eq "... only the NaN row is rejected" "driftcheck: stdin:5: field 'a': NaN|3" \
    "$(cat "$T_DIR/err")|$(jq -r .n_cur "$T_DIR/out")"

# .npy rows count from 1, as lines do.
/usr/bin/python3 -c '
import numpy as np
np.save("nan.npy", np.array([[np.nan], [1.0], [2.0], [3.0]]))'
printf '[1]\n[2]\n[3]\n' >three.jsonl
expect_status "npy: a NaN in the first row: exit 2" 2 sh -c 'driftcheck --ref nan.npy <three.jsonl'
expect_eq "... called row 1" "driftcheck: nan.npy: row 1: field '0': NaN" "$(cat "$T_DIR/err")"

# Read and write errors.
expect_status "stdin a directory: exit 2" 2 sh -c 'driftcheck --ref ref.csv </'
expect_eq "... naming the input" "driftcheck: stdin: read error: Is a directory" "$(cat "$T_DIR/err")"
expect_status "stdout on /dev/full: exit 4 (EXIT_LOCAL)" 4 \
    sh -c 'driftcheck --ref ref.csv <ref.csv >/dev/full'
expect_match "... saying so" "^driftcheck: write error on stdout: No space left on device$" "$(cat "$T_DIR/err")"
# Under `make check SANITIZE=1` a leak makes the status 23: --features was
# not freed when --ref could not be read.
expect_status "an unreadable --ref with --features: exit 2, nothing leaked" 2 \
    driftcheck --ref ./nonexistent --features a,b
expect_status "an unreadable stdin sample with --categorical: exit 2, nothing leaked" 2 \
    sh -c 'driftcheck --ref ref.csv --features a --categorical a </'

# Options share the library's messages.
expect_status "--method with a typo: exit 2" 2 driftcheck --ref ref.csv --method kss
expect_eq "... listing the choices" "driftcheck: invalid --method 'kss': expected auto, ks, mmd, psi, wasserstein, chi2 or js" \
    "$(sed -n 1p "$T_DIR/err")"
expect_status "--max-memory 1.5g is a size" 0 sh -c 'driftcheck --ref ref.csv --max-memory 1.5g <ref.csv'
expect_status "--max-memory 12X is not" 2 driftcheck --ref ref.csv --max-memory 12X
expect_match "... said the way every size is" "invalid --max-memory '12X': invalid \(a size like 512K" \
    "$(sed -n 1p "$T_DIR/err")"

done_testing
