#!/bin/sh
# The Kubernetes API fixture's simulation (test/fixtures/kubeapi.py): pods
# fail by the documented rules with the statuses, events and logs a real
# kubelet gives; the controllers roll, pause, clean up, garbage-collect;
# custom resources, watches and the control endpoints work.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

cat >"$T_DIR/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rollouts.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {plural: rollouts, singular: rollout, kind: Rollout, shortNames: [ro]}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
EOF
start_fixture kubeapi.py --objects "$T_DIR/crd.yaml"
api=$FIXTURE_URL
wait_http "$api/version" 10 || { not_ok "fixture started" "$(cat "$FIXTURE_LOG")"; done_testing; exit 1; }
k() { curl -s "$@"; }
control() { k -X POST -d "$1" "$api/_control" >/dev/null; }
ns=$api/api/v1/namespaces/default
apps=$api/apis/apps/v1/namespaces/default

# until_jq NAME URL FILTER [SECONDS]: passes once FILTER (jq_holds) holds for
# what URL answers.
until_jq() {
	i=0
	while [ "$i" -lt "$(( ${4:-10} * 10 ))" ]; do
		k "$2" | jq_holds "$3" 2>/dev/null && { ok "$1"; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	not_ok "$1" "filter: $3" "last: $(k "$2" | head -c 400)"
}
create() { k -X POST -H 'Content-Type: application/json' -d "$2" "$1" >/dev/null; }
deploy() { # NAME CONTAINER-JSON [SPEC-EXTRA]
	create "$apps/deployments" "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"replicas\":1${3:-},\"selector\":{\"matchLabels\":{\"app\":\"$1\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"$1\"}},\"spec\":{\"containers\":[$2]}}}}"
}
pod_of() { echo "$ns/pods?labelSelector=app%3D$1"; }
events_of() { echo "$ns/events?fieldSelector=involvedObject.name%3D$1"; }

# --- the failure rules --------------------------------------------------------
deploy oom '{"name":"app","image":"fixture/app:1","resources":{"limits":{"memory":"64Mi"}}}'
until_jq "memory limit below the image's need: OOMKilled, exit 137" "$(pod_of oom)" \
    '.items[0].status.containerStatuses[0] | .lastState.terminated.reason == "OOMKilled" and .lastState.terminated.exitCode == 137'
until_jq "... then CrashLoopBackOff with restarts counting up" "$(pod_of oom)" \
    '.items[0].status.containerStatuses[0] | .state.waiting.reason == "CrashLoopBackOff" and .restartCount >= 3'
pod=$(k "$(pod_of oom)" | jq -r '.items[0].metadata.name')
expect_eq "... the previous log ends with killed" "killed" \
    "$(k "$ns/pods/$pod/log?previous=true" | tail -n 1)"
until_jq "... BackOff Warning events on the pod" "$(events_of "$pod")" \
    '[.items[] | select(.reason == "BackOff" and .type == "Warning")] | length == 1 and .[0].count >= 1'
until_jq "... an OOMKilling event on the node" "$api/api/v1/events" \
    'any(.items[]; .reason == "OOMKilling" and .involvedObject.kind == "Node")'
until_jq "... and the Deployment does not become available" "$apps/deployments/oom" \
    '.status.unavailableReplicas == 1 and (.status.conditions[] | select(.type == "Available") | .status) == "False"'

deploy crash '{"name":"app","image":"fixture/app:2","env":[{"name":"FIXTURE_CRASH","value":"1"}]}'
until_jq "FIXTURE_CRASH=1: exits 1 and restarts" "$(pod_of crash)" \
    '.items[0].status.containerStatuses[0] | .lastState.terminated.exitCode == 1 and .lastState.terminated.reason == "Error" and .restartCount >= 2'
pod=$(k "$(pod_of crash)" | jq -r '.items[0].metadata.name')
expect_match "... and says why in its log" "^fatal: FIXTURE_CRASH" \
    "$(k "$ns/pods/$pod/log?previous=true" | tail -n 1)"

deploy pull '{"name":"app","image":"nginx:9.9"}'
until_jq "an unknown image: ImagePullBackOff" "$(pod_of pull)" \
    '.items[0].status | .phase == "Pending" and .containerStatuses[0].state.waiting.reason == "ImagePullBackOff"'
pod=$(k "$(pod_of pull)" | jq -r '.items[0].metadata.name')
until_jq "... with the pull failure and back-off events" "$(events_of "$pod")" \
    '[.items[].reason] | index("Failed") and index("BackOff")'
expect_eq "... and no log to read (400)" 400 \
    "$(k "$ns/pods/$pod/log" | jq -r .code)"
control '{"images":{"nginx":["9.9"]}}'
until_jq "... until the registry has it" "$(pod_of pull)" '.items[0].status.phase == "Running"'

deploy cfg '{"name":"app","image":"nginx:1.25","envFrom":[{"configMapRef":{"name":"settings"}}]}'
until_jq "a missing ConfigMap: CreateContainerConfigError" "$(pod_of cfg)" \
    '.items[0].status.containerStatuses[0].state.waiting | .reason == "CreateContainerConfigError" and .message == "configmap \"settings\" not found"'
create "$ns/configmaps" '{"metadata":{"name":"settings"},"data":{"a":"1"}}'
until_jq "... until it exists" "$(pod_of cfg)" '.items[0].status.containerStatuses[0].ready'

create "$ns/pods" '{"metadata":{"name":"vol"},"spec":{"volumes":[{"name":"s","secret":{"secretName":"creds"}}],"containers":[{"name":"app","image":"nginx:1.25"}]}}'
until_jq "a missing Secret volume: FailedMount events, repeated" "$(events_of vol)" \
    'any(.items[]; .reason == "FailedMount" and .count >= 2 and (.message | contains("secret \"creds\" not found")))'
expect_eq "... the container still ContainerCreating" "ContainerCreating" \
    "$(k "$ns/pods/vol" | jq -r '.status.containerStatuses[0].state.waiting.reason')"
create "$ns/secrets" '{"metadata":{"name":"creds"},"data":{"k":"dg=="}}'
until_jq "... until the Secret exists" "$ns/pods/vol" '.status.containerStatuses[0].ready'

deploy big '{"name":"app","image":"nginx:1.25","resources":{"requests":{"memory":"64Gi"}}}'
until_jq "requests larger than any node: Unschedulable" "$(pod_of big)" \
    '.items[0].status | .phase == "Pending" and (.conditions[] | select(.type == "PodScheduled") | .reason) == "Unschedulable"'
until_jq "... with a FailedScheduling event" "$ns/events?fieldSelector=reason%3DFailedScheduling" \
    '.items[0].message | startswith("0/2 nodes are available: 2 Insufficient memory.")'
control '{"objects":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"huge","labels":{"kubernetes.io/hostname":"huge"}},"status":{"allocatable":{"cpu":"64","memory":"256Gi","pods":"110"},"capacity":{"cpu":"64","memory":"256Gi","pods":"110"}}}]}'
until_jq "... until a node fits it" "$(pod_of big)" '.items[0].spec.nodeName == "huge" and .items[0].status.phase == "Running"'

deploy unready '{"name":"app","image":"nginx:1.25","readinessProbe":{"httpGet":{"port":8081}}}'
until_jq "a readiness probe on a port nginx does not serve: running, not ready" "$(pod_of unready)" \
    '.items[0].status.containerStatuses[0] | .state.running and (.ready | not)'
until_jq "... Unhealthy events" "$ns/events?fieldSelector=reason%3DUnhealthy" \
    'any(.items[]; .message | startswith("Readiness probe failed"))'
deploy live '{"name":"app","image":"fixture/app:1","livenessProbe":{"tcpSocket":{"port":9999}}}'
until_jq "a failing liveness probe restarts the container" "$(pod_of live)" \
    '.items[0].status.containerStatuses[0].restartCount >= 1'
until_jq "... with a Killing event" "$ns/events?fieldSelector=reason%3DKilling" \
    'any(.items[]; .message | endswith("failed liveness probe, will be restarted"))'

# --- logs ---------------------------------------------------------------------
create "$ns/pods" '{"metadata":{"name":"two","annotations":{"fixture.opspipe.io/log":"hello\nworld"}},"spec":{"containers":[{"name":"a","image":"fixture/app:1"},{"name":"b","image":"busybox:1.36"}]}}'
until_jq "a pod made directly runs" "$ns/pods/two" '.status.phase == "Running"'
expect_match "two containers: the log needs ?container" "choose one of: \\[a b\\]" \
    "$(k "$ns/pods/two/log" | jq -r .message)"
expect_eq "the log annotation's lines, tailLines" "hello world" \
    "$(k "$ns/pods/two/log?container=a&tailLines=2" | tr '\n' ' ' | sed 's/ $//')"
expect_match "timestamps=true" '^20[0-9-]+T[0-9:.]+Z fixture/app' \
    "$(k "$ns/pods/two/log?container=a&timestamps=true" | head -n 1)"
expect_match "no previous container is a 400" 'previous terminated container "a" in pod "two" not found' \
    "$(k "$ns/pods/two/log?container=a&previous=true" | jq -r .message)"

# --- controllers ----------------------------------------------------------------
deploy slow '{"name":"app","image":"nginx:1.25"}' ',"progressDeadlineSeconds":1'
until_jq "a Deployment becomes available" "$apps/deployments/slow" \
    '.status.availableReplicas == 1 and (.status.conditions[] | select(.type == "Progressing") | .reason) == "NewReplicaSetAvailable"'
k -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' \
    -d '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:nope"}]}}}}' "$apps/deployments/slow" >/dev/null
until_jq "a stuck rollout: ProgressDeadlineExceeded after progressDeadlineSeconds" "$apps/deployments/slow" \
    '.status.conditions[] | select(.type == "Progressing") | .status == "False" and .reason == "ProgressDeadlineExceeded"' 5
until_jq "... while the old pod keeps serving" "$apps/deployments/slow" '.status.availableReplicas == 1 and .status.updatedReplicas == 1'
k -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"paused":true}}' "$apps/deployments/slow" >/dev/null
k -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' \
    -d '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}}}' "$apps/deployments/slow" >/dev/null
