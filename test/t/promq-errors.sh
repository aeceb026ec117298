#!/bin/sh
# promq's error paths and protocol details against test/fixtures/prom.py,
# which records every request it gets.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
OPSPIPE_RETRY_BASE=0.01
export OPSPIPE_RETRY_BASE
log=$T_DIR/requests.jsonl
start_fixture prom.py --log "$log"
PROMETHEUS_URL=$FIXTURE_URL
export PROMETHEUS_URL
O=$T_DIR/out

# requests_for QUERY: how many requests carried QUERY.
requests_for() {
	jq -r --arg q "$1" 'select(.params.query == [$q]) | .method' "$log" | wc -l | tr -d ' '
}

expect_status "503 then 200: retried, exit 0" 0 promq flaky
expect_eq "503 then 200: the answer" \
	'{"query":"flaky","metric":{"__name__":"echo"},"value":[1795320000,5]}' "$(cat "$O")"
expect_eq "503 then 200: two requests" "2" "$(requests_for flaky)"

expect_status "503 every time: exit 3" 3 promq --retries 2 down
expect_match "503: errorType and message, after the retries" \
	"^promq: 'down': unavailable: down for maintenance \(HTTP 503, after 3 attempts\)" "$(cat "$T_DIR/err")"
expect_eq "503 every time: 1 + 2 retries" "3" "$(requests_for down)"

expect_status "bad_data exits 2" 2 promq bad
expect_match "bad_data: errorType and message" "^promq: 'bad': bad_data: 1:1: parse error" "$(cat "$T_DIR/err")"
expect_eq "bad_data is not retried" "1" "$(requests_for bad)"
expect_status "422 execution error exits 3" 3 promq exec
expect_match "execution: errorType shown" "execution: query processing" "$(cat "$T_DIR/err")"
expect_status "a non-JSON 200 exits 3" 3 promq html
expect_match "non-JSON: says so, and what came" "'html': HTTP 200 from .* is not JSON \\(invalid JSON.*\\): 37 bytes of application/json beginning '<html><body>proxy error" "$(cat "$T_DIR/err")"
expect_status "a truncated body exits 3" 3 promq truncated
expect_match "truncated: says so" "'truncated': HTTP 200 from .* is not JSON \\(invalid JSON: document ends early" "$(cat "$T_DIR/err")"
expect_status "a sample that is not a number exits 3" 3 promq badvalue

expect_status "warnings and infos: exit 0" 0 promq warn
expect_eq "warnings and infos go to stderr" \
	"promq: warning: 'warn': results may be partial|promq: info: 'warn': metric might not be a counter" \
	"$(paste -sd'|' "$T_DIR/err")"
expect_eq "warnings: stdout has only the data" "1" "$(wc -l <"$O" | tr -d ' ')"

expect_status "native histogram, instant" 0 promq native
expect_eq "native histogram sample passed through" \
	'{"query":"native","metric":{"__name__":"h"},"histogram":[1795320000,{"count":"10","sum":"3.5","buckets":[[0,"0.5","1","4"],[0,"1","2","6"]]}]}' \
	"$(cat "$O")"
expect_status "native histograms, range" 0 promq --since 1m native
expect_eq "native histograms: both samples" "2" "$(jq '.histograms | length' "$O")"

: >"$log"
promq --time 1795320000 short >/dev/null
expect_eq "a short query is a GET with time in seconds" 'GET ["short"] ["1795320000.000"]' \
	"$(jq -r '"\(.method) \(.params.query|tojson) \(.params.time|tojson)"' "$log")"
long=$(/usr/bin/python3 -c 'print("x" * 3000)')
: >"$log"
promq "$long" >"$O"
expect_eq "a long query is a POST form" "POST /api/v1/query 3000" \
	"$(jq -r '"\(.method) \(.path) \(.params.query[0] | length)"' "$log")"
expect_eq "a long query: the answer" "3000" "$(jq -r '.value[1]' "$O")"

