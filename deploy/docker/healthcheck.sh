#!/bin/bash
# np-healthcheck SERVICE: the container's health check (docker-compose.yml).
# Each service is asked through the interface it really serves:
#   intake     GET /healthz (200 only while Redis is connected)
#   dashboard  its HTTP server answers /api/health (200, or 401 without
#              a token: either way the loop is alive)
#   router     a query on its REQ/REP socket (npctl post)
#   radiogw    a PING on the radio port answered PONG
#   commander, tracker, feedback: no port of their own; they answer the
#              dashboard's health survey, so this instance must be in
#              the dashboard's GET /api/health (supervisor token from the
#              secret /run/secrets/health-token).
set -euo pipefail
: "${NEARPOST_INSTANCE:=$(hostname)}"
svc=${1:?usage: np-healthcheck SERVICE}
dash=${NEARPOST_DASHBOARD_URL:-http://dashboard:7402}
case $svc in
intake)
	curl -fsS -o /dev/null --max-time 2 \
	    "http://127.0.0.1:${NEARPOST_HTTP_PORT:-7401}/healthz" ;;
dashboard)
	code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 \
	    "http://127.0.0.1:${NEARPOST_DASHBOARD_PORT:-7402}/api/health")
	[ "$code" = 200 ] || [ "$code" = 401 ] ;;
router)
	npctl --timeout 2000 post --lat 0.5 --lon 0.5 >/dev/null ;;
radiogw)
	exec 3<>"/dev/tcp/127.0.0.1/${NEARPOST_RADIO_PORT:-7410}"
	printf 'PING\r\n' >&3
	IFS= read -r -t 2 line <&3
	[[ $line == PONG* ]] ;;
commander | tracker | feedback)
	token=$(cat /run/secrets/health-token)
	curl -fsS --max-time 2 -H "Authorization: Bearer $token" \
	    "$dash/api/health" |
	    grep -qF "\"service\":\"$svc\",\"instance\":\"$NEARPOST_INSTANCE\"" ;;
*)
	echo "np-healthcheck: unknown service $svc" >&2
	exit 2 ;;
esac
