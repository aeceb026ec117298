#!/bin/sh
# k8spatch failing against every failure the API fixture simulates: one
# workload each, each found with DESIGN's failing-workload record and its
# reason; healthy workloads print nothing; the fingerprint is the SHA-256
# of cluster, kind, namespace, name and reason only, the same from run to
# run whatever the restarts; secrets in logs pass through (llmask masks
# them downstream) but the kubeconfig's token appears in no output and no
# diagnostic.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"

# dep NAME [CONTAINER-YAML] [SPEC-EXTRA] [POD-SPEC-EXTRA]: a Deployment in
# $ns (lab).
dep() {
	cat <<EOF
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: ${ns:-lab}, labels: {app: $1}}
spec:
  replicas: 1
  selector: {matchLabels: {app: $1}}
${3:-}
  template:
    metadata:
      labels: {app: $1}
      annotations: {fixture.opspipe.io/log: "db password=hunter2"}
    spec:
      containers:
      - {name: $1, ${2:-image: "nginx:1.25"}}
${4:-}
EOF
}
{
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n---\n'
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n'
	dep oom 'image: "nginx:1.25", resources: {limits: {memory: 32Mi}}'
	dep crash 'image: "busybox:1.36", env: [{name: FIXTURE_CRASH, value: "1"}]'
	dep pull 'image: "does-not-exist:1"'
	dep config 'image: "nginx:1.25", env: [{name: A, valueFrom: {configMapKeyRef: {name: missing, key: a}}}]'
	dep big 'image: "nginx:1.25", resources: {requests: {memory: 100Gi}}'
	dep probe 'image: "nginx:1.25", readinessProbe: {httpGet: {path: /, port: 9999}}'
	# A volume whose ConfigMap is missing: ContainerCreating, no pod-level
	# reason; the Deployment's own conditions tell (Available False, then
	# after its deadline ProgressDeadlineExceeded).
	dep mount 'image: "nginx:1.25", volumeMounts: [{name: v, mountPath: /v}]' \
	    '  progressDeadlineSeconds: 600' '      volumes: [{name: v, configMap: {name: missing}}]'
	dep deadline 'image: "nginx:1.25", volumeMounts: [{name: v, mountPath: /v}]' \
	    '  progressDeadlineSeconds: 2' '      volumes: [{name: v, configMap: {name: missing}}]'
	cat <<'EOF'
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch, namespace: lab}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: batch, image: "busybox:1.36", command: ["crash"]}
EOF
	ns=ok dep web
	ns=ok dep cache 'image: "redis:7"'
} >"$T_DIR/objects.yaml"

start_kubeapi --objects "$T_DIR/objects.yaml" --token "f41l1ng-t0ken-value=admin"
sed 's/  user: {}/  user: {token: f41l1ng-t0ken-value}/' "$KUBECONFIG" >"$T_DIR/kc"
KUBECONFIG=$T_DIR/kc

