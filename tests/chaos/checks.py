"""What the chaos test holds the system to, judged from what it recorded.

Snapshot.take() reads everything once the loop is drained: incidents
(inc:<id>, its calls and timeline), the calls the clients saw accepted
(call:<id>), orders, units, the tracker's marks (mark:<id>) and the
streams s:incidents, s:status and s:escalations.  check() turns it into
figures and a list of violations, one per kind:

  lost        an accepted call with no incident, or not in its incident's
              call list; an incident the router never heard of
  doubled     a call in two incidents (or twice in one), an answer naming
              another incident than Redis, an incident.created twice
  unconfirmed an incident whose calls no client saw accepted
  dispatch    a unit holding two live orders at overlapping times (from the
              timelines: dispatched .. cleared / declined / no_answer /
              order_cancelled), or a live order left at the end
  stuck       an incident not closed after the drain
  marks       a mark fired twice (mark.missed or a ladder step), fired
              although the units met it in time (s:status ts), recorded
              met though they did not, met late without firing while a
              tracker could have fired (it was up, the decision was in,
              Redis was there), not armed, or still pending although its
              incident ended after its due time (a miss that never fired)

Times: the services stamp with the same machine clock (ms); TOLERANCE_MS
allows for a tracker timer that is a little late on a loaded machine,
RECOVERY_MS for a restarted tracker catching up; the outages come from
the monkey.
"""
import json
import re

TOLERANCE_MS = 1000
RECOVERY_MS = 3000
LIVE = ("issued", "acked", "enroute", "onscene")
ENDS = ("cleared", "declined", "no_answer", "order_cancelled")


def pipeline(client, cmds):
    """Many commands in one write on a harness Resp client -> replies."""
    out = []
    for args in cmds:
        out.append(b"*%d\r\n" % len(args))
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    client.sock.sendall(b"".join(out))
    replies = []
    for _ in cmds:
        try:
            replies.append(client._read())
        except RuntimeError as e:          # an error reply
            replies.append(e)
    return replies


def _pairs(flat):
    return dict(zip(flat[::2], flat[1::2])) if flat else {}


def _stream(client, key):
    out, after = [], "-"
    while True:
        got = client("XRANGE", key, after, "+", "COUNT", 5000)
        if not got:
            return out
        for eid, fields in got:
            out.append((eid, json.loads(_pairs(fields)["msg"])))
        after = "(" + got[-1][0]


class Snapshot:
    def __init__(self, loop, accepted):
        self.p = loop.key("")
        self.accepted = accepted            # call_id -> answer
        c = loop.redis.client()
        try:
            self._take(c)
        finally:
            c.close()

    def _keys(self, c, pattern, regex):
        out, cursor = [], "0"
        while True:
            cursor, keys = c("SCAN", cursor, "MATCH", self.p + pattern,
                             "COUNT", 1000)
            out += [m.group(1) for m in (re.match(regex, k) for k in keys)
                    if m]
            if cursor == "0":
                return sorted(set(out))

    def _take(self, c):
        p = re.escape(self.p)
        self.incident_ids = self._keys(c, "inc:*", p + r"inc:([^:]+)$")
        ids = self.incident_ids
        hs = pipeline(c, [("HGETALL", self.p + "inc:" + i) for i in ids])
        calls = pipeline(c, [("LRANGE", self.p + f"inc:{i}:calls", 0, -1)
                             for i in ids])
        tls = pipeline(c, [("LRANGE", self.p + f"inc:{i}:tl", 0, -1)
                           for i in ids])
        marks = pipeline(c, [("HGETALL", self.p + "mark:" + i) for i in ids])
        self.incidents = {i: _pairs(h) for i, h in zip(ids, hs)}
        self.calls = dict(zip(ids, calls))
        self.timelines = {i: [json.loads(e) for e in tl]
                          for i, tl in zip(ids, tls)}
        self.marks = {i: _pairs(m) for i, m in zip(ids, marks) if m}
        cids = sorted(self.accepted)
        self.call_hash = {cid: _pairs(h) for cid, h in zip(cids, pipeline(
            c, [("HGETALL", self.p + "call:" + cid) for cid in cids]))}
        oids = self._keys(c, "order:*", p + r"order:(.+)$")
        self.orders = {o: _pairs(h) for o, h in zip(oids, pipeline(
            c, [("HGETALL", self.p + "order:" + o) for o in oids]))}
        uids = self._keys(c, "unit:*", p + r"unit:(.+)$")
        self.units = {u: _pairs(h) for u, h in zip(uids, pipeline(
            c, [("HGETALL", self.p + "unit:" + u) for u in uids]))}
        self.streams = {s: [m for _, m in _stream(c, self.p + "s:" + s)]
                        for s in ("incidents", "routes", "status",
                                  "escalations", "orders", "closed")}
        self.marks_due = c("ZCARD", self.p + "marks:due")


