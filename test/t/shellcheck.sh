# Every shell script in the tree is POSIX sh and passes shellcheck:
# flow scripts, the CGI, the demo, benchmarks, CI and the tests themselves.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
cd "$OPSPIPE_TOP" || exit 1
n=0
for f in bin/opspipe-* share/opspipe/cgi/* examples/*.sh bench/* .ci/* \
    test/run test/*.sh test/prom/*.sh test/monitoring/*.sh test/t/*.sh; do
	[ -f "$f" ] || continue
	case $(head -n 1 "$f") in
	'#!/bin/sh'* | '#!/usr/bin/env sh'*) ;;
	*) case $f in *.sh) ;; *) continue ;; esac ;;
	esac
	n=$((n + 1))
	if out=$(shellcheck -x -s sh "$f" 2>&1); then
		ok "shellcheck $f"
	else
		not_ok "shellcheck $f" "$(printf '%s\n' "$out" | head -n 20)"
	fi
done
ok_if "found the scripts (more than 30)" [ "$n" -gt 30 ]
done_testing
