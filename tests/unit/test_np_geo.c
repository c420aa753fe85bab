/*
 * test_np_geo: distances against known values, the index against a
 * brute-force scan with np_geo_dist (answers must be identical, ties and
 * all), the antimeridian and the poles, and nearest-within-200 m against a
 * real redis-server's GEOSEARCH (within ~1 m: Redis quantises stored
 * coordinates to a 52-bit geohash).  Seeds are fixed.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_geo.h"
#include "np_testredis.h"
#include "np_testloop.h"

#define R_EARTH		NP_GEO_EARTH_R
#define DEG		(M_PI / 180.0)
#define MAXPTS		8192
#define TOL_M		1.0		/* Redis comparisons */

struct pt {
	double	lat, lon;
	int	live;
};

static struct pt pts[MAXPTS];
static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
urand(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng() >> 11) / 9007199254740992.0);
}

/* The reference: scan every live point, (distance, id) order. */
static int
brute_nearest(size_t n, double lat, double lon, double r, uint32_t *id,
    double *dist)
{
	int found = 0;
	double d;

	for (size_t i = 0; i < n; i++) {
		if (!pts[i].live)
			continue;
		d = np_geo_dist(lat, lon, pts[i].lat, pts[i].lon);
		if (d <= r && (!found || d < *dist)) {
			found = 1;
			*id = (uint32_t)i;
			*dist = d;
		}
	}
	return found;
}

static void
check_nearest(const struct np_geo_index *ix, size_t n, double lat,
    double lon, double r)
{
	uint32_t id = 0, bid = 0;
	double d = 0, bd = 0;
	int f, bf;

	f = np_geo_nearest_within(ix, lat, lon, r, &id, &d);
	bf = brute_nearest(n, lat, lon, r, &bid, &bd);
	ck_assert_msg(f == bf, "found %d vs %d at %.9f,%.9f r=%g", f, bf,
	    lat, lon, r);
	if (f) {
		ck_assert_msg(id == bid && d == bd, "id %u/%u dist %.9f/%.9f "
		    "at %.9f,%.9f", id, bid, d, bd, lat, lon);
	}
}

static void
load(struct np_geo_index *ix, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pts[i].live)
			ck_assert_int_eq(np_geo_index_put(ix, (uint32_t)i,
			    pts[i].lat, pts[i].lon), 0);
}

/* n points in a box, some of them exact duplicates of earlier ones. */
static void
gen_box(size_t n, double lat0, double lat1, double lon0, double lon1)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 10 && rng() % 20 == 0)
			pts[i] = pts[rng() % i];
		else {
			pts[i].lat = urand(lat0, lat1);
			pts[i].lon = urand(lon0, lon1);
		}
		pts[i].live = 1;
	}
}

START_TEST(test_dist_matches_known_distances)
{
	double q = M_PI * R_EARTH / 2;

	ck_assert_double_eq(np_geo_dist(31.23, 121.47, 31.23, 121.47), 0.0);
	ck_assert_double_eq_tol(np_geo_dist(0, 0, 1, 0), R_EARTH * DEG, 1e-6);
	ck_assert_double_eq_tol(np_geo_dist(0, 0, 0, 90), q, 1e-6);
	/* antipodes: asin near 1 costs precision (sqrt of an ulp: ~0.2 m) */
	ck_assert_double_eq_tol(np_geo_dist(90, 0, -90, 0), 2 * q, 0.5);
	ck_assert_double_eq_tol(np_geo_dist(10, 20, -10, -160), 2 * q, 0.5);
	ck_assert_double_eq_tol(np_geo_dist(89, 0, 89, 180), 2 * R_EARTH * DEG,
	    1e-6);
	ck_assert_double_eq_tol(np_geo_dist(0, 179.5, 0, -179.5),
	    R_EARTH * DEG, 1e-6);
	/* Redis' documentation: GEODIST Sicily Palermo Catania */
	ck_assert_double_eq_tol(np_geo_dist(38.115556, 13.361389, 37.502669,
	    15.087269), 166274.1516, 0.5);
	/* symmetric to the bit */
	ck_assert(np_geo_dist(31.2, 121.4, 31.21, 121.43) ==
	    np_geo_dist(31.21, 121.43, 31.2, 121.4));
}
END_TEST

