#!/bin/sh
# Every command line in the man pages' EXAMPLES runs, as a reader would
# paste it: against a real Prometheus over the demo's generated cluster
# history (examples/demo-data.py), the fixture LLM, the Loki fixture, the
# summary endpoint under lighttpd, and a recording sink standing in for a
# Pushgateway and a CI trigger. Each must exit as expected and print what
# its page promises (JSON lines, unless the example turns them into text).
#
# The table below names every example (page, and the start of its first
# line): an example without an entry, or an entry without an example,
# fails, so a new or changed example is run too. Where an example names
# something only a reader has (a host, a path, a placeholder like T or
# m), the entry substitutes the test's own, and says so.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset OPENAI_BASE_URL OPENAI_API_KEY LLMASK_URL LLMASK_MODEL OPSPIPE_SUMMARY_DIR \
    OPSPIPE_SUMMARY_MAX_AGE LOKI_URL

work=$T_DIR/work
mkdir -p "$work"

# A Prometheus over the demo's history: the metrics the examples name
# (node_load1, http_requests_total, http_request_duration_seconds, up).
prom=$T_DIR/prom
sh "$OPSPIPE_TOP/test/prom/start.sh" "$prom" "$OPSPIPE_TOP/examples/demo-data.py" >"$T_DIR/prom.log" 2>&1 ||
	{ not_ok "the demo's Prometheus started" "$(tail -n 20 "$T_DIR/prom.log")"; done_testing; exit 1; }
stop_prom() { sh "$OPSPIPE_TOP/test/prom/stop.sh" "$prom"; }
at_exit stop_prom

start_llm
start_fixture loki.py
loki=$FIXTURE_URL
start_fixture sink.py --log "$T_DIR/sink.jsonl"
sink=$FIXTURE_URL

# The summary endpoint from the shipped lighttpd.conf, on a free port.
port=$(free_port)
sed -e "s|^var.opspipe = .*|var.opspipe = \"$OPSPIPE_TOP/share/opspipe\"|" \
    -e "s|^server.port = .*|server.port = $port\\nserver.bind = \"127.0.0.1\"|" \
    "$OPSPIPE_TOP/examples/lighttpd.conf" >"$T_DIR/lighttpd.conf"
PROMETHEUS_URL=$(cat "$prom/url") OLLAMA_HOST=$llm OPSPIPE_SUMMARY_DIR=$work/httpd-cache \
    lighttpd -D -f "$T_DIR/lighttpd.conf" >"$T_DIR/lighttpd.log" 2>&1 &
httpd_pid=$!
stop_httpd() { kill "$httpd_pid" 2>/dev/null; wait "$httpd_pid" 2>/dev/null; }
at_exit stop_httpd
wait_http "http://127.0.0.1:$port/healthz" 10 ||
	{ not_ok "lighttpd started" "$(tail -n 5 "$T_DIR/lighttpd.log")"; done_testing; exit 1; }

# The files the examples read, made the way a reader's would be.
/usr/bin/python3 - "$work" "$OPSPIPE_TOP" >"$T_DIR/files.log" 2>&1 <<'PY' ||
import json, os, sys
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
with open(work + "/events.json", "w") as f:
    json.dump({"apiVersion": "v1", "kind": "List", "items": events}, f)
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
PY
	{ not_ok "the example files were made" "$(tail -n 20 "$T_DIR/files.log")"; done_testing; exit 1; }
# stats.jsonl: what the summarize flow hands llmask.
PROMETHEUS_URL=$(cat "$prom/url") promq --minutes 30 up | statz >"$work/stats.jsonl"
ok_if "stats.jsonl for the llmask example" [ -s "$work/stats.jsonl" ]

# The runner: extracts the examples, applies the table, runs each with sh
# in $work and checks it. One "ok"/"not ok" line per check, for relay_tap.
PROMETHEUS_URL=$(cat "$prom/url") OLLAMA_HOST=$llm HOME=$work \
/usr/bin/python3 - "$OPSPIPE_TOP" "$work" "$loki" "$sink" "http://127.0.0.1:$port" \
    >"$T_DIR/checks" 2>&1 <<'PY'
