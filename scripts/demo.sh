#!/bin/sh
# make demo: start Redis and every service built so far, put the sample
# city's units on the radio, walk calls through the loop and show what
# happened.  The simulated city (npsim), the 1/3/5 clock and the dashboard
# join this script as they are built.
set -eu
BUILD=${1:-build}
API=http://127.0.0.1:${NEARPOST_HTTP_PORT:-7401}
RADIO_PORT=${NEARPOST_RADIO_PORT:-7410}
REDIS="redis-cli -p ${NEARPOST_REDIS_PORT:-6379}"
NPCTL="$BUILD/bin/npctl"
export NEARPOST_RUN_DIR=${NEARPOST_RUN_DIR:-$PWD/run}
export NEARPOST_INTAKE_URL=$API
export NEARPOST_DASHBOARD_URL=http://127.0.0.1:${NEARPOST_DASHBOARD_PORT:-7402}
./scripts/up.sh "$BUILD"

/usr/bin/python3 scripts/demo_units.py "$RADIO_PORT" 20 &
units=$!
trap 'kill $units 2>/dev/null || true' EXIT INT TERM
sleep 1		# let the units log in before the first call

post() {	# description, npctl call arguments...
	printf '\n--- %s\n$ npctl call %s\n' "$1" "$(shift; echo "$*")"
	shift
	"$NPCTL" call "$@" || true
}

stamp=$(date +%s)
post "a fight reported by phone near People's Square" \
    --call-id "demo-$stamp-1" --type fight --lat 31.2317 --lon 121.4726 \
    --address "People's Square, east gate" --caller-phone "+86 138 0000 0001"
post "the same call again (a retry): answered from the first, not doubled" \
    --call-id "demo-$stamp-1" --type fight --lat 31.2317 --lon 121.4726 \
    --address "People's Square, east gate" --caller-phone "+86 138 0000 0001"
post "a second caller 60 m away says one has a knife: merged, raised to red" \
    --call-id "demo-$stamp-2" --type weapon --source video --lat 31.2322 \
    --lon 121.4728
post "a theft on Nanjing Road: the smallest unit that can be there in 60 s" \
    --call-id "demo-$stamp-3" --type theft --lat 31.2352 --lon 121.4770
post "a robbery where no post is within 200 m: a coverage gap" \
    --call-id "demo-$stamp-4" --type robbery --lat 31.2327 --lon 121.4658
post "a bad call: the error names the field" --type fight --lat 131.2 \
    --lon 121.47

printf '\n--- who the router would send to a robbery at the Shanghai Museum\n'
echo '$ npctl route --lat 31.2285 --lon 121.4751 --type robbery'
"$NPCTL" route --lat 31.2285 --lon 121.4751 --type robbery || true

sleep 4		# the units answer at their own pace
for n in 1 3 4; do
	id=$($REDIS HGET "np:{city}:call:demo-$stamp-$n" incident)
	printf '\n--- the incident, with its timeline\n$ npctl incident %s\n' "$id"
	"$NPCTL" incident "$id" || true
done

wait $units 2>/dev/null || true
trap - EXIT INT TERM
printf '\n--- SLA summary, today\n$ npctl sla --window day\n'
"$NPCTL" sla --window day || true
issued=$($REDIS XLEN 'np:{city}:s:orders')
status=$($REDIS XLEN 'np:{city}:s:status')
cat <<EOT

Summary: $($REDIS XLEN 'np:{city}:s:incidents') incident messages,
$($REDIS XLEN 'np:{city}:s:routes') routing decisions, $issued order messages,
$status radio status reports (Redis streams np:{city}:s:*).

The dashboard: http://127.0.0.1:${NEARPOST_DASHBOARD_PORT:-7402}/ (live map, marks, SLA,
escalations).  Running: Redis and every service (logs in
$NEARPOST_RUN_DIR/log).  Post calls with build/bin/npctl or to
$API/v1/calls (docs/API.md); units speak docs/RADIO.md on
127.0.0.1:$RADIO_PORT.  The simulated city (npsim) arrives with the next
stage.  Stop everything with: make down
EOT
