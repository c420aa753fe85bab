/*
 * feedback: the feedback stage (docs/TRACK.md, "Closure").  It reads the
 * units' reports on s:status in its own group; after units' clears it
 * runs close.lua (one call for the clears of one read), which closes each
 * incident once the commander has set it
 * 'cleared' (its last assignment cleared): state, disposition, the marks'
 * outcome, the SLA counters, the follow-up, the repeat check -- all in
 * one atomic step that a replay finds done.  incident.closed goes on the
 * event bus.
 *
 *   s:status  unit.status clears of a read --> close.lua --> XACK each
 *                    'pending' (the commander has not applied the clear
 *                    yet): run again with a back-off, up to
 *                    feedback.wait_ms, then acked (logged); those due
 *                    together go in one call
 *
 * One close.lua call at a time, of at most feedback.call_max clears: a
 * script holds Redis while it runs, and every other service's commands
 * (the dispatch path's too) wait behind it.  The retries of 'pending'
 * clears come due together, and went as calls of 64 sent back to back
 * (3-5 ms of Redis each at 1,000 calls/s); Redis runs one connection's
 * pipelined calls one after the other, so only one call at a time
 * bounds the hold.  What comes meanwhile waits on 'ready' and goes with
 * the next call.
 *
 * Files: msg.c (unit.status parsing: pure, npfeedback_logic), closing.c
 * + close.lua + followup.lua (shared with intake: fb_close.h), status.c
 * (entries and script calls), main.c.
 */
#ifndef FEEDBACK_H
#define FEEDBACK_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "fb_close.h"
#include "np_redis.h"
#include "np_svc.h"

struct event;
struct np_consumer;
struct np_sock;
struct np_stream_entry;

/* msg.c: the part of a unit.status feedback needs. */
struct fb_clear {
	char	incident_id[FB_ID_MAX + 1];
	char	order_id[FB_ID_MAX + 1];
	char	disposition[FB_TEXT_MAX + 1];
};
/*
 * 1: a clear (filled; the incident from incident_id, else from the order
 * id <incident>-T<tier>-<n>); 0: another status (nothing to do); -1: bad,
 * with err naming the field.
 */
int	fb_clear_parse(const char *msg, size_t len, struct fb_clear *,
	    char *err, size_t errlen);
/*
 * Its two paths, for tests: the fast one (np_jscan) answers 1 or 0 as
 * above, or -1: not read here (the strict one decides, and names the
 * field); the strict one (jansson) is fb_clear_parse without the fast
 * path.
 */
int	fb_clear_fast(const char *msg, size_t len, struct fb_clear *);
int	fb_clear_strict(const char *msg, size_t len, struct fb_clear *,
	    char *err, size_t errlen);
/*
 * 0 when msg cannot be a clear (no "clear" string in it, and no escape
 * that could spell one): nothing to do, not even parsing it (a malformed
 * one is refused by the commander, which parses every entry); 1: parse.
 */
int	fb_maybe_clear(const char *msg, size_t len);

struct feedback_conf {
	struct fb_close_conf	close;
	int			wait_ms;
	int			retry_ms;
	int			call_max;	/* clears per close.lua call */
	struct np_svc_bus	bus;		/* bus.events */
	struct np_svc_stream	stream;
};

struct feedback_stats {
	unsigned long long	statuses;	/* unit.status read */
	unsigned long long	clears;
	unsigned long long	closed;		/* incidents closed here */
	unsigned long long	bad;		/* entries refused */
	unsigned long long	failed;		/* scripts given up on */
	unsigned long long	pending;	/* 'pending' answers */
	unsigned long long	calls;		/* close.lua calls */
};

TAILQ_HEAD(fb_ops, fb_op);

struct feedback {
	struct np_svc		 svc;
	struct feedback_conf	 conf;
	struct np_redis		*redis;
	struct np_consumer	*status;
	struct np_sock		*bus_events;
	struct np_sock		*health;	/* answers surveys */
	struct np_redis_script	 s_close;
	char			 k_status[160];
	size_t			 inflight;	/* clears being closed */
	struct fb_ops		 fresh;		/* the clears of this read */
	struct fb_ops		 ready;		/* to send, one call at a time */
	int			 calls;		/* close.lua calls unanswered */
	struct fb_ops		 waiting;	/* to run again */
	struct event		*wait_ev;	/* for the earliest waiting */
	int64_t			 wait_at;	/* np_mono_ms it is set for, 0 */
	struct feedback_stats	 stats;
};

/* status.c: the s:status handler, its batch callback, and the stop
 * (the clears waiting to run again are left pending for the next run). */
void	fb_on_status(struct np_consumer *, const struct np_stream_entry *,
	    void *);
void	fb_on_batch(struct np_consumer *, void *);
void	fb_status_stop(struct feedback *);

#endif
