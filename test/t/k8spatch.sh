#!/bin/sh
# k8spatch's verbs against the Kubernetes API fixture: get (kinds, short
# names, KIND/NAME, selectors, every namespace, custom resources found by
# discovery), patch (the four types, dry run, errors), scale, restart,
# rollback (kubectl's semantics and errors), wait (kubectl's rules and
# fail-fast), failing (the failing-workload record), patch requests on
# stdin, and the exit statuses.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"

cat >"$T_DIR/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: web, labels: {app: nginx, tier: front}}
spec:
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        resources: {limits: {memory: 128Mi, cpu: 500m}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: api, image: "fixture/app:1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: solo, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: solo}}
  template:
    metadata: {labels: {app: solo}}
    spec:
      containers:
      - {name: solo, image: "busybox:1.36"}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: web}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: db, image: "redis:7"}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: web}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: agent, image: "busybox:1.36"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: web}
data: {level: info}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rollouts.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {kind: Rollout, plural: rollouts, singular: rollout, shortNames: [ro]}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary, namespace: web}
spec: {replicas: 3}
EOF

start_kubeapi --objects "$T_DIR/objects.yaml"
k8spatch wait deploy nginx --timeout 20s >/dev/null
k8spatch wait sts db --timeout 20s >/dev/null
k8spatch wait ds agent --timeout 20s >/dev/null

# --- get --------------------------------------------------------------------
expect_status "get deploy lists the context's namespace" 0 k8spatch get deploy
expect_eq "one Deployment in web, kind and apiVersion filled in" \
    "apps/v1 Deployment nginx" \
    "$(jq -r '"\(.apiVersion) \(.kind) \(.metadata.name)"' "$T_DIR/out")"
for kind in deploy deployment deployments Deployment deployments.apps deployments.v1.apps; do
	expect_eq "get $kind/nginx" nginx "$(k8spatch get "$kind/nginx" | jq -r .metadata.name)"
done
expect_eq "short names: po, sts, ds, cm, ns, no" "Pod StatefulSet DaemonSet ConfigMap Namespace Node" \
    "$(for k in po sts ds cm ns no; do k8spatch get "$k" -A | jq -r .kind | head -n 1; done | tr '\n' ' ' | sed 's/ $//')"
expect_eq "get -A lists every namespace" "api nginx solo" \
    "$(k8spatch get deploy -A | jq -r .metadata.name | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "get -n shop" "api solo" "$(k8spatch get deploy -n shop | jq -r .metadata.name | tr '\n' ' ' | sed 's/ $//')"
expect_eq "get -l selects by label" nginx "$(k8spatch get deploy -A -l tier=front | jq -r .metadata.name)"
expect_eq "get --field-selector" 2 "$(k8spatch get po --field-selector status.phase=Running -l app=nginx | wc -l)"
expect_eq "get KIND NAME NAME" "nginx nginx" \
    "$(k8spatch get deploy nginx nginx | jq -r .metadata.name | tr '\n' ' ' | sed 's/ $//')"
expect_eq "a custom resource by short name, through discovery" "argoproj.io/v1alpha1 Rollout 3" \
    "$(k8spatch get ro canary | jq -r '"\(.apiVersion) \(.kind) \(.spec.replicas)"')"
expect_eq "a custom resource listed" canary "$(k8spatch get rollouts.argoproj.io | jq -r .metadata.name)"
expect_eq "… its own apiVersion and kind, not added twice" 1 \
    "$(k8spatch get rollouts.argoproj.io | grep -o '"kind":"Rollout"' | wc -l)"
expect_status "a write error on stdout exits 4" 4 sh -c 'k8spatch get po -A >/dev/full'
expect_status "an unknown kind exits 2" 2 k8spatch get nosuchkind
expect_match "… and says so" "doesn't have a resource type 'nosuchkind'" "$(cat "$T_DIR/err")"
expect_status "a missing object exits 2" 2 k8spatch get deploy nope
expect_match "… with the API server's message" 'deployments.apps "nope" not found' "$(cat "$T_DIR/err")"
expect_status "a name that is not a name exits 2" 2 k8spatch get deploy ../../secrets
expect_eq "… and nothing was asked" 0 "$(sent '[.[] | select(.path | test("secrets"))] | length')"
control '{"clear_requests":true}'
k8spatch get po -A >/dev/null
expect_eq "lists are paged with limit" 500 "$(sent '[.[] | select(.path=="/api/v1/pods")][0].query.limit')"
k8spatch get po -A >"$T_DIR/o2"
# shellcheck disable=SC2016 # $1 is the inner shell's
ok_if "list output is one compact object per line" sh -c 'jq -c . "$1" | cmp -s - "$1"' sh "$T_DIR/o2"

