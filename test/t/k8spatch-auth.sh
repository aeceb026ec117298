#!/bin/sh
# k8spatch connects as kubectl does: kubeconfig files (merged KUBECONFIG
# lists, contexts, namespaces), every cluster and user field (CA file and
# data, client certificates as files and data, tokens, token files that
# rotate, basic auth, insecure-skip-tls-verify, tls-server-name,
# proxy-url), exec credential plugins (v1 and v1beta1, cached until their
# expiry, run again after a 401), auth-provider refused clearly, and the
# in-cluster service account (its token re-read). Secrets never appear in
# diagnostics.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"

certs=$T_DIR/certs
/usr/bin/python3 "$OPSPIPE_TOP/test/fixtures/kubeapi.py" --make-certs "$certs" >/dev/null
cat >"$T_DIR/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck, namespace: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      containers:
      - {name: c, image: "does-not-exist:1"}
EOF
start_kubeapi --tls "$certs" --token s3cret-token=alice --basic bob:pw-secret \
    --objects "$T_DIR/objects.yaml"
KUBE_AUTH="--cert $certs/client.crt --key $certs/client.key"
unset KUBECONFIG
HOME=$T_DIR/home
mkdir -p "$HOME"
export HOME
b64() { base64 <"$1" | tr -d '\n'; }

# kc FILE CLUSTER-FIELDS USER-FIELDS: a one-context kubeconfig.
kc() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
current-context: c
clusters:
- name: fix
  cluster:
    server: $api
$2
contexts:
- name: c
  context: {cluster: fix, user: u, namespace: web}
users:
- name: u
  user:
$3
EOF
}
ca="    certificate-authority: $certs/ca.crt"
get() { k8spatch --kubeconfig "$1" get deploy stuck; }
who() { sent '[.[] | select(.path | test("^/_") | not)][-1].user'; }

# --- cluster and user fields ------------------------------------------------
kc "$T_DIR/token.yaml" "$ca" "    token: s3cret-token"
expect_status "a token and a CA file" 0 get "$T_DIR/token.yaml"
expect_eq "… as the token's user" alice "$(who)"
kc "$T_DIR/data.yaml" "    certificate-authority-data: $(b64 "$certs/ca.crt")" \
    "    client-certificate-data: $(b64 "$certs/client.crt")
    client-key-data: $(b64 "$certs/client.key")"
expect_status "CA, certificate and key as -data fields" 0 get "$T_DIR/data.yaml"
expect_eq "… as the certificate's user" admin "$(who)"
mkdir -p "$T_DIR/kc"
cp "$certs/client.crt" "$certs/client.key" "$certs/ca.crt" "$T_DIR/kc/"
kc "$T_DIR/kc/config" "    certificate-authority: ca.crt" \
    "    client-certificate: client.crt
    client-key: ./client.key"
expect_status "relative paths are relative to the kubeconfig's directory" 0 get "$T_DIR/kc/config"
kc "$T_DIR/basic.yaml" "$ca" "    username: bob
    password: pw-secret"
expect_status "username and password" 0 get "$T_DIR/basic.yaml"
expect_eq "… as that user" bob "$(who)"
kc "$T_DIR/insecure.yaml" "    insecure-skip-tls-verify: true" "    token: s3cret-token"
expect_status "insecure-skip-tls-verify" 0 get "$T_DIR/insecure.yaml"
kc "$T_DIR/noca.yaml" "" "    token: s3cret-token"
expect_status "without a CA the server's certificate is refused (exit 3)" 3 get "$T_DIR/noca.yaml"
kc "$T_DIR/sni.yaml" "$ca
    tls-server-name: kubernetes.test" "    token: s3cret-token"
expect_status "tls-server-name that the certificate names" 0 get "$T_DIR/sni.yaml"
kc "$T_DIR/badsni.yaml" "$ca
    tls-server-name: other.example" "    token: s3cret-token"
expect_status "tls-server-name that it does not name fails (exit 3)" 3 get "$T_DIR/badsni.yaml"
kc "$T_DIR/proxy.yaml" "$ca
    proxy-url: http://127.0.0.1:1" "    token: s3cret-token"
expect_status "proxy-url is used (an unreachable proxy fails, exit 3)" 3 \
    k8spatch --retries 0 --kubeconfig "$T_DIR/proxy.yaml" get deploy stuck
