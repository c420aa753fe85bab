"""npctl, the command line, against the real services: every command
prints what a call-taker or supervisor needs, --json prints the answer
as it came, and mistakes get a clear message and their own exit status
(1 refused, 2 usage, 3 unreachable)."""
import json
import os
import subprocess
import unittest

from harness import BIN, wait_until
from loop import Loop


class Npctl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.loop = Loop()
        cls.env = dict(os.environ,
                       NEARPOST_INTAKE_URL=f"http://127.0.0.1:"
                                           f"{cls.loop.intake_port}",
                       NEARPOST_ROUTER=cls.loop.router_ep)

    @classmethod
    def tearDownClass(cls):
        for name, (rc, log) in cls.loop.close().items():
            assert rc == 0, f"{name} exited {rc}:\n{log[-2000:]}"

    def npctl(self, *args):
        r = subprocess.run([os.path.join(BIN, "npctl"), *args], env=self.env,
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def test_call_incident_and_open_incidents(self):
        rc, out, err = self.npctl("call", "--type", "fight", "--lat",
                                  "31.2317", "--lon", "121.4726",
                                  "--address", "east gate", "--call-id",
                                  "ct-1")
        self.assertEqual(rc, 0, err)
        self.assertIn("(new)", out)
        rc, out, _ = self.npctl("call", "--type", "fight", "--lat", "31.2317",
                                "--lon", "121.4726", "--address",
                                "east gate", "--call-id", "ct-1")
        self.assertIn("already accepted", out)
        rc, out, _ = self.npctl("--json", "call", "--type", "weapon",
                                "--lat", "31.2319", "--lon", "121.4727")
        ans = json.loads(out)
        self.assertTrue(ans["merged"])
        iid = ans["incident_id"]
        rc, out, _ = self.npctl("incident", iid)
        self.assertEqual(rc, 0)
        self.assertIn(f"incident {iid}", out)
        self.assertIn("priority_raised", out)
        wait_until(lambda: "routed" in self.npctl("incident", iid)[1],
                   what="the routing decision on the timeline")
        rc, out, _ = self.npctl("incidents")
        self.assertEqual(rc, 0)
        self.assertIn(iid, out)

    def test_router_queries(self):
        rc, out, err = self.npctl("post", "--lat", "31.2327", "--lon",
                                  "121.4658")
        self.assertEqual(rc, 0, err)
        self.assertIn("COVERAGE GAP", out)
        rc, out, _ = self.npctl("route", "--lat", "31.2285", "--lon",
                                "121.4751", "--type", "robbery")
        self.assertEqual(rc, 0)
        self.assertIn("tier 3 (300 s)", out)
        rc, out, _ = self.npctl("--json", "units", "--lat", "31.23",
                                "--lon", "121.47", "--radius", "300",
                                "--kind", "mcu")
        units = json.loads(out)["units"]
        self.assertTrue(all(u["kind"] == "mcu" for u in units))

    def test_mistakes_have_clear_messages_and_exit_status(self):
        rc, _, err = self.npctl("call", "--type", "fight", "--lat", "131",
                                "--lon", "1")
        self.assertEqual(rc, 1)
        self.assertIn("location.lat", err)
        rc, _, err = self.npctl("incident", "I-20000101-NOPE00")
        self.assertEqual(rc, 1)
        self.assertIn("not_found", err)
        rc, _, err = self.npctl("call", "--type", "fight")
        self.assertEqual(rc, 2)
        rc, _, err = self.npctl("call", "--lat", "x", "--lon", "1",
                                "--type", "fight")
        self.assertEqual((rc, "'x' is not a number" in err), (2, True))
        rc, _, err = self.npctl("frobnicate")
        self.assertEqual(rc, 2)
        rc, _, err = self.npctl("route", "--lat", "31.2", "--lon", "121.4",
                                "--type", "alien_landing")
        self.assertEqual(rc, 1)
        rc, _, err = self.npctl("--intake", "http://127.0.0.1:1",
                                "incident", "x")
        self.assertEqual(rc, 3)
        self.assertIn("did not answer", err)


if __name__ == "__main__":
    unittest.main()
