/*
 * status.c: unit.status entries from s:status, feedback's group.  A clear
 * runs close.lua for its incident; the entry is acked once the script has
 * answered.  The script call is re-sent with a back-off while Redis is
 * unreachable (it is idempotent) and while it answers 'pending' -- the
 * commander, reading the same entry in its own group, has not applied
 * the clear yet -- for at most feedback.wait_ms.  On stop, calls not
 * answered leave their entries pending: the next run replays them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "feedback.h"
#include "np_bus.h"
#include "np_log.h"
#include "np_retry.h"
#include "np_stream.h"
#include "np_time.h"

#define BACKOFF_MAX_MS	2000

struct fb_op {
	struct feedback		*fb;
	struct np_consumer	*consumer;
	struct np_retry		 retry;
	int64_t			 wait_until;	/* np_mono_ms */
	char			 id[48];	/* the entry */
	struct fb_clear		 clear;
};

static void
op_finish(struct fb_op *op, int ack)
{
	op->fb->inflight--;
	if (ack)
		np_consumer_ack(op->consumer, op->id);
	np_retry_free(&op->retry);
	free(op);
}

static void
publish(struct feedback *fb, const redisReply *frame)
{
	if (frame->type != REDIS_REPLY_STRING || fb->bus_events == NULL)
		return;
	if (np_bus_publish(fb->bus_events, "incident.closed", frame->str,
	    frame->len) == -1)
		log_debug("incident.closed not published");
}

/* 1: run again later. */
static int
op_result(struct fb_op *op, const redisReply *r)
{
	struct feedback *fb = op->fb;
	const char *res = r->element[0]->str, *inc = op->clear.incident_id;

	if (strcmp(res, "closed") == 0) {
		fb->stats.closed++;
		log_info("incident %s closed (%s)", inc, r->element[1]->str);
		if (r->elements > 2)
			publish(fb, r->element[2]);
		return 0;
	}
	if (strcmp(res, "pending") == 0) {
		if (np_mono_ms() < op->wait_until)
			return 1;
		log_warnx("incident %s: the commander has not applied the "
		    "clear of %s within %d ms; not closed here", inc,
		    op->clear.order_id, fb->conf.wait_ms);
		return 0;
	}
	log_debug("incident %s (order %s): %s %s", inc, op->clear.order_id,
	    res, r->element[1]->str);
	return 0;
}

/* Later, unless stopping: then the entry stays pending for the next run. */
static void
again(struct fb_op *op)
{
	if (op->fb->svc.stopping)
		op_finish(op, 0);
	else
		np_retry_later(&op->retry);
}

static void
op_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct fb_op *op = arg;

	if (np_retry_wanted(reply)) {
		again(op);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		log_warnx("close script (%s): %s", op->clear.incident_id,
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		op->fb->stats.failed++;
		op_finish(op, 1);
		return;
	}
	if (op_result(op, reply))
		again(op);
	else
		op_finish(op, 1);
}

static void
op_send(evutil_socket_t fd, short what, void *arg)
{
	struct fb_op *op = arg;
	struct feedback *fb = op->fb;
	struct fb_close_args a;
	struct fb_close_req req = { op->clear.incident_id, FB_CLOSE_CLEARED,
	    op->clear.disposition, "", "feedback", "", op->clear.order_id };

	if (fb->svc.stopping) {
		op_finish(op, 0);
		return;
	}
	fb_close_args(&a, &fb->conf.close, fb->svc.keys, np_now_ms(), &req);
	if (np_redis_eval(fb->redis, &fb->s_close, op_reply, op, 0,
	    FB_CLOSE_ARGC, a.argv, a.lens) == -1)
		np_retry_later(&op->retry);
}

static void
close_incident(struct feedback *fb, struct np_consumer *consumer,
    const char *id, const struct fb_clear *clear)
{
	struct fb_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		log_warnx("s:status entry %s: out of memory", id);
		return;		/* stays pending: replayed */
	}
	if (np_retry_init(&op->retry, fb->svc.base, fb->conf.retry_ms,
	    BACKOFF_MAX_MS, op_send, op) == -1) {
		log_warnx("s:status entry %s: out of memory", id);
		free(op);
		return;
	}
	op->fb = fb;
	op->consumer = consumer;
	op->wait_until = np_mono_ms() + fb->conf.wait_ms;
	snprintf(op->id, sizeof(op->id), "%s", id);
	op->clear = *clear;
	fb->inflight++;
	op_send(-1, 0, op);
}

void
fb_on_status(struct np_consumer *consumer, const struct np_stream_entry *ent,
    void *arg)
{
	struct feedback *fb = arg;
	struct fb_clear clear;
	const char *msg;
	char err[512];
	size_t len;
	int rc;

	if (fb->svc.stopping)
		return;
	fb->stats.statuses++;
	if ((msg = np_stream_entry_get(ent, "msg", &len)) == NULL) {
		log_warnx("s:status entry %s: no msg field; skipped", ent->id);
		fb->stats.bad++;
		np_consumer_ack(consumer, ent->id);
		return;
	}
	if ((rc = fb_clear_parse(msg, len, &clear, err, sizeof(err))) != 1) {
		if (rc == -1) {
			log_warnx("s:status entry %s refused: %s", ent->id,
			    err);
			fb->stats.bad++;
		}
		np_consumer_ack(consumer, ent->id);
		return;
	}
	fb->stats.clears++;
	close_incident(fb, consumer, ent->id, &clear);
}
