# The webhook provider (a paging gateway answering in its response, with
# the shared auth flags), and the call log under load: 20 phonecall
# processes appending to one JSON log and one CSV at once lose and tear
# nothing.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset PHONECALL_PROVIDER PHONECALL_URL PHONECALL_LISTEN PHONECALL_PUBLIC_URL \
    PHONECALL_LOG PHONECALL_CSV PHONECALL_SCHEDULE PHONECALL_LANGUAGE
OPSPIPE_RETRY_BASE=0.01
export OPSPIPE_RETRY_BASE
d=$T_DIR
start_fixture pager.py
pager=$FIXTURE_URL
wait_http "$pager/_requests" 10 || { not_ok "pager.py started" "$(cat "$FIXTURE_LOG")"; done_testing; exit 1; }
ctl() {
	curl -fs -X POST -d "$1" "$pager/_control" >/dev/null || not_ok "pager control: $1"
}
ctl '{"token":"gw-secret","numbers":{
  "+33600000001":{"answer":true,"status":"completed","response":"yes","call_id":"gw-1"},
  "+33600000002":{"answer":false,"status":"completed","digits":"2"},
  "+33600000003":{"answer":null,"status":"busy"},
  "+33600000004":{"status":"completed","digits":"1"},
  "+33600000005":{"http":503},
  "+33600000006":{"raw":"not json"},
  "+33600000007":{"answer":"maybe"}}}'
W() {
	phonecall --provider webhook --url "$pager/call" --token gw-secret "$@"
}

W --to +33600000001 --speech "db down" --incident fp-1 >"$d/out" 2>"$d/err"
expect_eq "webhook: yes" 0 "$?"
expect_eq "webhook: the record" '[true,"completed","yes","gw-1","webhook","fp-1"]' \
    "$(jq -c '[.answer,.status,.response,.call_id,.provider,.incident]' "$d/out")"
expect_eq "webhook: the request" '{"to":"+33600000001","person":null,"speech":"db down","question":"Can you intervene? Press 1 or say yes; press 2 or say no.","incident":"fp-1","language":"en-US"}' \
    "$(curl -fs "$pager/_requests" | jq -c '.[-1].body')"
expect_eq "webhook: bearer token, JSON" '["Bearer gw-secret","application/json"]' \
    "$(curl -fs "$pager/_requests" | jq -c '.[-1].headers | [.Authorization, ."Content-Type"]')"
W --to +33600000002 --speech x >"$d/out" 2>&1
expect_eq "webhook: no" '1 false' "$? $(jq -c .answer "$d/out")"
W --to +33600000003 --speech x >"$d/out" 2>&1
expect_eq "webhook: busy" '1 "busy"' "$? $(jq -c .status "$d/out")"
W --to +33600000004 --speech x >"$d/out" 2>&1
expect_eq "webhook: digits decide a missing answer" '0 true' "$? $(jq -c .answer "$d/out")"
W --to +33600000005 --speech x --retries 1 >"$d/out" 2>"$d/err"
expect_eq "webhook: 503 after retries: provider failed" '3 "failed"' "$? $(jq -c .status "$d/out")"
expect_eq "webhook: retried" 2 "$(curl -fs "$pager/_requests" | jq '[.[] | select(.body.to == "+33600000005")] | length')"
W --to +33600000006 --speech x >"$d/out" 2>"$d/err"
expect_eq "webhook: an answer that is not JSON" 3 "$?"
expect_match "webhook: said so" 'the webhook failed: not a JSON object' "$(cat "$d/err")"
W --to +33600000007 --speech x >"$d/out" 2>"$d/err"
expect_eq "webhook: an answer that is not a boolean" 3 "$?"
phonecall --provider webhook --url "$pager/call" --to +33600000001 --speech x >"$d/out" 2>"$d/err"
expect_eq "webhook: without the token, 401" 3 "$?"
# A gateway slower than --call-timeout may be ringing the phone already:
# the POST is not sent again (it would ring again, and wait as long).
ctl '{"numbers":{"+33600000008":{"sleep":3,"answer":true,"status":"completed"}}}'
W --to +33600000008 --speech x --call-timeout 1s >"$d/out" 2>"$d/err"
expect_eq "webhook: slower than --call-timeout: the provider failed" '3 "failed"' "$? $(jq -c .status "$d/out")"
expect_eq "webhook: slower than --call-timeout: one POST, not four" 1 \
    "$(curl -fs "$pager/_requests" | jq '[.[] | select(.body.to == "+33600000008")] | length')"
expect_match "webhook: slower than --call-timeout: said why" 'may have been acted on: not retried' "$(cat "$d/err")"
expect_status "webhook: needs a URL" 2 phonecall --provider webhook --to +33600000001 --speech x
expect_status "webhook: no --listen" 2 W --to +33600000001 --speech x --listen 127.0.0.1:1 --public-url http://x/
PHONECALL_PROVIDER=webhook PHONECALL_URL=$pager/call phonecall --token gw-secret --to +33600000001 \
    --speech x >"$d/out" 2>"$d/err"
expect_eq "webhook: PHONECALL_PROVIDER and PHONECALL_URL" 0 "$?"
W --dry-run --header 'X-Api-Key: k2' --to +33600000001 --speech x >"$d/out" 2>"$d/err"
expect_eq "webhook: --dry-run shows the POST, secrets redacted" '["POST","Bearer <redacted>","<redacted>","+33600000001"]' \
    "$(jq -c '[.method,.headers.Authorization,.headers."X-Api-Key",.body.to]' "$d/out")"
expect_eq "webhook: --dry-run shows no secret" 0 "$(cat "$d/out" "$d/err" | grep -c -e gw-secret -e k2)"

# 20 processes, one log: each appends whole lines, under flock, fsynced.
# The speech is long (past PIPE_BUF and stdio's buffers: a line written
# in pieces could interleave) and full of CSV's special bytes.
long=$(printf 'line, "quoted"\nand more; %020000d' 0)
pids=""
for i in $(seq 1 20); do
	W --to +33600000001 --speech "$i: $long" --log "$d/calls.jsonl" --csv "$d/calls.csv" \
	    >"$d/par.$i" 2>"$d/par.$i.err" &
	pids="$pids $!"
done
fails=0
for pid in $pids; do
	wait "$pid" || fails=$((fails + 1))
done
expect_eq "20 at once: every process answered yes" 0 "$fails"
expect_eq "20 at once: 20 JSON lines, each whole" 20 "$(jq -c . "$d/calls.jsonl" | wc -l)"
expect_eq "20 at once: every process's record, once" "$(seq 1 20 | tr '\n' ' ')" \
    "$(jq -r '.speech | split(":")[0]' "$d/calls.jsonl" | sort -n | tr '\n' ' ')"
expect_eq "20 at once: the log holds what was printed" "$(cat "$d"/par.[0-9]* | sort)" "$(sort "$d/calls.jsonl")"
/usr/bin/python3 - "$d/calls.csv" "$long" >"$d/csvcheck" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
print(rows[0] == ["time", "number", "speech", "answer", "status", "person"])
print(len(rows) == 21 and all(len(r) == 6 for r in rows))
print(sorted(int(r[2].split(":")[0]) for r in rows[1:]) == list(range(1, 21)))
print(all(r[2].split(": ", 1)[1] == sys.argv[2] and r[3] == "true" for r in rows[1:]))
PY
expect_eq "20 at once: CSV has one header and 20 whole rows" "True True True True" "$(tr '\n' ' ' <"$d/csvcheck" | sed 's/ $//')"
done_testing
