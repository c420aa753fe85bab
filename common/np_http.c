/*
 * np_http: listener, connections and their state machine (the states are
 * described in np_http_int.h).
 *
 * Buffers: libevent owns each connection's input and output evbuffers.
 * In READING the parser consumes the input as it arrives (so the input
 * holds at most one read's worth); in every other state pipelined bytes
 * stay in the input, bounded by a read high-watermark, and are parsed
 * once the reply is written.  Reading stays enabled so that a client
 * going away is seen (EOF) even while a handler is pending.
 *
 * Timers: one per connection.  In READING it bounds the idle time before
 * a request and, re-armed at the request's first byte, the time to
 * receive the whole request (408 if it expires mid-request).  While a
 * reply is being written the bufferevent's write timeout bounds stalls.
 * In LINGER it bounds the lingering close: after the last reply we shut
 * our write side and discard input until EOF, so that unread request
 * bytes do not make the kernel reset the connection before the client
 * has read our answer (the 413 case).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "np_http_int.h"
#include "np_log.h"

#define NP_HTTP_INBUF_MAX	(64 * 1024)
#define NP_HTTP_LINGER_MS	2000
#define NP_HTTP_MAX_REJECTING	64

static void	conn_process(struct np_http_conn *);
static void	conn_free(struct np_http_conn *);

void
np_http_conf_defaults(struct np_http_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = "127.0.0.1";
	c->max_header_bytes = 8192;
	c->max_headers = 64;
	c->max_body_bytes = 65536;
	c->max_uri_bytes = 2048;
	c->max_conns = 1024;
	c->idle_timeout_ms = 30000;
}

static void
timer_arm(struct np_http_conn *c, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
}

/* A reply is written: wait for the next request. */
static void
conn_next(struct np_http_conn *c)
{
	np_http_parser_reset(c->parser);
	c->state = NP_HTTP_C_READING;
	timer_arm(c, c->srv->conf.idle_timeout_ms);
}

/* A last answer, then close; retry_after > 0 adds Retry-After. */
static void
conn_send_error(struct np_http_conn *c, int status, const char *code,
    const char *msg, int retry_after)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer *extra = NULL;
	char *body;
	size_t len = 0;

	if (retry_after > 0 && (extra = evbuffer_new()) != NULL)
		evbuffer_add_printf(extra, "Retry-After: %d\r\n", retry_after);
	body = np_http_error_body(status, code, NULL, msg, &len);
	np_http_head_write(out, status, "application/json", (long long)len,
	    1, 0, extra);
	if (body != NULL)
		evbuffer_add(out, body, len);
	free(body);
	if (extra != NULL)
		evbuffer_free(extra);
	np_http_conn_replied(c, status, 1);
}

