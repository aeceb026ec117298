#!/bin/sh
# promq --loki against test/fixtures/loki.py (Loki's documented API):
# streams, --lines, and paging past the entry limit without losing or
# repeating a line, even where lines share one nanosecond at a page cut.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
log=$T_DIR/requests.jsonl
all=$T_DIR/entries.jsonl
start_fixture loki.py --log "$log" --entries "$all"
LOKI_URL=$FIXTURE_URL
PROMETHEUS_URL=http://127.0.0.1:1
export LOKI_URL PROMETHEUS_URL
O=$T_DIR/out
jq -Sc . "$all" | sort >"$T_DIR/want"
range="--start 1795320000 --end 1795320100"
q='{app=~".+"}'

# as_lines FILE: stream records flattened to sorted line records.
as_lines() {
	jq -Sc '.stream as $s | .values[] | {stream: $s, ts: .[0], line: .[1]}' "$1" | sort
}

# shellcheck disable=SC2086 # $range is two options
promq --loki $range "$q" >"$O"
expect_eq "streams: one record per stream" '{"app":"a","level":"info"} {"app":"b","level":"error"}' \
	"$(jq -c .stream "$O" | paste -sd' ' -)"
expect_eq "streams: every line, exactly" "$(cat "$T_DIR/want")" "$(as_lines "$O")"
expect_eq "streams: records carry the query" "$q" "$(jq -r .query "$O" | sort -u)"
expect_eq "the request: forward, limit, start and end in ns" \
	'/loki/api/v1/query_range forward 1000 1795320000000000000 1795320100000000000' \
	"$(jq -r '[.path, .params.direction[0], .params.limit[0], .params.start[0], .params.end[0]] | join(" ")' "$log")"

for batch in 7 3 1; do
	: >"$log"
	# shellcheck disable=SC2086
	promq --loki --batch "$batch" $range "$q" >"$O"
	expect_eq "paged at --batch $batch: no line lost or repeated" "$(cat "$T_DIR/want")" "$(as_lines "$O")"
	expect_eq "paged at --batch $batch: still one record per stream" "2" "$(wc -l <"$O" | tr -d ' ')"
	# shellcheck disable=SC2086
	promq --loki --lines --batch "$batch" $range "$q" >"$O"
	expect_eq "--lines at --batch $batch: every line once" "$(cat "$T_DIR/want")" \
		"$(jq -Sc '{stream, ts, line}' "$O" | sort)"
	expect_eq "--lines at --batch $batch: in time order" "$(jq -r .ts "$O" | sort -n)" "$(jq -r .ts "$O")"
done
expect_match "paging took many requests" '^[0-9]{3,}$' "$(wc -l <"$log" | tr -d ' ')"

# shellcheck disable=SC2086
promq --loki --lines --limit 5 --batch 2 $range '{app="b"}' >"$O"
expect_eq "--limit 5: the first five lines" "b 0,b 1,b 2,b 3,b 4" "$(jq -r .line "$O" | paste -sd, -)"
expect_eq "--lines record shape" \
	'{"query":"{app=\"b\"}","stream":{"app":"b","level":"error"},"ts":"1795320000500000000","line":"b 0"}' \
	"$(sed -n 1p "$O")"

echo '{"query":"{app=\"a\"} |= \"burst\"","start":1795320000,"end":1795320100,"ticket":"T-1"}' |
	promq --loki --lines - >"$O"
expect_eq "stdin requests to Loki, context copied" "4 T-1" \
	"$(jq -r .ticket "$O" | sort | uniq -c | awk '{print $1, $2}')"

# shellcheck disable=SC2086
promq --loki $range --step 50s 'count_over_time({app="a"}[1m])' >"$O"
expect_eq "a metric query gives series records" \
	'{"query":"count_over_time({app=\"a\"}[1m])","metric":{"app":"a","level":"info"},"values":[[1795320000,1],[1795320050,55],[1795320100,19]]}' \
	"$(cat "$O")"
promq --loki --time 1795320030 'count_over_time({app="b"}[10s])' >"$O"
expect_eq "an instant metric query (10 lines + a burst of 5)" '[1795320030,15]' "$(jq -c .value "$O")"

expect_status "a LogQL syntax error exits 2" 2 promq --loki 'nonsense'
expect_match "the error shows Loki's message" "parse error at line 1" "$(cat "$T_DIR/err")"
expect_status "--url beats LOKI_URL; unreachable exits 3" 3 \
	promq --loki --retries 0 --url "http://127.0.0.1:$(free_port)" "$q"
done_testing
