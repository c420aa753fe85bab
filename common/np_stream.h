/*
 * np_stream: Redis streams -- an XADD helper and a consumer-group reader
 * with at-least-once delivery.
 *
 * The consumer owns a second np_redis connection for its blocking
 * XREADGROUP (a BLOCK stalls everything queued behind it) and sends XACK
 * and the periodic XAUTOCLAIM on the caller's shared `cmd` connection.
 * On start and after every reconnect of its own connection it runs:
 *
 *   XGROUP CREATE ... MKSTREAM      (BUSYGROUP is fine)
 *   XREADGROUP ... STREAMS s 0..    its own pending list, until empty
 *   XAUTOCLAIM ... 0-0..            idle entries of dead consumers
 *   XREADGROUP ... BLOCK ... >      new entries, re-issued forever
 *
 * and every claim_interval_ms an XAUTOCLAIM on `cmd`.  Acks are sent in
 * XACK batches: at the end of the loop pass, or, with ack_delay_ms, up to
 * that much later unless a read's worth (count) is queued or the in-flight
 * room is short -- fewer round trips, the same delivery guarantee (an
 * entry is only re-delivered after a crash).  An id delivered to
 * the handler stays "in flight" until its XACK is confirmed; an in-flight
 * id is never delivered again by this process, and no more is read while
 * max_inflight ids are in flight.  A crash re-delivers what was not acked:
 * make handlers idempotent.
 *
 * Ownership: the entry passed to the handler and all its strings live only
 * for the duration of the call (they point into the hiredis reply); copy
 * what you keep, including the id you will ack later.  np_consumer_free
 * sends queued acks when `cmd` is up, leaves unacked entries pending for
 * the next consumer of the same name, and may be called from the handler.
 * `cmd` must outlive the consumer.
 */
#ifndef NP_STREAM_H
#define NP_STREAM_H

#include <stddef.h>

#include "np_redis.h"

#define NP_STREAM_MAX_PAIRS	128	/* name/value pairs per XADD */

struct np_stream_entry {
	const char	 *id;
	size_t		  nfields;
	const char	**names;
	const char	**values;	/* NUL-terminated, binary-safe by lens */
	const size_t	 *lens;
};

/* The value of field name or NULL; *len set when len is not NULL. */
const char	*np_stream_entry_get(const struct np_stream_entry *,
		    const char *name, size_t *len);

/*
 * XADD stream [MAXLEN ~ maxlen] * name value ...: npairs pairs in kv
 * (name, value, name, value ...) with lengths in kvlen.  Do not trim below
 * what consumers may still need: MAXLEN ignores the pending lists.
 */
int	np_stream_add(struct np_redis *, const char *stream, long maxlen,
	    np_redis_cb *, void *arg, int npairs, const char **kv,
	    const size_t *kvlen);

struct np_consumer_conf {
	const char	*stream;
	const char	*group;
	const char	*consumer;	/* stable per instance */
	int		 block_ms;		/* 2000 */
	int		 count;			/* 64 */
	int		 claim_idle_ms;		/* 30000 */
	int		 claim_interval_ms;	/* 5000 */
	int		 max_inflight;		/* 1024 */
	int		 ack_delay_ms;		/* 0 */
	int		 gap_ms;		/* 0 */
};

struct np_consumer;
struct event_base;

void	np_consumer_conf_defaults(struct np_consumer_conf *);

typedef void np_consumer_cb(struct np_consumer *,
	    const struct np_stream_entry *, void *arg);

/* rconf: where the consumer's own connection goes; NULL when out of memory. */
struct np_consumer	*np_consumer_new(struct event_base *,
			    const struct np_redis_conf *, struct np_redis *cmd,
			    const struct np_consumer_conf *, np_consumer_cb *,
			    void *arg);
/*
 * Optional: called once after the handler has been given the entries of
 * one read (XREADGROUP or XAUTOCLAIM reply; not called when none was
 * delivered), in the same loop pass -- a handler that only collects
 * entries can send them to Redis as one batch here (one script call for
 * many entries: fewer round trips).  It may ack, and may free the
 * consumer.
 */
typedef void np_consumer_batch_cb(struct np_consumer *, void *arg);
void	np_consumer_set_batch_cb(struct np_consumer *, np_consumer_batch_cb *);

/* The handler calls this (now or later) once the entry's effect is durable. */
void	np_consumer_ack(struct np_consumer *, const char *id);
void	np_consumer_free(struct np_consumer *);
/* Ids delivered and not yet confirmed acked. */
size_t	np_consumer_inflight(const struct np_consumer *);
/*
 * 1 once a live read since the reading connection last came up has
 * reached the end of the stream (its handler and batch callback have run
 * for every entry before it): what the service does next is issued after
 * what those entries asked for.  0 until then, and while down.
 */
int	np_consumer_caught_up(const struct np_consumer *);
/*
 * The gap (conf gap_ms, 0: none): after a live read that delivered
 * entries and did not fill its COUNT -- the consumer has caught up --
 * the next read waits gap ms, so that what comes meanwhile is delivered
 * as one read (one batch callback, one script call) instead of one read
 * per entry or two.  For streams that neither an order nor a deadline
 * waits for, where a few ms do not matter and every read and script
 * call costs Redis and the service a round trip (a status read late can
 * be judged after its deadline: those are read at once).  A full read is
 * followed at once.
 */
void	np_consumer_set_gap(struct np_consumer *, int ms);

struct np_consumer_stats {
	unsigned long long	delivered;	/* handler calls */
	unsigned long long	acked;		/* XACKs confirmed */
	unsigned long long	recovered;	/* from our own pending list */
	unsigned long long	claimed;	/* taken over by XAUTOCLAIM */
	unsigned long long	deleted;	/* pending but gone from stream */
	unsigned long long	reconnects;	/* of the reading connection */
};

void	np_consumer_stats(const struct np_consumer *,
	    struct np_consumer_stats *);

#endif
