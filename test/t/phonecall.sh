# phonecall against the Twilio fixture: every way a callee can answer
# (keys, words in English and French, silence, no answer, busy, failure,
# an answering machine), what the call says (the TwiML, hostile speech
# escaped), forged callbacks refused, notify-only calls and the GET
# fallback, call requests on stdin, and the call log.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/phonecall.sh"
d=$T_DIR
start_twilio

# answer_case NAME NUMBER BEHAVIOUR STATUS '[answer,status,digits,response]' [ARGS]
answer_case() {
	name=$1 num=$2 how=$3 want_rc=$4 want=$5
	shift 5
	callee "$num" "$how"
	pc --to "$num" --speech "Disk full on db-1" "$@" >"$d/out" 2>"$d/err"
	expect_eq "$name: exit status" "$want_rc" "$?"
	expect_eq "$name: answer, status, digits, words" "$want" \
	    "$(jq -c '[.answer,.status,.digits,.response]' "$d/out")"
}

answer_case "press 1" +33600000001 '{"do":"press","digits":"1"}' 0 '[true,"completed","1",null]'
answer_case "press 2" +33600000002 '{"do":"press","digits":"2"}' 1 '[false,"completed","2",null]'
answer_case "press 9" +33600000009 '{"do":"press","digits":"9"}' 1 '[null,"completed","9",null]'
answer_case "say yes" +33600000003 '{"do":"say","speech":"Yes, I can."}' 0 '[true,"completed",null,"Yes, I can."]'
answer_case "say no" +33600000013 '{"do":"say","speech":"No, I can'"'"'t."}' 1 "[false,\"completed\",null,\"No, I can't.\"]"
answer_case "French: oui je peux" +33600000004 '{"do":"say","speech":"Oui je peux"}' 0 \
    '[true,"completed",null,"Oui je peux"]' --language fr-FR
answer_case "French: je ne peux pas" +33600000005 '{"do":"say","speech":"Non, je ne peux pas"}' 1 \
    '[false,"completed",null,"Non, je ne peux pas"]' --language fr-FR
answer_case "words that are neither: kept" +33600000006 '{"do":"say","speech":"what is this about"}' 1 \
    '[null,"completed",null,"what is this about"]'
answer_case "silence" +33600000007 '{"do":"silent"}' 1 '[null,"completed",null,null]'
answer_case "no answer" +33600000008 '{"do":"no-answer"}' 1 '[null,"no-answer",null,null]'
answer_case "busy" +33600000010 '{"do":"busy"}' 1 '[null,"busy",null,null]'
answer_case "failed" +33600000011 '{"do":"failed"}' 1 '[null,"failed",null,null]'
answer_case "answering machine: no answer" +33600000012 '{"do":"machine"}' 1 '[null,"no-answer",null,null]'
expect_eq "the machine is named" machine_start "$(jq -r .answered_by "$d/out")"

# The record, as DESIGN.md has it.
callee +33600000001 '{"do":"press","digits":"1"}'
pc --to +33600000001 --speech "Disk full on db-1" >"$d/rec" 2>"$d/err"
expect_match "record: time is UTC RFC 3339" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$(jq -r .time "$d/rec")"
expect_eq "record: fields" '["+33600000001",null,"Disk full on db-1","Can you intervene? Press 1 or say yes; press 2 or say no.",1,0,"twilio"]' \
    "$(jq -c '[.number,.person,.speech,.question,.attempt,.level,.provider]' "$d/rec")"
expect_eq "record: call_id is the Call SID" "$(calls '.[-1].sid')" "$(jq -c .call_id "$d/rec")"

# What Twilio was asked, and what the callee heard.
expect_eq "create: the parameters" \
    "[[\"+33600000001\"],[\"$TWILIO_FROM\"],[\"30\"],[\"Enable\"],[\"http://127.0.0.1:$pc_port/pc/status\"],[\"initiated\",\"ringing\",\"answered\",\"completed\"]]" \
    "$(requests '[.[] | select(.method == "POST")][-1].params | [.To,.From,.Timeout,.MachineDetection,.StatusCallback,.StatusCallbackEvent]')"
