#!/bin/sh
# llmask's structured answers, both APIs: --json and --schema put the
# format where each server reads it (Ollama's "format", OpenAI's nested
# response_format.json_schema), the answer is parsed and checked, an
# invalid one is asked again with the reason told to the model, and after
# --attempts llmask exits 3 showing the last raw answer.
# shellcheck disable=SC2016 # sh -c scripts expand their own "$@"
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

start_llm

cat >"$T_DIR/incident.json" <<'EOF'
{
  "title": "incident",
  "type": "object",
  "properties": {
    "severity": {"type": "string", "enum": ["low", "high"]},
    "pods": {"type": "array", "items": {"type": "object",
      "properties": {"name": {"type": "string"}, "restarts": {"type": "integer", "minimum": 0}},
      "required": ["name", "restarts"]}},
    "summary": {"type": "string"}
  },
  "required": ["severity", "pods"],
  "additionalProperties": false
}
EOF
schema=$(jq -c . "$T_DIR/incident.json")

for api in ollama openai; do
	if [ "$api" = ollama ]; then
		set -- --url "$llm"
		fmt='.[0].body.format'
	else
		set -- --url "$llm/v1" --model gpt-4o-mini
		fmt='.[0].body.response_format'
	fi
	reset
	expect_status "$api: --json" 0 llmask "$@" --json -p x --no-input
	expect_eq "$api: --json answer is parsed" '{"answer":"fixture answer"}' "$(jq -c .answer "$T_DIR/out")"
	if [ "$api" = ollama ]; then
		expect_eq "ollama: --json sends format json" '"json"' "$(sent "$fmt")"
	else
		expect_eq "openai: --json sends json_object" '{"type":"json_object"}' "$(sent "$fmt")"
	fi
	expect_match "$api: --json tells the model" 'Answer with JSON only' "$(sent '.[0].body.messages[-1].content')"

	reset
	expect_status "$api: --schema" 0 llmask "$@" --schema "$T_DIR/incident.json" -p x --no-input
	expect_eq "$api: --schema answer" '{"severity":"low","pods":[{"name":"fixture","restarts":1}],"summary":"fixture"}' \
	    "$(jq -c .answer "$T_DIR/out")"
	if [ "$api" = ollama ]; then
		expect_eq "ollama: the schema is the format" "$schema" "$(sent "$fmt")"
	else
		expect_eq "openai: the schema, nested in response_format" \
		    "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"incident\",\"schema\":$schema}}" "$(sent "$fmt")"
	fi
	ok_if "$api: the schema is in the prompt too" sh -c 'printf "%s" "$1" | grep -qF "$2"' - \
	    "$(sent '.[0].body.messages[-1].content' | jq -r .)" "$schema"

	# Not JSON, then JSON of the wrong shape, then a good answer.
	reset
	u='"usage":{"prompt_tokens":10,"completion_tokens":1}'
	control '{"answers":[{"content":"Sure! Here it is: {severity: high}",'"$u"'},{"json":{"severity":"urgent","pods":[]},'"$u"'},{"content":"```json\n{\"severity\":\"high\",\"pods\":[{\"name\":\"web\",\"restarts\":4}]}\n```",'"$u"'}]}'
	expect_status "$api: two bad answers, then a good one" 0 \
	    llmask "$@" --schema "$T_DIR/incident.json" -p x --no-input
	expect_eq "$api: the third answer, out of its Markdown fence" \
	    '{"severity":"high","pods":[{"name":"web","restarts":4}]}' "$(jq -c .answer "$T_DIR/out")"
	expect_eq "$api: three requests" 3 "$(sent length)"
	expect_eq "$api: the second request replays the bad answer" \
	    '"Sure! Here it is: {severity: high}"' "$(sent '.[1].body.messages[-2] | select(.role == "assistant") | .content')"
	expect_match "$api: ... and says it was not JSON" '^That answer was not accepted: the answer is not JSON' \
	    "$(sent '.[1].body.messages[-1].content' | jq -r .)"
	expect_eq "$api: the third request tells the schema error" \
	    '"That answer was not accepted: the answer does not match the schema: $.severity: \"urgent\" is not one of \"low\", \"high\". Answer again with JSON only, matching the schema."' \
	    "$(sent '.[2].body.messages[-1].content')"
	expect_eq "$api: the retries keep the format" "$(sent "$fmt")" "$(sent '.[2].body | .format // .response_format')"
	expect_eq "$api: usage adds up over the attempts" '{"prompt_tokens":30,"completion_tokens":3}' \
	    "$(jq -c .usage "$T_DIR/out")"

	reset
	expect_status "$api: never valid: exit 3" 3 llmask "$@" --model badjson --json -p x --no-input
	expect_eq "$api: --attempts defaults to 3" 3 "$(sent length)"
	expect_match "$api: the reason" 'no acceptable answer after 3 attempts: the answer is not JSON' "$(cat "$T_DIR/err")"
	expect_match "$api: the last raw answer on stderr" '^llmask: last answer: this is not \{json$' "$(tail -n 1 "$T_DIR/err")"
	expect_eq "$api: nothing on stdout" "" "$(cat "$T_DIR/out")"
	reset
	llmask "$@" --model badjson --json --attempts 1 -p x --no-input 2>/dev/null
	expect_eq "$api: --attempts 1" 1 "$(sent length)"
