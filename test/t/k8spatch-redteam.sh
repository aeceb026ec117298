#!/bin/sh
# k8spatch's guarded mode against a model that obeys a prompt injection:
# each case tries to change what the policy denies or does not allow by an
# indirect route (a path that leaves its namespace, a record that brings
# its own result, a directive that unpins the write, a kind of another
# scope, an image reference that only looks allowed, a limit with nothing
# to scale) and must be refused or fail with nothing written — the
# fixture's recorded requests are the proof.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"

cat >"$T_DIR/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: web, labels: {app: nginx}}
spec:
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      serviceAccountName: web-sa
      securityContext: {runAsNonRoot: true}
      containers:
      - name: nginx
        image: nginx:1.25
        resources: {limits: {memory: 128Mi, cpu: 500m}}
        securityContext: {allowPrivilegeEscalation: false}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: dns, namespace: kube-system}
spec:
  replicas: 1
  selector: {matchLabels: {app: dns}}
  template:
    metadata: {labels: {app: dns}}
    spec:
      containers:
      - {name: dns, image: "nginx:1.25"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bare, namespace: web}
spec:
  replicas: 0
  selector: {matchLabels: {app: bare}}
  template:
    metadata: {labels: {app: bare}}
    spec:
      containers:
      - {name: app, image: "nginx:1.25"}
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
      - {name: agent, image: "busybox:1.36", resources: {limits: {memory: 4Mi}}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: statefulsets.apps.kruise.io}
spec:
  group: apps.kruise.io
  scope: Namespaced
  names: {kind: StatefulSet, plural: statefulsets, singular: statefulset}
  versions:
  - name: v1beta1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: apps.kruise.io/v1beta1
kind: StatefulSet
metadata: {name: cache, namespace: web}
spec: {replicas: 1}
EOF
# DESIGN's policy as the remediate flow writes it: every namespace but the
# system ones.
cat >"$T_DIR/policy.yaml" <<'EOF'
kinds: [Deployment, StatefulSet]
namespaces: ["*"]
deny_namespaces: [kube-system]
allow:
  - spec.replicas
  - spec.template.spec.containers[*].resources
  - spec.template.spec.containers[*].image
  - spec.template.spec.containers[*].readinessProbe
deny:
  - "**.securityContext"
  - spec.template.spec.hostNetwork
limits:
  replicas: {max: 20}
  memory: {max: 4Gi, max_factor: 4}
  cpu: {max: "4", max_factor: 4}
images:
  registries: [docker.io/library]
EOF
policy=$T_DIR/policy.yaml

start_kubeapi --objects "$T_DIR/objects.yaml"
k8spatch wait deploy nginx --timeout 20s >/dev/null

# Requests that write (any method but GET, not a dry run) since the last
# clear.
writes() {
	sent '[.[] | select(.method != "GET" and (.path | test("^/_") | not) and (.query.dryRun // "") != "All")] | length'
}
# … and those the server took.
written() {
	sent '[.[] | select(.method != "GET" and (.path | test("^/_") | not) and (.query.dryRun // "") != "All" and .status < 300)] | length'
}
clear() { control '{"clear_requests":true}'; }
spec() { k8spatch -n "${2:-web}" get deploy "${1:-nginx}" | jq -c .spec; }

# record NAME STATUS RESULT JSON [ARGS...]: one patch request on stdin
# under the policy; its exit status and result, and nothing written unless
# RESULT is applied. The result record is left in $T_DIR/out.
record() {
	name=$1
	status=$2
	result=$3
	req=$4
	shift 4
	clear
	before=$(spec nginx web)$(spec dns kube-system)
	printf '%s\n' "$req" | k8spatch --policy "$policy" --no-wait "$@" - >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$name: exit $status, result $result" "$status $result" "$? $(jq -r .result "$T_DIR/out")"
	if [ "$result" != applied ]; then
		expect_eq "… nothing was written" 0 "$(writes)"
		expect_eq "… both Deployments are as they were" "$before" "$(spec nginx web)$(spec dns kube-system)"
	fi
}

# --- where the request points ------------------------------------------------
record "a namespace that climbs out of an allowed one into kube-system" 2 failed \
    '{"kind":"Deployment","namespace":"web/../kube-system","name":"dns","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
expect_match "… says the namespace is not one" "namespace" "$(jq -r .error "$T_DIR/out")"
record "a name that climbs out of its collection" 2 failed \
    '{"kind":"Deployment","namespace":"web","name":"..","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
