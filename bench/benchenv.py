"""Set-up shared by the python benchmarks (imported first, from bench/):
NP_SRC_DIR, NP_BIN_DIR from argv[1] when given, and tests/integration on
sys.path so that harness.py and its friends import."""
import os
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("NP_SRC_DIR", SRC)
if len(sys.argv) > 1:
    os.environ["NP_BIN_DIR"] = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))


def token(loop=None):
    """The bearer token for intake: the call-taker's of the harness when
    the loop has its token file (Loop.tokens), else $NEARPOST_TOKEN."""
    if loop is not None and getattr(loop, "tokens", None):
        from harness import TOKENS
        return TOKENS["calltaker"]
    return os.environ.get("NEARPOST_TOKEN")


def auth_headers(loop=None):
    t = token(loop)
    return {"Authorization": "Bearer " + t} if t else {}


def npsim_run(loop, rate, seconds, drain_s=3):
    """tools/npsim's load mode against the loop (fast units, calls paced
    at rate for seconds, none of the simulated trouble: no declines, mute
    units, link drops, repeats or retries) -> its JSON line as a dict,
    with the keys of bench/pydrive.py's answer added; None when npsim is
    not built or BENCH_DRIVER=python (the caller then uses pydrive)."""
    import json
    import subprocess
    exe = os.environ.get("BENCH_NPSIM") or os.path.join(
        os.environ["NP_BIN_DIR"], "npsim")
    if os.environ.get("BENCH_DRIVER") == "python" or not os.access(exe,
                                                                    os.X_OK):
        return None
    env = dict(os.environ)
    if token(loop):
        env["NEARPOST_TOKEN"] = token(loop)
    args = [exe, "--intake.url", f"http://127.0.0.1:{loop.intake_port}",
            "--radio.port", str(loop.radio_port), "--rate", str(rate),
            "--duration", str(seconds / 60.0), "--fast-units", "--quiet",
            "--drain-s", str(drain_s), "--seed", "1",
            "--sim.conns", os.environ.get("BENCH_NPSIM_CONNS", "8")]
    for k in ("decline-share", "mute-share", "drop-per-hour", "gap-share",
              "repeat-share", "retry-share"):
        args += ["--" + k, "0"]
    if getattr(loop, "bench_city", None):
        args += ["--city.units", loop.bench_city[0],
                 "--city.keys", loop.bench_city[1]]
    import resource
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, env=env, cwd=SRC, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"npsim printed no JSON line (exit "
                           f"{out.returncode}): {out.stderr[-2000:]}")
    ans = json.loads(lines[-1])
    lat = ans.get("latency_us") or {}
    secs = ans.get("duration_s") or seconds
    ans.update(driver="npsim", accepted=ans.get("incidents", 0),
               sent=ans.get("calls_sent", 0),
               rate=round(ans.get("incidents", 0) / secs, 1),
               p50_us=lat.get("p50", 0), p90_us=lat.get("p90", 0),
               p99_us=lat.get("p99", 0),
               driver_cpu_s=round(ru1.ru_utime + ru1.ru_stime -
                                  ru0.ru_utime - ru0.ru_stime, 3))
    return ans


def result_line(bench, figure, target, met):
    """The line scripts/bench.sh gathers into its table."""
    print(f"@@ {bench} | {figure} | {target} | {'yes' if met else 'NO'}",
          flush=True)


def cpu_s(pid):
    """utime + stime of a live process, in seconds (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


COPIES = int(os.environ.get("BENCH_UNIT_COPIES", "10"))


def bench_city(directory, copies=COPIES):
    """deploy/city with every unit `copies` times (copy 0 is the unit
    itself, the others U-0001-1 ... a few metres away, each with a key of
    its own), so that a fast loop is not bounded by 92 units all busy at
    once.  -> (units.geojson, units.keys, [(unit id, key)])"""
    import json
    import random
    city = os.path.join(SRC, "deploy", "city")
    with open(os.path.join(city, "units.geojson")) as f:
        doc = json.load(f)
    keys = {}
    with open(os.path.join(city, "units.keys")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                uid, key = line.split()
                keys[uid] = key
    rnd, feats = random.Random(5), []
    for ft in doc["features"]:
        for c in range(copies):
            g = json.loads(json.dumps(ft))
            p = g["properties"]
            if c:
                p["id"], p["callsign"] = (f"{p['id']}-{c}",
                                          f"{p['callsign']}-{c}")
                lon, lat = g["geometry"]["coordinates"]
                g["geometry"]["coordinates"] = [
                    round(lon + rnd.uniform(-5e-5, 5e-5), 6),
                    round(lat + rnd.uniform(-5e-5, 5e-5), 6)]
                keys[p["id"]] = "bench%08x%024x" % (c, rnd.getrandbits(96))
            feats.append(g)
    doc["features"] = feats
    upath = os.path.join(directory, "units.geojson")
    kpath = os.path.join(directory, "units.keys")
    with open(upath, "w") as f:
        json.dump(doc, f)
    with open(kpath, "w") as f:
        f.write("# bench units\n" + "".join(
            f"{ft['properties']['id']} {keys[ft['properties']['id']]}\n"
            for ft in feats))
    os.chmod(kpath, 0o600)
    return upath, kpath, [(ft["properties"]["id"],
                           keys[ft["properties"]["id"]]) for ft in feats]


def bench_loop(appendonly=False):
    """The whole loop (tests/integration/loop.py, tracker and feedback
    too) on bench_city(), with loop_settings(); loop.bench_units holds
    [(unit id, key)] for the drivers."""
    import tempfile
    from loop import Loop
    d = tempfile.mkdtemp(prefix="np-bench-city-")
    units, keys, loop_units = bench_city(d)
    st = loop_settings()
    for name in st:
        st[name].update({"city.units": units, "city.keys": keys})
    loop = Loop(tracker=True, feedback=True, appendonly=appendonly,
                settings=st)
    loop.bench_units, loop.bench_city = loop_units, (units, keys, d)
    return loop


def close_loop(loop):
    """loop.close() and the bench city's files gone."""
    import shutil
    loop.close()
    shutil.rmtree(loop.bench_city[2], ignore_errors=True)


def loop_settings():
    """Loop(settings=...) for the loop benchmarks: quiet logs, the
    per-source limits of intake and radiogw out of the way (one driver
    sends for the whole city), merges off (every call an incident)."""
    quiet = {"log.level": "warn", "stream.max_inflight": 1024}
    # tracker and feedback say "consuming" at info: Loop waits for it
    info = dict(quiet, **{"log.level": "info"})
    many = 1000000
    return {"tracker": info, "feedback": dict(info),
            "router": dict(quiet), "commander": dict(quiet),
            "radiogw": dict(quiet, **{"radio.max_lines_per_s": many,
                                      "radio.max_conns": many,
                                      "radio.max_conns_per_source": many,
                                      "radio.max_outbuf": 1 << 20}),
            "intake": dict(quiet, **{"merge.radius_m": 0,
                                     "http.rate_per_source": 0,
                                     "http.max_conns_per_source": 0})}
