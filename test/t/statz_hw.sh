# shellcheck shell=sh
# statz --model holt-winters against an independent reference: statsmodels'
# ExponentialSmoothing (Debian's python3-statsmodels) on a generated
# seasonal series, with fixed parameters (equal to 1e-9) and fitted ones
# (statz's one-step-ahead SSE, computed by statsmodels, no worse than what
# scipy's L-BFGS-B finds minimising that same statsmodels SSE); and the
# linear model's prediction interval against numpy and scipy.
# shellcheck source=/dev/null
. "${OPSPIPE_TOP:-.}/test/lib.sh"

/usr/bin/python3 - "$T_DIR" <<'PY'
import os, json, math, random, subprocess, sys
sys.path.insert(0, os.environ["OPSPIPE_TOP"] + "/test")
from tap import tap, counts  # noqa: E402
import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.exponential_smoothing.initialization import (
    _initialization_simple)

tmp = sys.argv[1]




def close(a, b, rel=1e-9):
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


rng = random.Random(7)
m, n, step, t0 = 24, 24 * 6, 60, 1795300000


def truth(k):
    return 50 + 0.05 * k + 8 * math.sin(2 * math.pi * k / m) + \
        3 * ((k % m) == 5)


y = [round(truth(k) + rng.gauss(0, 0.5), 3) for k in range(n)]
path = tmp + "/hw.jsonl"
with open(path, "w") as f:
    f.write(json.dumps({"metric": {"job": "hw"}, "values":
                        [[t0 + step * k, v] for k, v in enumerate(y)]}) + "\n")
arr = np.array(y)
l0, b0, s0 = _initialization_simple(arr, trend="add", seasonal="add",
                                    seasonal_periods=m)


def model():
    return ExponentialSmoothing(arr, trend="add", seasonal="add",
                                seasonal_periods=m,
                                initialization_method="known",
                                initial_level=l0, initial_trend=b0,
                                initial_seasonal=s0)


def sse(a, b, g):
    return model().fit(smoothing_level=a, smoothing_trend=b,
                       smoothing_seasonal=g, optimized=False).sse


def statz(*args):
    p = subprocess.run(["statz", "--forecast", "%ds" % (h * step),
                        "--model", "holt-winters", "--season", "%dm" % m,
                        *args, path], capture_output=True, text=True)
    if p.returncode != 0:
        tap(False, "statz exits 0", p.stderr)
        return None
    return json.loads(p.stdout)["forecast"]


for (a, b, g, h) in [(0.3, 0.1, 0.2, 7), (0.8, 0.05, 0.5, 1),
                     (0.1, 0.3, 0.05, 50)]:
    fc = statz("--alpha", str(a), "--beta", str(b), "--gamma", str(g))
    res = model().fit(smoothing_level=a, smoothing_trend=b,
                      smoothing_seasonal=g, optimized=False)
    want = res.forecast(h)[-1]
    name = "alpha %g beta %g gamma %g, %d steps" % (a, b, g, h)
    tap(fc and close(fc["value"], want), name + ": forecast equals "
        "statsmodels", fc, want)
    tap(fc and close(fc["level"], res.level[-1]) and
        close(fc["trend"] * step, res.trend[-1]),
        name + ": level and trend equal statsmodels'", fc,
        (res.level[-1], res.trend[-1]))
    tap(fc and fc["steps"] == h and fc["period"] == m and
        fc["at"] == t0 + step * (n - 1 + h), name + ": steps, period, at",
        fc)
    tap(fc and fc["lower"] < fc["value"] < fc["upper"],
        name + ": the interval surrounds the forecast", fc)

# Fitted parameters: statz minimises statsmodels' SSE at least as well as
# scipy does. (statsmodels' own fit re-estimates the initial state, so its
# optimum answers a different question.)
h = 7
fc = statz()
ours = sse(fc["alpha"], fc["beta"], fc["gamma"])
theirs = min(minimize(lambda x: sse(*x), x0, method="L-BFGS-B",
                      bounds=[(0, 1)] * 3).fun
             for x0 in [(0.2, 0.1, 0.1), (0.5, 0.5, 0.5), (0.1, 0.01, 0.3),
                        (0.8, 0.2, 0.1)])
tap(ours <= theirs * (1 + 1e-6),
    "fitted parameters: SSE %.6g no worse than scipy's %.6g" %
    (ours, theirs), fc)
tap(abs(fc["value"] - truth(n - 1 + h)) < 1.5 and
    fc["lower"] < truth(n - 1 + h) < fc["upper"],
    "fitted forecast lands on the true continuation (%.3f vs %.3f)" %
    (fc["value"], truth(n - 1 + h)), fc)

# The linear model's interval, computed independently: numpy's least
# squares and scipy's normal quantile, x in seconds from the anchor.
ts = np.array([t0 + step * k for k in range(n)], dtype=float)
anchor, horizon = ts[-1] - 600, 3600
p = subprocess.run(["statz", "--forecast", "1h", "--at", "%d" % anchor,
                    "--level", "0.9", path], capture_output=True, text=True)
fc = json.loads(p.stdout)["forecast"]
x = ts - anchor
A = np.vstack([x, np.ones(n)]).T
(slope, icpt), res, _, _ = np.linalg.lstsq(A, arr, rcond=None)
s2 = res[0] / (n - 2)
se = math.sqrt(s2 * (1 + 1 / n + (horizon - x.mean()) ** 2 /
                     ((x - x.mean()) ** 2).sum()))
z = norm.ppf(0.95)
want = slope * horizon + icpt
tap(close(fc["value"], want, 1e-9) and close(fc["slope"], slope, 1e-9),
    "linear: value and slope equal numpy's least squares", fc, want)
tap(close(fc["lower"], want - z * se, 1e-9) and
    close(fc["upper"], want + z * se, 1e-9) and fc["interval"] == 0.9,
    "linear: the 90%% interval is value ± z·s·sqrt(1 + 1/n + "
    "(x − x̄)²/Sxx)", fc, (want - z * se, want + z * se))

# Fewer than two seasons: said clearly, record still written, exit 2.
with open(tmp + "/short.jsonl", "w") as f:
    f.write(json.dumps({"values": [[t0 + step * k, y[k]]
                                   for k in range(m + 5)]}) + "\n")
p = subprocess.run(["statz", "--forecast", "1m", "--model", "holt-winters",
                    "--season", "%dm" % m, tmp + "/short.jsonl"],
                   capture_output=True, text=True)
tap(p.returncode == 2, "too short for holt-winters: exit 2", p.returncode)
tap("needs at least two seasons (48 samples), the series has 29" in
    p.stderr and p.stderr.startswith("statz: "), "and says why", p.stderr)
rec = json.loads(p.stdout or "{}")
tap(rec.get("forecast", 0) is None and rec.get("count") == m + 5,
    "the stats record is still written, with forecast null", p.stdout)
print("1..%d" % counts()[0])
PY
