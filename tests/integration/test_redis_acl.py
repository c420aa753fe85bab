"""Every service as its own Redis ACL user (deploy/redis/users.acl.in,
issue 6 "Access"): redis-server loads the generated ACL file (default
user off), and intake, router, commander, radiogw, tracker, feedback
and the dashboard each log in with their own user and password.

Proves: the whole loop works under those grants -- a call becomes an
incident, is routed, dispatched, acknowledged and cleared on the radio,
its marks are met, the last clear closes it (feedback), a supervisor
closes another through intake and records its follow-up, the dashboard
shows the state -- with no NOPERM in any log; each service user is
refused what it was not granted (FLUSHALL, CONFIG, KEYS, other services'
keys, writes to keys it may only read, commands outside its set, also
from inside a script); nobody gets in without a password; a service
whose connections are killed logs in again and goes on; a wrong
password is a clear log line.
"""
import shutil
import tempfile
import unittest

from harness import Redis, Resp, Service, offset, request, wait_until
from loop import Loop, units_by_kind

FAR = (31.2700, 121.5300)       # no city unit near: only the ones placed
SERVICES = ("intake", "router", "commander", "radiogw", "tracker",
            "feedback", "dashboard")
P = "np:{city}:"

# Refused to every service user.
EVERYONE_DENIED = [("FLUSHALL",), ("CONFIG", "GET", "maxmemory"),
                   ("KEYS", "*"), ("ACL", "LIST"), ("SCAN", "0"),
                   ("DEL", P + "inc:X"), ("SUBSCRIBE", "x"),
                   ("SCRIPT", "FLUSH")]
# What each may not do although it holds something near it.
DENIED = {
    "intake": [("HGETALL", P + "unit:U-0001"),
               ("HSET", P + "order:O-1", "state", "acked"),
               ("XADD", P + "s:orders", "*", "msg", "{}"),
               ("XREADGROUP", "GROUP", "g", "c", "STREAMS",
                P + "s:status", ">"),
               ("EVAL", "return redis.call('HGET', KEYS[1], 'status')",
                "1", P + "unit:U-0001")],
    "router": [("HSET", P + "unit:U-0001", "status", "available"),
               ("XADD", P + "s:orders", "*", "msg", "{}"),
               ("ZADD", P + "open:t0", "1", "x")],
    "commander": [("HINCRBY", P + "sla:x", "closed", "1"),
                  ("GEOADD", P + "units:geo", "121", "31", "U-1"),
                  ("XADD", P + "s:incidents", "*", "msg", "{}")],
    "radiogw": [("EVAL", "return redis.call('HSET', KEYS[1], 'state', "
                 "'acked')", "1", P + "order:O-1"),
                ("HSET", P + "order:O-1", "state", "acked"),
                ("HGETALL", P + "inc:X"),
                ("XADD", P + "s:routes", "*", "msg", "{}")],
    "tracker": [("HSET", P + "inc:X", "state", "closed"),
                ("HSET", P + "unit:U-0001", "status", "x"),
                ("XADD", P + "s:orders", "*", "msg", "{}")],
    "feedback": [("HSET", P + "unit:U-0001", "status", "x"),
                 ("HSET", P + "order:O-1", "state", "x"),
                 ("XADD", P + "s:orders", "*", "msg", "{}")],
    "dashboard": [("HSET", P + "inc:X", "state", "closed"),
                  ("XADD", P + "s:escalations", "*", "msg", "{}"),
                  ("ZADD", P + "open:t0", "1", "x")],
}


