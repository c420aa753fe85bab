/*
 * np_httpc: pipelined keep-alive HTTP/1.1 client connection (see
 * np_httpc.h).  State: the bufferevent (NULL while disconnected), a ring
 * of pending callbacks, and the head of the answer being read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "np_httpc.h"
#include "np_log.h"
#include "np_time.h"

#define HDR_MAX		4

struct pending {
	np_httpc_cb	*cb;
	void		*arg;
};

struct np_httpc {
	struct event_base	*base;
	struct sockaddr_storage	 addr;
	int			 addrlen;
	char			 hostport[300];
	char			*hdr[HDR_MAX];
	int			 nhdr;
	struct bufferevent	*bev;
	struct pending		*ring;
	size_t			 max, head, n;
	int			 timeout_ms;
	int			 status;	/* of the answer read, 0: none */
	long			 clen;
	int			 closing;
};

int
np_httpc_url(const char *url, char *host, size_t hostlen, int *port)
{
	const char *p, *h;
	size_t n;
	long v;
	char *e;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	h = url + 7;
	for (p = h; *p != '\0' && *p != ':' && *p != '/'; p++)
		;
	n = (size_t)(p - h);
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = 80;
	if (*p == ':') {
		v = strtol(p + 1, &e, 10);
		if (e == p + 1 || v < 1 || v > 65535 || (*e != '\0' &&
		    *e != '/'))
			return -1;
		*port = (int)v;
	}
	return 0;
}

/* The value of header name in [p, end), or NULL; *vlen its length. */
static const char *
header(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *eol, *v;

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			for (v = p + nl + 1; v < eol && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			*vlen = (size_t)(eol - v);
			while (*vlen > 0 && isspace((unsigned char)v[*vlen - 1]))
				(*vlen)--;
			return v;
		}
	}
	return NULL;
}

int
np_httpc_parse_head(const char *buf, size_t len, int *status, long *clen,
    int *close)
{
	const char *end = buf + len, *eol, *v;
	size_t vlen;
	char num[24], *e;
	int minor;

	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || !isdigit(
	    (unsigned char)buf[7]) || buf[8] != ' ' || !isdigit(
	    (unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]) || (len > 12 && buf[12] != ' ' &&
	    buf[12] != '\r' && buf[12] != '\n'))
		return -1;
	minor = buf[7] - '0';
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	if (*status < 100)
		return -1;
	if ((eol = memchr(buf, '\n', len)) == NULL)
		eol = end;
	*clen = -1;
	if ((v = header(eol + 1, end, "Transfer-Encoding", &vlen)) != NULL)
		return -1;
	if ((v = header(eol + 1, end, "Content-Length", &vlen)) != NULL) {
		if (vlen == 0 || vlen >= sizeof(num))
			return -1;
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		errno = 0;
		*clen = strtol(num, &e, 10);
		if (*e != '\0' || errno != 0 || *clen < 0 || !isdigit(
		    (unsigned char)num[0]))
			return -1;
	}
	v = header(eol + 1, end, "Connection", &vlen);
	*close = minor == 0 ? !(v != NULL && vlen == 10 &&
	    strncasecmp(v, "keep-alive", 10) == 0) :
	    (v != NULL && vlen == 5 && strncasecmp(v, "close", 5) == 0);
	return 0;
}

static void	on_read(struct bufferevent *, void *);
static void	on_event(struct bufferevent *, short, void *);

/* Drop the connection; every pending request fails (status 0). */
static void
fail_all(struct np_httpc *c, const char *why)
{
	struct pending p[64], *many = NULL, *v = p;
	size_t n = c->n, i;

	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (n > 0)
		log_debug("http %s: %s; %zu request(s) failed", c->hostport,
		    why, n);
	if (n > sizeof(p) / sizeof(p[0]) && (v = many = calloc(n,
	    sizeof(*many))) == NULL)
		fatalx("out of memory");
	for (i = 0; i < n; i++)
		v[i] = c->ring[(c->head + i) % c->max];
	c->head = c->n = 0;
	c->status = 0;
	c->closing = 0;
	for (i = 0; i < n; i++)
		v[i].cb(0, NULL, 0, v[i].arg);
	free(many);
}

static int
connect_now(struct np_httpc *c)
{
	struct timeval tv = np_tv_ms(c->timeout_ms);

	c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		return -1;
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&c->addr,
	    c->addrlen) == -1) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		return -1;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

