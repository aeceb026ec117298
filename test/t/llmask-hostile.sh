#!/bin/sh
# llmask against input shaped the way real logs and manifests are: secrets
# and names on the second line of a message (after a JSON "\n" or "\t"
# escape), secrets as command-line flags and container args, and a server
# URL with a password that must never reach stderr.
# shellcheck disable=SC2016 # sh -c scripts expand their own "$@"
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

# --dry-run sends nothing: the port is never used.
dry() { llmask --url http://127.0.0.1:9 --dry-run -p x "$@"; }
content() { jq -r '.messages[-1].content' "$T_DIR/out"; }

# After an escape the secret is not preceded by a space: the matchers
# that want a word start must still see one.
cat >"$T_DIR/escaped" <<'EOF'
{"log":"stack:\nghp_0123456789abcdefghijABCDEFGHIJ012345\tAKIAIOSFODNN7EXAMPLE\neyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ\nBearer b3arer-t0ken-42\nsk-proj-abcdefghijklmnopqrst0123\u001bpassword=esc-pw-77"}
EOF
expect_status "secrets after JSON escapes: dry run" 0 sh -c 'llmask --url http://127.0.0.1:9 --dry-run -p x <"$1"' - "$T_DIR/escaped"
leaked=""
for s in ghp_0123456789 AKIAIOSFODNN7EXAMPLE eyJzdWIiOiJib2IifQ b3arer-t0ken-42 sk-proj-abcdefghij esc-pw-77; do
	content | grep -qF -- "$s" && leaked="$leaked $s"
done
expect_eq "no secret after a newline, tab or ESC escape leaks" "" "$leaked"
expect_eq "each of them is marked" 6 "$(content | grep -o '\[REDACTED\]' | wc -l)"

# The letter of the escape is not a word: "\nghp_…-access_key=x" once
# read as a key named "nghp_…-access_key", and the token went out.
printf '%s\n' '{"log":"a\nghp_0123456789abcdefghijABCDEFGHIJ0-access_key=x"}' >"$T_DIR/glued"
dry <"$T_DIR/glued" >"$T_DIR/out"
expect_eq "a token glued to a key after an escape is redacted" 0 "$(content | grep -c 'ghp_')"

# Flags as a process listing, an event message or a container spec has them.
cat >"$T_DIR/flags" <<'EOF'
{"cmd":"app --password fl4g-pw-1 --token=fl4g-tok-2 --db-password=fl4g-db-3 --secret \"fl4g q 4\" --verbose --token -x"}
{"args":["--api-key","fl4g-arg-5","--token","fl4g-arg-6","--password","--log-level","debug"]}
EOF
dry <"$T_DIR/flags" >"$T_DIR/out" 2>"$T_DIR/err"
leaked=""
for s in fl4g-pw-1 fl4g-tok-2 fl4g-db-3 "fl4g q 4" fl4g-arg-5 fl4g-arg-6; do
	content | grep -qF -- "$s" && leaked="$leaked $s"
done
expect_eq "secrets given as flags do not leak" "" "$leaked"
ok_if "a flag followed by another flag keeps it" sh -c 'jq -r ".messages[-1].content" "$1" | grep -qF -- "--verbose --token -x"' - "$T_DIR/out"
ok_if "an args flag without a value keeps the next flag" sh -c 'jq -r ".messages[-1].content" "$1" | grep -qF -- "\"--password\",\"--log-level\",\"debug\""' - "$T_DIR/out"

# --mask-names: a pod, IP or host on a message's next line is masked too.
printf '%s\n' '{"pod":"web-7d9f8-abcde","msg":"oops\nweb-7d9f8-abcde died\t10.1.2.3 down\u001bnode-9.corp.example.com"}' >"$T_DIR/names"
dry --mask-names <"$T_DIR/names" >"$T_DIR/out"
leaked=""
for s in web-7d9f8 10.1.2.3 node-9.corp; do
	content | grep -qF -- "$s" && leaked="$leaked $s"
done
expect_eq "--mask-names: names after JSON escapes are masked" "" "$leaked"
ok_if "--mask-names: the same pod, the same placeholder" sh -c 'jq -r ".messages[-1].content" "$1" | grep -qF "\"pod\":\"pod-1\",\"msg\":\"oops\\npod-1 died\\tip-1 down"' - "$T_DIR/out"

# --answer-field naming a field llmask writes itself would lose the answer.
for k in model usage ms tokens_per_second cached; do
	expect_status "--answer-field $k is a usage error" 2 llmask --url http://127.0.0.1:9 --dry-run -p x --each --answer-field "$k"
done
expect_match "and says why" "^llmask: invalid --answer-field 'cached': llmask writes that field itself" "$(head -n 1 "$T_DIR/err")"
expect_status "... unless --meta-prefix moves llmask's own" 0 sh -c 'echo "{}" | llmask --url http://127.0.0.1:9 --dry-run -p x --each --answer-field ms --meta-prefix llm_'
expect_status "--answer-field equal to a prefixed name: a usage error" 2 llmask --url http://127.0.0.1:9 --dry-run -p x --no-input --answer-field llm_ms --meta-prefix llm_
# --key is the client key, as in every opspipe program; the answer's
# field was once --key NAME: that use is named, not silently ignored.
expect_status "--key NAME (the old answer field): a usage error" 2 llmask --url http://127.0.0.1:9 --dry-run -p x --no-input --key summary
expect_match "... that points to --answer-field" "^llmask: --key 'summary': no such file: --key is the client certificate's private key; the answer's field is --answer-field NAME" "$(head -n 1 "$T_DIR/err")"

# A type name the checker does not know would check nothing: a typo in
# a schema must not turn validation off.
for s in '{"type":"objekt"}' \
    '{"type":"object","properties":{"sev":{"type":"strng"}}}' \
    '{"type":"array","items":{"type":["string","nul"]}}' \
    '{"anyOf":[{"type":"int"}]}'; do
	printf '%s\n' "$s" >"$T_DIR/schema.json"
	expect_status "schema $s is a usage error" 2 llmask --url http://127.0.0.1:9 --dry-run -p x --no-input --schema "$T_DIR/schema.json"
done
expect_match "the message says where" "^llmask: invalid --schema '.*schema.json': anyOf\[0\]: \"type\" must be object, array, string, number, integer, boolean or null" "$(head -n 1 "$T_DIR/err")"
expect_status "every shipped schema passes" 0 sh -c 'for f in "$1"/share/opspipe/schemas/*.json; do llmask --url http://127.0.0.1:9 --dry-run -p x --no-input --schema "$f" >/dev/null || exit 1; done' - "$OPSPIPE_TOP"

# An option that cannot act is refused, not ignored.
expect_status "--jobs without --each is a usage error" 2 llmask --url http://127.0.0.1:9 --dry-run -p x --jobs 4 --no-input
expect_match "and says why" "^llmask: --jobs needs --each" "$(head -n 1 "$T_DIR/err")"

# jq's compile messages hold newlines; a diagnostic is one line.
expect_status "a --template that does not compile: exit 2" 2 llmask --url http://127.0.0.1:9 --dry-run --template '.a |||'
expect_eq "its message is one line" 1 "$(wc -l <"$T_DIR/err")"
expect_match "with jq's words" "^llmask: invalid --template: jq: error: syntax error.*; jq: 1 compile error$" "$(cat "$T_DIR/err")"

# IPv6 addresses are IPs too; times and MAC addresses are not.
printf '%s\n' '{"msg":"from fe80::1ff:fe23:4567:890a and 2001:db8:0:0:0:0:2:1 via [2001:db8::7]:8080 at 10:30:00, mac aa:bb:cc:dd:ee:ff; fe80::1ff:fe23:4567:890a again"}' >"$T_DIR/ipv6"
dry --mask-names <"$T_DIR/ipv6" >"$T_DIR/out"
expect_eq "--mask-names: IPv6 addresses masked, times and MACs kept" \
    '{"msg":"from ip-1 and ip-2 via [ip-3]:8080 at 10:30:00, mac aa:bb:cc:dd:ee:ff; ip-1 again"}' \
    "$(content | sed -n '/^BEGIN DATA$/{n;p;}')"

# --truncate cuts before redaction sees the text: a token cut in half
# no longer looks like one, so the cut word goes as a whole.
printf '%s\n' '{"log":"deploy with ghp_0123456789abcdefghijABCDEFGHIJ012345 now"}' >"$T_DIR/cut"
dry --each --truncate --max-input 40 <"$T_DIR/cut" >"$T_DIR/out"
expect_eq "--truncate: no part of a token cut in half is sent" 0 "$(content | grep -c 'ghp_')"
ok_if "--truncate: the text before it is" sh -c 'jq -r ".messages[-1].content" "$1" | grep -qF "{\"log\":\"deploy with "' - "$T_DIR/out"

# A password in the server URL stays out of every message.
start_llm
port=${llm##*:}
curl -fs -X POST -d '{"answers":[{"stream_error":"model crashed"},{"truncate":true}]}' \
    "http://127.0.0.1:$port/_control" >/dev/null
url=http://admin:url-pa55@127.0.0.1:$port
expect_status "an error in the stream is exit 3" 3 llmask --url "$url" -p x --no-input
expect_match "the error names the server" "^llmask: http://127.0.0.1:$port/api/chat: the server reported an error: model crashed" "$(cat "$T_DIR/err")"
cp "$T_DIR/err" "$T_DIR/err1"
expect_status "a stream cut short is exit 3" 3 llmask --url "$url" -p x --no-input
expect_match "the message says so" "^llmask: http://127.0.0.1:$port/api/chat: the answer ended before it was complete" "$(cat "$T_DIR/err")"
expect_eq "the URL's password is in no message" 0 "$(cat "$T_DIR/err1" "$T_DIR/err" | grep -c url-pa55)"
# The network options no other test reaches. A TLS
# handshake with the plain-HTTP fixture loads the client key and CA file
# first, so a missing file is named before anything is sent.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/client.key" \
    -out "$T_DIR/client.pem" -days 1 -subj /CN=llmask-test 2>/dev/null
expect_status "--key: a missing key file is exit 3" 3 \
    llmask --url "https://127.0.0.1:$port" --retries 0 -p x --no-input --cert "$T_DIR/client.pem" --key "$T_DIR/none.key"
expect_match "and names it as the client key" "unable to set private key file: '.*none.key'" "$(cat "$T_DIR/err")"
expect_status "--cacert: a missing CA file is exit 3" 3 \
    llmask --url "https://127.0.0.1:$port" --retries 0 -p x --no-input --cacert "$T_DIR/none-ca.pem"
expect_match "and names it" "none-ca.pem" "$(cat "$T_DIR/err")"
expect_status "--max-response: a bigger answer is exit 3" 3 llmask --url "http://127.0.0.1:$port" -p x --no-input --max-response 5
expect_match "and says so" "response larger than 5 bytes \(--max-response\)" "$(cat "$T_DIR/err")"
done_testing
