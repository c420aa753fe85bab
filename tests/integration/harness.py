"""Integration-test harness: real processes on free loopback ports.

Starts redis-server and the nearpost binaries (found through NP_BIN_DIR),
talks to them as a user would (HTTP, RESP, nanomsg through nanocat), and
stops everything it started, also when a test fails.  Waits are polls with
a deadline, never a fixed sleep.  Standard library only.
"""
import atexit
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


_STARTED = []


@atexit.register
def _kill_leftovers():
    """Whatever a failed set-up left running dies with the test process."""
    for p in _STARTED:
        if p.poll() is None:
            p.kill()
            p.wait()


def started(proc):
    _STARTED.append(proc)
    return proc


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


def _acl_users(directory):
    """users.acl in directory from deploy/redis (one ACL user per service,
    admin, default off); {user: password}."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "gen_acl", os.path.join(SRC, "deploy", "redis", "gen_acl.py"))
    gen_acl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_acl)
    acl, users = gen_acl.generate()
    gen_acl.write_private(os.path.join(directory, "users.acl"), acl)
    return users


class Redis:
    def __init__(self, appendonly=True, acl=False):
        """acl: Redis with the ACL users of deploy/redis; client() logs
        in as admin, settings(name) gives a service its own user."""
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="np-it-redis-")
        self.appendonly = appendonly
        self.proc = None
        self.users = _acl_users(self.dir) if acl else None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind",
                "127.0.0.1", "--dir", self.dir, "--save", "",
                "--logfile", "redis.log"]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        if self.users is not None:
            args += ["--aclfile", os.path.join(self.dir, "users.acl")]
        self.proc = started(subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL))
        wait_until(self.ping, what="redis-server PING")
        return self

    def ping(self):
        try:
            c = self.client()
            try:
                return c("PING") == "PONG"
            finally:
                c.close()
        except (OSError, RuntimeError):
            return False

    def client(self, user="admin"):
        """A Resp connection; with ACL users, logged in as user."""
        c = Resp(self.port)
        if self.users is not None:
            try:
                c("AUTH", user, self.users[user])
            except BaseException:
                c.close()
                raise
        return c

    def settings(self, service):
        """redis.user / redis.password of service ({} without ACL)."""
        if self.users is None:
            return {}
        return {"redis.user": service,
                "redis.password": self.users[service]}

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
        self.proc = started(subprocess.Popen(
            [os.path.join(BIN, self.name)], env=env, cwd=SRC,
            stdout=self.log, stderr=self.log))
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


# Known bearer tokens, one per role (tests only: never a real secret).
# write_tokens() puts their hashes in a token file for auth.tokens.
TOKENS = {"calltaker": "ct-0123456789abcdef0123456789abcdef",
          "supervisor": "sv-0123456789abcdef0123456789abcdef",
          "admin": "ad-0123456789abcdef0123456789abcdef"}
TOKEN_NAMES = {"calltaker": "alice", "supervisor": "bob", "admin": "carol"}
PRINCIPALS = {r: f"{r}:{n}" for r, n in TOKEN_NAMES.items()}


def write_tokens(directory, tokens=None):
    """directory/tokens (mode 0600) with TOKENS (or {role: token}) as
    `<name> <role> <sha256>` lines; returns its path."""
    import hashlib
    path = os.path.join(directory, "tokens")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# test tokens (harness.TOKENS)\n")
        for role, tok in (tokens or TOKENS).items():
            f.write(f"{TOKEN_NAMES.get(role, role)} {role} "
                    f"{hashlib.sha256(tok.encode()).hexdigest()}\n")
    return path


def request(port, method, path, body=None, headers=None, timeout=10,
            token=TOKENS["admin"]):
    """One request on a fresh connection -> (status, headers, parsed body).
    token: sent as Authorization: Bearer (default the admin's, which may
    do everything; None: no header; an Authorization in headers wins)."""
    conn = httplib.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = dict(headers or {})
        if token is not None and not any(k.lower() == "authorization"
                                         for k in headers):
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **headers}
        conn.request(method, path, body=body, headers=headers)
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
        self.proc = started(subprocess.Popen(
            ["nanocat", "--sub", "--bind", endpoint, "--ascii"],
            stdout=self.out, stderr=subprocess.DEVNULL))

    def frames(self):
        with open(self.out.name, errors="replace") as f:
            return [line.rstrip("\n") for line in f if line.strip()]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.out.close()
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
                    "auth.tokens": write_tokens(self.run_dir),
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


def write_city(directory, posts, units):
    """posts.geojson and units.geojson in directory, as np_city reads them.

    posts: [(id, name, kind, district, lat, lon)]; units: [(id, callsign,
    kind, post_id, lat, lon)].  Returns (posts_path, units_path)."""
    def collection(features):
        return {"type": "FeatureCollection", "features": features}

    def point(lat, lon, props):
        return {"type": "Feature", "properties": props,
                "geometry": {"type": "Point", "coordinates": [lon, lat]}}

    paths = (os.path.join(directory, "posts.geojson"),
             os.path.join(directory, "units.geojson"))
    docs = (collection([point(lat, lon, {"id": i, "name": n, "kind": k,
                                         "district": d})
                        for i, n, k, d, lat, lon in posts]),
            collection([point(lat, lon, {"id": i, "callsign": c, "kind": k,
                                         "post": p})
                        for i, c, k, p, lat, lon in units]))
    for path, doc in zip(paths, docs):
        with open(path, "w") as f:
            json.dump(doc, f)
    return paths


def stream_messages(client, stream, after="0-0", count=1000):
    """[(id, decoded msg)] of a stream after an id (non-blocking)."""
    reply = client("XREAD", "COUNT", count, "STREAMS", stream, after)
    if not reply:
        return []
    return [(eid, json.loads(dict(zip(f[::2], f[1::2]))["msg"]))
            for eid, f in reply[0][1]]


def schema_validator(name):
    """A draft 2020-12 validator for schemas/<name>.schema.json, with the
    other schemas resolvable by $ref."""
    import glob
    import jsonschema
    if not os.path.exists(os.path.join(SRC, "schemas",
                                       name + ".schema.json")):
        raise FileNotFoundError(f"schemas/{name}.schema.json")
    store, schema = {}, None
    for path in glob.glob(os.path.join(SRC, "schemas", "*.schema.json")):
        with open(path) as f:
            s = json.load(f)
        store[s["$id"]] = s
        if os.path.basename(path) == name + ".schema.json":
            schema = s
    resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def nn_request(endpoint, body, timeout=5):
    """One REQ/REP round trip through `nanocat --req`: body (a dict is sent
    as JSON, a str as it is) -> the reply parsed as JSON, or None when no
    reply came within timeout seconds."""
    data = body if isinstance(body, str) else json.dumps(body)
    r = subprocess.run(["nanocat", "--req", "--connect", endpoint, "-D", data,
                        "--raw", "--recv-timeout", str(timeout)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=timeout + 5)
    return json.loads(r.stdout) if r.stdout.strip() else None


class NanoPub:
    """`nanocat --pub --connect`, sending one frame again every interval
    until stopped: PUB drops what it sends before the subscriber's
    connection is up, so a test repeats the frame and polls for its
    effect instead of sleeping."""

    def __init__(self, endpoint, frame, interval=0.05):
        self.proc = started(subprocess.Popen(
            ["nanocat", "--pub", "--connect", endpoint, "-D", frame,
             "-i", str(interval)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def haversine(lat1, lon1, lat2, lon2):
    """Metres, by Redis' formula and Earth radius (as np_geo_dist)."""
    import math
    r = math.radians
    u = math.sin((r(lat2) - r(lat1)) / 2)
    v = math.sin((r(lon2) - r(lon1)) / 2)
    a = u * u + math.cos(r(lat1)) * math.cos(r(lat2)) * v * v
    return 2 * 6372797.560856 * math.asin(math.sqrt(min(a, 1.0)))


