#!/bin/sh
# make demo: start Redis and the services built so far, walk a few calls
# through them, and show what happened.  The simulated city (npsim) and the
# dashboard join this script as they are built.
set -eu
BUILD=${1:-build}
API=http://127.0.0.1:${NEARPOST_HTTP_PORT:-7401}
./scripts/up.sh "$BUILD"

post() {	# description, body
	printf '\n--- %s\n$ curl -X POST %s/v1/calls -d %s\n' "$1" "$API" "$2"
	curl -sS -X POST "$API/v1/calls" -H 'Content-Type: application/json' \
	    -d "$2"
	echo
}

stamp=$(date +%s)
post "a fight reported by phone near People's Square" \
    "{\"call_id\":\"demo-$stamp-1\",\"type\":\"fight\",\"location\":{\"lat\":31.2317,\"lon\":121.4726,\"address\":\"People's Square, east gate\"},\"caller\":{\"phone\":\"+86 138 0000 0001\"},\"description\":\"two men fighting\"}"
post "the same call again (a retry): answered from the first, not doubled" \
    "{\"call_id\":\"demo-$stamp-1\",\"type\":\"fight\",\"location\":{\"lat\":31.2317,\"lon\":121.4726,\"address\":\"People's Square, east gate\"},\"caller\":{\"phone\":\"+86 138 0000 0001\"},\"description\":\"two men fighting\"}"
post "a second caller 60 m away says one has a knife: merged, raised to red" \
    "{\"call_id\":\"demo-$stamp-2\",\"type\":\"weapon\",\"source\":\"video\",\"location\":{\"lat\":31.2322,\"lon\":121.4728}}"
post "a bad call: the error names the field" \
    "{\"type\":\"fight\",\"location\":{\"lat\":131.2,\"lon\":121.47}}"

id=$(curl -sS -X POST "$API/v1/calls" -H 'Content-Type: application/json' \
    -d "{\"call_id\":\"demo-$stamp-1\",\"type\":\"fight\",\"location\":{\"lat\":31.2317,\"lon\":121.4726,\"address\":\"People's Square, east gate\"},\"caller\":{\"phone\":\"+86 138 0000 0001\"},\"description\":\"two men fighting\"}" |
    sed -n 's/.*"incident_id":"\([^"]*\)".*/\1/p')
printf '\n--- the incident, its calls and its timeline\n$ curl %s/v1/incidents/%s\n' "$API" "$id"
curl -sS "$API/v1/incidents/$id"
printf '\n\n--- the hand-off to the router (Redis stream np:{city}:s:incidents)\n'
redis-cli -p "${NEARPOST_REDIS_PORT:-6379}" XREVRANGE 'np:{city}:s:incidents' + - COUNT 2
cat <<EOT

Running: Redis and intake (logs in ./run/log).  Post calls to $API/v1/calls
(see docs/API.md).  Routing, dispatch, the 1/3/5 clock, the dashboard and the
simulated city arrive with the next stages; the SLA summary with them.
Stop everything with: make down
EOT
