#!/bin/sh
# Every kustomize directory opspipe ships renders with the kubectl on PATH
# and with each binary in OPSPIPE_KUBECTLS (Debian 12's kubectl is 1.20:
# its kustomize knows neither "labels:" nor other newer fields, and the
# fresh-Debian run has only it), and every object it renders says it is
# part of opspipe.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

if ! command -v kubectl >/dev/null 2>&1; then
	not_ok "kubectl is installed (make deps installs Debian's kubernetes-client)"
	done_testing
	exit 1
fi
dirs=$(find "$OPSPIPE_TOP/share/opspipe" -name kustomization.yaml -exec dirname {} \; | sort)
expect_eq "the kustomize directories found" "grafana k8s k8s/autoscale k8s/monitoring k8s/remediate prometheus" \
    "$(printf '%s\n' "$dirs" | sed "s|^$OPSPIPE_TOP/share/opspipe/||" | sort | paste -sd' ' -)"
for kc in kubectl ${OPSPIPE_KUBECTLS:-}; do
	v=$("$kc" version --client 2>/dev/null | sed -n 's/.*\(v1\.[0-9]*\).*/\1/p' | head -n 1)
	for d in $dirs; do
		name=${d#"$OPSPIPE_TOP"/share/opspipe/}
		if "$kc" kustomize "$d" >"$T_DIR/out.yaml" 2>"$T_DIR/err"; then
			ok "kubectl $v kustomize $name"
		else
			not_ok "kubectl $v kustomize $name" "$(head -c 400 "$T_DIR/err")"
			continue
		fi
		expect_eq "kubectl $v kustomize $name: every object is part-of opspipe" "" \
		    "$(/usr/bin/python3 -c 'import sys, yaml
for o in yaml.safe_load_all(open(sys.argv[1])):
    if o and (o.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/part-of") != "opspipe":
        print(o["kind"], o["metadata"]["name"])' "$T_DIR/out.yaml")"
	done
done
done_testing