/* status 0: the end of a stream, counted at its start. */
void
np_http_conn_replied(struct np_http_conn *c, int status, int close)
{
	if (status != 0)
		c->srv->stats.status[status / 100 % 6]++;
	c->req = NULL;
	c->state = close ? NP_HTTP_C_CLOSING : NP_HTTP_C_WRITING;
	evtimer_del(c->timer);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		return;		/* the write callback moves it on */
	/* all written (np_http_reply sent it, or a stream's end): ready
	 * for the next request now when none is buffered, else parse that
	 * from the loop (a reply made while parsing must not recurse) */
	if (!close && !c->eof && !c->srv->draining &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
		conn_next(c);
	else
		timer_arm(c, 0);
}

void
np_http_conn_streaming(struct np_http_conn *c, int status)
{
	c->srv->stats.status[status / 100 % 6]++;
	c->state = NP_HTTP_C_STREAMING;
}

static void
conn_not_found(struct np_http_conn *c, struct np_http_req *req)
{
	struct np_http *srv = c->srv;
	char allow[256];
	size_t i, n = 0;

	allow[0] = '\0';
	for (i = 0; i < srv->nroutes; i++) {
		if (!np_http_req_match(req, srv->routes[i].pattern) ||
		    strstr(allow, srv->routes[i].method) != NULL)
			continue;
		n += (size_t)snprintf(allow + n, sizeof(allow) - n, "%s%s",
		    n ? ", " : "", srv->routes[i].method);
		if (n >= sizeof(allow))
			break;
	}
	if (allow[0] == '\0') {
		np_http_error(req, 404, "not_found", NULL, "no resource at %s",
		    np_http_path(req));
		return;
	}
	np_http_add_header(req, "Allow", allow);
	np_http_error(req, 405, "method_not_allowed", NULL,
	    "%s is not allowed on %s", np_http_method(req), np_http_path(req));
}

static void
conn_dispatch(struct np_http_conn *c)
{
	struct np_http *srv = c->srv;
	struct np_http_req *req = NULL;
	const char *code = NULL;
	char msg[160];
	size_t i;
	int wait;

	srv->stats.requests++;
	evtimer_del(c->timer);
	if (np_http_req_new(c, c->parser, &req, &code, msg, sizeof(msg)) ==
	    -1) {
		srv->stats.parse_errors++;
		conn_send_error(c, 400, code, msg, 0);
		return;
	}
	if (req == NULL) {
		conn_send_error(c, 503, "no_memory", "out of memory", 0);
		return;
	}
	c->req = req;
	c->state = NP_HTTP_C_HANDLING;
	if ((wait = np_http_src_take(srv, c->src)) > 0) {
		srv->stats.rate_limited++;
		snprintf(msg, sizeof(msg), "%d", wait);
		np_http_add_header(req, "Retry-After", msg);
		np_http_error(req, 429, "rate_limited", NULL, "more than %g "
		    "requests per second from %s; retry in %d s",
		    srv->conf.rate_per_source, c->addr, wait);
		return;
	}
	for (i = 0; i < srv->nroutes; i++) {
		if (strcmp(srv->routes[i].method, np_http_method(req)) == 0 &&
		    np_http_req_match(req, srv->routes[i].pattern)) {
			srv->routes[i].handler(req, srv->arg);
			return;
		}
	}
	conn_not_found(c, req);
}

/* Parse what is buffered while in READING. */
static void
conn_process(struct np_http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct np_http_parse_error *e;
	enum np_http_parse_status st;
	struct evbuffer_iovec v;
	size_t used;
	int started;

	while (c->state == NP_HTTP_C_READING &&
	    evbuffer_get_length(in) > 0) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		started = np_http_parser_started(c->parser);
		st = np_http_parser_feed(c->parser, v.iov_base, v.iov_len,
		    &used);
		evbuffer_drain(in, used);
		if (!started && np_http_parser_started(c->parser))
			timer_arm(c, c->srv->conf.idle_timeout_ms);
		switch (st) {
		case NP_HTTP_PARSE_MORE:
			break;
		case NP_HTTP_PARSE_HEAD:
			/* the body has not started: invite it */
			if (np_http_parser_msg(c->parser)->expect_continue &&
			    np_http_parser_msg(c->parser)->minor >= 1 &&
			    evbuffer_get_length(in) == 0)
				bufferevent_write(c->bev,
				    "HTTP/1.1 100 Continue\r\n\r\n", 25);
			break;
		case NP_HTTP_PARSE_DONE:
			conn_dispatch(c);
			break;
		case NP_HTTP_PARSE_ERROR:
			e = np_http_parser_error(c->parser);
			c->srv->stats.parse_errors++;
			log_debug("http %s: %d %s", c->peer, e->status,
			    e->message);
			conn_send_error(c, e->status, e->code, e->message, 0);
			break;
		}
	}
	if (c->state == NP_HTTP_C_READING && c->eof)
		conn_free(c);	/* partial or no request, client done */
}

static void
conn_linger(struct np_http_conn *c)
{
	if (c->eof) {
		conn_free(c);
		return;
	}
	c->state = NP_HTTP_C_LINGER;
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	timer_arm(c, NP_HTTP_LINGER_MS);
}

static void
conn_readcb(struct bufferevent *bev, void *arg)
{
	struct np_http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->state == NP_HTTP_C_READING)
		conn_process(c);
	else if (c->state == NP_HTTP_C_CLOSING || c->state == NP_HTTP_C_LINGER)
		evbuffer_drain(in, evbuffer_get_length(in));
}

static void
conn_writecb(struct bufferevent *bev, void *arg)
{
	struct np_http_conn *c = arg;

	if (c->state == NP_HTTP_C_CLOSING) {
		conn_linger(c);
		return;
	}
	if (c->state != NP_HTTP_C_WRITING)
		return;
	if (c->srv->draining) {
		conn_linger(c);
		return;
	}
	conn_next(c);
	conn_process(c);
}

