#!/bin/sh
# The harness itself, on a tree of tiny fake tests: test/run counts a skip
# as skipped (never as passed), OPSPIPE_NO_SKIP=1 turns every skip not
# marked "allowed:" into a failure, a script that dies silently is a
# failure; start_fixture fails the script loudly, with the fixture's log,
# when the fixture dies or prints no port.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"

fake=$T_DIR/top
mkdir -p "$fake/test/t" "$fake/test/prom" "$fake/test/fixtures" "$fake/build/test"
cp "$OPSPIPE_TOP/test/run" "$OPSPIPE_TOP/test/lib.sh" "$fake/test/"
mkdir -p "$fake/share/opspipe/lib"
cp "$OPSPIPE_TOP/share/opspipe/lib/constants.sh" "$fake/share/opspipe/lib/"
# No Prometheus: the fake suite needs none.
cat >"$fake/test/prom/start.sh" <<'EOF'
mkdir -p "$1" && echo http://127.0.0.1:9 >"$1/url"
EOF
printf '#!/bin/sh\n:\n' >"$fake/test/prom/stop.sh"

cat >"$fake/test/t/pass.sh" <<'EOF'
. "$OPSPIPE_TOP/test/lib.sh"
ok "one"
ok_if "two" true
done_testing
EOF
cat >"$fake/test/t/skips.sh" <<'EOF'
. "$OPSPIPE_TOP/test/lib.sh"
ok "ran"
skip "needs a thing" "no thing here"
skip_allowed "needs a cluster" "no CI machine has one"
printf 'ok relayed # SKIP no tool\n' >"$T_DIR/py"
relay_tap "$T_DIR/py" "checker"
done_testing
EOF
# A cmocka test program as cmocka writes TAP, a skip included.
cat >"$fake/build/test/test_fake" <<'EOF'
#!/bin/sh
printf '1..2\nok 1 - a\nnot ok 2 # SKIP b\n# ok - fake\n'
EOF
chmod +x "$fake/build/test/test_fake"

# fake_run [VAR=VALUE...]: run the fake suite; its output in $T_DIR/run.out,
# its status in $rc.
fake_run() {
	env -u OPSPIPE_NO_SKIP -u VERBOSE -u OPSPIPE_TEST_PROM -u OPSPIPE_TOP \
	    OPSPIPE_BUILD="$fake/build" "$@" sh "$fake/test/run" >"$T_DIR/run.out" 2>&1
	rc=$?
}

fake_run
expect_eq "skips are counted as skipped, not passed" "4 passed, 0 failed, 4 skipped" \
    "$(tail -n 1 "$T_DIR/run.out")"
expect_eq "... and do not fail the suite" 0 "$rc"
expect_match "the per-test line says so" "^skips +1 ok, 0 failed, 3 skipped" "$(cat "$T_DIR/run.out")"
expect_match "the skips are listed with their reasons" "skips: ok 2 - needs a thing # SKIP no thing here" \
    "$(sed -n '/^skipped:/,/^$/p' "$T_DIR/run.out")"
expect_match "cmocka's 'not ok # SKIP' is a skip too" "unit/test_fake: not ok 2 # SKIP b" \
    "$(sed -n '/^skipped:/,/^$/p' "$T_DIR/run.out")"
expect_match "relay_tap passes a checker's skip on" "skips: ok 4 - relayed # SKIP no tool" \
    "$(sed -n '/^skipped:/,/^$/p' "$T_DIR/run.out")"

fake_run OPSPIPE_NO_SKIP=1
expect_eq "OPSPIPE_NO_SKIP=1: a skip is a failure, an allowed skip is not" \
    "4 passed, 3 failed, 1 skipped" "$(tail -n 1 "$T_DIR/run.out")"
expect_eq "... and fails the suite" 1 "$rc"
expect_match "... naming the skip" "skips: ok 2 - needs a thing # SKIP no thing here \(a skip, and OPSPIPE_NO_SKIP=1\)" \
    "$(sed -n '/^failures:/,/^$/p' "$T_DIR/run.out")"
