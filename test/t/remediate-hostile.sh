#!/bin/sh
# The remediate flow against a hostile workload owner and a model that
# obeys whatever its input tells it. The owner writes the workload's
# annotations, labels, logs and termination message; none of it may steer
# where a pull request goes, what it says, or what a call says:
# - sources: an opspipe.io/source annotation naming a repository that is
#   not in --source-repos, a path that would read as an option, an Argo CD
#   Application or Flux Kustomization that never deployed the workload
#   (named by a label anyone can set), a controller's path with "..":
#   no pull request, the forge never asked, the incident says why.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/remediate.sh"

{
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n'
	printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}\n'
	printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: flux-system}\n'
	crd applications argoproj.io application Application v1alpha1
	crd kustomizations kustomize.toolkit.fluxcd.io kustomization Kustomization v1
	crd gitrepositories source.toolkit.fluxcd.io gitrepository GitRepository v1
	wl evilsrc "" '"opspipe.io/source": "github:attacker/repo//apps/web/evilsrc.yaml@main"'
	wl dashsrc "" '"opspipe.io/source": "github:org/gitops//-p/dashsrc.yaml@main"'
	wl dashref "" '"opspipe.io/source": "github:org/gitops//apps/dashref.yaml@-x"'
	wl argoevil '"app.kubernetes.io/instance": platform' ""
	wl trackevil "" '"argocd.argoproj.io/tracking-id": "platform:apps/Deployment:kube-system/trackevil"'
	wl fluxevil '"kustomize.toolkit.fluxcd.io/name": infra, "kustomize.toolkit.fluxcd.io/namespace": flux-system' ""
	wl argoteam '"app.kubernetes.io/instance": team' ""
	wl argodots '"app.kubernetes.io/instance": dots' ""
} >"$T_DIR/objects.yaml"
start_all "$T_DIR/objects.yaml"
cat >"$T_DIR/crs.yaml" <<'EOF2'
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: platform, namespace: argocd}
spec:
  source: {repoURL: "https://github.com/org/gitops.git", path: clusters/platform, targetRevision: main}
  destination: {server: "https://kubernetes.default.svc", namespace: kube-system}
status:
  resources:
    - {group: apps, version: v1, kind: Deployment, namespace: kube-system, name: coredns}
    - {group: apps, version: v1, kind: Deployment, namespace: kube-system, name: trackevil}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: team, namespace: argocd}
spec:
  source: {repoURL: "https://github.com/team/deploy.git", path: web, targetRevision: main}
status:
  resources:
    - {group: apps, version: v1, kind: Deployment, namespace: web, name: argoteam}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: dots, namespace: argocd}
spec:
  source: {repoURL: "https://github.com/org/gitops.git", path: apps/../../elsewhere, targetRevision: main}
status:
  resources:
    - {group: apps, version: v1, kind: Deployment, namespace: web, name: argodots}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: infra, namespace: flux-system}
spec:
  path: ./infra
  sourceRef: {kind: GitRepository, name: gitops}
status:
  inventory:
    entries:
      - {id: kube-system_coredns_apps_Deployment, v: v1}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: gitops, namespace: flux-system}
spec:
  url: https://github.com/org/gitops.git
  ref: {branch: main}
EOF2
deploy "$(cat "$T_DIR/crs.yaml")"
expect_eq "the API fixture keeps the controllers' status" '"coredns"' \
    "$(k8spatch -n argocd get applications.argoproj.io platform | jq -c '.status.resources[0].name')"
# Every repository the owner points at holds a manifest of the workload,
# as a careful attacker would arrange.
manifest() { wl "$1" "" "" | sed '1d; s/^  labels: {}$//; s/^  annotations: {}$//' | grep -v '^$'; }
gh_ctl "{\"repos\":{\"attacker/repo\":{\"branches\":{\"main\":{
  \"apps/web/evilsrc.yaml\":$(manifest evilsrc | jq -Rs .)}}},
  \"team/deploy\":{\"branches\":{\"main\":{\"web/argoteam.yaml\":$(manifest argoteam | jq -Rs .)}}},
  \"org/gitops\":{\"branches\":{\"main\":{
  \"-p/dashsrc.yaml\":$(manifest dashsrc | jq -Rs .),
  \"clusters/platform/argoevil.yaml\":$(manifest argoevil | jq -Rs .),
  \"clusters/platform/trackevil.yaml\":$(manifest trackevil | jq -Rs .),
  \"infra/fluxevil.yaml\":$(manifest fluxevil | jq -Rs .)}}}}}"
