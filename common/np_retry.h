/*
 * np_retry: a Redis call re-sent with a doubling back-off while Redis
 * is unreachable, the connection dropped before the answer (the outcome
 * is unknown) or Redis answered with a passing condition (LOADING, BUSY,
 * ...).  Only for idempotent calls (our Lua scripts check before they
 * write).  The caller keeps what the call needs and sends it again from
 * the timer callback; np_retry only times it and says when to.
 */
#ifndef NP_RETRY_H
#define NP_RETRY_H

#include <event2/util.h>

struct event;
struct event_base;
struct redisReply;

struct np_retry {
	struct event	*ev;
	int		 ms;		/* the next delay */
	int		 max_ms;
};

/* -1 if out of memory.  cb(-1, EV_TIMEOUT, arg) sends the call again. */
int	np_retry_init(struct np_retry *, struct event_base *, int first_ms,
	    int max_ms, void (*cb)(evutil_socket_t, short, void *), void *arg);
/* Arm the timer; returns the delay used (the next one doubles). */
int	np_retry_later(struct np_retry *);
void	np_retry_free(struct np_retry *);
/* Is this answer (NULL: connection lost) worth sending again? */
int	np_retry_wanted(const struct redisReply *);

#endif
