/*
 * radiogw: the radio gateway, where field units connect (see gw.h).
 * main.c holds the settings, start-up, the counters logged every
 * GW_STATS_S seconds, and the drain on SIGTERM: stop accepting and
 * reading orders, say BYE to every unit (each goes offline), write the
 * positions not yet persisted, let Redis answer, then exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "gw.h"
#include "np_bus.h"
#include "np_city.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"
#include "np_time.h"

#define OFF(f)		offsetof(struct gw_conf, f)

static const struct np_conf_item gw_items[] = {
	{ "radio.addr", NP_CONF_STR, "127.0.0.1", 0, 255, OFF(addr),
	  "address units connect to" },
	{ "radio.port", NP_CONF_INT, "7410", 0, 65535, OFF(port),
	  "TCP port units connect to (0: any free port)" },
	{ "radio.max_line", NP_CONF_INT, "512", 64, 16384, OFF(max_line),
	  "longest line a unit may send (bytes, without \\r\\n)" },
	{ "radio.max_conns", NP_CONF_INT, "2000", 1, 1000000, OFF(max_conns),
	  "most unit connections at once" },
	{ "radio.max_conns_per_source", NP_CONF_INT, "1000", 1, 1000000,
	  OFF(max_conns_per_source), "most connections at once from one "
	  "address (a radio data gateway bridges many units)" },
	{ "radio.max_lines_per_s", NP_CONF_INT, "200", 1, 1000000,
	  OFF(max_lines_per_s), "lines a second per connection (and the "
	  "burst); beyond: NAK rate_limited, a flood is disconnected" },
	{ "radio.resend_ms", NP_CONF_INT, "2000", 50, 600000, OFF(resend_ms),
	  "re-send an unanswered ORDER this often" },
	{ "radio.auth_timeout_ms", NP_CONF_INT, "10000", 50, 3600000,
	  OFF(auth_timeout_ms), "close a connection not authenticated "
	  "this long" },
	{ "radio.max_auth_failures", NP_CONF_INT, "3", 1, 1000,
	  OFF(max_auth_failures), "close a connection after this many "
	  "failed logins (wrong PROOF, PROOF without a challenge, AUTH with "
	  "a secret)" },
	{ "radio.pos_persist_ms", NP_CONF_INT, "5000", 50, 3600000,
	  OFF(pos_persist_ms), "write a unit's position to Redis at most "
	  "this often" },
	{ "radio.max_outbuf", NP_CONF_INT, "65536", 4096, 67108864,
	  OFF(max_outbuf), "unread bytes to a unit before it is dropped as "
	  "a slow reader" },
};

#define NITEMS	(sizeof(gw_items) / sizeof(gw_items[0]))

static void
load_city(struct gw *gw)
{
	struct gw_conf *cf = &gw->conf;
	char err[512];

	if ((gw->city = np_city_new()) == NULL)
		fatalx("out of memory");
	if (np_city_load_file(gw->city, np_city_load_posts, cf->city.posts,
	    err, sizeof(err)) == -1 ||
	    np_city_load_file(gw->city, np_city_load_units, cf->city.units,
	    err, sizeof(err)) == -1 ||
	    np_city_load_file(gw->city, np_city_load_keys, cf->city.keys,
	    err, sizeof(err)) == -1)
		fatalx("city: %s", err);
	if ((gw->units = calloc(gw->city->nunits + 1, sizeof(*gw->units))) ==
	    NULL)
		fatalx("out of memory");
	log_info("%zu units, %zu posts", gw->city->nunits, gw->city->nposts);
}

static void
log_stats(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;
	struct gw_stats *s = &gw->stats;

	log_info("stats: conns %zu (accepted %llu, refused %llu, by source "
	    "%llu), auth %llu "
	    "(failed %llu), lines %llu, nak %llu, rate_limited %llu, floods "
	    "%llu, slow %llu, orders %llu (resent %llu), cancels %llu, "
	    "statuses %llu (%llu batches), unavailable %llu, positions %llu "
	    "(persisted %llu)",
	    gw->nconns, (unsigned long long)s->conns,
	    (unsigned long long)s->refused_conns,
	    (unsigned long long)s->refused_source, (unsigned long long)s->auths,
	    (unsigned long long)s->auth_failures, (unsigned long long)s->lines,
	    (unsigned long long)s->naks, (unsigned long long)s->rate_limited,
	    (unsigned long long)s->floods, (unsigned long long)s->slow_readers,
	    (unsigned long long)s->orders_sent, (unsigned long long)s->resends,
	    (unsigned long long)s->cancels, (unsigned long long)s->statuses,
	    (unsigned long long)s->verb_batches,
	    (unsigned long long)s->unavailable, (unsigned long long)s->positions,
	    (unsigned long long)s->persisted);
}

static size_t
gw_busy(void *arg)
{
	struct gw *gw = arg;

	return gw->nconns + gw->pending;
}

static void
gw_stop(struct np_svc *svc, void *arg)
{
	struct gw *gw = arg;

	evconnlistener_disable(gw->listener);
	np_consumer_free(gw->orders);
	gw->orders = NULL;
	gw_close_all(gw, "shutdown", "the gateway is stopping: reconnect");
	gw_pos_flush(gw);
	np_svc_drain(svc, gw_busy, "connections and Redis writes unfinished",
	    NULL, gw);
}

static void
gw_start(struct gw *gw)
{
	struct np_redis_conf rc;
	struct timeval tv = np_tv_ms(gw->conf.resend_ms);

	TAILQ_INIT(&gw->conns);
	load_city(gw);
	np_svc_redis_conf(&gw->svc, &rc);
	if ((gw->redis = np_redis_new(gw->svc.base, &rc, "radiogw")) == NULL)
		fatalx("cannot set up the Redis connection");
	gw->bus_units = np_svc_pub(&gw->svc, gw->conf.bus.units, "units");
	gw->bus_events = np_svc_pub(&gw->svc, gw->conf.bus.events, "events");
	gw->health = np_svc_health(&gw->svc, NULL, NULL);
	gw->resend_tv = event_base_init_common_timeout(gw->svc.base, &tv);
	if (gw->resend_tv == NULL || gw_pos_start(gw) == -1)
		fatalx("cannot set up timers");
	if (gw_orders_start(gw) == -1)
		fatalx("cannot set up the s:orders consumer");
	if (gw_out_start(gw) == -1)
		fatalx("cannot set up the output");
	if (gw_verbs_start(gw) == -1)
		fatalx("cannot set up the order verbs");
	if (gw_status_start(gw) == -1)
		fatalx("cannot watch the Redis connection");
	if (gw_listen(gw) == -1)
		fatalx("cannot listen on %s:%d", gw->conf.addr, gw->conf.port);
	tv = np_tv_ms(GW_STATS_S * 1000);
	if ((gw->ev_stats = event_new(gw->svc.base, -1, EV_PERSIST, log_stats,
	    gw)) == NULL || event_add(gw->ev_stats, &tv) == -1)
		fatalx("cannot set up timers");
	log_info("listening on %s:%d", gw->conf.addr, gw->conf.port);
}

static void
gw_free(struct gw *gw)
{
	evconnlistener_free(gw->listener);
	if (gw->orders != NULL)
		np_consumer_free(gw->orders);
	gw_verbs_stop(gw);
	gw_conns_free(gw);
	np_redis_free(gw->redis);	/* answers what is left with NULL */
	gw_out_stop(gw);
	np_sock_free(gw->bus_units);
	np_sock_free(gw->bus_events);
	np_sock_free(gw->health);
	event_free(gw->ev_persist);
	event_free(gw->ev_stats);
	np_city_free(gw->city);
	free(gw->units);
}

int
main(int argc, char **argv)
{
	struct gw *gw;
	struct np_conf_table tables[3];

	if ((gw = calloc(1, sizeof(*gw))) == NULL)
		return 1;
	tables[0] = (struct np_conf_table){ gw_items, NITEMS, &gw->conf };
	tables[1] = np_svc_city_items(&gw->conf.city, NP_SVC_CITY_KEYS);
	tables[2] = np_svc_bus_items(&gw->conf.bus, NP_SVC_BUS_UNITS);
	np_svc_init(&gw->svc, "radiogw", "nearpost radio gateway: field units "
	    "connect here (docs/RADIO.md); pushes orders, reports their "
	    "answers and positions.", argc, argv, tables, 3);
	gw_start(gw);
	np_svc_on_stop(&gw->svc, gw_stop, gw);
	np_svc_run(&gw->svc);
	log_stats(-1, 0, gw);
	gw_free(gw);
	np_svc_free(&gw->svc, tables, 3);
	free(gw);
	return 0;
}
