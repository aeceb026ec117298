# The schedule end to end: who is on call across a DST change and with
# overrides, escalation through three levels, and the two limits that
# stop paging storms — the quiet period and the hourly cap — also
# between processes running at once.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/phonecall.sh"
d=$T_DIR
start_twilio

cat >"$d/oncall.yaml" <<'EOF'
# Paris changes to summer time on 2026-03-29 at 02:00 and back on
# 2026-10-25 at 03:00.
timezone: Europe/Paris
rotations:
  - name: primary
    start: 2026-03-23T09:00
    length: 1w
    participants:
      - {name: alice, number: "+33600000101"}
      - {name: bob, number: "+33600000102"}
  - name: secondary
    start: 2026-03-27T09:00
    length: 1d
    participants:
      - {name: dave, number: "+33600000201"}
      - {name: erin, number: "+33600000202"}
  - name: managers
    start: 2026-01-05T09:00
    length: 4w
    participants:
      - {name: mia, number: "+33600000301"}
overrides:
  - {rotation: secondary, start: 2026-03-29T08:00, end: 2026-03-29T20:00, name: carol, number: "+33600000203"}
escalation: [primary, secondary, managers]
EOF

who() {
	phonecall who --schedule "$d/oncall.yaml" --at "$1" | jq -sc "$2"
}
# The week DST starts: alice's week ends Monday 09:00 *summer* time.
expect_eq "who: primary, the last winter morning" '["alice","2026-03-23T08:00:00Z","2026-03-30T07:00:00Z"]' \
    "$(who 2026-03-28T12:00:00Z '.[0] | [.person,.since,.until]')"
expect_eq "who: primary, 09:00 local on both sides" '["bob","2026-03-30T07:00:00Z"]' \
    "$(who 2026-03-30T09:00 '.[0] | [.person,.since]')"
expect_eq "who: secondary's shift ends where an override starts" '["erin","2026-03-28T08:00:00Z","2026-03-29T06:00:00Z"]' \
    "$(who 2026-03-29T01:30 '.[1] | [.person,.since,.until]')"
expect_eq "who: an override takes the secondary" '["carol",true,"2026-03-29T06:00:00Z","2026-03-29T18:00:00Z"]' \
    "$(who 2026-03-29T12:00 '.[1] | [.person,.override,.since,.until]')"
expect_eq "who: after it, back to the rotation" '["dave",false,"2026-03-29T18:00:00Z","2026-03-30T07:00:00Z"]' \
    "$(who 2026-03-29T21:00 '.[1] | [.person,.override,.since,.until]')"
expect_eq "who: every level, in escalation order" '[[0,"primary"],[1,"secondary"],[2,"managers"]]' \
    "$(who 2026-03-29T12:00 '[.[] | [.level,.rotation]]')"
expect_eq "who: a repeated local hour is its first pass" \
    "$(who 2026-10-25T00:30:00Z .)" "$(who 2026-10-25T02:30 .)"
PHONECALL_SCHEDULE=$d/oncall.yaml phonecall who --at 2026-03-29T12:00 >"$d/out" 2>"$d/err"
expect_eq "who: PHONECALL_SCHEDULE" 3 "$(wc -l <"$d/out")"
expect_status "who: a bad --at" 2 phonecall who --schedule "$d/oncall.yaml" --at yesterday
expect_status "who: an --at past year 9999 is refused, not looked up forever" 2 \
    timeout 10 phonecall who --schedule "$d/oncall.yaml" --at 1e300
expect_status "who: an --at before 1970 is refused" 2 phonecall who --schedule "$d/oncall.yaml" --at -1e12
expect_status "who: no schedule" 2 phonecall who

# A schedule with a bad number is refused whole, naming file and line,
# before any call.
sed 's/"+33600000202"/"0600000202"/' "$d/oncall.yaml" >"$d/bad.yaml"
expect_status "bad number in the schedule: exit 2" 2 pc --schedule "$d/bad.yaml" --speech x
expect_match "bad number: file, line, number and person" "bad.yaml:16: number '0600000202' \\(erin\\) is not E.164" "$(cat "$T_DIR/err")"
expect_eq "bad number: no call" 0 "$(requests 'length')"