# A plain http:// server behind proxy-url: requests go to the proxy in
# absolute form (test/fixtures/proxy.py forwards them).
start_fixture proxy.py
proxy=$FIXTURE_URL
sed "s|cluster: {server: \"$api\"}|cluster: {server: \"$api\", proxy-url: \"$proxy\"}|" "$KUBECONFIG" >"$T_DIR/proxied.yaml"
expect_eq "proxy-url: a get and a dry run through a forwarding proxy" "nginx dry-run" \
    "$(k8spatch --kubeconfig "$T_DIR/proxied.yaml" get deploy nginx | jq -r .metadata.name) $(k8spatch \
    --kubeconfig "$T_DIR/proxied.yaml" --dry-run patch deploy nginx --type merge -p '{"spec":{"replicas":3}}' | jq -r .result)"
expect_eq "… each request went through it" "GET GET PATCH $api/apis/apps/v1/namespaces/web/deployments/nginx" \
    "$(curl -fs "$proxy/_requests" | jq -r '"\(map(.method) | join(" ")) \(.[0].target)"')"

# --- patch (unguarded) ------------------------------------------------------
expect_status "a strategic merge patch" 0 \
    k8spatch patch deploy nginx -p '{"metadata":{"labels":{"team":"a"}}}'
expect_eq "… the result record" 'applied ["metadata.labels.team"]' \
    "$(jq -r '"\(.result) \(.changed | tojson)"' "$T_DIR/out")"
expect_eq "… keeps the request's fields" "apps/v1 Deployment web nginx strategic" \
    "$(jq -r '"\(.apiVersion) \(.kind) \(.namespace) \(.name) \(.patch_type)"' "$T_DIR/out")"
expect_eq "… sent as strategic-merge-patch+json" application/strategic-merge-patch+json \
    "$(sent '[.[] | select(.method=="PATCH")][-1].content_type')"
expect_eq "… with our field manager" k8spatch \
    "$(sent '[.[] | select(.method=="PATCH")][-1].query.fieldManager')"
expect_status "the same patch again is unchanged" 0 \
    k8spatch patch deploy/nginx -p '{"metadata":{"labels":{"team":"a"}}}'
expect_eq "… result unchanged" unchanged "$(jq -r .result "$T_DIR/out")"
expect_status "a merge patch in YAML" 0 k8spatch patch cm settings --type merge -p 'data: {level: debug}'
expect_eq "… changed the value" debug "$(k8spatch get cm settings | jq -r .data.level)"
expect_status "a JSON patch" 0 k8spatch patch cm settings --type json \
    -p '[{"op":"replace","path":"/data/level","value":"warn"}]'
expect_eq "… changed the value" warn "$(k8spatch get cm settings | jq -r .data.level)"
printf '{"data":{"extra":"1"}}' >"$T_DIR/patch.json"
expect_status "--patch-file" 0 k8spatch patch cm settings --type merge --patch-file "$T_DIR/patch.json"
expect_status "server-side apply" 0 k8spatch patch cm settings --type apply \
    -p '{"data":{"applied":"yes"}}' --field-manager tester
expect_eq "… apply carries apiVersion, kind and name; the field manager" \
    "application/apply-patch+yaml v1 ConfigMap settings tester" \
    "$(sent '[.[] | select(.method=="PATCH")][-1] | "\(.content_type) \(.body.apiVersion) \(.body.kind) \(.body.metadata.name) \(.query.fieldManager)"')"
expect_status "--dry-run changes nothing" 0 k8spatch patch cm settings --type merge -p '{"data":{"level":"x"}}' --dry-run
expect_eq "… reports dry-run and what would change" 'dry-run ["data.level"]' \
    "$(jq -r '"\(.result) \(.changed | tojson)"' "$T_DIR/out")"
