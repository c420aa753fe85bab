/*
 * test_npsim_clock: npsim's random numbers, daily curve and Poisson
 * arrivals (the call load), and its places and travel (the units).
 * Seeds are fixed; statistical checks use bounds many standard
 * deviations wide, so they fail on a wrong formula, not on bad luck.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "np_city.h"
#include "np_geo.h"
#include "np_testloop.h"
#include "sim.h"

START_TEST(test_rng_same_seed_same_sequence_and_unit_range)
{
	struct sim_rng a, b;
	double u;

	sim_rng_seed(&a, 42);
	sim_rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(sim_rng_next(&a), sim_rng_next(&b));
	for (int i = 0; i < 100000; i++) {
		u = sim_rng_unit(&a);
		ck_assert(u >= 0 && u < 1);
	}
}
END_TEST

START_TEST(test_curve_parse_normalises_to_mean_one_and_names_bad_value)
{
	struct sim_curve c;
	char err[128];
	double sum = 0;

	ck_assert_int_eq(sim_curve_parse(&c, sim_curve_default, 120, err,
	    sizeof(err)), 0);
	for (int h = 0; h < SIM_HOURS; h++)
		sum += c.mult[h];
	ck_assert_double_eq_tol(sum / SIM_HOURS, 1.0, 1e-9);
	ck_assert_double_eq_tol(sim_curve_rate(&c, 19 * 3600 + 5) * 3600,
	    120 * c.mult[19], 1e-9);
	ck_assert_int_eq(sim_curve_parse(&c, "1,2,x", 1, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "value 3"));
	ck_assert_int_eq(sim_curve_parse(&c, "1,2,3", 1, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "3 values"));
	ck_assert_int_eq(sim_curve_parse(&c, "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
	    "0,0,0,0,0,0,0,0,0", 1, err, sizeof(err)), -1);
}
END_TEST

/* Over 200 days, each hour's arrivals follow the curve (Poisson). */
START_TEST(test_arrivals_follow_the_daily_curve)
{
	struct sim_curve c;
	struct sim_rng r;
	double t = 0, count[SIM_HOURS] = { 0 }, days = 200, want, total = 0;
	char err[128];

	ck_assert_int_eq(sim_curve_parse(&c, sim_curve_default, 60, err,
	    sizeof(err)), 0);
	sim_rng_seed(&r, 7);
	while ((t = sim_next_arrival(&r, &c, t)) < days * SIM_DAY_S) {
		count[(int)(fmod(t, SIM_DAY_S) / 3600)]++;
		total++;
	}
	for (int h = 0; h < SIM_HOURS; h++) {
		want = days * 60 * c.mult[h];
		/* 6 sigma of a Poisson count */
		ck_assert_msg(fabs(count[h] - want) < 6 * sqrt(want),
		    "hour %d: %.0f arrivals, expected %.0f", h, count[h], want);
	}
	ck_assert(fabs(total - days * 24 * 60) < 6 * sqrt(days * 24 * 60));
}
END_TEST

START_TEST(test_zero_rate_never_arrives)
{
	struct sim_curve c;
	struct sim_rng r;
	char err[128];

	ck_assert_int_eq(sim_curve_parse(&c, sim_curve_default, 0, err,
	    sizeof(err)), 0);
	sim_rng_seed(&r, 1);
	ck_assert(isinf(sim_next_arrival(&r, &c, 0)));
}
END_TEST

START_TEST(test_trip_takes_distance_times_detour_over_speed)
{
	struct sim_trip t;
	double lat, lon, d, dur;

	d = np_geo_dist(31.2300, 121.4700, 31.2350, 121.4750);
	dur = sim_trip_start(&t, 31.2300, 121.4700, 31.2350, 121.4750,
	    sim_kind_speed[NP_UNIT_PATROL_CAR], 100);
	ck_assert_double_eq_tol(dur, d * SIM_DETOUR / 9.0, 1e-6);
	ck_assert_int_eq(sim_trip_pos(&t, 100 + dur / 2, &lat, &lon), 0);
	ck_assert_double_eq_tol(np_geo_dist(31.23, 121.47, lat, lon), d / 2,
	    0.5);
	ck_assert_int_eq(sim_trip_pos(&t, 100 + dur, &lat, &lon), 1);
	ck_assert_double_eq_tol(lat, 31.2350, 1e-12);
	ck_assert_int_eq(sim_trip_pos(&t, 50, &lat, &lon), 0);
	ck_assert_double_eq_tol(lat, 31.2300, 1e-12);
}
END_TEST

