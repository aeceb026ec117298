# test/lib.sh — sourced by every end-to-end test script (POSIX sh).
#
#   . "$OPSPIPE_TOP/test/lib.sh"
#   ok_if "promq prints one record per series" [ "$(wc -l <out)" -eq 3 ]
#   expect_eq "instant value" "0.25" "$(jq -r .value[1] out)"
#   expect_status "bad query exits 2" 2 promq 'sum('
#   done_testing
#
# Output is TAP; test/run counts it. Scripts also run on their own:
# `sh test/t/promq.sh` (then they start the servers they need).
set -u
: "${OPSPIPE_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
PATH=$OPSPIPE_TOP/bin:$PATH
export PATH OPSPIPE_TOP
# The version and shared limits (opspipe_version, opspipe_shard_max,
# opspipe_minutes_max) that every program and flow must agree with.
# shellcheck source=share/opspipe/lib/constants.sh
. "$OPSPIPE_TOP/share/opspipe/lib/constants.sh"
T_COUNT=0
T_FAILED=0
T_DIR=$(mktemp -d "${OPSPIPE_TEST_TMP:-${TMPDIR:-/tmp}}/t.XXXXXX") || exit 2
T_CLEANUP=""

T_PIDS=""
T_NFIX=0

t_cleanup() {
	for pid in $T_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for cmd in $T_CLEANUP; do
		"$cmd"
	done
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# at_exit FUNCTION: run FUNCTION (no arguments) when the script ends.
at_exit() {
	T_CLEANUP="$1 $T_CLEANUP"
}

ok() {
	T_COUNT=$((T_COUNT + 1))
	echo "ok $T_COUNT - $1"
}

not_ok() {
	T_COUNT=$((T_COUNT + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_COUNT - $1"
	shift
	for line in "$@"; do
		printf '#   %s\n' "$line"
	done
}

# skip NAME REASON: a check that could not run here, as TAP's
# "ok N - NAME # SKIP REASON". test/run reports it as skipped, never as
# passed; under OPSPIPE_NO_SKIP=1 (CI) it counts as a failure. Use it
# where a check needs something the machine lacks, instead of leaving the
# check out silently.
skip() {
	T_COUNT=$((T_COUNT + 1))
	echo "ok $T_COUNT - $1 # SKIP $2"
}

# skip_allowed NAME REASON: a skip CI accepts too, for a check that no CI
# machine can run (a live cluster, a real model); REASON says why.
skip_allowed() {
	skip "$1" "allowed: $2"
}

# ok_if NAME CMD...: passes when CMD succeeds.
ok_if() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "command failed: $*"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2" "actual:   $3"
	fi
}

# expect_match NAME PATTERN ACTUAL (grep -E pattern)
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1" "pattern: $2" "actual:  $3"
	fi
}

# expect_status NAME STATUS CMD...: CMD's stdout/stderr land in $T_DIR/out
# and $T_DIR/err for further checks.
expect_status() {
	name=$1
	want=$2
	shift 2
	"$@" >"$T_DIR/out" 2>"$T_DIR/err" </dev/null
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "command: $*" "expected exit $want, got $got" \
		    "stderr: $(head -c 600 "$T_DIR/err")"
	fi
}

# bare_make ARGS...: make free of the settings of a make the suite runs
# under (MAKEFLAGS, SANITIZE, WERROR), for tests that run make on a copy
# of the tree.
bare_make() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u SANITIZE -u WERROR make "$@"
}