until_jq "a paused Deployment: Progressing Unknown DeploymentPaused" "$apps/deployments/slow" \
    '.status.conditions[] | select(.type == "Progressing") | .reason == "DeploymentPaused"'
expect_eq "... and no new ReplicaSet" 2 \
    "$(k "$apps/replicasets?labelSelector=app%3Dslow" | jq '.items | length')"
k -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"paused":false,"revisionHistoryLimit":0}}' "$apps/deployments/slow" >/dev/null
until_jq "resumed, it rolls out and keeps revisionHistoryLimit old ReplicaSets" "$apps/replicasets?labelSelector=app%3Dslow" \
    '[.items[].spec.template.spec.containers[0].image] == ["nginx:1.26"]'
k -X DELETE "$apps/deployments/slow" >/dev/null
until_jq "deleting a Deployment collects its ReplicaSets and pods" "$(pod_of slow)" '.items == []'

create "$apps/deployments" '{"metadata":{"name":"re"},"spec":{"replicas":2,"strategy":{"type":"Recreate"},"selector":{"matchLabels":{"app":"re"}},"template":{"metadata":{"labels":{"app":"re"}},"spec":{"containers":[{"name":"app","image":"nginx:1.25"}]}}}}'
until_jq "Recreate rolls out" "$apps/deployments/re" '.status.readyReplicas == 2'
k -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' \
    -d '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}}}' "$apps/deployments/re" >/dev/null
