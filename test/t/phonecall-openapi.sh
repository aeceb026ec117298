# Every request phonecall sends to the Twilio fixture, and every answer
# the fixture gives, checked against Twilio's published OpenAPI
# description (test/openapi/twilio.json, extracted from the npm package
# @twilio/cli-core, which ships twilio-oai's twilio_api_v2010.json, by
# test/openapi/update-twilio.sh): phonecall and the fixture cannot drift
# from Twilio's API together. The callbacks Twilio posts are not in the
# description; their signing is checked against Twilio's own validator
# vectors (test/unit/test_phonecall_form.c).
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/phonecall.sh"
d=$T_DIR
start_twilio
spec=$OPSPIPE_TOP/test/openapi/twilio.json

callee +33600000001 '{"do":"press","digits":"1"}'
callee +33600000002 '{"do":"say","speech":"non","nocallback":true}'
callee +33600000003 '{"do":"no-answer","ring":600,"nocallback":true}'
callee +33600000004 '{"do":"error","status":400,"code":21211,"message":"bad To"}'
pc --to +33600000001 --speech 'Disk <full> & "hot"' >/dev/null 2>&1
pc --to +33600000002 --speech x --language fr-FR --voice Polly.Celine --ring-timeout 1 >/dev/null 2>&1
phonecall --url "$twilio" --to +33600000001 --speech "notify only" >/dev/null 2>&1
phonecall --url "$twilio" --to +33600000003 --speech x --call-timeout 1s >/dev/null 2>&1
pc --to +33600000004 --speech x >/dev/null 2>&1
TWILIO_AUTH_TOKEN=wrong pc --to +33600000001 --speech x >/dev/null 2>&1
curl -fs "$twilio/_requests" >"$d/requests.json"
expect_eq "the requests to check: create, fetch, update, errors" '[["GET",200],["POST",200],["POST",201],["POST",400],["POST",401]]' \
    "$(jq -c '[.[] | [.method, .status]] | unique' "$d/requests.json")"
/usr/bin/python3 "$OPSPIPE_TOP/test/openapi/twilio_check.py" "$spec" "$d/requests.json" >"$d/tap" 2>&1
relay_tap "$d/tap" "OpenAPI checker"
expect_eq "the checker saw every operation phonecall uses" 3 \
    "$(grep -c 'request(s) and answers match' "$d/tap")"
expect_match "the description is Twilio's own" '^@twilio/cli-core [0-9.]+, src/services/twilio-api/twilio_api_v2010.json$' \
    "$(jq -r .source "$spec")"

# The checker must be able to fail: an unknown parameter, a bad enum,
# a Twiml past the stated limit, no Url/Twiml, a call SID of the wrong
# shape, and an answer missing what phonecall reads.
path=/2010-04-01/Accounts/$TWILIO_ACCOUNT_SID/Calls.json
jq -nc --arg p "$path" --arg long "$(head -c 4001 /dev/zero | tr '\0' a)" '[
  {method:"POST", path:$p, params:{To:["+1555"],From:["+1556"],Twiml:["<Response/>"],Timout:["30"]}, status:201, response:{sid:"CA0123456789abcdef0123456789abcdef",status:"queued"}},
  {method:"POST", path:$p, params:{To:["+1555"],From:["+1556"],Twiml:["<Response/>"],StatusCallbackEvent:["answred"],MachineDetection:["Yes"]}, status:201, response:{sid:"CA0123456789abcdef0123456789abcdef",status:"queued"}},
  {method:"POST", path:$p, params:{To:["+1555"],From:["+1556"],Twiml:[$long],Timeout:["601"]}, status:201, response:{sid:"CA0123456789abcdef0123456789abcdef",status:"ringing-ish"}},
  {method:"POST", path:$p, params:{To:["+1555"],From:["+1556"]}, status:201, response:{status:"queued"}},
  {method:"GET", path:($p | sub("Calls.json$"; "Calls/CA123.json")), params:{}, status:200, response:{sid:"CA123"}}
]' >"$d/bad.json"
/usr/bin/python3 "$OPSPIPE_TOP/test/openapi/twilio_check.py" "$spec" "$d/bad.json" >"$d/badtap" 2>&1
for want in "parameter 'Timout' is not in Twilio's schema" "StatusCallbackEvent answred is not one of" \
    "MachineDetection=Yes is not one of" "Twiml has 4001 characters, Twilio takes 4000" \
    "Timeout=601 is outside 1..600" "'ringing-ish' is not one of" "none of \\['url', 'twiml', 'application_sid'\\]" \
    "the fixture's answer lacks 'sid'" "path parameter Sid=CA123 does not match"; do
	expect_match "the checker refuses: $want" "$want" "$(cat "$d/badtap")"
done
done_testing
