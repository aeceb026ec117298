#!/bin/sh
# The remediate flow's work and time are bounded, whatever floods or hangs:
# - the queue: a flood of requests costs one listing a namespace and at
#   most 100 requests a pass (the rest wait); a file whose name holds a
#   newline cannot make the flow remove a file outside the queue;
# - a pass acts on at most --max-incidents and starts none after
#   --deadline; the rest wait for the next pass, which takes them;
# - a model that never answers costs one --model-timeout a pass, then the
#   rules decide; an API server or a forge that never answers costs
#   --request-timeout per request: every pass ends;
# - a pass killed while it waits for a rollout (the Job's deadline) still
#   counts its patch against --max-attempts, and a second pass started
#   meanwhile on the same state stops at once, acting on nothing.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/remediate.sh"

{
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n'
	for n in one two three four; do wl "$n" "" ""; done
} >"$T_DIR/objects.yaml"
start_all "$T_DIR/objects.yaml"
for n in one two three four; do wait_failing "$n" OOMKilled; done
healthy() { for n in "$@"; do deploy "$(wl "$n" "" "" | sed 's/memory: 32Mi/memory: 128Mi/')"; done; }
broken() { for n in "$@"; do deploy "$(wl "$n" "" "")"; done; for n in "$@"; do wait_failing "$n" OOMKilled; done; }
names() { jq -sc 'map(.workload.name) | sort' "$T_DIR/out"; }
# A run must end: under timeout(1) (the remediate helper's too), an exit
# of 124 is a run that hung.
TMPDIR=$T_DIR
export TMPDIR

