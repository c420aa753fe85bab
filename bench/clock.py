#!/usr/bin/python3
"""Clock: many open incidents with their deadlines in the real tracker.

Starts redis-server (no persistence) and the real tracker (ladder of one
step, so each mark fires once), then arms BENCH_DEADLINES (default
1,000,000) tier-1 marks the way the router does: route.decided entries on
s:routes, which the tracker's arm.lua turns into marks:due members.  A
first small batch (due in a day, never fired here) measures the arming
rate; the rest are armed so that they come due uniformly over
BENCH_WINDOW_S seconds, starting once arming is done.  Figures:

  * lateness of firing: ts of each mark.missed on s:escalations (the
    tracker's clock when it sent fire.lua) minus the mark's due, p50/p99;
  * memory: tracker RSS (/proc/<pid>/status VmRSS) before and after
    arming, and Redis used_memory per open deadline (s:routes trimmed to
    nothing first, so only marks:due and the mark:<id> hashes count).

Prints figures beside the targets, never fails on them.
usage: clock.py BIN_DIR   (env BENCH_DEADLINES, BENCH_WINDOW_S)
"""
import os
import re
import tempfile
import time

import benchenv  # noqa: F401,E402  (NP_* and sys.path first)

from benchenv import result_line  # noqa: E402

from harness import Redis, Service, wait_until  # noqa: E402

N = int(os.environ.get("BENCH_DEADLINES", "1000000"))
WINDOW_S = float(os.environ.get("BENCH_WINDOW_S", "60"))
P = "np:{city}:"
CHUNK = 5000


def pct(xs, p):
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else 0


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def used_memory(db):
    info = db("INFO", "memory")
    return int(re.search(r"used_memory:(\d+)", info).group(1))


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def route_decided(i, due):
    t0 = due - 60000
    return ('{"type":"route.decided","v":1,"ts":%d,"src":"bench",'
            '"incident_id":"B%07d","t0":%d,"incident_type":"theft",'
            '"post":{"id":"P-1"},"tiers":[{"tier":1,"deadline_s":60}]}'
            % (t0, i, t0))


def add_routes(db, first, dues):
    """XADD a route.decided per due (ms), pipelined CHUNK at a time."""
    for at in range(0, len(dues), CHUNK):
        part = dues[at:at + CHUNK]
        db.sock.sendall(b"".join(
            resp("XADD", P + "s:routes", "*", "msg",
                 route_decided(first + at + k, d))
            for k, d in enumerate(part)))
        for _ in part:
            db._read()


def armed(db, want, timeout):
    wait_until(lambda: db("ZCARD", P + "marks:due") >= want,
               timeout=timeout, interval=0.05, what=f"{want} marks armed")


def lateness(db):
    """[ms late] of every mark.missed on s:escalations, sorted."""
    out, after = [], "-"
    pat = re.compile(r'"due":(\d+).*"type":"mark\.missed"|'
                     r'"type":"mark\.missed".*"due":(\d+)')
    ts_pat = re.compile(r'"ts":(\d+)')
    while True:
        got = db("XRANGE", P + "s:escalations", after, "+", "COUNT", 10000)
        if not got:
            break
        for _, fields in got:
            m = pat.search(fields[1])
            if m:
                due = int(m.group(1) or m.group(2))
                out.append(int(ts_pat.search(fields[1]).group(1)) - due)
        after = "(" + got[-1][0]
    out.sort()
    return out


def main():
    run_dir = tempfile.mkdtemp(prefix="np-bench-clock-")
    redis = Redis(appendonly=False).start()
    tracker = Service("tracker", {
        "redis.port": redis.port, "run.dir": run_dir,
        "track.ladder": "redispatch", "log.level": "warn"}, run_dir)
    try:
        tracker.start()
        db = redis.client()
        wait_until(lambda: db("EXISTS", P + "s:routes") == 1, timeout=20,
                   what="tracker's consumer group on s:routes")
        time.sleep(0.5)         # let the tracker settle before measuring
        pid = tracker.proc.pid
        rss0, mem0 = rss_kb(pid), used_memory(db)

        calib = max(1, min(5000, N // 20))
        far = int(time.time() * 1000) + 86400000
        start = time.monotonic()
        add_routes(db, 0, [far] * calib)
        armed(db, calib, 120)
        rate = calib / (time.monotonic() - start)
        rest = N - calib
        # the window opens once arming and the memory measurements below
        # (MEMORY USAGE over the whole zset blocks Redis) are surely done
        w0 = int(time.time() * 1000 + (rest / rate * 1.5 + 10) * 1000)
        step = WINDOW_S * 1000.0 / max(rest, 1)
        add_routes(db, calib, [w0 + int(k * step) for k in range(rest)])
        armed(db, N, max(600, rest / rate * 4))
        arm_s = time.monotonic() - start
        rss1 = rss_kb(pid)
        db("XTRIM", P + "s:routes", "MAXLEN", 0)
        mem1 = used_memory(db)
        zmem = db("MEMORY", "USAGE", P + "marks:due", "SAMPLES", 0)
        hmem = db("MEMORY", "USAGE", P + "mark:B%07d" % (N - 1))
        late_start = int(time.time() * 1000) - w0

        wait_until(lambda: db("ZCARD", P + "marks:due") <= calib,
                   timeout=WINDOW_S + 600, interval=0.1,
                   what="every mark in the window fired")
        rss2 = rss_kb(pid)
        late = lateness(db)
    finally:
        tracker.stop()
        redis.cleanup()
    print(f"clock: {N} open deadlines (tier-1 marks) in the real tracker, "
          f"{len(late)} fired over {WINDOW_S:.0f} s "
          f"({len(late) / WINDOW_S:.0f}/s due)")
    print(f"  armed through s:routes in {arm_s:.1f} s "
          f"({N / arm_s:.0f} route.decided/s)"
          + (f"; WARNING: arming and measuring ended {late_start} ms "
             "after the window opened" if late_start > 0 else
             f"; window opened {-late_start} ms later"))
    print(f"  lateness of firing: p50 {pct(late, 50)} ms, p99 "
          f"{pct(late, 99)} ms, max {late[-1] if late else 0} ms"
          "   (target: p99 <= 20 ms)")
    print(f"  tracker RSS: {rss0} kB before, {rss1} kB armed, {rss2} kB "
          f"after firing: {(rss1 - rss0) * 1024 / N:.1f} bytes per open "
          "deadline   (target: <= 300 bytes)")
    print(f"  Redis used_memory: {(mem1 - mem0) / N:.0f} bytes per open "
          f"deadline (marks:due {zmem / N:.0f} B each + mark:<id> hash "
          f"{hmem} B) -- the deadlines live in Redis, not in the tracker")
    p99 = pct(late, 99)
    result_line("clock lateness", f"p99 {p99} ms over {len(late)} fired "
                f"of {N} open", "p99 <= 20 ms", late and p99 <= 20)
    per = (rss1 - rss0) * 1024 / N
    result_line("clock memory", f"tracker {per:.1f} B + Redis "
                f"{(mem1 - mem0) / N:.0f} B per open deadline",
                "<= 300 B per deadline", per + (mem1 - mem0) / N <= 300)


if __name__ == "__main__":
    main()
