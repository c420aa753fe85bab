"""The dispatch loop as far as it is built, for end-to-end tests.

Redis (append-only, fsync always), router, commander, radiogw and intake
(and, when asked, the dashboard, feedback and tracker),
each the real binary on free loopback ports / ipc endpoints in a private
run directory, configured only through NEARPOST_* settings, stopped (and
everything removed) by close() -- also when a test fails half-way.
"""
import os
import shutil
import socket
import tempfile

from harness import (SRC, Redis, Service, free_port, nn_request, offset,
                     request, stream_messages, wait_until, write_tokens)
from radio_unit import RadioUnit


def _keys():
    out = {}
    with open(os.path.join(SRC, "deploy", "city", "units.keys")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                uid, key = line.split()
                out[uid] = key
    return out


class Loop:
    ORDER = ("router", "commander", "radiogw", "intake")

    def __init__(self, dashboard=False, feedback=False, tracker=False,
                 settings=None, appendonly=True, acl=False, **overrides):
        """overrides: {"commander": {"command.ack_timeout_ms": 1500}, ...}
        dashboard: also start the dashboard (first, so that the event
        bus it binds is there when the others connect their PUBs);
        feedback, tracker: also start those (after the dashboard, before
        the router).  settings: overrides by service name, for the
        services whose names are also these flags.  appendonly=False:
        Redis without persistence (benchmarks).  acl: Redis with the
        ACL users of deploy/redis, each service logged in as its own."""
        overrides = dict(settings or {}, **overrides)
        self.appendonly = appendonly
        self.acl = acl
        self.order = tuple(n for n, on in (("dashboard", dashboard),
                                           ("feedback", feedback),
                                           ("tracker", tracker)) if on)
        self.order += self.ORDER
        self.settings = {}
        self.run_dir = tempfile.mkdtemp(prefix="np-it-loop-")
        self.services = {}
        self.redis = None
        try:
            self._start(overrides)
        except BaseException:
            self.close()
            raise

    def _start(self, overrides):
        self.redis = Redis(appendonly=self.appendonly, acl=self.acl).start()
        self.intake_port = free_port()
        self.radio_port = free_port()
        self.dashboard_port = free_port()
        self.router_ep = f"ipc://{self.run_dir}/router.ipc"
        self.tokens = write_tokens(self.run_dir)
        common = {"redis.port": self.redis.port, "run.dir": self.run_dir,
                  "log.level": "info"}
        own = {
            "router": {},
            "commander": {"command.ack_timeout_ms": 15000},
            "radiogw": {"radio.port": self.radio_port,
                        "radio.resend_ms": 500},
            "intake": {"http.port": self.intake_port,
                       "auth.tokens": self.tokens},
            "dashboard": {"dashboard.port": self.dashboard_port,
                          "auth.tokens": self.tokens},
            "feedback": {},
            "tracker": {},
        }
        for name in self.order:
            settings = dict(common, **own[name])
            settings.update(self.redis.settings(name))
            settings.update(overrides.get(name, {}))
            self.settings[name] = settings
            self.start_service(name)
        self.keys = _keys()

    def start_service(self, name):
        """(Re)start one service with its settings; wait until it is up."""
        svc = Service(name, self.settings[name], self.run_dir)
        svc.starts_seen = svc.log_text().count("consuming")   # a restart
        self.services[name] = svc.start()
        self._wait_up(name)
        return svc

    def kill_service(self, name):
        """SIGKILL, no goodbye; start_service(name) brings it back."""
        svc = self.services[name]
        svc.proc.kill()
        return svc.wait()

    def _wait_up(self, name):
        if name == "router":
            wait_until(lambda: nn_request(self.router_ep,
                                          {"q": "post", "lat": 31.23,
                                           "lon": 121.47}, timeout=1),
                       timeout=20, what="router answering queries")
        elif name == "commander":
            wait_until(lambda: self.hget("unit:U-0001", "status"),
                       timeout=20, what="commander seeding the units")
        elif name == "radiogw":
            def listening():
                with socket.create_connection(("127.0.0.1",
                                               self.radio_port), 1):
                    return True
            wait_until(listening, timeout=20, what="radiogw listening")
        elif name in ("tracker", "feedback"):
            svc = self.services[name]
            wait_until(lambda: svc.log_text().count("consuming") >
                       svc.starts_seen, timeout=20,
                       what=f"{name} consuming")
        elif name == "dashboard":
            wait_until(lambda: request(self.dashboard_port, "GET",
                                       "/metrics")[0] == 200,
                       timeout=20, what="dashboard /metrics")
        else:
            wait_until(lambda: request(self.intake_port, "GET",
                                       "/healthz")[0] == 200,
                       timeout=20, what="intake /healthz")

    # -- looking inside ---------------------------------------------------
    def key(self, name):
        return "np:{city}:" + name

    def redis_do(self, *args):
        c = self.redis.client()
        try:
            return c(*args)
        finally:
            c.close()

    def hget(self, key, field):
        return self.redis_do("HGET", self.key(key), field)

    def hgetall(self, key):
        r = self.redis_do("HGETALL", self.key(key)) or []
        return dict(zip(r[::2], r[1::2]))

    def stream(self, name):
        c = self.redis.client()
        try:
            return [m for _, m in stream_messages(c, self.key("s:" + name),
                                                  count=100000)]
        finally:
            c.close()

    def query(self, body):
        return nn_request(self.router_ep, body)

    def dashboard_get(self, path):
        return request(self.dashboard_port, "GET", path)

    # -- scripted units ---------------------------------------------------
    def radio(self, uid, **kw):
        """A RadioUnit for uid, connected and authenticated."""
        r = RadioUnit(self.radio_port, uid, self.keys[uid], **kw).connect()
        if r.auth().kind != "OK":
            r.close()
            raise AssertionError(f"{uid}: AUTH refused")
        return r

    def place(self, at, placements):
        """Connect units and move them: [(unit id, metres north of at)];
        wait until the router sees each where it was put.  -> [RadioUnit]"""
        out, want = [], {}
        for uid, north in placements:
            r = self.radio(uid)
            out.append(r)
            if r.pos(*offset(*at, north_m=north)).kind != "OK":
                raise AssertionError(f"{uid}: POS refused")
            want[uid] = north

        def seen():
            ans = self.query({"q": "units", "lat": at[0], "lon": at[1],
                              "radius_m": 400, "max": 50})
            got = {u["unit_id"]: u["distance_m"] for u in ans["units"]}
            return all(abs(got.get(uid, -1e9) - d) < 1.0
                       for uid, d in want.items())
        wait_until(seen, timeout=15, what="router seeing the positions")
        return out

    def post_call(self, body):
        return request(self.intake_port, "POST", "/v1/calls", body)

    def close(self):
        """Stop everything; {name: (exit status, log text)}."""
        out = {}
        for name in reversed(list(self.services)):
            svc = self.services[name]
            rc = svc.stop()
            out[name] = (rc, svc.log_text())
        if self.redis is not None:
            self.redis.cleanup()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return out

    def close_checked(self, radios=(), bad=("ERROR", "runtime error")):
        """Close the radios, then close(); AssertionError naming the
        first service that exited non-zero or logged one of bad."""
        for r in radios:
            r.close()
        for name, (rc, log) in self.close().items():
            if rc != 0 or any(b in log for b in bad):
                raise AssertionError(f"{name} exited {rc}:\n{log[-3000:]}")


def units_by_kind():
    """{unit kind: [unit id, ...]} of the sample city (deploy/city)."""
    from harness import load_city
    out = {}
    for u in load_city()[1]:
        out.setdefault(u["kind"], []).append(u["id"])
    return out
