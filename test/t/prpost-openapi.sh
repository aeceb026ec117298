# Every request prpost sends to the GitHub fixture, and every answer the
# fixture gives, checked against GitHub's published OpenAPI description
# (test/openapi/github.json, extracted from the npm package
# @octokit/openapi by test/openapi/update.sh): prpost and the fixture
# cannot drift from the real API together. GitLab publishes no such
# description on npm; its fixture follows GitLab's documentation.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/forge.sh"

unset GITLAB_TOKEN GH_TOKEN GITHUB_API_URL CI_API_V4_URL
OPSPIPE_RETRY_BASE=0.01
GITHUB_TOKEN=tok
export OPSPIPE_RETRY_BASE GITHUB_TOKEN
d=$T_DIR

start_forge github.py
gh=$forge
ctl "$gh" '{"users":["alice"],"repos":{"org/r":{"branches":{"main":{"a.yaml":"a: 1\n","old.yaml":"x\n"},
  "fix/stale":{"at":"main"},"fix/div":{"from":"main","files":{"a.yaml":"a: 7\n"}}}}}}'
P() { prpost --url "$gh" --repo org/r --base main --title t "$@"; }
printf 'a: 2\n' >"$d/a.yaml"
printf '\000\377' >"$d/b.bin"
head -c 1200000 /dev/zero | tr '\0' 'x' >"$d/big.txt"

P --label ops --reviewer alice,mallory --draft --body "why" a.yaml="$d/a.yaml" b.bin="$d/b.bin" \
    big.txt="$d/big.txt" --delete old.yaml >"$d/first" 2>/dev/null
ok_if "a post with every kind of file" [ -s "$d/first" ]
branch=$(jq -r .branch "$d/first")
P --label ops a.yaml="$d/a.yaml" b.bin="$d/b.bin" big.txt="$d/big.txt" --delete old.yaml >/dev/null 2>&1
ok_if "a re-run" [ $? -eq 0 ]
P --branch fix/stale a.yaml="$d/a.yaml" >/dev/null 2>&1
ok_if "a stale branch moved forward" [ $? -eq 0 ]
P --branch fix/div a.yaml="$d/a.yaml" >/dev/null 2>&1
ok_if "a diverged branch left alone" [ $? -eq 1 ]
ctl "$gh" '{"fail":{"method":"GET","path":"/pulls","status":200,"body":[]}}'
P --branch fix/stale a.yaml="$d/a.yaml" >/dev/null 2>&1
ok_if "422 'already exists'" [ $? -eq 0 ]
prpost get --url "$gh" --repo org/r a.yaml old.yaml >/dev/null 2>&1
ok_if "get, default branch" [ $? -eq 0 ]
prpost get --url "$gh" --repo org/r --ref "$branch" big.txt >"$d/big.json" 2>/dev/null
expect_eq "get: a file past 1 MB comes through the blobs API" 1200000 "$(jq -r '.content | length' "$d/big.json")"
prpost get --url "$gh" --repo org/r --ref main nope.yaml >/dev/null 2>&1
ok_if "get, missing file" [ $? -eq 1 ]
# the contents API, as bench/prpost's baseline sends it
for i in 1 2; do
	sha=$(curl -fs -H "Authorization: Bearer tok" "$gh/repos/org/r/contents/c.yaml?ref=main" | jq -r .sha)
	body=$(jq -nc --arg c "$(printf 'c: %s\n' "$i" | base64)" --arg s "$sha" \
	    '{message: "c", content: $c, branch: "main"} + (if $s == "" then {} else {sha: $s} end)')
	curl -fs -X PUT -H "Authorization: Bearer tok" -d "$body" "$gh/repos/org/r/contents/c.yaml" >/dev/null
done
curl -fs "$gh/_requests" >"$d/requests.json"
/usr/bin/python3 "$OPSPIPE_TOP/test/openapi/check.py" "$OPSPIPE_TOP/test/openapi/github.json" \
    "$d/requests.json" >"$d/tap" 2>&1
relay_tap "$d/tap" "OpenAPI checker"
expect_eq "the checker saw every endpoint prpost uses" 17 \
    "$(grep -c 'request(s) and answers match' "$d/tap")"
expect_match "the description is GitHub's own" '^@octokit/openapi [0-9.]+' "$(jq -r .source "$OPSPIPE_TOP/test/openapi/github.json")"

# The checker must be able to fail: a body with a wrong field and type.
printf '[{"method":"POST","path":"/repos/o/r/git/trees","query":{},"body":{"base_tre":"x","tree":[{"path":"a","mode":"644","type":"blob","content":"x"}]},"status":201,"response":{"sha":"x"}}]' >"$d/bad.json"
/usr/bin/python3 "$OPSPIPE_TOP/test/openapi/check.py" "$OPSPIPE_TOP/test/openapi/github.json" "$d/bad.json" >"$d/badtap" 2>&1
expect_match "the checker refuses an unknown field" "field 'base_tre' is not in GitHub's schema" "$(cat "$d/badtap")"
expect_match "the checker refuses a mode outside the enum" "'644' is not one of" "$(cat "$d/badtap")"
done_testing
