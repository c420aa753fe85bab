#!/bin/sh
# make up: start Redis and every built service on loopback with the
# default configuration; return once each answers its health check.
# State lives in ./run (pid files, logs, Redis' append-only file).
# Bearer tokens for intake and the dashboard (docs/API.md, "Access"): a
# calltaker, a supervisor and an admin are made once; run/tokens holds
# their hashes (auth.tokens of intake and dashboard), run/tokens.clear
# (mode 0600) the tokens themselves: `<name> <role> <token>`, e.g.
#   export NEARPOST_TOKEN=$(awk '$2=="supervisor"{print $3}' run/tokens.clear)
# Redis runs with the ACL users of deploy/redis (default user off); their
# passwords are made once into run/redis-users and run/redis-env/ (mode
# 0600) and each service logs in as its own user.  As an operator:
#   REDISCLI_AUTH=$(awk '$1=="admin"{print $2}' run/redis-users) \
#       redis-cli --user admin
set -eu
BUILD=${1:-build}
RUN=${NEARPOST_RUN_DIR:-$PWD/run}
REDIS_PORT=${NEARPOST_REDIS_PORT:-6379}
INTAKE_PORT=${NEARPOST_HTTP_PORT:-7401}
RADIO_PORT=${NEARPOST_RADIO_PORT:-7410}
DASH_PORT=${NEARPOST_DASHBOARD_PORT:-7402}
export NEARPOST_RUN_DIR="$RUN" NEARPOST_REDIS_PORT="$REDIS_PORT"
mkdir -p "$RUN/redis" "$RUN/log"
umask 077
/usr/bin/python3 deploy/redis/gen_acl.py --acl "$RUN/redis.acl" \
    --users "$RUN/redis-users" --env-dir "$RUN/redis-env" \
    --prefix "${NEARPOST_KEYS_PREFIX:-np}" \
    --district "${NEARPOST_KEYS_DISTRICT:-city}"
umask 022
ADMIN_PW=$(awk '$1 == "admin" { print $2 }' "$RUN/redis-users")
rcli() {	# as admin; the password only in redis-cli's environment
	REDISCLI_AUTH=$ADMIN_PW redis-cli -p "$REDIS_PORT" --user admin "$@"
}
# the demo's tokens, if not made yet (see the top)
if [ ! -s "$RUN/tokens" ] || [ ! -s "$RUN/tokens.clear" ]; then
	umask 077
	/usr/bin/python3 - "$RUN/tokens" "$RUN/tokens.clear" <<'EOF'
import hashlib, secrets, sys
people = (("demo-calltaker", "calltaker"), ("demo-supervisor", "supervisor"),
          ("demo-admin", "admin"))
with open(sys.argv[1], "w") as h, open(sys.argv[2], "w") as c:
    h.write("# made by scripts/up.sh: <name> <role> <sha256 of the token>\n")
    c.write("# the tokens themselves (keep private): <name> <role> <token>\n")
    for name, role in people:
        tok = "np_" + secrets.token_hex(32)
        h.write(f"{name} {role} {hashlib.sha256(tok.encode()).hexdigest()}\n")
        c.write(f"{name} {role} {tok}\n")
EOF
	umask 022
fi
export NEARPOST_AUTH_TOKENS="$RUN/tokens"	# read by intake and dashboard
ADMIN_TOKEN=$(awk '$2 == "admin" { print $3; exit }' "$RUN/tokens.clear")
acurl() {	# curl as the admin; the token never on a command line
	printf 'Authorization: Bearer %s\n' "$ADMIN_TOKEN" | curl -H @- "$@"
}
port_open() {
	/usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)"
}

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

if rcli ACL WHOAMI 2>/dev/null | grep -qx admin; then
	rcli ACL LOAD >/dev/null
	echo "redis     already answering on 127.0.0.1:$REDIS_PORT (used as is; ACL reloaded)"
elif port_open "$REDIS_PORT" 2>/dev/null; then
	echo "redis     on 127.0.0.1:$REDIS_PORT was not started with $RUN/redis.acl:" \
	    "stop it or set NEARPOST_REDIS_PORT" >&2
	exit 1
else
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN/redis" \
	    --appendonly yes --appendfsync always --save "" --daemonize yes \
	    --aclfile "$RUN/redis.acl" \
	    --pidfile "$RUN/redis.pid" --logfile "$RUN/log/redis.log"
	wait_for redis rcli ping
	echo "redis     127.0.0.1:$REDIS_PORT (append-only, fsync always; data in $RUN/redis; ACL users in $RUN/redis.acl)"
fi

router_up() {
	nanocat --req --connect "ipc://$RUN/router.ipc" --recv-timeout 1 \
	    -D '{"q":"post","lat":31.23,"lon":121.47}' --raw | grep -q post
}
commander_up() {
	rcli HGET 'np:{city}:unit:U-0001' status | grep -q .
}
radiogw_up() {
	/usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $RADIO_PORT), 1)"
}
intake_up() {
	curl -fsS "http://127.0.0.1:$INTAKE_PORT/healthz"
}
dashboard_up() {
	acurl -fsS "http://127.0.0.1:$DASH_PORT/api/state"
}
# services without a port of their own: they answer the dashboard's survey
tracker_up() {
	acurl -fsS "http://127.0.0.1:$DASH_PORT/api/health" | grep -q '"tracker"'
}
feedback_up() {
	acurl -fsS "http://127.0.0.1:$DASH_PORT/api/health" | grep -q '"feedback"'
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
	# its own Redis user (the file is only read here, never shown)
	(set -a; . "$RUN/redis-env/$name.env"; set +a
	    exec "$BUILD/bin/$name") >>"$RUN/log/$name.log" 2>&1 &
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
echo "tokens    $RUN/tokens.clear (calltaker, supervisor, admin; 0600): export"
echo "          NEARPOST_TOKEN=<token> for npctl; the page asks for the supervisor's"