/* 1 when one whole answer was handed over, 0 for more bytes, -1 bad. */
static int
read_one(struct np_httpc *c, struct evbuffer *in)
{
	struct evbuffer_ptr at;
	struct pending p;
	size_t hlen;
	const char *body;

	if (c->status == 0) {
		at = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (at.pos == -1)
			return evbuffer_get_length(in) > NP_HTTPC_HEAD_MAX ?
			    -1 : 0;
		hlen = (size_t)at.pos + 4;
		if (hlen > NP_HTTPC_HEAD_MAX || np_httpc_parse_head(
		    (const char *)evbuffer_pullup(in, (ssize_t)hlen), hlen,
		    &c->status, &c->clen, &c->closing) == -1 ||
		    c->clen > NP_HTTPC_BODY_MAX ||
		    (c->clen < 0 && c->status != 204 && c->status != 304))
			return -1;
		evbuffer_drain(in, hlen);
		if (c->clen < 0)
			c->clen = 0;
	}
	if (evbuffer_get_length(in) < (size_t)c->clen)
		return 0;
	body = c->clen > 0 ? (const char *)evbuffer_pullup(in, c->clen) : "";
	p = c->ring[c->head];
	c->head = (c->head + 1) % c->max;
	c->n--;
	p.cb(c->status, body, (size_t)c->clen, p.arg);
	/* the callback may have queued more: only our bytes are drained */
	evbuffer_drain(in, (size_t)c->clen);
	c->status = 0;
	return 1;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct np_httpc *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	int rc;

	while (c->n > 0 && (rc = read_one(c, in)) != 0) {
		if (rc == -1) {
			fail_all(c, "bad answer");
			return;
		}
		if (c->closing) {
			fail_all(c, "server closed");
			return;
		}
	}
	if (c->n == 0 && evbuffer_get_length(in) > 0)
		fail_all(c, "unexpected bytes");
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct np_httpc *c = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if ((what & BEV_EVENT_TIMEOUT) && c->n == 0) {
		bufferevent_enable(bev, EV_READ | EV_WRITE);	/* idle */
		return;
	}
	fail_all(c, what & BEV_EVENT_TIMEOUT ? "timeout" : what &
	    BEV_EVENT_EOF ? "closed" : "error");
}

struct np_httpc *
np_httpc_new(struct event_base *base, const char *host, int port,
    int max_inflight, int timeout_ms)
{
	struct evutil_addrinfo hints, *ai = NULL;
	struct np_httpc *c;
	char ps[8];

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->ring = calloc(
	    (size_t)max_inflight, sizeof(*c->ring))) == NULL)
		goto fail;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	if (evutil_getaddrinfo(host, ps, &hints, &ai) != 0 || ai == NULL ||
	    ai->ai_addrlen > sizeof(c->addr))
		goto fail;
	memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
	c->addrlen = (int)ai->ai_addrlen;
	evutil_freeaddrinfo(ai);
	c->base = base;
	c->max = (size_t)max_inflight;
	c->timeout_ms = timeout_ms;
	snprintf(c->hostport, sizeof(c->hostport), "%s:%d", host, port);
	return c;
fail:
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
	if (c != NULL)
		free(c->ring);
	free(c);
	return NULL;
}

void
np_httpc_free(struct np_httpc *c)
{
	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	for (int i = 0; i < c->nhdr; i++)
		free(c->hdr[i]);
	free(c->ring);
	free(c);
}

int
np_httpc_header(struct np_httpc *c, const char *line)
{
	if (c->nhdr == HDR_MAX || strpbrk(line, "\r\n") != NULL ||
	    (c->hdr[c->nhdr] = strdup(line)) == NULL)
		return -1;
	c->nhdr++;
	return 0;
}

int
np_httpc_request(struct np_httpc *c, const char *method, const char *path,
    const char *body, size_t len, np_httpc_cb *cb, void *arg)
{
	struct evbuffer *out;

	if (c->n == c->max || (c->bev == NULL && connect_now(c) == -1))
		return -1;
	out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "%s %s HTTP/1.1\r\nHost: %s\r\n", method,
	    path, c->hostport);
	for (int i = 0; i < c->nhdr; i++)
		evbuffer_add_printf(out, "%s\r\n", c->hdr[i]);
	if (body != NULL)
		evbuffer_add_printf(out, "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", len);
	else
		evbuffer_add(out, "\r\n", 2);
	if (body != NULL)
		evbuffer_add(out, body, len);
	c->ring[(c->head + c->n) % c->max] = (struct pending){ cb, arg };
	c->n++;
	return 0;
}

size_t
np_httpc_inflight(const struct np_httpc *c)
{
	return c->n;
}
