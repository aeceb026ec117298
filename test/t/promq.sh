#!/bin/sh
# promq against the harness' real Prometheus: exact values from the
# generator's samples.jsonl (see test/prom/gen.py for the data).
. "${OPSPIPE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/test/lib.sh"
need_prometheus
S=$OPSPIPE_TEST_PROM/samples.jsonl
E=$(cat "$OPSPIPE_TEST_PROM/end")
O=$T_DIR/out

# want NAME_SELECT JQ_FILTER: the raw samples of series whose
# __name__ is NAME, values filtered by JQ_FILTER, sorted by labels.
want() {
	jq -Sc --argjson e "$E" "select(.metric.__name__ == \"$1\") |
	    {metric, values: [.values[] | $2]}" "$S" | sort
}
got() {
	jq -Sc '{metric, values}' "$1" | sort
}

# --- instant queries ---------------------------------------------------
expect_status "instant query exits 0" 0 promq --time "$E" opspipe_test_gauge
jq -Sc '{metric, value}' "$T_DIR/out" | sort >"$O.got"
jq -Sc --argjson e "$E" 'select(.metric.__name__ == "opspipe_test_gauge") |
    {metric, value: (.values[] | select(.[0] == $e))}' "$S" | sort >"$O.want"
expect_eq "instant: one record per series, exact values" \
	"$(cat "$O.want")" "$(cat "$O.got")"
expect_eq "instant: each record carries its query" "3" \
	"$(jq -r 'select(.query == "opspipe_test_gauge") | .query' "$T_DIR/out" | wc -l | tr -d ' ')"

rfc=$(date -u -d "@$E" +%Y-%m-%dT%H:%M:%SZ)
promq --time "$rfc" 'opspipe_test_irregular[10m]' >"$O" 2>&1
expect_eq "instant of a range selector gives raw samples, ms timestamps" \
	"$(want opspipe_test_irregular "select(.[0] >= \$e - 600)")" "$(got "$O")"
expect_match "millisecond timestamps are kept" '[0-9]{10}\.[0-9]{1,3},' "$(cat "$O")"

promq --time "$E" 'opspipe_test_special[3h]' >"$O"
expect_eq "NaN, +Inf and -Inf come as strings, exactly" \
	"$(want opspipe_test_special "select(.[0] >= \$e - 10800)")" "$(got "$O")"
expect_eq "all three special spellings appear" '["+Inf","-Inf","NaN"]' \
	"$(jq -c '[.values[][1] | strings] | unique' "$O" | jq -sc 'add | unique')"

promq --time "$E" 'scalar(count(up))' '"hello"' >"$O"
expect_eq "a scalar result is one record" \
	"{\"query\":\"scalar(count(up))\",\"metric\":{},\"value\":[$E,2]}" "$(sed -n 1p "$O")"
expect_eq "a string result is one record" \
	"{\"query\":\"\\\"hello\\\"\",\"metric\":{},\"value\":[$E,\"hello\"]}" "$(sed -n 2p "$O")"

promq --time "$E" 'resets(opspipe_test_requests_total[6h])' >"$O"
expect_eq "the counter reset is in the data" "1" "$(jq -r '.value[1]' "$O")"

gap=$((E - 5400))
promq --time "$gap" 'opspipe_test_gappy[1h]' >"$O"
expect_eq "the 30-minute gap comes back as it is" \
	"$(want opspipe_test_gappy "select(.[0] >= $gap - 3600 and .[0] <= $gap)")" "$(got "$O")"

# --- range queries -----------------------------------------------------
promq --start $((E - 1800)) --end "$E" --step 15s opspipe_test_gauge >"$O"
expect_eq "range at the data's own step gives its exact samples" \
	"$(want opspipe_test_gauge "select(.[0] >= \$e - 1800)")" "$(got "$O")"

promq --start $((E - 3600)) --end "$E" 'opspipe_test_gauge{instance="a"}' >"$O"
expect_eq "default step: about 250 points (3600/250 -> 14s)" "258 14" \
	"$(jq -r '[(.values | length), (.values[1][0] - .values[0][0])] | join(" ")' "$O")"
promq --minutes 30 'vector(1)' >"$O"
expect_eq "--minutes 30: 7s step, 258 points" "258 7" \
	"$(jq -r '[(.values | length), (.values[1][0] - .values[0][0] | round)] | join(" ")' "$O")"
promq --since 30m --step 1m 'vector(1)' >"$O"
expect_eq "--since with --step" "31 60" \
	"$(jq -r '[(.values | length), (.values[1][0] - .values[0][0] | round)] | join(" ")' "$O")"

# 14,001 points at step 1s: two chunks (11,000 + 3,001), stitched.
promq --start $((E - 14000)) --end "$E" --step 1s opspipe_test_fine >"$O"
expect_eq "a 14,001-point range is stitched into one record" "1" "$(wc -l <"$O" | tr -d ' ')"
expect_eq "chunked range: every raw sample, exactly" \
	"$(want opspipe_test_fine "select(.[0] >= \$e - 14000)")" "$(got "$O")"
expect_eq "chunked range: no duplicated timestamp" "14001" \
	"$(jq '[.values[][0]] | unique | length' "$O")"

promq --start $((E - 23000)) --end "$E" --step 1s 'opspipe_test_gauge' >"$O"
# The gauge starts at END - 6h: 21,601 of the 23,001 steps per series.
expect_eq "three chunks: gauge series and points at 1s over 23,000s" "3 64803" \
	"$(jq -s '[length, ([.[].values | length] | add)] | join(" ")' -r "$O")"
