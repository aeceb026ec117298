#!/bin/sh
# One source for each constant: share/opspipe/lib/constants.sh holds the
# version and the limits the C programs and the shell flows share. The
# Makefile passes them to the C programs (-D; test/unit/test_opt.c holds
# opt.c to OPSPIPE_SHARD_MAX); the flows and the CGI source the file. Here:
# the flows, the CGI and the Makefile follow the file, also when it
# changes, and no copy of a value is left in the code.
# shellcheck disable=SC2016 # sh -c scripts stay literal
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
top=$OPSPIPE_TOP
consts=$top/share/opspipe/lib/constants.sh

ok_if "constants.sh is plain NAME=value lines (the Makefile reads it with sed)" \
    sh -c '! grep -v -E "^(#.*)?$|^[a-z_]+=[0-9.]+$" "$1"' - "$consts"
for v in opspipe_version opspipe_shard_max opspipe_minutes_max; do
	expect_eq "constants.sh sets $v once" 1 "$(grep -c "^$v=" "$consts")"
done

# cgi QUERY_STRING [CGI]: run the summary CGI as lighttpd would; the status
# line in $T_DIR/cgi.status, the JSON error in $T_DIR/cgi.error.
cgi() {
	REQUEST_METHOD=GET QUERY_STRING=$1 PROMETHEUS_URL=http://127.0.0.1:9 \
	    OPSPIPE_SUMMARY_DIR=$T_DIR/cache OLLAMA_HOST=http://127.0.0.1:9 \
	    sh "${2:-$top/share/opspipe/cgi/summary}" >"$T_DIR/cgi.out" 2>/dev/null
	head -n 1 "$T_DIR/cgi.out" | tr -d '\r' >"$T_DIR/cgi.status"
	tail -n 1 "$T_DIR/cgi.out" | jq -r '.error // empty' >"$T_DIR/cgi.error" 2>/dev/null
}
mkdir -p "$T_DIR/cache"
printf '# no entries\n' >"$T_DIR/empty.jsonl"

# limits_follow LABEL VERSION SHARD_MAX MINUTES_MAX [ENV...]: the flows
# and the CGI (from the share directory ENV selects) keep these values.
limits_follow() {
	label=$1 ver=$2 smax=$3 mmax=$4
	shift 4
	expect_eq "$label: opspipe-summary --version" "opspipe-summary (opspipe) $ver" \
	    "$(env "$@" opspipe-summary --version)"
	expect_eq "$label: opspipe-drift --version" "opspipe-drift (opspipe) $ver" \
	    "$(env "$@" opspipe-drift --version)"
	expect_status "$label: opspipe-summary --shard 0/$smax is accepted" 0 \
	    env "$@" opspipe-summary --batch "$T_DIR/empty.jsonl" --shard "0/$smax"
	expect_status "$label: --shard 0/$((smax + 1)) is refused" 2 \
	    env "$@" opspipe-summary --batch "$T_DIR/empty.jsonl" --shard "0/$((smax + 1))"
	expect_eq "$label: ... naming the limit" "opspipe-summary: shard count must be an integer from 1 to $smax" \
	    "$(cat "$T_DIR/err")"
	expect_status "$label: OPSPIPE_SHARDS=$((smax + 1)) is ignored" 0 \
	    env "$@" JOB_COMPLETION_INDEX=0 OPSPIPE_SHARDS=$((smax + 1)) \
	    opspipe-summary --batch "$T_DIR/empty.jsonl"
	expect_match "$label: ... with a warning" "ignoring JOB_COMPLETION_INDEX '0' with OPSPIPE_SHARDS '$((smax + 1))'" \
	    "$(cat "$T_DIR/err")"
	expect_status "$label: --minutes $((mmax + 1)) is refused" 2 \
	    env "$@" opspipe-summary --minutes $((mmax + 1)) up
	expect_eq "$label: ... naming the limit" "opspipe-summary: --minutes must be an integer from 1 to $mmax" \
	    "$(cat "$T_DIR/err")"
	printf '{"query":"up","minutes":%s}\n' $((mmax + 1)) >"$T_DIR/over.jsonl"
	expect_status "$label: a batch entry of $((mmax + 1)) minutes is refused" 2 \
	    env "$@" opspipe-summary --batch "$T_DIR/over.jsonl"
	expect_match "$label: ... naming the limit" "\"minutes\" must be an integer from 1 to $mmax\$" \
	    "$(cat "$T_DIR/err")"
	expect_match "$label: --help states the limit" "--minutes N +summarise the last N minutes, 1\.\.$mmax " \
	    "$(env "$@" opspipe-summary --help)"
}

