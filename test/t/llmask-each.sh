#!/bin/sh
# llmask --each, --template, --max-input and --cache, both APIs: answers
# merged into their records in input order with --jobs requests in
# flight (the fixture counts them), templates over one record or all of
# them, the input limit, and the cache that sends nothing on a hit.
# shellcheck disable=SC2016 # jq programs and sh -c scripts stay literal
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

start_llm
# ask INPUT ARGS...: llmask ARGS with INPUT on stdin.
ask() { in=$1; shift; llmask "$@" <"$in"; }

seq 1 12 | jq -c '{n: ., tag: "t\(.)"}' >"$T_DIR/twelve"

for api in ollama openai; do
	if [ "$api" = ollama ]; then
		set -- --url "$llm"
	else
		set -- --url "$llm/v1"
	fi
	# The echo model answers with the user message: the template makes it
	# the record's own number, so each answer shows whose it is.
	reset
	control '{"latency_ms":100,"answers":[{"delay_ms":300}]}'
	expect_status "$api: --each --jobs 4" 0 \
	    ask "$T_DIR/twelve" "$@" -m echo --each --jobs 4 --template '"\(.n)"'
	expect_eq "$api: every record, in input order, with its own answer" \
	    "$(seq 1 12 | jq -sc 'map(tostring)')" "$(jq -sc 'map(.answer)' "$T_DIR/out")"
	expect_eq "$api: the records' fields pass through" "$(jq -c . "$T_DIR/twelve")" \
	    "$(jq -c '{n, tag}' "$T_DIR/out")"
	expect_eq "$api: each record has model, usage and ms" 12 \
	    "$(jq -s 'map(select(.model == "echo" and (.usage | keys) == ["completion_tokens","prompt_tokens"] and (.ms | type) == "number")) | length' "$T_DIR/out")"
	expect_eq "$api: twelve requests" 12 "$(sent length)"
	expect_eq "$api: --jobs 4: four in flight at most, and four reached" 4 "$(sent 'map(.inflight) | max')"
	reset
	control '{"latency_ms":50}'
	ask "$T_DIR/twelve" "$@" -m echo --each --template '"\(.n)"' >/dev/null
	expect_eq "$api: --each alone: one in flight" 1 "$(sent 'map(.inflight) | max')"
	control '{"latency_ms":0}'

	reset
	printf '{"a":1}\n[1,2]\n"text"\n' >"$T_DIR/mixed"
	expect_status "$api: --each with --answer-field" 0 ask "$T_DIR/mixed" "$@" -m m --each --answer-field verdict -p x
	expect_eq "$api: --answer-field names the field; other values are wrapped as input" \
	    '[{"a":1,"verdict":"fixture answer"},{"input":[1,2],"verdict":"fixture answer"},{"input":"text","verdict":"fixture answer"}]' \
	    "$(jq -sc 'map(del(.model, .usage, .ms, .tokens_per_second))' "$T_DIR/out")"
	expect_eq "$api: --each sends one record per request" '[["{\"a\":1}"],["[1,2]"],["\"text\""]]' \
	    "$(sent 'map(.body.messages[-1].content | split("\n") | map(select(test("^[\\[{\"]"))))' | jq -c .)"

	reset
	printf '{"pod":"a","cpu":0.5}\n{"pod":"b","cpu":0.25}\n' >"$T_DIR/two"
	ask "$T_DIR/two" "$@" -m m --template 'map("\(.pod): \(.cpu)") | join(", ")' \
	    -p "CPU per pod:" >"$T_DIR/out"
	expect_eq "$api: --template over all records (an array)" '"CPU per pod:\n\na: 0.5, b: 0.25"' \
	    "$(sent '.[0].body.messages[-1].content')"
	reset
	ask "$T_DIR/two" "$@" -m m --each --template "{pod}, .cpu" >/dev/null
	expect_eq "$api: --template per record; non-strings as JSON, one per line" \
	    '["{\"pod\":\"a\"}\n0.5","{\"pod\":\"b\"}\n0.25"]' "$(sent 'map(.body.messages[-1].content)')"
	reset
	expect_status "$api: a template that fails on a record: exit 2" 2 \
	    ask "$T_DIR/two" "$@" -m m --each --template ".cpu | error(\"no\")"
	expect_match "$api: ... reported with the line" '^llmask: stdin:1: --template: no$' "$(head -n 1 "$T_DIR/err")"
	expect_status "$api: a template that does not compile: exit 2" 2 llmask "$@" -m m --template '.[' -p x
	expect_match "$api: ... says so" '^llmask: invalid --template' "$(cat "$T_DIR/err")"
	expect_eq "$api: failed templates send nothing" 0 "$(sent length)"
done

# --- --max-input -----------------------------------------------------------------
reset
seq 1 300 | jq -c '{i: ., text: "0123456789012345678901234567890123456789"}' >"$T_DIR/big"
expect_status "too much input: exit 2" 2 ask "$T_DIR/big" --url "$llm" -p x --max-input 2000
expect_match "too much input: the hint names statz and --truncate" \
    "^llmask: input is [0-9]+ characters, more than --max-input 2000: reduce it first \\(statz .*--truncate$" "$(cat "$T_DIR/err")"
