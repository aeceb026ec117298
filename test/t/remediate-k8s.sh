#!/bin/sh
# Deploying the remediate flow: share/opspipe/k8s/remediate (the CronJob
# in the monitoring cluster, the RBAC manifest for the app cluster) and the
# alerting rules. Every manifest parses and is taken by an API server
# (kubectl apply --dry-run=server against the API fixture); the CronJob
# runs every 2 minutes, never twice at once, non-root, with its Secrets as
# files and its state on a volume; the app cluster's role is exactly the
# least the flow needs; the alerting rules pass promtool's unit tests.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"
k=$OPSPIPE_TOP/share/opspipe/k8s/remediate
p=$OPSPIPE_TOP/share/opspipe/prometheus

/usr/bin/python3 - "$k" >"$T_DIR/checks" 2>&1 <<'PY'
import glob, os, sys
import yaml
k = sys.argv[1]
def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + str(detail)))
docs = {}
for f in sorted(glob.glob(k + "/*.yaml")):
    try:
        docs[os.path.basename(f)] = [d for d in yaml.safe_load_all(open(f)) if d]
        say(True, os.path.basename(f) + " parses")
    except yaml.YAMLError as e:
        say(False, os.path.basename(f) + " parses", e)
kust = docs.pop("kustomization.yaml")[0]
say(sorted(kust["resources"]) == sorted(f for f in docs if f != "app-cluster-rbac.yaml"),
    "the kustomization lists the monitoring cluster's manifests, not the app cluster's", kust["resources"])
objs = [d for f in docs.values() for d in f]
by = {(d["kind"], d["metadata"]["name"]): d for d in objs}
cj = by[("CronJob", "opspipe-remediate")]
say(cj["spec"]["schedule"] == "*/2 * * * *", "the CronJob runs every 2 minutes", cj["spec"]["schedule"])
say(cj["spec"]["concurrencyPolicy"] == "Forbid", "never two runs at once")
pod = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
c = pod["containers"][0]
say(pod["securityContext"]["runAsNonRoot"] and c["securityContext"]["readOnlyRootFilesystem"]
    and c["securityContext"]["allowPrivilegeEscalation"] is False, "non-root, read-only root, no escalation")
say(pod.get("automountServiceAccountToken") is False, "no token for the monitoring cluster's API")
say("limits" in c["resources"] and "requests" in c["resources"], "resources bounded")
envs = c.get("env", [])
say(not any("valueFrom" in e and "secretKeyRef" in e["valueFrom"] for e in envs), "no Secret in an environment variable")
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
secrets = {v["secret"]["secretName"]: n for n, v in vols.items() if "secret" in v}
say(sorted(secrets) == ["opspipe-remediate-forge", "opspipe-remediate-kubeconfig", "opspipe-remediate-twilio"],
    "kubeconfig, forge token and Twilio credentials come from Secrets", sorted(secrets))
say(all(vols[n]["secret"].get("defaultMode") == 0o400 for n in secrets.values()), "secret files are 0400")
files = {e["name"]: e["value"] for e in envs if "value" in e}
say(files["GITHUB_TOKEN_FILE"].startswith(mounts["forge"] + "/") and files["TWILIO_AUTH_TOKEN_FILE"].startswith(mounts["twilio"] + "/"),
    "the token variables name files in the mounted Secrets")
args = c["args"]
def arg(flag): return args[args.index(flag) + 1]
say(arg("--kubeconfig").startswith(mounts["app-cluster"] + "/"), "--kubeconfig is the mounted Secret")
say(vols["state"]["persistentVolumeClaim"]["claimName"] == "opspipe-remediate-state" and arg("--state") == mounts["state"],
    "the state is on its volume")
say(("PersistentVolumeClaim", "opspipe-remediate-state") in by, "the state volume's claim is here")
say(vols["queue"]["persistentVolumeClaim"]["claimName"] == "opspipe-remediate-queue" and arg("--queue") == mounts["queue"],
    "the queue is the alert receiver's volume (opspipe-remediate-queue)")
say(arg("--schedule").startswith(mounts["oncall"] + "/") and vols["oncall"]["configMap"]["name"] == "opspipe-remediate-oncall"
    and ("ConfigMap", "opspipe-remediate-oncall") in by, "the on-call schedule is the ConfigMap")
svc = by[("Service", "opspipe-remediate-callbacks")]
say(svc["spec"]["selector"].items() <= cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"].items()
    and c["ports"][0]["name"] == svc["spec"]["ports"][0]["targetPort"], "the callbacks Service reaches the Job's pod")
