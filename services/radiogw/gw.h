/*
 * gw.h: the radio gateway daemon -- where field units connect (see
 * docs/RADIO.md for the protocol, docs/DISPATCH.md "The gateway" for its
 * part in dispatch).
 *
 * One struct gw holds everything: the city's units (with a runtime slot
 * each: its authenticated connection, its unpersisted position), the
 * listener and the connections, the Redis connection, the s:orders
 * consumer, and the two PUB sockets (units bus, events bus).
 *
 * Files:
 *   main.c     settings, start-up, the drain on SIGTERM, counters;
 *   conn.c     the listener and the per-connection state machine on
 *              bufferevents: framing, limits, replies, closing;
 *   session.c  what each accepted line does (one switch on the verb);
 *   auth.c     the login (AUTH, CHALLENGE, PROOF) and what follows it
 *              (online, outstanding order);
 *   status.c   the link (online/offline) to s:status and the events bus;
 *   verbs.c    order verbs, checked and written to s:status in batches;
 *   orders.c   s:orders: ORDER pushes, re-sends, CANCEL;
 *   pos.c      positions: the units bus, throttled persistence;
 *   out.c      one write per connection and loop pass.
 *
 * Connection states (memcached style, explicit):
 *
 *   AUTH --PROOF ok--> READY --QUIT/replaced/limits--> CLOSING --> DEAD
 *     \--timeout, too many failed logins, limits------^
 *
 * In AUTH, an AUTH line leaves a challenge pending (chal_unit, nonce);
 * the next PROOF consumes it, right or wrong.
 *
 * `nverbs` counts the order verbs waiting for Redis (verbs.c): while
 * there are any, only another such verb is read, so replies keep the
 * order of the lines.  A connection is freed once DEAD and no callback
 * holds a reference.
 */
#ifndef GW_H
#define GW_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/event_struct.h>

#include "np_svc.h"
#include "radiogw.h"

struct bufferevent;
struct evconnlistener;
struct np_city;
struct np_consumer;
struct np_redis;
struct np_sock;
struct evbuffer;
struct redisReply;

#ifndef TAILQ_FOREACH_SAFE	/* BSD's, missing from glibc */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define GW_ORDERS_MAX	8	/* orders re-sent at once per connection */
#define GW_VERBS_MAX	32	/* order verbs waiting per connection */
#define GW_CLOSE_MS	5000	/* a closing connection may flush this long */
#define GW_STATS_S	60	/* counters logged this often */

struct gw_conf {
	char	*addr;
	int	 port;
	int	 max_line;
	int	 max_conns;
	int	 max_conns_per_source;
	int	 max_lines_per_s;
	int	 resend_ms;
	int	 auth_timeout_ms;
	int	 max_auth_failures;
	int	 pos_persist_ms;
	int	 max_outbuf;
	struct np_svc_city	city;	/* city.posts, city.units, city.keys */
	struct np_svc_bus	bus;	/* bus.events, bus.units */
};

struct gw_stats {
	uint64_t	conns;		/* accepted */
	uint64_t	refused_conns;	/* over max_conns */
	uint64_t	refused_source;	/* over max_conns_per_source */
	uint64_t	auths;
	uint64_t	auth_failures;
	uint64_t	lines;
	uint64_t	naks;
	uint64_t	rate_limited;
	uint64_t	floods;		/* disconnected for flooding */
	uint64_t	slow_readers;	/* disconnected over max_outbuf */
	uint64_t	orders_sent;
	uint64_t	resends;
	uint64_t	cancels;
	uint64_t	statuses;	/* unit.status written to s:status */
	uint64_t	verb_batches;	/* verbs.lua calls */
	uint64_t	positions;
	uint64_t	persisted;
	uint64_t	unavailable;	/* lines refused: Redis down */
};

enum gw_state {
	GW_ST_AUTH,
	GW_ST_READY,
	GW_ST_CLOSING,
	GW_ST_DEAD,
};

struct gw_conn;

struct gw_verb;
TAILQ_HEAD(gw_verbq, gw_verb);

/* An order being re-sent to a connection until the unit answers. */
struct gw_order {
	TAILQ_ENTRY(gw_order)	 entry;
	struct gw_conn		*conn;
	char			 id[RADIO_ID_MAX + 1];
	char			 line[RADIO_OUT_MAX];
	size_t			 len;
	struct event		 ev;
};
TAILQ_HEAD(gw_orderq, gw_order);

struct gw_conn {
	struct gw		*gw;
	TAILQ_ENTRY(gw_conn)	 entry;
	struct bufferevent	*bev;
	char			 peer[64];	/* "address:port" */
	char			 host[48];	/* the address alone */
	enum gw_state		 state;
	long			 unit;		/* index in the city, or -1 */
	int			 nverbs;	/* order verbs waiting (verbs.c) */
	int			 discarding;	/* rest of an oversize line */
	int			 eof;		/* peer stopped sending */
	int			 replaced;	/* by a newer connection */
	int			 refs;
	int			 auth_failures;
	int			 challenged;	/* a nonce is pending */
	char			 chal_unit[RADIO_ID_MAX + 1];
	char			 nonce[RADIO_NONCE_HEX + 1];
	struct radio_bucket	 bucket;
	struct event		 timer;		/* auth timeout, then close */
	struct gw_orderq	 orders;
	size_t			 norders;
	int			 out_queued;	/* in gw->outq (out.c) */
	int			 out_writing;	/* the bufferevent writes */
	TAILQ_ENTRY(gw_conn)	 out_entry;
	char			*line;		/* max_line + 2 bytes */
};
TAILQ_HEAD(gw_connq, gw_conn);

