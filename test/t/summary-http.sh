#!/bin/sh
# GET /summary under a real lighttpd (mod_cgi) configured from the shipped
# examples/lighttpd.conf, against the harness' Prometheus and the fixture
# LLM: the seed call, the cache over HTTP, validation (400 with a JSON
# body), hostile input, status mapping, and every query the dashboards send.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
need_prometheus
unset OPENAI_BASE_URL OPENAI_API_KEY LLMASK_URL LLMASK_MODEL OPSPIPE_SUMMARY_MAX_AGE

start_llm --port 0 --answer "Both node targets are up; node-b flaps."
nchats() { curl -fs "$llm/_requests" | jq '[.[] | select(.path == "/api/chat")] | length'; }

# lighttpd from the shipped configuration: only the paths and the port change.
port=$(free_port)
sed -e "s|^var.opspipe = .*|var.opspipe = \"$OPSPIPE_TOP/share/opspipe\"|" \
    -e "s|^server.port = .*|server.port = $port\\nserver.bind = \"127.0.0.1\"|" \
    "$OPSPIPE_TOP/examples/lighttpd.conf" >"$T_DIR/lighttpd.conf"
expect_eq "the test's lighttpd.conf is the example with its port" 1 \
    "$(grep -c "^server.port = $port\$" "$T_DIR/lighttpd.conf")"
export OLLAMA_HOST="$llm" OPSPIPE_SUMMARY_DIR="$T_DIR/cache"
ok_if "lighttpd accepts the configuration" lighttpd -tt -f "$T_DIR/lighttpd.conf"
lighttpd -D -f "$T_DIR/lighttpd.conf" >"$T_DIR/lighttpd.log" 2>&1 &
httpd_pid=$!
stop_httpd() { kill "$httpd_pid" 2>/dev/null; wait "$httpd_pid" 2>/dev/null; }
at_exit stop_httpd
base=http://127.0.0.1:$port
wait_http "$base/healthz" 10 || { not_ok "lighttpd started" "$(tail -n 5 "$T_DIR/lighttpd.log")"; done_testing; exit 1; }

# get PATH_AND_QUERY [CURL ARGS]: status in $T_DIR/code, body in
# $T_DIR/body, Content-Type in $T_DIR/ctype.
get() {
	url=$1
	shift
	curl -s -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' "$@" "$base$url" >"$T_DIR/code"
	tr -d '\r' <"$T_DIR/headers" | sed -n 's/^[Cc]ontent-[Tt]ype: //p' >"$T_DIR/ctype"
}
enc() { jq -rn --arg v "$1" '$v | @uri'; }

get /healthz
expect_eq "/healthz answers 200 ok" '200 {"status":"ok"}' "$(cat "$T_DIR/code") $(cat "$T_DIR/body")"

# --- the seed call ------------------------------------------------------------------
seed='{"summary":"Both node targets are up; node-b flaps.","query":"up","minutes":30,"stats_count":2}'
get '/summary?query=up&minutes=30'
expect_eq "GET /summary?query=up&minutes=30 is 200" 200 "$(cat "$T_DIR/code")"
expect_eq "... application/json" "application/json" "$(cat "$T_DIR/ctype")"
expect_eq "... the seed's record, exactly" "$seed" "$(cat "$T_DIR/body")"
n=$(nchats)
get '/summary?query=up&minutes=30'
expect_eq "the second call is served from the cache" "$n true" "$(nchats) $(jq .cached "$T_DIR/body")"
expect_eq "... the same four fields" "$seed" "$(jq -c '{summary, query, minutes, stats_count}' "$T_DIR/body")"
get '/summary?query=up'
expect_eq "minutes defaults to 30" "200 30" "$(cat "$T_DIR/code") $(jq .minutes "$T_DIR/body")"
get '/summary?foo=bar&minutes=030&query=up&query=other&minutes=5'
expect_eq "order, leading zeros and repeats: the first of each counts" '200 "up" 30' \
    "$(cat "$T_DIR/code") $(jq -c .query "$T_DIR/body") $(jq .minutes "$T_DIR/body")"
get '/summary?x=%41&minutes=030&query=u%70&query=other&minutes=5'
expect_eq "... the same when escapes make awk decode it" '200 "up" 30' \
    "$(cat "$T_DIR/code") $(jq -c .query "$T_DIR/body") $(jq .minutes "$T_DIR/body")"