import glob, json, os, re, subprocess, sys, time

top, work, loki, sink, endpoint = sys.argv[1:6]

def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + detail.replace("\n", " | ")[:1500]))

def unescape(s):
    return (s.replace("\\e", "\\").replace("\\-", "-").replace("\\&", "")
            .replace("\\(aq", "'").replace("\\(dq", '"'))

def examples(path):
    """The EXAMPLES section's .Dl lines and .Bd -literal blocks."""
    out, inside, block = [], False, None
    for l in open(path).read().split("\n"):
        if l.startswith(".Sh "):
            inside = l.strip() == ".Sh EXAMPLES"
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

# (page, start of the first line) -> how to run it.
#   check: "jsonl" stdout is JSON lines (at least one); "json" stdout is
#          JSON values (pretty printed); "text" some text; "file:NAME"
#          NAME is JSON lines; "targets" nothing, or the echo's line
#   status: the exit statuses the example may end with
#   subs: (from, to, why): what a reader has that the test replaces
#   env: extra environment
#   allowed: a reason no CI machine can run it (none today)
TABLE = {
    ("driftcheck.1", "driftcheck --ref reference.npy --method mmd"):
        {"check": "jsonl", "status": (1,)},
    ("driftcheck.1", "promq --since 1d 'histogram_quantile(0.9, rate(lat_bucket[5m] offset 1w))'"):
        {"check": "jsonl", "status": (0, 1), "subs": week_back + lat},
    ("llmask.1", "promq --since 1h 'rate(http_requests_total[5m])' | statz |"):
        {"check": "jsonl"},
    ("llmask.1", "kubectl get events -o json | jq -c '.items[]' |"):
        {"check": "jsonl", "subs": [
            ("kubectl get events -o json", "cat events.json", "no cluster: a recorded events list"),
            ("/usr/local/share/opspipe/", top + "/share/opspipe/", "the tree, not an install")]},
    ("llmask.1", "OPENAI_BASE_URL=http://vllm:8000/v1 LLMASK_MODEL=qwen2.5-7b"):
        {"check": "jsonl", "subs": [
            ("http://vllm:8000/v1", "LLM/v1", "the fixture LLM's OpenAI API"),
            ("/var/cache/llmask", work + "/llmask-cache", "a cache in the test's directory")]},
    ("llmask.1", "llmask --dry-run --mask-names -p 'Why?' <events.jsonl | jq ."):
        {"check": "json"},
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
        for f, content in files.items():
            with open(os.path.join(work, f), "w") as out:
                out.write(content)
        for old, new, why in spec.get("subs", []):
            new = new.replace("LLM", os.environ["OLLAMA_HOST"])
            if old.startswith("\\b"):
                text, k = re.subn(old, new, text)
            else:
                k = text.count(old)
                text = text.replace(old, new)
            if k == 0:
                say(False, label + ": substitution applies", "%r not in the example (%s)" % (old, why))
        env = dict(os.environ)
        env.update(spec.get("env", {}))
        try:
            p = subprocess.run(["sh", "-c", text], cwd=work, env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            say(False, label + " finishes", "still running after 300 s")
            continue
        want = spec.get("status", (0,))
        say(p.returncode in want, label + ": exit %s" % "/".join(map(str, want)),
            "exit %d; stderr: %s" % (p.returncode, p.stderr[-600:]))
        check = spec["check"]
        if check == "jsonl":
            err = json_lines(p.stdout)
        elif check == "json":
            err = json_values(p.stdout)
        elif check == "text":
            err = None if p.stdout.strip() else "no output"
        elif check == "targets":
            err = None if p.stdout in ("", "a target is down\n") else "unexpected output"
        else:
            path = os.path.join(work, check[5:])
            err = json_lines(open(path).read()) if os.path.exists(path) else "no " + check[5:]
        say(err is None, label + ": prints " + {"jsonl": "JSON lines", "json": "JSON",
            "text": "text", "targets": "nothing or its message"}.get(check, "JSON lines to " + check[5:]),
            "%s; stdout: %s; stderr: %s" % (err, p.stdout[:300], p.stderr[-300:]))
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
done_testing
