/*
 * test_router_route: the routing decision on cities built in code -- the
 * owning post and coverage gap, the minimal-unit rule (a smaller unit
 * that makes the deadline beats a nearer bigger one; a bigger one only
 * when no smaller can), the late units by eta, ties, caps, a unit in one
 * tier only, unavailable units skipped, moving units.  The ranking over
 * random cities and the real plans file: test_router_rank.c.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "np_testloop.h"
#include "test_router_city.h"

static struct router_decision dec;

static const struct np_plan *
one_tier(unsigned mask, int deadline)
{
	return tc_plan("one", 1, (int[]){ deadline }, (unsigned[]){ mask });
}

static void
route(struct router_map *m, const struct np_plan *p, double north,
    double east)
{
	double lat, lon;

	tc_point(north, east, &lat, &lon);
	ck_assert_int_eq(router_route(m, p, lat, lon, &dec), 0);
}

START_TEST(post_nearest_within_radius)
{
	struct router_map *m;
	struct router_post p;
	double lat, lon;

	tc_reset();
	tc_post(0, 150);
	size_t near = tc_post(0, -120);
	tc_post(1000, 0);
	m = tc_map();
	tc_point(0, 0, &lat, &lon);
	ck_assert_int_eq(router_post(m, lat, lon, &p), 0);
	ck_assert_uint_eq(p.post, near);
	ck_assert_int_eq(p.gap, 0);
	ck_assert_double_eq_tol(p.dist_m, 120.0, 0.5);
	router_map_free(m);
}
END_TEST

START_TEST(post_coverage_gap_takes_nearest_at_all)
{
	struct router_map *m;
	struct router_post p;
	double lat, lon;

	tc_reset();
	tc_post(0, 900);
	size_t near = tc_post(-450, 0);
	m = tc_map();
	tc_point(0, 0, &lat, &lon);
	ck_assert_int_eq(router_post(m, lat, lon, &p), 0);
	ck_assert_uint_eq(p.post, near);
	ck_assert_int_eq(p.gap, 1);
	ck_assert_double_eq_tol(p.dist_m, 450.0, 1.0);
	/* just inside and just outside the 200 m radius */
	tc_point(-450 + 199, 0, &lat, &lon);
	ck_assert_int_eq(router_post(m, lat, lon, &p), 0);
	ck_assert_int_eq(p.gap, 0);
	tc_point(-450 + 201, 0, &lat, &lon);
	ck_assert_int_eq(router_post(m, lat, lon, &p), 0);
	ck_assert_int_eq(p.gap, 1);
	ck_assert_int_eq(router_post(m, 91, 0, &p), -1);
	router_map_free(m);
}
END_TEST

START_TEST(post_tie_goes_to_lower_index)
{
	struct router_map *m;
	struct router_post p;
	double lat, lon;

	tc_reset();
	size_t a = tc_post(0, 50);
	tc_post(0, 50);
	m = tc_map();
	tc_point(0, 0, &lat, &lon);
	ck_assert_int_eq(router_post(m, lat, lon, &p), 0);
	ck_assert_uint_eq(p.post, a);
	router_map_free(m);
}
END_TEST

START_TEST(smaller_unit_meeting_deadline_beats_nearer_bigger)
{
	struct router_map *m;

	tc_reset();
	tc_post(0, 0);
	size_t car = tc_unit(NP_UNIT_PATROL_CAR, 0, 5);
	size_t mcu = tc_unit(NP_UNIT_MCU, 0, 10);
	size_t guard = tc_unit(NP_UNIT_GUARD, 0, 40);		/* eta 37 s */
	size_t grid = tc_unit(NP_UNIT_GRID_WORKER, 0, 55);	/* eta 51 s */
	m = tc_map();
	route(m, one_tier(FIRST | K(NP_UNIT_PATROL_CAR), 60), 0, 0);
	ck_assert_uint_eq(dec.ntiers, 1);
	tc_expect(&dec.tiers[0], 4, (size_t[]){ grid, guard, mcu, car });
	ck_assert_double_eq_tol(dec.tiers[0].c[0].eta_s, 55 * 1.3 / 1.4, 0.1);
	ck_assert_double_eq_tol(dec.tiers[0].c[0].dist_m, 55, 0.1);
	router_map_free(m);
}
END_TEST

