/*
 * commander: the command stage.  It turns the router's decisions into
 * orders on units' radios and follows the units' answers (the contract is
 * docs/DISPATCH.md, "Dispatch (commander)").
 *
 * Every decision is a Lua script in Redis (lib.lua + dispatch.lua,
 * status.lua, noanswer.lua; seed.lua at start): reserving a unit,
 * creating its order, sending it to the gateway on s:orders, releasing,
 * falling back to the next candidate.  Redis runs one script at a time
 * and each script checks the state it changes, so any number of
 * commanders can consume the same streams and replays change nothing.
 * The C side only moves messages:
 *
 *   s:routes  route.decided --> dispatch.lua, every tier  --> XACK
 *   s:status  unit.status   --> status.lua                --> XACK
 *   ack timer (earliest of orders:ackdue) --> noanswer.lua --> re-arm
 *   s:escalations escalation redispatch --> redispatch.lua --> XACK
 *   s:closed      incident.closed --> cancel.lua (live orders) --> XACK
 *
 * dispatch.lua, status.lua and cancel.lua take all the entries of one
 * read in one call (batch.c, on np_batch).
 *
 * and publishes the frames each script hands back (order.issued,
 * order.cancelled, unit.status) on the event bus, unit.status also on the
 * units bus for the router.
 *
 * Files: msg.c (route.decided and unit.status parsing: pure; with the
 * scripts, the npcommander_logic library), eval.c (the scripts' calls on
 * np_script, what their frames mean), entry.c (stream entries and their
 * acks), seed.c (city and unit seeding), routes.c, status.c,
 * escalations.c, ackdue.c, main.c.
 */
#ifndef COMMANDER_H
#define COMMANDER_H

#include <stddef.h>
#include <stdint.h>

#include "np_batch.h"
#include "np_redis.h"
#include "np_script.h"
#include "np_svc.h"

struct event;
struct np_city;
struct np_consumer;
struct np_sock;
struct np_stream_entry;
struct redisReply;

#define CMD_ID_MAX		64	/* incident, unit and order ids */
#define CMD_TIERS_MAX		9	/* tiers in one route.decided */
#define CMD_CANDIDATES_MAX	64	/* candidates in one tier */
#define CMD_TEXT_MAX		256	/* disposition, reason */

/* msg.c: the two messages the commander consumes, checked. */
#define CMD_CANDS_TEXT	(CMD_CANDIDATES_MAX * (CMD_ID_MAX + 1))
struct cmd_route {
	char	incident_id[CMD_ID_MAX + 1];
	int	tiers[CMD_TIERS_MAX];	/* tier numbers, as listed */
	char	cands[CMD_TIERS_MAX][CMD_CANDS_TEXT];	/* "U1,U2,..." */
	size_t	ntiers;
};

enum cmd_status {
	CMD_ST_ACKED,
	CMD_ST_DECLINED,
	CMD_ST_ENROUTE,
	CMD_ST_ONSCENE,
	CMD_ST_CLEAR,
	CMD_ST_ONLINE,
	CMD_ST_OFFLINE,
};

struct cmd_status_msg {
	char		 unit_id[CMD_ID_MAX + 1];
	enum cmd_status	 status;
	char		 order_id[CMD_ID_MAX + 1];	/* "" for the link ones */
	char		 disposition[CMD_TEXT_MAX + 1];
	char		 reason[CMD_TEXT_MAX + 1];
};

/* 0, or -1 with err naming the field ("tiers[1].candidates[0].unit_id"). */
int		 cmd_route_parse(const char *msg, size_t len, struct cmd_route *,
		    char *err, size_t errlen);
int		 cmd_status_parse(const char *msg, size_t len,
		    struct cmd_status_msg *, char *err, size_t errlen);
const char	*cmd_status_name(enum cmd_status);
/*
 * The two ways of each: the fast path (np_jscan, no allocation) answers
 * 0 or 1 (refused: the strict one decides), the strict one (jansson) is
 * the parse above without the fast path.  For tests.
 */
