#!/bin/sh
# bin/opspipe-check against a real monitoring stack on loopback
# (test/monitoring/stack.sh): Debian's prometheus scraping a real
# node-exporter, a real Alertmanager and itself, with the shipped
# configuration and rules; the exporters fixture standing in for the DCGM
# exporter, cAdvisor, kube-state-metrics and Grafana. The measurements are
# real; the test sets its own baselines for what this small stack can
# meet, and shows the stack plan's defaults failing on it. Then each part
# is broken in turn — a slow or failing Grafana, a missing token, a pod
# without metrics, the GPU exporter failing, a rule that cannot evaluate,
# Alertmanager gone, node-exporter stopped, Prometheus unreachable — and
# the check that should fail does, naming what broke.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
# shellcheck source=test/monitoring/stack.sh
. "$OPSPIPE_TOP/test/monitoring/stack.sh"
unset GRAFANA_URL
stack_start
control() { curl -fs -X POST -d "$1" "$FX_URL/_control" >/dev/null; }
cd "$T_DIR" || exit 2

# wait_for PROMQL: until the instant query has a result (15 s).
wait_for() {
	i=0
	until [ -n "$(promq "$1" 2>/dev/null)" ]; do
		i=$((i + 1))
		[ "$i" -lt 150 ] || { not_ok "waited for $1"; return 1; }
		sleep 0.1
	done
}
# rec CHECK [JQ]: JQ (default: the whole record) of CHECK's record in
# out, raw.
rec() { jq -r --arg c "$1" "select(.check == \$c) | ${2:-.}" out; }
# is VALUE JQ: whether JQ is true of VALUE (JSON).
is() { jq -en --argjson v "$1" "\$v | $2" >/dev/null; }

# What this stack can meet: about a thousand samples/s, not 10,000 (over
# 15 s: rate() divides by its whole window, and this Prometheus is
# seconds old); every job it runs; and for times, bounds far off (tests
# assert no timings).
cat >small.jsonl <<'EOF'
# the test stack on loopback

