# prpost against the GitHub fixture: one commit for N files, idempotent
# re-runs, unchanged files, a diverged branch never clobbered, errors
# worded clearly, bytes kept exactly, records, get, --dry-run.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/forge.sh"

unset GITLAB_TOKEN GH_TOKEN GITHUB_API_URL CI_API_V4_URL
OPSPIPE_RETRY_BASE=0.01
GITHUB_TOKEN=s3cret-token-value
export OPSPIPE_RETRY_BASE GITHUB_TOKEN
d=$T_DIR

start_forge github.py
gh=$forge
ctl "$gh" '{"token":"s3cret-token-value","users":["alice","bob"],"repos":{
  "org/gitops":{"branches":{"main":{"apps/web/nginx.yaml":"replicas: 1\n",
    "apps/old.yaml":"old\n","README.md":"hello\n",
    "bin/run.sh":{"base64":"IyEvYmluL3NoCg==","mode":"100755"}}}},
  "org/div":{"branches":{"main":{"a.yaml":"a: 1\n"},
    "fix/diverged":{"from":"main","files":{"a.yaml":"a: 9\n"}}}},
  "org/stale":{"branches":{"old":{"a.yaml":"a: 1\n"},
    "main":{"from":"old","files":{"b.yaml":"b: 1\n"}},
    "fix/stale":{"at":"old"}}}}}'

P() { prpost --url "$gh" --repo org/gitops --base main "$@"; }
posts() { sent "$gh" "[.[] | select(.method != \"GET\")] | length"; }
commits() { sent "$gh" '[.[] | select(.method == "POST" and (.path | endswith("/git/commits")))] | length'; }
files_of() { repo_state "$gh" ".\"$1\".\"$2\".files | map_values(.base64 | @base64d)"; }
main_commit=$(repo_state "$gh" '."org/gitops".main.commit' | tr -d '"')

printf 'replicas: 3\n' >"$d/nginx.yaml"
printf 'kind: ConfigMap\n' >"$d/new.yaml"
printf 'hello\n' >"$d/readme"

# -- one commit for a 3-file change --------------------------------------
expect_status "a 3-file change (add, modify, delete) posts" 0 \
    P --title "Raise nginx replicas" apps/web/nginx.yaml="$d/nginx.yaml" \
    apps/new.yaml="$d/new.yaml" --delete apps/old.yaml
cp "$T_DIR/out" "$d/first"
expect_eq "the pull request is created" "true 1" "$(jq -r '"\(.created) \(.number)"' "$d/first")"
branch=$(jq -r .branch "$d/first")
expect_match "the branch is opspipe/<slug>-<12 hex>" '^opspipe/apps-new-yaml-[0-9a-f]{12}$' "$branch"
expect_eq "one commit, whose parent is main's" "[\"$main_commit\"]" \
    "$(repo_state "$gh" ".\"org/gitops\".\"$branch\".parents")"
expect_eq "the result names that commit" "$(repo_state "$gh" ".\"org/gitops\".\"$branch\".commit")" \
    "$(jq -c .commit "$d/first")"
expect_eq "the branch's tree reads back exactly" \
    '{"README.md":"hello\n","apps/new.yaml":"kind: ConfigMap\n","apps/web/nginx.yaml":"replicas: 3\n","bin/run.sh":"#!/bin/sh\n"}' \
    "$(files_of org/gitops "$branch")"
expect_eq "an untouched executable keeps its mode" '"100755"' \
    "$(repo_state "$gh" ".\"org/gitops\".\"$branch\".files.\"bin/run.sh\".mode")"
expect_eq "one tree, one commit, one ref: constant requests" \
    '["POST /repos/org/gitops/git/trees","POST /repos/org/gitops/git/commits","POST /repos/org/gitops/git/refs","POST /repos/org/gitops/pulls"]' \
    "$(sent "$gh" '[.[] | select(.method != "GET") | "\(.method) \(.path)"]')"
expect_eq "the tree is built on main's with inline text and a null sha for the deletion" \
    '[{"path":"apps/new.yaml","mode":"100644","type":"blob","content":"kind: ConfigMap\n"},{"path":"apps/old.yaml","mode":"100644","type":"blob","sha":null},{"path":"apps/web/nginx.yaml","mode":"100644","type":"blob","content":"replicas: 3\n"}]' \
    "$(sent "$gh" '[.[] | select(.method == "POST" and (.path | endswith("/git/trees")))][0].body.tree')"
