#!/bin/sh
# The autoscale flow, bin/opspipe-autoscale, against a real Prometheus
# backfilled with eight days of a load whose daily ramp is known
# (test/prom/gen_autoscale.py: +600 in ten minutes from R, every day) and
# the Kubernetes API fixture: it scales up ahead of the ramp, not long
# before it; --min, --max, --max-step and the stabilisation each hold; an
# HPA gets its minReplicas raised instead; --dry-run writes nothing; too
# little history falls back to Holt and says so; Prometheus or the API
# server down means exit 3 and no scaling; a change someone made meanwhile
# is not overwritten; the state and the textfile.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"

OPSPIPE_RETRY_BASE=0.01 OPSPIPE_RETRY_MAX=0.05
export OPSPIPE_RETRY_BASE OPSPIPE_RETRY_MAX

prom=$T_DIR/prom
if ! sh "$OPSPIPE_TOP/test/prom/start.sh" "$prom" "$OPSPIPE_TOP/test/prom/gen_autoscale.py" >"$T_DIR/prom.log" 2>&1; then
	not_ok "the autoscale history's Prometheus started" "$(tail -n 5 "$T_DIR/prom.log")"
	done_testing
	exit 1
fi
stop_prom() { sh "$OPSPIPE_TOP/test/prom/stop.sh" "$prom"; }
at_exit stop_prom
PROMETHEUS_URL=$(cat "$prom/url")
export PROMETHEUS_URL
R=$(cat "$prom/ramp")

cat >"$T_DIR/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "fixture/app:1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: api, image: "fixture/app:1"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web-other}
  minReplicas: 1
  maxReplicas: 5
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api-hpa, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 12
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
EOF
start_kubeapi --objects "$T_DIR/objects.yaml"