# Through a real proxy (test/fixtures/proxy.py): HTTPS goes through a
# CONNECT tunnel, with the proxy's own credentials from the URL.
start_fixture proxy.py --auth pu:proxy-secret
proxy=$FIXTURE_URL
kc "$T_DIR/proxied.yaml" "$ca
    proxy-url: http://pu:proxy-secret@127.0.0.1:${proxy##*:}" "    token: s3cret-token"
expect_status "proxy-url: through a CONNECT proxy" 0 k8spatch --kubeconfig "$T_DIR/proxied.yaml" get deploy stuck
expect_eq "… as the token's user" alice "$(who)"
expect_eq "… the proxy tunnelled to the API server, with its user" "CONNECT 127.0.0.1:${api##*:} pu" \
    "$(curl -fs "$proxy/_requests" | jq -r '.[-1] | "\(.method) \(.target) \(.auth)"')"
kc "$T_DIR/badproxy.yaml" "$ca
    proxy-url: http://pu:wrong-proxy-pass@127.0.0.1:${proxy##*:}" "    token: s3cret-token"
expect_status "… a proxy that refuses the credentials: exit 3" 3 \
    k8spatch --retries 0 --kubeconfig "$T_DIR/badproxy.yaml" get deploy stuck
# shellcheck disable=SC2016 # $1 is the inner shell's
ok_if "… never printing the proxy's password" sh -c '! grep -q wrong-proxy-pass "$1"' sh "$T_DIR/err"
kc "$T_DIR/wrong.yaml" "$ca" "    token: wrong-token-value"
expect_status "a bad token exits 3" 3 get "$T_DIR/wrong.yaml"
expect_match "… says Unauthorized" "Unauthorized|401" "$(cat "$T_DIR/err")"
# shellcheck disable=SC2016 # $1 is the inner shell's
ok_if "… never prints the token" sh -c '! grep -q wrong-token-value "$1"' sh "$T_DIR/err"
kc "$T_DIR/both.yaml" "$ca" "    token: x
    username: bob
    password: pw-secret"
expect_status "a token and a password together are refused (exit 2)" 2 get "$T_DIR/both.yaml"
# shellcheck disable=SC2016 # $1 is the inner shell's
ok_if "… without printing the password" sh -c '! grep -q pw-secret "$1"' sh "$T_DIR/err"
kc "$T_DIR/gcp.yaml" "$ca" "    auth-provider: {name: gcp, config: {access-token: tok}}"
expect_status "auth-provider is refused (exit 2)" 2 get "$T_DIR/gcp.yaml"
expect_match "… telling to use an exec plugin" "auth-provider 'gcp' is not supported.*exec credential plugin" "$(cat "$T_DIR/err")"

# --- flags win over the kubeconfig ------------------------------------------
expect_status "--token replaces the kubeconfig's user" 0 \
    k8spatch --kubeconfig "$T_DIR/basic.yaml" --token s3cret-token get deploy stuck
expect_eq "… as the token's user" alice "$(who)"
expect_status "--cacert and --insecure as flags" 0 \
    k8spatch --kubeconfig "$T_DIR/noca.yaml" --insecure get deploy stuck
expect_status "--url alone, no kubeconfig" 0 \
    k8spatch --url "$api" --cacert "$certs/ca.crt" --token s3cret-token -n web get deploy stuck
# kubectl's names for the same flags.
expect_status "kubectl's --server, --certificate-authority, --client-certificate, --client-key" 0 \
    env -u KUBECONFIG k8spatch --server "$api" --certificate-authority "$certs/ca.crt" \
    --client-certificate "$certs/client.crt" --client-key "$certs/client.key" -n web get deploy stuck
expect_status "kubectl's -s and --insecure-skip-tls-verify" 0 \
    env -u KUBECONFIG k8spatch -s "$api" --insecure-skip-tls-verify --token s3cret-token -n web get deploy stuck
expect_status "… and without --insecure-skip-tls-verify the unknown CA is refused (exit 3)" 3 \
    env -u KUBECONFIG k8spatch -s "$api" --retries 0 --token s3cret-token -n web get deploy stuck

# --- KUBECONFIG lists, contexts, namespaces ----------------------------------
cat >"$T_DIR/first.yaml" <<EOF
current-context: second-ctx
users:
- name: u
  user: {token: s3cret-token}
