"""npsim's units against a scripted radio gateway (this file plays
radiogw on a free loopback port, docs/RADIO.md): what a unit does when
the gateway refuses a line with NAK unavailable (Redis down) -- the
refused answers go again a second later, the others do not, and nothing
goes again once the gateway has taken it.

A one-unit city (harness.write_city) and its key; npsim in the load mode
with fast units and intake on a closed port (no call is needed: the test
sends the ORDER itself).
"""
import os
import socket
import subprocess
import tempfile
import time
import unittest

from harness import BIN, SRC, free_port, write_city
from radio_unit import RadioUnit

NPSIM = os.path.join(BIN, "npsim")
UNIT, KEY = "U-NAK1", "nakkey0123456789abcdef0123456789"
OID, INC = "I-20261206-NAK001-T1-1", "I-20261206-NAK001"


class Gateway(RadioUnit):
    """The gateway's end of one radio connection (radio_unit's line
    framing over the accepted socket)."""

    def __init__(self, listener):
        super().__init__(None, timeout=10)
        self.adopt(listener.accept()[0])

    def order_line(self, timeout=10.0):
        """The next line that is not a position report, or None when
        none came within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                ln = self.read_line(max(deadline - time.monotonic(),
                                        0.001))
            except TimeoutError:
                return None
            if not ln.startswith(("POS", "$")):
                return ln


class NpsimNak(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="np-nak-")
        posts, units = write_city(
            self.dir.name,
            [("P-1", "Post", "station", "huangpu", 31.2304, 121.4737)],
            [(UNIT, "NAK-1", "patrol_car", "P-1", 31.2305, 121.4738)])
        keys = os.path.join(self.dir.name, "units.keys")
        with open(keys, "w") as f:
            f.write(f"{UNIT} {KEY}\n")
        os.chmod(keys, 0o600)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(10)
        self.gw = None
        self.proc = subprocess.Popen(
            [NPSIM, "--intake.url", f"http://127.0.0.1:{free_port()}",
             "--radio.port", str(self.listener.getsockname()[1]),
             "--city.posts", posts, "--city.units", units,
             "--city.keys", keys,
             "--rate", "0.1", "--duration", "2", "--fast-units",
             "--quiet", "--seed", "1", "--warmup-s", "60"],
            cwd=SRC, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)

    def tearDown(self):
        self.proc.kill()
        self.proc.communicate()
        if self.gw is not None:
            self.gw.close()
        self.listener.close()
        self.dir.cleanup()

    def login(self):
        try:
            gw = Gateway(self.listener)
        except socket.timeout:
            self.proc.kill()
            self.fail("npsim did not connect: " + self.proc.communicate()[1])
        self.gw = gw
        self.assertEqual(gw.order_line(), f"AUTH {UNIT}")
        gw.send(f"CHALLENGE {UNIT} 0123456789abcdef")
        self.assertTrue(gw.order_line().startswith("PROOF "))
        gw.send(f"OK AUTH {UNIT}")
        return gw

    def test_refused_answers_go_again(self):
        gw = self.login()
        gw.send(f"ORDER {OID} {INC} 1 31.2310 121.4740 2 fight")
        got = [gw.order_line() for _ in range(4)]
        self.assertEqual(got, [f"ACK {OID}", f"ENROUTE {OID}",
                               f"ONSCENE {OID}", f"CLEAR {OID} resolved"])
        gw.send("NAK ACK unavailable the dispatch store is unreachable")
        gw.send(f"OK ENROUTE {OID}")
        gw.send(f"OK ONSCENE {OID}")
        gw.send("NAK CLEAR unavailable the dispatch store is unreachable")
        again = [gw.order_line(5), gw.order_line(5)]
        self.assertEqual(again, [f"ACK {OID}", f"CLEAR {OID} resolved"])
        gw.send("NAK CLEAR unavailable the dispatch store is unreachable")
        gw.send(f"OK ACK {OID}")
        self.assertEqual(gw.order_line(5), f"CLEAR {OID} resolved")
        gw.send(f"OK CLEAR {OID}")
        # taken: nothing goes again (a resend comes after 1 s)
        self.assertIsNone(gw.order_line(2.5))


if __name__ == "__main__":
    unittest.main()
