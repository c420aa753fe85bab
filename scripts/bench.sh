#!/bin/sh
# make bench: every benchmark, each printing its figures beside its target.
set -eu
BUILD=${1:-build-bench}
for b in "$BUILD"/bin/bench_*; do
	[ -x "$b" ] || continue
	echo "== ${b##*/}"
	"$b"
done
./bench/intake.sh "$BUILD"
BENCH_AOF=always ./bench/intake.sh "$BUILD"
/usr/bin/python3 bench/dispatch_latency.py "$BUILD/bin" "${BENCH_RATE:-200}" "${BENCH_SECONDS:-10}"
# clock: BENCH_DEADLINES (default 1000000) marks coming due over BENCH_WINDOW_S
/usr/bin/python3 bench/clock.py "$BUILD/bin"
# positions: BENCH_UNITS (500) units streaming POS for BENCH_SECONDS (10)
/usr/bin/python3 bench/positions.py "$BUILD/bin"