EOF
cat >"$T_DIR/second.yaml" <<EOF
current-context: ignored
clusters:
- name: fix
  cluster: {server: "$api", certificate-authority: "$certs/ca.crt"}
contexts:
- name: second-ctx
  context: {cluster: fix, user: u, namespace: web}
- name: other-ns
  context: {cluster: fix, user: u, namespace: shop}
users:
- name: u
  user: {token: not-this-one}
EOF
expect_status "KUBECONFIG files are merged (first current-context and user win)" 0 \
    env KUBECONFIG="$T_DIR/missing.yaml:$T_DIR/first.yaml:$T_DIR/second.yaml" k8spatch get deploy stuck
expect_eq "… as the first file's user" alice "$(who)"
expect_status "--context picks another context (its namespace: shop)" 0 \
    env KUBECONFIG="$T_DIR/first.yaml:$T_DIR/second.yaml" k8spatch --context other-ns get deploy
expect_eq "… listed shop" /apis/apps/v1/namespaces/shop/deployments \
    "$(sent '[.[] | select(.path | test("deployments"))][-1].path')"
expect_status "-n beats the context's namespace" 0 \
    env KUBECONFIG="$T_DIR/first.yaml:$T_DIR/second.yaml" k8spatch --context other-ns -n web get deploy stuck
expect_status "an unknown context exits 2" 2 \
    env KUBECONFIG="$T_DIR/first.yaml:$T_DIR/second.yaml" k8spatch --context nope get deploy
expect_match "… naming it" "context 'nope' not found" "$(cat "$T_DIR/err")"
mkdir -p "$HOME/.kube"
cp "$T_DIR/token.yaml" "$HOME/.kube/config"
expect_status "the home directory's .kube/config without KUBECONFIG" 0 k8spatch get deploy stuck
rm "$HOME/.kube/config"
expect_status "no kubeconfig and no cluster exits 2" 2 k8spatch get deploy
expect_match "… saying what to give" "no kubeconfig" "$(cat "$T_DIR/err")"

# --- token files rotate -----------------------------------------------------
# A wait that polls for 3 s while the token is rotated under it: the old
# token is revoked after a second; k8spatch must read the file again
# after the 401, and end with the wait's own verdict (timeout, 1), not 3.
control '{"tokens":{"rot-1":"rotator","rot-2":"rotator"}}'
printf 'rot-1\n' >"$T_DIR/tokfile"
kc "$T_DIR/tokfile.yaml" "$ca" "    tokenFile: $T_DIR/tokfile"
rotate() {
	sleep 1
	printf 'rot-2\n' >"$T_DIR/tokfile"
	control '{"revoke":["rot-1"]}'
}
rotate &
bg=$!
expect_status "a rotated token file is read again after a 401" 1 \
    k8spatch --kubeconfig "$T_DIR/tokfile.yaml" wait deploy stuck --fail-after 0 --timeout 3s
wait "$bg"
expect_eq "… the wait timed out normally" timeout "$(jq -r .rollout "$T_DIR/out")"
expect_eq "… requests with the new token were accepted" true \
    "$(sent '[.[] | select(.user == "rotator" and .status == 200)] | length > 1')"
# The same with --token-file, as kubectl's flag reads it.
control '{"tokens":{"rot-3":"flagged","rot-4":"flagged"}}'
printf 'rot-3\n' >"$T_DIR/tokfile"
( sleep 1; printf 'rot-4\n' >"$T_DIR/tokfile"; control '{"revoke":["rot-3"]}' ) &
bg=$!
expect_status "--token-file is read again after a 401" 1 \
    k8spatch --kubeconfig "$T_DIR/noca.yaml" --insecure --token-file "$T_DIR/tokfile" \
    wait deploy stuck --fail-after 0 --timeout 3s
wait "$bg"
expect_eq "… the wait timed out normally, the new token accepted" "timeout true" \
    "$(jq -r .rollout "$T_DIR/out") $(sent '[.[] | select(.user == "flagged" and .status == 200)] | length > 1')"
printf 'rot-4\n' >"$T_DIR/tokfile"
expect_status "… the last of --token-file and --token counts" 0 \
    k8spatch --kubeconfig "$T_DIR/noca.yaml" --insecure --token-file "$T_DIR/tokfile" --token s3cret-token get deploy stuck
expect_eq "… as the token's user" alice "$(who)"

