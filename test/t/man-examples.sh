#!/bin/sh
# Every command line in the man pages' EXAMPLES runs, as a reader would
# paste it, against the servers the project's tests use: a real
# Prometheus over the demo's generated cluster history
# (examples/demo-data.py) and one over eight days of a web server's
# requests (test/prom/gen_requests.py: the autoscale tests' load); the
# monitoring stack (test/monitoring/stack.sh) and a real Pushgateway; the
# fixture LLM and the Loki fixture; the summary endpoint and the alert
# receiver under lighttpd; the Kubernetes API fixture; the GitHub, GitLab
# and Twilio fixtures; and a recording sink standing in for a Pushgateway
# and a CI trigger. Each must exit as expected and print what its page
# promises (JSON lines, unless the example turns them into text); what
# the examples sent where a reader's services would be is checked last.
#
# The table below names every example (page, and the start of its first
# line): an example without an entry, or an entry without an example,
# fails, so a new or changed example is run too. Where an example names
# something only a reader has (a host, a path, a placeholder like T or
# m), the entry substitutes the test's own, and says so.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
# shellcheck source=test/kube.sh
. "$OPSPIPE_TOP/test/kube.sh"
# shellcheck source=test/fixtures/forge.sh
. "$OPSPIPE_TOP/test/fixtures/forge.sh"
# shellcheck source=test/fixtures/phonecall.sh
. "$OPSPIPE_TOP/test/fixtures/phonecall.sh"
# shellcheck source=test/monitoring/stack.sh
. "$OPSPIPE_TOP/test/monitoring/stack.sh"
unset OPENAI_BASE_URL OPENAI_API_KEY LLMASK_URL LLMASK_MODEL OPSPIPE_SUMMARY_DIR \
    OPSPIPE_SUMMARY_MAX_AGE LOKI_URL GITHUB_TOKEN GH_TOKEN GITLAB_TOKEN GITHUB_API_URL \
    CI_API_V4_URL GRAFANA_URL

work=$T_DIR/work
mkdir -p "$work"

# A Prometheus over the demo's history: the metrics the examples name
# (node_load1, http_requests_total, http_request_duration_seconds, up).
prom=$T_DIR/prom
sh "$OPSPIPE_TOP/test/prom/start.sh" "$prom" "$OPSPIPE_TOP/examples/demo-data.py" >"$T_DIR/prom.log" 2>&1 ||
	{ not_ok "the demo's Prometheus started" "$(tail -n 20 "$T_DIR/prom.log")"; done_testing; exit 1; }
stop_prom() { sh "$OPSPIPE_TOP/test/prom/stop.sh" "$prom"; }
at_exit stop_prom

# A Prometheus over eight days of http_requests_total{job="web"}, whose
# rate is the autoscale tests' load: the week opspipe-autoscale(1)'s
# examples forecast from.
reqprom=$T_DIR/reqprom
sh "$OPSPIPE_TOP/test/prom/start.sh" "$reqprom" "$OPSPIPE_TOP/test/prom/gen_requests.py" \
    >"$T_DIR/reqprom.log" 2>&1 ||
	{ not_ok "the requests' Prometheus started" "$(tail -n 20 "$T_DIR/reqprom.log")"; done_testing; exit 1; }
stop_reqprom() { sh "$OPSPIPE_TOP/test/prom/stop.sh" "$reqprom"; }
at_exit stop_reqprom

# The monitoring stack of opspipe-check(1)'s examples, and Debian's
# Pushgateway (in memory). stack_start sets PROMETHEUS_URL to the stack's
# Prometheus; only opspipe-check's entries use it.
stack_start
stack_prom=$PROMETHEUS_URL
unset PROMETHEUS_URL
# In a root where nothing is mounted but /proc, /sys and /dev (the chroot
# of .ci/fresh-debian), node-exporter sees no file system: opspipe-check's
# metrics_disk then fails, rightly.
if curl -fs "$NE_URL/metrics" | grep -q '^node_filesystem_avail_bytes'; then
	ne_disk=true
else
	ne_disk=false
fi
pg=http://127.0.0.1:$(free_port)
prometheus-pushgateway --web.listen-address="${pg#http://}" --persistence.file= \
    >"$T_DIR/pushgateway.log" 2>&1 &
pg_pid=$!
stop_pg() { kill "$pg_pid" 2>/dev/null; wait "$pg_pid" 2>/dev/null; }
at_exit stop_pg
wait_http "$pg/-/ready" 30 ||
	{ not_ok "the Pushgateway started" "$(tail -n 5 "$T_DIR/pushgateway.log")"; done_testing; exit 1; }

start_llm
start_fixture loki.py
loki=$FIXTURE_URL
start_fixture sink.py --log "$T_DIR/sink.jsonl"
sink=$FIXTURE_URL

# The cluster of k8spatch(1)'s and opspipe-autoscale(1)'s examples: in
# web, nginx OOMKilled (its image needs 100Mi, its limit is 64Mi), which
# k8spatch's examples diagnose and fix, and api OOMKilled too (the image
# needs 128Mi), left for the remediate flow, its manifest in the GitHub
# fixture as its annotation says; in shop, the web Deployment the
# autoscaler scales. start_kubeapi exports KUBECONFIG (namespace web).
cat >"$T_DIR/objects.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        env: [{name: FIXTURE_MEMORY, value: 100Mi}]
        resources: {limits: {memory: 64Mi}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web
  annotations: {opspipe.io/source: "github:org/gitops//apps/web/api.yaml@main"}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: fixture/app:1
        resources: {limits: {memory: 64Mi}}
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
EOF
start_kubeapi --objects "$T_DIR/objects.yaml"
i=0
until [ -n "$(k8spatch -n web failing 2>/dev/null)" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { not_ok "nginx is failing in the API fixture"; done_testing; exit 1; }
	sleep 0.1
done

# The forges of prpost(1)'s examples: org/gitops on GitHub (with the user
# oncall-team; the manifests of nginx and api), the subgroup project
# platform/k8s/gitops on a GitLab.
start_forge github.py
github=$forge
ctl "$github" "$(jq -nc '{token: "ghp-test-token", users: ["oncall-team"], repos: {"org/gitops":
    {branches: {main: {"apps/web/nginx.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\nspec:\n  replicas: 2\n",
    "apps/web/api.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: fixture/app:1\n        resources:\n          limits:\n            memory: 64Mi\n"}}}}}')"
