#!/bin/sh
# A server that accepts the connection and never answers must not hang a
# network program: every one has a finite default timeout per attempt
# (promq 120 s, Prometheus' own query timeout; llmask 900 s, a model on a
# CPU is slow), shown in --help, and gives up at --timeout with exit 3.
# The defaults are read from --help, not waited for.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset PROMETHEUS_URL LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE
OPSPIPE_RETRY_BASE=0.01 OPSPIPE_RETRY_MAX=0.05
export OPSPIPE_RETRY_BASE OPSPIPE_RETRY_MAX

expect_match "promq --help: a finite default --timeout" \
    "--timeout SEC +give up an attempt after SEC seconds \\(default 120; 0: never\\)" \
    "$(promq --help)"
expect_match "llmask --help: a finite default --timeout" \
    "--timeout SEC +give up an attempt after SEC seconds \\(default 900[;,] 0: never\\)" \
    "$(llmask --help)"

start_fixture httpd.py --hang
hang=$FIXTURE_URL

# timed CMD...: runs CMD like expect_status; sets rc and secs (taken).
timed() {
	t0=$(date +%s)
	"$@" >"$T_DIR/out" 2>"$T_DIR/err" </dev/null
	rc=$?
	secs=$(($(date +%s) - t0))
}

timed promq --url "$hang" --timeout 1 --retries 0 up
expect_eq "promq, a server that never answers: exit 3 at --timeout" 3 "$rc"
ok_if "promq gave up after about --timeout (took $secs s)" [ "$secs" -lt 10 ]
expect_match "promq says it timed out, and where" \
    "^promq: 'up': $hang/api/v1/query: .*timed out" "$(cat "$T_DIR/err")"

timed promq --url "$hang" --timeout 0.5 --retries 1 up
expect_eq "promq, --retries 1: exit 3" 3 "$rc"
expect_match "promq, --retries 1: two attempts, each timed out" \
    "\\(after 2 attempts\\)$" "$(cat "$T_DIR/err")"

timed llmask --url "$hang" --timeout 1 --retries 0 -p x --no-input
expect_eq "llmask, a server that never answers: exit 3 at --timeout" 3 "$rc"
ok_if "llmask gave up after about --timeout (took $secs s)" [ "$secs" -lt 10 ]

done_testing
