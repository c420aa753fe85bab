"""radiogw against a real Redis, with scripted units on real TCP: orders
reach the connected unit and are re-sent until answered, a reconnecting
unit gets its outstanding order, answers land on s:status as unit.status,
every malformed line gets a NAK naming the problem, limits hold (line
size, rate, connections), and positions reach the units bus and Redis.
The login itself (challenge and response) is test_radiogw_auth.py.

The test plays the commander: it writes order:<oid> and unit:<id> and
XADDs order.issued / order.cancelled to s:orders exactly as
docs/DISPATCH.md says the commander does."""
import json
import os
import shutil
import socket
import tempfile
import time
import unittest

from harness import (Nanocat, Redis, Service, free_port, schema_validator,
                     stream_messages, wait_until, write_city)
from radio_unit import Closed, RadioUnit, nmea_rmc, nmea_sentence, proof

NUNITS = 16
LAT, LON = 31.2304, 121.4737
RESEND_MS = 300


def key_of(n):
    return f"key-{n:02d}-s3cret-0123456789"


class GwStack:
    """Redis + radiogw + two nanocat SUBs bound where radiogw publishes."""

    def __init__(self, **extra):
        self.run_dir = tempfile.mkdtemp(prefix="np-it-radio-")
        self.redis = Redis().start()
        posts, units = write_city(
            self.run_dir, [("P-1", "Post one", "station", "D1", LAT, LON)],
            [(f"U-{n:02d}", f"C{n}", "guard", "P-1", LAT, LON)
             for n in range(1, NUNITS + 1)])
        keys = os.path.join(self.run_dir, "units.keys")
        with open(keys, "w") as f:
            f.write("# unit key\n" + "".join(
                f"U-{n:02d} {key_of(n)}\n" for n in range(1, NUNITS + 1)))
        self.units_ep = f"ipc://{self.run_dir}/units.ipc"
        self.events_ep = f"ipc://{self.run_dir}/events.ipc"
        self.units_bus = Nanocat(self.units_ep)
        self.events_bus = Nanocat(self.events_ep)
        self.port = free_port()
        settings = {"redis.port": self.redis.port, "run.dir": self.run_dir,
                    "radio.port": self.port, "city.posts": posts,
                    "city.units": units, "city.keys": keys,
                    "bus.units": self.units_ep, "bus.events": self.events_ep,
                    "radio.resend_ms": RESEND_MS,
                    "radio.pos_persist_ms": 200, "log.level": "debug"}
        settings.update(extra)
        self.gw = Service("radiogw", settings, self.run_dir).start()
        wait_until(self.listening, what="radiogw listening")
        self.db = self.redis.client()

    def listening(self):
        assert self.gw.running(), self.gw.log_text()[-2000:]
        with socket.create_connection(("127.0.0.1", self.port), 1):
            return True

    def key(self, name):
        return "np:{city}:" + name

    def unit(self, n, **kw):
        return RadioUnit(self.port, f"U-{n:02d}", key_of(n), **kw)

    def online(self, n, **kw):
        u = self.unit(n, **kw).connect()
        r = u.auth()
        assert (r.kind, r.verb) == ("OK", "AUTH"), r
        return u

    # -- the commander's part ----------------------------------------------
    def issue(self, oid, n, incident="I-1", tier=1, address="Nanjing Rd 1"):
        unit = f"U-{n:02d}"
        msg = {"type": "order.issued", "v": 1, "ts": int(time.time() * 1000),
               "src": "commander", "order_id": oid, "incident_id": incident,
               "unit_id": unit, "tier": tier, "incident_type": "fight",
               "priority": 2, "lat": LAT, "lon": LON, "address": address,
               "ack_due": int(time.time() * 1000) + 15000}
        body = json.dumps(msg)
        self.db("HSET", self.key(f"order:{oid}"), "id", oid, "incident_id",
                incident, "unit_id", unit, "tier", tier, "state", "issued",
                "issued_at", msg["ts"], "ack_due", msg["ack_due"], "msg", body)
        self.db("HSET", self.key(f"unit:{unit}"), "status", "dispatched",
                "order", oid, "incident", incident)
        self.db("XADD", self.key("s:orders"), "*", "msg", body)
        return msg

    def cancel(self, oid, n, incident="I-1", reason="no_answer"):
        unit = f"U-{n:02d}"
        self.db("HSET", self.key(f"order:{oid}"), "state", "cancelled")
        self.db("HDEL", self.key(f"unit:{unit}"), "order")
        self.db("XADD", self.key("s:orders"), "*", "msg", json.dumps(
            {"type": "order.cancelled", "v": 1, "ts": 1, "src": "commander",
             "order_id": oid, "unit_id": unit, "incident_id": incident,
             "reason": reason}))

    def statuses(self, **match):
        return [m for _, m in stream_messages(self.db, self.key("s:status"))
                if all(m.get(k) == v for k, v in match.items())]

    def wait_status(self, count=1, **match):
        return wait_until(lambda: len(self.statuses(**match)) >= count and
                          self.statuses(**match), what=f"unit.status {match}")

    def orders_pending(self):
        return self.db("XPENDING", self.key("s:orders"), "radiogw")[0]

    def close(self):
        rc = self.gw.stop()
        log = self.gw.log_text()
        self.db.close()
        self.units_bus.stop()
        self.events_bus.stop()
        self.redis.cleanup()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return rc, log


