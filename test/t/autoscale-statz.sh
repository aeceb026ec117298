# shellcheck shell=sh
# The statz pieces the autoscale flow and bench/autoscale share: --peak
# (Holt-Winters' path and interval against statsmodels; Holt's and the
# line's ends), --fallback, the --every backtest (each anchor's record is
# the one-anchor run's, byte for byte, on the same window; --refit), and
# --per-pod's scale decisions (need, stabilisation at the window's edge,
# --max-step, --min/--max, earlier decisions on input, chained current
# replicas, pass-through, bad lines, usage errors).
# shellcheck source=/dev/null
. "${OPSPIPE_TOP:-.}/test/lib.sh"

/usr/bin/python3 - "$T_DIR" <<'PY'
import json, math, os, random, subprocess, sys
sys.path.insert(0, os.environ["OPSPIPE_TOP"] + "/test")
from tap import tap, counts  # noqa: E402
import numpy as np
from scipy.stats import norm
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.exponential_smoothing.initialization import (
    _initialization_simple)

tmp = sys.argv[1]


def close(a, b, rel=1e-9):
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def run(args, stdin="", files=()):
    p = subprocess.run(["statz"] + args + list(files), input=stdin,
                       capture_output=True, text=True)
    return p.returncode, [json.loads(x) for x in p.stdout.splitlines()], p.stderr


def write(name, values, **extra):
    path = os.path.join(tmp, name)
    rec = dict(extra)
    rec["values"] = values
    with open(path, "w") as f:
        f.write(json.dumps(rec) + "\n")
    return path


rng = random.Random(11)
m, n, step, t0 = 24, 24 * 6, 60, 1795300000
y = [round(50 + 0.05 * k + 8 * math.sin(2 * math.pi * k / m) +
           rng.gauss(0, 0.5), 3) for k in range(n)]
series = [[t0 + step * k, v] for k, v in enumerate(y)]
hw = write("hw.jsonl", series, metric={"job": "hw"})

# --- --peak: Holt-Winters' largest value and upper bound within the horizon
a, b, g, h, level = 0.3, 0.1, 0.2, 30, 0.9
arr = np.array(y)
l0, b0, s0 = _initialization_simple(arr, trend="add", seasonal="add",
                                    seasonal_periods=m)
res = ExponentialSmoothing(arr, trend="add", seasonal="add", seasonal_periods=m,
                           initialization_method="known", initial_level=l0,
                           initial_trend=b0, initial_seasonal=s0).fit(
    smoothing_level=a, smoothing_trend=b, smoothing_seasonal=g, optimized=False)
path = res.forecast(h)
sigma2 = res.sse / n
z = norm.ppf((1 + level) / 2)
var, uppers = 1.0, []
for j in range(1, h + 1):
    uppers.append(path[j - 1] + z * math.sqrt(var * sigma2))
    c = a * (1 + j * b) + (g if j % m == 0 else 0)
    var += c * c
hwargs = ["--forecast", "%dm" % h, "--model", "holt-winters", "--season",
          "%dm" % m, "--alpha", str(a), "--beta", str(b), "--gamma", str(g),
          "--level", str(level)]
rc, out, err = run(hwargs + ["--peak"], files=[hw])
fc = out[0]["forecast"] if out else {}
tap(rc == 0 and close(fc.get("peak", 0), max(path)),
    "holt-winters --peak: the largest of statsmodels' 30-step path", fc, max(path))
tap(close(fc.get("peak_upper", 0), max(uppers)),
    "… and the largest upper bound, ETS(A,A,A)'s variance step by step", fc, max(uppers))
tap(fc.get("horizon") == h * step, "… over the horizon, in seconds", fc)
rc, plain, err = run(hwargs, files=[hw])
tap(plain and {k: v for k, v in fc.items() if k not in ("peak", "peak_upper", "horizon")}
    == plain[0]["forecast"], "… and --peak changes nothing else", plain)

