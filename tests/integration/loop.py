"""The dispatch loop as far as it is built, for end-to-end tests.

Redis (append-only, fsync always), router, commander, radiogw and intake
(and, when asked, the dashboard),
each the real binary on free loopback ports / ipc endpoints in a private
run directory, configured only through NEARPOST_* settings, stopped (and
everything removed) by close() -- also when a test fails half-way.
"""
import os
import shutil
import socket
import tempfile

from harness import (SRC, Redis, Service, free_port, nn_request, request,
                     stream_messages, wait_until)


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

    def __init__(self, dashboard=False, **overrides):
        """overrides: {"commander": {"command.ack_timeout_ms": 1500}, ...}
        dashboard: also start the dashboard (first, so that the event
        bus it binds is there when the others connect their PUBs)."""
        self.order = (("dashboard",) if dashboard else ()) + self.ORDER
        self.run_dir = tempfile.mkdtemp(prefix="np-it-loop-")
        self.services = {}
        self.redis = None
        try:
            self._start(overrides)
        except BaseException:
            self.close()
            raise

    def _start(self, overrides):
        self.redis = Redis().start()
        self.intake_port = free_port()
        self.radio_port = free_port()
        self.dashboard_port = free_port()
        self.router_ep = f"ipc://{self.run_dir}/router.ipc"
        common = {"redis.port": self.redis.port, "run.dir": self.run_dir,
                  "log.level": "info"}
        own = {
            "router": {},
            "commander": {"command.ack_timeout_ms": 15000},
            "radiogw": {"radio.port": self.radio_port,
                        "radio.resend_ms": 500},
            "intake": {"http.port": self.intake_port},
            "dashboard": {"dashboard.port": self.dashboard_port},
        }
        for name in self.order:
            settings = dict(common, **own[name])
            settings.update(overrides.get(name, {}))
            self.services[name] = Service(name, settings,
                                          self.run_dir).start()
            self._wait_up(name)
        self.keys = _keys()

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
