/*
 * bench_geo: the owning-post lookup (nearest post within 200 m) on one
 * core, over 100,000 posts clustered like a country's posts are (a few
 * metropolitan areas: a dense core, a sparser ring), then the same queries
 * through a real redis-server's GEOSEARCH (pipelined), whose answers must
 * agree with ours within 1 m (Redis quantises coordinates to a 52-bit
 * geohash).  Prints each figure beside its target; exits non-zero only on
 * a wrong answer (or when it cannot run), never on a missed target.
 *
 * usage: bench_geo [queries [redis-queries [cell-metres]]]
 */
#define _GNU_SOURCE		/* sched_setaffinity */
#include <sched.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "np_geo.h"
#include "np_testredis.h"

#define NPOSTS		100000
#define RADIUS_M	200.0
#define TOL_M		1.0
#define BATCH		1000		/* GEOADD members, pipelined queries */
#define TARGET_QPS	1e6
#define TARGET_RATIO	20.0

struct metro {
	const char	*name;
	double		 lat, lon;
	double		 share;		/* of the posts */
};

static const struct metro metros[] = {
	{ "Shanghai",	31.23, 121.47, 0.30 },
	{ "Beijing",	39.90, 116.40, 0.25 },
	{ "Guangzhou",	23.13, 113.26, 0.20 },
	{ "Chengdu",	30.66, 104.07, 0.15 },
	{ "Wuhan",	30.59, 114.30, 0.10 },
};
#define NMETROS		(sizeof(metros) / sizeof(metros[0]))

struct pt {
	double	lat, lon;
};

struct answer {
	int		found;
	uint32_t	id;
	double		dist;
};

static uint64_t rng_state = 20240601;

