#!/usr/bin/python3
"""gen-city.py: the sample city in deploy/city/ (posts, units, unit keys).

A commercial district of about 2.0 km x 1.6 km around People's Square,
Shanghai (31.2300 N, 121.4700 E).  Posts: one central post, stations,
building posts (the shopping streets), community points (the residential
blocks) and grid points that fill the rest, so that every point of the
district has a post within 200 m -- except around the deliberate gaps
listed in GAPS (deploy/city/README.md documents them for the tests).

Deterministic: the same seed gives the same files byte for byte.

    /usr/bin/python3 scripts/gen-city.py [--seed N] [--out deploy/city]

The script checks its own result with the haversine of np_geo (Redis'
Earth radius) and refuses to write files that miss the coverage rules.
"""
import argparse
import json
import math
import os
import random
import sys

R = 6372797.560856          # metres, as Redis and np_geo
LAT0, LON0 = 31.2300, 121.4700
# The district: a lat/lon rectangle of about 1601 m x 1997 m.
LAT_MIN, LAT_MAX = 31.2228, 31.2372
LON_MIN, LON_MAX = 121.4595, 121.4805
# Deliberate coverage gaps: (name, lat, lon).  No post within POST_CLEAR_M
# of a centre; every point farther than GAP_RADIUS_M from all centres is
# covered.  Keep in step with deploy/city/README.md.
GAPS = [
    ("G1", 31.2327, 121.4658),
    ("G2", 31.2260, 121.4686),
    ("G3", 31.2361, 121.4759),
]
GAP_RADIUS_M = 120.0
POST_CLEAR_M = 240.0
COVER_M = 185.0              # what the generator aims for (tests: 200)
SAMPLE_M = 20.0              # sample spacing: 185 + 20/sqrt(2) < 200
GRID_DX, GRID_DY = 250.0, 1600.0 / 7

M_PER_DEG = R * math.pi / 180.0
M_PER_DEG_LON = M_PER_DEG * math.cos(math.radians(LAT0))

# (kind, name, east m, north m) relative to (LAT0, LON0)
FIXED_POSTS = [
    ("central", "People's Square Command Post", 0, 0),
    ("station", "Nanjing Road East Station", 650, 420),
    ("station", "Huangpi Road Station", -560, -380),
    ("station", "Xizang Road Station", 380, -520),
    ("station", "Chengdu Road Station", -760, 520),
    ("building", "Raffles City", 420, 60),
    ("building", "Shimao International Plaza", 120, 400),
    ("building", "First Department Store", 320, 330),
    ("building", "Sun Plaza", -120, 420),
    ("building", "Grand Theatre", -300, -120),
    ("building", "Shanghai Museum", 60, -300),
    ("building", "Hong Kong Plaza", -350, -560),
    ("building", "Xintiandi Style", 120, -700),
    ("building", "Jiu Guang Tower", 820, 100),
    ("community", "Fengyang Road Community", -650, 200),
    ("community", "Dagu Road Community", -700, -200),
    ("community", "Yunnan Road Community", 500, -200),
    ("community", "Ninghai Road Community", 800, -420),
    ("community", "Beijing Road West Community", -380, 700),
]

