#!/usr/bin/python3
"""Dispatch latency: call accepted -> ORDER on the unit's socket, at a
steady rate (default 1,000 calls/s, BENCH_RATE) for BENCH_SECONDS (10).

Starts redis-server as `make up` runs it (append-only, fsync always;
BENCH_AOF=no for none) and the whole loop (tests/integration/loop.py,
tracker and feedback included) on deploy/city with every unit
BENCH_UNIT_COPIES (10) times, every unit on the air as a fast unit (ACK, ONSCENE, CLEAR at once, so units come free again).
The driver is tools/npsim's load mode when built (C: `--rate R
--fast-units`, one JSON line with p50/p90/p99 in microseconds), else
bench/pydrive.py (python on the same two cores, a floor: it tops out
near 500 calls/s).  Latency: from the 201 reaching the driver to the
ORDER line reaching the unit, both on this machine's clock.

Then, for each rate of BENCH_LATENCY_ALSO (default 500; '' for none),
the same on a fresh loop, printed as a line and as a table row of its
own marked '--' (information, not the target's figure): where the
targets' figures hold on this machine when 1,000/s is beyond it.

Prints figures beside the targets (p50 <= 1 ms, p99 <= 5 ms), never
fails on them.  usage: dispatch_latency.py BIN_DIR [RATE] [SECONDS]
"""
import json
import os
import sys

import benchenv  # noqa: F401,E402  (NP_* and sys.path first)

from benchenv import (auth_headers, bench_loop, close_loop,  # noqa: E402
                      npsim_run, result_line)
import pydrive  # noqa: E402

RATE = float(sys.argv[2]) if len(sys.argv) > 2 else \
    float(os.environ.get("BENCH_RATE", "1000"))
SECS = float(sys.argv[3]) if len(sys.argv) > 3 else \
    float(os.environ.get("BENCH_SECONDS", "10"))
AOF = os.environ.get("BENCH_AOF", "no") == "always"
ALSO = [float(r) for r in
        os.environ.get("BENCH_LATENCY_ALSO", "500").split(",") if r.strip()]


def measure(rate):
    """A fresh loop driven at rate for SECS -> (the driver's answer, p50,
    p90, p99 in ms, the rate accepted)."""
    loop = bench_loop(appendonly=AOF)
    try:
        ans = npsim_run(loop, rate, SECS) or pydrive.drive(
            loop, rate, SECS, auth_headers(loop))
    finally:
        close_loop(loop)
    p50, p90, p99 = (ans.get(k, 0) / 1000.0 for k in
                     ("p50_us", "p90_us", "p99_us"))
    return ans, p50, p90, p99, ans.get("rate", 0)


def also(rate):
    _, p50, p90, p99, got = measure(rate)
    held = got >= 0.95 * rate and p50 <= 1 and p99 <= 5
    print(f"  also at {rate:.0f}/s offered ({got:.0f}/s accepted): p50 "
          f"{p50:.2f} ms, p90 {p90:.2f} ms, p99 {p99:.2f} ms -- the "
          f"targets' figures {'hold' if held else 'do not hold'} at this "
          "rate")
    # a row of the table for information: the target is at 1,000/s
    print(f"@@ dispatch latency at {rate:.0f}/s | p50 {p50:.2f} ms, p99 "
          f"{p99:.2f} ms at {got:.0f}/s | (p50 <= 1, p99 <= 5 ms "
          f"{'hold' if held else 'do not hold'} here) | --")


def main():
    ans, p50, p90, p99, got = measure(RATE)
    print(f"dispatch latency: offered {RATE:.0f} calls/s for {SECS:.0f} s, "
          f"{ans.get('driver')} driver, Redis "
          f"{'append-only fsync always' if AOF else 'without persistence'}")
    print("  " + json.dumps(ans))
    print(f"  {ans.get('accepted', 0)} new incidents at {got:.0f}/s; "
          f"accepted -> ORDER on the unit's socket: p50 {p50:.2f} ms, "
          f"p90 {p90:.2f} ms, p99 {p99:.2f} ms   (target at 1,000/s: "
          "p50 <= 1 ms, p99 <= 5 ms)")
    steady = got >= 0.95 * RATE
    at = f"at {got:.0f}/s ({ans.get('driver')})"
    result_line("dispatch latency p50", f"{p50:.2f} ms {at}",
                "<= 1 ms at 1,000/s", steady and RATE >= 1000 and p50 <= 1)
    result_line("dispatch latency p99", f"{p99:.2f} ms {at}",
                "<= 5 ms at 1,000/s", steady and RATE >= 1000 and p99 <= 5)
    for rate in ALSO:
        also(rate)


if __name__ == "__main__":
    main()
