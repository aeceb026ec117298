#!/bin/sh
# opspipe-summary on the command line, against the harness' real Prometheus
# (query=up: node-a always 1, node-b flapping) and the fixture LLM: the
# record, what the model is sent, the statistics fallback, the cache
# (fresh, stale, one computation for concurrent requests), --batch and
# --shard, usage errors, and the help/man page agreement.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
need_prometheus
unset OPENAI_BASE_URL OPENAI_API_KEY LLMASK_URL LLMASK_MODEL OPSPIPE_SUMMARY_DIR OPSPIPE_SUMMARY_MAX_AGE

# The fixture LLM on a free port; its answer is fixed.
start_llm --port 0 --answer "Both node targets are up; node-b flaps."
OLLAMA_HOST=$llm
export OLLAMA_HOST

chats() { curl -fs "$llm/_requests" | jq '[.[] | select(.path == "/api/chat")]'; }
nchats() { chats | jq length; }
# wait_chats N: poll (for at most 30 s) until the LLM has seen N chat
# requests: a handshake on what happened, not a guess at how long it takes.
wait_chats() {
	i=0
	while [ "$(nchats)" -lt "$1" ]; do
		[ "$i" -lt 300 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
last_sent_has() { chats | jq -r '.[-1].body.messages[].content' | grep -q -- "$1"; }
core='{summary, query, minutes, stats_count}'
seed='{"summary":"Both node targets are up; node-b flaps.","query":"up","minutes":30,"stats_count":2}'

# --- the record -------------------------------------------------------------
expect_status "up over 30 minutes exits 0" 0 opspipe-summary --minutes 30 up
expect_eq "the seed's record, exactly" "$seed" "$(cat "$T_DIR/out")"
chats >"$T_DIR/chats"
expect_eq "one request to the LLM" 1 "$(jq length "$T_DIR/chats")"
expect_eq "the default model is phi3:mini" "phi3:mini" "$(jq -r '.[0].body.model' "$T_DIR/chats")"
expect_eq "... asked at temperature 0.2" 0.2 "$(jq -r '.[0].body.options.temperature' "$T_DIR/chats")"
jq -r '.[0].body.messages | map(.content) | join("\n")' "$T_DIR/chats" >"$T_DIR/sent"
ok_if "the prompt is sent" grep -q "site reliability engineer" "$T_DIR/sent"
grep '^{' "$T_DIR/sent" >"$T_DIR/data"
expect_eq "the data block: a header line and one line per series" 3 "$(wc -l <"$T_DIR/data")"
expect_eq "the header names the query and window" '{"series":2,"shown":2,"query":"up","minutes":30}' \
    "$(head -n 1 "$T_DIR/data")"
expect_eq "the flapping series comes first" "node-b:9100" "$(sed -n 2p "$T_DIR/data" | jq -r .metric.instance)"
expect_eq "node-b's statistics: min 0, max 1, last of the window" "0 1 true" \
    "$(sed -n 2p "$T_DIR/data" | jq -r '"\(.min) \(.max) \(.count > 100)"')"
changes=$(sed -n 2p "$T_DIR/data" | jq -r .changes)
in_range() { [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }
ok_if "node-b's state changes are counted (one minute down in ten: 4..7 in 30 min, got $changes)" \
    in_range "$changes" 4 7
expect_eq "the steady series has no changes and is all 1" "null 1 1 1" \
    "$(sed -n 3p "$T_DIR/data" | jq -r '"\(.changes) \(.min) \(.mean) \(.max)"')"
expect_eq "no values array reaches the model" "" "$(grep -l '"values"' "$T_DIR/data")"

expect_status "an OpenAI-compatible server works too" 0 \
    env OPENAI_BASE_URL="$llm/v1" LLMASK_MODEL=qwen2.5:0.5b opspipe-summary --minutes 30 up
expect_eq "... the same record" "$seed" "$(cat "$T_DIR/out")"
expect_eq "... asked at /v1/chat/completions" "/v1/chat/completions" \
    "$(curl -fs "$llm/_requests" | jq -r '.[-1].path')"

expect_status "--model is passed to the LLM" 0 opspipe-summary --model qwen2.5:0.5b --minutes 300 up
expect_eq "the request named the model" "qwen2.5:0.5b" "$(chats | jq -r '.[-1].body.model')"
printf 'Answer in one word.\n' >"$T_DIR/prompt"
expect_status "--prompt FILE replaces the instruction" 0 opspipe-summary --prompt "$T_DIR/prompt" up
ok_if "the custom prompt was sent" last_sent_has "Answer in one word"

expect_status "a query with no series exits 0" 0 opspipe-summary opspipe_no_such_metric
expect_eq "... and says so without asking the LLM" \
    '{"summary":"No data: the query returned no series in the last 30 minutes.","query":"opspipe_no_such_metric","minutes":30,"stats_count":0}' \
    "$(cat "$T_DIR/out")"

# Nothing in a query is ever evaluated by a shell: it is argv all the way.
# shellcheck disable=SC2016 # the $(…) and `…` must stay literal
hostile='up # $(touch '$T_DIR'/pwned) `touch '$T_DIR'/pwned` ; "x" '"'y'"' \ $HOME *'
expect_status "a query full of shell syntax (a PromQL comment) works" 0 opspipe-summary "$hostile"
expect_eq "... the record holds it byte for byte" "$hostile" "$(jq -r .query "$T_DIR/out")"
ok_if "... and nothing ran" test ! -e "$T_DIR/pwned"
expect_status "a query starting with - is a query, not an option" 0 opspipe-summary -- '-up'
expect_eq "... (2 series)" 2 "$(jq .stats_count "$T_DIR/out")"

# --- failures -----------------------------------------------------------------
expect_status "a bad query exits 2" 2 opspipe-summary 'sum('
expect_match "... with Prometheus' message" "bad_data|parse error" "$(cat "$T_DIR/err")"
expect_eq "... and no record" "" "$(cat "$T_DIR/out")"
# Nothing listens on port 1; a port free now may be some server's later.
dead=http://127.0.0.1:1
expect_status "Prometheus unreachable exits 3" 3 env PROMETHEUS_URL="$dead" opspipe-summary --minutes 5 up
expect_eq "... with no record" "" "$(cat "$T_DIR/out")"

# A statz that fails: series without statistics is a failure, not "No data".
f=$T_DIR/fake
mkdir -p "$f/bin" "$f/share"
cp "$OPSPIPE_TOP/bin/opspipe-summary" "$f/bin/"
ln -s "$OPSPIPE_TOP/share/opspipe" "$f/share/opspipe"
printf '#!/bin/sh\necho "statz: broken" >&2\nexit 2\n' >"$f/bin/statz"
chmod +x "$f/bin/statz"
expect_status "statz failing on real series exits 3" 3 "$f/bin/opspipe-summary" up
expect_eq "... with no record" "" "$(cat "$T_DIR/out")"
expect_match "... saying so" "statz failed on the series of 'up'" "$(cat "$T_DIR/err")"

expect_status "a model the LLM lacks: fallback, exit 3" 3 opspipe-summary --model missing-model up
jq -c "$core" "$T_DIR/out" >"$T_DIR/core"
expect_eq "the fallback keeps the four fields" '"up" 30 2' "$(jq -r '"\(.query|tojson) \(.minutes) \(.stats_count)"' "$T_DIR/out")"
expect_eq "the fallback is marked" true "$(jq .fallback "$T_DIR/out")"
expect_match "the error says why" "missing-model" "$(jq -r .error "$T_DIR/out")"
expect_match "the summary is built from the statistics" \
    '^Statistics only \(no LLM summary\): 2 series over the last 30 minutes\. up\{instance="node-b:9100",job="node"\}: last [01] \([-+]?[0-9]+ over the window\), min 0, mean 0\.[0-9]+, max 1, changed [0-9]+ times\. up\{instance="node-a:9100",job="node"\}: last 1 \(0 over the window\), min 1, mean 1, max 1\.$' \
    "$(jq -r .summary "$T_DIR/out")"
expect_status "the LLM unreachable: fallback, exit 3" 3 env OLLAMA_HOST="$dead" opspipe-summary up
expect_eq "... marked, with the statistics" "true 2" "$(jq -r '"\(.fallback) \(.stats_count)"' "$T_DIR/out")"
expect_eq "the LLM is asked for at most 512 tokens" 512 "$(chats | jq '.[-1].body.options.num_predict')"
big=$(printf '%20000s' '' | tr ' ' y)
control '{"answers": [{"content": "'"$big"'"}]}'
expect_status "a 20000-character answer (the token limit ignored)" 0 opspipe-summary up
expect_eq "... is cut to 8000 characters and marked" "8001 y…" \
    "$(jq -r '"\(.summary | length) \(.summary[-2:])"' "$T_DIR/out")"
control '{"default": ""}'
expect_status "an empty answer: fallback, exit 3" 3 opspipe-summary up
expect_eq "... says so" "the LLM returned an empty answer" "$(jq -r .error "$T_DIR/out")"
control '{"reset": true}'

# --- the cache ------------------------------------------------------------------
c=$T_DIR/cache
key=$(printf '30\nup\n' | sha256sum | cut -d' ' -f1)
before=$(nchats)
expect_status "cached: the first request computes" 0 opspipe-summary --cache-dir "$c" up
expect_eq "... one LLM request" $((before + 1)) "$(nchats)"
ok_if "... stored under sha256(minutes, query)" test -f "$c/$key.json"
expect_eq "... the stored record is the record" "$seed" "$(cat "$c/$key.json")"
expect_status "a fresh entry is served" 0 opspipe-summary --cache-dir "$c" up
expect_eq "... without asking the LLM" $((before + 1)) "$(nchats)"
expect_eq "... the same four fields" "$seed" "$(jq -c "$core" "$T_DIR/out")"
expect_eq "... marked cached" true "$(jq .cached "$T_DIR/out")"
expect_status "OPSPIPE_SUMMARY_DIR works like --cache-dir" 0 env OPSPIPE_SUMMARY_DIR="$c" opspipe-summary up
expect_eq "... (served from the cache)" "true" "$(jq .cached "$T_DIR/out")"
touch -d '10 minutes ago' "$c/$key.json"
expect_status "--max-age 900 serves a 10-minute-old entry" 0 opspipe-summary -d "$c" --max-age 900 up
expect_eq "... from the cache (-d is --cache-dir)" "$before true" "$(($(nchats) - 1)) $(jq .cached "$T_DIR/out")"
expect_status "... so does OPSPIPE_SUMMARY_MAX_AGE=900" 0 env OPSPIPE_SUMMARY_MAX_AGE=900 opspipe-summary -d "$c" up
expect_eq "... from the cache" "$before true" "$(($(nchats) - 1)) $(jq .cached "$T_DIR/out")"
for a in -1 abc 1e3 ''; do
	expect_status "--max-age '$a' is rejected" 2 opspipe-summary -d "$c" --max-age "$a" up
done
expect_status "a stale entry (older than 300 s) is recomputed" 0 opspipe-summary --cache-dir "$c" up
expect_eq "... by the LLM" $((before + 2)) "$(nchats)"
expect_eq "... and not marked cached" "null" "$(jq .cached "$T_DIR/out")"
mkdir "$c/.$key.Killed"
: >"$c/.$key.Killed/flow.series"
expect_status "--max-age 0 always recomputes" 0 opspipe-summary --cache-dir "$c" --max-age 0 up
ok_if "... and removes what a killed computation of the key left" test ! -e "$c/.$key.Killed"
expect_eq "... by the LLM" $((before + 3)) "$(nchats)"
expect_status "another window is another entry" 0 opspipe-summary --cache-dir "$c" --minutes 15 up
expect_eq "... computed" $((before + 4)) "$(nchats)"
expect_eq "only entries, locks and computation slots are left in the cache" "" \
    "$(find "$c" -type f ! -name '*.json' ! -name '*.lock' ! -name '.slot.[0-9]*')"

# A fallback is cached too, but for at most 60 s.
expect_status "a fallback is cached" 3 opspipe-summary --cache-dir "$c" --minutes 20 --model missing-model up
expect_status "... and served while fresh (exit 3 still)" 3 opspipe-summary --cache-dir "$c" --minutes 20 up
expect_eq "... marked cached and fallback" "true true" "$(jq -r '"\(.cached) \(.fallback)"' "$T_DIR/out")"
touch -d '61 seconds ago' "$c/$(printf '20\nup\n' | sha256sum | cut -d' ' -f1).json"
expect_status "... and asked again after 60 s, max-age 300 notwithstanding" 0 opspipe-summary --cache-dir "$c" --minutes 20 up
expect_eq "... now with the LLM's answer" "null" "$(jq .fallback "$T_DIR/out")"

# A clock stepped back, or an entry written by a node whose clock is ahead:
# an entry more than a minute in the future is not fresh for hours.
touch -d '2 hours' "$c/$key.json"
n=$(nchats)
expect_status "an entry from the future (clock skew) is recomputed" 0 opspipe-summary --cache-dir "$c" up
expect_eq "... by the LLM" $((n + 1)) "$(nchats)"
expect_eq "... not marked cached" "null" "$(jq .cached "$T_DIR/out")"

# The cache directory may be writable by others (an emptyDir is 0777): a
# planted symlink must not make the flow write through it. The lock is
# opened for reading only, and the intermediate files get unguessable names
# (this run's $$ is known in advance: the shell execs the script).
printf 'precious\n' >"$T_DIR/victim"
rm -f "$c/$key.lock" "$c/$key.json" "$T_DIR/go"
ln -s "$T_DIR/victim" "$c/$key.lock"
# The run waits for "go" (polled, bounded), so the names are planted
# before it starts, whatever the machine's load.
sh -c 'i=0; while [ ! -e "$2" ] && [ "$i" -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
exec opspipe-summary --cache-dir "$1" up' sh "$c" "$T_DIR/go" >"$T_DIR/out" 2>"$T_DIR/err" &
spid=$!
for s in series stats input answer llm.err tmp; do ln -s "$T_DIR/victim" "$c/.$key.$spid.$s"; done
: >"$T_DIR/go"
wait "$spid"
expect_eq "a symlinked lock and planted scratch names: the summary still comes" "$seed" "$(cat "$T_DIR/out")"
expect_eq "... and the file they point at is untouched" precious "$(cat "$T_DIR/victim")"
rm -f "$c/.$key.$spid".*

# Five requests at once for one key: one computation, the rest wait for it.
control '{"reset": true, "latency_ms": 1500}'
pids=""
for n in 1 2 3 4 5; do
	opspipe-summary --cache-dir "$c" --minutes 7 up >"$T_DIR/con.$n" 2>&1 &
	pids="$pids $!"
done
# Only these: a bare wait would also wait for the servers.
for pid in $pids; do wait "$pid"; done
control '{"latency_ms": 0}'
expect_eq "5 concurrent requests: 1 LLM request" 1 "$(nchats)"
expect_eq "... all 5 got the summary" 5 "$(cat "$T_DIR"/con.? | jq -r .summary | grep -c 'node-b flaps')"
expect_eq "... 4 of them from the cache" 4 "$(cat "$T_DIR"/con.? | jq -r .cached | grep -c true)"

# While one run recomputes a stale entry (a CPU model takes tens of
# seconds; Grafana gives up after 30), another is served the stale record,
# marked, rather than waiting. --batch, the refresher, waits instead.
printf '{"summary":"older summary","query":"up","minutes":8,"stats_count":2}\n' \
    >"$c/$(printf '8\nup\n' | sha256sum | cut -d' ' -f1).json"
touch -d '10 minutes ago' "$c/$(printf '8\nup\n' | sha256sum | cut -d' ' -f1).json"
control '{"reset": true, "latency_ms": 1500}'
opspipe-summary --cache-dir "$c" --minutes 8 up >"$T_DIR/first" 2>&1 &
first=$!
ok_if "the first run is asking the model (so it holds the lock)" wait_chats 1
expect_status "a stale entry being recomputed is served at once" 0 opspipe-summary --cache-dir "$c" --minutes 8 up
expect_eq "... marked stale" '{"summary":"older summary","query":"up","minutes":8,"stats_count":2,"cached":true,"stale":true}' \
    "$(cat "$T_DIR/out")"
wait "$first"
expect_eq "... while the first run computes the new one" "Both node targets are up; node-b flaps." "$(jq -r .summary "$T_DIR/first")"
touch -d '10 minutes ago' "$c/$(printf '8\nup\n' | sha256sum | cut -d' ' -f1).json"
opspipe-summary --cache-dir "$c" --minutes 8 up >"$T_DIR/first" 2>&1 &
first=$!
ok_if "the first run is asking the model again" wait_chats 2
printf '{"query":"up","minutes":8}\n' >"$T_DIR/eight"
expect_status "--batch waits for the computation instead" 0 opspipe-summary --cache-dir "$c" --batch "$T_DIR/eight"
expect_eq "... and prints the new record, from the cache" "Both node targets are up; node-b flaps. true null" \
    "$(jq -r '"\(.summary) \(.cached) \(.stale)"' "$T_DIR/out")"
wait "$first"
control '{"latency_ms": 0}'

# --- batch and shards -----------------------------------------------------------
cat >"$T_DIR/batch" <<'EOF'
{"query":"up","minutes":30}
# a comment, and a blank line

{"query":"opspipe_test_gauge","minutes":10}
not json
{"query":"up","minutes":0}
{"query":"sum("}
{"query":"up"}
EOF
control '{"reset": true}'
expect_status "--batch with bad lines exits 2" 2 opspipe-summary -b "$T_DIR/batch"
expect_eq "... a record for every good line, in order" \
    '"up" 30 2|"opspipe_test_gauge" 10 3|"up" 30 2|' \
    "$(jq -r '"\(.query|tojson) \(.minutes) \(.stats_count)"' "$T_DIR/out" | tr '\n' '|')"
expect_eq "... each bad line reported with its number" \
    "opspipe-summary: $T_DIR/batch:5: invalid JSON|opspipe-summary: $T_DIR/batch:6: \"minutes\" must be an integer from 1 to 10080|opspipe-summary: $T_DIR/batch:7: bad query|" \
    "$(grep '^opspipe-summary: ' "$T_DIR/err" | tr '\n' '|')"
expect_eq "... --minutes is the default for entries without one" 30 "$(sed -n 3p "$T_DIR/out" | jq .minutes)"

printf '{"query":"up","minutes":%s}\n' 1 2 3 4 5 >"$T_DIR/five"
shard() { opspipe-summary "$@" --batch "$T_DIR/five" | jq -r .minutes | tr '\n' ' '; }
expect_eq "--shard 0/2 takes entries 0, 2, 4" "1 3 5 " "$(shard --shard 0/2)"
expect_eq "--shard 1/2 takes entries 1, 3" "2 4 " "$(shard --shard 1/2)"
expect_eq "JOB_COMPLETION_INDEX and OPSPIPE_SHARDS shard the same way" "2 4 " \
    "$(JOB_COMPLETION_INDEX=1 OPSPIPE_SHARDS=2 shard)"
expect_eq "--shard beats the Job's variables" "1 4 " "$(JOB_COMPLETION_INDEX=1 OPSPIPE_SHARDS=2 shard --shard 0/3)"
expect_eq "JOB_COMPLETION_INDEX alone: everything, as every opspipe program" "1 2 3 4 5 " \
    "$(JOB_COMPLETION_INDEX=1 shard 2>"$T_DIR/warn")"
expect_eq "... with a warning, as every opspipe program" \
    "opspipe-summary: JOB_COMPLETION_INDEX is set but OPSPIPE_SHARDS is not: taking every item" \
    "$(cat "$T_DIR/warn")"
expect_eq "a bad pair: everything" "1 2 3 4 5 " "$(JOB_COMPLETION_INDEX=2 OPSPIPE_SHARDS=2 shard 2>"$T_DIR/warn")"
expect_eq "... with a warning" "opspipe-summary: ignoring JOB_COMPLETION_INDEX '2' with OPSPIPE_SHARDS '2'" \
    "$(cat "$T_DIR/warn")"
expect_status "--shard 2/2 is an error" 2 opspipe-summary --shard 2/2 --batch "$T_DIR/five"
expect_status "--shard without --batch is an error" 2 opspipe-summary --shard 0/2 up
# The harness' data ends when the suite starts: a window of 1 minute is
# empty ("No data", no model asked) once the suite has run 6 minutes, as
# it has under SANITIZE=1. The whole 6 hours always hold series.
printf '{"query":"up","minutes":1}\n{"query":"up","minutes":360}\n' >"$T_DIR/down"
expect_status "a batch with the LLM down exits 3" 3 env OLLAMA_HOST="$dead" opspipe-summary --batch "$T_DIR/down" --shard 1/2
expect_eq "... still with the fallback record" "true" "$(jq .fallback "$T_DIR/out")"

# --- usage, help, man page, installed layout ------------------------------------
expect_status "no query is a usage error" 2 opspipe-summary
expect_status "two queries are a usage error" 2 opspipe-summary up up
expect_status "an empty query is an error" 2 opspipe-summary ' '
for m in 0 10081 abc -5 1e3 ''; do
	expect_status "--minutes '$m' is rejected" 2 opspipe-summary --minutes "$m" up
done
expect_status "--minutes=010 is 10, not octal 8" 0 opspipe-summary --minutes=010 opspipe_no_such_metric
expect_eq "... 10" 10 "$(jq .minutes "$T_DIR/out")"
expect_status "-m is --minutes" 0 opspipe-summary -m 11 opspipe_no_such_metric
expect_eq "... 11" 11 "$(jq .minutes "$T_DIR/out")"
expect_status "-h is --help" 0 opspipe-summary -h
expect_match "... the usage" "^Usage: opspipe-summary " "$(head -n 1 "$T_DIR/out")"
expect_status "an unknown option is a usage error" 2 opspipe-summary --no-such-option up
expect_match "... naming it" "^opspipe-summary: unknown option '--no-such-option'" "$(head -n 1 "$T_DIR/err")"
expect_status "--version" 0 opspipe-summary --version
expect_eq "--version prints the version" "opspipe-summary (opspipe) $opspipe_version" "$(cat "$T_DIR/out")"
expect_status "--help exits 0" 0 opspipe-summary --help
expect_match "--help starts with the usage line" "^Usage: opspipe-summary " "$(head -n 1 "$T_DIR/out")"
man=$OPSPIPE_TOP/share/man/man1/opspipe-summary.1
expect_eq "opspipe-summary.1 lints clean" "" "$(mandoc -Tlint -W warning "$man" 2>&1)"
expect_eq "--help and the man page list the same options" \
    "$(sed -n '/^Options:/,$p' "$T_DIR/out" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)" \
    "$(mandoc -Tascii "$man" | col -b | sed -n '/^OPTIONS/,/^[A-Z][A-Z ]*$/p' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)"
ok_if "opspipe-summary is shellcheck clean" shellcheck "$OPSPIPE_TOP/bin/opspipe-summary"

# Installed: PREFIX/bin/opspipe-summary finds PREFIX/share/opspipe.
p=$T_DIR/prefix
mkdir -p "$p/bin" "$p/share"
cp "$OPSPIPE_TOP/bin/opspipe-summary" "$p/bin/"
cp -R "$OPSPIPE_TOP/share/opspipe" "$p/share/"
printf 'Installed prompt.\n' >"$p/share/opspipe/prompts/summarize.txt"
expect_status "an installed copy runs" 0 "$p/bin/opspipe-summary" up
ok_if "... with PREFIX/share/opspipe's prompt" last_sent_has "Installed prompt"
r=$(env QUERY_STRING='query=up&minutes=3' REQUEST_METHOD=GET OPSPIPE_SUMMARY_DIR="$T_DIR/pc" \
    "$p/share/opspipe/cgi/summary" 2>/dev/null | tr -d '\r')
expect_eq "the installed CGI runs PREFIX/bin/opspipe-summary" "Status: 200 OK" "$(printf '%s\n' "$r" | head -n 1)"
ok_if "... which reads PREFIX/share/opspipe" last_sent_has "Installed prompt"
done_testing
