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
