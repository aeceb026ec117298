#!/bin/sh
# The drift flow, bin/opspipe-drift: samples from files and from promq
# against the test Prometheus, the textfile-collector metrics and their
# persistent counter (the Pushgateway push: drift-flow-pushgateway.sh),
# --on-drift as argv with the verdict on stdin; and the shipped alerting
# rule (promtool check and unit test) and CronJob manifest.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

PY=/usr/bin/python3
cd "$T_DIR" || exit 2

$PY -c '
import numpy as np
rng = np.random.default_rng(9)
np.save("ref.npy", rng.normal(0, 1, (300, 2)))
np.save("same.npy", rng.normal(0, 1, (200, 2)))
np.save("shift.npy", rng.normal(0, 1, (200, 2)) + [1.0, 0])'

# An --on-drift command that records its argv and stdin.
cat >record.sh <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >"$REC_DIR/argv"
cat >"$REC_DIR/stdin"
EOF
chmod +x record.sh
REC_DIR=$T_DIR
export REC_DIR

# shellcheck disable=SC2016 # the $(...) must reach the command unexpanded
opspipe-drift --ref ref.npy --cur shift.npy --name model-a --textfile m.prom \
    --method ks --on-drift ./record.sh 'a b' '$(touch pwned)' ';' >verdict.json
expect_eq "drift: exit 1" 1 "$?"
expect_eq "the verdict goes to stdout" "true 2" "$(jq -r '"\(.drift) \(.features|length)"' verdict.json)"
expect_eq "--on-drift got its argv word for word" "a b|\$(touch pwned)|;" "$(paste -sd'|' argv)"
ok_if "and no shell ran it" [ ! -e pwned ]
ok_if "--on-drift got the verdict on stdin" cmp -s verdict.json stdin
expect_eq "textfile: detected" 'opspipe_drift_detected{name="model-a"} 1' \
    "$(grep '^opspipe_drift_detected' m.prom)"
expect_eq "textfile: p-value per feature and for the verdict" 3 \
    "$(grep -c '^opspipe_drift_p_value{name="model-a",feature="[a-z0-9]*",method="ks"} [0-9.e-]*$' m.prom)"
want=$(jq -r '.features[0].statistic' verdict.json)
expect_eq "textfile: statistic of feature 0" "opspipe_drift_statistic{name=\"model-a\",feature=\"0\",method=\"ks\"} $want" \
    "$(grep '^opspipe_drift_statistic{name="model-a",feature="0"' m.prom)"
expect_eq "textfile: counter starts at 1" 'opspipe_drift_events_total{name="model-a"} 1' \
    "$(grep '^opspipe_drift_events_total' m.prom)"
expect_eq "no temporary file left next to it" "m.prom" "$(ls m.prom*)"

rm -f argv stdin
opspipe-drift --ref ref.npy --cur same.npy --name model-a --textfile m.prom \
    --on-drift ./record.sh >/dev/null
expect_eq "no drift: exit 0" 0 "$?"
ok_if "no drift: --on-drift not run" [ ! -e argv ]
expect_eq "no drift: detected 0" 'opspipe_drift_detected{name="model-a"} 0' \
    "$(grep '^opspipe_drift_detected' m.prom)"
expect_eq "no drift: the counter keeps its value" 'opspipe_drift_events_total{name="model-a"} 1' \
    "$(grep '^opspipe_drift_events_total' m.prom)"
opspipe-drift --ref ref.npy --name model-a --textfile m.prom <shift.npy >/dev/null
expect_eq "drift again (current on stdin): the counter persists across runs" \
    'opspipe_drift_events_total{name="model-a"} 2' "$(grep '^opspipe_drift_events_total' m.prom)"

# The metrics file is valid exposition text: promtool lints it.
ok_if "promtool check metrics accepts the textfile" sh -c 'promtool check metrics <m.prom'

