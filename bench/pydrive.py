"""A load driver in python, for the loop benchmarks until (or where) the C
driver tools/npsim is not built: calls at a steady rate over keep-alive
HTTP connections to intake, and every unit of the city on the air as a
"fast" unit that answers each ORDER at once with ACK, ONSCENE and CLEAR
(all three lines in one write).  One thread, one selector: python on the
same two cores as the services, so it is the first bottleneck (~1,000
calls/s) -- its figures are floors, the C driver's are the measurement.

drive(loop, rate, seconds, headers) -> the same dict npsim prints as its
JSON line: accepted, merged, refused, orders, rate, latency of call
accepted -> ORDER on the unit's socket in microseconds.
"""
import json
import random
import selectors
import socket
import time

from harness import load_city  # noqa: E402
from radio_unit import RadioUnit  # noqa: E402

TYPES = ("theft", "fraud", "vandalism")     # one-tier plan ("minor")
BOX = (31.2228, 31.2372, 121.4595, 121.4805)
CONNS = 16


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else 0


class _Http:
    def __init__(self, port, headers):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.buf, self.busy = b"", False

    def post(self, body):
        data = json.dumps(body).encode()
        self.sock.sendall(b"POST /v1/calls HTTP/1.1\r\nHost: bench\r\n"
                          b"Content-Type: application/json\r\n"
                          b"%sContent-Length: %d\r\n\r\n%s"
                          % (self.head.encode(), len(data), data))
        self.busy = True

    def answers(self):
        """[(status, parsed body)] complete in the buffer."""
        out = []
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return out
            head = self.buf[:end].decode("latin-1").split("\r\n")
            clen = 0
            for h in head[1:]:
                k, _, v = h.partition(":")
                if k.strip().lower() == "content-length":
                    clen = int(v)
            if len(self.buf) < end + 4 + clen:
                return out
            body = self.buf[end + 4:end + 4 + clen]
            self.buf = self.buf[end + 4 + clen:]
            self.busy = False
            try:
                out.append((int(head[0].split()[1]), json.loads(body)))
            except ValueError:
                out.append((int(head[0].split()[1]), {}))


def _units(loop):
    """Every unit on the air: loop.bench_units [(id, key)] when the loop
    has a bench city (benchenv.bench_loop), else deploy/city's."""
    ids = getattr(loop, "bench_units", None) or [
        (u["id"], loop.keys[u["id"]]) for u in load_city()[1]]
    socks = []
    for uid, key in ids:
        r = RadioUnit(loop.radio_port, uid, key).connect()
        if r.auth().kind != "OK":
            raise SystemExit(f"{uid}: AUTH refused")
        r.sock.setblocking(False)
        socks.append(r)
    return socks


def drive(loop, rate, seconds, headers=None, drain_s=10.0):
    sel = selectors.DefaultSelector()
    units = _units(loop)
    for r in units:
        sel.register(r.sock, selectors.EVENT_READ, ("unit", r))
    https = [_Http(loop.intake_port, headers or {}) for _ in range(CONNS)]
    for h in https:
        sel.register(h.sock, selectors.EVENT_READ, ("http", h))
    rnd = random.Random(1)
    accepted, first_order = {}, {}
    st = {"merged": 0, "refused": 0, "orders": 0, "sent": 0}
    start = time.monotonic()
    end, hard_end = start + seconds, start + seconds + drain_s

    def on_unit(r):
        try:
            chunk = r.sock.recv(262144)
        except BlockingIOError:
            return
        if not chunk:
            sel.unregister(r.sock)
            return
        r.buf += chunk
        lines = r.buf.split(b"\n")
        r.buf = lines.pop()
        out = []
        now = time.monotonic()
        for line in lines:
            if line.startswith(b"ORDER "):
                w = line.split(b" ")
                st["orders"] += 1
                first_order.setdefault(w[2], now)
                out.append(b"ACK %s\r\nONSCENE %s\r\nCLEAR %s resolved\r\n"
                           % (w[1], w[1], w[1]))
        if out:
            r.sock.setblocking(True)
            r.sock.sendall(b"".join(out))
            r.sock.setblocking(False)

    def on_http(h):
        try:
            chunk = h.sock.recv(65536)
        except BlockingIOError:
            return
        h.buf += chunk
        now = time.monotonic()
        for status, ans in h.answers():
            if status != 201:
                st["refused"] += 1
            elif ans.get("merged"):
                st["merged"] += 1
            else:
                accepted[ans["incident_id"].encode()] = now

    while True:
        now = time.monotonic()
        if now >= hard_end or (now >= end and
                               len(first_order) >= len(accepted)):
            break
        due = min(int((now - start) * rate), int(seconds * rate))
        for h in https:
            if st["sent"] >= due:
                break
            if not h.busy:
                lat = rnd.uniform(BOX[0], BOX[1])
                lon = rnd.uniform(BOX[2], BOX[3])
                h.post({"type": rnd.choice(TYPES),
                        "location": {"lat": lat, "lon": lon}})
                st["sent"] += 1
        for key, _ in sel.select(0.0005):
            kind, obj = key.data
            (on_unit if kind == "unit" else on_http)(obj)
    sent_s = min(time.monotonic(), end) - start
    for h in https:
        h.sock.close()
    for r in units:
        r.sock.setblocking(True)
        r.close()
    lat = [(first_order[i] - a) * 1e6 for i, a in accepted.items()
           if i in first_order]
    return {"driver": "python", "sent": st["sent"],
            "accepted": len(accepted), "merged": st["merged"],
            "refused": st["refused"], "orders": st["orders"],
            "seconds": round(sent_s, 2),
            "rate": round(len(accepted) / sent_s, 1) if sent_s else 0,
            "without_order": len(accepted) - len(lat),
            "p50_us": pct(lat, 50), "p90_us": pct(lat, 90),
            "p99_us": pct(lat, 99)}
