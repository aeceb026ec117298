#!/bin/sh
# The alert receiver, share/opspipe/cgi/alert, under a real lighttpd
# configured from the shipped examples/lighttpd.conf: hostile and broken
# requests (no or a bad token 401, wrong method 405, wrong type 415,
# oversized 413, malformed 400, alerts without workload labels ignored and
# said so), the queue files (their format, atomic, duplicates collapsing,
# label values kept byte for byte and never evaluated); then end to end:
# a crash-looping pod in kube-state-metrics' metrics, the shipped rules
# firing in a real Prometheus, the real Alertmanager routing them with the
# bearer token to the receiver, the requests landing in the queue.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
# shellcheck source=test/monitoring/stack.sh
. "$OPSPIPE_TOP/test/monitoring/stack.sh"
cd "$T_DIR" || exit 2

token=tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$token" >token
mkdir queue
OPSPIPE_ALERT_TOKEN_FILE=$T_DIR/token
OPSPIPE_REMEDIATE_QUEUE=$T_DIR/queue
export OPSPIPE_ALERT_TOKEN_FILE OPSPIPE_REMEDIATE_QUEUE

# lighttpd from the shipped configuration: only the paths and the port change.
port=$(free_port)
sed -e "s|^var.opspipe = .*|var.opspipe = \"$OPSPIPE_TOP/share/opspipe\"|" \
    -e "s|^server.port = .*|server.port = $port\\nserver.bind = \"127.0.0.1\"|" \
    "$OPSPIPE_TOP/examples/lighttpd.conf" >lighttpd.conf
ok_if "lighttpd accepts the configuration" lighttpd -tt -f lighttpd.conf
lighttpd -D -f lighttpd.conf >lighttpd.log 2>&1 &
httpd_pid=$!
stop_httpd() { kill "$httpd_pid" 2>/dev/null; wait "$httpd_pid" 2>/dev/null; }
at_exit stop_httpd
hook=http://127.0.0.1:$port/alert
wait_http "http://127.0.0.1:$port/healthz" 10 ||
	{ not_ok "lighttpd started" "$(tail -n 5 lighttpd.log)"; done_testing; exit 1; }

# post BODY-FILE [CURL ARGS]: POST it with the headers $auth and $ctype
# (the token, application/json: tests change them); the status in code,
# the body in body, the headers in headers.
auth="Authorization: Bearer $token"
ctype="Content-Type: application/json"
post() {
	curl -s -o body -D headers -w '%{http_code}' -H "$ctype" -H "$auth" \
	    --data-binary "@$1" "$hook" >code
}
said() { printf '%s %s' "$(cat code)" "$(jq -r .error body 2>/dev/null || head -c 200 body)"; }
nfiles() { find queue -type f | wc -l; }
# nreq: the finished requests (readers take *.json; the dot files are
# being written).
nreq() { find queue -type f -name '[!.]*.json' | wc -l; }
files() { find queue -type f | sed 's|.*/||' | sort; }

# payload ALERTS-JSON: Alertmanager's webhook body around the alerts.
payload() {
	jq -nc --argjson a "$1" '{version: "4", groupKey: "{}/{remediate=\"true\"}:{alertname=\"X\"}",
	    truncatedAlerts: 0, status: "firing", receiver: "opspipe-remediate", groupLabels: {},
	    commonLabels: {}, commonAnnotations: {}, externalURL: "http://alertmanager:9093", alerts: $a}'
}
alert() {
	jq -nc --argjson l "$1" --arg s "${2:-firing}" '{status: $s, labels: $l,
	    annotations: {summary: "s"}, startsAt: "2026-12-02T05:00:00Z", endsAt: "0001-01-01T00:00:00Z",
	    generatorURL: "http://prometheus:9090/graph", fingerprint: "c0ffee0123456789"}'
}
good=$(alert '{"alertname":"OpspipePodCrashLooping","namespace":"shop","pod":"web-1","reason":"CrashLoopBackOff"}')
payload "[$good]" >one.json