start_forge gitlab.py
gitlab=$forge
ctl "$gitlab" "$(jq -nc '{token: "glpat-test-token", repos: {"platform/k8s/gitops":
    {id: 7, branches: {main: {"clusters/prod/values.yaml": "replicas: 2\n"}}}}}')"

# Twilio for phonecall(1)'s examples: the primary rotation of the page's
# schedule (alice, bob, carol) does not answer; the secondary, dave,
# presses 1. start_twilio exports TWILIO_* and picks pc_port for the
# callback listener.
start_twilio
callee +33655555555 '{"do":"press","digits":"1"}'

# The summary endpoint and the alert receiver from the shipped
# lighttpd.conf, on a free port; the receiver's token is the file
# "token" of opspipe-alert(1)'s example.
port=$(free_port)
sed -e "s|^var.opspipe = .*|var.opspipe = \"$OPSPIPE_TOP/share/opspipe\"|" \
    -e "s|^server.port = .*|server.port = $port\\nserver.bind = \"127.0.0.1\"|" \
    "$OPSPIPE_TOP/examples/lighttpd.conf" >"$T_DIR/lighttpd.conf"
alert_token=tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$alert_token" >"$work/token"
mkdir -p "$work/queue"
PROMETHEUS_URL=$(cat "$prom/url") OLLAMA_HOST=$llm OPSPIPE_SUMMARY_DIR=$work/httpd-cache \
    OPSPIPE_ALERT_TOKEN_FILE=$work/token OPSPIPE_REMEDIATE_QUEUE=$work/queue \
    lighttpd -D -f "$T_DIR/lighttpd.conf" >"$T_DIR/lighttpd.log" 2>&1 &
httpd_pid=$!
stop_httpd() { kill "$httpd_pid" 2>/dev/null; wait "$httpd_pid" 2>/dev/null; }
at_exit stop_httpd
wait_http "http://127.0.0.1:$port/healthz" 10 ||
	{ not_ok "lighttpd started" "$(tail -n 5 "$T_DIR/lighttpd.log")"; done_testing; exit 1; }

# The files the examples read, made the way a reader's would be; the
# directories a reader's machine has.
/usr/bin/python3 - "$work" "$OPSPIPE_TOP" >"$T_DIR/files.log" 2>&1 <<'PY' ||
import json, os, shutil, sys
import numpy as np
import yaml
work, top = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
os.makedirs(work + "/data", exist_ok=True)
ref = rng.normal(0, 1, (300, 4))
np.save(work + "/reference.npy", ref)
np.save(work + "/data/reference.npy", ref)
for path in (work + "/window.jsonl", work + "/data/window.jsonl"):
    with open(path, "w") as f:
        for row in rng.normal(0.8, 1, (200, 4)):
            f.write(json.dumps([round(float(x), 6) for x in row]) + "\n")
events = [{"kind": "Event", "type": "Warning", "reason": r, "message": m,
           "involvedObject": {"kind": "Pod", "namespace": "shop", "name": n}}
          for r, m, n in [("BackOff", "Back-off restarting failed container cart in pod cart-7d9f", "cart-7d9f"),
                          ("FailedScheduling", "0/3 nodes are available: 3 Insufficient memory.", "recommendation-5c6b"),
                          ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", "api-2")]]
with open(work + "/events.jsonl", "w") as f:
    for e in events:
        f.write(json.dumps(e) + "\n")
with open(work + "/access.jsonl", "w") as f:
    for i in range(200):
        f.write(json.dumps({"ts": 1795320000 + i, "service": ["cart", "api"][i % 2],
                            "latency_ms": round(float(rng.gamma(2, 20)), 2)}) + "\n")
os.makedirs(work + "/etc/gitlab", exist_ok=True)
with open(work + "/etc/gitlab/token", "w") as f:
    f.write("glptt-test-trigger-token")
# The CronJob's own batch file, from the kustomize base's ConfigMap.
cm = yaml.safe_load(open(top + "/share/opspipe/k8s/summary-queries.yaml"))
os.makedirs(work + "/etc/opspipe/queries", exist_ok=True)
with open(work + "/etc/opspipe/queries/queries.jsonl", "w") as f:
    f.write(cm["data"]["queries.jsonl"])

# k8spatch(1): a policy, an LLM's proposal, the manifest in git.
with open(work + "/policy.yaml", "w") as f:
    f.write("kinds: [Deployment]\nnamespaces: [web]\n"
            "allow: [spec.replicas, \"spec.template.spec.containers[*].resources\"]\n"
            "deny: [\"**.securityContext\"]\nlimits:\n  memory: {max: 4Gi, max_factor: 4}\n")
with open(work + "/proposals.jsonl", "w") as f:
    f.write(json.dumps({"patch": {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "resources": {"limits": {"memory": "384Mi"}}}]}}}},
        "patch_type": "strategic"}) + "\n")
with open(work + "/nginx.yaml", "w") as f:
    f.write("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
            "  name: nginx   # the web server\nspec:\n  replicas: 2\n")