{"check":"ingestion_rate","min":100,"query":"sum(rate(prometheus_tsdb_head_samples_appended_total{job=\"prometheus\"}[15s]))"}
{"check":"prometheus_memory","max":1073741824}
{"check":"jobs_present","jobs":["prometheus","node-exporter","cadvisor","kube-state-metrics","alertmanager"]}
{"check":"query_latency","max":60000}
{"check":"grafana_dashboards","max":60000}
EOF
# Every target scraped a few times within the rate's window.
wait_for 'sum(rate(prometheus_tsdb_head_samples_appended_total{job="prometheus"}[15s])) > 100'
# A 1-hour range query steps every 14 s from an hour ago: its last point
# may be 14 s old, older than this Prometheus' second node-exporter scrape.
i=0
until [ -n "$(promq --since 1h 'sum by (instance) (rate(node_cpu_seconds_total[5m]))' 2>/dev/null)" ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || { not_ok "waited for a 1h range query's rate"; break; }
	sleep 0.1
done

opspipe-check --baselines small.jsonl --grafana "$FX_URL" --textfile "$T_DIR/textfile/check.prom" >out 2>err
expect_eq "a healthy stack: exit 0" 0 "$?"
expect_eq "one record per check, in order" \
    "prometheus targets_up jobs_present metrics_cpu metrics_memory metrics_disk metrics_network metrics_containers metrics_gpu metrics_fresh prometheus_memory ingestion_rate query_latency rules alertmanager grafana_health grafana_dashboards" \
    "$(jq -r .check out | paste -sd' ')"
expect_eq "every one passes" "" "$(jq -c 'select(.ok != true)' out)"
expect_eq "records have check, ok, value, threshold, detail" "check ok value threshold detail" \
    "$(jq -r 'keys_unsorted | join(" ")' out | sort -u)"
expect_eq "nothing on stderr" "" "$(cat err)"
expect_eq "targets_up: all six targets up" '0 all 6 targets up' "$(rec targets_up '"\(.value) \(.detail)"')"
expect_match "jobs_present: GPU nodes exist, so the DCGM exporter's job is expected" \
    '^0 every expected job has targets: prometheus, node-exporter, cadvisor, kube-state-metrics, alertmanager, dcgm-exporter$' \
    "$(rec jobs_present '"\(.value) \(.detail)"')"
expect_eq "metrics_cpu: from the node-exporter" "node_cpu_seconds_total from every node-exporter target" \
    "$(rec metrics_cpu .detail )"
expect_eq "metrics_containers: cAdvisor's metrics, relabelled by the shipped config, cover every running pod" \
    "CPU and memory metrics for all 3 running pods" "$(rec metrics_containers .detail )"
expect_eq "metrics_gpu: both GPUs of the GPU node" \
    "DCGM_FI_DEV_GPU_TEMP and _GPU_UTIL from all 1 GPU nodes (2 GPUs)" "$(rec metrics_gpu .detail )"
expect_match "metrics_fresh: four families, seconds old" \
    '^newest samples: node_cpu_seconds_total [0-9]+ s ago, container_cpu_usage_seconds_total [0-9]+ s ago, kube_pod_status_phase [0-9]+ s ago, DCGM_FI_DEV_GPU_TEMP [0-9]+ s ago$' \
    "$(rec metrics_fresh .detail )"
mem=$(rec prometheus_memory .value)
ok_if "prometheus_memory: measured, between 20 MB and the 1 GiB baseline ($mem bytes)" \
    is "$mem" '. > 20000000 and . <= 1073741824'
rate=$(rec ingestion_rate .value)
ok_if "ingestion_rate: measured, a real rate above 100/s ($rate samples/s)" is "$rate" '. > 100'
expect_match "query_latency: a 1-hour range query's wall time, from promq --stats" \
    '^[0-9]+ a 1h range query took [0-9]+ ms \([0-9]+ series\): sum by \(instance\) \(rate\(node_cpu_seconds_total\[5m\]\)\)$' \
    "$(rec query_latency '"\(.value) \(.detail)"')"
expect_match "rules: the shipped rules are loaded and evaluate" '^0 [0-9]+ rules in 3 groups, all evaluating$' \
    "$(rec rules '"\(.value) \(.detail)"')"
expect_match "alertmanager: the one Prometheus sends to, healthy" \
    "^$AM_URL: version 0\\.25\\.0, cluster disabled, up since " "$(rec alertmanager .detail )"
expect_match "grafana_health: database ok" '^database ok, version 10\.4\.5, [0-9]+ ms$' "$(rec grafana_health .detail )"
# The fixture serves every dashboard opspipe ships.
ndash=$(find "$OPSPIPE_TOP/share/opspipe/grafana/dashboards" -name '*.json' | wc -l | tr -d ' ')
expect_match "grafana_dashboards: every dashboard /api/search lists, loaded" \
    "^$ndash dashboards, the slowest opspipe-[a-z-]+ in [0-9]+ ms \\(its JSON [0-9]+ ms, then [0-9]+ panel queries [0-9]+ ms\\)\$" \
    "$(rec grafana_dashboards .detail )"
expect_eq "thresholds come from the baselines file and the defaults" "1073741824 100 0 60000" \
    "$(printf '%s ' "$(rec prometheus_memory .threshold)" "$(rec ingestion_rate .threshold)" \
    "$(rec targets_up .threshold)" "$(rec query_latency .threshold)" | sed 's/ $//')"

# The textfile: valid exposition text, read by the real node-exporter's
# textfile collector, scraped by Prometheus.
tf=$T_DIR/textfile/check.prom
ok_if "the textfile is valid exposition text" sh -c "promtool check metrics <'$tf'"
expect_eq "opspipe_check_ok for each of the 17 checks" 17 "$(grep -c '^opspipe_check_ok{check="[a-z_]*"} 1$' "$tf")"
expect_eq "opspipe_check_value as measured" "opspipe_check_value{check=\"ingestion_rate\"} $rate" \
    "$(grep '^opspipe_check_value{check="ingestion_rate"}' "$tf")"
expect_match "and when it ran" '^opspipe_check_last_run_timestamp_seconds [0-9]{10}$' \
    "$(grep '^opspipe_check_last_run' "$tf")"
expect_eq "no temporary file left in the textfile directory" "check.prom" "$(ls "$T_DIR/textfile")"
expect_match "node-exporter's textfile collector serves it" '^opspipe_check_ok\{check="targets_up"\} 1$' \
    "$(curl -fs "$NE_URL/metrics" | grep '^opspipe_check_ok{check="targets_up"}')"
wait_for 'count(opspipe_check_ok{job="node-exporter"}) == 17'
expect_eq "Prometheus has them from the node-exporter" 17 \
    "$(promq 'count(opspipe_check_ok{job="node-exporter"} == 1)' | jq -r '.value[1]')"

# --pushgateway: the same metrics pushed to Debian's Pushgateway (kept in
# memory: Debian's default persistence file is the machine's).
pg=127.0.0.1:$(free_port)
prometheus-pushgateway --web.listen-address="$pg" --persistence.file= >"$T_DIR/pushgateway.log" 2>&1 &
pg_pid=$!
stop_pg() { kill "$pg_pid" 2>/dev/null; wait "$pg_pid" 2>/dev/null; }
at_exit stop_pg
wait_http "http://$pg/-/ready" 30 || not_ok "pushgateway started"
opspipe-check --baselines small.jsonl --pushgateway "http://$pg" >out 2>err
expect_eq "--pushgateway: exit 0" 0 "$?"
expect_eq "... the Pushgateway holds the group job=opspipe_check with 15 checks" "opspipe_check 15" \
    "$(curl -fs "http://$pg/api/v1/metrics" | jq -r '.data[] | "\(.labels.job) \(.opspipe_check_ok.metrics | length)"')"
stop_pg
opspipe-check --baselines small.jsonl --pushgateway "http://$pg" >out 2>err
expect_eq "a push that fails: exit 3, the records still printed" "3 15" "$? $(wc -l <out)"
expect_match "... saying so" "^opspipe-check: push to the Pushgateway failed: " "$(cat err)"

# The stack plan's baselines on this small stack: the ingestion rate is
# far below 10,000 samples/s, and the check says so.
opspipe-check >out 2>err
expect_eq "default baselines on a small stack: exit 1" 1 "$?"
expect_match "ingestion_rate fails against 10,000/s, with the measured rate" \
    '^false 10000 [0-9.]+ samples/s appended; below the baseline 10000$' \
    "$(rec ingestion_rate '"\(.ok) \(.threshold) \(.detail)"')"
expect_eq "no Grafana checks without --grafana" "" "$(jq -r 'select(.check | startswith("grafana"))' out)"

# Grafana: dashboards slower than the baseline; a failing database; a token.
printf '%s\n' '{"check":"grafana_dashboards","max":300}' >slow.jsonl
control '{"grafana_delay_ms": 600}'
opspipe-check --baselines slow.jsonl --grafana "$FX_URL" >out 2>err
expect_eq "dashboards slower than the baseline: grafana_dashboards fails" "false 300" \
    "$(rec grafana_dashboards '"\(.ok) \(.threshold)"')"
expect_match "... naming the slowest and its time" "^$ndash dashboards, the slowest opspipe-[a-z-]+ in [0-9]+ ms \\(its JSON [0-9]+ ms, then [0-9]+ panel queries [0-9]+ ms\\); above the baseline 300\$" \
    "$(rec grafana_dashboards .detail )"
ok_if "... the time measured covers the delay" is "$(rec grafana_dashboards .value)" '. >= 600'
control '{"reset": true, "grafana_database": "failing"}'
opspipe-check --baselines small.jsonl --grafana "$FX_URL" >out 2>err
expect_eq "Grafana's database failing: grafana_health fails, saying so" \
    "false $FX_URL/api/health: database failing (HTTP 503)" "$(rec grafana_health '"\(.ok) \(.detail)"')"
control '{"reset": true, "grafana_token": "s3cr3t-t0ken"}'
opspipe-check --baselines small.jsonl --grafana "$FX_URL" >out 2>err
expect_eq "Grafana wanting a token, none given: the dashboards fail with 401" \
    "false $FX_URL/api/search: HTTP 401 Unauthorized" "$(rec grafana_dashboards '"\(.ok) \(.detail)"')"
printf 's3cr3t-t0ken\n' >token
opspipe-check --baselines small.jsonl --grafana "$FX_URL" --grafana-token-file token >out 2>err
expect_eq "with --grafana-token-file: the dashboards load" "true" "$(rec grafana_dashboards .ok)"
ok_if "... and the token is nowhere in the output" sh -c '! grep -q s3cr3t out err'
expect_eq "the uids of the baselines are the ones loaded" "false" \
    "$(printf '%s\n' '{"check":"grafana_dashboards","uids":["opspipe-gpu","nope"]}' >uids.jsonl
    opspipe-check --baselines uids.jsonl --grafana "$FX_URL" --grafana-token-file token >out 2>err
    rec grafana_dashboards .ok)"