expect_eq "… asked with dryRun=All" All "$(sent '[.[] | select(.method=="PATCH")][-1].query.dryRun')"
expect_eq "… the value stayed" warn "$(k8spatch get cm settings | jq -r .data.level)"
expect_status "an invalid patch (422) exits 2" 2 k8spatch patch deploy nginx --type merge -p '{"spec":{"replicas":-1}}'
expect_eq "… result failed, with the server's message" failed "$(jq -r .result "$T_DIR/out")"
expect_match "… the message" 'Invalid value: -1' "$(jq -r .error "$T_DIR/out")"
expect_status "a strategic patch on a custom resource (415) exits 2" 2 k8spatch patch ro canary -p '{"spec":{"replicas":1}}'
expect_status "a merge patch on a custom resource works" 0 k8spatch patch ro canary --type merge -p '{"spec":{"replicas":1}}'
expect_status "patch of a missing object exits 2" 2 k8spatch patch deploy nope -p '{}'
expect_status "a patch that is neither JSON nor YAML exits 2" 2 k8spatch patch deploy nginx -p '{"a": [}'
expect_status "a JSON patch that is not a list exits 2" 2 k8spatch patch deploy nginx --type json -p '{}'
expect_status "-p and --patch-file together exit 2" 2 k8spatch patch deploy nginx -p '{}' --patch-file "$T_DIR/patch.json"
expect_status "--type must be known" 2 k8spatch patch deploy nginx -p '{}' --type yaml
expect_match "… listing the choices" "expected strategic, merge, json or apply" "$(cat "$T_DIR/err")"

# --- scale ------------------------------------------------------------------
control '{"clear_requests":true}'
expect_status "scale --replicas" 0 k8spatch scale deploy nginx --replicas 3
expect_eq "… the record" "applied 3 2" "$(jq -r '"\(.result) \(.replicas) \(.previous)"' "$T_DIR/out")"
expect_eq "… through the scale subresource" "/apis/apps/v1/namespaces/web/deployments/nginx/scale" \
    "$(sent '[.[] | select(.method=="PATCH")][0].path')"
expect_status "scale --current-replicas that does not hold exits 1" 1 k8spatch scale deploy nginx --replicas 1 --current-replicas 2
expect_match "… says what it found" "expected replicas to be 2, was 3" "$(cat "$T_DIR/err")"
expect_eq "… nothing changed" 3 "$(k8spatch get deploy nginx | jq .spec.replicas)"
expect_status "scale --current-replicas that holds" 0 k8spatch scale deploy nginx --replicas 2 --current-replicas 3
expect_status "scale a StatefulSet" 0 k8spatch scale sts db --replicas 3
expect_status "scale needs --replicas" 2 k8spatch scale deploy nginx
k8spatch wait deploy nginx --timeout 20s >/dev/null

# --- restart and wait -------------------------------------------------------
expect_status "restart" 0 k8spatch restart deploy nginx
expect_eq "… sets restartedAt on the template" \
    "$(jq -r .restartedAt "$T_DIR/out")" \
    "$(k8spatch get deploy nginx | jq -r '.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]')"
expect_status "wait for the restart's rollout" 0 k8spatch wait deploy nginx --timeout 20s
expect_eq "… complete, kubectl's message" 'complete deployment "nginx" successfully rolled out' \
    "$(jq -r '"\(.rollout) \(.message)"' "$T_DIR/out")"
expect_status "wait for a StatefulSet" 0 k8spatch wait sts db --timeout 20s
# The API server defaults rollingUpdate.partition to 0, so kubectl's
# partitioned wording is what a real cluster shows.
expect_eq "… kubectl's message" "partitioned roll out complete: 3 new pods have been updated..." "$(jq -r .message "$T_DIR/out")"
expect_status "wait for a DaemonSet" 0 k8spatch wait ds agent --timeout 20s
expect_eq "… kubectl's message" 'daemon set "agent" successfully rolled out' "$(jq -r .message "$T_DIR/out")"
expect_status "wait on a kind without rollouts exits 2" 2 k8spatch wait cm settings