# --- refused before anything is read -----------------------------------------
curl -s -o body -D headers -w '%{http_code}' "$hook" >code
expect_eq "GET is 405" "405 only POST is supported" "$(said)"
expect_match "... with Allow: POST" '^Allow: POST' "$(tr -d '\r' <headers | grep -i '^allow:')"
auth="X-No-Token: 1"
post one.json
expect_eq "no token: 401" "401 a bearer token is required" "$(said)"
expect_match "... with WWW-Authenticate: Bearer" '^WWW-Authenticate: Bearer' "$(tr -d '\r' <headers | grep -i '^www-authenticate:')"
auth="Authorization: Bearer x$token"
post one.json
expect_eq "a wrong token: 401" "401 the bearer token is not valid" "$(said)"
auth="Authorization: Bearer ${token%?}"
post one.json
expect_eq "the token less its last character: 401" "401 the bearer token is not valid" "$(said)"
auth="Authorization: Basic $(printf 'x:%s' "$token" | base64)"
post one.json
expect_eq "the token as basic authentication: 401" "401 a bearer token is required" "$(said)"
auth="Authorization: Bearer "
post one.json
expect_eq "an empty bearer token: 401" "401 a bearer token is required" "$(said)"
expect_eq "nothing queued by refused requests" 0 "$(nfiles)"
auth="Authorization: Bearer $token"
ctype="Content-Type: text/plain"
post one.json
ctype="Content-Type: application/json"
expect_eq "not application/json: 415" "415 the body must be application/json" "$(said)"
head -c 1500000 /dev/zero | tr '\0' ' ' >big.json
post big.json
expect_eq "1.5 MB, over the receiver's 1 MiB: 413" "413 the body is larger than 1048576 bytes" "$(said)"
head -c 3000000 /dev/zero | tr '\0' ' ' >huge.json
post huge.json
expect_eq "3 MB, over lighttpd's limit too: 413" 413 "$(cat code)"
curl -s -o body -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-binary @one.json "$hook/extra" >code
ok_if "a path below /alert is not the endpoint" [ "$(cat code)" -ge 400 ]

# --- malformed payloads: 400, saying what is wrong ---------------------------------
bad() {
	printf '%s' "$1" >bad.json
	post bad.json
	expect_eq "400 for $3" "400 $2" "$(said)"
}
bad '{"version":"4","alerts":[' "the body is not JSON" "a body cut short"
bad '' "the body must be one JSON object" "an empty body"
bad "$(cat one.json) $(cat one.json)" "the body must be one JSON object" "two payloads in one body"
bad '[1]' "the body is not a JSON object" "an array"
bad "$(payload "[$good]" | jq -c '.version = "3"')" "version must be \"4\" (Alertmanager's webhook payload)" "version 3"
bad "$(payload "[$good]" | jq -c '.alerts = {}')" "alerts must be an array" "alerts that are not an array"
bad "$(payload "[$good, 7]")" "alerts[1] is not an object" "an alert that is not an object"
bad "$(payload "[$(alert '{"namespace":"shop","pod":7}')]")" "alerts[0].labels must map names to strings" "a label that is not a string"
bad "$(payload "[$good]" | jq -c '.alerts[0].annotations = []')" "alerts[0].annotations must map names to strings" "annotations that are not a map"
bad "$(payload "[$good]" | jq -c '.alerts[0].status = null')" "alerts[0].status must be a string" "an alert without a status"
expect_eq "nothing queued by malformed requests" 0 "$(nfiles)"

