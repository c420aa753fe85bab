"""intake over HTTP against a real Redis: calls become incidents, retries
never double, repeat calls merge, bad input gets a JSON 4xx, and a Redis
outage costs no accepted call."""
import concurrent.futures
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from harness import (BIN, SRC, Nanocat, Stack, call, offset, request,
                     wait_until)


class IntakeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack()

    @classmethod
    def tearDownClass(cls):
        rc, log = cls.s.close()
        if rc != 0:
            print(log)
        assert rc == 0, f"intake exited {rc} on SIGTERM"

    def incidents_created(self):
        return [m for m in self.s.stream() if m["type"] == "incident.created"]

    def test_call_becomes_incident_in_redis_and_api(self):
        before = len(self.incidents_created())
        st, hdr, body = self.s.post_call(call("robbery", 31.2001, 121.4001))
        self.assertEqual(st, 201, body)
        self.assertFalse(body["merged"])
        self.assertFalse(body["duplicate"])
        iid = body["incident_id"]
        self.assertEqual(hdr["location"], f"/v1/incidents/{iid}")
        self.assertEqual(body["incident"]["priority"], 1)
        self.assertEqual(body["incident"]["colour"], "red")

        st, _, inc = self.s.get_incident(iid)
        self.assertEqual(st, 200, inc)
        self.assertEqual(inc["id"], iid)
        self.assertEqual(inc["state"], "new")
        self.assertEqual(inc["type"], "robbery")
        self.assertEqual(inc["calls_count"], 1)
        self.assertEqual(inc["calls"][0]["call_id"], body["call_id"])
        self.assertAlmostEqual(inc["location"]["lat"], 31.2001, places=6)
        self.assertEqual([e["event"] for e in inc["timeline"]], ["created"])

        created = self.incidents_created()
        self.assertEqual(len(created), before + 1)
        self.assertEqual(created[-1]["incident"]["id"], iid)
        self.assertEqual(created[-1]["incident"]["t0"], inc["t0"])
        c = self.s.redis.client()
        try:
            self.assertEqual(c("HGET", self.s.key(f"inc:{iid}"), "state"),
                             "new")
            self.assertIsNotNone(c("ZSCORE", self.s.key("open:t0"), iid))
        finally:
            c.close()

    def test_retry_with_same_call_id_never_doubles(self):
        body = call("theft", 31.2101, 121.4101, call_id="retry-1")
        st1, _, r1 = self.s.post_call(body)
        st2, _, r2 = self.s.post_call(body)
        self.assertEqual((st1, st2), (201, 200))
        self.assertEqual(r1["incident_id"], r2["incident_id"])
        self.assertTrue(r2["duplicate"])
        ids = [m["incident"]["id"] for m in self.incidents_created()]
        self.assertEqual(ids.count(r1["incident_id"]), 1)
        _, _, inc = self.s.get_incident(r1["incident_id"])
        self.assertEqual(inc["calls_count"], 1)

    def test_idempotency_key_header(self):
        body = call("fraud", 31.2201, 121.4201)
        h = {"Idempotency-Key": "hdr-key-7"}
        st1, _, r1 = self.s.post_call(body, h)
        st2, _, r2 = self.s.post_call(body, h)
        self.assertEqual((st1, st2), (201, 200))
        self.assertEqual(r1["call_id"], "hdr-key-7")
        self.assertEqual(r1["incident_id"], r2["incident_id"])

    def test_same_call_id_different_call_is_conflict(self):
        st, _, _ = self.s.post_call(call("noise", 31.2301, 121.4301,
                                         call_id="conf-1"))
        self.assertEqual(st, 201)
        st, _, body = self.s.post_call(call("noise", 31.2302, 121.4301,
                                            call_id="conf-1"))
        self.assertEqual(st, 409, body)
        self.assertEqual(body["error"]["code"], "idempotency_conflict")
        self.assertEqual(body["error"]["field"], "call_id")

    def test_concurrent_retries_create_one_incident(self):
        body = call("fire", 31.2401, 121.4401, call_id="storm-1")
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            res = list(ex.map(lambda _: self.s.post_call(body), range(32)))
        statuses = sorted(r[0] for r in res)
        self.assertEqual(statuses.count(201), 1, statuses)
        self.assertEqual(statuses.count(200), 31, statuses)
        self.assertEqual(len({r[2]["incident_id"] for r in res}), 1)

    def test_repeat_call_nearby_merges_and_raises_priority(self):
        lat, lon = 31.2501, 121.4501
        st, _, first = self.s.post_call(call("fight", lat, lon))
        self.assertEqual(st, 201)
        self.assertEqual(first["incident"]["priority"], 2)
        lat2, lon2 = offset(lat, lon, north_m=60, east_m=40)
        st, _, second = self.s.post_call(call("assault", lat2, lon2))
        self.assertEqual(st, 201, second)
        self.assertTrue(second["merged"])
        self.assertEqual(second["incident_id"], first["incident_id"])
        self.assertEqual(second["incident"]["calls_count"], 2)
        self.assertEqual(second["incident"]["priority"], 1)

        _, _, inc = self.s.get_incident(first["incident_id"])
        self.assertEqual(inc["calls_count"], 2)
        self.assertEqual(len(inc["calls"]), 2)
        self.assertEqual([e["event"] for e in inc["timeline"]],
                         ["created", "call_merged", "priority_raised"])
        up = [m for m in self.s.stream() if m["type"] == "incident.upgraded"
              and m["incident_id"] == first["incident_id"]]
        self.assertEqual(len(up), 1)
        self.assertEqual((up[0]["previous_priority"], up[0]["priority"]),
                         (2, 1))

    def test_call_beyond_merge_radius_is_new_incident(self):
        lat, lon = 31.2601, 121.4601
        _, _, a = self.s.post_call(call("dispute", lat, lon))
        lat2, lon2 = offset(lat, lon, north_m=400)
        _, _, b = self.s.post_call(call("dispute", lat2, lon2))
        self.assertFalse(b["merged"])
        self.assertNotEqual(a["incident_id"], b["incident_id"])

    def test_incompatible_type_is_new_incident(self):
        lat, lon = 31.2701, 121.4701
        _, _, a = self.s.post_call(call("theft", lat, lon))
        _, _, b = self.s.post_call(call("medical", lat, lon))
        self.assertFalse(b["merged"])
        self.assertNotEqual(a["incident_id"], b["incident_id"])

    def test_call_after_merge_window_is_new_incident(self):
        lat, lon = 31.2801, 121.4801
        _, _, a = self.s.post_call(call("gathering", lat, lon))
        c = self.s.redis.client()
        try:  # the incident's last call was 16 minutes ago (window 15)
            c("HSET", self.s.key("inc:" + a["incident_id"]), "last_call",
              int(time.time() * 1000) - 16 * 60 * 1000)
        finally:
            c.close()
        _, _, b = self.s.post_call(call("gathering", lat, lon))
        self.assertFalse(b["merged"])
        self.assertNotEqual(a["incident_id"], b["incident_id"])

    def test_closed_incident_is_not_merge_target(self):
        lat, lon = 31.2901, 121.4901
        _, _, a = self.s.post_call(call("burglary", lat, lon))
        c = self.s.redis.client()
        try:
            c("HSET", self.s.key("inc:" + a["incident_id"]), "state",
              "closed")
            _, _, b = self.s.post_call(call("burglary", lat, lon))
            self.assertFalse(b["merged"])
            self.assertIsNone(c("GEOPOS", self.s.key("open:geo"),
                                a["incident_id"])[0])
        finally:
            c.close()

    def test_open_incidents_listed_newest_first_without_ended_ones(self):
        from harness import schema_validator
        ids = []
        for i in range(3):
            _, _, b = self.s.post_call(call("fraud", 31.3001 + i * 0.01,
                                            121.5001))
            ids.append(b["incident_id"])
        c = self.s.redis.client()
        try:
            c("HSET", self.s.key("inc:" + ids[1]), "state", "cleared")
        finally:
            c.close()
        st, _, body = request(self.s.intake_port, "GET",
                              "/v1/incidents?limit=1000")
        self.assertEqual(st, 200, body)
        schema_validator("incident.list").validate(body)
        listed = [i["id"] for i in body["incidents"]]
        self.assertIn(ids[0], listed)
        self.assertNotIn(ids[1], listed)
        self.assertLess(listed.index(ids[2]), listed.index(ids[0]))
        self.assertEqual(body["count"], len(listed))
        st, _, body = request(self.s.intake_port, "GET",
                              "/v1/incidents?limit=1")
        self.assertEqual(body["count"], 1)
        for bad in ("0", "x", "1001", ""):
            st, _, body = request(self.s.intake_port, "GET",
                                  "/v1/incidents?limit=" + bad)
            self.assertEqual(st, 400, bad)
            self.assertEqual(body["error"]["field"], "limit")

    def test_unknown_incident_is_404_json(self):
        st, _, body = self.s.get_incident("I-20000101-XXXXXX")
        self.assertEqual(st, 404)
        self.assertEqual(body["error"]["code"], "not_found")
        st, _, body = self.s.get_incident("bad%20id")
        self.assertEqual(st, 400)
        self.assertEqual(body["error"]["field"], "id")

    def test_events_published_on_the_bus(self):
        # PUB/SUB joins asynchronously: post until the first frame arrives.
        cat = Nanocat(self.s.events)
        n = [0]
        try:
            def seen():  # a new place each time: each call is new
                n[0] += 1
                self.s.post_call(call("suspicious", 31.3001 + n[0] * 0.01,
                                      121.5001))
                return [f for f in cat.frames()
                        if f.startswith("incident.created ")]
            frames = wait_until(seen, what="incident.created on the bus",
                                interval=0.2)
            msg = json.loads(frames[0].split(" ", 1)[1])
            self.assertEqual(msg["type"], "incident.created")
        finally:
            cat.stop()


