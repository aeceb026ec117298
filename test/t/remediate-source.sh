#!/bin/sh
# Where the fixed workload's manifest lives, so the pull request goes to
# the right file: the opspipe.io/source annotation (test/t/remediate.sh),
# Argo CD's tracking annotation or instance label -> its Application,
# Flux's labels -> the Kustomization and its GitRepository, --source-map,
# or nothing known (the incident says so, the patch is in the record).
# And the alert receiver's queue: handled first, a pod resolved to its
# Deployment, handled files removed, a bad one set aside.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/remediate.sh"

{
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n'
	printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}\n'
	printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: flux-system}\n'
	crd applications argoproj.io application Application v1alpha1
	crd kustomizations kustomize.toolkit.fluxcd.io kustomization Kustomization v1
	crd gitrepositories source.toolkit.fluxcd.io gitrepository GitRepository v1
	wl api "" '"argocd.argoproj.io/tracking-id": "web-apps:apps/Deployment:web/api"'
	wl shop '"app.kubernetes.io/instance": shop' ""
	wl cart '"kustomize.toolkit.fluxcd.io/name": cart, "kustomize.toolkit.fluxcd.io/namespace": flux-system' ""
	wl mapped "" ""
	wl lost "" ""
} >"$T_DIR/objects.yaml"
start_all "$T_DIR/objects.yaml"
cat >"$T_DIR/crs.yaml" <<'EOF2'
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web-apps, namespace: argocd}
spec:
  source: {repoURL: "https://github.com/org/gitops.git", path: apps/argo, targetRevision: HEAD}
  destination: {server: "https://kubernetes.default.svc", namespace: web}
status:
  resources:
    - {group: apps, version: v1, kind: Deployment, namespace: web, name: api}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop, namespace: argocd}
spec:
  source: {repoURL: "git@github.com:org/gitops.git", path: apps/shop/, targetRevision: main}
status:
  resources:
    - {kind: Service, namespace: web, name: shop, version: v1}
    - {group: apps, kind: Deployment, namespace: web, name: shop, version: v1}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: cart, namespace: flux-system}
spec:
  path: ./clusters/prod/cart
  sourceRef: {kind: GitRepository, name: gitops}
status:
  inventory:
    entries:
      - {id: web_cart_apps_Deployment, v: v1}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: gitops, namespace: flux-system}
spec:
  url: ssh://git@github.com/org/gitops.git
  ref: {branch: main}
EOF2
deploy "$(cat "$T_DIR/crs.yaml")"
# The manifests in git, under the names the flow looks for.
manifest() { wl "$1" "" "" | sed '1d; s/^  labels: {}$//; s/^  annotations: {}$//' | grep -v '^$'; }
gh_ctl "{\"repos\":{\"org/gitops\":{\"branches\":{\"main\":{
  \"apps/argo/api.yaml\":$(manifest api | jq -Rs .),
  \"apps/shop/deployment.yaml\":$(manifest shop | jq -Rs .),
  \"clusters/prod/cart/cart.yml\":$(manifest cart | jq -Rs .),
  \"teams/mapped.yaml\":$(printf 'kind: ConfigMap\n---\n%s\n' "$(manifest mapped)" | jq -Rs .)}}}}}"
printf '%s\n' '{"namespace":"web","name":"other","source":"github:org/gitops//nope.yaml@main"}' 'not json' \
    '{"namespace":"web","name":"mapped","source":"github:org/gitops//teams/mapped.yaml@main"}' >"$T_DIR/map.jsonl"
for n in api shop cart mapped lost; do wait_failing "$n" OOMKilled; done

# The alert receiver's queue: the pod of "mapped" first; a request about a
# healthy workload; a file that is not a request; a half-written one.
mkdir "$T_DIR/queue"
pod=$(k8spatch -n web failing | jq -r 'select(.name == "mapped") | .pods[0]')
printf '{"namespace":"web","kind":"Pod","name":"%s","reason":"OOMKilled","alertname":"KubePodOOMKilled","labels":{},"annotations":{},"receivedAt":"2026-12-02T05:00:12Z"}\n' "$pod" >"$T_DIR/queue/a.json"
printf '{"namespace":"web","kind":"Deployment","name":"nothere","reason":"CrashLoopBackOff"}\n' >"$T_DIR/queue/b.json"
printf '{"namespace":"../etc","kind":"Deployment","name":"x"}\n' >"$T_DIR/queue/c.json"
printf '{"namespace":"web"' >"$T_DIR/queue/.alert.XXXXXX"