# opspipe-alert(1): Alertmanager's webhook payload for nginx's OOM.
with open(work + "/payload.json", "w") as f:
    json.dump({"version": "4", "groupKey": "{}/{remediate=\"true\"}:{alertname=\"OpspipePodOOMKilled\"}",
               "truncatedAlerts": 0, "status": "firing", "receiver": "opspipe-remediate",
               "groupLabels": {"alertname": "OpspipePodOOMKilled"}, "commonLabels": {},
               "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
               "alerts": [{"status": "firing", "labels": {
                   "alertname": "OpspipePodOOMKilled", "namespace": "web", "pod": "nginx-7c9f6-abcde",
                   "container": "nginx", "reason": "OOMKilled", "remediate": "true", "severity": "warning"},
                   "annotations": {"summary": "web/nginx-7c9f6-abcde (nginx) was OOMKilled"},
                   "startsAt": "2026-12-02T05:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                   "generatorURL": "http://prometheus:9090/graph", "fingerprint": "8d5e3b1f0c2a4e6d"}]}, f)

# opspipe-check(1): the CronJob's baselines, the ConfigMap's source.
os.makedirs(work + "/etc/opspipe/check", exist_ok=True)
shutil.copy(top + "/share/opspipe/k8s/monitoring/config/baselines.jsonl",
            work + "/etc/opspipe/check/baselines.jsonl")
os.makedirs(work + "/etc/opspipe/grafana", exist_ok=True)
with open(work + "/etc/opspipe/grafana/token", "w") as f:
    f.write("grafana-test-token\n")

# phonecall(1): the remediate flow's failures.
with open(work + "/failures.jsonl", "w") as f:
    f.write(json.dumps({"kind": "Deployment", "namespace": "web", "name": "nginx", "reason": "OOMKilled",
                        "diagnosis": "Le conteneur nginx manque de mémoire et le correctif a échoué.",
                        "fingerprint": "5d1c0e"}) + "\n")

# prpost(1): the flow's fixed manifest, a values file.
os.makedirs(work + "/tmp", exist_ok=True)
with open(work + "/tmp/nginx.yaml", "w") as f:
    f.write("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\nspec:\n  replicas: 2\n"
            "  template:\n    spec:\n      containers:\n      - name: nginx\n"
            "        resources: {limits: {memory: 512Mi}}\n")
with open(work + "/values.yaml", "w") as f:
    f.write("replicas: 3\n")

# opspipe-remediate(1): the GitHub token, a mounted Secret; its state.
os.makedirs(work + "/run/secrets", exist_ok=True)
with open(work + "/run/secrets/gh", "w") as f:
    f.write("ghp-test-token\n")
os.makedirs(work + "/var/lib/remediate", exist_ok=True)

for d in ("var/lib/opspipe", "var/lib/opspipe-autoscale", "var/lib/node-exporter", "var/log/opspipe"):
    os.makedirs(os.path.join(work, d), exist_ok=True)
PY
	{ not_ok "the example files were made" "$(tail -n 20 "$T_DIR/files.log")"; done_testing; exit 1; }
# stats.jsonl: what the summarize flow hands llmask.
PROMETHEUS_URL=$(cat "$prom/url") promq --minutes 30 up | statz >"$work/stats.jsonl"
ok_if "stats.jsonl for the llmask example" [ -s "$work/stats.jsonl" ]

# Where the reader's services are, for the table.
jq -n --arg loki "$loki" --arg sink "$sink" --arg endpoint "http://127.0.0.1:$port" \
    --arg llm "$llm" --arg github "$github" --arg gitlab "$gitlab" --arg twilio "$twilio" \
    --arg pc_port "$pc_port" --arg stack_prom "$stack_prom" --arg grafana "$FX_URL" \
    --arg pushgateway "$pg" --arg requests_prom "$(cat "$reqprom/url")" --argjson ne_disk "$ne_disk" \
    '$ARGS.named' >"$T_DIR/servers.json"

# The runner: extracts the examples, applies the table, runs each with
# sh -e in $work (so a line of a several-line example that fails ends it,
# with its status) and checks it. One "ok"/"not ok" line per check, for
# relay_tap.
PROMETHEUS_URL=$(cat "$prom/url") OLLAMA_HOST=$llm HOME=$work \
/usr/bin/python3 - "$OPSPIPE_TOP" "$work" "$T_DIR/servers.json" \
    >"$T_DIR/checks" 2>&1 <<'PY'
import glob, json, os, re, signal, subprocess, sys, time
import yaml

top, work, servers = sys.argv[1:4]
S = json.load(open(servers))
loki, sink, endpoint = S["loki"], S["sink"], S["endpoint"]

def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + detail.replace("\n", " | ")[:1500]))

def unescape(s):
    return (s.replace("\\e", "\\").replace("\\-", "-").replace("\\&", "")
            .replace("\\(aq", "'").replace("\\(dq", '"'))

def sections(path, head):
    """The .Bd -literal blocks of the page's section (".Sh NAME") or
    subsection (".Ss NAME") HEAD, and, for EXAMPLES, its .Dl lines."""
    out, inside, block = [], False, None
    for l in open(path).read().split("\n"):
        if l.startswith(".Sh ") or l.startswith(".Ss "):
            if l.strip() == head:
                inside = True
            elif l.startswith(".Sh ") or head.startswith(".Ss "):
                inside = False
            continue
        if not inside:
            continue
        if block is not None:
            if l.startswith(".Ed"):
                out.append(block)
                block = None
            else:
                block.append(unescape(l))
        elif l.startswith(".Bd -literal"):
            block = []
        elif l.startswith(".Dl "):
            out.append([unescape(l[4:])])
    return out

def examples(path):
    return sections(path, ".Sh EXAMPLES")

def shown(page, head):
    """The file a page shows: the first literal block under HEAD."""
    blocks = sections(os.path.join(top, "share/man/man1", page), head)
    return "\n".join(blocks[0]) + "\n" if blocks else None

def script(block):
    """The block's commands ("$ " lines and their continuations, or every
    line when there is no prompt) and the files its "$ cat FILE" shows."""
    if not any(l.startswith("$ ") for l in block):
        return "\n".join(block), {}
    cmds, files, shown, cont = [], {}, None, False
    for l in block:
        if l.startswith("$ ") or cont:
            cmd = l[2:] if l.startswith("$ ") and not cont else l
            cmds.append(cmd)
            cont = cmd.endswith("\\") or cmd.rstrip().endswith("|")
            m = re.fullmatch(r"cat (\S+)", cmd.strip())
            shown = files.setdefault(m.group(1), []) if m else None
        elif shown is not None:
            shown.append(l)
    return "\n".join(cmds), {k: "\n".join(v) + "\n" for k, v in files.items()}

now = str(int(time.time()))
week_back = [("offset 1w", "offset 1h",
              "the demo's history is 3 hours long: a week back is an hour back")]
lat = [("lat_bucket", "http_request_duration_seconds_bucket",
        "lat_bucket stands for a histogram's buckets: the demo's latency histogram")]
# A reader's machine has /etc, /var and /tmp; the examples' files there
# are the test's, under its directory (the files step made them).
def machine(*paths):
    return [(p, work + p, "the machine's " + p + ": the test's directory") for p in paths]
# The cluster is the one KUBECONFIG names, the API fixture, for kubectl
# too. The Twilio API: the fixture, by phonecall's variable for it.
twilio = {"PHONECALL_URL": S["twilio"], "OPSPIPE_PHONECALL_POLL": "0.1"}
# Where phonecall listens for Twilio's callbacks, and the URL Twilio
# reaches it by: a free loopback port instead of a public address.
listen = "127.0.0.1:" + S["pc_port"]
public = "http://" + listen + "/pc"
# The checks of opspipe-check that may fail on the test stack beside the
# ingestion rate (see its entries), as a jq array.
may_fail = json.dumps(["query_latency", "grafana_dashboards"] + ([] if S["ne_disk"] else ["metrics_disk"]))

# (page, start of the first line) -> how to run it.
#   check: "jsonl" stdout is JSON lines (at least one); "json" stdout is
#          JSON values (pretty printed); "text" some text; "none" no
#          output; "file:NAME" NAME is JSON lines; "targets" nothing, or
#          the echo's line; "wav:NAME" NAME is a WAV file;
#          "fragment:PATH" the example is not a command but part of the
#          shipped file PATH: it must be in it, and be valid on its own
#          (the check for Alertmanager's configuration)
#   status: the exit statuses the example may end with
#   expect: (JQ, what it means): JQ over stdout's values (slurped) is true
#   subs: (from, to, why): what a reader has that the test replaces
#   env: extra environment: what a reader's machine or shell has set
#   files: {NAME: (PAGE, HEAD)}: the file NAME the example reads is the
#          one PAGE shows under HEAD
#   service: (SECONDS, why): the example runs until stopped (a loop, a
#          server): its first line must come within SECONDS, and it must
#          still run then; it is stopped, and its output so far checked
#   allowed: a reason no CI machine can run it (none today)
TABLE = {
    ("driftcheck.1", "driftcheck --ref reference.npy --method mmd"):
        {"check": "jsonl", "status": (1,)},
    ("driftcheck.1", "promq --since 1d 'histogram_quantile(0.9, rate(lat_bucket[5m] offset 1w))'"):
        {"check": "jsonl", "status": (0, 1), "subs": week_back + lat},

    # The namespace web of the API fixture, where nginx and api are
    # OOMKilled; the examples run in order, each on what the one before
    # left.
    ("k8spatch.1", "k8spatch -n web failing"):
        {"check": "jsonl", "expect": ('map("\\(.kind)/\\(.name) \\(.reason)") == '
                                      '["Deployment/api OOMKilled", "Deployment/nginx OOMKilled"]',
                                      "api and nginx, OOMKilled")},
    ("k8spatch.1", "k8spatch -n web --policy policy.yaml patch deploy nginx"):
        {"check": "jsonl", "expect": ('.[0].result == "applied" and .[0].changed == '
                                      '["spec.template.spec.containers[nginx].resources.limits.memory"]',
                                      "applied: the memory limit, and only it")},
    ("k8spatch.1", "k8spatch -n web --policy policy.yaml --dry-run patch deploy/nginx"):
        {"check": "json", "expect": ('. == [["spec.replicas"]]', "what would change: the replicas")},
    ("k8spatch.1", "jq -c '{kind: \"Deployment\", namespace: \"web\", name: \"nginx\","):
        {"check": "jsonl", "expect": ('map(.result) == ["applied"]', "the proposal applied")},
    ("k8spatch.1", "k8spatch -n web scale deploy nginx --replicas 4 --current-replicas 2"):
        {"check": "jsonl", "expect": ('map(.result // .rollout) == ["applied", "complete", "rolled-back"]',
                                      "scaled, rolled out, rolled back")},
    ("k8spatch.1", "k8spatch patch --local -f nginx.yaml"):
        {"check": "none"},

    ("llmask.1", "promq --since 1h 'rate(http_requests_total[5m])' | statz |"):
        {"check": "jsonl"},
    ("llmask.1", "kubectl get events -o json | jq -c '.items[]' |"):
        {"check": "jsonl", "subs": [
            ("/usr/local/share/opspipe/", top + "/share/opspipe/", "the tree, not an install")]},
    ("llmask.1", "OPENAI_BASE_URL=http://vllm:8000/v1 LLMASK_MODEL=qwen2.5-7b"):
        {"check": "jsonl", "subs": [
            ("http://vllm:8000/v1", S["llm"] + "/v1", "the fixture LLM's OpenAI API"),
            ("/var/cache/llmask", work + "/llmask-cache", "a cache in the test's directory")]},
    ("llmask.1", "llmask --dry-run --mask-names -p 'Why?' <events.jsonl | jq ."):
        {"check": "json"},

    ("opspipe-alert.1", "receivers:"):
        {"check": "fragment:share/opspipe/k8s/monitoring/config/alertmanager.yml"},
    ("opspipe-alert.1", "curl -H \"Authorization: Bearer $(cat token)\""):
        {"check": "json", "expect": ('.[0] | .queued[0].name == "nginx-7c9f6-abcde" and .ignored == []',
                                     "the alert queued"),
         "subs": [("http://opspipe-alert:8080", endpoint,
                   "the receiver under lighttpd on a free port; token is its token file")]},

    # The requests' Prometheus (a week of http_requests_total{job="web"})
    # and the fixture's shop/web, 3 replicas.
    ("opspipe-autoscale.1", "opspipe-autoscale --target deployment/web -n shop \\"):
        {"check": "jsonl", "env": {"PROMETHEUS_URL": S["requests_prom"]},
         "subs": machine("/var/lib/opspipe-autoscale", "/var/lib/node-exporter/"),
         "expect": ('.[0] | .forecast.model == "holt-winters" and .current == 3 and .desired >= 2 '
                    'and .desired <= 20 and .desired - .current <= 5',
                    "a Holt-Winters forecast, a decision within the limits")},
    ("opspipe-autoscale.1", "opspipe-autoscale --target deployment/web -n shop --dry-run"):
        {"check": "json", "env": {"PROMETHEUS_URL": S["requests_prom"]},
         "expect": ('length == 1 and (.[0] | type == "string" and test("holt-winters"))',
                    "the reason, in words")},

    # The monitoring stack: its Prometheus, the exporters fixture as
    # Grafana, Debian's Pushgateway. With the CronJob's baselines (the
    # stack plan's: 10,000 samples/s) the small test stack fails the
    # ingestion rate, and nothing else but, on a loaded machine, a timing
    # (a query over 500 ms, dashboards over 2 s), and in a chroot the disk.
    ("opspipe-check.1", "PROMETHEUS_URL=http://prometheus:9090 opspipe-check"):
        {"check": "jsonl", "status": (1,),
         "subs": [("http://prometheus:9090", S["stack_prom"], "the stack's Prometheus"),
                  ("http://grafana:3000", S["grafana"], "the exporters fixture's Grafana API"),
                  ("http://pushgateway:9091", S["pushgateway"], "Debian's Pushgateway on a free port")]
                 + machine("/etc/opspipe/"),
         "expect": ('length == 17 and map(select(.ok | not) | .check) - %s == ["ingestion_rate"]' % may_fail,
                    "every check, the ingestion rate failing")},
    ("opspipe-check.1", "opspipe-check --grafana http://localhost:3000 | jq -c 'select(.ok | not)'"):
        {"check": "jsonl", "env": {"PROMETHEUS_URL": S["stack_prom"]},
         "subs": [("http://localhost:3000", S["grafana"], "the exporters fixture's Grafana API")],
         "expect": ('map(.check) - %s == ["ingestion_rate"]' % may_fail, "the failing checks: the ingestion rate")},

    ("opspipe-drift.1", "opspipe-drift --ref /data/reference.npy --cur /data/window.jsonl"):
        {"check": "jsonl", "status": (1,), "subs": [
            ("/data/", work + "/data/", "the test's samples"),
            ("/etc/gitlab/token", work + "/etc/gitlab/token", "the test's token file"),
            ("http://pushgateway:9091", sink, "the recording sink as Pushgateway"),
            ("https://gitlab.example.com", sink, "the recording sink as GitLab")]},
    ("opspipe-summary.1", "opspipe-summary --minutes 30 up"):
        {"check": "jsonl", "subs": [
            ("http://localhost:8080", endpoint, "the endpoint under lighttpd on a free port")],
         "env": {"OPSPIPE_SUMMARY_DIR": work + "/summary-cache"}},
    ("opspipe-summary.1", "opspipe-summary --cache-dir /var/cache/opspipe --max-age 200"):
        {"check": "jsonl", "subs": [
            ("/var/cache/opspipe", work + "/summary-batch-cache", "a cache in the test's directory"),
            ("/etc/opspipe/", work + "/etc/opspipe/", "the ConfigMap's batch file")]},

    # The Twilio fixture; the schedule is the one the page shows.
    ("phonecall.1", "phonecall --schedule /etc/opspipe/oncall.yaml --escalate"):
        {"check": "jsonl", "env": dict(twilio, fingerprint="3f9c2a81d0e4"),
         "files": {"etc/opspipe/oncall.yaml": ("phonecall.1", ".Ss The schedule")},
         "subs": [("0.0.0.0:8080", listen, "a free loopback port"),
                  ("https://pager.example.com/pc", public, "no proxy in front: the listener itself")]
                 + machine("/etc/opspipe/", "/var/lib/opspipe/", "/var/log/opspipe/"),
         "expect": ('map([.level, .status, .answer, .incident]) == '
                    '[[0, "no-answer", null, "3f9c2a81d0e4"], [1, "completed", true, "3f9c2a81d0e4"]]',
                    "the primary does not answer, the secondary says yes")},
    ("phonecall.1", "phonecall who --schedule oncall.yaml --at 2026-11-24T23:00"):
        {"check": "jsonl", "files": {"oncall.yaml": ("phonecall.1", ".Ss The schedule")},
         "expect": ('map(.person) == ["carol", "dave"]', "carol's override, then the secondary")},
    ("phonecall.1", "jq -c '{speech: .diagnosis, incident: .fingerprint}' failures.jsonl |"):
        {"check": "jsonl", "files": {"oncall.yaml": ("phonecall.1", ".Ss The schedule")},
         # The callback listener a deployment sets in the environment.
         "env": dict(twilio, PHONECALL_LISTEN=listen, PHONECALL_PUBLIC_URL=public),
         "expect": ('.[-1] | .answer == true and .incident == "5d1c0e"', "asked in French, answered")},
    ("phonecall.1", "phonecall tts --speech \"La base est en panne.\" -L fr-FR -o alert.wav"):
        {"check": "wav:alert.wav"},

    ("promq.1", "promq --minutes 30 up | statz"):
        {"check": "jsonl"},
    ("promq.1", "promq --stats --since 1h 'rate(http_requests_total[5m])'"):
        {"check": "jsonl", "subs": lat},
    ("promq.1", "promq --since 1d --step 1s node_load1 > load.jsonl"):
        {"check": "file:load.jsonl"},
    ("promq.1", "cat queries.jsonl"):
        {"check": "jsonl"},
    ("promq.1", "promq --targets > /dev/null || echo"):
        {"check": "targets"},
    ("promq.1", "promq --loki --lines --since 15m"):
        {"check": "text", "env": {"LOKI_URL": loki}, "subs": [
            ("--since 15m", "--start 1795320000 --end 1795320060",
             "the Loki fixture's history is one fixed minute"),
            ('{app="web"} |= "error"', '{app="b"} |= "b 1"',
             "the fixture's streams are a and b")]},

    # The GitHub fixture by GITHUB_API_URL, its token in GITHUB_TOKEN; the
    # GitLab fixture by the example's --url.
    ("prpost.1", "prpost --repo org/gitops --base main"):
        {"check": "jsonl", "env": {"GITHUB_API_URL": S["github"], "GITHUB_TOKEN": "ghp-test-token"},
         "subs": machine("/tmp/"), "expect": ('.[0].created == true', "a pull request opened")},
    ("prpost.1", "prpost get --repo org/gitops apps/web/nginx.yaml |"):
        {"check": "jsonl", "env": {"GITHUB_API_URL": S["github"], "GITHUB_TOKEN": "ghp-test-token"},
         "expect": ('.[0].created == true and .[0].title == "more replicas"', "a pull request opened")},
    ("prpost.1", "GITLAB_TOKEN=glpat-… prpost --url https://git.example.com/api/v4"):
        {"check": "jsonl",
         "subs": [("glpat-…", "glpat-test-token", "a token, elided"),
                  ("https://git.example.com/api/v4", S["gitlab"] + "/api/v4", "the GitLab fixture")],
         "expect": ('.[0].created == true', "a merge request opened")},

    ("statz.1", "promq --since 1h 'node_load1' | statz --forecast 10m"):
        {"check": "jsonl"},
    ("statz.1", "promq --time T 'm[1h]' | statz -p 99 --forecast 30m --at T"):
        {"check": "jsonl", "subs": [
            (r"\bT\b", now, "T is a time: now"),
            ("'m[1h]'", "'node_load1[1h]'", "m is a metric: node_load1")]},
    ("statz.1", "promq --since 6h 'rate(http_request_duration_seconds_sum[5m])' |"):
        {"check": "jsonl"},
    ("statz.1", "promq --since 7d --step 5m 'sum(rate(http_requests_total[5m]))' |"):
        {"check": "jsonl", "subs": [
            ("--forecast 1d --model holt-winters --season 1d", "--forecast 1h --model holt-winters --season 1h",
             "the demo's history is 3 hours: two daily seasons need two days")]},
    ("statz.1", "statz --field .latency_ms --time .ts --by service -p 50,99 access.jsonl"):
        {"check": "jsonl"},

    # opspipe-remediate(1): what its examples need is up: web/api OOMKilled
    # with its manifest on GitHub, the fixture LLM (whose schema-shaped
    # answer is no patch, so the rules decide), GitHub's token file, Twilio
    # and the page's schedule; kubectl (1.20 or 1.32) against the API fixture.
    ("opspipe-remediate.1", "opspipe-remediate -n web --source-repos org/gitops --dry-run |"):
        {"check": "json", "env": {"GITHUB_API_URL": S["github"], "GITHUB_TOKEN": "ghp-test-token"},
         "expect": ('map(.workload.name + " " + .result) == ["api dry-run"] and (.[0].diff | test("memory: 128Mi"))',
                    "what it would do: api's memory doubled, in its manifest's diff")},
    ("opspipe-remediate.1", "OLLAMA_HOST=http://ollama:11434 GITHUB_TOKEN_FILE=/run/secrets/gh"):
        {"check": "jsonl", "service": (120, "--every 2m: its first pass, then stopped"),
         "env": dict(twilio, GITHUB_API_URL=S["github"], PHONECALL_LISTEN=listen, PHONECALL_PUBLIC_URL=public),
         "files": {"oncall.yaml": ("phonecall.1", ".Ss The schedule")},
         "subs": [("http://ollama:11434", S["llm"], "the fixture LLM")] + machine("/run/secrets/", "/var/lib/"),
         "expect": ('map(.workload.name + " " + .result) == ["api fixed"]', "api fixed")},
    ("opspipe-remediate.1", "kubectl create namespace opspipe-eval"):
        {"check": "file:eval.jsonl",
         "subs": [("share/opspipe/", top + "/share/opspipe/", "the tree, not an install")]},
}

def json_lines(text):
    lines = text.splitlines()
    if not lines:
        return "no output"
    for i, l in enumerate(lines, 1):
        try:
            json.loads(l)
        except ValueError as e:
            return "line %d is not JSON (%s): %s" % (i, e, l[:200])
    return None

def json_values(text):
    dec, i, n = json.JSONDecoder(), 0, 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return None if n else "no output"
        try:
            _, i = dec.raw_decode(text, i)
        except ValueError as e:
            return "not JSON at %d (%s)" % (i, e)
        n += 1

def promise(check):
    kind, _, name = check.partition(":")
    return {"jsonl": "JSON lines", "json": "JSON", "text": "text", "none": "nothing",
            "targets": "nothing or its message", "wav": "a WAV file " + name,
            "file": "JSON lines to " + name}[kind]

def fragment(label, text, path):
    """A configuration fragment: in the shipped file, and valid alone
    (amtool, Alertmanager's checker, with a route to its receiver)."""
    frag = yaml.safe_load(text)
    whole = yaml.safe_load(open(os.path.join(top, path)))
    missing = [(k, item) for k, v in frag.items()
               for item in (v if isinstance(v, list) else [v])
               if item not in (whole.get(k) if isinstance(v, list) else [whole.get(k)])]
    say(not missing, label + ": it is in " + path, "not there: %r" % missing)
    alone = os.path.join(work, "fragment.yml")
    with open(alone, "w") as f:
        yaml.safe_dump(dict(frag, route={"receiver": frag["receivers"][0]["name"]}), f)
    p = subprocess.run(["amtool", "check-config", alone], capture_output=True, text=True)
    say(p.returncode == 0, label + ": amtool check-config accepts it", p.stdout + p.stderr)

def service(label, text, env, limit, why):
    """Run an example that runs until stopped: it must print its first
    line within LIMIT seconds and still be running then; it is stopped
    (SIGTERM to its process group) and what it printed is checked."""
    out, err = os.path.join(work, ".service.out"), os.path.join(work, ".service.err")
    with open(out, "w") as o, open(err, "w") as e:
        proc = subprocess.Popen(["sh", "-e", "-c", text], cwd=work, env=env, stdin=subprocess.DEVNULL,
                                stdout=o, stderr=e, start_new_session=True)
    t = time.time()
    while proc.poll() is None and time.time() - t < limit and "\n" not in open(out).read():
        time.sleep(0.2)
    running = proc.poll() is None
    if running:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    p = subprocess.CompletedProcess(proc.args, proc.returncode, open(out).read(), open(err).read())
    say(running, label + ": runs until stopped (" + why + ")",
        "exit %s; stderr: %s" % (p.returncode, p.stderr[-600:]))
    return p

def expect(label, spec, out):
    if "expect" not in spec:
        return
    jq, what = spec["expect"]
    p = subprocess.run(["jq", "-se", jq], input=out, capture_output=True, text=True)
    say(p.returncode == 0, label + ": " + what, "jq %s: %s %s; stdout: %s" % (jq, p.stdout.strip(), p.stderr.strip(), out[:600]))

# Each example's output, for the checks after the runner: .out/PAGE.N.
os.makedirs(os.path.join(work, ".out"), exist_ok=True)
seen = set()
for page in sorted(glob.glob(top + "/share/man/man1/*.1")):
    name = os.path.basename(page)
    for n, block in enumerate(examples(page), 1):
        text, files = script(block)
        label = "%s example %d (%s)" % (name, n, text.split("\n")[0][:60])
        keys = [k for k in TABLE if k[0] == name and text.startswith(k[1])]
        if len(keys) != 1:
            say(False, label + " has one entry in test/t/man-examples.sh", "entries: %r" % keys)
            continue
        seen.add(keys[0])
        spec = TABLE[keys[0]]
        if spec.get("allowed"):
            print("ok %s # SKIP allowed: %s" % (label, spec["allowed"]))
            continue
        check = spec["check"]
        if check.startswith("fragment:"):
            fragment(label, text, check[9:])
            continue
        for f, (p, head) in spec.get("files", {}).items():
            files[f] = shown(p, head)
            say(files[f] is not None, label + ": %s shows %s under %s" % (p, f, head))
        for f, content in files.items():
            with open(os.path.join(work, f), "w") as out:
                out.write(content or "")
        for old, new, why in spec.get("subs", []):
            if old.startswith("\\b"):
                text, k = re.subn(old, new, text)
            else:
                k = text.count(old)
                text = text.replace(old, new)
            if k == 0:
                say(False, label + ": substitution applies", "%r not in the example (%s)" % (old, why))
        env = dict(os.environ)
        env.update(spec.get("env", {}))
        if "service" in spec:
            p = service(label, text, env, *spec["service"])
        else:
            try:
                p = subprocess.run(["sh", "-e", "-c", text], cwd=work, env=env, stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                say(False, label + " finishes", "still running after 300 s")
                continue
            want = spec.get("status", (0,))
            say(p.returncode in want, label + ": exit %s" % "/".join(map(str, want)),
                "exit %d; stderr: %s" % (p.returncode, p.stderr[-600:]))
        if check == "jsonl":
            err = json_lines(p.stdout)
        elif check == "json":
            err = json_values(p.stdout)
        elif check == "text":
            err = None if p.stdout.strip() else "no output"
        elif check == "none":
            err = None if p.stdout == "" else "unexpected output"
        elif check == "targets":
            err = None if p.stdout in ("", "a target is down\n") else "unexpected output"
        elif check.startswith("wav:"):
            path = os.path.join(work, check[4:])
            head = open(path, "rb").read(12) if os.path.exists(path) else b""
            err = None if head[:4] == b"RIFF" and head[8:] == b"WAVE" else "no WAV file " + check[4:]
        else:
            path = os.path.join(work, check[5:])
            err = json_lines(open(path).read()) if os.path.exists(path) else "no " + check[5:]
        say(err is None, label + ": prints " + promise(check),
            "%s; stdout: %s; stderr: %s" % (err, p.stdout[:300], p.stderr[-300:]))
        expect(label, spec, p.stdout)
        with open(os.path.join(work, ".out", "%s.%d" % (name, n)), "w") as f:
            f.write(p.stdout)
for k in TABLE:
    if k not in seen:
        say(False, "table entry %s %r matches an example" % k)
PY
relay_tap "$T_DIR/checks" "example runner"

# What the examples sent where a reader's services would be.
expect_eq "opspipe-drift example: the metrics went to the Pushgateway, the trigger to GitLab" \
    "PUT /metrics/job/opspipe_drift/name/fraud-model|POST /api/v4/projects/42/trigger/pipeline" \
    "$(jq -r '"\(.method) \(.path)"' "$T_DIR/sink.jsonl" 2>&1 | paste -sd'|' -)"
ok_if "... with the token from its file" grep -q 'glptt-test-trigger-token' "$T_DIR/sink.jsonl"
expect_eq "llmask cache example: the answer was cached" 1 \
    "$(find "$work/llmask-cache" -type f -name '*.json' 2>/dev/null | wc -l | tr -d ' ')"

expect_eq "k8spatch local example: only the replicas line changed, the comment kept" \
    "$(sed 's/replicas: 2/replicas: 3/' "$work/nginx.yaml")" "$(cat "$work/nginx.yaml.new")"
expect_eq "k8spatch examples: nginx rolled back to the patched template, 4 replicas" "256Mi 4" \
    "$(k8spatch -n web get deploy/nginx | jq -r '"\(.spec.template.spec.containers[0].resources.limits.memory) \(.spec.replicas)"')"

expect_eq "opspipe-alert example: one request queued, for nginx's OOM" "Pod web nginx-7c9f6-abcde OOMKilled" \
    "$(cat "$work"/queue/*.json 2>/dev/null | jq -r '"\(.kind) \(.namespace) \(.name) \(.reason)"')"

desired=$(k8spatch -n shop get deploy/web | jq .spec.replicas)
expect_eq "opspipe-autoscale example: the Deployment has the decision" "$desired" \
    "$(jq .desired "$work"/var/lib/opspipe-autoscale/shop.deployment.web.jsonl 2>&1)"
ok_if "... the textfile is valid exposition text" \
    sh -c "promtool check metrics <'$work/var/lib/node-exporter/autoscale.prom'"

expect_eq "opspipe-check example: the Pushgateway holds the group job=opspipe_check, 17 checks" \
    "opspipe_check 17" \
    "$(curl -fs "$pg/api/v1/metrics" | jq -r '.data[] | "\(.labels.job) \(.opspipe_check_ok.metrics | length)"')"
expect_eq "... Grafana's dashboards were read with the token file (the CronJob) and without (by hand)" \
    "false true" \
    "$(curl -fs "$FX_URL/_requests" | jq -r '[.[] | select(.path | startswith("/api/search")) | .auth] | unique | join(" ")')"

expect_eq "phonecall examples: the log and the CSV have the two calls of the first" "2 3" \
    "$(wc -l <"$work/var/log/opspipe/calls.jsonl") $(wc -l <"$work/var/log/opspipe/calls.csv")"
expect_eq "... whose incident the state remembers as answered" 1 \
    "$(grep -rl 3f9c2a81d0e4 "$work/var/lib/opspipe/calls" 2>/dev/null | wc -l)"
expect_match "... the remediate flow's request said in French, asked in French" \
    '^Le conteneur nginx manque de mémoire et le correctif a échoué\. Pouvez-vous intervenir' \
    "$(calls '[.[] | select(.twiml | test("fr-FR"))][-1].said | join(" ")' | jq -r .)"

# pr N: prpost.1's example N's result, raw; file_at BRANCH: the manifest on it.
pr() { jq -r "$2" "$work/.out/prpost.1.$1"; }
file_at() { repo_state "$github" ".\"org/gitops\".\"$1\".files[\"apps/web/nginx.yaml\"].base64" | jq -j '@base64d'; }
n=$(pr 1 .number)
expect_eq "prpost examples: the first labelled opspipe, its review asked of oncall-team" \
    '[["opspipe"]] [["oncall-team"]]' \
    "$(sent "$github" "[.[] | select(.method == \"POST\" and .path == \"/repos/org/gitops/issues/$n/labels\") | .body.labels]") \
$(sent "$github" "[.[] | select(.method == \"POST\" and .path == \"/repos/org/gitops/pulls/$n/requested_reviewers\") | .body.reviewers]")"
file_at "$(pr 1 .branch)" >"$T_DIR/first.yaml"
ok_if "... on its branch, the flow's file" cmp -s "$work/tmp/nginx.yaml" "$T_DIR/first.yaml"
file_at main | sed 's/replicas: 2/replicas: 4/' >"$T_DIR/want.yaml"
file_at "$(pr 2 .branch)" >"$T_DIR/second.yaml"
ok_if "... on the second's, the file read, with replicas: 4" cmp -s "$T_DIR/want.yaml" "$T_DIR/second.yaml"
expect_eq "... a draft merge request on the GitLab with values.yaml" '"Draft: …" "replicas: 3\n"' \
    "$(sent "$gitlab" '[.[] | select(.method == "POST" and (.path | endswith("/merge_requests")))][0].body.title') \
$(repo_state "$gitlab" '."platform/k8s/gitops" | to_entries | map(select(.key != "main"))[0].value.files["clusters/prod/values.yaml"].base64 | @base64d')"
done_testing
