"""The bad-input corpus (tests/corpus/, format in its README.md): every
malformed HTTP request goes over a real socket to a real intake, every
malformed radio line to a real radiogw, and each must get exactly the
clear error its .expect file names (HTTP status, JSON error code and
field; NAK verb and code).  After each input the service must still
serve (a good call is accepted; a unit logs in, PINGs and ACKs its
order), and at the end nothing it accepted may be missing: every good
call is an incident on s:incidents and readable over the API, every
OK'd ACK is a unit.status on s:status, and no refused input left a
trace there."""
import glob
import hashlib
import hmac
import json
import os
import shutil
import socket
import tempfile
import unittest

from harness import (SRC, Redis, Service, free_port, request, stream_messages,
                     wait_until, write_city)
import radio_unit
from radio_unit import Closed, RadioUnit

CORPUS = os.path.join(SRC, "tests", "corpus")
LAT, LON = 31.2304, 121.4737
ROLES = ("calltaker", "supervisor", "admin")


def expectations(path):
    """A .expect file -> {key: [values]} (# comments and blanks skipped)."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(":")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def cases(kind, ext):
    """[(name, raw bytes, expectations)] of tests/corpus/<kind>/."""
    found = []
    for path in sorted(glob.glob(os.path.join(CORPUS, kind, "*" + ext))):
        with open(path, "rb") as f:
            raw = f.read()
        found.append((os.path.basename(path)[:-len(ext)], raw,
                      expectations(path[:-len(ext)] + ".expect")))
    return found


def write_tokens(directory):
    """A token file with one token per role -> (path, {role: token})."""
    tokens = {r: f"np-corpus-{r}-" + os.urandom(16).hex() for r in ROLES}
    path = os.path.join(directory, "tokens")
    with open(path, "w") as f:
        f.write("# name role sha256(token)\n")
        for r, t in tokens.items():
            f.write(f"corpus-{r} {r} {hashlib.sha256(t.encode()).hexdigest()}"
                    "\n")
    os.chmod(path, 0o600)
    return path, tokens


def stop_all(service, redis, run_dir):
    """Stop the service (it must exit 0 on SIGTERM), Redis, the files."""
    rc = service.stop()
    log = service.log_text()
    redis.cleanup()
    shutil.rmtree(run_dir, ignore_errors=True)
    if rc != 0:
        print(log[-5000:])
    assert rc == 0, f"{service.name} exited {rc} on SIGTERM"


def http_exchange(port, raw, timeout=10):
    """Send raw bytes, read one response -> (status, {header: value}, body
    bytes); None when the server closed without answering."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass        # answered and closed before the whole input went
        buf = b""
        while b"\r\n\r\n" not in buf:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            buf += chunk
        head, body = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for h in lines[1:]:
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split(" ")[1]), headers, body[:length]


