#!/bin/sh
# The Grafana provisioning and dashboards in share/opspipe/grafana: valid
# JSON and YAML, every panel's data source provisioned, and every AI panel
# asking the summary endpoint exactly what the endpoint accepts.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

g=$OPSPIPE_TOP/share/opspipe/grafana
is_json_object() { jq_holds 'type == "object"' "$1" 2>/dev/null; }
for f in "$g"/dashboards/*.json; do
	ok_if "$(basename "$f") is valid JSON" is_json_object "$f"
done

# The checks are data walks; Python with PyYAML reads both formats. Each
# line it prints is "ok NAME" or "not ok NAME: DETAIL".
OPSPIPE_MINUTES_MAX=$opspipe_minutes_max /usr/bin/python3 - "$g" >"$T_DIR/checks" 2>&1 <<'PY'
import glob, json, os, re, sys
import yaml

g = sys.argv[1]
def say(ok, name, detail=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + detail))

prov = yaml.safe_load(open(g + "/provisioning/datasources/opspipe.yaml"))
sources = {d["uid"]: d for d in prov["datasources"]}
say(len(sources) == len(prov["datasources"]), "data source uids are unique")
types = sorted(d["type"] for d in sources.values())
say(types == ["marcusolsson-json-datasource", "prometheus"],
    "provisioning has a Prometheus and a JSON API data source", str(types))
prov_d = yaml.safe_load(open(g + "/provisioning/dashboards/opspipe.yaml"))
path = prov_d["providers"][0]["options"]["path"]
say(path.endswith("/share/opspipe/grafana/dashboards") and prov_d["providers"][0]["type"] == "file",
    "the dashboard provider reads the installed dashboards directory", path)

def split_custom(q):
    """Grafana's custom variable query: comma-separated, "\\," escapes."""
    return [p.replace("\\,", ",").strip() for p in re.split(r"(?<!\\),", q)]

def expand(value, variables):
    """Every value a templated string takes over the variables' options."""
    m = re.search(r"\$(\w+)|\$\{(\w+)\}", value)
    if not m:
        return [value]
    name = m.group(1) or m.group(2)
    out = []
    for opt in variables[name]:
        out += expand(value[:m.start()] + opt + value[m.end():], variables)
    return out

uids = set()
seen_gpu = set()
for f in sorted(glob.glob(g + "/dashboards/*.json")):
    name = os.path.basename(f)
    d = json.load(open(f))
    say(d.get("uid") and d["uid"] not in uids, name + ": has a unique uid", str(d.get("uid")))
    uids.add(d.get("uid"))
    variables = {}
    for v in d.get("templating", {}).get("list", []):
        opts = [o["value"] for o in v.get("options", [])]
        say(v["type"] == "custom" and split_custom(v["query"]) == opts,
            name + ": variable " + v["name"] + ": options match its query", str(opts))
        say(v["current"]["value"] in opts, name + ": variable " + v["name"] + ": default is an option")
        variables[v["name"]] = opts
    ids = [p["id"] for p in d["panels"]]
    say(len(ids) == len(set(ids)), name + ": panel ids are unique")
    exprs = set()
    ai = 0
    for p in d["panels"]:
        label = name + ": panel " + repr(p["title"])
        refs = [p["datasource"]] if "datasource" in p else []
        refs += [t["datasource"] for t in p.get("targets", []) if "datasource" in t]
        if p["type"] != "alertlist":
            say(bool(refs), label + " names its data source")
        for r in refs:
            say(r.get("uid") in sources and sources[r["uid"]]["type"] == r.get("type"),
                label + ": data source " + str(r.get("uid")) + " is provisioned", json.dumps(r))
        for t in p.get("targets", []):
            if "expr" in t:
                exprs.add(t["expr"])
                seen_gpu.update(re.findall(r"DCGM_FI_DEV_\w+", " ".join(expand(t["expr"], variables))))
    for p in d["panels"]:
        if p.get("datasource", {}).get("type") != "marcusolsson-json-datasource":
            continue
        ai += 1
        label = name + ": AI panel " + repr(p["title"])
        for t in p["targets"]:
            params = dict(t["params"])
            say(t["urlPath"] == "/summary" and t.get("method", "GET") == "GET" and t.get("queryParams", "") == "",
                label + " requests GET /summary", t["urlPath"])
            say(sorted(params) == ["minutes", "query"] and len(t["params"]) == 2,
                label + " sends exactly query and minutes", str(t["params"]))
            say(any(f["jsonPath"] == "$.summary" for f in t["fields"]), label + " reads $.summary")
            say(params.get("query") in exprs, label + " summarises the query a graph shows", params.get("query"))
            for q in expand(params.get("query", ""), variables):
                say(0 < len(q.encode()) <= 4096 and q.strip() != "", label + ": query " + repr(q) + " is valid for /summary")
            for m in expand(params.get("minutes", ""), variables):
                say(m.isdigit() and 1 <= int(m) <= int(os.environ["OPSPIPE_MINUTES_MAX"]), label + ": minutes " + repr(m) + " is valid for /summary")
    say(ai >= 1, name + ": has an AI summary panel")
    say(any(p["type"] == "timeseries" for p in d["panels"]), name + ": has a time series panel")
    if "alertlist" in name or d["uid"] == "opspipe-ai-metrics":
        say(any(p["type"] == "alertlist" for p in d["panels"]), name + ": has the alert list")
want = {"DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE"}
say(want <= seen_gpu, "the GPU dashboard graphs every DCGM metric", str(sorted(want - seen_gpu)))
PY
relay_tap "$T_DIR/checks" "dashboard checker"
done_testing
