#!/bin/sh
# `make demo` (examples/demo.sh) end to end, as a newcomer runs it: no
# model configured. It exits 0, says in one line how to connect a model,
# summarises every query the dashboards offer (statistics fallback) over
# series the generated history really has, serves /summary, and leaves no
# server or file behind.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset OPENAI_BASE_URL OPENAI_API_KEY LLMASK_URL LLMASK_MODEL OPSPIPE_SUMMARY_DIR OLLAMA_HOST

expect_status "the demo exits 0" 0 env TMPDIR="$T_DIR" sh "$OPSPIPE_TOP/examples/demo.sh"
expect_eq "one line tells how to connect a model" 1 \
    "$(grep -c 'OLLAMA_HOST=http://localhost:11434 make demo' "$T_DIR/out")"
grep '^{' "$T_DIR/out" >"$T_DIR/records"
jq -r '.templating.list[] | select(.name != "minutes") | .options[].value' \
    "$OPSPIPE_TOP"/share/opspipe/grafana/dashboards/*.json >"$T_DIR/queries"
n=$(wc -l <"$T_DIR/queries")
expect_eq "a record for every dashboard query, and one over HTTP" "$((n + 1))" "$(wc -l <"$T_DIR/records")"
expect_eq "... in the dashboards' order" "$(cat "$T_DIR/queries")" \
    "$(head -n "$n" "$T_DIR/records" | jq -r .query)"
expect_eq "every record is a 30-minute statistics fallback" "" \
    "$(jq -c 'select(.fallback != true or .minutes != 30 or (.summary | startswith("Statistics only") | not))' "$T_DIR/records")"
expect_eq "the generated history has series for every query" "" \
    "$(jq -r 'select(.stats_count < 1) | .query' "$T_DIR/records")"
expect_eq "up: 3 nodes and 3 api targets" 6 "$(head -n 1 "$T_DIR/records" | jq .stats_count)"
expect_match "... api-2 flaps and comes first" '^Statistics only \(no LLM summary\): 6 series over the last 30 minutes\. up\{instance="api-2:8080",job="api"\}: .*changed [0-9]+ times' \
    "$(head -n 1 "$T_DIR/records" | jq -r .summary)"
expect_eq "DCGM metrics: 2 GPUs" 2 "$(jq 'select(.query == "DCGM_FI_DEV_GPU_TEMP") | .stats_count' "$T_DIR/records" | head -n 1)"
expect_eq "the HTTP call is served from the cache the run filled" '"up" true' \
    "$(tail -n 1 "$T_DIR/records" | jq -r '"\(.query | tojson) \(.cached)"')"
expect_eq "it removed its directory" "" "$(find "$T_DIR" -maxdepth 1 -name 'opspipe-demo.*')"
done_testing