# --- the queue -------------------------------------------------------------------
healthy two three four
mkdir "$T_DIR/queue" "$T_DIR/cwd"
pod=$(k8spatch -n web failing | jq -r 'select(.name == "one") | .pods[0]')
# A request whose file name holds a newline: the list of handled files
# must not name a file outside the queue (here, victim.json in the cwd).
printf '{"namespace":"web","kind":"Pod","name":"%s","reason":"OOMKilled"}\n' "$pod" >"$T_DIR/queue/x
victim.json"
echo keep >"$T_DIR/cwd/victim.json"
here=$PWD
cd "$T_DIR/cwd" || exit 2
remediate --queue "$T_DIR/queue"
cd "$here" || exit 2
expect_eq "queue: a name with a newline removed nothing outside the queue" keep "$(cat "$T_DIR/cwd/victim.json" 2>&1)"
ok_if "queue: … and was set aside" [ -f "$T_DIR/queue/x
victim.json.bad" ]
# An empty file is no request (jq 1.6's -e passed it, and the flow
# listed the namespace "").
: >"$T_DIR/queue/$(printf '%064d' 999).json"
remediate --queue "$T_DIR/queue"
ok_if "queue: an empty file is set aside as .bad" [ -f "$T_DIR/queue/$(printf '%064d' 999).json.bad" ]
rm -f "$T_DIR/queue/"*

# A flood: 299 requests about workloads that do not fail, one that does.
broken one
i=0
while [ "$i" -lt 299 ]; do
	printf '{"namespace":"web","kind":"Deployment","name":"ghost-%s","reason":"CrashLoopBackOff"}\n' "$i" \
	    >"$T_DIR/queue/$(printf '%064d' "$i").json"
	i=$((i + 1))
done
pod=$(k8spatch -n web failing | jq -r 'select(.name == "one") | .pods[0]')
printf '{"namespace":"web","kind":"Pod","name":"%s","reason":"OOMKilled"}\n' "$pod" >"$T_DIR/queue/0.json"
forget
remediate --queue "$T_DIR/queue"
expect_eq "queue flood: exit 0, the queued workload fixed" '[0,["one"]]' "[$rc,$(names)]"
expect_eq "queue flood: the namespace's pods were listed twice (the queue's once, the pass's once), not once a request" 2 \
    "$(kube_sent '[.[] | select(.method == "GET" and .path == "/api/v1/namespaces/web/pods" and .query.labelSelector == null)] | length')"
expect_eq "queue flood: at most 100 requests a pass, the rest wait" 200 "$(find "$T_DIR/queue" -name '*.json' | wc -l)"
expect_match "queue flood: said" 'more than 100 requests; the rest wait for the next pass' "$(cat "$T_DIR/err")"
remediate --queue "$T_DIR/queue"
remediate --queue "$T_DIR/queue"
expect_eq "queue flood: two more passes empty it" 0 "$(find "$T_DIR/queue" -name '*.json' | wc -l)"

# --- --max-incidents, --deadline ---------------------------------------------------
broken one two three four
remediate --state "$T_DIR/cap" --max-incidents 2
expect_eq "--max-incidents 2: two acted on" 2 "$(wc -l <"$T_DIR/out")"
expect_match "… the others wait, and it says so" '2 more failing workload\(s\) wait for the next pass' "$(cat "$T_DIR/err")"
first=$(names)
remediate --state "$T_DIR/cap" --max-incidents 2
expect_eq "… the next pass takes the other two" '["four","one","three","two"]' \
    "$(printf '%s\n%s\n' "$first" "$(names)" | jq -sc 'add | sort')"

broken one two
LLMASK_URL=$llm
export LLMASK_URL
forget
llm_ctl '{"latency_ms":1500}'
remediate --deadline 1s
expect_eq "--deadline 1s: the first workload (1.5 s of model) is done, the second waits" 1 "$(wc -l <"$T_DIR/out")"
expect_match "… said" '1 more failing workload\(s\) wait for the next pass' "$(cat "$T_DIR/err")"

# --- a model that never answers ----------------------------------------------------
broken one two
forget
llm_ctl '{"latency_ms":600000}'
remediate --model-timeout 2s
expect_eq "a hung model: the pass ends (exit 0), the rules fix both" '[0,["fixed"],["rules"]]' \
    "[$rc,$(jq -sc 'map(.result) | unique' "$T_DIR/out"),$(jq -sc 'map(.fixer) | unique' "$T_DIR/out")]"
expect_eq "… the model was asked once in the pass, not once a workload" 1 "$(llm_sent 'length')"
forget
expect_match "… said" 'no answer within --model-timeout 2s' "$(cat "$T_DIR/err")"
unset LLMASK_URL

# --- an API server and a forge that never answer --------------------------------------
broken one
healthy two
kube_ctl '{"fail":[{"method":"GET","path":"/deployments/one$","status":500,"delay":600,"count":0}]}'
timeout 300 opspipe-remediate -n web --state "$T_DIR/hung-api" --request-timeout 1 >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a hung API server: the pass ends, exit 3" 3 "$?"
expect_eq "… the incident says the API failed" '["failed","api"]' "$(jq -c '[.result,.why]' "$T_DIR/out")"
kube_ctl '{"fail":[]}'
start_fixture hang.py
hung=$FIXTURE_URL
broken one
deploy "$(wl one "" '"opspipe.io/source": "github:org/gitops//apps/web/one.yaml@main"')"
wait_failing one OOMKilled
GITHUB_API_URL=$hung
remediate --request-timeout 1
GITHUB_API_URL=$gh
expect_eq "a hung forge: the pass ends, exit 3, the fix stands, the pull request says why" '[3,"fixed",true]' \
    "[$rc,$(jq -c '.result,(.pr.error | length > 0)' "$T_DIR/out" | paste -sd, -)]"

# --- killed while it waits for a rollout ---------------------------------------------
broken one
# Freeze the simulation with "one" failing: the patched rollout then never
# completes, and the pass waits in k8spatch.
i=0
while [ "$i" -lt 50 ]; do
	kube_ctl '{"pause":true}'
	k8spatch -n web failing | jq -e 'select(.name == "one")' >/dev/null && break
	kube_ctl '{"pause":false}'
	sleep 0.1
	i=$((i + 1))
done
forget
setsid opspipe-remediate -n web --state "$T_DIR/killed" --rollout-timeout 600s --fail-after 600s \
    --max-attempts 1 --quiet-period 0s >"$T_DIR/out1" 2>"$T_DIR/err1" </dev/null &
pid=$!
i=0
until [ "$(kube_writes)" -ge 1 ] || [ "$i" -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
expect_eq "killed: the patch was written, the pass waits for its rollout" 1 "$(kube_writes)"
timeout 300 opspipe-remediate -n web --state "$T_DIR/killed" --quiet-period 0s >"$T_DIR/out2" 2>"$T_DIR/err2"
expect_eq "a second pass on the same state meanwhile: exit 1, nothing printed" '1 0' "$? $(wc -l <"$T_DIR/out2")"
expect_match "… said" "another opspipe-remediate is using" "$(cat "$T_DIR/err2")"
expect_eq "… and it wrote nothing" 1 "$(kube_writes)"
kill -s KILL -- "-$pid"
wait "$pid" 2>/dev/null
kube_ctl '{"pause":false}'
expect_eq "killed: no incident was written" 0 "$(wc -l 2>/dev/null <"$T_DIR/killed/incidents.jsonl" || echo 0)"
broken one
forget
remediate --state "$T_DIR/killed" --max-attempts 1 --quiet-period 0s
expect_eq "after the kill: the patch counted, a person is called instead of a second patch" \
    '["no-fix","max-attempts",1]' "$(jq -c '[.result,.why,(.calls | length)]' "$T_DIR/out")"
expect_eq "… no PATCH at all" 0 "$(kube_sent '[.[] | select(.method == "PATCH")] | length')"

# --- the state does not grow without end -------------------------------------------
# Incidents older than --keep (7d) fold into totals.json: the counters the
# metrics show never go back; attempts older than a day, and their
# cancellations, go.
mkdir "$T_DIR/fold"
old=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)
recent=$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)
{
	printf '{"time":"%s","result":"fixed","fingerprint":"x"}\n' "$old"
	printf '{"time":"%s","result":"suppressed","fingerprint":"x"}\n' "$old"
	printf '{"time":"%s","result":"failed","fingerprint":"y","calls":[{"answer":false},{"answer":null}]}\n' "$old"
	printf '{"time":"%s","result":"refused","fingerprint":"z"}\n' "$recent"
} >"$T_DIR/fold/incidents.jsonl"
{
	printf '{"time":"%s","id":"old"}\n{"id":"old","cancel":true}\n' "$old"
	printf '{"time":"%s","id":"new"}\n{"id":"new","cancel":true}\n' "$recent"
} >"$T_DIR/fold/attempts.jsonl"
broken one
forget
remediate --state "$T_DIR/fold" --textfile "$T_DIR/fold.prom"
expect_eq "fold: the pass fixed one" '[0,"fixed"]' "[$rc,$(jq -c .result "$T_DIR/out")]"
expect_eq "fold: incidents.jsonl keeps the recent incident and the new one" '["refused","fixed"]' \
    "$(jq -sc 'map(.result)' "$T_DIR/fold/incidents.jsonl")"