record "a namespace with a query in it" 2 failed \
    '{"kind":"Deployment","namespace":"kube-system?x=","name":"dns","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
record "a name with a fragment in it" 2 failed \
    '{"kind":"Deployment","namespace":"web","name":"nginx#x","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
record "an encoded slash in the namespace" 2 failed \
    '{"kind":"Deployment","namespace":"web%2F..%2Fkube-system","name":"dns","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
record "an apiVersion that is a path" 2 failed \
    '{"apiVersion":"apps/v1/namespaces/kube-system/deployments/dns/../../../..","kind":"Deployment","namespace":"web","name":"nginx","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
record "an empty namespace" 2 failed \
    '{"kind":"Deployment","namespace":"","name":"dns","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'

record "a short name for a kind the policy does not list" 1 refused \
    '{"kind":"ds","namespace":"web","name":"nginx","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
record "a lower-case plural for a denied namespace" 1 refused \
    '{"kind":"deployments.apps","namespace":"kube-system","name":"dns","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
record "a kind in an API version the server does not have" 2 failed \
    '{"apiVersion":"extensions/v1beta1","kind":"Deployment","namespace":"web","name":"nginx","patch":{"spec":{"replicas":3}},"patch_type":"merge"}'
# Duplicate keys: the last one counts, for the judge and the write alike;
# fields k8spatch does not read point nowhere.
record "duplicate keys and extra fields that name another object" 0 applied \
    '{"kind":"Deployment","namespace":"kube-system","namespace":"web","name":"dns","name":"nginx","patch":{"spec":{"replicas":3}},"patch_type":"merge","resource":"secrets","path":"/api/v1/namespaces/kube-system/secrets/x","url":"http://127.0.0.1:1/"}'
expect_eq "… only web/nginx was written" "/apis/apps/v1/namespaces/web/deployments/nginx" \
    "$(sent '[.[] | select(.method != "GET" and (.path | test("^/_") | not)) | .path] | unique | join(" ")')"
expect_eq "… kube-system/dns as it was" 1 "$(spec dns kube-system | jq .replicas)"
k8spatch --no-wait patch deploy nginx --type merge -p '{"spec":{"replicas":2}}' >/dev/null

# --- a record that brings its own result ------------------------------------
record "a request that already says result applied is judged, not believed" 0 applied \
    '{"kind":"Deployment","namespace":"web","name":"nginx","patch":{"spec":{"replicas":3}},"patch_type":"merge","result":"applied","error":"old","changed":["x"],"revision":"9"}'
expect_eq "… and was written" "1 3" "$(written) $(spec | jq .replicas)"
expect_eq "… its own error, changed and revision are not passed on" 'null ["spec.replicas"] "1"' \
    "$(jq -c '[.error, .changed, .revision] | map(tojson) | join(" ")' -r "$T_DIR/out")"
record "a request that says result refused is judged too" 0 applied \
    '{"kind":"Deployment","namespace":"web","name":"nginx","patch":{"spec":{"replicas":2}},"patch_type":"merge","result":"refused"}'
expect_eq "… and was written" "1 2" "$(written) $(spec | jq .replicas)"

# --- the write stays pinned to what was judged -----------------------------
# Someone else changes replicas between our dry run and our write: the
# write must fail with 409 (or not be sent) whatever the patch does to
# metadata.
meta_policy=$T_DIR/meta.yaml
sed 's/^  - spec.replicas$/  - spec.replicas\n  - metadata.labels\n  - metadata.annotations/' "$policy" >"$meta_policy"
# shellcheck disable=SC2016 # "$patch" is a strategic-merge directive
for p in '{"metadata":{"$patch":"delete"},"spec":{"replicas":3}}' \
    '{"metadata":{"$patch":"replace","name":"nginx"},"spec":{"replicas":3}}' \
    '{"metadata":{"$retainKeys":["name"]},"spec":{"replicas":3}}' \
    '{"$retainKeys":["spec"],"spec":{"replicas":3}}'; do
	clear
	control '{"before":[{"method":"PATCH","path":"deployments/nginx$","dry_run":false,"count":1,"merge":{"spec":{"replicas":5}},"manager":"someone"}]}'
	k8spatch --policy "$meta_policy" --no-wait patch deploy nginx -p "$p" >"$T_DIR/out" 2>"$T_DIR/err"
	st=$?
	expect_match "a directive does not unpin the write: $p" "^0 (refused|failed)$" "$(written) $(jq -r .result "$T_DIR/out")"
	expect_match "… exit 1, the replicas are theirs or as they were" "^1 [25]$" "$st $(spec | jq .replicas)"
	control '{"before":[]}'
	k8spatch --no-wait patch deploy nginx --type merge -p '{"spec":{"replicas":2}}' >/dev/null
