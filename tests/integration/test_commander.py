"""commander against a real Redis: two copies in one consumer group take
route.decided entries (written here as the router would, checked against
the schema) and unit.status entries (written here as the radio gateway
would).  Orders on s:orders are schema-valid, no unit ever holds two
orders, declines and missed acks fall back to the next candidate, clears
release, and a commander killed with SIGKILL mid-run and restarted loses
and doubles nothing."""
import json
import os
import shutil
import signal
import tempfile
import time
import unittest
import zlib

from harness import (INVARIANT, Nanocat, Redis, Service, schema_validator,
                     stream_messages, wait_until, write_city)

P = "np:{city}:"
ACK_MS = 1500   # answered well within it, even on a busy machine
NUNITS = 30
LIVE = {"issued", "acked", "enroute", "onscene"}
KINDS = ["grid_worker", "guard", "post_team", "mcu", "patrol_car"]



def now_ms():
    return int(time.time() * 1000)


def unit_id(i):
    return f"U-{i:03d}"


class Radio:
    """The radio gateway's side of the streams: reads s:orders, answers on
    s:status for the units."""

    def __init__(self, client):
        self.r = client
        self.last = "0-0"
        self.messages = []
        self.status_schema = None
        try:
            self.status_schema = schema_validator("unit.status")
        except FileNotFoundError:
            pass            # the gateway's schema is not written yet

    def orders(self):
        new = stream_messages(self.r, P + "s:orders", self.last)
        if new:
            self.last = new[-1][0]
        self.messages += [m for _, m in new]
        return [m for _, m in new]

    def say(self, unit, status, **fields):
        msg = {"type": "unit.status", "v": 1, "ts": now_ms(),
               "src": "radiogw", "unit_id": unit, "status": status}
        msg.update(fields)
        if self.status_schema is not None:
            self.status_schema.validate(msg)
        self.r("XADD", P + "s:status", "*", "msg", json.dumps(msg))

    def answer(self, order, status, **fields):
        self.say(order["unit_id"], status, order_id=order["order_id"],
                 incident_id=order["incident_id"], **fields)


class CommanderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_dir = tempfile.mkdtemp(prefix="np-it-cmd-")
        cls.redis = Redis().start()
        cls.r = cls.redis.client()
        lat, lon = 31.2304, 121.4737
        posts = [("P-1", "North", "station", "d1", lat, lon),
                 ("P-2", "South", "community", "d1", lat - 0.01, lon)]
        units = [(unit_id(i), f"A-{i}", KINDS[i % len(KINDS)],
                  "P-1" if i % 2 else "P-2", lat + i * 1e-4, lon)
                 for i in range(1, NUNITS + 1)]
        cls.posts_path, cls.units_path = write_city(cls.run_dir, posts,
                                                    units)
        # a unit already in Redis keeps its state through seeding
        cls.r("HSET", P + "unit:U-030", "status", "offline", "lat", "1.5")
        cls.events = Nanocat(f"ipc://{cls.run_dir}/events.ipc")
        cls.units_bus = Nanocat(f"ipc://{cls.run_dir}/units.ipc")
        cls.route_schema = schema_validator("route.decided")
        cls.schemas = {t: schema_validator(t)
                       for t in ("order.issued", "order.cancelled")}
        cls.cmd = {}
        for name in ("c1", "c2"):
            cls.start(name)
        try:
            wait_until(lambda: all("consuming" in c.log_text()
                                   for c in cls.cmd.values()),
                       what="both commanders consuming")
        except AssertionError:
            for c in cls.cmd.values():
                print(c.log_text())
            raise
        cls.radio = Radio(cls.r)

    @classmethod
    def start(cls, name):
        settings = {"redis.port": cls.redis.port, "run.dir": cls.run_dir,
                    "instance": name, "city.posts": cls.posts_path,
                    "city.units": cls.units_path,
                    "command.ack_timeout_ms": ACK_MS,
                    "stream.claim_idle_ms": 3000, "log.level": "debug"}
        svc = Service("commander", settings, cls.run_dir)
        svc.log_path = os.path.join(cls.run_dir, f"commander-{name}.log")
        cls.cmd[name] = svc.start()

    @classmethod
    def tearDownClass(cls):
        rcs = {}
        for name, svc in cls.cmd.items():
            rcs[name] = svc.stop()
            if rcs[name] != 0:
                print(svc.log_text())
        cls.events.stop()
        cls.units_bus.stop()
        cls.r.close()
        cls.redis.cleanup()
        shutil.rmtree(cls.run_dir, ignore_errors=True)
        assert all(rc == 0 for rc in rcs.values()), \
            f"commanders exited {rcs} on SIGTERM"

    # -- helpers ---------------------------------------------------------

    def route(self, incident, tiers, type_="fight", priority=2):
        """XADD a route.decided: tiers is a list of candidate id lists."""
        self.r("HSET", P + "inc:" + incident, "id", incident, "type",
               type_, "priority", priority, "state", "routed", "lat",
               "31.2304000", "lon", "121.4737000", "address", "Nanjing Rd 1")
        msg = {"type": "route.decided", "v": 1, "ts": now_ms(),
               "src": "router", "incident_id": incident,
               "incident_type": type_, "priority": priority,
               "lat": 31.2304, "lon": 121.4737, "t0": now_ms(),
               "post": {"id": "P-1", "name": "North", "distance_m": 84.2},
               "coverage_gap": False,
               "tiers": [{"tier": t + 1, "deadline_s": 60 * (2 * t + 1),
                          "candidates": [{"unit_id": u, "kind": "guard",
                                          "distance_m": 40.0 + k,
                                          "eta_s": 30.0 + k}
                                         for k, u in enumerate(c)]}
                         for t, c in enumerate(tiers)]}
        self.route_schema.validate(msg)
        self.r("XADD", P + "s:routes", "*", "msg", json.dumps(msg))
        return msg

    def hget(self, key, field):
        return self.r("HGET", P + key, field)

    def invariant(self):
        res = self.r("EVAL", INVARIANT, 0, P)
        self.assertEqual(res, "ok")

    def check_order(self, m):
        self.schemas[m["type"]].validate(m)

    def next_order(self, incident, seen):
        """Wait for an order message about incident not in seen."""
        def find():
            self.radio.orders()
            for m in self.radio.messages:
                if m["incident_id"] == incident and \
                        (m["type"], m["order_id"]) not in seen:
                    return m
            return None
        m = wait_until(find, timeout=15, what=f"an order for {incident}")
        seen.add((m["type"], m["order_id"]))
        self.check_order(m)
        return m

    # -- tests -----------------------------------------------------------

    def test_1_units_are_seeded_without_overwriting(self):
        self.assertEqual(self.hget("unit:U-001", "status"), "available")
        self.assertEqual(self.hget("unit:U-001", "kind"), "guard")
        self.assertEqual(self.hget("unit:U-001", "callsign"), "A-1")
        self.assertEqual(self.hget("unit:U-001", "post"), "P-1")
        self.assertAlmostEqual(float(self.hget("unit:U-002", "lat")),
                               31.2306, places=6)
        self.assertEqual(self.hget("unit:U-030", "status"), "offline")
        self.assertEqual(self.hget("unit:U-030", "lat"), "1.5")
        self.assertEqual(self.hget("unit:U-030", "kind"), "grid_worker")

    def test_2_decline_and_silence_fall_back_then_clear_releases(self):
        seen = set()
        self.route("I-FB-1", [["U-030", "U-001", "U-002", "U-003"]])
        o1 = self.next_order("I-FB-1", seen)
        self.assertEqual((o1["type"], o1["order_id"], o1["unit_id"]),
                         ("order.issued", "I-FB-1-T1-1", "U-001"))
        self.assertEqual(o1["address"], "Nanjing Rd 1")
        self.assertEqual(self.hget("unit:U-001", "status"), "dispatched")
        self.assertEqual(self.hget("inc:I-FB-1", "state"), "dispatched")

        self.radio.answer(o1, "declined", reason="busy")
        o2 = self.next_order("I-FB-1", seen)
        self.assertEqual((o2["order_id"], o2["unit_id"]),
                         ("I-FB-1-T1-2", "U-002"))
        self.assertEqual(self.hget("order:I-FB-1-T1-1", "state"), "declined")
        self.assertEqual(self.hget("unit:U-001", "status"), "available")

        # U-002 stays silent: after the ack timeout the order is cancelled
        c = self.next_order("I-FB-1", seen)
        self.assertEqual((c["type"], c["order_id"], c["reason"]),
                         ("order.cancelled", "I-FB-1-T1-2", "no_answer"))
        self.assertGreaterEqual(c["ts"], o2["ack_due"])
        o3 = self.next_order("I-FB-1", seen)
        self.assertEqual((o3["order_id"], o3["unit_id"]),
                         ("I-FB-1-T1-3", "U-003"))
        self.assertEqual(self.hget("unit:U-002", "status"), "unreachable")

        self.radio.answer(o3, "acked")
        wait_until(lambda: self.hget("inc:I-FB-1", "state") == "acked",
                   what="incident acked")
        self.assertEqual(self.hget("unit:U-003", "status"), "acked")
        self.radio.answer(o3, "clear", disposition="resolved")
        wait_until(lambda: self.hget("inc:I-FB-1", "state") == "cleared",
                   what="incident cleared")
        self.assertEqual(self.hget("order:I-FB-1-T1-3", "disposition"),
                         "resolved")
        self.assertEqual(self.hget("unit:U-003", "status"), "available")
        self.assertIsNone(self.hget("unit:U-003", "order"))
        self.radio.say("U-002", "online")
        wait_until(lambda: self.hget("unit:U-002", "status") == "available",
                   what="U-002 available again")
        events = [e["event"] for e in map(json.loads, self.r(
            "LRANGE", P + "inc:I-FB-1:tl", 0, -1))]
        self.assertEqual(events, ["dispatched", "declined", "dispatched",
                                  "no_answer", "dispatched", "acked",
                                  "cleared"])
        self.invariant()

        # what the buses carried
        frames = wait_until(lambda: [f for f in self.events.frames()
                                     if "I-FB-1-T1-3" in f and
                                     f.startswith("unit.status ")],
                            what="events on the bus")
        for f in self.events.frames():
            topic, body = f.split(" ", 1)
            if topic in self.schemas:
                self.schemas[topic].validate(json.loads(body))
        hints = [json.loads(f.split(" ", 1)[1])
                 for f in self.units_bus.frames()]
        self.assertIn(("U-001", "dispatched"),
                      [(h["unit_id"], h["status"]) for h in hints])
        self.assertIn(("U-001", "available"),
                      [(h["unit_id"], h["status"]) for h in hints])
        self.assertTrue(frames)

    def test_3_storm_two_commanders_one_killed(self):
        Storm(self).run()

    def test_4_redis_restart_loses_nothing(self):
        cls = type(self)
        cls.r.close()
        cls.redis.kill()                  # AOF with fsync always
        cls.redis.start()
        cls.r = cls.radio.r = cls.redis.client()
        seen = {("order.issued", m["order_id"]) for m in cls.radio.messages
                if m["incident_id"] == "I-RS-1"}
        self.route("I-RS-1", [["U-004"]])
        o = self.next_order("I-RS-1", seen)
        self.assertEqual((o["order_id"], o["unit_id"]),
                         ("I-RS-1-T1-1", "U-004"))
        self.radio.answer(o, "clear", disposition="resolved")
        wait_until(lambda: self.hget("unit:U-004", "status") == "available",
                   what="U-004 released after the restart")
        self.invariant()


