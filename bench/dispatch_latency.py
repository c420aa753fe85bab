#!/usr/bin/python3
"""Dispatch latency: call accepted -> order written on the unit's socket.

Starts redis-server and the real intake, router, commander and radiogw
(tests/integration/loop.py), puts every unit of the sample city on the air
as a scripted unit that acknowledges and clears at once, posts calls at a
steady rate for a while and prints p50/p90/p99 of

  * accepted -> ORDER: from intake's answer arriving at the call-taker to
    the ORDER line arriving at the unit (both clocks of this machine), and
  * t0 -> ORDER: from intake's own acceptance time t0 (ms) to the ORDER.

Figures only, never a pass/fail.  usage: dispatch_latency.py BIN_DIR
[RATE_PER_S] [SECONDS]
"""
import random
import sys
import threading
import time

import benchenv  # noqa: F401  (NP_SRC_DIR, NP_BIN_DIR, sys.path)
from harness import load_city, request  # noqa: E402
from loop import Loop  # noqa: E402
from radio_unit import Closed, RadioUnit  # noqa: E402

RATE = float(sys.argv[2]) if len(sys.argv) > 2 else 50.0
SECS = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else float("nan")


def main():
    loop = Loop(**{name: {"log.level": "warn"} for name in Loop.ORDER})
    _, units = load_city()
    stop = threading.Event()
    first_order = {}            # incident -> time.time() of its first ORDER
    lock = threading.Lock()

    def unit_life(u):
        r = RadioUnit(loop.radio_port, u["id"], loop.keys[u["id"]], timeout=5)
        try:
            r.connect()
            r.auth()
            while not stop.is_set():
                try:
                    o = r.wait_order(timeout=0.5)
                except TimeoutError:
                    continue
                t = time.time()
                with lock:
                    first_order.setdefault(o.incident_id, t)
                r.ack(o.order_id)
                r.clear(o.order_id, "resolved")
        except (Closed, OSError, TimeoutError):
            pass
        finally:
            r.close()

    threads = [threading.Thread(target=unit_life, args=(u,), daemon=True)
               for u in units]
    for t in threads:
        t.start()
    time.sleep(1.0)             # let every unit authenticate
    rnd = random.Random(1)
    accepted = {}               # incident -> (time.time() of 201, t0 ms)
    n = int(RATE * SECS)
    start = time.monotonic()
    for i in range(n):
        due = start + i / RATE
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = {"type": rnd.choice(["theft", "fraud", "vandalism"]),
                "location": {"lat": rnd.uniform(31.2228, 31.2372),
                             "lon": rnd.uniform(121.4595, 121.4805)}}
        status, _, ans = request(loop.intake_port, "POST", "/v1/calls", body)
        if status == 201 and not ans["merged"]:
            accepted[ans["incident_id"]] = (time.time(), ans["incident"]["t0"])
    sent_s = time.monotonic() - start
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with lock:
            if all(i in first_order for i in accepted):
                break
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(2)
    loop.close()
    a2o = [(first_order[i] - a) * 1000 for i, (a, _) in accepted.items()
           if i in first_order]
    t2o = [first_order[i] * 1000 - t0 for i, (_, t0) in accepted.items()
           if i in first_order]
    print(f"dispatch latency: {len(accepted)} new incidents at "
          f"{len(accepted) / sent_s:.0f}/s for {sent_s:.0f} s, "
          f"{len(units)} units on the air, "
          f"{len(accepted) - len(a2o)} without an order")
    for name, xs in (("accepted -> ORDER on the unit's socket", a2o),
                     ("intake t0 -> ORDER on the unit's socket", t2o)):
        print(f"  {name}: p50 {pct(xs, 50):.2f} ms, p90 {pct(xs, 90):.2f} ms,"
              f" p99 {pct(xs, 99):.2f} ms, max {max(xs):.2f} ms")
    print("  (scripted units in python on the same 2 cores; figures, not "
          "a test)")


if __name__ == "__main__":
    main()