expect_match "... a missing one named with Grafana's message" '; nope: HTTP 404 Dashboard not found$' \
    "$(rec grafana_dashboards .detail )"
control '{"reset": true}'

# A dashboard's load is its JSON, then its panels' queries, as a browser
# asks them: Prometheus panels only, not those folded in a collapsed row,
# variables given their current value, $__rate_interval its own, instant
# targets as instant queries; one whose variable it cannot resolve is not
# timed (nor failed); a query Prometheus refuses fails the check.
# shellcheck disable=SC2016 # Grafana's variables, not the shell's
control '{"grafana_extra": [{"uid": "panels", "title": "p", "time": {"from": "now-2h", "to": "now"},
  "templating": {"list": [{"name": "fam", "type": "custom", "query": "node_load1,up"}]},
  "panels": [{"datasource": {"type": "prometheus", "uid": "x"},
    "targets": [{"expr": "$fam"}, {"expr": "# a comment line\nrate(prometheus_http_requests_total[$__rate_interval])"},
      {"expr": "count(up)", "instant": true}, {"expr": "up{job=\"$unknown_variable\"}"}]},
    {"type": "row", "collapsed": true, "panels": [{"targets": [{"expr": "sum(rate(folded[5m])"}]}]},
    {"datasource": {"type": "loki", "uid": "l"}, "targets": [{"expr": "{job=\"x\"} |= \"y\""}]}]},
  {"uid": "broken", "title": "b", "panels": [{"datasource": {"type": "prometheus"}, "targets": [{"expr": "sum(rate(up[5m])"}]}]}]}'