limits_follow "the tree" "$opspipe_version" "$opspipe_shard_max" "$opspipe_minutes_max"
cgi "query=up&minutes=$((opspipe_minutes_max + 1))"
expect_eq "CGI: minutes=$((opspipe_minutes_max + 1)) is 400" "Status: 400 Bad Request" "$(cat "$T_DIR/cgi.status")"
expect_eq "CGI: ... naming the limit" "parameter 'minutes' must be an integer from 1 to $opspipe_minutes_max" \
    "$(cat "$T_DIR/cgi.error")"
cgi "query=up&minutes=$opspipe_minutes_max"
ok_if "CGI: minutes=$opspipe_minutes_max passes the check ($(cat "$T_DIR/cgi.status"))" \
    [ "$(cat "$T_DIR/cgi.status")" != "Status: 400 Bad Request" ]

# A changed file changes every side: a copy of share/opspipe with other
# values, chosen by OPSPIPE_SHARE (the flows) and by location (the CGI).
cp -R "$top/share/opspipe" "$T_DIR/share"
sed -e 's/^opspipe_version=.*/opspipe_version=9.8.7/' -e 's/^opspipe_shard_max=.*/opspipe_shard_max=5/' \
    -e 's/^opspipe_minutes_max=.*/opspipe_minutes_max=60/' "$consts" >"$T_DIR/share/lib/constants.sh"
limits_follow "changed constants" 9.8.7 5 60 OPSPIPE_SHARE="$T_DIR/share"
cgi "query=up&minutes=61" "$T_DIR/share/cgi/summary"
expect_eq "changed constants: the CGI refuses minutes=61" "parameter 'minutes' must be an integer from 1 to 60" \
    "$(cat "$T_DIR/cgi.error")"

# The Makefile passes the file's values to the C compiler (a copy of the
# Makefile, so the tree's build state is left alone).
mkdir -p "$T_DIR/mk/share/opspipe/lib" "$T_DIR/mk/src/lib"
cp "$top/Makefile" "$T_DIR/mk/"
cp "$T_DIR/share/lib/constants.sh" "$T_DIR/mk/share/opspipe/lib/"
cp "$top/src/lib/opt.c" "$T_DIR/mk/src/lib/"
bare_make -n -C "$T_DIR/mk" build/plain/lib/opt.o >"$T_DIR/mk.out" 2>&1
expect_match "make: the C programs get the file's version" "-DOPSPIPE_VERSION='\"9\.8\.7\"'" "$(cat "$T_DIR/mk.out")"
expect_match "make: ... and its shard limit" "-DOPSPIPE_SHARD_MAX=5 " "$(cat "$T_DIR/mk.out")"
expect_match "make: a changed constants.sh rebuilds the objects" '^build/plain/lib/opt\.o: .*share/opspipe/lib/constants\.sh' \
    "$(bare_make -pn -C "$T_DIR/mk" build/plain/lib/opt.o 2>/dev/null | grep '^build/plain/lib/opt\.o:')"

# No copy of a value left in code, and the manifests and docs that name
# the version name this one.
for f in bin/opspipe-summary bin/opspipe-drift share/opspipe/cgi/summary src/lib/opt.c; do
	ok_if "$f holds no literal limit or version" \
	    sh -c '! grep -nE "(^|[^0-9.])($2|$3|$4)([^0-9.]|$)" "$1"' - "$top/$f" \
	    "$(printf '%s' "$opspipe_version" | sed 's/\./\\./g')" "$opspipe_shard_max" "$opspipe_minutes_max"
done
expect_eq "the Kubernetes base deploys this version's image" "newTag: $opspipe_version" \
    "$(grep -o 'newTag: .*' "$top/share/opspipe/k8s/kustomization.yaml")"
expect_eq "README and Dockerfile tag the image with this version" "" \
    "$(grep -ho 'opspipe:[0-9][0-9.]*' "$top/README.md" "$top/share/opspipe/docker/Dockerfile" | grep -vx "opspipe:$opspipe_version")"
expect_eq "the man pages' minutes limits are the file's" "" \
    "$(grep -hoE 'minutes, 1 to [0-9]+|integer from 1 to [0-9]+' "$top/share/man/man1/opspipe-summary.1" |
	grep -vE "1 to $opspipe_minutes_max\$")"
ok_if "... and the page names them" grep -q "1 to $opspipe_minutes_max" "$top/share/man/man1/opspipe-summary.1"
done_testing
