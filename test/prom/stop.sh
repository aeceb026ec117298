#!/bin/sh
# test/prom/stop.sh DIR — stop the Prometheus that start.sh DIR started:
# TERM, up to 10 s for it to exit, then KILL.
set -u
dir=${1:?usage: stop.sh DIR}
[ -f "$dir/pid" ] || exit 0
pid=$(cat "$dir/pid")
rm -f "$dir/pid"
kill "$pid" 2>/dev/null || exit 0
i=0
while [ "$i" -lt 100 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -KILL "$pid" 2>/dev/null
exit 0
