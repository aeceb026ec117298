#!/bin/sh
# Header injection through credentials: a token (--token, --token-file,
# OPENAI_API_KEY), a --user password or a --header value holding a CR, LF
# or other control character would add headers of the sender's choosing
# to every request. Each source is refused before anything is sent
# (exit 2), with a message that does not show the secret.
# shellcheck disable=SC2016 # sh -c scripts expand their own "$1"
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset PROMETHEUS_URL LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

start_fixture httpd.py --dump-all
url=$FIXTURE_URL
wait_http "$url/dumped" 10 || not_ok "the recording server started"
received() { curl -fs "$url/dumped?key=all"; }
cr=$(printf '\r')
nl='
'
printf 'inj-s3cret\nX-Injected: 1\n' >"$T_DIR/token"

# check NAME MESSAGE-PATTERN CMD...: exit 2, says why, no secret shown.
check() {
	name=$1
	says=$2
	shift 2
	expect_status "$name: refused (exit 2)" 2 "$@"
	expect_match "$name: says why" "$says" "$(cat "$T_DIR/err")"
	ok_if "$name: the secret is not shown" \
	    sh -c '! grep -q -e s3cret -e X-Injected "$1"' - "$T_DIR/err"
}

for prog in promq llmask; do
	if [ "$prog" = promq ]; then
		set -- promq --url "$url" up
	else
		set -- llmask --url "$url/v1" --model m -p x --no-input
	fi
	check "$prog --token with CR LF" "invalid --token: contains a control character" \
	    "$@" --token "inj-s3cret${cr}${nl}X-Injected: 1"
	check "$prog --token with LF" "invalid --token: contains a control character" \
	    "$@" --token "inj-s3cret${nl}X-Injected: 1"
	check "$prog --token-file with two lines" "invalid token in --token-file '$T_DIR/token'" \
	    "$@" --token-file "$T_DIR/token"
	check "$prog --user with LF" "invalid --user: contains a control character" \
	    "$@" --user "u:inj-s3cret${nl}X-Injected: 1"
	check "$prog --header with CR LF" "invalid --header 'X-Api-Key: ...': its value contains a control character" \
	    "$@" --header "X-Api-Key: inj-s3cret${cr}${nl}X-Injected: 1"
	check "$prog --header with ESC" "invalid --header 'X-Api-Key: ...'" \
	    "$@" --header "X-Api-Key: inj-s3cret$(printf '\033')[0m"
done
check "llmask OPENAI_API_KEY with CR LF" "invalid OPENAI_API_KEY: contains a control character" \
    env OPENAI_API_KEY="inj-s3cret${cr}${nl}X-Injected: 1" llmask --url "$url/v1" --model m -p x --no-input
expect_eq "the server received nothing" "" "$(received)"

# A tab belongs in a header value, and is sent.
promq --url "$url" --header "X-Scope-OrgID: a	b" up >/dev/null 2>&1
expect_match "a tab in a --header value is sent" "X-Scope-OrgID: a	b" "$(received)"

done_testing
