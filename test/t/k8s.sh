#!/bin/sh
# The kustomize base in share/opspipe/k8s and the image's Dockerfile: every
# manifest parses and carries what Kubernetes requires, pods are non-root
# with read-only root filesystems and resource bounds, nothing secret is
# written down, and the pieces agree with each other (Services select pods,
# volumes exist, the CronJob's batch file and shard count, the queries the
# dashboards ask for).
. "${OPSPIPE_TOP:-.}/test/lib.sh"

k=$OPSPIPE_TOP/share/opspipe/k8s
OPSPIPE_MINUTES_MAX=$opspipe_minutes_max /usr/bin/python3 - "$OPSPIPE_TOP" >"$T_DIR/checks" 2>&1 <<'PY'
import glob, json, os, re, sys
import yaml

top = sys.argv[1]
k = top + "/share/opspipe/k8s"
def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + str(detail)))

kust = yaml.safe_load(open(k + "/kustomization.yaml"))
say(kust.get("kind") == "Kustomization" and kust.get("apiVersion", "").startswith("kustomize.config.k8s.io/"),
    "kustomization.yaml is a Kustomization")
files = sorted(os.path.basename(f) for f in glob.glob(k + "/*.yaml") if not f.endswith("/kustomization.yaml"))
say(sorted(kust.get("resources", [])) == files, "kustomization lists every manifest in the directory",
    "resources %s, files %s" % (sorted(kust.get("resources", [])), files))

docs = []
for f in files:
    try:
        for d in yaml.safe_load_all(open(k + "/" + f)):
            if d is not None:
                docs.append((f, d))
        say(True, f + " parses")
    except yaml.YAMLError as e:
        say(False, f + " parses", e)

API = {"Deployment": "apps/v1", "Service": "v1", "CronJob": "batch/v1", "ConfigMap": "v1",
       "PersistentVolumeClaim": "v1", "Job": "batch/v1", "ServiceAccount": "v1",
       "Role": "rbac.authorization.k8s.io/v1", "RoleBinding": "rbac.authorization.k8s.io/v1"}
