/*
 * route.c: the routing decision (docs/DISPATCH.md, "Routing").
 *
 * Owning post: the nearest post within post_radius_m, else the nearest
 * at all and a coverage gap.
 *
 * Candidates of a tier, ranked: first the units that meet the tier's
 * deadline (eta = distance * detour / speed(kind) <= deadline), smallest
 * kind first, nearest first within a kind -- the minimal-unit rule;
 * then the units that cannot make it, by eta.  Only available units of
 * the tier's kinds, at most p.candidates.  The unit a tier lists first is
 * the one the commander sends, so later tiers leave it out; the rest are
 * fallbacks, and a fallback may stand in several tiers' lists (the
 * commander's reservation decides who gets it).  Otherwise a unit that
 * one tier keeps only as a late fallback would be missing from the next
 * tier, which it could reach in time.
 *
 * Nothing scans all units.  A kind k meets deadline D exactly within
 * the ring of radius D * speed(k) / detour, so the first part asks the
 * index of each kind, from the smallest, for the nearest units in that
 * ring.  The late part grows a time horizon T (2D, 4D, ...) and asks,
 * per kind, for the nearest units within T * speed(k) / detour; once
 * those rings hold enough units, every unit with eta <= T has been seen,
 * so the best by eta among them are the best overall.  The last horizon
 * covers the whole Earth.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "np_geo.h"
#include "router.h"

#define ROUTE_SPAN_M	(M_PI * NP_GEO_EARTH_R + 1.0)	/* whole Earth */
#define ROUTE_SLACK	(1.0 + 1e-9)	/* rings never lose a boundary unit */

/* Which units of an index a search keeps. */
struct pick {
	const struct router_map	*m;
	int			 status;	/* -1: any */
	int			 fresh;		/* skip units listed already */
};

struct late {
	uint32_t	unit;
	int		kind;
	double		dist_m, eta_s;
};

static int
pick_keep(uint32_t id, void *arg)
{
	const struct pick *p = arg;
	const struct router_unit *u = &p->m->live[id];

	if (p->status >= 0 && (int)u->status != p->status)
		return 0;
	if (!p->fresh)
		return 1;
	/* not listed in this tier, not sent by an earlier one */
	return u->taken != p->m->gen &&
	    !(u->lead != 0 && u->lead >= p->m->gen0);
}

double
router_eta(const struct router_map *m, enum np_unit_kind k, double dist_m)
{
	return dist_m * m->p.detour / m->p.speed[k];
}

/* Metres a unit of kind k covers in t seconds. */
static double
reach(const struct router_map *m, int k, double t)
{
	double r = t * m->p.speed[k] / m->p.detour * ROUTE_SLACK + 1e-6;

	return r > ROUTE_SPAN_M ? ROUTE_SPAN_M : r;
}

int
router_post(const struct router_map *m, double lat, double lon,
    struct router_post *out)
{
	uint32_t id;
	double d;

	if (!np_geo_valid(lat, lon))
		return -1;
	out->gap = 0;
	if (!np_geo_nearest_within(m->posts, lat, lon, m->p.post_radius_m,
	    &id, &d)) {
		out->gap = 1;
		if (!np_geo_nearest(m->posts, lat, lon, &id, &d))
			return -1;	/* no posts: router_map_new refuses */
	}
	out->post = id;
	out->dist_m = d;
	return 0;
}

static void
take(struct router_map *m, struct router_tier *t, uint32_t unit,
    double dist_m, double eta_s)
{
	struct router_cand *c = &t->c[t->n++];

	c->unit = unit;
	c->dist_m = dist_m;
	c->eta_s = eta_s;
	m->live[unit].taken = m->gen;
}

/* The units that meet the deadline: smallest kind first, nearest first. */
static void
tier_meet(struct router_map *m, const struct np_tier *tier, double lat,
    double lon, struct router_tier *t, size_t cap)
{
	struct np_geo_hit hits[ROUTER_CAND_MAX];
	struct pick p = { m, ROUTER_ST_AVAILABLE, 1 };
	size_t nh, i;
	double eta;

	for (int k = 0; k < NP_UNIT_KINDS && t->n < cap; k++) {
		if (!tier->kinds[k])
			continue;
		nh = np_geo_within(m->units[k], lat, lon,
		    reach(m, k, tier->deadline_s), pick_keep, &p, hits,
		    cap - t->n);
		for (i = 0; i < nh; i++) {
			eta = router_eta(m, k, hits[i].dist_m);
			if (eta > tier->deadline_s)
				break;
			take(m, t, hits[i].id, hits[i].dist_m, eta);
		}
	}
}

