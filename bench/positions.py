#!/usr/bin/python3
"""Positions: reports per second through radiogw into the router's index.

Starts redis-server and the real router and radiogw on a generated city
of BENCH_UNITS units (default 500) in a private directory, with the
gateway's per-connection rate limit raised out of the way.  Every unit
authenticates, then streams POS lines for BENCH_SECONDS (default 10) as
fast as the gateway answers them (at most WINDOW lines unanswered per
connection), from BENCH_CLIENTS processes (default 2).  Counted at the
router: its exit line "positions N" (reports that moved a unit in its
index); the gateway's own count is printed beside it (the units bus is
PUB/SUB: a frame the router is too slow for is dropped, not queued).

Prints figures beside the target, never fails on them.
usage: positions.py BIN_DIR
"""
import os
import re
import resource
import selectors
import socket
import tempfile
import time

import benchenv  # noqa: F401,E402  (NP_* and sys.path first)

from benchenv import cpu_s, result_line  # noqa: E402

from harness import (Redis, Service, free_port, nn_request, offset,  # noqa
                     wait_until, write_city)
from radio_unit import RadioUnit  # noqa: E402

NUNITS = int(os.environ.get("BENCH_UNITS", "500"))
SECS = float(os.environ.get("BENCH_SECONDS", "10"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "2"))
WINDOW = 128            # POS lines in flight per connection
BURST = 32              # lines per send
LAT, LON = 31.2304, 121.4737


def city(run_dir):
    posts = [(f"P-{p}", f"Post {p}", "station", "D1",
              *offset(LAT, LON, north_m=300 * (p % 10), east_m=300 * p))
             for p in range(10)]
    units = [(f"U-{n:04d}", f"C{n}", "guard", f"P-{n % 10}",
              *offset(LAT, LON, north_m=5 * (n % 100), east_m=5 * n))
             for n in range(NUNITS)]
    paths = write_city(run_dir, posts, units)
    keys = os.path.join(run_dir, "units.keys")
    with open(keys, "w") as f:
        f.write("# unit key\n" + "".join(
            f"U-{n:04d} benchkey{n:06d}xxxxxxxxxxxxxxxx\n"
            for n in range(NUNITS)))
    return paths, keys, units


def burst(lat, lon):
    return b"".join(b"POS %.7f %.7f\r\n" % offset(lat, lon, north_m=k)
                    for k in range(BURST))


def stream(port, units, start, until):
    """One client process: AUTH every unit, then POS from start to until."""
    sel = selectors.DefaultSelector()
    for uid, _, _, _, lat, lon in units:
        r = RadioUnit(port, uid, "benchkey%06dxxxxxxxxxxxxxxxx"
                      % int(uid[2:])).connect()
        if r.auth().kind != "OK":       # the challenge login of RADIO.md
            raise SystemExit(f"{uid}: AUTH refused")
        s = r.sock
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE,
                     [burst(lat, lon), 0])
    time.sleep(max(0.0, start - time.time()))
    rw = selectors.EVENT_READ | selectors.EVENT_WRITE
    while time.time() < until:
        for key, ev in sel.select(0.1):
            s, st = key.fileobj, key.data
            if ev & selectors.EVENT_READ:
                st[1] -= s.recv(65536).count(b"\n")
            if ev & selectors.EVENT_WRITE and st[1] + BURST <= WINDOW:
                s.sendall(st[0])
                st[1] += BURST
            # wait for writability only with room in the window: a
            # socket is nearly always writable, and selecting on it
            # with a full window spun the client on a core of its own,
            # taken from the gateway and the router
            want = rw if st[1] + BURST <= WINDOW else selectors.EVENT_READ
            if want != key.events:
                sel.modify(s, want, st)
    for key in list(sel.get_map().values()):
        key.fileobj.close()


def listening(port):
    with socket.create_connection(("127.0.0.1", port), 1):
        return True


def last_count(text, what):
    found = re.findall(what + r" (\d+)", text)
    return int(found[-1]) if found else 0


def main():
    run_dir = tempfile.mkdtemp(prefix="np-bench-pos-")
    (posts, units_path), keys, units = city(run_dir)
    redis = Redis(appendonly=False).start()
    port = free_port()
    common = {"redis.port": redis.port, "run.dir": run_dir,
              "city.posts": posts, "city.units": units_path,
              "city.keys": keys, "log.level": "info"}
    router = Service("router", dict(common), run_dir)
    gw = Service("radiogw", dict(common, **{
        "radio.port": port, "radio.max_lines_per_s": 1000000,
        "radio.max_outbuf": 1 << 20}), run_dir)
    try:
        router.start()
        wait_until(lambda: nn_request(f"ipc://{run_dir}/router.ipc",
                                      {"q": "post", "lat": LAT,
                                       "lon": LON}, timeout=1),
                   timeout=20, what="router answering")
        gw.start()
        wait_until(lambda: listening(port), timeout=20,
                   what="radiogw listening")
        time.sleep(0.5)         # the units bus connected
        start = time.time() + 3     # every unit authenticated by then
        until = start + SECS
        kids = []
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        for c in range(CLIENTS):
            pid = os.fork()
            if pid == 0:
                try:
                    stream(port, units[c::CLIENTS], start, until)
                finally:
                    os._exit(0)
            kids.append(pid)
        for pid in kids:
            os.waitpid(pid, 0)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        clients_cpu = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime -
                       ru0.ru_stime)
        time.sleep(0.5)         # the last frames reach the router
        router_cpu = cpu_s(router.proc.pid)
    finally:
        gw.stop()
        router.stop()
        redis.cleanup()
    at_router = last_count(router.log_text(), "positions")
    at_gw = last_count(gw.log_text(), "positions")
    print(f"positions: {NUNITS} units through radiogw into the router's "
          f"index, {CLIENTS} python client processes, ~{SECS:.0f} s")
    print(f"  router indexed {at_router} ({at_router / SECS:.0f}/s)   "
          "(target: >= 50,000/s)")
    print(f"  radiogw accepted {at_gw} ({at_gw / SECS:.0f}/s); "
          f"{at_gw - at_router} dropped on the units bus")
    print(f"  router CPU: {router_cpu:.2f} s, "
          f"{router_cpu * 1e6 / max(at_router, 1):.1f} us per indexed report"
          " (start-up included)")
    print(f"  client processes' CPU: {clients_cpu:.2f} s over "
          f"{SECS + 3:.0f} s (the two cores are shared)")
    result_line("positions", f"{at_router / SECS:.0f}/s into the router's "
                f"index ({at_gw / SECS:.0f}/s at radiogw)", ">= 50,000/s",
                at_router / SECS >= 50000)


if __name__ == "__main__":
    main()
