#!/bin/sh
# llmask when the server fails, both APIs, counting the requests the
# fixture LLM received: retries on 429 (Retry-After) and 5xx, none on
# insufficient_quota or other 4xx, the missing Ollama model, an error in
# the middle of a 200 stream, a stream cut short, the usage chunk with
# "choices": null, timeouts and refused connections.
# shellcheck disable=SC2016 # sh -c scripts and a literal `name`
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE
OPSPIPE_RETRY_BASE=0.01 OPSPIPE_RETRY_MAX=0.05
export OPSPIPE_RETRY_BASE OPSPIPE_RETRY_MAX

start_llm

for api in ollama openai; do
	if [ "$api" = ollama ]; then
		set -- --url "$llm"
		path=$llm/api/chat
	else
		set -- --url "$llm/v1" --model gpt-4o-mini
		path=$llm/v1/chat/completions
	fi
	reset
	control '{"answers":[{"error":"rate_limit","retry_after":"1"},{"content":"after the wait"}]}'
	expect_status "$api: 429 with Retry-After, then an answer" 0 llmask "$@" -p x --no-input
	expect_eq "$api: 429: the answer after the retry" '"after the wait"' "$(jq -c .answer "$T_DIR/out")"
	expect_eq "$api: 429: retried once" 2 "$(sent length)"

	reset
	control '{"answers":[{"status":500},{"status":503},{"content":"third time"}]}'
	expect_status "$api: 500, 503, then an answer" 0 llmask "$@" -p x --no-input
	expect_eq "$api: 5xx: three requests" 3 "$(sent length)"
	expect_eq "$api: 5xx: the same body every time" 1 "$(sent '[.[].body] | unique | length')"

	reset
	control '{"answers":[{"status":500},{"status":500},{"status":500},{"status":500},{"status":500}]}'
	expect_status "$api: 500 every time: exit 3" 3 llmask "$@" -p x --no-input
	expect_eq "$api: 500 every time: --retries 3 makes 4 attempts" 4 "$(sent length)"
	expect_match "$api: 500 every time: the message" "^llmask: HTTP 500 from $path: .* \\(after 4 attempts\\)$" "$(cat "$T_DIR/err")"
	reset
	control '{"answers":[{"status":500},{"status":500}]}'
	expect_status "$api: --retries 1" 3 llmask "$@" --retries 1 -p x --no-input
	expect_eq "$api: --retries 1: two attempts" 2 "$(sent length)"

	for status in 400 401; do
		reset
		control "{\"answers\":[{\"status\":$status},{\"content\":\"never asked\"}]}"
		expect_status "$api: $status: exit 3" 3 llmask "$@" -p x --no-input
		expect_eq "$api: $status: not retried" 1 "$(sent length)"
	done

	reset
	control '{"answers":[{"stream_error":"model runner crashed"},{"content":"never asked"}]}'
	expect_status "$api: an error in the middle of the stream: exit 3" 3 llmask "$@" -p x --no-input
	expect_eq "$api: mid-stream error: the server's message" \
	    "llmask: $path: the server reported an error: model runner crashed" "$(cat "$T_DIR/err")"
	expect_eq "$api: mid-stream error: not retried" 1 "$(sent length)"
	expect_eq "$api: mid-stream error: nothing on stdout" "" "$(cat "$T_DIR/out")"

	reset
	control '{"answers":[{"truncate":true}]}'
	expect_status "$api: a stream cut short: exit 3" 3 llmask "$@" -p x --no-input
	expect_match "$api: a stream cut short: says so" 'ended before it was complete' "$(cat "$T_DIR/err")"

	reset
	control '{"answers":[{"stream_error":"out of memory"}]}'
	expect_status "$api: --no-stream error answer: exit 3" 3 llmask "$@" --no-stream --retries 0 -p x --no-input
	expect_match "$api: --no-stream error: the server's message" 'HTTP 500 .*(out of memory|had an error)' "$(cat "$T_DIR/err")"

	reset
	control '{"answers":[{"delay_ms":1500}]}'
	expect_status "$api: a slow answer past --timeout: exit 3" 3 llmask "$@" --timeout 0.3 --retries 0 -p x --no-input
	expect_match "$api: timeout: says so" '[Tt]imeout|timed out' "$(cat "$T_DIR/err")"
	reset
	control '{"answers":[{"delay_ms":300,"content":"slow but fine"}]}'
	expect_status "$api: a slow answer within --timeout" 0 llmask "$@" --timeout 5 -p x --no-input
	expect_eq "$api: slow answer" '"slow but fine"' "$(jq -c .answer "$T_DIR/out")"
