"""Integration-test harness: real processes on free loopback ports.

Starts redis-server and the nearpost binaries (found through NP_BIN_DIR),
talks to them as a user would (HTTP, RESP, nanomsg through nanocat), and
stops everything it started, also when a test fails.  Waits are polls with
a deadline, never a fixed sleep.  Standard library only.
"""
import http.client as httplib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("NP_BIN_DIR", os.path.join(os.getcwd(), "build", "bin"))
SRC = os.environ.get("NP_SRC_DIR", os.getcwd())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=10.0, what="condition", interval=0.02):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except (OSError, httplib.HTTPException) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} "
                         f"(last: {last!r})")


class Resp:
    """A minimal RESP2 client, enough for tests to look inside Redis."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError(f"bad RESP line {line!r}")

    def __call__(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._read()


class Redis:
    def __init__(self, appendonly=True):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="np-it-redis-")
        self.appendonly = appendonly
        self.proc = None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind",
                "127.0.0.1", "--dir", self.dir, "--save", "",
                "--logfile", "redis.log"]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until(self.ping, what="redis-server PING")
        return self

    def ping(self):
        try:
            c = Resp(self.port)
            try:
                return c("PING") == "PONG"
            finally:
                c.close()
        except (OSError, RuntimeError):
            return False

    def client(self):
        return Resp(self.port)

    def kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Service:
    """One nearpost binary with its settings given as NEARPOST_* vars."""

    def __init__(self, name, settings, run_dir):
        self.name = name
        self.settings = settings
        self.run_dir = run_dir
        self.log_path = os.path.join(run_dir, f"{name}.log")
        self.proc = None

    def start(self):
        env = dict(os.environ)
        for k, v in self.settings.items():
            env["NEARPOST_" + k.upper().replace(".", "_")] = str(v)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([os.path.join(BIN, self.name)],
                                     env=env, cwd=SRC, stdout=self.log,
                                     stderr=self.log)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=10):
        rc = self.proc.wait(timeout)
        self.proc = None
        self.log.close()
        return rc

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.wait(10)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def request(port, method, path, body=None, headers=None, timeout=10):
    """One request on a fresh connection -> (status, headers, parsed body)."""
    conn = httplib.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        ctype = r.getheader("Content-Type", "")
        parsed = json.loads(data) if "json" in ctype and data else data
        return r.status, {k.lower(): v for k, v in r.getheaders()}, parsed
    finally:
        conn.close()


class Nanocat:
    """A real nanomsg peer: nanocat bound as SUB, frames one per line."""

    def __init__(self, endpoint):
        self.out = tempfile.NamedTemporaryFile(prefix="np-it-nanocat-",
                                               delete=False)
        self.proc = subprocess.Popen(
            ["nanocat", "--sub", "--bind", endpoint, "--ascii"],
            stdout=self.out, stderr=subprocess.DEVNULL)

    def frames(self):
        with open(self.out.name, errors="replace") as f:
            return [line.rstrip("\n") for line in f if line.strip()]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        os.unlink(self.out.name)


class Stack:
    """Redis + intake (more services join as they are built)."""

    def __init__(self, **intake_settings):
        self.run_dir = tempfile.mkdtemp(prefix="np-it-run-")
        self.redis = Redis().start()
        self.events = f"ipc://{self.run_dir}/events.ipc"
        self.intake_port = free_port()
        settings = {"redis.port": self.redis.port, "run.dir": self.run_dir,
                    "http.port": self.intake_port, "bus.events": self.events,
                    "plans.file": os.path.join(SRC, "deploy/plans.json"),
                    "log.level": "debug"}
        settings.update(intake_settings)
        self.intake = Service("intake", settings, self.run_dir).start()
        wait_until(lambda: self.health() == 200, what="intake /healthz")

    def health(self):
        return request(self.intake_port, "GET", "/healthz")[0]

    def post_call(self, call, headers=None):
        return request(self.intake_port, "POST", "/v1/calls", call, headers)

    def get_incident(self, incident_id):
        return request(self.intake_port, "GET", f"/v1/incidents/{incident_id}")

    def key(self, name):
        return "np:{city}:" + name

    def stream(self, name="incidents"):
        c = self.redis.client()
        try:
            entries = c("XRANGE", self.key("s:" + name), "-", "+")
        finally:
            c.close()
        return [json.loads(dict(zip(f[::2], f[1::2]))["msg"])
                for _, f in entries]

    def close(self):
        log = self.intake.log_text()
        rc = self.intake.stop()
        self.redis.cleanup()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return rc, log


def call(type_="fight", lat=31.2304, lon=121.4737, **extra):
    body = {"type": type_, "source": "phone",
            "location": {"lat": lat, "lon": lon, "address": "Nanjing Rd 1"},
            "caller": {"name": "Li Wei", "phone": "+86 138 0000 0000"},
            "description": "two men fighting outside the mall"}
    body.update(extra)
    return body


def offset(lat, lon, north_m=0.0, east_m=0.0):
    """A point north_m/east_m metres away (small distances)."""
    import math
    dlat = north_m / 111195.0
    dlon = east_m / (111195.0 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon
