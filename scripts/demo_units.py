#!/usr/bin/python3
"""make demo's field units: every unit of the sample city on the radio
(tests/integration/radio_unit.RadioUnit), each acknowledging an order,
going en route, on scene and clearing after a short while, printing what
it does.  The full simulator (npsim: travel, delays, declines, drops)
replaces this.  usage: demo_units.py RADIO_PORT SECONDS
"""
import os
import sys
import threading
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
from radio_unit import Closed, RadioUnit  # noqa: E402
from harness import load_city  # noqa: E402

PORT, SECS = int(sys.argv[1]), float(sys.argv[2])
KEYS = dict(line.split() for line in open(os.path.join(
    SRC, "deploy", "city", "units.keys")) if line.strip()
    and not line.startswith("#"))
out = threading.Lock()


def say(msg):
    with out:
        print(time.strftime("%H:%M:%S"), msg, flush=True)


def life(u, end):
    r = RadioUnit(PORT, u["id"], KEYS[u["id"]], timeout=3)
    try:
        r.connect()
        if r.auth().kind != "OK":
            say(f"{u['id']}: not let in")
            return
        while time.monotonic() < end:
            try:
                o = r.wait_order(timeout=min(1.0, end - time.monotonic()))
            except TimeoutError:
                continue
            who = f"{u['callsign']:<8} ({u['kind']})"
            say(f"{who} ORDER {o.order_id}: {o.type}, tier {o.tier}")
            r.ack(o.order_id)
            say(f"{who} ACK")
            time.sleep(0.5)         # the unit's own pace
            r.enroute(o.order_id)
            r.onscene(o.order_id)
            say(f"{who} ON SCENE")
            time.sleep(1.0)
            r.clear(o.order_id, "resolved")
            say(f"{who} CLEAR resolved")
    except (Closed, OSError, TimeoutError) as e:
        say(f"{u['id']}: radio link lost ({e})")
    finally:
        r.close()


def main():
    _, units = load_city()
    end = time.monotonic() + SECS
    threads = [threading.Thread(target=life, args=(u, end), daemon=True)
               for u in units]
    for t in threads:
        t.start()
    say(f"{len(units)} units on the radio at 127.0.0.1:{PORT}")
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
