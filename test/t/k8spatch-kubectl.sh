#!/bin/sh
# k8spatch and the real kubectl against the same fixture state: `get`
# prints what `kubectl get -o json` lists, `wait` agrees with `kubectl
# rollout status` (success and a progress deadline), `rollback` leaves the
# template `kubectl rollout undo` leaves, `restart` sets the annotation
# `kubectl rollout restart` sets. Written for kubectl 1.20 (Debian 12's
# kubernetes-client) as well as newer ones; skipped without kubectl.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"

if ! command -v kubectl >/dev/null 2>&1; then
	skip "k8spatch and kubectl on one fixture" "no kubectl here"
	done_testing
	exit 0
fi

cat >"$T_DIR/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}, annotations: {team: web}}
    spec:
      containers:
      - {name: nginx, image: "nginx:1.25"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck, namespace: web}
spec:
  replicas: 1
  progressDeadlineSeconds: 1
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      containers:
      - {name: c, image: "does-not-exist:1"}
EOF
start_kubeapi --objects "$T_DIR/objects.yaml"
k() { kubectl --request-timeout=20s "$@"; }
template() { k8spatch get deploy nginx | jq -cS .spec.template; }
image() { k8spatch patch deploy nginx -p "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"$1\"}]}}}}" >/dev/null; }

# get
k8spatch wait deploy nginx --timeout 20s >/dev/null
# kubectl since 1.21 leaves managedFields out; "stuck" keeps changing.
k get deploy -o json | jq -cS '.items[] | select(.metadata.name == "nginx") |
    del(.metadata.managedFields)' >"$T_DIR/kubectl"
k8spatch get deploy | jq -cS 'select(.metadata.name == "nginx") |
    del(.metadata.managedFields)' >"$T_DIR/k8spatch"
ok_if "get lists what kubectl get -o json lists, kind and apiVersion included" \
    cmp -s "$T_DIR/kubectl" "$T_DIR/k8spatch"

# wait vs rollout status
k rollout status deploy/nginx --timeout=20s >"$T_DIR/kout" 2>&1
krc=$?
k8spatch wait deploy nginx --timeout 20s >"$T_DIR/out"
expect_eq "a finished rollout: the same status and words as kubectl rollout status" \
    "$krc $(tail -n 1 "$T_DIR/kout")" "$? $(jq -r .message "$T_DIR/out")"
sleep 2
k rollout status deploy/stuck --timeout=20s >"$T_DIR/kout" 2>&1
krc=$?
k8spatch wait deploy stuck --fail-after 0 --timeout 20s >"$T_DIR/out" 2>/dev/null
expect_eq "a progress deadline: both exit 1" "1 1" "$krc $?"
expect_match "… with kubectl's words" "$(jq -r .message "$T_DIR/out")" "$(cat "$T_DIR/kout")"

# rollback vs rollout undo
image nginx:1.26
k8spatch wait deploy nginx --timeout 20s >/dev/null
k8spatch rollback deploy nginx >/dev/null
ours=$(template)
k8spatch wait deploy nginx --timeout 20s >/dev/null
image nginx:1.26
k8spatch wait deploy nginx --timeout 20s >/dev/null
k rollout undo deploy/nginx >/dev/null
expect_eq "rollback leaves the template kubectl rollout undo leaves" "$ours" "$(template)"
k8spatch wait deploy nginx --timeout 20s >/dev/null
k rollout history deploy/nginx >"$T_DIR/hist" 2>&1
expect_match "kubectl rollout history reads the revisions" "REVISION" "$(cat "$T_DIR/hist")"
rev=$(k8spatch get deploy nginx | jq -r '.metadata.annotations["deployment.kubernetes.io/revision"]')
k rollout undo deploy/nginx --to-revision="$rev" >"$T_DIR/kout" 2>&1
k8spatch rollback deploy nginx --to-revision "$rev" >"$T_DIR/out"
expect_eq "rolling back to the current revision: both skip" "skipped" \
    "$(grep -q skipped "$T_DIR/kout" && jq -r .result "$T_DIR/out")"

# restart vs rollout restart
k rollout restart deploy/nginx >/dev/null
k8spatch get deploy nginx | jq -r '.spec.template.metadata.annotations | keys[]' >"$T_DIR/kann"
k8spatch wait deploy nginx --timeout 20s >/dev/null
k8spatch restart deploy nginx >/dev/null
k8spatch get deploy nginx | jq -r '.spec.template.metadata.annotations | keys[]' >"$T_DIR/ann"
ok_if "restart sets the annotation kubectl rollout restart sets" cmp -s "$T_DIR/kann" "$T_DIR/ann"
done_testing