START_TEST(test_kinds_walk_slower_than_they_drive)
{
	ck_assert(sim_kind_speed[NP_UNIT_GRID_WORKER] < 2);
	ck_assert(sim_kind_speed[NP_UNIT_POST_TEAM] <
	    sim_kind_speed[NP_UNIT_MCU]);
	ck_assert(sim_kind_speed[NP_UNIT_MCU] <
	    sim_kind_speed[NP_UNIT_PATROL_CAR]);
	for (int k = 0; k < NP_UNIT_KINDS; k++)
		ck_assert(sim_kind_ack_s[k][0] < sim_kind_ack_s[k][1]);
}
END_TEST

START_TEST(test_place_near_stays_within_radius_and_area)
{
	struct sim_area a = { 31.2228, 31.2372, 121.4595, 121.4805 };
	struct sim_rng r;
	double lat, lon;

	sim_rng_seed(&r, 3);
	for (int i = 0; i < 10000; i++) {
		sim_place_near(&r, &a, 31.2300, 121.4700, 150, &lat, &lon);
		ck_assert(np_geo_dist(31.23, 121.47, lat, lon) <= 150.5);
		sim_place_near(&r, &a, 31.2230, 121.4600, 300, &lat, &lon);
		ck_assert(lat >= a.lat_min && lat <= a.lat_max);
		ck_assert(lon >= a.lon_min && lon <= a.lon_max);
	}
}
END_TEST

/* The sample city's documented gaps G1..G3 are found, nothing else. */
START_TEST(test_gaps_of_the_sample_city_are_the_documented_ones)
{
	static const double g[3][2] = { { 31.2327, 121.4658 },
	    { 31.2260, 121.4686 }, { 31.2361, 121.4759 } };
	static double lat[4096], lon[4096];
	struct np_city *c = np_city_new();
	/* the district of deploy/city/README.md */
	struct sim_area a = { 31.2228, 31.2372, 121.4595, 121.4805 }, box;
	char err[512];
	size_t n, near[3] = { 0 };

	ck_assert_int_eq(np_city_load_file(c, np_city_load_posts,
	    NP_SRC_DIR "/deploy/city/posts.geojson", err, sizeof(err)), 0);
	sim_city_area(c, &box);
	ck_assert(box.lat_min < 31.2300 && box.lat_max > 31.2300);
	n = sim_find_gaps(c, &a, 200, 10, lat, lon, 4096);
	ck_assert(n > 0);
	for (size_t i = 0; i < n; i++) {
		int hit = 0;

		for (int k = 0; k < 3; k++)
			if (np_geo_dist(lat[i], lon[i], g[k][0], g[k][1]) <=
			    120) {
				near[k]++;
				hit = 1;
			}
		ck_assert_msg(hit, "gap point %.6f %.6f is near no documented "
		    "gap", lat[i], lon[i]);
	}
	for (int k = 0; k < 3; k++)
		ck_assert_msg(near[k] > 0, "gap G%d not found", k + 1);
	np_city_free(c);
}
END_TEST

static Suite *
clock_suite(void)
{
	Suite *s = suite_create("npsim_clock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rng_same_seed_same_sequence_and_unit_range);
	tcase_add_test(tc,
	    test_curve_parse_normalises_to_mean_one_and_names_bad_value);
	tcase_add_test(tc, test_arrivals_follow_the_daily_curve);
	tcase_add_test(tc, test_zero_rate_never_arrives);
	tcase_add_test(tc, test_trip_takes_distance_times_detour_over_speed);
	tcase_add_test(tc, test_kinds_walk_slower_than_they_drive);
	tcase_add_test(tc, test_place_near_stays_within_radius_and_area);
	tcase_add_test(tc,
	    test_gaps_of_the_sample_city_are_the_documented_ones);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(clock_suite());
}
