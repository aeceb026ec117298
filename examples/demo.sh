#!/bin/sh
# examples/demo.sh — `make demo`: the summarize flow end to end, then the
# remediate flow on the test fixtures (examples/demo-remediate.sh,
# simulated: no real cluster, model, forge or phone).
#
# Starts a real Prometheus on loopback over three hours of generated cluster
# metrics (examples/demo-data.py: nodes, pods' CPU and memory, HTTP rates and
# latency, a flapping target, GPUs), summarises every query the dashboards
# offer with opspipe-summary, serves one through /summary under lighttpd,
# and stops everything it started. With OLLAMA_HOST, OPENAI_BASE_URL or
# LLMASK_URL set, a real model writes the summaries; otherwise the records
# are the statistics fallback. A demo: it exits 0 either way, unless the
# flow itself is broken.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
export PATH
dir=$(mktemp -d "${TMPDIR:-/tmp}/opspipe-demo.XXXXXX") || exit 2
httpd_pid=""

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null && wait "$httpd_pid" 2>/dev/null
	sh "$top/test/prom/stop.sh" "$dir/prom"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

if [ -t 1 ]; then
	say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
else
	say() { printf '\n%s\n' "$*"; }
fi

say "demo: starting Prometheus over 3 hours of generated metrics"
sh "$top/test/prom/start.sh" "$dir/prom" "$top/examples/demo-data.py" >"$dir/start.log" 2>&1 || {
	cat "$dir/start.log" >&2
	echo "demo: Prometheus did not start" >&2
	exit 1
}
PROMETHEUS_URL=$(cat "$dir/prom/url")
export PROMETHEUS_URL
echo "PROMETHEUS_URL=$PROMETHEUS_URL"

if [ -n "${OLLAMA_HOST:-}${OPENAI_BASE_URL:-}${LLMASK_URL:-}" ]; then
	echo "LLM: ${LLMASK_URL:-${OPENAI_BASE_URL:-$OLLAMA_HOST}} (model ${LLMASK_MODEL:-phi3:mini}); a CPU-only model takes a while per answer"
	llm=1
else
	echo "No LLM configured, so the summaries below are the statistics fallback; to use a model run OLLAMA_HOST=http://localhost:11434 make demo (after 'ollama pull phi3:mini') or set OPENAI_BASE_URL."
	# Ask a closed port, so nothing on this machine is used by surprise.
	# The port is closed for certain: back off for milliseconds, not the
	# seconds a real, briefly unreachable server deserves.
	OLLAMA_HOST=http://127.0.0.1:9
	OPSPIPE_RETRY_BASE=0.01
	export OLLAMA_HOST OPSPIPE_RETRY_BASE
	llm=0
fi

# The queries the dashboards offer (share/opspipe/grafana/dashboards).
jq -r '.templating.list[] | select(.name != "minutes") | .options[].value' \
    "$top"/share/opspipe/grafana/dashboards/*.json >"$dir/queries" || exit 1
broken=0
while IFS= read -r q; do
	say "\$ opspipe-summary --minutes 30 '$q'"
	opspipe-summary --minutes 30 --cache-dir "$dir/cache" "$q" 2>"$dir/err" </dev/null
	rc=$?
	# 3 with a record is the fallback, expected without a model.
	if [ "$rc" -ne 0 ] && { [ "$rc" -ne 3 ] || [ "$llm" -eq 1 ]; }; then
		sed 's/^/  /' "$dir/err" >&2
	fi
	case $rc in 0 | 3) ;; *) broken=1 ;; esac
done <"$dir/queries"

say "demo: the same flow behind GET /summary (lighttpd + share/opspipe/cgi/summary)"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|^var.opspipe = .*|var.opspipe = \"$top/share/opspipe\"|" \
    -e "s|^server.port = .*|server.port = $port\\nserver.bind = \"127.0.0.1\"|" \
    "$top/examples/lighttpd.conf" >"$dir/lighttpd.conf"
OPSPIPE_SUMMARY_DIR=$dir/cache lighttpd -D -f "$dir/lighttpd.conf" >"$dir/lighttpd.log" 2>&1 &
httpd_pid=$!
i=0
until curl -fs -o /dev/null "http://127.0.0.1:$port/healthz"; do
	i=$((i + 1))
	if [ "$i" -gt 50 ]; then
		cat "$dir/lighttpd.log" >&2
		echo "demo: lighttpd did not start" >&2
		exit 1
	fi
	sleep 0.1
done
echo "\$ curl 'http://127.0.0.1:$port/summary?query=up&minutes=30'"
curl -s "http://127.0.0.1:$port/summary?query=up&minutes=30" || broken=1
echo "(served from the cache the command above filled: \"cached\":true)"

say "demo: the summarize flow done; Prometheus and lighttpd stopped"
sh "$top/examples/demo-remediate.sh" || broken=1
exit "$broken"
