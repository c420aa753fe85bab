/*
 * np_call: a Lua script call (np_redis_eval) that is re-sent, with
 * np_retry's doubling back-off, while Redis is unreachable, the
 * connection drops before the answer (the outcome is unknown) or Redis
 * answers with a passing condition (LOADING, BUSY, ...).  Only for
 * idempotent scripts: every nearpost script checks before it writes.
 *
 * A service keeps one struct np_caller: its connection, its back-off and
 * the arguments every one of its scripts starts with (keys, prefix, the
 * current time...), which head() fills afresh at each send, so a call
 * re-sent later carries the time it is sent at.  The call's own
 * arguments are copied.
 *
 * done(reply, arg) is called exactly once, never from inside np_call:
 * with the final reply (any type, error replies included: the caller
 * judges it, e.g. np_script; the reply belongs to hiredis and lives for
 * the call), or
 * with NULL when the call was given up because the service is stopping
 * (*stopping set).  inflight counts the calls not finished, for drains.
 */
#ifndef NP_CALL_H
#define NP_CALL_H

#include <stddef.h>

struct event_base;
struct np_redis;
struct np_redis_script;
struct redisReply;

#define NP_CALL_ARGS_MAX	800	/* head + own arguments */
#define NP_CALL_HEAD_MAX	8	/* leading arguments head() fills */
#define NP_CALL_BUF		32	/* scratch per head argument */

/* Fill argv[0..nhead-1]; buf[i] is scratch for formatted numbers. */
typedef void	np_call_head_cb(void *owner, const char **argv,
		    char buf[][NP_CALL_BUF]);
typedef void	np_call_done_cb(const struct redisReply *, void *arg);

struct np_caller {
	struct event_base	*base;
	struct np_redis		*redis;
	int			 first_ms;	/* first back-off */
	int			 max_ms;	/* back-off cap */
	const int		*stopping;	/* give up, do not re-send */
	int			 nkeys;		/* leading keys in head */
	int			 nhead;		/* <= NP_CALL_HEAD_MAX */
	np_call_head_cb		*head;
	void			*owner;
	size_t			 inflight;
};

/* 0, or -1 (done never called) when stopping, too many or out of memory. */
int	np_call(struct np_caller *, struct np_redis_script *, int argc,
	    const char **argv, np_call_done_cb *, void *arg);

#endif
