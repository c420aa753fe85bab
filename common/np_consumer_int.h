/*
 * np_consumer internals shared by np_consumer.c and np_consumer_ack.c.
 */
#ifndef NP_CONSUMER_INT_H
#define NP_CONSUMER_INT_H

#include <sys/queue.h>

#include <stddef.h>

#include "np_redis.h"
#include "np_stream.h"

#define NP_ID_MAX	48	/* "u64-u64" is at most 41 characters */
#define NP_ACK_BATCH	512	/* ids per XACK */
#define NP_ENTRY_STACK	32	/* field pairs decoded without malloc */

enum np_consumer_phase {
	NP_CONSUMER_IDLE,
	NP_CONSUMER_GROUP,
	NP_CONSUMER_PENDING,
	NP_CONSUMER_CLAIM,
	NP_CONSUMER_LIVE,
};

struct np_inflight {
	struct np_inflight	*next;
	int			 acking;	/* queued or sent for XACK */
	char			 id[NP_ID_MAX];
};

/* A request on `cmd`: c is NULL once the consumer has gone. */
struct np_consumer_req {
	TAILQ_ENTRY(np_consumer_req) entry;
	struct np_consumer	*c;
	int			 nids;
	char			 ids[][NP_ID_MAX];
};

struct np_consumer {
	struct event_base	*base;
	char			*stream;
	char			*group;
	char			*name;
	int			 block_ms;
	int			 count;
	int			 claim_idle_ms;
	int			 claim_interval_ms;
	int			 max_inflight;
	int			 ack_delay_ms;
	int			 gap_ms;	/* np_consumer_set_gap */
	int			 kick_later;	/* kick_ev set ack_delay_ms out */
	np_consumer_cb		*cb;
	np_consumer_batch_cb	*batch_cb;	/* after a read's entries */
	void			*arg;

	struct np_redis		*rd;		/* ours, for the reads */
	struct np_redis		*cmd;		/* shared, XACK/XAUTOCLAIM */
	enum np_consumer_phase	 phase;
	int			 reading;	/* request outstanding on rd */
	int			 asked;		/* COUNT of that request */
	int			 caught_up;	/* a live read since (re)connect
						 * reached the stream's end */
	int			 claiming;	/* periodic claim outstanding */
	int			 busy;		/* inside the handler */
	int			 dying;
	char			 cursor[NP_ID_MAX];	/* rd drain/claim */
	char			 claim_cursor[NP_ID_MAX]; /* periodic claim */

	struct np_inflight	**buckets;
	size_t			 nbuckets;	/* power of two */
	size_t			 ninflight;
	char			(*ackq)[NP_ID_MAX];
	size_t			 nackq;
	size_t			 nacking;	/* ids in XACKs not yet answered */
	size_t			 ackq_cap;
	TAILQ_HEAD(, np_consumer_req) reqs;

	struct event		*kick_ev;	/* flush acks, read on */
	struct event		*claim_ev;	/* periodic XAUTOCLAIM */
	struct event		*retry_ev;	/* after an error reply, or
						 * the gap after a live read */
	struct np_consumer_stats stats;
};

struct np_inflight	**npc_inflight_slot(struct np_consumer *, const char *);
int	npc_inflight_add(struct np_consumer *, const char *);
int	npc_inflight_del(struct np_consumer *, const char *);
int	npc_room(const struct np_consumer *);
int	npc_ackq_push(struct np_consumer *, const char *);
void	npc_kick(struct np_consumer *);
void	npc_kick_later(struct np_consumer *);
void	npc_destroy(struct np_consumer *);
void	npc_next(struct np_consumer *);
void	npc_flush(struct np_consumer *);
struct np_consumer_req	*npc_req(struct np_consumer *, int);
struct np_consumer	*npc_req_done(struct np_consumer_req *);
int	npc_send(struct np_redis *, np_redis_cb *, void *, int, const char **);

#endif