: >"$log"
promq --start 2026-11-22T00:00:00Z --end 2026-11-22T01:00:00.5Z --step 90s q >/dev/null
expect_eq "range parameters: start, end, step in seconds" \
	'/api/v1/query_range 1795305600.000 1795309200.500 90.000' \
	"$(jq -r '"\(.path) \(.params.start[0]) \(.params.end[0]) \(.params.step[0])"' "$log")"

: >"$log"
promq --jobs 2 --start 0 --end 33000 --step 1s q >/dev/null
expect_eq "33,001 points at 1s: 3 chunks that meet exactly" \
	'0.000-10999.000 11000.000-21999.000 22000.000-32999.000 33000.000-33000.000' \
	"$(jq -r '"\(.params.start[0])-\(.params.end[0])"' "$log" | sort -n | paste -sd' ' -)"

: >"$log"
promq --series --start 0 --end 60 up '{job="a"}' 2>/dev/null
expect_eq "--series: match[] per selector, with the range" \
	'/api/v1/series ["up","{job=\"a\"}"] 0.000 60.000' \
	"$(jq -r '"\(.path) \(.params["match[]"] | tojson) \(.params.start[0]) \(.params.end[0])"' "$log")"
: >"$log"
promq --label-values 'a b/c' 2>/dev/null
expect_eq "--label-values: the name is escaped into the path" '/api/v1/label/a%20b%2Fc/values' \
	"$(jq -r .path "$log")"

expect_status "--targets: a target down exits 1" 1 promq --targets
expect_eq "--targets: every active target is a record" "up down" \
	"$(jq -r .health "$O" | paste -sd' ' -)"
expect_match "--targets: the down target is named on stderr" \
	"^promq: target 'http://b/metrics' is down: connection refused" "$(cat "$T_DIR/err")"

promq --jobs 3 slow1 slow2 slow3 slow4 slow5 slow6 >"$O"
expect_eq "--jobs 3: three queries at once" '{"max_inflight":3}' \
	"$(curl -s "$PROMETHEUS_URL/stats" | jq -c .)"
expect_eq "--jobs 3: output in argument order" "slow1 slow2 slow3 slow4 slow5 slow6" \
	"$(jq -r .query "$O" | paste -sd' ' -)"

# Memory is bounded by one series, not by the response: 2,000 series of
# 600 points (about 30 MB of JSON) must not need 30 MB. (Not under ASan,
# whose shadow memory says nothing about ours.)
case ${OPSPIPE_BUILD:-} in
*asan*)
	skip_allowed "a 30 MB answer in bounded memory" \
	    "under ASan the peak RSS is the sanitizer's; the plain suite checks it"
	;;
*)
	/usr/bin/python3 - "$T_DIR/big.json" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('{"status":"success","data":{"resultType":"matrix","result":[')
    for s in range(2000):
        vals = ",".join('[%d,"%d.%03d"]' % (1795320000 + 60 * k, s, k) for k in range(600))
        f.write('%s{"metric":{"__name__":"big","pod":"pod-%04d"},"values":[%s]}'
                % ("," if s else "", s, vals))
    f.write("]}}")
PY
	start_fixture prom.py --body "$T_DIR/big.json"
	/usr/bin/time -f '%M' -o "$T_DIR/rss" promq --url "$FIXTURE_URL" \
		--since 10h big >"$O"
	expect_eq "a 30 MB answer: every series and sample" "2000 1200000" \
		"$(jq -s '"\(length) \([.[].values | length] | add)"' -r "$O")"
	expect_eq "a 30 MB answer: values transcoded exactly" '[1795320060,1999.001]' \
		"$(tail -n 1 "$O" | jq -c '.values[1]')"
	ok_if "a 30 MB answer in less than 20 MB of memory ($(cat "$T_DIR/rss") KB)" \
		[ "$(cat "$T_DIR/rss")" -lt 20480 ]
	;;
esac

expect_status "'-' must be the only operand" 2 promq up -

promq --header 'X-Scope-OrgID: tenant1' --token s3cret --retries 0 down 2>"$T_DIR/err"
expect_eq "secrets stay out of messages" "" "$(grep -c s3cret "$T_DIR/err" | grep -v '^0$')"
done_testing