remediate --source-map "$T_DIR/map.jsonl" --queue "$T_DIR/queue"
expect_eq "exit 0" 0 "$rc"
expect_eq "the queued pod's Deployment first, then the others, each once" '["mapped","api","cart","lost","shop"]' \
    "$(jq -sc 'map(.workload.name)' "$T_DIR/out")"
expect_eq "all fixed" '["fixed"]' "$(jq -sc 'map(.result) | unique' "$T_DIR/out")"
by() { jq -c "select(.workload.name == \"$1\") | $2" "$T_DIR/out"; }
expect_eq "Argo CD tracking annotation -> Application web-apps -> apps/argo/api.yaml at the default branch" \
    '["argocd","github","org/gitops","apps/argo/api.yaml","main",true]' \
    "$(by api '[.source.from,.source.forge,.pr.repo,.pr.path,.pr.base,.pr.created]')"
expect_eq "Argo CD instance label -> Application shop (ssh URL, path with a slash) -> deployment.yaml" \
    '["argocd","apps/shop/deployment.yaml","main",true]' "$(by shop '[.source.from,.pr.path,.pr.base,.pr.created]')"
expect_eq "Flux labels -> Kustomization cart -> GitRepository gitops -> cart.yml on main" \
    '["flux","clusters/prod/cart/cart.yml","main",true]' "$(by cart '[.source.from,.pr.path,.pr.base,.pr.created]')"
expect_eq "--source-map -> a file of two documents, the right one patched" \
    '["source-map","teams/mapped.yaml",true]' "$(by mapped '[.source.from,.pr.path,.pr.created]')"
expect_eq "the mapped diff is the memory line of the Deployment only" \
    '["-            limits: {memory: 32Mi}","+            limits: {memory: 64Mi}"]' \
    "$(by mapped '[.pr.diff | split("\n")[] | select(test("^[-+] "))]')"
expect_eq "nothing known: no pull request, the incident says so, the patch is in it" \
    '[null,null,true,"{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"resources\":{\"limits\":{\"memory\":\"64Mi\"}}}]}}}}"]' \
    "$(by lost '[.pr,.source.from,(.source.error | test("no source known")),(.patch | tojson)]')"
expect_eq "four pull requests" 4 "$(gh_sent '[.[] | select(.method == "POST" and (.path | endswith("/pulls")))] | length')"
expect_eq "the Application and Kustomization were read from their namespaces" \
    '["/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/shop","/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/web-apps","/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/cart","/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/gitops"]' \
    "$(kube_sent '[.[] | select(.path | test("(argoproj|fluxcd).*/namespaces/")) | .path] | unique')"
expect_eq "queue: handled requests removed, the bad one set aside, the partial one left" \
    '.alert.XXXXXX c.json.bad' "$(cd "$T_DIR/queue" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_match "queue: a request about a healthy workload is said" 'queue: Deployment web/nothere is not failing now' "$(cat "$T_DIR/err")"
expect_match "queue: the bad file is named" "queue: '.*/c.json' is not a request" "$(cat "$T_DIR/err")"

# Bad sources are said, never guessed at.
deploy "$(wl lost "" '"opspipe.io/source": "github:org/gitops//../etc/passwd@main"')"
wait_failing lost OOMKilled
remediate
expect_eq "an annotation with .. is refused" '["fixed","annotation",null]' \
    "$(by lost '[.result,.source.from,.pr]')"
expect_match "… and said" 'is not forge:repo//path' "$(by lost .source.error)"
deploy "$(wl lost "" '"opspipe.io/source": "github:org/gitops//apps/none.yaml@main"')"
wait_failing lost OOMKilled
remediate
expect_match "a manifest that is not there: the pull request's error says so" 'reading the manifest|no manifest' "$(by lost .pr.error)"

done_testing
