#!/bin/sh
# promq --targets against a real Prometheus that scrapes itself (up) and a
# closed port (down). It is a second server, not the shared one, because
# scraping would add `up` series to the shared data.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
dir=$T_DIR/prom
OPSPIPE_PROM_SCRAPE=1 sh "$OPSPIPE_TOP/test/prom/start.sh" "$dir" none >&2 ||
	{ not_ok "start a scraping prometheus"; done_testing; exit 1; }
stop_prom() { sh "$OPSPIPE_TOP/test/prom/stop.sh" "$dir"; }
at_exit stop_prom
PROMETHEUS_URL=$(cat "$dir/url")
export PROMETHEUS_URL
O=$T_DIR/out

# Targets have health "unknown" until their first scrape (every second).
i=0
while [ $i -lt 100 ]; do
	promq --targets >"$O" 2>/dev/null
	[ "$(jq -r .health "$O" | grep -c unknown)" -eq 0 ] && [ -s "$O" ] && break
	sleep 0.2
	i=$((i + 1))
done
expect_status "--targets exits 1 when a target is down" 1 promq --targets
expect_eq "--targets: both active targets, with their health" "down up" \
	"$(jq -r '"\(.health)"' "$O" | sort | paste -sd' ' -)"
expect_eq "--targets: records keep Prometheus' fields" "down prometheus" \
	"$(jq -r '.scrapePool' "$O" | sort | paste -sd' ' -)"
expect_match "--targets: the down target and its error on stderr" \
	"^promq: target 'http://127.0.0.1:[0-9]+/metrics' is down: .*connection refused" "$(cat "$T_DIR/err")"
expect_status "up from the scrape is queryable" 0 promq 'up{job="prometheus"}'
expect_eq "the self-scrape is up" "1" "$(jq -r '.value[1]' "$T_DIR/out")"
done_testing
