/*
 * conn.c: the listener and each unit's connection, a small state machine
 * on a bufferevent (see gw.h for the states).
 *
 * Input is framed here, never trusted for size: a line is at most
 * radio.max_line bytes before its "\n" (or "\r\n"); a longer one is
 * answered once with NAK line_too_long and skipped up to its end without
 * being buffered.  The bufferevent stops reading past a high-water mark,
 * so a unit that floods while a line waits for Redis fills its own TCP
 * window, not our memory.  Each line costs a token of the connection's
 * bucket (bucket.c); a flood is disconnected.
 *
 * Connections are bounded in all (radio.max_conns: BYE busy) and per
 * source address (radio.max_conns_per_source: NAK too_many_connections),
 * both refused before anything is allocated for them.
 *
 * Output is bounded too: a unit whose unread replies pass radio.max_outbuf
 * is a slow reader and is dropped.  Closing writes an optional BYE line
 * and lets the output drain for at most GW_CLOSE_MS.
 *
 * A connection may be closed while callbacks still point at it (Redis
 * replies, the loop in conn_process): references keep the struct alive
 * until the last one lets go.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "gw.h"
#include "np_city.h"
#include "np_log.h"
#include "np_time.h"

#define READ_HIGH_MIN	16384	/* stop reading past this (or 4 lines) */

static void	conn_read(struct bufferevent *, void *);
static void	conn_write(struct bufferevent *, void *);
static void	conn_event(struct bufferevent *, short, void *);

void
gw_conn_ref(struct gw_conn *c)
{
	c->refs++;
}

void
gw_conn_unref(struct gw_conn *c)
{
	if (--c->refs == 0 && c->state == GW_ST_DEAD) {
		free(c->line);
		free(c);
	}
}

int
gw_conn_alive(const struct gw_conn *c)
{
	return c->state == GW_ST_AUTH || c->state == GW_ST_READY;
}

const char *
gw_conn_unit_id(const struct gw_conn *c)
{
	return c->unit >= 0 ? c->gw->city->units[c->unit].id : "-";
}

/* The end: no more I/O; the struct goes with the last reference. */
static void
conn_destroy(struct gw_conn *c)
{
	struct gw *gw = c->gw;

	if (c->state == GW_ST_DEAD)
		return;
	c->state = GW_ST_DEAD;
	gw_out_forget(c);
	evtimer_del(&c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	TAILQ_REMOVE(&gw->conns, c, entry);
	gw->nconns--;
	gw_conn_unref(c);
}

static void
conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct gw_conn *c = arg;

	if (c->state == GW_ST_AUTH) {
		log_info("%s: not logged in within %d ms", c->peer,
		    c->gw->conf.auth_timeout_ms);
		gw_conn_close(c, "auth_timeout", "not logged in in time", 1);
	} else if (c->state == GW_ST_CLOSING)
		conn_destroy(c);
}

void
gw_conn_close(struct gw_conn *c, const char *reason, const char *msg,
    int flush)
{
	struct gw *gw = c->gw;
	struct gw_unit *u;
	char bye[RADIO_OUT_MAX];
	struct timeval tv = np_tv_ms(GW_CLOSE_MS);

	if (!gw_conn_alive(c))
		return;
	if (c->unit >= 0 && (u = &gw->units[c->unit])->conn == c) {
		u->conn = NULL;
		log_info("unit %s (%s) disconnected: %s", gw_conn_unit_id(c),
		    c->peer, reason != NULL ? reason : "closed");
		if (!c->replaced)
			gw_status_link(gw, c->unit, 0);
	}
	gw_orders_free(c);
	if (!flush) {
		conn_destroy(c);
		return;
	}
	c->state = GW_ST_CLOSING;
	gw_out_forget(c);
	gw_out_drain(c);
	bufferevent_disable(c->bev, EV_READ);
	if (msg != NULL)
		bufferevent_write(c->bev, bye, radio_fmt_bye(bye, sizeof(bye),
		    reason, msg));
	evtimer_add(&c->timer, &tv);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_destroy(c);
}

void
gw_close_all(struct gw *gw, const char *reason, const char *msg)
{
	struct gw_conn *c, *next;

	TAILQ_FOREACH_SAFE(c, &gw->conns, entry, next)
		gw_conn_close(c, reason, msg, 1);
}

void
gw_conns_free(struct gw *gw)
{
	struct gw_conn *c;

	while ((c = TAILQ_FIRST(&gw->conns)) != NULL) {
		if (gw_conn_alive(c))
			gw_conn_close(c, "shutdown", NULL, 0);
		else
			conn_destroy(c);	/* a CLOSING one */
	}
}

