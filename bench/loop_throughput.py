#!/usr/bin/python3
"""Loop throughput: the whole loop, intake -> router -> commander ->
radiogw -> units (ACK, ONSCENE, CLEAR at once) -> tracker -> feedback
closes, at the highest rate it sustains without loss.

Starts redis-server (no persistence: the ceiling of the loop, not of the
disk; bench/intake.sh measures fsync-always) and the real tracker,
feedback, router, commander, radiogw and intake (tests/integration/
loop.py) on deploy/city with every unit BENCH_UNIT_COPIES (10) times
(benchenv.bench_city: 92 units all busy at once would bound the loop,
not the services), every unit on the air as a fast unit, merges off
(merge.radius_m 0: every call is an incident), a fresh loop per step.
It offers calls at rising rates (BENCH_LOOP_RATES, doubling),
BENCH_LOOP_SECONDS each, then BENCH_LOOP_BISECT (2) halvings between the
last rate sustained and the first one not.  A step is sustained when every accepted call's
incident is closed (s:closed) within BENCH_LOOP_DRAIN seconds after it
(the units stay connected that long),
no consumer group holds a backlog then (XINFO GROUPS lag + pending), and
at least 90 % of the offered rate was accepted.  The driver is
tools/npsim (C) when built, else bench/pydrive.py (python, a floor).

The same run measures Redis' own ceiling: redis-benchmark, pipelined
XADD of a 256-byte entry, and prints our incidents/s as a ratio of it;
and per step, the CPU seconds each process spent per 1,000 incidents and
the Redis commands per incident (INFO commandstats: commands run inside
scripts included) -- where the time goes.

Prints figures beside the target, never fails on them; the last line is
`@@ loop throughput | ...` for scripts/bench.sh's table.
usage: loop_throughput.py BIN_DIR
"""
import json
import os
import re
import subprocess
import time

import benchenv  # noqa: F401,E402  (NP_* and sys.path first)

from benchenv import (COPIES, auth_headers, bench_loop,  # noqa: E402
                      close_loop, cpu_s, npsim_run, result_line)
import pydrive  # noqa: E402

RATES = [int(r) for r in os.environ.get(
    "BENCH_LOOP_RATES", "100,200,400,800,1600,3200,6400,12800").split(",")]
SECS = float(os.environ.get("BENCH_LOOP_SECONDS", "10"))
DRAIN = float(os.environ.get("BENCH_LOOP_DRAIN", "20"))
BISECT = int(os.environ.get("BENCH_LOOP_BISECT", "2"))
TARGET = 10000
P = "np:{city}:"
STREAMS = ("incidents", "routes", "orders", "status", "escalations",
           "closed")


def redis_ceiling(port):
    """redis-benchmark: pipelined XADD (-P 64) of a 256-byte msg -> /s."""
    n = int(os.environ.get("BENCH_REDIS_N", "1000000"))
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-P", "64", "-n", str(n), "-q",
         "XADD", "bench:ceiling", "*", "msg", "x" * 256],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    found = re.findall(r"([\d.]+) requests per second", out)
    return float(found[-1]) if found else 0.0


def backlog(db):
    """{stream/group: lag + pending} over the loop's consumer groups."""
    out = {}
    for s in STREAMS:
        try:
            groups = db("XINFO", "GROUPS", P + "s:" + s)
        except RuntimeError:
            continue
        for g in groups:
            d = dict(zip(g[::2], g[1::2]))
            out[f"{s}/{d['name']}"] = int(d.get("pending") or 0) + \
                int(d.get("lag") or 0)
    return out


def cmdstats(db):
    """{command: (calls, usec)} from INFO commandstats."""
    text = db("INFO", "commandstats")
    return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in
            re.finditer(r"cmdstat_([\w|]+):calls=(\d+),usec=(\d+)", text)}


def per_incident(cmd0, cmd1, n, field):
    """Calls (field 0) or usec (1) per incident, biggest first."""
    d = {k: (v[field] - cmd0.get(k, (0, 0))[field]) for k, v in
         cmd1.items() if k != "info"}
    floor = n // 10 if field == 0 else n
    return {k: round(v / n, 2) for k, v in
            sorted(d.items(), key=lambda kv: -kv[1]) if v >= floor}


def slowlog_on(db):
    """BENCH_SLOWLOG=1: every command into the slow log (script time by
    script), read back by slowlog_scripts."""
    if os.environ.get("BENCH_SLOWLOG") != "1":
        return False
    db("CONFIG", "SET", "slowlog-max-len", "2000000")
    db("CONFIG", "SET", "slowlog-log-slower-than", "0")
    db("SLOWLOG", "RESET")
    return True


def script_names():
    """{sha1: "svc/x.lua"} of services/*/*.lua as the build may embed
    them (np_embed_text ... PRELUDE: each prelude file and a newline in
    front): alone, after common/lua/text.lua (and orders.lua: close.lua),
    or after those and the service's lib.lua (the commander's and the
    tracker's scripts)."""
    import glob
    import hashlib
    out = {}

    def lua(name):
        return open(os.path.join(benchenv.SRC, "common/lua", name),
                    "rb").read() + b"\n"
    text = lua("text.lua")
    preludes = (text, text + lua("orders.lua"))
    for f in glob.glob(os.path.join(benchenv.SRC, "services/*/*.lua")):
        svc, name = f.split(os.sep)[-2:]
        body = open(f, "rb").read()
        lib = os.path.join(os.path.dirname(f), "lib.lua")
        heads = [b""] + ([p + open(lib, "rb").read() for p in preludes]
                         if os.path.exists(lib) else [])
        for h in heads:
            for b in (body,) + tuple(p + body for p in preludes):
                for sep in (b"", b"\n"):
                    out[hashlib.sha1(h + sep + b).hexdigest()] = \
                        f"{svc}/{name}"
    return out


