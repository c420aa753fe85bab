"""feedback and the supervisor routes against a real Redis and intake.

Calls go in over intake's HTTP API; the commander's part is played here
(the incident set 'cleared' and its order cleared, as status.lua leaves
them) and the radio gateway's by XADDing unit.status clears to s:status.
Checks: the incident closes with its disposition, marks and SLA counters;
incident.closed on the event bus is schema-valid; a clear seen before the
commander applied it still closes the incident; the follow-up and close
routes answer 200/404/409/422 as documented; a feedback killed and
restarted closes what came while it was down, once."""
import json
import re
import signal
import time
import unittest

from harness import (PRINCIPALS, TOKENS, Nanocat, Service, Stack, call,
                     offset, request, schema_validator, wait_until)

P = "np:{city}:"


def now_ms():
    return int(time.time() * 1000)


class FeedbackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(**{"feedback.followup_s": 3600})
        cls.events = Nanocat(cls.stack.events)
        cls.r = cls.stack.redis.client()
        cls.feedback = cls.start_feedback()
        cls.closed_schema = schema_validator("incident.closed")
        cls.close_schema = schema_validator("close.request")
        cls.followup_schema = schema_validator("followup.request")
        cls.n = 0

    @classmethod
    def start_feedback(cls, **extra):
        s = cls.stack
        return Service("feedback", {
            "redis.port": s.redis.port, "run.dir": s.run_dir,
            "bus.events": s.events, "log.level": "debug",
            "feedback.followup_s": 3600, "feedback.wait_ms": 20000,
            **extra}, s.run_dir).start()

    @classmethod
    def tearDownClass(cls):
        log = cls.feedback.log_text()
        rc = cls.feedback.stop()
        cls.events.stop()
        cls.r.close()
        irc, ilog = cls.stack.close()
        assert rc == 0, log
        assert irc == 0, ilog

    def hget(self, key, field):
        return self.r("HGET", P + key, field)

    def new_incident(self, north_m=0.0, phone=None):
        """A new incident far from the others (or north_m from the first
        place), as the router leaves it (post, district)."""
        type(self).n += 1
        lat, lon = offset(31.2304, 121.4737, north_m=north_m,
                          east_m=0 if north_m else 2000 * self.n)
        body = call(lat=lat, lon=lon)
        body["caller"]["phone"] = phone or f"+86 139 0000 {self.n:04d}"
        status, _, reply = self.stack.post_call(body)
        self.assertEqual(status, 201, reply)
        self.assertFalse(reply["merged"])
        inc = reply["incident_id"]
        self.r("HSET", P + "inc:" + inc, "post", "P-7", "state", "routed")
        return inc

    def commander_clears(self, inc, disposition="resolved", state=None):
        """inc's order T1-1 cleared and the incident cleared, as the
        commander's status.lua leaves them (state: the order's state, when
        the commander has not applied the clear yet)."""
        oid = inc + "-T1-1"
        self.r("MULTI")         # one step, as the commander's script
        self.r("HSET", P + "order:" + oid, "id", oid, "incident_id", inc,
               "unit_id", "U-1", "tier", 1, "state", state or "cleared",
               "cleared_at", now_ms(), "disposition", disposition)
        self.r("HSET", P + "inc:" + inc + ":asg", "1", oid)
        if state is None:
            self.r("HSET", P + "inc:" + inc, "state", "cleared")
        self.r("EXEC")
        return oid

    def radio_clear(self, inc, oid, disposition="resolved"):
        msg = {"type": "unit.status", "v": 1, "ts": now_ms(),
               "src": "radiogw", "unit_id": "U-1", "status": "clear",
               "order_id": oid, "incident_id": inc,
               "disposition": disposition}
        schema_validator("unit.status").validate(msg)
        self.r("XADD", P + "s:status", "*", "msg", json.dumps(msg))

    def wait_closed(self, inc):
        try:
            wait_until(lambda: self.hget("inc:" + inc, "state") == "closed",
                       what=f"{inc} closed")
        except AssertionError:
            print(self.feedback.log_text()[-3000:])
            raise

    def closed_frames(self, inc):
        out = []
        for line in self.events.frames():
            topic, _, body = line.partition(" ")
            if topic == "incident.closed":
                m = json.loads(body)
                self.closed_schema.validate(m)
                if m["incident_id"] == inc:
                    out.append(m)
        return out

    def test_clear_closes_with_marks_sla_and_followup(self):
        inc = self.new_incident()
        t0 = int(self.hget("inc:" + inc, "t0"))
        self.r("HSET", P + "mark:" + inc, "1.state", "met", "1.due",
               t0 + 60000, "1.met_at", t0 + 30000, "2.state", "missed",
               "2.due", t0 + 180000)
        self.radio_clear(inc, self.commander_clears(inc, "arrested"),
                         "arrested")
        self.wait_closed(inc)
        status, _, body = self.stack.get_incident(inc)
        self.assertEqual(status, 200)
        self.assertEqual(body["disposition"], "arrested")
        self.assertEqual(body["closed_by"], "feedback")
        self.assertEqual(body["sla"], "missed")
        self.assertIsInstance(body["closed_at"], int)
        self.assertEqual(json.loads(body["marks"])["1"]["state"], "met")
        self.assertIn("closed", [e["event"] for e in body["timeline"]])
        hour = time.strftime("%Y%m%d%H", time.gmtime(t0 / 1000))
        for scope in ("post:P-7", "district:city"):
            h = self.r("HGETALL", P + f"sla:{scope}:h:{hour}")
            h = dict(zip(h[::2], h[1::2]))
            self.assertGreaterEqual(int(h["m1.met"]), 1)
            self.assertGreaterEqual(int(h["m2.missed"]), 1)
            self.assertIsNotNone(self.r("HGET", P + f"sla:{scope}:d:"
                                        f"{hour[:8]}", "m1.sum_ms"))
        due = int(self.r("ZSCORE", P + "followups", inc))
        self.assertEqual(due, body["closed_at"] + 3600 * 1000)
        self.assertEqual(self.hget("followup:" + inc, "state"), "due")
        frames = wait_until(lambda: self.closed_frames(inc),
                            what="incident.closed on the bus")
        self.assertEqual(len(frames), 1)
        self.assertEqual(frames[0]["sla"],
                         {"met": 1, "missed": 1, "outcome": "missed"})

        # the follow-up, once
        path = f"/v1/incidents/{inc}/followup"
        req = {"note": "caller thanked the team"}
        self.followup_schema.validate(req)
        # who did it is the token's principal, never the body's "by"
        status, _, body = request(self.stack.intake_port, "POST", path,
                                  dict(req, by="someone-else"),
                                  token=TOKENS["calltaker"])
        self.assertEqual((status, body["followup"]["state"]), (200, "done"))
        self.assertEqual(self.hget("followup:" + inc, "by"),
                         PRINCIPALS["calltaker"])
        tl = [json.loads(e) for e in self.r("LRANGE", P + f"inc:{inc}:tl",
                                            0, -1)]
        done = [e for e in tl if e["event"] == "followup_done"]
        self.assertEqual([(e["by"], e["via"]) for e in done],
                         [(PRINCIPALS["calltaker"], "intake")])
        self.assertIsNone(self.r("ZSCORE", P + "followups", inc))
        status, _, body = request(self.stack.intake_port, "POST", path, req)
        self.assertEqual((status, body["error"]["code"]),
                         (409, "no_followup_due"))
        status, _, body = request(self.stack.intake_port, "POST", path,
                                  {"by": "sup-1"})
        self.assertEqual((status, body["error"]["field"]), (422, "note"))
        status, _, body = request(self.stack.intake_port, "POST",
                                  "/v1/incidents/I-NOPE/followup", req)
        self.assertEqual(status, 404)

    def test_clear_before_the_commander_applied_it(self):
        inc = self.new_incident()
        oid = self.commander_clears(inc, state="acked")
        self.radio_clear(inc, oid, "false_alarm")
        self.assertNotEqual(self.hget("inc:" + inc, "state"), "closed")
        self.commander_clears(inc, "false_alarm")
        self.wait_closed(inc)
        self.assertEqual(self.hget("inc:" + inc, "disposition"),
                         "false_alarm")

    def test_supervisor_close_and_repeat_at_the_same_place(self):
        first = self.new_incident(north_m=5000)
        path = f"/v1/incidents/{first}/close"
        req = {"reason": "handled by phone", "disposition": "advice"}
        self.close_schema.validate(req)
        status, _, body = request(self.stack.intake_port, "POST", path, req,
                                  token=TOKENS["supervisor"])
        self.assertEqual(status, 200, body)
        self.closed_schema.validate(body)
        self.assertEqual((body["src"], body["closed_by"], body["reason"]),
                         ("intake", PRINCIPALS["supervisor"],
                          "handled by phone"))
        tl = [json.loads(e) for e in self.r("LRANGE", P + f"inc:{first}:tl",
                                            0, -1)]
        self.assertEqual([e["by"] for e in tl if e["event"] == "closed"],
                         [PRINCIPALS["supervisor"]])
        self.assertEqual(self.hget("inc:" + first, "state"), "closed")
        status, _, body = request(self.stack.intake_port, "POST", path, req)
        self.assertEqual((status, body["error"]["code"]),
                         (409, "already_closed"))
        for bad, field in (({"by": "x"}, "reason"),
                           ({"reason": "r", "by": "x", "colour": 1},
                            "colour"),
                           ({"reason": "r", "by": ""}, "by")):
            status, _, body = request(self.stack.intake_port, "POST", path,
                                      bad)
            self.assertEqual((status, body["error"]["field"]), (422, field))
        status, _, body = request(self.stack.intake_port, "POST",
                                  "/v1/incidents/I-NOPE/close", req)
        self.assertEqual(status, 404)
        # the same place a little later, another caller: flagged
        again = self.new_incident(north_m=5040)
        status, _, body = request(self.stack.intake_port, "POST",
                                  f"/v1/incidents/{again}/close", req)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["repeat"], {"place": [first]})
        self.assertIsNotNone(self.r("ZSCORE", P + "review", again))

    def test_restart_loses_nothing(self):
        type(self).feedback.signal(signal.SIGKILL)
        type(self).feedback.wait()
        incs = [self.new_incident() for _ in range(3)]
        for inc in incs:
            self.radio_clear(inc, self.commander_clears(inc))
        type(self).feedback = self.start_feedback()
        for inc in incs:
            self.wait_closed(inc)
        # once: one closed entry on each timeline
        for inc in incs:
            tl = [json.loads(e)["event"] for e in
                  self.r("LRANGE", P + "inc:" + inc + ":tl", 0, -1)]
            self.assertEqual(tl.count("closed"), 1, tl)
        wait_until(lambda: self.r("XPENDING", P + "s:status",
                                  "feedback")[0] == 0,
                   what="every entry acked")

    def test_clears_go_call_max_at_a_time(self):
        """feedback.call_max 2: seven clears of one read, three of them
        answered 'pending' first, go two a call, one call at a time; each
        incident closes once and every entry is acked."""
        fb = type(self).feedback
        self.assertEqual(fb.stop(), 0, fb.log_text())
        type(self).feedback = self.start_feedback(**{"feedback.call_max": 2,
                                                    "feedback.retry_ms": 50})
        incs = [self.new_incident() for _ in range(7)]
        late = incs[:3]
        oids = {inc: self.commander_clears(
            inc, state="acked" if inc in late else None) for inc in incs}
        self.r("MULTI")         # one read for all seven
        for inc in incs:
            self.radio_clear(inc, oids[inc])
        self.r("EXEC")
        for inc in late:
            self.commander_clears(inc)
        for inc in incs:
            self.wait_closed(inc)
        wait_until(lambda: self.r("XPENDING", P + "s:status",
                                  "feedback")[0] == 0,
                   what="every entry acked")
        fb = type(self).feedback
        self.assertEqual(fb.stop(), 0, fb.log_text())
        log = fb.log_text()
        type(self).feedback = self.start_feedback()
        # the log file holds every run's: this run's figures are the last
        m = re.findall(r"incidents closed (\d+).*close calls (\d+)", log)
        self.assertTrue(m, log[-2000:])
        self.assertEqual(int(m[-1][0]), 7, log[-2000:])
        self.assertGreaterEqual(int(m[-1][1]), 4, log[-2000:])  # 7 / 2
        for inc in incs:
            tl = [json.loads(e)["event"] for e in
                  self.r("LRANGE", P + "inc:" + inc + ":tl", 0, -1)]
            self.assertEqual(tl.count("closed"), 1, tl)


if __name__ == "__main__":
    unittest.main()
