#!/bin/sh
# k8spatch patch --local on the corpus in test/k8spatch-local: for every
# case, the file printed is the reviewed one byte for byte (only the lines
# the change touches differ from the input), it means what
# `kubectl patch --local -o json` answers, and every kubectl found here
# (the one on PATH, plus any in K8SPATCH_KUBECTLS, e.g. Debian's 1.20 kept
# aside) still answers the recorded value. See test/k8spatch-local/check.py.
. "${OPSPIPE_TOP:-.}/test/lib.sh"

# The command under test: the real k8spatch (bin/ is first on PATH).
k8spatch=k8spatch

set --
if command -v kubectl >/dev/null 2>&1; then
	set -- "$(command -v kubectl)"
fi
for k in ${K8SPATCH_KUBECTLS:-}; do
	set -- "$@" "$k"
done
if [ $# -eq 0 ]; then
	# No kubectl: the recorded answers (want.json) are still checked.
	skip "the corpus against a live kubectl patch --local" "no kubectl here: checked against the recorded answers only"
fi

/usr/bin/python3 "$OPSPIPE_TOP/test/k8spatch-local/check.py" "$k8spatch" "$@" \
    >"$T_DIR/checks" 2>"$T_DIR/stderr"
relay_tap "$T_DIR/checks" "corpus checker"
if grep -q '^not ok' "$T_DIR/checks"; then
	head -c 3000 "$T_DIR/stderr" | sed 's/^/# /'
fi

# Options and bad input, as a user meets them.
d=$OPSPIPE_TOP/test/k8spatch-local
expect_status "a missing file is exit 2" 2 "$k8spatch" patch --local \
    -f "$T_DIR/none.yaml" -p '{}'
expect_status "a patch that is not JSON is exit 2" 2 "$k8spatch" patch --local \
    -f "$d/01-replicas-comment/in.yaml" -p '{spec'
expect_status "--type apply has no local mode" 2 "$k8spatch" patch --local \
    -f "$d/01-replicas-comment/in.yaml" --type apply -p '{}'
expect_match "and says so" "server-side apply has no local mode" "$(cat "$T_DIR/err")"
expect_status "a patch that changes nothing prints the file as it was" 0 \
    "$k8spatch" patch --local -f "$d/28-block-scalars/in.yaml" --type merge -p '{"data":{}}'
ok_if "byte for byte" cmp -s "$T_DIR/out" "$d/28-block-scalars/in.yaml"
expect_status "an error names the file and the line" 2 "$k8spatch" patch --local \
    -f "$d/e01-invalid-yaml/in.yaml" --type merge -p '{}'
expect_match "with the line" "in.yaml: line 5 column" "$(cat "$T_DIR/err")"
ok_if "and prints nothing" [ ! -s "$T_DIR/out" ]

done_testing
