#!/bin/sh
# driftcheck against sloppy input found in review: a series record with an
# infinite sample, CSV from Excel (UTF-8 byte order mark), bare numbers
# that auto-detection would take for a CSV header, repeated --features.
# Nothing may vanish silently.
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

done_testing
