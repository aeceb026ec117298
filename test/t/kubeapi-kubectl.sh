#!/bin/sh
# The Kubernetes API fixture checked against a real client: kubectl talks
# to it over TLS (a bearer token and a client certificate) and its own
# get, patch (each type, and --dry-run=server), scale, rollout status,
# undo and restart, logs and events must work as against a cluster; the
# fixture's strategic merge must equal kubectl's own (patch --local).
# Runs with the kubectl on PATH (Debian's 1.20, or 1.32 where Kubernetes'
# package is installed) and with each binary listed in OPSPIPE_KUBECTLS
# (space-separated paths), so one machine can check both versions.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

command -v kubectl >/dev/null || { not_ok "kubectl is installed (DEPS_TEST)"; done_testing; exit 1; }
certs=$T_DIR/certs
/usr/bin/python3 "$OPSPIPE_TOP/test/fixtures/kubeapi.py" --make-certs "$certs"
start_fixture kubeapi.py --tls "$certs" --token s3cret=alice
port=${FIXTURE_URL##*:}
api=https://127.0.0.1:$port
control() { curl -s --cacert "$certs/ca.crt" -X POST -d "$1" "$api/_control" >/dev/null; }
sent() { curl -s --cacert "$certs/ca.crt" "$api/_requests" | jq -c "$1"; }

cat >"$T_DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fixture
  cluster:
    server: $api
    certificate-authority: $certs/ca.crt
users:
- name: token
  user: {token: s3cret}
- name: cert
  user: {client-certificate: $certs/client.crt, client-key: $certs/client.key}
- name: wrong
  user: {token: wrong}
contexts:
- {name: token, context: {cluster: fixture, user: token, namespace: default}}
- {name: cert, context: {cluster: fixture, user: cert, namespace: default}}
- {name: wrong, context: {cluster: fixture, user: wrong, namespace: default}}
current-context: token
EOF

cat >"$T_DIR/web.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
  finalizers: [example.com/a, example.com/b]
spec:
  replicas: 2
  progressDeadlineSeconds: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80, name: http}]
        env: [{name: MODE, value: blue}, {name: LEVEL, value: "1"}]
        volumeMounts: [{name: cache, mountPath: /cache}]
        resources:
          limits: {memory: 128Mi, cpu: 500m}
      volumes: [{name: cache, emptyDir: {}}]
      tolerations: [{key: spot, operator: Exists}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hog
spec:
  selector:
    matchLabels: {app: hog}
  template:
    metadata:
      labels: {app: hog}
    spec:
      containers:
      - name: app
        image: fixture/app:1
        resources:
          limits: {memory: 64Mi}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers: [{name: pg, image: "postgres:16"}]
EOF

# Patches (TYPE PATCH) whose dry run must equal kubectl's own patch.
cat >"$T_DIR/patches" <<'EOF'
strategic {"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}
strategic {"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"EXTRA","value":"x"}]}]}}}}
strategic {"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"MODE","$patch":"delete"}]}]}}}}
strategic {"spec":{"template":{"spec":{"containers":[{"name":"other","image":"busybox:1.36"},{"$patch":"replace"}]}}}}
strategic {"spec":{"template":{"spec":{"tolerations":[{"key":"gpu","operator":"Exists"}]}}}}
strategic {"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}
strategic {"spec":{"template":{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"cpu":null,"memory":"256Mi"}}}]}}}}
strategic {"spec":{"template":{"spec":{"containers":[{"name":"nginx","ports":[{"containerPort":8080,"name":"alt"}]}]}}}}
strategic {"spec":{"template":{"spec":{"containers":[{"name":"nginx","volumeMounts":[{"mountPath":"/cache","readOnly":true},{"mountPath":"/tmp","name":"cache"}]}]}}}}
strategic {"spec":{"template":{"spec":{"volumes":[{"name":"cache","$patch":"delete"}],"containers":[{"name":"nginx","volumeMounts":[{"mountPath":"/cache","$patch":"delete"}]}]}}}}
strategic {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"side"},{"name":"nginx"}],"containers":[{"name":"side","image":"busybox:1.36"}]}}}}
strategic {"metadata":{"finalizers":["a","b"],"labels":{"tier":"front","app":null}}}
strategic {"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a"]}}
strategic {"metadata":{"$setElementOrder/finalizers":["example.com/b","example.com/a"]}}
strategic {"spec":{"template":{"spec":{"containers":[{"name":"nginx","args":["-g","daemon off;"],"command":null}]}}}}
merge {"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}
merge {"metadata":{"labels":{"app":null,"x":"y"}},"spec":{"strategy":{"rollingUpdate":{"maxSurge":1}}}}
json [{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"side","image":"busybox:1.36"}}]
json [{"op":"add","path":"/spec/template/spec/containers/0/env/1","value":{"name":"MID","value":"m"}}]
json [{"op":"remove","path":"/spec/template/spec/containers/0/env/0"}]
json [{"op":"move","from":"/spec/template/spec/containers/0/env/0","path":"/spec/template/spec/containers/0/env/1"}]
json [{"op":"copy","from":"/metadata/labels","path":"/spec/template/metadata/annotations"}]
json [{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":5}]
json [{"op":"replace","path":"/spec/template/spec/containers/0/ports/0/containerPort","value":8080}]
EOF

check_kubectl() {
	kc=$1
	v=$("$kc" version --client -o json 2>/dev/null | jq -r '.clientVersion.minor')
	k() { "$kc" --kubeconfig "$T_DIR/kubeconfig" "$@"; }
	control '{"reset":true}'

	expect_eq "kubectl 1.$v: get with a bearer token" "default" \
	    "$(k get ns default -o jsonpath='{.metadata.name}')"
	expect_eq "kubectl 1.$v: get with a client certificate" "node-1 node-2" \
	    "$(k --context cert get nodes -o jsonpath='{.items[*].metadata.name}')"
	expect_status "kubectl 1.$v: a wrong token is refused" 1 k --context wrong get ns
	expect_match "kubectl 1.$v: ... as Unauthorized" "Unauthorized" "$(cat "$T_DIR/err")"
	expect_eq "kubectl 1.$v: sends the token" '"Bearer s3cret"' \
	    "$(sent '[.[] | select(.user=="alice") | .headers.authorization][0]')"

	expect_status "kubectl 1.$v: create -f" 0 k create -f "$T_DIR/web.yaml"
	expect_status "kubectl 1.$v: rollout status completes" 0 \
	    k rollout status deploy/web --timeout 20s
	expect_match "kubectl 1.$v: ... saying so" 'deployment "web" successfully rolled out' \
	    "$(cat "$T_DIR/out")"
	expect_eq "kubectl 1.$v: get -o json lists with kinds" "Deployment:hog Deployment:web" \
	    "$(k get deploy -o json | jq -r '[.items[] | "\(.kind):\(.metadata.name)"] | join(" ")')"
	expect_eq "kubectl 1.$v: get -l" "2" "$(k get pods -l app=web -o name | wc -l | tr -d ' ')"
	expect_match "kubectl 1.$v: get prints the server's table" \
	    '^web +2/2 +2 +2 ' "$(k get deploy web --no-headers)"

	# The fixture's dry run of each patch equals kubectl's own patch
	# (kubectl patch --local), sent back through the fixture's defaults.
	k get deploy web -o json >"$T_DIR/live.json"
	strip='del(.metadata.managedFields, .metadata.resourceVersion, .metadata.generation, .status)'
	n=0
	while read -r t p; do
		n=$((n + 1))
		k patch deploy web --type "$t" -p "$p" --dry-run=server -o json \
		    >"$T_DIR/server.json" 2>"$T_DIR/err"
		k patch --local -f "$T_DIR/live.json" --type "$t" -p "$p" -o json \
		    2>/dev/null | k replace --dry-run=server -f - -o json >"$T_DIR/local.json" 2>>"$T_DIR/err"
		expect_eq "kubectl 1.$v: $t patch $n equals kubectl's" \
		    "$(jq -cS "$strip" "$T_DIR/local.json")" "$(jq -cS "$strip" "$T_DIR/server.json")"
	done <"$T_DIR/patches"
	expect_eq "kubectl 1.$v: dry runs change nothing" \
	    "$(jq -c .metadata.resourceVersion "$T_DIR/live.json")" \
	    "$(k get deploy web -o json | jq -c .metadata.resourceVersion)"
	expect_eq "kubectl 1.$v: dry runs carried dryRun=All" '"All"' \
	    "$(sent '[.[] | select(.method=="PATCH") | .query.dryRun][0]')"

	k patch deploy web --type json \
	    -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.26"}]' >/dev/null
	expect_status "kubectl 1.$v: a new image rolls out" 0 k rollout status deploy/web --timeout 20s
	k patch deploy web --type merge -p '{"metadata":{"annotations":{"team":"a"}}}' >/dev/null
	k patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:does-not-exist"}]}}}}' >/dev/null
	expect_status "kubectl 1.$v: rollout status reports a stuck rollout" 1 \
	    k rollout status deploy/web --timeout 30s
	expect_match "kubectl 1.$v: ... as the progress deadline" "exceeded its progress deadline" \
	    "$(cat "$T_DIR/err")"
	expect_eq "kubectl 1.$v: the new pod is in ImagePullBackOff" "ImagePullBackOff" \
	    "$(k get pods -l app=web -o json | jq -r '[.items[].status.containerStatuses[0].state.waiting.reason // empty][0]')"
	expect_eq "kubectl 1.$v: three revisions" "1 2 3" \
	    "$(k get rs -l app=web -o json | jq -r '[.items[].metadata.annotations["deployment.kubernetes.io/revision"]] | sort | join(" ")')"
	expect_status "kubectl 1.$v: rollout undo" 0 k rollout undo deploy/web
	expect_status "kubectl 1.$v: the rollback completes" 0 k rollout status deploy/web --timeout 20s
	expect_eq "kubectl 1.$v: ... to the previous template" "nginx:1.26" \
	    "$(k get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}')"
	expect_eq "kubectl 1.$v: ... which is revision 4 now, its history kept" "4 2" \
	    "$(k get rs -l app=web -o json | jq -r '.items[] | select(.spec.template.spec.containers[0].image=="nginx:1.26") | .metadata.annotations | "\(.["deployment.kubernetes.io/revision"]) \(.["deployment.kubernetes.io/revision-history"])"')"
	expect_eq "kubectl 1.$v: undo keeps other annotations" "a" \
	    "$(k get deploy web -o jsonpath='{.metadata.annotations.team}')"
	expect_status "kubectl 1.$v: rollout undo --to-revision=1" 0 k rollout undo deploy/web --to-revision=1
	k rollout status deploy/web --timeout 20s >/dev/null
	expect_eq "kubectl 1.$v: ... gives revision 1's template" "nginx:1.25" \
	    "$(k get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}')"

	expect_status "kubectl 1.$v: scale" 0 k scale deploy web --replicas 3
	k rollout status deploy/web --timeout 20s >/dev/null
	expect_eq "kubectl 1.$v: ... through /scale to three ready pods" "3 3" \
	    "$(k get deploy web -o jsonpath='{.spec.replicas} {.status.readyReplicas}')"
	expect_eq "kubectl 1.$v: scale used the scale subresource" "1" \
	    "$(sent '[.[] | select(.path | endswith("/deployments/web/scale")) | select(.method != "GET")] | length')"
	expect_status "kubectl 1.$v: rollout restart" 0 k rollout restart deploy/web
	expect_status "kubectl 1.$v: ... rolls out" 0 k rollout status deploy/web --timeout 20s
	expect_match "kubectl 1.$v: ... with the restartedAt annotation" '^20[0-9-]+T' \
	    "$(k get deploy web -o jsonpath='{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}')"

	pod=$(k get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
	expect_match "kubectl 1.$v: logs" 'Configuration complete' "$(k logs "$pod")"
	hog=$(k get pods -l app=hog -o jsonpath='{.items[0].metadata.name}')
	sleep 1
	expect_match "kubectl 1.$v: logs --previous of an OOM-killed container" \
	    '^killed$' "$(k logs "$hog" --previous)"
	expect_eq "kubectl 1.$v: ... OOMKilled, restarting" "OOMKilled true" \
	    "$(k get pod "$hog" -o json | jq -r '.status.containerStatuses[0] | "\(.lastState.terminated.reason) \(.restartCount > 1)"')"
	expect_match "kubectl 1.$v: get events shows the back-off" \
	    "Warning +BackOff +pod/$hog" "$(k get events)"
	expect_match "kubectl 1.$v: get events --field-selector" "^BackOff$" \
	    "$(k get events --field-selector "involvedObject.name=$hog,type=Warning" -o jsonpath='{range .items[*]}{.reason}{"\n"}{end}' | sort -u)"

	k rollout status sts/db --timeout 20s >/dev/null
	k patch sts db -p '{"spec":{"template":{"spec":{"containers":[{"name":"pg","image":"postgres:17"}]}}}}' >/dev/null
	expect_status "kubectl 1.$v: statefulset rolls out" 0 k rollout status sts/db --timeout 20s
	expect_status "kubectl 1.$v: statefulset rollout undo" 0 k rollout undo sts/db
	k rollout status sts/db --timeout 20s >/dev/null
	expect_eq "kubectl 1.$v: ... restores the template" "postgres:16 postgres:16" \
	    "$(k get sts db -o jsonpath='{.spec.template.spec.containers[0].image} ')$(k get pod db-0 -o jsonpath='{.spec.containers[0].image}')"
}

for kc in kubectl ${OPSPIPE_KUBECTLS:-}; do
	check_kubectl "$kc"
done

expect_eq "the fixture logged no errors" "" "$(grep -A 12 Traceback "$FIXTURE_LOG")"
done_testing
