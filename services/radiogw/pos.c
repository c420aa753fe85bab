/*
 * pos.c: unit positions.
 *
 * Every report goes out at once as "unit.position {unit_id,lat,lon,ts}"
 * on the units bus (the router keeps its index live from it; a lost frame
 * is superseded by the next).  Redis gets at most one write per unit every
 * radio.pos_persist_ms -- HSET unit:<id> lat lon pos_ts and GEOADD
 * units:geo -- so that a restarted router, and anyone asking Redis, finds
 * positions at most that old.  A report inside the interval is kept as
 * "dirty" and written by the sweep (a timer of the same period), so the
 * last position of a unit that stops reporting is not lost.
 */
#include <stdio.h>

#include <event2/event.h>

#include "gw.h"
#include "np_city.h"
#include "np_log.h"
#include "np_time.h"

static void
pos_clean(struct gw *gw, struct gw_unit *u)
{
	if (u->dirty) {
		TAILQ_REMOVE(&gw->dirty, u, dirty_entry);
		u->dirty = 0;
	}
}

static void
pos_persist(struct gw *gw, struct gw_unit *u)
{
	const char *id = gw->city->units[u - gw->units].id;
	char ukey[256], gkey[256], lat[32], lon[32], ts[24];
	const char *hset[8] = { "HSET", ukey, "lat", lat, "lon", lon,
	    "pos_ts", ts };
	const char *geo[5] = { "GEOADD", gkey, lon, lat, id };

	snprintf(lat, sizeof(lat), "%.7f", u->lat);
	snprintf(lon, sizeof(lon), "%.7f", u->lon);
	snprintf(ts, sizeof(ts), "%lld", (long long)u->pos_ts);
	if (gw_key(gw, ukey, sizeof(ukey), "unit", id) == -1 ||
	    gw_key(gw, gkey, sizeof(gkey), "units:geo", NULL) == -1 ||
	    gw_redis_fire(gw, "HSET unit position", 8, hset) == -1 ||
	    gw_redis_fire(gw, "GEOADD units:geo", 5, geo) == -1)
		return;		/* stays dirty: the sweep tries again */
	u->persisted_ms = np_mono_ms();
	gw->stats.persisted++;
	pos_clean(gw, u);
}

void
gw_pos_report(struct gw_conn *c, double lat, double lon)
{
	struct gw *gw = c->gw;
	struct gw_unit *u = &gw->units[c->unit];
	json_t *msg;

	u->lat = lat;
	u->lon = lon;
	u->pos_ts = np_now_ms();
	gw->stats.positions++;
	msg = radio_position_msg(gw_conn_unit_id(c), lat, lon, u->pos_ts);
	gw_publish(gw, "unit.position", msg, 1, 0);
	json_decref(msg);
	if (u->persisted_ms == 0 ||
	    np_mono_ms() - u->persisted_ms >= gw->conf.pos_persist_ms)
		pos_persist(gw, u);
	else if (!u->dirty) {
		u->dirty = 1;
		TAILQ_INSERT_TAIL(&gw->dirty, u, dirty_entry);
	}
}

static void
pos_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;
	struct gw_unit *u, *next;
	int64_t now = np_mono_ms();

	TAILQ_FOREACH_SAFE(u, &gw->dirty, dirty_entry, next)
		if (now - u->persisted_ms >= gw->conf.pos_persist_ms)
			pos_persist(gw, u);
}

void
gw_pos_flush(struct gw *gw)
{
	struct gw_unit *u, *next;

	TAILQ_FOREACH_SAFE(u, &gw->dirty, dirty_entry, next)
		pos_persist(gw, u);
}

int
gw_pos_start(struct gw *gw)
{
	struct timeval tv = np_tv_ms(gw->conf.pos_persist_ms);

	TAILQ_INIT(&gw->dirty);
	gw->ev_persist = event_new(gw->svc.base, -1, EV_PERSIST, pos_sweep,
	    gw);
	return gw->ev_persist == NULL ? -1 : event_add(gw->ev_persist, &tv);
}
