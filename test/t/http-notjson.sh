#!/bin/sh
# What came back, when it is not the JSON the API sends: an HTML login
# page (a proxy's, an SSO's) answering 200, and a JSON answer whose
# connection is cut in the middle. The message says what it was, how much
# came and from which URL, instead of a bare "not JSON".
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset PROMETHEUS_URL LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

start_fixture httpd.py --html
html=$FIXTURE_URL
start_fixture httpd.py --cut 300
cut=$FIXTURE_URL
page="111 bytes of text/html; charset=utf-8 beginning '<!DOCTYPE html> <html><head><title>Sign in</title>"

expect_status "promq, an HTML page: exit 3" 3 promq --url "$html" --retries 0 up
expect_match "promq, an HTML page: what, how much and from where" \
    "^promq: 'up': HTTP 200 from $html/api/v1/query is not JSON \\(.*\\): $page" \
    "$(cat "$T_DIR/err")"
expect_status "promq, a cut answer: exit 3" 3 promq --url "$cut" --retries 0 up
expect_eq "promq, a cut answer: says so" \
    "promq: 'up': $cut/api/v1/query: connection closed after 300 bytes of the answer (400 announced)" \
    "$(cat "$T_DIR/err")"

for api in ollama openai; do
	if [ "$api" = ollama ]; then
		path=/api/chat
		set -- llmask --retries 0 -p x --no-input
	else
		path=/v1/chat/completions
		set -- llmask --retries 0 --model m -p x --no-input
	fi
	base=""
	[ "$api" = openai ] && base=/v1
	for stream in "" --no-stream; do
		expect_status "llmask $api $stream, an HTML page: exit 3" 3 \
		    "$@" ${stream:+"$stream"} --url "$html$base"
		expect_match "llmask $api $stream, an HTML page: what, how much and from where" \
		    "^llmask: HTTP 200 from $html$path is not JSON \\(.*\\): $page" \
		    "$(cat "$T_DIR/err")"
	done
	expect_status "llmask $api, a cut answer: exit 3" 3 "$@" --url "$cut$base"
	expect_eq "llmask $api, a cut answer: says so" \
	    "llmask: $cut$path: connection closed after 300 bytes of the answer (400 announced)" \
	    "$(cat "$T_DIR/err")"
done

done_testing