expect_eq "main is untouched" "\"$main_commit\"" "$(repo_state "$gh" '."org/gitops".main.commit')"
expect_eq "every request carries the token and GitHub's API version" "0" \
    "$(sent "$gh" '[.[] | select(.headers.authorization != "Bearer s3cret-token-value" or .headers["x-github-api-version"] != "2022-11-28")] | length')"

# -- idempotent ----------------------------------------------------------
before=$(posts)
expect_status "re-running the same change succeeds" 0 \
    P --title "Raise nginx replicas (tick 2)" apps/web/nginx.yaml="$d/nginx.yaml" \
    apps/new.yaml="$d/new.yaml" --delete apps/old.yaml
expect_eq "re-run: the same pull request, created:false" \
    "$(jq -c '{url, number, branch, commit, created:false}' "$d/first")" \
    "$(jq -c '{url, number, branch, commit, created}' "$T_DIR/out")"
expect_eq "re-run: no new commit, tree, ref or pull request" "$before" "$(posts)"
expect_eq "re-run: still one open pull request" "1" \
    "$(curl -fs -H "Authorization: Bearer $GITHUB_TOKEN" "$gh/repos/org/gitops/pulls?state=all" | jq length)"

# GitHub's 422 "A pull request already exists" is an answer, not a failure.
ctl "$gh" '{"fail":{"method":"GET","path":"/pulls","status":200,"body":[]}}'
expect_status "a 422 'already exists' finds the open pull request" 0 \
    P --title "Raise nginx replicas" apps/web/nginx.yaml="$d/nginx.yaml" \
    apps/new.yaml="$d/new.yaml" --delete apps/old.yaml
expect_eq "422 'already exists': created:false, the same number" "false 1" \
    "$(jq -r '"\(.created) \(.number)"' "$T_DIR/out")"

# -- unchanged -----------------------------------------------------------
before=$(posts)
expect_status "content equal to base exits 0" 0 \
    P --title "noop" README.md="$d/readme" --delete does/not/exist.yaml
expect_eq "unchanged:true, no pull request" '{"url":null,"number":null,"created":false,"unchanged":true}' \
    "$(jq -c '{url, number, created, unchanged}' "$T_DIR/out")"
expect_eq "unchanged: nothing written" "$before" "$(posts)"

# -- never clobber -------------------------------------------------------
div=$(repo_state "$gh" '."org/div"."fix/diverged".commit')
expect_status "a diverged branch exits 1" 1 \
    prpost --url "$gh" --repo org/div --base main --branch fix/diverged \
    --title t a.yaml="$d/nginx.yaml"
expect_match "the message names the branch" "branch 'fix/diverged' in 'org/div' has commits" "$(cat "$T_DIR/err")"
expect_eq "the diverged branch is not moved" "$div" "$(repo_state "$gh" '."org/div"."fix/diverged".commit')"
expect_status "a branch behind base is moved forward (fast-forward only)" 0 \
    prpost --url "$gh" --repo org/stale --base main --branch fix/stale \
    --title t a.yaml="$d/nginx.yaml"
expect_eq "the stale branch now sits on main's tip" \
    "$(repo_state "$gh" '[."org/stale".main.commit]')" \
    "$(repo_state "$gh" '."org/stale"."fix/stale".parents')"
expect_eq "the move was asked with force false" "false" \
    "$(sent "$gh" '[.[] | select(.method == "PATCH")][-1].body.force')"

# -- two runs at once ----------------------------------------------------
# A second prpost posting the same change creates the branch between this
# one's look and its write (the fixture answers the look with 404, as
# when the branch did not exist yet). The branch holds the change: it is
# used, not called diverged; one with other content still is.
ctl "$gh" '{"repos":{"org/race":{"branches":{"main":{"a.yaml":"a: 1\n"},
  "fix/race":{"from":"main","files":{"a.yaml":"replicas: 3\n"}},
  "fix/other":{"from":"main","files":{"a.yaml":"a: 7\n"}}}}}}'
