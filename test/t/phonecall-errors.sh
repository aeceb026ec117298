# phonecall when things go wrong: Twilio's errors told plainly (20003,
# 21211, 21212, 21214), retries, bad numbers refused before any call,
# --dry-run sending nothing, API keys, a flag beating its variable, and
# no secret in any output.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/phonecall.sh"
d=$T_DIR
start_twilio --key SK0123456789abcdef0123456789abcdef --secret fixture-key-secret
callee +33600000001 '{"do":"press","digits":"1"}'

# no_secret NAME FILE...: neither credential appears anywhere in FILEs.
no_secret() {
	name=$1
	shift
	if cat "$@" | grep -q -e "$TWILIO_AUTH_TOKEN" -e fixture-key-secret; then
		not_ok "$name: no secret" "$(cat "$@")"
	else
		ok "$name: no secret"
	fi
}

ncreates() {
	requests '[.[] | select(.method == "POST" and (.path | endswith("/Calls.json")))] | length'
}

# Authentication: Twilio's 20003 in plain words, exit 3, no retry.
TWILIO_AUTH_TOKEN=wrong-token pc --to +33600000001 --speech x >"$d/out" 2>"$d/err"
expect_eq "20003: the provider failed" 3 "$?"
expect_match "20003: told plainly" "error 20003: Authenticate \\(authentication failed: check TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN" "$(cat "$d/err")"
expect_eq "20003: the record says failed" '[null,"failed"]' "$(jq -c '[.answer,.status]' "$d/out")"
expect_match "20003: the record carries the error" 'error 20003' "$(jq -r .error "$d/out")"
no_secret "20003" "$d/out" "$d/err"
TWILIO_AUTH_TOKEN=wrong-token no_secret "20003 (the wrong token)" "$d/out" "$d/err"

# An API key and its secret, the Account SID still in the path.
TWILIO_API_KEY=SK0123456789abcdef0123456789abcdef TWILIO_API_SECRET=fixture-key-secret \
    phonecall --url "$twilio" --to +33600000001 --speech x >"$d/out" 2>"$d/err"
expect_eq "API key: the call went through" 1 "$?"
expect_eq "API key: basic auth as the key" '"SK0123456789abcdef0123456789abcdef"' "$(requests '.[-1].user')"

# Numbers Twilio refuses: the next level may still be fine, so these are
# records, not the end; a bad 'To' is bad input (2), unreachable is 3.
callee +33600000030 '{"do":"error","status":400,"code":21211,"message":"The '"'"'To'"'"' number +33600000030 is not a valid phone number."}'
pc --to +33600000030 --speech x >"$d/out" 2>"$d/err"
expect_eq "21211: bad input" 2 "$?"
expect_match "21211: told plainly" "error 21211: The 'To' number \\+33600000030 is not a valid phone number. \\(the 'To' number is not a valid phone number\\)" "$(cat "$d/err")"
callee +33600000031 '{"do":"error","status":400,"code":21214,"message":"To number cannot be reached"}'
pc --to +33600000031 --speech x >"$d/out" 2>"$d/err"
expect_eq "21214: the provider failed" 3 "$?"
expect_match "21214: told plainly" "cannot be reached" "$(cat "$d/err")"
pc --to +33600000001 --from +15005550007 --speech x >"$d/out" 2>"$d/err"
expect_eq "21210: --from beats TWILIO_FROM, and is not the account's" 2 "$?"
expect_match "21210: told plainly" "error 21210: .*neither a number of this account" "$(cat "$d/err")"

