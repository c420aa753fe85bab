/*
 * router: the route stage of nearpost (see router.h).  main.c holds the
 * settings, the start-up order and the drain on SIGTERM.
 *
 * Start-up: city and plans (a bad file is fatal, with the file's own
 * message), the map, the units bus (bound first, so no hint is missed
 * while Redis is read), then, once the unit state has been read from
 * Redis, the REP socket for queries and the s:incidents consumer -- so
 * neither answers from the home positions of a fresh map.
 *
 * Drain: keep answering Redis until every decision sent has its answer
 * and its XACK is confirmed (at most DRAIN_MAX_MS), then exit; what is
 * not acked stays pending for the next start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "np_bus.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"
#include "np_time.h"
#include "router.h"

#define OFF(f)		offsetof(struct router_conf, f)

#define SPEED(kind, idx, def) \
	{ "route.speed." kind, NP_CONF_DOUBLE, def, 0.1, 100, \
	  OFF(speed[idx]), "speed of a " kind " (m/s)" }

static const struct np_conf_item router_items[] = {
	{ "route.post_radius_m", NP_CONF_DOUBLE, "200", 1, 100000,
	  OFF(post_radius_m), "the owning post is the nearest within this "
	  "distance (else the nearest at all: a coverage gap)" },
	{ "route.detour", NP_CONF_DOUBLE, "1.3", 1, 5, OFF(detour),
	  "road distance / straight distance, for arrival estimates" },
	SPEED("grid_worker", NP_UNIT_GRID_WORKER, "1.4"),
	SPEED("guard", NP_UNIT_GUARD, "1.4"),
	SPEED("post_team", NP_UNIT_POST_TEAM, "2.5"),
	SPEED("mcu", NP_UNIT_MCU, "5.0"),
	SPEED("patrol_car", NP_UNIT_PATROL_CAR, "8.3"),
	SPEED("special", NP_UNIT_SPECIAL, "8.3"),
	{ "route.candidates", NP_CONF_INT, "8", 1, ROUTER_CAND_MAX,
	  OFF(candidates), "ranked candidate units per tier" },
	{ "route.refresh_s", NP_CONF_INT, "60", 0, 86400, OFF(refresh_s),
	  "re-read unit state from Redis this often (0: only at start)" },
};
#define NITEMS	(sizeof(router_items) / sizeof(router_items[0]))

static void
load_city(struct router *r)
{
	struct router_params p;
	char err[512];

	if ((r->city = np_city_new()) == NULL ||
	    (r->plans = calloc(1, sizeof(*r->plans))) == NULL)
		fatalx("out of memory");
	if (np_city_load_file(r->city, np_city_load_posts, r->conf.city.posts,
	    err, sizeof(err)) == -1 ||
	    np_city_load_file(r->city, np_city_load_units, r->conf.city.units,
	    err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (np_plans_load_file(r->plans, r->conf.city.plans, err,
	    sizeof(err)) == -1)
		fatalx("plans.file: %s", err);
	router_params_defaults(&p);
	p.post_radius_m = r->conf.post_radius_m;
	p.detour = r->conf.detour;
	memcpy(p.speed, r->conf.speed, sizeof(p.speed));
	p.candidates = r->conf.candidates;
	if ((r->map = router_map_new(r->city, r->plans, &p, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("%zu posts, %zu units, %zu incident types", r->city->nposts,
	    r->city->nunits, r->plans->ntypes);
}

static char *
on_query(const char *msg, size_t len, size_t *replylen, void *arg)
{
	struct router *r = arg;

	r->stats.queries++;
	return router_query(r->map, msg, len, replylen);
}

/* The unit state is read: answer queries, route incidents. */
static void
on_synced(struct router *r)
{
	char ep[NP_SVC_ENDPOINT_MAX];

	np_svc_endpoint(&r->svc, r->conf.bus.router, "router", ep, sizeof(ep));
	if ((r->bus_router = np_rep_new(r->svc.base, ep, on_query, r)) == NULL)
		log_warnx("query endpoint %s unavailable; routing without it",
		    ep);
	else
		log_info("answering queries on %s", ep);
	if (router_incidents_start(r) == -1)
		fatalx("cannot set up the s:incidents consumer");
}

static void
on_redis(struct np_redis *rd, int connected, void *arg)
{
	struct router *r = arg;

	if (connected && !r->synced)
		router_units_sync(r);
}

/* decisions waiting for Redis, then their acks */
static size_t
router_busy(void *arg)
{
	struct router *r = arg;

	return r->inflight + (r->incidents != NULL ?
	    np_consumer_inflight(r->incidents) : 0);
}

static void
router_stop(struct np_svc *svc, void *arg)
{
	struct router *r = arg;

	np_sock_free(r->bus_router);
	r->bus_router = NULL;
	np_svc_drain(svc, router_busy, "decisions or acks unfinished (their "
	    "entries stay pending)", NULL, r);
}

static void
start(struct router *r)
{
	struct np_redis_conf rc;
	char ep[NP_SVC_ENDPOINT_MAX];

	np_svc_redis_conf(&r->svc, &rc);
	if ((r->redis = np_redis_new(r->svc.base, &rc, "router")) == NULL)
		fatalx("cannot set up the Redis connection");
	np_redis_set_state_cb(r->redis, on_redis, r);
	np_svc_endpoint(&r->svc, r->conf.bus.units, "units", ep, sizeof(ep));
	if (router_units_start(r, ep) == -1)
		fatalx("cannot bind the units bus %s", ep);
	log_info("units bus on %s", ep);
	r->bus_events = np_svc_pub(&r->svc, r->conf.bus.events, "events");
	r->health = np_svc_health(&r->svc, NULL, NULL);
	r->on_synced = on_synced;
}

int
main(int argc, char **argv)
{
	struct np_conf_table tables[5];
	struct router *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return 1;
	TAILQ_INIT(&r->pending);
	LIST_INIT(&r->batches);
	tables[0] = (struct np_conf_table){ router_items, NITEMS, &r->conf };
	tables[1] = np_svc_city_items(&r->conf.city, NP_SVC_CITY_MAP);
	tables[2] = np_svc_plans_items(&r->conf.city);
	tables[3] = np_svc_bus_items(&r->conf.bus, NP_SVC_BUS_ROUTER);
	tables[4] = np_svc_stream_items(&r->conf.stream);
	np_svc_init(&r->svc, "router", "nearpost router: owning post and "
	    "ranked candidate units for each new incident.", argc, argv,
	    tables, 5);
	load_city(r);
	router_incidents_init(r);
	start(r);
	np_svc_on_stop(&r->svc, router_stop, r);
	np_svc_run(&r->svc);

	log_info("routed %llu, replays acked %llu, refused %llu, script "
	    "errors %llu, positions %llu, status hints %llu, queries %llu",
	    r->stats.routed, r->stats.replayed, r->stats.bad, r->stats.failed,
	    r->stats.positions, r->stats.statuses, r->stats.queries);
	router_incidents_stop(r);
	router_units_stop(r);
	np_sock_free(r->bus_router);
	np_sock_free(r->bus_events);
	np_sock_free(r->health);
	np_redis_free(r->redis);
	router_map_free(r->map);
	np_city_free(r->city);
	free(r->plans);
	np_svc_free(&r->svc, tables, 5);
	free(r);
	return 0;
}