done
k8spatch wait deploy nginx --timeout 20s >/dev/null

# --- hostile patches the effective change already catches ---------------
# Each is refused (or the server refuses it): nothing written, the
# Deployment as it was.
# shellcheck disable=SC2016 # "$patch" and "$setElementOrder" are directives
while IFS='|' read -r type p; do
	[ -n "$type" ] || continue
	clear
	before=$(spec)
	k8spatch --policy "$policy" --no-wait patch deploy nginx --type "$type" -p "$p" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_match "$type $p: refused or failed, nothing written" "^[12] (refused|failed) 0$" \
	    "$? $(jq -r .result "$T_DIR/out") $(writes)"
	expect_eq "… the Deployment is as it was" "$before" "$(spec)"
done <<'EOF'
merge|{"metadata":{"labels":{"app":"db"}}}
merge|{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"x","uid":"1"}]}}
merge|{"metadata":{"finalizers":["example.com/hold"]}}
json|[{"op":"add","path":"/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration","value":"{}"}]
merge|{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}
merge|{"spec":{"paused":true}}
strategic|{"spec":{"template":{"spec":{"volumes":[{"name":"t","projected":{"sources":[{"serviceAccountToken":{"path":"t","audience":"vault"}}]}}],"containers":[{"name":"nginx","volumeMounts":[{"name":"t","mountPath":"/t"}]}]}}}}
strategic|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","envFrom":[{"secretRef":{"name":"db-admin"}}]}]}}}}
strategic|{"spec":{"template":{"spec":{"initContainers":[{"name":"x","image":"nginx:1.25","command":["sh"]}]}}}}
strategic|{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"evil"}],"containers":[{"name":"evil","image":"nginx:1.25"},{"name":"nginx","$patch":"delete"}]}}}}
strategic|{"spec":{"template":{"spec":{"automountServiceAccountToken":true,"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}
json|[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"x","image":"nginx:1.25"}}]
json|[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/template/spec/serviceAccountName","value":"admin"}]
json|[{"op":"replace","path":"/spec/template/spec/containers/0/name","value":"nginx2"}]
json|[{"op":"copy","from":"/spec/template/spec/containers/0","path":"/spec/template/spec/containers/-"}]
json|[{"op":"move","from":"/spec/template/spec/securityContext","path":"/spec/template/spec/containers/0/resources/claims"}]
merge|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25","resources":{"limits":{"memory":"128Mi","cpu":"500m"}},"securityContext":{"privileged":true}}]}}}}
apply|{"metadata":{"name":"dns","namespace":"kube-system"},"spec":{"replicas":3}}
merge|{"spec":{"replicas":"5"}}
merge|{"spec":{"replicas":2,"replicas":50}}
strategic|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"memory":"1E"}}}]}}}}
strategic|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"memory":"4096Mi"},"requests":{"memory":"4096Mi"}}}]}}}}
strategic|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"memory":"513Mi"},"requests":{"memory":"513Mi"}}}]}}}}
strategic|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"cpu":"+2001m"},"requests":{"cpu":"2001m"}}}]}}}}
strategic|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"memory":1e300}}}]}}}}
EOF
# … and what they may do, spelt in other ways (dry runs).
while IFS='|' read -r type p; do
	[ -n "$type" ] || continue
	expect_status "$type $p: allowed" 0 k8spatch --policy "$policy" --dry-run patch deploy nginx --type "$type" -p "$p"
	expect_eq "… as a dry run" dry-run "$(jq -r .result "$T_DIR/out")"
done <<'EOF'
strategic|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"memory":"0.5Gi"},"requests":{"memory":"512Mi"}}}]}}}}
strategic|{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"memory":"+536870912"},"requests":{"memory":"0.5Gi"}}}]}}}}
merge|{"spec":{"replicas":1e1}}
json|[{"op":"replace","path":"/spec/template/spec/containers/0/resources/limits/cpu","value":"2"}]
EOF
# A key that only looks like a denied one is another (unknown) field,
# which the server drops: nothing changes.
expect_status "a look-alike key (Cyrillic е) changes nothing" 0 k8spatch --policy "$policy" patch deploy nginx \
    -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","securityContеxt":{"privileged":true}}]}}}}'
