#!/bin/sh
# The README's two commands on a fresh checkout: `make demo` and `make
# check` install their Debian packages (deps-check) before anything is
# compiled, also under -j, and every tool the tests and the demo run is
# named in a dependency list. Run on a copy of the tree without build/,
# with `make -n`: nothing is built or installed here.
# shellcheck disable=SC2016 # sh -c scripts stay literal
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"

copy=$T_DIR/tree
mkdir -p "$copy/bin" "$copy/test"
# The sources make reads, not build/ nor the built programs.
cp -R "$OPSPIPE_TOP/Makefile" "$OPSPIPE_TOP/src" "$OPSPIPE_TOP/share" "$OPSPIPE_TOP/examples" "$copy/"
cp -R "$OPSPIPE_TOP/test/unit" "$OPSPIPE_TOP/test/fuzz" "$OPSPIPE_TOP/test/deps.sh" "$copy/test/"
cp "$OPSPIPE_TOP"/bin/opspipe-* "$copy/bin/"

# first_lines GOAL [MAKE-ARGS]: the line numbers of the deps check and of
# the first compile in `make -n GOAL`.
first_lines() {
	bare_make -n -C "$copy" "$@" >"$T_DIR/n.out" 2>&1
	deps=$(grep -n 'test/deps\.sh' "$T_DIR/n.out" | head -n 1 | cut -d: -f1)
	cc=$(grep -n -- ' -c -o ' "$T_DIR/n.out" | head -n 1 | cut -d: -f1)
}
deps_first() { [ -n "$deps" ] && [ -n "$cc" ] && [ "$deps" -lt "$cc" ]; }
for goal in demo check; do
	for j in "" -j2; do
		first_lines "$goal" $j
		ok_if "make -n $goal $j on a fresh tree: the deps check runs" [ -n "$deps" ]
		ok_if "... before the first compile (line ${deps:-none} < ${cc:-none})" deps_first
	done
done
first_lines check SANITIZE=1
ok_if "make -n check SANITIZE=1: the deps check before the first compile" deps_first
first_lines all
ok_if "a plain make installs nothing" [ -z "$deps" ]

# Objects stay (no intermediate deleted and rebuilt next time), and only
# objects are marked so: deps-check is never skipped as an intermediate.
bare_make -pn -C "$copy" check >"$T_DIR/p.out" 2>&1
expect_eq "deps-check is phony" 1 "$(grep -c '^\.PHONY:.* deps-check' "$T_DIR/p.out")"
ok_if "program objects are kept (.SECONDARY lists them)" \
    grep -q '^\.SECONDARY: .*build/plain/promq/main\.o' "$T_DIR/p.out"
ok_if "... and nothing else" sh -c '! grep "^\.SECONDARY:" "$1" | tr " " "\n" | grep -v -e "^\.SECONDARY:$" -e "\.o$" -e "^$" | grep -q .' - "$T_DIR/p.out"

# Every command a test, a fixture, the demo or a flow runs comes from a
# package the lists name (or from what debootstrap --variant=minbase has).
deps=$(bare_make -n -C "$copy" deps 2>/dev/null | sed -n "s|.*test/deps\.sh ||p" | tr -d "'")
for need in openssl:openssl time:/usr/bin/time curl:curl jq:jq mandoc:mandoc \
    shellcheck:shellcheck lighttpd:lighttpd prometheus:promtool bsdextrautils:column \
    python3-numpy:numpy python3-yaml:yaml make:make gcc:cc libc6-dev:stdio.h \
    clang:clang libclang-rt-dev:fuzzer debootstrap:debootstrap git:git; do
	pkg=${need%%:*}
	case " $deps " in
	*" $pkg "*) ok "the dependency lists name $pkg (${need#*:})" ;;
	*) not_ok "the dependency lists name $pkg (${need#*:})" "make deps installs: $deps" ;;
	esac
done
# kubectl: Debian's, or Kubernetes' own package, never both.
case " $deps " in
*" kubernetes-client|kubectl "*) ok "the dependency lists name kubectl: kubernetes-client or kubectl" ;;
*) not_ok "the dependency lists name kubectl: kubernetes-client or kubectl" "make deps installs: $deps" ;;
esac
done_testing