class HttpCorpus(unittest.TestCase):
    """tests/corpus/http/*.http against intake."""

    @classmethod
    def setUpClass(cls):
        cls.run_dir = tempfile.mkdtemp(prefix="np-it-corpus-")
        cls.redis = Redis().start()
        cls.tokens_file, cls.tokens = write_tokens(cls.run_dir)
        cls.port = free_port()
        cls.intake = Service("intake", {
            "redis.port": cls.redis.port, "run.dir": cls.run_dir,
            "http.port": cls.port, "auth.tokens": cls.tokens_file,
            "plans.file": os.path.join(SRC, "deploy/plans.json"),
            "merge.radius_m": 0, "log.level": "info",
            # one client sends the whole corpus: no per-source rate limit
            "http.rate_per_source": 1e6, "http.rate_burst": 1000000}, cls.run_dir).start()
        wait_until(lambda: request(cls.port, "GET", "/healthz")[0] == 200,
                   what="intake /healthz")
        cls.accepted = []
        cls.incident = cls.good_call()

    @classmethod
    def tearDownClass(cls):
        stop_all(cls.intake, cls.redis, cls.run_dir)

    @classmethod
    def auth(cls, role):
        return {"Authorization": f"Bearer {cls.tokens[role]}"}

    @classmethod
    def good_call(cls):
        """A well-formed call, each at its own place: 201, a new incident."""
        n = len(cls.accepted)
        st, _, body = request(cls.port, "POST", "/v1/calls", {
            "type": "fight", "call_id": f"C-corpus-{n}",
            "location": {"lat": LAT + 0.001 * (n % 100),
                         "lon": LON + 0.001 * (n // 100)}},
            cls.auth("calltaker"))
        assert st == 201 and not body["merged"], (st, body)
        cls.accepted.append(body["incident_id"])
        return body["incident_id"]

    def prepare(self, raw, exp):
        """Placeholders filled in; the token of exp's role inserted as the
        first header (the request line is left exactly as it is)."""
        raw = raw.replace(b"@INCIDENT@", self.incident.encode())
        raw = raw.replace(b"@CALLTAKER_HASH@", hashlib.sha256(
            self.tokens["calltaker"].encode()).hexdigest().encode())
        role = exp.get("auth", ["none"])[0]
        if role != "none" and b"\n" in raw:
            eol = raw.index(b"\n") + 1
            crlf = b"\r\n" if raw[:eol].endswith(b"\r\n") else b"\n"
            raw = (raw[:eol] + b"Authorization: Bearer " +
                   self.tokens[role].encode() + crlf + raw[eol:])
        return raw

    def check_answer(self, name, got, exp):
        self.assertIsNotNone(got, f"{name}: closed without an answer")
        status, headers, body = got
        self.assertEqual(status, int(exp["status"][0]), f"{name}: {body!r}")
        self.assertIn("application/json", headers.get("content-type", ""),
                      name)
        err = json.loads(body)["error"]
        self.assertEqual(err["status"], status, name)
        self.assertTrue(err.get("message"), f"{name}: no message")
        if "code" in exp:
            self.assertEqual(err["code"], exp["code"][0], f"{name}: {err}")
        self.assertEqual(err.get("field"), exp.get("field", [None])[0],
                         f"{name}: {err}")
        for text in exp.get("message", []):
            self.assertIn(text, err["message"], f"{name}: {err}")
        if status == 401:
            self.assertTrue(headers.get("www-authenticate", "")
                            .startswith("Bearer"), f"{name}: {headers}")
        if status == 405:
            self.assertTrue(headers.get("allow"), f"{name}: no Allow")

    def test_every_bad_request_gets_its_error_and_intake_keeps_serving(self):
        corpus = cases("http", ".http")
        self.assertGreaterEqual(len(corpus), 100)
        for name, raw, exp in corpus:
            with self.subTest(name):
                got = http_exchange(self.port, self.prepare(raw, exp))
                self.assertTrue(self.intake.running(),
                                f"{name}: intake died\n"
                                f"{self.intake.log_text()[-3000:]}")
                self.check_answer(name, got, exp)
            self.good_call()            # and it still serves

    def test_zz_nothing_accepted_was_lost_nothing_refused_was_stored(self):
        db = self.redis.client()
        try:
            created = [m["incident"]["id"] for _, m in stream_messages(
                db, "np:{city}:s:incidents", count=100000)
                if m["type"] == "incident.created"]
        finally:
            db.close()
        self.assertEqual(sorted(created), sorted(self.accepted))
        for iid in self.accepted:
            st, _, inc = request(self.port, "GET", f"/v1/incidents/{iid}",
                                 headers=self.auth("calltaker"))
            self.assertEqual((st, inc["calls_count"]), (200, 1), iid)


def proof(key, unit_id, nonce):
    return hmac.new(key.encode(), f"nearpost-radio-v1 {unit_id} {nonce}"
                    .encode(), "sha256").hexdigest()


def login(u, unit_id, key):
    """The challenge/response login (docs/RADIO.md) -> the final reply."""
    if hasattr(radio_unit, "login"):
        return radio_unit.login(u, unit_id, key)
    r = u.request(f"AUTH {unit_id}")
    if r.kind != "CHALLENGE":
        return r
    return u.request(f"PROOF {proof(key, unit_id, r.line.split(' ')[2])}")


class RadioCorpus(unittest.TestCase):
    """tests/corpus/radio/*.txt against radiogw, orders in a real Redis."""
    UNIT, OTHER = "U-01", "U-02"
    ORDER, OTHER_ORDER, CANCELLED = "O-1-T1-1", "O-2-T1-1", "O-1-T1-0"

    @classmethod
    def setUpClass(cls):
        cls.run_dir = tempfile.mkdtemp(prefix="np-it-corpus-radio-")
        cls.redis = Redis().start()
        posts, units = write_city(
            cls.run_dir, [("P-1", "Post one", "station", "D1", LAT, LON)],
            [(u, f"C{u}", "guard", "P-1", LAT, LON)
             for u in (cls.UNIT, cls.OTHER)])
        cls.keys = {u: f"corpus-key-{u}-" + os.urandom(8).hex()
                    for u in (cls.UNIT, cls.OTHER)}
        keys = os.path.join(cls.run_dir, "units.keys")
        with open(keys, "w") as f:
            f.write("".join(f"{u} {k}\n" for u, k in cls.keys.items()))
        cls.db = cls.redis.client()
        cls.order(cls.ORDER, cls.UNIT, "issued")
        cls.order(cls.CANCELLED, cls.UNIT, "cancelled")
        cls.order(cls.OTHER_ORDER, cls.OTHER, "issued")
        cls.port = free_port()
        cls.gw = Service("radiogw", {
            "redis.port": cls.redis.port, "run.dir": cls.run_dir,
            "radio.port": cls.port, "city.posts": posts, "city.units": units,
            "city.keys": keys, "radio.resend_ms": 600000,
            "bus.units": f"ipc://{cls.run_dir}/units.ipc",
            "bus.events": f"ipc://{cls.run_dir}/events.ipc",
            "log.level": "info"}, cls.run_dir).start()
        wait_until(cls.listening, what="radiogw listening")
        cls.acks = 0

    @classmethod
    def tearDownClass(cls):
        cls.db.close()
        stop_all(cls.gw, cls.redis, cls.run_dir)

    @classmethod
    def listening(cls):
        assert cls.gw.running(), cls.gw.log_text()[-2000:]
        with socket.create_connection(("127.0.0.1", cls.port), 1):
            return True

    @classmethod
    def order(cls, oid, unit, state):
        """An order as the commander leaves it (docs/DISPATCH.md)."""
        msg = {"type": "order.issued", "v": 1, "ts": 1, "src": "commander",
               "order_id": oid, "incident_id": oid[:3], "unit_id": unit,
               "tier": 1, "incident_type": "fight", "priority": 2,
               "lat": LAT, "lon": LON, "address": "Nanjing Rd 1",
               "ack_due": 2}
        cls.db("HSET", f"np:{{city}}:order:{oid}", "id", oid, "incident_id",
               oid[:3], "unit_id", unit, "tier", 1, "state", state,
               "issued_at", 1, "ack_due", 2, "msg", json.dumps(msg))
        if state == "issued":
            cls.db("HSET", f"np:{{city}}:unit:{unit}", "status",
                   "dispatched", "order", oid, "incident", oid[:3])

    def fill(self, text):
        for k, v in (("@UNIT@", self.UNIT), ("@KEY@", self.keys[self.UNIT]),
                     ("@ORDER@", self.ORDER), ("@OTHER@", self.OTHER_ORDER),
                     ("@CANCELLED@", self.CANCELLED)):
            text = text.replace(k.encode() if isinstance(text, bytes)
                                else k, v.encode() if isinstance(text, bytes)
                                else v)
        return text

    def online(self):
        u = RadioUnit(self.port, timeout=5).connect()
        r = login(u, self.UNIT, self.keys[self.UNIT])
        self.assertEqual((r.kind, r.verb), ("OK", "AUTH"), r.line)
        return u

    def next_line(self, u, want):
        """The next reply, or the next BYE when that is what is wanted."""
        if want.startswith("BYE"):
            return u.wait_push(("BYE",))
        return u.reply()

    def run_case(self, name, raw, exp):
        u = (self.online() if exp.get("login", ["yes"])[0] == "yes" else
             RadioUnit(self.port, timeout=5).connect())
        try:
            u.send_raw(self.fill(raw))
            for want in exp.get("reply", []):
                want = self.fill(want).split()
                got = self.next_line(u, want[0])
                self.assertEqual(got.line.split()[:len(want)], want,
                                 f"{name}: {got.line}")
                for text in exp.get("message", []):
                    if got.kind == "NAK":
                        self.assertIn(text, got.message, f"{name}: {got}")
            if exp.get("closed", ["no"])[0] == "yes":
                with self.assertRaises(Closed, msg=name):
                    u.drain(quiet=5)
            else:       # exactly one answer per line: PING is next
                self.assertEqual(u.request("PING").kind, "PONG", name)
        finally:
            u.close()

    def probe(self):
        """The gateway still serves: log in, PING, ACK the unit's order
        (OK only once stored on s:status)."""
        with self.online() as u:
            self.assertEqual(u.request("PING").kind, "PONG")
            r = u.request(f"ACK {self.ORDER}")
            self.assertEqual((r.kind, r.verb), ("OK", "ACK"), r.line)
        type(self).acks += 1

    def test_every_bad_line_gets_its_nak_and_radiogw_keeps_serving(self):
        corpus = cases("radio", ".txt")
        self.assertGreaterEqual(len(corpus), 50)
        for name, raw, exp in corpus:
            with self.subTest(name):
                self.run_case(name, raw, exp)
                self.assertTrue(self.gw.running(), f"{name}: radiogw died\n"
                                f"{self.gw.log_text()[-3000:]}")
            self.probe()

    def test_zz_every_ok_is_stored_and_no_refused_line_is(self):
        statuses = [m for _, m in stream_messages(
            self.db, "np:{city}:s:status", count=100000)]
        acked = [m for m in statuses if m["status"] == "acked"]
        self.assertEqual(len(acked), self.acks)
        self.assertTrue(all(m["order_id"] == self.ORDER for m in acked))
        others = {m["status"] for m in statuses} - {"acked", "online",
                                                     "offline"}
        self.assertEqual(others, set(), "a refused line changed a status")


if __name__ == "__main__":
    unittest.main()
