#!/usr/bin/python3
"""gen.py DIR [END] -- deterministic test data for the harness Prometheus.

Writes DIR/data.om (OpenMetrics text ending in "# EOF", for
`promtool tsdb create-blocks-from openmetrics DIR/data.om DIR/tsdb`),
DIR/samples.jsonl (every raw series as an opspipe series record
{"metric":{...},"values":[[t,v],...]}, values as JSON numbers or the
strings "NaN", "+Inf", "-Inf", sorted by metric name then labels) and
DIR/end (END as Unix seconds).

END defaults to the current time rounded down to 15 s; the data spans
START = END - 6h to END inclusive.  Every value below is a pure function of
the sample index k and END (plus random.Random(SEED) where noted), so two
runs with the same END write the same files.  Timestamps are whole seconds
except in opspipe_test_irregular, which has millisecond timestamps.

Because the data ends when the generator runs, queries "at now" see data
only for Prometheus' 5-minute lookback after that; tests that need exact
values should query at or before DIR/end (`promq --time "$(cat DIR/end)"`).

Series (k counts 15 s steps from START, k = 0..1440, t = START + 15k):

opspipe_test_gauge{job="gauge",instance="a"|"b"|"c"}   every 15 s, 1441 points
    a: 10 + 2*sin(2*pi*k/240) + noise        (a 1 h period around 10)
    b: 50 + 0.01*k + noise                   (a linear trend, +2.4 per hour)
    c: 100 + noise, except one spike of 150 + noise at k = 1200 (END - 1h)
    noise = round(random.Random(SEED + index of instance).gauss(0, 0.2), 3),
    one draw per sample; every value is rounded to 3 decimals.

opspipe_test_requests_total{job="api",code="200"}      counter, every 15 s
    increments of 1 + (k % 5) * 0.5 per step; at k = 720 (END - 3h) it
    resets: value 0 at k = 720, then counts up again from there.

opspipe_test_special{kind="nan"|"inf"|"neginf"}        every 60 s (k % 4 == 0)
    value k/4 + 0.5, except every 10th point (k/4 % 10 == 3), which is NaN,
    +Inf or -Inf respectively.

opspipe_test_gappy{job="gappy"}                        every 15 s
    value 1 + (k % 20) * 0.25, with no samples for START+4h <= t < START+4h30m
    (a 30-minute gap from END - 2h to END - 1h30m).

opspipe_test_irregular{job="irregular"}                irregular spacing
    t0 = START, then t += uniform(5, 40) s (random.Random(SEED + 10), in
    milliseconds) while t <= END; value a random walk rounded to 2 decimals,
    start 100, steps gauss(0, 1).

up{job="node",instance="node-a:9100"}                  always 1, every 15 s
up{job="node",instance="node-b:9100"}                  flapping, every 15 s
    0 when (k // 4) % 10 == 3 (one minute down every ten), else 1.
    These are the only two `up` series: the harness scrapes nothing unless
    start.sh is asked to (OPSPIPE_PROM_SCRAPE=1), so query=up gives 2.

opspipe_test_latency_seconds{job="api"}                classic histogram, 15 s
    buckets le = 0.05, 0.1, 0.25, 0.5, 1, 2.5, +Inf (_bucket), _sum, _count.
    Per step, 10 observations; observation j (0..9) at step k has latency
    0.01 * (1 + ((k * 7 + j * 13) % 200)); cumulative counters from 0 at k=0.

opspipe_test_fine{job="fine"}                          every 1 s, last 4 h
    t = END - 14400 + i, i = 0..14400 (14401 points), value
    200 + round(100 * sin(i / 300), 2): enough for a range query at step 1s
    longer than Prometheus' 11,000 points per series.
"""

import json
import math
import os
import random
import sys

SEED = 20261122
STEP = 15
SPAN = 6 * 3600
FINE_SPAN = 4 * 3600