START_TEST(test_valid_rejects_out_of_range_and_non_finite)
{
	ck_assert(np_geo_valid(90, 180) && np_geo_valid(-90, -180));
	ck_assert(!np_geo_valid(90.000001, 0) && !np_geo_valid(0, -180.1));
	ck_assert(!np_geo_valid(NAN, 0) && !np_geo_valid(0, INFINITY));
}
END_TEST

START_TEST(test_put_move_del_get)
{
	struct np_geo_index *ix = np_geo_index_new(200);
	uint32_t id;
	double lat, lon, d;

	ck_assert_ptr_nonnull(ix);
	ck_assert_ptr_null(np_geo_index_new(0));
	ck_assert_int_eq(np_geo_index_put(ix, 5, 31.23, 121.47), 0);
	ck_assert_int_eq(np_geo_index_put(ix, 9, 31.2301, 121.4701), 0);
	ck_assert_int_eq(np_geo_index_put(ix, 1, 95, 0), -1);
	ck_assert_int_eq(np_geo_index_put(ix, NP_GEO_ID_LIMIT, 0, 0), -1);
	ck_assert_uint_eq(np_geo_index_size(ix), 2);
	ck_assert_int_eq(np_geo_index_get(ix, 5, &lat, &lon), 0);
	ck_assert(lat == 31.23 && lon == 121.47);
	ck_assert_int_eq(np_geo_index_get(ix, 6, &lat, &lon), -1);
	ck_assert_int_eq(np_geo_index_get(ix, 100000, &lat, &lon), -1);

	/* a small move stays in its cell, a big one crosses the world */
	ck_assert_int_eq(np_geo_index_put(ix, 5, 31.23001, 121.47001), 0);
	ck_assert_int_eq(np_geo_index_put(ix, 9, -33.86, 151.21), 0);
	ck_assert_uint_eq(np_geo_index_size(ix), 2);
	ck_assert_int_eq(np_geo_index_get(ix, 9, &lat, &lon), 0);
	ck_assert(lat == -33.86 && lon == 151.21);
	ck_assert_int_eq(np_geo_nearest_within(ix, 31.2301, 121.4701, 200,
	    &id, &d), 1);
	ck_assert_uint_eq(id, 5);
	ck_assert_int_eq(np_geo_nearest_within(ix, -33.8601, 151.21, 200,
	    &id, &d), 1);
	ck_assert_uint_eq(id, 9);

	ck_assert_int_eq(np_geo_index_del(ix, 5), 0);
	ck_assert_int_eq(np_geo_index_del(ix, 5), -1);
	ck_assert_int_eq(np_geo_index_del(ix, 77777), -1);
	ck_assert_uint_eq(np_geo_index_size(ix), 1);
	ck_assert_int_eq(np_geo_nearest_within(ix, 31.23, 121.47, 200, &id,
	    &d), 0);
	ck_assert_int_eq(np_geo_nearest(ix, 31.23, 121.47, &id, &d), 1);
	ck_assert_uint_eq(id, 9);
	ck_assert_int_eq(np_geo_index_del(ix, 9), 0);
	ck_assert_int_eq(np_geo_nearest(ix, 31.23, 121.47, &id, &d), 0);
	np_geo_index_free(ix);
	np_geo_index_free(NULL);
}
END_TEST

START_TEST(test_nearest_within_ties_go_to_lower_id)
{
	struct np_geo_index *ix = np_geo_index_new(200);
	uint32_t id;
	double d, d2;

	/* mirror images about the query's meridian: equal to the bit */
	ck_assert_int_eq(np_geo_index_put(ix, 7, 31.2, 121.4005), 0);
	ck_assert_int_eq(np_geo_index_put(ix, 3, 31.2, 121.3995), 0);
	ck_assert_int_eq(np_geo_nearest_within(ix, 31.2, 121.4, 200, &id, &d),
	    1);
	ck_assert_uint_eq(id, 3);
	d2 = np_geo_dist(31.2, 121.4, 31.2, 121.4005);
	ck_assert(d == d2);
	/* a point exactly on the radius is inside */
	ck_assert_int_eq(np_geo_nearest_within(ix, 31.2, 121.4, d2, &id, &d),
	    1);
	ck_assert_int_eq(np_geo_nearest_within(ix, 31.2, 121.4,
	    nextafter(d2, 0), &id, &d), 0);
	np_geo_index_free(ix);
}
END_TEST