race=$(repo_state "$gh" '."org/race"."fix/race".commit')
ctl "$gh" '{"fail":{"method":"GET","path":"/git/ref/heads/fix/race","status":404,"body":{"message":"Not Found"}}}'
expect_status "a branch created meanwhile holding the change is used" 0 \
    prpost --url "$gh" --repo org/race --base main --branch fix/race --title t a.yaml="$d/nginx.yaml"
expect_eq "created meanwhile: its commit is the result, the branch not moved" "true $race $race" \
    "$(jq -r .created "$T_DIR/out") $(jq -c .commit "$T_DIR/out") $(repo_state "$gh" '."org/race"."fix/race".commit')"
other=$(repo_state "$gh" '."org/race"."fix/other".commit')
ctl "$gh" '{"fail":{"method":"GET","path":"/git/ref/heads/fix/other","status":404,"body":{"message":"Not Found"}}}'
expect_status "a branch created meanwhile with other content: diverged" 1 \
    prpost --url "$gh" --repo org/race --base main --branch fix/other --title t a.yaml="$d/nginx.yaml"
expect_eq "created meanwhile with other content: not moved" "$other" "$(repo_state "$gh" '."org/race"."fix/other".commit')"

# And for real: four runs of one change at once all succeed, with one
# pull request between them.
printf 'b: 2\n' >"$d/b.yaml"
pids=""
for i in 1 2 3 4; do
	prpost --url "$gh" --repo org/race --base main --title "at once $i" b.yaml="$d/b.yaml" \
	    >"$d/once.$i" 2>&1 &
	pids="$pids $!"
done
fails=0
for pid in $pids; do
	wait "$pid" || fails=$((fails + 1))
done
expect_eq "four runs at once: all succeed, one pull request, one branch" "0 1 1" \
    "$fails $(cat "$d"/once.* | jq -s '[.[].number] | unique | length' 2>&1) $(cat "$d"/once.* | jq -s '[.[].branch] | unique | length' 2>&1)"

# -- errors --------------------------------------------------------------
# Every message of this section is kept, to look for the tokens in.
keep_err() { cat "$T_DIR/err" >>"$d/errors.all"; }
expect_status "a bad token exits 3" 3 env GITHUB_TOKEN=wrong-one \
    prpost --url "$gh" --repo org/gitops --base main --title t a=/dev/null
expect_match "401: GitHub's 'Bad credentials' and where the token comes from" \
    "Bad credentials \\(check --token" "$(cat "$T_DIR/err")"
keep_err
expect_status "an unknown repository exits 2" 2 \
    prpost --url "$gh" --repo org/nope --base main --title t a=/dev/null
expect_match "404: the repository named" "repository 'org/nope' not found" "$(cat "$T_DIR/err")"
keep_err
expect_status "an unknown base branch exits 2" 2 P --base nope --title t a=/dev/null
expect_match "404: the branch named" "branch 'nope' not found in 'org/gitops'" "$(cat "$T_DIR/err")"
keep_err
ctl "$gh" '{"fail":{"path":"/git/ref/","status":502,"count":9}}'
expect_status "a 5xx after retries exits 3" 3 env OPSPIPE_RETRY_MAX=0.01 \
    prpost --url "$gh" --repo org/gitops --base main --title t a=/dev/null
keep_err
expect_eq "a 5xx is retried (--retries, default 3)" "4" \
    "$(sent "$gh" '[.[] | select(.status == 502)] | length')"
ctl "$gh" '{"fail":{"path":"/none","count":0}}'
# Half-way: the tree and the commit are made, the ref is refused. No
# branch may point at a part of the change, and the base is as it was.
main_before=$(repo_state "$gh" '."org/gitops".main.commit')
echo "half: way" >"$d/half.yaml"
made() { sent "$gh" '[.[] | select(.method == "POST" and (.path | test("/git/(trees|commits)$")))] | length'; }
made_before=$(made)
ctl "$gh" '{"fail":{"method":"POST","path":"/git/refs","status":422,"body":{"message":"Reference update failed"}}}'
P --title half --branch fix/halfway half.yaml="$d/half.yaml" >/dev/null 2>&1
expect_eq "a failure after the commit, before the ref (422: exit 2), no branch, main untouched" \
    "2 null $main_before" "$? $(repo_state "$gh" '."org/gitops"."fix/halfway".commit') $(repo_state "$gh" '."org/gitops".main.commit')"