# A schedule for now: three levels, each a number the fixture plays.
now_schedule() {
	cat >"$d/now.yaml" <<EOF
timezone: UTC
rotations:
  - {name: primary, start: 2020-01-01T00:00, length: 1d, participants: [{name: alice, number: "$1"}]}
  - {name: secondary, start: 2020-01-01T00:00, length: 1d, participants: [{name: bob, number: "$2"}]}
  - {name: managers, start: 2020-01-01T00:00, length: 1d, participants: [{name: mia, number: "$3"}]}
escalation: [primary, secondary, managers]
EOF
}
now_schedule +33600000101 +33600000102 +33600000103
callee +33600000101 '{"do":"press","digits":"2"}'
callee +33600000102 '{"do":"no-answer"}'
callee +33600000103 '{"do":"say","speech":"yes I am on it"}'
pc --schedule "$d/now.yaml" --escalate --speech "db down" >"$d/out" 2>"$d/err"
expect_eq "escalation: the third level said yes" 0 "$?"
expect_eq "escalation: one record per attempt" \
    '[[1,0,"alice","primary",false,"completed"],[2,1,"bob","secondary",null,"no-answer"],[3,2,"mia","managers",true,"completed"]]' \
    "$(jq -sc '[.[] | [.attempt,.level,.person,.rotation,.answer,.status]]' "$d/out")"
expect_eq "escalation: called in order" '["+33600000101","+33600000102","+33600000103"]' "$(calls '[.[].to]')"
reset_twilio
callee +33600000101 '{"do":"busy"}'
callee +33600000102 '{"do":"failed"}'
callee +33600000103 '{"do":"machine"}'
pc --schedule "$d/now.yaml" --escalate --speech "db down" >"$d/out" 2>"$d/err"
expect_eq "escalation: levels exhausted" 1 "$?"
expect_eq "escalation: busy, failed, machine" '["busy","failed","no-answer"]' "$(jq -sc '[.[].status]' "$d/out")"
reset_twilio
callee +33600000101 '{"do":"press","digits":"2"}'
pc --schedule "$d/now.yaml" --speech "db down" >"$d/out" 2>"$d/err"
expect_eq "without --escalate: the first level only" '1 1' "$? $(wc -l <"$d/out")"
reset_twilio
callee +33600000101 '{"do":"error","status":400,"code":21211,"message":"bad To"}'
callee +33600000102 '{"do":"press","digits":"1"}'
pc --schedule "$d/now.yaml" --escalate --speech "db down" >"$d/out" 2>"$d/err"
expect_eq "escalation: a number Twilio refuses does not stop it" '0 [["failed",null],["completed",true]]' \
    "$? $(jq -sc '[.[] | [.status,.answer]]' "$d/out")"
reset_twilio
now_schedule +33600000101 +33600000101 +33600000103
callee +33600000101 '{"do":"press","digits":"2"}'
callee +33600000103 '{"do":"press","digits":"2"}'
pc --schedule "$d/now.yaml" --escalate --speech "db down" >"$d/out" 2>"$d/err"
expect_eq "escalation: a number on two levels is called once" '[["+33600000101",1,0],["+33600000103",2,2]]' \
    "$(jq -sc '[.[] | [.number,.attempt,.level]]' "$d/out")"
expect_eq "--to: the schedule names the person" '"mia"' \
    "$(pc --to +33600000103 --schedule "$d/now.yaml" --speech x 2>/dev/null | jq -c .person)"

# The quiet period: once someone said yes about an incident, no new call
# about it — a suppressed record, exit 0; other incidents still call.
reset_twilio
now_schedule +33600000101 +33600000102 +33600000103
callee +33600000101 '{"do":"press","digits":"1"}'
q() {
	pc --schedule "$d/now.yaml" --state "$d/state" --quiet-period 30m "$@"
}
q --speech "db down" --incident fp-1 --log "$d/q.jsonl" >"$d/out" 2>"$d/err"
expect_eq "quiet: the first call, yes" 0 "$?"
q --speech "db down" --incident fp-1 --log "$d/q.jsonl" >"$d/out" 2>"$d/err"
expect_eq "quiet: the second, suppressed" 0 "$?"
expect_eq "quiet: the record says why and who" '["suppressed","quiet-period","alice","+33600000101",0]' \
    "$(jq -c '[.status,.reason,.acknowledged_by,.number,.attempt]' "$d/out")"
