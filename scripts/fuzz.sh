#!/bin/sh
# make fuzz: build every tests/fuzz/fuzz_*.c with clang (libFuzzer, ASan,
# UBSan) and run each for FUZZ_SECONDS on a scratch copy of its seed
# corpus (tests/fuzz/corpus/NAME).  --smoke runs only the seeds, once:
# that is what make test does.
set -eu
B=${FUZZBUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
cmake -S . -B "$B" -DNP_FUZZ=ON -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" -j"$(nproc)" >/dev/null
status=0
for bin in "$B"/bin/fuzz_*; do
	name=${bin##*/fuzz_}
	seeds=tests/fuzz/corpus/$name
	[ -d "$seeds" ] || { echo "fuzz_$name: no seed corpus at $seeds" >&2; exit 1; }
	if [ "${1:-}" = "--smoke" ]; then
		if "$bin" -runs=0 "$seeds" >"$B/fuzz_$name.log" 2>&1; then
			echo "fuzz_$name: $(ls "$seeds" | wc -l) seeds ok"
		else
			tail -30 "$B/fuzz_$name.log"; status=1
		fi
		continue
	fi
	work=$(mktemp -d)
	echo "fuzz_$name: ${SECONDS_EACH}s"
	if "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
	    -artifact_prefix="$B/fuzz_$name-" "$work" "$seeds" \
	    >"$B/fuzz_$name.log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^stat::peak_rss' \
		    "$B/fuzz_$name.log" | sed "s/^/  /"
	else
		tail -40 "$B/fuzz_$name.log"; status=1
	fi
	rm -rf "$work"
done
exit $status
