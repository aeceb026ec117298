# phonecall(1)'s EXAMPLES, run as written against the Twilio fixture:
# only the paths under /etc and /var, the listening address and the
# public URL are pointed at the test's own; the API URL comes from
# PHONECALL_URL. Also: the man page's section titles render (an mdoc
# macro name at the start of a title, "No", would vanish).
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/phonecall.sh"
. "$OPSPIPE_TOP/test/fixtures/examples.sh"
d=$T_DIR
man=$OPSPIPE_TOP/share/man/man1/phonecall.1
cd "$d" || exit 2
start_twilio
PHONECALL_URL=$twilio
export PHONECALL_URL

# The schedule DESIGN.md shows, with a secondary rotation and numbers
# the fixture plays.
mkdir -p etc lib log
cat >oncall.yaml <<'EOF'
timezone: Europe/Paris
rotations:
  - name: primary
    start: 2026-11-02T09:00
    length: 1w
    participants:
      - {name: alice, number: "+33600000101"}
      - {name: bob, number: "+33600000102"}
  - name: secondary
    start: 2026-11-02T09:00
    length: 1w
    participants:
      - {name: dave, number: "+33600000201"}
overrides:
  - {rotation: primary, start: 2026-11-24T09:00, end: 2026-11-25T09:00, name: carol, number: "+33600000103"}
escalation: [primary, secondary]
EOF
cp oncall.yaml etc/oncall.yaml
for n in +33600000101 +33600000102 +33600000103; do
	callee "$n" '{"do":"press","digits":"2"}'
done
callee +33600000201 '{"do":"say","speech":"yes I am on it"}'

example "$man" 1 | sed -e "s|/etc/opspipe/|$d/etc/|" -e "s|/var/lib/opspipe/|$d/lib/|" \
    -e "s|/var/log/opspipe/|$d/log/|g" -e "s|0.0.0.0:8080|127.0.0.1:$pc_port|" \
    -e "s|https://pager.example.com/pc|http://127.0.0.1:$pc_port/pc|" >ex1
expect_status "example 1 (escalate, log, once per incident) runs" 0 env fingerprint=fp-ex sh ex1
expect_eq "example 1: the first level said no, the second yes" '[[0,false],[1,true]]' \
    "$(jq -sc '[.[] | [.level,.answer]]' "$T_DIR/out")"
expect_eq "example 1: both logs written" "2 3" \
    "$(wc -l <log/calls.jsonl | tr -d ' ') $(wc -l <log/calls.csv | tr -d ' ')"
expect_status "example 1 again: never twice for one incident" 0 env fingerprint=fp-ex sh ex1
expect_eq "example 1 again: suppressed" '"suppressed"' "$(jq -c .status "$T_DIR/out")"

example "$man" 2 >ex2
expect_status "example 2 (who is on call tonight) runs" 0 sh ex2
expect_eq "example 2: the override, then the secondary" '[["carol",true],["dave",false]]' \
    "$(jq -sc '[.[] | [.person,.override]]' "$T_DIR/out")"

printf '%s\n' '{"diagnosis":"La base est en panne.","fingerprint":"fp-fr"}' >failures.jsonl
example "$man" 3 >ex3
expect_status "example 3 (the flow's requests, in French) runs" 0 \
    env PHONECALL_LISTEN="127.0.0.1:$pc_port" PHONECALL_PUBLIC_URL="http://127.0.0.1:$pc_port/pc" sh ex3
expect_eq "example 3: asked in French, escalated to a yes" '[["fp-fr",false],["fp-fr",true]]' \
    "$(jq -sc '[.[] | [.incident,.answer]]' "$T_DIR/out")"
expect_match "example 3: the French question" '^Pouvez-vous' "$(jq -sr '.[0].question' "$T_DIR/out")"

example "$man" 4 >ex4
expect_status "example 4 (tts) runs" 0 sh ex4
expect_eq "example 4: a WAV file" RIFFWAVE "$(head -c 4 alert.wav)$(head -c 12 alert.wav | tail -c 4)"

mandoc -Tascii "$man" | col -b >man.txt
expect_match "the man page: the paging storms section has its title" '^   No paging storms$' "$(cat man.txt)"
done_testing
