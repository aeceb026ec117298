#!/bin/sh
# The Kubernetes API fixture (test/fixtures/kubeapi.py) behaves as the API
# server k8spatch and the flows depend on: authentication, discovery,
# selectors, the verbs and their errors, the patch types, dry runs,
# resourceVersion conflicts, /scale and the recorded requests.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

certs=$T_DIR/certs
/usr/bin/python3 "$OPSPIPE_TOP/test/fixtures/kubeapi.py" --make-certs "$certs"
ok_if "--make-certs writes the CA, server and client pairs" \
    test -s "$certs/ca.crt" -a -s "$certs/server.key" -a -s "$certs/client.crt"

start_fixture kubeapi.py --tls "$certs" --token s3cret=alice --basic bob:pw
port=${FIXTURE_URL##*:}
api=https://127.0.0.1:$port
k() { curl -s --cacert "$certs/ca.crt" -H "Authorization: Bearer s3cret" "$@"; }
kc() { curl -s -o /dev/null -w '%{http_code}' --cacert "$certs/ca.crt" "$@"; }
control() { k -X POST -d "$1" "$api/_control" >/dev/null; }
sent() { k "$api/_requests" | jq -c "$1"; }

# --- authentication ---------------------------------------------------------
expect_eq "a bearer token is accepted" 200 \
    "$(kc -H 'Authorization: Bearer s3cret' "$api/api/v1/namespaces")"
expect_eq "a wrong token gets 401" 401 \
    "$(kc -H 'Authorization: Bearer nope' "$api/api/v1/namespaces")"
expect_eq "no credentials get 401 when auth is configured" 401 \
    "$(kc "$api/api/v1/namespaces")"
expect_eq "basic auth is accepted" 200 "$(kc -u bob:pw "$api/version")"
expect_eq "a client certificate from the CA is accepted" 200 \
    "$(kc --cert "$certs/client.crt" --key "$certs/client.key" "$api/api/v1/nodes")"
expect_eq "a client certificate from another CA is refused" 000 \
    "$(kc --cert "$certs/rogue.crt" --key "$certs/rogue.key" "$api/api/v1/nodes")"
curl -s --cacert "$certs/ca.crt" -H 'Authorization: Bearer nope' "$api/api" >"$T_DIR/401"
expect_eq "401 is a Status" "Status Unauthorized 401" \
    "$(jq -r '"\(.kind) \(.reason) \(.code)"' "$T_DIR/401")"
expect_eq "viewers may not write (403)" 403 \
    "$(kc --cert "$certs/viewer.crt" --key "$certs/viewer.key" -X POST \
        -d '{"metadata":{"name":"x"}}' "$api/api/v1/namespaces/default/configmaps")"
control '{"tokens":{"later":"carol"}}'
expect_eq "tokens added by /_control are accepted" 200 \
    "$(kc -H 'Authorization: Bearer later' "$api/api/v1/namespaces")"
control '{"revoke":["later"]}'
expect_eq "a revoked token gets 401" 401 \
    "$(kc -H 'Authorization: Bearer later' "$api/api/v1/namespaces")"

# --- discovery --------------------------------------------------------------
k "$api/apis/apps/v1" >"$T_DIR/apps"
expect_eq "apps/v1 lists deployments with short name and scale" \
    "deploy Scale" \
    "$(jq -r '[(.resources[] | select(.name=="deployments") | .shortNames[0]),
               (.resources[] | select(.name=="deployments/scale") | .kind)] | join(" ")' "$T_DIR/apps")"
expect_match "the group list has apps, batch and autoscaling" \
    'apps.*batch.*autoscaling' "$(k "$api/apis" | jq -r '[.groups[].name] | join(" ")')"