expect_eq "quiet: no second call" 1 "$(calls 'length')"
expect_eq "quiet: the suppression is logged too" 2 "$(wc -l <"$d/q.jsonl")"
printf '{"speech":"db down","incident":"fp-1"}\n{"speech":"api down","incident":"fp-2"}\n' |
    q - >"$d/out" 2>"$d/err"
expect_eq "quiet: per incident" '["suppressed","completed"]' "$(jq -sc '[.[].status]' "$d/out")"
pc --schedule "$d/now.yaml" --speech "db down" --incident fp-9 --state "$d/state" >/dev/null 2>&1
# The state counts whole seconds: a 1s period may end before the next
# process starts (it did, under load), so 3s.
pc --schedule "$d/now.yaml" --speech "db down" --incident fp-9 --state "$d/state" --quiet-period 3s \
    >"$d/out" 2>"$d/err"
expect_eq "quiet: within a 3s period" '"suppressed"' "$(jq -c .status "$d/out")"
sleep 3.1
pc --schedule "$d/now.yaml" --speech "db down" --incident fp-9 --state "$d/state" --quiet-period 3s \
    >"$d/out" 2>"$d/err"
expect_eq "quiet: over after the period" '"completed"' "$(jq -c .status "$d/out")"
reset_twilio
callee +33600000101 '{"do":"press","digits":"2"}'
callee +33600000102 '{"do":"press","digits":"2"}'
callee +33600000103 '{"do":"press","digits":"2"}'
q --speech "db down" --incident fp-3 --escalate >/dev/null 2>&1
q --speech "db down" --incident fp-3 --escalate >"$d/out" 2>&1
expect_eq "quiet: a no is no acknowledgement" '3 6' "$(grep -c '"completed"' "$d/out") $(calls 'length')"

# A state that cannot be used (here a file, not a directory; a read-only
# volume alike) does not stop the page: the call is made without the
# limits, that is said, and the exit status is 4.
reset_twilio
callee +33600000101 '{"do":"press","digits":"1"}'
: >"$d/notadir"
pc --to +33600000101 --speech x --incident fp-4 --state "$d/notadir" >"$d/out" 2>"$d/err"
expect_eq "broken state: called all the same, exit 4" '4 ["completed",true]' "$? $(jq -c '[.status,.answer]' "$d/out")"
expect_match "broken state: said" "'.*notadir' is not a directory" "$(cat "$d/err")"
expect_match "broken state: calling without the limits, said" 'calling without --quiet-period' "$(cat "$d/err")"

# The hourly cap: no number called more than N times an hour, even by
# processes running at once; the next level is still called.
reset_twilio
callee +33600000101 '{"do":"press","digits":"2"}'
callee +33600000102 '{"do":"press","digits":"2"}'
rm -rf "$d/cap"
for i in 1 2 3 4 5 6; do
	pc --to +33600000101 --speech "storm $i" --state "$d/cap" --max-calls-per-hour 2 \
	    --log "$d/cap.jsonl" >/dev/null 2>&1
done
expect_eq "cap: two calls, four suppressed" '2 4' \
    "$(calls 'length') $(jq -s '[.[] | select(.reason == "max-calls-per-hour")] | length' "$d/cap.jsonl")"
rm -rf "$d/cap2"
# 12 processes at once (notify-only: no listener port to share) race
# for the same number's budget.
pids=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	phonecall --url "$twilio" --to +33600000102 --speech "race $i" --state "$d/cap2" \
	    --max-calls-per-hour 3 >"$d/race.$i" 2>/dev/null &
	pids="$pids $!"
done
for pid in $pids; do
	wait "$pid"
done
expect_eq "cap: 12 at once, exactly 3 calls" '3 9' \
    "$(calls '[.[] | select(.to == "+33600000102")] | length') $(cat "$d"/race.* | jq -s '[.[] | select(.status == "suppressed")] | length')"
reset_twilio
now_schedule +33600000101 +33600000102 +33600000103
callee +33600000102 '{"do":"press","digits":"1"}'
pc --schedule "$d/now.yaml" --escalate --speech x --state "$d/cap" --max-calls-per-hour 2 >"$d/out" 2>"$d/err"
expect_eq "cap: the capped level is skipped, the next called" '0 [["suppressed",null],["completed",true]]' \
    "$? $(jq -sc '[.[] | [.status,.answer]]' "$d/out")"
done_testing
