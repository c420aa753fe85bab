/*
 * commander: the command stage of nearpost (see commander.h).  main.c
 * holds the settings, start-up (city, units, buses, then the two stream
 * consumers and the ack timer) and the drain on SIGTERM: stop taking
 * entries, let the script calls already sent get their answers (their
 * entries are acked), flush the acks, exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "commander.h"
#include "np_bus.h"
#include "np_city.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"
#include "np_time.h"

#define OFF(f)		offsetof(struct commander_conf, f)

static const struct np_conf_item commander_items[] = {
	{ "command.ack_timeout_ms", NP_CONF_INT, "15000", 100, 3600000,
	  OFF(ack_timeout_ms), "a unit that does not acknowledge an order "
	  "this long turns unreachable and the next candidate is sent "
	  "(the same for every commander)" },
	{ "command.sweep_max", NP_CONF_INT, "100", 1, 10000, OFF(sweep_max),
	  "most expired orders handled by one script run" },
	{ "command.retry_ms", NP_CONF_INT, "100", 10, 10000, OFF(retry_ms),
	  "first delay before a script call is sent again while Redis is "
	  "unreachable (doubles up to 2 s)" },
};

/* gap: nothing waits for the stream (stream.gap_ms) */
static struct np_consumer *
consume(struct commander *c, const char *stream, np_consumer_cb *cb,
    np_consumer_batch_cb *batch, int gap)
{
	struct np_consumer *co;

	if ((co = np_svc_consumer(&c->svc, c->redis, stream, &c->conf.stream,
	    cb, c)) == NULL)
		fatalx("out of memory");
	np_consumer_set_batch_cb(co, batch);
	if (gap)
		np_consumer_set_gap(co, c->conf.stream.gap_ms);
	return co;
}

static void
start(struct commander *c)
{
	c->routes = consume(c, c->k_routes, cmd_on_route, cmd_routes_batch,
	    0);
	/* statuses at once: an ack read late is an ack timed out */
	c->status = consume(c, c->k_status, cmd_on_status, cmd_status_batch,
	    0);
	c->escalations = consume(c, c->k_escalations, cmd_on_escalation,
	    cmd_escalations_batch, 1);
	c->closed = consume(c, c->k_closed, cmd_on_escalation,
	    cmd_escalations_batch, 1);
	cmd_ackdue_start(c);
	log_info("consuming %s, %s, %s and %s as %s", c->k_routes, c->k_status,
	    c->k_escalations, c->k_closed, c->svc.conf.instance);
}

static void
reseeded(struct commander *c)
{
}

/*
 * Redis came back: seed again, in case it came back empty (HSETNX
 * changes nothing in units it still has).
 */
static void
redis_state(struct np_redis *r, int connected, void *arg)
{
	struct commander *c = arg;

	if (connected && np_redis_reconnects(r) > 0 && c->routes != NULL &&
	    c->seeding == 0 && !c->svc.stopping)
		cmd_seed(c, reseeded);
}

static void
exit_now(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct commander *c = arg;

	np_svc_exit(&c->svc);
}

static size_t
commander_busy(void *arg)
{
	return ((struct commander *)arg)->scripter.caller.inflight;
}

static void
commander_drained(struct np_svc *svc, void *arg)
{
	struct commander *c = arg;

	np_consumer_free(c->routes);	/* flushes the acks */
	np_consumer_free(c->status);
	np_consumer_free(c->escalations);
	np_consumer_free(c->closed);
	c->routes = c->status = c->escalations = c->closed = NULL;
	/* the PING answers after the acks sent before it */
	if (np_redis_cmdf(c->redis, exit_now, c, "PING") == -1)
		np_svc_exit(&c->svc);
}

static void
commander_stop(struct np_svc *svc, void *arg)
{
	struct commander *c = arg;

	cmd_ackdue_stop(c);
	np_svc_drain(svc, commander_busy, "script calls unanswered (their "
	    "entries are replayed)", commander_drained, c);
}

int
main(int argc, char **argv)
{
	struct commander *c;
	struct np_conf_table tables[4];
	struct np_redis_conf rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 1;
	tables[0] = (struct np_conf_table){ commander_items,
	    sizeof(commander_items) / sizeof(commander_items[0]), &c->conf };
	tables[1] = np_svc_city_items(&c->conf.city, NP_SVC_CITY_MAP);
	tables[2] = np_svc_bus_items(&c->conf.bus, NP_SVC_BUS_UNITS);
	tables[3] = np_svc_stream_items(&c->conf.stream);
	np_svc_init(&c->svc, "commander", "nearpost commander: turns routing "
	    "decisions into orders, follows the units' answers.",
	    argc, argv, tables, 4);
	cmd_scripts_init(c);
	cmd_routes_init(c);
	cmd_status_init(c);
	cmd_escalations_init(c);
	cmd_ackdue_init(c);
	cmd_city_load(c);
	np_svc_redis_conf(&c->svc, &rc);
	if ((c->redis = np_redis_new(c->svc.base, &rc, "commander")) == NULL)
		fatalx("cannot set up the Redis connection");
	c->scripter.caller.redis = c->redis;
	np_redis_set_state_cb(c->redis, redis_state, c);
	c->bus_events = np_svc_pub(&c->svc, c->conf.bus.events, "events");
	c->scripter.events = c->bus_events;
	c->bus_units = np_svc_pub(&c->svc, c->conf.bus.units, "units");
	c->health = np_svc_health(&c->svc, NULL, NULL);
	np_svc_on_stop(&c->svc, commander_stop, c);
	cmd_seed(c, start);
	np_svc_run(&c->svc);
	log_info("routes %llu, statuses %llu, orders issued %llu, acks missed "
	    "%llu, entries refused %llu, scripts failed %llu",
	    c->stats.routes, c->stats.statuses, c->stats.dispatched,
	    c->stats.expired, c->stats.bad, c->stats.failed);

	np_consumer_free(c->routes);
	np_consumer_free(c->status);
	np_consumer_free(c->escalations);
	np_consumer_free(c->closed);
	cmd_ackdue_stop(c);
	np_redis_free(c->redis);	/* ends the calls still out */
	np_batch_free(&c->b_routes.nb);
	np_batch_free(&c->b_status.nb);
	np_batch_free(&c->b_cancel.nb);
	np_sock_free(c->bus_events);
	np_sock_free(c->bus_units);
	np_sock_free(c->health);
	np_city_free(c->city);
	np_svc_free(&c->svc, tables, 4);
	free(c);
	return 0;
}