expect_eq "… unchanged" unchanged "$(jq -r .result "$T_DIR/out")"

# Someone else changes the object between our read and our dry run: the
# dry run carries the resourceVersion read, gets 409, and the object is
# read and judged again — their change stays, ours is added to it.
clear
control '{"before":[{"method":"PATCH","path":"deployments/nginx$","dry_run":true,"count":1,"merge":{"metadata":{"labels":{"someone":"was-here"}}},"manager":"someone"}]}'
expect_status "a change before our dry run: judged again on the new object" 0 \
    k8spatch --policy "$policy" --no-wait patch deploy nginx --type merge -p '{"spec":{"replicas":4}}'
expect_match "… read again after the first dry run, written once" "^target get dry-run get dry-run( get dry-run)* policy( patch get dry-run policy)* patch$" \
    "$(jq -r '[.steps[].step] | join(" ")' "$T_DIR/out")"
expect_eq "… the first dry run got 409" 409 \
    "$(sent '[.[] | select(.method == "PATCH" and .query.dryRun == "All")][0].status')"
expect_eq "… their label and our replicas" "was-here 4" "$(k8spatch get deploy nginx | jq -r '"\(.metadata.labels.someone) \(.spec.replicas)"')"
k8spatch --no-wait patch deploy nginx --type merge -p '{"spec":{"replicas":2}}' >/dev/null
k8spatch wait deploy nginx --timeout 20s >/dev/null

# --- someone else's template during our rollout ----------------------------
# Our change breaks the pods; while we wait, someone else puts a template
# of their own. Their rollout completing proves nothing about ours: the
# result must not be applied, and neither template may be "rolled back"
# over theirs.
theirs=$(k8spatch get deploy nginx | jq -c '{apiVersion, kind, metadata: {name: .metadata.name, namespace: .metadata.namespace, labels: .metadata.labels}, spec: (.spec | .template.spec.containers[0].image = "nginx:1.27" | .template.spec.containers[0].resources = {limits: {memory: "256Mi", cpu: "500m"}, requests: {memory: "256Mi", cpu: "500m"}})}')
clear
control "{\"before\":[{\"method\":\"GET\",\"path\":\"/namespaces/web/pods$\",\"count\":1,\"objects\":[$theirs]}]}"
k8spatch --policy "$policy" --fail-after 5s patch deploy nginx \
    -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"memory":"32Mi"},"requests":{"memory":"32Mi"}}}]}}}}' \
    >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "someone else's template during our rollout: exit 1, not applied" "1 failed" "$? $(jq -r .result "$T_DIR/out")"
expect_match "… says so" "changed by someone else" "$(jq -r .error "$T_DIR/out")"
expect_eq "… their template stands" "nginx:1.27 256Mi" \
    "$(k8spatch get deploy nginx | jq -r '.spec.template.spec.containers[0] | "\(.image) \(.resources.limits.memory)"')"
expect_eq "… one write of ours, no rollback" 1 "$(writes)"
control '{"before":[]}'
k8spatch wait deploy nginx --timeout 30s >/dev/null

# --- stopped in the middle -------------------------------------------------
# A CronJob past its deadline gets SIGTERM while k8spatch waits for a
# rollout it has not seen work: it must not leave the change behind.
before=$(k8spatch get deploy nginx | jq -c .spec.template)
clear
k8spatch --policy "$policy" --fail-after 0 --timeout 60s patch deploy nginx \
    -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"memory":"32Mi"},"requests":{"memory":"32Mi"}}}]}}}}' \
    >"$T_DIR/out" 2>"$T_DIR/err" &
kp=$!
until [ "$(writes)" -ge 1 ]; do sleep 0.1; done
sleep 1
kill -TERM "$kp"
wait "$kp"
expect_eq "SIGTERM during the wait: exit 1, rolled back" "1 rolled-back" "$? $(jq -r .result "$T_DIR/out")"
expect_match "… because it was interrupted" "rollout failed: Interrupted" "$(jq -r .error "$T_DIR/out")"
expect_eq "… the template is byte-identical to before" "$before" "$(k8spatch get deploy nginx | jq -c .spec.template)"
expect_eq "… steps end with the rollback, not its wait" "wait:false rollback:true" \
    "$(jq -r '[.steps[-2:][] | "\(.step):\(.ok)"] | join(" ")' "$T_DIR/out")"
k8spatch wait deploy nginx --timeout 30s >/dev/null

