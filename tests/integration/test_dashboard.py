"""The dashboard on the real loop: redis-server, intake, router,
commander, radiogw and the dashboard (binding the event bus), calls
posted over HTTP.

Proves: /api/state shows the city's posts and units and an incident
after a call, with its marks and level; the SSE feed forwards the
incident.created and route.decided frames of that incident; /metrics is
Prometheus text; /api/sla answers zeros without SLA data; /api/health
runs a survey round (0 answers while no service answers); bad routes and
parameters get JSON errors; headless Chromium logs in with a supervisor's
token (an HttpOnly session cookie), loads the page while calls flow,
shows the incident, and a screenshot is saved.  (Access itself:
test_access.py.)
"""
import json
import os
import re
import socket
import tempfile
import threading
import unittest

from browser import Browser, chromium_path
from harness import TOKENS, call, load_city, wait_until
from loop import Loop


class SSE:
    """An /api/events client on HTTP/1.0 (close-delimited), in a thread."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 10)
        self.sock.sendall(b"GET /api/events HTTP/1.0\r\n"
                          b"Authorization: Bearer " +
                          TOKENS["supervisor"].encode() + b"\r\n"
                          b"Accept: text/event-stream\r\n\r\n")
        self.raw = b""
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(None)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.raw += chunk

    def head(self):
        with self.lock:
            return self.raw.split(b"\r\n\r\n", 1)[0].decode()

    def events(self):
        """[(event, data)] received so far."""
        with self.lock:
            body = self.raw.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
        out = []
        for block in body.split("\n\n")[:-1]:
            ev, data = None, []
            for line in block.split("\n"):
                if line.startswith("event: "):
                    ev = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
            if ev is not None:
                out.append((ev, json.loads("\n".join(data))))
        return out

    def close(self):
        self.sock.close()


def metrics(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) "
                         r"(-?[0-9.e+]+)", line)
        assert m, f"not Prometheus text: {line!r}"
        out[m.group(1)] = float(m.group(3))
    return out


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="np-it-dash-")
        cls.loop = Loop(dashboard=True)
        cls.posts, cls.units = load_city()
        cls.sse = SSE(cls.loop.dashboard_port)
        wait_until(lambda: "200" in cls.sse.head(), what="SSE headers")

    @classmethod
    def tearDownClass(cls):
        cls.sse.close()
        out = cls.loop.close()
        for name, (rc, log) in out.items():
            if rc != 0 or "ERROR" in log or "runtime error" in log:
                raise AssertionError(f"{name} exited {rc}:\n{log[-3000:]}")

    def get(self, path):
        return self.loop.dashboard_get(path)

    def new_incident(self, **kw):
        st, _, body = self.loop.post_call(call("fight", **kw))
        self.assertEqual(st, 201, body)
        return body["incident_id"]

    def state_incident(self, iid):
        st, _, s = self.get("/api/state")
        self.assertEqual(st, 200)
        return next((i for i in s["incidents"] if i["id"] == iid), None)

    def test_state_shows_the_city(self):
        st, hdr, s = self.get("/api/state")
        self.assertEqual(st, 200)
        self.assertIn("application/json", hdr["content-type"])
        self.assertEqual({p["id"] for p in s["posts"]},
                         {p["id"] for p in self.posts})
        self.assertEqual({u["id"] for u in s["units"]},
                         {u["id"] for u in self.units})
        for u in s["units"]:
            self.assertIn(u["status"], ("available", "dispatched", "acked",
                                        "enroute", "onscene", "unreachable",
                                        "offline"))
            self.assertIsInstance(u["lat"], float)
        self.assertEqual(sum(s["counts"]["units"].values()), len(self.units))

    def test_incident_in_state_and_on_the_feed(self):
        iid = self.new_incident()
        inc = wait_until(lambda: (lambda i: i if i and i["post"] else None)(
            self.state_incident(iid)), timeout=20, what="routed incident")
        self.assertEqual(inc["type"], "fight")
        self.assertGreaterEqual(inc["age_ms"], 0)
        self.assertIn(inc["level"], ("green", "amber", "red"))
        self.assertEqual([m["tier"] for m in inc["marks"]][:1], [1])
        self.assertIsInstance(inc["coverage_gap"], bool)

        def frames(topic):
            return [d for e, d in self.sse.events()
                    if e == topic and iid in (d.get("incident_id"),
                                              d.get("incident", {}).get("id"))]
        wait_until(lambda: frames("incident.created"), timeout=20,
                   what="incident.created on the SSE feed")
        wait_until(lambda: frames("route.decided"), timeout=20,
                   what="route.decided on the SSE feed")
        self.assertEqual(frames("route.decided")[0]["post"]["id"],
                         inc["post"])

    def test_metrics_parse(self):
        st, hdr, body = self.get("/metrics")
        self.assertEqual(st, 200)
        self.assertTrue(hdr["content-type"].startswith("text/plain"))
        m = metrics(body.decode())
        self.assertGreaterEqual(m["dashboard_sse_clients"], 1)
        self.assertGreater(m["dashboard_http_requests_total"], 0)
        self.assertIn("dashboard_sse_frames_forwarded_total", m)

    def test_sla_zeros_without_data(self):
        for w in ("hour", "day"):
            st, _, s = self.get(f"/api/sla?window={w}")
            self.assertEqual(st, 200)
            self.assertEqual(s["window"], w)
            self.assertEqual(len(s["posts"]), len(self.posts))
            self.assertTrue(s["districts"])
            for m in s["total"]:
                self.assertEqual((m["met"], m["missed"]), (0, 0))
                self.assertIsNone(m["compliance"])

    def test_every_running_service_answers_the_health_round(self):
        want = set(self.loop.services)

        def answered():
            st, _, h = self.get("/api/health")
            got = {s["service"] for s in h["services"]}
            return st == 200 and got == want and h["answers"] == len(want)
        wait_until(answered, timeout=15, what=f"health answers from {want}")
        _, _, h = self.get("/api/health")
        for s in h["services"]:
            self.assertEqual(s["status"], "ok")
            self.assertGreater(s["pid"], 0)

    def test_bad_routes_get_json_errors(self):
        st, hdr, body = self.get("/api/nope")
        self.assertEqual(st, 404)
        self.assertEqual(body["error"]["status"], 404)
        st, _, body = self.get("/api/sla?window=week")
        self.assertEqual(st, 400)
        self.assertEqual(body["error"]["field"], "window")
        st, _, body = self.loop.dashboard_get("/api/state/x")
        self.assertEqual(st, 404)

    def test_page_assets_are_local(self):
        st, hdr, page = self.get("/")
        self.assertEqual(st, 200)
        self.assertIn("text/html", hdr["content-type"])
        for path in ("/app.js", "/style.css"):
            st, _, body = self.get(path)
            self.assertEqual(st, 200)
            self.assertNotIn(b"http://", body.replace(
                b"http://www.w3.org/2000/svg", b""))
            self.assertNotIn(b"https://", body)
        self.assertNotIn(b"http", page)

    @unittest.skipIf(chromium_path() is None and
                     not os.environ.get("NP_REQUIRE_BROWSER"),
                     "chromium not installed (scripts/install-deps.sh)")
    def test_browser_shows_the_incident(self):
        with Browser(self.tmp) as b:
            b.navigate(f"http://127.0.0.1:{self.loop.dashboard_port}/")
            b.login(TOKENS["supervisor"])
            b.wait_js("document.body.dataset.loaded === '1'",
                      what="the page's first /api/state")
            # the session cookie is HttpOnly: no script can read it
            self.assertNotIn("np_session", b.js("document.cookie"))
            b.wait_js("document.getElementById('feed').className"
                      ".includes('on')", what="the SSE feed live")
            iid = self.new_incident(lat=31.2290, lon=121.4710)
            sel = f"[data-incident=\"{iid}\"]"
            b.wait_js(f"document.querySelectorAll('circle{sel}').length"
                      " === 1", what="the incident on the map")
            b.wait_js(f"document.querySelector('tr{sel}') !== null",
                      what="the incident in the table")
            cls = b.js(f"document.querySelector('circle{sel}')"
                       ".getAttribute('class')")
            self.assertRegex(cls, r"level-(green|amber|red)")
            b.wait_js("document.querySelector('#events li[data-topic="
                      "\"route.decided\"]') !== null",
                      what="route.decided in the event list")
            shot = b.screenshot(os.path.join(self.tmp, "dashboard.png"))
            with open(shot, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            print(f"screenshot: {shot}")


if __name__ == "__main__":
    unittest.main()
