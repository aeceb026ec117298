#!/bin/sh
# llmask's safety, both APIs, asserted on what the fixture LLM received:
# secrets redacted by default (and only with --no-redact sent as they
# are), Kubernetes names, namespaces, IPs and hostnames masked with
# stable placeholders and restored in the answer, text and JSON.
# shellcheck disable=SC2016 # sh -c scripts expand their own "$@"
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

start_llm
# Everything the model was sent, as plain text.
sent_text() { curl -fs "$llm/_requests" | jq -r '.[].body.messages[].content'; }

# One secret of each kind, as they turn up in events, env and logs.
cat >"$T_DIR/secrets" <<'EOF'
{"env":[{"name":"DB_PASSWORD","value":"Hunter2-db-pw"},{"name":"HOME","value":"/root"}]}
{"msg":"GET /login?user=bob&password=Tr0ub4dor&next=/ 302","level":"info"}
{"headers":{"Authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"}}
{"cmd":"curl -H 'Authorization: Basic Ym9iOnMzY3IzdC1iYXNpYw==' https://api.example.com/"}
{"dsn":"postgres://app:Pg-pa55-word@db.internal:5432/shop"}
{"aws":"AKIAIOSFODNN7EXAMPLE","aws_secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
{"gh":"ghp_0123456789abcdefghijABCDEFGHIJ012345","gl":"glpat-0123456789abcdefABCD","slack":"xoxb-123456789012-abcdefghijkl"}
{"hook":"https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX"}
{"jwt":"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJrOHMiLCJzdWIiOiJzYSJ9.MEUCIQDsignaturepart"}
{"tls.key":"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAprivatekeymaterial\n-----END RSA PRIVATE KEY-----","tls.crt":"-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----"}
{"config":"client_secret: 'oauth-cl1ent-s3cret'","api_key":"k-123-xyz"}
EOF
# What the model gets instead, line by line.
cat >"$T_DIR/redacted" <<'EOF'
{"env":[{"name":"DB_PASSWORD","value":"[REDACTED]"},{"name":"HOME","value":"/root"}]}
{"msg":"GET /login?user=bob&password=[REDACTED]&next=/ 302","level":"info"}
{"headers":{"Authorization":"[REDACTED]"}}
{"cmd":"curl -H 'Authorization: Basic [REDACTED]' https://api.example.com/"}
{"dsn":"postgres://app:[REDACTED]@db.internal:5432/shop"}
{"aws":"[REDACTED]","aws_secret_access_key":"[REDACTED]"}
{"gh":"[REDACTED]","gl":"[REDACTED]","slack":"[REDACTED]"}
{"hook":"https://hooks.slack.com/services/[REDACTED]"}
{"jwt":"[REDACTED]"}
{"tls.key":"[REDACTED]","tls.crt":"-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----"}
{"config":"client_secret: '[REDACTED]'","api_key":"[REDACTED]"}
EOF
# The secret parts: none may reach the model.
secrets='Hunter2-db-pw Tr0ub4dor eyJzdWIiOiJib2IifQ Ym9iOnMzY3IzdC1iYXNpYw== Pg-pa55-word
AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI ghp_0123456789 glpat-0123456789 xoxb-123456789012
XXXXXXXXXXXXXXXX eyJpc3MiOiJrOHMi privatekeymaterial oauth-cl1ent-s3cret k-123-xyz'

for api in ollama openai; do
	if [ "$api" = ollama ]; then
		set -- --url "$llm"
	else
		set -- --url "$llm/v1" --model gpt-4o-mini
	fi
	reset
	expect_status "$api: secrets in the input" 0 \
	    sh -c 'llmask "$@" -p "Audit password=pr0mpt-secret" --system "token: sys-t0ken-123" <"$0"' \
	    "$T_DIR/secrets" "$@"
	sent_text >"$T_DIR/sent"
	leaked=""
	for s in $secrets pr0mpt-secret sys-t0ken-123; do
		grep -qF -- "$s" "$T_DIR/sent" && leaked="$leaked $s"
	done
	expect_eq "$api: no secret reaches the model (input, prompt, system)" "" "$leaked"
	expect_eq "$api: every secret is marked" 17 "$(grep -o '\[REDACTED\]' "$T_DIR/sent" | wc -l)"
	ok_if "$api: what is not secret stays" grep -qF '"HOME","value":"/root"' "$T_DIR/sent"
	ok_if "$api: a certificate is not a secret" grep -qF 'BEGIN CERTIFICATE' "$T_DIR/sent"
	ok_if "$api: the user name in a URL stays" grep -qF 'postgres://app:[REDACTED]@db.internal' "$T_DIR/sent"
	ok_if "$api: the auth scheme stays" grep -qF 'Authorization: Basic [REDACTED]' "$T_DIR/sent"
	ok_if "$api: the data block stays JSON lines" sh -c \
	    'sed -n "/^BEGIN DATA$/,/^END DATA$/p" "$1" | sed "1d;\$d" >"$1.data" && [ -s "$1.data" ] && jq -c . "$1.data" >/dev/null' - "$T_DIR/sent"

	reset
	sh -c 'llmask "$@" --no-redact -p x <"$0"' "$T_DIR/secrets" "$@" >/dev/null
	sent_text >"$T_DIR/sent"
	missing=""
	for s in $secrets; do
		grep -qF -- "$s" "$T_DIR/sent" || missing="$missing $s"
	done
	expect_eq "$api: --no-redact sends the input as it is" "" "$missing"

	reset
	sh -c 'llmask "$@" --dry-run -p x <"$0"' "$T_DIR/secrets" "$@" >"$T_DIR/dry"
	leaked=""
	for s in $secrets; do
		grep -qF -- "$s" "$T_DIR/dry" && leaked="$leaked $s"
	done
	expect_eq "$api: --dry-run shows the redacted body" "" "$leaked"
	expect_eq "$api: --dry-run shows exactly what is sent: each secret replaced, the rest kept" \
	    "$(cat "$T_DIR/redacted")" \
	    "$(jq -r '.messages[-1].content' "$T_DIR/dry" | sed -n '/^BEGIN DATA$/,/^END DATA$/p' | sed '1d;$d')"
	expect_eq "$api: ... and sends nothing" 0 "$(sent length)"
done

# --- masking names -------------------------------------------------------------
cat >"$T_DIR/events" <<'EOF'
{"kind":"Event","involvedObject":{"kind":"Pod","name":"checkout-7d9f-x2","namespace":"shop"},"reason":"BackOff","message":"Back-off restarting failed container checkout in pod checkout-7d9f-x2_shop on node ip-10-0-3-7.ec2.internal (10.0.3.7)"}
{"metric":{"pod":"checkout-7d9f-x2","namespace":"shop","instance":"10.0.3.7:9100","node":"worker-3"},"value":[1795320000,"5"]}
{"kind":"Event","involvedObject":{"kind":"Deployment","name":"checkout","namespace":"shop"},"message":"Scaled up replica set checkout-7d9f to 3 in default"}
EOF
names='checkout-7d9f-x2 shop ip-10-0-3-7.ec2.internal 10.0.3.7 worker-3 checkout-7d9f checkout'
for api in ollama openai; do
	if [ "$api" = ollama ]; then
		set -- --url "$llm" --model echo
	else
		set -- --url "$llm/v1" --model echo
	fi
	reset
	sh -c 'llmask "$@" --no-redact --dry-run -p "Why does checkout crash?" <"$0"' "$T_DIR/events" "$@" |
	    jq -r '.messages[-1].content' >"$T_DIR/plain"
	expect_status "$api: --mask-names" 0 \
	    sh -c 'llmask "$@" --mask-names -p "Why does checkout crash?" <"$0"' "$T_DIR/events" "$@"
	sent_text >"$T_DIR/sent"
	leaked=""
	for n in $names; do
		grep -qE -- "(^|[^A-Za-z0-9.-])$n([^A-Za-z0-9-]|$)" "$T_DIR/sent" && leaked="$leaked $n"
	done
	expect_eq "$api: no name, namespace, IP or hostname reaches the model" "" "$leaked"
	expect_eq "$api: a name gets one placeholder everywhere (fields and messages)" 3 \
	    "$(grep -o 'pod-1[^0-9]' "$T_DIR/sent" | wc -l)"
	ok_if "$api: the namespace placeholder" grep -q '"namespace":"ns-1"' "$T_DIR/sent"
	ok_if "$api: the IP placeholder keeps the port" grep -q '"instance":"ip-1:9100"' "$T_DIR/sent"
	ok_if "$api: a Deployment's ReplicaSet is masked by its prefix" grep -q 'replica set deployment-1-7d9f to 3' "$T_DIR/sent"
	ok_if "$api: well-known namespaces stay" grep -q ' in default"' "$T_DIR/sent"
	ok_if "$api: the instruction is masked too" grep -q '^Why does deployment-1 crash?$' "$T_DIR/sent"
	# The echo model answers with what it was sent: restored, that is the
	# unmasked message exactly.
	expect_eq "$api: the answer has every original back" \
	    "$(cat "$T_DIR/plain")" "$(jq -r .answer "$T_DIR/out")"

	reset
	control '{"answers":[{"json":{"culprit":"pod-1","namespace":"ns-1","where":"node-1 at ip-1","pods":["pod-1"],"pod-1":"key"}}]}'
	sh -c 'llmask "$@" --mask-names --json -p x <"$0"' "$T_DIR/events" "$@" >"$T_DIR/out"
	expect_eq "$api: a JSON answer is restored, keys and values" \
	    '{"culprit":"checkout-7d9f-x2","namespace":"shop","where":"worker-3 at 10.0.3.7","pods":["checkout-7d9f-x2"],"checkout-7d9f-x2":"key"}' \
	    "$(jq -c .answer "$T_DIR/out")"

	reset
	sh -c 'llmask "$@" --mask-names --each -p x <"$0"' "$T_DIR/events" "$@" >"$T_DIR/out"
	sent_text | grep '^{' >"$T_DIR/sent"
	expect_eq "$api: --each: placeholders stable across records" \
	    '["pod-1","pod-1"]' "$(jq -sc '[.[0].involvedObject.name, .[1].metric.pod]' "$T_DIR/sent")"
	expect_eq "$api: --each: the records themselves are unchanged" \
	    "$(jq -c . "$T_DIR/events")" "$(jq -c 'del(.answer, .model, .usage, .ms, .tokens_per_second)' "$T_DIR/out")"
done
done_testing
