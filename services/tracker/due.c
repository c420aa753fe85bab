/*
 * due.c: the deadlines' one timer.  The deadlines themselves live only in
 * marks:due; every script answers the earliest member left there and the
 * timer is re-armed for it, so it never waits past a deadline and never
 * polls.  When it fires, fire.lua handles every member due by now (at
 * most track.fire_max at once: a full run re-arms for at once).  At
 * start a run catches up with what came due while no tracker ran --
 * after the status stream has been read up to its end, at start and
 * after every reconnect of its reader (fire).
 *
 * Precision: the base is made with EVENT_PRECISE_TIMER set in the
 * environment (main.c), libevent's ~0.1 ms clock instead of the coarse
 * monotonic one.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_log.h"
#include "np_stream.h"
#include "np_time.h"
#include "tracker.h"

#define TRK_FIRE_RETRY_MS	1000
#define TRK_CATCHUP_MS		20	/* looks again for the statuses */

static void
arm(struct tracker *t, int64_t at)
{
	int64_t delay = at - np_now_ms();
	struct timeval tv = np_tv_ms(delay > 0 ? delay : 0);

	if (t->due_ev == NULL || t->svc.stopping)
		return;
	t->due_at = at;
	evtimer_add(t->due_ev, &tv);
}

void
trk_due_note(struct tracker *t, const redisReply *r)
{
	long long at = np_script_due(r);

	if (r == NULL || t->firing)	/* the fire run's answer decides */
		return;
	if (at == 0) {
		if (t->due_ev != NULL)
			evtimer_del(t->due_ev);
		t->due_at = 0;
	} else if (at != t->due_at)
		arm(t, at);
}

static void
fire_done(const redisReply *r, void *arg)
{
	struct tracker *t = arg;
	long n;

	t->firing = 0;
	if (r == NULL) {
		arm(t, np_now_ms() + TRK_FIRE_RETRY_MS);
		return;
	}
	if ((n = strtol(np_script_detail(r), NULL, 10)) > 0) {
		t->stats.fired += n;
		log_info("%ld ladder step(s) fired", n);
	}
	t->due_at = 0;
	trk_due_note(t, r);
}

static void
fire(evutil_socket_t fd, short what, void *arg)
{
	struct tracker *t = arg;
	const char *argv[3];
	char step[16], max[16];

	t->due_at = 0;
	if (t->firing)
		return;		/* its answer re-arms */
	/*
	 * Not before the statuses that came while Redis or this tracker was
	 * away have been read: a status stored in time but read after the
	 * deadline must meet its mark, not be fired over.  Once caught up,
	 * the met.lua calls of those statuses are queued before this run on
	 * the same connection, so Redis runs them first.
	 */
	if (!np_consumer_caught_up(t->status)) {
		arm(t, np_now_ms() + TRK_CATCHUP_MS);
		return;
	}
	snprintf(step, sizeof(step), "%d", t->conf.step_s);
	snprintf(max, sizeof(max), "%d", t->conf.fire_max);
	argv[0] = step;
	argv[1] = t->conf.ladder;
	argv[2] = max;
	t->firing = 1;
	if (np_script_call(&t->scripter, &t->s_fire, 3, argv, fire_done,
	    t) == -1) {
		t->firing = 0;
		arm(t, np_now_ms() + TRK_FIRE_RETRY_MS);
	}
}

void
trk_due_init(struct tracker *t)
{
	if ((t->due_ev = evtimer_new(t->svc.base, fire, t)) == NULL)
		fatalx("out of memory");
}

void
trk_due_start(struct tracker *t)
{
	arm(t, np_now_ms());
}

void
trk_due_stop(struct tracker *t)
{
	if (t->due_ev != NULL) {
		event_free(t->due_ev);
		t->due_ev = NULL;
	}
	t->due_at = 0;
}