expect_eq "three chunks: steps are all exactly 1s" "[1]" \
	"$(jq -c '[.values as $v | range(1; $v | length) | $v[.][0] - $v[. - 1][0]] | unique' "$O" | sort -u)"

# --- several queries, stdin --------------------------------------------
promq --jobs 3 --time "$E" 'vector(1)' 'count(up)' 'vector(3)' 'opspipe_test_gauge' 'vector(5)' >"$O"
expect_eq "concurrent queries print in argument order" \
	'vector(1) count(up) vector(3) opspipe_test_gauge opspipe_test_gauge opspipe_test_gauge vector(5)' \
	"$(jq -r .query "$O" | tr '\n' ' ' | sed 's/ $//')"

printf '%s\n' \
	"{\"query\":\"count(up)\",\"time\":$E,\"panel\":7,\"tags\":[\"a\"]}" \
	'{"query":1}' \
	"{\"query\":\"opspipe_test_gauge{instance=\\\"b\\\"}\",\"start\":$((E - 30)),\"end\":$E,\"step\":\"15s\",\"panel\":8}" \
	'{"query":"vector(1)","since":"bogus"}' \
	"{\"query\":\"vector(2)\",\"time\":\"$rfc\"}" >"$T_DIR/req"
promq - <"$T_DIR/req" >"$O" 2>"$T_DIR/err"
expect_eq "stdin: a bad request line means exit 2" "2" "$?"
expect_eq "stdin: context fields are copied into every record" \
	"{\"query\":\"count(up)\",\"panel\":7,\"tags\":[\"a\"],\"metric\":{},\"value\":[$E,2]}" "$(sed -n 1p "$O")"
expect_eq "stdin: a range request" \
	"$(jq -c --argjson e "$E" 'select(.metric.instance == "b") | [.values[] | select(.[0] >= $e - 30)]' "$S")" \
	"$(jq -c 'select(.panel == 8) | .values' "$O")"
expect_eq "stdin: the good lines still run" "3" "$(wc -l <"$O" | tr -d ' ')"
expect_match "stdin: a bad line is reported with its number" "stdin:2: .*query" "$(cat "$T_DIR/err")"
expect_match "stdin: a bad duration is reported with its number" "stdin:4: .*since" "$(cat "$T_DIR/err")"

promq --stats --time "$E" 'count(up)' 'vector(1)' >"$O"
expect_eq "--stats adds ms to every record" "true true" \
	"$(jq -r '(.ms | type == "number" and . >= 0)' "$O" | tr '\n' ' ' | sed 's/ $//')"

# A query longer than fits a URL comfortably goes as a POST form.
long="count(up)$(i=0; while [ $i -lt 150 ]; do printf ' + 0 * vector(1)'; i=$((i + 1)); done)"
promq --time "$E" "$long" >"$O"
expect_eq "a 2,400-byte query works (POST form)" "2" "$(jq -r '.value[1]' "$O")"

# --- metadata ------------------------------------------------------------
promq --series 'up' '{job="gappy"}' >"$O"
expect_eq "--series lists matching series" \
	'{"metric":{"__name__":"opspipe_test_gappy","job":"gappy"}} {"metric":{"__name__":"up","instance":"node-a:9100","job":"node"}} {"metric":{"__name__":"up","instance":"node-b:9100","job":"node"}}' \
	"$(sort "$O" | tr '\n' ' ' | sed 's/ $//')"
promq --labels '{job="api"}' >"$O"
expect_eq "--labels with a matcher" '__name__ code job le' \
	"$(jq -r .label "$O" | tr '\n' ' ' | sed 's/ $//')"
promq --label-values job >"$O"
expect_eq "--label-values job" 'api fine gappy gauge irregular node' \
	"$(jq -r 'select(.label == "job") | .value' "$O" | tr '\n' ' ' | sed 's/ $//')"
promq --label-values kind --start $((E - 600)) --end "$E" >"$O"
expect_eq "--label-values with a range" 'inf nan neginf' \
	"$(jq -r .value "$O" | tr '\n' ' ' | sed 's/ $//')"

# Rules are evaluated every second from start: wait for both alerts.
i=0
while [ $i -lt 50 ]; do
	promq --alerts >"$O" 2>/dev/null
	[ "$(wc -l <"$O")" -ge 2 ] && break
	sleep 0.2
	i=$((i + 1))
done
expect_eq "--alerts: one firing, one pending" "OpspipeAlwaysFiring firing,OpspipePending pending" \
	"$(jq -r '"\(.labels.alertname) \(.state)"' "$O" | sort | paste -sd, -)"
promq --rules >"$O"
expect_eq "--rules: one record per rule, with its group" \
	"OpspipeAlwaysFiring alerting opspipe-test,OpspipePending alerting opspipe-test,opspipe:test_gauge:avg recording opspipe-test" \
	"$(jq -r '"\(.name) \(.type) \(.group)"' "$O" | sort | paste -sd, -)"

# --- errors ----------------------------------------------------------------
expect_status "a bad query exits 2" 2 promq 'sum(up'
expect_match "the error shows errorType and message" "^promq: 'sum\(up': bad_data: .*parse error" "$(cat "$T_DIR/err")"
expect_status "an unreachable server exits 3" 3 promq --retries 1 --url "http://127.0.0.1:$(free_port)" up
expect_match "unreachable: says where and how often" "127.0.0.1.*after 2 attempts" "$(cat "$T_DIR/err")"
expect_status "--time with --since is a usage error" 2 promq --time now --since 1h up
expect_status "no query is a usage error" 2 promq
expect_status "--lines without --loki is a usage error" 2 promq --lines up

done_testing