expect_eq "too much input: nothing sent" 0 "$(sent length)"
expect_status "the default limit is 24000 characters" 2 sh -c 'cat "$2" "$2" "$2" | llmask --url "$1" -p x' - "$llm" "$T_DIR/big"
expect_status "--truncate" 0 ask "$T_DIR/big" --url "$llm" -p x --max-input 2000 --truncate
sent '.[0].body.messages[-1].content' | jq -r . >"$T_DIR/sent"
kept=$(grep -c '^{"i":' "$T_DIR/sent")
expect_eq "--truncate keeps whole records within the limit" 34 "$kept"
ok_if "--truncate says how many were left out" grep -qx "(266 more records were left out to fit the input limit.)" "$T_DIR/sent"
reset
printf '{"small":1}\n' >"$T_DIR/mix"
head -n 100 "$T_DIR/big" | jq -sc . >>"$T_DIR/mix"
printf '{"small":3}\n' >>"$T_DIR/mix"
expect_status "--each: one record too big: exit 2" 2 ask "$T_DIR/mix" --url "$llm" --each -p x --max-input 500
expect_eq "--each: the others are answered" '[1,3]' "$(jq -sc 'map(.small)' "$T_DIR/out")"
expect_match "--each: the big one is reported by line" '^llmask: stdin:2: record is [0-9]+ characters, more than --max-input 500$' "$(cat "$T_DIR/err")"
reset
expect_status "--each --truncate" 0 ask "$T_DIR/mix" --url "$llm" --each -p x --max-input 500 --truncate
expect_eq "--each --truncate: all three answered" 3 "$(wc -l <"$T_DIR/out")"
ok_if "--each --truncate: the big record is cut and marked" sh -c \
    '[ "$(curl -fs "$1/_requests" | jq -r ".[1].body.messages[-1].content" | grep -c "^\[truncated to fit the input limit\]$")" -eq 1 ]' - "$llm"

# --- --cache ------------------------------------------------------------------------
for api in ollama openai; do
	if [ "$api" = ollama ]; then
		set -- --url "$llm"
	else
		set -- --url "$llm/v1" --model gpt-4o-mini
	fi
	reset
	rm -rf "$T_DIR/cache"
	control '{"answers":[{"content":"first answer","usage":{"prompt_tokens":7,"completion_tokens":8}}]}'
	ask "$T_DIR/two" "$@" --cache "$T_DIR/cache" -p x >"$T_DIR/one"
	expect_eq "$api: a miss asks the server" 1 "$(sent length)"
	expect_eq "$api: a miss is not marked cached" null "$(jq .cached "$T_DIR/one")"
	expect_eq "$api: one entry, named by its SHA-256" 1 "$(find "$T_DIR/cache" -name '*.json' | grep -cE '/[0-9a-f]{64}\.json$')"
	expect_eq "$api: the cache directory is private" 700 "$(stat -c %a "$T_DIR/cache")"
	control '{"answers":[{"content":"second answer"}]}'
	expect_status "$api: a hit" 0 ask "$T_DIR/two" "$@" --cache "$T_DIR/cache" -p x
	expect_eq "$api: a hit sends nothing" 1 "$(sent length)"
	expect_eq "$api: a hit: the stored answer, usage and model, marked cached" \
	    "{\"answer\":\"first answer\",\"model\":\"$(jq -r .model "$T_DIR/one")\",\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":8},\"cached\":true}" \
	    "$(jq -c 'del(.ms, .tokens_per_second)' "$T_DIR/out")"
	LLMASK_CACHE=$T_DIR/cache llmask "$@" -p x <"$T_DIR/two" >"$T_DIR/out"
	expect_eq "$api: LLMASK_CACHE" true "$(jq .cached "$T_DIR/out")"
	expect_eq "$api: ... sends nothing" 1 "$(sent length)"
	for change in "-p y" "--temperature 0.5" "--json" "--system s" "--no-stream"; do
		# shellcheck disable=SC2086 # $change is one or two words
		ask "$T_DIR/two" "$@" --cache "$T_DIR/cache" -p x $change >/dev/null 2>&1
	done
	expect_eq "$api: prompt, options, format, system and stream each change the key" 6 "$(sent length)"
	reset
	sed 's/0.25/0.3/' "$T_DIR/two" >"$T_DIR/two-b"
	ask "$T_DIR/two-b" "$@" --cache "$T_DIR/cache" -p x >/dev/null
	expect_eq "$api: changed input is a miss" 1 "$(sent length)"
	reset
	ask "$T_DIR/twelve" "$@" --cache "$T_DIR/cache" --each -m echo --template '"\(.n)"' >/dev/null
	head -n 6 "$T_DIR/twelve" >"$T_DIR/six"
	reset
	ask "$T_DIR/twelve" "$@" --cache "$T_DIR/cache" --each -m echo --template '"\(.n)"' >"$T_DIR/out"
	expect_eq "$api: --each: every record a hit, in order" "$(seq 1 12 | jq -sc 'map(tostring)')" \
	    "$(jq -sc 'map(select(.cached) | .answer)' "$T_DIR/out")"
	expect_eq "$api: --each hits send nothing" 0 "$(sent length)"
	printf '{"n":99}\n' | cat "$T_DIR/six" - >"$T_DIR/seven"
	ask "$T_DIR/seven" "$@" --cache "$T_DIR/cache" --each -m echo --template '"\(.n)"' >"$T_DIR/out"
	expect_eq "$api: --each: hits and a miss mixed, in order" '["1","2","3","4","5","6","99"]' \
	    "$(jq -sc 'map(.answer)' "$T_DIR/out")"
	expect_eq "$api: ... only the miss is sent" 1 "$(sent length)"
	expect_eq "$api: --dry-run ignores the cache" 1 \
	    "$(ask "$T_DIR/two" "$@" --cache "$T_DIR/cache" --dry-run -p x | jq -s length)"
done
done_testing
