/*
 * map.c: the router's picture of the city -- posts (static) and units
 * (moving, with a status) in two np_geo indexes, so that routing asks the
 * index for the units within reach instead of scanning them all.
 *
 * A unit is in its kind's index exactly while its position is known
 * (located); every unit starts at its home position from the city file,
 * available, until Redis or the units bus says otherwise.  Positions
 * carry the time the unit was there and an older one never replaces a
 * newer one (the bus and Redis may deliver them out of order).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_geo.h"
#include "router.h"

static const char *const status_names[ROUTER_ST_COUNT] = {
	[ROUTER_ST_AVAILABLE] = "available",
	[ROUTER_ST_DISPATCHED] = "dispatched",
	[ROUTER_ST_ACKED] = "acked",
	[ROUTER_ST_ENROUTE] = "enroute",
	[ROUTER_ST_ONSCENE] = "onscene",
	[ROUTER_ST_UNREACHABLE] = "unreachable",
	[ROUTER_ST_OFFLINE] = "offline",
	[ROUTER_ST_UNKNOWN] = "unknown",
};

const char *
router_status_name(enum router_status s)
{
	return (unsigned)s < ROUTER_ST_COUNT ? status_names[s] : "unknown";
}

int
router_status_parse(const char *s)
{
	for (int i = 0; i < ROUTER_ST_UNKNOWN; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

void
router_params_defaults(struct router_params *p)
{
	memset(p, 0, sizeof(*p));
	p->post_radius_m = 200.0;
	p->detour = 1.3;
	p->speed[NP_UNIT_GRID_WORKER] = 1.4;
	p->speed[NP_UNIT_GUARD] = 1.4;
	p->speed[NP_UNIT_POST_TEAM] = 2.5;
	p->speed[NP_UNIT_MCU] = 5.0;
	p->speed[NP_UNIT_PATROL_CAR] = 8.3;
	p->speed[NP_UNIT_SPECIAL] = 8.3;
	p->candidates = 8;
}

static int
params_check(const struct router_params *p, char *err, size_t errlen)
{
	if (!(p->post_radius_m > 0) || !(p->detour >= 1.0) ||
	    p->candidates < 1 || p->candidates > ROUTER_CAND_MAX) {
		snprintf(err, errlen, "route parameters out of range "
		    "(post_radius_m > 0, detour >= 1, candidates 1..%d)",
		    ROUTER_CAND_MAX);
		return -1;
	}
	for (int k = 0; k < NP_UNIT_KINDS; k++)
		if (!(p->speed[k] > 0) || !isfinite(p->speed[k])) {
			snprintf(err, errlen, "route.speed.%s must be above 0",
			    np_unit_kind_name(k));
			return -1;
		}
	return 0;
}

static int
map_index(struct router_map *m, char *err, size_t errlen)
{
	const struct np_city *c = m->city;
	size_t i;

	for (i = 0; i < c->nposts; i++)
		if (np_geo_index_put(m->posts, (uint32_t)i, c->posts[i].lat,
		    c->posts[i].lon) == -1) {
			snprintf(err, errlen, "post %s: bad position",
			    c->posts[i].id);
			return -1;
		}
	for (i = 0; i < c->nunits; i++) {
		if ((unsigned)c->units[i].kind >= NP_UNIT_KINDS) {
			snprintf(err, errlen, "unit %s: bad kind",
			    c->units[i].id);
			return -1;
		}
		m->live[i].status = ROUTER_ST_AVAILABLE;
		if (router_map_position(m, i, c->units[i].lat,
		    c->units[i].lon, 0) != 1) {
			snprintf(err, errlen, "unit %s: bad home position",
			    c->units[i].id);
			return -1;
		}
	}
	return 0;
}

struct router_map *
router_map_new(const struct np_city *city, const struct np_plans *plans,
    const struct router_params *p, char *err, size_t errlen)
{
	struct router_map *m;

	if (params_check(p, err, errlen) == -1)
		return NULL;
	if (city->nposts == 0 || city->nposts >= NP_GEO_ID_LIMIT ||
	    city->nunits >= NP_GEO_ID_LIMIT) {
		snprintf(err, errlen, "the city needs 1 to %u posts and fewer "
		    "than %u units", NP_GEO_ID_LIMIT - 1, NP_GEO_ID_LIMIT);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto oom;
	m->city = city;
	m->plans = plans;
	m->p = *p;
	m->posts = np_geo_index_new(p->post_radius_m);
	m->live = calloc(city->nunits + 1, sizeof(*m->live));
	if (m->posts == NULL || m->live == NULL)
		goto oom;
	for (int k = 0; k < NP_UNIT_KINDS; k++) {
		double cell = p->speed[k] * ROUTER_CELL_S / p->detour;

		m->units[k] = np_geo_index_new(cell > ROUTER_CELL_MIN_M ? cell :
		    ROUTER_CELL_MIN_M);
		if (m->units[k] == NULL)
			goto oom;
	}
	if (map_index(m, err, errlen) == -1) {
		router_map_free(m);
		return NULL;
	}
	return m;
oom:
	snprintf(err, errlen, "out of memory");
	router_map_free(m);
	return NULL;
}

void
router_map_free(struct router_map *m)
{
	if (m == NULL)
		return;
	if (m->posts != NULL)
		np_geo_index_free(m->posts);
	for (int k = 0; k < NP_UNIT_KINDS; k++)
		if (m->units[k] != NULL)
			np_geo_index_free(m->units[k]);
	free(m->live);
	free(m);
}

int
router_map_position(struct router_map *m, size_t i, double lat, double lon,
    int64_t ts)
{
	struct router_unit *u;

	if (i >= m->city->nunits || !np_geo_valid(lat, lon) ||
	    fabs(lat) > ROUTER_LAT_MAX)
		return -1;
	u = &m->live[i];
	if (u->located && ts < u->pos_ts)
		return 0;
	if (np_geo_index_put(m->units[m->city->units[i].kind], (uint32_t)i,
	    lat, lon) == -1)
		return -1;
	u->located = 1;
	u->lat = lat;
	u->lon = lon;
	u->pos_ts = ts;
	return 1;
}

void
router_map_status(struct router_map *m, size_t i, enum router_status s)
{
	if (i < m->city->nunits && (unsigned)s < ROUTER_ST_COUNT)
		m->live[i].status = s;
}