int		 cmd_route_fast(const char *, size_t, struct cmd_route *);
int		 cmd_route_strict(const char *, size_t, struct cmd_route *,
		    char *err, size_t errlen);
int		 cmd_status_fast(const char *, size_t, struct cmd_status_msg *);
int		 cmd_status_strict(const char *, size_t,
		    struct cmd_status_msg *, char *err, size_t errlen);

/*
 * What an entry of s:escalations or s:closed asks of the commander
 * (escalations.c): incident.closed -> cancel (inc); an escalation with
 * action redispatch -> redispatch (inc, tier: its text, 8 bytes); any
 * other message -> nothing.  The same two ways: fast answers the ask or
 * -1 (the strict one decides), strict the ask or -1 with err.
 */
enum cmd_ask {
	CMD_ASK_NOTHING,
	CMD_ASK_REDISPATCH,
	CMD_ASK_CANCEL,
};
int		 cmd_ask_fast(const char *, size_t, char *inc, char *tier);
int		 cmd_ask_strict(const char *, size_t, char *inc, char *tier,
		    char *err, size_t errlen);

struct commander_conf {
	int	 ack_timeout_ms;
	int	 sweep_max;
	struct np_svc_city	city;	/* city.posts, city.units */
	struct np_svc_bus	bus;	/* bus.events, bus.units */
	struct np_svc_stream	stream;
	int	 retry_ms;
};

struct commander_stats {
	unsigned long long	routes;		/* route.decided handled */
	unsigned long long	statuses;	/* unit.status handled */
	unsigned long long	dispatched;	/* orders issued (published) */
	unsigned long long	expired;	/* acks missed */
	unsigned long long	bad;		/* entries refused */
	unsigned long long	failed;		/* scripts given up on */
};

/*
 * batch.c.  The entries of s:routes, s:status and s:closed go to their
 * batch script (lib.lua's batch) through np_batch, serial: one call per
 * stream in flight, the reads that come meanwhile growing the next.
 * Each entry adds its groups of width arguments (np_batch_add: all in
 * one call; argc a multiple of width); log gets the result of each group
 * ('error' ones are logged and counted here); each entry is acked once
 * its call has answered, left pending when it was given up on stop.
 */
struct commander;
typedef void cmd_group_cb(struct commander *, const char *id,
    const char *result, const char *detail);
struct cmd_batcher {
	struct np_batcher	 nb;		/* nb.owner: this */
	struct commander	*c;
	size_t			 width;
	cmd_group_cb		*log;
};
void	cmd_batcher_init(struct commander *, struct cmd_batcher *,
	    struct np_redis_script *, size_t width, cmd_group_cb *);

struct commander {
	struct np_svc		 svc;
	struct commander_conf	 conf;
	struct np_city		*city;
	struct np_redis		*redis;		/* scripts and acks */
	struct np_scripter	 scripter;	/* script calls (eval.c) */
	struct np_consumer	*routes;
	struct np_consumer	*status;
	struct np_consumer	*escalations;
	struct np_consumer	*closed;	/* s:closed */
	struct np_sock		*bus_events;
	struct np_sock		*health;	/* answers surveys */
	struct np_sock		*bus_units;

	struct np_redis_script	 s_dispatch;
	struct np_redis_script	 s_status;
	struct np_redis_script	 s_noanswer;
	struct np_redis_script	 s_seed;
	struct np_redis_script	 s_redispatch;
	struct np_redis_script	 s_cancel;
	struct cmd_batcher	 b_routes;	/* dispatch.lua */
	struct cmd_batcher	 b_status;	/* status.lua */
	struct cmd_batcher	 b_cancel;	/* cancel.lua */

	char			 k_ackdue[160];
	char			 k_orders[160];
	char			 k_routes[160];
	char			 k_status[160];
	char			 k_escalations[160];
	char			 k_closed[160];