def load_city(directory=None):
    """(posts, units) of a city directory (default deploy/city): lists of
    dicts with the GeoJSON properties plus lat and lon."""
    directory = directory or os.path.join(SRC, "deploy", "city")
    out = []
    for name in ("posts", "units"):
        with open(os.path.join(directory, name + ".geojson")) as f:
            doc = json.load(f)
        out.append([dict(ft["properties"],
                         lon=ft["geometry"]["coordinates"][0],
                         lat=ft["geometry"]["coordinates"][1])
                    for ft in doc["features"]])
    return tuple(out)


# One atomic look at every order and unit: a unit holds at most one live
# order, and a unit's order field names exactly that order.
INVARIANT = """
local live = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1] .. 'order:*')) do
  local f = redis.call('HMGET', k, 'state', 'unit_id')
  if f[1] == 'issued' or f[1] == 'acked' or f[1] == 'enroute' or
      f[1] == 'onscene' then
    if live[f[2]] then return 'two live orders for ' .. f[2] end
    live[f[2]] = string.sub(k, #ARGV[1] + 7)
  end
end
for _, k in ipairs(redis.call('KEYS', ARGV[1] .. 'unit:*')) do
  local u = redis.call('HMGET', k, 'id', 'order')
  if (u[2] or false) ~= (live[u[1]] or false) then
    return k .. ' holds ' .. tostring(u[2]) .. ', live ' ..
      tostring(live[u[1]])
  end
end
return 'ok'
"""