expect_eq "... the tree and the commit had been made" 2 "$(($(made) - made_before))"
ctl "$gh" '{"fail":{"path":"/none","count":0}}'
expect_eq "the messages of 401, 404 and 5xx were kept" 4 "$(grep -c '^prpost: ' "$d/errors.all")"
expect_eq "no token, right or wrong, shows in them" 0 "$(grep -c -e s3cret-token-value -e wrong-one "$d/errors.all")"

# -- bytes ---------------------------------------------------------------
printf '\000\001\377\376binary\r\n' >"$d/blob.bin"
printf 'line one\r\nline two\r\nno newline at end' >"$d/crlf.txt"
printf 'caf\303\251: \360\237\232\200\n' >"$d/utf8.yaml"
expect_status "binary, CRLF and UTF-8 files post" 0 \
    P --title bytes assets/blob.bin="$d/blob.bin" conf/crlf.txt="$d/crlf.txt" \
    "dir with space/ünï.yaml=$d/utf8.yaml"
bb=$(jq -r .branch "$T_DIR/out")
for f in "assets/blob.bin blob.bin" "conf/crlf.txt crlf.txt" "dir with space/ünï.yaml utf8.yaml"; do
	path=${f% *}
	local_file=${f##* }
	expect_eq "'$path' holds exactly its bytes" "$(base64 -w0 <"$d/$local_file")" \
	    "$(repo_state "$gh" ".\"org/gitops\".\"$bb\".files.\"$path\".base64" | tr -d '"')"
done
expect_eq "binary content went up as a base64 blob, text inline" \
    '[{"encoding":"base64"}]' "$(sent "$gh" '[.[] | select(.method == "POST" and (.path | endswith("/git/blobs"))) | {encoding: .body.encoding}]')"
expect_status "get reads a binary file" 0 prpost get --url "$gh" --repo org/gitops --ref "$bb" assets/blob.bin
jq -r .content "$T_DIR/out" | base64 -d >"$d/back.bin"
ok_if "get: binary content round-trips (base64, encoding named)" cmp -s "$d/blob.bin" "$d/back.bin"
expect_eq "get: encoding base64 for bytes that are not text" base64 "$(jq -r .encoding "$T_DIR/out")"
expect_status "get reads a path with a space and unicode" 0 \
    prpost get --url "$gh" --repo org/gitops --ref "$bb" "dir with space/ünï.yaml" conf/crlf.txt
expect_eq "get: text comes back as text, CRLF and all" \
    "$(printf '%s\n' "$(cat "$d/utf8.yaml")" | jq -Rs . | jq -c 'rtrimstr("\n")')" \
    "$(head -n 1 "$T_DIR/out" | jq -c '.content | rtrimstr("\n")')"
expect_eq "get: no trailing newline added" '"line one\r\nline two\r\nno newline at end"' \
    "$(sed -n 2p "$T_DIR/out" | jq -c .content)"
expect_eq "paths are percent-encoded in URLs, never raw" \
    '"/repos/org/gitops/contents/dir%20with%20space/%C3%BCn%C3%AF.yaml"' \
    "$(sent "$gh" '[.[] | select(.path | contains("dir%20"))][0].path')"
expect_eq "no request was refused for a raw character" "0" "$(sent "$gh" '[.[] | select(.status == 400)] | length')"

# -- bad paths -----------------------------------------------------------
for bad in "../etc/passwd" "/abs.yaml" "a/./b" "a//b" ".git/config"; do
	expect_status "path '$bad' is refused (exit 2)" 2 P --title t "$bad=$d/readme"
done
expect_match "the refusal says why" "invalid path '.git/config': '.git' component" "$(cat "$T_DIR/err")"
# Bytes that are not UTF-8 would reach GitHub as U+FFFD: another file,
# another branch than the one named. Refused, not rewritten.
expect_status "a path that is not UTF-8 is refused" 2 P --title t "$(printf 'bad\377.yaml')=$d/readme"
expect_match "a path that is not UTF-8: said why" "not valid UTF-8" "$(cat "$T_DIR/err")"
expect_status "a branch that is not UTF-8 is refused" 2 P --title t --branch "$(printf 'fix/b\377d')" a.yaml="$d/nginx.yaml"
expect_match "a branch that is not UTF-8: said why" "must be valid UTF-8" "$(cat "$T_DIR/err")"
expect_status "a path given twice is refused" 2 P --title t a.yaml="$d/readme" a.yaml="$d/nginx.yaml"

