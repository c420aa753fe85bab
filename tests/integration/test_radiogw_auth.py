"""radiogw's login by challenge and response (docs/RADIO.md "Logging
in"), against the real gateway on real TCP:

    C: AUTH <unit_id>      S: CHALLENGE <unit_id> <nonce>
    C: PROOF <mac>         S: OK AUTH <unit_id>

Proves: the right proof logs in and the secret never goes on the wire;
a wrong secret, an unknown unit (which gets a challenge like any other),
a proof made for another unit or another challenge, and a replayed
proof on a new connection are all refused with the same bad_proof; a
PROOF without a challenge is no_challenge and a nonce answers once; the
old `AUTH <unit_id> <secret>` is refused as secret_on_wire; failures of
any kind close the connection at radio.max_auth_failures; each failure
is logged with the unit id and the peer's address; connections from one
address are capped by radio.max_conns_per_source with a clear NAK."""
import re
import unittest

from harness import wait_until
from radio_unit import Closed, proof
from test_radiogw import GwStack, ReplyAsserts, key_of

NONCE = re.compile(r"^[0-9a-f]{32}$")


class RadioLoginTest(ReplyAsserts, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = GwStack()

    @classmethod
    def tearDownClass(cls):
        rc, log = cls.s.close()
        assert rc == 0, f"radiogw exited {rc} on SIGTERM:\n{log[-3000:]}"

    def assertRefused(self, r):
        self.assertReply(r, "NAK", "PROOF", "bad_proof",
                         "unknown unit, wrong secret or proof not for this "
                         "challenge")

    def logged(self, text):
        wait_until(lambda: text in self.s.gw.log_text(), what=repr(text))

    def challenge(self, u, uid):
        c = u.challenge(uid)
        self.assertReply(c, "CHALLENGE", uid)
        self.assertRegex(c.message, NONCE)
        return c.message

    def test_right_proof_logs_in_without_the_secret_on_the_wire(self):
        s = self.s
        with s.unit(1).connect() as u:
            sent = []
            send = u.send
            u.send = lambda line: (sent.append(line), send(line))
            nonce = self.challenge(u, "U-01")
            r = u.request("PROOF " + proof(key_of(1), "U-01", nonce))
            self.assertReply(r, "OK", "AUTH", text="U-01")
            self.assertEqual(u.ping().kind, "PONG")
            self.assertEqual(u.pos(31.23, 121.47).kind, "OK")
            wait_until(lambda: s.db("HGET", s.key("unit:U-01"), "link") ==
                       "up", what="link up")
            self.assertFalse([x for x in sent if key_of(1) in x], sent)
        self.assertNotIn(key_of(1), s.gw.log_text())

    def test_every_login_gets_a_new_nonce(self):
        with self.s.unit(2).connect() as u:
            first = self.challenge(u, "U-02")
            second = self.challenge(u, "U-02")      # replaces the first
            self.assertNotEqual(first, second)
            self.assertRefused(u.request(
                "PROOF " + proof(key_of(2), "U-02", first)))
            self.assertReply(u.auth(), "OK", "AUTH", text="U-02")

    def test_wrong_secret_and_unknown_unit_get_the_same_answer(self):
        with self.s.unit(3).connect() as u:
            wrong = u.auth(key="not-the-secret-of-U-03")
            self.assertRefused(wrong)
            nonce = self.challenge(u, "U-99")       # no such unit
            unknown = u.request("PROOF " + proof("guess", "U-99", nonce))
            self.assertRefused(unknown)
            self.assertEqual(wrong.line, unknown.line)
            self.assertReply(u.pos(31.23, 121.47), "NAK", "POS",
                             "not_authenticated", "AUTH <unit_id>")
        self.logged("login as unit U-03 refused: wrong proof")
        self.logged("login as unit U-99 refused: no such unit")
        self.assertRegex(self.s.gw.log_text(),
                         r"127\.0\.0\.1:\d+: login as unit U-99 refused")

    def test_proof_for_another_units_challenge_fails(self):
        s = self.s
        with s.unit(4).connect() as a, s.unit(5).connect() as b:
            na = self.challenge(a, "U-04")
            nb = self.challenge(b, "U-05")
            # U-05 answers U-04's challenge with its own secret
            self.assertRefused(a.request(
                "PROOF " + proof(key_of(5), "U-05", na)))
            # U-04's proof for U-04's nonce, relayed to U-05's challenge
            self.assertRefused(b.request(
                "PROOF " + proof(key_of(4), "U-04", na)))
            # U-05's own good proof, but for a nonce it was not given
            self.challenge(b, "U-05")
            self.assertRefused(b.request(
                "PROOF " + proof(key_of(5), "U-05", nb)))

    def test_replayed_proof_fails_on_a_new_connection(self):
        s = self.s
        with s.unit(6).connect() as u:
            nonce = self.challenge(u, "U-06")
            old = "PROOF " + proof(key_of(6), "U-06", nonce)
            self.assertReply(u.request(old), "OK", "AUTH")
        with s.unit(6).connect() as u:
            self.assertNotEqual(self.challenge(u, "U-06"), nonce)
            self.assertRefused(u.request(old))
            # the nonce is used up: the same proof again has nothing to
            # answer, even the right one for the used nonce
            self.assertReply(u.request(old), "NAK", "PROOF", "no_challenge")
        with s.unit(6).connect() as u:
            self.assertReply(u.auth(), "OK", "AUTH", text="U-06")

    def test_proof_without_challenge_is_refused(self):
        with self.s.unit(7).connect() as u:
            r = u.request("PROOF " + "ab" * 32)
            self.assertReply(r, "NAK", "PROOF", "no_challenge", "AUTH")
            self.assertReply(u.request("PROOF"), "NAK", "PROOF",
                             "missing_arg", "<mac>")
            self.assertReply(u.request("PROOF " + "x" * 200), "NAK",
                             "PROOF", "bad_proof", "longer than")
            self.assertReply(u.auth(), "OK", "AUTH", text="U-07")
        self.logged("login as unit - refused: PROOF without a pending "
                    "challenge")

    def test_old_auth_with_the_secret_is_refused(self):
        with self.s.unit(8).connect() as u:
            r = u.request(f"AUTH U-08 {key_of(8)}")
            self.assertReply(r, "NAK", "AUTH", "secret_on_wire",
                             "never send the secret")
            self.assertReply(u.pos(31.23, 121.47), "NAK", "POS",
                             "not_authenticated")
            self.assertReply(u.auth(), "OK", "AUTH", text="U-08")
        self.logged("login as unit U-08 refused: it sent its secret in "
                    "clear")
        self.assertNotIn(key_of(8), self.s.gw.log_text())

    def test_too_many_failures_close_the_connection(self):
        with self.s.unit(9).connect() as u:     # default: 3 failures
            self.assertReply(u.request(f"AUTH U-09 {key_of(9)}"), "NAK",
                             "AUTH", "secret_on_wire")
            self.assertReply(u.request("PROOF " + "00" * 32), "NAK",
                             "PROOF", "no_challenge")
            self.assertRefused(u.auth(key="wrong-secret-for-U-09"))
            with self.assertRaises(Closed):
                u.drain(quiet=5)
            self.assertEqual([p.verb for p in u.pushed], ["auth_failed"])
        self.logged("(3 of 3)")
        with self.s.unit(9).connect() as u:     # the unit is not locked out
            self.assertReply(u.auth(), "OK", "AUTH", text="U-09")


class RadioSourceLimitTest(unittest.TestCase):
    def test_connections_per_source_are_capped(self):
        s = GwStack(**{"radio.max_conns_per_source": 3})
        try:
            held = [s.online(1), s.unit(2).connect(), s.unit(3).connect()]
            with s.unit(4).connect() as extra:
                r = extra.reply()
                self.assertEqual((r.kind, r.verb, r.code),
                                 ("NAK", "-", "too_many_connections"),
                                 r.line)
                self.assertIn("already 3 connections from 127.0.0.1", r.line)
                self.assertIn("radio.max_conns_per_source", r.line)
                with self.assertRaises((Closed, OSError)):
                    extra.drain(quiet=5)
            self.assertEqual(held[0].ping().kind, "PONG")   # others stay
            wait_until(lambda: "127.0.0.1: connection refused: already 3 "
                       "from that address" in s.gw.log_text(),
                       what="refusal logged")
            held.pop().close()

            def admitted():
                with s.unit(4).connect() as u:
                    return u.auth().kind == "OK"
            wait_until(admitted, what="a connection admitted again")
            for u in held:
                u.close()
        finally:
            rc, log = s.close()
        self.assertEqual(rc, 0, log[-3000:])


if __name__ == "__main__":
    unittest.main()
