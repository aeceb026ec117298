#!/usr/bin/python3
"""The shipped Prometheus configuration, for the test stack on loopback.

    testconfig.py CONFIG OUT TARGETS_JSON ALERTMANAGER RULES... [--for DUR RULES_OUT]

Keeps what the tests are about and replaces what only a cluster has:
every job named in TARGETS_JSON ({"job": {"targets": [...], "labels":
{...}, "metrics_path": "..."}}) keeps its name, honor_labels and
metric_relabel_configs (so cAdvisor's relabelling runs for real), with
its Kubernetes discovery and target relabelling replaced by a static
target carrying the labels relabelling would give (node). Jobs not named
are left out. Intervals become 1 s; alerts go to ALERTMANAGER; the rule
files are RULES. With --for DUR, RULES_OUT is a copy of the first rule
file whose alerts wait DUR instead of their "for" (an end-to-end test
cannot wait 5 minutes; the durations are promtool's to test).
"""
import json
import sys

import yaml

args = sys.argv[1:]
fr = None
if "--for" in args:
    i = args.index("--for")
    fr = (args[i + 1], args[i + 2])
    del args[i:i + 3]
config, out, targets, am = args[:4]
rules = args[4:]
targets = json.loads(targets)

c = yaml.safe_load(open(config))
c["global"] = {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
c["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [am]}]}]}
jobs = []
for job in c["scrape_configs"]:
    t = targets.get(job["job_name"])
    if t is None:
        continue
    j = {"job_name": job["job_name"],
         "static_configs": [{"targets": t["targets"], "labels": t.get("labels", {})}]}
    for k in ("honor_labels", "metric_relabel_configs", "metrics_path"):
        if k in job:
            j[k] = job[k]
    if "metrics_path" in t:
        j["metrics_path"] = t["metrics_path"]
    jobs.append(j)
c["scrape_configs"] = jobs
if fr:
    src = yaml.safe_load(open(rules[0]))
    for g in src["groups"]:
        g["interval"] = "1s"
        for r in g["rules"]:
            if "alert" in r:
                r["for"] = fr[0]
    with open(fr[1], "w") as f:
        yaml.safe_dump(src, f, sort_keys=False)
    rules = [fr[1]] + rules[1:]
c["rule_files"] = rules
with open(out, "w") as f:
    yaml.safe_dump(c, f, sort_keys=False)
missing = sorted(set(targets) - {j["job_name"] for j in jobs})
if missing:
    sys.exit("testconfig.py: no such job in %s: %s" % (config, ", ".join(missing)))