void
gw_conn_send(struct gw_conn *c, const char *buf, size_t len)
{
	struct evbuffer *out;

	if (!gw_conn_alive(c) || len == 0)
		return;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) + len > (size_t)c->gw->conf.max_outbuf) {
		c->gw->stats.slow_readers++;
		log_warnx("%s (unit %s): %zu bytes unread, over radio.max_outbuf:"
		    " dropping a slow reader", c->peer, gw_conn_unit_id(c),
		    evbuffer_get_length(out));
		gw_conn_close(c, "slow_reader", NULL, 0);
		return;
	}
	evbuffer_add(out, buf, len);
	gw_out_queue(c);
}

void
gw_conn_ok(struct gw_conn *c, enum radio_verb v, const char *details)
{
	char buf[RADIO_OUT_MAX];

	gw_conn_send(c, buf, radio_fmt_ok(buf, sizeof(buf), v, details));
}

void
gw_conn_nak(struct gw_conn *c, const struct radio_error *e)
{
	char buf[RADIO_OUT_MAX];

	c->gw->stats.naks++;
	log_debug("%s (unit %s): NAK %s %s", c->peer, gw_conn_unit_id(c),
	    radio_err_code(e->code), e->msg);
	gw_conn_send(c, buf, radio_fmt_nak(buf, sizeof(buf), e));
}

void
gw_conn_nakf(struct gw_conn *c, enum radio_verb v, enum radio_err code,
    const char *fmt, ...)
{
	struct radio_error e;
	va_list ap;

	e.code = code;
	e.verb = v;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	gw_conn_nak(c, &e);
}

/* One line costs a token; 0 to go on with it. */
static int
conn_rate(struct gw_conn *c)
{
	int rate = c->gw->conf.max_lines_per_s;

	switch (radio_bucket_take(&c->bucket, rate, np_mono_ms())) {
	case RADIO_RATE_OK:
		return 0;
	case RADIO_RATE_LIMITED:
		c->gw->stats.rate_limited++;
		gw_conn_nakf(c, RADIO_NONE, RADIO_E_RATE_LIMITED, "more than %d "
		    "lines a second: line dropped, slow down", rate);
		return -1;
	default:
		c->gw->stats.floods++;
		log_warnx("%s (unit %s): flooding, disconnected", c->peer,
		    gw_conn_unit_id(c));
		gw_conn_close(c, "flood", "far more than the allowed lines a "
		    "second", 1);
		return -1;
	}
}

/*
 * Take the next line out of the input into c->line; its length, or -1
 * when no whole line is buffered.  Oversize lines are refused here.
 */
static long
conn_next_line(struct gw_conn *c, struct evbuffer *in)
{
	size_t max = (size_t)c->gw->conf.max_line, n, eol;
	struct evbuffer_ptr p;

	while (gw_conn_alive(c)) {
		p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_LF);
		n = p.pos < 0 ? evbuffer_get_length(in) : (size_t)p.pos;
		if (c->discarding) {
			evbuffer_drain(in, p.pos < 0 ? n : n + 1);
			if (p.pos < 0)
				return -1;
			c->discarding = 0;
			continue;
		}
		if (p.pos < 0) {
			if (n <= max + 1)	/* max bytes and a '\r' fit */
				return -1;
			evbuffer_drain(in, n);
			c->discarding = 1;
		} else if (n <= max + 1) {
			evbuffer_remove(in, c->line, n + 1);
			if (n <= max || c->line[n - 1] == '\r')
				return (long)n;
		} else
			evbuffer_drain(in, n + 1);
		if (conn_rate(c) == 0)
			gw_conn_nakf(c, RADIO_NONE, RADIO_E_LINE_TOO_LONG,
			    "line is longer than %zu bytes: skipped to its end",
			    max);
	}
	return -1;
}

static void
conn_process(struct gw_conn *c)
{
	struct evbuffer *in;
	long n;

	gw_conn_ref(c);
	while (gw_conn_alive(c)) {
		in = bufferevent_get_input(c->bev);
		if (c->nverbs > 0 && !gw_verb_next(c, in))
			break;		/* after the verbs' replies */
		if ((n = conn_next_line(c, in)) < 0)
			break;
		if (!gw_conn_alive(c) || conn_rate(c) == -1)
			continue;
		c->gw->stats.lines++;
		gw_session_line(c, c->line, (size_t)n);
	}
	if (c->eof && c->nverbs == 0 && gw_conn_alive(c))
		gw_conn_close(c, "eof", NULL, 1);
	gw_conn_unref(c);
}

