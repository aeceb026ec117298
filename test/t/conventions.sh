# Every program keeps DESIGN.md's conventions: --help and --version, usage
# errors exit 2, a man page that lints clean and lists exactly the options
# --help lists (curl's test1139, git's t0450).
. "${OPSPIPE_TOP:-.}/test/lib.sh"

# long_opts: the --long options named in a text, sorted, one per line.
long_opts() {
	grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

programs=""
for src in "$OPSPIPE_TOP"/src/*/main.c; do
	p=$(basename "$(dirname "$src")")
	[ "$p" = lib ] || programs="$programs $p"
done

for p in $programs; do
	bin=$OPSPIPE_TOP/bin/$p
	man=$OPSPIPE_TOP/share/man/man1/$p.1
	if [ ! -x "$bin" ]; then
		not_ok "$p: built" "missing $bin"
		continue
	fi
	expect_status "$p --help exits 0" 0 "$bin" --help
	help=$(cat "$T_DIR/out")
	expect_match "$p --help starts with a usage line" "^Usage: $p " "$(head -n 1 "$T_DIR/out")"
	expect_status "$p --version exits 0" 0 "$bin" --version
	expect_eq "$p --version" "$p (opspipe) $opspipe_version" "$(cat "$T_DIR/out")"
	expect_status "$p: unknown option is a usage error" 2 "$bin" --no-such-option
	expect_match "$p: usage error names the option" "^$p: unknown option '--no-such-option'" "$(head -n 1 "$T_DIR/err")"
	if [ ! -f "$man" ]; then
		not_ok "$p: man page" "missing $man"
		continue
	fi
	lint=$(mandoc -Tlint -W warning "$man" 2>&1)
	expect_eq "$p.1 lints clean (mandoc -Tlint)" "" "$lint"
	# Options the man page documents: .Fl entries in the OPTIONS list.
	man_opts=$(mandoc -Tascii "$man" 2>/dev/null | col -b |
	    sed -n '/^OPTIONS/,/^[A-Z][A-Z ]*$/p' | long_opts)
	help_opts=$(printf '%s\n' "$help" | sed -n '/^Options:/,$p' | long_opts)
	expect_eq "$p: --help and the man page list the same options" \
	    "$help_opts" "$man_opts"
done
done_testing
