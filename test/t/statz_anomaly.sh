# shellcheck shell=sh
# statz --anomalies on data with planted anomalies: every planted point is
# found and nothing else is, for each method, over the whole series and
# rolling (--window), where a slow wave hides the spikes from a global view.
# shellcheck source=/dev/null
. "${OPSPIPE_TOP:-.}/test/lib.sh"

/usr/bin/python3 - "$T_DIR" <<'PY'
import os, json, math, random, subprocess, sys
sys.path.insert(0, os.environ["OPSPIPE_TOP"] + "/test")
from tap import tap, counts  # noqa: E402

tmp = sys.argv[1]




def run(path, *args):
    p = subprocess.run(["statz", *args, path], capture_output=True,
                       text=True)
    if p.returncode != 0:
        tap(False, "statz %s exits 0" % " ".join(args), p.stderr)
        return {}
    return json.loads(p.stdout)


t0, step = 1795300000, 15
rng = random.Random(3)
# Flat noise, bounded (uniform ±1), with spikes up and down.
planted = {50: 12.0, 333: -9.0, 610: 15.0, 977: -11.0}
flat = [round(rng.uniform(-1, 1), 4) for _ in range(1000)]
for k, v in planted.items():
    flat[k] = v
flat[400] = "NaN"       # left out, never an anomaly
path = tmp + "/flat.jsonl"
with open(path, "w") as f:
    f.write(json.dumps({"values": [[t0 + step * k, v]
                                   for k, v in enumerate(flat)]}) + "\n")
want = sorted(t0 + step * k for k in planted)
for method in ("zscore", "mad", "iqr"):
    r = run(path, "--anomalies", method)
    got = [a[0] for a in r.get("anomalies", [])]
    tap(got == want and r.get("anomaly_count") == len(want),
        "%s: the %d planted anomalies and nothing else" %
        (method, len(want)), got)
    signs = [math.copysign(1, a[2]) for a in r.get("anomalies", [])]
    tap(signs == [math.copysign(1, planted[(t - t0) // step])
                  for t in want] and
        all(a[1] == planted[(a[0] - t0) // step] for a in r["anomalies"]),
        "%s: [t, v, score] with the score's sign the direction" % method,
        r.get("anomalies"))
r = run(path, "--anomalies", "zscore", "--threshold", "100")
tap(r.get("anomaly_count") == 0, "--threshold 100: none")

# A slow rise (0 to 11) with small spikes (+6): mostly invisible to a
# whole-series view, plain in a rolling window of 60 samples.
planted = [150, 420, 700, 1111, 1500]
wave = []
for k in range(1800):
    v = 60 * math.sin(2 * math.pi * k / 60000) + rng.uniform(-0.5, 0.5)
    if k in planted:
        v += 6
    wave.append(round(v, 4))
path = tmp + "/wave.jsonl"
with open(path, "w") as f:
    f.write(json.dumps({"values": [[t0 + step * k, v]
                                   for k, v in enumerate(wave)]}) + "\n")
want = [t0 + step * k for k in planted]
r = run(path, "--anomalies", "zscore")
tap(r.get("anomaly_count", 9) < len(planted) - 2,
    "rise: the whole-series z-score misses most spikes",
    r.get("anomalies"))
for method in ("zscore", "mad", "iqr"):
    r = run(path, "--anomalies", method, "--window", "60")
    got = [a[0] for a in r.get("anomalies", [])]
    tap(got == want, "rise, --window 60, %s: all planted found, none "
        "invented" % method, got)
# The first N samples have no window to be judged against.
r = run(path, "--anomalies", "mad", "--window", "2000")
tap(r.get("anomaly_count") == 0 and r.get("anomalies") == [],
    "a window longer than the series judges nothing")
# A constant series with one step: MAD 0 falls back to the mean absolute
# deviation, a zero spread still flags the odd one out.
path = tmp + "/const.jsonl"
with open(path, "w") as f:
    f.write(json.dumps({"values": [[t0 + k, 5 if k != 30 else 6]
                                   for k in range(60)]}) + "\n")
for method in ("zscore", "mad", "iqr"):
    r = run(path, "--anomalies", method)
    tap([a[0] for a in r.get("anomalies", [])] == [t0 + 30],
        "constant with one odd sample, %s: exactly that one" % method,
        r.get("anomalies"))
print("1..%d" % counts()[0])
PY