# 503 then fine: the HTTP layer retries the create.
before=$(ncreates)
twilio_ctl '{"fail":[{"status":503,"times":1}]}'
pc --to +33600000001 --speech x >"$d/out" 2>"$d/err"
expect_eq "503 once: retried, answered" 0 "$?"
expect_eq "503 once: two creates" 2 "$(($(ncreates) - before))"
# 429 (Twilio's 20429, too many requests): waited out and retried too.
before=$(ncreates)
twilio_ctl '{"fail":[{"status":429,"times":1}]}'
pc --to +33600000001 --speech x >"$d/out" 2>"$d/err"
expect_eq "429 once: retried, answered" 0 "$?"
expect_eq "429 once: two creates" 2 "$(($(ncreates) - before))"
twilio_ctl '{"fail":[{"status":503,"times":9}]}'
pc --to +33600000001 --speech x >"$d/out" 2>"$d/err"
expect_eq "503 for good: the provider failed" 3 "$?"
expect_match "503 for good: said" 'HTTP 503' "$(cat "$d/err")"
reset_twilio
callee +33600000001 '{"do":"press","digits":"1"}'

# A create that times out may have placed the call (the fixture places
# it, then answers late): it is not sent again, or the phone rings twice.
before=$(ncreates)
callee +33600000032 '{"do":"no-answer","create_delay":2}'
pc --to +33600000032 --speech x --timeout 1 >"$d/out" 2>"$d/err"
expect_eq "create timed out: the provider failed" 3 "$?"
sleep 2.5
expect_eq "create timed out: one call placed, not four" 1 "$(($(ncreates) - before))"
expect_match "create timed out: said why" 'may have been acted on: not retried' "$(cat "$d/err")"

# A record that cannot be written whole (past a file size limit here, a
# full disk alike) is cut off again: the next record starts its own line.
printf '{"pad":"%0400d"}\n' 0 >"$d/full.jsonl"
(ulimit -f 1 && trap '' XFSZ && exec phonecall --url "$twilio" --to +33600000001 --speech x \
    --log "$d/full.jsonl") >"$d/out" 2>"$d/err"
expect_eq "log past a size limit: exit 4" 4 "$?"
expect_match "log past a size limit: said" "cannot write log '.*full.jsonl'" "$(cat "$d/err")"
phonecall --url "$twilio" --to +33600000001 --speech y --log "$d/full.jsonl" >/dev/null 2>&1
expect_eq "log past a size limit: no torn line before the next record" '[null,"y"]' \
    "$(jq -sc 'map(.speech)' "$d/full.jsonl" 2>&1)"

# Refused before any call: nothing reaches Twilio.
before=$(ncreates)
expect_status "bad --to: exit 2" 2 pc --to 0612345678 --speech x
expect_match "bad --to: named" "invalid --to '0612345678': not E.164" "$(cat "$T_DIR/err")"
expect_status "bad --from: exit 2" 2 pc --to +33600000001 --from 15005550006 --speech x
expect_status "no --from: exit 2" 2 env TWILIO_FROM= phonecall --url "$twilio" --to +33600000001 --speech x
expect_status "no speech: exit 2" 2 pc --to +33600000001
expect_status "no one to call: exit 2" 2 pc --speech x
expect_status "--to and a bad language" 2 pc --to +33600000001 --speech x --language 'en US'
expect_status "no credentials: exit 2" 2 env TWILIO_AUTH_TOKEN= phonecall --url "$twilio" --to +33600000001 --speech x
expect_status "API key but --public-url: the token signs callbacks" 2 env TWILIO_AUTH_TOKEN= \
    TWILIO_API_KEY=SK0123456789abcdef0123456789abcdef TWILIO_API_SECRET=fixture-key-secret \
    phonecall --url "$twilio" --to +33600000001 --speech x --listen 127.0.0.1:0 --public-url http://x/
expect_match "API key but --public-url: said why" 'needs TWILIO_AUTH_TOKEN' "$(cat "$T_DIR/err")"
expect_status "a control character in the token" 2 env TWILIO_AUTH_TOKEN="$(printf 'a\nb')" \
    phonecall --url "$twilio" --to +33600000001 --speech x
expect_status "a password in --public-url is refused" 2 pc --to +33600000001 --speech x \
    --public-url "http://u:pw-secret@127.0.0.1:$pc_port/pc"
