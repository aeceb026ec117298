#!/usr/bin/python3
"""bench/autoscale.py OUTDIR -- the replay simulator behind bench/autoscale.

Three generated traces of a web service's load, one sample a minute: two
weeks of history (the forecaster's) and the evaluated week after them.

  seasonal  a daily shape (a quiet night, a morning rush within about 40
            minutes, lunch, an evening peak) on weekdays, a lower and later
            one at weekends, with correlated noise (AR(1) plus white, about
            3.5%); 2,000 requests/s at a weekday's peak, 240 at night
  flash     the same, plus an unannounced flash crowd: on the evaluated
            Wednesday at 14:00 the load goes up by 150% in two minutes,
            stays 40 minutes and fades over 20
  growth    the seasonal load growing 3% a day, steadily

Pods are ready 90 s after they are asked for and carry PER_POD each; a
scale-down removes starting pods first, then ready ones, at once. Each
policy runs on the same trace, on 15-second ticks, between MIN_REPLICAS
and MAX_REPLICAS:

  hpa-U%    the Kubernetes HorizontalPodAutoscaler's algorithm on a Pods
            metric (requests per second per pod, AverageValue target =
            U% of PER_POD), as kubernetes.io documents it and
            pkg/controller/podautoscaler implements it: 15 s sync; the
            metric is the last minute's load spread over the ready pods;
            starting pods have no metric yet and count as 0 on a scale-up,
            as the target on a scale-down, and may not reverse the
            direction; 0.1 tolerance; the autoscaling/v2 default
            behaviour: no scale-up stabilisation, a 300 s scale-down window
            (the most any recommendation in it wanted), scale-up limited to
            the larger of +100% and +4 pods per 15 s, scale-down unlimited.
            U = 70 is the comparison; 50, 80 and 90 show the trade
            between headroom and lag that a reactive autoscaler makes.
  opspipe-L the autoscale flow's own code, run as the flow runs it: statz
            --forecast 10m --model holt-winters --fallback --peak --level L,
            then statz --per-pod with --stabilize 5m, one decision a minute
            (the CronJob). Two differences, both said in the README: the
            season is a week (--season 1w --history 14d: a daily season
            cannot know Saturday from Friday), and the forecasts are a
            backtest (statz --every 1m) whose parameters are fitted again
            every hour (--refit 1h) instead of every minute. L = 0.9 is
            the flow's default; 0.99 buys more headroom.
  oracle    knows the future: at every tick it asks for the pods the next
            90 s will need (so they are ready in time) and no more.

Prints the table and the targets; writes OUTDIR/results.json (every
figure) and OUTDIR/day.dat (the seasonal trace's evaluated Wednesday, for
gnuplot). Needs bin/statz.
"""

import json
import math
import os
import subprocess
import sys
import time

import numpy as np

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATZ = os.path.join(TOP, "bin", "statz")
MIN = 60
TICK = 15
READY = 90
DAY = 86400
PER_POD = 100.0
MIN_REPLICAS = 2
MAX_REPLICAS = 40
SEASON, HISTORY = "1w", "14d"  # statz --season, --history (see main())
WARM = 14 * DAY // MIN          # minutes of history before the evaluation
EVAL = 7 * DAY // MIN           # minutes evaluated
EXTRA = 30                      # minutes after it, for look-ahead and MAPE
T0 = 1795305600                 # Monday 2026-11-23 00:00 UTC
HPA_UTILS = (0.5, 0.7, 0.8, 0.9)  # 0.7 is the comparison; the others show
HPA_MAIN = 0.7                     # the trade between headroom and lag
LEVELS = ("0.9", "0.99")        # statz --level: the flow's default, and more
PEAK = 2000.0                   # requests per second at a weekday's peak


def logistic(x, mid, width):
    return 1 / (1 + np.exp(-(x - mid) / width))


def bump(x, mid, width):
    return np.exp(-0.5 * ((x - mid) / width) ** 2)


def shape(t):
    """The load, as a fraction of PEAK, at Unix times t (array). Days run
    from 04:00 to 04:00, the night's trough, so that weekdays and weekends
    meet where the load is the same."""
    day = (t - 4 * 3600 - T0) // DAY            # 0: Monday 04:00 on
    weekend = day % 7 >= 5
    h = ((t - 4 * 3600) % DAY) / 3600.0 + 4     # 4 .. 28
    h = h - np.where(weekend, 2.0, 0.0)          # weekends start later
    daytime = (0.58 * (logistic(h, 8.0, 0.15) - logistic(h, 23.0, 0.6))
               + 0.08 * bump(h, 12.5, 0.6) + 0.32 * bump(h, 20.5, 1.3))
    return 0.12 + np.where(weekend, 0.6, 1.0) * daytime


