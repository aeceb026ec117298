# shellcheck shell=sh
# statz on input a user gets wrong: times in milliseconds or absurd, an
# --at or --forecast beyond the calendar, a --field program that yields
# several values per line. Each is reported with its line, the rest is
# processed, and the exit status is 2; none crashes or loses data unsaid.
# shellcheck source=/dev/null
. "${OPSPIPE_TOP:-.}/test/lib.sh"
cd "$T_DIR" || exit 2

printf '%s\n' '{"values":[[1e300,1],[-1e300,2]]}' '{"values":[[1795320000000,1],[1795320060000,2]]}' \
    '{"value":[1e20,3]}' '{"values":[[1,1],[2,3]]}' >times.jsonl
for mode in "" --all; do
	# shellcheck disable=SC2086 # $mode is one word or none
	expect_status "times out of range ${mode:-per series}: exit 2" 2 statz $mode times.jsonl
	expect_eq "times out of range ${mode:-per series}: each line named" \
	    "statz: times.jsonl:1: field 'values': sample 1: time 1e+300 is out of range (years 1 to 9999; milliseconds, not seconds?)
statz: times.jsonl:2: field 'values': sample 1: time 1795320000000 is out of range (years 1 to 9999; milliseconds, not seconds?)
statz: times.jsonl:3: field 'value': sample 1: time 1e+20 is out of range (years 1 to 9999; milliseconds, not seconds?)" \
	    "$(cat "$T_DIR/err")"
done
statz times.jsonl >out 2>/dev/null
expect_eq "the good line is still there" '[2,2,1,2]' "$(jq -c '[.count,.mean,.start,.end]' out)"

printf '%s\n' '{"x":1,"t":1e300}' '{"x":2,"t":10}' '{"x":3,"t":1795320000000}' '{"x":4,"t":20}' >field.jsonl
expect_status "--time out of range: exit 2" 2 statz --field .x --time .t field.jsonl
expect_eq "--time out of range: lines named" \
    "statz: field.jsonl:1: --time '.t' gave 1e+300, out of range (years 1 to 9999; milliseconds, not seconds?)
statz: field.jsonl:3: --time '.t' gave 1795320000000, out of range (years 1 to 9999; milliseconds, not seconds?)" \
    "$(cat "$T_DIR/err")"
expect_eq "--time out of range: the good lines count" '[2,2,4,10,20]' "$(jq -c '[.count,.min,.max,.start,.end]' "$T_DIR/out")"

printf '%s\n' '{"values":[[1,1],[2,2],[3,4]]}' >line.jsonl
expect_status "--at beyond year 9999 is a usage error" 2 statz --forecast 1m --at 1e300 line.jsonl
expect_match "and says so" "^statz: invalid --at '1e300': beyond the years 1 to 9999" "$(head -n 1 "$T_DIR/err")"
expect_status "a forecast beyond year 9999: exit 2" 2 statz --forecast 100000000y line.jsonl
expect_eq "the record stays, forecast null" '[3,null]' "$(jq -c '[.count,.forecast]' "$T_DIR/out")"
expect_match "and the line is named" "^statz: line.jsonl:1: the forecast time is beyond the years 1 to 9999" "$(cat "$T_DIR/err")"

printf '%s\n' '{"x":[1,2,3]}' '{"x":[4]}' '{"x":[]}' >multi.jsonl
expect_status "--field with several values on a line: exit 2" 2 statz --field '.x[]' multi.jsonl
expect_eq "the line is named" "statz: multi.jsonl:1: --field gave more than one value (one per line; first(...) picks one)" "$(cat "$T_DIR/err")"
expect_eq "no value of it is taken silently" '[1,4,4]' "$(jq -c '[.count,.min,.max]' "$T_DIR/out")"
printf '%s\n' '{"values":[[1,1],[2,2],[3,4]]}' >pct.jsonl
expect_status "--percentiles 99.99999999999 and 100 both" 0 statz -p 99.99999999999,100 pct.jsonl
expect_eq "each keeps its own key and value" '["p99.99999999999",3.9999999999996,"p100",4]' \
    "$(jq -c '[to_entries[] | select(.key | startswith("p")) | .key, .value]' "$T_DIR/out")"

# A read error is bad input, not an empty one that succeeded.
expect_status "stdin a directory: exit 2" 2 sh -c 'statz </'
expect_eq "... naming the input" "statz: stdin: read error: Is a directory" "$(cat "$T_DIR/err")"
expect_status "a directory named as a file: exit 2" 2 statz pct.jsonl /
expect_eq "... naming it, the other file still read" "statz: /: read error: Is a directory|1" \
    "$(cat "$T_DIR/err")|$(wc -l <"$T_DIR/out")"
expect_status "stdout on /dev/full: exit 4 (EXIT_LOCAL)" 4 sh -c 'statz pct.jsonl >/dev/full'
expect_match "... saying so" "^statz: write error on stdout" "$(cat "$T_DIR/err")"
expect_status "--top 1 on /dev/full: exit 4 too" 4 sh -c 'statz --top 1 pct.jsonl >/dev/full'

# --level: the message and the range agree. A 100% interval is infinite.
for l in 1 0 1.5 -0.5 x; do
	expect_status "--level $l is refused" 2 statz --forecast 1m --level "$l" line.jsonl
done
expect_eq "... saying what is allowed" \
    "statz: invalid --level 'x': a probability above 0 and below 1 (a 100% interval would be infinite)" \
    "$(head -n 1 "$T_DIR/err")"
expect_status "--level 0.999999 is taken" 0 statz --forecast 1m --level 0.999999 line.jsonl
expect_eq "... as the record's interval" 0.999999 "$(jq -r .forecast.interval "$T_DIR/out")"
expect_status "--top with --all is a usage error" 2 statz --top 3 --all pct.jsonl
expect_status "--anomalies with a typo: exit 2" 2 statz --anomalies zscor pct.jsonl
expect_eq "... listing the choices" "statz: invalid --anomalies 'zscor': expected zscore, mad or iqr" \
    "$(head -n 1 "$T_DIR/err")"
expect_status "--by with an empty item: exit 2" 2 statz --by job,,pod pct.jsonl
done_testing