class RedisAcl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.loop = Loop(dashboard=True, feedback=True, tracker=True,
                        acl=True, settings={
                            "feedback": {"feedback.followup_s": 3600},
                            "router": {"route.candidates": 1},
                            "commander": {
                                "command.ack_timeout_ms": 600000}})
        cls.by_kind = units_by_kind()
        cls.radios = []

    @classmethod
    def tearDownClass(cls):
        cls.loop.close_checked(cls.radios, ("ERROR", "NOPERM",
                                            "can't access", "can't run",
                                            "runtime error"))

    def as_user(self, user, *cmd):
        c = self.loop.redis.client(user)
        try:
            return c(*cmd)
        finally:
            c.close()

    def scene(self, east_m):
        """A fight east_m east of FAR with a grid worker and an MCU near;
        -> (incident id, [radio, ...])."""
        at = offset(*FAR, east_m=east_m)
        radios = self.loop.place(at, [
            (self.by_kind["grid_worker"].pop(), 20),
            (self.by_kind["mcu"].pop(), 30)])
        self.radios += radios
        st, _, ans = self.loop.post_call({
            "type": "fight", "location": {"lat": at[0], "lon": at[1]},
            "caller": {"phone": f"+86 139 2222 {east_m:04d}"}})
        self.assertEqual(st, 201, ans)
        return ans["incident_id"], radios

    def wait_state(self, inc, state):
        wait_until(lambda: self.loop.hget("inc:" + inc, "state") == state,
                   timeout=20, what=f"{inc} {state}")

    def test_1_whole_loop_as_own_users(self):
        inc, radios = self.scene(0)
        for r in radios:                # each tier's unit, to the end
            o = r.wait_order(timeout=20)
            self.assertEqual(o.incident_id, inc)
            for verb in (r.ack, r.enroute, r.onscene):
                self.assertEqual(verb(o.order_id).kind, "OK")
            self.assertEqual(r.clear(o.order_id, "arrested").kind, "OK")
        self.wait_state(inc, "closed")
        h = self.loop.hgetall("inc:" + inc)
        self.assertEqual((h["disposition"], h["closed_by"]),
                         ("arrested", "feedback"))
        self.assertIn(self.loop.hget("mark:" + inc, "1.state"),
                      ("met", "met_late"))
        self.assertEqual(self.loop.hget("followup:" + inc, "state"), "due")
        st, _, got = request(self.loop.intake_port, "GET",
                             f"/v1/incidents/{inc}")
        self.assertEqual(st, 200, got)
        st, _, state = self.loop.dashboard_get("/api/state")
        self.assertEqual(st, 200, state)
        self.assertEqual(self.loop.dashboard_get("/api/sla")[0], 200)
        # a supervisor closes another through intake (close.lua as the
        # intake user), then records its follow-up (followup.lua)
        other, _ = self.scene(200)
        wait_until(lambda: self.loop.hget("inc:" + other, "route"),
                   timeout=20, what="routed")
        st, _, ans = request(self.loop.intake_port, "POST",
                             f"/v1/incidents/{other}/close",
                             {"reason": "test", "disposition": "unfounded",
                              "by": "sup-1"})
        self.assertEqual(st, 200, ans)
        self.wait_state(other, "closed")
        st, _, ans = request(self.loop.intake_port, "POST",
                             f"/v1/incidents/{other}/followup",
                             {"note": "called back", "by": "sup-1"})
        self.assertEqual(st, 200, ans)
        self.assertEqual(self.loop.hget("followup:" + other, "state"),
                         "done")

    def test_2_each_user_holds_only_its_grant(self):
        for user in SERVICES:
            self.assertEqual(self.as_user(user, "PING"), "PONG")
            for cmd in EVERYONE_DENIED + DENIED[user]:
                with self.assertRaises(RuntimeError, msg=(user, cmd)) as e:
                    self.as_user(user, *cmd)
                self.assertTrue(str(e.exception).startswith("NOPERM"),
                                f"{user} {cmd}: {e.exception}")
        # inside a script too: the intake user may not touch a unit
        with self.assertRaises(RuntimeError) as e:
            self.as_user("intake", "EVAL", "return redis.call('HSET', "
                         "ARGV[1], 'status', 'stolen')", "0",
                         P + "unit:U-0002")
        self.assertIn("can't access", str(e.exception))
        self.assertNotEqual(self.loop.hget("unit:U-0002", "status"),
                            "stolen")
        self.assertEqual(self.as_user("admin", "ACL", "WHOAMI"), "admin")

    def test_3_nobody_gets_in_without_a_password(self):
        anon = Resp(self.loop.redis.port)               # no AUTH
        try:
            with self.assertRaises(RuntimeError) as e:
                anon("GET", P + "inc:X")
            self.assertTrue(str(e.exception).startswith("NOAUTH"))
            for user, pw in (("intake", "wrong"), ("default", ""),
                             ("nobody", "x")):
                with self.assertRaises(RuntimeError) as e:
                    anon("AUTH", user, pw)
                self.assertTrue(str(e.exception).startswith("WRONGPASS"),
                                e.exception)
        finally:
            anon.close()

    def test_4_services_log_in_again_after_losing_redis(self):
        up = f"connected to 127.0.0.1:{self.loop.redis.port}"

        def logins(n):
            return self.loop.services[n].log_text().count(up)
        before = {n: logins(n) for n in SERVICES}
        for user in SERVICES:
            self.as_user("admin", "CLIENT", "KILL", "USER", user)
        for n in SERVICES:
            wait_until(lambda: logins(n) > before[n], timeout=20,
                       what=f"{n} logged in again")
        inc, radios = self.scene(400)
        o = radios[0].wait_order(timeout=20)
        self.assertEqual(o.incident_id, inc)
        self.assertEqual(radios[0].ack(o.order_id).kind, "OK")
        wait_until(lambda: self.loop.hget("order:" + o.order_id, "state")
                   == "acked", what="order acked")

    def test_5_wrong_password_is_a_clear_log_line(self):
        run_dir = tempfile.mkdtemp(prefix="np-it-acl-")
        svc = Service("tracker", {"redis.port": self.loop.redis.port,
                                  "run.dir": run_dir,
                                  "redis.user": "tracker",
                                  "redis.password": "not-the-password"},
                      run_dir).start()
        try:
            wait_until(lambda: "AUTH as user tracker refused" in
                       svc.log_text(), what="the refusal logged")
            line = next(x for x in svc.log_text().splitlines()
                        if "AUTH as user tracker refused" in x)
            self.assertIn("WRONGPASS", line)
            self.assertIn("redis.password", line)
            self.assertNotIn("not-the-password", svc.log_text())
        finally:
            svc.stop()
            shutil.rmtree(run_dir, ignore_errors=True)