printf '%s\n' '{"check":"grafana_dashboards","uids":["panels"]}' >panels.jsonl
opspipe-check --baselines panels.jsonl --grafana "$FX_URL" >out 2>err
expect_match "panel queries: three run (one instant, one after a comment line), the Loki one and the folded row's not" \
    '^1 dashboards, the slowest panels in [0-9]+ ms \(its JSON [0-9]+ ms, then 3 panel queries [0-9]+ ms\); 1 panel queries not timed \(a variable left unresolved, or past the 120 s budget\)$' \
    "$(rec grafana_dashboards .detail)"
expect_eq "... and they load" true "$(rec grafana_dashboards .ok)"
printf '%s\n' '{"check":"grafana_dashboards","uids":["panels","broken"]}' >panels.jsonl
opspipe-check --baselines panels.jsonl --grafana "$FX_URL" >out 2>err
expect_eq "a panel query Prometheus refuses: grafana_dashboards fails" false "$(rec grafana_dashboards .ok)"
expect_match "... naming the dashboard and the query's error" '; broken: a panel query failed .*sum\(rate\(up\[5m\]\)' \
    "$(rec grafana_dashboards .detail)"
control '{"reset": true}'

# Alertmanager: one that is not there, named.
dead=http://127.0.0.1:$(free_port)
opspipe-check --baselines small.jsonl --alertmanager "$dead" >out 2>err
expect_eq "--alertmanager that is down: exit 1, the check fails" "1 false 1" "$? $(rec alertmanager '"\(.ok) \(.value)"')"
expect_match "... naming it" "^$dead: /-/healthy: curl: \\(7\\) " "$(rec alertmanager .detail )"

# A running pod without container metrics, named.
control '{"unlisted_pod": true}'
wait_for 'kube_pod_status_phase{pod="api-5d4c3-fghij",phase="Running"} == 1'
opspipe-check --baselines small.jsonl >out 2>err
expect_eq "a running pod cAdvisor does not report: metrics_containers fails, naming it" \
    "false 1 1 of 4 running pods without CPU and memory metrics: shop/api-5d4c3-fghij" \
    "$(rec metrics_containers '"\(.ok) \(.value) \(.detail)"')"
control '{"reset": true}'