done

# --- things only one API does ------------------------------------------------------
reset
expect_status "ollama: a missing model: exit 3" 3 llmask --url "$llm" --model missing-model:7b -p x --no-input
expect_eq "ollama: a missing model: the message names the model and ollama pull" \
    "llmask: model 'missing-model:7b' not found on $llm: pull it there first ('ollama pull missing-model:7b')" \
    "$(cat "$T_DIR/err")"
expect_eq "ollama: a missing model: not retried" 1 "$(sent length)"
reset
expect_status "openai: a missing model: exit 3" 3 llmask --url "$llm/v1" --model missing-gpt -p x --no-input
expect_match "openai: a missing model: the server's message" 'HTTP 404 .*The model `missing-gpt` does not exist' "$(cat "$T_DIR/err")"

reset
control '{"answers":[{"error":"insufficient_quota","retry_after":"1"},{"content":"never asked"}]}'
expect_status "openai: a 429 insufficient_quota: exit 3" 3 llmask --url "$llm/v1" -m gpt -p x --no-input
expect_eq "openai: insufficient_quota: not retried" 1 "$(sent length)"
expect_match "openai: insufficient_quota: says so" '^llmask: HTTP 429 from .*: You exceeded your current quota.* \(insufficient_quota: not retried\)$' "$(cat "$T_DIR/err")"
reset
control '{"answers":[{"error":"rate_limit"},{"content":"retried"}]}'
expect_status "openai: a 429 rate limit is retried" 0 llmask --url "$llm/v1" -m gpt -p x --no-input
expect_eq "openai: rate limit: two requests" 2 "$(sent length)"

reset
control '{"answers":[{"choices_null":true,"usage":{"prompt_tokens":12,"completion_tokens":34}}]}'
expect_status "openai: a usage chunk with choices null" 0 llmask --url "$llm/v1" -m gpt -p x --no-input
expect_eq "openai: usage from that chunk" '{"prompt_tokens":12,"completion_tokens":34}' "$(jq -c .usage "$T_DIR/out")"
expect_eq "openai: the answer" '"fixture answer"' "$(jq -c .answer "$T_DIR/out")"

port=$(free_port)
expect_status "a refused connection: exit 3" 3 llmask --url "http://127.0.0.1:$port" --retries 1 -p x --no-input
expect_match "a refused connection: the URL and curl's words" "127.0.0.1:$port/api/chat: .*(onnect|refused)" "$(cat "$T_DIR/err")"

# --each: an answer that cannot change (a missing model) stops the run.
reset
printf '{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n' >"$T_DIR/four"
expect_status "--each: a missing model: exit 3" 3 sh -c 'llmask --url "$1" -m missing-x --each -p x <"$2"' - "$llm" "$T_DIR/four"
expect_eq "--each: a missing model: asked once" 1 "$(sent length)"
expect_eq "--each: a missing model: one message, then where the run stopped" 2 "$(wc -l <"$T_DIR/err")"
expect_match "--each: the message has the line number" '^llmask: stdin:1: model' "$(head -n 1 "$T_DIR/err")"
expect_eq "--each: the records not asked are said, not lost" \
    "llmask: stdin:2: not asked, nor any record after it: stopped at the error above" "$(sed -n 2p "$T_DIR/err")"
# A failure of one record does not stop the others.
reset
control '{"answers":[{},{"status":500},{"status":500},{},{}]}'
expect_status "--each: one record fails, the rest are answered: exit 3" 3 \
    sh -c 'llmask --url "$1" --retries 1 --each -p x <"$2"' - "$llm" "$T_DIR/four"
expect_eq "--each: the other records" '[1,3,4]' "$(jq -sc 'map(.n)' "$T_DIR/out")"
expect_match "--each: the failed record's line" '^llmask: stdin:2: HTTP 500' "$(cat "$T_DIR/err")"

# An answer that cannot be written is a local failure (4), not an
# answer given: the pipeline must not take it for one.
reset
expect_status "stdout on /dev/full: exit 4 (EXIT_LOCAL)" 4 \
    sh -c 'llmask --url "$1" -p x --no-input >/dev/full' - "$llm"
expect_match "... saying so" '^llmask: .*(write|No space)' "$(cat "$T_DIR/err")"
done_testing
