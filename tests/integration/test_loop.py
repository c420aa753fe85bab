"""The whole loop end to end (issue 4, "Done when"): redis-server and the
real intake, router, commander, radiogw, tracker, feedback and dashboard;
calls posted over HTTP, scripted units on the radio (radio_unit) that
answer fast, slowly or never; marks of 5/10/15 s, ladder steps 1 s apart.

Each incident is a fight (tiers 1 and 2) far outside the city, where only
the two units a test moves there qualify (a grid worker for tier 1, an
MCU for tier 2); the router names one candidate per tier, so a
redispatch finds nobody else (tier_unfilled) and the incident's orders
stay the units'.  Proves: every met and missed mark is recorded (mark:<id>
and the timeline); each missed mark escalates exactly once per ladder
step (s:escalations, schema-valid); a tracker killed with SIGKILL and
restarted fires every step that came due while it was down, once; closed
incidents carry their disposition and SLA figures and the sla:* hashes
count exactly them; /api/state and /api/sla agree; the page in headless
Chromium shows an incident, turns it from green to red as its mark is
missed and drops it when closed (screenshot in the temp dir).
"""
import contextlib
import json
import os
import tempfile
import time
import unittest

from browser import Browser, chromium_path
from harness import (PRINCIPALS, TOKENS, load_city, offset, request,
                     schema_validator, wait_until)
from loop import Loop

MARKS = {"track.mark1_s": 5, "track.mark2_s": 10, "track.mark3_s": 15}
STEP_S = 1
LADDER = ["redispatch", "supervisor", "command"]
FAR = (31.2700, 121.5300)        # as test_dispatch: no city unit near
HAVE_BROWSER = chromium_path() is not None or \
    bool(os.environ.get("NP_REQUIRE_BROWSER"))

# Records every class an incident's map circle takes, from before the
# incident first shows: {incident id: [class, ...]} (changes only).
OBSERVE = """
window.__hist = {};
new MutationObserver(() => {
  for (const c of document.querySelectorAll('circle[data-incident]')) {
    const h = window.__hist[c.dataset.incident] ||
      (window.__hist[c.dataset.incident] = []);
    const k = c.getAttribute('class');
    if (h[h.length - 1] !== k) h.push(k);
  }
}).observe(document.body, {subtree: true, childList: true,
                           attributes: true, attributeFilter: ['class']});
true
"""


def now_ms():
    return int(time.time() * 1000)


def level(marks, now):
    """The dashboard's colour rule (docs/TRACK.md, state.c dash_level)."""
    passed = False
    for m in marks:
        if m["state"] == "missed":
            return "red"
        if m["due"] <= now:
            passed = True
            if m["state"] == "pending":
                return "red"
    return "amber" if passed else "green"


def bucket(t0_ms, hourly):
    return time.strftime("h:%Y%m%d%H" if hourly else "d:%Y%m%d",
                         time.gmtime(t0_ms / 1000))


