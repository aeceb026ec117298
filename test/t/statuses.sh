#!/bin/sh
# Exit statuses, documented the same everywhere: every program's --help
# ("Exit status: 0 …, 1 …") and its man page's EXIT STATUS list the same
# statuses; every C program lists 4 (EXIT_LOCAL: it can run out of memory
# and fail to write); the flows list theirs, opspipe-summary its 75; the
# README's conventions name 0 to 4 and 75. The epilog ends its line.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"

# help_statuses: the statuses an --help's "Exit status:" paragraph names
# ("0 success, 1 a target is down, …"), sorted, one a line.
help_statuses() {
	sed -n '/^Exit status:/,/^[A-Z][a-z]*:/p' | sed '1s/^Exit status://; /^[A-Z][a-z]*:/d' |
	    tr '\n' ' ' | grep -oE '(^|[,;] ?| )[0-9]+ [A-Za-z(]' | grep -oE '[0-9]+' | sort -n | uniq
}
# man_statuses MAN: the ".It N" entries of its EXIT STATUS section.
man_statuses() {
	awk '/^\.Sh EXIT STATUS/ { p = 1; next } /^\.Sh/ { p = 0 }
	    p && /^\.It [0-9]+$/ { print $2 }' "$1" | sort -n | uniq
}

n=0
for src in "$OPSPIPE_TOP"/src/*/main.c; do
	p=$(basename "$(dirname "$src")")
	bin=$OPSPIPE_TOP/bin/$p
	man=$OPSPIPE_TOP/share/man/man1/$p.1
	if [ ! -x "$bin" ] || [ ! -f "$man" ]; then
		continue
	fi
	n=$((n + 1))
	"$bin" --help >"$T_DIR/help"
	h=$(help_statuses <"$T_DIR/help" | paste -sd' ' -)
	m=$(man_statuses "$man" | paste -sd' ' -)
	expect_eq "$p: --help and $p(1) list the same exit statuses" "$m" "$h"
	expect_match "$p: 4 (a local failure: out of memory, a write error) among them" " 4$| 4 " " $h "
	expect_eq "$p: --help ends its last line" "" "$(tail -c 1 "$T_DIR/help")"
done
ok_if "the C programs were found ($n)" [ "$n" -ge 6 ]
for p in opspipe-summary opspipe-drift opspipe-check; do
	h=$("$OPSPIPE_TOP/bin/$p" --help | help_statuses | paste -sd' ' -)
	m=$(man_statuses "$OPSPIPE_TOP/share/man/man1/$p.1" | paste -sd' ' -)
	expect_eq "$p: --help and $p(1) list the same exit statuses" "$m" "$h"
done
expect_match "opspipe-summary: 75 (busy) among them" " 75$" \
    " $("$OPSPIPE_TOP/bin/opspipe-summary" --help | help_statuses | paste -sd' ' -)"
readme=$(sed -n '/<!-- section:build -->/,/<!-- \/section:build -->/p' "$OPSPIPE_TOP/README.md" | tr '\n' ' ')
for s in '0 (success)' '1 (a negative finding' '2 (usage error' '3 (an upstream' '4 (a local failure' 'adds 75 (busy'; do
	# shellcheck disable=SC2016 # the inner shell expands its own $1 and $2
	ok_if "README's conventions: $s" sh -c 'printf "%s\n" "$1" | grep -qF -- "$2"' - "$readme" "$s"
done
done_testing