# --- queued and ignored ------------------------------------------------------------
f=$T_DIR/pwned
nl='
'
tab=$(printf '\t')
# shellcheck disable=SC2016 # the $(…) and backticks must stay literal
evil='$(touch '"$f"') `touch '"$f"'` '"'"'; touch '"$f"' " \ '"$nl$tab"'end'
payload "[
 $good,
 $(alert '{"alertname":"OpspipeDeploymentReplicasUnavailable","namespace":"shop","deployment":"checkout","reason":"ReplicasUnavailable"}'),
 $(alert '{"alertname":"OpspipeStatefulSetReplicasUnavailable","namespace":"shop","statefulset":"db","reason":"ReplicasUnavailable"}'),
 $(alert '{"alertname":"OpspipePodOOMKilled","namespace":"shop","pod":"api-5d4c3-fghij","deployment":"api"}'),
 $(alert '{"alertname":"OpspipeTargetDown","job":"node-exporter","instance":"10.0.0.1:9100"}'),
 $(alert '{"alertname":"OpspipePodCrashLooping","namespace":"shop","pod":"web-2"}' resolved),
 $(alert '{"alertname":"Sneaky","namespace":"../../etc","pod":"passwd"}'),
 $(alert "$(jq -nc --arg p "$evil" '{alertname: "Evil", namespace: "shop", pod: $p}')"),
 $(alert "$(jq -nc --arg v "$evil" '{alertname: "EvilValues", namespace: "shop", pod: "web-9", note: $v}')" | jq -c --arg v "$evil" '.annotations.summary = $v')
]" >many.json
post many.json
expect_eq "a payload of nine alerts: 200" 200 "$(cat code)"
expect_eq "five requests queued, each workload by its kind" \
    "Pod shop/web-1 CrashLoopBackOff|Deployment shop/checkout ReplicasUnavailable|StatefulSet shop/db ReplicasUnavailable|Deployment shop/api OpspipePodOOMKilled|Pod shop/web-9 EvilValues" \
    "$(jq -r '.queued | map("\(.kind) \(.namespace)/\(.name) \(.reason)") | join("|")' body)"
expect_eq "four ignored, each saying why" \
    "OpspipeTargetDown: names no workload (labels namespace and deployment, statefulset or pod)|OpspipePodCrashLooping: not firing (resolved)|Sneaky: label namespace is not a Kubernetes namespace|Evil: the pod label is not a Kubernetes name" \
    "$(jq -r '.ignored | map("\(.alertname): \(.why)") | join("|")' body)"
expect_eq "one file per queued request, named by its hash" 5 "$(find queue -name '[0-9a-f]*.json' | grep -cE '/[0-9a-f]{64}\.json$')"
expect_eq "the response names the files" "$(jq -r '.queued[].file' body | sort)" "$(files)"
expect_eq "no temporary file left in the queue" 5 "$(nfiles)"
web1=queue/$(jq -r '.queued[0].file' body)
expect_eq "a request: namespace, kind, name, reason, alertname, labels, annotations, startsAt, fingerprint, receivedAt" \
    '{"namespace":"shop","kind":"Pod","name":"web-1","reason":"CrashLoopBackOff","alertname":"OpspipePodCrashLooping","labels":{"alertname":"OpspipePodCrashLooping","namespace":"shop","pod":"web-1","reason":"CrashLoopBackOff"},"annotations":{"summary":"s"},"startsAt":"2026-12-02T05:00:00Z","fingerprint":"c0ffee0123456789"}' \
    "$(jq -c 'del(.receivedAt)' "$web1")"
expect_match "... received at an RFC 3339 time" '^"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"$' "$(jq .receivedAt "$web1")"
evilf=queue/$(jq -r '.queued[4].file' body)
expect_eq "hostile label and annotation values are kept byte for byte" "$evil|$evil" \
    "$(jq -j '"\(.labels.note)|\(.annotations.summary)"' "$evilf")"
ok_if "... and never run" [ ! -e "$f" ]
expect_match "the server's log says what was done" "alert: queued 5 request\\(s\\), ignored 4 alert\\(s\\)" "$(cat lighttpd.log)"

# The same alert again replaces its request; a new reason is a new one.
before=$(files)
post many.json
expect_eq "the same payload again: the same five files" "$before" "$(files)"
payload "[$(alert '{"alertname":"OpspipePodCrashLooping","namespace":"shop","pod":"web-1","reason":"CrashLoopBackOff","container":"sidecar"}')]" >again.json
post again.json
expect_eq "another alert for the same workload and reason collapses into its request" 5 "$(nfiles)"
expect_eq "... which now holds the latest" sidecar "$(jq -r .labels.container "$web1")"
payload "[$(alert '{"alertname":"OpspipePodOOMKilled","namespace":"shop","pod":"web-1","reason":"OOMKilled"}')]" >oom.json
post oom.json
expect_eq "the same workload for another reason: a request of its own" 6 "$(nfiles)"

