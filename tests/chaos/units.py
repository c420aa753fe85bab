"""Field units for the chaos test: every city unit on the air, each a thread
that survives the radio gateway dying under it.

A unit connects and authenticates (RadioUnit.auth, whatever login the
gateway asks for), then works its orders one at a time: ACK, ENROUTE,
ONSCENE, CLEAR, each after a short random pause.  It keeps its own note of
the order it works and the next step, so when the link drops (radiogw
killed, Redis away and the gateway answering `NAK unavailable`, a line not
answered in time) it reconnects with a back-off and carries on from the
step it had not got an `OK` for -- the gateway re-sends only orders not yet
acknowledged, so the unit must remember the rest itself.  A `CANCEL`, or a
`NAK` saying the order is closed or not its own, drops the order.  Like a
real radio's GPS it reports its position every few seconds while idle
(a unit the commander marked unreachable is heard again that way).

What a unit saw goes into UnitStats (orders, steps done, reconnects,
orders dropped); the checks use Redis as the truth, these are figures.
"""
import random
import threading
import time

from radio_unit import Closed, Order, RadioUnit

STEPS = ("ack", "enroute", "onscene", "clear")
RETRY_CODES = ("unavailable", "rate_limited", "internal")
DROP_CODES = ("order_closed", "unknown_order", "not_your_order")


class UnitStats:
    def __init__(self):
        self.lock = threading.Lock()
        self.orders = 0          # distinct orders received
        self.cleared = 0         # CLEAR answered OK
        self.dropped = 0         # cancelled / closed under it
        self.reconnects = 0
        self.auth_failures = 0
        self.unexpected = []     # answers no unit should get

    def note(self, line):
        with self.lock:
            self.unexpected.append(line)

    def add(self, field, n=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)


class ChaosUnit(threading.Thread):
    POS_EVERY_S = 5.0

    def __init__(self, loop, uid, at, rng_seed, stats, stop,
                 pace=(0.05, 0.3)):
        super().__init__(name=f"unit-{uid}", daemon=True)
        self.loop, self.uid, self.stats, self.stop = loop, uid, stats, stop
        self.at = at             # (lat, lon) it reports
        self.next_pos = 0.0
        self.rng = random.Random(rng_seed)
        self.pace = pace
        self.radio = None
        self.queue = []          # [order_id] received, not finished
        self.step = {}           # order_id -> index of its next step
        self.done = set()        # order ids finished (cleared or dropped)
        self.online = threading.Event()     # authenticated once

    # -- link ---------------------------------------------------------------
    def _drop_link(self):
        if self.radio is not None:
            self.radio.close()
            self.radio = None

    def _connect(self):
        """Until connected and authenticated (or stopping)."""
        backoff = 0.05
        while not self.stop.is_set():
            r = RadioUnit(self.loop.radio_port, self.uid,
                          self.loop.keys[self.uid], timeout=3.0)
            try:
                r.connect()
                if r.auth().kind == "OK":
                    self.radio = r
                    self.online.set()
                    return True
                self.stats.add("auth_failures")
            except (Closed, OSError, TimeoutError):
                pass
            r.close()
            self.stop.wait(backoff)
            backoff = min(backoff * 2, 0.5)
        return False

    # -- what the gateway pushes -------------------------------------------
    def _take(self, item):
        if isinstance(item, Order):
            oid = item.order_id
            if oid not in self.done and oid not in self.step:
                self.step[oid] = 0
                self.queue.append(oid)
                self.stats.add("orders")
        elif item.kind == "CANCEL":
            self._finish(item.verb, dropped=True)
        elif item.kind == "BYE":
            raise Closed(item.line)

    def _pushed(self):
        while self.radio.pushed:
            self._take(self.radio.pushed.popleft())

    def _finish(self, oid, dropped):
        if oid in self.step:
            del self.step[oid]
            self.queue.remove(oid)
        if oid not in self.done:
            self.done.add(oid)
            self.stats.add("dropped" if dropped else "cleared")

    # -- working an order --------------------------------------------------
    def _do_step(self, oid):
        """Send the order's next step once (a link failure raises)."""
        verb = STEPS[self.step[oid]]
        args = (oid, "resolved") if verb == "clear" else (oid,)
        rep = getattr(self.radio, verb)(*args)
        self._pushed()
        if rep.kind == "OK":
            if verb == "clear":
                self._finish(oid, dropped=False)
            else:
                self.step[oid] += 1
        elif rep.kind == "NAK" and rep.code in DROP_CODES:
            self._finish(oid, dropped=True)
        elif rep.kind == "NAK" and rep.code in RETRY_CODES:
            self.stop.wait(0.1)
        else:
            self.stats.note(f"{self.uid}: {verb} {oid}: {rep.line}")
            self._finish(oid, dropped=True)

    def _work(self):
        """On one live link: orders in, steps out, until the link fails."""
        while not self.stop.is_set():
            self._pushed()
            if self.queue:
                self.stop.wait(self.rng.uniform(*self.pace))
                if self.queue and not self.stop.is_set():
                    self._do_step(self.queue[0])
                continue
            if time.monotonic() >= self.next_pos:
                self.next_pos = time.monotonic() + self.POS_EVERY_S
                self.radio.pos(*self.at)
                self._pushed()
            try:
                item = self.radio.wait_push(("ORDER", "CANCEL", "BYE"),
                                            timeout=0.5)
            except TimeoutError:
                continue
            self._take(item)

    def run(self):
        first = True
        while not self.stop.is_set():
            if not self._connect():
                break
            if not first:
                self.stats.add("reconnects")
            first = False
            try:
                self._work()
            except (Closed, OSError, TimeoutError):
                pass
            self._drop_link()
        self._drop_link()


def start_units(loop, units, seed, stop):
    """A ChaosUnit per unit of the city (dicts with id, lat, lon), started;
    -> (threads, stats)."""
    stats = UnitStats()
    threads = [ChaosUnit(loop, u["id"], (u["lat"], u["lon"]),
                         f"{seed}-{u['id']}", stats, stop) for u in units]
    for t in threads:
        t.start()
    return threads, stats