BAD = [
    # (name, body, headers, status, code, field)
    ("not json", "{nope", None, 400, "invalid_json", None),
    ("trailing garbage", '{"type":"theft"} x', None, 400, "invalid_json",
     None),
    ("duplicate key", '{"type":"theft","type":"fire"}', None, 400,
     "invalid_json", None),
    ("empty body", "", None, 400, "invalid_json", None),
    ("array body", "[1,2]", None, 400, "invalid_json", None),
    ("missing type", {"location": {"lat": 31.2, "lon": 121.4}}, None, 422,
     "invalid_field", "type"),
    ("unknown type", call("alien_invasion"), None, 422, "invalid_field",
     "type"),
    ("type not string", call(type_=5), None, 422, "invalid_field", "type"),
    ("missing location", {"type": "theft"}, None, 422, "invalid_field",
     "location"),
    ("lat is a string", call(location={"lat": "31.2", "lon": 121.4}), None,
     422, "invalid_field", "location.lat"),
    ("lat out of range", call(location={"lat": 91, "lon": 121.4}), None,
     422, "invalid_field", "location.lat"),
    ("lat beyond the map", call(location={"lat": 86, "lon": 121.4}), None,
     422, "invalid_field", "location.lat"),
    ("lon out of range", call(location={"lat": 31.2, "lon": -181}), None,
     422, "invalid_field", "location.lon"),
    ("missing lon", call(location={"lat": 31.2}), None, 422,
     "invalid_field", "location.lon"),
    ("null island", call(location={"lat": 0, "lon": 0}), None, 422,
     "invalid_field", "location.lat"),
    ("unknown field", call(priorty=1), None, 422, "invalid_field",
     "priorty"),
    ("unknown location field", call(location={"lat": 31.2, "lon": 121.4,
                                              "alt": 3}), None, 422,
     "invalid_field", "location.alt"),
    ("priority out of range", call(priority=7), None, 422, "invalid_field",
     "priority"),
    ("priority not integer", call(priority=1.5), None, 422,
     "invalid_field", "priority"),
    ("bad colour", call(colour="purple"), None, 422, "invalid_field",
     "colour"),
    ("colour disagrees", call(priority=1, colour="blue"), None, 422,
     "invalid_field", "colour"),
    ("bad source", call(source="pigeon"), None, 422, "invalid_field",
     "source"),
    ("bad call_id", call(call_id="has space"), None, 422, "invalid_field",
     "call_id"),
    ("call_id too long", call(call_id="x" * 65), None, 422,
     "invalid_field", "call_id"),
    ("header and body ids disagree", call(call_id="a1"),
     {"Idempotency-Key": "b2"}, 422, "invalid_field", "call_id"),
    ("bad idempotency header", call(), {"Idempotency-Key": "a/b"}, 422,
     "invalid_field", "Idempotency-Key"),
    ("bad phone", call(caller={"phone": "call me"}), None, 422,
     "invalid_field", "caller.phone"),
    ("description too long", call(description="x" * 2001), None, 422,
     "invalid_field", "description"),
    ("wrong content type", json.dumps(call()),
     {"Content-Type": "text/plain"}, 415, "unsupported_media_type",
     "Content-Type"),
    ("no content type", json.dumps(call()), {}, 415,
     "unsupported_media_type", "Content-Type"),
]


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(**{"http.max_body": 4096})

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_each_bad_call_gets_a_json_4xx_and_nothing_is_stored(self):
        before = len(self.s.stream())
        for name, body, headers, status, code, field in BAD:
            with self.subTest(name):
                if isinstance(body, dict):
                    st, _, res = self.s.post_call(body, headers)
                else:
                    h = {"Content-Type": "application/json"}
                    if headers is not None:
                        h = headers
                    st, _, res = request(self.s.intake_port, "POST",
                                         "/v1/calls", body, h)
                self.assertEqual(st, status, res)
                self.assertEqual(res["error"]["code"], code, res)
                self.assertEqual(res["error"]["status"], status)
                self.assertTrue(res["error"]["message"])
                if field is not None:
                    self.assertEqual(res["error"]["field"], field, res)
        self.assertEqual(len(self.s.stream()), before)
        self.assertEqual(self.s.health(), 200)

    def test_body_too_large_is_413_json(self):
        st, _, res = self.s.post_call(call(description="x" * 5000))
        self.assertEqual(st, 413)
        self.assertEqual(res["error"]["status"], 413)
        self.assertEqual(self.s.health(), 200)

    def test_unknown_route_and_method(self):
        st, _, res = request(self.s.intake_port, "GET", "/v1/nothing")
        self.assertEqual(st, 404)
        self.assertIn("error", res)
        st, hdr, res = request(self.s.intake_port, "DELETE", "/v1/calls")
        self.assertEqual(st, 405)
        self.assertIn("POST", hdr["allow"])
        self.assertIn("error", res)