# --- not configured, or the queue not writable: run as a CGI, no server -----------
cgi=$OPSPIPE_TOP/share/opspipe/cgi/alert
# run_cgi VAR=VALUE...: the CGI on one.json, the status line of its answer.
run_cgi() {
	env REQUEST_METHOD=POST CONTENT_TYPE=application/json CONTENT_LENGTH="$(wc -c <one.json)" \
	    HTTP_AUTHORIZATION="Bearer $token" "$@" sh "$cgi" <one.json 2>/dev/null |
		tr -d '\r' | sed -n 's/^Status: //p'
}
expect_eq "without OPSPIPE_ALERT_TOKEN_FILE: 503, never open" "503 Service Unavailable" \
    "$(run_cgi OPSPIPE_ALERT_TOKEN_FILE=)"
: >empty
expect_eq "an empty token file: 503" "503 Service Unavailable" "$(run_cgi OPSPIPE_ALERT_TOKEN_FILE="$T_DIR/empty")"
expect_eq "a queue directory that is not there: 503" "503 Service Unavailable" \
    "$(run_cgi OPSPIPE_REMEDIATE_QUEUE="$T_DIR/nonexistent")"
expect_eq "a queue that cannot be written: 500 (Alertmanager retries)" "500 Internal Server Error" \
    "$(run_cgi OPSPIPE_REMEDIATE_QUEUE=/proc)"
expect_eq "a Content-Length the body does not have: 400" "400 Bad Request" "$(run_cgi CONTENT_LENGTH=99999)"
expect_eq "a Content-Length past any number: 413" "413 Content Too Large" "$(run_cgi CONTENT_LENGTH=99999999999999999999)"
expect_eq "OPSPIPE_ALERT_MAX_BYTES lowers the limit" "413 Content Too Large" "$(run_cgi OPSPIPE_ALERT_MAX_BYTES=10)"
expect_eq "and configured right, as a bare CGI: 200" "200 OK" "$(run_cgi)"

# --- the man page: lints clean, documents every status the CGI answers ------------
man=$OPSPIPE_TOP/share/man/man1/opspipe-alert.1
expect_eq "opspipe-alert.1 lints clean" "" "$(mandoc -Tlint -W warning "$man" 2>&1)"
expect_eq "opspipe-alert.1 lists every error status the CGI answers" \
    "$(grep -o 'fail "[0-9]\{3\}' "$cgi" | sed 's/fail "//' | sort -u)" \
    "$(sed -n 's/^\.It \([0-9]\{3\}\)$/\1/p' "$man" | sort -u)"

# --- end to end: kube-state-metrics -> Prometheus -> Alertmanager -> here -----------
rm -f queue/*
stack_start "$hook" "$T_DIR/token" 1s
curl -fs -X POST -d '{"crashloop": true}' "$FX_URL/_control" >/dev/null
i=0
until [ "$(nreq)" -ge 2 ] || [ "$i" -ge 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
expect_eq "a crash-looping pod: the shipped rules fire, Alertmanager posts, two requests are queued" \
    "Deployment shop/web ReplicasUnavailable OpspipeDeploymentReplicasUnavailable|Pod shop/web-7c9f6-abcde CrashLoopBackOff OpspipePodCrashLooping" \
    "$(cat queue/*.json | jq -r '"\(.kind) \(.namespace)/\(.name) \(.reason) \(.alertname)"' | sort | paste -sd'|')"
pod=$(grep -l '"kind":"Pod"' queue/*.json)
expect_eq "... the pod's request carries the alert's labels and rendered annotations" \
    'web|true|warning|shop/web-7c9f6-abcde (web) is crash-looping' \
    "$(jq -r '"\(.labels.container)|\(.labels.remediate)|\(.labels.severity)|\(.annotations.summary)"' "$pod")"
expect_match "... Alertmanager's fingerprint and the alert's start" '^[0-9a-f]{16} 20[0-9-]+T[0-9:.]+Z$' \
    "$(jq -r '"\(.fingerprint) \(.startsAt)"' "$pod")"
ok_if "... sent with the bearer token from the file (no 401 in Alertmanager's log)" \
    sh -c "! grep -q '401' '$T_DIR/alertmanager.log'"
sleep 2
expect_eq "other alerts (not remediate=\"true\") never reach the receiver" 2 "$(nfiles)"
done_testing
