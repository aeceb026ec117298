# test/remediate.sh — sourced by the remediate flow's tests after
# test/lib.sh: the four fixtures the flow talks to (the Kubernetes API with
# its simulation, the LLM, GitHub, Twilio), the environment a deployment
# would set, the seed's nginx and its manifest in git, and helpers.
#
#   start_all OBJECTS.yaml   start the fixtures; kube, llm, gh, twilio are
#                            their URLs, KUBECONFIG points at kube
#   kube_ctl JSON, kube_sent JQ   the API fixture's /_control, /_requests
#   llm_ctl JSON, llm_sent JQ     the LLM's
#   gh_ctl JSON, gh_sent JQ, gh_state JQ   GitHub's
#   tw_calls JQ, tw_sent JQ       Twilio's calls and requests
#   kube_writes              real (not dry-run) writes the API server saw
#   forget                   every fixture forgets its recorded requests
#   wl NAME LABELS ANNOTATIONS   an nginx Deployment in web (YAML)
#   crd PLURAL GROUP SINGULAR KIND VERSION   a CustomResourceDefinition
#   remediate ARGS...        opspipe-remediate with a fresh --state under
#                            $T_DIR/state.N unless ARGS give one, and
#                            --source-repos org/gitops unless ARGS give
#                            one; output in $T_DIR/out, $T_DIR/err,
#                            status in $rc (124: it ran 15 minutes)
# shellcheck disable=SC2034,SC2119,SC2154 # rc and the URLs are for the sourcing test
. "$OPSPIPE_TOP/test/kube.sh"
. "$OPSPIPE_TOP/test/fixtures/forge.sh"
. "$OPSPIPE_TOP/test/fixtures/phonecall.sh"

unset LLMASK_URL OPENAI_BASE_URL OLLAMA_HOST OPENAI_API_KEY LLMASK_MODEL LLMASK_CACHE \
    PROMETHEUS_URL LOKI_URL GITLAB_TOKEN GH_TOKEN CI_API_V4_URL \
    OPSPIPE_REMEDIATE_STATE OPSPIPE_REMEDIATE_QUEUE
GITHUB_TOKEN=fixture-github-token
ONCALL=+33600000042
export GITHUB_TOKEN

# The seed's nginx: a memory limit far too small (nginx needs 64Mi).
NGINX_MANIFEST='# nginx for the web team
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: web
  annotations:
    opspipe.io/source: "github:org/gitops//apps/web/nginx.yaml@main"
spec:
  replicas: 1
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
        - name: nginx
          image: nginx:1.25   # pinned
          ports:
            - containerPort: 80
          resources:
            limits:
              memory: 32Mi    # far too small
              cpu: 250m
'

start_all() {
	start_kubeapi --objects "$1"
	kube=$api
	start_llm
	start_forge github.py
	gh=$forge
	start_twilio
	GITHUB_API_URL=$gh
	PHONECALL_URL=$twilio
	PHONECALL_LISTEN=127.0.0.1:$pc_port
	PHONECALL_PUBLIC_URL=http://127.0.0.1:$pc_port/pc
	export GITHUB_API_URL PHONECALL_URL PHONECALL_LISTEN PHONECALL_PUBLIC_URL
	gh_ctl "{\"token\":\"$GITHUB_TOKEN\",\"repos\":{\"org/gitops\":{\"branches\":{\"main\":{
	    \"apps/web/nginx.yaml\":$(printf '%s' "$NGINX_MANIFEST" | jq -Rs .),\"README.md\":\"gitops\\n\"}}}}}"
	cat >"$T_DIR/schedule.yaml" <<EOS
timezone: UTC
rotations:
  - name: primary
    start: 2026-01-05T09:00
    length: 1w
    participants:
      - {name: alice, number: "$ONCALL"}
EOS
	callee "$ONCALL" '{"do":"press","digits":"1"}'
}