static void
conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct np_http_conn *c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		c->srv->stats.timeouts++;
	if ((what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) == 0 &&
	    (what & BEV_EVENT_EOF)) {
		c->eof = 1;
		/* a reply is on its way: finish it (half-closed client) */
		if (c->state == NP_HTTP_C_WRITING ||
		    c->state == NP_HTTP_C_CLOSING)
			return;
	}
	conn_free(c);
}

static void
conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct np_http_conn *c = arg;

	if (c->state == NP_HTTP_C_LINGER) {
		conn_free(c);
		return;
	}
	if (c->state == NP_HTTP_C_WRITING || c->state == NP_HTTP_C_CLOSING) {
		conn_writecb(c->bev, c);
		return;
	}
	if (c->state != NP_HTTP_C_READING)
		return;
	if (!np_http_parser_started(c->parser)) {
		conn_free(c);	/* idle keep-alive: close silently */
		return;
	}
	c->srv->stats.timeouts++;
	conn_send_error(c, 408, "request_timeout",
	    "request not received in time", 0);
}

static void
conn_free(struct np_http_conn *c)
{
	struct np_http_req *req = c->req;
	struct np_http *srv = c->srv;

	if (req != NULL) {
		req->conn = NULL;
		if (c->state == NP_HTTP_C_STREAMING) {
			if (req->closecb != NULL) {
				req->in_closecb = 1;
				req->closecb(req, req->closearg);
			}
			np_http_req_free(req);
		} else
			srv->stats.aborted++;	/* orphan: reply discarded */
	}
	TAILQ_REMOVE(&srv->conns, c, entry);
	if (c->rejecting)
		srv->nrejecting--;
	else {
		srv->stats.active--;
		np_http_src_hold(c->src, -1);
	}
	bufferevent_free(c->bev);
	event_free(c->timer);
	np_http_parser_free(c->parser);
	free(c);
}

/* "ip:port" or "[ip6]:port" in c->peer, the address alone in c->addr */
static void
peer_name(const struct sockaddr *sa, struct np_http_conn *c)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(c->peer, sizeof(c->peer), "[%s]:%d", host, port);
	} else
		snprintf(c->peer, sizeof(c->peer), "unknown");
	snprintf(c->addr, sizeof(c->addr), "%s", host);
}

