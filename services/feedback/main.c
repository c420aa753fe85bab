/*
 * feedback: the feedback stage of nearpost (see feedback.h).  main.c
 * holds the settings, start-up (the event bus, then the s:status
 * consumer) and the drain on SIGTERM: stop taking entries, let the
 * script calls already sent get their answers (their entries are
 * acked), flush the acks, exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "np_bus.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"

#define OFF(f)		offsetof(struct feedback_conf, f)

static const struct np_conf_item feedback_items[] = {
	{ "feedback.wait_ms", NP_CONF_INT, "30000", 0, 3600000,
	  OFF(wait_ms), "how long a clear waits for the commander to set "
	  "its incident cleared before feedback gives up on it (the "
	  "commander reads the same entry in its own group)" },
	{ "feedback.retry_ms", NP_CONF_INT, "100", 10, 10000, OFF(retry_ms),
	  "first delay before a close is tried again (doubles up to 2 s)" },
	{ "feedback.call_max", NP_CONF_INT, "32", 1, FB_BATCH_MAX,
	  OFF(call_max), "clears per close.lua call (one call at a time: "
	  "a long script holds up every other service's Redis calls)" },
};

static void
exit_now(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct feedback *fb = arg;

	np_svc_exit(&fb->svc);
}

static size_t
feedback_busy(void *arg)
{
	return ((struct feedback *)arg)->inflight;
}

static void
feedback_drained(struct np_svc *svc, void *arg)
{
	struct feedback *fb = arg;

	np_consumer_free(fb->status);	/* flushes the acks */
	fb->status = NULL;
	if (np_redis_cmdf(fb->redis, exit_now, fb, "PING") == -1)
		np_svc_exit(&fb->svc);
}

static void
feedback_stop(struct np_svc *svc, void *arg)
{
	fb_status_stop(arg);
	np_svc_drain(svc, feedback_busy, "closes unanswered (their entries "
	    "are replayed)", feedback_drained, arg);
}

int
main(int argc, char **argv)
{
	struct feedback *fb;
	struct np_conf_table tables[4];
	struct np_redis_conf rc;

	if ((fb = calloc(1, sizeof(*fb))) == NULL)
		return 1;
	tables[0] = (struct np_conf_table){ feedback_items,
	    sizeof(feedback_items) / sizeof(feedback_items[0]), &fb->conf };
	tables[1] = fb_close_items(&fb->conf.close);
	tables[2] = np_svc_bus_items(&fb->conf.bus, NP_SVC_BUS_EVENTS);
	tables[3] = np_svc_stream_items(&fb->conf.stream);
	np_svc_init(&fb->svc, "feedback", "nearpost feedback: closes cleared "
	    "incidents, counts the SLA, schedules follow-ups, flags repeats.",
	    argc, argv, tables, 4);
	fb->s_close = fb_close_script();
	TAILQ_INIT(&fb->fresh);
	TAILQ_INIT(&fb->waiting);
	TAILQ_INIT(&fb->ready);
	if (np_svc_key(&fb->svc, fb->k_status, sizeof(fb->k_status),
	    "s:status") == -1)
		fatalx("key prefix too long");
	np_svc_redis_conf(&fb->svc, &rc);
	if ((fb->redis = np_redis_new(fb->svc.base, &rc, "feedback")) == NULL)
		fatalx("cannot set up the Redis connection");
	fb->bus_events = np_svc_pub(&fb->svc, fb->conf.bus.events, "events");
	fb->health = np_svc_health(&fb->svc, NULL, NULL);
	if ((fb->status = np_svc_consumer(&fb->svc, fb->redis, fb->k_status,
	    &fb->conf.stream, fb_on_status, fb)) == NULL)
		fatalx("out of memory");
	np_consumer_set_batch_cb(fb->status, fb_on_batch);
	np_consumer_set_gap(fb->status, fb->conf.stream.gap_ms);
	np_svc_on_stop(&fb->svc, feedback_stop, fb);
	log_info("consuming %s as %s", fb->k_status, fb->svc.conf.instance);
	np_svc_run(&fb->svc);
	log_info("statuses %llu, clears %llu, incidents closed %llu, entries "
	    "refused %llu, scripts failed %llu, close calls %llu, answered "
	    "pending %llu", fb->stats.statuses, fb->stats.clears,
	    fb->stats.closed, fb->stats.bad, fb->stats.failed,
	    fb->stats.calls, fb->stats.pending);
	fb_status_stop(fb);

	np_consumer_free(fb->status);
	np_redis_free(fb->redis);
	np_sock_free(fb->bus_events);
	np_sock_free(fb->health);
	np_svc_free(&fb->svc, tables, 4);
	free(fb);
	return 0;
}
