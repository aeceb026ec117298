# shellcheck shell=sh
# statz without a server: the stats record's shape and exact values,
# pass-through, pooling, --field/--time, forecasts on known lines, and bad
# input (reported with its line, the rest processed, exit 2).
# shellcheck source=/dev/null
. "${OPSPIPE_TOP:-.}/test/lib.sh"
cd "$T_DIR" || exit 2

# s JQ: a field of the last output (out), compact.
s() {
	jq -c "$1" out
}

printf '%s\n' '{"query":"q","metric":{"pod":"a"},"tag":7,"values":[[1,1],[2,"2"],[3,"NaN"],[4,4],[5,8]]}' >one.jsonl
expect_status "one series: exit 0" 0 statz one.jsonl
expect_eq "one series: every field, in order, unknown fields first" \
    '{"query":"q","metric":{"pod":"a"},"tag":7,"count":4,"min":1,"max":8,"mean":3.75,"stddev":2.680951323690902,"p50":3,"p90":6.800000000000001,"p95":7.399999999999999,"p99":7.879999999999999,"first":1,"last":8,"delta":7,"slope":1.6,"start":1,"end":5,"nan":1}' \
    "$(cat "$T_DIR/out")"
expect_status "stats of stats: statz replaces its own fields" 0 sh -c 'statz --keep-values one.jsonl | statz'
expect_eq "re-run: each statistic once" '1 1 1' "$(for k in count p50 nan; do grep -o "\"$k\"" "$T_DIR/out" | wc -l; done | tr '\n' ' ' | sed 's/ *$//')"
expect_status "--percentiles twice the same: usage error" 2 statz -p 50,50.0 one.jsonl

printf '%s\n' '{"values":[[1795320000,0.25],[1795320060,"+Inf"],[1795320120,"-Inf"]]}' '{"values":[]}' '{"value":[1795320000,"3.5"]}' >special.jsonl
statz special.jsonl >out
expect_eq "±Inf kept as IEEE says: min, max, mean" '["-Inf","+Inf","NaN"]' "$(sed -n 1p out | jq -c '[.min,.max,.mean]')"
expect_eq "empty series: count 0, nulls" '[0,null,null,null,0]' "$(sed -n 2p out | jq -c '[.count,.mean,.p99,.slope,.nan]')"
expect_eq "instant sample: count 1, slope null" '[1,3.5,3.5,0,null,1795320000]' "$(sed -n 3p out | jq -c '[.count,.mean,.p50,.stddev,.slope,.start]')"

statz -p 50,99.9,0,100 one.jsonl >out
expect_eq "--percentiles chooses the keys" '["p50","p99.9","p0","p100"]' "$(s '[keys_unsorted[] | select(startswith("p") and . != "pod")]')"
expect_eq "--percentiles values (rank p(n-1), linear)" '[3,7.9879999999999995,1,8]' "$(s '[.p50,."p99.9",.p0,.p100]')"
statz -p 5e1,1e2 one.jsonl >out
expect_eq "--percentiles in exponent form" '[3,8]' "$(s '[.p50,.p100]')"
expect_status "--percentiles 101 is a usage error" 2 statz -p 101 one.jsonl
expect_match "and names the option" "^statz: invalid --percentiles '101': too large" "$(head -n 1 "$T_DIR/err")"

statz --keep-values one.jsonl >out
expect_eq "--keep-values keeps the original values" '[[1,1],[2,2],[3,"NaN"],[4,4],[5,8]]' "$(s .values)"

# Unsorted and repeated timestamps: sorted, the first of a repeat kept,
# said once for the whole run.
printf '%s\n' '{"values":[[3,30],[1,10],[2,20],[2,99]]}' '{"values":[[2,1],[1,2]]}' >unsorted.jsonl
expect_status "unsorted input: exit 0" 0 statz unsorted.jsonl
expect_eq "unsorted: sorted, repeat dropped" '[3,10,30,10,1,3]' "$(sed -n 1p out | jq -c '[.count,.first,.last,.slope,.start,.end]')"
expect_eq "unsorted: said once" 1 "$(grep -c 'out of time order' "$T_DIR/err")"
expect_match "unsorted: names the line" "^statz: unsorted.jsonl:1: samples out of time order" "$(cat "$T_DIR/err")"

# Bad input: each bad line reported with its number, the rest processed.
printf '%s\n' '{"metric":{"a":"1"},"values":[[1,1]]}' 'not json' '[1,2]' \
    '{"values":[[1,"abc"]]}' '{"values":[[1,2],[2]]}' '{"metric":{}}' \
    '{"values":"x"}' '{"metric":{"a":"2"},"values":[[1,2]]}' >bad.jsonl
expect_status "bad lines: exit 2" 2 statz bad.jsonl
expect_eq "bad lines: the good ones still come out" '["1","2"]' "$(jq -c -s 'map(.metric.a)' "$T_DIR/out")"
expect_eq "bad lines: one message each" 6 "$(wc -l <"$T_DIR/err" | tr -d ' ')"
expect_match "non-numeric value: line and field named" "^statz: bad.jsonl:4: .*values" "$(sed -n 3p "$T_DIR/err")"
expect_match "no values: said so" "^statz: bad.jsonl:6: no 'values' or 'value' field" "$(sed -n 5p "$T_DIR/err")"
expect_status "no input: exit 0, no output" 0 statz </dev/null
expect_eq "no input: nothing written" "" "$(cat "$T_DIR/out")"
expect_status "missing file: exit 2" 2 statz no-such-file.jsonl