class RedisOutageTest(unittest.TestCase):
    def setUp(self):
        self.s = Stack()

    def tearDown(self):
        rc, log = self.s.close()
        self.assertEqual(rc, 0, log[-3000:])

    def test_redis_down_503_then_recovers_without_losing_accepted(self):
        st, _, kept = self.s.post_call(call("weapon", 31.3101, 121.5101))
        self.assertEqual(st, 201)

        self.s.redis.kill()
        st, hdr, res = self.s.post_call(call("theft", 31.3201, 121.5201,
                                             call_id="during-outage"))
        self.assertEqual(st, 503, res)
        self.assertIn(res["error"]["code"],
                      ("store_unavailable", "outcome_unknown"))
        self.assertEqual(res["error"]["call_id"], "during-outage")
        self.assertEqual(hdr["retry-after"], "1")
        wait_until(lambda: self.s.health() == 503, what="healthz 503")

        self.s.redis.start()  # same directory: the append-only file
        wait_until(lambda: self.s.health() == 200, timeout=20,
                   what="intake reconnecting")
        st, _, res = self.s.post_call(call("theft", 31.3201, 121.5201,
                                           call_id="during-outage"))
        self.assertEqual(st, 201, res)
        st, _, inc = self.s.get_incident(kept["incident_id"])
        self.assertEqual(st, 200)
        self.assertEqual(inc["type"], "weapon")


