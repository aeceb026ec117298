#!/bin/sh
# llmask's input as a pipeline hands it over when something went wrong
# upstream: no records at all, only blank or bad lines, a read error
# (a directory on stdin) — each is exit 2 with a message and nothing
# asked, so a failed `promq | statz | llmask` cannot pass for a summary;
# and --each records whose own fields llmask would overwrite.
# shellcheck disable=SC2016 # sh -c scripts expand their own "$@"
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

start_llm
# ask INPUT ARGS...: llmask ARGS with INPUT on stdin.
ask() { in=$1; shift; llmask --url "$llm" "$@" <"$in"; }

# --- no records -----------------------------------------------------------
: >"$T_DIR/empty"
printf '\n  \n\t\n' >"$T_DIR/blank"
printf 'not json\n{"a":\n' >"$T_DIR/bad"
reset
expect_status "empty input: exit 2" 2 ask "$T_DIR/empty" -p x
expect_eq "empty input: the message says why" \
    "llmask: stdin: no input records: nothing to ask about (--no-input sends the prompt alone)" "$(cat "$T_DIR/err")"
expect_eq "empty input: no answer printed" "" "$(cat "$T_DIR/out")"
expect_status "only blank lines: exit 2" 2 ask "$T_DIR/blank" -p x
expect_match "only blank lines: no input records" "^llmask: stdin: no input records" "$(cat "$T_DIR/err")"
expect_status "only bad lines: exit 2" 2 ask "$T_DIR/bad" -p x
expect_eq "only bad lines: each named, then nothing asked" \
    "stdin:1: invalid JSON|stdin:2: invalid JSON|stdin: nothing asked: no valid record" \
    "$(sed 's/^llmask: //; s/\(invalid JSON\).*/\1/' "$T_DIR/err" | paste -sd'|' -)"
expect_status "--template over no records: exit 2" 2 ask "$T_DIR/empty" --template 'length'
seq 1 3 | jq -c '{i: ., text: "0123456789012345678901234567890123456789"}' >"$T_DIR/big"
expect_status "--truncate keeping no record: exit 2" 2 ask "$T_DIR/big" -p x --max-input 20 --truncate
expect_match "... says none fits" "^llmask: stdin: nothing asked: no record fits in --max-input 20 characters$" "$(cat "$T_DIR/err")"
expect_eq "no records: nothing was sent" 0 "$(sent length)"
expect_status "--no-input with empty stdin asks" 0 ask "$T_DIR/empty" -p x --no-input
expect_eq "... one request" 1 "$(sent length)"
# --each maps records to answers: no record, no question, no output, as
# jq or xargs -r do; nothing is invented, so nothing looks like success.
reset
expect_status "--each over no records: exit 0" 0 ask "$T_DIR/blank" -p x --each
expect_eq "... prints nothing and says nothing" "" "$(cat "$T_DIR/out" "$T_DIR/err")"
expect_status "--each over only bad lines: exit 2" 2 ask "$T_DIR/bad" -p x --each
expect_eq "--each: nothing sent" 0 "$(sent length)"

# --- read errors ------------------------------------------------------------
# A directory on stdin: read(2) fails with EISDIR.
reset
expect_status "a read error: exit 2" 2 ask /tmp -p x
expect_eq "a read error: named, and nothing asked" \
    "llmask: stdin: read error: Is a directory|llmask: stdin: nothing asked: the input could not be read" \
    "$(paste -sd'|' "$T_DIR/err")"
expect_status "--each: a read error: exit 2" 2 ask /tmp -p x --each
expect_match "--each: a read error is named" "^llmask: stdin: read error: Is a directory" "$(head -n 1 "$T_DIR/err")"
expect_status "--template: a read error: exit 2" 2 ask /tmp --template .
expect_eq "a read error: nothing sent" 0 "$(sent length)"

# --- --each: the record's own fields ----------------------------------------
# Every field llmask writes, already in a record: the record is refused
# with its line and the field, the others are answered.
cat >"$T_DIR/clash" <<'EOF'
{"n":1}
{"n":2,"model":"their-model"}
{"n":3,"usage":"theirs"}
{"n":4,"ms":12}
{"n":5,"answer":"theirs"}
{"n":6,"tokens_per_second":1}
{"n":7,"cached":false}
{"n":8}
EOF
for api in ollama openai; do
	if [ "$api" = ollama ]; then
		set -- --url "$llm"
	else
		set -- --url "$llm/v1" --model gpt-4o-mini
	fi
	reset
	expect_status "$api: --each, records with llmask's field names: exit 2" 2 \
	    sh -c 'llmask "$@" -p x --each <"$0"' "$T_DIR/clash" "$@"
	expect_eq "$api: each clash named with its line and field" \
	    "stdin:2: field 'model' would be overwritten by llmask's own: give --meta-prefix PREFIX to name llmask's fields apart
stdin:3: field 'usage' would be overwritten by llmask's own: give --meta-prefix PREFIX to name llmask's fields apart
stdin:4: field 'ms' would be overwritten by llmask's own: give --meta-prefix PREFIX to name llmask's fields apart
stdin:5: field 'answer' would be overwritten by the answer: name another with --answer-field NAME
stdin:6: field 'tokens_per_second' would be overwritten by llmask's own: give --meta-prefix PREFIX to name llmask's fields apart
stdin:7: field 'cached' would be overwritten by llmask's own: give --meta-prefix PREFIX to name llmask's fields apart" \
	    "$(sed 's/^llmask: //' "$T_DIR/err")"
	expect_eq "$api: the others are answered" '[1,8]' "$(jq -sc 'map(.n)' "$T_DIR/out")"
	expect_eq "$api: refused records are not asked" 2 "$(sent length)"
	reset
	expect_status "$api: --meta-prefix and --answer-field make room" 0 \
	    sh -c 'llmask "$@" -p x --each --meta-prefix llm_ --answer-field llm_answer <"$0"' "$T_DIR/clash" "$@"
	expect_eq "$api: ... every field the user sent is still there" "$(jq -c . "$T_DIR/clash")" \
	    "$(jq -c 'del(.llm_answer, .llm_model, .llm_usage, .llm_ms, .llm_tokens_per_second)' "$T_DIR/out")"
	expect_eq "$api: ... and llmask's, prefixed" '["llm_answer","llm_model","llm_usage","llm_ms"]' \
	    "$(jq -c '[keys_unsorted[] | select(startswith("llm_") and . != "llm_tokens_per_second")]' "$T_DIR/out" | sort -u)"
done
reset
printf '"text"\n' >"$T_DIR/scalar"
expect_status "--answer-field input on a record that is not an object: exit 2" 2 \
    ask "$T_DIR/scalar" -p x --each --answer-field input
expect_eq "... named" "llmask: stdin:1: field 'input' would be overwritten by the answer: name another with --answer-field NAME" \
    "$(cat "$T_DIR/err")"
# --all answers in a record of its own: input fields cannot clash.
expect_status "--all: input records may have any field" 0 ask "$T_DIR/clash" -p x
expect_eq "--all: one answer record" '["answer","model","usage","ms"]' \
    "$(jq -c '[keys_unsorted[] | select(. != "tokens_per_second")]' "$T_DIR/out")"
done_testing