# --- exec credential plugins ------------------------------------------------
cat >"$T_DIR/plugin" <<'EOF'
#!/bin/sh
# A credential plugin for the tests: the Nth run prints the Nth line of
# $TOKENS (the last one when there are fewer), records its environment.
echo "run $*" >>"$LOG"
n=$(wc -l <"$LOG")
tok=$(sed -n "${n}p" "$TOKENS")
[ -n "$tok" ] || tok=$(tail -n 1 "$TOKENS")
printf '%s\n' "$KUBERNETES_EXEC_INFO" >"$INFO"
printf '%s\n' "$FOO" >>"$INFO"
[ -n "${FAIL:-}" ] && { echo "plugin: no credentials for you" >&2; exit 1; }
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\n' \
    "$APIV" "$tok" "$EXP"
EOF
chmod +x "$T_DIR/plugin"
# plugin FILE APIVERSION EXPIRY [EXTRA-ENV-LINES] [MODE]
plugin() {
	rm -f "$T_DIR/log"
	kc "$1" "$ca" "    exec:
      apiVersion: client.authentication.k8s.io/$2
      command: $T_DIR/plugin
      args: [get-token, --fast]
      interactiveMode: ${5:-Never}
      provideClusterInfo: true
      installHint: install the fixture plugin
      env:
      - {name: LOG, value: $T_DIR/log}
      - {name: TOKENS, value: $T_DIR/tokens}
      - {name: INFO, value: $T_DIR/info}
      - {name: APIV, value: client.authentication.k8s.io/$2}
      - {name: EXP, value: \"$3\"}
      - {name: FOO, value: bar}
${4:-}"
}
runs() { wc -l <"$T_DIR/log" | tr -d ' '; }
control '{"tokens":{"exec-1":"plugged","exec-2":"plugged"}}'
printf 'exec-1\nexec-2\n' >"$T_DIR/tokens"
plugin "$T_DIR/exec.yaml" v1 2099-01-01T00:00:00Z
expect_status "an exec plugin (v1)" 0 k8spatch --kubeconfig "$T_DIR/exec.yaml" failing
expect_eq "… as the plugin's token's user" plugged "$(who)"
expect_eq "… run once for all requests (cached until it expires)" 1 "$(runs)"
expect_eq "… with its args" "run get-token --fast" "$(head -n 1 "$T_DIR/log")"
expect_eq "… KUBERNETES_EXEC_INFO, with the cluster, not interactive" \
    "client.authentication.k8s.io/v1 ExecCredential false $api" \
    "$(head -n 1 "$T_DIR/info" | jq -r '"\(.apiVersion) \(.kind) \(.spec.interactive) \(.spec.cluster.server)"')"
expect_eq "… and its env" bar "$(sed -n 2p "$T_DIR/info")"
plugin "$T_DIR/expired.yaml" v1beta1 2000-01-01T00:00:00Z
expect_status "a v1beta1 plugin whose credential has expired" 0 k8spatch --kubeconfig "$T_DIR/expired.yaml" failing
expect_eq "… is run again for each request" true "$([ "$(runs)" -gt 2 ] && echo true)"
plugin "$T_DIR/rotating.yaml" v1 2099-01-01T00:00:00Z
( sleep 1; control '{"revoke":["exec-1"]}' ) &
bg=$!
expect_status "after a 401 the plugin is run again" 1 \
    k8spatch --kubeconfig "$T_DIR/rotating.yaml" wait deploy stuck --fail-after 0 --timeout 3s
wait "$bg"
expect_eq "… twice in all, and the wait ended on its own terms" "2 timeout" "$(runs) $(jq -r .rollout "$T_DIR/out")"
plugin "$T_DIR/failing.yaml" v1 2099-01-01T00:00:00Z "      - {name: FAIL, value: '1'}"
expect_status "a plugin that fails exits 3" 3 k8spatch --kubeconfig "$T_DIR/failing.yaml" get deploy stuck
expect_match "… saying so; its stderr passes through" "no credentials for you" "$(cat "$T_DIR/err")"
expect_match "… and k8spatch names it" "exec plugin '.*plugin' failed" "$(cat "$T_DIR/err")"
plugin "$T_DIR/always.yaml" v1 2099-01-01T00:00:00Z "" Always
expect_status "interactiveMode Always without a terminal exits 2" 2 k8spatch --kubeconfig "$T_DIR/always.yaml" get deploy stuck
sed "s|command: $T_DIR/plugin|command: no-such-plugin-here|" "$T_DIR/exec.yaml" >"$T_DIR/noplugin.yaml"
expect_status "a missing plugin exits 2" 2 k8spatch --kubeconfig "$T_DIR/noplugin.yaml" get deploy stuck
expect_match "… with its installHint" "install the fixture plugin" "$(cat "$T_DIR/err")"
sed 's|{name: APIV, value: client.authentication.k8s.io/v1}|{name: APIV, value: client.authentication.k8s.io/v1beta1}|' \
    "$T_DIR/exec.yaml" >"$T_DIR/mismatch.yaml"
expect_status "a plugin answering another apiVersion exits 2" 2 k8spatch --kubeconfig "$T_DIR/mismatch.yaml" get deploy stuck
expect_match "… kubectl's words" "plugin returned version client.authentication.k8s.io/v1beta1" "$(cat "$T_DIR/err")"
cat >"$T_DIR/certplugin" <<EOP
#!/bin/sh
jq -n --rawfile c "$certs/client.crt" --rawfile k "$certs/client.key" \\
    '{apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential",
      status: {clientCertificateData: \$c, clientKeyData: \$k}}'