START_TEST(bigger_unit_only_when_no_smaller_can_make_it)
{
	struct router_map *m;

	tc_reset();
	tc_post(0, 0);
	/* a grid worker 70 m away needs 65 s: too slow for 60 s */
	size_t grid = tc_unit(NP_UNIT_GRID_WORKER, 70, 0);
	/* a post team 100 m away needs 52 s, an mcu 210 m away 54.6 s */
	size_t mcu = tc_unit(NP_UNIT_MCU, 0, -210);
	size_t team = tc_unit(NP_UNIT_POST_TEAM, -100, 0);
	m = tc_map();
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 3, (size_t[]){ team, mcu, grid });
	ck_assert(dec.tiers[0].c[1].eta_s <= 60);
	ck_assert(dec.tiers[0].c[2].eta_s > 60);

	/* the post team gone, the mcu is the smallest that can make it */
	router_map_status(m, team, ROUTER_ST_DISPATCHED);
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 2, (size_t[]){ mcu, grid });
	router_map_free(m);
}
END_TEST

START_TEST(late_units_ranked_by_eta_across_kinds)
{
	struct router_map *m;

	tc_reset();
	tc_post(0, 0);
	size_t grid = tc_unit(NP_UNIT_GRID_WORKER, 0, 75);	/* 69.6 s */
	size_t team = tc_unit(NP_UNIT_POST_TEAM, 0, 150);	/* 78 s */
	size_t mcu = tc_unit(NP_UNIT_MCU, 0, 280);		/* 72.8 s */
	size_t far = tc_unit(NP_UNIT_MCU, 0, 40000);		/* 2.9 h */
	m = tc_map();
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 4, (size_t[]){ grid, mcu, team, far });
	router_map_free(m);
}
END_TEST

START_TEST(ties_smaller_kind_then_lower_index)
{
	struct router_map *m;

	tc_reset();
	tc_post(0, 0);
	size_t g2 = tc_unit(NP_UNIT_GUARD, 0, 30);
	size_t g1 = tc_unit(NP_UNIT_GUARD, 0, 30);
	size_t gw = tc_unit(NP_UNIT_GRID_WORKER, 0, 30);
	/* the same eta for a guard and a grid worker, both late */
	size_t lg = tc_unit(NP_UNIT_GUARD, 0, -100);
	size_t lw = tc_unit(NP_UNIT_GRID_WORKER, 0, -100);
	m = tc_map();
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 5, (size_t[]){ gw, g2, g1, lw, lg });
	router_map_free(m);
}
END_TEST

START_TEST(at_most_candidates_per_tier)
{
	struct router_params p;
	struct router_map *m;
	char err[128];

	tc_reset();
	tc_post(0, 0);
	for (int i = 0; i < 30; i++)
		tc_unit(NP_UNIT_GUARD, 0, 1 + i);
	m = tc_map();
	route(m, one_tier(FIRST, 60), 0, 0);
	ck_assert_uint_eq(dec.tiers[0].n, 8);
	for (size_t i = 0; i < 8; i++)
		ck_assert_uint_eq(dec.tiers[0].c[i].unit, i);
	router_map_free(m);

	router_params_defaults(&p);
	p.candidates = 3;
	m = router_map_new(&tc_city, &tc_plans, &p, err, sizeof(err));
	route(m, one_tier(FIRST, 60), 0, 0);
	ck_assert_uint_eq(dec.tiers[0].n, 3);
	router_map_free(m);
	p.candidates = ROUTER_CAND_MAX + 1;
	ck_assert_ptr_null(router_map_new(&tc_city, &tc_plans, &p, err,
	    sizeof(err)));
}
END_TEST