# The GPU exporter failing: its target down, the GPU node without metrics.
control '{"dcgm_status": 503}'
wait_for 'up{job="dcgm-exporter"} == 0'
# One scrape that misses its 1 s timeout on a loaded machine makes a
# family stale for a moment: the other families are asked again then (at
# most three runs), the GPU's failure must be there every time.
others() { printf '%s ' "$(rec metrics_cpu .ok)" "$(rec metrics_containers .ok)" "$(rec jobs_present .ok)" | sed 's/ $//'; }
i=0
while :; do
	opspipe-check --baselines small.jsonl >out 2>err
	rc=$?
	if [ "$rc" -ne 1 ] || [ "$(rec metrics_gpu .ok)" != false ] ||
	    [ "$(others)" = "true true true" ] || [ "$i" -ge 2 ]; then
		break
	fi
	i=$((i + 1))
	sleep 2
done
expect_eq "the DCGM exporter failing: exit 1" 1 "$rc"
expect_match "targets_up names the DCGM exporter's target and its error" \
    "^false 1 of 6 targets down: dcgm-exporter ${FX_URL#http://} \\(server returned HTTP status 503 Service Unavailable\\)$" \
    "$(rec targets_up '"\(.ok) \(.detail)"')"
expect_eq "metrics_gpu names the GPU node" "false GPU nodes without DCGM_FI_DEV_GPU_TEMP and _GPU_UTIL: gpu-node-1" \
    "$(rec metrics_gpu '"\(.ok) \(.detail)"')"
expect_eq "the other families still pass" "true true true" "$(others)"
control '{"reset": true}'
wait_for 'up{job="dcgm-exporter"} == 1'

# A rule that cannot evaluate (many-to-many matching), loaded on SIGHUP.
cat >"$T_DIR/rules.d/broken.yml" <<'EOF'
groups:
  - name: broken
    interval: 1s
    rules:
      - record: opspipe:broken
        expr: sum by (job) (up) * on () group_left sum by (instance) (up)
EOF
kill -HUP "$PROM_PID"
wait_for 'prometheus_rule_evaluation_failures_total{rule_group=~".*broken"} > 0'
opspipe-check --baselines small.jsonl >out 2>err
expect_match "a rule failing to evaluate: the rules check names it and Prometheus' error" \
    '^false 1 1 of [0-9]+ rules failing: opspipe:broken \(group broken\): .*many-to-many' \
    "$(rec rules '"\(.ok) \(.value) \(.detail)"')"
rm -f "$T_DIR/rules.d/broken.yml"
kill -HUP "$PROM_PID"

# A minimum of rules: none loaded is a failure, not "all evaluating".
printf '%s\n' '{"check":"rules","min_rules":1000}' >many.jsonl
opspipe-check --baselines many.jsonl >out 2>err
expect_match "fewer rules than min_rules: the rules check fails" '^false [0-9]+ rules loaded; fewer than 1000 rules loaded$' \
    "$(rec rules '"\(.ok) \(.detail)"')"

# node-exporter stopped mid-test: its target down and named; the node
# metric families gone.
kill "$NE_PID"
wait "$NE_PID" 2>/dev/null
wait_for 'up{job="node-exporter"} == 0'
opspipe-check --baselines small.jsonl >out 2>err
expect_eq "node-exporter stopped: exit 1" 1 "$?"
expect_match "targets_up names the node-exporter and why" \
    "^false 1 of 6 targets down: node-exporter ${NE_URL#http://} \\(.*connection refused\\)$" \
    "$(rec targets_up '"\(.ok) \(.detail)"')"
for f in cpu memory disk network; do
	expect_eq "metrics_$f fails" false "$(rec "metrics_$f" .ok)"
done
expect_eq "... naming the target that gives none, and the series that are gone" \
    "node_cpu_seconds_total missing: ${NE_URL#http://}, no node_cpu_seconds_total at all" "$(rec metrics_cpu .detail)"
printf '%s\n' '{"check":"query_latency","query":"opspipe_no_such_metric"}' >none.jsonl
opspipe-check --baselines none.jsonl >out 2>err
expect_eq "query_latency: a range query without series measures nothing, and says so" \
    "false null the 1h range query returned no series, so its time means nothing: opspipe_no_such_metric" \
    "$(rec query_latency '"\(.ok) \(.value) \(.detail)"')"

