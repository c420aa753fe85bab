"""The route and command stages end to end: redis-server and the real
intake, router, commander and radiogw; calls posted over HTTP, units
speaking the radio protocol over TCP (radio_unit.RadioUnit).

Proves: an order reaches the nearest unit of the smallest kind that can
meet the tier's deadline (and a larger kind only when no smaller one
can); a call with no post within 200 m is a coverage gap; a declined or
unanswered order moves to the next candidate; a unit whose connection
drops gets its order again after reconnecting; no unit is ever assigned
twice while calls flow.  Real messages are checked against the schemas.
"""
import random
import threading
import time
import unittest

from harness import (INVARIANT, haversine, load_city, offset,
                     schema_validator, wait_until)
from loop import Loop
from radio_unit import Closed, RadioUnit

DETOUR = 1.3
SPEED = {"grid_worker": 1.4, "guard": 1.4, "post_team": 2.5, "mcu": 5.0,
         "patrol_car": 8.3, "special": 8.3}
# Far from the sample city's units (all within ~1.5 km of People's
# Square): only the units a test moves here can make a deadline.
FAR = (31.2700, 121.5300)
ACK_MS = 1500


def theft(lat, lon, **extra):
    body = {"type": "theft", "location": {"lat": lat, "lon": lon}}
    body.update(extra)
    return body


class Dispatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.loop = Loop(commander={"command.ack_timeout_ms": ACK_MS})
        cls.posts, cls.units = load_city()
        cls.by_kind = {}
        for u in cls.units:
            cls.by_kind.setdefault(u["kind"], []).append(u["id"])
        cls.radios = []

    @classmethod
    def tearDownClass(cls):
        cls.loop.close_checked(cls.radios)

    def take(self, kind):
        """A unit of this kind no other test has used."""
        return self.by_kind[kind].pop()

    def radio(self, uid, behaviour="fast"):
        r = self.loop.radio(uid, behaviour=behaviour)
        self.radios.append(r)
        return r

    def place(self, at, *placements):
        """Connect units of these kinds and move them: (kind, metres north
        of at); the router sees each where it was put.  -> [RadioUnit]"""
        out = self.loop.place(at, [(self.take(kind), north)
                                   for kind, north in placements])
        self.radios.extend(out)
        return out

    def route_for(self, incident_id):
        return wait_until(lambda: next(
            (m for m in self.loop.stream("routes")
             if m["incident_id"] == incident_id), None),
            timeout=15, what=f"route.decided for {incident_id}")

    def post(self, body):
        status, _, ans = self.loop.post_call(body)
        self.assertEqual(status, 201, ans)
        return ans["incident_id"]

    def test_smallest_adequate_kind_nearest_first(self):
        at = offset(*FAR, east_m=0)
        grid1, grid2, team, mcu = self.place(
            at, ("grid_worker", 55), ("grid_worker", 62),
            ("post_team", 15), ("mcu", 10))
        inc = self.post(theft(*at))
        route = self.route_for(inc)
        cands = [c["unit_id"] for c in route["tiers"][0]["candidates"]]
        # grid workers reach 60 s * 1.4 / 1.3 = 64.6 m: both make it and
        # beat the nearer post team and MCU; nearest first within a kind
        self.assertEqual(cands[:4], [grid1.unit_id, grid2.unit_id,
                                     team.unit_id, mcu.unit_id])
        for c in route["tiers"][0]["candidates"][:4]:
            self.assertAlmostEqual(c["eta_s"], c["distance_m"] * DETOUR /
                                   SPEED[c["kind"]], places=1)
        order = grid1.wait_order(timeout=10)
        self.assertEqual(order.incident_id, inc)
        self.assertEqual(grid1.ack(order.order_id).kind, "OK")
        wait_until(lambda: self.loop.hget("order:" + order.order_id,
                                          "state") == "acked",
                   what="order acked")
        self.assertEqual(self.loop.hget("unit:" + grid1.unit_id, "status"),
                         "acked")

    def test_larger_kind_only_when_no_smaller_can_make_it(self):
        at = offset(*FAR, east_m=1500)
        grid, mcu = self.place(at, ("grid_worker", 150), ("mcu", 180))
        inc = self.post(theft(*at))
        cands = [c["unit_id"] for c in
                 self.route_for(inc)["tiers"][0]["candidates"]]
        # the grid worker needs 139 s for 150 m; the MCU makes 180 m in 47 s
        self.assertEqual(cands[0], mcu.unit_id)
        self.assertIn(grid.unit_id, cands[1:])
        self.assertEqual(mcu.wait_order(timeout=10).incident_id, inc)

    def test_coverage_gap_and_owning_post(self):
        gap = self.post(theft(31.2327, 121.4658))       # G1, README
        central = [p for p in self.posts if p["id"] == "P-001"][0]
        covered = self.post({"type": "fraud", "location": {
            "lat": central["lat"] + 0.0003, "lon": central["lon"]}})
        r_gap, r_cov = self.route_for(gap), self.route_for(covered)
        self.assertTrue(r_gap["coverage_gap"])
        self.assertGreater(r_gap["post"]["distance_m"], 200)
        self.assertFalse(r_cov["coverage_gap"])
        self.assertLessEqual(r_cov["post"]["distance_m"], 200)
        nearest = min(self.posts, key=lambda p: haversine(
            central["lat"] + 0.0003, central["lon"], p["lat"], p["lon"]))
        self.assertEqual(r_cov["post"]["id"], nearest["id"])
        self.assertEqual(self.loop.hget("inc:" + gap, "coverage_gap"), "true")

    def test_declined_order_moves_to_the_next_candidate(self):
        at = offset(*FAR, east_m=3000)
        a, b = self.place(at, ("grid_worker", 20), ("grid_worker", 40))
        inc = self.post(theft(*at))
        first = a.wait_order(timeout=10)
        self.assertEqual(a.decline(first.order_id, "busy").kind, "OK")
        second = b.wait_order(timeout=10)
        self.assertEqual(second.incident_id, inc)
        self.assertNotEqual(second.order_id, first.order_id)
        self.assertEqual(self.loop.hget("order:" + first.order_id, "state"),
                         "declined")
        self.assertEqual(b.ack(second.order_id).kind, "OK")

    def test_unanswered_order_moves_to_the_next_candidate(self):
        at = offset(*FAR, east_m=4500)
        a, b = self.place(at, ("grid_worker", 20), ("grid_worker", 40))
        inc = self.post(theft(*at))
        first = a.wait_order(timeout=10)
        # a keeps quiet: after ACK_MS the order is taken back ...
        cancel = a.wait_push(("CANCEL",), timeout=10 + ACK_MS / 1000)
        self.assertEqual(cancel.verb, first.order_id)
        second = b.wait_order(timeout=10)
        self.assertEqual(second.incident_id, inc)
        self.assertEqual(self.loop.hget("order:" + first.order_id, "state"),
                         "noanswer")
        self.assertEqual(b.ack(second.order_id).kind, "OK")

    def test_dropped_unit_gets_its_order_again_after_reconnecting(self):
        at = offset(*FAR, east_m=6000)
        (a,) = self.place(at, ("guard", 10))
        inc = self.post(theft(*at))
        order = a.wait_order(timeout=10)
        a.close()                                # the radio link drops
        a.connect()
        self.assertEqual(a.auth().kind, "OK")
        again = a.wait_order(timeout=10)
        self.assertEqual((again.order_id, again.incident_id),
                         (order.order_id, inc))
        self.assertEqual(a.ack(again.order_id).kind, "OK")
        self.assertEqual(a.ack(again.order_id).kind, "OK")   # harmless

    def test_z_every_message_so_far_matches_its_schema(self):
        # named to run last (unittest sorts by name): it sees them all
        for stream, types in (("routes", ("route.decided",)),
                              ("orders", ("order.issued", "order.cancelled")),
                              ("status", ("unit.status",))):
            msgs = self.loop.stream(stream)
            for m in msgs:
                self.assertIn(m["type"], types)
                schema_validator(m["type"]).validate(m)


