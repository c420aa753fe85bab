/*
 * status.c: unit.status entries from s:status, feedback's group.  The
 * handler keeps the clears of a read; the batch callback, called once
 * the read's entries were handed over, queues them for close.lua: one
 * call at a time, of up to feedback.call_max clears (feedback.h says
 * why); every entry is acked once its part of the answer says it is
 * done.  A clear answered 'pending' -- the
 * commander, reading the same entry in its own group, has not applied
 * it yet -- waits and runs again, for at most feedback.wait_ms; so does
 * a call that Redis did not answer (close.lua is idempotent).  Those
 * waiting are run again together, one call for all that are due, each
 * with its own back-off (feedback.retry_ms doubling up to 2 s).  On stop,
 * the waiting and the unanswered leave their entries pending: the next
 * run replays them.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "feedback.h"
#include "np_bus.h"
#include "np_log.h"
#include "np_retry.h"
#include "np_stream.h"
#include "np_time.h"

#define BACKOFF_MAX_MS	2000

struct fb_op {
	TAILQ_ENTRY(fb_op)	 next;
	struct np_consumer	*consumer;
	int64_t			 wait_until;	/* np_mono_ms: give up */
	int64_t			 run_at;	/* np_mono_ms: when waiting */
	int			 delay_ms;	/* the next back-off */
	char			 id[48];	/* the entry */
	struct fb_clear		 clear;
};

/* One close.lua call: its ops, in the order of the arguments. */
struct fb_call {
	struct feedback	*fb;
	int		 n;
	struct fb_op	*op[FB_BATCH_MAX];
};

static void	wait_arm(struct feedback *, int64_t);
static void	pump(struct feedback *);

static void
op_finish(struct feedback *fb, struct fb_op *op, int ack)
{
	fb->inflight--;
	if (ack)
		np_consumer_ack(op->consumer, op->id);
	free(op);
}

/* Later, unless stopping: then the entry stays pending for the next run. */
static void
op_wait(struct feedback *fb, struct fb_op *op)
{
	if (fb->svc.stopping) {
		op_finish(fb, op, 0);
		return;
	}
	op->run_at = np_mono_ms() + op->delay_ms;
	op->delay_ms = op->delay_ms > BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS :
	    op->delay_ms * 2;
	TAILQ_INSERT_TAIL(&fb->waiting, op, next);
	wait_arm(fb, op->run_at);
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

/* One op's part of the answer: result, detail, frame.  1: run again. */
static int
op_result(struct feedback *fb, struct fb_op *op, redisReply **r)
{
	const char *res = r[0]->str, *inc = op->clear.incident_id;

	if (strcmp(res, "closed") == 0) {
		fb->stats.closed++;
		log_debug("incident %s closed (%s)", inc, r[1]->str);
		publish(fb, r[2]);
		return 0;
	}
	if (strcmp(res, "pending") == 0) {
		fb->stats.pending++;
		if (np_mono_ms() < op->wait_until)
			return 1;
		log_warnx("incident %s: the commander has not applied the "
		    "clear of %s within %d ms; not closed here", inc,
		    op->clear.order_id, fb->conf.wait_ms);
		return 0;
	}
	log_debug("incident %s (order %s): %s %s", inc, op->clear.order_id,
	    res, r[1]->str);
	return 0;
}

static int
reply_ok(const redisReply *reply, int n)
{
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements !=
	    (size_t)n * 3)
		return 0;
	for (i = 0; i < reply->elements; i++)
		if (reply->element[i]->type != REDIS_REPLY_STRING)
			return 0;
	return 1;
}

static void
call_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct fb_call *c = arg;
	struct feedback *fb = c->fb;
	int i, ok;

	fb->calls--;
	if (np_retry_wanted(reply)) {
		for (i = 0; i < c->n; i++)
			op_wait(fb, c->op[i]);
		free(c);
		pump(fb);
		return;
	}
	if (!(ok = reply_ok(reply, c->n)))
		log_warnx("close script (%d incidents, the first %s): %s",
		    c->n, c->op[0]->clear.incident_id,
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
	for (i = 0; i < c->n; i++) {
		if (!ok)
			fb->stats.failed++;
		if (ok && op_result(fb, c->op[i], reply->element + 3 * i))
			op_wait(fb, c->op[i]);
		else
			op_finish(fb, c->op[i], 1);
	}
	free(c);
	pump(fb);
}

