/*
 * np_redis_ev: hiredis' event hooks on libevent (see np_redis_ev.h).
 *
 * hiredis calls addWrite after queueing a command and from
 * redisAsyncHandleWrite when the socket did not take everything.  The
 * first kind makes the flush event active (no system call); the second
 * -- told apart because it comes while that flush runs -- and any call
 * before the connection is up wait on the real write event.  The flush
 * may free the context (a write error disconnects it), so which context
 * is flushing is kept outside it.
 */
#include <stdlib.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "np_redis_ev.h"

struct np_redis_ev {
	redisAsyncContext	*ac;
	struct event		*rev;	/* persistent */
	struct event		*wev;	/* one-shot: the socket has room */
	struct event		*flush;	/* made active: write now */
};

static struct np_redis_ev *flushing;	/* whose flush is running */

static void
ev_read(evutil_socket_t fd, short what, void *arg)
{
	struct np_redis_ev *e = arg;

	redisAsyncHandleRead(e->ac);
}

static void
ev_write(evutil_socket_t fd, short what, void *arg)
{
	struct np_redis_ev *e = arg;

	flushing = e;
	redisAsyncHandleWrite(e->ac);
	flushing = NULL;
}

static void
ev_add_read(void *arg)
{
	struct np_redis_ev *e = arg;

	if (!event_pending(e->rev, EV_READ, NULL))
		event_add(e->rev, NULL);
}

static void
ev_del_read(void *arg)
{
	struct np_redis_ev *e = arg;

	event_del(e->rev);
}

static void
ev_add_write(void *arg)
{
	struct np_redis_ev *e = arg;

	if (event_pending(e->wev, EV_WRITE, NULL))
		return;		/* already waiting for room */
	if (e == flushing || !(e->ac->c.flags & REDIS_CONNECTED))
		event_add(e->wev, NULL);
	else
		event_active(e->flush, EV_WRITE, 0);
}

static void
ev_del_write(void *arg)
{
	struct np_redis_ev *e = arg;

	event_del(e->wev);
	event_del(e->flush);
}

static void
ev_cleanup(void *arg)
{
	struct np_redis_ev *e = arg;

	if (e == NULL)
		return;
	if (flushing == e)
		flushing = NULL;
	event_free(e->rev);
	event_free(e->wev);
	event_free(e->flush);
	free(e);
}

int
np_redis_ev_attach(redisAsyncContext *ac, struct event_base *base)
{
	struct np_redis_ev *e;
	int fd = ac->c.fd;

	if (ac->ev.data != NULL || (e = calloc(1, sizeof(*e))) == NULL)
		return REDIS_ERR;
	e->ac = ac;
	e->rev = event_new(base, fd, EV_READ | EV_PERSIST, ev_read, e);
	e->wev = event_new(base, fd, EV_WRITE, ev_write, e);
	e->flush = event_new(base, -1, 0, ev_write, e);
	if (e->rev == NULL || e->wev == NULL || e->flush == NULL) {
		if (e->rev != NULL)
			event_free(e->rev);
		if (e->wev != NULL)
			event_free(e->wev);
		if (e->flush != NULL)
			event_free(e->flush);
		free(e);
		return REDIS_ERR;
	}
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	ac->ev.data = e;
	/* as hiredis' adapter: wait for the connect (write) and replies */
	event_add(e->rev, NULL);
	event_add(e->wev, NULL);
	return REDIS_OK;
}