def traces():
    n = WARM + EVAL + EXTRA
    t = T0 - WARM * MIN + MIN * np.arange(n)          # sample times
    mid = t - MIN / 2                                 # each minute's middle
    rng = np.random.default_rng(20261202)
    ar = np.zeros(n)
    e = rng.normal(0, 0.025, n)
    for i in range(1, n):                             # AR(1), phi 0.6
        ar[i] = 0.6 * ar[i - 1] + e[i]
    noise = 1 + ar + rng.normal(0, 0.015, n)
    seasonal = PEAK * shape(mid) * noise
    flash = seasonal.copy()
    start = T0 + 2 * DAY + 14 * 3600                  # Wednesday 14:00
    d = (mid - start) / 60.0                          # minutes into it
    crowd = np.where(d < 0, 0, np.where(d < 2, d / 2, np.where(
        d < 42, 1, np.where(d < 62, (62 - d) / 20, 0))))
    flash *= 1 + 1.5 * crowd
    growth = seasonal * (1 + 0.03 * (mid - t[0]) / DAY)
    return t, {"seasonal": seasonal, "flash": flash, "growth": growth}


def need(load):
    return max(MIN_REPLICAS, math.ceil(load / PER_POD - 1e-9))


class Pods:
    """A workload's pods: when each is (or will be) ready."""

    def __init__(self, n, now):
        self.ready_at = [now - READY] * n

    def spec(self):
        return len(self.ready_at)

    def ready(self, now):
        return sum(1 for r in self.ready_at if r <= now)

    def scale(self, n, now):
        if n > len(self.ready_at):
            self.ready_at += [now + READY] * (n - len(self.ready_at))
        elif n < len(self.ready_at):
            self.ready_at.sort()            # starting pods go first
            del self.ready_at[n:]


class HPA:
    """The HorizontalPodAutoscaler controller for one HPA, autoscaling/v2
    defaults, a Pods metric with an AverageValue target."""

    TOLERANCE = 0.1
    DOWN_WINDOW = 300

    def __init__(self, util):
        self.target = util * PER_POD
        self.recommendations = []       # (time, replicas)
        self.up_events = []             # (time, replicas added)
        self.down_events = []

    def metric_replicas(self, current, ready, load):
        """replica_calculator's calcPlainMetricReplicas."""
        missing = current - ready
        if ready == 0:
            return current              # no metrics: no decision
        ratio = load / ready / self.target
        if missing == 0:
            if abs(1 - ratio) <= self.TOLERANCE:
                return current
            return math.ceil(ratio * ready)
        # missing metrics: the target on a scale-down, 0 on a scale-up
        total = load + (missing * self.target if ratio < 1 else 0)
        new_ratio = total / current / self.target
        if abs(1 - new_ratio) <= self.TOLERANCE or \
                (ratio < 1 < new_ratio) or (ratio > 1 > new_ratio):
            return current
        n = math.ceil(new_ratio * current)
        if (new_ratio < 1 and n > current) or (new_ratio > 1 and n < current):
            return current
        return n

    def changed_within(self, events, now, period):
        return sum(c for t, c in events if t > now - period)

    def step(self, now, current, ready, load):
        if current > MAX_REPLICAS:
            desired = MAX_REPLICAS
        elif current < MIN_REPLICAS:
            desired = MIN_REPLICAS
        else:
            desired = self.metric_replicas(current, ready, load)
            desired = self.normalize(now, current, desired)
        if desired > current:
            self.up_events.append((now, desired - current))
        elif desired < current:
            self.down_events.append((now, current - desired))
        return desired

    def normalize(self, now, current, desired):
        """normalizeDesiredReplicasWithBehaviors: stabilisation, then the
        rate of the default policies, then min and max."""
        down = desired
        for t, r in self.recommendations:
            if t > now - self.DOWN_WINDOW:
                down = max(down, r)
        rec = max(current, desired)      # scale-up window 0: up = desired
        rec = min(rec, down)
        self.recommendations = [(t, r) for t, r in self.recommendations
                                if t > now - self.DOWN_WINDOW]
        self.recommendations.append((now, desired))
        if rec > current:
            start = current - self.changed_within(self.up_events, now, 15) + \
                self.changed_within(self.down_events, now, 15)
            limit = max(start + 4, math.ceil(start * 2.0))
            limit = max(limit, current)
            return min(rec, min(MAX_REPLICAS, limit))
        if rec < current:
            return max(rec, MIN_REPLICAS)
        return rec


