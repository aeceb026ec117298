#!/bin/sh
# test/deps.sh, the package step of `make check` and `make demo`, against
# fake dpkg-query, apt-cache, apt-get and id on PATH (nothing is
# installed): alternatives, the apt-get line for a non-root user, the
# apt lock waited for, and `apt-get update` only when needed.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"

fake=$T_DIR/bin
mkdir -p "$fake"
# State: installed (one package a line), known (packages the lists have),
# apt.log (every apt-get call), install-fails (how many installs fail),
# update-locked (how many updates find the lists locked).
st=$T_DIR/state
mkdir -p "$st"
cat >"$fake/dpkg-query" <<EOF
#!/bin/sh
for p; do :; done
grep -qx "\$p" "$st/installed" && { printf 'install ok installed'; exit 0; }
exit 1
EOF
cat >"$fake/apt-cache" <<EOF
#!/bin/sh
echo "\$2:"
if grep -qx "\$2" "$st/known"; then echo "  Candidate: 1.0"; else echo "  Candidate: (none)"; fi
EOF
cat >"$fake/apt-get" <<EOF
#!/bin/sh
echo "\$*" >>"$st/apt.log"
case " \$* " in
*" update "*)
	n=\$(cat "$st/update-locked")
	if [ "\$n" -gt 0 ]; then
		echo \$((n - 1)) >"$st/update-locked"
		echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1 (apt-get)" >&2
		exit 100
	fi
	cat "$st/all" >"$st/known" ;;
*" install "*)
	n=\$(cat "$st/install-fails")
	if [ "\$n" -gt 0 ]; then echo \$((n - 1)) >"$st/install-fails"; exit 100; fi ;;
esac
EOF
cat >"$fake/id" <<'EOF'
#!/bin/sh
echo "${FAKE_UID:-0}"
EOF
chmod +x "$fake"/*

# deps STATE... -- PKG...: reset the fakes (installed=A,B known=C all=D
# install-fails=N update-locked=N), run deps.sh; its status in $rc, its
# stderr in $T_DIR/err.
deps() {
	: >"$st/installed"
	: >"$st/known"
	: >"$st/apt.log"
	printf 'a\nb\nc\nkubernetes-client\n' >"$st/all"
	echo 0 >"$st/install-fails"
	echo 0 >"$st/update-locked"
	while [ "$1" != -- ]; do
		case $1 in
		installed=* | known=*) printf '%s\n' "${1#*=}" | tr ',' '\n' >"$st/${1%%=*}" ;;
		*) echo "${1#*=}" >"$st/${1%%=*}" ;;
		esac
		shift
	done
	shift
	PATH=$fake:$PATH DEPS_LOCK_POLL=0 sh "$OPSPIPE_TOP/test/deps.sh" "$@" 2>"$T_DIR/err"
	rc=$?
}

deps installed=a,b -- a b
expect_eq "everything installed: nothing to do" "0 0" "$rc $(wc -l <"$st/apt.log")"
deps installed=a,kubectl -- a 'kubernetes-client|kubectl'
expect_eq "an alternative installed will do" "0 0" "$rc $(wc -l <"$st/apt.log")"
FAKE_UID=1000 deps installed=a -- a b 'kubernetes-client|kubectl'
expect_eq "not root: fails with the apt-get line (the first alternative)" \
    "1|deps: missing Debian packages; run:|  sudo apt-get install -y b kubernetes-client" \
    "$rc|$(paste -sd'|' "$T_DIR/err")"
expect_eq "... and runs no apt-get" 0 "$(wc -l <"$st/apt.log")"

deps installed=a known=b,c -- a b c
expect_eq "lists that know the packages: no update, one install, waiting for the lock" \
    "0|-o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends b c" \
    "$rc|$(paste -sd'|' "$st/apt.log")"
deps known=a -- a b
expect_eq "a package the lists lack: update first" \
    "0|-o DPkg::Lock::Timeout=600 update -qq|-o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends a b" \
    "$rc|$(paste -sd'|' "$st/apt.log")"
deps known=a,b install-fails=1 -- a b
expect_eq "an install from stale lists fails: update, install again" \
    "0|install|update|install" "$rc|$(awk '{print $3}' "$st/apt.log" | paste -sd'|' -)"
deps known=a,b install-fails=2 -- a b
expect_eq "... only once" "1|install|update|install" "$rc|$(awk '{print $3}' "$st/apt.log" | paste -sd'|' -)"
deps update-locked=2 -- a
expect_eq "lists locked by another apt: update waits for it" \
    "0|update|update|update|install" "$rc|$(awk '{print $3}' "$st/apt.log" | paste -sd'|' -)"
done_testing
