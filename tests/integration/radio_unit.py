"""A scripted field unit speaking the radio line protocol (docs/RADIO.md).

Used by the integration tests, benchmarks and scripts.  One object is
one unit on one TCP connection.  auth() logs in by challenge and
response (AUTH <unit_id>, CHALLENGE <unit_id> <nonce>, PROOF <mac>): the
secret never goes on the wire; proof() is the MAC for other clients.
Everything is synchronous with explicit deadlines: `reply()` waits for
the answer to the line just sent (OK, NAK, PONG or CHALLENGE), and
lines the gateway pushes on its own (ORDER, CANCEL, BYE) are kept in
`pushed` until `wait_order()` / `wait_push()` take them.

Behaviour when an ORDER comes (`on_order`, or `run()` for a unit left to
itself): "fast" acknowledges at once, "slow" after `slow_s` seconds,
"never" keeps quiet (the gateway re-sends), "decline" declines with
`decline_reason`.

Standard library only.
"""
import collections
import hmac
import socket
import time
import urllib.parse

Reply = collections.namedtuple("Reply", "kind verb code message line")
Order = collections.namedtuple(
    "Order", "order_id incident_id tier lat lon priority type address line")
BEHAVIOURS = ("fast", "slow", "never", "decline")


def nmea_sentence(body, checksum=None):
    """$body*hh, the checksum computed unless given."""
    if checksum is None:
        checksum = 0
        for ch in body.encode():
            checksum ^= ch
    return f"${body}*{checksum:02X}"


def nmea_rmc(lat, lon, status="A", talker="GP", checksum=None):
    """A $--RMC sentence for lat/lon."""
    def dm(v, width):
        v = abs(v)
        deg = int(v)
        return f"{deg:0{width}d}{(v - deg) * 60:07.4f}"
    return nmea_sentence(f"{talker}RMC,123519.00,{status},{dm(lat, 2)},"
                         f"{'N' if lat >= 0 else 'S'},{dm(lon, 3)},"
                         f"{'E' if lon >= 0 else 'W'},0.0,0.0,231126,,,A",
                         checksum)


def proof(secret, unit_id, nonce):
    """The PROOF of a login: lowercase hex HMAC-SHA256 of
    "nearpost-radio-v1 <unit_id> <nonce>" keyed with the unit's secret."""
    return hmac.new(secret.encode(), f"nearpost-radio-v1 {unit_id} {nonce}"
                    .encode(), "sha256").hexdigest()


def parse_line(line):
    """A server line -> Reply or Order (or Reply kind PONG/BYE/CANCEL;
    CHALLENGE: verb the unit id, message the nonce)."""
    words = line.split(" ")
    kind = words[0]
    if kind == "ORDER" and len(words) == 9:
        addr = "" if words[8] == "-" else urllib.parse.unquote(words[8])
        return Order(words[1], words[2], int(words[3]), float(words[4]),
                     float(words[5]), int(words[6]), words[7], addr, line)
    if kind == "OK":
        return Reply("OK", words[1] if len(words) > 1 else "", None,
                     " ".join(words[2:]), line)
    if kind == "NAK":
        return Reply("NAK", words[1], words[2] if len(words) > 2 else "",
                     " ".join(words[3:]), line)
    if kind in ("BYE", "CANCEL", "CHALLENGE"):
        return Reply(kind, words[1] if len(words) > 1 else "", None,
                     " ".join(words[2:]), line)
    return Reply(kind, "", None, "", line)


class Closed(Exception):
    """The gateway closed the connection."""


