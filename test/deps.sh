#!/bin/sh
# deps.sh PKG... — make sure Debian packages are installed.
# As root, installs what is missing; otherwise prints the exact apt-get
# line and fails, so `make check` on a fresh machine either works or says why.
# PKG may be alternatives, A|B: any one installed will do (kubectl comes
# from Debian's kubernetes-client or from Kubernetes' own kubectl package,
# which cannot be installed together); the first is installed when none is.
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
# shellcheck disable=SC2086 # word splitting of the package list is intended
if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || exit 1
	apt-get install -y -qq --no-install-recommends $missing >&2 || exit 1
	exit 0
fi
echo "deps: missing Debian packages; run:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
