#!/bin/sh
# opspipe-drift's error paths found in review: a query promq refuses is
# the caller's mistake (exit 2), not an upstream failure (3); an
# unreadable --cur is reported in the program's own words.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

cd "$T_DIR" || exit 2
printf '[1]\n[2]\n[3]\n' >r.jsonl
# Nothing listens here: reaching it would be exit 3.
PROMETHEUS_URL=http://127.0.0.1:1
export PROMETHEUS_URL

expect_status "a --since promq refuses: exit 2" 2 \
    opspipe-drift --ref-query up --cur-query up --since bogus
expect_eq "names the query promq refused" "opspipe-drift: promq refused the reference query" \
    "$(tail -n 1 "$T_DIR/err")"
expect_status "an unreachable Prometheus: exit 3" 3 \
    opspipe-drift --ref r.jsonl --cur-query up --since 5m
expect_eq "names the failing query" "opspipe-drift: promq failed for the current query" \
    "$(tail -n 1 "$T_DIR/err")"
expect_status "an unreadable --cur: exit 2" 2 opspipe-drift --ref r.jsonl --cur ./nonexistent
expect_eq "in the program's words" "opspipe-drift: cannot read --cur './nonexistent'" \
    "$(cat "$T_DIR/err")"

# conventions.sh covers the C programs; the flow script keeps the same
# promise: --help and the man page list the same options.
long_opts() {
	grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}
expect_status "opspipe-drift --help exits 0" 0 opspipe-drift --help
help_opts=$(sed -n '/^Options:/,$p' "$T_DIR/out" | long_opts)
man_opts=$(mandoc -Tascii "$OPSPIPE_TOP/share/man/man1/opspipe-drift.1" 2>/dev/null | col -b |
    sed -n '/^OPTIONS/,/^[A-Z][A-Z ]*$/p' | long_opts)
expect_eq "opspipe-drift: --help and the man page list the same options" "$help_opts" "$man_opts"
expect_eq "opspipe-drift.1 lints clean" "" \
    "$(mandoc -Tlint -W warning "$OPSPIPE_TOP/share/man/man1/opspipe-drift.1" 2>&1)"
expect_status "opspipe-drift --version" 0 opspipe-drift --version
expect_eq "prints the version" "opspipe-drift (opspipe) $opspipe_version" "$(cat "$T_DIR/out")"

# stdout on a full disk: the verdict is lost, so the run failed, and
# this machine is at fault: EXIT_LOCAL (4), not bad input.
expect_status "stdout on /dev/full: exit 4" 4 \
    sh -c 'opspipe-drift --ref r.jsonl --cur r.jsonl >/dev/full'
expect_match "says so" "^opspipe-drift: cannot write the verdict$" "$(tail -n 1 "$T_DIR/err")"

done_testing