load=opspipe_autoscale_test_load
# scale ARGS...: the flow on the fixture's shop namespace, 50 load a pod.
scale() {
	opspipe-autoscale -n shop --query "$load" --per-pod 50 "$@"
}
rec() { jq -r "$1" "$T_DIR/out"; }
writes() { sent '[.[] | select(.method != "GET")] | length'; }
replicas() { k8spatch -n shop get "deploy/$1" | jq '.spec.replicas'; }
fresh() { control '{"reset":true}'; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# --- ahead of the ramp, and not long before it ------------------------------
expect_status "five minutes before the ramp: exit 0" 0 \
    scale --target deployment/web --max 30 --at $((R - 300)) --state "$T_DIR"
expect_eq "… decided as of --at" "$(iso $((R - 300)))" "$(rec .time)"
expect_eq "… with Holt-Winters on the daily season" "holt-winters 600" "$(rec '"\(.forecast.model) \(.forecast.horizon)"')"
ok_if "… scales up for the ramp the forecast sees coming (at least 10 pods)" [ "$(rec .desired)" -ge 10 ]
ok_if "… more than the load now needs (the forecast, not the present)" \
    [ "$(rec '.need')" -gt "$(rec '(.load / 50) | ceil')" ]
expect_eq "… from 3, applied, by scaling the Deployment" "3 true scale" "$(rec '"\(.current) \(.applied) \(.via)"')"
ahead=$(rec .desired)
expect_eq "… one PATCH, to its /scale subresource, with that count" \
    "PATCH /apis/apps/v1/namespaces/shop/deployments/web/scale $ahead" \
    "$(sent '[.[] | select(.method != "GET")][] | "\(.method) \(.path) \(.body.spec.replicas)"')"
expect_eq "… and the Deployment has it" "$ahead" "$(replicas web)"
expect_eq "… the record names the target and says why" "deployment/web shop" "$(rec '"\(.target) \(.namespace)"')"
expect_match "… in words" "scale up from 3 to $ahead" "$(rec .reason)"
expect_eq "the state keeps the decision" "$(iso $((R - 300))) $(rec .need)" \
    "$(jq -r '"\(.time) \(.need)"' "$T_DIR/shop.deployment.web.jsonl")"

fresh
expect_status "forty minutes before the ramp: exit 0" 0 \
    scale --target deployment/web --max 30 --at $((R - 2400))
ok_if "… the ramp is beyond the horizon: what the load needs (7 pods at most)" [ "$(rec .desired)" -le 7 ]

# --- the limits ---------------------------------------------------------------
fresh
scale --target deployment/web --max 8 --at $((R - 300)) >"$T_DIR/out"
expect_eq "--max 8 caps the scale-up" "8 8" "$(rec .desired) $(replicas web)"
expect_match "… and says so" "capped at the maximum of 8" "$(rec .reason)"
fresh
scale --target deployment/web --max 30 --min 9 --at $((R - 2400)) >"$T_DIR/out"
expect_eq "--min 9 raises a quiet hour's need" "9 9" "$(rec .desired) $(replicas web)"
expect_match "… and says so" "raised to the minimum of 9" "$(rec .reason)"
fresh
scale --target deployment/web --max 30 --max-step 2 --at $((R - 300)) >"$T_DIR/out"
expect_eq "--max-step 2: from 3 to 5 in one run" "5 5" "$(rec .desired) $(replicas web)"
expect_match "… and says so" "at most 2 more a decision" "$(rec .reason)"

# --- stabilisation: a scale-down waits until every recent decision agrees -----
fresh
mkdir "$T_DIR/st"
scale --target deployment/web --max 30 --at $((R + 1800)) --state "$T_DIR/st" >"$T_DIR/out"
high=$(rec .desired)
ok_if "on the plateau: scaled up (to $high)" [ "$high" -ge 16 ]
control '{"clear_requests":true}'
scale --target deployment/web --max 30 --at $((R + 4800)) --state "$T_DIR/st" --stabilize 1h >"$T_DIR/out"
ok_if "after the ramp the load needs fewer ($(rec .need))" [ "$(rec .need)" -lt "$high" ]
expect_eq "… but a decision within --stabilize 1h needed $high: held" "$high" "$(rec .desired)"
expect_match "… and says so" "a decision within the last 1h needed $high" "$(rec .reason)"
expect_eq "… nothing written" 0 "$(writes)"
scale --target deployment/web --max 30 --at $((R + 4800)) --state "$T_DIR/st" --stabilize 30m >"$T_DIR/out"
expect_eq "with --stabilize 30m that decision is out of the window: scaled down" \
    "$(rec .need) $(rec .need)" "$(rec .desired) $(replicas web)"
expect_eq "the state keeps only the window (30m): the last two decisions" 2 \
    "$(wc -l <"$T_DIR/st/shop.deployment.web.jsonl")"

fresh
k8spatch -n shop scale deploy/web --replicas 0 >/dev/null
control '{"clear_requests":true}'
scale --target deployment/web --max 30 --at $((R - 300)) >"$T_DIR/out"
expect_eq "a workload scaled to 0 is left alone, as the HPA leaves it" "0 false 0" \
    "$(writes) $(rec .applied) $(replicas web)"
expect_match "… and the record says so" "scaled to 0: left alone" "$(rec .reason)"

# A damaged state file does not stop the flow: the bad line is said and dropped.
fresh
printf '{"time":"%s","need":4,"desi\n' "$(iso $((R - 360)))" >>"$T_DIR/st/shop.deployment.web.jsonl"
scale --target deployment/web --max 30 --at $((R + 4860)) --state "$T_DIR/st" --stabilize 30m \
    >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a damaged state line: exit 0, decided and applied" "0 true" "$? $(rec .applied)"
expect_match "… the line is named" "statz: stdin:[0-9]+: " "$(cat "$T_DIR/err")"
expect_eq "… and the rewritten state is whole again" 3 \
    "$(jq -c . "$T_DIR/st/shop.deployment.web.jsonl" | wc -l)"

# --- an HPA manages the target: raise its minReplicas ---------------------------
fresh
scale --target deploy/api --max 30 --at $((R + 1800)) >"$T_DIR/out"
expect_eq "HPA path: exit 0" 0 "$?"
expect_eq "… through the HPA that targets the Deployment (not another)" "hpa api-hpa 2" \
    "$(rec '"\(.via) \(.hpa) \(.min_replicas)"')"
expect_eq "… its maxReplicas (12) caps the decision" 12 "$(rec .desired)"
expect_eq "… one write: a merge patch of the HPA's minReplicas" \
    "PATCH /apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/api-hpa {\"spec\":{\"minReplicas\":12}}" \
    "$(sent '[.[] | select(.method != "GET")][] | "\(.method) \(.path) \(.body | tojson)"')"
expect_eq "… the Deployment is not scaled by the flow" 2 "$(replicas api)"
expect_match "… the record says so" "through the HPA api-hpa's minReplicas \\(2 before\\)" "$(rec .reason)"
fresh
scale --target deploy/api --max 30 --at $((R + 1800)) --via scale >"$T_DIR/out"
expect_eq "--via scale: the Deployment's /scale even with an HPA" \
    "PATCH /apis/apps/v1/namespaces/shop/deployments/api/scale" \
    "$(sent '[.[] | select(.method != "GET")][] | "\(.method) \(.path)"')"
expect_status "--via hpa without an HPA: exit 2" 2 scale --target deployment/web --max 30 --via hpa
expect_match "… naming what is missing" "no HorizontalPodAutoscaler in 'shop' targets deployment/web" "$(cat "$T_DIR/err")"

# --- --dry-run writes nothing ------------------------------------------------------
fresh
mkdir "$T_DIR/dry"
expect_status "--dry-run: exit 0" 0 scale --target deployment/web --max 30 --at $((R - 300)) \
    --state "$T_DIR/dry" --dry-run
expect_eq "… the decision, not applied, marked" "false true" "$(rec '"\(.applied) \(.dry_run)"')"
ok_if "… the same decision as a real run" [ "$(rec .desired)" -eq "$ahead" ]
expect_eq "… the API server saw only GETs" "GET" "$(sent '[.[].method] | unique | join(" ")')"
expect_eq "… the Deployment is unchanged" 3 "$(replicas web)"
ok_if "… no state written" [ ! -e "$T_DIR/dry/shop.deployment.web.jsonl" ]
fresh
scale --target deploy/api --max 30 --at $((R + 1800)) --dry-run >"$T_DIR/out"
expect_eq "--dry-run on the HPA path: only GETs" "GET" "$(sent '[.[].method] | unique | join(" ")')"

# --- too little history: Holt, and the record says why --------------------------
fresh
expect_status "twelve hours of history: exit 0" 0 opspipe-autoscale -n shop --query opspipe_autoscale_test_young \
    --per-pod 50 --target deployment/web --max 30 --at $((R - 300))
expect_eq "… Holt-Winters fell back to Holt" holt "$(rec .forecast.model)"
expect_match "… and the record says why" "holt-winters needs at least two seasons \\(2880 samples\\), the series has [0-9]+" \
    "$(rec .forecast.fallback)"
expect_match "… the reason too" "\\(upper bound, holt: holt-winters needs at least two seasons" "$(rec .reason)"

# --- Prometheus or the API server down: exit 3, nothing scaled --------------------
fresh
PROMETHEUS_URL=http://127.0.0.1:1 scale --target deployment/web --max 30 --at $((R - 300)) \
    >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "Prometheus down: exit 3" 3 "$?"
expect_match "… and says so" "opspipe-autoscale: promq failed for the load query" "$(cat "$T_DIR/err")"
expect_eq "… nothing written to the cluster" "0 3" "$(writes) $(replicas web)"
fresh
control '{"fail":[{"method":"GET","path":".","status":503,"count":0}]}'
expect_status "the API server failing: exit 3" 3 scale --target deployment/web --max 30 --at $((R - 300))
expect_eq "… nothing written" 0 "$(writes)"
fresh
control '{"fail":[{"method":"PATCH","path":"/scale$","status":500,"count":0}]}'
mkdir "$T_DIR/st3"
expect_status "the API server failing the write: exit 3" 3 scale --target deployment/web --max 30 \
    --at $((R - 300)) --state "$T_DIR/st3" --textfile "$T_DIR/fail.prom"
expect_eq "… the record says it was not applied, and why" "false true" \
    "$(rec '"\(.applied) \(.error | length > 0)"')"
control '{"fail":[]}'
expect_eq "… the Deployment is as it was" 3 "$(replicas web)"

# --- someone else scaled meanwhile: not overwritten --------------------------------
fresh
control '{"before":[{"method":"GET","path":"/deployments/web/scale$","merge":{"spec":{"replicas":7}}}]}'
expect_status "replicas changed between the read and the write: exit 1" 1 \
    scale --target deployment/web --max 30 --at $((R - 300))
expect_eq "… not applied" false "$(rec .applied)"
expect_eq "… the other change stands" 7 "$(replicas web)"

# --- the textfile -------------------------------------------------------------------
fresh
scale --target deployment/web --max 30 --at $((R - 300)) --textfile "$T_DIR/m.prom" >"$T_DIR/out"
ok_if "promtool check metrics accepts the textfile" sh -c "promtool check metrics <'$T_DIR/m.prom'"
for m in desired_replicas current_replicas forecast forecast_upper forecast_lower load max_replicas; do
	ok_if "textfile: opspipe_autoscale_$m" grep -q "^opspipe_autoscale_$m{namespace=\"shop\",target=\"deployment/web\"} [0-9.e+-]*\$" "$T_DIR/m.prom"
done
expect_eq "textfile: the decision's replicas" "$(rec .desired)" \
    "$(sed -n 's/^opspipe_autoscale_desired_replicas{.*} //p' "$T_DIR/m.prom")"
expect_eq "textfile: one scaling event" 1 "$(sed -n 's/^opspipe_autoscale_scale_events_total{.*} //p' "$T_DIR/m.prom")"
scale --target deployment/web --max 30 --at $((R - 300)) --textfile "$T_DIR/m.prom" >"$T_DIR/out"
expect_eq "a run with nothing to change keeps the count" "false 1" \
    "$(rec .applied) $(sed -n 's/^opspipe_autoscale_scale_events_total{.*} //p' "$T_DIR/m.prom")"
expect_eq "no temporary file left next to it" "m.prom" "$(cd "$T_DIR" && ls m.prom*)"

# --- the Pushgateway (Debian's, for real) --------------------------------------------
pg_port=$(free_port)
prometheus-pushgateway --web.listen-address="127.0.0.1:$pg_port" \
    --persistence.file="$T_DIR/pg.db" >"$T_DIR/pg.log" 2>&1 &
pg_pid=$!
stop_pg() { kill "$pg_pid" 2>/dev/null; wait "$pg_pid" 2>/dev/null; }
at_exit stop_pg
if wait_http "http://127.0.0.1:$pg_port/-/ready" 20; then
	fresh
	mkdir "$T_DIR/pst"
	scale --target deployment/web --max 30 --at $((R - 300)) --state "$T_DIR/pst" \
	    --pushgateway "http://127.0.0.1:$pg_port/" >"$T_DIR/out"
	expect_eq "--pushgateway: exit 0" 0 "$?"
	curl -fs "http://127.0.0.1:$pg_port/metrics" >"$T_DIR/pg.metrics"
	expect_eq "… the decision is there, grouped by job, namespace and target" \
	    "opspipe_autoscale_desired_replicas{instance=\"\",job=\"opspipe_autoscale\",namespace=\"shop\",target=\"deployment/web\"} $(rec .desired)" \
	    "$(grep '^opspipe_autoscale_desired_replicas{' "$T_DIR/pg.metrics")"
	expect_eq "… the events counter is kept beside the state" 1 \
	    "$(sed -n 's/^opspipe_autoscale_scale_events_total{.*} //p' "$T_DIR/pst/shop.deployment.web.prom")"
else
	not_ok "the Pushgateway started" "$(tail -n 5 "$T_DIR/pg.log")"
fi
scale --target deployment/web --max 30 --at $((R - 300)) --pushgateway http://127.0.0.1:1 \
    >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a Pushgateway that is down: exit 3, the decision still printed" "3 true" \
    "$? $(rec '.desired > 0')"

# --- the Role in share/opspipe/k8s/autoscale allows what the flow does, no more --------
# Its names are the example's (deployment web, HPA web); the fixture's
# requests are mapped onto them, those of a run on each path.
fresh
scale --target deployment/web --max 30 --at $((R - 300)) >/dev/null
sent '.' >"$T_DIR/req-scale.json"
fresh
scale --target deploy/api --max 30 --at $((R + 1800)) >/dev/null
sent '.' >"$T_DIR/req-hpa.json"
/usr/bin/python3 - "$OPSPIPE_TOP/share/opspipe/k8s/autoscale/rbac.yaml" \
    "$T_DIR/req-scale.json" web:web "$T_DIR/req-hpa.json" api:web,api-hpa:web \
    >"$T_DIR/rbac" 2>&1 <<'PY'
import json, re, sys, yaml
role = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Role"][0]
used = set()
ok = True
for path, names in zip(sys.argv[2::2], sys.argv[3::2]):
    rename = dict(x.split(":") for x in names.split(","))
    for r in json.load(open(path)):
        m = re.match(r"^/apis?/(?:([^/]+)/)?v[0-9a-z]+/namespaces/[^/]+/([^/]+)(?:/([^/]+))?(?:/([^/]+))?$", r["path"])
        if not m:
            continue            # discovery: open to every authenticated user
        group, res, name, sub = m.groups()
        if group and group.startswith("v") and res is None:
            continue
        verb = {"GET": "get" if name else "list", "PATCH": "patch", "PUT": "update",
                "POST": "create", "DELETE": "delete"}[r["method"]]
        res = res + ("/" + sub if sub else "")
        name = rename.get(name, name)
        hit = [i for i, rule in enumerate(role["rules"])
               if (group or "") in rule["apiGroups"] and res in rule["resources"]
               and verb in rule["verbs"] and (not name or "resourceNames" not in rule
                                              or name in rule["resourceNames"])]
        if not hit:
            ok = False
            print("not ok the Role allows %s %s %s/%s (%s)" % (verb, group, res, name, r["path"]))
        used.update(hit)
print(("ok " if ok else "not ok ") + "the Role allows every request of a run on each path")
print(("ok " if used == set(range(len(role["rules"]))) else "not ok ") +
      "every rule of the Role is needed by one of them: %s unused" %
      sorted(set(range(len(role["rules"]))) - used))
PY
relay_tap "$T_DIR/rbac" "Role checker"

# --- bad input and usage --------------------------------------------------------------
expect_status "a query with two series: exit 2" 2 opspipe-autoscale -n shop --per-pod 50 --max 9 \
    --target deployment/web --query '{__name__=~"opspipe_autoscale_test_.*"}' --at $((R - 300))
expect_match "… asking to aggregate" "returned 2 series: aggregate them" "$(cat "$T_DIR/err")"
expect_status "a target that does not exist: exit 2" 2 scale --target deployment/nope --max 9
expect_status "--max is required" 2 scale --target deployment/web
expect_status "a bad --horizon, before any request" 2 scale --target deployment/web --max 9 --horizon 10x
expect_match "… named" "invalid --horizon '10x'" "$(cat "$T_DIR/err")"
expect_status "--target must be KIND/NAME" 2 scale --target web --max 9
expect_status "--min above --max" 2 scale --target deployment/web --max 3 --min 4
expect_status "--help" 0 opspipe-autoscale --help
expect_match "… a usage line" "^Usage: opspipe-autoscale " "$(head -n 1 "$T_DIR/out")"
done_testing