class NoUnitTwice(unittest.TestCase):
    """Every unit of the city on the air, calls all over the district:
    at no moment does a unit hold two live orders."""

    def test_no_unit_is_ever_assigned_twice(self):
        loop = Loop(commander={"command.ack_timeout_ms": 3000})
        _, units = load_city()
        stop = threading.Event()
        problems = []

        def unit_life(u):
            r = RadioUnit(loop.radio_port, u["id"], loop.keys[u["id"]],
                          timeout=2)
            try:
                r.connect()
                r.auth()
                active = None
                while not stop.is_set():
                    try:
                        o = r.wait_order(timeout=0.5)
                    except TimeoutError:
                        continue
                    if active not in (None, o.order_id):
                        problems.append(f"{u['id']}: {o.order_id} while "
                                        f"{active} is live")
                    active = o.order_id
                    for verb in ("ack", "enroute", "onscene"):
                        getattr(r, verb)(o.order_id)
                    r.clear(o.order_id, "resolved")
                    active = None
            except (Closed, OSError, TimeoutError) as e:
                if not stop.is_set():
                    problems.append(f"{u['id']}: {e!r}")
            finally:
                r.close()

        threads = [threading.Thread(target=unit_life, args=(u,), daemon=True)
                   for u in units]
        try:
            for t in threads:
                t.start()
            rnd = random.Random(7)
            types = ["theft", "fight", "robbery", "traffic_accident",
                     "fraud", "vandalism"]
            ids = set()
            for i in range(40):
                body = {"type": rnd.choice(types), "location": {
                    "lat": rnd.uniform(31.2228, 31.2372),
                    "lon": rnd.uniform(121.4595, 121.4805)}}
                status, _, ans = loop.post_call(body)
                self.assertEqual(status, 201, ans)
                ids.add(ans["incident_id"])
                res = loop.redis_do("EVAL", INVARIANT, 0, "np:{city}:")
                self.assertEqual(res, "ok")
                time.sleep(0.05)    # a call-taker's pace, not a sync
            wait_until(lambda: ids <= {m["incident_id"]
                                       for m in loop.stream("routes")},
                       timeout=20, what="every incident routed")
            issued = [m for m in loop.stream("orders")
                      if m["type"] == "order.issued"]
            self.assertGreater(len(issued), len(ids))
            wait_until(lambda: loop.redis_do("EVAL", INVARIANT, 0,
                                             "np:{city}:") == "ok",
                       what="the dispatch invariant")
            self.assertEqual(problems, [])
        finally:
            stop.set()
            for t in threads:
                t.join(5)
            out = loop.close()
        for name, (rc, log) in out.items():
            self.assertEqual(rc, 0, f"{name}:\n{log[-3000:]}")


if __name__ == "__main__":
    unittest.main()
