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
done_testing