class ReplyAsserts:
    """assertReply for a unittest.TestCase of the radio protocol."""

    def assertReply(self, r, kind, verb, code=None, text=None):
        self.assertEqual((r.kind, r.verb), (kind, verb), r.line)
        if code is not None:
            self.assertEqual(r.code, code, r.line)
        if text is not None:
            self.assertIn(text, r.message, r.line)


class RadioGwTest(ReplyAsserts, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = GwStack(**{"radio.auth_timeout_ms": 3000})
        cls.status_schema = schema_validator("unit.status")
        cls.position_schema = schema_validator("unit.position")

    @classmethod
    def tearDownClass(cls):
        rc, log = cls.s.close()
        if rc != 0:
            print(log[-5000:])
        assert rc == 0, f"radiogw exited {rc} on SIGTERM"

    def valid(self, validator, doc):
        errors = [e.message for e in validator.iter_errors(doc)]
        self.assertFalse(errors, f"{errors} in {doc}")

    def test_order_reaches_unit_and_is_resent_until_ack(self):
        s = self.s
        with s.online(1) as u:
            s.issue("I-1-T1-1", 1, address="Nanjing Rd 1, 2/F")
            o = u.wait_order()
            self.assertEqual((o.order_id, o.incident_id, o.tier, o.priority,
                              o.type, o.address),
                             ("I-1-T1-1", "I-1", 1, 2, "fight",
                              "Nanjing Rd 1, 2/F"))
            self.assertAlmostEqual(o.lat, LAT, places=6)
            self.assertIn("Nanjing%20Rd%201%2C%202%2FF", o.line)
            again = u.wait_order(timeout=RESEND_MS / 1000 * 10)
            self.assertEqual(again.line, o.line)      # re-sent, unanswered
            wait_until(lambda: s.orders_pending() == 0,
                       what="s:orders entry acked")
            self.assertReply(u.ack(o.order_id), "OK", "ACK", text="I-1-T1-1")
            st = s.wait_status(unit_id="U-01", status="acked")[-1]
            self.valid(self.status_schema, st)
            self.assertEqual((st["order_id"], st["incident_id"]),
                             ("I-1-T1-1", "I-1"))
            # answered: no more re-sends (a few periods of quiet)
            late = [x for x in u.drain(quiet=RESEND_MS / 1000 * 4)
                    if getattr(x, "order_id", None) == "I-1-T1-1"]
            u.pushed.clear()
            self.assertEqual(late, [])
            # a duplicate ACK is harmless: OK again, one more status
            self.assertReply(u.ack(o.order_id), "OK", "ACK")
            s.wait_status(2, unit_id="U-01", status="acked")

    def test_unit_that_reconnects_gets_its_outstanding_order(self):
        s = self.s
        s.issue("I-2-T1-1", 2, incident="I-2")      # unit not connected
        wait_until(lambda: s.orders_pending() == 0, what="entry acked")
        u = s.online(2)
        o = u.wait_order(order_id="I-2-T1-1")
        self.assertEqual(o.incident_id, "I-2")
        u.close()                                   # the link drops
        s.wait_status(unit_id="U-02", status="offline")
        wait_until(lambda: s.db("HGET", s.key("unit:U-02"), "link") ==
                   "down", what="link down")
        with s.online(2) as u:
            self.assertEqual(u.wait_order().order_id, "I-2-T1-1")
            self.assertEqual(s.db("HGET", s.key("unit:U-02"), "link"), "up")
            self.assertReply(u.ack("I-2-T1-1"), "OK", "ACK")
        for st in s.statuses(unit_id="U-02"):
            self.valid(self.status_schema, st)
        self.assertGreaterEqual(len(s.statuses(unit_id="U-02",
                                               status="online")), 2)

    def test_decline_enroute_onscene_clear_land_on_s_status(self):
        s = self.s
        with s.online(3) as u:
            s.issue("I-3-T1-1", 3, incident="I-3")
            u.wait_order()
            self.assertReply(u.decline("I-3-T1-1", "Vehicle_Broken"), "OK",
                             "DECLINE")
            st = s.wait_status(unit_id="U-03", status="declined")[-1]
            self.assertEqual(st["reason"], "vehicle_broken")
            s.issue("I-3-T1-2", 3, incident="I-3")
            u.wait_order(order_id="I-3-T1-2")
            for verb in (u.ack, u.enroute, u.onscene):
                self.assertEqual(verb("I-3-T1-2").kind, "OK")
            self.assertReply(u.clear("I-3-T1-2", "lunch"), "NAK", "CLEAR",
                             "bad_disposition", '"lunch"')
            self.assertReply(u.clear("I-3-T1-2", "false_alarm"), "OK",
                             "CLEAR")
            st = s.wait_status(unit_id="U-03", status="clear")[-1]
            self.assertEqual(st["disposition"], "false_alarm")
            got = [m["status"] for m in s.statuses(unit_id="U-03")
                   if m.get("order_id") == "I-3-T1-2"]
            self.assertEqual(got, ["acked", "enroute", "onscene", "clear"])
            for st in s.statuses(unit_id="U-03"):
                self.valid(self.status_schema, st)

    def test_lines_sent_together_are_answered_in_their_order(self):
        # verbs that arrive together go to Redis as one batch (verbs.c);
        # a line of another kind waits for their replies
        s = self.s
        with s.online(16) as u:
            s.issue("I-16-T1-1", 16, incident="I-16")
            u.wait_order()
            oid = "I-16-T1-1"
            u.send_raw("".join(f"{ln}\r\n" for ln in (
                f"ACK {oid}", f"ENROUTE {oid}", "ACK NO-SUCH-ORDER",
                "HELLO", f"ONSCENE {oid}", "PING", f"ACK {oid}",
                f"CLEAR {oid} resolved", f"CLEAR {oid} napping",
                f"ONSCENE {oid}")).encode())
            want = [("OK", "ACK", None), ("OK", "ENROUTE", None),
                    ("NAK", "ACK", "unknown_order"), ("NAK", "-",
                                                      "unknown_verb"),
                    ("OK", "ONSCENE", None), ("PONG", "", None),
                    ("OK", "ACK", None), ("OK", "CLEAR", None),
                    ("NAK", "CLEAR", "bad_disposition"),
                    ("OK", "ONSCENE", None)]
            for kind, verb, code in want:
                self.assertReply(u.reply(), kind, verb, code)
            # the order is still "issued" here (no commander): all count
            got = [(m["status"], m["incident_id"]) for m in
                   s.wait_status(6, unit_id="U-16", order_id=oid)]
            self.assertEqual(got, [("acked", "I-16"), ("enroute", "I-16"),
                                   ("onscene", "I-16"), ("acked", "I-16"),
                                   ("clear", "I-16"), ("onscene", "I-16")])
            # once cleared, only CLEAR is taken again
            s.db("HSET", s.key(f"order:{oid}"), "state", "cleared")
            u.send_raw(f"CLEAR {oid} resolved\r\nACK {oid}\r\n".encode())
            self.assertReply(u.reply(), "OK", "CLEAR")
            self.assertReply(u.reply(), "NAK", "ACK", "order_closed",
                             "cleared")
            for st in s.statuses(unit_id="U-16"):
                self.valid(self.status_schema, st)

    def test_order_verbs_check_the_order(self):
        s = self.s
        s.issue("I-4-T1-1", 5, incident="I-4")       # another unit's
        s.issue("I-4-T1-2", 4, incident="I-4")
        with s.online(4) as u:
            self.assertReply(u.ack("NO-SUCH-ORDER"), "NAK", "ACK",
                             "unknown_order", "NO-SUCH-ORDER")
            self.assertReply(u.ack("I-4-T1-1"), "NAK", "ACK",
                             "not_your_order", "U-04")
            u.wait_order(order_id="I-4-T1-2")
            s.cancel("I-4-T1-2", 4, incident="I-4")
            c = u.wait_push(("CANCEL",), order_id="I-4-T1-2")
            self.assertEqual(c.line, "CANCEL I-4-T1-2 no_answer")
            self.assertReply(u.ack("I-4-T1-2"), "NAK", "ACK", "order_closed",
                             "cancelled")
            late = [x for x in u.drain(quiet=RESEND_MS / 1000 * 4)
                    if getattr(x, "order_id", None) == "I-4-T1-2"]
            self.assertEqual(late, [], "re-sent after CANCEL")
            # unanswered in time (the commander's noanswer): a late answer
            # is refused, but the unit is heard -- online again
            online = len(s.statuses(unit_id="U-04", status="online"))
            s.db("HSET", s.key("order:I-4-T1-2"), "state", "noanswer")
            self.assertReply(u.ack("I-4-T1-2"), "NAK", "ACK", "order_closed",
                             "noanswer")
            s.wait_status(count=online + 1, unit_id="U-04", status="online")
        self.assertEqual(s.statuses(unit_id="U-04", status="acked"), [])

    def test_every_malformed_line_gets_a_nak_and_the_link_survives(self):
        bad = [
            ("HELLO", "-", "unknown_verb", '"HELLO"'),
            ("ACK", "ACK", "missing_arg", "<order_id>"),
            ("ACK a b", "ACK", "extra_arg", "got 2"),
            ("ACK bad/id", "ACK", "bad_order_id", '"bad/id"'),
            ("DECLINE O-1", "DECLINE", "missing_arg", "<reason>"),
            ("DECLINE O-1 no!", "DECLINE", "bad_reason", '"no!"'),
            ("CLEAR O-1", "CLEAR", "missing_arg", "<disposition>"),
            ("CLEAR O-1 napping", "CLEAR", "bad_disposition", '"napping"'),
            ("ENROUTE", "ENROUTE", "missing_arg", "<order_id>"),
            ("ONSCENE x y", "ONSCENE", "extra_arg", "got 2"),
            ("POS 1", "POS", "missing_arg", "<lat> <lon>"),
            ("POS 95 10", "POS", "bad_lat", '"95"'),
            ("POS abc 10", "POS", "bad_lat", '"abc"'),
            ("POS 10 181", "POS", "bad_lon", '"181"'),
            ("POS 1e3 10", "POS", "bad_lat", "decimal"),
            ("PING now", "PING", "extra_arg", "PING takes 0"),
            ("AUTH U-06", "AUTH", "already_authenticated", "U-06"),
            ("PROOF " + "0" * 64, "PROOF", "already_authenticated",
             "U-06"),
            (nmea_rmc(LAT, LON, checksum=0), "NMEA", "bad_checksum",
             "sums to"),
            (nmea_rmc(LAT, LON, status="V"), "NMEA", "no_fix", "status V"),
            ("$GPRMC,1,A,3113.824,N,12128.422,E", "NMEA", "bad_nmea", "*hh"),
            (nmea_sentence("GPGGA,1,2"), "NMEA", "unsupported_sentence",
             "$GPGGA"),
            (nmea_sentence("GPRMC,1,A,3113.824,Q,12128.422,E,,,231126,,"),
             "NMEA", "bad_lat", "N or S"),
            ("PI\x01NG", "-", "bad_line", "0x01 at column 3"),
            ("ACK \u00e9t\u00e9", "-", "bad_line", "non-ASCII"),
        ]
        with self.s.online(6) as u:
            for line, verb, code, text in bad:
                u.send_raw(line.encode("utf-8") + b"\n")
                r = u.reply()
                self.assertReply(r, "NAK", verb, code, text)
                self.assertReply(u.ping(), "PONG", "")
            self.assertGreaterEqual(len(bad), 20)
            self.assertReply(u.pos(LAT, LON), "OK", "POS")

    def test_oversize_line_is_refused_and_bounded(self):
        with self.s.online(7) as u:
            u.send_raw(b"PING" + b" " * 508 + b"\r\n")   # exactly 512
            self.assertReply(u.reply(), "PONG", "")
            u.send_raw(b"PING" + b" " * 509 + b"\n")     # 513
            self.assertReply(u.reply(), "NAK", "-", "line_too_long", "512")
            u.send_raw(b"X" * (1 << 20))                 # 1 MiB, no newline
            self.assertReply(u.reply(timeout=10), "NAK", "-", "line_too_long")
            u.send_raw(b"still the same line\nPING\n")
            self.assertReply(u.reply(), "PONG", "")
            self.assertReply(u.ping(), "PONG", "")

    def test_flood_is_rate_limited_then_disconnected(self):
        with self.s.online(8) as u:
            u.send_raw(b"PING\n" * 600)             # burst allowance is 200
            replies = [u.reply() for _ in range(600)]
            kinds = [r.kind for r in replies]
            limited = [r for r in replies if r.kind == "NAK"]
            self.assertGreater(kinds.count("PONG"), 0)
            self.assertGreater(len(limited), 0, kinds)
            self.assertReply(limited[0], "NAK", "-", "rate_limited",
                             "lines a second")
            # still connected: PONG comes back once the bucket refills
            wait_until(lambda: u.ping().kind == "PONG", what="PONG")
        with self.s.online(9) as u:
            # a sustained flood is cut off (the BYE may be lost to the RST
            # of a socket closed with our unread lines in it)
            with self.assertRaises((Closed, OSError)):
                for _ in range(50):
                    u.send_raw(b"PING\n" * 200)
                    u.drain(quiet=0.01)
                u.drain(quiet=2)
            self.assertIn([p.verb for p in u.pushed if p.kind == "BYE"],
                          ([], ["flood"]))
            wait_until(lambda: "flooding, disconnected" in
                       self.s.gw.log_text(), what="flood logged")

    def test_commands_before_auth_are_refused(self):
        with self.s.unit(11).connect() as u:
            for line, verb in (("POS 1 2", "POS"), ("ACK O-1", "ACK"),
                               (nmea_rmc(LAT, LON), "NMEA"),
                               ("CLEAR O-1 resolved", "CLEAR")):
                self.assertReply(u.request(line), "NAK", verb,
                                 "not_authenticated", "AUTH")
            self.assertReply(u.ping(), "PONG", "")
            # and no AUTH at all ends the connection (auth_timeout_ms)
            with self.assertRaises(Closed):
                u.drain(quiet=10)
            self.assertEqual([p.verb for p in u.pushed], ["auth_timeout"])

    def test_second_connection_replaces_the_first(self):
        s = self.s
        first = s.online(12)
        with s.online(12) as second:
            with self.assertRaises(Closed):
                first.drain(quiet=5)
            self.assertEqual([p.verb for p in first.pushed], ["replaced"])
            s.issue("I-12-T1-1", 12, incident="I-12")
            self.assertEqual(second.wait_order(order_id="I-12-T1-1").tier, 1)
        first.close()

    def test_positions_reach_the_units_bus_and_redis(self):
        s = self.s
        with s.online(13) as u:
            def frame_with(lat):
                for f in s.units_bus.frames():
                    topic, _, body = f.partition(" ")
                    try:
                        doc = json.loads(body)
                    except ValueError:      # a frame still being written
                        continue
                    if topic == "unit.position" and doc["unit_id"] == \
                            "U-13" and abs(doc["lat"] - lat) < 1e-6:
                        return doc
                return None
            # PUB/SUB joins lazily: report until one gets through
            n = [0]

            def report():
                n[0] += 1
                lat = LAT + n[0] * 1e-4
                self.assertReply(u.pos(lat, LON), "OK", "POS")
                return frame_with(lat)
            doc = wait_until(report, what="unit.position on the units bus",
                             interval=0.05)
            self.valid(self.position_schema, doc)
            self.assertAlmostEqual(doc["lon"], LON, places=6)
            # NMEA reports too
            r = u.nmea(31.25, 121.5)
            self.assertReply(r, "OK", "NMEA", text="31.250000 121.500000")
            doc = wait_until(lambda: frame_with(31.25), what="NMEA frame")
            self.valid(self.position_schema, doc)
            # the last report is persisted (throttled, never lost)
            wait_until(lambda: abs(float(s.db("HGET", s.key("unit:U-13"),
                                              "lat") or 0) - 31.25) < 1e-6,
                       what="position persisted")
            self.assertGreater(int(s.db("HGET", s.key("unit:U-13"),
                                        "pos_ts")), 0)
            lon, lat = s.db("GEOPOS", s.key("units:geo"), "U-13")[0]
            self.assertAlmostEqual(float(lat), 31.25, places=4)
            self.assertAlmostEqual(float(lon), 121.5, places=4)

    def test_scripted_unit_behaviours(self):
        s = self.s
        with s.online(15, behaviour="never") as u:
            s.issue("I-15-T1-1", 15, incident="I-15")
            self.assertEqual(u.run(RESEND_MS / 1000 * 4), [])
            self.assertGreaterEqual(u.orders_seen["I-15-T1-1"], 2)
            u.behaviour = "decline"
            (oid, r), = u.run(10, max_answers=1)
            self.assertEqual((oid, r.kind, r.verb),
                             ("I-15-T1-1", "OK", "DECLINE"))
            s.wait_status(unit_id="U-15", status="declined")
            u.pushed.clear()        # re-sends that crossed the DECLINE
            u.behaviour, u.slow_s = "slow", 0.2
            s.issue("I-15-T1-2", 15, incident="I-15")
            (oid, r), = u.run(10, max_answers=1)
            self.assertEqual((oid, r.kind, r.verb),
                             ("I-15-T1-2", "OK", "ACK"))

    def test_unit_status_frames_on_the_events_bus(self):
        s = self.s
        frames = []

        def seen():
            u = s.online(14)
            u.quit()
            frames[:] = [json.loads(f.partition(" ")[2])
                         for f in s.events_bus.frames()
                         if f.startswith("unit.status ") and f.endswith("}")]
            return [f for f in frames if f["unit_id"] == "U-14"]
        got = wait_until(seen, what="unit.status on the events bus",
                         interval=0.1)
        self.assertTrue({f["status"] for f in got} <= {"online", "offline"})
        for f in frames:
            self.valid(self.status_schema, f)


class RadioGwLimitsTest(unittest.TestCase):
    """Connection count and unread output are bounded."""

    def test_max_conns_and_slow_reader(self):
        s = GwStack(**{"radio.max_conns": 2, "radio.max_outbuf": 4096,
                       "radio.max_lines_per_s": 1000000})
        try:
            a, b = s.online(1), s.online(2)
            with s.unit(3).connect() as c:
                with self.assertRaises(Closed):
                    c.drain(quiet=5)
                self.assertEqual([p.verb for p in c.pushed], ["busy"])
            self.assertEqual(a.ping().kind, "PONG")
            b.close()
            wait_until(lambda: s.statuses(unit_id="U-02", status="offline"),
                       what="U-02 offline")
            # a reader that never reads: its replies pile up, it is dropped
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", s.port))
            slow.settimeout(10)
            slow.sendall(b"AUTH U-02\n")
            got = b""
            while not got.endswith(b"\n"):
                got += slow.recv(200)
            nonce = got.decode().split()[2]         # CHALLENGE U-02 <nonce>
            slow.sendall(f"PROOF {proof(key_of(2), 'U-02', nonce)}\n"
                         .encode())
            try:
                for _ in range(2000):
                    slow.sendall(b"PING\n" * 1000)
            except OSError:
                pass                    # reset: dropped, as it should be
            wait_until(lambda: "dropping a slow reader" in s.gw.log_text(),
                       what="slow reader dropped")
            slow.close()
            self.assertEqual(a.ping().kind, "PONG")
            a.close()
        finally:
            rc, log = s.close()
        self.assertEqual(rc, 0, log[-3000:])


class RadioGwOutageTest(unittest.TestCase):
    """Redis goes away: answers are refused as unavailable, positions go
    on, and once Redis is back the same answer is accepted."""

    def test_redis_down_then_back(self):
        s = GwStack()
        try:
            with s.online(1) as u:
                s.issue("I-9-T1-1", 1, incident="I-9")
                u.wait_order()
                s.db.close()
                s.redis.kill()
                r = wait_until(lambda: (lambda r: r.code == "unavailable" and
                                        r)(u.ack("I-9-T1-1")),
                               what="NAK unavailable")
                self.assertEqual(r.verb, "ACK")
                self.assertIn("again", r.message)
                self.assertEqual(u.pos(LAT, LON).kind, "OK")
                # U-03 logs in while Redis is away: its online is written
                # when Redis is back (with U-01's again)
                late = RadioUnit(s.port, "U-03", key_of(3)).connect()
                self.assertEqual(late.auth().kind, "OK")
                s.redis.start()
                s.db = s.redis.client()
                wait_until(lambda: u.ack("I-9-T1-1").kind == "OK",
                           what="ACK accepted again", timeout=20)
                self.assertTrue(s.statuses(unit_id="U-01", status="acked"))
                s.wait_status(unit_id="U-03", status="online")
                late.close()
                bye = RadioUnit(s.port, "U-02", key_of(2)).connect()
                self.assertEqual(bye.auth().kind, "OK")
        finally:
            rc, log = s.close()
        self.assertEqual(rc, 0, log[-3000:])
        with self.assertRaises(Closed):
            bye.drain(quiet=5)
        bye.close()
        self.assertEqual([p.verb for p in bye.pushed], ["shutdown"])


if __name__ == "__main__":
    unittest.main()
