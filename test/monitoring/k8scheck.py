#!/usr/bin/python3
"""Check the rendered monitoring base (kubectl kustomize output).

    k8scheck.py RENDERED TOP

Prints "ok NAME" / "not ok NAME: DETAIL" (test/lib.sh's relay_tap).
Generic checks hold for every object: the fields the Kubernetes API
requires for its kind, names it accepts, one namespace, resolvable
references (ConfigMaps under their hashed names, claims, ServiceAccounts,
roles, Services' selectors and target ports, probes' ports), pinned
images, requests and limits, non-root read-only containers unless the pod
says why not (annotation opspipe.io/runs-as-root), read-only RBAC, no
Secret written down. The rest checks that the pieces agree: Prometheus'
discovery finds each exporter's pods, the mounted files are the shipped
ones, Alertmanager's webhook reaches the receiver with the Secret the
receiver reads, Grafana's provider path holds the dashboards.
"""
import glob
import json
import os
import re
import sys

import yaml

rendered, top = sys.argv[1:3]
share = os.path.join(top, "share/opspipe")
docs = [d for d in yaml.safe_load_all(open(rendered)) if d]


def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + str(detail)))


API = {"Namespace": "v1", "ServiceAccount": "v1", "ConfigMap": "v1", "Service": "v1",
       "PersistentVolumeClaim": "v1", "Deployment": "apps/v1", "DaemonSet": "apps/v1",
       "StatefulSet": "apps/v1", "CronJob": "batch/v1",
       "ClusterRole": "rbac.authorization.k8s.io/v1",
       "ClusterRoleBinding": "rbac.authorization.k8s.io/v1"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Kinds whose names must be DNS labels (the rest: DNS subdomains).
LABEL_NAMED = {"Namespace", "Service"}

objs = {}
for d in docs:
    kind, meta = d.get("kind"), d.get("metadata") or {}
    name = meta.get("name", "")
    label = "%s/%s" % (kind, name)
    say(kind in API and d.get("apiVersion") == API[kind], label + ": known kind and apiVersion",
        d.get("apiVersion"))
    rx, limit = (DNS_LABEL, 63) if kind in LABEL_NAMED else (DNS_SUBDOMAIN, 253)
    say(bool(name) and rx.match(name) is not None and len(name) <= limit,
        label + ": metadata.name is valid for the kind", name)
    if kind in CLUSTER_SCOPED:
        say("namespace" not in meta, label + ": cluster-scoped, no namespace")
    else:
        say(meta.get("namespace") == "monitoring", label + ": in namespace monitoring", meta.get("namespace"))
    say((meta.get("labels") or {}).get("app.kubernetes.io/part-of") == "opspipe",
        label + ": labelled app.kubernetes.io/part-of: opspipe")
    say(label not in objs, label + ": defined once")
    objs[label] = d
say(not any(k.startswith("Secret/") for k in objs), "no Secret is written down")


def of(kind):
    return {k.split("/", 1)[1]: v for k, v in objs.items() if k.startswith(kind + "/")}


WORKLOADS = ("Deployment", "DaemonSet", "StatefulSet")


def pod_templates():
    """(label, pod template) of every workload and CronJob."""
    for kind in WORKLOADS:
        for name, d in of(kind).items():
            yield "%s/%s" % (kind, name), d["spec"]["template"]
    for name, d in of("CronJob").items():
        yield "CronJob/" + name, d["spec"]["jobTemplate"]["spec"]["template"]


def has(d, path):
    for p in path.split("."):
        if not isinstance(d, dict) or p not in d:
            return False
        d = d[p]
    return d not in (None, "", [], {})


# Fields the API server requires, per kind.
REQUIRED = {"Deployment": ["spec.selector.matchLabels", "spec.template.metadata.labels",
                           "spec.template.spec.containers"],
            "DaemonSet": ["spec.selector.matchLabels", "spec.template.metadata.labels",
                          "spec.template.spec.containers"],
            "StatefulSet": ["spec.selector.matchLabels", "spec.template.metadata.labels",
                            "spec.template.spec.containers", "spec.serviceName"],
            "CronJob": ["spec.schedule", "spec.jobTemplate.spec.template.spec.containers",
                        "spec.jobTemplate.spec.template.spec.restartPolicy"],
            "Service": ["spec.ports"],
            "PersistentVolumeClaim": ["spec.accessModes", "spec.resources.requests.storage"],
            "ClusterRole": ["rules"],
            "ClusterRoleBinding": ["roleRef.apiGroup", "roleRef.kind", "roleRef.name", "subjects"]}
for label, d in objs.items():
    for path in REQUIRED.get(label.split("/")[0], []):
        say(has(d, path), "%s: has %s" % (label, path))

for kind in WORKLOADS:
    for name, d in of(kind).items():
        sel = d["spec"]["selector"]["matchLabels"]
        pl = d["spec"]["template"]["metadata"]["labels"]
        say(all(pl.get(k) == v for k, v in sel.items()), "%s/%s: selector matches its pods" % (kind, name))
for name, d in of("CronJob").items():
    s = d["spec"]
    say(re.fullmatch(r"\S+ \S+ \S+ \S+ \S+", s["schedule"]) is not None, "CronJob/%s: a five-field schedule" % name)
    say(s["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure"),
        "CronJob/%s: restartPolicy Never or OnFailure" % name)
    say(s.get("concurrencyPolicy") == "Forbid", "CronJob/%s: runs never overlap" % name)

configmaps = of("ConfigMap")
claims = of("PersistentVolumeClaim")
accounts = of("ServiceAccount")
secrets_used = set()
IMAGE = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+$")
for label, tmpl in pod_templates():
    spec = tmpl["spec"]
    psc = spec.get("securityContext") or {}
    root_reason = ((tmpl.get("metadata") or {}).get("annotations") or {}).get("opspipe.io/runs-as-root", "")
    vols = {v["name"]: v for v in spec.get("volumes") or []}
    sa = spec.get("serviceAccountName")
    say(sa is None or sa in accounts, label + ": ServiceAccount exists", sa)
    say(sa is not None or spec.get("automountServiceAccountToken") is False,
        label + ": no API token unless it has a ServiceAccount of its own")
    for v in vols.values():
        if "configMap" in v:
            say(v["configMap"]["name"] in configmaps, "%s: ConfigMap %s exists" % (label, v["configMap"]["name"]))
        if "persistentVolumeClaim" in v:
            say(v["persistentVolumeClaim"]["claimName"] in claims,
                "%s: claim %s exists" % (label, v["persistentVolumeClaim"]["claimName"]))
        if "secret" in v:
            secrets_used.add(v["secret"]["secretName"])
    for c in spec["containers"]:
        cl = "%s container %s" % (label, c.get("name"))
        say(bool(c.get("name")) and DNS_LABEL.match(c["name"]) is not None, cl + ": named")
        img = c.get("image", "")
        # The project's own image gets its tag from the kustomization.
        say(IMAGE.match(img) is not None or re.fullmatch(r"opspipe:\d+\.\d+\.\d+", img) is not None,
            cl + ": image from a registry with a pinned tag", img)
        res = c.get("resources") or {}
        say(all(x in res.get(w, {}) for w in ("requests", "limits") for x in ("cpu", "memory")),
            cl + ": cpu and memory requests and limits", res)
        sc = c.get("securityContext") or {}
        nonroot = sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True and \
            (sc.get("runAsUser", psc.get("runAsUser")) or 0) > 0
        hardened = sc.get("allowPrivilegeEscalation") is False and \
            (sc.get("capabilities") or {}).get("drop") == ["ALL"]
        if root_reason:
            say(len(root_reason.split()) >= 10, cl + ": runs as root, and the pod says why")
        else:
            say(nonroot, cl + ": runs as non-root")
            say(sc.get("readOnlyRootFilesystem") is True, cl + ": read-only root filesystem")
            say(hardened, cl + ": no privilege escalation, no capabilities")
        mounts = c.get("volumeMounts") or []
        for m in mounts:
            say(m["name"] in vols, "%s: volume %s is defined" % (cl, m["name"]))
        # A mount point inside a ConfigMap or Secret volume cannot be made.
        ro = [m["mountPath"] for m in mounts if m["name"] in vols and
              ({"configMap", "secret"} & set(vols[m["name"]]))]
        nested = [(a, m["mountPath"]) for a in ro for m in mounts if m["mountPath"].startswith(a + "/")]
        say(not nested, cl + ": no mount inside a ConfigMap or Secret volume", nested)
        for e in c.get("env") or []:
            ref = (e.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                secrets_used.add(ref["name"])
            if re.search(r"KEY|TOKEN|PASSWORD|SECRET", e["name"]) and not e["name"].endswith("_FILE"):
                say("value" not in e, "%s: %s is not written down" % (cl, e["name"]))
        ports = {p.get("name") for p in c.get("ports") or []} | {p["containerPort"] for p in c.get("ports") or []}
        if not label.startswith("CronJob/"):
            for probe in ("readinessProbe", "livenessProbe"):
                port = ((c.get(probe) or {}).get("httpGet") or {}).get("port")
                say(port is not None and port in ports, "%s: %s over HTTP on a declared port" % (cl, probe), port)
say(secrets_used == {"opspipe-alert-token", "grafana-admin", "opspipe-check-grafana"},
    "the Secrets used are the three the kustomization says to create", sorted(secrets_used))

# Services select one workload and reach a declared port.
for name, d in of("Service").items():
    sel = d["spec"].get("selector") or {}
    match = [(k, t) for k, t in pod_templates() if not k.startswith("CronJob/")
             and sel and all(t["metadata"]["labels"].get(a) == b for a, b in sel.items())]
    say(len(match) == 1, "Service/%s: selects one workload" % name, [k for k, _ in match])
    if match:
        ports = {p.get("name") for c in match[0][1]["spec"]["containers"] for p in c.get("ports") or []}
        for p in d["spec"]["ports"]:
            say(isinstance(p.get("port"), int) and p.get("targetPort") in ports,
                "Service/%s: port %s reaches a named container port" % (name, p.get("port")))

# RBAC: bindings resolve, and nobody may write.
roles = of("ClusterRole")
for name, d in roles.items():
    verbs = {v for r in d["rules"] for v in r["verbs"]}
    say(verbs <= {"get", "list", "watch"}, "ClusterRole/%s: read-only" % name, sorted(verbs))
    say(all(("resources" in r and "apiGroups" in r) or "nonResourceURLs" in r for r in d["rules"]),
        "ClusterRole/%s: every rule names resources or URLs" % name)
for name, d in of("ClusterRoleBinding").items():
    say(d["roleRef"]["kind"] == "ClusterRole" and d["roleRef"]["name"] in roles,
        "ClusterRoleBinding/%s: its role exists" % name)
    for s in d["subjects"]:
        say(s.get("kind") == "ServiceAccount" and s.get("name") in accounts and s.get("namespace") == "monitoring",
            "ClusterRoleBinding/%s: subject %s is a ServiceAccount of the base" % (name, s.get("name")))


def container(kind, name):
    return objs["%s/%s" % (kind, name)]["spec"]["template"]["spec"]["containers"][0]


def cm_for(kind, name, vol):
    spec = objs["%s/%s" % (kind, name)]["spec"]["template"]["spec"]
    v = [x for x in spec["volumes"] if x["name"] == vol][0]
    return configmaps[v["configMap"]["name"]]["data"]


def mount(kind, name, vol):
    return [m["mountPath"] for m in container(kind, name)["volumeMounts"] if m["name"] == vol][0]


def read(rel):
    return open(os.path.join(share, rel)).read()


# Prometheus: the shipped configuration and rules, where the flags and
# rule_files look; retention by time and size; persistence.
prom = container("Deployment", "prometheus")
args = prom["args"]
cfg_path = [a.split("=", 1)[1] for a in args if a.startswith("--config.file=")][0]
say(os.path.dirname(cfg_path) == mount("Deployment", "prometheus", "config") and
    cm_for("Deployment", "prometheus", "config").get(os.path.basename(cfg_path)) == read("prometheus/prometheus.yml"),
    "prometheus: --config.file is the shipped prometheus.yml", cfg_path)
pcfg = yaml.safe_load(read("prometheus/prometheus.yml"))
rules = cm_for("Deployment", "prometheus", "rules")
say(pcfg["rule_files"] == [mount("Deployment", "prometheus", "rules") + "/*.yml"] and
    rules == {f: read("prometheus/" + f) for f in sorted(os.listdir(os.path.join(share, "prometheus")))
              if f.endswith("-rules.yml")},
    "prometheus: rule_files finds the shipped rule files", sorted(rules))
say(any(a.startswith("--storage.tsdb.retention.time=") for a in args) and
    any(a.startswith("--storage.tsdb.retention.size=") for a in args), "prometheus: retention by time and size")
say(mount("Deployment", "prometheus", "data") in [a.split("=", 1)[1] for a in args if a.startswith("--storage.tsdb.path=")],
    "prometheus: the TSDB is on the persistent volume")
say(objs["Deployment/prometheus"]["spec"]["strategy"]["type"] == "Recreate",
    "prometheus: Recreate (one writer of the volume)")

# Discovery finds every exporter: each "keep" on app.kubernetes.io/name and
# a container port name matches pods of the base.
templates = dict(pod_templates())
for job in pcfg["scrape_configs"] + pcfg["alerting"]["alertmanagers"]:
    for rc in job.get("relabel_configs") or []:
        if rc.get("source_labels") == ["__meta_kubernetes_pod_label_app_kubernetes_io_name",
                                       "__meta_kubernetes_pod_container_port_name"]:
            app, port = rc["regex"].split(";")
            found = [k for k, t in templates.items() if t["metadata"]["labels"].get("app.kubernetes.io/name") == app
                     and any(p.get("name") == port for c in t["spec"]["containers"] for p in c.get("ports") or [])]
            say(len(found) == 1, "prometheus job %s: discovery finds %s's port %s" %
                (job.get("job_name", "alertmanagers"), app, port), found)

# Alertmanager: the shipped configuration; the webhook reaches the receiver
# Service's /alert with the token file of the Secret the receiver checks.
am = container("Deployment", "alertmanager")
am_cfg = [a.split("=", 1)[1] for a in am["args"] if a.startswith("--config.file=")][0]
am_text = open(os.path.join(top, "share/opspipe/k8s/monitoring/config/alertmanager.yml")).read()
say(os.path.dirname(am_cfg) == mount("Deployment", "alertmanager", "config") and
    cm_for("Deployment", "alertmanager", "config").get(os.path.basename(am_cfg)) == am_text,
    "alertmanager: --config.file is the shipped alertmanager.yml")
hook = [w for r in yaml.safe_load(am_text)["receivers"] for w in r.get("webhook_configs") or []][0]
m = re.match(r"http://([a-z0-9-]+):(\d+)(/.*)$", hook["url"])
svc = of("Service").get(m.group(1)) if m else None
say(svc is not None and int(m.group(2)) in [p["port"] for p in svc["spec"]["ports"]] and
    svc["spec"]["selector"].get("app.kubernetes.io/name") == "opspipe-alert" and m.group(3) == "/alert",
    "alertmanager: the webhook is the opspipe-alert Service's /alert", hook["url"])


def secret_of(kind, name, path):
    """The Secret mounted at the directory holding PATH."""
    spec = objs["%s/%s" % (kind, name)]["spec"]["template"]["spec"]
    for mnt in spec["containers"][0]["volumeMounts"]:
        if os.path.dirname(path) == mnt["mountPath"]:
            v = [x for x in spec["volumes"] if x["name"] == mnt["name"]][0]
            if "secret" in v and not v["secret"].get("optional"):
                return v["secret"]["secretName"], os.path.basename(path)
    return None


cred = hook["http_config"]["authorization"]["credentials_file"]
recv = {e["name"]: e.get("value") for e in container("Deployment", "opspipe-alert")["env"]}
say(secret_of("Deployment", "alertmanager", cred) is not None and
    secret_of("Deployment", "alertmanager", cred) == secret_of("Deployment", "opspipe-alert", recv["OPSPIPE_ALERT_TOKEN_FILE"]),
    "alertmanager sends the token the receiver checks (one required Secret, one key)",
    (secret_of("Deployment", "alertmanager", cred), secret_of("Deployment", "opspipe-alert", recv["OPSPIPE_ALERT_TOKEN_FILE"])))
say(recv.get("OPSPIPE_REMEDIATE_QUEUE") == mount("Deployment", "opspipe-alert", "queue") and
    "persistentVolumeClaim" in [v for v in objs["Deployment/opspipe-alert"]["spec"]["template"]["spec"]["volumes"]
                                if v["name"] == "queue"][0],
    "alert receiver: the queue is on a persistent volume")

# Grafana: provisioning mounted, the dashboards where the provider reads.
prov = yaml.safe_load(read("grafana/provisioning/dashboards/opspipe.yaml"))
dash = cm_for("Deployment", "grafana", "dashboards")
files = sorted(os.path.basename(f) for f in glob.glob(os.path.join(share, "grafana/dashboards/*.json")))
say(prov["providers"][0]["options"]["path"] == mount("Deployment", "grafana", "dashboards") and
    sorted(dash) == files and all(json.loads(dash[f]) == json.load(open(os.path.join(share, "grafana/dashboards", f))) for f in files),
    "grafana: every shipped dashboard is mounted where the provider reads", sorted(dash))
say(mount("Deployment", "grafana", "datasources") == "/etc/grafana/provisioning/datasources" and
    mount("Deployment", "grafana", "dashboard-provider") == "/etc/grafana/provisioning/dashboards",
    "grafana: provisioning in /etc/grafana/provisioning")
ds = yaml.safe_load(read("grafana/provisioning/datasources/opspipe.yaml"))["datasources"]
purl = [d["url"] for d in ds if d["type"] == "prometheus"][0]
say(purl == "http://prometheus:%d" % of("Service")["prometheus"]["spec"]["ports"][0]["port"],
    "grafana: its Prometheus data source is the prometheus Service", purl)

# The DCGM exporter runs on GPU nodes only, tainted ones included.
dspec = objs["DaemonSet/dcgm-exporter"]["spec"]["template"]["spec"]
say(dspec.get("nodeSelector") == {"nvidia.com/gpu.present": "true"}, "dcgm-exporter: only on GPU nodes")
say({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in dspec.get("tolerations", []),
    "dcgm-exporter: tolerates the GPU taint")
for ds_name in ("node-exporter", "cadvisor"):
    tol = objs["DaemonSet/%s" % ds_name]["spec"]["template"]["spec"].get("tolerations", [])
    say({"operator": "Exists"} in tol, "%s: on every node, tainted ones too" % ds_name)

# kube-state-metrics may list what its collectors read, and nothing else.
ksm_args = container("Deployment", "kube-state-metrics")["args"]
wanted = set([a.split("=", 1)[1] for a in ksm_args if a.startswith("--resources=")][0].split(","))
granted = {r for rule in roles["opspipe-kube-state-metrics"]["rules"] for r in rule["resources"]}
say(wanted == granted, "kube-state-metrics: its ClusterRole grants exactly its collectors' resources",
    (sorted(wanted - granted), sorted(granted - wanted)))

# opspipe-check: the baselines file and the Pushgateway of the base.
cj = objs["CronJob/opspipe-check"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
cc = cj["containers"][0]
argv = cc["command"] + cc["args"]
say(argv[0] == "opspipe-check", "opspipe-check CronJob: runs opspipe-check", argv)
bl = argv[argv.index("--baselines") + 1]
bvol = [m["name"] for m in cc["volumeMounts"] if m["mountPath"] == os.path.dirname(bl)]
bcm = [v["configMap"]["name"] for v in cj["volumes"] if bvol and v["name"] == bvol[0] and "configMap" in v]
say(bool(bcm) and os.path.basename(bl) in configmaps[bcm[0]]["data"],
    "opspipe-check CronJob: --baselines is the baselines ConfigMap's file", bl)
pg = argv[argv.index("--pushgateway") + 1]
say(pg == "http://pushgateway:%d" % of("Service")["pushgateway"]["spec"]["ports"][0]["port"],
    "opspipe-check CronJob: pushes to the pushgateway Service", pg)
env = {e["name"]: e.get("value") for e in cc["env"]}
say(env.get("PROMETHEUS_URL") == purl, "opspipe-check CronJob: PROMETHEUS_URL is the prometheus Service")
