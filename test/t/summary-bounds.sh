#!/bin/sh
# What one request may cost the summarize flow: a Prometheus that accepts
# and never answers (the flow and the CGI time out: finite timeouts of
# their own), a lock held by another computation (a bounded wait, then
# busy: 75, HTTP 503 with Retry-After), requests for ever new keys (at
# most --slots computations at once), and a query answering hundreds of
# series (statz ranks and keeps the 40 most eventful; the record and the
# prompt say how many were left out). Also the cache key: the query's
# surrounding white space is not part of it.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset OPENAI_BASE_URL OPENAI_API_KEY LLMASK_URL LLMASK_MODEL OPSPIPE_SUMMARY_DIR \
    OPSPIPE_SUMMARY_MAX_AGE OPSPIPE_SUMMARY_QUERY_TIMEOUT OPSPIPE_SUMMARY_LLM_TIMEOUT \
    OPSPIPE_SUMMARY_LOCK_WAIT OPSPIPE_SUMMARY_SLOTS

start_llm --port 0 --answer "Quiet."
OLLAMA_HOST=$llm
export OLLAMA_HOST
chats() { curl -fs "$llm/_requests" | jq -c '[.[] | select(.path == "/api/chat")]'; }

# 500 series: smooth ones (no outlier can pass a z-score of 3), and four
# that matter: two with outliers, two that switch between states.
/usr/bin/python3 - "$T_DIR/body.json" <<'PY'
import json, math, sys
T = 1795320000
res = []
for i in range(500):
    v = [100 + i + math.sin(k / 3) for k in range(30)]
    if i == 100:
        v[10] += 50
    if i == 200:
        v[5] += 60
        v[20] -= 60
    if i == 300:
        v = [float(k % 2) for k in range(11)] + [1.0] * 19
    if i == 400:
        v = [0.0] * 10 + [1.0] * 10 + [0.0] * 5 + [1.0] * 5
    res.append({"metric": {"__name__": "m", "pod": "p%03d" % i},
                "values": [[T + 15 * k, repr(x)] for k, x in enumerate(v)]})
json.dump({"status": "success", "data": {"resultType": "matrix", "result": res}},
          open(sys.argv[1], "w"))
PY
start_fixture prom.py --body "$T_DIR/body.json"
prom=$FIXTURE_URL
wait_http "$prom/api/v1/targets" 10 || { not_ok "fixture Prometheus started"; done_testing; exit 1; }
PROMETHEUS_URL=$prom
export PROMETHEUS_URL

# --- many series: the most eventful 40, and how many were left out -----------
expect_status "500 series: a summary" 0 opspipe-summary --minutes 30 many
expect_eq "... the record says how many the model was not shown" \
    '{"summary":"Quiet.","query":"many","minutes":30,"stats_count":500,"dropped":460}' "$(cat "$T_DIR/out")"
chats | jq -r '.[-1].body.messages | map(.content) | join("\n")' | grep '^{' >"$T_DIR/data"
expect_eq "... and so does the prompt's header" '{"series":500,"shown":40,"dropped":460,"query":"many","minutes":30}' \
    "$(head -n 1 "$T_DIR/data")"
expect_eq "... which shows 40 series" 40 "$(($(wc -l <"$T_DIR/data") - 1))"
expect_eq "... outliers first (2, then 1), then state changes (10, then 3), then input order" \
    "p200 p100 p300 p400 p000 p001" \
    "$(sed -n '2,7p' "$T_DIR/data" | jq -r .metric.pod | paste -sd' ')"
