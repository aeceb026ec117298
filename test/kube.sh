# test/kube.sh — sourced by the k8spatch tests after test/lib.sh: the
# Kubernetes API fixture (test/fixtures/kubeapi.py) and a kubeconfig for it.
#
#   start_kubeapi [ARGS...]   start it; sets api (its URL) and KUBECONFIG
#                             (a kubeconfig for it in $T_DIR, plain HTTP,
#                             namespace web) unless ARGS carry --tls
#   control JSON              POST /_control
#   sent JQ                   jq over the recorded requests
#   api_get PATH              GET a path, as JSON

# shellcheck disable=SC2120 # its arguments are optional
start_kubeapi() {
	start_fixture kubeapi.py "$@"
	api=$FIXTURE_URL
	KUBE_AUTH=""
	for a in "$@"; do
		case $a in
		--tls) api=https://127.0.0.1:${FIXTURE_URL##*:} ;;
		esac
	done
	i=0
	until curl -fsk -o /dev/null "$api/version" 2>/dev/null ||
	    [ "$(curl -sk -o /dev/null -w '%{http_code}' "$api/version")" = 401 ]; do
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then
			not_ok "the API fixture started" "$(cat "$FIXTURE_LOG")"
			done_testing
			exit 1
		fi
		sleep 0.1
	done
	KUBECONFIG=$T_DIR/kubeconfig
	cat >"$KUBECONFIG" <<EOK
apiVersion: v1
kind: Config
current-context: fixture
clusters:
- name: fixture
  cluster: {server: "$api"}
contexts:
- name: fixture
  context: {cluster: fixture, user: fixture, namespace: web}
users:
- name: fixture
  user: {}
EOK
	export KUBECONFIG
}

# KUBE_AUTH: curl options for the control endpoints when the fixture
# wants credentials (set by the test).
control() {
	# shellcheck disable=SC2086 # KUBE_AUTH is a list of options
	curl -fsk $KUBE_AUTH -X POST -d "$1" "$api/_control" >/dev/null
}
sent() {
	# shellcheck disable=SC2086
	curl -fsk $KUBE_AUTH "$api/_requests" | jq -rc "$1"
}
api_get() {
	# shellcheck disable=SC2086
	curl -fsk $KUBE_AUTH "$api$1"
}
