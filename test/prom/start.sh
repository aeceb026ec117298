#!/bin/sh
# test/prom/start.sh DIR [GENERATOR] — a real Prometheus over generated data.
#
# Runs GENERATOR DIR (default test/prom/gen.py; "none" for an empty TSDB),
# backfills DIR/data.om into DIR/tsdb with promtool, writes DIR/prometheus.yml
# and DIR/rules.yml, starts Debian's prometheus on a free 127.0.0.1 port and
# waits for /-/ready (60 s). Leaves DIR/url, DIR/pid, DIR/port and
# DIR/prometheus.log. Stop it with test/prom/stop.sh DIR.
#
# Rules, evaluated every second from start: alert OpspipeAlwaysFiring
# (vector(1), firing at once), alert OpspipePending (vector(1), for: 1h, so
# it stays pending) and the recording rule opspipe:test_gauge:avg.
# Scraping is off, so `up` holds exactly the generator's two series; with
# OPSPIPE_PROM_SCRAPE=1 Prometheus also scrapes itself (job "prometheus",
# up) and one closed port (job "down", down), for --targets tests.
set -u
dir=${1:?usage: start.sh DIR [GENERATOR]}
top=$(cd "$(dirname "$0")/../.." && pwd)
gen=${2:-$top/test/prom/gen.py}
mkdir -p "$dir" || exit 2
dir=$(cd "$dir" && pwd)

free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

if [ "$gen" != none ]; then
	/usr/bin/python3 "$gen" "$dir" || { echo "start.sh: generator failed" >&2; exit 2; }
	rm -rf "$dir/tsdb"
	promtool tsdb create-blocks-from openmetrics "$dir/data.om" "$dir/tsdb" \
		>"$dir/backfill.log" 2>&1 ||
		{ echo "start.sh: backfill failed:" >&2; tail -n 5 "$dir/backfill.log" >&2; exit 2; }
fi
mkdir -p "$dir/tsdb"

cat >"$dir/rules.yml" <<'RULES'
groups:
  - name: opspipe-test
    interval: 1s
    rules:
      - alert: OpspipeAlwaysFiring
        expr: vector(1)
        labels:
          severity: warning
        annotations:
          summary: always firing, for tests
      - alert: OpspipePending
        expr: vector(1)
        for: 1h
        labels:
          severity: critical
        annotations:
          summary: pending for an hour, for tests
      - record: opspipe:test_gauge:avg
        expr: avg(opspipe_test_gauge)
RULES

# write_config PORT CLOSED_PORT
write_config() {
	{
		printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
		printf 'rule_files:\n  - %s/rules.yml\n' "$dir"
		if [ -n "${OPSPIPE_PROM_SCRAPE:-}" ]; then
			printf 'scrape_configs:\n'
			printf '  - job_name: prometheus\n    static_configs:\n'
			printf '      - targets: ["127.0.0.1:%s"]\n' "$1"
			printf '  - job_name: down\n    static_configs:\n'
			printf '      - targets: ["127.0.0.1:%s"]\n' "$2"
		fi
	} >"$dir/prometheus.yml"
}

# A port can be taken between choosing and binding it: try a few.
tries=0
while [ "$tries" -lt 3 ]; do
	tries=$((tries + 1))
	port=$(free_port) || exit 2
	closed=$(free_port) || exit 2
	write_config "$port" "$closed"
	prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/tsdb" \
		--storage.tsdb.retention.time=10y \
		--web.listen-address="127.0.0.1:$port" \
		--web.enable-admin-api \
		>"$dir/prometheus.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	i=0
	while [ "$i" -lt 600 ]; do
		if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$port/-/ready"; then
			echo "http://127.0.0.1:$port" >"$dir/url"
			echo "$port" >"$dir/port"
			exit 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$dir/pid"
	[ "$i" -ge 600 ] && break
done
echo "start.sh: prometheus did not become ready:" >&2
tail -n 10 "$dir/prometheus.log" >&2
exit 1
