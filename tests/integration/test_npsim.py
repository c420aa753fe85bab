"""npsim against the real loop (redis-server, intake, router, commander,
radiogw, tracker, feedback, dashboard on free ports): a few city minutes
at 20x with every unit of the sample city on the radio (challenge/
response login), then the replay of tools/npsim/sample_calls.csv, the
load mode's JSON line, and a bad CSV refused with its line and field.

Proves: npsim's units log in and answer orders (acked, on scene and
cleared statuses on s:status from the real gateway), its calls become
incidents that are routed and dispatched, and it prints progress lines
and an SLA summary read back from the services.  The services' clocks
are scaled with `npsim --scaled-env`, as make demo does.
"""
import json
import os
import subprocess
import tempfile
import unittest

from harness import BIN, SRC, TOKENS
from loop import Loop

SPEED = 20
NPSIM = os.path.join(BIN, "npsim")


def scaled_settings(speed):
    """{setting: value} from `npsim --scaled-env`, as NEARPOST_* names
    lower-cased (Service turns them back into the same variables)."""
    out = subprocess.run([NPSIM, "--scaled-env", "--speed", str(speed)],
                         cwd=SRC, check=True, capture_output=True,
                         text=True).stdout
    settings = {}
    for line in out.splitlines():
        key, value = line.removeprefix("export NEARPOST_").split("=", 1)
        settings[key.lower()] = value
    return settings


class Npsim(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scaled = scaled_settings(SPEED)
        cls.loop = Loop(dashboard=True, feedback=True, tracker=True,
                        settings={n: dict(scaled) for n in
                                  ("router", "commander", "radiogw", "intake",
                                   "dashboard", "feedback", "tracker")})

    @classmethod
    def tearDownClass(cls):
        cls.loop.close()

    def npsim(self, *args, timeout=120):
        env = dict(os.environ,
                   NEARPOST_INTAKE_URL=f"http://127.0.0.1:"
                                       f"{self.loop.intake_port}",
                   NEARPOST_DASHBOARD_URL=f"http://127.0.0.1:"
                                          f"{self.loop.dashboard_port}",
                   NEARPOST_RADIO_PORT=str(self.loop.radio_port),
                   NEARPOST_TOKEN=TOKENS["supervisor"])
        return subprocess.run([NPSIM, "--speed", str(SPEED), "--seed", "5",
                               "--drain-s", "2", "--progress-s", "2",
                               *args], cwd=SRC, env=env, timeout=timeout,
                              capture_output=True, text=True)

    def statuses(self):
        return {m["status"] for m in self.loop.stream("status")
                if m.get("src") == "radiogw"}

    def test_1_generated_city_dispatches_and_summarises(self):
        r = self.npsim("--duration", "4", "--calls-per-hour", "900")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("[city ", r.stdout)
        self.assertIn("== SLA summary (from the services", r.stdout)
        self.assertIn("tier 1 mark:", r.stdout)
        self.assertIn("time to ack", r.stdout)
        self.assertNotIn("login refused", r.stderr)
        created = [m for m in self.loop.stream("incidents")
                   if m["type"] == "incident.created"]
        self.assertGreater(len(created), 0)
        self.assertGreater(len(self.loop.stream("routes")), 0)
        self.assertGreater(len(self.loop.stream("orders")), 0)
        self.assertTrue({"online", "acked"} <= self.statuses(),
                        self.statuses())

    def test_2_replay_posts_every_line(self):
        r = self.npsim("--replay", "tools/npsim/sample_calls.csv",
                       "--duration", "16", "--speed", "120")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("replaying 12 calls", r.stdout)
        self.assertIn("calls 12 sent, 12 accepted", r.stdout)

    def test_3_load_mode_prints_one_json_line(self):
        r = self.npsim("--rate", "40", "--fast-units", "--duration", "0.1",
                       "--speed", "1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        figures = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(figures["mode"], "load")
        self.assertGreater(figures["calls_accepted"], 0)
        self.assertGreater(figures["orders"], 0)
        self.assertGreater(figures["latency_us"]["n"], 0)
        self.assertIn("p99", figures["latency_us"])
        # the calls waited for every unit's login (a steady load is
        # measured, not the start-up's burst of logins), and the run's
        # duration counts from there: every call due was sent
        self.assertGreater(figures["units"], 0)
        self.assertEqual(figures["units_on_at_start"], figures["units"])
        self.assertGreater(figures["warmup_s"], 0)
        self.assertEqual(figures["calls_due"], figures["calls_sent"])
        self.assertGreaterEqual(figures["calls_due"], 40 * 6 - 1)

    def test_4_bad_csv_names_line_and_field(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv") as f:
            f.write("time,lat,lon,type\n0,31.23,121.47,fight\n"
                    "5,31.23,121.47,tank\n")
            f.flush()
            r = self.npsim("--replay", f.name)
        self.assertEqual(r.returncode, 1)
        self.assertIn("line 3: field type", r.stderr)


if __name__ == "__main__":
    unittest.main()
