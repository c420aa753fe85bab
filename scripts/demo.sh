#!/bin/sh
# make demo: start Redis and every service with their clocks scaled to
# the simulation's speed, then let npsim run the sample city for a while
# of city time faster than real time (DEMO_MINUTES city minutes at
# DEMO_SPEED x; 30 at 10x = 3 real minutes), and end with its SLA
# summary.  The services keep running afterwards so the dashboard can be
# looked at; `make down` stops them.  Ctrl-C stops everything this
# script started.
set -eu
BUILD=${1:-build}
MINUTES=${DEMO_MINUTES:-30}
SPEED=${DEMO_SPEED:-10}
NPSIM="$BUILD/bin/npsim"
export NEARPOST_RUN_DIR=${NEARPOST_RUN_DIR:-$PWD/run}
RUN=$NEARPOST_RUN_DIR
DASH=http://127.0.0.1:${NEARPOST_DASHBOARD_PORT:-7402}/
export NEARPOST_INTAKE_URL=http://127.0.0.1:${NEARPOST_HTTP_PORT:-7401}
export NEARPOST_DASHBOARD_URL=$DASH

running=""
for f in "$RUN"/*.pid; do
	[ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null &&
	    running="$running $(basename "$f" .pid)"
done
if [ -n "$running" ]; then
	echo "demo: already running:$running -- used as they are (their" \
	    "clocks may not be scaled to ${SPEED}x; 'make down' first for a" \
	    "fresh demo)"
	started=no
else
	started=yes
fi

stop() {
	trap - INT TERM
	echo
	if [ "$started" = yes ]; then
		echo "demo: interrupted; stopping what it started"
		./scripts/down.sh
	fi
	exit 130
}
trap stop INT TERM

# the 1/3/5-minute marks, ack timeouts, re-sends ... at SPEED x
eval "$("$NPSIM" --scaled-env --speed "$SPEED")"
# in a session of their own: Ctrl-C reaches npsim, which reads its
# summary from the services before this script stops them
setsid -w ./scripts/up.sh "$BUILD"

if [ -z "${NEARPOST_TOKEN:-}" ] && [ -r "$RUN/tokens.clear" ]; then
	NEARPOST_TOKEN=$(awk '$2 == "supervisor" { print $3; exit }' \
	    "$RUN/tokens.clear")
	export NEARPOST_TOKEN
fi
cat <<EOT

The dashboard: $DASH  (live map, marks, SLA, escalations)
EOT
if [ -n "${NEARPOST_TOKEN:-}" ]; then
	echo "Log in with the supervisor token: $NEARPOST_TOKEN"
	echo "(all demo tokens: $RUN/tokens.clear)"
fi
cat <<EOT

npsim: $MINUTES city minutes at ${SPEED}x (about \
$(awk "BEGIN { printf \"%.0f\", $MINUTES * 60 / $SPEED }") real seconds); \
Ctrl-C ends it early.
EOT

"$NPSIM" --speed "$SPEED" --duration "$MINUTES" || status=$?
case ${status:-0} in
130|143) stop ;;	# npsim ended early on Ctrl-C / SIGTERM
esac
trap - INT TERM
if [ "${status:-0}" -ne 0 ]; then
	echo "demo: npsim failed (exit ${status}); logs in $RUN/log" >&2
	exit "$status"
fi
cat <<EOT

Still running: Redis and every service (logs in $RUN/log), their clocks
at ${SPEED}x.  The dashboard: $DASH
Post calls with $BUILD/bin/npctl (NEARPOST_TOKEN) or run the city again
with $NPSIM --speed $SPEED --duration $MINUTES.
Stop everything with: make down
EOT
