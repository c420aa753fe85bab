/*
 * tracker: the track stage of nearpost (see tracker.h).  main.c holds the
 * settings, start-up (events bus, the two stream consumers, a catch-up
 * fire run) and the drain on SIGTERM: stop taking entries, let the script
 * calls already sent get their answers, flush the acks, exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_bus.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"
#include "tracker.h"

#define OFF(f)		offsetof(struct tracker_conf, f)

static const struct np_conf_item tracker_items[] = {
	{ "track.mark1_s", NP_CONF_INT, "0", 0, 86400, OFF(mark_s[0]),
	  "tier 1's mark is due this long after T0 (0: the plan's "
	  "deadline_s, 60)" },
	{ "track.mark2_s", NP_CONF_INT, "0", 0, 86400, OFF(mark_s[1]),
	  "tier 2's mark (0: the plan's, 180)" },
	{ "track.mark3_s", NP_CONF_INT, "0", 0, 86400, OFF(mark_s[2]),
	  "tier 3's mark (0: the plan's, 300)" },
	{ "track.step_s", NP_CONF_INT, "60", 1, 86400, OFF(step_s),
	  "a missed mark climbs one ladder step this often while not met" },
	{ "track.ladder", NP_CONF_STR, "redispatch,supervisor,command", 1,
	  200, OFF(ladder), "the escalation ladder, one action per step "
	  "(redispatch: the commander sends the tier's next candidate)" },
	{ "track.fire_max", NP_CONF_INT, "100", 1, 10000, OFF(fire_max),
	  "most due steps handled by one script run" },
	{ "track.retry_ms", NP_CONF_INT, "100", 10, 10000, OFF(retry_ms),
	  "first delay before a script call is sent again while Redis is "
	  "unreachable (doubles up to 2 s)" },
};

static struct np_consumer *
consume(struct tracker *t, const char *stream, np_consumer_cb *cb,
    np_consumer_batch_cb *read)
{
	struct np_consumer *co;

	if ((co = np_svc_consumer(&t->svc, t->redis, stream, &t->conf.stream,
	    cb, t)) == NULL)
		fatalx("out of memory");
	np_consumer_set_batch_cb(co, read);
	return co;
}

static void
exit_now(struct np_redis *r, struct redisReply *reply, void *arg)
{
	np_svc_exit(&((struct tracker *)arg)->svc);
}

static size_t
tracker_busy(void *arg)
{
	return ((struct tracker *)arg)->scripter.caller.inflight;
}

static void
tracker_drained(struct np_svc *svc, void *arg)
{
	struct tracker *t = arg;

	np_consumer_free(t->routes);	/* flushes the acks */
	np_consumer_free(t->status);
	t->routes = t->status = NULL;
	if (np_redis_cmdf(t->redis, exit_now, t, "PING") == -1)
		np_svc_exit(&t->svc);
}

static void
tracker_stop(struct np_svc *svc, void *arg)
{
	struct tracker *t = arg;

	trk_due_stop(t);
	np_svc_drain(svc, tracker_busy, "script calls unanswered (their "
	    "entries are replayed)", tracker_drained, t);
}

int
main(int argc, char **argv)
{
	struct tracker *t;
	struct np_conf_table tables[3];
	struct np_redis_conf rc;
	char err[160];

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return 1;
	/* np_svc makes the base: ask libevent for its precise clock */
	setenv("EVENT_PRECISE_TIMER", "1", 1);
	tables[0] = (struct np_conf_table){ tracker_items,
	    sizeof(tracker_items) / sizeof(tracker_items[0]), &t->conf };
	tables[1] = np_svc_bus_items(&t->conf.bus, NP_SVC_BUS_EVENTS);
	tables[2] = np_svc_stream_items(&t->conf.stream);
	np_svc_init(&t->svc, "tracker", "nearpost tracker: the 1/3/5-minute "
	    "marks of every incident and their escalation ladder.",
	    argc, argv, tables, 3);
	if (trk_ladder_check(t->conf.ladder, err, sizeof(err)) == -1)
		fatalx("%s", err);
	trk_scripts_init(t);
	trk_due_init(t);
	np_svc_redis_conf(&t->svc, &rc);
	if ((t->redis = np_redis_new(t->svc.base, &rc, "tracker")) == NULL)
		fatalx("cannot set up the Redis connection");
	t->scripter.caller.redis = t->redis;
	t->bus_events = np_svc_pub(&t->svc, t->conf.bus.events, "events");
	t->scripter.events = t->bus_events;
	t->health = np_svc_health(&t->svc, NULL, NULL);
	np_svc_on_stop(&t->svc, tracker_stop, t);
	trk_batch_init(t);
	t->routes = consume(t, t->k_routes, trk_on_route, trk_routes_read);
	/* arming a mark a few ms later changes nothing: its due time is
	 * the incident's t0 + 1/3/5 min; the statuses are read at once,
	 * for a status read late can be fired over as missed */
	np_consumer_set_gap(t->routes, t->conf.stream.gap_ms);
	t->status = consume(t, t->k_status, trk_on_status, trk_status_read);
	trk_due_start(t);
	log_info("consuming %s and %s as %s", t->k_routes, t->k_status,
	    t->svc.conf.instance);
	np_svc_run(&t->svc);
	log_info("routes %llu, marks met %llu, steps fired %llu, entries "
	    "refused %llu, scripts failed %llu", t->stats.armed,
	    t->stats.met, t->stats.fired, t->stats.bad, t->stats.failed);

	np_consumer_free(t->routes);
	np_consumer_free(t->status);
	trk_due_stop(t);
	np_redis_free(t->redis);	/* ends the calls still out */
	np_batch_free(&t->b_routes);
	np_batch_free(&t->b_status);
	np_sock_free(t->bus_events);
	np_sock_free(t->health);
	np_svc_free(&t->svc, tables, 3);
	free(t);
	return 0;
}