expect_eq "create: basic auth as the account" "\"$TWILIO_ACCOUNT_SID\"" "$(requests '.[-1].user')"
expect_eq "heard: speech, question, thanks" '["Disk full on db-1","Can you intervene? Press 1 or say yes; press 2 or say no.","Thank you. Goodbye."]' \
    "$(calls '.[-1].said')"
expect_eq "every callback was accepted" '[200,204]' "$(calls '[.[-1].callbacks[].status] | unique')"
expect_eq "the gather went to the public URL" "\"http://127.0.0.1:$pc_port/pc/gather\"" \
    "$(calls '.[-1].callbacks[] | select(.kind == "gather") | .url')"
expect_eq "silence: asked twice, then goodbye" \
    '["Disk full on db-1","Can you intervene? Press 1 or say yes; press 2 or say no.","Can you intervene? Press 1 or say yes; press 2 or say no.","No answer was received. Goodbye."]' \
    "$(calls '[.[] | select(.to == "+33600000007")][-1].said')"
expect_eq "French: asked and thanked in French" '["Pouvez-vous intervenir ? Appuyez sur 1 ou dites oui ; appuyez sur 2 ou dites non.","Merci. Au revoir."]' \
    "$(calls '[.[] | select(.to == "+33600000004")][-1].said[1:]')"
expect_match "French: Gather listens in French" '<Gather [^>]*language="fr-FR"' "$(calls '[.[] | select(.to == "+33600000004")][-1].twiml' | jq -r .)"

# Forged callbacks: a wrong signature and none at all get 403 and change
# nothing — the real answer (2) stands, not the forged one (1).
callee +33600000020 '{"do":"press","digits":"2","forge":{"Digits":"1"}}'
pc --to +33600000020 --speech "x" >"$d/out" 2>"$d/err"
expect_eq "forged gathers: the real answer stands" '[false,"2"]' "$(jq -c '[.answer,.digits]' "$d/out")"
expect_eq "forged gathers: both refused with 403" '[403,403]' "$(calls '[.[-1].callbacks[] | select(.kind == "forged") | .status]')"
expect_match "forged gathers: said so" "refused a gather callback with a bad signature" "$(cat "$d/err")"
# one sent by hand, while a call is on (a slow callee)
callee +33600000021 '{"do":"press","digits":"2","ring":1.5}'
pc --to +33600000021 --speech "x" >"$d/out" 2>"$d/err" &
pcpid=$!
sleep 0.7
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data 'CallSid=CAx&Digits=1&CallStatus=in-progress' \
    -H 'X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=' "http://127.0.0.1:$pc_port/pc/gather")
wait "$pcpid"
expect_eq "a hand-forged gather: 403" 403 "$code"
expect_eq "a hand-forged gather: ignored" '[false,"2"]' "$(jq -c '[.answer,.digits]' "$d/out")"

# Hostile speech is read out, never obeyed: the TwiML carries it escaped,
# the callee hears it as written, no verb is injected.
hostile='Disk <full> & "quoted" '"'single'"' <speak><break time="10s"/></speak> </Say><Dial>+19005550000</Dial><Say> &amp;'
callee +33600000001 '{"do":"press","digits":"1"}'
pc --to +33600000001 --speech "$hostile" --question 'Yes <or> no?' >/dev/null 2>&1
expect_eq "hostile speech: heard exactly as written" "$(jq -cn --arg s "$hostile" '[$s, "Yes <or> no?"]')" \
    "$(calls '.[-1].said[0:2]')"
expect_eq "hostile speech: the TwiML's verbs are ours" '["Say","Gather","Gather","Say"]' \
    "$(calls '.[-1].twiml' | jq -r . | /usr/bin/python3 -c 'import sys, json, xml.etree.ElementTree as E
print(json.dumps([c.tag for c in E.fromstring(sys.stdin.read())], separators=(",", ":")))')"

