"""The call load for the chaos test: calls posted to intake at a steady
rate, each retried with the SAME call_id until intake accepts it.

A ticker thread puts one call on a queue every 1/rate seconds; a few
workers post them (Loop.post_call, so whatever credentials the harness
adds reach intake).  A connection refused or reset (intake killed), a
timeout, a 503 (Redis away: store_unavailable, outcome_unknown) or a
429 (the per-source request rate) is
answered by posting the same body again after a short pause, for up to
`give_up_s`; idempotency makes a retry of a stored call a duplicate of
it, never a second incident.  A call is *accepted* when the client saw a
201 or 200 -- that answer is recorded (call id -> incident id, merged,
duplicate) and is what the checks hold the system to.

Places: points on a grid over the city, cells `cell_m` apart (more than
the merge radius) visited in a shuffled order, each call a random type;
a repeat call may still merge into an open incident of its cell, and the
checks count merges from the answers.
"""
import http.client
import json
import math
import queue
import random
import threading
import time

TYPES = ("theft", "fraud", "vandalism", "noise",          # minor: tier 1
         "fight", "burglary", "medical", "alarm",         # standard: 1, 2
         "robbery", "assault")                            # violent: 1, 2, 3
BBOX = (31.2236, 31.2381, 121.4606, 121.4794)             # deploy/city


def grid(cell_m, bbox=BBOX):
    lat0, lat1, lon0, lon1 = bbox
    dlat = cell_m / 111195.0
    dlon = cell_m / (111195.0 * math.cos(math.radians(lat0)))
    out, lat = [], lat0
    while lat <= lat1:
        lon = lon0
        while lon <= lon1:
            out.append((round(lat, 6), round(lon, 6)))
            lon += dlon
        lat += dlat
    return out


class Driver:
    def __init__(self, loop, rate, seed, workers=6, cell_m=320,
                 give_up_s=90.0):
        self.loop, self.rate, self.give_up_s = loop, rate, give_up_s
        self.rng = random.Random(f"{seed}-calls")
        self.places = grid(cell_m)
        self.rng.shuffle(self.places)
        self.q = queue.Queue()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.accepted = {}          # call_id -> answer body (first 2xx)
        self.retries = 0
        self.errors = {}            # what made a client retry -> count
        self.refused = []           # (call_id, status, body): 4xx
        self.given_up = []          # call ids never accepted
        self.threads = [threading.Thread(target=self._ticker, daemon=True)]
        self.threads += [threading.Thread(target=self._worker, daemon=True)
                         for _ in range(workers)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def finish(self, timeout=120):
        """Stop posting new calls; wait for the ones being retried."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(deadline - time.monotonic(), 0.1))
        return not any(t.is_alive() for t in self.threads)

    def _ticker(self):
        start, n = time.monotonic(), 0
        while not self.stop.is_set():
            at = start + n / self.rate
            if self.stop.wait(max(at - time.monotonic(), 0)):
                break
            lat, lon = self.places[n % len(self.places)]
            call_id = f"chaos-{n:06d}"
            self.q.put((call_id, {
                "call_id": call_id, "type": self.rng.choice(TYPES),
                "source": "phone",
                "location": {"lat": lat, "lon": lon,
                             "address": f"cell {n % len(self.places)}"},
                "caller": {"phone": f"+86 130 {n:08d}"}}))
            n += 1
        for _ in self.threads[1:]:
            self.q.put(None)

    def _count(self, what):
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    def _worker(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            with self.lock:
                self.sent += 1
            self._post(*item)

    def _post(self, call_id, body):
        end = time.monotonic() + self.give_up_s
        first = True
        while time.monotonic() < end:
            if not first:
                with self.lock:
                    self.retries += 1
                time.sleep(0.1)
            first = False
            try:
                status, _, ans = self.loop.post_call(body)
            except (OSError, http.client.HTTPException) as e:
                self._count(type(e).__name__)
                continue
            if status in (200, 201):
                with self.lock:
                    self.accepted.setdefault(call_id, ans)
                return
            if status in (429, 503):        # rate limited, Redis away
                code = ans.get("error", {}).get("code", "?") \
                    if isinstance(ans, dict) else "?"
                self._count(f"{status} {code}")
                continue
            with self.lock:
                self.refused.append((call_id, status, json.dumps(ans)
                                     if isinstance(ans, dict) else ans))
            return
        with self.lock:
            self.given_up.append(call_id)