# Until every failure is there (the slowest is the 2 s deadline) or 30 s.
want="Deployment/big:Unschedulable Deployment/config:CreateContainerConfigError Deployment/crash:CrashLoopBackOff Deployment/deadline:ProgressDeadlineExceeded Deployment/mount:ReplicasUnavailable Deployment/oom:OOMKilled Deployment/probe:ProbeFailure Deployment/pull:ImagePullBackOff Job/batch:JobFailed"
i=0
while :; do
	k8spatch failing -n lab >"$T_DIR/f" 2>"$T_DIR/ferr"
	got=$(jq -r '"\(.kind)/\(.name):\(.reason)"' "$T_DIR/f" | sort | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$want" ] || [ "$i" -ge 150 ] && break
	i=$((i + 1))
	sleep 0.2
done
expect_eq "failing: each simulated failure with its reason" "$want" "$got"
expect_eq "… DESIGN's fields, in its order (logs where a container ran)" \
    'kind namespace name reason container restarts since message pods events logs fingerprint' \
    "$(jq -r 'select(.name == "crash") | keys_unsorted | join(" ")' "$T_DIR/f")"
expect_eq "… types: restarts a number, pods and events arrays, since RFC 3339" "true" \
    "$(jq -s 'all(.[]; (.restarts | type) == "number" and (.pods | type) == "array" and (.events | type) == "array" and ((.since // "2000-01-01T00:00:00Z") | test("^[0-9-]{10}T[0-9:]{8}Z$")))' "$T_DIR/f")"
expect_eq "… pods named for the pod-level reasons" "true" \
    "$(jq -s 'all(.[] | select(.kind == "Deployment" and (.reason | test("Deadline|Unavailable") | not)); . as $r | ($r.pods | length) == 1 and ($r.pods[0] | startswith($r.name + "-")))' "$T_DIR/f")"
expect_match "… the crash's log, its secret passed through for llmask" "hunter2" \
    "$(jq -r 'select(.name == "crash") | .logs' "$T_DIR/f")"
expect_match "… the OOM's restarts and message" "^[0-9]+ .*OOMKilled" \
    "$(jq -r 'select(.name == "oom") | "\(.restarts) \(.message)"' "$T_DIR/f")"
expect_match "… Unschedulable's FailedScheduling event" "FailedScheduling" \
    "$(jq -r 'select(.name == "big") | .events[].reason' "$T_DIR/f")"
expect_match "… ProbeFailure's Unhealthy event" "Unhealthy" \
    "$(jq -r 'select(.name == "probe") | .events[].reason' "$T_DIR/f")"
expect_eq "healthy workloads print nothing" "" "$(k8spatch failing -n ok)"
expect_eq "-l: a workload's own status counts when its labels match" "Deployment/deadline:ProgressDeadlineExceeded" \
    "$(k8spatch failing -n lab -l app=deadline | jq -r '"\(.kind)/\(.name):\(.reason)"')"
expect_eq "-l: … and only those" "Deployment/oom:OOMKilled" \
    "$(k8spatch failing -n lab -l 'app in (oom,web)' | jq -r '"\(.kind)/\(.name):\(.reason)"')"

# The fingerprint: SHA-256 of "cluster\0kind\0namespace\0name\0reason",
# nothing else; the same on the next run, restarts and all.
fp() {
	printf '%s\0%s\0%s\0%s\0%s' fixture "$1" lab "$2" "$3" | sha256sum | cut -d' ' -f1
}
expect_eq "the fingerprint hashes cluster, kind, namespace, name and reason only" \
    "$(fp Deployment crash CrashLoopBackOff) $(fp Job batch JobFailed)" \
    "$(jq -r 'select(.name == "crash") | .fingerprint' "$T_DIR/f") $(jq -r 'select(.name == "batch") | .fingerprint' "$T_DIR/f")"
before=$(jq -r 'select(.name == "oom") | "\(.restarts) \(.fingerprint)"' "$T_DIR/f")
until [ "$(k8spatch failing -n lab | jq 'select(.name == "oom") | .restarts')" -gt "${before%% *}" ]; do
	sleep 0.2
done
expect_eq "… the same after more restarts" "${before#* }" \
    "$(k8spatch failing -n lab | jq -r 'select(.name == "oom") | .fingerprint')"

# --- the kubeconfig's token is never printed --------------------------------
k8spatch failing -A >"$T_DIR/all" 2>"$T_DIR/allerr"
k8spatch get deploy nope >>"$T_DIR/all" 2>>"$T_DIR/allerr"
k8spatch --policy /dev/null patch deploy oom -p '{}' >>"$T_DIR/all" 2>>"$T_DIR/allerr"
control '{"fail":[{"method":"GET","path":"pods","status":500,"count":0}]}'
k8spatch --retries 0 failing -n lab >>"$T_DIR/all" 2>>"$T_DIR/allerr"
control '{"fail":[]}'
control '{"revoke":["f41l1ng-t0ken-value"]}'
k8spatch failing -n lab >>"$T_DIR/all" 2>>"$T_DIR/allerr"
expect_match "a revoked token: Unauthorized said" "Unauthorized" "$(cat "$T_DIR/allerr")"
cat "$T_DIR/f" "$T_DIR/ferr" >>"$T_DIR/all"
# shellcheck disable=SC2016 # $1 is the inner shell's
ok_if "the token is in no output and no diagnostic" sh -c '! grep -q f41l1ng-t0ken "$1" "$2"' sh "$T_DIR/all" "$T_DIR/allerr"
done_testing
