#!/bin/sh
# Redirects seen from the network programs: a server that redirects every
# request to a second server on another port (another origin) must not
# make promq or llmask hand that server a --header value, a token, a
# password or llmask's prompt. The second server records all it gets.
# A GET that carries nothing of the user's still follows.
# shellcheck disable=SC2016 # sh -c scripts expand their own "$1"
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset PROMETHEUS_URL LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

start_fixture httpd.py --dump-all
other=$FIXTURE_URL
wait_http "$other/dumped" 10 || not_ok "the recording server started"
received() { curl -fs "$other/dumped?key=all"; }
ok_if "nothing recorded yet" [ -z "$(received)" ]

for code in 301 302 303 307 308; do
	start_fixture httpd.py --redirect-all "$other" --code "$code"
	hop=$FIXTURE_URL
	for cred in header token user; do
		case $cred in
		header) set -- --header "X-Api-Key: hdr-s3cret" ;;
		token) set -- --token tok-s3cret ;;
		user) set -- --user u:pw-s3cret ;;
		esac
		expect_status "promq, $code, --$cred: not followed (exit 3)" 3 \
		    promq --url "$hop" --retries 0 "$@" up
		expect_match "promq, $code, --$cred: the message names the other origin" \
		    "^promq: 'up': HTTP $code from $hop/api/v1/query: redirect to $other not followed: another origin must not get " \
		    "$(cat "$T_DIR/err")"
		ok_if "promq, $code, --$cred: no secret in the message" \
		    sh -c '! grep -q s3cret "$1"' - "$T_DIR/err"
		expect_status "llmask, $code, --$cred: not followed (exit 3)" 3 \
		    llmask --url "$hop" --retries 0 "$@" -p "prompt-s3cret" --no-input
		expect_match "llmask, $code, --$cred: the message names the other origin" \
		    "redirect to $other not followed: another origin must not get " \
		    "$(cat "$T_DIR/err")"
	done
	# llmask's question is a POST: its body never goes either.
	expect_status "llmask, $code, no credentials: the prompt is not sent on" 3 \
	    llmask --url "$hop" --retries 0 -p "prompt-s3cret" --no-input
	expect_match "llmask, $code: because it has a body" \
	    "another origin must not get a request body" "$(cat "$T_DIR/err")"
	expect_eq "$code: the other origin received nothing" "" "$(received)"

	# A bare GET is followed, and arrives bare.
	promq --url "$hop" --retries 0 up >/dev/null 2>&1
	expect_match "promq, $code, no credentials: the GET is followed" \
	    "^GET /api/v1/query\\?query=up" "$(received)"
	curl -fs "$other/dumped?key=all&clear=1" >/dev/null
done

# The programs that always carry a credential: k8spatch (a token), prpost
# (a forge token; a commit also carries files) and phonecall (Twilio's
# account): a redirect to another origin is never followed.
start_fixture httpd.py --redirect-all "$other" --code 307
hop=$FIXTURE_URL
expect_status "k8spatch, 307, a token: not followed (exit 3)" 3 \
    env -u KUBECONFIG k8spatch --url "$hop" --token tok-s3cret --retries 0 get deploy
expect_match "k8spatch: the message names the other origin" \
    "redirect to $other not followed: another origin must not get " "$(cat "$T_DIR/err")"
expect_status "prpost, 307, a token: not followed (exit 3)" 3 \
    env GITHUB_TOKEN=tok-s3cret prpost get --url "$hop" --repo org/gitops --retries 0 README.md
expect_match "prpost: the message names the other origin" \
    "redirect to $other not followed: another origin must not get " "$(cat "$T_DIR/err")"
expect_status "phonecall, 307, Twilio's account: not followed (exit 3)" 3 \
    env TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef TWILIO_AUTH_TOKEN=tok-s3cret \
    TWILIO_FROM=+15005550006 phonecall --url "$hop" --retries 0 --to +33600000001 --speech x
expect_match "phonecall: the message names the other origin" \
    "redirect to $other not followed: another origin must not get " "$(cat "$T_DIR/err")"
expect_eq "the other origin received nothing from them" "" "$(received)"

done_testing