# Prometheus unreachable: exit 3, one record, and the textfile says so.
closed=http://127.0.0.1:$(free_port)
opspipe-check --url "$closed" --textfile down.prom >out 2>err
expect_eq "Prometheus unreachable: exit 3 and one record" "3 prometheus false" "$? $(jq -r '"\(.check) \(.ok)"' out)"
expect_match "... saying why" "^$closed does not answer; promq: .*(onnect|refused)" "$(jq -r .detail out)"
expect_eq "... the textfile has the failing check" 'opspipe_check_ok{check="prometheus"} 0' \
    "$(grep '^opspipe_check_ok' down.prom)"
ok_if "PROMETHEUS_URL is the default URL" sh -c "PROMETHEUS_URL='$closed' opspipe-check >/dev/null 2>&1; [ \$? -eq 3 ]"

# The textfile cannot be written: exit 4, the records still printed.
opspipe-check --url "$closed" --textfile /dev/full/x.prom >out 2>err
expect_eq "an unwritable textfile: exit 4" "4 1" "$? $(wc -l <out)"
expect_eq "... naming it" "opspipe-check: cannot write '/dev/full/x.prom'" "$(cat err)"

# Bad baselines: exit 2, naming the file, the line and the problem.
bad() {
	printf '%s\n' "# a comment" "$1" >b.jsonl
	expect_status "bad baselines ($3): exit 2" 2 opspipe-check --baselines b.jsonl
	expect_eq "... $3" "opspipe-check: b.jsonl:2: $2" "$(cat "$T_DIR/err")"
}
bad '{"check":"ingestion","min":1}' 'unknown check "ingestion" (known: alertmanager, grafana_dashboards, grafana_health, ingestion_rate, jobs_present, metrics_containers, metrics_cpu, metrics_disk, metrics_fresh, metrics_gpu, metrics_memory, metrics_network, prometheus, prometheus_memory, query_latency, rules, targets_up)' "an unknown check"
bad '{"check":"ingestion_rate","min":"10k"}' "min must be a number" "a threshold that is not a number"
bad '{"check":"ingestion_rate","maxx":1}' 'ingestion_rate takes no key "maxx"' "a misspelt key"
bad '{"check":"jobs_present","jobs":["a",1]}' "jobs must list strings" "a job that is not a string"
bad '{"check":"rules",' "not a JSON object" "a line that is not JSON"
bad '[1,2]' "not a JSON object" "a JSON value that is not an object"
expect_status "a baselines file that is not there: exit 2" 2 opspipe-check --baselines /nonexistent
expect_status "a bad --timeout: exit 2" 2 opspipe-check --timeout 0
expect_status "an unknown option: exit 2" 2 opspipe-check --no-such-option
expect_eq "... named" "opspipe-check: unknown option '--no-such-option'" "$(head -n 1 "$T_DIR/err")"
expect_status "--version" 0 opspipe-check --version
expect_eq "... prints the version" "opspipe-check (opspipe) 0.1.0" "$(cat "$T_DIR/out")"

# --help and the man page agree; the man page lints clean.
expect_status "--help exits 0" 0 opspipe-check --help
expect_match "--help starts with a usage line" "^Usage: opspipe-check " "$(head -n 1 "$T_DIR/out")"
man=$OPSPIPE_TOP/share/man/man1/opspipe-check.1
expect_eq "opspipe-check.1 lints clean" "" "$(mandoc -Tlint -W warning "$man" 2>&1)"
long_opts() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
expect_eq "--help and the man page list the same options" \
    "$(sed -n '/^Options:/,$p' "$T_DIR/out" | long_opts)" \
    "$(mandoc -Tascii "$man" | col -b | sed -n '/^OPTIONS/,/^[A-Z][A-Z ]*$/p' | long_opts)"
expect_eq "the man page lists every check the program makes" \
    "$(sed -n "s/^\(DEFAULTS='\)\{0,1\}{\"check\":\"\([a-z_]*\)\".*/\2/p" "$OPSPIPE_TOP/bin/opspipe-check" | sort)" \
    "$(mandoc -Tascii "$man" | col -b | sed -n '/^CHECKS/,/^[A-Z][A-Z ]*$/p' | sed -n 's/^     \([a-z_]*\)$/\1/p; s/^     \([a-z_]*\)  .*/\1/p' | sort)"
done_testing