get '/summary?query&minutes=30'
expect_eq "a bare query= name is an empty query" "400 parameter 'query' is empty" \
    "$(cat "$T_DIR/code") $(jq -r .error "$T_DIR/body")"
get '/summary?query=sum+by+(job)+(up)&minutes=30'
expect_eq "+ decodes to a space" '200 "sum by (job) (up)" 1' \
    "$(cat "$T_DIR/code") $(jq -c .query "$T_DIR/body") $(jq .stats_count "$T_DIR/body")"

# --- validation: 400 with a JSON body -------------------------------------------------
# bad PATH_AND_QUERY ERROR
bad() {
	get "$1"
	expect_eq "400 for $(printf '%s' "$1" | cut -c 1-60)" "400|application/json|$2" \
	    "$(cat "$T_DIR/code")|$(cat "$T_DIR/ctype")|$(jq -r .error "$T_DIR/body" 2>&1)"
}
minerr="parameter 'minutes' must be an integer from 1 to $opspipe_minutes_max"
bad '/summary' "parameter 'query' is required"
bad '/summary?minutes=30' "parameter 'query' is required"
bad '/summary?query=' "parameter 'query' is empty"
bad '/summary?query=%20%09%0A' "parameter 'query' is empty"
for m in 0 10081 abc -5 1e3 '' '%2B5' 3.5 99999999999999999999 '%EF%BC%93%EF%BC%90' '%20' '30%20' '0x1E'; do
	bad "/summary?query=up&minutes=$m" "$minerr"
done
bad '/summary?query=up%00' "parameter 'query' contains a NUL byte"
bad '/summary?query=up&minutes=3%000' "parameter 'minutes' contains a NUL byte"
bad '/summary?query=%ff' "parameter 'query' is not valid UTF-8"
bad '/summary?query=%C0%AF' "parameter 'query' is not valid UTF-8"
bad '/summary?query=%ED%A0%80' "parameter 'query' is not valid UTF-8"
long=$(printf '%4097s' x)
bad "/summary?query=$(enc "$long")" "parameter 'query' is longer than 4096 bytes"
bad "/summary?query=up&pad=$(printf '%17000s' '' | tr ' ' a)" "the query string is longer than 16384 bytes"
get '/summary?query=sum('
expect_eq "a query Prometheus rejects is 400" "400 application/json" "$(cat "$T_DIR/code") $(cat "$T_DIR/ctype")"
expect_match "... with Prometheus' reason" "bad_data|parse error" "$(jq -r .error "$T_DIR/body")"
edge="up #$(printf '%4092s' '' | tr ' ' x)"
get "/summary?query=$(enc "$edge")"
expect_eq "a query of exactly 4096 bytes is accepted" "200 4096" "$(cat "$T_DIR/code") $(jq '.query | length' "$T_DIR/body")"
get '/summary?query=up' -X POST -d 'x=1'
expect_eq "POST is 405 with a JSON body" "405 only GET is supported" "$(cat "$T_DIR/code") $(jq -r .error "$T_DIR/body")"
get '/summary/extra?query=up'
ok_if "a path below /summary is not the endpoint" [ "$(cat "$T_DIR/code")" -ge 400 ]
get '/lighttpd-env'
ok_if "nothing else under the CGI directory is served" [ "$(cat "$T_DIR/code")" -ge 400 ]

# --- hostile input: never evaluated, echoed byte for byte --------------------------------
f=$T_DIR/pwned
nl='
'
# shellcheck disable=SC2016 # the $(…), `…` and $HOME must stay literal
for q in "up # \$(touch $f)" "up # \`touch $f\`" "up # ' \" \\ ; | & > $f \$HOME *" \
    "up${nl}# \$(touch $f)${nl}" "up # é ü 日本 \\x00 %00 %41"; do
	get "/summary?query=$(enc "$q")&minutes=30"
	expect_eq "hostile but valid PromQL is 200 and echoed exactly: $(printf '%s' "$q" | head -n 1)" \
	    "200 $(printf '%s' "$q" | jq -Rsc 'sub("\n+$"; "")')" "$(cat "$T_DIR/code") $(jq -c .query "$T_DIR/body")"
