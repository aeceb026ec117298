#!/bin/sh
# The EXAMPLES of k8spatch(1) run as written, against the API fixture,
# with the files they name (policy.yaml, proposals.jsonl, nginx.yaml) in
# the current directory.
. "${OPSPIPE_TOP:-.}/test/lib.sh"
. "$OPSPIPE_TOP/test/kube.sh"

cat >"$T_DIR/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        resources: {limits: {memory: 128Mi}}
EOF
start_kubeapi --objects "$T_DIR/objects.yaml"
cd "$T_DIR" || exit 1
cat >policy.yaml <<'EOF'
kinds: [Deployment]
namespaces: [web]
allow: [spec.replicas, "spec.template.spec.containers[*].resources"]
deny: ["**.securityContext"]
limits:
  memory: {max: 4Gi, max_factor: 4}
EOF
printf '%s\n' '{"patch":{"spec":{"replicas":2}},"patch_type":"merge"}' >proposals.jsonl
cat >nginx.yaml <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx   # the web server
spec:
  replicas: 2
EOF
k8spatch -n web wait deploy nginx --timeout 20s >/dev/null

# The literal blocks of the EXAMPLES section, one command each.
awk '/^\.Sh EXAMPLES/ { on = 1; next } /^\.Sh / { on = 0 }
    on && /^\.Bd -literal/ { n++; in_block = 1; next } /^\.Ed/ { in_block = 0 }
    on && in_block { gsub(/\\e/, "\\"); print > ("example." n) }' \
    "$OPSPIPE_TOP/share/man/man1/k8spatch.1"
n=0
for ex in example.*; do
	n=$((n + 1))
	if sh "$ex" >"$ex.out" 2>"$ex.err"; then
		ok "example $n: $(head -n 1 "$ex")"
	else
		not_ok "example $n: $(head -n 1 "$ex")" "$(cat "$ex.err")"
	fi
done
ok_if "the manual has examples" [ "$n" -ge 5 ]
expect_eq "the dry-run example prints what would change" '["spec.replicas"]' \
    "$(jq -c . example.3.out)"
expect_eq "the local example changed only the replicas line" "$(sed 's/replicas: 2/replicas: 3/' nginx.yaml)" \
    "$(cat nginx.yaml.new)"
done_testing
