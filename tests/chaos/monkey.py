"""The kills: a seeded schedule of SIGKILLs and restarts.

Every service named gets `kills` SIGKILLs and Redis one restart (SIGKILL
too: it runs append-only with fsync always, so what it answered is on
disk).  The events are shuffled and spread over `window_s` seconds at
random moments; after each kill the process stays down for a random
pause, is started again with its own settings (Loop.start_service, which
waits until it answers its health check) and the next event waits for
the previous one to be over, so at most one process is down at a time
from the schedule's point of view (a restart is slow enough that the
others are still catching up when the next kill comes).
"""
import random
import threading
import time


class Monkey(threading.Thread):
    def __init__(self, loop, services, kills, window_s, seed,
                 pause=(0.2, 4.0), redis_restarts=1, log=print):
        super().__init__(name="monkey", daemon=True)
        self.loop, self.window_s, self.pause = loop, window_s, pause
        self.rng = random.Random(f"{seed}-monkey")
        self.log = log
        events = [s for s in services for _ in range(kills)]
        events += ["redis"] * redis_restarts
        self.rng.shuffle(events)
        # random moments, in order, over the window
        moments = sorted(self.rng.uniform(0, window_s) for _ in events)
        self.plan = list(zip(moments, events))
        self.kills = {name: 0 for name in list(services) + ["redis"]}
        self.downtime = {name: 0.0 for name in self.kills}
        self.outages = []       # (name, killed at, up again at): ms
        self.failures = []
        self.stop = threading.Event()

    def run(self):
        start = time.monotonic()
        for at, name in self.plan:
            if self.stop.wait(max(start + at - time.monotonic(), 0)):
                return
            try:
                self._kill_restart(name)
            except Exception as e:     # noqa: BLE001 -- reported, not raised
                self.failures.append(f"{name}: {e!r}")
                self.log(f"chaos: restarting {name} failed: {e!r}")
                return

    def _kill_restart(self, name):
        pause = self.rng.uniform(*self.pause)
        t, wall = time.monotonic(), int(time.time() * 1000)
        if name == "redis":
            self.loop.redis.kill()
        else:
            self.loop.kill_service(name)
        self.kills[name] += 1
        self.log(f"chaos: t+{t - self.loop.t_start:6.1f}s SIGKILL {name} "
                 f"(#{self.kills[name]}), down {pause:.2f}s")
        time.sleep(pause)               # the outage itself, not a sync
        if name == "redis":
            self.loop.redis.start()
        else:
            self.loop.start_service(name)
        self.downtime[name] += time.monotonic() - t
        self.outages.append((name, wall, int(time.time() * 1000)))
