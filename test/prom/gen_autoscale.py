#!/usr/bin/python3
"""gen_autoscale.py DIR [END] -- the autoscale flow's load history, for its
own Prometheus: `sh test/prom/start.sh DIR test/prom/gen_autoscale.py`.

Writes DIR/data.om (OpenMetrics for promtool's backfill), DIR/end (END,
Unix seconds) and DIR/ramp (R = END - 2h, the last day's ramp start). END
defaults to now rounded down to the minute. Samples every 60 s; every
value is a pure function of t, END and random.Random(SEED).

opspipe_autoscale_test_load{job="web"}     8 days, t = END - 8d .. END
    300 + 100 * sin(2 pi (t - END) / 1d)       a daily wave, 200 to 400
    + ramp(t)                                  the daily rush, below
    + noise, gauss(0, 5) rounded to 2 decimals
  ramp: with d = (t - R) mod 1d, the seconds since the day's ramp began:
    d < 10m: 600 * d / 10m (up), d < 1h: 600 (the plateau),
    d < 1h10m: 600 * (1h10m - d) / 10m (down), else 0.
  So every day at R's time of day the load climbs by 600 in ten minutes;
  a forecast with a daily season sees the last day's ramp coming.

opspipe_autoscale_test_young{job="web"}    the same values, last 12 h only:
    too little history for a daily season (Holt-Winters needs two).
"""

import math
import os
import random
import sys

SEED = 20261202
STEP = 60
DAY = 86400
SPAN = 8 * DAY
YOUNG = 12 * 3600


def ramp(t, r):
    d = (t - r) % DAY
    if d < 600:
        return 600.0 * d / 600
    if d < 3600:
        return 600.0
    if d < 4200:
        return 600.0 * (4200 - d) / 600
    return 0.0


def load(t, end, rng):
    wave = 300 + 100 * math.sin(2 * math.pi * (t - end) / DAY)
    return round(wave + ramp(t, end - 7200) + rng.gauss(0, 5), 2)


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: gen_autoscale.py DIR [END]\n")
        return 2
    outdir = sys.argv[1]
    if len(sys.argv) == 3:
        end = int(sys.argv[2])
    else:
        import time
        end = int(time.time()) // STEP * STEP
    rng = random.Random(SEED)
    points = [(t, load(t, end, rng)) for t in range(end - SPAN, end + 1, STEP)]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "data.om"), "w") as f:
        for name, since in (("opspipe_autoscale_test_load", end - SPAN),
                            ("opspipe_autoscale_test_young", end - YOUNG)):
            f.write("# TYPE %s gauge\n" % name)
            f.writelines('%s{job="web"} %r %d\n' % (name, v, t)
                         for t, v in points if t >= since)
        f.write("# EOF\n")
    with open(os.path.join(outdir, "end"), "w") as f:
        f.write("%d\n" % end)
    with open(os.path.join(outdir, "ramp"), "w") as f:
        f.write("%d\n" % (end - 7200))
    return 0


if __name__ == "__main__":
    sys.exit(main())