expect_eq "fold: totals.json counts the three folded away, and up to when" \
    '{"result":{"fixed":1,"suppressed":1,"failed":1},"calls":{"no":1,"none":1},"unanswered":1} true' \
    "$(jq -c 'del(.before)' "$T_DIR/fold/totals.json") $(jq --argjson now "$(date +%s)" '.before > $now - 8 * 86400 and .before < $now - 6 * 86400' "$T_DIR/fold/totals.json")"
expect_eq "fold: the metrics count them all, folded and kept" \
    'fixed 2|refused 1|failed 1|no-fix 0|suppressed 1|no 1|none 1|unanswered 1' \
    "$(sed -n 's/^opspipe_remediation_total{result="\([a-z-]*\)"} /\1 /p; s/^opspipe_remediation_calls_total{answer="\(no\|none\)"} /\1 /p; s/^opspipe_remediation_\(unanswered\)_total /\1 /p' "$T_DIR/fold.prom" | paste -sd'|' -)"
expect_eq "fold: attempts older than a day gone, with their cancellations" '["new","new"]' \
    "$(jq -sc 'map(.id) | map(select(. == "new" or . == "old"))' "$T_DIR/fold/attempts.jsonl")"
forget
remediate --state "$T_DIR/fold" --textfile "$T_DIR/fold.prom"
expect_match "fold: a second pass counts nothing twice" '^opspipe_remediation_total\{result="fixed"\} 2$' \
    "$(grep 'result="fixed"' "$T_DIR/fold.prom")"
# Killed between the fold's two renames: totals.json has them, and so does
# incidents.jsonl still. Nothing is counted twice, then or at the next fold.
cp "$T_DIR/fold/totals.json" "$T_DIR/fold/totals.keep"
printf '{"time":"%s","result":"fixed","fingerprint":"x"}\n' "$old" >>"$T_DIR/fold/incidents.jsonl"
forget
remediate --state "$T_DIR/fold" --textfile "$T_DIR/fold.prom"
expect_match "fold: an incident older than totals.json's 'before' is not counted twice" \
    '^opspipe_remediation_total\{result="fixed"\} 2$' "$(grep 'result="fixed"' "$T_DIR/fold.prom")"
cp "$T_DIR/fold/totals.keep" "$T_DIR/fold/totals.json"
# A damaged totals.json is bookkeeping: the pass still acts, and says so.
printf '{"result":{"fixed":' >"$T_DIR/fold/totals.json"
printf '{"time":"%s","result":"fixed","fingerprint":"x"}\n' "$old" >>"$T_DIR/fold/incidents.jsonl"
broken one
forget
remediate --state "$T_DIR/fold" --textfile "$T_DIR/fold.prom" --quiet-period 0s
expect_eq "a damaged totals.json: the pass still fixes, and exits 4" '[4,"fixed"]' "[$rc,$(jq -c .result "$T_DIR/out")]"
expect_match "… saying what it could not do" "old incidents not folded into '.*totals.json'" "$(cat "$T_DIR/err")"
expect_match "… nor the metrics" "cannot compute the metrics: .*totals.json" "$(cat "$T_DIR/err")"
expect_status "--keep shorter than a day: refused (exit 2)" 2 opspipe-remediate -n web --keep 12h
expect_match "… saying why" "invalid --keep: at least 1d and the --quiet-period" "$(cat "$T_DIR/err")"
expect_status "--quiet-period 8d without --keep: taken, --keep follows it" 0 \
    opspipe-remediate -n web --quiet-period 8d --dry-run

done_testing
