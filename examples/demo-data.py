#!/usr/bin/python3
"""demo-data.py DIR -- three hours of a small cluster's metrics for `make demo`.

Writes DIR/data.om (OpenMetrics text ending in "# EOF") for
`promtool tsdb create-blocks-from openmetrics`, the interface of
test/prom/start.sh's generators:  sh test/prom/start.sh DIR examples/demo-data.py

Every 15 s up to now, with a few stories in it for the summaries to find:

  up{job="node"}                  three nodes, always up
  up{job="api"}                   api-0 and api-1 up; api-2 flapping for the
                                  last 40 minutes (down 30 s of every 3 min)
  node_load1                      daily-ish waves; node-3 climbing for an hour
  node_memory_MemAvailable_bytes  per node
  container_cpu_usage_seconds_total    counters per pod (namespace shop);
                                  recommendation-* doubling its CPU lately
  container_memory_working_set_bytes   per pod; cart-* leaking ~2 MiB/min
  http_requests_total             api by code; a burst of 500s 20 minutes ago
  http_request_duration_seconds   classic histogram; slow during the burst
  DCGM_FI_DEV_*                   two GPUs (NVIDIA A10) on gpu-node-1: GPU 1
                                  heating up under a training job
"""

import math
import os
import random
import sys
import time

STEP = 15
SPAN = 3 * 3600
rng = random.Random(20261122)


def fmt(v):
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))


def label_text(labels):
    return "{" + ",".join('%s="%s"' % kv for kv in sorted(labels.items())) + "}"


class Family:
    def __init__(self, name, typ):
        self.name, self.typ, self.lines = name, typ, []

    def series(self, sample_name, labels, points):
        lab = label_text(labels)
        for t, v in points:
            self.lines.append("%s%s %s %d\n" % (sample_name, lab, fmt(v), t))