kube_ctl() { curl -fs -X POST -d "$1" "$kube/_control" >/dev/null || not_ok "kube control: $1"; }
kube_sent() { curl -fs "$kube/_requests" | jq -c "$1"; }
llm_ctl() { curl -fs -X POST -d "$1" "$llm/_control" >/dev/null || not_ok "llm control: $1"; }
llm_sent() { curl -fs "$llm/_requests" | jq -c "$1"; }
gh_ctl() { ctl "$gh" "$1"; }
gh_sent() { curl -fs "$gh/_requests" | jq -c "$1"; }
gh_state() { curl -fs "$gh/_state" | jq -c "$1"; }
tw_calls() { calls "$1"; }
tw_sent() { requests "$1"; }

kube_writes() {
	kube_sent '[.[] | select(.method != "GET" and (.query.dryRun // "") != "All")] | length'
}

forget() {
	kube_ctl '{"clear_requests":true}'
	curl -fs -X POST -d '{"reset":true}' "$llm/_control" >/dev/null
	reset_twilio
	callee "$ONCALL" '{"do":"press","digits":"1"}'
}

# deploy YAML: put objects in the cluster (replacing them), then let the
# simulation run until the workload fails.
deploy() {
	printf '%s' "$1" | /usr/bin/python3 -c 'import json, sys, yaml
print(json.dumps({"objects": [d for d in yaml.safe_load_all(sys.stdin) if d]}))' >"$T_DIR/deploy.json"
	curl -fs -X POST --data-binary "@$T_DIR/deploy.json" "$kube/_control" >/dev/null ||
		not_ok "deploy: the fixture took the objects"
}

# wait_failing NAME [REASON]: until k8spatch failing names the workload.
wait_failing() {
	i=0
	while [ "$i" -lt 100 ]; do
		k8spatch -n web failing 2>/dev/null |
		    jq -se --arg n "$1" --arg r "${2:-}" 'any(.[]; .name == $n and ($r == "" or .reason == $r))' >/dev/null &&
			return 0
		sleep 0.1
		i=$((i + 1))
	done
	not_ok "the workload $1 failed as set up" "$(k8spatch -n web failing 2>&1)"
}

# wl NAME LABELS ANNOTATIONS: an nginx Deployment with too little memory.
wl() {
	printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: web\n  labels: {%s}\n  annotations: {%s}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n          resources:\n            limits: {memory: 32Mi}\n' \
	    "$1" "$2" "$3" "$1" "$1"
}
crd() {
	printf -- '---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: %s.%s}\nspec:\n  group: %s\n  scope: Namespaced\n  names: {plural: %s, singular: %s, kind: %s}\n  versions:\n    - name: %s\n      served: true\n      storage: true\n      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n' \
	    "$1" "$2" "$2" "$1" "$3" "$4" "$5"
}
R_N=0
remediate() {
	R_N=$((R_N + 1))
	case " $* " in
	*" --state "*) ;;
	*) set -- --state "$T_DIR/state.$R_N" "$@" ;;
	esac
	case " $* " in
	*" --source-repos "*) ;;
	*) set -- --source-repos org/gitops "$@" ;;
	esac
	# The simulated kubelet shows a container that OOMs as running and
	# ready for a tenth of a second between kills, as a real one may be:
	# a pass that finds nothing failing then is tried again, as the next
	# CronJob run would.
	r_try=0
	while [ "$r_try" -lt 5 ]; do
		timeout 900 opspipe-remediate -n web --schedule "$T_DIR/schedule.yaml" --fail-after 2s \
		    --rollout-timeout 60s "$@" >"$T_DIR/out" 2>"$T_DIR/err" </dev/null
		rc=$?
		if [ "$rc" -ne 0 ] || [ -s "$T_DIR/out" ]; then break; fi
		r_try=$((r_try + 1))
	done
}

# inc JQ: jq over the last incident printed.
inc() { tail -n 1 "$T_DIR/out" | jq -c "$1"; }
