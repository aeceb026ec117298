#!/bin/sh
# What ships with the autoscale flow besides the script: the kustomize base
# in share/opspipe/k8s/autoscale (renders with kubectl; the CronJob runs the
# flow as argv, non-root, read-only, bounded; the Role is least privilege),
# the alerting rules (promtool check and unit tests: a target held at its
# maximum, a forecast that keeps missing, a flow that stopped), and the
# Grafana dashboard's queries (only metrics the flow writes). That the Role
# is enough for the flow's real requests is checked in autoscale.sh.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

k=$OPSPIPE_TOP/share/opspipe/k8s/autoscale
rules=$OPSPIPE_TOP/share/opspipe/prometheus/autoscale-rules.yml
dash=$OPSPIPE_TOP/share/opspipe/grafana/dashboards/autoscale.json
flow=$OPSPIPE_TOP/bin/opspipe-autoscale

if kubectl kustomize "$k" >"$T_DIR/rendered" 2>"$T_DIR/err"; then
	ok "kubectl kustomize renders share/opspipe/k8s/autoscale"
else
	not_ok "kubectl kustomize renders share/opspipe/k8s/autoscale" "$(head -c 600 "$T_DIR/err")"
fi

/usr/bin/python3 - "$T_DIR/rendered" >"$T_DIR/checks" 2>&1 <<'PY'
import sys, yaml

def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + str(detail)))

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
say(sorted(k for k, _ in by) == ["CronJob", "PersistentVolumeClaim", "Role", "RoleBinding",
                                  "ServiceAccount"],
    "the base is a CronJob, its state claim, a ServiceAccount, a Role and its binding",
    sorted(by))
say(not any(d["kind"].startswith("Cluster") for d in docs), "nothing cluster-wide")
say(all("namespace" not in d["metadata"] for d in docs),
    "no namespace written down: it goes where the workload is")

cj = by[("CronJob", "opspipe-autoscale")]["spec"]
say(cj["schedule"] == "* * * * *", "the CronJob runs every minute", cj["schedule"])
say(cj["concurrencyPolicy"] == "Forbid", "runs never overlap")
job = cj["jobTemplate"]["spec"]
say(0 < job["activeDeadlineSeconds"] <= 60, "a run ends within its minute", job.get("activeDeadlineSeconds"))
pod = job["template"]["spec"]
say(pod["serviceAccountName"] == "opspipe-autoscale", "the pod runs as the Role's service account")
psc = pod["securityContext"]
c = pod["containers"][0]
sc = c["securityContext"]
say(psc["runAsNonRoot"] is True and psc["runAsUser"] > 0, "non-root")
say(sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    and sc["capabilities"]["drop"] == ["ALL"], "read-only root, no escalation, no capabilities")
res = c["resources"]
say(all(x in res[w] for w in ("requests", "limits") for x in ("cpu", "memory")),
    "cpu and memory requests and limits", res)
say(c["command"] == ["opspipe-autoscale"], "runs the flow, not a shell", c["command"])
args = c["args"]
opt = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("--")}
say({"--target", "--query", "--per-pod", "--max", "--state"} <= set(opt),
    "passes --target, --query, --per-pod, --max and --state", sorted(opt))
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
say(mounts.get(opt.get("--state")) in vols and "persistentVolumeClaim" in vols[mounts[opt["--state"]]],
    "--state is on the persistent volume")
say(vols[mounts[opt["--state"]]]["persistentVolumeClaim"]["claimName"] in
    [n for k, n in by if k == "PersistentVolumeClaim"], "the claim is in the base")
say("/tmp" in mounts and "emptyDir" in vols[mounts["/tmp"]], "a writable /tmp")
env = {e["name"]: e for e in c["env"]}
say("PROMETHEUS_URL" in env, "PROMETHEUS_URL is set")

role = by[("Role", "opspipe-autoscale")]
target = opt["--target"].split("/")[1]
allowed = set()
for r in role["rules"]:
    for g in r["apiGroups"]:
        for res_ in r["resources"]:
            for v in r["verbs"]:
                allowed.add((g, res_, v, tuple(r.get("resourceNames", ()))))
say(not any("*" in x for a in allowed for x in a[:3]), "no wildcards")
say({v for _, _, v, _ in allowed} <= {"get", "list", "patch"}, "verbs: get, list and patch only",
    sorted({v for _, _, v, _ in allowed}))
say({(g, r) for g, r, v, _ in allowed if v == "patch"} ==
    {("apps", "deployments/scale"), ("autoscaling", "horizontalpodautoscalers")},
    "it may patch only the replica count (/scale) and the HPA")
say(all(names for g, r, v, names in allowed if v in ("get", "patch")),
    "get and patch are limited to named objects")
say(all(target in names for g, r, v, names in allowed if g == "apps"),
    "… the CronJob's --target", target)
say(("apps", "deployments", "patch", (target,)) not in allowed,
    "the Deployment itself (its pod template) cannot be patched")
rb = by[("RoleBinding", "opspipe-autoscale")]
say(rb["roleRef"]["name"] == "opspipe-autoscale" and rb["roleRef"]["kind"] == "Role" and
    rb["subjects"] == [{"kind": "ServiceAccount", "name": "opspipe-autoscale"}],
    "the binding gives the Role to the service account only")
PY
relay_tap "$T_DIR/checks" "manifest checker"

