#!/usr/bin/python3
"""promq-gen.py DIR -- the benchmark's data: 2,000 series x 1,441 points.

Writes DIR/data.om (OpenMetrics, for promtool's backfill, as
test/prom/start.sh expects) and DIR/end: opspipe_bench{pod="pod-NNNN",
namespace="web",container="app"} every 60 s for the 24 hours ending at the
current time rounded down to a minute, values with three decimals.
"""
import os
import random
import sys
import time

SERIES = 2000
POINTS = 1441
STEP = 60


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    end = int(time.time()) // STEP * STEP
    start = end - STEP * (POINTS - 1)
    rng = random.Random(7)
    with open(os.path.join(out, "data.om"), "w") as f:
        f.write("# TYPE opspipe_bench gauge\n")
        for s in range(SERIES):
            lab = ('opspipe_bench{container="app",namespace="web",'
                   'pod="pod-%04d"} ' % s)
            v = rng.uniform(0, 1000)
            lines = []
            for k in range(POINTS):
                v = abs(v + rng.gauss(0, 5))
                lines.append("%s%.3f %d\n" % (lab, v, start + STEP * k))
            f.writelines(lines)
        f.write("# EOF\n")
    with open(os.path.join(out, "end"), "w") as f:
        f.write("%d\n" % end)


if __name__ == "__main__":
    main()