START_TEST(test_nearest_within_equals_brute_force)
{
	static const double cells[] = { 50, 200, 1000 };
	static const double radii[] = { 0, 50, 200, 1500 };
	size_t n = 4000;

	rng_state = 42 + (uint64_t)_i;
	gen_box(n, 31.13, 31.33, 121.37, 121.57);
	struct np_geo_index *ix = np_geo_index_new(cells[_i]);
	load(ix, n);
	/* move a third, delete a tenth: exercises the swap-removes */
	for (size_t i = 0; i < n; i++) {
		if (rng() % 3 == 0) {
			pts[i].lat = urand(31.13, 31.33);
			pts[i].lon = urand(121.37, 121.57);
			ck_assert_int_eq(np_geo_index_put(ix, (uint32_t)i,
			    pts[i].lat, pts[i].lon), 0);
		} else if (rng() % 10 == 0) {
			pts[i].live = 0;
			ck_assert_int_eq(np_geo_index_del(ix, (uint32_t)i), 0);
		}
	}
	for (int k = 0; k < 3000; k++) {
		size_t j = rng() % n;
		double lat = urand(31.1, 31.36), lon = urand(121.34, 121.6);

		if (k % 10 == 0) {	/* exactly on a point: ties at 0 m */
			lat = pts[j].lat;
			lon = pts[j].lon;
		}
		check_nearest(ix, n, lat, lon, radii[k % 4]);
	}
	np_geo_index_free(ix);
}
END_TEST

START_TEST(test_nearest_any_distance_equals_brute_force)
{
	struct np_geo_index *ix = np_geo_index_new(200);
	size_t n = 1500;
	uint32_t id = 0, bid = 0;
	double d = 0, bd = 0;

	rng_state = 7;
	ck_assert_int_eq(np_geo_nearest(ix, 0, 0, &id, &d), 0);
	gen_box(n, 31.13, 31.33, 121.37, 121.57);
	for (size_t i = 1000; i < n; i++) {	/* scattered over the globe */
		pts[i].lat = asin(urand(-1, 1)) / DEG;
		pts[i].lon = urand(-180, 180);
	}
	load(ix, n);
	for (int k = 0; k < 2000; k++) {
		double lat = k % 2 ? urand(31, 31.5) : asin(urand(-1, 1)) / DEG;
		double lon = k % 2 ? urand(121.2, 121.7) : urand(-180, 180);

		ck_assert_int_eq(np_geo_nearest(ix, lat, lon, &id, &d), 1);
		ck_assert(brute_nearest(n, lat, lon, INFINITY, &bid, &bd));
		ck_assert_msg(id == bid && d == bd, "%u/%u %.6f/%.6f", id, bid,
		    d, bd);
	}
	/* one far point only: found from the other side of the Earth */
	np_geo_index_free(ix);
	ix = np_geo_index_new(200);
	ck_assert_int_eq(np_geo_index_put(ix, 4, -31.23, -58.53), 0);
	ck_assert_int_eq(np_geo_nearest(ix, 31.23, 121.47, &id, &d), 1);
	ck_assert_uint_eq(id, 4);
	ck_assert_double_eq_tol(d, M_PI * R_EARTH, 0.5);
	np_geo_index_free(ix);
}
END_TEST

static int
keep_even(uint32_t id, void *arg)
{
	(*(int *)arg)++;
	return id % 2 == 0;
}

START_TEST(test_within_sorted_filtered_equals_brute_force)
{
	static struct np_geo_hit out[MAXPTS], ref[MAXPTS];
	static const size_t maxes[] = { 1, 5, 64, MAXPTS };
	struct np_geo_index *ix = np_geo_index_new(200);
	size_t n = 3000, got, nref, max;
	int calls;

	rng_state = 99;
	gen_box(n, 31.2, 31.26, 121.44, 121.5);
	load(ix, n);
	for (int k = 0; k < 400; k++) {
		double lat = urand(31.19, 31.27), lon = urand(121.43, 121.51);
		double r = k % 3 == 0 ? 1000 : 200, d;
		int filt = k % 2;

		max = maxes[k % 4];
		nref = 0;
		for (size_t i = 0; i < n; i++) {
			d = np_geo_dist(lat, lon, pts[i].lat, pts[i].lon);
			if (d <= r && (!filt || i % 2 == 0)) {
				ref[nref].id = (uint32_t)i;
				ref[nref++].dist_m = d;
			}
		}
		qsort(ref, nref, sizeof(ref[0]), np_geo_hit_cmp);
		calls = 0;
		got = np_geo_within(ix, lat, lon, r, filt ? keep_even : NULL,
		    &calls, out, max);
		ck_assert_uint_eq(got, nref < max ? nref : max);
		for (size_t i = 0; i < got; i++)
			ck_assert_msg(out[i].id == ref[i].id &&
			    out[i].dist_m == ref[i].dist_m, "hit %zu", i);
	}
	ck_assert_uint_eq(np_geo_within(ix, 31.23, 121.47, 200, NULL, NULL,
	    out, 0), 0);
	np_geo_index_free(ix);
}
END_TEST