def slowlog_scripts(db, n):
    """({script: usec per incident}, {script: calls per incident}) of
    EVALSHA (and EVAL: a script's first call)."""
    db("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    out, calls, names = {}, {}, script_names()
    for e in db("SLOWLOG", "GET", "-1"):
        args = e[3]
        if not args or args[0].lower() not in ("evalsha", "eval"):
            continue
        name = names.get(args[1], args[1][:7])
        out[name] = out.get(name, 0) + int(e[2])
        calls[name] = calls.get(name, 0) + 1
    db("SLOWLOG", "RESET")
    return ({k: round(v / n, 1) for k, v in
             sorted(out.items(), key=lambda kv: -kv[1])},
            {k: round(calls[k] / n, 3) for k in out})


def pids(loop):
    out = {n: s.proc.pid for n, s in loop.services.items()}
    out["redis"] = loop.redis.proc.pid
    return out


def step(loop, db, rate):
    closed0 = db("XLEN", P + "s:closed")
    cmd0, procs, slow = cmdstats(db), pids(loop), slowlog_on(db)
    cpu0 = {n: cpu_s(p) for n, p in procs.items()}
    # the units stay on the air through the drain: a tier left unfilled
    # (its eight candidates all busy at once) is tried again one ack
    # timeout later and must find them there -- units leaving the city
    # early would be counted as the services' loss
    ans = npsim_run(loop, rate, SECS, drain_s=DRAIN) or pydrive.drive(
        loop, rate, SECS, auth_headers(loop))
    deadline = time.monotonic() + DRAIN
    while time.monotonic() < deadline:
        closed = db("XLEN", P + "s:closed") - closed0
        if closed >= ans["accepted"] and not any(backlog(db).values()):
            break
        time.sleep(0.1)
    ans["closed"] = db("XLEN", P + "s:closed") - closed0
    ans["backlog"] = {k: v for k, v in backlog(db).items() if v}
    n = max(ans["accepted"], 1)
    ans["cpu_ms_per_1000"] = {k: round((cpu_s(p) - cpu0[k]) * 1e6 / n, 1)
                              for k, p in procs.items()}
    if "driver_cpu_s" in ans:
        ans["cpu_ms_per_1000"]["driver"] = round(
            ans["driver_cpu_s"] * 1e6 / n, 1)
    cmd1 = cmdstats(db)
    ans["redis_cmds_per_incident"] = per_incident(cmd0, cmd1, n, 0)
    ans["redis_usec_per_incident"] = per_incident(cmd0, cmd1, n, 1)
    if slow:
        (ans["script_usec_per_incident"],
         ans["script_calls_per_incident"]) = slowlog_scripts(db, n)
    ans["offered"] = rate
    ans["sustained"] = (ans["closed"] >= ans["accepted"] > 0 and
                        not ans["backlog"])
    return ans


def fresh_step(rate, first=None):
    """A step on a loop of its own: every unit available at the start, as
    Redis is seeded (a driver that leaves takes its units offline, and
    calls then would find none free); first(loop, db) runs before."""
    loop = bench_loop()
    try:
        db = loop.redis.client()
        out = first(loop, db) if first else None
        ans = step(loop, db, rate)
        print(f"  offered {rate}/s: " + json.dumps(ans), flush=True)
        return ans, out
    finally:
        close_loop(loop)


def ceiling_of(loop, db):
    c = redis_ceiling(loop.redis.port)
    db("DEL", "bench:ceiling")
    return c


def main():
    best, steps, failed, ceiling = None, [], None, 0.0
    for rate in RATES:
        ans, c = fresh_step(rate, None if steps else ceiling_of)
        if not steps:
            ceiling = c
        steps.append(ans)
        if not ans["sustained"] or ans["rate"] < 0.9 * rate:
            failed = rate       # lost calls, or the driver saturated
            break
        best = ans
    for _ in range(BISECT if failed and best else 0):
        rate = (best["offered"] + failed) // 2
        ans, _ = fresh_step(rate)
        steps.append(ans)
        if ans["sustained"] and ans["rate"] >= 0.9 * rate:
            best = ans
        else:
            failed = rate
    got = best["rate"] if best else 0.0
    driver = steps[-1]["driver"] if steps else "?"
    print(f"loop: whole loop intake -> close, {driver} driver, "
          f"{92 * COPIES} fast units (deploy/city's x {COPIES}), Redis "
          "without persistence on the same machine")
    print(f"  highest rate without loss: {got:.0f} incidents/s "
          f"(target >= {TARGET}); Redis pipelined XADD ceiling "
          f"{ceiling:.0f}/s; ratio {got / ceiling if ceiling else 0:.4f}")
    if best:
        print("  CPU ms per 1,000 incidents at that rate: " +
              json.dumps(best["cpu_ms_per_1000"]))
        print("  Redis commands per incident: " +
              json.dumps(best["redis_cmds_per_incident"]))
    result_line("loop throughput", f"{got:.0f} incidents/s "
                f"({got / ceiling if ceiling else 0:.3f} of Redis XADD "
                f"{ceiling / 1000:.0f}k/s, {driver} driver)",
                f">= {TARGET}/s", got >= TARGET)


if __name__ == "__main__":
    main()
