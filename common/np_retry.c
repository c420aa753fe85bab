/*
 * np_retry: back-off timer and the "send again?" test for idempotent
 * Redis calls (see np_retry.h).
 */
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_retry.h"
#include "np_time.h"

int
np_retry_init(struct np_retry *rt, struct event_base *base, int first_ms,
    int max_ms, void (*cb)(evutil_socket_t, short, void *), void *arg)
{
	rt->ms = first_ms;
	rt->max_ms = max_ms;
	rt->ev = evtimer_new(base, cb, arg);
	return rt->ev != NULL ? 0 : -1;
}

int
np_retry_later(struct np_retry *rt)
{
	struct timeval tv = np_tv_ms(rt->ms);
	int ms = rt->ms;

	evtimer_add(rt->ev, &tv);
	rt->ms = rt->ms > rt->max_ms / 2 ? rt->max_ms : rt->ms * 2;
	return ms;
}

void
np_retry_free(struct np_retry *rt)
{
	if (rt->ev != NULL)
		event_free(rt->ev);
	rt->ev = NULL;
}

int
np_retry_wanted(const struct redisReply *reply)
{
	static const char *const passing[] = { "LOADING", "BUSY", "TRYAGAIN",
	    "MASTERDOWN", "OOM", "CLUSTERDOWN", NULL };
	size_t n;

	if (reply == NULL)
		return 1;
	if (reply->type != REDIS_REPLY_ERROR || reply->str == NULL)
		return 0;
	for (size_t i = 0; passing[i] != NULL; i++) {
		n = strlen(passing[i]);
		/* the error code is the first word: BUSY, not BUSYGROUP */
		if (strncmp(reply->str, passing[i], n) == 0 &&
		    (reply->str[n] == ' ' || reply->str[n] == '\0'))
			return 1;
	}
	return 0;
}