	size_t			 seeding;	/* seed batches not finished */
	void			(*seeded)(struct commander *);
	unsigned long long	 seeded_new;
	struct event		*ack_ev;
	int64_t			 ack_at;	/* armed for (ms), 0: not */
	int			 sweeping;	/* noanswer.lua running */
	int			 sweep_again;	/* fired meanwhile */
	struct commander_stats	 stats;
};

/*
 * eval.c.  The scripts and their calls (np_script): the common arguments
 * (KEYS ackdue, orders; ARGV prefix, now, ack timeout) first, then the
 * call's own.  An answer is {result, detail, due, frames...} (a batch
 * script's {'batch', groups, due, {results}, frames...}): due the
 * earliest new ack deadline (0: none); its frames are published before
 * the caller sees it.  The script texts are the build's (CMakeLists.txt:
 * lib.lua in front of each but seed.lua), linked by the unit tests too.
 */
extern const char cmd_dispatch_lua[], cmd_status_lua[], cmd_noanswer_lua[],
    cmd_seed_lua[], cmd_redispatch_lua[], cmd_cancel_lua[];
void	cmd_scripts_init(struct commander *);

/*
 * entry.c.  A stream entry whose effect takes script calls of its own
 * (a redispatch; the batched entries are np_batch's): acked once the
 * last has answered -- also when a script was given up on an error reply
 * (logged: no retry would help), but not when the commander is stopping
 * (the entry stays pending for the next run).
 */
struct cmd_entry {
	struct commander	*c;
	struct np_consumer	*consumer;
	int			 pending;	/* calls not answered */
	int			 keep;		/* do not ack */
	char			 id[48];
};
/* NULL (logged) when out of memory: the entry stays pending. */
struct cmd_entry *cmd_entry_new(struct commander *, struct np_consumer *,
		    const char *id);
/* One call of the entry has ended; keep: leave the entry pending. */
void		  cmd_entry_done(struct cmd_entry *, int keep);
/* keep for a call that ended with reply r. */
int		  cmd_keep(struct commander *, const struct redisReply *r);
/*
 * The msg field of an entry, or NULL: the commander is stopping (the
 * entry stays pending) or it has none (logged, counted, acked).
 */
const char	 *cmd_entry_msg(struct commander *, struct np_consumer *,
		    const struct np_stream_entry *, const char *stream,
		    size_t *len);
/* An entry whose message was refused: logged, counted, acked. */
void		  cmd_entry_refuse(struct commander *, struct np_consumer *,
		    const struct np_stream_entry *, const char *stream,
		    const char *why);

/* seed.c: load the city (fatal on a bad file); seed, then call done. */
void	cmd_city_load(struct commander *);
void	cmd_seed(struct commander *, void (*done)(struct commander *));

/* routes.c, status.c: the stream handlers and batch callbacks. */
void	cmd_routes_init(struct commander *);
void	cmd_on_route(struct np_consumer *, const struct np_stream_entry *,
	    void *);
void	cmd_routes_batch(struct np_consumer *, void *);
void	cmd_status_init(struct commander *);
void	cmd_on_status(struct np_consumer *, const struct np_stream_entry *,
	    void *);
void	cmd_status_batch(struct np_consumer *, void *);
/*
 * escalations.c: the tracker's redispatch steps (s:escalations) and
 * closed incidents (s:closed).
 */
void	cmd_escalations_init(struct commander *);
void	cmd_on_escalation(struct np_consumer *,
	    const struct np_stream_entry *, void *);
void	cmd_escalations_batch(struct np_consumer *, void *);

/* ackdue.c: the ack-deadline timer. */
void	cmd_ackdue_init(struct commander *);
void	cmd_ackdue_start(struct commander *);	/* sweep now, then re-arm */
void	cmd_ackdue_note(struct commander *, int64_t due);
void	cmd_ackdue_stop(struct commander *);

#endif
