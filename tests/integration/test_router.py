"""router against a real redis-server, the real intake and the real
router on the sample city (deploy/city): calls posted over HTTP become
route.decided entries on s:routes (checked against the schema, the city
data and a reference ranking), the documented coverage gaps are gaps,
replays and crashes never make a second decision, positions and status
hints on the units bus change the choice, unit state is read from Redis,
the REP queries answer (and refuse bad ones clearly), and the owning post
agrees with Redis' GEOSEARCH."""
import json
import os
import random
import re
import time
import unittest

from harness import (SRC, Nanocat, NanoPub, Service, Stack, call, haversine,
                     load_city, nn_request, offset, request, schema_validator,
                     stream_messages, wait_until)

SPEED = {"grid_worker": 1.4, "guard": 1.4, "post_team": 2.5, "mcu": 5.0,
         "patrol_car": 8.3, "special": 8.3}
KINDS = list(SPEED)                      # smallest first
DETOUR = 1.3
DISTRICT = (31.2228, 31.2372, 121.4595, 121.4805)   # deploy/city/README.md
TOL_M = 1.0


def gap_centres():
    """The coverage gaps documented in deploy/city/README.md."""
    with open(os.path.join(SRC, "deploy/city/README.md")) as f:
        rows = re.findall(r"^\| (G\d) \| ([\d.]+), ([\d.]+) \|", f.read(),
                          re.M)
    return [(g, float(lat), float(lon)) for g, lat, lon in rows]


def now_ms():
    return int(time.time() * 1000)


class RouterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack()
        cls.c = cls.s.redis.client()
        cls.events = Nanocat(cls.s.events)
        cls.posts, cls.units = load_city()
        with open(os.path.join(SRC, "deploy/plans.json")) as f:
            cls.plans = json.load(f)
        run = cls.s.run_dir
        cls.units_ep = f"ipc://{run}/units.ipc"
        cls.router_ep = f"ipc://{run}/router.ipc"
        cls.settings = {"redis.port": cls.s.redis.port, "run.dir": run,
                        "bus.events": cls.s.events,
                        "bus.units": cls.units_ep,
                        "bus.router": cls.router_ep, "route.refresh_s": 1,
                        "stream.claim_idle_ms": 1000, "log.level": "debug"}
        # state the router must take from Redis, not from the city file
        cls.c("HSET", cls.s.key("unit:U-0005"), "status", "offline")
        cls.c("HSET", cls.s.key("unit:U-0010"), "status", "available",
              "lat", "31.2311", "lon", "121.4711", "pos_ts", "1000")
        cls.decided_v = schema_validator("route.decided")
        cls.answer = schema_validator("router.answer")
        cls.query = schema_validator("router.query")
        cls.router = None
        cls.start_router()

    @classmethod
    def start_router(cls, wait=True):
        cls.router = Service("router", cls.settings, cls.s.run_dir).start()
        if not wait:
            return
        try:
            wait_until(lambda: nn_request(cls.router_ep, {
                "q": "post", "lat": 31.23, "lon": 121.47}, timeout=1),
                what="router answering queries")
        except AssertionError:
            print(cls.router.log_text())
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.router.stop()
        log = cls.router.log_text()
        cls.events.stop()
        cls.c.close()
        cls.s.close()
        if rc != 0:
            print(log)
        assert rc == 0, f"router exited {rc} on SIGTERM"

    # -- helpers ---------------------------------------------------------

    def ask(self, q):
        if isinstance(q, dict):
            self.assertFalse(list(self.query.iter_errors(q)), q)
        a = nn_request(self.router_ep, q)
        self.assertIsNotNone(a, f"no answer to {q}")
        errors = [e.message for e in self.answer.iter_errors(a)]
        self.assertFalse(errors, f"{a}: {errors}")
        return a

    def decisions(self):
        return [m for _, m in stream_messages(self.c, self.s.key("s:routes"),
                                              count=100000)]

    def decided(self, incident):
        return [m for m in self.decisions() if m["incident_id"] == incident]

    def new_incident(self, type_, lat, lon):
        st, _, body = self.s.post_call(call(type_, lat, lon))
        self.assertEqual(st, 201, body)
        self.assertFalse(body["merged"], body)
        return body["incident_id"]

    def routed(self, type_, lat, lon):
        """Post a call; its route.decided (schema-checked)."""
        iid = self.new_incident(type_, lat, lon)
        msgs = wait_until(lambda: self.decided(iid), what=f"route of {iid}")
        self.assertEqual(len(msgs), 1)
        errors = [e.message for e in self.decided_v.iter_errors(msgs[0])]
        self.assertFalse(errors, f"{msgs[0]}: {errors}")
        return msgs[0]

    def nearest_post(self, lat, lon, radius=None):
        d, p = min((haversine(lat, lon, p["lat"], p["lon"]), p["id"])
                   for p in self.posts)
        return (p, d) if radius is None or d <= radius else (None, d)

    def reference(self, type_, lat, lon):
        """The ranking of docs/DISPATCH.md over the router's own unit
        state: [[unit ids of tier 1], ...]."""
        units = self.ask({"q": "units", "lat": lat, "lon": lon,
                          "radius_m": 1000000, "max": 500})["units"]
        self.assertEqual(len(units), len(self.units))
        plan = self.plans["plans"][self.plans["types"][type_]["plan"]]
        taken, out = set(), []
        for tier in plan["tiers"]:
            rows = []
            for u in units:
                if (u["status"] != "available" or u["unit_id"] in taken or
                        u["kind"] not in tier["kinds"]):
                    continue
                d = haversine(lat, lon, u["lat"], u["lon"])
                eta, k = d * DETOUR / SPEED[u["kind"]], KINDS.index(u["kind"])
                rows.append((0, k, d, u["unit_id"])
                            if eta <= tier["deadline_s"] else
                            (1, eta, k, d, u["unit_id"]))
            ids = [r[-1] for r in sorted(rows)[:8]]
            taken.update(ids[:1])       # the unit sent; fallbacks may repeat
            out.append(ids)
        return out

    def tier_ids(self, msg):
        return [[c["unit_id"] for c in t["candidates"]] for t in msg["tiers"]]

    def group(self):
        g = self.c("XINFO", "GROUPS", self.s.key("s:incidents"))
        g = {r[1]: dict(zip(r[::2], r[1::2])) for r in g}["router"]
        last = self.c("XREVRANGE", self.s.key("s:incidents"), "+", "-",
                      "COUNT", 1)[0][0]
        return g["pending"] == 0 and g["last-delivered-id"] == last

    # -- routing ---------------------------------------------------------

    def test_call_routed_to_its_post_with_ranked_units(self):
        lat, lon = offset(31.2300, 121.4700, north_m=30, east_m=-10)
        msg = self.routed("fight", lat, lon)
        iid = msg["incident_id"]
        post, dist = self.nearest_post(lat, lon, 200)
        self.assertEqual(msg["post"]["id"], post)
        self.assertAlmostEqual(msg["post"]["distance_m"], dist, delta=0.1)
        self.assertFalse(msg["coverage_gap"])
        self.assertEqual((msg["incident_type"], msg["priority"]),
                         ("fight", 2))
        self.assertEqual([t["tier"] for t in msg["tiers"]], [1, 2])
        self.assertEqual([t["deadline_s"] for t in msg["tiers"]], [60, 180])
        self.assertEqual(self.tier_ids(msg), self.reference("fight", lat,
                                                              lon))
        for t in msg["tiers"]:
            for c in t["candidates"]:
                self.assertAlmostEqual(c["eta_s"], c["distance_m"] * DETOUR /
                                       SPEED[c["kind"]], delta=0.1)

        inc = dict(zip(*[iter(self.c("HGETALL", self.s.key("inc:" + iid)))]
                       * 2))
        self.assertEqual((inc["post"], inc["coverage_gap"], inc["state"]),
                         (post, "false", "routed"))
        self.assertAlmostEqual(float(inc["post_dist_m"]), dist, delta=0.1)
        self.assertEqual(json.loads(inc["route"]), msg)
        tl = [json.loads(e) for e in self.c("LRANGE", self.s.key(
            f"inc:{iid}:tl"), 0, -1)]
        routed = [e for e in tl if e["event"] == "routed"]
        self.assertEqual(len(routed), 1)
        self.assertEqual((routed[0]["by"], routed[0]["post"],
                          routed[0]["coverage_gap"]), ("router", post, False))
        _, _, api = self.s.get_incident(iid)
        self.assertEqual(api["state"], "routed")

        frames = wait_until(lambda: [f for f in self.events.frames()
                                     if f.startswith("route.decided ") and
                                     iid in f], what="route.decided frame")
        self.assertEqual(json.loads(frames[0].split(" ", 1)[1]), msg)

    def test_calls_in_documented_gaps_are_coverage_gaps(self):
        gaps = gap_centres()
        self.assertEqual(len(gaps), 3)
        for name, lat, lon in gaps:
            for type_, east in (("theft", 0), ("fraud", 30)):
                plat, plon = offset(lat, lon, east_m=east)
                msg = self.routed(type_, plat, plon)
                post, dist = self.nearest_post(plat, plon)
                self.assertTrue(msg["coverage_gap"], f"{name}: {msg}")
                self.assertEqual(msg["post"]["id"], post, name)
                self.assertGreater(msg["post"]["distance_m"], 200)
                self.assertAlmostEqual(msg["post"]["distance_m"], dist,
                                       delta=0.1)
                self.assertEqual(self.c("HGET", self.s.key(
                    "inc:" + msg["incident_id"]), "coverage_gap"), "true")
        msg = self.routed("theft", *offset(31.2300, 121.4700, east_m=-60))
        self.assertFalse(msg["coverage_gap"])

    def test_upgrade_is_acked_without_a_second_route(self):
        lat, lon = offset(31.2260, 121.4760, north_m=10)
        iid = self.routed("person_in_distress", lat, lon)["incident_id"]
        st, _, body = self.s.post_call(call("medical", lat, lon))
        self.assertTrue(body["merged"], body)
        ups = [m for m in self.s.stream() if m["type"] == "incident.upgraded"
               and m["incident_id"] == iid]
        self.assertEqual(len(ups), 1)
        wait_until(self.group, what="s:incidents drained")
        self.assertEqual(len(self.decided(iid)), 1)
        wait_until(lambda: f"incident {iid} upgraded" in
                   self.router.log_text(), what="upgrade logged")

    # -- replays and crashes ---------------------------------------------

    def crash(self):
        self.router.proc.kill()
        self.router.wait()

    def test_replayed_entries_make_no_second_decision(self):
        ids = [self.routed("suspicious", *offset(31.2280, 121.4620,
                                                 east_m=400 * i))
               ["incident_id"] for i in range(3)]
        wait_until(self.group, what="s:incidents drained")
        before = len(self.decisions())
        # the router dies; every entry is delivered again, as when it
        # dies after its script and before its XACK
        self.crash()
        self.assertEqual(self.c("XGROUP", "SETID",
                                self.s.key("s:incidents"), "router", "0"),
                         "OK")
        type(self).start_router()
        wait_until(self.group, what="replayed entries acked", timeout=20)
        self.assertEqual(len(self.decisions()), before)
        for iid in ids:
            self.assertEqual(len(self.decided(iid)), 1)
            tl = self.c("LRANGE", self.s.key(f"inc:{iid}:tl"), 0, -1)
            self.assertEqual(sum('"routed"' in e for e in tl), 1)
        self.assertIn("has a route already", self.router.log_text())

    def test_redis_restart_costs_no_incident(self):
        self.s.redis.kill()             # fsync always: nothing is lost
        a = self.ask({"q": "post", "lat": 31.2300, "lon": 121.4700})
        self.assertEqual(a["post"]["id"], "P-001")   # answered from memory
        self.s.redis.start()
        self.c.close()
        type(self).c = self.s.redis.client()
        wait_until(lambda: request(self.s.intake_port, "GET", "/healthz")[2]
                   ["redis"] == "up", what="intake connected again")
        lat, lon = offset(31.2350, 121.4620, east_m=-30)
        iid = self.new_incident("dispute", lat, lon)
        wait_until(lambda: self.decided(iid), timeout=20,
                   what="routed after the restart")
        self.assertTrue(self.router.running())

    def test_crash_while_routing_loses_and_doubles_nothing(self):
        self.crash()
        before = len(self.decisions())
        ids = [self.new_incident(("alarm", "lost_property")[i % 2],
                                 *offset(DISTRICT[0], DISTRICT[2],
                                         north_m=160 * (i // 20),
                                         east_m=160 * (i % 20 // 2)))
               for i in range(200)]
        type(self).start_router(wait=False)
        wait_until(lambda: len(self.decisions()) > before, interval=0.001,
                   what="a first decision")
        self.crash()                    # most likely in the middle
        type(self).start_router()
        wait_until(lambda: all(self.decided(i) for i in ids), timeout=30,
                   what="every incident routed")
        wait_until(self.group, what="s:incidents drained", timeout=20)
        for iid in ids:
            self.assertEqual(len(self.decided(iid)), 1, iid)

    # -- the units bus and Redis -----------------------------------------

    def unit(self, uid, lat, lon, radius=1.0):
        for u in self.ask({"q": "units", "lat": lat, "lon": lon,
                           "radius_m": radius, "max": 500})["units"]:
            if u["unit_id"] == uid:
                return u
        return None

    def publish_until(self, frame, pred, what):
        with NanoPub(self.units_ep, frame):
            return wait_until(pred, what=what)

    def test_positions_and_status_on_the_units_bus_change_the_choice(self):
        x = offset(31.2340, 121.4780, north_m=-20, east_m=15)
        home = next(u for u in self.units if u["id"] == "U-0001")
        self.assertEqual(home["kind"], "grid_worker")
        q = {"q": "route", "lat": x[0], "lon": x[1], "type": "noise"}
        self.assertNotEqual(self.tier_ids(self.ask(q))[0][:1], ["U-0001"])

        pos = {"unit_id": "U-0001", "lat": x[0], "lon": x[1], "ts": now_ms()}
        self.publish_until("unit.position " + json.dumps(pos),
                           lambda: self.unit("U-0001", *x), "unit moved")
        self.assertEqual(self.tier_ids(self.ask(q))[0][0], "U-0001")
        msg = self.routed("noise", *x)
        self.assertEqual(self.tier_ids(msg)[0][0], "U-0001")
        self.assertEqual(self.tier_ids(msg), self.reference("noise", *x))

        for status in ("dispatched", "available"):
            st = {"type": "unit.status", "v": 1, "ts": now_ms(),
                  "src": "commander", "unit_id": "U-0001", "status": status}
            self.publish_until("unit.status " + json.dumps(st), lambda: (
                self.unit("U-0001", *x) or {}).get("status") == status,
                f"unit {status}")
            ids = sum(self.tier_ids(self.ask(q)), [])
            self.assertEqual("U-0001" in ids, status == "available")

        pos = {"unit_id": "U-0001", "lat": home["lat"], "lon": home["lon"],
               "ts": now_ms()}
        self.publish_until("unit.position " + json.dumps(pos), lambda:
                           self.unit("U-0001", home["lat"], home["lon"]),
                           "unit home again")

    def test_unit_state_comes_from_redis_at_start_and_refresh(self):
        u = self.unit("U-0010", 31.2311, 121.4711)
        self.assertIsNotNone(u, "U-0010 not where Redis has it")
        self.assertEqual(u["status"], "available")
        home = next(u for u in self.units if u["id"] == "U-0005")
        u = self.unit("U-0005", home["lat"], home["lon"])
        self.assertEqual(u["status"], "offline")
        key = self.s.key("unit:U-0020")
        home = next(u for u in self.units if u["id"] == "U-0020")
        for status in ("unreachable", "available"):
            self.c("HSET", key, "status", status)
            wait_until(lambda: self.unit("U-0020", home["lat"], home["lon"])
                       ["status"] == status, what=f"refreshed {status}")

    # -- queries ---------------------------------------------------------

    def test_queries_answer_and_refuse_clearly(self):
        a = self.ask({"q": "post", "lat": 31.2300, "lon": 121.4700})
        self.assertEqual((a["post"]["id"], a["post"]["kind"],
                          a["coverage_gap"]), ("P-001", "central", False))
        a = self.ask({"q": "units", "lat": 31.2300, "lon": 121.4700,
                      "radius_m": 800, "kind": "patrol_car", "max": 3})
        self.assertLessEqual(len(a["units"]), 3)
        self.assertTrue(all(u["kind"] == "patrol_car" for u in a["units"]))
        dists = [u["distance_m"] for u in a["units"]]
        self.assertEqual(dists, sorted(dists))
        lat, lon = offset(31.2300, 121.4700, north_m=-300, east_m=200)
        a = self.ask({"q": "route", "lat": lat, "lon": lon,
                      "type": "robbery"})
        self.assertEqual(self.tier_ids(a), self.reference("robbery", lat,
                                                            lon))
        bad = [("{nope", "bad_json", None),
               ({"q": "post", "lon": 121.47}, "bad_field", "lat"),
               ({"q": "where", "lat": 1, "lon": 1}, "unknown_query", "q"),
               ({"q": "post", "lat": 95, "lon": 121.47}, "bad_field", "lat"),
               ({"q": "units", "lat": 31.23, "lon": 121.47,
                 "radius_m": 5e6}, "bad_field", "radius_m"),
               ({"q": "route", "lat": 31.23, "lon": 121.47, "type": "ufo"},
                "unknown_type", "type"),
               ("[]", "bad_query", None)]
        for q, code, field in bad:
            a = nn_request(self.router_ep, q)
            self.assertFalse(list(self.answer.iter_errors(a)), a)
            self.assertEqual(a["error"]["code"], code, (q, a))
            self.assertEqual(a["error"].get("field"), field, (q, a))
            self.assertTrue(a["error"]["message"])
        self.assertTrue(self.router.running())
        self.ask({"q": "post", "lat": 31.2300, "lon": 121.4700})

    def test_post_answers_agree_with_redis_geosearch(self):
        key = "test:router:posts"
        for p in self.posts:
            self.c("GEOADD", key, p["lon"], p["lat"], p["id"])
        rng = random.Random(11)
        lat0, lat1, lon0, lon1 = DISTRICT
        owned = gaps = 0
        for _ in range(400):
            lat = rng.uniform(lat0 - 0.004, lat1 + 0.004)
            lon = rng.uniform(lon0 - 0.005, lon1 + 0.005)
            a = self.ask({"q": "post", "lat": lat, "lon": lon})
            near = self.c("GEOSEARCH", key, "FROMLONLAT", lon, lat,
                          "BYRADIUS", 200, "m", "ASC", "COUNT", 1,
                          "WITHDIST")
            d = a["post"]["distance_m"]
            if near and not a["coverage_gap"]:
                theirs = near[0][0]
            elif not near and a["coverage_gap"]:
                theirs = self.c("GEOSEARCH", key, "FROMLONLAT", lon, lat,
                                "BYRADIUS", 100, "km", "ASC", "COUNT", 1,
                                "WITHDIST")[0][0]
            else:       # one side at the 200 m boundary
                self.assertAlmostEqual(d, 200, delta=TOL_M + 0.1,
                                       msg=(lat, lon, a, near))
                continue
            owned += not a["coverage_gap"]
            gaps += a["coverage_gap"]
            p = next(p for p in self.posts if p["id"] == theirs)
            self.assertAlmostEqual(d, haversine(lat, lon, p["lat"], p["lon"]),
                                   delta=TOL_M + 0.1, msg=(lat, lon, a, near))
        self.assertGreater(owned, 50)
        self.assertGreater(gaps, 50)


if __name__ == "__main__":
    unittest.main()