say("--dry-run" not in args, "the CronJob acts (use --dry-run by hand to build trust)")
role = by[("ClusterRole", "opspipe-remediate")]
rules = {(g, r): sorted(x["verbs"]) for x in role["rules"] for g in x["apiGroups"] for r in x["resources"]}
want = {("", "pods"): ["get", "list", "watch"], ("", "pods/log"): ["get", "list", "watch"], ("", "events"): ["get", "list", "watch"],
        ("apps", "replicasets"): ["get", "list", "watch"], ("apps", "controllerrevisions"): ["get", "list", "watch"],
        ("apps", "deployments"): ["get", "list", "patch", "watch"], ("apps", "statefulsets"): ["get", "list", "patch", "watch"],
        ("apps", "daemonsets"): ["get", "list", "patch", "watch"], ("batch", "jobs"): ["get", "list", "watch"],
        ("argoproj.io", "applications"): ["get"], ("kustomize.toolkit.fluxcd.io", "kustomizations"): ["get"],
        ("source.toolkit.fluxcd.io", "gitrepositories"): ["get"]}
say(rules == want, "the app cluster's role: read what fails, patch the policy's kinds, read GitOps sources; nothing else", rules)
say(not any("*" in x["verbs"] or "*" in x["resources"] or x["apiGroups"] == ["*"] for x in role["rules"]), "no wildcards")
crb = by[("ClusterRoleBinding", "opspipe-remediate")]
say(crb["subjects"] == [{"kind": "ServiceAccount", "name": "opspipe-remediate", "namespace": "opspipe"}], "bound to its ServiceAccount only")
say(not any(d["kind"] == "Secret" and d.get("type") != "kubernetes.io/service-account-token" or d["kind"] == "Secret" and d.get("data") for d in objs),
    "no secret written down")
PY
relay_tap "$T_DIR/checks" "manifest checker"

# An API server takes them (kinds, versions, fields it validates).
start_kubeapi
for f in cronjob.yaml oncall.yaml; do
	expect_status "kubectl apply --dry-run=server: $f" 0 \
	    kubectl --kubeconfig "$KUBECONFIG" apply --dry-run=server -n default -f "$k/$f"
done
# Its own namespace first (a dry run creates nothing), then the rest.
kubectl --kubeconfig "$KUBECONFIG" create namespace opspipe >/dev/null
expect_status "kubectl apply --dry-run=server: app-cluster-rbac.yaml" 0 \
    kubectl --kubeconfig "$KUBECONFIG" apply --dry-run=server -f "$k/app-cluster-rbac.yaml"

ok_if "promtool check rules" sh -c "promtool check rules '$p/remediate-rules.yml' >/dev/null"
ok_if "promtool test rules: each alert fires when it should, and only then" \
    sh -c "cd '$p' && promtool test rules remediate-rules.test.yml >/dev/null"
# The command line and its manual agree (as test/t/conventions.sh checks
# for the programs).
m=$OPSPIPE_TOP/share/man/man1/opspipe-remediate.1
expect_eq "opspipe-remediate.1 lints clean" "" "$(mandoc -Tlint -W warning "$m" 2>&1)"
expect_eq "--help and the man page list the same options" \
    "$(opspipe-remediate --help | sed -n '/^Options:/,$p' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)" \
    "$(mandoc -Tascii "$m" | col -b | sed -n '/^OPTIONS/,/^[A-Z][A-Z ]*$/p' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)"
expect_eq "--version" "opspipe-remediate (opspipe) 0.1.0" "$(opspipe-remediate --version)"
expect_status "an unknown option: exit 2" 2 opspipe-remediate --no-such-option
expect_match "… named" "^opspipe-remediate: unknown option '--no-such-option'" "$(cat "$T_DIR/err")"
expect_status "a bad --fixer: exit 2" 2 opspipe-remediate --fixer oracle
expect_status "-n with -A: exit 2" 2 opspipe-remediate -n web -A
expect_status "a bad duration: exit 2" 2 opspipe-remediate --quiet-period 5x
expect_match "… named" "invalid --quiet-period '5x'" "$(cat "$T_DIR/err")"
expect_status "--every 0: exit 2" 2 opspipe-remediate --every 0
expect_status "a policy that is not there: exit 2" 2 opspipe-remediate --policy "$T_DIR/none.yaml"
done_testing
