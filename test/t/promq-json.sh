#!/bin/sh
# promq's output is always valid JSON with unique keys. Context fields of
# "promq -" requests named like promq's own output fields used to give
# records with two "metric" (or "value", "stream", …) keys, which statz
# then rejected; a malformed result from the server (a repeated key, both
# "value" and "values") was printed as invalid JSON with exit 0. Now a
# clash is bad input naming the field and line (2), a malformed answer an
# upstream error naming what was wrong (3). Also: a read error on stdin
# is bad input, a write error on stdout exit 4.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

cd "$T_DIR" || exit 2
start_fixture prom.py --log "$T_DIR/requests.jsonl"
prom=$FIXTURE_URL
wait_http "$prom/api/v1/targets" 10 || { not_ok "fixture Prometheus started"; done_testing; exit 1; }

# unique_json FILE: every line is one JSON value with no repeated key.
unique_json() {
	/usr/bin/python3 -c '
import json, sys
def pairs(p):
    keys = [k for k, _ in p]
    if len(keys) != len(set(keys)):
        raise ValueError("repeated key in %r" % keys)
    return dict(p)
for line in open(sys.argv[1]):
    json.loads(line, object_pairs_hook=pairs)' "$1"
}

# --- context fields named like output fields --------------------------------
for f in metric value values histogram histograms stream ts line; do
	printf '{"query":"up","%s":"mine"}\n{"query":"up","panel":7}\n' "$f" >req.jsonl
	expect_status "a request's field '$f': bad input, exit 2" 2 sh -c "promq --url '$prom' - <req.jsonl"
	expect_eq "... named with its line" \
	    "promq: stdin:1: field '$f' is a field promq writes; rename it (a record cannot hold it twice)" \
	    "$(cat "$T_DIR/err")"
	expect_eq "... the other request still answered" '{"query":"up","panel":7,"metric":{"__name__":"echo"},"value":[1795320000,2]}' \
	    "$(cat "$T_DIR/out")"
done
printf '{"query":"up","ms":1}\n' >ms.jsonl
expect_status "a request's field 'ms' with --stats: exit 2" 2 sh -c "promq --url '$prom' --stats - <ms.jsonl"
expect_match "... named" "^promq: stdin:1: field 'ms' is a field promq writes" "$(cat "$T_DIR/err")"
expect_status "... without --stats it is just context" 0 sh -c "promq --url '$prom' - <ms.jsonl"
expect_eq "... copied once" '{"query":"up","ms":1,"metric":{"__name__":"echo"},"value":[1795320000,2]}' "$(cat "$T_DIR/out")"
printf '{"query":"up","panel":7,"job":"x"}\n' >ok.jsonl
expect_status "other context fields: exit 0" 0 sh -c "promq --url '$prom' --stats - <ok.jsonl"
ok_if "... one JSON value per line, no key twice" unique_json "$T_DIR/out"

# --- malformed results from the server ----------------------------------------
# check QUERY WHAT: exit 3, nothing on stdout, the reason named.
check() {
	expect_status "a result with $2: exit 3" 3 promq --url "$prom" --retries 0 "$1"
	expect_eq "... nothing printed" "" "$(cat "$T_DIR/out")"
}
check dupkey "\"metric\" twice"
expect_eq "... says which field" "promq: 'dupkey': invalid response: a result has field 'metric' twice" "$(cat "$T_DIR/err")"
check bothvalues "both \"value\" and \"values\""
expect_eq "... says so" "promq: 'bothvalues': invalid response: a result has both 'value' and 'values'" "$(cat "$T_DIR/err")"
check extraquery "a member named like the record's \"query\""
expect_eq "... says so" "promq: 'extraquery': invalid response: a result has a field 'query', which the record has already" \
    "$(cat "$T_DIR/err")"
check escdup "\"value\" twice, once escaped"
expect_eq "... decoded, the same key" "promq: 'escdup': invalid response: a result has field 'value' twice" "$(cat "$T_DIR/err")"
check dupextra "another member twice"
expect_eq "... says which" "promq: 'dupextra': invalid response: a result has field 'x' twice" "$(cat "$T_DIR/err")"
printf '{"query":"extra","x":1}\n' >x.jsonl
expect_status "a result's own member named like a request's context field: exit 3" 3 \
    sh -c "promq --url '$prom' --retries 0 - <x.jsonl"
expect_eq "... says so" "promq: 'extra': invalid response: a result has a field 'x', which the record has already" \
    "$(cat "$T_DIR/err")"
expect_status "a member of its own, no clash: passed through" 0 promq --url "$prom" extra
expect_eq "... once" '{"query":"extra","metric":{},"x":{"y":1},"value":[1795320000,1]}' "$(cat "$T_DIR/out")"
expect_status "and with --stats: exit 0" 0 promq --url "$prom" --stats extra
ok_if "... valid JSON, unique keys" unique_json "$T_DIR/out"

# --- read and write errors ------------------------------------------------------
expect_status "requests from a directory: exit 2" 2 sh -c "promq --url '$prom' - </"
expect_eq "... naming the input" "promq: stdin: read error: Is a directory" "$(cat "$T_DIR/err")"
expect_status "stdout on /dev/full: exit 4 (EXIT_LOCAL)" 4 sh -c "promq --url '$prom' up >/dev/full"
expect_match "... saying so" "No space left on device" "$(cat "$T_DIR/err")"

done_testing
