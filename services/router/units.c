/*
 * units.c: where the units are and whether they are free, kept in the
 * map from two sources.
 *
 * Redis (unit:<id> hashes: status, lat, lon, pos_ts) is read at start
 * and every route.refresh_s: HGETALL per unit, SYNC_BATCH at a time.  A
 * unit without a hash is at its home position and available.  The units
 * bus (SUB, bound: radiogw and the commander connect) carries positions,
 * superseded every few seconds, and unit.status hints; it is faster than
 * Redis but drops frames, which the periodic re-read repairs.  Between
 * the two: a position replaces only an older one (pos_ts), and a status
 * the bus gave while a sync was running wins over that sync's reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_bus.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_time.h"
#include "router.h"

#define SYNC_BATCH	256
#define SYNC_RETRY_MS	1000

struct sync_op {
	struct router	*r;
	uint32_t	 unit;
	uint32_t	 gen;
};

static void
on_frame(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	struct router *r = arg;
	struct router_unit_msg u;
	char err[256];
	long i;

	if (router_unit_msg_parse(msg, len, &u, err, sizeof(err)) == -1) {
		log_debug("units bus: frame refused: %s", err);
		return;
	}
	if ((i = np_city_unit(r->city, u.unit_id)) == -1) {
		log_debug("units bus: unknown unit %s", u.unit_id);
		return;
	}
	if (u.position) {
		if (router_map_position(r->map, (size_t)i, u.lat, u.lon,
		    u.ts) == 1)
			r->stats.positions++;
	} else if (u.status >= 0) {
		router_map_status(r->map, (size_t)i, u.status);
		r->map->live[i].hinted = r->sync_gen;
		r->stats.statuses++;
	}
}

/* One unit:<id> hash into the map. */
static void
sync_apply(struct router *r, uint32_t i, const redisReply *h)
{
	const char *status = NULL, *lat = NULL, *lon = NULL, *ts = NULL;
	struct router_unit *u = &r->map->live[i];
	char *e1, *e2;
	double la, lo;
	int st;

	for (size_t k = 0; k + 1 < h->elements; k += 2) {
		const char *f = h->element[k]->str, *v = h->element[k + 1]->str;

		if (f == NULL || v == NULL)
			continue;
		if (strcmp(f, "status") == 0)
			status = v;
		else if (strcmp(f, "lat") == 0)
			lat = v;
		else if (strcmp(f, "lon") == 0)
			lon = v;
		else if (strcmp(f, "pos_ts") == 0)
			ts = v;
	}
	if (u->hinted != r->sync_gen) {
		if (status == NULL)
			st = ROUTER_ST_AVAILABLE;
		else if ((st = router_status_parse(status)) == -1) {
			log_warnx("unit %s: unknown status \"%s\", not routed",
			    r->city->units[i].id, status);
			st = ROUTER_ST_UNKNOWN;
		}
		router_map_status(r->map, i, st);
	}
	if (lat == NULL || lon == NULL)
		return;
	la = strtod(lat, &e1);
	lo = strtod(lon, &e2);
	if (e1 == lat || *e1 != '\0' || e2 == lon || *e2 != '\0' ||
	    router_map_position(r->map, i, la, lo, ts != NULL ?
	    strtoll(ts, NULL, 10) : 0) == -1)
		log_warnx("unit %s: bad position in Redis (%s, %s)",
		    r->city->units[i].id, lat, lon);
}

static void sync_more(struct router *);

static void
sync_reply(struct np_redis *rd, struct redisReply *rep, void *arg)
{
	struct sync_op *op = arg;
	struct router *r = op->r;

	r->sync_wait--;
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		if (!r->sync_broken && rep != NULL)
			log_warnx("unit %s: HGETALL: %s",
			    r->city->units[op->unit].id,
			    rep->type == REDIS_REPLY_ERROR ? rep->str :
			    "unexpected reply");
		r->sync_broken = 1;
	} else if (op->gen == r->sync_gen)
		sync_apply(r, op->unit, rep);
	free(op);
	sync_more(r);
}

static void
sync_again(struct router *r, int ms)
{
	struct timeval tv = np_tv_ms(ms);

	if (r->sync_ev != NULL && !r->svc.stopping)
		evtimer_add(r->sync_ev, &tv);
}

static void
sync_finished(struct router *r)
{
	if (r->svc.stopping)
		return;
	if (r->sync_broken) {
		log_warnx("unit state from Redis incomplete; again in %d ms",
		    SYNC_RETRY_MS);
		sync_again(r, SYNC_RETRY_MS);
		return;
	}
	log_info("state of %zu units read from Redis", r->city->nunits);
	if (r->conf.refresh_s > 0)
		sync_again(r, r->conf.refresh_s * 1000);
	if (!r->synced) {
		r->synced = 1;
		if (r->on_synced != NULL)
			r->on_synced(r);
	}
}

static void
sync_more(struct router *r)
{
	char key[256];
	struct sync_op *op;

	while (!r->sync_broken && r->sync_wait < SYNC_BATCH &&
	    r->sync_next < r->city->nunits) {
		if ((op = malloc(sizeof(*op))) == NULL) {
			r->sync_broken = 1;
			break;
		}
		*op = (struct sync_op){ r, (uint32_t)r->sync_next,
		    r->sync_gen };
		np_svc_key(&r->svc, key, sizeof(key), "unit:%s",
		    r->city->units[r->sync_next].id);
		if (np_redis_cmdf(r->redis, sync_reply, op, "HGETALL %s",
		    key) == -1) {
			free(op);
			r->sync_broken = 1;
			break;
		}
		r->sync_wait++;
		r->sync_next++;
	}
	if (r->sync_wait == 0 && (r->sync_broken ||
	    r->sync_next == r->city->nunits)) {
		r->sync_next = r->city->nunits + 1;	/* no sync running */
		sync_finished(r);
	}
}

void
router_units_sync(struct router *r)
{
	if (r->sync_next <= r->city->nunits || r->svc.stopping)
		return;				/* one sync at a time */
	if (!np_redis_connected(r->redis)) {
		sync_again(r, SYNC_RETRY_MS);
		return;
	}
	r->sync_gen++;
	r->sync_next = 0;
	r->sync_broken = 0;
	sync_more(r);
}

static void
sync_tick(evutil_socket_t fd, short what, void *arg)
{
	router_units_sync(arg);
}

int
router_units_start(struct router *r, const char *endpoint)
{
	r->sync_next = r->city->nunits + 1;
	if ((r->sync_ev = evtimer_new(r->svc.base, sync_tick, r)) == NULL)
		return -1;
	r->bus_units = np_sock_new(r->svc.base, NP_SOCK_SUB, endpoint, 1,
	    on_frame, r);
	if (r->bus_units == NULL ||
	    np_bus_subscribe(r->bus_units, "unit.position ") == -1 ||
	    np_bus_subscribe(r->bus_units, "unit.status ") == -1)
		return -1;
	return 0;
}

void
router_units_stop(struct router *r)
{
	if (r->sync_ev != NULL)
		event_free(r->sync_ev);
	r->sync_ev = NULL;
	if (r->bus_units != NULL)
		np_sock_free(r->bus_units);
	r->bus_units = NULL;
}