class WholeLoop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="np-it-wholeloop-")
        cls.loop = Loop(dashboard=True, feedback=True, tracker=True,
                        settings={
                            "tracker": dict(MARKS, **{
                                "track.step_s": STEP_S,
                                "stream.claim_idle_ms": 1000}),
                            "dashboard": dict(MARKS),
                            "feedback": {"feedback.followup_s": 3600},
                            "router": {"route.candidates": 1},
                            "commander": {"command.ack_timeout_ms": 600000}})
        _, units = load_city()
        cls.by_kind = {}
        for u in units:
            cls.by_kind.setdefault(u["kind"], []).append(u["id"])
        cls.radios = []
        cls.incidents = {}      # name -> incident id, every test's
        cls.schemas = {t: schema_validator(t) for t in
                       ("mark.missed", "escalation", "incident.closed",
                        "close.request")}

    @classmethod
    def tearDownClass(cls):
        cls.loop.close_checked(cls.radios)

    # -- helpers ---------------------------------------------------------
    def scene(self, name, east_m):
        """Post a fight east_m east of FAR with a grid worker 20 m and an
        MCU 30 m from it; -> (incident id, grid radio, MCU radio, order
        of each)."""
        at = offset(*FAR, east_m=east_m)
        grid, mcu = self.loop.place(at, [
            (self.by_kind["grid_worker"].pop(), 20),
            (self.by_kind["mcu"].pop(), 30)])
        self.radios += [grid, mcu]
        return at, grid, mcu

    def post(self, name, at):
        status, _, ans = self.loop.post_call({
            "type": "fight", "location": {"lat": at[0], "lon": at[1]},
            "caller": {"phone": f"+86 139 1111 {len(self.incidents):04d}"}})
        self.assertEqual(status, 201, ans)
        self.incidents[name] = ans["incident_id"]
        return ans["incident_id"]

    def order(self, radio, inc):
        o = radio.wait_order(timeout=20)
        self.assertEqual(o.incident_id, inc)
        return o.order_id

    def mark(self, inc, field):
        return self.loop.hget("mark:" + inc, field)

    def wait_mark(self, inc, tier, want, timeout=30):
        wait_until(lambda: self.mark(inc, f"{tier}.state") == want,
                   timeout=timeout, what=f"mark:{inc} {tier}.state={want}")

    def escalations(self, inc):
        out = []
        for m in self.loop.stream("escalations"):
            self.schemas[m["type"]].validate(m)
            if m["incident_id"] == inc:
                out.append(m)
        return out

    def steps(self, inc, tier):
        return sorted(m["step"] for m in self.escalations(inc)
                      if m["type"] == "escalation" and m["tier"] == tier)

    def wait_ladder(self, inc, tier, timeout=40):
        wait_until(lambda: self.steps(inc, tier) == [1, 2, 3],
                   timeout=timeout, what=f"{inc} tier {tier} ladder")

    def timeline(self, inc, by="tracker"):
        return [e for e in (json.loads(x) for x in self.loop.redis_do(
            "LRANGE", self.loop.key(f"inc:{inc}:tl"), 0, -1))
            if e["by"] == by]

    def check_ladder(self, inc, tier, full):
        """The missed mark of a tier: one mark.missed, steps 1..k once
        each (k = 3 when full), on the timeline in the same order, and
        nothing left to fire."""
        msgs = [m for m in self.escalations(inc) if m["tier"] == tier]
        esc = sorted((m for m in msgs if m["type"] == "escalation"),
                     key=lambda m: m["step"])
        k = len(esc)
        self.assertGreaterEqual(k, 1)
        self.assertEqual([m["step"] for m in esc], list(range(1, k + 1)))
        if full:
            self.assertEqual(k, 3)
        self.assertEqual([m["action"] for m in esc], LADDER[:k])
        self.assertEqual(sum(m["type"] == "mark.missed" for m in msgs), 1)
        self.assertEqual(self.mark(inc, f"{tier}.step"), str(k))
        mine = [(e["event"], e.get("step")) for e in self.timeline(inc)
                if e.get("tier") == tier and e["event"] != "mark_met"]
        self.assertEqual(mine, [("mark_missed", None)] +
                         [("escalation", s) for s in range(1, k + 1)])
        left = [m for m in self.loop.redis_do(
            "ZRANGE", self.loop.key("marks:due"), 0, -1)
            if m.startswith(f"{inc}|{tier}|")]
        self.assertEqual(left, [])

    def check_met(self, inc, tier, late):
        self.assertEqual(self.mark(inc, f"{tier}.state"),
                         "met_late" if late else "met")
        met = [e for e in self.timeline(inc)
               if e["event"] == "mark_met" and e.get("tier") == tier]
        self.assertEqual(len(met), 1)
        self.assertEqual(met[0]["late"], late)
        self.assertEqual(int(self.mark(inc, f"{tier}.met_at")) >
                         int(self.mark(inc, f"{tier}.due")), late)

    def state_incident(self, inc):
        st, _, s = self.loop.dashboard_get("/api/state")
        self.assertEqual(st, 200)
        i = next((i for i in s["incidents"] if i["id"] == inc), None)
        if i is not None:       # the colour follows the marks
            self.assertEqual(i["level"], level(i["marks"], s["now"]))
        return i, s

    def wait_closed(self, inc):
        wait_until(lambda: self.loop.hget("inc:" + inc, "state") ==
                   "closed", timeout=20, what=f"{inc} closed")
        wait_until(lambda: self.state_incident(inc)[0] is None,
                   timeout=20, what=f"{inc} gone from /api/state")

    def supervisor_close(self, inc, disposition):
        req = {"reason": "no unit answered", "disposition": disposition}
        self.schemas["close.request"].validate(req)
        st, _, ans = request(self.loop.intake_port, "POST",
                             f"/v1/incidents/{inc}/close", req,
                             token=TOKENS["supervisor"])
        self.assertEqual(st, 200, ans)
        self.schemas["incident.closed"].validate(ans)
        self.wait_closed(inc)

    def check_closed(self, inc, disposition, outcome, by):
        h = self.loop.hgetall("inc:" + inc)
        self.assertEqual((h["state"], h["disposition"], h["sla"],
                          h["closed_by"]), ("closed", disposition, outcome,
                                            by))
        marks = json.loads(h["marks"])
        for tier in ("1", "2"):
            self.assertEqual(marks[tier]["state"],
                             self.mark(inc, tier + ".state"))
        self.assertEqual(self.loop.hget("followup:" + inc, "state"), "due")

    # -- the tests -------------------------------------------------------
    def test_1_fast_slow_and_never_units(self):
        with contextlib.ExitStack() as stack:
            page = None
            if HAVE_BROWSER:
                page = stack.enter_context(Browser(self.tmp))
                page.navigate(f"http://127.0.0.1:"
                              f"{self.loop.dashboard_port}/")
                page.login(TOKENS["supervisor"])
                page.wait_js("document.body.dataset.loaded === '1'",
                             what="the page's first /api/state")
                page.wait_js("document.getElementById('feed').className"
                             ".includes('on')", what="the SSE feed live")
                self.assertTrue(page.js(OBSERVE))
            self.run_scenes(page)

    def run_scenes(self, page):
        at_a, ga, ma = self.scene("fast", 0)
        at_b, gb, mb = self.scene("slow", 2000)
        at_c, gc, mc = self.scene("never", 4000)
        a, b, c = (self.post(n, at) for n, at in (
            ("fast", at_a), ("slow", at_b), ("never", at_c)))
        oa1, oa2 = self.order(ga, a), self.order(ma, a)
        for radio, oid in ((ga, oa1), (ma, oa2)):      # fast
            for verb in ("ack", "enroute", "onscene"):
                self.assertEqual(getattr(radio, verb)(oid).kind, "OK")
        ob1, ob2 = self.order(gb, b), self.order(mb, b)
        self.assertEqual(mb.ack(ob2).kind, "OK")
        self.assertEqual(mb.enroute(ob2).kind, "OK")
        self.order(gc, c), self.order(mc, c)            # never answer

        # fast: both marks met in time, no escalation, shown, then closed
        self.wait_mark(a, 1, "met")
        self.wait_mark(a, 2, "met")
        self.check_met(a, 1, False)
        self.check_met(a, 2, False)
        inc, _ = self.state_incident(a)
        self.assertIsNotNone(inc)
        self.assertEqual([(m["tier"], m["state"]) for m in inc["marks"]],
                         [(1, "met"), (2, "met")])
        self.assertNotEqual(inc["level"], "red")
        sel = f"circle[data-incident=\"{a}\"]"
        if page:
            page.wait_js(f"document.querySelector('{sel}') !== null",
                         what="the fast incident on the map")
        for radio, oid in ((ga, oa1), (ma, oa2)):
            self.assertEqual(radio.clear(oid, "arrested").kind, "OK")
        self.wait_closed(a)
        self.check_closed(a, "arrested", "met", "feedback")
        self.assertEqual(self.escalations(a), [])
        if page:
            page.wait_js(f"document.querySelector('{sel}') === null",
                         what="the fast incident gone from the map")

        # slow: each mark missed first, then met late; the ladder stops
        self.wait_mark(b, 1, "missed")
        self.assertEqual(gb.ack(ob1).kind, "OK")
        self.wait_mark(b, 1, "met_late")
        self.wait_mark(b, 2, "missed")
        self.assertEqual(mb.onscene(ob2).kind, "OK")
        self.wait_mark(b, 2, "met_late")
        self.check_met(b, 1, True)
        self.check_met(b, 2, True)
        for radio, oid in ((gb, ob1), (mb, ob2)):
            self.assertEqual(radio.clear(oid, "resolved").kind, "OK")
        self.wait_closed(b)
        self.check_closed(b, "resolved", "missed", "feedback")
        for tier in (1, 2):
            self.check_ladder(b, tier, full=False)

        # never: the whole ladder of both marks, red, escalations waiting
        for tier in (1, 2):
            self.wait_ladder(c, tier)
            self.check_ladder(c, tier, full=True)
        inc, s = self.state_incident(c)
        self.assertEqual(inc["level"], "red")
        waiting = sorted((e["tier"], e["step"]) for e in s["escalations"]
                         if e["incident_id"] == c)
        self.assertEqual(waiting, [(1, 2), (1, 3), (2, 2), (2, 3)])
        sel = f"circle[data-incident=\"{c}\"]"
        if page:
            page.wait_js(f"document.querySelector('{sel}')"
                         ".getAttribute('class').includes('level-red')",
                         what="the unanswered incident red")
            hist = page.js(f"window.__hist['{c}']")
            self.assertEqual(hist[0], "incident level-green", hist)
            self.assertEqual(hist[-1], "incident level-red", hist)
            shot = page.screenshot(os.path.join(self.tmp, "loop.png"))
            with open(shot, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            print(f"screenshot: {shot}")
        self.supervisor_close(c, "unfounded")
        self.check_closed(c, "unfounded", "missed", PRINCIPALS["supervisor"])
        _, s = self.state_incident(c)
        self.assertEqual([e for e in s["escalations"]
                          if e["incident_id"] == c], [])
        if page:
            page.wait_js(f"document.querySelector('{sel}') === null",
                         what="the closed incident gone from the map")

    def test_2_killed_tracker_loses_no_deadline(self):
        at, gd, md = self.scene("killed", 6000)
        d = self.post("killed", at)
        self.order(gd, d), self.order(md, d)            # never answer
        wait_until(lambda: self.steps(d, 1), timeout=30,
                   what="the first miss fired")
        self.loop.kill_service("tracker")
        t0 = int(self.loop.hget("inc:" + d, "t0"))
        last_due = t0 + (MARKS["track.mark2_s"] + 2 * STEP_S) * 1000
        # every step left comes due while no tracker runs
        wait_until(lambda: now_ms() > last_due + 500, timeout=30,
                   what="the ladders' due times passing")
        self.loop.start_service("tracker")
        for tier in (1, 2):
            self.wait_ladder(d, tier)
        for tier in (1, 2):
            self.check_ladder(d, tier, full=True)
        self.supervisor_close(d, "unfounded")
        self.check_closed(d, "unfounded", "missed", PRINCIPALS["supervisor"])

    def test_3_sla_figures_agree(self):
        incs = [self.incidents[n] for n in ("fast", "slow", "never",
                                            "killed")]
        want = {}           # sla key suffix -> {field: count}
        for inc in incs:
            h = self.loop.hgetall("inc:" + inc)
            t0 = int(h["t0"])
            for scope in ("post:" + h["post"], "district:" + h["district"]):
                for hourly in (True, False):
                    w = want.setdefault(f"{scope}:{bucket(t0, hourly)}", {})
                    w["closed"] = w.get("closed", 0) + 1
                    for tier, m in json.loads(h["marks"]).items():
                        f = f"m{tier}." + ("met" if m["state"] == "met"
                                           else "missed")
                        w[f] = w.get(f, 0) + 1
                        if m.get("met_at"):
                            f = f"m{tier}.sum_ms"
                            w[f] = w.get(f, 0) + m["met_at"] - t0
        keys = self.loop.redis_do("KEYS", self.loop.key("sla:*"))
        self.assertEqual(sorted(k[len(self.loop.key("sla:")):]
                                for k in keys), sorted(want))
        for suffix, fields in want.items():
            got = {k: int(v) for k, v in
                   self.loop.hgetall("sla:" + suffix).items()}
            self.assertEqual(got, fields, suffix)
        for window in ("hour", "day"):
            st, _, s = self.loop.dashboard_get(f"/api/sla?window={window}")
            self.assertEqual(st, 200)
            total = {}
            for p in s["posts"]:
                w = want.get(f"post:{p['post']}:{s['bucket']}", {})
                for m in p["marks"]:
                    met = w.get(f"m{m['mark']}.met", 0)
                    missed = w.get(f"m{m['mark']}.missed", 0)
                    self.assertEqual((m["met"], m["missed"]), (met, missed))
                    t = total.setdefault(m["mark"], [0, 0])
                    t[0], t[1] = t[0] + met, t[1] + missed
            self.assertEqual({m["mark"]: [m["met"], m["missed"]]
                              for m in s["total"]}, total)
        # what happened: 2 of 4 first marks met (fast), the rest missed
        day = {m["mark"]: (m["met"], m["missed"]) for m in
               self.loop.dashboard_get("/api/sla?window=day")[2]["total"]}
        if all(bucket(int(self.loop.hget("inc:" + i, "t0")), False) ==
               bucket(now_ms(), False) for i in incs):
            self.assertEqual(day[1], (1, 3))
            self.assertEqual(day[2], (1, 3))


if __name__ == "__main__":
    unittest.main()