class ScriptWritesSurviveARestart(unittest.TestCase):
    """A script's writes as a service user are in the append-only file and
    come back after Redis is killed: the AOF is replayed as the default
    user, which must keep its grant although it is off (users.acl.in)."""

    def test_script_write_survives_sigkill(self):
        redis = Redis(acl=True).start()
        try:
            c = redis.client("intake")
            try:
                c("EVAL", "redis.call('HSET', KEYS[1], 'state', 'new') "
                  "return redis.call('RPUSH', KEYS[2], 'created')", "2",
                  P + "inc:ACL-AOF", P + "inc:ACL-AOF:tl")
                c("HSET", P + "call:ACL-AOF", "incident", "ACL-AOF")
            finally:
                c.close()
            redis.kill()
            redis.start()
            admin = redis.client()
            try:
                self.assertEqual(admin("HGET", P + "inc:ACL-AOF", "state"),
                                 "new")
                self.assertEqual(admin("LLEN", P + "inc:ACL-AOF:tl"), 1)
                self.assertEqual(admin("HGET", P + "call:ACL-AOF",
                                       "incident"), "ACL-AOF")
            finally:
                admin.close()
            anon = Resp(redis.port)         # and still nobody without AUTH
            try:
                with self.assertRaises(RuntimeError) as e:
                    anon("GET", P + "inc:ACL-AOF")
                self.assertTrue(str(e.exception).startswith("NOAUTH"))
            finally:
                anon.close()
        finally:
            redis.cleanup()


if __name__ == "__main__":
    unittest.main()