/* Runtime state of one unit of the city (same index). */
struct gw_unit {
	struct gw_conn		*conn;		/* authenticated, or NULL */
	int64_t			 persisted_ms;	/* monotonic */
	int			 dirty;		/* position not yet persisted */
	double			 lat, lon;
	int64_t			 pos_ts;	/* wall ms of that position */
	TAILQ_ENTRY(gw_unit)	 dirty_entry;
};
TAILQ_HEAD(gw_unitq, gw_unit);

struct gw {
	struct np_svc		 svc;
	struct gw_conf		 conf;
	struct np_city		*city;
	struct gw_unit		*units;
	struct np_redis		*redis;
	struct np_consumer	*orders;
	struct np_sock		*bus_units;
	struct np_sock		*bus_events;
	struct np_sock		*health;	/* answers surveys */
	struct evconnlistener	*listener;
	struct gw_connq		 conns;
	size_t			 nconns;	/* not DEAD */
	struct gw_unitq		 dirty;
	struct event		*ev_persist;
	struct event		*ev_stats;
	struct gw_verbq		 verbs;		/* for the next verbs.lua */
	struct event		*ev_verbs;	/* ... sends them */
	struct gw_connq		 outq;		/* output to write (out.c) */
	struct event		*ev_out;	/* ... writes it */
	const struct timeval	*resend_tv;	/* a common timeout */
	size_t			 pending;	/* Redis commands in flight */
	int64_t			 source_logged_ms; /* last per-source refusal */
	struct gw_stats		 stats;
};

/* conn.c */
int	gw_listen(struct gw *);
void	gw_conn_send(struct gw_conn *, const char *, size_t);
void	gw_conn_ok(struct gw_conn *, enum radio_verb, const char *details);
void	gw_conn_nak(struct gw_conn *, const struct radio_error *);
void	gw_conn_nakf(struct gw_conn *, enum radio_verb, enum radio_err,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Close: flushing (after "BYE reason msg" when msg is set), or at once. */
void	gw_conn_close(struct gw_conn *, const char *reason, const char *msg,
	    int flush);
/* Its order verbs are answered: go on with the input. */
void	gw_conn_resume(struct gw_conn *);
void	gw_conn_ref(struct gw_conn *);
void	gw_conn_unref(struct gw_conn *);
int	gw_conn_alive(const struct gw_conn *);
const char *gw_conn_unit_id(const struct gw_conn *);
void	gw_close_all(struct gw *, const char *reason, const char *msg);
/* At exit: every connection gone, whatever its state. */
void	gw_conns_free(struct gw *);

/* session.c: one accepted-by-the-rate-limit line. */
void	gw_session_line(struct gw_conn *, const char *line, size_t len);

/* auth.c */
void	gw_auth_begin(struct gw_conn *);
void	gw_auth(struct gw_conn *, const struct radio_cmd *);	/* AUTH */
void	gw_auth_proof(struct gw_conn *, const struct radio_cmd *); /* PROOF */

/* status.c */
int	gw_status_start(struct gw *);	/* re-report links on reconnect */
void	gw_status_link(struct gw *, long unit, int up);
/* msg on the units bus (units != 0) and/or the events bus. */
void	gw_publish(struct gw *, const char *topic, json_t *msg, int units,
	    int events);
/* Redis helpers: key of a unit / order, and a counted fire-and-forget. */
int	gw_key(struct gw *, char *buf, size_t len, const char *kind,
	    const char *id);
int	gw_redis_fire(struct gw *, const char *what, int argc,
	    const char **argv);
/* The pending count: every callback that was counted calls this once. */
void	gw_redis_done(struct gw *);

/* verbs.c */
int	gw_verbs_start(struct gw *);
void	gw_verbs_stop(struct gw *);	/* sends what waits */
void	gw_status_order_verb(struct gw_conn *, const struct radio_cmd *);
/* c has verbs waiting: is its next line one to read now?  1 or 0. */
int	gw_verb_next(struct gw_conn *, struct evbuffer *in);

/* orders.c */
int	gw_orders_start(struct gw *);
void	gw_order_push(struct gw_conn *, const struct radio_order *);
void	gw_order_answered(struct gw_conn *, const char *order_id);
void	gw_orders_free(struct gw_conn *);
/* After AUTH: the unit's outstanding issued order, from Redis. */
void	gw_orders_outstanding(struct gw_conn *);

/* out.c */
int	gw_out_start(struct gw *);
void	gw_out_stop(struct gw *);
void	gw_out_queue(struct gw_conn *);
void	gw_out_drain(struct gw_conn *);
void	gw_out_drained(struct gw_conn *);
void	gw_out_forget(struct gw_conn *);

/* pos.c */
void	gw_pos_report(struct gw_conn *, double lat, double lon);
int	gw_pos_start(struct gw *);
void	gw_pos_flush(struct gw *);

#endif