class Report:
    def __init__(self):
        self.figures = {}
        self.violations = {}        # kind -> [text]

    def bad(self, kind, text):
        self.violations.setdefault(kind, []).append(text)

    def count(self, kind):
        return len(self.violations.get(kind, []))


def check_calls(s, r):
    where = {}                                  # call id -> [incident]
    for inc, cids in s.calls.items():
        for cid in cids:
            where.setdefault(cid, []).append(inc)
    merged = 0
    for cid, ans in s.accepted.items():
        merged += bool(ans.get("merged"))
        inc = ans.get("incident_id")
        stored = s.call_hash.get(cid, {}).get("incident")
        if stored is None or inc not in s.incidents:
            r.bad("lost", f"call {cid} (answer {inc}): no call/incident")
        elif stored != inc:
            r.bad("doubled", f"call {cid}: answer {inc}, Redis {stored}")
        homes = where.get(cid, [])
        if len(homes) > 1:
            r.bad("doubled", f"call {cid} listed in {homes}")
        elif not homes and inc in s.incidents:
            r.bad("lost", f"call {cid} not in {inc}'s calls")
    for inc, cids in s.calls.items():
        if not any(cid in s.accepted for cid in cids):
            r.bad("unconfirmed", f"{inc}: calls {cids} never accepted")
        if int(s.incidents[inc].get("calls", 0)) != len(cids):
            r.bad("doubled", f"{inc}: calls={s.incidents[inc].get('calls')}"
                  f" but {len(cids)} listed")
    created = {}
    for m in s.streams["incidents"]:
        if m["type"] == "incident.created":
            inc = m["incident"]["id"]
            created[inc] = created.get(inc, 0) + 1
    for inc in s.incidents:
        n = created.get(inc, 0)
        if n != 1:
            r.bad("lost" if n == 0 else "doubled",
                  f"{inc}: incident.created on s:incidents {n} times")
    r.figures.update({
        "calls accepted": len(s.accepted), "merged calls": merged,
        "incidents expected (accepted - merged)": len(s.accepted) - merged,
        "incidents in Redis": len(s.incidents)})


def order_intervals(s):
    """{order id: [unit, start ms, end ms or None]} from the timelines."""
    out = {}
    for tl in s.timelines.values():
        for e in tl:
            oid = e.get("order_id")
            if oid is None:
                continue
            if e["event"] == "dispatched":
                out.setdefault(oid, [e.get("unit_id"), None, None])
                out[oid][1] = e["ts"]
            elif e["event"] in ENDS:
                iv = out.setdefault(oid, [e.get("unit_id"), None, None])
                iv[2] = e["ts"] if iv[2] is None else min(iv[2], e["ts"])
    return out


def check_dispatch(s, r, samples):
    ivs = order_intervals(s)
    by_unit = {}
    for oid, (uid, start, end) in ivs.items():
        if start is None:
            r.bad("dispatch", f"order {oid}: ended but never dispatched")
            continue
        by_unit.setdefault(uid, []).append((start, end, oid))
    double = 0
    for uid, lst in by_unit.items():
        lst.sort(key=lambda x: (x[0], x[2]))
        for (s0, e0, o0), (s1, _, o1) in zip(lst, lst[1:]):
            if e0 is None or e0 > s1:
                double += 1
                r.bad("dispatch", f"{uid}: {o1} dispatched at {s1} while "
                      f"{o0} live ({s0}..{e0})")
    for oid, o in s.orders.items():
        if o.get("state") in LIVE:
            r.bad("dispatch", f"order {oid} still {o['state']} at the end")
        if oid not in ivs:
            r.bad("dispatch", f"order {oid} not on its incident's timeline")
    for uid, u in s.units.items():
        if u.get("order"):
            r.bad("dispatch", f"unit {uid} still holds {u['order']}")
    for text in samples:
        r.bad("dispatch", f"live invariant: {text}")
    states = {}
    for o in s.orders.values():
        states[o.get("state")] = states.get(o.get("state"), 0) + 1
    ustates = {}
    for u in s.units.values():
        ustates[u.get("status")] = ustates.get(u.get("status"), 0) + 1
    r.figures.update({
        "orders": len(s.orders),
        "orders by state": " ".join(f"{k}={v}" for k, v in
                                    sorted(states.items())),
        "units by status at the end": " ".join(
            f"{k}={v}" for k, v in sorted(ustates.items())),
        "units dispatched twice at once": double})