class Storm:
    """Many overlapping routes, replays, answers of every kind, a SIGKILL
    and a restart -- with the invariant checked all along."""

    NINC = 60

    def __init__(self, t):
        self.t = t
        self.routes = {}
        self.acted = set()

    def candidates(self, i, tier):
        start = (i * 7 + tier * 11) % (NUNITS - 1)
        return [unit_id(1 + (start + k * 3) % NUNITS) for k in range(5)]

    def act(self, m):
        radio = self.t.radio
        if m["type"] == "order.cancelled":
            radio.say(m["unit_id"], "online")     # back on the air
            return
        if m["order_id"] in self.acted:
            return
        self.acted.add(m["order_id"])
        choice = zlib.crc32(m["order_id"].encode()) % 10
        if choice < 2:
            radio.answer(m, "declined", reason="busy")
        elif choice == 2:
            pass                                  # no answer
        else:
            radio.answer(m, "acked")
            if choice > 5:
                radio.answer(m, "onscene")
            radio.answer(m, "clear", disposition="resolved")

    def post(self, i):
        inc = f"I-ST-{i}"
        tiers = [self.candidates(i, 0)]
        if i % 3 == 0:
            tiers.append(self.candidates(i, 1))
        self.routes[inc] = self.t.route(inc, tiers)
        if i % 7 == 0:                            # the router replays
            self.t.r("XADD", P + "s:routes", "*", "msg",
                     json.dumps(self.routes[inc]))

    def final(self, inc):
        r = self.t.r
        asg = P + f"inc:{inc}:asg"
        for tier in (t["tier"] for t in self.routes[inc]["tiers"]):
            oid = r("HGET", asg, str(tier))
            state = oid and r("HGET", P + "order:" + oid, "state")
            unfilled = r("HGET", asg, f"{tier}.unfilled")
            if state in LIVE or (state != "cleared" and not unfilled):
                return False
        return True

    def pending(self):
        return sum(self.t.r("XPENDING", P + s, "commander")[0]
                   for s in ("s:routes", "s:status"))

    def held_by(self, consumer):
        summary = self.t.r("XPENDING", P + "s:routes", "commander")
        return dict(summary[3] or []).get(consumer, "0")

    def kill_holding_entries(self):
        """Freeze c1 while its blocking read is registered in Redis, so
        the next routes are delivered to it and never acked; then kill."""
        c1 = self.t.cmd["c1"]
        c1.proc.send_signal(signal.SIGSTOP)
        n = [self.NINC]

        def c1_holds_some():
            self.post(n[0])
            n[0] += 1
            return int(self.held_by("c1")) > 0
        wait_until(c1_holds_some, what="c1 holding route entries")
        c1.proc.send_signal(signal.SIGKILL)
        c1.wait()

    def step(self):
        for m in self.t.radio.orders():
            self.t.check_order(m)
            self.act(m)
        self.t.invariant()

    def run(self):
        t = self.t
        killed = restarted = False
        deadline = time.monotonic() + 120
        i = 0
        while time.monotonic() < deadline:
            if i < self.NINC:
                for _ in range(3):
                    self.post(i)
                    i += 1
            if i >= self.NINC // 2 and not killed:
                self.kill_holding_entries()
                killed = True
                killed_at = time.monotonic()
            if killed and not restarted and \
                    time.monotonic() - killed_at > 0.5:
                t.start("c1")
                restarted = True
            self.step()
            if i >= self.NINC and restarted and self.pending() == 0 and \
                    all(self.final(inc) for inc in self.routes):
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the storm did not settle: "
                                 f"{self.pending()} entries pending, "
                                 + str([inc for inc in self.routes
                                        if not self.final(inc)]))
        self.step()
        self.check_history()

    def check_history(self):
        t = self.t
        issued = [m for m in t.radio.messages if m["type"] == "order.issued"
                  and m["incident_id"].startswith("I-ST-")]
        ids = [m["order_id"] for m in issued]
        t.assertEqual(len(ids), len(set(ids)), "an order was sent twice")
        t.assertGreater(len(ids), self.NINC)
        by_tier = {}
        for m in issued:
            by_tier.setdefault((m["incident_id"], m["tier"]), []).append(m)
        for (inc, tier), orders in by_tier.items():
            cands = [c["unit_id"] for c in
                     self.routes[inc]["tiers"][tier - 1]["candidates"]]
            pos = [cands.index(m["unit_id"]) for m in orders]
            # fall-backs go down the ranked list; back to the top only
            # in a new pass, once the whole list was tried (unfilled)
            backs = [i for i in range(1, len(pos)) if pos[i] <= pos[i - 1]]
            if backs:
                t.assertTrue(t.hget(f"inc:{inc}:asg", f"{tier}.unfilled"),
                             f"{inc} tier {tier}: {pos}")
            t.assertEqual([m["order_id"] for m in orders],
                          [f"{inc}-T{tier}-{n + 1}"
                           for n in range(len(orders))])
            for m in orders[:-1]:
                t.assertIn(t.hget("order:" + m["order_id"], "state"),
                           ("declined", "noanswer"))
        t.assertNotIn("U-030", [m["unit_id"] for m in issued])
        for inc in self.routes:
            t.assertEqual(json.loads(t.hget(f"inc:{inc}", "route"))
                          ["incident_id"], inc)


if __name__ == "__main__":
    unittest.main()