START_TEST(a_tier_lead_is_not_listed_again_fallbacks_may_be)
{
	struct router_map *m;
	const struct np_plan *p;

	tc_reset();
	tc_post(0, 0);
	size_t mcu1 = tc_unit(NP_UNIT_MCU, 0, 20);
	size_t mcu2 = tc_unit(NP_UNIT_MCU, 0, 40);
	size_t car = tc_unit(NP_UNIT_PATROL_CAR, 0, 30);
	size_t guard = tc_unit(NP_UNIT_GUARD, 0, 10);
	p = tc_plan("standard", 2, (int[]){ 60, 180 },
	    (unsigned[]){ FIRST, PATROL });
	m = tc_map();
	route(m, p, 0, 0);
	/* tier 1 sends the guard; the mcus are its fallbacks and still the
	 * smallest units tier 2 can have in time */
	tc_expect(&dec.tiers[0], 3, (size_t[]){ guard, mcu1, mcu2 });
	tc_expect(&dec.tiers[1], 3, (size_t[]){ mcu1, mcu2, car });

	/* a unit that leads a tier is left out of the later ones */
	tc_reset();
	tc_post(0, 0);
	mcu1 = tc_unit(NP_UNIT_MCU, 0, 20);
	car = tc_unit(NP_UNIT_PATROL_CAR, 0, 30);
	p = tc_plan("standard", 2, (int[]){ 60, 180 },
	    (unsigned[]){ FIRST, PATROL });
	router_map_free(m);
	m = tc_map();
	route(m, p, 0, 0);
	tc_expect(&dec.tiers[0], 1, (size_t[]){ mcu1 });
	tc_expect(&dec.tiers[1], 1, (size_t[]){ car });
	/* each route starts afresh: nothing stays marked */
	route(m, p, 0, 0);
	tc_expect(&dec.tiers[0], 1, (size_t[]){ mcu1 });
	tc_expect(&dec.tiers[1], 1, (size_t[]){ car });
	router_map_free(m);
}
END_TEST

START_TEST(unavailable_units_are_skipped)
{
	struct router_map *m;
	size_t u[ROUTER_ST_COUNT];

	tc_reset();
	tc_post(0, 0);
	for (int s = 0; s < ROUTER_ST_COUNT; s++)
		u[s] = tc_unit(NP_UNIT_GUARD, 0, 10 + s);
	m = tc_map();
	for (int s = 0; s < ROUTER_ST_COUNT; s++)
		router_map_status(m, u[s], s);
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 1, (size_t[]){ u[ROUTER_ST_AVAILABLE] });

	router_map_status(m, u[ROUTER_ST_OFFLINE], ROUTER_ST_AVAILABLE);
	router_map_status(m, u[ROUTER_ST_AVAILABLE], ROUTER_ST_DISPATCHED);
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 1, (size_t[]){ u[ROUTER_ST_OFFLINE] });
	router_map_free(m);
}
END_TEST

START_TEST(tier_without_units_of_its_kinds_is_empty)
{
	struct router_map *m;

	tc_reset();
	tc_post(0, 0);
	tc_unit(NP_UNIT_GUARD, 0, 10);
	m = tc_map();
	route(m, one_tier(K(NP_UNIT_SPECIAL), 300), 0, 0);
	ck_assert_uint_eq(dec.tiers[0].n, 0);
	route(m, NULL, 0, 0);
	ck_assert_uint_eq(dec.ntiers, 0);
	router_map_free(m);
}
END_TEST

