"""npctl, the command line, against the real services: every command
prints what a call-taker or supervisor needs, --json prints the answer
as it came, and mistakes get a clear message and their own exit status
(1 refused, 2 usage, 3 unreachable).  The supervisors' commands (sla,
escalations, close, followup) run against a loop with the dashboard,
feedback and tracker (marks of 1 s: no unit answers on the radio, so
every mark is missed and escalates)."""
import json
import os
import subprocess
import unittest

from harness import BIN, PRINCIPALS, TOKENS, wait_until
from loop import Loop


class Npctl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.loop = Loop()
        cls.env = dict(os.environ,
                       NEARPOST_INTAKE_URL=f"http://127.0.0.1:"
                                           f"{cls.loop.intake_port}",
                       NEARPOST_ROUTER=cls.loop.router_ep,
                       NEARPOST_TOKEN=TOKENS["calltaker"])

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

    def test_tokens_missing_or_wrong_and_token_new(self):
        env = {k: v for k, v in self.env.items() if k != "NEARPOST_TOKEN"}
        r = subprocess.run([os.path.join(BIN, "npctl"), "incidents"],
                           env=env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("NEARPOST_TOKEN is not set", r.stderr)
        r = subprocess.run([os.path.join(BIN, "npctl"), "incidents"],
                           env=dict(env, NEARPOST_TOKEN="np_nope"),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("was not accepted", r.stderr)
        rc, out, err = self.npctl("--json", "token", "new", "dora",
                                  "calltaker")
        self.assertEqual(rc, 0, err)
        new = json.loads(out)
        self.assertRegex(new["token"], r"^np_[0-9a-f]{64}$")
        self.assertRegex(new["line"], r"^dora calltaker [0-9a-f]{64}$")
        self.assertNotEqual(json.loads(self.npctl("--json", "token", "new",
                                                  "dora", "calltaker")[1])
                            ["token"], new["token"])
        for bad in (("token", "new", "dora", "clerk"),
                    ("token", "new", "a b", "admin"), ("token", "new")):
            rc, _, err = self.npctl(*bad)
            self.assertEqual(rc, 2, bad)
            self.assertTrue(err.strip(), bad)


class NpctlSupervisor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        marks = {"track.mark1_s": 1, "track.mark2_s": 2,
                 "track.mark3_s": 3}
        cls.loop = Loop(dashboard=True, feedback=True, tracker=True,
                        settings={"tracker": dict(marks,
                                                  **{"track.step_s": 1}),
                                  "dashboard": marks},
                        commander={"command.ack_timeout_ms": 600000})
        cls.env = dict(os.environ,
                       NEARPOST_INTAKE_URL=f"http://127.0.0.1:"
                                           f"{cls.loop.intake_port}",
                       NEARPOST_DASHBOARD_URL=f"http://127.0.0.1:"
                                              f"{cls.loop.dashboard_port}",
                       NEARPOST_TOKEN=TOKENS["supervisor"])

    @classmethod
    def tearDownClass(cls):
        for name, (rc, log) in cls.loop.close().items():
            assert rc == 0, f"{name} exited {rc}:\n{log[-2000:]}"

    npctl = Npctl.npctl

    def sla_total(self):
        rc, out, err = self.npctl("--json", "sla", "--window", "day")
        self.assertEqual(rc, 0, err)
        return {m["mark"]: (m["met"], m["missed"])
                for m in json.loads(out)["total"]}

    def test_sla_escalations_close_and_followup(self):
        rc, out, err = self.npctl("sla", "--window", "day")
        self.assertEqual(rc, 0, err)
        self.assertIn("SLA, this day", out)
        self.assertIn("all posts", out)
        self.assertEqual(self.sla_total()[1], (0, 0))
        rc, out, _ = self.npctl("escalations")
        self.assertEqual((rc, out.strip()), (0, "no escalations waiting"))

        rc, out, err = self.npctl("--json", "call", "--type", "theft",
                                  "--lat", "31.2317", "--lon", "121.4726")
        self.assertEqual(rc, 0, err)
        iid = json.loads(out)["incident_id"]
        # nobody answers: the first mark's supervisor and command steps
        wait_until(lambda: [l for l in self.npctl("escalations")[1]
                            .splitlines() if iid in l and "command" in l],
                   timeout=30, what="the escalations waiting")
        rc, out, _ = self.npctl("escalations")
        self.assertIn("supervisor", out)

        rc, out, err = self.npctl("close", iid, "--reason",
                                  "handled by phone")
        self.assertEqual(rc, 0, err)
        self.assertIn("done:", out)
        h = self.loop.hgetall("inc:" + iid)
        self.assertEqual((h["state"], h["closed_by"], h["close_reason"]),
                         ("closed", PRINCIPALS["supervisor"],
                          "handled by phone"))
        rc, _, err = self.npctl("close", iid, "--reason", "again")
        self.assertEqual(rc, 1)
        self.assertIn("already_closed", err)
        self.assertNotIn(iid, self.npctl("escalations")[1])
        self.assertEqual(self.sla_total()[1], (0, 1))

        rc, out, err = self.npctl("followup", iid, "--note",
                                  "caller thanked us")
        self.assertEqual(rc, 0, err)
        self.assertIn("done:", out)
        self.assertEqual(self.loop.hget("followup:" + iid, "state"), "done")
        self.assertEqual(self.loop.hget("followup:" + iid, "by"),
                         PRINCIPALS["supervisor"])
        rc, _, err = self.npctl("followup", iid, "--note", "twice")
        self.assertEqual(rc, 1)
        self.assertIn("no_followup_due", err)

    def test_supervisor_mistakes(self):
        for args in (("sla", "--window", "week"), ("close", "I-X"),
                     ("followup", "I-X", "--by", "me"), ("close",),
                     ("escalations", "extra")):
            rc, _, err = self.npctl(*args)
            self.assertEqual(rc, 2, args)
            self.assertTrue(err.strip(), args)
        rc, _, err = self.npctl("close", "I-20000101-NOPE00", "--reason",
                                "r")
        self.assertEqual(rc, 1)
        rc, _, err = self.npctl("--dashboard", "http://127.0.0.1:1", "sla")
        self.assertEqual(rc, 3)


if __name__ == "__main__":
    unittest.main()