class RadioUnit:
    def __init__(self, port, unit_id=None, key=None, host="127.0.0.1",
                 behaviour="fast", slow_s=1.0, decline_reason="busy",
                 timeout=5.0):
        assert behaviour in BEHAVIOURS, behaviour
        self.addr = (host, port)
        self.unit_id, self.key = unit_id, key
        self.behaviour, self.slow_s = behaviour, slow_s
        self.decline_reason = decline_reason
        self.timeout = timeout
        self.sock = None
        self.buf = b""
        self.pushed = collections.deque()   # ORDER / CANCEL / BYE
        self.orders_seen = collections.Counter()
        self.closed = False
        self.nonce = None

    # -- connection -------------------------------------------------------
    def connect(self):
        self.sock = socket.create_connection(self.addr, timeout=self.timeout)
        self.buf, self.closed = b"", False
        return self

    def adopt(self, sock):
        """Speak over sock, connected already: the line framing is the
        same both ways, so a test playing the gateway's end reads and
        writes lines with it too."""
        self.sock, self.buf, self.closed = sock, b"", False
        return self

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self.connect() if self.sock is None else self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def send(self, line):
        self.send_raw(line.encode() + b"\r\n")

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no line from the gateway in time")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no line from the gateway in time") from None
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            raise Closed("the gateway closed the connection")
        self.buf += chunk

    def read_line(self, timeout=None):
        """The next line from the gateway, without its CRLF."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("ascii")

    def _next(self, timeout):
        item = parse_line(self.read_line(timeout))
        if isinstance(item, Order):
            self.orders_seen[item.order_id] += 1
        return item

    # -- replies and pushes ----------------------------------------------
    def reply(self, timeout=None):
        """The answer to the last line sent (OK / NAK / PONG / CHALLENGE)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            item = self._next(max(deadline - time.monotonic(), 0.001))
            if isinstance(item, Order) or item.kind in ("CANCEL", "BYE"):
                self.pushed.append(item)
                continue
            return item

    def request(self, line, timeout=None):
        self.send(line)
        return self.reply(timeout)

    def wait_push(self, kinds=("ORDER",), timeout=None, order_id=None):
        """The next pushed line of one of kinds ("ORDER" for orders)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for item in list(self.pushed):
                is_order = isinstance(item, Order)
                kind = "ORDER" if is_order else item.kind
                oid = item.order_id if is_order else item.verb
                if kind in kinds and order_id in (None, oid):
                    self.pushed.remove(item)
                    return item
            item = self._next(max(deadline - time.monotonic(), 0.001))
            self.pushed.append(item)

    def wait_order(self, timeout=None, order_id=None):
        return self.wait_push(("ORDER",), timeout, order_id)

    def drain(self, quiet=0.2):
        """Read whatever arrives until the line is quiet for `quiet` s;
        pushed lines also go to `pushed` (Closed may interrupt)."""
        got = []
        try:
            while True:
                item = self._next(quiet)
                got.append(item)
                if isinstance(item, Order) or item.kind in ("CANCEL", "BYE"):
                    self.pushed.append(item)
        except TimeoutError:
            return got

    # -- the verbs --------------------------------------------------------
    def challenge(self, unit_id=None):
        """AUTH <unit_id>: the CHALLENGE reply (or a NAK)."""
        return self.request(f"AUTH {unit_id or self.unit_id}")

    def auth(self, unit_id=None, key=None):
        """The whole login: the reply to PROOF (OK AUTH, or the NAK of
        AUTH or PROOF).  The last nonce is kept in self.nonce."""
        uid = unit_id or self.unit_id
        r = self.challenge(uid)
        if r.kind != "CHALLENGE":
            return r
        if r.verb != uid:
            raise AssertionError(f"challenge for {r.verb}, not {uid}")
        self.nonce = r.message
        return self.request("PROOF " + proof(key or self.key, uid, r.message))

    def pos(self, lat, lon):
        return self.request(f"POS {lat:.7f} {lon:.7f}")

    def nmea(self, lat, lon, **kw):
        return self.request(nmea_rmc(lat, lon, **kw))

    def ack(self, order_id):
        return self.request(f"ACK {order_id}")

    def decline(self, order_id, reason=None):
        return self.request(f"DECLINE {order_id} "
                            f"{reason or self.decline_reason}")

    def enroute(self, order_id):
        return self.request(f"ENROUTE {order_id}")

    def onscene(self, order_id):
        return self.request(f"ONSCENE {order_id}")

    def clear(self, order_id, disposition="resolved"):
        return self.request(f"CLEAR {order_id} {disposition}")

    def ping(self):
        return self.request("PING")

    def quit(self):
        r = self.request("QUIT")
        self.close()
        return r

    # -- behaviour --------------------------------------------------------
    def on_order(self, order):
        """Answer an ORDER as the configured behaviour says; the reply."""
        if self.behaviour == "never":
            return None
        if self.behaviour == "decline":
            return self.decline(order.order_id)
        if self.behaviour == "slow":
            time.sleep(self.slow_s)     # the unit's own pace, not a sync
        return self.ack(order.order_id)

    def run(self, duration, max_answers=None):
        """Act as the unit for `duration` seconds (or until it has answered
        max_answers orders); [(order_id, reply)] of its answers."""
        end = time.monotonic() + duration
        answers = []
        while time.monotonic() < end and (max_answers is None or
                                          len(answers) < max_answers):
            try:
                order = self.wait_order(timeout=end - time.monotonic())
            except TimeoutError:
                break
            r = self.on_order(order)
            if r is not None:
                answers.append((order.order_id, r))
        return answers