# Without --public-url the call only speaks; its end comes from GETs.
callee +33600000001 '{"do":"press","digits":"1"}'
phonecall --url "$twilio" --to +33600000001 --speech "notify only" >"$d/out" 2>"$d/err"
expect_eq "notify only: nobody answered the question" 1 "$?"
expect_eq "notify only: answer null, status from GET" '[null,"completed"]' "$(jq -c '[.answer,.status]' "$d/out")"
expect_eq "notify only: spoken, no question" '["notify only"]' "$(calls '.[-1].said')"
ok_if "notify only: the call was fetched" [ "$(requests '[.[] | select(.method == "GET")] | length')" -ge 1 ]
expect_eq "notify only: no StatusCallback" null "$(requests '[.[] | select(.method == "POST")][-1].params.StatusCallback')"

# Callbacks that never come: the answer still arrives, the end by GET.
# (The first GET waits for the ring timeout: callbacks are due by then.)
callee +33600000022 '{"do":"press","digits":"1","nocallback":true}'
pc --to +33600000022 --speech "x" --ring-timeout 1 >"$d/out" 2>"$d/err"
expect_eq "no status callbacks: yes, completed (GET)" '[true,"completed"]' "$(jq -c '[.answer,.status]' "$d/out")"
# Nothing at all reaching the listener (a wrong --public-url) is said.
callee +33600000024 '{"do":"press","digits":"1"}'
phonecall --url "$twilio" --listen "127.0.0.1:$pc_port" --public-url "http://127.0.0.1:9/pc" \
    --ring-timeout 1 --to +33600000024 --speech x >"$d/out" 2>"$d/err"
expect_eq "unreachable public URL: no answer, status by GET" '1 [null,"completed"]' \
    "$? $(jq -c '[.answer,.status]' "$d/out")"
expect_match "unreachable public URL: said" 'no callback from Twilio reached the listener .* is http://127.0.0.1:9/pc/status the public URL' "$(cat "$d/err")"

# A call still going at --call-timeout is hung up: canceled while it
# rings, so no line is left open.
callee +33600000023 '{"do":"press","digits":"1","ring":600,"nocallback":true}'
timeout 20 phonecall --url "$twilio" --to +33600000023 --speech x --call-timeout 1s \
    >"$d/out" 2>"$d/err"
expect_eq "outlasting the wait: hung up, canceled" '[null,"canceled"]' "$(jq -c '[.answer,.status]' "$d/out")"
expect_eq "outlasting the wait: Status=canceled sent" '["canceled"]' \
    "$(requests '[.[] | select(.method == "POST" and (.path | test("/Calls/CA")))][-1].params.Status')"

# SIGTERM while a call is on (a CronJob's deadline, a pod stopped): the
# call is hung up, not left open; its record is printed and logged; the
# next request is not called; exit 4.
callee +33600000026 '{"do":"silent","talk":600}'
printf '%s\n' '{"to":"+33600000026","speech":"db down"}' '{"to":"+33600000001","speech":"next"}' >"$d/two"
phonecall --url "$twilio" --listen "127.0.0.1:$pc_port" --public-url "http://127.0.0.1:$pc_port/pc" \
    --log "$d/term.jsonl" - <"$d/two" >"$d/out" 2>"$d/err" &