static double
wrap(double lon)
{
	return lon > 180.0 ? lon - 360.0 : lon;
}

/*
 * Random points and queries in a region (lon1 may pass 180: wrapped),
 * against brute force; a few points exactly on lon +-180.
 */
static void
region_vs_brute(double lat0, double lat1, double lon0, double lon1,
    double r)
{
	struct np_geo_index *ix = np_geo_index_new(200);
	size_t n = 2000;
	uint32_t id = 0, bid = 0;
	double d = 0, bd = 0;

	gen_box(n, lat0, lat1, lon0, lon1);
	for (size_t i = 0; i < n; i++)
		pts[i].lon = i % 97 == 0 ? (i % 2 ? 180.0 : -180.0) :
		    wrap(pts[i].lon);
	load(ix, n);
	for (int k = 0; k < 2000; k++) {
		double lat = urand(lat0, lat1), lon = wrap(urand(lon0, lon1));

		check_nearest(ix, n, lat, lon, r);
		if (k % 50 == 0) {
			ck_assert(np_geo_nearest(ix, lat, lon, &id, &d));
			ck_assert(brute_nearest(n, lat, lon, INFINITY, &bid,
			    &bd));
			ck_assert(id == bid && d == bd);
		}
	}
	np_geo_index_free(ix);
}

START_TEST(test_antimeridian_and_poles_equal_brute_force)
{
	struct np_geo_index *ix = np_geo_index_new(200);
	uint32_t id;
	double d;

	rng_state = 1234;
	/* the antimeridian: lon 180 and -180 are one meridian */
	ck_assert_int_eq(np_geo_index_put(ix, 1, 10, 180), 0);
	ck_assert_int_eq(np_geo_index_put(ix, 2, 10.001, -179.9995), 0);
	ck_assert(np_geo_nearest_within(ix, 10, -180, 1, &id, &d) && id == 1);
	ck_assert(np_geo_nearest_within(ix, 10.001, 179.9999, 200, &id, &d) &&
	    id == 2);
	ck_assert(np_geo_nearest_within(ix, 10.0005, -180, 200, &id, &d));
	/* the poles: every longitude is one point */
	ck_assert_int_eq(np_geo_index_put(ix, 3, 90, 0), 0);
	ck_assert_int_eq(np_geo_index_put(ix, 4, -89.9995, 100), 0);
	ck_assert(np_geo_nearest_within(ix, 90, -170, 1e-3, &id, &d) &&
	    id == 3);
	ck_assert(np_geo_nearest_within(ix, -89.9995, -80, 120, &id, &d) &&
	    id == 4);
	ck_assert(np_geo_nearest_within(ix, -90, 0, 100, &id, &d) && id == 4);
	np_geo_index_free(ix);

	for (size_t i = 0; i < MAXPTS; i++)
		pts[i].live = 0;
	region_vs_brute(-0.05, 0.05, 179.9, 180.1, 200);
	region_vs_brute(-0.05, 0.05, 179.99, 180.01, 50);
	region_vs_brute(60, 60.1, 179.9, 180.1, 200);
	region_vs_brute(89.9, 90, -180, 180, 200);
	region_vs_brute(89.9, 90, -180, 180, 5000);
	region_vs_brute(-90, -89.9, -180, 180, 200);
	region_vs_brute(-90, -89.98, -180, 180, 20);
	region_vs_brute(-60, 60, -180, 180, 2e6);
}
END_TEST

