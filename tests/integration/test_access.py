"""Access to the HTTP APIs (intake, dashboard): bearer tokens and roles,
the dashboard's login and session cookie, and the per-source limits.

Proves, against the real binaries: every protected route answers 401
(JSON, WWW-Authenticate: Bearer) without a token, with a malformed
header, a wrong, case-changed or over-long token; 403 (JSON naming the
role needed) to a role too low; and serves every role at or above the
one it needs; /healthz is open.  Who did it is on the timeline
("calltaker:alice").  The dashboard's login gives an HttpOnly,
SameSite=Strict cookie that opens the API and the event stream until
logout.  A SIGHUP re-reads the token file (a bad file keeps the old
tokens).  Over max_conns_per_source a connection gets 429 JSON and is
closed; over rate_per_source a request gets 429 JSON with Retry-After;
other addresses (127.0.0.x) are served throughout, and so is everyone
once the limit passes.
"""
import http.client as httplib
import json
import shutil
import signal
import socket
import tempfile
import unittest

from harness import (PRINCIPALS, TOKENS, Redis, Service, call, free_port,
                     request, wait_until, write_tokens)
from loop import Loop

ROLES = ("calltaker", "supervisor", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}


def from_addr(port, method, path, src, body=None, headers=None):
    """One request from source address src -> (status, headers, body)."""
    conn = httplib.HTTPConnection("127.0.0.1", port, timeout=10,
                                  source_address=(src, 0))
    try:
        hdrs = {"Authorization": f"Bearer {TOKENS['admin']}",
                **(headers or {})}
        if body is not None:
            body = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return (r.status, {k.lower(): v for k, v in r.getheaders()},
                json.loads(data) if data else None)
    finally:
        conn.close()