# --- create, selectors, errors ----------------------------------------------
dep() { # NAME REPLICAS LABEL
	printf '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%s","labels":{"tier":"%s"}},"spec":{"replicas":%s,"selector":{"matchLabels":{"app":"%s"}},"template":{"metadata":{"labels":{"app":"%s"}},"spec":{"containers":[{"name":"app","image":"nginx:1.25","resources":{"limits":{"memory":"128Mi"}}}]}}}}' \
	    "$1" "$3" "$2" "$1" "$1"
}
deps=$api/apis/apps/v1/namespaces/default/deployments
for d in web:front api:back db:back; do
	k -X POST -H 'Content-Type: application/json' -d "$(dep "${d%%:*}" 2 "${d#*:}")" "$deps" >/dev/null
done
expect_eq "create twice is 409 AlreadyExists" "409 AlreadyExists" \
    "$(k -X POST -H 'Content-Type: application/json' -d "$(dep web 2 x)" "$deps" | jq -r '"\(.code) \(.reason)"')"
expect_eq "labelSelector =" "api db" \
    "$(k "$deps?labelSelector=tier%3Dback" | jq -r '[.items[].metadata.name] | join(" ")')"
expect_eq "labelSelector notin and exists" "web" \
    "$(k "$deps?labelSelector=tier+notin+(back),tier" | jq -r '[.items[].metadata.name] | join(" ")')"
expect_eq "fieldSelector metadata.name" "db" \
    "$(k "$api/apis/apps/v1/deployments?fieldSelector=metadata.name%3Ddb" | jq -r '.items[].metadata.name')"
expect_eq "limit and continue page through a list" "api db|web" \
    "$(t=$(k "$deps?limit=2" | jq -r '([.items[].metadata.name] | join(" ")) + "|" + .metadata.continue')
       printf '%s|%s' "${t%%|*}" "$(k "$deps?limit=2&continue=${t#*|}" | jq -r '[.items[].metadata.name] | join(" ")')")"
k "$deps/nope" >"$T_DIR/404"
expect_eq "404 names the resource" 'deployments.apps "nope" not found|NotFound' \
    "$(jq -r '"\(.message)|\(.reason)"' "$T_DIR/404")"
expect_eq "generation starts at 1 with defaults" "1 600 RollingUpdate IfNotPresent" \
    "$(k "$deps/web" | jq -r '"\(.metadata.generation) \(.spec.progressDeadlineSeconds) \(.spec.strategy.type) \(.spec.template.spec.containers[0].imagePullPolicy)"')"

# --- patches ----------------------------------------------------------------
patch() { # TYPE BODY [QUERY]
	k -X PATCH -H "Content-Type: application/$1" -d "$2" "$deps/web${3:-}"
}
# The simulated controllers write status (a new resourceVersion) when they
# get to it; held still, the stored version is the one the dry run saw.
control '{"pause":true}'
rv=$(k "$deps/web" | jq -r .metadata.resourceVersion)
patch merge-patch+json '{"spec":{"replicas":5}}' '?dryRun=All' >"$T_DIR/dry"
expect_eq "dry run answers the patched object with generation bumped" "5 2 $rv" \
    "$(jq -r '"\(.spec.replicas) \(.metadata.generation) \(.metadata.resourceVersion)"' "$T_DIR/dry")"
expect_eq "dry run stores nothing" "2 1 $rv" \
    "$(k "$deps/web" | jq -r '"\(.spec.replicas) \(.metadata.generation) \(.metadata.resourceVersion)"')"
control '{"pause":false}'
patch strategic-merge-patch+json '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26","env":[{"name":"A","value":"1"}]}]}}}}' >/dev/null
expect_eq "strategic merge merges containers by name" "1 nginx:1.26 128Mi" \
    "$(k "$deps/web" | jq -r '.spec.template.spec.containers | "\(length) \(.[0].image) \(.[0].resources.limits.memory)"')"
patch json-patch+json '[{"op":"replace","path":"/spec/replicas","value":3}]' >/dev/null
expect_eq "json patch" 3 "$(k "$deps/web" | jq -r .spec.replicas)"
patch json-patch+json '[{"op":"test","path":"/spec/replicas","value":9}]' >"$T_DIR/test"
expect_eq "a failed json patch test is 422" 422 "$(jq -r .code "$T_DIR/test")"
patch merge-patch+json '{"metadata":{"resourceVersion":"1"},"spec":{"replicas":4}}' >"$T_DIR/409"
expect_eq "a stale resourceVersion is 409 Conflict" "409 Conflict" \
    "$(jq -r '"\(.code) \(.reason)"' "$T_DIR/409")"
expect_match "the conflict says the object has been modified" 'has been modified' \
    "$(jq -r .message "$T_DIR/409")"
patch merge-patch+json '{"spec":{"replicas":-1}}' >"$T_DIR/422"
expect_eq "negative replicas is 422 with a cause" "422 spec.replicas" \
    "$(jq -r '"\(.code) \(.details.causes[0].field)"' "$T_DIR/422")"
patch merge-patch+json '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"memory":"12XB"}}}]}}}}' >"$T_DIR/q"
expect_eq "a bad quantity is 422" "422 spec.template.spec.containers[0].resources.limits[memory]" \
    "$(jq -r '"\(.code) \(.details.causes[0].field)"' "$T_DIR/q")"
patch merge-patch+json '{"metadata":{"labels":["x"]}}' >"$T_DIR/400"
expect_eq "a value of the wrong type is 400, worded as Go's decoder" \
    "400 Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal array into Go struct field metadata.labels of type map[string]string" \
    "$(jq -r '"\(.code) \(.message)"' "$T_DIR/400")"
expect_eq "another content type is 415" 415 \
    "$(patch xml '{}' | jq -r .code)"
patch apply-patch+yaml 'apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 6}' '?fieldManager=ops' >"$T_DIR/ssa"
expect_eq "server-side apply conflicts with the last writer of the field" "409 .spec.replicas" \
    "$(jq -r '"\(.code) \(.details.causes[0].field)"' "$T_DIR/ssa")"
patch apply-patch+yaml 'apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 6}' '?fieldManager=ops&force=true' >/dev/null
expect_eq "force takes the field over" "6 ops" \
    "$(k "$deps/web" | jq -r '"\(.spec.replicas) \([.metadata.managedFields[] | select(.fieldsV1["f:spec"]["f:replicas"]) | .manager] | join(","))"')"

# --- /scale -----------------------------------------------------------------
k "$deps/web/scale" >"$T_DIR/scale"
expect_eq "GET /scale is an autoscaling/v1 Scale" "Scale 6 app=web" \
    "$(jq -r '"\(.kind) \(.spec.replicas) \(.status.selector)"' "$T_DIR/scale")"
k -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"replicas":1}}' "$deps/web/scale" >/dev/null
expect_eq "PATCH /scale sets spec.replicas" 1 "$(k "$deps/web" | jq -r .spec.replicas)"

