/*
 * test_router_geosearch: the router's owning post agrees with Redis.
 * The posts of the real sample city (deploy/city/posts.geojson), and then
 * of a large synthetic one, are GEOADDed to a real redis-server; for
 * thousands of random points across and around the district the
 * router's answer (router_post: nearest within 200 m, else the nearest
 * at all and a coverage gap) is compared with
 *
 *   GEOSEARCH posts FROMLONLAT lon lat BYRADIUS 200 m ASC COUNT 1 WITHDIST
 *
 * and, for the gaps, the same BYRADIUS 100 km.  Redis stores coordinates
 * as 52-bit geohashes, so answers may differ by about a metre: at the
 * 200 m boundary, and between two near-equal posts (then both are
 * within TOL_M of each other).  Both sides must otherwise agree, gaps
 * included; the samples are checked to hold both kinds of answers.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_testloop.h"
#include "np_testredis.h"
#include "test_router_city.h"

#define TOL_M		1.0
#define POINTS		5000
#define BATCH		500
#define FAR_M		100000

struct oracle {
	int	found;
	long	post;
	double	dist;		/* as Redis says */
};

struct tally {
	int	owned, gaps, same;
};

static redisContext *
redis_posts(struct np_testredis *srv, const struct np_city *c)
{
	redisContext *rc;
	redisReply *rep;
	size_t i;

	ck_assert_int_eq(np_testredis_start(srv, NULL), 0);
	rc = redisConnect("127.0.0.1", srv->port);
	ck_assert(rc != NULL && rc->err == 0);
	for (i = 0; i < c->nposts; i++)
		redisAppendCommand(rc, "GEOADD posts %.17g %.17g %u",
		    c->posts[i].lon, c->posts[i].lat, (unsigned)i);
	for (i = 0; i < c->nposts; i++) {
		ck_assert_int_eq(redisGetReply(rc, (void **)&rep), REDIS_OK);
		ck_assert_int_eq(rep->type, REDIS_REPLY_INTEGER);
		freeReplyObject(rep);
	}
	return rc;
}

static void
oracle_read(redisContext *rc, struct oracle *o)
{
	redisReply *rep;

	ck_assert_int_eq(redisGetReply(rc, (void **)&rep), REDIS_OK);
	ck_assert(rep->type == REDIS_REPLY_ARRAY && rep->elements <= 1);
	o->found = rep->elements == 1;
	if (o->found) {
		o->post = strtol(rep->element[0]->element[0]->str, NULL, 10);
		o->dist = strtod(rep->element[0]->element[1]->str, NULL);
	}
	freeReplyObject(rep);
}

/* GEOSEARCH within radius for each point, pipelined by BATCH. */
static void
oracle_run(redisContext *rc, const double (*pts)[2], size_t n,
    double radius, struct oracle *out)
{
	for (size_t i = 0; i < n; i += BATCH) {
		size_t j;

		for (j = i; j < n && j < i + BATCH; j++)
			redisAppendCommand(rc, "GEOSEARCH posts FROMLONLAT "
			    "%.17g %.17g BYRADIUS %.0f m ASC COUNT 1 WITHDIST",
			    pts[j][1], pts[j][0], radius);
		for (j = i; j < n && j < i + BATCH; j++)
			oracle_read(rc, &out[j]);
	}
}

/* One point: ours against Redis' within-200 m and nearest answers. */
static void
compare(const struct np_city *c, const double *pt, const struct router_post *p,
    const struct oracle *near, const struct oracle *far, struct tally *t)
{
	const struct oracle *o = p->gap ? far : near;
	double dr;

	if (near->found && p->gap) {	/* Redis has one at the boundary */
		dr = np_geo_dist(pt[0], pt[1], c->posts[near->post].lat,
		    c->posts[near->post].lon);
		ck_assert_msg(dr > 200 && dr <= 200 + TOL_M && p->dist_m <= dr,
		    "(%.7f, %.7f): redis %s at %.4f, ours a gap (%s at %.4f)",
		    pt[0], pt[1], c->posts[near->post].id, near->dist,
		    c->posts[p->post].id, p->dist_m);
		return;
	}
	if (!near->found && !p->gap) {	/* ours at the boundary */
		ck_assert_msg(p->dist_m > 200 - TOL_M, "(%.7f, %.7f): ours %s "
		    "at %.4f, redis none", pt[0], pt[1], c->posts[p->post].id,
		    p->dist_m);
		t->owned++;
		return;
	}
	ck_assert_msg(o->found, "(%.7f, %.7f): redis has no post within "
	    "%d m", pt[0], pt[1], FAR_M);
	dr = np_geo_dist(pt[0], pt[1], c->posts[o->post].lat,
	    c->posts[o->post].lon);
	ck_assert_msg(fabs(p->dist_m - dr) <= TOL_M && fabs(dr - o->dist) <=
	    TOL_M, "(%.7f, %.7f): ours %s at %.4f, redis %s at %.4f", pt[0],
	    pt[1], c->posts[p->post].id, p->dist_m, c->posts[o->post].id,
	    o->dist);
	t->same += (long)p->post == o->post;
	t->gaps += p->gap;
	t->owned += !p->gap;
}

