/*
 * np_testloop: running suites and waiting on the loop (see np_testloop.h).
 */
#include <event2/event.h>

#include "np_redis.h"
#include "np_testloop.h"

int
np_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

static void
wake(evutil_socket_t fd, short ev, void *arg)
{
	if (arg != NULL)
		*(int *)arg = 1;
}

int
np_test_run_until(struct event_base *base, int (*cond)(void *), void *arg,
    int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct timeval ptv = { 0, 20 * 1000 };
	struct event *dl, *poll;
	int expired = 0;

	dl = evtimer_new(base, wake, &expired);
	poll = event_new(base, -1, EV_PERSIST, wake, NULL);
	evtimer_add(dl, &tv);
	event_add(poll, &ptv);
	while (!cond(arg) && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(dl);
	event_free(poll);
	return cond(arg);
}

int
np_test_never(void *arg)
{
	return 0;
}

int
np_test_redis_up(void *r)
{
	return np_redis_connected(r);
}

int
np_test_redis_down(void *r)
{
	return !np_redis_connected(r);
}
