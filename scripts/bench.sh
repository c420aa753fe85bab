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