/* n random points in the box widened by margin_m on every side. */
static struct tally
agree(const struct np_city *c, double lat0, double lat1, double lon0,
    double lon1, double margin_m, size_t n)
{
	static double pts[POINTS][2];
	static struct oracle near[POINTS], far[POINTS];
	struct np_testredis srv;
	struct router_params prm;
	struct router_map *m;
	struct router_post p;
	struct tally t = { 0, 0, 0 };
	double dlat = margin_m / TC_M_PER_DEG;
	double dlon = dlat / cos(lat0 * M_PI / 180.0);
	redisContext *rc;
	char err[256];

	ck_assert_uint_le(n, POINTS);
	router_params_defaults(&prm);
	m = router_map_new(c, &tc_plans, &prm, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	for (size_t i = 0; i < n; i++) {
		pts[i][0] = tc_urand(lat0 - dlat, lat1 + dlat);
		pts[i][1] = tc_urand(lon0 - dlon, lon1 + dlon);
	}
	rc = redis_posts(&srv, c);
	oracle_run(rc, pts, n, 200, near);
	oracle_run(rc, pts, n, FAR_M, far);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(router_post(m, pts[i][0], pts[i][1], &p), 0);
		compare(c, pts[i], &p, &near[i], &far[i], &t);
	}
	fprintf(stderr, "geosearch: %zu points, %d owned, %d gaps, %d same "
	    "post as Redis\n", n, t.owned, t.gaps, t.same);
	redisFree(rc);
	np_testredis_stop(&srv);
	router_map_free(m);
	return t;
}

START_TEST(sample_city_agrees_with_geosearch)
{
	struct np_city *c = np_city_new();
	struct tally t;
	char err[512];

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(np_city_load_file(c, np_city_load_posts, NP_SRC_DIR
	    "/deploy/city/posts.geojson", err, sizeof(err)) == 0, "%s", err);
	tc_reset();
	/* the district of deploy/city/README.md, and 600 m around it */
	t = agree(c, 31.2228, 31.2372, 121.4595, 121.4805, 600, POINTS);
	ck_assert_int_gt(t.owned, POINTS / 4);
	ck_assert_int_gt(t.gaps, POINTS / 10);
	ck_assert_int_ge(t.same, POINTS * 99 / 100);
	np_city_free(c);
}
END_TEST

START_TEST(synthetic_city_agrees_with_geosearch)
{
	struct tally t;

	tc_reset();
	tc_rng_state = 7;
	for (int i = 0; i < 3000; i++)	/* a dense core, a sparse ring */
		tc_post(tc_urand(-1, 1) * (i % 3 ? 1500 : 6000),
		    tc_urand(-1, 1) * (i % 3 ? 1500 : 6000));
	t = agree(&tc_city, TC_LAT - 0.05, TC_LAT + 0.05, TC_LON - 0.06,
	    TC_LON + 0.06, 1000, POINTS);
	ck_assert_int_gt(t.owned, POINTS / 10);
	ck_assert_int_gt(t.gaps, POINTS / 4);
	ck_assert_int_ge(t.same, POINTS * 99 / 100);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("router_geosearch");
	TCase *tc = tcase_create("geosearch");

	tcase_add_test(tc, sample_city_agrees_with_geosearch);
	tcase_add_test(tc, synthetic_city_agrees_with_geosearch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
