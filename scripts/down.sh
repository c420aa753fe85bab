#!/bin/sh
# make down: stop what make up started (SIGTERM: services drain first).
set -u
RUN=${NEARPOST_RUN_DIR:-$PWD/run}
for f in "$RUN"/*.pid; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .pid)
	pid=$(cat "$f")
	if kill "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null && echo "$name: killed" || echo "$name: stopped"
	fi
	rm -f "$f"
done
