/*
 * out.c: what the gateway writes to units, one write per connection and
 * loop pass.
 *
 * A bufferevent that may write arms its socket's write event whenever
 * data is added (an epoll_ctl), waits for the next epoll round, writes,
 * and disarms it (another epoll_ctl): three system calls and a wake-up
 * for every line, while the replies to a batch of order verbs and the
 * ORDER pushes come a few at a time.  So a connection's bufferevent is
 * not let write on its own: gw_conn_send adds to its output buffer and
 * queues the connection, and at the end of the loop pass (an event made
 * active by the first one queued) each queued connection's output goes
 * out in one writev.  Only what the socket does not take at once is left
 * to the bufferevent (write enabled until drained: conn.c's conn_write
 * disables it again).  A closing connection is the bufferevent's too.
 */
#include <errno.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "gw.h"
#include "np_log.h"

static void
out_flush(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;
	struct evbuffer *out;
	struct gw_conn *c;
	int n;

	while ((c = TAILQ_FIRST(&gw->outq)) != NULL) {
		TAILQ_REMOVE(&gw->outq, c, out_entry);
		c->out_queued = 0;
		if (!gw_conn_alive(c) || c->out_writing)
			continue;
		out = bufferevent_get_output(c->bev);
		evbuffer_unfreeze(out, 1);	/* as the bufferevent does */
		n = evbuffer_write(out, bufferevent_getfd(c->bev));
		evbuffer_freeze(out, 1);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			log_debug("%s (unit %s): write: %s", c->peer,
			    gw_conn_unit_id(c), strerror(errno));
			gw_conn_close(c, "error", NULL, 0);
			continue;
		}
		if (evbuffer_get_length(out) > 0)
			gw_out_drain(c);
	}
}

int
gw_out_start(struct gw *gw)
{
	TAILQ_INIT(&gw->outq);
	gw->ev_out = event_new(gw->svc.base, -1, 0, out_flush, gw);
	return gw->ev_out == NULL ? -1 : 0;
}

void
gw_out_stop(struct gw *gw)
{
	if (gw->ev_out != NULL)
		event_free(gw->ev_out);
	gw->ev_out = NULL;
}

/* Data was added to c's output: written at the end of the pass. */
void
gw_out_queue(struct gw_conn *c)
{
	struct gw *gw = c->gw;

	if (c->out_queued || c->out_writing)
		return;
	if (TAILQ_EMPTY(&gw->outq))
		event_active(gw->ev_out, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&gw->outq, c, out_entry);
	c->out_queued = 1;
}

/* The bufferevent writes what is left (conn_write: drained). */
void
gw_out_drain(struct gw_conn *c)
{
	c->out_writing = 1;
	bufferevent_enable(c->bev, EV_WRITE);
}

/* What the bufferevent had to write is written: back to out_flush. */
void
gw_out_drained(struct gw_conn *c)
{
	c->out_writing = 0;
	bufferevent_disable(c->bev, EV_WRITE);
}

/* c is going away: out of the queue. */
void
gw_out_forget(struct gw_conn *c)
{
	if (c->out_queued)
		TAILQ_REMOVE(&c->gw->outq, c, out_entry);
	c->out_queued = 0;
}
