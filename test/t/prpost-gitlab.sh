# prpost against the GitLab fixture: projects by subgroup path and by
# numeric id, one commit through the commits API with create, update and
# delete actions, binary content as base64, the merge request found
# again on a re-run (409 or the list), draft as a "Draft:" title,
# reviewers resolved to ids, a diverged branch left alone, get.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/forge.sh"

unset GITHUB_TOKEN GH_TOKEN GITHUB_API_URL CI_API_V4_URL
OPSPIPE_RETRY_BASE=0.01
GITLAB_TOKEN=glpat-secret-value
export OPSPIPE_RETRY_BASE GITLAB_TOKEN
d=$T_DIR

start_forge gitlab.py
gl=$forge
ctl "$gl" '{"token":"glpat-secret-value","users":["bob","carol"],"repos":{
  "grp/sub/gitops":{"id":42,"branches":{"main":{"apps/web/nginx.yaml":"replicas: 1\n","apps/old.yaml":"old\n"},
    "fix/diverged":{"from":"main","files":{"apps/web/nginx.yaml":"replicas: 9\n"}}}}}}'
main_commit=$(repo_state "$gl" '."grp/sub/gitops".main.commit' | tr -d '"')

printf 'replicas: 3\n' >"$d/nginx.yaml"
printf '\000\001\377bin' >"$d/blob.bin"
printf 'a\r\nb' >"$d/crlf.txt"

# GITLAB_TOKEN alone chooses GitLab; CI_API_V4_URL gives the API.
expect_status "a subgroup path: 3 files in one commit" 0 \
    env CI_API_V4_URL="$gl/api/v4" prpost --repo grp/sub/gitops --base main \
    --title "Raise replicas" --body "Found by opspipe" --draft --label ops,auto \
    --reviewer bob --reviewer nobody apps/web/nginx.yaml="$d/nginx.yaml" \
    assets/blob.bin="$d/blob.bin" conf/crlf.txt="$d/crlf.txt" --delete apps/old.yaml
cp "$T_DIR/out" "$d/first"
branch=$(jq -r .branch "$d/first")
expect_eq "created, number is the iid" "true 1" "$(jq -r '"\(.created) \(.number)"' "$d/first")"
expect_match "the web URL of the merge request" "/grp/sub/gitops/-/merge_requests/1$" "$(jq -r .url "$d/first")"
expect_eq "the project path is URL-encoded with its subgroups" "0" \
    "$(sent "$gl" '[.[] | select(.path | startswith("/api/v4/projects/") and (startswith("/api/v4/projects/grp%2Fsub%2Fgitops/") | not))] | length')"
expect_eq "one commit, started from main's" "[\"$main_commit\"]" \
    "$(repo_state "$gl" ".\"grp/sub/gitops\".\"$branch\".parents")"
expect_eq "the branch's files read back exactly" \
    '{"apps/web/nginx.yaml":"cmVwbGljYXM6IDMK","assets/blob.bin":"AAH/Ymlu","conf/crlf.txt":"YQ0KYg=="}' \
    "$(repo_state "$gl" ".\"grp/sub/gitops\".\"$branch\".files | map_values(.base64)")"
expect_eq "actions: create, update, delete; bytes that are not text as base64" \
    '[["delete","apps/old.yaml",null],["update","apps/web/nginx.yaml",null],["create","assets/blob.bin","base64"],["create","conf/crlf.txt",null]]' \
    "$(sent "$gl" '[.[] | select(.method == "POST" and (.path | endswith("/repository/commits")))][0].body.actions | map([.action, .file_path, .encoding])')"
expect_eq "the commit creates the branch from main's commit in one request" \
    "{\"branch\":\"$branch\",\"start_sha\":\"$main_commit\"}" \
    "$(sent "$gl" '[.[] | select(.method == "POST" and (.path | endswith("/repository/commits")))][0].body | {branch, start_sha}')"
expect_eq "draft as a title prefix, labels, description, reviewer ids" \
    '{"title":"Draft: Raise replicas","labels":"ops,auto","description":"Found by opspipe","reviewer_ids":[100]}' \
    "$(sent "$gl" '[.[] | select(.method == "POST" and (.path | endswith("/merge_requests")))][0].body | {title, labels, description, reviewer_ids}')"
expect_match "an unknown reviewer is a warning" "reviewer 'nobody' not requested: no such GitLab user" "$(cat "$T_DIR/err")"
expect_eq "the token goes as a bearer token" "0" \
    "$(sent "$gl" '[.[] | select(.headers.authorization != "Bearer glpat-secret-value")] | length')"

# re-run by numeric id: the same merge request, no new commit
commits() { sent "$gl" '[.[] | select(.method == "POST" and (.path | endswith("/repository/commits")))] | length'; }
before=$(commits)
expect_status "a numeric project id: the re-run succeeds" 0 \
    prpost --url "$gl/api/v4" --repo 42 --base main --title "Raise replicas" \
    --label extra --reviewer carol apps/web/nginx.yaml="$d/nginx.yaml" \
    assets/blob.bin="$d/blob.bin" conf/crlf.txt="$d/crlf.txt" --delete apps/old.yaml
expect_eq "re-run: the same merge request, created:false" \
    "$(jq -c '{url, number, branch, commit, created:false}' "$d/first")" \
    "$(jq -c '{url, number, branch, commit, created}' "$T_DIR/out")"