# --by and --all pool samples across series.
printf '%s\n' \
    '{"query":"q","metric":{"__name__":"m","pod":"a","ns":"x"},"values":[[1,1],[2,2]]}' \
    '{"query":"q","metric":{"__name__":"m","pod":"b","ns":"x"},"values":[[1,3],[2,"NaN"]]}' \
    '{"query":"q","metric":{"__name__":"m","pod":"c","ns":"y"},"values":[[1,10]]}' >multi.jsonl
statz --by ns multi.jsonl >out
expect_eq "--by: one record per value, in order of appearance" '[["x",2,3,1,2,3],["y",1,1,0,10,10]]' \
    "$(jq -c -s 'map([.metric.ns,.series,.count,.nan,.mean,.max])' out)"
expect_eq "--by: labels all members share survive, others go" '{"__name__":"m","ns":"x"}' "$(sed -n 1p out | jq -c .metric)"
expect_eq "--by: common fields pass through" '"q"' "$(sed -n 1p out | jq -c .query)"
statz --all multi.jsonl >out
expect_eq "--all: one record with a series count" '[3,4,1,10,"q",{"__name__":"m"}]' "$(s '[.series,.count,.nan,.max,.query,.metric]')"
expect_status "--all and --by together: usage error" 2 statz --all --by ns multi.jsonl
statz --all </dev/null >out
expect_eq "--all on no input: one record, count 0" '[0,0,null]' "$(s '[.series,.count,.mean]')"
statz --field .x </dev/null >out
expect_eq "--field on no input: one record, count 0, no series" '[".x",0,null]' "$(s '[.field,.count,.series]')"

# --field / --time over any JSON lines.
printf '%s\n' '{"ts":"2026-11-22T05:00:00Z","latency_ms":10,"svc":"a"}' \
    '{"ts":"2026-11-22T05:00:10Z","latency_ms":"30","svc":"b"}' \
    '{"ts":"2026-11-22T05:00:20Z","latency_ms":20,"svc":"a"}' >log.jsonl
statz --field .latency_ms --time .ts log.jsonl >out
expect_eq "--field/--time: stats over the lines" '[".latency_ms",".ts",3,20,0.5,1795323600,1795323620]' \
    "$(s '[.field,.time,.count,.mean,.slope,.start,.end]')"
statz --field .latency_ms --by svc log.jsonl >out
expect_eq "--field --by: grouped by a top-level field, time = line number" '[["a",2,15,1,3],["b",1,30,2,2]]' \
    "$(jq -c -s 'map([.svc,.count,.mean,.start,.end])' out)"
expect_status "bad jq program: exit 2" 2 statz --field '.[' log.jsonl
expect_match "bad jq program: jq's message" "^statz: --field '\.\[': jq: error" "$(head -n 1 "$T_DIR/err")"
printf '%s\n' '{"x":1}' '{"x":"abc"}' '{"y":2}' '"str"' '{"x":3}' >mixed.jsonl
expect_status "--field non-numeric: exit 2" 2 statz --field .x mixed.jsonl
expect_eq "--field non-numeric: the rest counted" '[2,2]' "$(jq -c '[.count,.mean]' "$T_DIR/out")"
expect_match "--field non-numeric: line and field" "^statz: mixed.jsonl:2: --field '.x' gave string, not a number" "$(sed -n 1p "$T_DIR/err")"
expect_match "--field runtime error: jq's message with the line" "^statz: mixed.jsonl:4: --field: Cannot index string" "$(sed -n 3p "$T_DIR/err")"
expect_status "--field with empty output skips the line" 0 statz --field '.x? | select(type == "number")' mixed.jsonl
expect_eq "--field with empty output: the numbers counted" '[2,2]' "$(jq -c '[.count,.mean]' "$T_DIR/out")"
expect_status "--time without --field: usage error" 2 statz --time .ts log.jsonl

# Forecasts on exact lines: the fit is exact, the interval has width 0.
printf '%s\n' '{"values":[[100,201],[110,221],[120,241],[130,261]]}' >line.jsonl
statz --forecast 1m line.jsonl >out
expect_eq "linear forecast from the last sample" '{"model":"linear","at":190,"value":381,"lower":381,"upper":381,"slope":2,"interval":0.95}' "$(s .forecast)"
statz --forecast 10s --at 100 line.jsonl >out
expect_eq "--at moves the anchor" '[110,221]' "$(s '[.forecast.at,.forecast.value]')"
statz --forecast 20s --model holt --sf 0.5 --tf 0.5 line.jsonl >out
expect_eq "holt on a line: level is the last value, 2 steps on" '[261,301,2,2]' "$(s '[.forecast.level,.forecast.value,.forecast.trend,.forecast.steps]')"
expect_status "holt-winters without --season: usage error" 2 statz --forecast 1m --model holt-winters line.jsonl
expect_status "--model without --forecast: usage error" 2 statz --model holt line.jsonl
expect_status "--sf outside (0,1): usage error" 2 statz --forecast 1m --model holt --sf 1 line.jsonl
printf '%s\n' '{"values":[[1,5]]}' >single.jsonl
expect_status "forecast from one sample: exit 2" 2 statz --forecast 1m single.jsonl
expect_match "and says why" "^statz: single.jsonl:1: a forecast needs at least 2 samples" "$(cat "$T_DIR/err")"
done_testing