# statz --top ranks as the flow's jq used to, over all series at once.
promq --minutes 30 many >"$T_DIR/series"
statz --anomalies zscore --top 40 <"$T_DIR/series" | jq -r .metric.pod >"$T_DIR/top"
statz --anomalies zscore --keep-values <"$T_DIR/series" | jq -rs '
  map(. + ([.values[] | .[1]] as $v | if ($v | unique | length) as $d | $d > 1 and $d <= 4
    then {changes: (reduce range(1; $v | length) as $i (0; if $v[$i] != $v[$i - 1] then . + 1 else . end))}
    else {} end))
  | sort_by(-(.anomaly_count // 0), -(.changes // 0)) | .[:40][] | .metric.pod' >"$T_DIR/oracle"
expect_eq "statz --top 40 keeps what a sort of all 500 would, in its order" "$(cat "$T_DIR/oracle")" "$(cat "$T_DIR/top")"
expect_status "the fallback says it too" 3 env OLLAMA_HOST="http://127.0.0.1:$(free_port)" opspipe-summary many
expect_eq "... in the record" "500 460 true" "$(jq -r '"\(.stats_count) \(.dropped) \(.fallback)"' "$T_DIR/out")"
expect_match "... and in the summary" "And 490 more series\.$" "$(jq -r .summary "$T_DIR/out")"

# --- a Prometheus that accepts and never answers --------------------------------
# The wrapper's timeout only catches a hang; the flow's own is 1 s.
expect_status "a hanging Prometheus: the flow gives up, exit 3" 3 \
    timeout 60 opspipe-summary --query-timeout 1 hang
expect_match "... saying it timed out" "^promq: 'hang': .*([Tt]imeout|timed out)" "$(cat "$T_DIR/err")"
expect_eq "... with no record" "" "$(cat "$T_DIR/out")"
expect_status "OPSPIPE_SUMMARY_QUERY_TIMEOUT sets it too" 3 \
    timeout 60 env OPSPIPE_SUMMARY_QUERY_TIMEOUT=1 opspipe-summary hang
for v in 0 -1 x 86401; do
	expect_status "--query-timeout $v is refused (it must be finite)" 2 opspipe-summary --query-timeout "$v" up
done
expect_status "--llm-timeout 0 is refused" 2 opspipe-summary --llm-timeout 0 up
expect_status "--slots 0 is refused" 2 opspipe-summary --slots 0 up
# The model too: an LLM slower than --llm-timeout gives the fallback.
control '{"latency_ms": 5000}'
expect_status "a model slower than --llm-timeout: the fallback, exit 3" 3 \
    timeout 60 opspipe-summary --llm-timeout 1 --minutes 31 many
expect_eq "... marked" "true" "$(jq -r .fallback "$T_DIR/out")"
control '{"latency_ms": 0}'

cgi=$OPSPIPE_TOP/share/opspipe/cgi/summary
# cgi_run QUERY_STRING [VAR=VALUE...]: the response (CRs removed) in
# $T_DIR/resp, the server log in $T_DIR/log.
cgi_run() {
	qs=$1
	shift
	timeout 60 env QUERY_STRING="$qs" REQUEST_METHOD=GET OPSPIPE_SUMMARY_DIR="$T_DIR/cache" "$@" "$cgi" \
	    2>"$T_DIR/log" | tr -d '\r' >"$T_DIR/resp"
}
cgi_run 'query=hang' OPSPIPE_SUMMARY_QUERY_TIMEOUT=1
expect_eq "the CGI with a hanging Prometheus: 502, not a hung request" "Status: 502 Bad Gateway" "$(head -n 1 "$T_DIR/resp")"

# --- a lock held past --lock-wait: busy ------------------------------------------
c=$T_DIR/cache
mkdir -p "$c"
key=$(printf '30\nup\n' | sha256sum | cut -d' ' -f1)
: >"$c/$key.lock"
# hold FILE: keep FILE locked in the background until release; polls
# until the lock is taken (bounded), no sleeping on a guess.
# hold FILE [MARKER]: ... held until MARKER (default $T_DIR/held) is removed.
hold() {
	mark=${2:-$T_DIR/held}
	rm -f "$mark"
	# shellcheck disable=SC2016 # the inner shell expands its own $1
	flock "$1" sh -c ': >"$1"; while [ -e "$1" ]; do sleep 0.1; done' sh "$mark" &
	holder=$!
	i=0
	while [ ! -e "$mark" ] && [ "$i" -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$mark" ]
}
release() { rm -f "$T_DIR/held"; wait "$holder"; }
ok_if "another computation holds the query's lock" hold "$c/$key.lock"
expect_status "no stale entry to serve: waits --lock-wait 1, then busy (75)" 75 \
    timeout 60 opspipe-summary --cache-dir "$c" --lock-wait 1 up
expect_eq "... saying so" "opspipe-summary: another computation of this query held its lock for 1 s; try again later" \
    "$(cat "$T_DIR/err")"
cgi_run 'query=up' OPSPIPE_SUMMARY_LOCK_WAIT=1
expect_eq "the CGI: 503 with Retry-After" "Status: 503 Service Unavailable|Retry-After: 10" \
    "$(head -n 2 "$T_DIR/resp" | paste -sd'|')"
expect_eq "... and a JSON reason" "busy: another computation of this query held its lock for 1 s; try again later" \
    "$(tail -n 1 "$T_DIR/resp" | jq -r .error)"
release
expect_status "the lock released: computed" 0 opspipe-summary --cache-dir "$c" --lock-wait 1 up

# --- computation slots: requests for new keys cannot pile up ---------------------
ok_if "slot 0 is taken" hold "$c/.slot.0"
expect_status "--slots 1, all taken: busy (75) after --lock-wait" 75 \
    timeout 60 opspipe-summary --cache-dir "$c" --slots 1 --lock-wait 1 --minutes 40 up
expect_eq "... saying so" "opspipe-summary: all 1 computation slots stayed busy for 1 s; try again later" \
    "$(cat "$T_DIR/err")"
cgi_run 'query=up&minutes=41' OPSPIPE_SUMMARY_SLOTS=1 OPSPIPE_SUMMARY_LOCK_WAIT=1
expect_eq "the CGI: 503 with Retry-After" "Status: 503 Service Unavailable|Retry-After: 10" \
    "$(head -n 2 "$T_DIR/resp" | paste -sd'|')"
expect_status "--slots 2: the free slot is taken" 0 \
    opspipe-summary --cache-dir "$c" --slots 2 --lock-wait 1 --minutes 42 up
release
# Three new keys at once with one slot: one computation at a time.
control '{"reset": true, "latency_ms": 700, "default": "Quiet."}'
pids=""
for m in 43 44 45; do
	opspipe-summary --cache-dir "$c" --slots 1 --minutes "$m" up >"$T_DIR/con.$m" 2>&1 &
	pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done
control '{"latency_ms": 0}'
expect_eq "3 new keys, --slots 1: 3 summaries" 3 "$(cat "$T_DIR"/con.4? | jq -r .summary | grep -c Quiet)"
expect_eq "... asked of the model one at a time" "[1,1,1]" "$(chats | jq -c 'map(.inflight)')"

# --- lock files: removed by their holder, never left behind ----------------------
# Every key once had a lock file for ever: a client sending ever new bad
# queries (each a 400) filled the cache directory with them.
lc=$T_DIR/lockcache
mkdir -p "$lc"
start_fixture prom.py
prom_plain=$FIXTURE_URL
wait_http "$prom_plain/api/v1/targets" 10 || not_ok "a second fixture Prometheus started"
cgi_run 'query=bad' OPSPIPE_SUMMARY_DIR="$lc" PROMETHEUS_URL="$prom_plain"
expect_eq "a query Prometheus rejects: 400" "Status: 400 Bad Request" "$(head -n 1 "$T_DIR/resp")"
cgi_run 'query=down' OPSPIPE_SUMMARY_DIR="$lc" PROMETHEUS_URL="$prom_plain"
expect_eq "Prometheus failing: 502" "Status: 502 Bad Gateway" "$(head -n 1 "$T_DIR/resp")"
cgi_run 'query=up&minutes=7' OPSPIPE_SUMMARY_DIR="$lc"
expect_eq "a summary: 200" "Status: 200 OK" "$(head -n 1 "$T_DIR/resp")"
expect_eq "... and no lock file left for any of the three keys" "" "$(cd "$lc" && ls ./*.lock 2>/dev/null)"
# A waiter that gets the lock of a file its holder removed holds nothing:
# it must take the new file's lock, which a newcomer may hold, not compute.
lkey=$(printf '8\nup\n' | sha256sum | cut -d' ' -f1)
: >"$lc/$lkey.lock"
ok_if "a computation holds the key's lock" hold "$lc/$lkey.lock" "$T_DIR/held1"
holder1=$holder
n=$(chats | jq length)
opspipe-summary --cache-dir "$lc" --lock-wait 3 --minutes 8 up >"$T_DIR/waiter.out" 2>"$T_DIR/waiter.err" &
waiter=$!
# /proc/locks shows a blocked flock with "->".
ino=$(stat -c %i "$lc/$lkey.lock")
i=0
while ! grep -q -- "-> FLOCK .*:$ino " /proc/locks && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
ok_if "... another run waits for it" grep -q -- "-> FLOCK .*:$ino " /proc/locks
# The holder removes the file as it ends; a newcomer makes and locks a new one.
rm -f "$lc/$lkey.lock"
: >"$lc/$lkey.lock"
ok_if "... a newcomer holds the key's new lock file" hold "$lc/$lkey.lock"
rm -f "$T_DIR/held1"
wait "$holder1"
wait "$waiter"
st=$?
expect_eq "the waiter, its lock's file removed, waits for the new one: busy (75), nothing computed" \
    "75 $n" "$st $(chats | jq length)"
release
rm -f "$lc/$lkey.lock"

# --- the cache key: white space around the query is not part of it ---------------
n=$(chats | jq length)
expect_status "' up ' after 'up': served from the same entry" 0 opspipe-summary --cache-dir "$c" '  up
'
expect_eq "... cached, the query as computed" "true up $n" \
    "$(jq -r '"\(.cached) \(.query)"' "$T_DIR/out") $(chats | jq length)"
cgi_run 'query=%20up%0A&minutes=30' OPSPIPE_SUMMARY_MAX_AGE=300
expect_eq "... by the CGI too" "Status: 200 OK true" "$(head -n 1 "$T_DIR/resp") $(tail -n 1 "$T_DIR/resp" | jq .cached)"

done_testing
