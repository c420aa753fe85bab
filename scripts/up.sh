#!/bin/sh
# make up: start Redis and every built service on loopback with the
# default configuration; return once each answers its health check.
# State lives in ./run (pid files, logs, Redis' append-only file).
set -eu
BUILD=${1:-build}
RUN=${NEARPOST_RUN_DIR:-$PWD/run}
REDIS_PORT=${NEARPOST_REDIS_PORT:-6379}
INTAKE_PORT=${NEARPOST_HTTP_PORT:-7401}
RADIO_PORT=${NEARPOST_RADIO_PORT:-7410}
DASH_PORT=${NEARPOST_DASHBOARD_PORT:-7402}
export NEARPOST_RUN_DIR="$RUN" NEARPOST_REDIS_PORT="$REDIS_PORT"
mkdir -p "$RUN/redis" "$RUN/log"

wait_for() {	# what, command...
	what=$1; shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "$what did not come up; see $RUN/log/" >&2
			exit 1
		fi
		sleep 0.1
	done
}

if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
	echo "redis     already answering on 127.0.0.1:$REDIS_PORT (used as is)"
else
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN/redis" \
	    --appendonly yes --appendfsync always --save "" --daemonize yes \
	    --pidfile "$RUN/redis.pid" --logfile "$RUN/log/redis.log"
	wait_for redis redis-cli -p "$REDIS_PORT" ping
	echo "redis     127.0.0.1:$REDIS_PORT (append-only, fsync always; data in $RUN/redis)"
fi

router_up() {
	nanocat --req --connect "ipc://$RUN/router.ipc" --recv-timeout 1 \
	    -D '{"q":"post","lat":31.23,"lon":121.47}' --raw | grep -q post
}
commander_up() {
	redis-cli -p "$REDIS_PORT" HGET 'np:{city}:unit:U-0001' status | grep -q .
}
radiogw_up() {
	/usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $RADIO_PORT), 1)"
}
intake_up() {
	curl -fsS "http://127.0.0.1:$INTAKE_PORT/healthz"
}
dashboard_up() {
	curl -fsS "http://127.0.0.1:$DASH_PORT/api/state"
}
# services without a port of their own: they answer the dashboard's survey
tracker_up() {
	curl -fsS "http://127.0.0.1:$DASH_PORT/api/health" | grep -q '"tracker"'
}
feedback_up() {
	curl -fsS "http://127.0.0.1:$DASH_PORT/api/health" | grep -q '"feedback"'
}

start() {	# name where
	name=$1
	if [ ! -x "$BUILD/bin/$name" ]; then
		echo "$name    not built (skipped)"
		return
	fi
	if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
		echo "$name    already running (pid $(cat "$RUN/$name.pid"))"
		return
	fi
	"$BUILD/bin/$name" >>"$RUN/log/$name.log" 2>&1 &
	echo $! >"$RUN/$name.pid"
	wait_for "$name" "${name}_up"
	printf '%-10s %s (pid %s, log %s)\n' "$name" "$2" \
	    "$(cat "$RUN/$name.pid")" "$RUN/log/$name.log"
}

# in the order of the loop's hand-offs: each consumer is up before its
# producer; the dashboard and the router bind the buses the others
# connect to
start dashboard "http://127.0.0.1:$DASH_PORT/ (the supervisors' page)"
start feedback  "closes incidents, SLA figures, follow-ups"
start tracker   "the 1/3/5-minute marks"
start router    "queries on ipc://$RUN/router.ipc"
start commander "orders to np:{city}:s:orders"
start radiogw   "radio line protocol on 127.0.0.1:$RADIO_PORT"
start intake    "http://127.0.0.1:$INTAKE_PORT/v1/calls"