expect_eq "re-run: no new commit" "$before" "$(commits)"
expect_eq "re-run: labels added, reviewers kept and added" \
    '{"add_labels":"extra","reviewer_ids":[101,100]}' \
    "$(sent "$gl" '[.[] | select(.method == "PUT")][-1].body')"

# 409 from a second POST finds the open one
ctl "$gl" '{"fail":{"method":"GET","path":"/merge_requests","status":200,"body":[]}}'
expect_status "GitLab's 409 for a second merge request finds the open one" 0 \
    prpost --url "$gl/api/v4" --repo 42 --base main --title "Raise replicas" \
    apps/web/nginx.yaml="$d/nginx.yaml" assets/blob.bin="$d/blob.bin" \
    conf/crlf.txt="$d/crlf.txt" --delete apps/old.yaml
expect_eq "409: created:false, the same iid" "false 1" "$(jq -r '"\(.created) \(.number)"' "$T_DIR/out")"

# unchanged
printf 'replicas: 1\n' >"$d/same.yaml"
expect_status "content equal to base: unchanged" 0 \
    prpost --url "$gl/api/v4" --repo 42 --base main --title t apps/web/nginx.yaml="$d/same.yaml"
expect_eq "unchanged:true" "true null" "$(jq -r '"\(.unchanged) \(.url)"' "$T_DIR/out")"

# diverged
div=$(repo_state "$gl" '."grp/sub/gitops"."fix/diverged".commit')
expect_status "a diverged branch exits 1" 1 \
    prpost --url "$gl/api/v4" --repo 42 --base main --branch fix/diverged --title t a.yaml="$d/same.yaml"
expect_match "the diverged branch is named" "branch 'fix/diverged' in '42' has commits" "$(cat "$T_DIR/err")"
expect_eq "the diverged branch is not moved" "$div" "$(repo_state "$gl" '."grp/sub/gitops"."fix/diverged".commit')"

# A second run created the branch between this one's look and its commit
# (the look answered 404): GitLab's 400 "A branch called ... already
# exists" has it judged as it is — used when it holds the change.
ctl "$gl" '{"repos":{"grp/race":{"id":77,"branches":{"main":{"a.yaml":"a: 1\n"},
  "fix/race":{"from":"main","files":{"a.yaml":"replicas: 1\n"}}}}}}'
race=$(repo_state "$gl" '."grp/race"."fix/race".commit')
ctl "$gl" '{"fail":{"method":"GET","path":"/repository/branches/fix%2Frace","status":404,"body":{"message":"404 Branch Not Found"}}}'
expect_status "a branch created meanwhile holding the change is used" 0 \
    prpost --url "$gl/api/v4" --repo 77 --base main --branch fix/race --title t a.yaml="$d/same.yaml"
expect_eq "created meanwhile: its commit is the result, the branch not moved" "true $race $race" \
    "$(jq -r .created "$T_DIR/out") $(jq -c .commit "$T_DIR/out") $(repo_state "$gl" '."grp/race"."fix/race".commit')"

# errors and get
expect_status "an unknown project exits 2" 2 prpost --url "$gl/api/v4" --repo grp/nope --base main --title t a=/dev/null
expect_match "the project is named" "project 'grp/nope' not found" "$(cat "$T_DIR/err")"
expect_status "a bad token exits 3" 3 env GITLAB_TOKEN=bad prpost --url "$gl/api/v4" --repo 42 --base main --title t a=/dev/null
expect_match "401 says which token" "401 Unauthorized \\(check --token, --token-file or GITLAB_TOKEN\\)" "$(cat "$T_DIR/err")"
expect_status "get by subgroup path, default branch" 0 prpost get --url "$gl/api/v4" --repo grp/sub/gitops apps/web/nginx.yaml
expect_eq "get: the record" '{"repo":"grp/sub/gitops","ref":"main","path":"apps/web/nginx.yaml","content":"replicas: 1\n","sha":"3b3a9950e87cd299367ccf3355ef92980e582cb2"}' "$(cat "$T_DIR/out")"
expect_status "get: binary on the branch" 0 prpost get --url "$gl/api/v4" --repo 42 --ref "$branch" assets/blob.bin
expect_eq "get: binary as base64" '"AAH/Ymlu" "base64"' "$(jq -r '"\(.content | tojson) \(.encoding | tojson)"' "$T_DIR/out")"
expect_status "get: a missing file exits 1" 1 prpost get --url "$gl/api/v4" --repo 42 nope.yaml
expect_match "get: the missing file is named" "'nope.yaml' not found in '42' at 'main'" "$(cat "$T_DIR/err")"

# dry run
before=$(sent "$gl" length)
expect_status "--dry-run exits 0" 0 prpost --gitlab --dry-run --url "$gl/api/v4" --repo grp/sub/gitops \
    --base main --title t --reviewer bob apps/web/nginx.yaml="$d/nginx.yaml"
expect_eq "--dry-run sends nothing" "$before" "$(sent "$gl" length)"
expect_eq "--dry-run shows the commit and the merge request" '["GET","HEAD","GET","POST","GET","POST"]' \
    "$(jq -sc 'map(.method)' "$T_DIR/out")"
if grep -q glpat-secret "$T_DIR/out" "$T_DIR/err"; then not_ok "--dry-run shows no token"; else ok "--dry-run shows no token"; fi
expect_status "a GitHub-style name with too few parts is refused for GitLab" 2 \
    prpost --gitlab --url "$gl/api/v4" --repo justone --base main --title t a=/dev/null
done_testing