class Access(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.loop = Loop(dashboard=True)
        st, _, body = cls.loop.post_call(call("fight"))
        assert st == 201, body
        cls.iid = body["incident_id"]

    @classmethod
    def tearDownClass(cls):
        for name, (rc, log) in cls.loop.close().items():
            assert rc == 0, f"{name} exited {rc}:\n{log[-2000:]}"

    def routes(self):
        """(port, method, path, body, role needed)"""
        i, d = self.loop.intake_port, self.loop.dashboard_port
        return [
            (i, "POST", "/v1/calls", call("fight", lat=31.25), "calltaker"),
            (i, "GET", "/v1/incidents", None, "calltaker"),
            (i, "GET", f"/v1/incidents/{self.iid}", None, "calltaker"),
            (i, "POST", f"/v1/incidents/{self.iid}/followup",
             {"note": "n"}, "calltaker"),
            (i, "POST", "/v1/incidents/I-20000101-NOPE00/close",
             {"reason": "r"}, "supervisor"),
            (i, "GET", "/metrics", None, "admin"),
            (d, "GET", "/api/state", None, "supervisor"),
            (d, "GET", "/api/sla?window=hour", None, "supervisor"),
            (d, "GET", "/api/health", None, "supervisor"),
            (d, "GET", "/metrics", None, "admin"),
        ]

    def assert_401(self, res, code, what):
        st, hdr, body = res
        self.assertEqual(st, 401, what)
        self.assertTrue(hdr["www-authenticate"].startswith("Bearer"), what)
        self.assertEqual(body["error"]["code"], code, what)
        self.assertTrue(body["error"]["message"], what)

    def test_no_token_and_wrong_tokens_get_401(self):
        bad = {"Basic YWxpY2U6c2VjcmV0": "invalid_token",
               "Bearer": "invalid_token", "Bearer ": "invalid_token",
               "Token " + TOKENS["admin"]: "invalid_token",
               "Bearer a b": "invalid_token",
               "Bearer " + TOKENS["admin"] + "x": "invalid_token",
               "Bearer " + TOKENS["admin"].upper(): "invalid_token",
               "Bearer " + "a" * 600: "invalid_token",
               "Bearer np_" + "0" * 64: "invalid_token"}
        for port, method, path, body, _ in self.routes():
            self.assert_401(request(port, method, path, body, token=None),
                            "unauthorized", path)
            for value, code in bad.items():
                self.assert_401(request(port, method, path, body, headers={
                    "Authorization": value}), code, (path, value[:20]))

    def test_each_role_on_each_route(self):
        for port, method, path, body, need in self.routes():
            for role in ROLES:
                st, _, ans = request(port, method, path, body,
                                     token=TOKENS[role])
                if RANK[role] < RANK[need]:
                    self.assertEqual(st, 403, (path, role))
                    self.assertEqual(ans["error"]["code"], "forbidden")
                    self.assertIn(need, ans["error"]["message"])
                    self.assertIn(PRINCIPALS[role], ans["error"]["message"])
                else:
                    self.assertNotIn(st, (401, 403), (path, role, ans))
                    self.assertLess(st, 500, (path, role, ans))

    def test_healthz_and_page_are_open(self):
        self.assertEqual(request(self.loop.intake_port, "GET", "/healthz",
                                 token=None)[0], 200)
        for path in ("/", "/app.js", "/style.css"):
            self.assertEqual(request(self.loop.dashboard_port, "GET", path,
                                     token=None)[0], 200)

    def test_scheme_case_and_blanks_are_tolerated(self):
        for value in ("bearer " + TOKENS["calltaker"],
                      "BEARER \t" + TOKENS["calltaker"] + " \t"):
            st, _, _ = request(self.loop.intake_port, "GET", "/v1/incidents",
                               headers={"Authorization": value})
            self.assertEqual(st, 200, value)

    def test_a_huge_header_is_a_431_and_service_goes_on(self):
        st, _, body = request(self.loop.intake_port, "GET", "/v1/incidents",
                              headers={"Authorization":
                                       "Bearer " + "a" * 20000})
        self.assertEqual((st, body["error"]["code"]),
                         (431, "headers_too_large"))
        self.assertEqual(request(self.loop.intake_port, "GET",
                                 "/v1/incidents")[0], 200)

    def test_the_timeline_says_who(self):
        st, _, a = request(self.loop.intake_port, "POST", "/v1/calls",
                           call("fire", lat=31.21), token=TOKENS["calltaker"])
        self.assertEqual(st, 201, a)
        st, _, b = request(self.loop.intake_port, "POST", "/v1/calls",
                           call("fire", lat=31.21),
                           token=TOKENS["supervisor"])
        self.assertEqual((st, b["incident_id"]), (201, a["incident_id"]))
        st, _, c = request(self.loop.intake_port, "POST",
                           f"/v1/incidents/{a['incident_id']}/close",
                           {"reason": "handled", "by": "mallory"},
                           token=TOKENS["supervisor"])
        self.assertEqual(st, 200, c)
        self.assertEqual(c["closed_by"], PRINCIPALS["supervisor"])
        _, _, inc = request(self.loop.intake_port, "GET",
                            f"/v1/incidents/{a['incident_id']}")
        by = {e["event"]: e["by"] for e in inc["timeline"]}
        self.assertEqual((by["created"], by["call_merged"], by["closed"]),
                         (PRINCIPALS["calltaker"], PRINCIPALS["supervisor"],
                          PRINCIPALS["supervisor"]))

    def login(self, token):
        return request(self.loop.dashboard_port, "POST", "/api/login",
                       {"token": token}, token=None)

    def test_dashboard_login_cookie_and_logout(self):
        port = self.loop.dashboard_port
        self.assert_401(self.login("np_wrong"), "invalid_token", "login")
        st, _, body = self.login(TOKENS["calltaker"])
        self.assertEqual((st, body["error"]["code"]), (403, "forbidden"))
        st, _, body = request(port, "POST", "/api/login",
                              "token=" + TOKENS["supervisor"], headers={
                                  "Content-Type":
                                  "application/x-www-form-urlencoded"},
                              token=None)
        self.assertEqual(st, 415)
        st, hdr, body = self.login(TOKENS["supervisor"])
        self.assertEqual((st, body["principal"]),
                         (200, PRINCIPALS["supervisor"]))
        cookie = hdr["set-cookie"]
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attr, cookie)
        sid = cookie.split(";")[0]
        self.assertRegex(sid, r"^np_session=[0-9a-f]{64}$")
        st, _, state = request(port, "GET", "/api/state", token=None,
                               headers={"Cookie": "theme=dark; " + sid})
        self.assertEqual(st, 200)
        self.assertIn("units", state)
        with socket.create_connection(("127.0.0.1", port), 10) as s:
            s.sendall(f"GET /api/events HTTP/1.0\r\nCookie: {sid}\r\n\r\n"
                      .encode())
            self.assertIn(b" 200 ", s.recv(4096).split(b"\r\n")[0])
        for other in ("np_session=" + "0" * 64, "np_session=x"):
            self.assert_401(request(port, "GET", "/api/state", token=None,
                                    headers={"Cookie": other}),
                            "session_expired", other)
        st, hdr, _ = request(port, "POST", "/api/logout", token=None,
                             headers={"Cookie": sid})
        self.assertEqual(st, 200)
        self.assertIn("Max-Age=0", hdr["set-cookie"])
        self.assert_401(request(port, "GET", "/api/state", token=None,
                                headers={"Cookie": sid}),
                        "session_expired", "after logout")