def statz(args, stdin_path):
    with open(stdin_path) as f:
        p = subprocess.run([STATZ] + args, stdin=f, capture_output=True,
                           text=True)
    if p.returncode != 0:
        sys.exit("bench/autoscale: statz %s failed: %s" % (" ".join(args),
                                                          p.stderr[-2000:]))
    return [json.loads(line) for line in p.stdout.splitlines()]


def backtest(path, first, args):
    """statz's forecasts from every minute of the evaluated week."""
    return statz(["--model", "holt-winters", "--season", SEASON,
                  "--fallback", "--every", "1m", "--at", str(first),
                  "--history", HISTORY, "--refit", "1h", "-p", "50"] + args,
                 path)


def mape(records, index, load):
    """Mean absolute percentage error of the forecasts' values."""
    errs = []
    for r in records[:EVAL]:
        i = index.get(int(round(r["forecast"]["at"])))
        if i is not None and load[i] > 0:
            errs.append(abs(load[i] - r["forecast"]["value"]) / load[i])
    return 100 * float(np.mean(errs))


def opspipe(outdir, t, loads):
    """The flow's statz calls on every trace: forecasts 5 and 10 minutes
    ahead, and the decisions at each --level. Returns {trace: {"mape5",
    "mape10", "models", LEVEL: desired replicas by minute}}."""
    path = os.path.join(outdir, "traces.jsonl")
    with open(path, "w") as f:
        for name, load in loads.items():
            f.write(json.dumps({"query": "load", "trace": name, "values": [
                [int(a), round(float(b), 3)] for a, b in zip(t, load)]}) + "\n")
    first = int(t[WARM])
    index = {int(a): i for i, a in enumerate(t)}
    fc5 = backtest(path, first, ["--forecast", "5m"])
    out = {}
    for name, load in loads.items():
        out[name] = {"mape5": mape([r for r in fc5 if r["trace"] == name],
                                   index, load)}
    for level in LEVELS:
        fc10 = backtest(path, first, ["--forecast", "10m", "--peak",
                                      "--level", level])
        for name, load in loads.items():
            recs = [r for r in fc10 if r["trace"] == name][:EVAL]
            out[name]["mape10"] = mape(recs, index, load)
            out[name]["models"] = sorted({r["forecast"]["model"]
                                          for r in recs})
            rpath = os.path.join(outdir, "forecasts-%s-%s.jsonl" % (name,
                                                                    level))
            with open(rpath, "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in recs)
            dec = statz(["--per-pod", str(PER_POD), "--min-replicas",
                         str(MIN_REPLICAS), "--max-replicas",
                         str(MAX_REPLICAS), "--stabilize", "5m", "--current",
                         str(need(load[WARM]))], rpath)
            out[name][level] = [d["desired"] for d in dec]
    return out


def simulate(load, policy, hpa=None, desired_by_minute=None):
    """Runs one policy over the evaluated week; returns per-tick spec and
    ready replicas."""
    n_ticks = EVAL * MIN // TICK
    per = MIN // TICK
    q = np.repeat(load, per)                  # load per quarter-minute
    # Sample k covers the minute (t_k - 60, t_k]; the interval after tick
    # i, (T0 + 15i, T0 + 15i + 15], is a quarter of sample WARM + 1.
    base = per * (WARM + 1)
    pods = Pods(need(load[WARM]), T0)
    spec = np.zeros(n_ticks, int)
    ready = np.zeros(n_ticks, int)
    for i in range(n_ticks):
        now = T0 + i * TICK
        cur = pods.spec()
        if policy == "hpa":
            # the metric: the last minute's load (a rate over 1m)
            d = hpa.step(now, cur, pods.ready(now),
                         float(np.mean(q[base + i - per:base + i])))
        elif policy == "opspipe":
            d = desired_by_minute[i // per] if i % per == 0 else cur
        else:
            # the oracle: what the intervals up to READY from now need
            d = max(need(x) for x in q[base + i:base + i + READY // TICK + 1])
        if d != cur:
            pods.scale(d, now)
        spec[i] = pods.spec()
        ready[i] = pods.ready(now)
    return q[base:base + n_ticks], spec, ready


def measure(qload, spec, ready):
    cap = ready * PER_POD
    under = qload > cap + 1e-9
    short = np.where(under, qload - cap, 0)
    needs = np.array([need(x) for x in qload])
    over = np.maximum(spec - needs, 0)
    lags = []
    run = 0
    for u in under:
        if u:
            run += 1
        elif run:
            lags.append(run * TICK)
            run = 0
    if run:
        lags.append(run * TICK)
    actions = int(np.count_nonzero(np.diff(spec)))
    return {
        "under_minutes": float(under.sum()) * TICK / MIN,
        "unserved_pct": 100 * float(short.sum() / qload.sum()),
        "worst_short_pods": float(short.max() / PER_POD),
        "over_pod_minutes": float(over.sum()) * TICK / MIN,
        "pod_hours": float(spec.sum()) * TICK / 3600,
        "episodes": len(lags),
        "lag_mean_s": float(np.mean(lags)) if lags else 0.0,
        "lag_max_s": float(max(lags)) if lags else 0.0,
        "actions": actions,
    }


def report(results, seconds):
    """The table, and the seasonal trace against the targets."""
    cols = ("under min", "unserved", "worst short", "over pod-min",
            "pod-hours", "lag mean/max (n)", "actions", "MAPE 5m/10m")
    print("%-9s %-13s" % ("trace", "policy") +
          "".join(" %14s" % c for c in cols))
    for name, res in results.items():
        for label, m in res.items():
            mape = "%.1f%%/%.1f%%" % (m["mape5"], m["mape10"]) \
                if "mape5" in m else "-"
            print("%-9s %-13s" % (name, label) + "".join(" %14s" % c for c in (
                "%.2f" % m["under_minutes"], "%.3f%%" % m["unserved_pct"],
                "%.2f pods" % m["worst_short_pods"],
                "%.0f" % m["over_pod_minutes"], "%.0f" % m["pod_hours"],
                "%.0f/%.0f s (%d)" % (m["lag_mean_s"], m["lag_max_s"],
                                      m["episodes"]),
                "%d" % m["actions"], mape)))
    print()
    hpa = results["seasonal"]["hpa-%d%%" % round(HPA_MAIN * 100)]
    for lv in LEVELS:
        o = results["seasonal"]["opspipe-%s" % lv]
        cut = 100 * (1 - o["over_pod_minutes"] / hpa["over_pod_minutes"])
        print("seasonal, opspipe --level %s against the HPA at %d%%:" % (
            lv, round(HPA_MAIN * 100)))
        for what, ok in (
                ("scale-up lag at most half the HPA's: %.0f s vs %.0f s" % (
                    o["lag_mean_s"], hpa["lag_mean_s"]),
                 o["lag_mean_s"] <= hpa["lag_mean_s"] / 2),
                ("over-provisioning at least 20%% below: %.0f vs %.0f "
                 "pod-minutes, %.0f%% below" % (o["over_pod_minutes"],
                                                hpa["over_pod_minutes"], cut),
                 cut >= 20),
                ("no more under-provisioned minutes: %.2f vs %.2f" % (
                    o["under_minutes"], hpa["under_minutes"]),
                 o["under_minutes"] <= hpa["under_minutes"]),
                ("5-minute MAPE under 10%%: %.1f%%" % o["mape5"],
                 o["mape5"] < 10)):
            print("  %-6s %s" % ("met" if ok else "MISSED", what))
    print("\n%.0f s on %d CPUs" % (seconds, os.cpu_count()))


def main():
    began = time.time()
    outdir = sys.argv[1]
    t, loads = traces()
    ops = opspipe(outdir, t, loads)
    results = {}
    day = {}
    for name, load in loads.items():
        res = {}
        runs = [("hpa-%d%%" % round(u * 100), "hpa", {"hpa": HPA(u)})
                for u in HPA_UTILS]
        runs += [("opspipe-%s" % lv, "opspipe",
                  {"desired_by_minute": ops[name][lv]}) for lv in LEVELS]
        runs += [("oracle", "oracle", {})]
        for label, policy, kw in runs:
            ql, spec, ready = simulate(load, policy, **kw)
            res[label] = measure(ql, spec, ready)
            if name == "seasonal":
                day["load"] = ql
                day[label] = ready
        for lv in LEVELS:
            res["opspipe-%s" % lv].update(mape5=ops[name]["mape5"],
                                          mape10=ops[name]["mape10"],
                                          models=ops[name]["models"])
        results[name] = res
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    report(results, time.time() - began)
    # The evaluated Wednesday of the seasonal trace, for the plot.
    cols = ["hpa-%d%%" % round(HPA_MAIN * 100), "opspipe-%s" % LEVELS[0],
            "oracle"]
    wed = 2 * DAY // TICK
    with open(os.path.join(outdir, "day.dat"), "w") as f:
        f.write("# hour load " + " ".join(cols) + " (ready capacity)\n")
        for i in range(wed, wed + DAY // TICK):
            f.write("%.4f %.1f %s\n" % ((i - wed) * TICK / 3600.0,
                                        day["load"][i], " ".join(
                "%d" % (day[c][i] * PER_POD) for c in cols)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