until_jq "... by scaling the old ReplicaSet to 0 first" "$apps/deployments/re" \
    '.status.updatedReplicas == 2 and .status.readyReplicas == 2 and .status.replicas == 2'

create "$apps/statefulsets" '{"metadata":{"name":"db"},"spec":{"replicas":3,"serviceName":"db","updateStrategy":{"rollingUpdate":{"partition":2}},"selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"pg","image":"postgres:16"}]}}}}'
until_jq "a StatefulSet creates db-0..2 in order" "$apps/statefulsets/db" '.status.readyReplicas == 3'
expect_eq "... one ControllerRevision" 1 "$(k "$apps/controllerrevisions" | jq '[.items[] | select(.metadata.ownerReferences[0].name == "db")] | length')"
k -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' \
    -d '{"spec":{"template":{"spec":{"containers":[{"name":"pg","image":"postgres:17"}]}}}}' "$apps/statefulsets/db" >/dev/null
until_jq "a partition of 2 updates only db-2" "$apps/statefulsets/db" \
    '.status.updatedReplicas == 1 and .status.currentReplicas == 2 and .status.currentRevision != .status.updateRevision'
expect_eq "... db-0 keeps the old image" "postgres:16" "$(k "$ns/pods/db-0" | jq -r '.spec.containers[0].image')"

