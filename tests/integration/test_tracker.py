"""tracker (with the commander) against a real Redis: marks of 1/2/3 s
and a ladder step of 1 s.  route.decided and unit.status entries are
written here as the router and the radio gateway would (checked against
their schemas); the tracker's messages on s:escalations and the events
bus are checked against theirs.  Marks met in time and late are
recorded; a missed mark climbs redispatch, supervisor, command exactly
once each and the commander sends the tier's next candidate on
redispatch (the first unit keeps its order); a tracker killed with
SIGKILL mid-run and restarted fires every step that came due while it
was down, once.

Met-in-time incidents carry a T0 in the future (t0 is the message's
word, not a clock the tracker reads), so no assertion depends on how
fast this machine answers."""
import json
import shutil
import tempfile
import time
import unittest

from harness import (Nanocat, Redis, Service, schema_validator,
                     stream_messages, wait_until, write_city)

P = "np:{city}:"
NUNITS = 40
LADDER = ["redispatch", "supervisor", "command"]


def now_ms():
    return int(time.time() * 1000)


def unit_id(i):
    return f"U-{i:03d}"


class TrackerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_dir = tempfile.mkdtemp(prefix="np-it-trk-")
        cls.redis = Redis().start()
        cls.r = cls.redis.client()
        lat, lon = 31.2304, 121.4737
        posts = [("P-1", "North", "station", "d1", lat, lon)]
        units = [(unit_id(i), f"A-{i}", "guard", "P-1", lat + i * 1e-4, lon)
                 for i in range(1, NUNITS + 1)]
        cls.posts, cls.units = write_city(cls.run_dir, posts, units)
        cls.events = Nanocat(f"ipc://{cls.run_dir}/events.ipc")
        cls.schemas = {t: schema_validator(t) for t in
                       ("route.decided", "unit.status", "mark.missed",
                        "mark.met", "escalation", "order.issued")}
        cls.next_unit = 1
        cls.commander = Service("commander", {
            "redis.port": cls.redis.port, "run.dir": cls.run_dir,
            "city.posts": cls.posts, "city.units": cls.units,
            "command.ack_timeout_ms": 600000, "log.level": "debug"},
            cls.run_dir).start()
        cls.tracker = cls.make_tracker().start()
        try:
            wait_until(lambda: "consuming" in cls.commander.log_text() and
                       "consuming" in cls.tracker.log_text(),
                       what="commander and tracker consuming")
        except AssertionError:
            print(cls.commander.log_text(), cls.tracker.log_text())
            raise

    @classmethod
    def make_tracker(cls):
        return Service("tracker", {
            "redis.port": cls.redis.port, "run.dir": cls.run_dir,
            "track.mark1_s": 1, "track.mark2_s": 2, "track.mark3_s": 3,
            "track.step_s": 1, "stream.claim_idle_ms": 1000,
            "log.level": "debug"}, cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        rcs = {"tracker": cls.tracker.stop(),
               "commander": cls.commander.stop()}
        for name, rc in rcs.items():
            if rc != 0:
                print(getattr(cls, name).log_text())
        cls.events.stop()
        cls.r.close()
        cls.redis.cleanup()
        shutil.rmtree(cls.run_dir, ignore_errors=True)
        assert all(rc == 0 for rc in rcs.values()), \
            f"exit codes on SIGTERM: {rcs}"

    # -- helpers ---------------------------------------------------------

    def route(self, incident, ntiers, t0):
        """An incident as the router leaves it and its route.decided:
        ntiers tiers of three fresh candidates each."""
        self.r("HSET", P + "inc:" + incident, "id", incident, "type",
               "fight", "priority", 2, "state", "routed", "lat",
               "31.2304000", "lon", "121.4737000", "address", "Main St 1")
        tiers = []
        for t in range(ntiers):
            cands = [unit_id(self.next_unit + k) for k in range(3)]
            type(self).next_unit += 3
            tiers.append({"tier": t + 1, "deadline_s": 60 * (2 * t + 1),
                          "candidates": [{"unit_id": u, "kind": "guard",
                                          "distance_m": 40.0 + k,
                                          "eta_s": 30.0 + k}
                                         for k, u in enumerate(cands)]})
        msg = {"type": "route.decided", "v": 1, "ts": now_ms(),
               "src": "router", "incident_id": incident,
               "incident_type": "fight", "priority": 2, "lat": 31.2304,
               "lon": 121.4737, "t0": t0,
               "post": {"id": "P-1", "name": "North", "distance_m": 12.0},
               "coverage_gap": False, "tiers": tiers}
        self.schemas["route.decided"].validate(msg)
        self.r("XADD", P + "s:routes", "*", "msg", json.dumps(msg))
        return tiers

    def say(self, order_id, status):
        """unit.status for an order, as the radio gateway writes it."""
        unit = self.r("HGET", P + "order:" + order_id, "unit_id")
        msg = {"type": "unit.status", "v": 1, "ts": now_ms(),
               "src": "radiogw", "unit_id": unit, "status": status,
               "order_id": order_id,
               "incident_id": order_id.rsplit("-T", 1)[0]}
        self.schemas["unit.status"].validate(msg)
        self.r("XADD", P + "s:status", "*", "msg", json.dumps(msg))

    def mark(self, incident, field):
        return self.r("HGET", P + "mark:" + incident, field)

    def wait_mark(self, incident, field, want, timeout=15):
        wait_until(lambda: self.mark(incident, field) == want,
                   timeout=timeout, what=f"mark:{incident} {field}={want}")

    def order_state(self, oid):
        return self.r("HGET", P + "order:" + oid, "state")

    def escalations(self, incident=None):
        """Messages on s:escalations (of incident), schema-checked."""
        out = []
        for _, m in stream_messages(self.r, P + "s:escalations"):
            self.schemas[m["type"]].validate(m)
            if incident is None or m["incident_id"] == incident:
                out.append(m)
        return out

    def steps(self, incident, tier=1):
        return sorted(m["step"] for m in self.escalations(incident)
                      if m["type"] == "escalation" and m["tier"] == tier)

    def wait_ladder(self, incident, tier=1, timeout=20):
        wait_until(lambda: self.steps(incident, tier) == [1, 2, 3],
                   timeout=timeout, what=f"{incident} tier {tier} ladder")

    def check_once(self, incident, tier=1):
        """Each step once, one miss, nothing left to fire."""
        msgs = [m for m in self.escalations(incident) if m["tier"] == tier]
        self.assertEqual(self.steps(incident, tier), [1, 2, 3])
        self.assertEqual([m["action"] for m in sorted(
            (m for m in msgs if m["type"] == "escalation"),
            key=lambda m: m["step"])], LADDER)
        self.assertEqual(sum(m["type"] == "mark.missed" for m in msgs), 1)
        self.assertEqual(self.mark(incident, f"{tier}.step"), "3")
        self.assertEqual(self.mark(incident, f"{tier}.state"), "missed")
        left = [m for m in self.r("ZRANGE", P + "marks:due", 0, -1)
                if m.startswith(incident + "|")]
        self.assertEqual(left, [])
        tl = [json.loads(e) for e in
              self.r("LRANGE", P + f"inc:{incident}:tl", 0, -1)]
        mine = [(e["event"], e.get("step")) for e in tl
                if e["by"] == "tracker" and e.get("tier") == tier]
        self.assertEqual(mine, [("mark_missed", None), ("escalation", 1),
                                ("escalation", 2), ("escalation", 3)])

    def bus(self, topic):
        out = []
        for line in self.events.frames():
            t, _, body = line.partition(" ")
            if t == topic:
                m = json.loads(body)
                self.schemas[topic].validate(m)
                out.append(m)
        return out

    # -- tests -----------------------------------------------------------

    def test_1_marks_met_in_time_stop_the_clock(self):
        t0 = now_ms() + 60000
        self.route("I-MET", 2, t0)
        wait_until(lambda: self.order_state("I-MET-T2-1") == "issued",
                   what="the commander's orders")
        self.wait_mark("I-MET", "1.state", "pending")
        self.say("I-MET-T1-1", "acked")
        self.say("I-MET-T2-1", "acked")         # counts only for tier 1
        self.wait_mark("I-MET", "1.state", "met")
        self.say("I-MET-T2-1", "onscene")
        self.wait_mark("I-MET", "2.state", "met")
        self.assertLessEqual(int(self.mark("I-MET", "1.met_at")),
                             int(self.mark("I-MET", "1.due")))
        self.assertEqual(int(self.mark("I-MET", "1.due")), t0 + 1000)
        self.assertEqual(int(self.mark("I-MET", "2.due")), t0 + 2000)
        wait_until(lambda: len([m for m in self.bus("mark.met")
                                if m["incident_id"] == "I-MET"]) == 2,
                   what="mark.met on the events bus")
        self.assertEqual(self.escalations("I-MET"), [])
        self.assertEqual([m for m in self.r("ZRANGE", P + "marks:due", 0,
                                            -1) if m.startswith("I-MET|")],
                         [])

    def test_2_missed_mark_climbs_the_ladder_once_and_redispatches(self):
        self.route("I-MISS", 1, now_ms())
        wait_until(lambda: self.order_state("I-MISS-T1-1") == "issued",
                   what="the first order")
        first = self.r("HGET", P + "order:I-MISS-T1-1", "unit_id")
        self.wait_ladder("I-MISS")
        # step 1 made the commander send the next candidate as well
        wait_until(lambda: self.order_state("I-MISS-T1-2") == "issued",
                   what="the redispatched order")
        self.assertEqual(self.order_state("I-MISS-T1-1"), "issued")
        second = self.r("HGET", P + "order:I-MISS-T1-2", "unit_id")
        self.assertNotEqual(first, second)
        self.assertEqual(self.r("HGET", P + "unit:" + second, "order"),
                         "I-MISS-T1-2")
        issued = [m for _, m in stream_messages(self.r, P + "s:orders")
                  if m["incident_id"] == "I-MISS"]
        for m in issued:
            self.schemas["order.issued"].validate(m)
        self.assertEqual(sorted(m["order_id"] for m in issued),
                         ["I-MISS-T1-1", "I-MISS-T1-2"])
        self.check_once("I-MISS")
        esc = [m for m in self.escalations("I-MISS")
               if m["type"] == "escalation"]
        self.assertTrue(all(m["post"] == "P-1" and m["district"] == "city"
                            for m in esc))

    def test_3_met_after_the_miss_is_late_and_stops_the_ladder(self):
        self.route("I-LATE", 1, now_ms())
        wait_until(lambda: self.order_state("I-LATE-T1-1") == "issued",
                   what="the first order")
        self.wait_mark("I-LATE", "1.state", "missed")
        self.say("I-LATE-T1-1", "onscene")
        self.wait_mark("I-LATE", "1.state", "met_late")
        fired = self.steps("I-LATE")
        self.assertEqual([m for m in self.r("ZRANGE", P + "marks:due", 0,
                                            -1) if m.startswith("I-LATE|")],
                         [])
        # a later incident's whole ladder passes; I-LATE's did not move
        self.route("I-AFTER", 1, now_ms())
        self.wait_ladder("I-AFTER")
        self.assertEqual(self.steps("I-LATE"), fired)
        late = [m for m in self.bus("mark.met")
                if m["incident_id"] == "I-LATE"]
        self.assertEqual(len(late), 1)
        self.assertTrue(late[0]["late"])

    def test_4_killed_tracker_loses_and_doubles_nothing(self):
        incs = [f"I-K{i}" for i in range(5)]
        for inc in incs:
            self.route(inc, 2, now_ms())
        # killed once the first miss has fired
        wait_until(lambda: any(self.steps(i) for i in incs),
                   what="a first miss")
        self.tracker.proc.kill()
        self.tracker.wait()
        start = now_ms()
        # every step of every ladder comes due while no tracker runs
        wait_until(lambda: now_ms() > start + 5000, timeout=10,
                   what="the ladders' due times passing")
        type(self).tracker = self.make_tracker().start()
        for inc in incs:
            for tier in (1, 2):
                self.wait_ladder(inc, tier)
        for inc in incs:
            for tier in (1, 2):
                self.check_once(inc, tier)


if __name__ == "__main__":
    unittest.main()