# Holt: a falling trend peaks at the first step, and its bound is the last.
down = write("down.jsonl", [[t0 + step * k, 100 - 0.5 * k + rng.gauss(0, 0.3)]
                            for k in range(60)])
rc, out, err = run(["--forecast", "10m", "--model", "holt", "--sf", "0.5",
                    "--tf", "0.3", "--peak"], files=[down])
fc = out[0]["forecast"]
first = fc["level"] + fc["trend"] * step
tap(close(fc["peak"], first), "holt --peak on a falling trend: the first step",
    fc, first)
tap(fc["peak_upper"] >= fc["upper"] - 1e-9 and fc["peak"] > fc["value"],
    "… above the end of the horizon", fc)
# A line: the ends of the horizon.
rc, out, err = run(["--forecast", "10m", "--peak"], files=[down])
fc = out[0]["forecast"]
icpt = fc["value"] - fc["slope"] * 600
tap(close(fc["peak"], icpt + fc["slope"] * step),
    "linear --peak on a falling line: the value one step on", fc)

# --- --fallback ------------------------------------------------------------------
short = write("short.jsonl", series[:m + 5])
rc, out, err = run(["--forecast", "10m", "--model", "holt-winters", "--season",
                    "%dm" % m, "--fallback"], files=[short])
fc = out[0]["forecast"]
rc2, holt, err2 = run(["--forecast", "10m", "--model", "holt"], files=[short])
tap(rc == 0 and err == "", "--fallback: too short for holt-winters is not an error", rc, err)
tap(fc["model"] == "holt" and {k: v for k, v in fc.items() if k != "fallback"}
    == holt[0]["forecast"], "… the record is holt's, as --model holt gives it", fc)
tap(fc["fallback"] == "holt-winters needs at least two seasons (48 samples), "
    "the series has 29", "… and says why", fc)
two = write("two.jsonl", series[:2])
rc, out, err = run(["--forecast", "10m", "--model", "holt-winters", "--season",
                    "%dm" % m, "--fallback"], files=[two])
fc = out[0]["forecast"]
tap(rc == 0 and fc["model"] == "linear" and "fitting holt needs at least 3 "
    "samples" in fc["fallback"], "two samples: down to linear, each refusal said", fc)
rc, out, err = run(["--forecast", "10m", "--model", "holt-winters", "--season",
                    "%dm" % m], files=[short])
tap(rc == 2 and out[0]["forecast"] is None, "without --fallback: still exit 2, forecast null", rc)

# --- --every: a backtest is the one-anchor runs, byte for byte ---------------------
def one_shot(args, anchor, history):
    lo = anchor - history if history else -1e18
    window = [s for s in series if lo <= s[0] <= anchor]
    p = write("win.jsonl", window, metric={"job": "hw"})
    p2 = subprocess.run(["statz"] + args + ["--at", str(anchor), p],
                        capture_output=True, text=True)
    return p2.stdout


start = t0 + step * (2 * m + 10)
for label, extra, hist in (("fixed parameters, --history", ["--history", "%ds" % (3 * m * step)], 3 * m * step),
                           ("fixed parameters, all history", [], 0)):
    p = subprocess.run(["statz"] + hwargs + ["--peak", "--every", "5m", "--at", str(start)]
                       + extra + [hw], capture_output=True, text=True)
    lines = p.stdout.splitlines(keepends=True)
    anchors = list(range(start, series[-1][0] + 1, 300))
    same = [lines[i] == one_shot(hwargs + ["--peak"], a, hist)
            for i, a in enumerate(anchors)]
    tap(p.returncode == 0 and len(lines) == len(anchors) and all(same),
        "--every 5m, %s: %d records, each the --at run's on the same window"
        % (label, len(anchors)), p.stderr, same.count(False))
