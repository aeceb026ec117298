# test/monitoring/stack.sh — sourced by the monitoring tests after
# test/lib.sh: the monitoring stack on loopback, from Debian's packages
# where Debian has them.
#
#   stack_start [WEBHOOK_URL TOKEN_FILE [FOR]]
#
# starts, each on a free 127.0.0.1 port with its own data directory under
# $T_DIR, stopped when the test ends:
#   - the exporters fixture (test/fixtures/exporters.py: DCGM exporter,
#     cAdvisor, kube-state-metrics, Grafana's API)        FX_URL
#   - prometheus-node-exporter, with collectors that work unprivileged in
#     a container or chroot (cpu, meminfo, filesystem, netdev, loadavg,
#     textfile from $T_DIR/textfile)                      NE_URL, NE_PID
#   - prometheus-alertmanager on the shipped alertmanager.yml, its webhook
#     pointed at WEBHOOK_URL with the bearer token in TOKEN_FILE, its
#     group waits cut to a second                         AM_URL
#   - prometheus on the shipped prometheus.yml with static targets
#     (test/monitoring/testconfig.py) and the shipped rules — their "for"
#     replaced by FOR when given — and any $T_DIR/rules.d/*.yml (empty at
#     first: a test adds a file and sends SIGHUP to PROM_PID) PROMETHEUS_URL
# and waits until every target is up. Jobs: prometheus, node-exporter
# (node="node-1"), cadvisor, kube-state-metrics, dcgm-exporter
# (node="gpu-node-1"), alertmanager.

STACK_PIDS=""

stack_stop() {
	for pid in $STACK_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	STACK_PIDS=""
}

# stack_wait URL WHAT: wait for URL (30 s), or fail the test.
stack_wait() {
	wait_http "$1" 30 && return 0
	not_ok "$2 started" "$(tail -n 5 "$T_DIR/$2.log" 2>/dev/null)"
	done_testing
	exit 1
}

stack_start() {
	at_exit stack_stop
	start_fixture exporters.py "$OPSPIPE_TOP/share/opspipe/grafana/dashboards"
	FX_URL=$FIXTURE_URL
	stack_wait "$FX_URL/ksm/metrics" exporters-fixture
	fx=${FX_URL#http://}

	mkdir -p "$T_DIR/textfile"
	ne=127.0.0.1:$(free_port)
	prometheus-node-exporter --web.listen-address="$ne" --collector.disable-defaults \
	    --collector.cpu --collector.meminfo --collector.filesystem --collector.netdev \
	    --collector.loadavg --collector.textfile --collector.textfile.directory="$T_DIR/textfile" \
	    >"$T_DIR/node-exporter.log" 2>&1 &
	NE_PID=$!
	STACK_PIDS="$STACK_PIDS $NE_PID"
	NE_URL=http://$ne
	stack_wait "$NE_URL/metrics" node-exporter

	am=127.0.0.1:$(free_port)
	/usr/bin/python3 - "$OPSPIPE_TOP/share/opspipe/k8s/monitoring/config/alertmanager.yml" \
	    "$T_DIR/alertmanager.yml" "${1:-http://127.0.0.1:9/alert}" "${2:-$T_DIR/no-token}" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
def short(r):
    r.update({k: v for k, v in (("group_wait", "1s"), ("group_interval", "1s"), ("repeat_interval", "1h")) if k in r})
    for s in r.get("routes", []):
        short(s)
short(c["route"])
for r in c["receivers"]:
    for w in r.get("webhook_configs", []):
        w["url"] = sys.argv[3]
        w["http_config"]["authorization"]["credentials_file"] = sys.argv[4]
yaml.safe_dump(c, open(sys.argv[2], "w"), sort_keys=False)
PY
	prometheus-alertmanager --config.file="$T_DIR/alertmanager.yml" --storage.path="$T_DIR/am" \
	    --web.listen-address="$am" --cluster.listen-address= >"$T_DIR/alertmanager.log" 2>&1 &
	STACK_PIDS="$STACK_PIDS $!"
	AM_URL=http://$am
	stack_wait "$AM_URL/-/ready" alertmanager

	pp=$(free_port)
	mkdir -p "$T_DIR/rules.d"
	p=$OPSPIPE_TOP/share/opspipe/prometheus
	targets=$(jq -nc --arg p "127.0.0.1:$pp" --arg ne "$ne" --arg fx "$fx" --arg am "$am" '{
	    prometheus: {targets: [$p]},
	    "node-exporter": {targets: [$ne], labels: {node: "node-1"}},
	    cadvisor: {targets: [$fx], labels: {node: "node-1"}, metrics_path: "/cadvisor/metrics"},
	    "kube-state-metrics": {targets: [$fx], metrics_path: "/ksm/metrics"},
	    "dcgm-exporter": {targets: [$fx], labels: {node: "gpu-node-1"}, metrics_path: "/dcgm/metrics"},
	    alertmanager: {targets: [$am]}}')
	if [ -n "${3:-}" ]; then
		set -- --for "$3" "$T_DIR/rules.yml"
	else
		set --
	fi
	/usr/bin/python3 "$OPSPIPE_TOP/test/monitoring/testconfig.py" "$p/prometheus.yml" \
	    "$T_DIR/prometheus.yml" "$targets" "$am" "$p/monitoring-rules.yml" "$p/drift-rules.yml" \
	    "$T_DIR/rules.d/*.yml" "$@" ||
		{ not_ok "the test's prometheus.yml"; done_testing; exit 1; }
	prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/tsdb" \
	    --web.listen-address="127.0.0.1:$pp" >"$T_DIR/prometheus.log" 2>&1 &
	PROM_PID=$!
	STACK_PIDS="$STACK_PIDS $PROM_PID"
	PROMETHEUS_URL=http://127.0.0.1:$pp
	export PROMETHEUS_URL
	stack_wait "$PROMETHEUS_URL/-/ready" prometheus

	# Discovery hands the targets over within 5 s; then one scrape each.
	i=0
	until [ "$(curl -fs "$PROMETHEUS_URL/api/v1/targets" |
	    jq '[.data.activeTargets[] | select(.health == "up")] | length')" = 6 ]; do
		i=$((i + 1))
		if [ "$i" -ge 300 ]; then
			not_ok "every target of the test stack up" \
			    "$(curl -fs "$PROMETHEUS_URL/api/v1/targets" | jq -c '.data.activeTargets[] | [.labels.job, .health, .lastError]')"
			done_testing
			exit 1
		fi
		sleep 0.1
	done
}
