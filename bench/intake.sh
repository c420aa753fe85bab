#!/bin/sh
# Intake throughput: calls/s one intake accepts (each a new incident, so
# one Lua script + one XADD each) with Redis on the same machine, measured
# by wrk over loopback.  Prints figures; never fails on a timing.
set -eu
BUILD=${1:-build-bench}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
dir=$(mktemp -d)
rport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
hport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cleanup() {
	[ -n "${ipid:-}" ] && kill "$ipid" 2>/dev/null
	redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
# BENCH_AOF=always: Redis as make up runs it (append-only, fsync always)
if [ "${BENCH_AOF:-no}" = always ]; then
	aof="--appendonly yes --appendfsync always"
else
	aof="--appendonly no"
fi
# shellcheck disable=SC2086
redis-server --port "$rport" --bind 127.0.0.1 --dir "$dir" --save "" \
    $aof --daemonize yes --logfile "$dir/redis.log"
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.05; done
# a call-taker's bearer token (its hash in the token file), and no
# per-source limits: wrk is one source sending for many call-takers
NEARPOST_TOKEN=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export NEARPOST_TOKEN
printf 'bench calltaker %s\n' "$(printf %s "$NEARPOST_TOKEN" |
    sha256sum | cut -d' ' -f1)" >"$dir/tokens"
chmod 600 "$dir/tokens"
NEARPOST_REDIS_PORT=$rport NEARPOST_HTTP_PORT=$hport NEARPOST_RUN_DIR=$dir \
    NEARPOST_AUTH_TOKENS=$dir/tokens NEARPOST_HTTP_RATE_PER_SOURCE=0 \
    NEARPOST_HTTP_MAX_CONNS_PER_SOURCE=0 \
    NEARPOST_LOG_LEVEL=warn "$BUILD/bin/intake" 2>"$dir/intake.log" &
ipid=$!
until curl -fs "http://127.0.0.1:$hport/healthz" >/dev/null; do sleep 0.05; done

echo "== intake: POST /v1/calls, new incident each, ${CONNS} connections, ${SECS}s, Redis AOF: ${BENCH_AOF:-no}"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s bench/wrk_calls.lua \
    "http://127.0.0.1:$hport" | sed 's/^/  /'
created=$(redis-cli -p "$rport" XLEN 'np:{city}:s:incidents')
echo "  incidents created in Redis: $created ($((created / SECS)) /s)"
echo "@@ intake, AOF ${BENCH_AOF:-no} | $((created / SECS)) new incidents/s (wrk -c$CONNS) | -- | --"
echo "  non-2xx answers: see 'Non-2xx' above (none expected)"
echo "== Redis ceiling on this machine (redis-benchmark, EVAL-free XADD, pipelined 16)"
redis-benchmark -p "$rport" -q -n 200000 -P 16 XADD bench:s '*' msg x \
    | tr '\r' '\n' | tail -1 | sed 's/^/  /'