/* Redis: the same posts, GEOSEARCH ... ASC COUNT 1 WITHDIST as oracle. */
START_TEST(test_nearest_within_200m_agrees_with_geosearch)
{
	struct np_testredis srv;
	struct np_geo_index *ix = np_geo_index_new(200);
	redisContext *rc;
	redisReply *rep;
	size_t n = 4000, i;
	int nq = 4000, nfound = 0, nboth = 0;

	rng_state = 2024;
	gen_box(3500, 31.13, 31.33, 121.37, 121.57);
	for (i = 3500; i < n; i++) {	/* scattered, within Redis' limits */
		pts[i].lat = urand(-85, 85);
		pts[i].lon = urand(-180, 180);
		pts[i].live = 1;
	}
	load(ix, n);
	ck_assert_int_eq(np_testredis_start(&srv, NULL), 0);
	rc = redisConnect("127.0.0.1", srv.port);
	ck_assert(rc != NULL && rc->err == 0);
	for (i = 0; i < n; i++)
		redisAppendCommand(rc, "GEOADD posts %.17g %.17g %u",
		    pts[i].lon, pts[i].lat, (unsigned)i);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(redisGetReply(rc, (void **)&rep), REDIS_OK);
		ck_assert_int_eq(rep->type, REDIS_REPLY_INTEGER);
		freeReplyObject(rep);
	}
	for (int k = 0; k < nq; k++) {
		double lat = urand(31.12, 31.34), lon = urand(121.36, 121.58);
		double d = 0, rd = 0, dr;
		uint32_t id = 0, rid = 0;
		int f, rf;

		f = np_geo_nearest_within(ix, lat, lon, 200, &id, &d);
		rep = redisCommand(rc, "GEOSEARCH posts FROMLONLAT %.17g %.17g "
		    "BYRADIUS 200 m ASC COUNT 1 WITHDIST", lon, lat);
		ck_assert(rep != NULL && rep->type == REDIS_REPLY_ARRAY);
		rf = rep->elements == 1;
		if (rf) {
			rid = (uint32_t)strtoul(rep->element[0]->element[0]->str,
			    NULL, 10);
			rd = strtod(rep->element[0]->element[1]->str, NULL);
		}
		freeReplyObject(rep);
		nfound += f;
		nboth += f && rf && id == rid;
		if (rf)		/* our distance to Redis' answer */
			dr = np_geo_dist(lat, lon, pts[rid].lat, pts[rid].lon);
		if (f && rf)	/* same point, or two near-equal ones */
			ck_assert_msg(fabs(d - dr) <= TOL_M &&
			    fabs(dr - rd) <= TOL_M, "q %d: %u %.4f vs %u %.4f",
			    k, id, d, rid, rd);
		else if (f)	/* Redis missed ours: at the boundary */
			ck_assert_msg(d > 200 - TOL_M, "q %d: %u at %.4f", k,
			    id, d);
		else if (rf)	/* we missed Redis': at the boundary */
			ck_assert_msg(dr > 200 && dr <= 200 + TOL_M,
			    "q %d: redis %u at %.4f (ours %.4f)", k, rid, rd,
			    dr);
	}
	/* the sample is meaningful: many found, most with the same id */
	fprintf(stderr, "geosearch: %d queries, %d found, %d same id\n", nq,
	    nfound, nboth);
	ck_assert_int_gt(nfound, nq / 4);
	ck_assert_int_lt(nfound, nq * 9 / 10);
	ck_assert_int_ge(nboth, nfound * 9 / 10);
	redisFree(rc);
	np_testredis_stop(&srv);
	np_geo_index_free(ix);
}
END_TEST

static Suite *
geo_suite(void)
{
	Suite *s = suite_create("np_geo");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dist_matches_known_distances);
	tcase_add_test(tc, test_valid_rejects_out_of_range_and_non_finite);
	tcase_add_test(tc, test_put_move_del_get);
	tcase_add_test(tc, test_nearest_within_ties_go_to_lower_id);
	tcase_add_loop_test(tc, test_nearest_within_equals_brute_force, 0, 3);
	tcase_add_test(tc, test_nearest_any_distance_equals_brute_force);
	tcase_add_test(tc, test_within_sorted_filtered_equals_brute_force);
	tcase_add_test(tc, test_antimeridian_and_poles_equal_brute_force);
	tcase_add_test(tc, test_nearest_within_200m_agrees_with_geosearch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(geo_suite());
}