def check_stuck(s, r):
    for inc, h in s.incidents.items():
        if h.get("state") != "closed":
            r.bad("stuck", f"{inc}: state {h.get('state')}")
    r.figures["incidents not closed"] = r.count("stuck")


def _truth_met(s):
    """{(incident, tier): earliest ms a unit's status met it} (s:status)."""
    out = {}
    for m in s.streams["status"]:
        oid, st = m.get("order_id"), m.get("status")
        g = re.match(r"^(.+)-T(\d+)-\d+$", oid or "")
        if not g:
            continue
        tier = int(g.group(2))
        if st == "onscene" or (tier == 1 and st == "acked"):
            k = (g.group(1), tier)
            out[k] = min(out.get(k, m["ts"]), m["ts"])
    return out


def _ended_at(s, inc):
    h = s.incidents[inc]
    ends = [int(o["cleared_at"]) for o in s.orders.values()
            if o.get("incident_id") == inc and o.get("cleared_at")]
    if h.get("closed_by") != "feedback" and h.get("closed_at"):
        ends.append(int(h["closed_at"]))
    return max(ends) if ends else None


def _blind(outages, at):
    """Was no tracker able to fire at `at` (ms): the tracker or Redis down,
    or the tracker still catching up (RECOVERY_MS after its restart)?"""
    return any(start <= at <= end + RECOVERY_MS for name, start, end in
               outages if name in ("tracker", "redis"))


def check_marks(s, r, outages):
    missed, steps = {}, {}
    for m in s.streams["escalations"]:
        k = (m["incident_id"], int(m["tier"]))
        if m["type"] == "mark.missed":
            missed[k] = missed.get(k, 0) + 1
        elif m["type"] == "escalation":
            steps.setdefault(k, []).append(int(m["step"]))
    truth = _truth_met(s)
    tiers_of, decided = {}, {}
    for m in s.streams["routes"]:
        tiers_of[m["incident_id"]] = [int(t["tier"]) for t in m["tiers"]]
        decided[m["incident_id"]] = int(m["ts"])
    armed = fired = met = 0
    for inc, tiers in tiers_of.items():
        mk = s.marks.get(inc, {})
        for tier in tiers:
            k = (inc, tier)
            if f"{tier}.due" not in mk:
                r.bad("marks", f"{inc} tier {tier}: never armed")
                continue
            armed += 1
            due, state = int(mk[f"{tier}.due"]), mk.get(f"{tier}.state")
            n, st = missed.get(k, 0), sorted(steps.get(k, []))
            fired += n
            if n > 1 or len(st) != len(set(st)):
                r.bad("marks", f"{inc} tier {tier}: fired twice "
                      f"(mark.missed x{n}, steps {st})")
            if st != list(range(1, len(st) + 1)) or (st and n == 0):
                r.bad("marks", f"{inc} tier {tier}: steps {st}, "
                      f"mark.missed x{n}")
            t = truth.get(k)
            if state == "met":
                met += 1
                if n:
                    r.bad("marks", f"{inc} tier {tier}: met but fired")
                if t is None or t > due:
                    r.bad("marks", f"{inc} tier {tier}: met, but the units "
                          f"met it at {t}, due {due}")
            elif state == "met_late" and n == 0:
                # met after its due before the miss fired: fine only when
                # no tracker could fire in between (the decision came
                # late, the tracker or Redis was down, or a close race)
                could = max(due, decided[inc])
                if t is None or t <= due or (
                        t - could > TOLERANCE_MS and
                        not _blind(outages, could)):
                    r.bad("marks", f"{inc} tier {tier}: met late at {t} "
                          f"(due {due}) and never fired")
            elif state in ("missed", "met_late"):
                if n != 1:
                    r.bad("marks", f"{inc} tier {tier}: {state} but "
                          f"mark.missed x{n}")
                if t is not None and t <= due - TOLERANCE_MS:
                    r.bad("marks", f"{inc} tier {tier}: {state}, fired, "
                          f"but met in time at {t} (due {due})")
            elif state == "pending":
                end = _ended_at(s, inc)
                if n or (end is not None and end > due + TOLERANCE_MS):
                    r.bad("marks", f"{inc} tier {tier}: pending, ended at "
                          f"{end}, due {due}: the miss never fired")
            else:
                r.bad("marks", f"{inc} tier {tier}: state {state}")
    r.figures.update({"marks armed": armed, "marks met in time": met,
                      "marks fired (mark.missed)": fired,
                      "ladder steps fired": sum(len(v) for v in
                                                steps.values()),
                      "marks:due left": s.marks_due})


def check(snapshot, samples, outages):
    r = Report()
    check_calls(snapshot, r)
    check_dispatch(snapshot, r, samples)
    check_stuck(snapshot, r)
    check_marks(snapshot, r, outages)
    return r
