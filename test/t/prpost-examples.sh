# prpost(1)'s EXAMPLES, run as written against the GitHub and GitLab
# fixtures: only the API URLs, the token and the file /tmp/nginx.yaml are
# pointed at the test's own.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/forge.sh"
. "$OPSPIPE_TOP/test/fixtures/examples.sh"

unset GITLAB_TOKEN GH_TOKEN GITHUB_API_URL CI_API_V4_URL
OPSPIPE_RETRY_BASE=0.01
export OPSPIPE_RETRY_BASE
d=$T_DIR
man=$OPSPIPE_TOP/share/man/man1/prpost.1
cd "$d" || exit 2

start_forge github.py
gh=$forge
ctl "$gh" '{"users":["oncall-team"],"repos":{"org/gitops":{"branches":{"main":{
  "apps/web/nginx.yaml":"replicas: 2\nmemory: 256Mi\n"}}}}}'
printf 'replicas: 2\nmemory: 512Mi\n' >"$d/nginx.yaml"

example "$man" 1 | sed "s|/tmp/nginx.yaml|$d/nginx.yaml|g" >ex1
expect_status "example 1 (the flow's fix) runs" 0 \
    env GITHUB_API_URL="$gh" GITHUB_TOKEN=t sh ex1
expect_eq "example 1: a pull request with its label and reviewer" \
    '{"title":"web/nginx: memory limit 512Mi (OOMKilled)","labels":["opspipe"],"reviewers":["oncall-team"]}' \
    "$(curl -fs "$gh/repos/org/gitops/pulls" | jq -c '.[0] | {title, labels: [.labels[].name], reviewers: [.requested_reviewers[].login]}')"
b=$(jq -r .branch "$T_DIR/out")
expect_eq "example 1: the file posted" '"memory: 512Mi"' \
    "$(repo_state "$gh" ".\"org/gitops\".\"$b\".files.\"apps/web/nginx.yaml\".base64 | @base64d | split(\"\\n\")[1]" )"

example "$man" 2 >ex2
expect_status "example 2 (read, patch, post) runs" 0 \
    env GITHUB_API_URL="$gh" GITHUB_TOKEN=t sh ex2
b=$(jq -r .branch "$T_DIR/out")
expect_eq "example 2: the patched file posted" '"replicas: 4\nmemory: 256Mi\n"' \
    "$(repo_state "$gh" ".\"org/gitops\".\"$b\".files.\"apps/web/nginx.yaml\".base64 | @base64d")"

start_forge gitlab.py
gl=$forge
ctl "$gl" '{"repos":{"platform/k8s/gitops":{"branches":{"main":{"clusters/prod/values.yaml":"replicas: 2\n"}}}}}'
printf 'replicas: 3\n' >"$d/values.yaml"
example "$man" 3 | sed -e "s|https://git.example.com/api/v4|$gl/api/v4|" \
    -e 's|glpat-…|glpat-x|' >ex3
expect_status "example 3 (a GitLab subgroup project) runs" 0 sh ex3
expect_eq "example 3: a draft merge request" '"Draft: …"' \
    "$(sent "$gl" '[.[] | select(.method == "POST" and (.path | endswith("/merge_requests")))][0].body.title')"
done_testing
