#!/bin/sh
# Prometheus' configuration and rules for the monitoring base, and
# Alertmanager's: the kubernetes_sd_configs blocks against Prometheus'
# documented schema (test/monitoring/promconfig.py: Debian's promtool 2.42
# has no Kubernetes discovery), the rest with `promtool check config` on a
# copy without them; `promtool check rules` and `promtool test rules` with
# a firing case for every alert; `amtool check-config` and the routes.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

p=$OPSPIPE_TOP/share/opspipe/prometheus
am=$OPSPIPE_TOP/share/opspipe/k8s/monitoring/config/alertmanager.yml
sd() { /usr/bin/python3 "$OPSPIPE_TOP/test/monitoring/promconfig.py" "$@"; }

sd "$p/prometheus.yml" "$T_DIR/copy.yml" "$T_DIR" "$p/monitoring-rules.yml" "$p/drift-rules.yml" \
    "$p/remediate-rules.yml" "$p/autoscale-rules.yml" >"$T_DIR/sd" 2>&1
relay_tap "$T_DIR/sd" "kubernetes_sd_configs checker"
expect_eq "the copy has no kubernetes_sd_configs left" 0 "$(grep -c kubernetes_sd_configs "$T_DIR/copy.yml")"
expect_status "promtool check config: the rest of prometheus.yml, with every rule file" 0 \
    promtool check config "$T_DIR/copy.yml"
expect_match "... the rules were loaded" "SUCCESS: [0-9]+ rules found" "$(cat "$T_DIR/out")"

# The checker fails what it should. bad NAME EXPECTED SED: the shipped
# configuration edited by SED must give a "not ok" matching EXPECTED.
bad() {
	sed "$3" "$p/prometheus.yml" >"$T_DIR/bad.yml"
	sd "$T_DIR/bad.yml" "$T_DIR/bad-copy.yml" "$T_DIR" >"$T_DIR/bad.out" 2>&1
	expect_match "the checker catches: $1" "^not ok .*$2" "$(grep '^not ok' "$T_DIR/bad.out")"
}
bad "an unknown role" "role is one of" 's/- role: node$/- role: nodes/'
bad "an undocumented key" "only documented keys" 's/^        namespaces:$/        namespace:/'
bad "a meta label the role does not attach" "reads only meta labels the node role attaches" \
    's/__meta_kubernetes_node_name\]/__meta_kubernetes_pod_node_name]/'
bad "own_namespace that is not a boolean" "namespaces is" 's/own_namespace: true/own_namespace: "yes"/'
bad "a pod label name with a dot" "reads only meta labels" \
    's/__meta_kubernetes_pod_label_app_kubernetes_io_name/__meta_kubernetes_pod_label_app.kubernetes.io\/name/'

promtool check rules "$p/monitoring-rules.yml" >"$T_DIR/out" 2>&1
expect_eq "promtool check rules" "0 SUCCESS: 15 rules found" "$? $(sed -n 's/^ *//; /SUCCESS/p' "$T_DIR/out")"
expect_status "promtool test rules: every alert's cases" 0 \
    promtool test rules "$OPSPIPE_TOP/test/monitoring/rules-test.yml"
expect_eq "... passing" "SUCCESS" "$(sed -n 's/^ *//; /SUCCESS\|FAILED/p' "$T_DIR/out")"

# Every alert of the file fires in some test case, with its labels; every
# workload alert names a workload and asks for remediation.
/usr/bin/python3 - "$p/monitoring-rules.yml" "$OPSPIPE_TOP/test/monitoring/rules-test.yml" \
    >"$T_DIR/cover" 2>&1 <<'PY'
import re, sys, yaml
rules = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r]
tests = yaml.safe_load(open(sys.argv[2]))["tests"]
fired = {c["alertname"]: c["exp_alerts"] for t in tests for c in t.get("alert_rule_test", []) if c["exp_alerts"]}
quiet = {c["alertname"] for t in tests for c in t.get("alert_rule_test", []) if not c["exp_alerts"]}
def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + str(detail)))
for r in rules:
    say(r["alert"] in fired, "%s has a test case where it fires" % r["alert"])
    if r["labels"].get("remediate") == "true":
        exp = fired.get(r["alert"], [{}])[0].get("exp_labels", {})
        say(exp.get("namespace") and any(exp.get(k) for k in ("pod", "deployment", "statefulset")),
            "%s names a workload (namespace and pod, deployment or statefulset)" % r["alert"], exp)
        say(r["labels"].get("reason") in ("CrashLoopBackOff", "OOMKilled", "ImagePullBackOff", "ReplicasUnavailable"),
            "%s gives a reason in DESIGN.md's words" % r["alert"], r["labels"].get("reason"))
say(len([r for r in rules if r["alert"] in quiet]) >= 10, "most alerts also have a case where they stay quiet")
for name in ("OpspipePodCrashLooping", "OpspipePodOOMKilled", "OpspipeImagePullFailing",
             "OpspipeDeploymentReplicasUnavailable", "OpspipeStatefulSetReplicasUnavailable",
             "OpspipeTargetDown", "OpspipeComponentMissing", "OpspipePrometheusMemoryNearLimit"):
    say(name in [r["alert"] for r in rules], "the rules have %s" % name)
PY
relay_tap "$T_DIR/cover" "rules coverage checker"

# Alertmanager: valid, and workload failures reach the receiver as well as people.
expect_status "amtool check-config" 0 amtool check-config "$am"
routes() { amtool config routes test --config.file="$am" "$@" 2>/dev/null; }
expect_eq "remediate=\"true\" alerts go to the receiver and to people" \
    "opspipe-remediate,default" "$(routes remediate=true alertname=OpspipePodCrashLooping namespace=shop)"
expect_eq "other alerts go to people only" "default" "$(routes alertname=OpspipeTargetDown)"
done_testing