expect_eq "a password in --public-url: not shown" 0 "$(grep -c pw-secret "$T_DIR/err")"
expect_status "--listen without --public-url" 2 phonecall --url "$twilio" --to +33600000001 --speech x --listen 127.0.0.1:1
expect_status "--quiet-period without --state" 2 pc --to +33600000001 --speech x --quiet-period 1h
expect_status "--ring-timeout past Twilio's 600" 2 pc --to +33600000001 --speech x --ring-timeout 601
expect_status "an unknown provider" 2 pc --to +33600000001 --speech x --provider carrier-pigeon
expect_status "too long for Twilio's 4000 characters" 2 pc --to +33600000001 \
    --speech "$(head -c 4000 /dev/zero | tr '\0' 'a')"
expect_match "too long: said why" '4000 characters' "$(cat "$T_DIR/err")"
expect_status "the listening port taken" 4 phonecall --url "$twilio" --to +33600000001 --speech x \
    --listen "127.0.0.1:$(head -n 1 "$d"/fixture.1.port)" --public-url http://127.0.0.1:9/
expect_eq "refused: no call was placed" "$before" "$(ncreates)"

# --dry-run: shows the request, sends nothing, no secret.
before=$(ncreates)
pc --dry-run --to +33600000001 --speech 'Disk <full>' >"$d/out" 2>"$d/err"
expect_eq "dry run: exit 0" 0 "$?"
expect_eq "dry run: nothing sent" "$before" "$(ncreates)"
expect_eq "dry run: the request" "[\"POST\",\"$twilio/2010-04-01/Accounts/$TWILIO_ACCOUNT_SID/Calls.json\",\"Basic <redacted>\",\"+33600000001\",\"$TWILIO_FROM\",\"http://127.0.0.1:$pc_port/pc/status\"]" \
    "$(jq -c '[.method,.url,.headers.Authorization,.body.To,.body.From,.body.StatusCallback]' "$d/out")"
expect_match "dry run: the TwiML, escaped" '<Say language="en-US">Disk &lt;full&gt;</Say><Gather' "$(jq -r .body.Twiml "$d/out")"
no_secret "dry run" "$d/out" "$d/err"
expect_eq "dry run: the port was not taken" "" \
    "$(curl -s --max-time 1 "http://127.0.0.1:$pc_port/pc/status" 2>/dev/null)"

# The environment: every setting a flow passes, a flag beating each.
PHONECALL_URL=$twilio PHONECALL_LISTEN=127.0.0.1:$pc_port PHONECALL_PUBLIC_URL=http://127.0.0.1:$pc_port/env \
    PHONECALL_LANGUAGE=fr-FR PHONECALL_LOG=$d/env.jsonl PHONECALL_CSV=$d/env.csv \
    phonecall --to +33600000001 --speech x >"$d/out" 2>"$d/err"
expect_eq "environment: answered" 0 "$?"
expect_eq "environment: PHONECALL_PUBLIC_URL used" "\"http://127.0.0.1:$pc_port/env/gather\"" \
    "$(calls '.[-1].callbacks[] | select(.kind == "gather") | .url')"
expect_match "environment: PHONECALL_LANGUAGE used" 'Pouvez-vous' "$(jq -r .question "$d/out")"
ok_if "environment: PHONECALL_LOG and PHONECALL_CSV written" [ -s "$d/env.jsonl" ] && [ -s "$d/env.csv" ]
PHONECALL_URL=http://127.0.0.1:9 PHONECALL_LANGUAGE=fr-FR PHONECALL_LOG=$d/env2.jsonl \
    pc --to +33600000001 --speech x --language en-US --log "$d/flag.jsonl" >"$d/out" 2>"$d/err"
expect_eq "flags beat variables: --url, --language, --log" '[0,"Can you intervene? Press 1 or say yes; press 2 or say no.",true,false]' \
    "$(jq -c --argjson rc "$?" --arg f "$(test -s "$d/flag.jsonl" && echo y)" --arg e "$(test -e "$d/env2.jsonl" && echo y)" \
    '[$rc, .question, $f == "y", $e == "y"]' "$d/out")"
no_secret "every log" "$d"/*.jsonl "$d"/*.csv "$d/err"
done_testing