# mmd and psi verdicts: the multivariate verdict has feature "all";
# psi has no p-value, so no p-value series.
opspipe-drift --ref ref.npy --cur shift.npy --name m2 --state st.prom --method mmd --seed 1 >/dev/null
expect_eq "mmd: one p-value series, feature all" 1 "$(grep -c '^opspipe_drift_p_value{name="m2",feature="all",method="mmd"}' st.prom)"
opspipe-drift --ref ref.npy --cur shift.npy --name m3 --state st3.prom --method psi >/dev/null
expect_eq "psi: no p-value series" 0 "$(grep -c '^opspipe_drift_p_value{' st3.prom)"
expect_eq "psi: statistics for 2 features and the verdict" 3 "$(grep -c '^opspipe_drift_statistic{' st3.prom)"

# Bad input passes driftcheck's status through and writes no metrics.
printf '[1]\n' >tiny.jsonl
opspipe-drift --ref ref.npy --cur tiny.jsonl --textfile bad.prom >/dev/null 2>err
expect_eq "bad input: exit 2" 2 "$?"
ok_if "bad input: no metrics written" [ ! -e bad.prom ]
# One malformed line must not silence a drift alert: the verdict on the
# good rows is exported and the trigger runs; the bad line is reported,
# counted in opspipe_drift_rejected_rows, and decides the status only
# when no drift was found (exit 2: "no drift" on part of the data is no
# clean bill).
$PY -c '
import numpy as np
rng = np.random.default_rng(5)
with open("shift-bad.jsonl", "w") as f:
    for i, v in enumerate(rng.normal(0, 1, (200, 2)) + [1.0, 0]):
        f.write("[1,2,3]\n" if i == 7 else "[%r,%r]\n" % (v[0], v[1]))
with open("same-bad.jsonl", "w") as f:
    for i, v in enumerate(rng.normal(0, 1, (200, 2))):
        f.write("[1,\"N/A\"]\n" if i == 7 else "[%r,%r]\n" % (v[0], v[1]))'
rm -f argv stdin
opspipe-drift --ref ref.npy --cur shift-bad.jsonl --name model-c --textfile c.prom \
    --on-drift ./record.sh >c.json 2>err
expect_eq "drift and a malformed line: exit 1, drift still reported" "1 true 1" \
    "$? $(jq -r '"\(.drift) \(.rejected)"' c.json)"
expect_eq "... the line is reported" "driftcheck: stdin:8: row has 3 fields, expected 2" "$(cat err)"
expect_eq "... the metric says drift" 'opspipe_drift_detected{name="model-c"} 1' \
    "$(grep '^opspipe_drift_detected' c.prom)"
expect_eq "... and counts the rejected row" 'opspipe_drift_rejected_rows{name="model-c"} 1' \
    "$(grep '^opspipe_drift_rejected_rows' c.prom)"
ok_if "... and the trigger ran with the verdict" cmp -s c.json stdin
rm -f argv stdin
opspipe-drift --ref ref.npy --cur same-bad.jsonl --name model-c --textfile c.prom \
    --on-drift ./record.sh >c.json 2>err
expect_eq "no drift and a text cell in a numeric feature: exit 2, with the verdict" "2 false 1" \
    "$? $(jq -r '"\(.drift) \(.rejected)"' c.json)"
expect_match "... the cell is reported by line and field" "^driftcheck: stdin:8: field '1': 'N/A' is not a number$" \
    "$(head -n 1 err)"
expect_eq "... the metrics are written: no drift, 1 rejected row" "0 1" \
    "$(sed -n 's/^opspipe_drift_\(detected\|rejected_rows\){name="model-c"} //p' c.prom | paste -sd' ')"
ok_if "... and no trigger ran" [ ! -e argv ]
expect_eq "a clean run: 0 rejected rows" 'opspipe_drift_rejected_rows{name="model-a"} 0' \
    "$(grep '^opspipe_drift_rejected_rows' m.prom)"
rm -f argv stdin
opspipe-drift --ref ref.npy --cur shift.npy --textfile /dev/full/m.prom --on-drift ./record.sh >/dev/null 2>err
expect_eq "a textfile that cannot be written: exit 4, and the trigger still ran" "4 yes" \
    "$? $([ -s stdin ] && echo yes)"
expect_match "... saying which" "^opspipe-drift: cannot write '/dev/full/m.prom'$" "$(tail -n 1 err)"