START_TEST(moving_a_unit_changes_the_choice)
{
	struct router_map *m;
	double lat, lon;

	tc_reset();
	tc_post(0, 0);
	size_t a = tc_unit(NP_UNIT_GUARD, 0, 30);
	size_t b = tc_unit(NP_UNIT_GUARD, 0, 3000);
	m = tc_map();
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 2, (size_t[]){ a, b });

	tc_point(10, 0, &lat, &lon);
	ck_assert_int_eq(router_map_position(m, b, lat, lon, 2000), 1);
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 2, (size_t[]){ b, a });
	/* an older position never replaces a newer one */
	tc_point(0, 5000, &lat, &lon);
	ck_assert_int_eq(router_map_position(m, b, lat, lon, 1000), 0);
	route(m, one_tier(FIRST, 60), 0, 0);
	tc_expect(&dec.tiers[0], 2, (size_t[]){ b, a });
	ck_assert_int_eq(router_map_position(m, b, 95, 0, 3000), -1);
	ck_assert_int_eq(router_map_position(m, 99, lat, lon, 3000), -1);
	router_map_free(m);
}
END_TEST

START_TEST(units_near_filters_kind_and_status)
{
	struct np_geo_hit h[8];
	struct router_map *m;
	double lat, lon;

	tc_reset();
	tc_post(0, 0);
	size_t a = tc_unit(NP_UNIT_GUARD, 0, 30);
	size_t b = tc_unit(NP_UNIT_MCU, 0, 20);
	size_t c = tc_unit(NP_UNIT_GUARD, 0, 10);
	tc_unit(NP_UNIT_GUARD, 0, 500);
	m = tc_map();
	router_map_status(m, c, ROUTER_ST_ENROUTE);
	tc_point(0, 0, &lat, &lon);
	ck_assert_uint_eq(router_units_near(m, lat, lon, 100, -1, -1, h, 8),
	    3);
	ck_assert_uint_eq(h[0].id, c);
	ck_assert_uint_eq(h[1].id, b);
	ck_assert_uint_eq(router_units_near(m, lat, lon, 100, NP_UNIT_GUARD,
	    ROUTER_ST_AVAILABLE, h, 8), 1);
	ck_assert_uint_eq(h[0].id, a);
	ck_assert_uint_eq(router_units_near(m, lat, lon, 1000, -1, -1, h, 2),
	    2);
	router_map_free(m);
}
END_TEST

START_TEST(map_refuses_bad_parameters_and_empty_city)
{
	struct router_params p;
	char err[128];

	tc_reset();
	router_params_defaults(&p);
	ck_assert_ptr_null(router_map_new(&tc_city, &tc_plans, &p, err,
	    sizeof(err)));
	tc_post(0, 0);
	p.speed[NP_UNIT_MCU] = 0;
	ck_assert_ptr_null(router_map_new(&tc_city, &tc_plans, &p, err,
	    sizeof(err)));
	ck_assert_str_eq(err, "route.speed.mcu must be above 0");
	router_params_defaults(&p);
	p.detour = 0.5;
	ck_assert_ptr_null(router_map_new(&tc_city, &tc_plans, &p, err,
	    sizeof(err)));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("router_route");
	TCase *tc = tcase_create("route");

	tcase_add_test(tc, post_nearest_within_radius);
	tcase_add_test(tc, post_coverage_gap_takes_nearest_at_all);
	tcase_add_test(tc, post_tie_goes_to_lower_index);
	tcase_add_test(tc, smaller_unit_meeting_deadline_beats_nearer_bigger);
	tcase_add_test(tc, bigger_unit_only_when_no_smaller_can_make_it);
	tcase_add_test(tc, late_units_ranked_by_eta_across_kinds);
	tcase_add_test(tc, ties_smaller_kind_then_lower_index);
	tcase_add_test(tc, at_most_candidates_per_tier);
	tcase_add_test(tc, a_tier_lead_is_not_listed_again_fallbacks_may_be);
	tcase_add_test(tc, unavailable_units_are_skipped);
	tcase_add_test(tc, tier_without_units_of_its_kinds_is_empty);
	tcase_add_test(tc, moving_a_unit_changes_the_choice);
	tcase_add_test(tc, units_near_filters_kind_and_status);
	tcase_add_test(tc, map_refuses_bad_parameters_and_empty_city);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