def fmt_value(v):
    """OpenMetrics spelling of a value."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))


def json_value(v):
    """Our series-record spelling of a value."""
    if math.isnan(v) or math.isinf(v):
        return fmt_value(v)
    return v


def ms_text(ms):
    """Timestamp text that promtool reads back as exactly ms milliseconds.

    Prometheus parses the OpenMetrics timestamp as a float and truncates
    ts*1000 to an integer, so not every decimal text survives; return the
    text and the millisecond value it really becomes."""
    while True:
        if ms % 1000 == 0:
            text = str(ms // 1000)
        else:
            text = "%d.%03d" % (ms // 1000, ms % 1000)
        if int(float(text) * 1000) == ms:
            return text, ms
        ms += 1


class Series:
    def __init__(self, name, labels):
        self.name = name
        self.labels = labels
        self.points = []        # (ms, value)

    def add(self, t_ms, v):
        self.points.append((t_ms, v))

    def label_text(self):
        if not self.labels:
            return ""
        inner = ",".join('%s="%s"' % (k, v)
                         for k, v in sorted(self.labels.items()))
        return "{" + inner + "}"

    def om_lines(self):
        lab = self.label_text()
        for ms, v in self.points:
            text, _ = ms_text(ms)
            yield "%s%s %s %s\n" % (self.name, lab, fmt_value(v), text)

    def record(self):
        metric = {"__name__": self.name}
        metric.update(self.labels)
        values = []
        for ms, v in self.points:
            t = ms // 1000 if ms % 1000 == 0 else round(ms / 1000.0, 3)
            values.append([t, json_value(v)])
        return {"metric": metric, "values": values}


def gauge(start):
    out = []
    for idx, inst in enumerate("abc"):
        rng = random.Random(SEED + idx)
        s = Series("opspipe_test_gauge", {"job": "gauge", "instance": inst})
        for k in range(SPAN // STEP + 1):
            noise = round(rng.gauss(0, 0.2), 3)
            if inst == "a":
                v = 10 + 2 * math.sin(2 * math.pi * k / 240) + noise
            elif inst == "b":
                v = 50 + 0.01 * k + noise
            else:
                v = (150 if k == 1200 else 100) + noise
            s.add((start + STEP * k) * 1000, round(v, 3))
        out.append(s)
    return ("opspipe_test_gauge", "gauge", out)


def counter(start):
    s = Series("opspipe_test_requests_total", {"job": "api", "code": "200"})
    v = 0.0
    for k in range(SPAN // STEP + 1):
        if k == 720:
            v = 0.0
        elif k > 0:
            v += 1 + (k % 5) * 0.5
        s.add((start + STEP * k) * 1000, v)
    return ("opspipe_test_requests", "counter", [s])


def special(start):
    out = []
    for kind, bad in (("nan", math.nan), ("inf", math.inf),
                      ("neginf", -math.inf)):
        s = Series("opspipe_test_special", {"kind": kind})
        for k in range(0, SPAN // STEP + 1, 4):
            n = k // 4
            s.add((start + STEP * k) * 1000, bad if n % 10 == 3 else n + 0.5)
        out.append(s)
    return ("opspipe_test_special", "gauge", out)


def gappy(start):
    s = Series("opspipe_test_gappy", {"job": "gappy"})
    for k in range(SPAN // STEP + 1):
        t = start + STEP * k
        if start + 4 * 3600 <= t < start + 4 * 3600 + 1800:
            continue
        s.add(t * 1000, 1 + (k % 20) * 0.25)
    return ("opspipe_test_gappy", "gauge", [s])


def irregular(start, end):
    rng = random.Random(SEED + 10)
    s = Series("opspipe_test_irregular", {"job": "irregular"})
    ms = start * 1000
    v = 100.0
    while ms <= end * 1000:
        _, ms = ms_text(ms)
        if ms > end * 1000:
            break
        s.add(ms, round(v, 2))
        ms += int(rng.uniform(5, 40) * 1000)
        v += rng.gauss(0, 1)
    return ("opspipe_test_irregular", "gauge", [s])


def up(start):
    a = Series("up", {"job": "node", "instance": "node-a:9100"})
    b = Series("up", {"job": "node", "instance": "node-b:9100"})
    for k in range(SPAN // STEP + 1):
        t = (start + STEP * k) * 1000
        a.add(t, 1.0)
        b.add(t, 0.0 if (k // 4) % 10 == 3 else 1.0)
    return ("up", "gauge", [a, b])


def histogram(start):
    les = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
    name = "opspipe_test_latency_seconds"
    buckets = [Series(name + "_bucket", {"job": "api", "le": le})
               for le in les]
    ssum = Series(name + "_sum", {"job": "api"})
    scount = Series(name + "_count", {"job": "api"})
    counts = [0] * len(les)
    total = 0.0
    n = 0
    for k in range(SPAN // STEP + 1):
        if k > 0:
            for j in range(10):
                lat = 0.01 * (1 + ((k * 7 + j * 13) % 200))
                # Sum in integer hundredths so the text stays exact.
                total += round(lat * 100)
                n += 1
                for i, le in enumerate(les):
                    if le == "+Inf" or lat <= float(le):
                        counts[i] += 1
        t = (start + STEP * k) * 1000
        for i, b in enumerate(buckets):
            b.add(t, float(counts[i]))
        ssum.add(t, total / 100)
        scount.add(t, float(n))
    return (name, "histogram", buckets + [ssum, scount])


def fine(end):
    s = Series("opspipe_test_fine", {"job": "fine"})
    for i in range(FINE_SPAN + 1):
        t = end - FINE_SPAN + i
        s.add(t * 1000, 200 + round(100 * math.sin(i / 300), 2))
    return ("opspipe_test_fine", "gauge", [s])


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: gen.py DIR [END]\n")
        return 2
    outdir = sys.argv[1]
    if len(sys.argv) == 3:
        end = int(sys.argv[2])
    else:
        import time
        end = int(time.time()) // STEP * STEP
    start = end - SPAN
    families = [gauge(start), counter(start), special(start), gappy(start),
                irregular(start, end), up(start), histogram(start),
                fine(end)]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "data.om"), "w") as f:
        for name, typ, series in families:
            f.write("# TYPE %s %s\n" % (name, typ))
            for s in series:
                f.writelines(s.om_lines())
        f.write("# EOF\n")
    records = [s.record() for _, _, ss in families for s in ss]
    records.sort(key=lambda r: json.dumps(r["metric"], sort_keys=True))
    with open(os.path.join(outdir, "samples.jsonl"), "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    with open(os.path.join(outdir, "end"), "w") as f:
        f.write("%d\n" % end)
    return 0


if __name__ == "__main__":
    sys.exit(main())
