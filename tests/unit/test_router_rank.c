/*
 * test_router_rank: the ranking as a whole.  Every type of the real plans
 * file gets its plan's tiers, kinds respected, no unit twice; and the
 * ring search over the units indexes answers exactly what a brute-force
 * ranking by the contract (scan every unit, sort) answers, over random
 * cities dense and sparse, with busy units and units far away.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "np_testloop.h"
#include "test_router_city.h"

static struct router_decision dec;

/* Every type of deploy/plans.json: its plan's tiers, kinds respected. */
START_TEST(tiers_of_each_plan_of_the_plans_file)
{
	struct np_plans plans;
	struct router_params p;
	struct router_map *m;
	char err[256];
	double lat, lon;

	ck_assert_msg(np_plans_load_file(&plans, NP_SRC_DIR
	    "/deploy/plans.json", err, sizeof(err)) == 0, "%s", err);
	tc_reset();
	tc_post(0, 0);
	for (int i = 0; i < 120; i++)
		tc_unit(i % NP_UNIT_KINDS, tc_urand(-2000, 2000),
		    tc_urand(-2000, 2000));
	router_params_defaults(&p);
	m = router_map_new(&tc_city, &plans, &p, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	tc_point(0, 0, &lat, &lon);
	ck_assert_uint_gt(plans.ntypes, 0);
	for (size_t i = 0; i < plans.ntypes; i++) {
		const struct np_plan *plan = plans.types[i].plan;
		int lead[TC_MAX] = { 0 };

		ck_assert_int_eq(router_route(m, plan, lat, lon, &dec), 0);
		ck_assert_uint_eq(dec.ntiers, plan->ntiers);
		for (size_t t = 0; t < dec.ntiers; t++) {
			const struct router_tier *rt = &dec.tiers[t];

			ck_assert_int_eq(rt->tier, plan->tiers[t].tier);
			ck_assert_int_eq(rt->deadline_s,
			    plan->tiers[t].deadline_s);
			ck_assert_uint_eq(rt->n, 8);
			for (size_t c = 0; c < rt->n; c++) {
				uint32_t u = rt->c[c].unit;

				ck_assert(plan->tiers[t].kinds[
				    tc_city.units[u].kind]);
				/* sent by an earlier tier: never listed again */
				ck_assert_msg(!lead[u], "%s: %s led tier %d",
				    plans.types[i].name, tc_city.units[u].id,
				    lead[u]);
				for (size_t o = 0; o < c; o++)
					ck_assert_uint_ne(rt->c[o].unit, u);
			}
			lead[rt->c[0].unit] = rt->tier;
		}
	}
	router_map_free(m);
}
END_TEST

/* The reference ranking: every unit scanned, sorted by the contract. */
struct ref {
	uint32_t	unit;
	int		kind, meets;
	double		d, eta;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->meets != y->meets)
		return y->meets - x->meets;
	if (!x->meets && x->eta != y->eta)
		return x->eta < y->eta ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->unit < y->unit ? -1 : 1;
}

static void
ref_route(const struct router_map *m, const struct np_plan *p, double lat,
    double lon, struct router_decision *out)
{
	static struct ref r[TC_MAX];
	static int taken[TC_MAX];
	size_t n, i, t;

	memset(taken, 0, sizeof(taken));
	out->ntiers = p->ntiers;
	for (t = 0; t < p->ntiers; t++) {
		for (i = n = 0; i < tc_city.nunits; i++) {
			int k = tc_city.units[i].kind;

			if (!p->tiers[t].kinds[k] || taken[i] ||
			    m->live[i].status != ROUTER_ST_AVAILABLE)
				continue;
			r[n].unit = (uint32_t)i;
			r[n].kind = k;
			r[n].d = np_geo_dist(lat, lon, m->live[i].lat,
			    m->live[i].lon);
			r[n].eta = router_eta(m, k, r[n].d);
			r[n].meets = r[n].eta <= p->tiers[t].deadline_s;
			n++;
		}
		qsort(r, n, sizeof(r[0]), ref_cmp);
		out->tiers[t].n = 0;
		for (i = 0; i < n && i < (size_t)m->p.candidates; i++)
			out->tiers[t].c[out->tiers[t].n++].unit = r[i].unit;
		if (out->tiers[t].n > 0)	/* the unit sent: not again */
			taken[out->tiers[t].c[0].unit] = 1;
	}
}

static void
random_city(size_t nunits, double spread_m)
{
	tc_reset();
	for (int i = 0; i < 50; i++)
		tc_post(tc_urand(-spread_m, spread_m),
		    tc_urand(-spread_m, spread_m));
	for (size_t i = 0; i < nunits; i++) {
		/* a few kinds are rare, a few units far away */
		int k = (int)(tc_rng() % NP_UNIT_KINDS);
		double s = tc_rng() % 50 == 0 ? 200 * spread_m : spread_m;

		if (k == NP_UNIT_SPECIAL && tc_rng() % 4)
			k = NP_UNIT_GUARD;
		tc_unit(k, tc_urand(-s, s), tc_urand(-s, s));
	}
}

START_TEST(ring_search_matches_brute_force)
{
	static struct router_decision want;
	struct router_map *m;
	const struct np_plan *plans[4];
	double lat, lon;

	tc_rng_state = 1000 + (uint64_t)_i;
	random_city(_i % 2 ? 1500 : 40, _i % 2 ? 3000 : 800);
	plans[0] = tc_plan("minor", 1, (int[]){ 60 }, (unsigned[]){ FIRST });
	plans[1] = tc_plan("standard", 2, (int[]){ 60, 180 },
	    (unsigned[]){ FIRST, PATROL });
	plans[2] = tc_plan("violent", 3, (int[]){ 60, 180, 300 },
	    (unsigned[]){ FIRST & ~K(NP_UNIT_GRID_WORKER), PATROL,
	    K(NP_UNIT_PATROL_CAR) | K(NP_UNIT_SPECIAL) });
	plans[3] = tc_plan("odd", 2, (int[]){ 5, 1 },
	    (unsigned[]){ K(NP_UNIT_SPECIAL), 0x3f });
	m = tc_map();
	for (size_t i = 0; i < tc_city.nunits; i++)
		if (tc_rng() % 3 == 0)
			router_map_status(m, i, 1 + tc_rng() % 7);
	for (int q = 0; q < 400; q++) {
		const struct np_plan *p = plans[q % 4];

		tc_point(tc_urand(-3500, 3500), tc_urand(-3500, 3500), &lat,
		    &lon);
		ck_assert_int_eq(router_route(m, p, lat, lon, &dec), 0);
		ref_route(m, p, lat, lon, &want);
		for (size_t t = 0; t < p->ntiers; t++)
			tc_expect(&dec.tiers[t], want.tiers[t].n, (size_t[]){
			    want.tiers[t].c[0].unit, want.tiers[t].c[1].unit,
			    want.tiers[t].c[2].unit, want.tiers[t].c[3].unit,
			    want.tiers[t].c[4].unit, want.tiers[t].c[5].unit,
			    want.tiers[t].c[6].unit, want.tiers[t].c[7].unit });
	}
	router_map_free(m);
}
END_TEST


static Suite *
suite(void)
{
	Suite *s = suite_create("router_rank");
	TCase *tc = tcase_create("rank");

	tcase_add_test(tc, tiers_of_each_plan_of_the_plans_file);
	tcase_add_loop_test(tc, ring_search_matches_brute_force, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