pcpid=$!
i=0
while [ "$(calls '[.[] | select(.to == "+33600000026")][-1].status')" != '"in-progress"' ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$pcpid"
wait "$pcpid"
expect_eq "SIGTERM mid-call: exit 4" 4 "$?"
expect_eq "SIGTERM mid-call: the record says so" '["+33600000026","completed","interrupted by SIGTERM: hung up"]' \
    "$(jq -sc '.[] | [.number,.status,.error]' "$d/out")"
expect_eq "SIGTERM mid-call: the record is logged" '"interrupted by SIGTERM: hung up"' "$(jq -c .error "$d/term.jsonl" 2>&1)"
expect_eq "SIGTERM mid-call: the call was hung up" '"completed"' \
    "$(calls '[.[] | select(.to == "+33600000026")][-1].status')"
expect_eq "SIGTERM mid-call: the next request not called" '[]' "$(calls '[.[] | select(.to == "+33600000001" and (.said[0] == "next"))]')"

# SIGTERM while the call is being placed (a slow create): the create
# ends, then the call is hung up — canceled while it rings — and recorded.
callee +33600000027 '{"do":"press","digits":"1","ring":30,"create_delay":1.5}'
phonecall --url "$twilio" --listen "127.0.0.1:$pc_port" --public-url "http://127.0.0.1:$pc_port/pc" \
    --to +33600000027 --speech x >"$d/out" 2>"$d/err" &
pcpid=$!
sleep 0.5
kill -TERM "$pcpid"
wait "$pcpid"
expect_eq "SIGTERM while placing the call: exit 4, recorded, canceled" \
    '4 ["canceled","interrupted by SIGTERM: hung up"] "canceled"' \
    "$? $(jq -c '[.status,.error]' "$d/out") $(calls '[.[] | select(.to == "+33600000027")][-1].status')"

# Call requests on stdin: other fields pass through, "to" becomes "number",
# a bad line is reported and the rest still called.
callee +33600000001 '{"do":"press","digits":"1"}'
printf '%s\n' '{"to":"+33600000001","speech":"db down","incident":"fp1","ticket":"OPS-7"}' \
    '{"to":"+33600000001"}' '{"to":"0612","speech":"x"}' 'not json' \
    '{"to":"+33600000001","speech":"again","question":"Now?"}' \
    '{"to":"+33600000001\u0000junk","speech":"x"}' | pc - >"$d/out" 2>"$d/err"
expect_eq "stdin: bad lines make exit 2" 2 "$?"
expect_eq "stdin: the good requests called" '[["+33600000001","db down","fp1","OPS-7",false],["+33600000001","again",null,null,false]]' \
    "$(jq -sc '[.[] | [.number,.speech,.incident,.ticket,has("to")]]' "$d/out")"
expect_eq "stdin: the question asked" '"Now?"' "$(jq -sc '.[1].question' "$d/out")"
expect_match "stdin: no speech, named by line" 'stdin:2: no speech' "$(cat "$d/err")"
expect_match "stdin: a bad number, named" "stdin:3: number '0612' is not E.164" "$(cat "$d/err")"
expect_match "stdin: not JSON, named" 'stdin:4:' "$(cat "$d/err")"
expect_match "stdin: a NUL in a field, named (not read as a shorter string)" "stdin:6: field 'to' holds a NUL byte" "$(cat "$d/err")"

# The call log: JSON lines as printed, CSV with the six columns.
callee +33600000002 '{"do":"press","digits":"2"}'
pc --to +33600000001 --speech 'Disk, "full"' --log "$d/calls.jsonl" --csv "$d/calls.csv" >"$d/a" 2>/dev/null
pc --to +33600000002 --speech 'line one
line two' --log "$d/calls.jsonl" --csv "$d/calls.csv" >"$d/b" 2>/dev/null
expect_eq "log: the records printed" "$(cat "$d/a" "$d/b")" "$(cat "$d/calls.jsonl")"
/usr/bin/python3 - "$d/calls.csv" >"$d/csvcheck" <<'PY'
import csv, sys
raw = open(sys.argv[1], newline="").read()
rows = list(csv.reader(raw.splitlines(True)))
print(rows[0] == ["time", "number", "speech", "answer", "status", "person"])
print(rows[1][1:] == ["+33600000001", 'Disk, "full"', "true", "completed", ""])
print(rows[2][1:] == ["+33600000002", "line one\nline two", "false", "completed", ""])
print(raw.count("\r\n") == 3 and len(rows) == 3)
PY
expect_eq "csv: header, quoting, answers, CRLF (RFC 4180)" "True True True True" "$(tr '\n' ' ' <"$d/csvcheck" | sed 's/ $//')"

# "No" is an mdoc macro: a heading starting with it must be escaped.
expect_match "the man page: the paging storms section has its title" '^   No paging storms$' \
    "$(mandoc -Tascii "$OPSPIPE_TOP/share/man/man1/phonecall.1" | col -b)"
done_testing
