/*
 * ackdue.c: the ack deadline.  One libevent timer, armed for the earliest
 * deadline we know of; when it fires, noanswer.lua expires every order
 * due by now (a unit that did not answer in command.ack_timeout_ms turns
 * unreachable, the tier gets its next candidate) and answers the earliest
 * deadline left in orders:ackdue, for which the timer is armed again.
 * Orders this commander issues arm it earlier when they are due first.
 *
 * Other commanders issue orders too, and we hear nothing of those.  Each
 * one is due ack_timeout after its issue, so every order issued after a
 * sweep read the set is due no earlier than that read + ack_timeout: a
 * sweep at least that often (the timer never waits longer) sees every
 * deadline in time, also those of a commander that died -- without
 * polling.  Since the state is the zset, a restart loses no deadline:
 * the first sweep runs at start.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"
#include "np_time.h"

#define SWEEP_RETRY_MS	1000

static void
arm(struct commander *c, int64_t at)
{
	int64_t delay = at - np_now_ms();
	struct timeval tv = np_tv_ms(delay > 0 ? delay : 0);

	c->ack_at = at;
	evtimer_add(c->ack_ev, &tv);
}

void
cmd_ackdue_note(struct commander *c, int64_t due)
{
	if (due <= 0 || c->svc.stopping || c->ack_ev == NULL)
		return;
	if (c->ack_at == 0 || due < c->ack_at)
		arm(c, due);
}

static void
sweep_done(const redisReply *r, void *arg)
{
	struct commander *c = arg;
	int64_t now = np_now_ms(), next, due;
	long n;

	c->sweeping = 0;
	if (r == NULL) {
		next = now + SWEEP_RETRY_MS;
	} else {
		if ((n = strtol(np_script_detail(r), NULL, 10)) > 0) {
			c->stats.expired += n;
			log_info("%ld order(s) not acknowledged in time", n);
		}
		next = now + c->conf.ack_timeout_ms;
		if ((due = np_script_due(r)) > 0 && due < next)
			next = due;
	}
	if (c->sweep_again) {
		c->sweep_again = 0;
		next = now;
	}
	cmd_ackdue_note(c, next);
}

static void
sweep(evutil_socket_t fd, short what, void *arg)
{
	struct commander *c = arg;
	const char *argv[1];
	char max[16];

	c->ack_at = 0;
	if (c->sweeping) {
		c->sweep_again = 1;
		return;
	}
	snprintf(max, sizeof(max), "%d", c->conf.sweep_max);
	argv[0] = max;
	c->sweeping = 1;
	if (np_script_call(&c->scripter, &c->s_noanswer, 1, argv, sweep_done,
	    c) == -1) {
		c->sweeping = 0;
		cmd_ackdue_note(c, np_now_ms() + SWEEP_RETRY_MS);
	}
}

void
cmd_ackdue_init(struct commander *c)
{
	if ((c->ack_ev = evtimer_new(c->svc.base, sweep, c)) == NULL)
		fatalx("out of memory");
}

void
cmd_ackdue_start(struct commander *c)
{
	arm(c, np_now_ms());
}

void
cmd_ackdue_stop(struct commander *c)
{
	if (c->ack_ev != NULL) {
		event_free(c->ack_ev);
		c->ack_ev = NULL;
	}
	c->ack_at = 0;
}
