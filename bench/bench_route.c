/*
 * bench_route: routing decisions per second on one core, over a synthetic
 * city of 100,000 posts and 10,000 units (a dense core and a sparser
 * ring, 40 km across; a third of the units busy), with the three plans
 * of deploy/plans.json; also the owning-post lookup alone and unit moves
 * (the units bus' load).  Prints figures only: it never fails on timing,
 * only when it cannot run.
 *
 * usage: bench_route [decisions-per-plan [posts [units]]]
 */
#define _GNU_SOURCE		/* sched_setaffinity */
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_time.h"
#include "router.h"

#define CORE_SIGMA_M	6000.0
#define RING_M		20000.0
#define CITY_LAT	31.23
#define CITY_LON	121.47
#define M_PER_DEG	(6372797.560856 * M_PI / 180.0)

struct pt {
	double	lat, lon;
};

/* Share of the units by kind, smallest first (per mille). */
static const int kind_share[NP_UNIT_KINDS] = { 400, 200, 150, 150, 80, 20 };

static unsigned short rng_seed[3] = { 2026, 11, 23 };	/* reproducible */

static double
urand(void)
{
	return erand48(rng_seed);
}

/* 60% a Gaussian core, 40% a uniform disk. */
static struct pt
city_point(void)
{
	double t = 2 * M_PI * urand(), r;
	struct pt p;

	if (urand() < 0.6)
		r = CORE_SIGMA_M * sqrt(-2.0 * log(1.0 - urand()));
	else
		r = RING_M * sqrt(urand());
	p.lat = CITY_LAT + r * cos(t) / M_PER_DEG;
	p.lon = CITY_LON + r * sin(t) / (M_PER_DEG * cos(CITY_LAT * M_PI /
	    180.0));
	return p;
}

/* Seconds, monotonic; the runs last long enough for milliseconds. */
static double
now(void)
{
	return np_mono_ms() / 1e3;
}

static int
pick_kind(void)
{
	int u = (int)(urand() * 1000), k;

	for (k = 0; k < NP_UNIT_KINDS - 1 && u >= kind_share[k]; k++)
		u -= kind_share[k];
	return k;
}

static void
city_build(struct np_city *c, size_t nposts, size_t nunits)
{
	struct pt p;

	c->posts = calloc(nposts, sizeof(*c->posts));
	c->units = calloc(nunits, sizeof(*c->units));
	if (c->posts == NULL || c->units == NULL) {
		fprintf(stderr, "bench_route: out of memory\n");
		exit(1);
	}
	for (c->nposts = 0; c->nposts < nposts; c->nposts++) {
		p = city_point();
		snprintf(c->posts[c->nposts].id, NP_CITY_ID_MAX, "P-%zu",
		    c->nposts);
		c->posts[c->nposts].lat = p.lat;
		c->posts[c->nposts].lon = p.lon;
	}
	for (c->nunits = 0; c->nunits < nunits; c->nunits++) {
		p = city_point();
		snprintf(c->units[c->nunits].id, NP_CITY_ID_MAX, "U-%zu",
		    c->nunits);
		c->units[c->nunits].kind = pick_kind();
		c->units[c->nunits].lat = p.lat;
		c->units[c->nunits].lon = p.lon;
	}
}

/* The plans of deploy/plans.json: minor, standard, violent. */
static void
plans_build(struct np_plans *pl)
{
	static const struct {
		int		deadline;
		unsigned	kinds;
	} tiers[3][3] = {
		{ { 60, 0x0f } },
		{ { 60, 0x0f }, { 180, 0x18 } },
		{ { 60, 0x0e }, { 180, 0x18 }, { 300, 0x30 } },
	};
	static const char *const names[3] = { "minor", "standard", "violent" };

	memset(pl, 0, sizeof(*pl));
	for (int i = 0; i < 3; i++) {
		struct np_plan *p = &pl->plans[pl->nplans++];

		snprintf(p->name, sizeof(p->name), "%s", names[i]);
		for (int t = 0; t < 3 && tiers[i][t].deadline > 0; t++) {
			p->tiers[t].tier = t + 1;
			p->tiers[t].deadline_s = tiers[i][t].deadline;
			for (int k = 0; k < NP_UNIT_KINDS; k++)
				p->tiers[t].kinds[k] =
				    tiers[i][t].kinds >> k & 1;
			p->ntiers++;
		}
	}
}