static int
late_cmp(const void *a, const void *b)
{
	const struct late *x = a, *y = b;

	if (x->eta_s != y->eta_s)
		return x->eta_s < y->eta_s ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->dist_m != y->dist_m)
		return x->dist_m < y->dist_m ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/*
 * The nearest `need` units of each of the tier's kinds within horizon t,
 * into out; *all set when every ring covered the Earth.
 */
static size_t
late_ring(const struct router_map *m, const struct np_tier *tier,
    double lat, double lon, double t, size_t need, struct late *out,
    int *all)
{
	struct np_geo_hit hits[ROUTER_CAND_MAX];
	struct pick p = { m, ROUTER_ST_AVAILABLE, 1 };
	size_t n = 0, nh, i;
	double r;

	*all = 1;
	for (int k = 0; k < NP_UNIT_KINDS; k++) {
		if (!tier->kinds[k])
			continue;
		if ((r = reach(m, k, t)) < ROUTE_SPAN_M)
			*all = 0;
		nh = np_geo_within(m->units[k], lat, lon, r, pick_keep, &p,
		    hits, need);
		for (i = 0; i < nh; i++, n++) {
			out[n].unit = hits[i].id;
			out[n].kind = k;
			out[n].dist_m = hits[i].dist_m;
			out[n].eta_s = router_eta(m, k, hits[i].dist_m);
		}
	}
	return n;
}

/* The units that cannot make it, by eta, until the tier is full. */
static void
tier_late(struct router_map *m, const struct np_tier *tier, double lat,
    double lon, struct router_tier *t, size_t cap)
{
	struct late found[NP_UNIT_KINDS * ROUTER_CAND_MAX];
	size_t need = cap - t->n, n, i;
	double horizon = 2.0 * (tier->deadline_s > 0 ? tier->deadline_s : 1);
	int all;

	for (;; horizon *= 2) {
		n = late_ring(m, tier, lat, lon, horizon, need, found, &all);
		if (n >= need || all)
			break;
	}
	qsort(found, n, sizeof(found[0]), late_cmp);
	for (i = 0; i < n && i < need; i++)
		take(m, t, found[i].unit, found[i].dist_m, found[i].eta_s);
}

int
router_route(struct router_map *m, const struct np_plan *plan, double lat,
    double lon, struct router_decision *d)
{
	size_t cap = (size_t)m->p.candidates, i;

	if (router_post(m, lat, lon, &d->post) == -1)
		return -1;
	if (m->gen > UINT32_MAX - NP_TIERS_MAX - 1) {	/* forget old marks */
		for (i = 0; i < m->city->nunits; i++)
			m->live[i].taken = m->live[i].lead = 0;
		m->gen = 0;
	}
	m->gen0 = m->gen + 1;
	d->ntiers = 0;
	for (i = 0; plan != NULL && i < plan->ntiers; i++) {
		const struct np_tier *tier = &plan->tiers[i];
		struct router_tier *t = &d->tiers[d->ntiers++];

		t->tier = tier->tier;
		t->deadline_s = tier->deadline_s;
		t->n = 0;
		m->gen++;
		tier_meet(m, tier, lat, lon, t, cap);
		if (t->n < cap)
			tier_late(m, tier, lat, lon, t, cap);
		if (t->n > 0)
			m->live[t->c[0].unit].lead = m->gen;
	}
	return 0;
}

/* The nearest max of each kind asked for, merged: the nearest max. */
size_t
router_units_near(const struct router_map *m, double lat, double lon,
    double radius_m, int kind, int status, struct np_geo_hit *out,
    size_t max)
{
	struct np_geo_hit *all;
	struct pick p = { m, status, 0 };
	size_t n = 0;

	if (!np_geo_valid(lat, lon) || max == 0)
		return 0;
	if (kind >= 0)
		return kind < NP_UNIT_KINDS ? np_geo_within(m->units[kind], lat,
		    lon, radius_m, pick_keep, &p, out, max) : 0;
	if ((all = calloc(NP_UNIT_KINDS * max, sizeof(*all))) == NULL)
		return 0;
	for (int k = 0; k < NP_UNIT_KINDS; k++)
		n += np_geo_within(m->units[k], lat, lon, radius_m, pick_keep,
		    &p, all + n, max);
	qsort(all, n, sizeof(*all), np_geo_hit_cmp);
	n = n < max ? n : max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}
