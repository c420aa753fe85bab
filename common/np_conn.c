/*
 * np_conn: a non-blocking TCP client connection, read and written with
 * plain system calls (see np_conn.h).  State: the socket (-1 while
 * closed), its read event (persistent, with the optional timeout) and
 * write event (armed while connecting or while the kernel refuses
 * bytes; made active by hand to report a write error from the loop),
 * and the two buffers: input from the start, output from ooff.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "np_conn.h"
#include "np_time.h"

#define IN_FIRST	2048	/* first input buffer, grown by doubling */

void
np_conn_init(struct np_conn *c, struct event_base *base, size_t in_max,
    size_t out_max, np_conn_read_cb *rcb, np_conn_event_cb *ecb, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	c->fd = -1;
	c->imax = in_max;
	c->omax = out_max;
	c->on_read = rcb;
	c->on_event = ecb;
	c->arg = arg;
}

int
np_conn_is_open(const struct np_conn *c)
{
	return c->fd != -1;
}

void
np_conn_close(struct np_conn *c)
{
	if (c->fd == -1)
		return;
	event_del(&c->rev);
	event_del(&c->wev);
	close(c->fd);
	c->fd = -1;
	c->gen++;
	c->connecting = c->werr = 0;
	c->ilen = c->ooff = c->olen = 0;
}

void
np_conn_free(struct np_conn *c)
{
	np_conn_close(c);
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->icap = c->ocap = 0;
}

static void
fail(struct np_conn *c, enum np_conn_what what)
{
	np_conn_close(c);
	c->on_event(c, what, c->arg);
}

/* A write error, told by the loop (not from inside add or flush). */
static void
write_failed(struct np_conn *c, int err)
{
	c->werr = err != 0 ? err : EIO;
	event_active(&c->wev, EV_WRITE, 1);
}

static void
arm_read(struct np_conn *c)
{
	struct timeval tv = np_tv_ms(c->timeout_ms);

	event_add(&c->rev, c->timeout_ms > 0 ? &tv : NULL);
}

static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct np_conn *c = arg;
	socklen_t len = sizeof(int);
	unsigned gen = c->gen;
	int err = 0;

	if (c->werr != 0 || !(what & EV_WRITE)) {
		fail(c, NP_CONN_ERROR);		/* or the connect timed out */
		return;
	}
	if (c->connecting) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			fail(c, NP_CONN_ERROR);
			return;
		}
		c->connecting = 0;
		arm_read(c);
		c->on_event(c, NP_CONN_CONNECTED, c->arg);
		if (c->gen != gen)
			return;
	}
	np_conn_flush(c);
}

/* Room for one more read: 0, or -1 when the buffer is full at imax. */
static int
in_room(struct np_conn *c)
{
	size_t cap;
	char *p;

	if (c->ilen < c->icap)
		return 0;
	if (c->icap >= c->imax)
		return -1;
	cap = c->icap == 0 ? IN_FIRST : c->icap * 2;
	if (cap > c->imax)
		cap = c->imax;
	if ((p = realloc(c->in, cap)) == NULL)
		return -1;
	c->in = p;
	c->icap = cap;
	return 0;
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct np_conn *c = arg;
	unsigned gen = c->gen;
	size_t used;
	ssize_t n;

	if (!(what & EV_READ)) {
		c->on_event(c, NP_CONN_TIMEOUT, c->arg);
		return;
	}
	if (in_room(c) == -1) {
		fail(c, c->icap >= c->imax ? NP_CONN_TOOLONG : NP_CONN_ERROR);
		return;
	}
	if ((n = read(c->fd, c->in + c->ilen, c->icap - c->ilen)) <= 0) {
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		fail(c, n == 0 ? NP_CONN_EOF : NP_CONN_ERROR);
		return;
	}
	c->ilen += (size_t)n;
	used = c->on_read(c, c->in, c->ilen, c->arg);
	if (c->gen != gen)
		return;		/* closed (or connected again) meanwhile */
	if (used >= c->ilen)
		c->ilen = 0;
	else if (used > 0) {
		memmove(c->in, c->in + used, c->ilen - used);
		c->ilen -= used;
	}
}

int
np_conn_connect(struct np_conn *c, const struct sockaddr *sa,
    socklen_t salen)
{
	struct timeval tv = np_tv_ms(c->timeout_ms);
	int fd;

	np_conn_close(c);
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	c->fd = fd;
	c->connecting = 1;
	event_assign(&c->rev, c->base, fd, EV_READ | EV_PERSIST, on_readable,
	    c);
	event_assign(&c->wev, c->base, fd, EV_WRITE, on_writable, c);
	if (connect(fd, sa, salen) == -1 && errno != EINPROGRESS)
		write_failed(c, errno);	/* refused: said from the loop */
	else
		event_add(&c->wev, c->timeout_ms > 0 ? &tv : NULL);
	return 0;
}

void
np_conn_timeout(struct np_conn *c, int ms)
{
	int had = c->timeout_ms;

	c->timeout_ms = ms;
	if (c->fd == -1 || c->connecting)
		return;
	if (had > 0 && ms <= 0)
		event_del(&c->rev);	/* a timeout is not removed by add */
	arm_read(c);
}

int
np_conn_add(struct np_conn *c, const void *p, size_t n)
{
	size_t cap;
	char *o;

	if (c->fd == -1 || c->werr != 0)
		return -1;
	if (c->ooff + c->olen + n > c->ocap && c->ooff > 0) {
		memmove(c->out, c->out + c->ooff, c->olen);
		c->ooff = 0;
	}
	if (c->olen + n > c->ocap) {
		if (c->olen + n > c->omax) {
			write_failed(c, ENOBUFS);
			return -1;
		}
		for (cap = c->ocap > 0 ? c->ocap : 512; cap < c->olen + n;)
			cap *= 2;
		if (cap > c->omax)
			cap = c->omax;
		if ((o = realloc(c->out, cap)) == NULL) {
			write_failed(c, ENOMEM);
			return -1;
		}
		c->out = o;
		c->ocap = cap;
	}
	memcpy(c->out + c->ooff + c->olen, p, n);
	c->olen += n;
	return 0;
}

void
np_conn_flush(struct np_conn *c)
{
	ssize_t n;

	if (c->fd == -1 || c->connecting || c->werr != 0 || c->olen == 0 ||
	    event_pending(&c->wev, EV_WRITE, NULL))
		return;
	n = send(c->fd, c->out + c->ooff, c->olen, MSG_NOSIGNAL);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		write_failed(c, errno);
		return;
	}
	if (n > 0) {
		c->ooff += (size_t)n;
		c->olen -= (size_t)n;
	}
	if (c->olen == 0)
		c->ooff = 0;
	else
		event_add(&c->wev, NULL);	/* the rest when writable */
}