done
for q in "\$(touch $f)" "\`touch $f\`" "up\" ; touch $f; \"" "up'; touch $f; '" "up) or vector(1) # \$(touch $f"; do
	get "/summary?query=$(enc "$q")"
	expect_eq "hostile invalid PromQL is a JSON 400: $q" "400 application/json" "$(cat "$T_DIR/code") $(cat "$T_DIR/ctype")"
done
ok_if "no hostile input ran a command" test ! -e "$f"

# --- one computation for concurrent requests --------------------------------------------
control '{"reset": true, "latency_ms": 1500}'
pids=""
for n in 1 2 3 4 5; do
	curl -s "$base/summary?query=up&minutes=9" >"$T_DIR/con.$n" &
	pids="$pids $!"
done
# Only these: a bare wait would also wait for the servers.
for pid in $pids; do wait "$pid"; done
control '{"latency_ms": 0}'
expect_eq "5 concurrent HTTP requests: 1 LLM request" 1 "$(nchats)"
expect_eq "... 5 answers with the summary" 5 "$(cat "$T_DIR"/con.? | jq -r .summary | grep -c 'node-b flaps')"

# --- what the dashboards send ---------------------------------------------------------------
for d in "$OPSPIPE_TOP"/share/opspipe/grafana/dashboards/*.json; do
	jq -r '.templating.list[] | select(.name != "minutes") | .options[].value' "$d"
done >"$T_DIR/dash-queries"
while IFS= read -r q; do
	get "/summary?query=$(enc "$q")&minutes=30"
	expect_eq "dashboard query is accepted: $q" "200 $(jq -cn --arg q "$q" '$q') 30" \
	    "$(cat "$T_DIR/code") $(jq -c .query "$T_DIR/body") $(jq .minutes "$T_DIR/body")"
done <"$T_DIR/dash-queries"

# --- status mapping, run as a CGI without the server ---------------------------------------
cgi=$OPSPIPE_TOP/share/opspipe/cgi/summary
# Nothing listens on port 1; a port free now may be some server's later.
dead=http://127.0.0.1:1
# cgi_run QUERY_STRING [VAR=VALUE...]: the response with CRs removed.
cgi_run() {
	qs=$1
	shift
	env QUERY_STRING="$qs" REQUEST_METHOD=GET OPSPIPE_SUMMARY_DIR="$T_DIR/direct" "$@" "$cgi" 2>/dev/null | tr -d '\r'
}
r=$(cgi_run 'query=up&minutes=11' PROMETHEUS_URL="$dead")
expect_eq "Prometheus down: 502" "Status: 502 Bad Gateway" "$(printf '%s\n' "$r" | head -n 1)"
expect_match "... with a JSON error" '^\{"error":".+"\}$' "$(printf '%s\n' "$r" | tail -n 1)"
# The reason names the internal address: for the server's log only.
expect_eq "... which does not show Prometheus' address to the client" "" \
    "$(printf '%s\n' "$r" | grep -F "${dead#http://}")"
env QUERY_STRING='query=up&minutes=11' REQUEST_METHOD=GET OPSPIPE_SUMMARY_DIR="$T_DIR/direct" \
    PROMETHEUS_URL="$dead" "$cgi" >/dev/null 2>"$T_DIR/cgi.err"
expect_match "... but logs it for the server" "${dead#http://}" "$(cat "$T_DIR/cgi.err")"
r=$(cgi_run 'query=up&minutes=12' OLLAMA_HOST="$dead")
expect_eq "the LLM down: 200 with the fallback record" "Status: 200 OK true 2" \
    "$(printf '%s\n' "$r" | head -n 1) $(printf '%s\n' "$r" | tail -n 1 | jq -r '"\(.fallback) \(.stats_count)"')"
# llmask's reason names the model server's address: the client gets a
# generic one, the server's error log the address.
llm_err="the model failed; the server's error log says why"
expect_eq "... whose error does not name the model server" "$llm_err|" \
    "$(printf '%s\n' "$r" | tail -n 1 | jq -r .error)|$(printf '%s\n' "$r" | grep -F "${dead#http://}")"
env QUERY_STRING='query=up&minutes=15' REQUEST_METHOD=GET OPSPIPE_SUMMARY_DIR="$T_DIR/direct" \
    OLLAMA_HOST="$dead" "$cgi" >/dev/null 2>"$T_DIR/cgi.err"
expect_match "... but the server's error log does" "^llmask: .*${dead#http://}" "$(cat "$T_DIR/cgi.err")"
r=$(cgi_run 'query=up&minutes=12' OLLAMA_HOST="$dead")
expect_eq "... then served from the cache by the CGI: 200, cached, still marked" "Status: 200 OK true true" \
    "$(printf '%s\n' "$r" | head -n 1) $(printf '%s\n' "$r" | tail -n 1 | jq -r '"\(.cached) \(.fallback)"')"
expect_eq "... and still without the address" "$llm_err|" \
    "$(printf '%s\n' "$r" | tail -n 1 | jq -r .error)|$(printf '%s\n' "$r" | grep -F "${dead#http://}")"
# A fresh entry is served by the CGI itself: with a flow that always
# fails beside it, the cached record still comes.
fp=$T_DIR/fastpath
mkdir -p "$fp/bin" "$fp/share/opspipe"
cp -R "$OPSPIPE_TOP/share/opspipe/cgi" "$OPSPIPE_TOP/share/opspipe/lib" "$fp/share/opspipe/"
printf '#!/bin/sh\necho "opspipe-summary: not this time" >&2\nexit 3\n' >"$fp/bin/opspipe-summary"
chmod +x "$fp/bin/opspipe-summary"
r=$(env QUERY_STRING='query=up&minutes=12' REQUEST_METHOD=GET OPSPIPE_SUMMARY_DIR="$T_DIR/direct" \
    OPSPIPE_SUMMARY_MAX_AGE=3600 "$fp/share/opspipe/cgi/summary" 2>/dev/null | tr -d '\r')
expect_eq "a fresh entry is served without running the flow" "Status: 200 OK true" \
    "$(printf '%s\n' "$r" | head -n 1) $(printf '%s\n' "$r" | tail -n 1 | jq .cached)"
touch -d '10 seconds ago' "$T_DIR/direct/$(printf '12\nup\n' | sha256sum | cut -d' ' -f1).json"
r=$(env QUERY_STRING='query=up&minutes=12' REQUEST_METHOD=GET OPSPIPE_SUMMARY_DIR="$T_DIR/direct" \
    OPSPIPE_SUMMARY_MAX_AGE=5 "$fp/share/opspipe/cgi/summary" 2>"$T_DIR/cgi.err" | tr -d '\r')
expect_eq "... a stale one is the flow's" "Status: 502 Bad Gateway" "$(printf '%s\n' "$r" | head -n 1)"
expect_eq "... whose reason goes to the server's error log" "opspipe-summary: not this time" "$(cat "$T_DIR/cgi.err")"
expect_eq "... not to the client" "Prometheus failed; the server's error log says why" \
    "$(printf '%s\n' "$r" | tail -n 1 | jq -r .error)"
# A 500 is this server's problem: the client learns that much, the
# server's error log the path.
internal="internal error; the server's error log says why"
r=$(cgi_run 'query=up' OPSPIPE_SUMMARY_DIR=/proc/opspipe-no-such-dir)
expect_eq "an unwritable cache is the server's fault: 500" "Status: 500 Internal Server Error" \
    "$(printf '%s\n' "$r" | head -n 1)"
expect_eq "... saying so, without the cache's path" "$internal" "$(printf '%s\n' "$r" | tail -n 1 | jq -r .error)"
env QUERY_STRING=query=up REQUEST_METHOD=GET OPSPIPE_SUMMARY_DIR=/proc/opspipe-no-such-dir \
    "$cgi" >/dev/null 2>"$T_DIR/cgi.err"
expect_match "... which the server's error log names" "cannot write to the cache directory '/proc/opspipe-no-such-dir'" \
    "$(cat "$T_DIR/cgi.err")"
# Prometheus' message quotes the query, so a query with a newline makes it
# several lines: still the client's fault, with the message whole.
r=$(cgi_run 'query=%0Aup)%0Aor%0Aup')
expect_eq "a rejected query with newlines is 400, not 500" "Status: 400 Bad Request" "$(printf '%s\n' "$r" | head -n 1)"
expect_match "... with promq's whole message" "^\"promq: '.*or.*': bad_data" "$(printf '%s\n' "$r" | tail -n 1 | jq -r .error | jq -Rs .)"
# Without OPSPIPE_SUMMARY_DIR the cache lives in a shared TMPDIR: a directory
# another user made there first (and could fill with records) is refused.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T_DIR/shared/opspipe-summary"
	chown 65534 "$T_DIR/shared/opspipe-summary"
	r=$(env -u OPSPIPE_SUMMARY_DIR QUERY_STRING=query=up REQUEST_METHOD=GET TMPDIR="$T_DIR/shared" "$cgi" 2>"$T_DIR/cgi.err" | tr -d '\r')
	expect_eq "the default cache directory owned by another user: 500" "Status: 500 Internal Server Error|$internal" \
	    "$(printf '%s\n' "$r" | head -n 1)|$(printf '%s\n' "$r" | tail -n 1 | jq -r .error)"
	expect_match "... the server's error log saying why" "'$T_DIR/shared/opspipe-summary': missing or another user's" \
	    "$(cat "$T_DIR/cgi.err")"
else
	skip "the default cache directory owned by another user: 500" "needs root, to give the directory away"
fi
mkdir "$T_DIR/own"
r=$(env -u OPSPIPE_SUMMARY_DIR QUERY_STRING='query=up&minutes=13' REQUEST_METHOD=GET TMPDIR="$T_DIR/own" "$cgi" 2>/dev/null | tr -d '\r')
expect_eq "the default cache directory, made by the CGI: 200" "Status: 200 OK" "$(printf '%s\n' "$r" | head -n 1)"
expect_eq "... private to this user" "drwx------" "$(stat -c %A "$T_DIR/own/opspipe-summary")"
# A huge record (a runaway model, or an entry cached before answers were
# bounded) costs time linear in its size, not minutes.
big=$(printf '%1000000s' '' | tr ' ' x)
printf '{"summary":"%s","query":"up","minutes":14,"stats_count":2}\n' "$big" \
    >"$T_DIR/direct/$(printf '14\nup\n' | sha256sum | cut -d' ' -f1).json"
r=$(cgi_run 'query=up&minutes=14' timeout 20)
expect_eq "a 1 MB cached record is served whole, at once" "Status: 200 OK 1000000" \
    "$(printf '%s\n' "$r" | head -n 1) $(printf '%s\n' "$r" | tail -n 1 | jq '.summary | length')"
touch -d '2 hours' "$T_DIR/direct/$(printf '14\nup\n' | sha256sum | cut -d' ' -f1).json"
r=$(cgi_run 'query=up&minutes=14')
expect_eq "... and once dated 2 hours ahead, recomputed" "Status: 200 OK null Both node targets are up; node-b flaps." \
    "$(printf '%s\n' "$r" | head -n 1) $(printf '%s\n' "$r" | tail -n 1 | jq -r '"\(.cached) \(.summary)"')"
for qs in 'query=a%zz' 'query=up%' 'query=up%4' 'q%zz=1&query=up'; do
	r=$(cgi_run "$qs")
	expect_eq "malformed escape '$qs' is 400" "Status: 400 Bad Request|malformed percent-encoding in the query string" \
	    "$(printf '%s\n' "$r" | head -n 1)|$(printf '%s\n' "$r" | tail -n 1 | jq -r .error)"
done

# lighttpd-env hands settings over, and leaves out what lighttpd cannot quote.
out=$(env -i PATH=/usr/bin:/bin PROMETHEUS_URL=http://p:9090 OPSPIPE_X='a"b' UNRELATED=1 \
    "$OPSPIPE_TOP/share/opspipe/cgi/lighttpd-env" 2>"$T_DIR/env.err")
expect_match "lighttpd-env passes PROMETHEUS_URL and PATH" '"PROMETHEUS_URL" => "http://p:9090"' "$out"
expect_eq "... not unrelated or unquotable variables" "" "$(printf '%s\n' "$out" | grep -e UNRELATED -e OPSPIPE_X)"
expect_match "... and says which it left out" "not passing OPSPIPE_X" "$(cat "$T_DIR/env.err")"
for s in summary healthz lighttpd-env; do
	ok_if "cgi/$s is shellcheck clean" shellcheck "$OPSPIPE_TOP/share/opspipe/cgi/$s"
done
done_testing