# free_port: a free TCP port on 127.0.0.1.
free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_http URL [SECONDS]: wait until URL answers 2xx.
wait_http() {
	i=0
	limit=$(( ${2:-30} * 10 ))
	while [ "$i" -lt "$limit" ]; do
		curl -fs -o /dev/null --max-time 2 "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# start_fixture SCRIPT [ARGS...]: runs test/fixtures/SCRIPT (a server that
# prints its port as its first line) and sets FIXTURE_URL, FIXTURE_PID and
# FIXTURE_LOG; the server is stopped when the script ends. A fixture that
# exits, or prints no port within T_FIXTURE_WAIT seconds (30), fails the
# script there, showing its log: no test runs against a URL where nothing
# listens.
start_fixture() {
	T_NFIX=$((T_NFIX + 1))
	fx_port=$T_DIR/fixture.$T_NFIX.port
	FIXTURE_LOG=$T_DIR/fixture.$T_NFIX.log
	fx_script=$1
	shift
	/usr/bin/python3 "$OPSPIPE_TOP/test/fixtures/$fx_script" "$@" \
	    >"$fx_port" 2>"$FIXTURE_LOG" &
	FIXTURE_PID=$!
	T_PIDS="$T_PIDS $FIXTURE_PID"
	i=0
	limit=$(( ${T_FIXTURE_WAIT:-30} * 20 ))
	while :; do
		fx_p=$(head -n 1 "$fx_port" 2>/dev/null)
		case $fx_p in
		'' | *[!0-9]*) ;;
		*) [ "$(wc -l <"$fx_port")" -gt 0 ] && break ;;
		esac
		if ! kill -0 "$FIXTURE_PID" 2>/dev/null; then
			t_fixture_failed "$fx_script" "exited before printing its port"
		elif [ "$i" -ge "$limit" ]; then
			t_fixture_failed "$fx_script" "printed no port in ${T_FIXTURE_WAIT:-30} s"
		fi
		sleep 0.05
		i=$((i + 1))
	done
	FIXTURE_URL=http://127.0.0.1:$fx_p
}

# t_fixture_failed SCRIPT WHY: end the script with a failure and the
# fixture's own words.
t_fixture_failed() {
	not_ok "fixture $1 started: it $2" "stdout: $(head -c 300 "$fx_port")" \
	    "log: $(tail -n 20 "$FIXTURE_LOG")"
	done_testing
	exit 1
}

# start_llm [ARGS...]: the fixture LLM (test/fixtures/llm.py); sets llm to
# its URL and defines control (script answers), reset and sent (jq over the
# recorded requests). Fails the script when the server does not come up.
# shellcheck disable=SC2120 # its arguments are optional
start_llm() {
	start_fixture llm.py "$@"
	llm=$FIXTURE_URL
	wait_http "$llm/api/version" 10 ||
		{ not_ok "fixture LLM started" "$(cat "$FIXTURE_LOG")"; done_testing; exit 1; }
}
control() { curl -fs -X POST -d "$1" "$llm/_control" >/dev/null; }
reset() { control '{"reset":true}'; }
sent() { curl -fs "$llm/_requests" | jq -c "$1"; }

# need_prometheus: PROMETHEUS_URL of the shared test server, started here
# when the script runs on its own.
need_prometheus() {
	if [ -n "${OPSPIPE_TEST_PROM:-}" ] && [ -f "$OPSPIPE_TEST_PROM/url" ]; then
		PROMETHEUS_URL=$(cat "$OPSPIPE_TEST_PROM/url")
	else
		OPSPIPE_TEST_PROM=$T_DIR/prom
		sh "$OPSPIPE_TOP/test/prom/start.sh" "$OPSPIPE_TEST_PROM" >&2 ||
			{ not_ok "start prometheus"; exit 1; }
		at_exit t_stop_prometheus
		PROMETHEUS_URL=$(cat "$OPSPIPE_TEST_PROM/url")
	fi
	export PROMETHEUS_URL OPSPIPE_TEST_PROM
}

t_stop_prometheus() {
	sh "$OPSPIPE_TOP/test/prom/stop.sh" "$OPSPIPE_TEST_PROM"
}

# relay_tap FILE WHAT: re-count the ok/not ok lines a helper program
# (a Python checker, say) wrote to FILE; anything else is a failure.
relay_tap() {
	[ -s "$1" ] || not_ok "the $2 ran"
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*)
			t_name=${line#ok }
			skip "${t_name%% # SKIP*}" "${line#*# SKIP }"
			;;
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) not_ok "${line#not ok }" ;;
		*) not_ok "$2: $line" ;;
		esac
	done <"$1"
}

# jq_holds FILTER [FILE...]: FILTER's last output is neither false nor
# null, and there was input. (jq 1.6's own -e exits 0 on empty input, so
# `cmd | jq -e F` passes when cmd printed nothing.)
jq_holds() {
	jqh_filter=$1
	shift
	jq -n -e "[inputs | $jqh_filter] | length > 0 and (.[-1] | . != false and . != null)" \
	    "$@" >/dev/null
}

# done_testing: the last line of every script; exit status tells failures.
done_testing() {
	echo "1..$T_COUNT"
	[ "$T_FAILED" -eq 0 ]
}
