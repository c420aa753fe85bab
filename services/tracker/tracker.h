/*
 * tracker: the track stage, the 1/3/5-minute clock (the contract is
 * docs/TRACK.md, "Marks").
 *
 * The marks live in Redis and every decision is a Lua script (lib.lua +
 * arm.lua, met.lua, fire.lua), so replays and restarts change nothing
 * twice.  The C side only moves messages and keeps one timer:
 *
 *   s:routes  route.decided --> arm.lua  --> XACK
 *   s:status  unit.status   --> met.lua  --> XACK (onscene of an order,
 *                                            acked of a tier 1 order; the
 *                                            rest acked at once)
 *   timer (earliest member of marks:due) --> fire.lua --> s:escalations
 *
 * One script call per read of a stream, answering each entry (batch.c).
 * Every script answers the earliest member left in marks:due and the
 * timer is re-armed for it after every call; at start a fire run catches
 * up with whatever came due while no tracker ran.  Frames the scripts
 * hand back (mark.met, mark.missed, escalation) go on the events bus.
 *
 * Files: msg.c (the two consumed messages, checked: pure; with the
 * scripts, the nptracker_logic library), eval.c (the scripts' calls on
 * np_script), batch.c (one call per read), due.c (the timer),
 * streams.c (the stream handlers), main.c.
 */
#ifndef TRACKER_H
#define TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "np_batch.h"
#include "np_redis.h"
#include "np_script.h"
#include "np_svc.h"

struct event;
struct np_consumer;
struct np_sock;
struct np_stream_entry;
struct redisReply;

#define TRK_ID_MAX	64
#define TRK_STEPS_MAX	9	/* ladder steps (met.lua clears 1..9) */
#define TRK_TIERS_MAX	9	/* tiers 1..9 of a route.decided */

/* msg.c: what the tracker needs of the messages it consumes. */
struct trk_tier {
	int		tier;		/* 1..TRK_TIERS_MAX */
	long long	due;		/* t0 + its deadline (ms) */
};
struct trk_route {
	char		incident_id[TRK_ID_MAX + 1];
	long long	t0;
	char		type[TRK_ID_MAX + 1];	/* "": none */
	char		post[TRK_ID_MAX + 1];	/* post.id, "": none */
	int		ntiers;		/* each tier once, as listed */
	struct trk_tier	tiers[TRK_TIERS_MAX];
};
struct trk_status {
	char	status[16];
	char	order_id[TRK_ID_MAX + 1];	/* "" for link statuses */
	long long ts;		/* when radiogw stored it (ms), 0: unknown */
};
/*
 * 0, or -1 with err naming the field.  A route's tiers are due at t0 +
 * mark_s[tier - 1] s when that is set (not 0, tiers 1..3), else at t0 +
 * the tier's deadline_s; a tier item without a usable tier (1..9) or
 * deadline is skipped, as is a tier listed again.
 */
int	trk_route_parse(const char *msg, size_t len, const int mark_s[3],
	    struct trk_route *, char *err, size_t errlen);
/*
 * The two ways of each parse: the fast path (np_jscan, no allocation)
 * answers 0 or 1 (refused: the strict one decides), the strict one
 * (jansson) is the parse without the fast path.  For tests.
 */
int	trk_route_fast(const char *, size_t, const int mark_s[3],
	    struct trk_route *);
int	trk_route_strict(const char *, size_t, const int mark_s[3],
	    struct trk_route *, char *err, size_t errlen);
int	trk_status_fast(const char *, size_t, struct trk_status *);
int	trk_status_strict(const char *, size_t, struct trk_status *,
	    char *err, size_t errlen);
/* arm.lua's arguments for one route (argv points into the struct). */
#define TRK_ARM_ARGS	(5 + 2 * TRK_TIERS_MAX)
struct trk_arm_args {
	const char	*argv[TRK_ARM_ARGS];
	int		 argc;
	char		 t0[24], n[12];
	char		 tier[TRK_TIERS_MAX][12], due[TRK_TIERS_MAX][24];
};
void	trk_arm_args(const struct trk_route *, struct trk_arm_args *);
int	trk_status_parse(const char *msg, size_t len, struct trk_status *,
	    char *err, size_t errlen);
/*
 * 0 when the raw unit.status surely cannot count (neither "acked" nor
 * "onscene" in it, and no escape that could spell one): acked unparsed.
 */
int	trk_status_maybe(const char *msg, size_t len);
/* The tier an order id names (<incident>-T<tier>-<n>), or -1. */
long	trk_order_tier(const char *order_id);
/*
 * May this status meet a mark: onscene of an order, or acked of a tier 1
 * order?  The others are acked without a script call.
 */
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
	struct np_scripter	 scripter;	/* script calls (eval.c) */
	struct np_consumer	*routes;
	struct np_consumer	*status;
	struct np_batcher	 b_routes;	/* arm.lua calls (batch.c) */
	struct np_batcher	 b_status;	/* met.lua calls */
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
 * eval.c.  The scripts and their calls (np_script): the common arguments
 * (KEYS marks:due, s:escalations; ARGV prefix, now, district) first,
 * then the call's own.  An answer is {result, detail, due, {answer per
 * entry}, frames...}: due the earliest member of marks:due (0: none);
 * its frames are on the events bus before the caller sees it.  The
 * script texts are the build's (CMakeLists.txt: lib.lua in front of
 * each), linked by the unit tests too.
 */
extern const char trk_arm_lua[], trk_met_lua[], trk_fire_lua[];
void		 trk_scripts_init(struct tracker *);

/* due.c: the one timer. */
void	trk_due_init(struct tracker *);
void	trk_due_start(struct tracker *);	/* fire now, then re-arm */
void	trk_due_note(struct tracker *, const struct redisReply *);
void	trk_due_stop(struct tracker *);

/*
 * batch.c: the batchers of arm.lua and met.lua (np_batch: the entries of
 * one read, collected, then sent as one script call whose answer acks
 * each) and the answers of those calls.
 */
void	trk_batch_init(struct tracker *);

/* streams.c: the handlers, and the batch callbacks sending each read. */
void	trk_on_route(struct np_consumer *, const struct np_stream_entry *,
	    void *);
void	trk_on_status(struct np_consumer *, const struct np_stream_entry *,
	    void *);
void	trk_routes_read(struct np_consumer *, void *);
void	trk_status_read(struct np_consumer *, void *);

#endif