for n in evilsrc dashsrc dashref argoevil trackevil fluxevil argoteam argodots; do wait_failing "$n" OOMKilled; done

by() { jq -c "select(.workload.name == \"$1\") | $2" "$T_DIR/out"; }
remediate
expect_eq "sources: exit 0, every workload fixed in the cluster" '["fixed"]' \
    "$(jq -sc 'map(.result) | unique' "$T_DIR/out")"
expect_eq "sources: eight workloads handled" 8 "$(wc -l <"$T_DIR/out")"
expect_eq "sources: not one pull request" '[null]' "$(jq -sc 'map(.pr) | unique' "$T_DIR/out")"
expect_eq "sources: the forge saw no write at all" 0 "$(gh_sent '[.[] | select(.method != "GET")] | length')"
expect_eq "sources: nor a read of a repository the operator did not trust" 0 \
    "$(gh_sent '[.[] | select(.path | test("attacker|team/deploy|/-p/|elsewhere"))] | length')"
expect_match "an annotation naming a repository not in --source-repos: refused" \
    'opspipe.io/source names github:attacker/repo, which is not in --source-repos' "$(by evilsrc .source.error)"
expect_match "an annotation whose path reads as an option: refused" 'is not forge:repo//path' "$(by dashsrc .source.error)"
expect_match "an annotation whose branch reads as an option: refused" 'is not forge:repo//path' "$(by dashref .source.error)"
expect_match "an instance label naming another team's Application: not trusted" \
    'the Application \\"platform\\" does not list Deployment web/argoevil among its resources' "$(by argoevil .source.error)"
expect_match "a tracking annotation copied from another Application: not trusted" \
    'does not list Deployment web/trackevil' "$(by trackevil .source.error)"
expect_match "Flux labels naming a Kustomization that did not deploy it: not trusted" \
    'the Kustomization \\"flux-system/infra\\" does not list Deployment web/fluxevil in its inventory' "$(by fluxevil .source.error)"
expect_match "an Application that deployed it from a repository not in --source-repos: said" \
    'argocd deploys it from github:team/deploy, which is not in --source-repos' "$(by argoteam .source.error)"
expect_match "an Application path with ..: refused" 'the path \\"apps/../../elsewhere\\" leaves the repository' \
    "$(by argodots .source.error)"

# The annotation with no --source-repos at all: not trusted either, and
# with the repository listed (a prefix), trusted.
deploy "$(wl evilsrc "" '"opspipe.io/source": "github:org/gitops//apps/web/evilsrc.yaml@main"')"
gh_ctl "{\"repos\":{\"org/gitops\":{\"branches\":{\"main\":{\"apps/web/evilsrc.yaml\":$(manifest evilsrc | jq -Rs .)}}}}}"
wait_failing evilsrc OOMKilled
remediate --source-repos ''
expect_match "no --source-repos: an annotation alone is not trusted" 'which is not in --source-repos' "$(by evilsrc .source.error)"
deploy "$(wl evilsrc "" '"opspipe.io/source": "github:org/gitops//apps/web/evilsrc.yaml@main"')"
wait_failing evilsrc OOMKilled
OPSPIPE_REMEDIATE_SOURCE_REPOS='gitlab:org/gitops,github:org/*' remediate --source-repos ''
expect_eq "OPSPIPE_REMEDIATE_SOURCE_REPOS with org/*: the annotation is trusted, one pull request" \
    '[true,"org/gitops","apps/web/evilsrc.yaml"]' "$(by evilsrc '[.pr.created,.pr.repo,.pr.path]')"

done_testing