EOP
chmod +x "$T_DIR/certplugin"
kc "$T_DIR/certexec.yaml" "$ca" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $T_DIR/certplugin
      interactiveMode: Never"
expect_status "an exec plugin that answers with a client certificate" 0 \
    k8spatch --kubeconfig "$T_DIR/certexec.yaml" get deploy stuck
expect_eq "… as the certificate's user" admin "$(who)"
# A hung plugin must not hang a CronJob: without a terminal it has the
# request timeout (at most a minute) to answer, then it is killed with
# what it started.
for how in hang answer-then-hang; do
	cat >"$T_DIR/hungplugin" <<EOP
#!/bin/sh
sleep 987 &
[ "$how" = hang ] || echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"s3cret-token"}}'
sleep 986
EOP
	chmod +x "$T_DIR/hungplugin"
	kc "$T_DIR/hung.yaml" "$ca" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $T_DIR/hungplugin
      interactiveMode: IfAvailable"
	expect_status "a plugin that does not end ($how) is stopped: exit 3" 3 \
	    timeout 30 k8spatch --request-timeout 2 --kubeconfig "$T_DIR/hung.yaml" get deploy stuck
	expect_match "… saying so" "exec plugin '.*hungplugin' did not answer within 2s; it was stopped" "$(cat "$T_DIR/err")"
	ok_if "… with what it started" sh -c '! pgrep -f "^sleep 98[67]$" >/dev/null'
done
rm -f "$T_DIR/log"
expect_status "--token wins over an exec plugin (not run)" 0 \
    k8spatch --kubeconfig "$T_DIR/exec.yaml" --token s3cret-token get deploy stuck
ok_if "… the plugin did not run" test ! -e "$T_DIR/log"

# --- in-cluster -------------------------------------------------------------
sa=$T_DIR/sa
mkdir -p "$sa"
cp "$certs/ca.crt" "$sa/ca.crt"
printf 'web\n' >"$sa/namespace"
control '{"tokens":{"sa-1":"system:serviceaccount:web:bot","sa-2":"system:serviceaccount:web:bot"}}'
printf 'sa-1' >"$sa/token"
incluster() {
	env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="${api##*:}" \
	    K8SPATCH_SERVICEACCOUNT_DIR="$sa" k8spatch "$@"
}
expect_status "in-cluster: the service account's token, CA and namespace" 0 incluster get deploy stuck
expect_eq "… as the service account" system:serviceaccount:web:bot "$(who)"
( sleep 1; printf 'sa-2' >"$sa/token"; control '{"revoke":["sa-1"]}' ) &
bg=$!
expect_status "in-cluster: the token is read again when rotated" 1 \
    incluster wait deploy stuck --fail-after 0 --timeout 3s
wait "$bg"
expect_eq "… the wait ended on its own terms" timeout "$(jq -r .rollout "$T_DIR/out")"
rm "$sa/token"
expect_status "in-cluster without a token file exits 2" 2 incluster get deploy stuck
cp "$T_DIR/token.yaml" "$HOME/.kube/config"
expect_status "a kubeconfig wins over in-cluster" 0 incluster get deploy stuck
expect_eq "… as the kubeconfig's user" alice "$(who)"
done_testing