class Limits(unittest.TestCase):
    """An intake of its own, with low per-source limits.  The start-up
    health polls come from 127.0.0.9; each check uses a fresh address."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="np-it-access-")
        cls.redis = Redis(appendonly=False).start()
        cls.port = free_port()
        cls.tokens = write_tokens(cls.dir)
        cls.intake = Service("intake", {
            "redis.port": cls.redis.port, "run.dir": cls.dir,
            "http.port": cls.port, "auth.tokens": cls.tokens,
            "http.max_conns_per_source": 3, "http.rate_per_source": 0.001,
            "http.rate_burst": 5, "log.level": "debug"}, cls.dir).start()
        wait_until(lambda: cls.get("/healthz", "127.0.0.9")[0] == 200,
                   what="intake /healthz")

    @classmethod
    def tearDownClass(cls):
        log = cls.intake.log_text()
        rc = cls.intake.stop()
        cls.redis.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert rc == 0 and "runtime error" not in log, log[-3000:]

    @classmethod
    def get(cls, path, src):
        try:
            return from_addr(cls.port, "GET", path, src)
        except OSError:
            return (0, {}, None)

    def test_rate_per_source_429_with_retry_after(self):
        for _ in range(5):
            self.assertEqual(self.get("/v1/incidents", "127.0.0.2")[0], 200)
        st, hdr, body = self.get("/v1/incidents", "127.0.0.2")
        self.assertEqual((st, body["error"]["code"]), (429, "rate_limited"))
        self.assertGreaterEqual(int(hdr["retry-after"]), 1)
        self.assertEqual(self.get("/v1/incidents", "127.0.0.3")[0], 200)

    def test_conns_per_source_429_and_close(self):
        held = [socket.create_connection(("127.0.0.1", self.port), 10,
                                         source_address=("127.0.0.4", 0))
                for _ in range(3)]
        try:
            with socket.create_connection(("127.0.0.1", self.port), 10,
                                          source_address=("127.0.0.4", 0)
                                          ) as s:
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break               # closed by the server
                    data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            self.assertIn(b" 429 ", head.split(b"\r\n")[0])
            self.assertIn(b"Retry-After: 1", head)
            self.assertEqual(json.loads(body)["error"]["code"],
                             "too_many_connections_from_source")
            self.assertEqual(self.get("/v1/incidents", "127.0.0.5")[0], 200)
            held.pop().close()
            wait_until(lambda: self.get("/healthz", "127.0.0.4")[0] == 200,
                       what="a freed slot admits again")
        finally:
            for s in held:
                s.close()

    def test_sighup_reloads_tokens_and_a_bad_file_keeps_the_old(self):
        new = dict(TOKENS, calltaker="ct-rotated-0123456789abcdef")
        write_tokens(self.dir, new)
        self.intake.signal(signal.SIGHUP)

        fresh = (f"127.0.1.{n}" for n in range(1, 250))

        def status(tok):            # each from a fresh address (rate)
            return from_addr(self.port, "GET", "/v1/incidents", next(fresh),
                             headers={"Authorization": f"Bearer {tok}"})[0]
        wait_until(lambda: status(new["calltaker"]) == 200,
                   what="the new token accepted after SIGHUP")
        self.assertEqual(status(TOKENS["calltaker"]), 401)
        with open(self.tokens, "a") as f:
            f.write("broken line\n")
        self.intake.signal(signal.SIGHUP)
        wait_until(lambda: "tokens not reloaded" in self.intake.log_text(),
                   what="the bad file refused")
        self.assertIn(f"{self.tokens}:", self.intake.log_text())
        self.assertEqual(status(new["calltaker"]), 200)
        write_tokens(self.dir)
        self.intake.signal(signal.SIGHUP)
        wait_until(lambda: status(TOKENS["calltaker"]) == 200,
                   what="the original tokens back")


if __name__ == "__main__":
    unittest.main()