static void
bench_plan(struct router_map *m, const struct np_plan *p,
    const struct pt *qs, size_t nq)
{
	static struct router_decision d;
	size_t i, t, met = 0, cands = 0, tiers = 0;
	double t0, dt;

	t0 = now();
	for (i = 0; i < nq; i++) {
		router_route(m, p, qs[i].lat, qs[i].lon, &d);
		for (t = 0; t < d.ntiers; t++, tiers++) {
			cands += d.tiers[t].n;
			met += d.tiers[t].n > 0 &&
			    d.tiers[t].c[0].eta_s <= d.tiers[t].deadline_s;
		}
	}
	dt = now() - t0;
	printf("  route %-9s %zu decisions: %.0f decisions/s, %.1f us each; "
	    "%.1f candidates/tier, first meets its deadline in %.1f%% of "
	    "tiers\n", p->name, nq, nq / dt, dt / nq * 1e6,
	    (double)cands / tiers, 100.0 * met / tiers);
}

static void
bench_posts(struct router_map *m, const struct pt *qs, size_t nq)
{
	struct router_post p;
	size_t i, gaps = 0;
	double t0 = now(), dt;

	for (i = 0; i < nq; i++) {
		router_post(m, qs[i].lat, qs[i].lon, &p);
		gaps += p.gap;
	}
	dt = now() - t0;
	printf("  owning post     %zu lookups: %.0f/s, %.0f ns each; %.1f%% "
	    "coverage gaps\n", nq, nq / dt, dt / nq * 1e9, 100.0 * gaps / nq);
}

/* Units drift by up to 50 m a step, as positions arrive on the bus. */
static void
bench_moves(struct router_map *m, size_t n)
{
	size_t i, u, nunits = m->city->nunits;
	double t0 = now(), dt;
	int64_t ts = 1;

	for (i = 0; i < n; i++) {
		u = i % nunits;
		router_map_position(m, u, m->live[u].lat + (urand() - 0.5) *
		    1e-3, m->live[u].lon + (urand() - 0.5) * 1e-3, ts++);
	}
	dt = now() - t0;
	printf("  unit moves      %zu: %.0f/s, %.0f ns each\n", n, n / dt,
	    dt / n * 1e9);
}

/*
 * units-bus frames as radiogw writes them: the router's fast path
 * (posframe.c) and, with a space before the JSON, the jansson path.
 */
static void
bench_frames(size_t n)
{
	static const char *const how[] = { "fast path", "jansson" };
	struct router_unit_msg u;
	char frame[160], err[128];
	double t0, dt;
	size_t i, k;
	int len;

	for (k = 0; k < 2; k++) {
		t0 = now();
		for (i = 0; i < n; i++) {
			len = snprintf(frame, sizeof(frame), "unit.position %s"
			    "{\"unit_id\":\"U-%04zu\",\"lat\":31.%07zu,"
			    "\"lon\":121.%07zu,\"ts\":18000000%05zu}",
			    k ? " " : "", i % 10000, i % 9999991, i % 7777777,
			    i % 100000);
			if (router_unit_msg_parse(frame, len, &u, err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "bench_route: %s\n", err);
				return;
			}
		}
		dt = now() - t0;
		printf("  position frame  %zu (%s): %.0f/s, %.0f ns each\n", n,
		    how[k], n / dt, dt / n * 1e9);
	}
}

int
main(int argc, char *argv[])
{
	size_t nq = argc > 1 ? strtoul(argv[1], NULL, 10) : 50000;
	size_t nposts = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	size_t nunits = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
	struct np_city city = { 0 };
	struct np_plans plans;
	struct router_params prm;
	struct router_map *m;
	struct pt *qs;
	cpu_set_t cpus;
	char err[256];
	double t0;

	if (nq == 0 || nposts == 0) {
		fprintf(stderr, "usage: bench_route [decisions-per-plan [posts "
		    "[units]]]\n");
		return 1;
	}
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	(void)sched_setaffinity(0, sizeof(cpus), &cpus);	/* one core */

	city_build(&city, nposts, nunits);
	plans_build(&plans);
	if ((qs = calloc(nq, sizeof(*qs))) == NULL)
		return 1;
	for (size_t i = 0; i < nq; i++)		/* incidents where people are */
		qs[i] = city_point();
	router_params_defaults(&prm);
	t0 = now();
	if ((m = router_map_new(&city, &plans, &prm, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "bench_route: %s\n", err);
		return 1;
	}
	printf("bench_route: %zu posts, %zu units in a city 40 km across, "
	    "one core; map built in %.1f ms\n", nposts, nunits,
	    (now() - t0) * 1e3);
	for (size_t i = 0; i < nunits; i++)	/* a third of them busy */
		if (urand() < 0.33)
			router_map_status(m, i, ROUTER_ST_ENROUTE);
	bench_posts(m, qs, nq);
	for (size_t i = 0; i < plans.nplans; i++)
		bench_plan(m, &plans.plans[i], qs, nq);
	bench_moves(m, 10 * nq);
	bench_frames(10 * nq);
	router_map_free(m);
	free(city.posts);
	free(city.units);
	free(qs);
	return 0;
}