# --- a fix for a DaemonSet whose pods are failing ---------------------------
# The agent's pods are OOMKilled (busybox needs 8Mi); a fix raises the
# limit. Fail-fast must look at the new revision's pods only: the old
# ones crashing is what the fix is fixing, not a failed rollout. (The
# controller is paused for a second after the write, as a busy one is,
# so the old pods are still there, as terminating ones would be.)
sed 's/^kinds: .*/kinds: [DaemonSet]/' "$policy" >"$T_DIR/ds.yaml"
until [ "$(k8spatch get pods -l app=agent | jq -s '[.[].status.containerStatuses[0].restartCount // 0] | min')" -ge 2 ]; do
	sleep 0.2
done
control '{"pause":true}'
(sleep 1.5; control '{"pause":false}') &
k8spatch --policy "$T_DIR/ds.yaml" --fail-after 5s --timeout 30s patch ds agent \
    -p '{"spec":{"template":{"spec":{"containers":[{"name":"agent","resources":{"limits":{"memory":"16Mi"},"requests":{"memory":"16Mi"}}}]}}}}' \
    >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a DaemonSet fix is not failed by the old revision's crashing pods (exit 0, applied)" "0 applied" \
    "$? $(jq -r .result "$T_DIR/out")"
expect_eq "… its pods run the fix" 16Mi \
    "$(k8spatch get pods -l app=agent | jq -rs '[.[].spec.containers[0].resources.limits.memory] | unique | join(" ")')"
k8spatch --policy "$T_DIR/ds.yaml" --fail-after 5s --timeout 30s patch ds agent \
    -p '{"spec":{"template":{"spec":{"containers":[{"name":"agent","resources":{"limits":{"memory":"4Mi"},"requests":{"memory":"4Mi"}}}]}}}}' \
    >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "… while a DaemonSet change that breaks its new pods is rolled back" "1 rolled-back" \
    "$? $(jq -r .result "$T_DIR/out")"
expect_match "… for their OOMKilled" "rollout failed: OOMKilled" "$(jq -r .error "$T_DIR/out")"

# --- a rollout that fails only after the fail-fast window ------------------
# A readiness probe on a port nginx does not listen on (an allowed path):
# the new pods run but are never ready, which is no fail-fast reason; the
# rollout fails when the wait gives up, and is rolled back then.
before=$(k8spatch get deploy nginx | jq -c .spec.template)
clear
k8spatch --policy "$policy" --fail-after 1s --timeout 6s patch deploy nginx \
    -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","readinessProbe":{"httpGet":{"path":"/","port":9999}}}]}}}}' \
    >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a rollout that fails only when the wait gives up is rolled back (exit 1)" "1 rolled-back" \
    "$? $(jq -r .result "$T_DIR/out")"
expect_match "… because the wait timed out" "rollout failed: Timeout" "$(jq -r .error "$T_DIR/out")"
expect_eq "… the template is byte-identical to before" "$before" "$(k8spatch get deploy nginx | jq -c .spec.template)"
k8spatch wait deploy nginx --timeout 30s >/dev/null

# --- a kind of another scope --------------------------------------------------
# A policy for every kind in one namespace: a cluster-scoped object is in
# no namespace, so naming one in the request must not let it through
# (the Namespace's labels decide its pods' security admission).
cat >"$T_DIR/any-kind.yaml" <<'EOF'
kinds: ["*"]
namespaces: [web]
allow: [metadata.labels, spec.replicas]
EOF
clear
printf '%s\n' '{"apiVersion":"v1","kind":"Namespace","namespace":"web","name":"web","patch":{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}}' |
    k8spatch --policy "$T_DIR/any-kind.yaml" - >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a cluster-scoped kind is not judged by the request's namespace: exit 1, refused" "1 refused" \
    "$? $(jq -r .result "$T_DIR/out")"
expect_match "… says it is cluster-scoped" "cluster-scoped" "$(jq -r .error "$T_DIR/out")"
expect_eq "… nothing was sent but the discovery" 0 "$(sent '[.[] | select(.path | test("^/(_|api/v1$|apis)") | not)] | length')"
expect_eq "… the Namespace is as it was" null \
    "$(k8spatch get ns web | jq '.metadata.labels["pod-security.kubernetes.io/enforce"]')"

# A custom resource whose kind has a built-in kind's name (OpenKruise's
# Advanced StatefulSet) is not the StatefulSet the policy names.
clear
printf '%s\n' '{"apiVersion":"apps.kruise.io/v1beta1","kind":"StatefulSet","namespace":"web","name":"cache","patch":{"spec":{"replicas":5}},"patch_type":"merge"}' |
    k8spatch --policy "$policy" - >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a custom kind named as a built-in one is not that kind: exit 1, refused, nothing written" "1 refused 0" \
    "$? $(jq -r .result "$T_DIR/out") $(writes)"