done

# --- the checks ------------------------------------------------------------------
# check NAME ANSWER MESSAGE: ANSWER is refused with MESSAGE (--attempts 1).
check() {
	reset
	control "{\"answers\":[{\"json\":$2}]}"
	llmask --url "$llm" --schema "$T_DIR/incident.json" --attempts 1 -p x --no-input >/dev/null 2>"$T_DIR/err"
	expect_eq "schema: $1" "llmask: no acceptable answer after 1 attempts: the answer does not match the schema: $3" \
	    "$(head -n 1 "$T_DIR/err")"
}
check "required" '{"pods":[]}' '$: missing required property "severity"'
check "type" '{"severity":"low","pods":{}}' '$.pods: expected array, got an object'
check "nested items" '{"severity":"low","pods":[{"name":"a","restarts":1},{"name":"b"}]}' \
    '$.pods[1]: missing required property "restarts"'
check "integer" '{"severity":"low","pods":[{"name":"a","restarts":1.5}]}' '$.pods[0].restarts: expected integer, got a number'
check "minimum" '{"severity":"low","pods":[{"name":"a","restarts":-1}]}' '$.pods[0].restarts: -1 is less than the minimum 0'
check "additionalProperties" '{"severity":"low","pods":[],"extra":1}' '$: unexpected property "extra"'
check "not an object" '[1]' '$: expected object, got an array'

for api in ollama openai; do
	if [ "$api" = ollama ]; then set -- --url "$llm"; else set -- --url "$llm/v1" -m m; fi
	expect_status "$api: the shipped triage schema" 0 llmask "$@" -p x --no-input \
	    --schema "$OPSPIPE_TOP/share/opspipe/schemas/triage.json"
	expect_eq "$api: triage answer" '{"severity":"info","category":"crashloop","summary":"fixture","action":"fixture","needs_human":true}' \
	    "$(jq -c .answer "$T_DIR/out")"
done

printf '{"type": 5}' >"$T_DIR/bad-schema.json"
expect_status "a schema with a bad type is a usage error" 2 llmask --url "$llm" --schema "$T_DIR/bad-schema.json" -p x --no-input
printf '{"type": ' >"$T_DIR/broken.json"
expect_status "a schema that is not JSON is a usage error" 2 llmask --url "$llm" --schema "$T_DIR/broken.json" -p x --no-input
expect_match "... naming the file" "invalid --schema '.*broken.json'" "$(cat "$T_DIR/err")"
done_testing