# Fail fast: each broken template fails the rollout with its reason.
broken() { # NAME REASON PATCH
	k8spatch patch deploy nginx -p "$3" >/dev/null
	expect_status "wait fails fast on $2" 1 k8spatch wait deploy nginx --fail-after 2s --timeout 60s
	expect_eq "… reason $2" "failed $2" "$(jq -r '"\(.rollout) \(.reason)"' "$T_DIR/out")"
	k8spatch rollback deploy nginx >/dev/null
	k8spatch wait deploy nginx --timeout 30s >/dev/null
}
C='{"spec":{"template":{"spec":{"containers":[{"name":"nginx",'
broken pull ImagePullBackOff "$C\"image\":\"does-not-exist:1\"}]}}}}"
broken oom OOMKilled "$C\"resources\":{\"limits\":{\"memory\":\"16Mi\"},\"requests\":{\"memory\":\"16Mi\"}}}]}}}}"
broken crash CrashLoopBackOff "$C\"env\":[{\"name\":\"FIXTURE_CRASH\",\"value\":\"1\"}]}]}}}}"
broken config CreateContainerConfigError "$C\"envFrom\":[{\"configMapRef\":{\"name\":\"missing\"}}]}]}}}}"
broken sched Unschedulable "$C\"resources\":{\"requests\":{\"memory\":\"64Gi\"},\"limits\":{\"memory\":\"64Gi\"}}}]}}}}"
k8spatch patch deploy nginx -p "$C\"image\":\"does-not-exist:2\"}]}}}}" >/dev/null
expect_status "without fail-fast, a timeout" 1 k8spatch wait deploy nginx --fail-after 0 --timeout 1s
expect_eq "… rollout timeout" "timeout Timeout" "$(jq -r '"\(.rollout) \(.reason)"' "$T_DIR/out")"
k8spatch rollback deploy nginx >/dev/null
k8spatch wait deploy nginx --timeout 30s >/dev/null
k8spatch patch deploy api -n shop --type merge -p '{"spec":{"progressDeadlineSeconds":1,"template":{"spec":{"containers":[{"name":"api","image":"does-not-exist:3"}]}}}}' >/dev/null
expect_status "a progress deadline exceeded fails the wait" 1 k8spatch wait deploy api -n shop --fail-after 0 --timeout 30s
expect_eq "… kubectl's words" "ProgressDeadlineExceeded: deployment \"api\" exceeded its progress deadline" \
    "$(jq -r '"\(.reason): \(.message)"' "$T_DIR/out")"

# --- failing ----------------------------------------------------------------
expect_status "failing exits 0 when there is something to tell" 0 k8spatch failing -A
expect_eq "failing: the stuck Deployment, named by its top owner" "Deployment shop api ImagePullBackOff" \
    "$(jq -r 'select(.name=="api") | "\(.kind) \(.namespace) \(.name) \(.reason)"' "$T_DIR/out")"
expect_match "… its pods, events and a fingerprint" '^api-.* [0-9]+ [0-9a-f]{64}$' \
    "$(jq -r 'select(.name=="api") | "\(.pods[0]) \(.events | length) \(.fingerprint)"' "$T_DIR/out")"
fp=$(jq -r 'select(.name=="api") | .fingerprint' "$T_DIR/out")
sleep 1
expect_eq "the fingerprint is the same on the next run" "$fp" \
    "$(k8spatch failing -n shop | jq -r 'select(.name=="api") | .fingerprint')"
expect_eq "healthy workloads print nothing" "" "$(k8spatch failing -n web)"
k8spatch patch deploy nginx -p "$C\"env\":[{\"name\":\"FIXTURE_CRASH\",\"value\":\"1\"}]}]}}}}" >/dev/null
sleep 2
k8spatch failing >"$T_DIR/f"
expect_eq "a crash loop: reason, container, restarts" "CrashLoopBackOff nginx true" \
    "$(jq -r '"\(.reason) \(.container) \(.restarts >= 2)"' "$T_DIR/f")"
expect_match "… the previous log's tail" "fatal: FIXTURE_CRASH is set" "$(jq -r .logs "$T_DIR/f")"
expect_match "… the BackOff event" "BackOff" "$(jq -r '.events[].reason' "$T_DIR/f")"
expect_eq "--log-lines bounds the log" 1 "$(k8spatch failing --log-lines 1 | jq -r .logs | grep -c .)"
expect_eq "… since is RFC 3339" true "$(jq '.since | test("^[0-9-]{10}T[0-9:]{8}Z$")' "$T_DIR/f")"
k8spatch rollback deploy nginx >/dev/null
k8spatch wait deploy nginx --timeout 30s >/dev/null

# --- rollback (kubectl rollout undo) ----------------------------------------
rev() { k8spatch get deploy nginx | jq -r '.metadata.annotations["deployment.kubernetes.io/revision"]'; }
img() { k8spatch get deploy nginx | jq -r '.spec.template.spec.containers[0].image'; }
k8spatch patch deploy nginx -p "$C\"image\":\"nginx:1.26\"}]}}}}" >/dev/null
k8spatch wait deploy nginx --timeout 30s >/dev/null
expect_status "rollback to the previous revision" 0 k8spatch rollback deploy nginx
expect_eq "… result rolled-back" rolled-back "$(jq -r .result "$T_DIR/out")"
expect_eq "… the image is the previous one" nginx:1.25 "$(img)"
expect_eq "… sent as kubectl does: one JSON patch of template and annotations" \
    "application/json-patch+json /spec/template /metadata/annotations" \
    "$(sent '[.[] | select(.method=="PATCH")][-1] | "\(.content_type) \(.body[0].path) \(.body[1].path)"')"