expect_status "usage: --ref is required" 2 opspipe-drift --textfile x.prom
expect_status "usage: --on-drift needs a command" 2 opspipe-drift --ref ref.npy --on-drift
expect_status "usage: a bad --name" 2 opspipe-drift --ref ref.npy --name 'a b'
ok_if "shellcheck clean" shellcheck "$OPSPIPE_TOP/bin/opspipe-drift"

# promq queries against the test Prometheus: instance b trends +2.4 per
# hour, so the last hour against the same hour 3 hours earlier drifts.
need_prometheus
opspipe-drift --since 1h --name trend \
    --ref-query 'opspipe_test_gauge{instance="b"} offset 3h' \
    --cur-query 'opspipe_test_gauge{instance="b"}' --state q.prom >q.json
expect_eq "promq queries: a trend drifts" "1 true" "$? $(jq -r .drift q.json)"
expect_match "promq queries: one feature from the series values" '^[0-9]+ [0-9]+ value$' \
    "$(jq -r '"\(.n_ref) \(.n_cur) \(.features[0].name)"' q.json)"
opspipe-drift --since 1h --ref-query 'nonexistent_metric{' --cur q.json >/dev/null 2>err
expect_eq "a query Prometheus rejects (bad_data): exit 2, as promq's" 2 "$?"
expect_eq "and says which query" "opspipe-drift: promq refused the reference query" "$(tail -n 1 err)"

# The alerting rule: promtool lints it, and a unit test proves it fires
# on a drifting run and not without one.
rules=$OPSPIPE_TOP/share/opspipe/prometheus/drift-rules.yml
ok_if "promtool check rules" promtool check rules "$rules"
cat >rules_test.yml <<EOF
rule_files:
  - $rules
evaluation_interval: 1m
tests:
  - interval: 1h
    input_series:
      - series: 'opspipe_drift_events_total{name="model-a"}'
        values: '0 0 1 1 1'
      - series: 'opspipe_drift_last_run_timestamp_seconds{name="model-a"}'
        values: '0 3600 7200 10800 14400'
      - series: 'opspipe_drift_rejected_rows{name="model-a"}'
        values: '0 0 0 3 0'
    alert_rule_test:
      - eval_time: 1h
        alertname: OpsPipeDriftDetected
        exp_alerts: []
      - eval_time: 2h
        alertname: OpsPipeDriftDetected
        exp_alerts:
          - exp_labels: {severity: warning, name: model-a}
            exp_annotations:
              summary: "Input drift detected for model-a"
              description: "opspipe-drift found drift in model-a (1 drifting run(s) in the last 75 minutes). See opspipe_drift_p_value and opspipe_drift_statistic per feature."
      - eval_time: 4h
        alertname: OpsPipeDriftDetected
        exp_alerts: []
      - eval_time: 4h
        alertname: OpsPipeDriftFlowStale
        exp_alerts: []
      - eval_time: 2h
        alertname: OpsPipeDriftBadInput
        exp_alerts: []
      - eval_time: 3h
        alertname: OpsPipeDriftBadInput
        exp_alerts:
          - exp_labels: {severity: warning, name: model-a}
            exp_annotations:
              summary: "The drift flow for model-a left 3 rows out as bad input"
              description: "The last run of opspipe-drift for model-a rejected 3 rows of its samples; the CronJob's log names each line and field."
      - eval_time: 4h
        alertname: OpsPipeDriftBadInput
        exp_alerts: []
EOF
ok_if "promtool test rules: fires on a drifting run only, and on rejected rows" promtool test rules rules_test.yml

# The CronJob manifest: valid YAML, runs the flow with argv, not a shell.
cj=$OPSPIPE_TOP/share/opspipe/k8s/drift-cronjob.yaml
expect_eq "cronjob: PVC and CronJob running opspipe-drift" \
    "PersistentVolumeClaim CronJob opspipe-drift --on-drift" \
    "$($PY -c '
import sys, yaml
d = list(yaml.safe_load_all(open(sys.argv[1])))
c = d[1]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
print(d[0]["kind"], d[1]["kind"], c["command"][0], [a for a in c["args"] if a == "--on-drift"][0])' "$cj")"

done_testing