by_kind = {}
for f, d in docs:
    kind = d.get("kind")
    name = (d.get("metadata") or {}).get("name")
    label = "%s %s/%s" % (f, kind, name)
    say(kind in API and d.get("apiVersion") == API[kind], label + ": known kind and apiVersion", d.get("apiVersion"))
    say(bool(name) and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) is not None and len(name) <= 63,
        label + ": metadata.name is a DNS label", name)
    say(((d.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/part-of") == "opspipe",
        label + ": labelled app.kubernetes.io/part-of: opspipe (in the object: kubectl 1.20 has no kustomize labels)")
    by_kind.setdefault(kind, {})[name] = (f, d)
say("Secret" not in by_kind, "no Secret is written down")

def pod_specs():
    for name, (f, d) in by_kind.get("Deployment", {}).items():
        yield "Deployment/" + name, d["spec"]["template"], d
    for name, (f, d) in by_kind.get("CronJob", {}).items():
        yield "CronJob/" + name, d["spec"]["jobTemplate"]["spec"]["template"], d

SECRETISH = re.compile(r"(KEY|TOKEN|PASSWORD|SECRET)", re.I)
containers_of = {}
for label, tmpl, d in pod_specs():
    spec = tmpl["spec"]
    cs = spec.get("containers") or []
    containers_of[label] = cs
    say(len(cs) > 0, label + ": has containers")
    psc = spec.get("securityContext", {})
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    for c in cs:
        cl = label + " container " + c.get("name", "?")
        img = c.get("image", "")
        say(bool(img) and not img.endswith(":latest"), cl + ": image set and not :latest", img)
        sc = c.get("securityContext", {})
        say(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True and
            (sc.get("runAsUser", psc.get("runAsUser")) or 0) > 0, cl + ": runs as non-root")
        say(sc.get("readOnlyRootFilesystem") is True, cl + ": read-only root filesystem")
        say(sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"],
            cl + ": no privilege escalation, no capabilities")
        res = c.get("resources", {})
        say(all(x in res.get(w, {}) for w in ("requests", "limits") for x in ("cpu", "memory")),
            cl + ": cpu and memory requests and limits", res)
        for m in c.get("volumeMounts", []):
            say(m["name"] in vols, cl + ": volume " + m["name"] + " is defined")
        mounts = [m["mountPath"] for m in c.get("volumeMounts", [])]
        say("/tmp" in mounts, cl + ": a writable /tmp (emptyDir) under the read-only root")
        for e in c.get("env", []):
            if SECRETISH.search(e["name"]):
                say("value" not in e, cl + ": " + e["name"] + " is not written down")
        words = " ".join(c.get("command", []) + c.get("args", []))
        say("pull" not in words.split(), cl + ": never pulls a model", words)
    for v in vols.values():
        if "persistentVolumeClaim" in v:
            claim = v["persistentVolumeClaim"]["claimName"]
            say(claim in by_kind.get("PersistentVolumeClaim", {}), label + ": claim " + claim + " is defined")
        if "configMap" in v:
            say(v["configMap"]["name"] in by_kind.get("ConfigMap", {}), label + ": ConfigMap " + v["configMap"]["name"] + " is defined")

for name, (f, d) in by_kind.get("Deployment", {}).items():
    sel = d["spec"]["selector"]["matchLabels"]
    labels = d["spec"]["template"]["metadata"]["labels"]
    say(all(labels.get(a) == b for a, b in sel.items()), "Deployment/" + name + ": selector matches its pods")
    for c in d["spec"]["template"]["spec"]["containers"]:
        for p in ("readinessProbe", "livenessProbe"):
            say("httpGet" in c.get(p, {}), "Deployment/%s: %s %s over HTTP" % (name, c["name"], p))

for name, (f, d) in by_kind.get("Service", {}).items():
    sel = d["spec"].get("selector", {})
    match = [dn for dn, (_, dd) in by_kind.get("Deployment", {}).items()
             if all(dd["spec"]["template"]["metadata"]["labels"].get(a) == b for a, b in sel.items())]
    say(bool(sel) and len(match) == 1, "Service/" + name + ": selects one Deployment", match)
    if match:
        ports = {p.get("name") for c in by_kind["Deployment"][match[0]][1]["spec"]["template"]["spec"]["containers"]
                 for p in c.get("ports", [])}
        for p in d["spec"]["ports"]:
            say(p["targetPort"] in ports or isinstance(p["targetPort"], int),
                "Service/%s: target port %s exists" % (name, p["targetPort"]))

for name, (f, d) in by_kind.get("PersistentVolumeClaim", {}).items():
    say(bool(d["spec"].get("accessModes")) and "storage" in d["spec"]["resources"]["requests"],
        "PersistentVolumeClaim/" + name + ": access modes and size")

# Ollama: phi3:mini offline, probes on /api/version, the model read-only.
ol = by_kind["Deployment"]["ollama"][1]["spec"]["template"]["spec"]
c = ol["containers"][0]
env = {e["name"]: e.get("value") for e in c["env"]}
say(c["readinessProbe"]["httpGet"]["path"] == "/api/version" and c["livenessProbe"]["httpGet"]["path"] == "/api/version",
    "ollama: readiness and liveness on /api/version")
models = [m for m in c["volumeMounts"] if m["mountPath"] == env.get("OLLAMA_MODELS")]
say(len(models) == 1 and models[0].get("readOnly") is True, "ollama: OLLAMA_MODELS is a read-only volume")
say(env.get("OLLAMA_NOPRUNE") == "1", "ollama: no pruning of the read-only model store")
say(by_kind["Service"]["ollama"][1]["spec"]["ports"][0]["port"] == 11434, "ollama: Service on 11434")

# The endpoint and the CronJob agree on the flow's settings.
sm = by_kind["Deployment"]["opspipe-summary"][1]["spec"]["template"]["spec"]["containers"][0]
senv = {e["name"]: e.get("value") for e in sm["env"]}
say(sm["command"][:1] == ["lighttpd"] and "/etc/opspipe/lighttpd.conf" in sm["command"],
    "summary: runs lighttpd with the image's config")
say(sm["readinessProbe"]["httpGet"]["path"] == "/healthz", "summary: probes /healthz")
say(senv.get("OLLAMA_HOST") == "http://ollama:11434", "summary: OLLAMA_HOST is the ollama Service")
cj = by_kind["CronJob"]["opspipe-summary-refresh"][1]
job = cj["spec"]["jobTemplate"]["spec"]
rc = job["template"]["spec"]
cc = rc["containers"][0]
cenv = {e["name"]: e.get("value") for e in cc["env"]}
say(re.fullmatch(r"\S+ \S+ \S+ \S+ \S+", cj["spec"]["schedule"]) is not None, "CronJob: a five-field schedule")
say(rc.get("restartPolicy") in ("Never", "OnFailure"), "CronJob: restartPolicy Never or OnFailure")
say(cj["spec"].get("concurrencyPolicy") == "Forbid", "CronJob: runs never overlap")
say(job.get("completionMode") == "Indexed" and cenv.get("OPSPIPE_SHARDS") == str(job.get("completions")),
    "CronJob: Indexed Job, OPSPIPE_SHARDS equals completions", (job.get("completions"), cenv.get("OPSPIPE_SHARDS")))
argv = cc["command"] + cc.get("args", [])
say(argv[:2] == ["opspipe-summary", "--batch"], "CronJob: runs opspipe-summary --batch", argv)
for key in ("OPSPIPE_SUMMARY_DIR", "PROMETHEUS_URL", "OLLAMA_HOST", "LLMASK_MODEL"):
    say(cenv.get(key) == senv.get(key), "CronJob and endpoint share " + key, (cenv.get(key), senv.get(key)))
cache_claim = lambda spec, path: [v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]
    for m in spec["containers"][0]["volumeMounts"] if m["name"] == v["name"] and m["mountPath"] == path
    and "persistentVolumeClaim" in v]
sdep = by_kind["Deployment"]["opspipe-summary"][1]["spec"]["template"]["spec"]
say(cache_claim(rc, cenv["OPSPIPE_SUMMARY_DIR"]) == cache_claim(sdep, senv["OPSPIPE_SUMMARY_DIR"]) != [],
    "CronJob and endpoint mount the same cache volume at OPSPIPE_SUMMARY_DIR")
batch = argv[argv.index("--batch") + 1]
mount = [m for m in cc["volumeMounts"] if batch.startswith(m["mountPath"] + "/")]
vol = [v for v in rc["volumes"] if mount and v["name"] == mount[0]["name"]]
say(len(vol) == 1 and "configMap" in vol[0], "CronJob: the batch file comes from a ConfigMap volume", batch)
if vol and "configMap" in vol[0]:
    cm = by_kind["ConfigMap"][vol[0]["configMap"]["name"]][1]
    keyname = batch[len(mount[0]["mountPath"]) + 1:]
    text = cm["data"].get(keyname, "")
    pairs = set()
    for i, line in enumerate(text.splitlines(), 1):
        e = json.loads(line)
        ok = isinstance(e.get("query"), str) and e["query"].strip() and isinstance(e.get("minutes", 30), int) \
            and 1 <= e.get("minutes", 30) <= int(os.environ["OPSPIPE_MINUTES_MAX"])
        say(bool(ok), "queries.jsonl line %d is a valid batch entry" % i, line)
        pairs.add((e.get("query"), e.get("minutes", 30)))
    # Every query a dashboard's AI panel can ask at its default window is kept fresh.
    for f in sorted(glob.glob(top + "/share/opspipe/grafana/dashboards/*.json")):
        dash = json.load(open(f))
        var = {v["name"]: v for v in dash["templating"]["list"]}
        m = int(var["minutes"]["current"]["value"])
        for v in var.values():
            if v["name"] == "minutes":
                continue
            missing = [o["value"] for o in v["options"] if (o["value"], m) not in pairs]
            say(not missing, "the CronJob refreshes every %s choice of %s" % (v["name"], os.path.basename(f)), missing)

# The Dockerfile builds what the manifests run.
df = open(top + "/share/opspipe/docker/Dockerfile").read()
froms = re.findall(r"^FROM\s+(\S+)", df, re.M)
say(froms and all(re.match(r"debian:(12|bookworm)", x) for x in froms), "Dockerfile: Debian 12 images", froms)
say(re.search(r"^RUN .*make", df, re.M) is not None and "make install" in df, "Dockerfile: builds and installs with make")
user = re.findall(r"^USER\s+(\S+)", df, re.M)
say(user and user[-1].split(":")[0] not in ("0", "root"), "Dockerfile: runs as a non-root user", user)
say("COPY examples/lighttpd.conf /etc/opspipe/lighttpd.conf" in df and os.path.exists(top + "/examples/lighttpd.conf"),
    "Dockerfile: installs the shipped lighttpd.conf where the Deployment reads it")
say(re.search(r'^CMD \["lighttpd", "-D", "-f", "/etc/opspipe/lighttpd.conf"\]', df, re.M) is not None,
    "Dockerfile: starts lighttpd in the foreground")
say(re.search(r"^server\.port = 8080$", open(top + "/examples/lighttpd.conf").read(), re.M) is not None
    and 8080 in [p["containerPort"] for p in sm["ports"]], "lighttpd.conf and the Deployment agree on port 8080")
PY
relay_tap "$T_DIR/checks" "manifest checker"

# kubectl's built-in kustomize renders the base (Debian's kubernetes-client,
# kubectl 1.20, is in DEPS_TEST; a newer kubectl from elsewhere must accept
# it too). Without kubectl the check is a skip, which CI does not allow.
if ! command -v kubectl >/dev/null 2>&1; then
	skip "kubectl kustomize renders the base" "no kubectl on PATH (make deps installs kubernetes-client)"
else
	if kubectl kustomize "$k" >"$T_DIR/rendered" 2>"$T_DIR/err"; then
		expect_eq "kubectl kustomize renders every object" \
		    "$(grep -c '^kind:' "$T_DIR/rendered")" \
		    "$(cat "$k"/*.yaml | grep -c '^kind:' | awk '{print $1 - 1}')"
	else
		not_ok "kubectl kustomize renders the base" "$(head -c 600 "$T_DIR/err")"
	fi
fi
done_testing