/* One call for the first n ops of list (taken off it). */
static void
call_send(struct feedback *fb, struct fb_ops *list, int n)
{
	struct fb_close_batch b;
	struct fb_close_req req;
	struct fb_call *c;
	struct fb_op *op;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("close script call: out of memory; later");
		while (n-- > 0 && (op = TAILQ_FIRST(list)) != NULL) {
			TAILQ_REMOVE(list, op, next);
			op_wait(fb, op);
		}
		return;
	}
	c->fb = fb;
	fb_close_batch_init(&b, &fb->conf.close, fb->svc.keys, np_now_ms(),
	    "feedback");
	while (c->n < n && (op = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, op, next);
		req = (struct fb_close_req){ op->clear.incident_id,
		    FB_CLOSE_CLEARED, op->clear.disposition, "", "feedback", "",
		    op->clear.order_id };
		fb_close_batch_add(&b, &req);
		c->op[c->n++] = op;
	}
	fb->stats.calls++;
	if (np_redis_eval(fb->redis, &fb->s_close, call_reply, c, 0, b.argc,
	    b.argv, b.lens) == 0) {
		fb->calls++;
		return;
	}
	for (n = 0; n < c->n; n++)	/* Redis down: later */
		op_wait(fb, c->op[n]);
	free(c);
}

/* Every op of list finished unacked: pending for the next run. */
static void
drop_all(struct feedback *fb, struct fb_ops *list)
{
	struct fb_op *op;

	while ((op = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, op, next);
		op_finish(fb, op, 0);
	}
}

/* The next call, unless one is unanswered (stopping: none; the ready
 * stay pending for the next run). */
static void
pump(struct feedback *fb)
{
	if (fb->svc.stopping)
		drop_all(fb, &fb->ready);
	while (fb->calls == 0 && !TAILQ_EMPTY(&fb->ready))
		call_send(fb, &fb->ready, fb->conf.call_max);
}

/* Everything on list, after what is ready already. */
static void
send_all(struct feedback *fb, struct fb_ops *list)
{
	TAILQ_CONCAT(&fb->ready, list, next);
	pump(fb);
}

/* The waiting ops due now (or within half a first back-off) run again. */
static void
wait_fire(evutil_socket_t fd, short what, void *arg)
{
	struct feedback *fb = arg;
	struct fb_ops due = TAILQ_HEAD_INITIALIZER(due);
	struct fb_op *op, *next;
	int64_t soon = np_mono_ms() + fb->conf.retry_ms / 2, at = 0;

	fb->wait_at = 0;
	for (op = TAILQ_FIRST(&fb->waiting); op != NULL; op = next) {
		next = TAILQ_NEXT(op, next);
		if (op->run_at <= soon) {
			TAILQ_REMOVE(&fb->waiting, op, next);
			TAILQ_INSERT_TAIL(&due, op, next);
		} else if (at == 0 || op->run_at < at)
			at = op->run_at;
	}
	send_all(fb, &due);
	if (at != 0)
		wait_arm(fb, at);
}

/* The timer at np_mono_ms() time at, unless it is set earlier already. */
static void
wait_arm(struct feedback *fb, int64_t at)
{
	struct timeval tv;
	int64_t now;

	if (fb->wait_at != 0 && fb->wait_at <= at)
		return;
	if (fb->wait_ev == NULL && (fb->wait_ev = evtimer_new(fb->svc.base,
	    wait_fire, fb)) == NULL)
		fatalx("out of memory");
	now = np_mono_ms();
	tv = np_tv_ms(at > now ? (int)(at - now) : 0);
	evtimer_add(fb->wait_ev, &tv);
	fb->wait_at = at;
}

void
fb_status_stop(struct feedback *fb)
{
	drop_all(fb, &fb->waiting);
	drop_all(fb, &fb->ready);
	if (fb->wait_ev != NULL)
		event_free(fb->wait_ev);
	fb->wait_ev = NULL;
	fb->wait_at = 0;
}

/* The read's clears, one call (np_consumer_set_batch_cb). */
void
fb_on_batch(struct np_consumer *consumer, void *arg)
{
	struct feedback *fb = arg;

	send_all(fb, &fb->fresh);
}

static void
keep_clear(struct feedback *fb, struct np_consumer *consumer,
    const char *id, const struct fb_clear *clear)
{
	struct fb_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		log_warnx("s:status entry %s: out of memory", id);
		return;		/* stays pending: replayed */
	}
	op->consumer = consumer;
	op->wait_until = np_mono_ms() + fb->conf.wait_ms;
	op->delay_ms = fb->conf.retry_ms;
	snprintf(op->id, sizeof(op->id), "%s", id);
	op->clear = *clear;
	fb->inflight++;
	TAILQ_INSERT_TAIL(&fb->fresh, op, next);
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
	if (!fb_maybe_clear(msg, len)) {
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
	keep_clear(fb, consumer, ent->id, &clear);
}
