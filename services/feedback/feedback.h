/*
 * feedback: the feedback stage (docs/TRACK.md, "Closure").  It reads the
 * units' reports on s:status in its own group; after a unit's clear it
 * runs close.lua, which closes the incident once the commander has set it
 * 'cleared' (its last assignment cleared): state, disposition, the marks'
 * outcome, the SLA counters, the follow-up, the repeat check -- all in
 * one atomic step that a replay finds done.  incident.closed goes on the
 * event bus.
 *
 *   s:status  unit.status clear --> close.lua --> XACK
 *                    'pending' (the commander has not applied the clear
 *                    yet): run again with a back-off, up to
 *                    feedback.wait_ms, then acked (logged)
 *
 * Files: msg.c (unit.status parsing: pure, npfeedback_logic), closing.c
 * + close.lua + followup.lua (shared with intake: fb_close.h), status.c
 * (entries and script calls), main.c.
 */
#ifndef FEEDBACK_H
#define FEEDBACK_H

#include <stddef.h>
#include <stdint.h>

#include "fb_close.h"
#include "np_redis.h"
#include "np_svc.h"

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

struct feedback_conf {
	struct fb_close_conf	close;
	int			wait_ms;
	int			retry_ms;
	struct np_svc_bus	bus;		/* bus.events */
	struct np_svc_stream	stream;
};

struct feedback_stats {
	unsigned long long	statuses;	/* unit.status read */
	unsigned long long	clears;
	unsigned long long	closed;		/* incidents closed here */
	unsigned long long	bad;		/* entries refused */
	unsigned long long	failed;		/* scripts given up on */
};

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
	struct feedback_stats	 stats;
};

/* status.c: the s:status handler. */
void	fb_on_status(struct np_consumer *, const struct np_stream_entry *,
	    void *);

#endif