k8spatch wait deploy nginx --timeout 30s >/dev/null
r=$(rev)
expect_status "rollback --to-revision an unknown revision exits 2" 2 k8spatch rollback deploy nginx --to-revision 999
expect_match "… kubectl's words" "unable to find specified revision" "$(cat "$T_DIR/err")"
expect_status "rollback --to-revision the current template is skipped" 0 k8spatch rollback deploy nginx --to-revision "$r"
expect_match "… kubectl's words" "skipped rollback \(current template already matches revision $r\)" "$(jq -r .message "$T_DIR/out")"
k8spatch patch deploy nginx --type merge -p '{"spec":{"paused":true}}' >/dev/null
expect_status "rollback of a paused Deployment exits 2" 2 k8spatch rollback deploy nginx
expect_match "… kubectl's words" "you cannot rollback a paused deployment" "$(cat "$T_DIR/err")"
k8spatch patch deploy nginx --type merge -p '{"spec":{"paused":false}}' >/dev/null
expect_status "rollback with no history exits 2" 2 k8spatch rollback deploy solo -n shop
expect_match "… kubectl's words" 'no rollout history found for deployment solo' "$(cat "$T_DIR/err")"
k8spatch patch sts db -p '{"spec":{"template":{"spec":{"containers":[{"name":"db","image":"redis:7.2"}]}}}}' >/dev/null
k8spatch wait sts db --timeout 30s >/dev/null
expect_status "rollback a StatefulSet" 0 k8spatch rollback sts db
expect_eq "… its ControllerRevision's template" "redis:7 application/strategic-merge-patch+json" \
    "$(k8spatch get sts db | jq -r '.spec.template.spec.containers[0].image') $(sent '[.[] | select(.method=="PATCH")][-1].content_type')"
expect_status "a DaemonSet with one revision has nothing to roll back to" 2 k8spatch rollback ds agent
expect_match "… kubectl's words" "no last revision to roll back to" "$(cat "$T_DIR/err")"
expect_status "rollback of a ConfigMap exits 2" 2 k8spatch rollback cm settings

# --- patch requests on stdin ------------------------------------------------
printf '%s\n' \
    '{"kind":"ConfigMap","name":"settings","patch":{"data":{"a":"1"}},"patch_type":"merge","ticket":"T-1"}' \
    'not json' \
    '{"apiVersion":"apps/v1","kind":"Deployment","namespace":"shop","name":"nope","patch":{}}' \
    '{"kind":"ConfigMap","name":"settings","patch":[{"op":"add","path":"/data/b","value":"2"}],"patch_type":"json"}' \
    >"$T_DIR/reqs"
k8spatch - <"$T_DIR/reqs" >"$T_DIR/res" 2>"$T_DIR/reserr"
expect_eq "stdin: the worst status wins (a bad line, a missing object)" 2 "$?"
expect_eq "stdin: one result per good line, in order" "applied failed applied" \
    "$(jq -r .result "$T_DIR/res" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "stdin: other fields pass through; the namespace is filled in" "T-1 web" \
    "$(head -n 1 "$T_DIR/res" | jq -r '"\(.ticket) \(.namespace)"')"
expect_match "stdin: the bad line is named" "stdin:2:" "$(cat "$T_DIR/reserr")"
expect_eq "stdin: both changes are there" "1 2" "$(k8spatch get cm settings | jq -r '"\(.data.a) \(.data.b)"')"

# --- the API server failing -------------------------------------------------
control '{"fail":[{"method":"GET","path":"deployments","status":500,"count":0}]}'
expect_status "a 500 after retries exits 3" 3 env OPSPIPE_RETRY_BASE=0.01 k8spatch get deploy nginx
control '{"fail":[]}'
expect_status "an unreachable server exits 3" 3 k8spatch --url http://127.0.0.1:1 --retries 0 get deploy
expect_status "an unknown verb exits 2" 2 k8spatch frobnicate
expect_status "--policy with a verb it does not guard exits 2" 2 k8spatch --policy /dev/null get deploy
done_testing
