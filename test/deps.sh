#!/bin/sh
# deps.sh PKG... — make sure Debian packages are installed.
# As root, installs what is missing; otherwise prints the exact apt-get
# line and fails, so `make check` on a fresh machine either works or says why.
# PKG may be alternatives, A|B: any one installed will do (kubectl comes
# from Debian's kubernetes-client or from Kubernetes' own kubectl package,
# which cannot be installed together); the first is installed when none is.
#
# The package lists are read only when needed: `apt-get update` runs when
# apt knows no candidate for a missing package (a fresh machine, or lists
# that were cleaned) or when an install from stale lists fails, once.
# Another apt (unattended-upgrades, a parallel make) is waited for, up to
# ten minutes, instead of failing at once on its lock.
set -u
installed() {
	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || status=""
	case "$status" in
	*" installed") return 0 ;;
	*) return 1 ;;
	esac
}
missing=""
for spec in "$@"; do
	found=""
	rest=$spec
	while [ -n "$rest" ]; do
		pkg=${rest%%|*}
		case "$rest" in *"|"*) rest=${rest#*|} ;; *) rest="" ;; esac
		installed "$pkg" && found=$pkg && break
	done
	[ -n "$found" ] || missing="$missing ${spec%%|*}"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages; run:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
lock="-o DPkg::Lock::Timeout=600"

# known: every missing package has an install candidate in the lists.
known() {
	for pkg in $missing; do
		case $(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p') in
		'' | '(none)') return 1 ;;
		esac
	done
}

# update: apt-get update. Its lists lock is not covered by
# DPkg::Lock::Timeout, so a lock held by another apt is waited for here
# (ten minutes at most); any other failure fails at once.
update() {
	err=$(mktemp) || return 1
	n=0
	# shellcheck disable=SC2086 # word splitting of $lock is intended
	until apt-get $lock update -qq 2>"$err" >&2; do
		if [ "$n" -ge 60 ] || ! grep -q 'Could not get lock' "$err"; then
			cat "$err" >&2
			rm -f "$err"
			return 1
		fi
		n=$((n + 1))
		sleep "${DEPS_LOCK_POLL:-10}"
	done
	cat "$err" >&2
	rm -f "$err"
}

# shellcheck disable=SC2086 # word splitting of $lock and the list is intended
install() { apt-get $lock install -y -qq --no-install-recommends $missing >&2; }

echo "deps: installing:$missing" >&2
if ! known; then
	update || exit 1
fi
install && exit 0
echo "deps: install failed; reading the package lists again" >&2
update && install && exit 0
exit 1
