#!/bin/sh
# promq against hostile numbers found in review: times and steps so large
# that milliseconds overflow. They used to wrap silently (a huge --step
# became 1 ms and fetched millions of points); now they are usage errors
# or bad request records, before any request is sent.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

cd "$T_DIR" || exit 2
# Nothing listens here: a request would exit 3, not 2.
dead=http://127.0.0.1:1

expect_status "a step of 1e23 seconds: usage error" 2 \
    promq --url "$dead" --retries 0 --since 1h --step 99999999999999999999999 up
expect_eq "says so" "promq: the step is too large" "$(sed -n 1p "$T_DIR/err")"
expect_status "a start in the year 1e292: usage error" 2 \
    promq --url "$dead" --retries 0 --start 1e300 --end 2e300 up
expect_eq "says so" "promq: the range reaches beyond the years 1 to 9999" \
    "$(sed -n 1p "$T_DIR/err")"
expect_status "--time 1e300: usage error" 2 promq --url "$dead" --retries 0 --time 1e300 up
expect_eq "says so" "promq: the time is out of range (years 1 to 9999)" \
    "$(sed -n 1p "$T_DIR/err")"
expect_status "--minutes near LLONG_MAX/60: usage error" 2 \
    promq --url "$dead" --retries 0 --minutes 99999999999999 up
expect_status "the largest sane range still goes out (exit 3 here)" 3 \
    promq --url "$dead" --retries 0 --start 0001-01-01T00:00:00Z --end 9999-12-31T00:00:00Z up

printf '%s\n' '{"query":"up","step":1e30,"since":"1h"}' '{"query":"up","time":1e30}' >req.jsonl
expect_status "request records with such numbers: bad input" 2 \
    sh -c "promq --url '$dead' --retries 0 - <req.jsonl"
expect_eq "each named by its line" \
    "promq: stdin:1: the step is too large|promq: stdin:2: the time is out of range (years 1 to 9999)" \
    "$(paste -sd'|' "$T_DIR/err")"

# Conflicting ranges: the command line refused --since with --start but
# let --minutes silently replace --since; request records took any mix.
expect_status "--since with --minutes: usage error" 2 \
    promq --url "$dead" --retries 0 --since 1h --minutes 5 up
expect_eq "says so" "promq: --since and --minutes exclude each other" "$(sed -n 1p "$T_DIR/err")"
printf '%s\n' '{"query":"up","since":"1h","start":"now-2h"}' \
    '{"query":"up","time":"now","minutes":5}' '{"query":"up","minutes":"5m"}' >mix.jsonl
expect_status "request records with conflicting or unit-spelled fields: bad input" 2 \
    sh -c "promq --url '$dead' --retries 0 - <mix.jsonl"
expect_eq "each named by its line" \
    "promq: stdin:1: fields 'time', 'since', 'minutes' and 'start' exclude each other|promq: stdin:2: fields 'time', 'since', 'minutes' and 'start' exclude each other|promq: stdin:3: field 'minutes' is not a valid time or duration" \
    "$(paste -sd'|' "$T_DIR/err")"

# A request line that is JSON but no object was reported as a missing
# 'query' field.
printf '%s\n' '[1,2]' '{"query":5}' >notobj.jsonl
expect_status "non-object request lines: bad input" 2 \
    sh -c "promq --url '$dead' --retries 0 - <notobj.jsonl"
expect_eq "says what the line is, and what the field is" \
    "promq: stdin:1: a request is a JSON object, not array|promq: stdin:2: field 'query' is missing or not a string" \
    "$(paste -sd'|' "$T_DIR/err")"

expect_status "--label-values '': usage error, not a 404 (exit 3)" 2 \
    promq --url "$dead" --retries 0 --label-values ''
expect_eq "says so" "promq: --label-values needs a label name" "$(sed -n 1p "$T_DIR/err")"

# A response nested 100,000 deep: refused, and the message is one line,
# not the 200 KB of brackets jq quotes back.
/usr/bin/python3 -c '
d = 100000
open("deep.json", "w").write("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"a\":" + "[" * d + "]" * d + "},\"values\":[[1,\"1\"]]}]}}")'
# serve FILE: a prom.py answering every range query with FILE; sets $url.
serve() {
	start_fixture prom.py --body "$1"
	url=$FIXTURE_URL
}
serve deep.json
expect_status "a response nested 100,000 deep: upstream failure" 3 \
    promq --url "$url" --retries 0 --since 1h up
expect_status "--max-response 1K on a 200 KB answer: upstream failure" 3 \
    promq --url "$url" --retries 0 --max-response 1K --since 1h up
expect_match "names the cap" "response larger than 1024 bytes \(--max-response\)" "$(cat "$T_DIR/err")"
promq --url "$url" --retries 0 --since 1h up >/dev/null 2>"$T_DIR/err"
expect_match "reported in one short line" "^promq: 'up': invalid response: Exceeds depth limit" "$(cat "$T_DIR/err")"
ok_if "of at most 300 bytes" [ "$(wc -c <"$T_DIR/err")" -le 300 ]

# "{}" (a proxy's own JSON, say) passed as an empty result, exit 0.
printf '{}' >empty.json
serve empty.json
expect_status "a 200 answer without \"status\":\"success\": upstream failure" 3 \
    promq --url "$url" --retries 0 --since 1h up
expect_eq "says so" "promq: 'up': invalid response: no \"status\":\"success\"" "$(cat "$T_DIR/err")"

# A base URL with its own query (a proxy's tenant parameter) once got
# the API path glued after the query: every request went astray.
need_prometheus
end=$(cat "$OPSPIPE_TEST_PROM/end")
expect_status "--url with a query string still reaches the API" 0 \
    promq --url "$PROMETHEUS_URL/?tenant=a" --time "$end" 'count(up)'
expect_eq "and answers" '2' "$(jq -c '.value[1]' "$T_DIR/out")"

done_testing
