# shellcheck shell=sh
# statz agrees with the real Prometheus: for every generated series (±Inf,
# a counter reset, a gap, irregular spacing, a NaN-laced one) and several
# windows and evaluation times, statz on the raw samples of v[W]@T equals
# the server's avg/min/max/stddev/count/last_over_time, quantile_over_time,
# deriv, predict_linear and holt_winters at T, to 1e-9 relative.
# shellcheck source=/dev/null
. "${OPSPIPE_TOP:-.}/test/lib.sh"
need_prometheus
end=$(cat "$OPSPIPE_TEST_PROM/end")

/usr/bin/python3 - "$end" "$T_DIR" <<'PY'
import json, math, os, subprocess, sys, urllib.parse, urllib.request
sys.path.insert(0, os.environ["OPSPIPE_TOP"] + "/test")
from tap import tap, counts  # noqa: E402

url = os.environ["PROMETHEUS_URL"]
end, tmp = float(sys.argv[1]), sys.argv[2]
SEL = ('{__name__=~"opspipe_test_(gauge|requests_total|special|gappy|'
       'irregular|latency_seconds_sum)|up"}')




def query(expr, t):
    u = url + "/api/v1/query?" + urllib.parse.urlencode(
        {"query": expr, "time": "%.3f" % t})
    d = json.load(urllib.request.urlopen(u))
    return d["data"]["result"]


def labels(m):
    return json.dumps({k: v for k, v in m.items() if k != "__name__"},
                      sort_keys=True)


def close(a, b):
    if a is None or b is None:
        return a is b
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def statz(path, *args):
    p = subprocess.run(["statz", *args, path], capture_output=True,
                       text=True)
    if p.returncode != 0:
        tap(False, "statz %s exits 0" % " ".join(args), p.stderr[:300])
    return {labels(r["metric"]): r for r in map(json.loads,
                                                 p.stdout.splitlines())}


FUNCS = [("mean", "avg_over_time(%s)"), ("min", "min_over_time(%s)"),
         ("max", "max_over_time(%s)"), ("stddev", "stddev_over_time(%s)"),
         ("last", "last_over_time(%s)"), ("slope", "deriv(%s)"),
         ("p10", "quantile_over_time(0.1, %s)"),
         ("p50", "quantile_over_time(0.5, %s)"),
         ("p90", "quantile_over_time(0.9, %s)"),
         ("p95", "quantile_over_time(0.95, %s)"),
         ("p99", "quantile_over_time(0.99, %s)"),
         ("p99.9", "quantile_over_time(0.999, %s)")]

# (evaluation time, window, predict_linear horizon): the last hour with the
# spike, two hours ending inside the gap, the gap's edge, the whole 6 h.
cases = [(end, "1h", 600), (end - 1800, "2h", 3600),
         (end - 5400, "45m", 300), (end, "6h", 7200)]
seen_inf = seen_nan = 0
for t, w, horizon in cases:
    sel = SEL + "[" + w + "]"
    raw = query(sel, t)
    path = os.path.join(tmp, "in.jsonl")
    with open(path, "w") as f:
        for r in raw:
            f.write(json.dumps({"metric": r["metric"],
                                "values": r["values"]}) + "\n")
    stats = statz(path, "-p", "10,50,90,95,99,99.9", "--forecast",
                  str(horizon), "--at", "%.3f" % t)
    holt = statz(path, "--forecast", "1m", "--model", "holt", "--sf", "0.3",
                 "--tf", "0.6")
    tap(len(stats) == len(raw) and len(raw) >= 10,
        "%s@%d: one stats record per series (%d)" % (w, t, len(raw)))
    exprs = FUNCS + [("forecast", "predict_linear(%%s, %d)" % horizon),
                     ("level", "holt_winters(%s, 0.3, 0.6)"),
                     ("count", "count_over_time(%s)")]
    for field, expr in exprs:
        bad = []
        checked = 0
        for r in query(expr % sel, t):
            s = stats[labels(r["metric"])]
            want = r["value"][1]
            if field == "count":
                got = s["count"] + s["nan"]
            elif s["nan"] > 0:
                continue        # Prometheus lets NaN through; statz not
            elif field == "forecast":
                got = s["forecast"]["value"]
            elif field == "level":
                got = holt[labels(r["metric"])]["forecast"]["level"]
            else:
                got = s[field]
            checked += 1
            if isinstance(got, str) and "Inf" in got:
                seen_inf += 1
            if not close(got, want):
                bad.append("%s: statz %s, prometheus %s" %
                           (labels(r["metric"]), got, want))
        tap(not bad and checked >= 10,
            "%s[%s]@%d equals %s (%d series)" %
            (field, w, t, expr.split("(")[0], checked), *bad[:5])
    # The NaN-laced series: NaN counted apart, the rest as if NaN were gone.
    for r in raw:
        if r["metric"].get("kind") != "nan":
            continue
        vals = [float(v) for _, v in r["values"]]
        finite = [v for v in vals if not math.isnan(v)]
        s = stats[labels(r["metric"])]
        seen_nan += 1
        tap(s["nan"] == len(vals) - len(finite) and s["nan"] > 0 and
            s["count"] == len(finite) and s["max"] == max(finite) and
            close(s["mean"], math.fsum(finite) / len(finite)),
            "%s@%d: NaN samples counted in nan (%d) and left out" %
            (w, t, s["nan"]), json.dumps(s)[:300])
tap(seen_inf > 0, "±Inf results were compared (%d)" % seen_inf)
tap(seen_nan == len(cases), "the NaN series was checked in every case")
with open(tmp + "/py.count", "w") as f:
    f.write("%d %d\n" % counts())
PY
# lib.sh's counters continue from the script's TAP lines.
# shellcheck disable=SC2034
read -r T_COUNT T_FAILED <"$T_DIR/py.count" || not_ok "the comparison script ran"

# The user's pipeline, promq into statz, equals the server to the last bit.
promq --time "$end" 'opspipe_test_gauge[1h]' |
    statz -p 99 --forecast 30m --at "$end" >"$T_DIR/stats" ||
    not_ok "promq | statz exits 0"
promq --time "$end" 'avg_over_time(opspipe_test_gauge[1h])' \
    'quantile_over_time(0.99, opspipe_test_gauge[1h])' \
    'deriv(opspipe_test_gauge[1h])' \
    'predict_linear(opspipe_test_gauge[1h], 1800)' >"$T_DIR/server" ||
    not_ok "promq functions exit 0"
for pair in mean:avg_over_time p99:quantile_over_time slope:deriv \
    forecast.value:predict_linear; do
	field=${pair%%:*}
	fn=${pair#*:}
	got=$(jq -c "[.metric.instance, .$field]" "$T_DIR/stats" | sort)
	want=$(jq -c --arg fn "$fn" 'select(.query | startswith($fn)) |
	    [.metric.instance, (.value[1] | tonumber)]' "$T_DIR/server" | sort)
	expect_eq "promq | statz: $field equals $fn exactly" "$want" "$got"
done
done_testing