# --- alerting rules -------------------------------------------------------------
ok_if "promtool check rules" promtool check rules "$rules"
cat >"$T_DIR/rules_test.yml" <<EOF
rule_files:
  - $rules
evaluation_interval: 1m
tests:
  # held at --max: desired reaches max at minute 10 and stays
  - interval: 1m
    input_series:
      - series: 'opspipe_autoscale_desired_replicas{namespace="shop",target="deployment/web"}'
        values: '5x9 20x40'
      - series: 'opspipe_autoscale_max_replicas{namespace="shop",target="deployment/web"}'
        values: '20x50'
    alert_rule_test:
      - eval_time: 20m
        alertname: OpsPipeAutoscaleAtMax
        exp_alerts: []
      - eval_time: 26m
        alertname: OpsPipeAutoscaleAtMax
        exp_alerts:
          - exp_labels: {severity: warning, namespace: shop, target: deployment/web}
            exp_annotations:
              summary: "deployment/web in shop is held at its maximum replicas"
              description: "opspipe-autoscale has wanted the maximum of 20 replicas for deployment/web for 15 minutes. Compare opspipe_autoscale_need_replicas: raise --max (or the HPA's maxReplicas) or find where the load comes from."
  # a forecast that keeps missing: right for an hour, then 50% low
  - interval: 1m
    input_series:
      - series: 'opspipe_autoscale_load{namespace="shop",target="deployment/web"}'
        values: '1000x120'
      - series: 'opspipe_autoscale_forecast{namespace="shop",target="deployment/web"}'
        values: '1000x60 500x60'
    alert_rule_test:
      - eval_time: 60m
        alertname: OpsPipeAutoscaleForecastMissing
        exp_alerts: []
      - eval_time: 95m
        alertname: OpsPipeAutoscaleForecastMissing
        exp_alerts: []
      - eval_time: 105m
        alertname: OpsPipeAutoscaleForecastMissing
        exp_alerts:
          - exp_labels: {severity: warning, namespace: shop, target: deployment/web}
            exp_annotations:
              summary: "The load forecast for deployment/web in shop keeps missing"
              description: "For 30 minutes the load of deployment/web has been 50% away from what opspipe-autoscale forecast 10 minutes earlier. Its decisions fall back on the load now; check the query, the season and the history."
  # a little noise is no miss; no load is no division by zero
  - interval: 1m
    input_series:
      - series: 'opspipe_autoscale_load{namespace="shop",target="deployment/web"}'
        values: '1000 1100 900 1050 950 1000 1100 900 1050 950 1000 1100 900 1050 950 1000 1100 900 1050 950 1000 1100 900 1050 950 1000 1100 900 1050 950 1000 1100 900 1050 950 1000 1100 900 1050 950 1000 1100 900 1050 950 0x40'
      - series: 'opspipe_autoscale_forecast{namespace="shop",target="deployment/web"}'
        values: '1000x90'
    alert_rule_test:
      - eval_time: 45m
        alertname: OpsPipeAutoscaleForecastMissing
        exp_alerts: []
      - eval_time: 88m
        alertname: OpsPipeAutoscaleForecastMissing
        exp_alerts: []
  # a flow that stopped
  - interval: 1m
    input_series:
      - series: 'opspipe_autoscale_last_run_timestamp_seconds{namespace="shop",target="deployment/web"}'
        values: '0+60x10 600x30'
    alert_rule_test:
      - eval_time: 10m
        alertname: OpsPipeAutoscaleStale
        exp_alerts: []
      - eval_time: 26m
        alertname: OpsPipeAutoscaleStale
        exp_alerts:
          - exp_labels: {severity: warning, namespace: shop, target: deployment/web}
            exp_annotations:
              summary: "opspipe-autoscale has not run for deployment/web in 10 minutes"
EOF
if promtool test rules "$T_DIR/rules_test.yml" >"$T_DIR/rt.out" 2>&1; then
	ok "promtool test rules: at max, forecast missing, stale — and not otherwise"
else
	not_ok "promtool test rules: at max, forecast missing, stale — and not otherwise" "$(head -c 1500 "$T_DIR/rt.out")"
fi

# --- the dashboard asks only for what the flow writes -------------------------------
grep -o 'opspipe_autoscale_[a-z_]*' "$flow" | sort -u >"$T_DIR/written"
jq -r '.panels[].targets[]?.expr // empty' "$dash" | grep -o 'opspipe_autoscale_[a-z_]*' | sort -u >"$T_DIR/asked"
expect_eq "every metric the dashboard graphs is one the flow writes" "" \
    "$(comm -13 "$T_DIR/written" "$T_DIR/asked")"
grep -o 'opspipe_autoscale_[a-z_]*' "$rules" | sort -u >"$T_DIR/alerted"
expect_eq "every metric the rules use is one the flow writes" "" \
    "$(comm -13 "$T_DIR/written" "$T_DIR/alerted")"
for m in opspipe_autoscale_load opspipe_autoscale_forecast_upper opspipe_autoscale_desired_replicas \
    opspipe_autoscale_current_replicas opspipe_autoscale_scale_events_total; do
	ok_if "the dashboard shows $m" grep -qx "$m" "$T_DIR/asked"
done
expect_eq "the load is graphed against the forecast made a horizon (10m) earlier" \
    "opspipe_autoscale_forecast offset 10m" \
    "$(jq -r '.panels[0].targets[1].expr' "$dash")"
done_testing
