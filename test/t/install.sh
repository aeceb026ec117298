# make install puts programs, flow scripts, man pages and share/opspipe
# under DESTDIR/PREFIX, and the installed flow finds its share directory.
# shellcheck source=test/lib.sh
. "${OPSPIPE_TOP:-.}/test/lib.sh"
dest=$T_DIR/root
# -o all: install what is built; never rebuild (the suite may be sanitized).
make -s -C "$OPSPIPE_TOP" -o all install DESTDIR="$dest" PREFIX=/opt/opspipe \
    >"$T_DIR/log" 2>&1
ok_if "make install DESTDIR=… PREFIX=/opt/opspipe succeeds" [ $? -eq 0 ]
root=$dest/opt/opspipe
for p in "$OPSPIPE_TOP"/src/*/main.c; do
	p=$(basename "$(dirname "$p")")
	ok_if "bin/$p installed and executable" [ -x "$root/bin/$p" ]
	ok_if "man1/$p.1 installed" [ -f "$root/share/man/man1/$p.1" ]
done
for s in opspipe-summary opspipe-drift opspipe-check; do
	ok_if "bin/$s installed" [ -x "$root/bin/$s" ]
	ok_if "man1/$s.1 installed" [ -f "$root/share/man/man1/$s.1" ]
done
for f in prompts/summarize.txt cgi/summary cgi/alert grafana k8s/kustomization.yaml \
    k8s/monitoring/kustomization.yaml prometheus/prometheus.yml; do
	ok_if "share/opspipe/$f installed" [ -e "$root/share/opspipe/$f" ]
done
expect_status "the installed opspipe-summary runs" 0 "$root/bin/opspipe-summary" --version
expect_eq "... and is the installed one" "opspipe-summary (opspipe) $opspipe_version" "$(cat "$T_DIR/out")"
# The installed flow reads its prompt from the installed share directory.
need_prometheus
OPSPIPE_SUMMARY_DIR=$T_DIR/cache OLLAMA_HOST=http://127.0.0.1:9 OPSPIPE_RETRY_BASE=0.01 \
    PATH="$root/bin:/usr/bin:/bin" "$root/bin/opspipe-summary" --minutes 30 up \
    >"$T_DIR/rec" 2>"$T_DIR/err"
expect_eq "the installed flow answers the seed call (statistics fallback)" \
    '"up" 30 2 true' "$(jq -r '"\(.query|tojson) \(.minutes) \(.stats_count) \(.fallback)"' "$T_DIR/rec")"
done_testing