def steps(start):
    return [(k, start + STEP * k) for k in range(SPAN // STEP + 1)]


def minutes_ago(t, end):
    return (end - t) / 60.0


def up(start, end):
    f = Family("up", "gauge")
    for i in range(1, 4):
        f.series("up", {"job": "node", "instance": "node-%d:9100" % i},
                 [(t, 1) for _, t in steps(start)])
    for i in range(3):
        pts = []
        for k, t in steps(start):
            down = i == 2 and minutes_ago(t, end) <= 40 and (k % 12) in (5, 6)
            pts.append((t, 0 if down else 1))
        f.series("up", {"job": "api", "instance": "api-%d:8080" % i}, pts)
    return f


def node(start, end):
    load = Family("node_load1", "gauge")
    mem = Family("node_memory_MemAvailable_bytes", "gauge")
    for i in range(1, 4):
        lp, mp = [], []
        for k, t in steps(start):
            v = 1.5 + i * 0.4 + 0.6 * math.sin(2 * math.pi * k / 480 + i) + rng.gauss(0, 0.08)
            ago = minutes_ago(t, end)
            if i == 3 and ago < 60:
                v += (60 - ago) / 60 * 4.5
            lp.append((t, round(max(v, 0.05), 2)))
            mp.append((t, int((6 + i) * 2**30 - 300 * 2**20 * math.sin(k / 90.0) + rng.gauss(0, 2**24))))
        inst = {"instance": "node-%d:9100" % i, "job": "node"}
        load.series("node_load1", inst, lp)
        mem.series("node_memory_MemAvailable_bytes", inst, mp)
    return [load, mem]


PODS = [("checkout-7d9f8-x2k4q", 0.35), ("cart-5c6b7-m9d2t", 0.2),
        ("recommendation-6f4d9-q8w1z", 0.5), ("frontend-84b6c-7hj3s", 0.25)]


def pods(start, end):
    cpu = Family("container_cpu_usage_seconds", "counter")
    mem = Family("container_memory_working_set_bytes", "gauge")
    for pod, base in PODS:
        total, cp, mp = 0.0, [], []
        for k, t in steps(start):
            ago = minutes_ago(t, end)
            rate = base * (1 + 0.15 * math.sin(k / 40.0)) + rng.gauss(0, 0.02)
            if pod.startswith("recommendation") and ago < 45:
                rate *= 2.0
            total += max(rate, 0) * STEP
            cp.append((t, round(total, 3)))
            m = 180 * 2**20 + 20 * 2**20 * math.sin(k / 60.0) + rng.gauss(0, 2**20)
            if pod.startswith("cart"):
                m += 2 * 2**20 * (k * STEP / 60.0)
            mp.append((t, int(m)))
        lab = {"namespace": "shop", "pod": pod, "container": pod.split("-")[0]}
        cpu.series("container_cpu_usage_seconds_total", lab, cp)
        mem.series("container_memory_working_set_bytes", lab, mp)
    return [cpu, mem]


LES = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, math.inf]


def http(start, end):
    req = Family("http_requests", "counter")
    hist = Family("http_request_duration_seconds", "histogram")
    totals = {"200": 0.0, "404": 0.0, "500": 0.0}
    series = {c: [] for c in totals}
    buckets = [0] * len(LES)
    hsum, hcount = 0.0, 0
    bpts, spts, cpts = [[] for _ in LES], [], []
    for k, t in steps(start):
        ago = minutes_ago(t, end)
        burst = 15 <= ago <= 20
        rps = 120 + 40 * math.sin(2 * math.pi * k / 480) + rng.gauss(0, 4)
        if k > 0:
            totals["200"] += int(rps * STEP * (0.9 if burst else 0.985))
            totals["404"] += int(rps * STEP * 0.01)
            totals["500"] += int(rps * STEP * (0.09 if burst else 0.005))
            for _ in range(50):
                lat = rng.lognormvariate(math.log(0.6 if burst else 0.08), 0.5)
                hsum += lat
                hcount += 1
                for i, le in enumerate(LES):
                    if lat <= le:
                        buckets[i] += 1
        for c in totals:
            series[c].append((t, totals[c]))
        for i in range(len(LES)):
            bpts[i].append((t, buckets[i]))
        spts.append((t, round(hsum, 3)))
        cpts.append((t, hcount))
    for c in totals:
        req.series("http_requests_total", {"job": "api", "code": c, "method": "GET"}, series[c])
    for i, le in enumerate(LES):
        hist.series("http_request_duration_seconds_bucket",
                    {"job": "api", "le": "+Inf" if math.isinf(le) else repr(le)}, bpts[i])
    hist.series("http_request_duration_seconds_sum", {"job": "api"}, spts)
    hist.series("http_request_duration_seconds_count", {"job": "api"}, cpts)
    return [req, hist]


def gpus(start, end):
    fams = {n: Family(n, "gauge") for n in (
        "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE")}
    for g in range(2):
        pts = {n: [] for n in fams}
        for k, t in steps(start):
            ago = minutes_ago(t, end)
            training = g == 1 and ago < 70
            util = (35 + 10 * math.sin(k / 30.0) if g == 0 else (97 if training else 20)) + rng.gauss(0, 2)
            util = min(max(util, 0), 100)
            temp = 45 + util * 0.25 + (min(70 - ago, 70) / 70 * 18 if training else 0) + rng.gauss(0, 0.5)
            used = 9000 + (12000 if training else 0) + int(rng.gauss(0, 50))
            pts["DCGM_FI_DEV_GPU_UTIL"].append((t, round(util)))
            pts["DCGM_FI_DEV_GPU_TEMP"].append((t, round(temp)))
            pts["DCGM_FI_DEV_POWER_USAGE"].append((t, round(60 + util * 0.85 + rng.gauss(0, 1.5), 3)))
            pts["DCGM_FI_DEV_FB_USED"].append((t, used))
            pts["DCGM_FI_DEV_FB_FREE"].append((t, 23028 - used))
        lab = {"gpu": str(g), "UUID": "GPU-6a1f%04d-demo" % g, "device": "nvidia%d" % g,
               "modelName": "NVIDIA A10", "Hostname": "gpu-node-1"}
        for n, f in fams.items():
            f.series(n, lab, pts[n])
    return list(fams.values())


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: demo-data.py DIR\n")
        return 2
    end = int(time.time()) // STEP * STEP
    start = end - SPAN
    families = [up(start, end)] + node(start, end) + pods(start, end) + http(start, end) + gpus(start, end)
    os.makedirs(sys.argv[1], exist_ok=True)
    with open(os.path.join(sys.argv[1], "data.om"), "w") as f:
        for fam in families:
            f.write("# TYPE %s %s\n" % (fam.name, fam.typ))
            f.writelines(fam.lines)
        f.write("# EOF\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