static struct np_http_conn *
conn_new(struct np_http *srv, evutil_socket_t fd, const struct sockaddr *sa)
{
	struct np_http_parse_limits lim = {
		srv->conf.max_header_bytes, srv->conf.max_headers,
		srv->conf.max_body_bytes, srv->conf.max_uri_bytes
	};
	struct np_http_conn *c;
	struct timeval tv;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->srv = srv;
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(srv->base, conn_timeout, c);
	c->parser = np_http_parser_new(&lim);
	if (c->bev == NULL || c->timer == NULL || c->parser == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->timer != NULL)
			event_free(c->timer);
		np_http_parser_free(c->parser);
		free(c);
		return NULL;
	}
	peer_name(sa, c);
	bufferevent_setcb(c->bev, conn_readcb, conn_writecb, conn_eventcb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, NP_HTTP_INBUF_MAX);
	tv.tv_sec = srv->conf.idle_timeout_ms / 1000;
	tv.tv_usec = srv->conf.idle_timeout_ms % 1000 * 1000;
	bufferevent_set_timeouts(c->bev, NULL, &tv);	/* stalled writes */
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	return c;
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct np_http *srv = arg;
	struct np_http_conn *c;
	int on = 1, reject;

	srv->stats.accepted++;
	reject = srv->stats.active >= (size_t)srv->conf.max_conns;
	if (reject)
		srv->stats.rejected++;
	if (srv->draining || (reject &&
	    srv->nrejecting >= NP_HTTP_MAX_REJECTING)) {
		evutil_closesocket(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if ((c = conn_new(srv, fd, sa)) == NULL) {
		log_warnx("http: out of memory for a connection");
		return;
	}
	if (reject) {
		c->rejecting = 1;
		srv->nrejecting++;
		log_info("http %s: over %d connections, refused", c->peer,
		    srv->conf.max_conns);
		conn_send_error(c, 503, "too_many_connections",
		    "server busy, try again later", 1);
		return;
	}
	c->src = np_http_src_get(srv, c->addr);
	if (np_http_src_full(srv, c->src)) {
		c->src = NULL;
		c->rejecting = 1;
		srv->nrejecting++;
		srv->stats.src_rejected++;
		if (srv->nrejecting > NP_HTTP_MAX_REJECTING) {
			conn_free(c);
			return;
		}
		log_info("http %s: over %d connections from %s, refused",
		    c->peer, srv->conf.max_conns_per_source, c->addr);
		conn_send_error(c, 429, "too_many_connections_from_source",
		    "too many connections at once from this address; close "
		    "some and retry", 1);
		return;
	}
	np_http_src_hold(c->src, 1);
	srv->stats.active++;
	c->state = NP_HTTP_C_READING;
	timer_arm(c, srv->conf.idle_timeout_ms);
}

static void
accept_retry(evutil_socket_t fd, short what, void *arg)
{
	struct np_http *srv = arg;

	if (!srv->draining)
		evconnlistener_enable(srv->lev);
}

/* EMFILE and friends: pause accepting for a second instead of spinning. */
static void
accept_error(struct evconnlistener *lev, void *arg)
{
	struct np_http *srv = arg;
	struct timeval tv = { 1, 0 };

	log_warn("http: accept");
	evconnlistener_disable(lev);
	evtimer_add(srv->retry, &tv);
}

static int
listen_addr(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct addrinfo hints, *res;
	char pbuf[16];
	int rv;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(pbuf, sizeof(pbuf), "%d", port);
	if ((rv = getaddrinfo(addr, pbuf, &hints, &res)) != 0) {
		log_warnx("http: bad listen address %s: %s", addr,
		    gai_strerror(rv));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct np_http *
np_http_new(struct event_base *base, const struct np_http_conf *conf,
    const struct np_http_route *routes, size_t nroutes, void *arg)
{
	struct np_http *srv;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct np_http_conf def;

	np_http_conf_defaults(&def);
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->conf = conf ? *conf : def;
	if (srv->conf.addr == NULL)
		srv->conf.addr = def.addr;
	if (srv->conf.max_conns <= 0)
		srv->conf.max_conns = def.max_conns;
	if (srv->conf.idle_timeout_ms <= 0)
		srv->conf.idle_timeout_ms = def.idle_timeout_ms;
	if (srv->conf.rate_burst < 1)
		srv->conf.rate_burst = 1;
	srv->base = base;
	srv->routes = routes;
	srv->nroutes = nroutes;
	srv->arg = arg;
	TAILQ_INIT(&srv->conns);
	if (listen_addr(srv->conf.addr, srv->conf.port, &ss, &sslen) == -1)
		goto fail;
	if ((srv->retry = evtimer_new(base, accept_retry, srv)) == NULL)
		goto fail;
	srv->lev = evconnlistener_new_bind(base, accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, (int)sslen);
	if (srv->lev == NULL) {
		log_warn("http: listen on %s:%d", srv->conf.addr,
		    srv->conf.port);
		goto fail;
	}
	evconnlistener_set_error_cb(srv->lev, accept_error);
	sslen = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(srv->lev),
	    (struct sockaddr *)&ss, &sslen) == -1)
		goto fail;
	srv->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return srv;
fail:
	np_http_free(srv);
	return NULL;
}

int
np_http_port(const struct np_http *srv)
{
	return srv->port;
}

void
np_http_free(struct np_http *srv)
{
	if (srv == NULL)
		return;
	if (srv->lev != NULL)
		evconnlistener_free(srv->lev);
	while (!TAILQ_EMPTY(&srv->conns))
		conn_free(TAILQ_FIRST(&srv->conns));
	if (srv->retry != NULL)
		event_free(srv->retry);
	np_http_srcs_free(srv);
	free(srv);
}

void
np_http_drain(struct np_http *srv)
{
	struct np_http_conn *c, *next;

	srv->draining = 1;
	if (srv->lev != NULL)
		evconnlistener_disable(srv->lev);
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == NP_HTTP_C_READING &&
		    !np_http_parser_started(c->parser))
			conn_free(c);
	}
}

size_t
np_http_active(const struct np_http *srv)
{
	return srv->stats.active;
}

void
np_http_get_stats(const struct np_http *srv, struct np_http_stats *st)
{
	*st = srv->stats;
}