# --- HorizontalPodAutoscalers: stored, patched, validated as the real one ----
hpas=$api/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers
k -X POST -H 'Content-Type: application/json' -d '{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
"metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
"minReplicas":2,"maxReplicas":10}}' "$hpas" >/dev/null
k -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"minReplicas":6}}' "$hpas/web" >"$T_DIR/hpa"
expect_eq "an autoscaling/v2 HPA's minReplicas is patched, generation bumped" "6 2" \
    "$(jq -r '"\(.spec.minReplicas) \(.metadata.generation)"' "$T_DIR/hpa")"
k -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"minReplicas":11}}' "$hpas/web" >"$T_DIR/hpa"
expect_eq "minReplicas above maxReplicas is 422, as the API server words it" \
    "422 spec.maxReplicas Invalid value: 10: must be greater than or equal to \`minReplicas\`" \
    "$(jq -r '"\(.code) \(.details.causes[0].field) \(.details.causes[0].message)"' "$T_DIR/hpa")"
k -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"minReplicas":0}}' "$hpas/web" >"$T_DIR/hpa"
expect_eq "minReplicas 0 is 422" "422 spec.minReplicas" \
    "$(jq -r '"\(.code) \(.details.causes[0].field)"' "$T_DIR/hpa")"
expect_eq "… and nothing was stored" 6 "$(k "$hpas/web" | jq .spec.minReplicas)"

# --- control ----------------------------------------------------------------
control '{"fail":[{"method":"GET","path":"/deployments/web$","status":503,"retry_after":2}]}'
expect_eq "an injected failure answers once" "503 200" \
    "$(kc -H 'Authorization: Bearer s3cret' "$deps/web") $(kc -H 'Authorization: Bearer s3cret' "$deps/web")"
expect_eq "requests are recorded with query, content type and body" \
    '{"query":{"dryRun":"All"},"content_type":"application/merge-patch+json","body":{"spec":{"replicas":5}},"status":200}' \
    "$(sent '[.[] | select(.query.dryRun) | {query, content_type, body, status}][0]')"
control '{"reset":true}'
expect_eq "reset forgets objects and requests" "404 0" \
    "$(kc -H 'Authorization: Bearer s3cret' "$deps/web") $(sent '[.[] | select(.path | test("deployments/web"))] | length - 1')"

expect_eq "the fixture logged no errors" "" "$(grep -A 12 Traceback "$FIXTURE_LOG")"
done_testing