UNIT_CAPS = {
    "grid_worker": ["local_knowledge"],
    "guard": ["cctv_access"],
    "post_team": ["first_aid"],
    "mcu": ["ebike", "first_aid"],
    "patrol_car": ["vehicle", "first_aid"],
    "special": ["vehicle", "armed", "negotiator"],
}
KEY_CHARS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def dist(lat1, lon1, lat2, lon2):
    """np_geo_dist: haversine as Redis computes it."""
    lat1r, lon1r = math.radians(lat1), math.radians(lon1)
    lat2r, lon2r = math.radians(lat2), math.radians(lon2)
    u = math.sin((lat2r - lat1r) / 2)
    v = math.sin((lon2r - lon1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * R * math.asin(math.sqrt(a))


def to_ll(x, y):
    return (round(LAT0 + y / M_PER_DEG, 6), round(LON0 + x / M_PER_DEG_LON, 6))


def to_xy(lat, lon):
    return ((lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG)


def gap_dist(lat, lon):
    return min(dist(lat, lon, g[1], g[2]) for g in GAPS)


def samples():
    """Points every SAMPLE_M over the district, without the gap cores."""
    out = []
    ny = int(round((LAT_MAX - LAT_MIN) * M_PER_DEG / SAMPLE_M))
    nx = int(round((LON_MAX - LON_MIN) * M_PER_DEG_LON / SAMPLE_M))
    for j in range(ny + 1):
        lat = LAT_MIN + (LAT_MAX - LAT_MIN) * j / ny
        for i in range(nx + 1):
            lon = LON_MIN + (LON_MAX - LON_MIN) * i / nx
            if gap_dist(lat, lon) >= GAP_RADIUS_M - SAMPLE_M:
                out.append((lat, lon))
    return out


def covers(p, s):
    return dist(p[0], p[1], s[0], s[1]) <= COVER_M


def grid_candidates(rng):
    """A lattice of grid points, jittered a little, clear of the gaps."""
    out = []
    x0 = (LON_MIN - LON0) * M_PER_DEG_LON
    y0 = (LAT_MIN - LAT0) * M_PER_DEG
    for j in range(7):
        for i in range(8):
            x = x0 + GRID_DX / 2 + i * GRID_DX + rng.uniform(-8, 8)
            y = y0 + GRID_DY / 2 + j * GRID_DY + rng.uniform(-8, 8)
            p = to_ll(x, y)
            if gap_dist(*p) >= POST_CLEAR_M:
                out.append(p)
    return out


def place_posts(rng, pts):
    fixed = [(k, n, to_ll(x, y)) for k, n, x, y in FIXED_POSTS]
    for k, n, p in fixed:
        if gap_dist(*p) < POST_CLEAR_M:
            sys.exit("gen-city: %s is too close to a gap" % n)
    cand = grid_candidates(rng)
    count = [0] * len(pts)
    cover = []
    for p in [f[2] for f in fixed] + cand:
        c = [i for i, s in enumerate(pts) if covers(p, s)]
        cover.append(c)
        for i in c:
            count[i] += 1
    kept = []
    for ci, p in enumerate(cand):
        c = cover[len(fixed) + ci]
        if c and all(count[i] >= 2 for i in c):
            for i in c:
                count[i] -= 1       # redundant: the others cover it
        else:
            kept.append(p)
    # patch what the cleared lattice points left: push out of the gap
    for i, s in enumerate(pts):
        if count[i] > 0:
            continue
        g = min(GAPS, key=lambda g: dist(s[0], s[1], g[1], g[2]))
        sx, sy = to_xy(*s)
        gx, gy = to_xy(g[1], g[2])
        d = math.hypot(sx - gx, sy - gy) or 1.0
        k = max(1.0, (POST_CLEAR_M + 5) / d)
        p = to_ll(gx + (sx - gx) * k, gy + (sy - gy) * k)
        kept.append(p)
        for j, t in enumerate(pts):
            if covers(p, t):
                count[j] += 1
    return fixed + [("grid", None, p) for p in kept]


def check(posts, pts):
    for s in pts:
        if min(dist(s[0], s[1], p[2][0], p[2][1]) for p in posts) > COVER_M:
            sys.exit("gen-city: %r is not covered" % (s,))
    for g in GAPS:
        d = min(dist(g[1], g[2], p[2][0], p[2][1]) for p in posts)
        if d < POST_CLEAR_M:
            sys.exit("gen-city: gap %s has a post at %.0f m" % (g[0], d))


def feature(lat, lon, props):
    return {"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


def make_posts(placed):
    feats, ngrid = [], 0
    for i, (kind, name, (lat, lon)) in enumerate(placed):
        if name is None:
            ngrid += 1
            name = "Grid point %02d" % ngrid
        feats.append(feature(lat, lon, {
            "id": "P-%03d" % (i + 1), "name": name, "kind": kind,
            "district": "huangpu"}))
    return feats


def near(rng, lat, lon, m):
    x, y = to_xy(lat, lon)
    return to_ll(x + rng.uniform(-m, m), y + rng.uniform(-m, m))


def nearest_post(posts, kinds, lat, lon):
    c = [p for p in posts if p["properties"]["kind"] in kinds]
    return min(c, key=lambda p: dist(lat, lon, p["geometry"]["coordinates"][1],
                                     p["geometry"]["coordinates"][0]))


def make_units(rng, posts):
    plan = []       # (kind, callsign prefix, post feature, lat, lon)
    by = lambda *k: [p for p in posts if p["properties"]["kind"] in k]
    pos = lambda p: (p["geometry"]["coordinates"][1],
                     p["geometry"]["coordinates"][0])
    for p in by("grid"):
        plan.append(("grid_worker", "GRID", p) + near(rng, *pos(p), 30))
    for p in by("building"):
        plan.append(("guard", "GUARD", p) + near(rng, *pos(p), 15))
    for p in by("station", "community"):
        plan.append(("post_team", "TEAM", p) + near(rng, *pos(p), 10))
    # mcu on e-bikes: spread over a 4 x 3 lattice, homed at the nearest
    # station (or the central post)
    for j in range(3):
        for i in range(4):
            x = -750 + 500 * i + rng.uniform(-60, 60)
            y = -530 + 530 * j + rng.uniform(-60, 60)
            lat, lon = to_ll(x, y)
            p = nearest_post(posts, ("central", "station"), lat, lon)
            plan.append(("mcu", "MCU", p, lat, lon))
    stations = by("central", "station")
    for i in range(6):
        p = stations[i % len(stations)]
        plan.append(("patrol_car", "CAR", p) + near(rng, *pos(p), 40))
    for i in range(2):
        plan.append(("special", "SPEC", by("central")[0]) +
                    near(rng, *pos(by("central")[0]), 20))
    feats, seq = [], {}
    for n, (kind, prefix, p, lat, lon) in enumerate(plan):
        seq[prefix] = seq.get(prefix, 0) + 1
        feats.append(feature(lat, lon, {
            "id": "U-%04d" % (n + 1),
            "callsign": "%s-%02d" % (prefix, seq[prefix]),
            "kind": kind, "post": p["properties"]["id"],
            "capabilities": UNIT_CAPS[kind]}))
    return feats


def dump(path, name, feats):
    with open(path, "w") as f:
        f.write('{"type": "FeatureCollection", "name": "%s", "features": [\n'
                % name)
        f.write(",\n".join(json.dumps(x, ensure_ascii=False)
                           for x in feats))
        f.write("\n]}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "city"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pts = samples()
    placed = place_posts(rng, pts)
    check(placed, pts)
    posts = make_posts(placed)
    units = make_units(rng, posts)
    os.makedirs(a.out, exist_ok=True)
    dump(os.path.join(a.out, "posts.geojson"), "posts", posts)
    dump(os.path.join(a.out, "units.geojson"), "units", units)
    with open(os.path.join(a.out, "units.keys"), "w") as f:
        f.write("# unit_id key -- SAMPLE keys for the demo city, generated "
                "by scripts/gen-city.py.\n# Never use them outside a test "
                "setup.\n")
        for u in units:
            key = "".join(rng.choice(KEY_CHARS) for _ in range(32))
            f.write("%s %s\n" % (u["properties"]["id"], key))
    kinds = {}
    for p in posts + units:
        k = p["properties"]["kind"]
        kinds[k] = kinds.get(k, 0) + 1
    print("gen-city: %d posts, %d units: %s" % (len(posts), len(units),
          ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))


if __name__ == "__main__":
    main()