static double
urand(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

/* A point of a metro: 70% a Gaussian core (sigma 6 km), 30% a 25 km disk. */
static struct pt
metro_point(void)
{
	const struct metro *m = &metros[NMETROS - 1];
	double u = urand(), acc = 0, r, t, dn, de;
	struct pt p;

	for (size_t i = 0; i < NMETROS; i++)
		if (u < (acc += metros[i].share)) {
			m = &metros[i];
			break;
		}
	t = 2 * M_PI * urand();
	if (urand() < 0.7)
		r = 6000.0 * sqrt(-2.0 * log(1.0 - urand()));
	else
		r = 25000.0 * sqrt(urand());
	dn = r * cos(t);
	de = r * sin(t);
	p.lat = m->lat + dn / 111195.0;
	p.lon = m->lon + de / (111195.0 * cos(m->lat * M_PI / 180.0));
	return p;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t
heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static const char *
met(int ok)
{
	return ok ? "met" : "MISSED";
}

/* GEOADD every post, BATCH members a command, pipelined. */
static int
redis_load(redisContext *rc, const struct pt *posts, size_t n)
{
	static char buf[BATCH * 3][32];
	static const char *argv[2 + BATCH * 3];
	redisReply *rep;
	size_t i, j, k, ncmd = 0;
	int ok = 0;

	for (i = 0; i < n; i += BATCH, ncmd++) {
		argv[0] = "GEOADD";
		argv[1] = "posts";
		for (j = i, k = 0; j < n && j < i + BATCH; j++, k += 3) {
			snprintf(buf[k], 32, "%.17g", posts[j].lon);
			snprintf(buf[k + 1], 32, "%.17g", posts[j].lat);
			snprintf(buf[k + 2], 32, "%zu", j);
			argv[2 + k] = buf[k];
			argv[3 + k] = buf[k + 1];
			argv[4 + k] = buf[k + 2];
		}
		redisAppendCommandArgv(rc, (int)(2 + k), argv, NULL);
	}
	for (i = 0; i < ncmd; i++) {
		if (redisGetReply(rc, (void **)&rep) != REDIS_OK)
			return -1;
		if (rep->type == REDIS_REPLY_INTEGER)
			ok++;
		freeReplyObject(rep);
	}
	return ok == (int)ncmd ? 0 : -1;
}

/* Compare one GEOSEARCH reply with our answer; 1 if beyond tolerance. */
static int
mismatch(const struct pt *posts, const struct pt *q, const struct answer *a,
    redisReply *rep, int *same)
{
	uint32_t rid;
	double rd, dr;

	*same = 0;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements > 1)
		return 1;
	if (rep->elements == 0)		/* Redis: none; ours at the edge? */
		return a->found && a->dist <= RADIUS_M - TOL_M;
	rid = (uint32_t)strtoul(rep->element[0]->element[0]->str, NULL, 10);
	rd = strtod(rep->element[0]->element[1]->str, NULL);
	if (rid >= NPOSTS)
		return 1;
	dr = np_geo_dist(q->lat, q->lon, posts[rid].lat, posts[rid].lon);
	if (fabs(dr - rd) > TOL_M)
		return 1;
	if (!a->found)			/* ours: none; Redis' at the edge? */
		return !(dr > RADIUS_M && dr <= RADIUS_M + TOL_M);
	*same = a->id == rid;
	return fabs(a->dist - dr) > TOL_M;
}

static double
redis_run(const struct pt *posts, const struct pt *qs,
    const struct answer *ans, size_t nq, size_t *bad, size_t *differ)
{
	struct np_testredis srv;
	redisContext *rc;
	redisReply *rep;
	double t0, t;
	size_t i, j;
	int same;

	*bad = *differ = 0;
	if (np_testredis_start(&srv, NULL) == -1) {
		fprintf(stderr, "bench_geo: cannot start redis-server\n");
		return -1;
	}
	if ((rc = redisConnect("127.0.0.1", srv.port)) == NULL || rc->err ||
	    redis_load(rc, posts, NPOSTS) == -1) {
		fprintf(stderr, "bench_geo: cannot load redis\n");
		np_testredis_stop(&srv);
		return -1;
	}
	t0 = now();
	for (i = 0; i < nq; i += BATCH) {
		for (j = i; j < nq && j < i + BATCH; j++)
			redisAppendCommand(rc, "GEOSEARCH posts FROMLONLAT "
			    "%.17g %.17g BYRADIUS 200 m ASC COUNT 1 WITHDIST",
			    qs[j].lon, qs[j].lat);
		for (j = i; j < nq && j < i + BATCH; j++) {
			if (redisGetReply(rc, (void **)&rep) != REDIS_OK) {
				(*bad)++;
				continue;
			}
			*bad += mismatch(posts, &qs[j], &ans[j], rep, &same);
			*differ += !same && ans[j].found && rep->elements;
			freeReplyObject(rep);
		}
	}
	t = now() - t0;
	redisFree(rc);
	np_testredis_stop(&srv);
	return nq / t;
}

int
main(int argc, char *argv[])
{
	size_t nq = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
	size_t nr = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	double cell = argc > 3 ? strtod(argv[3], NULL) : RADIUS_M;
	struct np_geo_index *ix;
	struct pt *posts, *qs;
	struct answer *ans;
	size_t i, mem0, mem, found = 0, bad, differ;
	double t0, tb, tq, qps, rqps;
	uint64_t sum = 0;
	cpu_set_t cpus;

	if (nq == 0 || nr > nq) {
		fprintf(stderr, "usage: bench_geo [queries [redis-queries "
		    "[cell-metres]]] (redis-queries <= queries)\n");
		return 1;
	}
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	(void)sched_setaffinity(0, sizeof(cpus), &cpus);	/* one core */

	posts = calloc(NPOSTS, sizeof(*posts));
	qs = calloc(nq, sizeof(*qs));
	ans = calloc(nr, sizeof(*ans));
	if (posts == NULL || qs == NULL || ans == NULL)
		return 1;
	for (i = 0; i < NPOSTS; i++)
		posts[i] = metro_point();
	for (i = 0; i < nq; i++)	/* incidents where people are */
		qs[i] = metro_point();

	mem0 = heap_bytes();
	t0 = now();
	if ((ix = np_geo_index_new(cell)) == NULL)
		return 1;
	for (i = 0; i < NPOSTS; i++)
		if (np_geo_index_put(ix, (uint32_t)i, posts[i].lat,
		    posts[i].lon) == -1)
			return 1;
	tb = now() - t0;
	mem = heap_bytes() - mem0;

	t0 = now();
	for (i = 0; i < nq; i++) {
		uint32_t id = 0;
		double d = 0;
		int f = np_geo_nearest_within(ix, qs[i].lat, qs[i].lon,
		    RADIUS_M, &id, &d);

		found += f;
		sum += f ? id : 0;
		if (i < nr) {
			ans[i].found = f;
			ans[i].id = id;
			ans[i].dist = d;
		}
	}
	tq = now() - t0;
	qps = nq / tq;

	printf("bench_geo: %d posts in %zu metropolitan areas, cell %.0f m, "
	    "one core\n", NPOSTS, NMETROS, cell);
	printf("  build         %d puts in %.1f ms (%.2f M puts/s)\n", NPOSTS,
	    tb * 1e3, NPOSTS / tb / 1e6);
	printf("  memory        %.2f MB, %.1f B/post\n", mem / 1048576.0,
	    (double)mem / NPOSTS);
	printf("  nearest <=200 m  %zu queries: %.0f q/s, %.0f ns/query, "
	    "%.1f%% found (checksum %llu)\n", nq, qps, tq / nq * 1e9,
	    100.0 * found / nq, (unsigned long long)sum);
	printf("                target >= 1,000,000 q/s: %s\n",
	    met(qps >= TARGET_QPS));
	fflush(stdout);

	if ((rqps = redis_run(posts, qs, ans, nr, &bad, &differ)) < 0)
		return 1;
	printf("  redis GEOSEARCH  %zu queries, pipelined by %d: %.0f q/s, "
	    "%.0f ns/query\n", nr, BATCH, rqps, 1e9 / rqps);
	printf("  ratio         %.1fx GEOSEARCH\n", qps / rqps);
	printf("                target >= 20x GEOSEARCH: %s\n",
	    met(qps / rqps >= TARGET_RATIO));
	printf("  answers       %zu compared, %zu mismatches beyond %.0f m "
	    "(%zu other ids within tolerance): %s\n", nr, bad, TOL_M, differ,
	    bad == 0 ? "match" : "WRONG");
	/* the lines scripts/bench.sh gathers into its table */
	printf("@@ geo nearest post | %.2f M queries/s, one core | "
	    ">= 1 M/s | %s\n", qps / 1e6, qps >= TARGET_QPS ? "yes" : "NO");
	printf("@@ geo vs GEOSEARCH | %.1fx (GEOSEARCH %.0f k/s), %zu answers, "
	    "%zu beyond %.0f m | >= 20x, answers match | %s\n", qps / rqps,
	    rqps / 1e3, nr, bad, TOL_M,
	    qps / rqps >= TARGET_RATIO && bad == 0 ? "yes" : "NO");
	np_geo_index_free(ix);
	free(posts);
	free(qs);
	free(ans);
	return bad == 0 ? 0 : 1;
}