create "$apps/daemonsets" '{"metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"name":"a","image":"busybox:1.36"}]}}}}'
until_jq "a DaemonSet runs a pod on each of the 3 nodes" "$apps/daemonsets/agent" \
    '.status.desiredNumberScheduled == 3 and .status.numberReady == 3'

bj=$api/apis/batch/v1/namespaces/default/jobs
create "$bj" '{"metadata":{"name":"ok"},"spec":{"completions":2,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"j","image":"busybox:1.36"}]}}}}'
create "$bj" '{"metadata":{"name":"bad"},"spec":{"backoffLimit":1,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"j","image":"busybox:1.36","command":["crash"]}]}}}}'
until_jq "a Job completes" "$bj/ok" '.status.succeeded == 2 and any(.status.conditions[]; .type == "Complete")'
until_jq "a failing Job stops at its backoffLimit" "$bj/bad" \
    'any(.status.conditions[]; .type == "Failed" and .reason == "BackoffLimitExceeded") and .status.failed == 2'

# --- custom resources, watch, control ---------------------------------------------
ro=$api/apis/argoproj.io/v1alpha1/namespaces/default/rollouts
expect_eq "a CRD registers its resource in discovery" "ro Rollout rollouts/scale" \
    "$(k "$api/apis/argoproj.io/v1alpha1" | jq -r '"\(.resources[0].shortNames[0]) \(.resources[0].kind) \(.resources[2].name)"')"
create "$ro" '{"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"r"},"spec":{"replicas":2,"strategy":{"canary":{}}}}'
expect_eq "custom resources are listed with their kind" "Rollout 1" \
    "$(k "$ro" | jq -r '"\(.items[0].kind) \(.items[0].metadata.generation)"')"
expect_eq "strategic merge on a custom resource is 415" 415 \
    "$(k -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' -d '{}' "$ro/r" | jq -r .code)"
k -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"replicas":4}}' "$ro/r/scale" >/dev/null
expect_eq "/scale on a custom resource uses specReplicasPath" "4 2" \
    "$(k "$ro/r" | jq -r '"\(.spec.replicas) \(.metadata.generation)"')"

rv=$(k "$apps/deployments/re" | jq -r .metadata.resourceVersion)
k -N "$apps/deployments?watch=1&resourceVersion=$rv&timeoutSeconds=2&fieldSelector=metadata.name%3Dre" >"$T_DIR/watch" &
sleep 0.3
k -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"replicas":3}}' "$apps/deployments/re" >/dev/null
wait "$!"
expect_match "a watch streams the change" '"type":"MODIFIED".*"replicas":3' "$(head -n 1 "$T_DIR/watch")"

control '{"fail":[{"method":"GET","path":"/deployments/re$","status":429,"retry_after":1,"count":2}]}'
expect_eq "injected 429s carry Retry-After, then pass" "429:1 429:1 200:" \
    "$(for i in 1 2 3; do k -o /dev/null -D - "$apps/deployments/re" | tr -d '\r' |
        awk '/^HTTP/ {c=$2} tolower($1)=="retry-after:" {r=$2} END {printf "%s:%s ", c, r}'; done | sed 's/ $//')"
control '{"pause":true}'
deploy paused '{"name":"app","image":"nginx:1.25"}'
sleep 0.5
expect_eq "a paused simulation creates nothing" 0 "$(k "$(pod_of paused)" | jq '.items | length')"
control '{"pause":false}'
until_jq "... and catches up when resumed" "$(pod_of paused)" '.items[0].status.phase == "Running"'
k -X DELETE "$api/api/v1/namespaces/default" >/dev/null
until_jq "deleting a namespace deletes what is in it" "$api/apis/apps/v1/deployments" '.items == []'

expect_eq "the fixture logged no errors" "" "$(grep -A 12 Traceback "$FIXTURE_LOG")"
done_testing
