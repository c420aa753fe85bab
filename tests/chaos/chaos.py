#!/usr/bin/python3
"""Chaos: the whole loop under steady load while its processes are killed.

Redis (append-only, fsync always, each service logged in as its own ACL
user) and every service -- intake, router, commander, radiogw, tracker,
feedback, dashboard -- as the integration
tests run them (tests/integration/loop.py), every unit of the city on the
air as a scripted unit (units.py), calls posted at a steady rate and
retried with the same call_id until accepted (driver.py).  Meanwhile a
seeded schedule (monkey.py) kills each service with SIGKILL `--kills`
times and Redis once, at random moments, restarting each after a random
pause.  A sampler checks every half second that no unit holds two live
orders (harness.INVARIANT, one atomic look).  Then the load stops, the
loop drains, and checks.py judges what Redis recorded: calls accepted vs
incidents (none lost, none doubled), units dispatched twice at once,
incidents stuck open, deadlines fired twice or not at all.  A summary
table is printed; the exit status is 0 only when every count is zero.

  chaos.py [--seconds N] [--rate CALLS_PER_S] [--kills K] [--seed S]
  chaos.py --short        (CTest: ~60 s of chaos, each service once)

The seed (option, else $CHAOS_SEED, else random) is printed first: the
same seed gives the same schedule of kills, pauses, places and types.
Marks are shortened (track.mark1_s..3_s) so they come due within the
run, and the commander's ack deadline too, so orders sent while the
gateway is down time out and go to the next candidate.  On failure the
logs and Redis' files are kept and their directory printed.
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))

from checks import Snapshot, check  # noqa: E402
from driver import Driver  # noqa: E402
from harness import INVARIANT, load_city, wait_until  # noqa: E402
from loop import Loop  # noqa: E402
from monkey import Monkey  # noqa: E402
from units import start_units  # noqa: E402

SERVICES = ("intake", "router", "commander", "radiogw", "tracker",
            "feedback", "dashboard")
MARKS = {"track.mark1_s": 3, "track.mark2_s": 6, "track.mark3_s": 9}
STEP_S = 1


def options():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--short", action="store_true",
                   help="the CTest version: 60 s, one kill per service")
    a.add_argument("--seconds", type=float, default=360.0,
                   help="how long the kills go on (load as long)")
    a.add_argument("--rate", type=float, default=5.0, help="calls per s")
    a.add_argument("--kills", type=int, default=3,
                   help="SIGKILLs per service")
    a.add_argument("--drain", type=float, default=60.0,
                   help="most seconds to wait for the loop to settle")
    a.add_argument("--seed", type=int,
                   default=int(os.environ.get("CHAOS_SEED", "0")) or None)
    o = a.parse_args()
    if o.short:
        o.seconds, o.kills, o.rate, o.drain = 60.0, 1, 4.0, 40.0
    if o.seed is None:
        o.seed = random.SystemRandom().randrange(1, 1 << 31)
    return o


def settings():
    return {
        "tracker": dict(MARKS, **{"track.step_s": STEP_S}),
        "dashboard": dict(MARKS),
        "commander": {"command.ack_timeout_ms": 3000},
    }


class Sampler(threading.Thread):
    """The one-live-order invariant, every half second, while it runs."""

    def __init__(self, loop, stop):
        super().__init__(name="sampler", daemon=True)
        self.loop, self.stop = loop, stop
        self.violations, self.samples = [], 0

    def run(self):
        while not self.stop.wait(0.5):
            try:
                got = self.loop.redis_do("EVAL", INVARIANT, 0,
                                         self.loop.key(""))
            except (OSError, RuntimeError):
                continue                    # Redis being restarted
            self.samples += 1
            if got != "ok" and got not in self.violations:
                self.violations.append(got)


def drained(loop):
    """Every incident closed, no live order, no deadline left to fire."""
    r = loop.redis_do("EVAL", """
      local open = 0
      for _, k in ipairs(redis.call('KEYS', ARGV[1] .. 'inc:*')) do
        if not string.find(k, ':', #ARGV[1] + 5, true) and
            redis.call('HGET', k, 'state') ~= 'closed' then
          open = open + 1
        end
      end
      return {open, redis.call('ZCARD', ARGV[1] .. 'orders:ackdue'),
              redis.call('ZCARD', ARGV[1] .. 'marks:due')}""", 0,
                      loop.key(""))
    return r == [0, 0, 0]


def summary(o, monkey, driver, ustats, sampler, rep, secs):
    rows = [("seed", o.seed), ("chaos seconds", f"{o.seconds:.0f}"),
            ("wall seconds", f"{secs:.0f}"),
            ("call rate", f"{o.rate}/s")]
    rows += [(f"kills: {n}", f"{k} (down {monkey.downtime[n]:.1f}s)")
             for n, k in monkey.kills.items()]
    rows += [("calls posted", driver.sent),
             ("client retries", driver.retries),
             ("retry causes", " ".join(f"{k}={v}" for k, v in
                                       sorted(driver.errors.items()))),
             ("calls refused (4xx)", len(driver.refused)),
             ("calls given up", len(driver.given_up))]
    rows += list(rep.figures.items())
    rows += [("unit orders seen / cleared / dropped",
              f"{ustats.orders} / {ustats.cleared} / {ustats.dropped}"),
             ("unit reconnects", ustats.reconnects),
             ("unit logins refused", ustats.auth_failures),
             ("invariant samples", sampler.samples)]
    for kind in ("lost", "doubled", "unconfirmed", "dispatch", "stuck",
                 "marks"):
        rows.append((f"VIOLATIONS {kind}", rep.count(kind)))
    w = max(len(k) for k, _ in rows)
    print("\n" + "=" * (w + 30))
    for k, v in rows:
        print(f"{k:<{w}}  {v}")
    print("=" * (w + 30))
    for kind, lst in rep.violations.items():
        for text in lst[:20]:
            print(f"  {kind}: {text}")
        if len(lst) > 20:
            print(f"  {kind}: ... {len(lst) - 20} more")


def keep(loop, seed):
    """Logs and Redis' files of a failed run, kept for a look."""
    out = tempfile.mkdtemp(prefix=f"np-chaos-{seed}-")
    for name in os.listdir(loop.run_dir):
        if name.endswith(".log"):
            shutil.copy(os.path.join(loop.run_dir, name), out)
    shutil.copytree(loop.redis.dir, os.path.join(out, "redis"),
                    dirs_exist_ok=True)
    return out


def sanitizer_reports(out):
    bad = []
    for name, (rc, log) in out.items():
        if rc != 0 or "runtime error" in log or "Sanitizer" in log:
            bad.append(f"{name} exited {rc}: {log[-1500:]}")
    return bad


def main():
    o = options()
    print(f"chaos: seed {o.seed} (CHAOS_SEED={o.seed} repeats it); "
          f"{o.seconds:.0f}s, {o.rate}/s, {o.kills} kill(s) per service",
          flush=True)
    t0 = time.monotonic()
    loop = Loop(dashboard=True, feedback=True, tracker=True, acl=True,
                settings=settings())
    loop.t_start = t0
    stop = threading.Event()
    ok = False
    try:
        _, units = load_city()
        threads, ustats = start_units(loop, units, o.seed, stop)
        wait_until(lambda: all(t.online.is_set() for t in threads),
                   timeout=30, interval=0.2,
                   what=f"every unit on the air ({ustats.auth_failures} "
                   "refused logins)")
        sampler = Sampler(loop, stop)
        sampler.start()
        driver = Driver(loop, o.rate, o.seed).start()
        monkey = Monkey(loop, SERVICES, o.kills, o.seconds, o.seed)
        monkey.start()
        wait_until(lambda: time.monotonic() - t0 > o.seconds and
                   not monkey.is_alive(), timeout=o.seconds + 300,
                   interval=0.5, what="the chaos schedule")
        driver.finish()
        print(f"chaos: load stopped at t+{time.monotonic() - t0:.0f}s, "
              "draining", flush=True)
        try:
            wait_until(lambda: drained(loop), timeout=o.drain,
                       interval=0.5, what="the loop drained")
        except AssertionError as e:
            print(f"chaos: {e}", flush=True)
        snap = Snapshot(loop, driver.accepted)
        stop.set()
        sampler.join(5)
        for t in threads:
            t.join(5)
        rep = check(snap, sampler.violations, monkey.outages)
        for f in monkey.failures:
            rep.bad("restart", f)
        for cid, st, body in driver.refused:
            rep.bad("refused", f"{cid}: {st} {body}")
        for line in ustats.unexpected:
            rep.bad("unit", line)
        summary(o, monkey, driver, ustats, sampler, rep,
                time.monotonic() - t0)
        ok = not rep.violations and not driver.given_up
    finally:
        stop.set()
        if not ok:
            print(f"chaos: logs and Redis files kept in {keep(loop, o.seed)}")
        bad = sanitizer_reports(loop.close())
        for b in bad:
            print(f"chaos: {b}")
        ok = ok and not bad
    print("chaos: PASS" if ok else "chaos: FAIL", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