# -- get -----------------------------------------------------------------
expect_status "get a file on the default branch" 0 prpost get --url "$gh" --repo org/gitops apps/web/nginx.yaml
expect_eq "get: the record" \
    '{"repo":"org/gitops","ref":"main","path":"apps/web/nginx.yaml","content":"replicas: 1\n","sha":"3b3a9950e87cd299367ccf3355ef92980e582cb2"}' \
    "$(cat "$T_DIR/out")"
expect_status "get: a missing file exits 1" 1 prpost get --url "$gh" --repo org/gitops --ref main apps/web/nginx.yaml missing.yaml
expect_eq "get: the files found still print" "1" "$(wc -l <"$T_DIR/out" | tr -d ' ')"
expect_match "get: the missing file is named" "'missing.yaml' not found in 'org/gitops' at 'main'" "$(cat "$T_DIR/err")"
expect_status "get: a missing ref exits 2" 2 prpost get --url "$gh" --repo org/gitops --ref nope README.md

# -- records -------------------------------------------------------------
cat >"$d/records" <<'EOF'
{"repo":"org/gitops","base":"main","title":"from a record","files":[{"path":"rec/a.yaml","content":"a: 1\n"},{"path":"rec/b.bin","content":"AAEC","encoding":"base64"}],"ticket":"INC-7","labels":["auto"]}
not json
{"repo":"org/gitops","base":"main","title":"bad","files":[{"path":"../x","content":"x"}]}
{"repo":"org/gitops","base":"main","title":"nul","files":[{"path":"a\u0000b","content":"x"}]}
{"repo":"org/gitops","base":"main","files":[{"path":"x","content":"x"}]}
{"repo":"org/gitops","base":"main","title":"t","forge":5,"files":[{"path":"x","content":"x"}]}
{"repo":"org/gitops","base":"main\u0000x","title":"t","files":[{"path":"x","content":"x"}]}
EOF
prpost --url "$gh" - <"$d/records" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "records: bad lines make exit 2" 2 "$?"
expect_eq "records: the good record posts, other fields pass through, files do not" \
    '{"ticket":"INC-7","title":"from a record","created":true,"files":false}' \
    "$(jq -c '{ticket, title, created, files: has("files")}' "$T_DIR/out")"
rb=$(jq -r .branch "$T_DIR/out")
expect_eq "records: base64 content lands as bytes" '"AAEC"' \
    "$(repo_state "$gh" ".\"org/gitops\".\"$rb\".files.\"rec/b.bin\".base64")"
expect_match "records: not JSON is named by line" "stdin:2:" "$(cat "$T_DIR/err")"
expect_match "records: a bad path is named by line" "stdin:3: files\\[0\\]: invalid path '../x'" "$(cat "$T_DIR/err")"
expect_match "records: a NUL in a path is refused" "stdin:4: files\\[0\\]: NUL in path" "$(cat "$T_DIR/err")"
expect_match "records: a missing title is named" "stdin:5: no title" "$(cat "$T_DIR/err")"
expect_match "records: a forge that is not a string is refused" "stdin:6: field 'forge' must be" "$(cat "$T_DIR/err")"
expect_match "records: a NUL in a field is refused, not read as a shorter string" "stdin:7: field 'base' holds a NUL byte" "$(cat "$T_DIR/err")"

# -- labels, reviewers, draft --------------------------------------------
printf 'x: 1\n' >"$d/x.yaml"
expect_status "labels and reviewers: a reviewer who cannot be requested is a warning" 0 \
    P --title lr --label ops --label auto,gitops --reviewer alice,mallory --draft x.yaml="$d/x.yaml"
