#!/bin/sh
# The drift flow's push to a Pushgateway (bin/opspipe-drift --pushgateway),
# against Debian's real prometheus-pushgateway: the group
# job=opspipe_drift/name=NAME holds exactly the metrics the flow wrote,
# a later run replaces the group, groups of other names stay, and a push
# the Pushgateway refuses (an inconsistent type) or cannot take (stopped)
# exits 3, saying so, with the metrics still written locally.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

PY=/usr/bin/python3
cd "$T_DIR" || exit 2
$PY -c '
import numpy as np
rng = np.random.default_rng(9)
np.save("ref.npy", rng.normal(0, 1, (300, 2)))
np.save("same.npy", rng.normal(0, 1, (200, 2)))
np.save("shift.npy", rng.normal(0, 1, (200, 2)) + [1.0, 0])'

# In memory: Debian's default persistence file is the machine's.
pg=127.0.0.1:$(free_port)
prometheus-pushgateway --web.listen-address="$pg" --persistence.file= >pushgateway.log 2>&1 &
pg_pid=$!
stop_pg() { kill "$pg_pid" 2>/dev/null; wait "$pg_pid" 2>/dev/null; }
at_exit stop_pg
wait_http "http://$pg/-/ready" 30 ||
	{ not_ok "the Pushgateway started" "$(tail -n 5 pushgateway.log)"; done_testing; exit 1; }

# norm: exposition lines "metric{labels} value" (others skipped) with
# the labels sorted, job and instance left out, and the value as a float.
norm() {
	$PY -c '
import re, sys
out = []
for line in sys.stdin:
    m = re.match(r"^(\w+)\{(.*)\} (\S+)$", line.strip())
    if m:
        labels = sorted(kv for kv in re.findall(r"(\w+)=\"((?:[^\"\\]|\\.)*)\"", m.group(2))
                        if kv[0] not in ("job", "instance"))
        out.append("%s{%s} %r" % (m.group(1), ",".join("%s=\"%s\"" % kv for kv in labels), float(m.group(3))))
print("\n".join(sorted(out)))'
}
# group NAME: the metrics the Pushgateway holds for job=opspipe_drift,
# name=NAME, from its exposition (without the Pushgateway's own push_*).
group() {
	curl -fs "http://$pg/metrics" | grep '^opspipe_drift_' | grep "job=\"opspipe_drift\"" |
		grep "[{,]name=\"$1\"" | norm
}

# The Pushgateway refuses metrics inconsistent with what it holds: the
# same name pushed elsewhere as another type.
printf '# TYPE opspipe_drift_detected counter\nopspipe_drift_detected{name="x"} 1\n' |
	curl -fs -X PUT --data-binary @- "http://$pg/metrics/job/other" >/dev/null ||
	not_ok "a counter named opspipe_drift_detected pushed first"
opspipe-drift --ref ref.npy --cur shift.npy --name model-d --state d.prom \
    --pushgateway "http://$pg" >/dev/null 2>err
expect_eq "a push the Pushgateway refuses (400): exit 3" 3 "$?"
expect_eq "... saying so" "opspipe-drift: push to the Pushgateway failed" "$(tail -n 1 err)"
ok_if "... the metrics still written locally" grep -q '^opspipe_drift_detected{name="model-d"} 1$' d.prom
expect_eq "... and nothing of model-d in the Pushgateway" "" "$(group model-d)"
expect_eq "... which the Pushgateway records as a failed push of the group" false \
    "$(curl -fs "http://$pg/api/v1/metrics" | jq '.data[] | select(.labels.name == "model-d") | .last_push_successful')"
curl -fs -X DELETE "http://$pg/metrics/job/other" >/dev/null
curl -fs -X DELETE "http://$pg/metrics/job/opspipe_drift/name/model-d" >/dev/null
expect_eq "(the Pushgateway is empty again)" "" "$(curl -fs "http://$pg/api/v1/metrics" | jq -c '.data[]')"

opspipe-drift --ref ref.npy --cur shift.npy --name model-b --state b.prom \
    --pushgateway "http://$pg/" >verdict.json
expect_eq "drift with --pushgateway: exit 1" 1 "$?"
expect_eq "the Pushgateway holds the group job=opspipe_drift, name=model-b" \
    '{"job":"opspipe_drift","name":"model-b"}' \
    "$(curl -fs "http://$pg/api/v1/metrics" | jq -c '.data[].labels')"
group model-b >pushed
norm <b.prom >written
expect_eq "... with every metric the flow wrote, value for value" "$(cat written)" "$(cat pushed)"
expect_eq "... drift detected, counted once" 'opspipe_drift_detected{name="model-b"} 1.0|opspipe_drift_events_total{name="model-b"} 1.0' \
    "$(grep -E '^opspipe_drift_(detected|events_total)\{' pushed | paste -sd'|')"
expect_match "... and typed as the flow typed them" 'opspipe_drift_events_total counter' \
    "$(curl -fs "http://$pg/metrics" | grep '^# TYPE opspipe_drift_events_total')"

opspipe-drift --ref ref.npy --cur same.npy --name model-b --state b.prom \
    --pushgateway "http://$pg" >/dev/null
expect_eq "a run without drift: exit 0" 0 "$?"
expect_eq "... replaces the group: not detected, the counter kept" \
    'opspipe_drift_detected{name="model-b"} 0.0|opspipe_drift_events_total{name="model-b"} 1.0' \
    "$(group model-b | grep -E '^opspipe_drift_(detected|events_total)\{' | paste -sd'|')"
expect_eq "... exactly the new metrics" "$(norm <b.prom)" "$(group model-b)"

opspipe-drift --ref ref.npy --cur shift.npy --name model-c --state c.prom \
    --pushgateway "http://$pg" >/dev/null
expect_eq "another name is a group of its own, the first one stays" \
    '{"job":"opspipe_drift","name":"model-b"}|{"job":"opspipe_drift","name":"model-c"}' \
    "$(curl -fs "http://$pg/api/v1/metrics" | jq -c '.data[].labels' | sort | paste -sd'|')"

stop_pg
opspipe-drift --ref ref.npy --cur same.npy --name model-b --state b.prom \
    --pushgateway "http://$pg" >/dev/null 2>err
expect_eq "the Pushgateway stopped: exit 3" 3 "$?"
expect_eq "... saying so" "opspipe-drift: push to the Pushgateway failed" "$(tail -n 1 err)"
done_testing
