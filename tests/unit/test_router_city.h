/*
 * What the router's suites share: a small city built in code around one
 * point (posts and units placed so many metres north and east of it),
 * hand-made plans, a seeded random generator and a map over them.
 * Static inline so that each suite includes it once and uses what it
 * needs.
 */
#ifndef TEST_ROUTER_CITY_H
#define TEST_ROUTER_CITY_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_geo.h"
#include "router.h"

#define TC_LAT		31.2304
#define TC_LON		121.4737
#define TC_M_PER_DEG	(NP_GEO_EARTH_R * M_PI / 180.0)
#define TC_MAX		4096

static struct np_city	tc_city;
static struct np_plans	tc_plans;
static uint64_t		tc_rng_state = 20261123;

static inline void
tc_reset(void)
{
	free(tc_city.posts);
	free(tc_city.units);
	memset(&tc_city, 0, sizeof(tc_city));
	tc_city.posts = calloc(TC_MAX, sizeof(*tc_city.posts));
	tc_city.units = calloc(TC_MAX, sizeof(*tc_city.units));
	ck_assert(tc_city.posts != NULL && tc_city.units != NULL);
	memset(&tc_plans, 0, sizeof(tc_plans));
}

/* The point north_m / east_m metres from the centre. */
static inline void
tc_point(double north_m, double east_m, double *lat, double *lon)
{
	*lat = TC_LAT + north_m / TC_M_PER_DEG;
	*lon = TC_LON + east_m / (TC_M_PER_DEG * cos(TC_LAT * M_PI / 180.0));
}

static inline size_t
tc_post(double north_m, double east_m)
{
	struct np_post *p = &tc_city.posts[tc_city.nposts];

	ck_assert(tc_city.nposts < TC_MAX);
	snprintf(p->id, sizeof(p->id), "P-%03zu", tc_city.nposts);
	snprintf(p->name, sizeof(p->name), "Post %zu", tc_city.nposts);
	snprintf(p->district, sizeof(p->district), "test");
	p->kind = NP_POST_STATION;
	tc_point(north_m, east_m, &p->lat, &p->lon);
	return tc_city.nposts++;
}

static inline size_t
tc_unit(enum np_unit_kind kind, double north_m, double east_m)
{
	struct np_unit *u = &tc_city.units[tc_city.nunits];

	ck_assert(tc_city.nunits < TC_MAX);
	snprintf(u->id, sizeof(u->id), "U-%04zu", tc_city.nunits);
	snprintf(u->callsign, sizeof(u->callsign), "C%zu", tc_city.nunits);
	u->kind = kind;
	u->post = 0;
	tc_point(north_m, east_m, &u->lat, &u->lon);
	return tc_city.nunits++;
}

/* A plan of its own: tiers given as deadline, then a kind mask. */
static inline const struct np_plan *
tc_plan(const char *name, size_t ntiers, const int *deadlines,
    const unsigned *masks)
{
	struct np_plan *p = &tc_plans.plans[tc_plans.nplans++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ntiers = ntiers;
	for (size_t i = 0; i < ntiers; i++) {
		p->tiers[i].tier = (int)i + 1;
		p->tiers[i].deadline_s = deadlines[i];
		for (int k = 0; k < NP_UNIT_KINDS; k++)
			p->tiers[i].kinds[k] = (masks[i] >> k) & 1;
	}
	return p;
}

#define K(k)	(1u << (k))
/* tier 1 of the "standard" plan (the first responders), tier 2 */
#define FIRST	(K(NP_UNIT_GRID_WORKER) | K(NP_UNIT_GUARD) | \
		 K(NP_UNIT_POST_TEAM) | K(NP_UNIT_MCU))
#define PATROL	(K(NP_UNIT_MCU) | K(NP_UNIT_PATROL_CAR))

static inline struct router_map *
tc_map(void)
{
	struct router_params p;
	struct router_map *m;
	char err[256];

	router_params_defaults(&p);
	m = router_map_new(&tc_city, &tc_plans, &p, err, sizeof(err));
	ck_assert_msg(m != NULL, "router_map_new: %s", err);
	return m;
}

static inline uint64_t
tc_rng(void)
{
	uint64_t z = (tc_rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline double
tc_urand(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(tc_rng() >> 11) /
	    9007199254740992.0);
}

/* The unit ids of a tier, "U-0001 U-0000", for messages. */
static inline const char *
tc_ids(const struct router_tier *t)
{
	static char buf[1024];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n && off < sizeof(buf) - 16; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
		    i ? " " : "", tc_city.units[t->c[i].unit].id);
	return buf;
}

/* Tier t holds exactly these units, in this order. */
static inline void
tc_expect(const struct router_tier *t, size_t n, const size_t *units)
{
	ck_assert_msg(t->n == n, "tier %d: %zu candidates (%s), want %zu",
	    t->tier, t->n, tc_ids(t), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(t->c[i].unit == units[i], "tier %d rank %zu: %s "
		    "(all: %s), want %s", t->tier, i,
		    tc_city.units[t->c[i].unit].id, tc_ids(t),
		    tc_city.units[units[i]].id);
}

#endif