class LifecycleTest(unittest.TestCase):
    def test_sigterm_exits_zero(self):
        s = Stack()
        try:
            s.intake.signal(signal.SIGTERM)
            self.assertEqual(s.intake.wait(10), 0)
        finally:
            s.close()

    def run_intake(self, args, env):
        full = dict(os.environ, **env)
        return subprocess.run([os.path.join(BIN, "intake")] + args,
                              env=full, cwd=SRC, capture_output=True,
                              text=True, timeout=10)

    def test_bad_setting_is_one_clear_line_naming_the_key(self):
        r = self.run_intake([], {"NEARPOST_MERGE_RADIUS_M": "far"})
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("merge.radius_m", r.stderr)

    def test_unknown_key_in_file_names_file_line_and_key(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("# intake\nhttp.port = 7999\nhttp.prot = 1\n")
            f.flush()
            r = self.run_intake(["--config", f.name], {})
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{f.name}:3", r.stderr)
        self.assertIn("http.prot", r.stderr)

    def test_check_config_help_version(self):
        self.assertEqual(self.run_intake(["--check-config"], {}).returncode,
                         0)
        r = self.run_intake(["--help"], {})
        self.assertEqual(r.returncode, 0)
        self.assertIn("merge.window_s", r.stdout)
        r = self.run_intake(["--version"], {})
        self.assertRegex(r.stdout, r"^intake \d+\.\d+")

    def test_bad_plans_file_names_the_problem(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump({"types": {"x": {"label": "X", "priority": 9,
                                       "merge_group": "g", "plan": "p"}},
                       "plans": {"p": {"tiers": [
                           {"tier": 1, "deadline_s": 60,
                            "kinds": ["mcu"]}]}}}, f)
            f.flush()
            r = self.run_intake([], {"NEARPOST_PLANS_FILE": f.name})
        self.assertEqual(r.returncode, 1)
        self.assertIn("types.x.priority", r.stderr)


if __name__ == "__main__":
    unittest.main()