free = ["--forecast", "30m", "--model", "holt-winters", "--season", "%dm" % m]
p = subprocess.run(["statz"] + free + ["--every", "10m", "--at", str(start),
                                       "--refit", "30m", hw], capture_output=True, text=True)
recs = [json.loads(x) for x in p.stdout.splitlines()]
anchors = list(range(start, series[-1][0] + 1, 600))
keys = ("alpha", "beta", "gamma")
fits = [one_shot(free, a, 0) for a in anchors]
refits = [i for i, a in enumerate(anchors) if (a - start) % 1800 == 0]
tap(all(p.stdout.splitlines(keepends=True)[i] == fits[i] for i in refits),
    "--refit 30m: at each refit the record is the fitted one-anchor run's", refits)
tap(all([recs[i]["forecast"][k] for k in keys] ==
        [recs[i - i % 3]["forecast"][k] for k in keys] for i in range(len(recs))),
    "… in between, the parameters of the last fit")
p = subprocess.run(["statz"] + free + ["--every", "1m", "--at", str(series[-1][0] + 60), hw],
                   capture_output=True, text=True)
tap(p.returncode == 2 and "--at is after the last sample" in p.stderr and p.stdout == "",
    "--every with --at after the data: exit 2, said", p.stderr)

# --- --per-pod ------------------------------------------------------------------------
T = 1795300000


def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def frec(t, load, upper, peak=None, **extra):
    r = {"query": "load", "target": "deployment/web", "count": 10, "mean": 1,
         "p50": 1, "last": load, "end": t,
         "forecast": {"model": "holt-winters", "at": t + 600, "value": upper * 0.9,
                      "lower": 0, "upper": upper * 0.95, "interval": 0.9,
                      "horizon": 600, "peak": peak if peak is not None else upper * 0.9,
                      "peak_upper": upper}}
    r.update(extra)
    return json.dumps(r)


def decide(args, lines):
    return run(["--per-pod", "50"] + args, "\n".join(lines) + "\n")


rc, out, err = decide(["--current", "3"], [frec(T, 100, 540)])
d = out[0] if out else {}
tap(rc == 0 and [d.get(k) for k in ("need", "desired", "current", "applied")] == [11, 11, 3, False],
    "need = ceil(max(load, peak_upper) / per-pod): 540 / 50 → 11", d)
tap(d.get("time") == iso(T) and d.get("load") == 100 and d.get("per_pod") == 50,
    "… at the forecast's anchor, with the load and the capacity", d)
tap(d.get("query") == "load" and d.get("target") == "deployment/web" and
    not {"count", "mean", "p50", "last", "end"} & set(d),
    "… other fields pass through, the statistics do not", d)
tap(set(d.get("forecast", {})) == {"model", "at", "value", "lower", "upper", "horizon", "peak", "peak_upper"},
    "… the forecast's numbers that matter", d)
tap(d.get("reason") == "load 100 now, forecast up to 540 within 10m (upper bound, holt-winters): "
    "11 replicas of 50; scale up from 3 to 11", "… and the reason in words", d.get("reason"))
rc, out, err = decide(["--current", "3"], [frec(T, 400, 300)])
tap(out[0]["need"] == 8, "the load now counts too, and 400 / 50 is 8, not 9", out[0])
rc, out, err = decide(["--current", "3"], [frec(T, 100, 540, forecast=None)])
tap(rc == 0 and out[0]["need"] == 2 and out[0]["forecast"] is None and
    out[0]["time"] == iso(T) and "no forecast" in out[0]["reason"],
    "no forecast: the load alone, at the record's end", out[0])

rc, out, err = decide(["--current", "3", "--max-step", "4"],
                      [frec(T, 100, 540), frec(T + 60, 100, 540)])
tap([x["desired"] for x in out] == [7, 11] and [x["current"] for x in out] == [3, 7],
    "--max-step 4: 3 → 7, then 7 → 11 (each decision taken as applied)", out)