expect_match "... the allowed one stays a skip" "skips: ok 3 - needs a cluster # SKIP allowed: no CI machine has one" \
    "$(sed -n '/^skipped:/,/^$/p' "$T_DIR/run.out")"

cat >"$fake/test/t/fails.sh" <<'EOF'
. "$OPSPIPE_TOP/test/lib.sh"
not_ok "broken" "detail"
done_testing
EOF
printf 'echo "ok 1 - fine so far"\nexit 3\n' >"$fake/test/t/dies.sh"
fake_run
expect_eq "a failure and a silent death are failures" "5 passed, 2 failed, 4 skipped" \
    "$(tail -n 1 "$T_DIR/run.out")"
expect_eq "... and fail the suite" 1 "$rc"
expect_match "... the death is named" "dies: exited 3 without reporting a failure" "$(cat "$T_DIR/run.out")"
rm -f "$fake/test/t/fails.sh" "$fake/test/t/dies.sh"

# start_fixture against fixtures that die, print garbage, say nothing, and
# one that works.
cat >"$fake/test/fixtures/dead.py" <<'EOF'
import sys
sys.exit("dead.py: cannot bind: boom")
EOF
cat >"$fake/test/fixtures/garbage.py" <<'EOF'
import time
print("Traceback: not a port", flush=True)
time.sleep(30)
EOF
cat >"$fake/test/fixtures/silent.py" <<'EOF'
import time
time.sleep(30)
EOF
cat >"$fake/test/fixtures/good.py" <<'EOF'
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(30)
EOF
for fx in dead garbage silent good; do
	cat >"$fake/test/t/fx-$fx.sh" <<EOF
. "\$OPSPIPE_TOP/test/lib.sh"
start_fixture $fx.py
ok "after start_fixture: \$FIXTURE_URL"
done_testing
EOF
	start=$(date +%s)
	OPSPIPE_TOP=$fake T_FIXTURE_WAIT=2 sh "$fake/test/t/fx-$fx.sh" >"$T_DIR/fx-$fx.out" 2>&1
	echo "$? $(($(date +%s) - start))" >"$T_DIR/fx-$fx.rc"
done
read -r rc_dead secs_dead <"$T_DIR/fx-dead.rc"
read -r rc_garbage _ <"$T_DIR/fx-garbage.rc"
read -r rc_silent _ <"$T_DIR/fx-silent.rc"
read -r rc_good _ <"$T_DIR/fx-good.rc"
{
	expect_eq "a fixture that dies fails the script" 1 "$rc_dead"
	expect_match "... saying so, with its log" "^not ok 1 - fixture dead.py started: it exited before printing its port" \
	    "$(cat "$T_DIR/fx-dead.out")"
	expect_match "... its log shown" "cannot bind: boom" "$(cat "$T_DIR/fx-dead.out")"
	ok_if "... at once, not after the wait ($secs_dead s)" [ "$secs_dead" -lt 2 ]
	expect_eq "a fixture that prints no port fails the script" 1 "$rc_garbage"
	expect_match "... showing what it printed" "stdout: Traceback: not a port" "$(cat "$T_DIR/fx-garbage.out")"
	expect_eq "a silent fixture fails the script" 1 "$rc_silent"
	expect_match "... after T_FIXTURE_WAIT" "printed no port in 2 s" "$(cat "$T_DIR/fx-silent.out")"
	ok_if "no test ran after a failed start" sh -c '! grep -q "after start_fixture" "$@"' - \
	    "$T_DIR/fx-dead.out" "$T_DIR/fx-garbage.out" "$T_DIR/fx-silent.out"
	expect_eq "a working fixture: the script goes on" 0 "$rc_good"
	expect_match "... with its URL" "^ok 1 - after start_fixture: http://127\.0\.0\.1:[0-9]+$" \
	    "$(cat "$T_DIR/fx-good.out")"
}
done_testing
