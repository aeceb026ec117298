#!/bin/sh
# llmask --cache on hostile ground: a temporary file is never written
# through a planted symlink, a signal while an entry is written leaves no
# *.tmp behind (nor does a write error), and a cache directory someone
# else could write to is refused before anything is sent — a cached
# answer is served as the model's.
# shellcheck disable=SC2016 # sh -c scripts expand their own "$@"
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
unset LLMASK_URL OPENAI_BASE_URL OPENAI_API_KEY OLLAMA_HOST LLMASK_MODEL LLMASK_CACHE

start_llm
printf '{"pod":"a"}\n' >"$T_DIR/in"
tmp_files() { find "$1" -name '*.tmp' | wc -l; }

# wait_for TEST: poll (up to 20 s) until the test command succeeds.
wait_for() {
	i=0
	while ! "$@" && [ "$i" -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$@"
}
one_request() { [ "$(sent length)" -ge 1 ]; }

# The entry's name: run once into a scratch cache (the key does not
# depend on the directory).
llmask --url "$llm" --cache "$T_DIR/scratch" -p x <"$T_DIR/in" >/dev/null
key=$(basename "$(find "$T_DIR/scratch" -name '*.json')" .json)
expect_match "the cache key is a SHA-256" '^[0-9a-f]{64}$' "$key"

# --- a planted symlink at the temporary name ---------------------------------
# The name llmask writes first is KEY.json.PID.tmp: plant a symlink there
# while the answer is on its way.
reset
control '{"answers":[{"delay_ms":1500}]}'
mkdir -m 700 "$T_DIR/cache"
printf 'precious\n' >"$T_DIR/victim"
llmask --url "$llm" --cache "$T_DIR/cache" -p x <"$T_DIR/in" >"$T_DIR/out" 2>"$T_DIR/err" &
pid=$!
wait_for one_request
ln -s "$T_DIR/victim" "$T_DIR/cache/$key.json.$pid.tmp"
wait "$pid"
expect_eq "a planted symlink: the answer is still given" 0 "$?"
expect_eq "... the symlink's target is untouched" precious "$(cat "$T_DIR/victim")"
ok_if "... the symlink is left as it was" test -L "$T_DIR/cache/$key.json.$pid.tmp"
expect_eq "... the entry is written beside it" '"fixture answer"' "$(jq -c .content "$T_DIR/cache/$key.json")"
ok_if "... and is not a symlink" test ! -L "$T_DIR/cache/$key.json"
expect_eq "... its mode is 0600" 600 "$(stat -c %a "$T_DIR/cache/$key.json")"
# An entry planted as a symlink is not read through either.
rm -f "$T_DIR/cache/$key.json"
printf '{"content":"planted"}\n' >"$T_DIR/planted"
ln -s "$T_DIR/planted" "$T_DIR/cache/$key.json"
llmask --url "$llm" --cache "$T_DIR/cache" -p x <"$T_DIR/in" >"$T_DIR/out"
expect_eq "an entry that is a symlink is a miss" '"fixture answer"' "$(jq -c .answer "$T_DIR/out")"
rm -rf "$T_DIR/cache"

# --- signals while an entry is written ---------------------------------------
# A shim holds rename(2) of the temporary file for 30 s, so the signal is
# sure to arrive while it exists. env --default-signal undoes the SIGINT
# that sh ignores in background jobs (llmask keeps an ignored signal
# ignored).
cc -shared -fPIC -o "$T_DIR/slow_rename.so" "$OPSPIPE_TOP/test/fixtures/slow_rename.c" -ldl ||
	not_ok "the rename shim builds"
for sig in INT TERM; do
	reset
	mkdir -m 700 "$T_DIR/cache"
	rm -f "$T_DIR/mark"
	SLOW_RENAME_MARK=$T_DIR/mark LD_PRELOAD=$T_DIR/slow_rename.so \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    env --default-signal=INT llmask --url "$llm" --cache "$T_DIR/cache" -p x \
	    <"$T_DIR/in" >/dev/null 2>"$T_DIR/err" &
	pid=$!
	wait_for test -e "$T_DIR/mark"
	expect_eq "SIG$sig: the temporary file exists while the entry is written" 1 "$(tmp_files "$T_DIR/cache")"
	kill -s "$sig" "$pid"
	wait "$pid"
	status=$?
	expect_eq "SIG$sig: llmask dies of the signal" "$sig" "$(kill -l "$status" 2>/dev/null)"
	expect_eq "SIG$sig: no *.tmp is left in the cache" 0 "$(tmp_files "$T_DIR/cache")"
	rm -rf "$T_DIR/cache"
done
# SIGINT while the slow answer is awaited: nothing half-written either.
reset
control '{"answers":[{"delay_ms":5000}]}'
mkdir -m 700 "$T_DIR/cache"
env --default-signal=INT llmask --url "$llm" --cache "$T_DIR/cache" -p x <"$T_DIR/in" >/dev/null 2>&1 &
pid=$!
wait_for one_request
kill -s INT "$pid"
wait "$pid"
expect_eq "SIGINT during a slow answer: no file in the cache" "" "$(find "$T_DIR/cache" -type f)"
rm -rf "$T_DIR/cache"

# A write error (a file size limit: EFBIG) removes the temporary file;
# the answer is still printed. The status goes through the pipe, which
# the limit does not touch.
reset
mkdir -m 700 "$T_DIR/cache"
sh -c 'ulimit -f 0; llmask --url "$1" --cache "$2" -p x <"$3" 2>&1; echo "status $?"' - \
    "$llm" "$T_DIR/cache" "$T_DIR/in" | cat >"$T_DIR/out"
expect_eq "a write error in the cache: the answer is printed, exit 0" \
    '"fixture answer"|status 0' "$(grep -v '^llmask:' "$T_DIR/out" | sed 's/^{"answer":\("[^"]*"\).*/\1/' | paste -sd'|' -)"
expect_match "... with a warning naming the file" "^llmask: cannot write cache '.*/cache/$key.json.[0-9]+.tmp': File too large" "$(cat "$T_DIR/out")"
expect_eq "... and no *.tmp left" 0 "$(tmp_files "$T_DIR/cache")"
rm -rf "$T_DIR/cache"

# --- whose directory ------------------------------------------------------------
reset
llmask --url "$llm" --cache "$T_DIR/new/cache" -p x <"$T_DIR/in" >/dev/null 2>"$T_DIR/err"
expect_match "a missing parent: a warning, the answer still given" "^llmask: cannot create cache" "$(cat "$T_DIR/err")"
mkdir -m 777 "$T_DIR/open"
expect_status "a cache writable by others is refused: exit 2" 2 \
    sh -c 'llmask --url "$1" --cache "$2" -p x <"$3"' - "$llm" "$T_DIR/open" "$T_DIR/in"
expect_match "... saying why" "^llmask: cache '.*/open' is not safe to use: writable by others \(mode 0777\)" "$(cat "$T_DIR/err")"
mkdir -m 770 "$T_DIR/group"
expect_status "a group-writable cache is refused" 2 \
    sh -c 'llmask --url "$1" --cache "$2" -p x <"$3"' - "$llm" "$T_DIR/group" "$T_DIR/in"
mkdir -m 700 "$T_DIR/mine"
ln -s "$T_DIR/mine" "$T_DIR/link"
expect_status "a symlink of one's own to one's own directory is fine" 0 \
    sh -c 'llmask --url "$1" --cache "$2" -p x <"$3"' - "$llm" "$T_DIR/link" "$T_DIR/in"
ok_if "... the entry lands in the directory" test -f "$T_DIR/mine/$key.json"
if [ "$(id -u)" = 0 ]; then
	mkdir -m 700 "$T_DIR/theirs"
	chown nobody "$T_DIR/theirs"
	expect_status "a cache owned by another user is refused" 2 \
	    sh -c 'llmask --url "$1" --cache "$2" -p x <"$3"' - "$llm" "$T_DIR/theirs" "$T_DIR/in"
	expect_match "... saying whose it is" "not safe to use: owned by uid [0-9]+, not by this user \(uid 0\)" "$(cat "$T_DIR/err")"
	ln -s "$T_DIR/mine" "$T_DIR/their-link"
	chown -h nobody "$T_DIR/their-link"
	expect_status "another user's symlink to one's own directory is refused" 2 \
	    sh -c 'llmask --url "$1" --cache "$2" -p x <"$3"' - "$llm" "$T_DIR/their-link" "$T_DIR/in"
	expect_match "... saying so" "not safe to use: a symlink owned by uid [0-9]+" "$(cat "$T_DIR/err")"
else
	ok "a cache owned by another user is refused # SKIP needs root to chown"
fi
expect_eq "refused caches: only the accepted ones asked" 2 "$(sent length)"
expect_status "--dry-run neither reads nor makes a cache" 0 \
    sh -c 'llmask --url "$1" --cache "$2" --dry-run -p x <"$3"' - "$llm" "$T_DIR/open" "$T_DIR/in"
done_testing