tap("at most 4 more a decision" in out[0]["reason"], "… said", out[0]["reason"])
rc, out, err = decide(["--current", "3", "--max-replicas", "9", "--min-replicas", "2"],
                      [frec(T, 100, 540), frec(T + 60, 10, 20)])
tap([x["desired"] for x in out] == [9, 9],
    "--max-replicas 9 caps; a lower need then waits for the window", out)
rc, out, err = decide(["--current", "3", "--min-replicas", "4", "--stabilize", "0"],
                      [frec(T, 10, 20)])
tap(out[0]["desired"] == 4 and "raised to the minimum of 4" in out[0]["reason"],
    "--min-replicas 4 raises a need of 1", out[0])

# Stabilisation: the window's start is in it (the HPA's cutoff), then it is not.
lines = [frec(T, 100, 500), frec(T + 60, 100, 200), frec(T + 300, 100, 200),
         frec(T + 301, 100, 200)]
rc, out, err = decide(["--current", "10"], lines)
tap([x["desired"] for x in out] == [10, 10, 10, 4],
    "--stabilize 5m: 10, then needs of 4 held at 10 through t+300 s, 4 at t+301 s",
    [x["desired"] for x in out])
tap("keep 10, as a decision within the last 5m needed 10" in out[1]["reason"] and
    "scale down from 10 to 4" in out[3]["reason"], "… said", out[1]["reason"])

# Earlier decisions on input (the flow's state) hold a scale-down, and give
# the current replicas when --current is not given.
state = json.dumps({"time": iso(T - 120), "need": 9, "desired": 9, "applied": True})
rc, out, err = decide([], [state, frec(T, 100, 100)])
tap(rc == 0 and out[0]["current"] == 9 and out[0]["desired"] == 9 and out[0]["need"] == 2,
    "a state decision 2 minutes old holds 9 and is the current count", out)
old = json.dumps({"time": iso(T - 600), "need": 9, "desired": 9})
rc, out, err = decide(["--current", "9"], [old, frec(T, 100, 100)])
tap(out[0]["desired"] == 2, "one 10 minutes old does not", out)
later = json.dumps({"time": iso(T + 60), "need": 9, "desired": 9})
rc, out, err = decide(["--current", "3"], [later, frec(T, 100, 100)])
tap(out[0]["desired"] == 2, "nor one after the decision's time (a replay with --at)", out)

rc, out, err = decide([], [frec(T, 100, 540)])
tap(rc == 2 and out == [] and "stdin:1: no --current and no decision before this record" in err,
    "no --current and nothing before: a bad line, said", err)
nopeak = json.loads(frec(T, 100, 540))
del nopeak["forecast"]["peak"]
rc, out, err = decide(["--current", "3"], [json.dumps(nopeak), "[1]", '{"a":1}', frec(T + 60, 100, 540)])
tap(rc == 2 and len(out) == 1 and "stdin:1: field 'forecast' has no 'peak'" in err and
    "statz --forecast D --peak" in err and "stdin:2: not a JSON object" in err and
    "stdin:3: neither a forecast record nor a decision record" in err,
    "bad lines are named and skipped, the rest decided, exit 2", err)

for args, why in ((["--min-replicas", "2"], "need --per-pod"),
                  (["--per-pod", "50", "--forecast", "10m"], "--per-pod reads forecast records"),
                  (["--per-pod", "50", "--min-replicas", "5", "--max-replicas", "4"], "--min-replicas 5 is more than"),
                  (["--forecast", "1m", "--history", "1h"], "--history and --refit need --every"),
                  (["--peak"], "--peak, --fallback and --every need --forecast"),
                  (["--forecast", "1m", "--every", "0"], "invalid --every '0'"),
                  (["--per-pod", "0"], "invalid --per-pod '0'")):
    rc, out, err = run(args)
    tap(rc == 2 and why in err, "usage: statz %s" % " ".join(args), err)
print("1..%d" % counts()[0])
PY
