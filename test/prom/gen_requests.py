#!/usr/bin/python3
"""gen_requests.py DIR [END] -- the autoscale flow's load history as the
counter a web server exports, for the man pages' examples
(test/t/man-examples.sh): `sh test/prom/start.sh DIR test/prom/gen_requests.py`.

http_requests_total{job="web"}, 8 days to END, a sample every 60 s,
counts the requests whose rate is gen_autoscale.py's load: so
`sum(rate(http_requests_total{job="web"}[2m]))` is that load (its daily
wave and its daily ramp of +600 at R's time of day), as the examples of
opspipe-autoscale(1) query it. Writes DIR/data.om, DIR/end and DIR/ramp
as gen_autoscale.py does.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_autoscale as g  # noqa: E402


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: gen_requests.py DIR [END]\n")
        return 2
    rc = g.main()  # DIR/end, DIR/ramp, and the same END
    if rc:
        return rc
    outdir = sys.argv[1]
    with open(os.path.join(outdir, "end")) as f:
        end = int(f.read())
    rng = random.Random(g.SEED)
    total = 0.0
    with open(os.path.join(outdir, "data.om"), "w") as f:
        f.write("# TYPE http_requests_total counter\n")
        for t in range(end - g.SPAN, end + 1, g.STEP):
            # The requests of the minute before t, at the load's rate.
            total += max(g.load(t, end, rng), 0.0) * g.STEP
            f.write('http_requests_total{job="web"} %d %d\n' % (round(total), t))
        f.write("# EOF\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
