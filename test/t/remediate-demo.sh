#!/bin/sh
# The remediate part of `make demo` (examples/demo-remediate.sh): it says
# it is simulated, prints the incidents, the pull request's diff (the
# memory line) and the call log, exits 0, and leaves no server or file.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset OPENAI_BASE_URL OPENAI_API_KEY LLMASK_URL LLMASK_MODEL OLLAMA_HOST

expect_status "the demo exits 0" 0 env TMPDIR="$T_DIR" sh "$OPSPIPE_TOP/examples/demo-remediate.sh"
out=$(cat "$T_DIR/out")
expect_match "it says it is simulated" '^demo \(SIMULATED\): the remediate flow against the test fixtures' "$out"
expect_match "the nginx incident: fixed by the rules" '"result": "fixed"' "$out"
expect_match "the diff: the memory line" '^  -              memory: 32Mi    # far too small' "$out"
expect_match "… raised" '^  \+              memory: 64Mi    # far too small' "$out"
expect_match "the injection: refused" '"result": "refused"' "$out"
expect_match "… nothing written" 'writes the cluster saw during this run, dry runs aside: 0$' "$out"
expect_match "the call log" '^  \{"time":"[^"]*","number":"\+33600000042","person":"alice","speech":"Automatic remediation needs a person\..*"answer":true,"status":"completed"\}$' "$out"
expect_eq "no line of it starts with { (the summarize part's records do)" 0 "$(grep -c '^{' "$T_DIR/out")"
expect_eq "it removed its directory" "" "$(find "$T_DIR" -maxdepth 1 -name 'opspipe-demo-remediate.*')"
done_testing
