/*
 * tracker: the track stage, the 1/3/5-minute clock (the contract is
 * docs/TRACK.md, "Marks").
 *
 * The marks live in Redis and every decision is a Lua script (lib.lua +
 * arm.lua, met.lua, fire.lua), so replays and restarts change nothing
 * twice.  The C side only moves messages and keeps one timer:
 *
 *   s:routes  route.decided --> arm.lua  --> XACK
 *   s:status  unit.status   --> met.lua  --> XACK (acked/onscene of an
 *                                            order; the rest acked at once)
 *   timer (earliest member of marks:due) --> fire.lua --> s:escalations
 *
 * Every script answers the earliest member left in marks:due and the
 * timer is re-armed for it after every call; at start a fire run catches
 * up with whatever came due while no tracker ran.  Frames the scripts
 * hand back (mark.met, mark.missed, escalation) go on the events bus.
 *
 * Files: msg.c (the two consumed messages, checked: pure, the
 * nptracker_logic library), eval.c (scripts, retries, frames), due.c
 * (the timer), streams.c (the stream handlers), main.c.
 */
#ifndef TRACKER_H
#define TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "np_call.h"
#include "np_redis.h"
#include "np_svc.h"

struct event;
struct np_consumer;
struct np_sock;
struct np_stream_entry;
struct redisReply;

#define TRK_ID_MAX	64
#define TRK_STEPS_MAX	9	/* ladder steps (met.lua clears 1..9) */

/* msg.c: what the tracker needs of the messages it consumes. */
struct trk_route {
	char	incident_id[TRK_ID_MAX + 1];
};
struct trk_status {
	char	status[16];
	char	order_id[TRK_ID_MAX + 1];	/* "" for link statuses */
	long long ts;		/* when radiogw stored it (ms), 0: unknown */
};
/* 0, or -1 with err naming the field. */
int	trk_route_parse(const char *msg, size_t len, struct trk_route *,
	    char *err, size_t errlen);
int	trk_status_parse(const char *msg, size_t len, struct trk_status *,
	    char *err, size_t errlen);
/* May this status meet a mark (acked or onscene of an order)? */
int	trk_status_counts(const struct trk_status *);
/* track.ladder "a,b,c": the number of steps, or -1 with err. */
int	trk_ladder_check(const char *ladder, char *err, size_t errlen);

struct tracker_conf {
	int	 mark_s[3];		/* track.mark1_s .. mark3_s */
	int	 step_s;		/* track.step_s */
	char	*ladder;		/* track.ladder */
	int	 fire_max;		/* track.fire_max */
	int	 retry_ms;		/* track.retry_ms */
	struct np_svc_bus	bus;	/* bus.events */
	struct np_svc_stream	stream;
};

struct tracker_stats {
	unsigned long long	armed;		/* route.decided handled */
	unsigned long long	met;		/* marks met (also late) */
	unsigned long long	fired;		/* ladder steps fired */
	unsigned long long	bad;		/* entries refused */
	unsigned long long	failed;		/* scripts given up on */
};

struct tracker {
	struct np_svc		 svc;
	struct tracker_conf	 conf;
	struct np_redis		*redis;
	struct np_caller	 caller;	/* script calls (eval.c) */
	struct np_consumer	*routes;
	struct np_consumer	*status;
	struct np_sock		*bus_events;
	struct np_sock		*health;	/* answers surveys */

	struct np_redis_script	 s_arm;
	struct np_redis_script	 s_met;
	struct np_redis_script	 s_fire;

	char			 k_due[160];
	char			 k_esc[160];
	char			 k_routes[160];
	char			 k_status[160];

	struct event		*due_ev;
	int64_t			 due_at;	/* timer armed for (ms), 0: not */
	int			 firing;	/* fire.lua running */
	struct tracker_stats	 stats;
};

/*
 * eval.c.  A script call with the common arguments (KEYS marks:due,
 * s:escalations; ARGV prefix, now, district) followed by argc more,
 * copied; re-sent with a back-off while Redis is unreachable.  done gets
 * the reply {result, detail, earliest, frames...} (frames published
 * already) or NULL when given up (error reply, or stopping).  -1 when
 * stopping or out of memory; done is never called from inside trk_eval.
 */
typedef void trk_done_cb(struct tracker *, const struct redisReply *,
    void *arg);
void		 trk_scripts_init(struct tracker *);
void		 trk_scripts_free(struct tracker *);
int		 trk_eval(struct tracker *, struct np_redis_script *, int argc,
		    const char **argv, trk_done_cb *, void *arg);
const char	*trk_result(const struct redisReply *);
const char	*trk_detail(const struct redisReply *);
long long	 trk_earliest(const struct redisReply *);

/* due.c: the one timer. */
void	trk_due_init(struct tracker *);
void	trk_due_start(struct tracker *);	/* fire now, then re-arm */
void	trk_due_note(struct tracker *, const struct redisReply *);
void	trk_due_stop(struct tracker *);

/* streams.c */
void	trk_on_route(struct np_consumer *, const struct np_stream_entry *,
	    void *);
void	trk_on_status(struct np_consumer *, const struct np_stream_entry *,
	    void *);

#endif