expect_match "… naming its group" "StatefulSet.apps.kruise.io" "$(jq -r .error "$T_DIR/out")"
sed 's/^kinds: .*/kinds: [Deployment, StatefulSet.apps.kruise.io]/' "$policy" >"$T_DIR/kruise.yaml"
expect_status "… allowed when the policy names it with its group" 0 k8spatch --policy "$T_DIR/kruise.yaml" \
    --dry-run patch statefulsets.apps.kruise.io cache --type merge -p '{"spec":{"replicas":5}}'
expect_eq "… and then the built-in StatefulSet is not allowed" "kind 'StatefulSet' is not in the policy's kinds" \
    "$(k8spatch --policy "$T_DIR/kruise.yaml" --dry-run patch sts db --type merge -p '{"spec":{"replicas":5}}' 2>/dev/null | jq -r .error)"

# Without a status subresource, status is written through the object:
# it is judged like any other field, not left out as the server's.
clear
k8spatch --policy "$T_DIR/kruise.yaml" patch statefulsets.apps.kruise.io cache --type merge \
    -p '{"spec":{"replicas":2},"status":{"phase":"Healthy"}}' >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "status smuggled beside an allowed change: exit 1, refused, nothing written" "1 refused 0" \
    "$? $(jq -r .result "$T_DIR/out") $(writes)"
expect_match "… naming it" "'status.phase' is not under any path" "$(jq -r .error "$T_DIR/out")"

# --- images that only look allowed ----------------------------------------
# The policy allows docker.io/library; a reference that is not one
# cannot be judged by its prefix, nor a host spelled another way.
C='{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":'
for img in "docker.io/library/nginx/../../evil/x:1" "docker.io/library//nginx:1.25" \
    " nginx:1.25" "nginx:1.25 " "docker.io/library/NGINX:1.25" \
    "docker.io/library.evil.com/x:1" "DOCKER.IO/library/nginx:1.25" \
    "docker.io:443/library/nginx:1.25" "docker.io/library/nginx@sha256:abc" \
    "registry-1.docker.io/library/nginx:1.25"; do
	clear
	k8spatch --policy "$policy" --no-wait patch deploy nginx -p "$C\"$img\"}]}}}}" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "image '$img': exit 1, refused, nothing written" "1 refused 0" \
	    "$? $(jq -r .result "$T_DIR/out") $(writes)"
done
expect_match "… saying why" "is not a valid image reference" "$(jq -r .error "$T_DIR/out" | head -1)$(k8spatch --policy "$policy" --dry-run patch deploy nginx -p "$C\"docker.io/library/x/../y\"}]}}}}" 2>/dev/null | jq -r .error)"
for img in "docker.io/library/nginx:1.26@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
    "nginx:1.26" "library/nginx:1.26" "index.docker.io/library/nginx:1.26"; do
	expect_status "image '$img' is allowed (dry run)" 0 \
	    k8spatch --policy "$policy" --dry-run patch deploy nginx -p "$C\"$img\"}]}}}}"
done

# --- a factor with nothing to multiply -------------------------------------
# max_factor bounds a new value by the current one; where there is none
# (no limit yet, zero replicas) and no max either, nothing bounds it.
cat >"$T_DIR/factor.yaml" <<'EOF'
kinds: [Deployment]
namespaces: [web]
allow: [spec.replicas, "spec.template.spec.containers[*].resources"]
limits:
  replicas: {max_factor: 2}
  memory: {max_factor: 4}
  cpu: {max_factor: 4}
EOF
for p in '{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"limits":{"memory":"1000Gi"}}}]}}}}' \
    '{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"900"}}}]}}}}' \
    '{"spec":{"replicas":500}}'; do
	clear
	k8spatch --policy "$T_DIR/factor.yaml" patch deploy bare -p "$p" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "max_factor without a current value refuses: $p" "1 refused 0" \
	    "$? $(jq -r .result "$T_DIR/out") $(writes)"
done
expect_match "… saying there is nothing to scale" "no current value" "$(jq -r .error "$T_DIR/out")"
expect_status "… a max beside it is what bounds it then" 0 k8spatch --policy "$policy" --dry-run \
    patch deploy bare -p '{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"limits":{"memory":"1Gi"}}}]}}}}'

done_testing
