# prpost and the forges' rate limits: GitHub's primary limit (403 with
# x-ratelimit-remaining 0, wait for x-ratelimit-reset), its secondary
# limit (retry-after, else at least a minute), GitLab's 429 with
# Retry-After. The fixtures refuse a retry that comes early, so success
# means the wait was honoured; the waits are a second or two, and the
# minute GitHub asks for without a retry-after is capped by
# OPSPIPE_RETRY_MAX here (test/unit/test_prpost_change.c checks it is a
# minute). --timeout bounds the waits.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/fixtures/forge.sh"

unset GITLAB_TOKEN GH_TOKEN GITHUB_API_URL CI_API_V4_URL OPSPIPE_RETRY_MAX
OPSPIPE_RETRY_BASE=0.01
GITHUB_TOKEN=tok
export OPSPIPE_RETRY_BASE GITHUB_TOKEN
d=$T_DIR
printf 'a: 2\n' >"$d/a.yaml"

start_forge github.py
gh=$forge
ctl "$gh" '{"repos":{"org/r":{"branches":{"main":{"a.yaml":"a: 1\n"}}}}}'
P() { prpost --url "$gh" --repo org/r --base main --title t "$@"; }

ctl "$gh" '{"primary":1.5}'
expect_status "primary limit: waited out, then success" 0 P a.yaml="$d/a.yaml"
expect_match "primary limit: the wait is announced" \
    "GitHub primary rate limit \\(HTTP 403\\): waiting [0-9]+ s before trying again" "$(cat "$T_DIR/err")"
expect_eq "primary limit: one refused request, then none" "1" \
    "$(sent "$gh" '[.[] | select(.status == 403)] | length')"
expect_eq "primary limit: the change landed" "true" "$(jq -r .created "$T_DIR/out")"

ctl "$gh" '{"reset":true,"repos":{"org/r":{"branches":{"main":{"a.yaml":"a: 1\n"}}}}}'
ctl "$gh" '{"secondary":{"count":2,"retry_after":1}}'
expect_status "secondary limit with retry-after: waited out, then success" 0 P a.yaml="$d/a.yaml"
expect_eq "secondary limit: refused twice, each retry after the wait" "2" \
    "$(sent "$gh" '[.[] | select(.status == 403)] | length')"
expect_match "secondary limit: announced" \
    "GitHub secondary rate limit \\(HTTP 403\\): waiting 1 s" "$(cat "$T_DIR/err")"

ctl "$gh" '{"reset":true,"repos":{"org/r":{"branches":{"main":{"a.yaml":"a: 1\n"}}}}}'
ctl "$gh" '{"secondary":{"count":1,"retry_after":null,"status":429}}'
expect_status "secondary limit without retry-after (429): a minute, capped here" 0 \
    env OPSPIPE_RETRY_MAX=0.5 prpost --url "$gh" --repo org/r --base main --title t a.yaml="$d/a.yaml"
expect_match "secondary limit without retry-after: the capped wait is announced" \
    "GitHub secondary rate limit \\(HTTP 429\\): waiting 1 s" "$(cat "$T_DIR/err")"

ctl "$gh" '{"reset":true,"repos":{"org/r":{"branches":{"main":{"a.yaml":"a: 1\n"}}}}}'
ctl "$gh" '{"primary":3000}'
start=$(date +%s)
expect_status "a reset past --timeout: exit 3 at once" 3 P --timeout 20 a.yaml="$d/a.yaml"
ok_if "a reset past --timeout: no long wait" [ $(($(date +%s) - start)) -lt 10 ]
expect_match "a reset past --timeout: said so" "would pass --timeout; giving up" "$(cat "$T_DIR/err")"
expect_match "a reset past --timeout: GitHub's message follows" "API rate limit exceeded" "$(cat "$T_DIR/err")"

ctl "$gh" '{"reset":true,"repos":{"org/r":{"branches":{"main":{"a.yaml":"a: 1\n"}}}}}'
ctl "$gh" '{"fail":{"path":"/git/ref/","status":403,"count":1,"body":{"message":"Resource not accessible by integration"}}}'
expect_status "a 403 that is no rate limit is not retried" 3 P a.yaml="$d/a.yaml"
expect_eq "a 403 that is no rate limit: one request" "1" "$(sent "$gh" length)"

start_forge gitlab.py
gl=$forge
ctl "$gl" '{"repos":{"grp/r":{"branches":{"main":{"a.yaml":"a: 1\n"}}}}}'
ctl "$gl" '{"limit":{"count":1,"retry_after":1}}'
expect_status "GitLab 429: waited out, then success" 0 \
    prpost --gitlab --url "$gl/api/v4" --repo grp/r --base main --title t a.yaml="$d/a.yaml"
expect_match "GitLab 429: announced" "GitLab rate limit \\(HTTP 429\\): waiting 1 s" "$(cat "$T_DIR/err")"
expect_eq "GitLab 429: one refused request, the retry after the wait" "1" \
    "$(sent "$gl" '[.[] | select(.status == 429)] | length')"
done_testing