n=$(jq -r .number "$T_DIR/out")
expect_match "the refused reviewer is named" "reviewer 'mallory' not requested on #$n" "$(cat "$T_DIR/err")"
expect_eq "labels, the other reviewer and draft applied" \
    '{"labels":["ops","auto","gitops"],"reviewers":["alice"],"draft":true}' \
    "$(curl -fs -H "Authorization: Bearer $GITHUB_TOKEN" "$gh/repos/org/gitops/pulls?state=all" | jq -c ".[] | select(.number == $n) | {labels: [.labels[].name], reviewers: [.requested_reviewers[].login], draft}")"
ctl "$gh" '{"draft_unsupported":true}'
printf 'y: 1\n' >"$d/y.yaml"
expect_status "a repository without drafts gets a ready pull request" 0 P --title dr --draft y.yaml="$d/y.yaml"
expect_match "and a warning says so" "takes no draft pull requests" "$(cat "$T_DIR/err")"

# -- dry run -------------------------------------------------------------
before=$(sent "$gh" length)
expect_status "--dry-run exits 0" 0 P --dry-run --title dry --label l --reviewer alice \
    apps/web/nginx.yaml="$d/nginx.yaml" assets/blob.bin="$d/blob.bin" --delete apps/old.yaml
expect_eq "--dry-run sends nothing" "$before" "$(sent "$gh" length)"
expect_eq "--dry-run shows each request" \
    '["GET /repos/org/gitops/git/ref/heads/main","GET /repos/org/gitops/git/commits/{base-commit}","GET /repos/org/gitops/git/trees/{base-tree}?recursive=1","GET /repos/org/gitops/git/ref/heads/opspipe/apps-old-yaml-","POST /repos/org/gitops/git/blobs","POST /repos/org/gitops/git/trees","POST /repos/org/gitops/git/commits","POST /repos/org/gitops/git/refs","POST /repos/org/gitops/pulls","POST /repos/org/gitops/issues/{number}/labels","POST /repos/org/gitops/pulls/{number}/requested_reviewers"]' \
    "$(jq -sc --arg u "$gh" '[.[] | "\(.method) \(.url | ltrimstr($u) | sub("yaml-[0-9a-f]{12}$"; "yaml-"))"]' "$T_DIR/out")"
expect_eq "--dry-run shows the bodies" \
    '{"title":"dry","head":"BRANCH","base":"main"}' \
    "$(jq -sc '.[8].body | .head = "BRANCH"' "$T_DIR/out")"
expect_eq "--dry-run: the token is redacted" '"Bearer <redacted>"' "$(jq -sc '.[0].headers.Authorization' "$T_DIR/out")"
if grep -q s3cret "$T_DIR/out" "$T_DIR/err"; then not_ok "--dry-run shows no token"; else ok "--dry-run shows no token"; fi
# An empty header value (curl's way to drop a header) is shown, not read
# past its end (SANITIZE=1 catches that).
expect_status "--dry-run with --header 'Accept:' and an unspaced header" 0 \
    P --dry-run --title dry --header 'Accept:' --header 'X-Gateway:k3y' a.yaml="$d/readme"
expect_eq "--dry-run: an unspaced extra header is redacted" '"<redacted>"' "$(jq -sc '.[0].headers["X-Gateway"]' "$T_DIR/out")"

# -- usage ---------------------------------------------------------------
expect_status "no title is a usage error" 2 P a.yaml="$d/readme"
expect_status "an operand without '=' is a usage error" 2 P --title t a.yaml
expect_status "a bad repository name is a usage error" 2 prpost --repo 'org/../x' --base main --title t a="$d/readme"
expect_status "both tokens and no forge flag is a usage error" 2 env GITLAB_TOKEN=x \
    prpost --url "$gh" --repo org/gitops --base main --title t a="$d/readme"
expect_status "a bad --branch is a usage error" 2 P --title t --branch 'a..b' a="$d/readme"
expect_status "a control character in GITHUB_TOKEN is a usage error" 2 \
    env GITHUB_TOKEN="$(printf 'tok\nX-Injected: 1')" prpost --url "$gh" --repo org/gitops --base main --title t a="$d/readme"
expect_match "the message names GITHUB_TOKEN, not --token, and not its value" '^prpost: invalid GITHUB_TOKEN: [^X]*$' "$(head -n 1 "$T_DIR/err")"
done_testing
