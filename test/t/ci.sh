#!/bin/sh
# CI proves what the README promises: the README's "Two commands" keep
# their words and state the one setup line a fresh Debian 12 needs, which
# .ci/fresh-debian runs as written; .ci/run runs both suites, the fuzz
# targets (a finding fails) and the fresh root, with no skip allowed.
# (.ci/fresh-debian itself runs in .ci/run: it takes minutes and root.)
# shellcheck disable=SC2016 # the strings searched for are literal
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
top=$OPSPIPE_TOP

sed -n '/^## Two commands/,/^## /p' "$top/README.md" >"$T_DIR/two"
ok_if "README: the demo command is 'make demo'" grep -qE '^make demo +# the summarize flow' "$T_DIR/two"
ok_if "README: the test command is 'make check'" grep -qx 'make check    # build and run the whole test suite' "$T_DIR/two"
expect_eq "README: one setup line for a fresh Debian 12" 1 "$(grep -c '^apt-get ' "$T_DIR/two")"
expect_eq "... which installs make and nothing the Makefile could install itself" \
    "apt-get update && apt-get install -y make" "$(grep '^apt-get ' "$T_DIR/two")"
ok_if ".ci/fresh-debian reads the setup line from there" \
    grep -q "sed -n '/^## Two commands/,/^## /p' | grep '^apt-get '" "$top/.ci/fresh-debian"
for cmd in 'make demo' 'make check' 'OPSPIPE_NO_SKIP=1' 'debootstrap --variant=minbase bookworm' \
    'git -C "$top" archive' 'unshare --mount --pid --fork --kill-child'; do
	ok_if ".ci/fresh-debian: $cmd" grep -qF -- "$cmd" "$top/.ci/fresh-debian"
done

for cmd in 'make check WERROR=-Werror' 'make check SANITIZE=1 WERROR=-Werror' \
    'make fuzz-run FUZZ_SECONDS=' 'sh .ci/fresh-debian HEAD' 'OPSPIPE_NO_SKIP=1'; do
	ok_if ".ci/run: $cmd" grep -qF -- "$cmd" "$top/.ci/run"
done

# make fuzz-run: every target runs, and a finding (non-zero exit) stops it.
# (On a copy: make here would mark the tree's build mode.)
mkdir -p "$T_DIR/tree/test" "$T_DIR/tree/share/opspipe/lib"
cp "$top/Makefile" "$T_DIR/tree/"
cp -R "$top/test/fuzz" "$T_DIR/tree/test/"
cp "$top/share/opspipe/lib/constants.sh" "$T_DIR/tree/share/opspipe/lib/"
bare_make -n -C "$T_DIR/tree" -o fuzz fuzz-run FUZZ_SECONDS=7 >"$T_DIR/fuzz.n" 2>&1
for f in "$top"/test/fuzz/*.c; do
	t=$(basename "$f" .c)
	ok_if "fuzz-run runs $t" grep -q "test/fuzz/$t.c" "$T_DIR/fuzz.n"
done
fuzz_fails() { tr '\n' ' ' <"$T_DIR/fuzz.n" | grep -q -- '-max_total_time=7 [^;]*|| exit 1'; }
ok_if "fuzz-run: -max_total_time=7 per target, and a finding fails" fuzz_fails
done_testing
