#!/bin/sh
# make bench: every benchmark of issue 5 in one run, each printing its
# figures beside its target, then one table (bench | figure | target |
# met?) on stdout and in $BUILD/bench-results.txt.  Each benchmark prints
# its table rows as lines "@@ bench | figure | target | met"; a benchmark
# that fails gets a FAILED row.  Never fails on a timing.
#
# usage: scripts/bench.sh [BUILD_DIR]     (default build-bench)
# env:   BENCH_ONLY="geo loop ..."  a subset (geo route intake loop
#        latency clock positions); the benchmarks' own BENCH_* settings.
set -eu
BUILD=${1:-build-bench}
PY=/usr/bin/python3
BIN=$BUILD/bin
ONLY=${BENCH_ONLY:-geo route intake loop latency clock positions}
rows=$(mktemp)
out=$(mktemp)
trap 'rm -f "$rows" "$out"' EXIT

wanted() {
	case " $ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

# run NAME CMD...: its output shown, its @@ rows kept, a failure noted
run() {
	name=$1
	shift
	echo "== $name: $*"
	rc=0
	"$@" >"$out" 2>&1 || rc=$?
	grep -v '^@@ ' "$out" || true
	grep '^@@ ' "$out" | sed 's/^@@ //' >>"$rows" || true
	if [ "$rc" -ne 0 ]; then
		echo "$name | FAILED (exit $rc; output above) | -- | NO" >>"$rows"
	fi
}

wanted geo && run geo "$BIN/bench_geo"
wanted route && run route "$BIN/bench_route"
if wanted intake; then
	run intake ./bench/intake.sh "$BUILD"
	run intake-aof env BENCH_AOF=always ./bench/intake.sh "$BUILD"
fi
wanted loop && run loop "$PY" bench/loop_throughput.py "$BIN"
wanted latency && run latency "$PY" bench/dispatch_latency.py "$BIN"
# clock: BENCH_DEADLINES (1000000) marks coming due over BENCH_WINDOW_S
wanted clock && run clock "$PY" bench/clock.py "$BIN"
# positions: BENCH_UNITS (500) units streaming POS for BENCH_SECONDS (10)
wanted positions && run positions "$PY" bench/positions.py "$BIN"

{
	echo "nearpost make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n)"
	echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1)," \
	    "$(nproc) cores; load average before the table:" \
	    "$(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	awk -F' [|] ' '
	    BEGIN { print "bench | figure | target | met?"
		    print "--- | --- | --- | ---" }
	    { printf "%s | %s | %s | %s\n", $1, $2, $3, $4 }' "$rows"
} >"$BUILD/bench-results.txt"
echo
echo "== results (also in $BUILD/bench-results.txt)"
cat "$BUILD/bench-results.txt"
