#!/bin/sh
# The monitoring base, share/opspipe/k8s/monitoring: kubectl kustomize
# renders it (with kubectl 1.32 and Debian 12's 1.20 alike: the base uses
# only what both accept), and the rendered objects pass
# test/monitoring/k8scheck.py — the fields Kubernetes requires, references
# that resolve, non-root read-only pods with requests and limits, read-only
# RBAC, and the pieces agreeing with each other. The checker is shown to
# fail on broken renders too.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

m=$OPSPIPE_TOP/share/opspipe/k8s/monitoring
check() { /usr/bin/python3 "$OPSPIPE_TOP/test/monitoring/k8scheck.py" "$1" "$OPSPIPE_TOP"; }

if ! command -v kubectl >/dev/null 2>&1; then
	not_ok "kubectl is installed (make deps installs Debian's kubernetes-client)"
	done_testing
	exit 1
fi
if ! kubectl kustomize "$m" >"$T_DIR/rendered" 2>"$T_DIR/err"; then
	not_ok "kubectl kustomize renders the monitoring base" "$(head -c 600 "$T_DIR/err")"
	done_testing
	exit 1
fi
ok "kubectl kustomize renders the monitoring base"
# Only the deprecation of "bases" (kubectl >= 1.21) may be said.
expect_eq "... saying nothing else on stderr" "" \
    "$(grep -v "^# Warning: 'bases' is deprecated" "$T_DIR/err")"
check "$T_DIR/rendered" >"$T_DIR/checks" 2>&1
relay_tap "$T_DIR/checks" "manifest checker"
expect_eq "every manifest's objects are rendered, with the 7 generated ConfigMaps" \
    "$(($(cat "$m"/*.yaml | grep -c '^kind:') - 1 + 7))" "$(grep -c '^kind:' "$T_DIR/rendered")"
# Prometheus loads every rule file opspipe ships (the flows' alerts too).
expect_eq "the rules ConfigMap holds every shipped rule file" \
    "$(find "$OPSPIPE_TOP/share/opspipe/prometheus" -name '*-rules.yml' | sed 's|.*/||' | sort | paste -sd' ' -)" \
    "$(/usr/bin/python3 -c 'import sys, yaml
d = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o and o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("prometheus-rules")]
print(" ".join(sorted(d[0]["data"])))' "$T_DIR/rendered")"

# The checker fails what it should: mutate one thing, expect one failure.
# mutate NAME PYTHON EXPECTED: PYTHON edits "docs" (the rendered objects).
mutate() {
	/usr/bin/python3 - "$T_DIR/rendered" "$T_DIR/bad" "$2" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
def obj(kind, name):
    return [d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(name)][0]
exec(sys.argv[3])
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
PY
	check "$T_DIR/bad" >"$T_DIR/bad.out" 2>&1
	expect_match "the checker catches: $1" "^not ok .*$3" "$(grep '^not ok' "$T_DIR/bad.out")"
}
mutate "a ClusterRole that may patch" \
    'obj("ClusterRole", "opspipe-prometheus")["rules"][0]["verbs"].append("patch")' \
    "ClusterRole/opspipe-prometheus: read-only"
mutate "a volume naming a ConfigMap that is not there" \
    'obj("Deployment", "prometheus")["spec"]["template"]["spec"]["volumes"][1]["configMap"]["name"] = "prometheus-rules"' \
    "ConfigMap prometheus-rules exists"
mutate "the DCGM exporter on every node" \
    'del obj("DaemonSet", "dcgm-exporter")["spec"]["template"]["spec"]["nodeSelector"]' \
    "dcgm-exporter: only on GPU nodes"
mutate "a writable root filesystem" \
    'del obj("DaemonSet", "node-exporter")["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"]' \
    "node-exporter: read-only root filesystem"
mutate "a Secret written down" \
    'docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "monitoring", "labels": {"app.kubernetes.io/part-of": "opspipe"}}, "stringData": {"token": "t"}})' \
    "no Secret is written down"
mutate "an image without a tag" \
    'obj("Deployment", "grafana")["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/grafana/grafana"' \
    "grafana: image from a registry with a pinned tag"
mutate "a Deployment without resource limits" \
    'del obj("Deployment", "pushgateway")["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]' \
    "pushgateway: cpu and memory requests and limits"
mutate "a discovery regex no pod matches" \
    'obj("DaemonSet", "cadvisor")["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"] = "web"' \
    "prometheus job cadvisor: discovery finds"
mutate "a mount inside a ConfigMap volume" \
    'obj("Deployment", "prometheus")["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] = "/etc/prometheus"' \
    "no mount inside a ConfigMap or Secret volume"
mutate "a Deployment without a container" \
    'obj("Deployment", "alertmanager")["spec"]["template"]["spec"]["containers"] = []' \
    "Deployment/alertmanager: has spec.template.spec.containers"
done_testing