void
gw_conn_resume(struct gw_conn *c)
{
	if (gw_conn_alive(c))
		conn_process(c);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct gw_conn *c = arg;

	if (c->state == GW_ST_CLOSING)
		conn_destroy(c);
	else if (gw_conn_alive(c))
		gw_out_drained(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct gw_conn *c = arg;

	if (c->state == GW_ST_CLOSING) {
		conn_destroy(c);
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		/* the unit may have half-closed: answer what it sent */
		c->eof = 1;
		bufferevent_disable(bev, EV_READ);
		conn_process(c);
		return;
	}
	gw_conn_close(c, "error", NULL, 0);
}

/* "address:port" into buf, the address alone into host. */
static void
peer_name(const struct sockaddr *sa, char *buf, size_t len, char *host,
    size_t hostlen)
{
	int port = 0;

	snprintf(host, hostlen, "?");
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, (socklen_t)hostlen);
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, (socklen_t)hostlen);
		port = ntohs(in6->sin6_port);
	}
	snprintf(buf, len, "%s:%d", host, port);
}

/* One line to a connection refused at once, then close it. */
static void
conn_refuse(evutil_socket_t fd, const char *line, size_t n)
{
	(void)send(fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	evutil_closesocket(fd);
}

/* Is host already at radio.max_conns_per_source connections? */
static int
conn_source_full(struct gw *gw, const char *host)
{
	struct gw_conn *c;
	int n = 0;

	TAILQ_FOREACH(c, &gw->conns, entry)
		if (strcmp(c->host, host) == 0 &&
		    ++n >= gw->conf.max_conns_per_source)
			return 1;
	return 0;
}

/* 0 to take the connection; -1 when a limit refused (and closed) it. */
static int
conn_admit(struct gw *gw, evutil_socket_t fd, const char *host)
{
	struct radio_error e;
	char line[RADIO_OUT_MAX];

	if (gw->nconns >= (size_t)gw->conf.max_conns) {
		gw->stats.refused_conns++;
		conn_refuse(fd, line, radio_fmt_bye(line, sizeof(line), "busy",
		    "too many connections: try again later"));
		return -1;
	}
	if (!conn_source_full(gw, host))
		return 0;
	gw->stats.refused_source++;
	if (np_mono_ms() - gw->source_logged_ms >= 1000) {	/* one a second */
		gw->source_logged_ms = np_mono_ms();
		log_warnx("%s: connection refused: already %d from that "
		    "address (radio.max_conns_per_source; %llu refused so far)",
		    host, gw->conf.max_conns_per_source,
		    (unsigned long long)gw->stats.refused_source);
	}
	radio_error_set(&e, RADIO_NONE, RADIO_E_TOO_MANY_CONNECTIONS, "already "
	    "%d connections from %s (radio.max_conns_per_source): closed",
	    gw->conf.max_conns_per_source, host);
	conn_refuse(fd, line, radio_fmt_nak(line, sizeof(line), &e));
	return -1;
}

static void
conn_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct gw *gw = arg;
	struct gw_conn *c;
	size_t max = (size_t)gw->conf.max_line;
	char peer[sizeof(c->peer)], host[sizeof(c->host)];
	int one = 1;

	peer_name(sa, peer, sizeof(peer), host, sizeof(host));
	if (conn_admit(gw, fd, host) == -1)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->line = malloc(max + 2)) == NULL ||
	    (c->bev = bufferevent_socket_new(gw->svc.base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("out of memory: connection refused");
		if (c != NULL)
			free(c->line);
		free(c);
		evutil_closesocket(fd);
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->gw = gw;
	c->unit = -1;
	c->refs = 1;
	TAILQ_INIT(&c->orders);
	memcpy(c->peer, peer, sizeof(c->peer));
	memcpy(c->host, host, sizeof(c->host));
	evtimer_assign(&c->timer, gw->svc.base, conn_timer, c);
	radio_bucket_init(&c->bucket, gw->conf.max_lines_per_s, np_mono_ms());
	TAILQ_INSERT_TAIL(&gw->conns, c, entry);
	gw->nconns++;
	gw->stats.conns++;
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, max * 4 > READ_HIGH_MIN ?
	    max * 4 : READ_HIGH_MIN);
	bufferevent_enable(c->bev, EV_READ);	/* writes: out.c */
	log_debug("%s: connected", c->peer);
	gw_auth_begin(c);
}

int
gw_listen(struct gw *gw)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char spec[300];

	snprintf(spec, sizeof(spec), strchr(gw->conf.addr, ':') ? "[%s]:%d" :
	    "%s:%d", gw->conf.addr, gw->conf.port);
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss,
	    &sslen) == -1) {
		log_warnx("radio.addr %s is not an IP address", gw->conf.addr);
		return -1;
	}
	gw->listener = evconnlistener_new_bind(gw->svc.base, conn_accept, gw,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 512,
	    (struct sockaddr *)&ss, sslen);
	if (gw->listener == NULL) {
		log_warn("listen on %s", spec);
		return -1;
	}
	sslen = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(gw->listener),
	    (struct sockaddr *)&ss, (socklen_t *)&sslen) == 0)
		gw->conf.port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}
