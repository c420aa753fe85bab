/*
 * units.c: every unit of the city on its own radio link to radiogw.
 *
 * A link is a small state machine: OFF -> CONNECTING -> AUTH (the
 * challenge/response login of docs/RADIO.md, in unit_login) -> ON.
 * The link is an np_conn (one read per readable pass, no bufferevent):
 * the lines of a read are handled where they lie, sorted by their first
 * word, and what they make the unit say goes out in one write after
 * them (lines sent from a timer go at once).  A link that
 * fails comes back after a short real delay; a simulated drop (the radio
 * going silent in a tunnel) closes it on purpose and reconnects after a
 * city delay, while the unit's life goes on: order lines it could not
 * send are sent after the next login (the commander accepts ENROUTE,
 * ONSCENE or CLEAR straight from an earlier state, so the latest line is
 * enough).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/util.h>

#include "np_log.h"
#include "np_time.h"
#include "npsim.h"

#define LINE_MAX	1024
#define RETRY_MS	1000	/* after a failed link, real time */
#define REFUSED_MS	5000	/* after a refused login */
#define OUT_MAX		65536	/* bytes radiogw has not taken yet */

static void	unit_connect(struct sim_unit *);

void
sim_unit_send_raw(struct sim_unit *u, const char *buf, size_t len)
{
	if (np_conn_add(&u->conn, buf, len) == 0 && !u->reading)
		np_conn_flush(&u->conn);
}

static void
raw_send(struct sim_unit *u, const char *fmt, va_list ap)
{
	char buf[LINE_MAX];
	int n;

	if ((n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap)) < 0)
		return;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;	/* cut, as the gateway would */
	buf[n++] = '\r';
	buf[n++] = '\n';
	sim_unit_send_raw(u, buf, (size_t)n);
}

static void
auth_send(struct sim_unit *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	raw_send(u, fmt, ap);
	va_end(ap);
}

void
sim_unit_send(struct sim_unit *u, const char *fmt, ...)
{
	va_list ap;

	if (u->link != LINK_ON)
		return;
	va_start(ap, fmt);
	raw_send(u, fmt, ap);
	va_end(ap);
}

void
sim_unit_order_line(struct sim_unit *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->last, sizeof(u->last), fmt, ap);
	va_end(ap);
	u->unsent = u->link != LINK_ON;
	if (!u->unsent)
		sim_unit_send(u, "%s", u->last);
}

/* Close the link; come back after delay (real ms, or city s if city). */
static void
link_down(struct sim_unit *u, double delay, int city)
{
	struct timeval tv;

	np_conn_close(&u->conn);
	u->link = LINK_OFF;
	event_del(&u->ev_pos);
	if (u->sim->ending)
		return;
	tv = city ? sim_tv(u->sim, delay) : np_tv_ms((int64_t)delay);
	evtimer_add(&u->ev_link, &tv);
}

static void
report_pos(struct sim_unit *u)
{
	double lat, lon;

	sim_life_position(u, &lat, &lon);
	sim_unit_send(u, "POS %.6f %.6f", lat, lon);
}

/* The one place the login is spoken: AUTH, CHALLENGE, PROOF. */
static void
unit_login(struct sim_unit *u, const char *challenge_uid,
    const char *nonce)
{
	char proof[SIM_PROOF_HEX];

	if (challenge_uid == NULL) {
		u->link = LINK_AUTH;
		auth_send(u, "AUTH %s", u->u->id);
		return;
	}
	if (u->link != LINK_AUTH || strcmp(challenge_uid, u->u->id) != 0) {
		log_warnx("%s: unexpected CHALLENGE for %s", u->u->id,
		    challenge_uid);
		return;
	}
	sim_radio_proof(u->u->key, u->u->id, nonce, proof);
	auth_send(u, "PROOF %s", proof);
}

static void
logged_in(struct sim_unit *u)
{
	struct sim *s = u->sim;
	struct timeval tv;

	u->link = LINK_ON;
	if (!u->was_on) {
		u->was_on = 1;
		sim_unit_on(s);
	}
	report_pos(u);
	if (u->unsent) {
		u->unsent = 0;
		sim_unit_send(u, "%s", u->last);
	}
	if (!s->conf.fast_units) {
		tv = sim_tv(s, sim_rng_range(&s->rng, 0.2, 1.0) *
		    s->conf.pos_interval_s);
		evtimer_add(&u->ev_pos, &tv);
	}
	if (!s->conf.fast_units && s->conf.drop_per_hour > 0) {
		tv = sim_tv(s, sim_rng_exp(&s->rng, 3600.0 /
		    s->conf.drop_per_hour));
		evtimer_add(&u->ev_link, &tv);
	}
}

static void
order_read(struct sim_unit *u, const char *line, size_t len)
{
	struct sim *s = u->sim;
	struct sim_order o;
	struct sim_inc *inc;
	int64_t now;
	int added;

	if (sim_order_parse(line, len, &o) == -1) {
		log_warnx("%s: bad ORDER line: %.*s", u->u->id, (int)len, line);
		return;
	}
	if (o.tier == 1 && (inc = sim_incs_get(&s->incs, o.incident_id,
	    strlen(o.incident_id), &added)) != NULL && inc->order_us == 0) {
		inc->order_us = now = sim_now_us();	/* read just now */
		if (inc->accepted_us != 0)
			sim_stats_latency(&s->st, (double)(now -
			    inc->accepted_us));
	}
	sim_life_order(u, &o);
}

/* Up to 4 words of line, each cut at 79 characters; how many. */
static int
words(const char *p, char w[4][80])
{
	size_t k;
	int n;

	for (n = 0; n < 4; n++) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		for (k = 0; *p != '\0' && !isspace((unsigned char)*p); p++)
			if (k < 79)
				w[n][k++] = *p;
		w[n][k] = '\0';
	}
	return n;
}

static void
line_read(struct sim_unit *u, char *line, size_t len)
{
	char w[4][80];
	int n;

	w[1][0] = w[2][0] = w[3][0] = '\0';
	if ((n = words(line, w)) < 1)
		return;
	if (strcmp(w[0], "ORDER") == 0)
		order_read(u, line, len);
	else if (strcmp(w[0], "CHALLENGE") == 0 && n >= 3)
		unit_login(u, w[1], w[2]);
	else if (strcmp(w[0], "OK") == 0 && strcmp(w[1], "AUTH") == 0)
		logged_in(u);
	else if (strcmp(w[0], "OK") == 0 && strcmp(w[1], "CLEAR") == 0)
		u->sim->st.clears++;
	else if (strcmp(w[0], "NAK") == 0 && (strcmp(w[1], "AUTH") == 0 ||
	    strcmp(w[1], "PROOF") == 0)) {
		log_warnx("%s: login refused: %s", u->u->id, line);
		link_down(u, REFUSED_MS, 0);
	} else if (strcmp(w[0], "NAK") == 0)
		sim_life_nak(u, w[1], w[2]);
	else if (strcmp(w[0], "CANCEL") == 0)
		sim_life_cancel(u, w[1]);
	else if (strcmp(w[0], "BYE") == 0) {
		log_debug("%s: %s", u->u->id, line);
		link_down(u, RETRY_MS, 0);
	}
}

/* The whole lines of a read, then one write of what they made us say. */
static size_t
on_read(struct np_conn *c, char *buf, size_t len, void *arg)
{
	struct sim_unit *u = arg;
	char *p = buf, *end = buf + len, *nl;
	unsigned gen = c->gen;
	size_t n;

	u->reading = 1;
	while (c->gen == gen && (nl = memchr(p, '\n', (size_t)(end - p))) !=
	    NULL) {
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > LINE_MAX - 1)
			n = LINE_MAX - 1;
		p[n] = '\0';
		line_read(u, p, n);
		p = nl + 1;
	}
	u->reading = 0;
	if (c->gen != gen)
		return 0;		/* the link went down */
	if ((size_t)(end - p) > LINE_MAX) {
		log_warnx("%s: line too long from radiogw", u->u->id);
		link_down(u, RETRY_MS, 0);
		return 0;
	}
	np_conn_flush(c);
	return (size_t)(p - buf);
}

static void
on_event(struct np_conn *c, enum np_conn_what what, void *arg)
{
	struct sim_unit *u = arg;

	if (what == NP_CONN_CONNECTED) {
		unit_login(u, NULL, NULL);
		return;
	}
	if (u->link == LINK_ON)
		u->sim->st.dropped++;
	log_debug("%s: radio link lost", u->u->id);
	link_down(u, RETRY_MS + sim_rng_range(&u->sim->rng, 0, 500), 0);
}

/* radiogw's address, resolved once (again at each try until it is). */
static int
radio_addr(struct sim *s)
{
	struct evutil_addrinfo hints, *ai = NULL;
	char port[8];

	if (s->radio_addrlen > 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->conf.radio_port);
	if (evutil_getaddrinfo(s->conf.radio_host, port, &hints, &ai) != 0 ||
	    ai == NULL || ai->ai_addrlen > sizeof(s->radio_addr)) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		return -1;
	}
	memcpy(&s->radio_addr, ai->ai_addr, ai->ai_addrlen);
	s->radio_addrlen = (socklen_t)ai->ai_addrlen;
	evutil_freeaddrinfo(ai);
	return 0;
}

static void
unit_connect(struct sim_unit *u)
{
	struct sim *s = u->sim;

	u->link = LINK_CONNECTING;
	if (radio_addr(s) == -1 || np_conn_connect(&u->conn,
	    (struct sockaddr *)&s->radio_addr, s->radio_addrlen) == -1)
		link_down(u, RETRY_MS, 0);
}

static void
on_link(evutil_socket_t fd, short what, void *arg)
{
	struct sim_unit *u = arg;

	if (u->link == LINK_ON) {	/* a simulated drop */
		u->sim->st.dropped++;
		link_down(u, sim_rng_range(&u->sim->rng, 10, 120), 1);
	} else if (u->link == LINK_OFF)
		unit_connect(u);
}

static void
on_pos(evutil_socket_t fd, short what, void *arg)
{
	struct sim_unit *u = arg;
	struct timeval tv = sim_tv(u->sim, u->sim->conf.pos_interval_s);

	report_pos(u);
	evtimer_add(&u->ev_pos, &tv);
}

int
sim_units_start(struct sim *s)
{
	struct sim_unit *u;

	s->nunits = s->city->nunits;
	if ((s->units = calloc(s->nunits, sizeof(*s->units))) == NULL)
		return -1;
	for (size_t i = 0; i < s->nunits; i++) {
		u = &s->units[i];
		u->sim = s;
		u->u = &s->city->units[i];
		u->mute = !s->conf.fast_units &&
		    sim_rng_chance(&s->rng, s->conf.mute_share);
		np_conn_init(&u->conn, s->base, 4 * LINE_MAX, OUT_MAX, on_read,
		    on_event, u);
		evtimer_assign(&u->ev_link, s->base, on_link, u);
		evtimer_assign(&u->ev_pos, s->base, on_pos, u);
		sim_life_init(u);
		unit_connect(u);
	}
	return 0;
}

int
sim_units_release(struct sim *s)
{
	struct sim_unit *u;
	int n = 0;

	for (size_t i = 0; i < s->nunits; i++) {
		u = &s->units[i];
		event_del(&u->ev_step);
		if (u->order.order_id[0] == '\0' || u->life == LIFE_IDLE ||
		    u->life == LIFE_RETURNING || s->conf.fast_units)
			continue;
		sim_unit_order_line(u, "CLEAR %s cancelled", u->order.order_id);
		n++;
	}
	return n;
}

void
sim_units_stop(struct sim *s)
{
	struct sim_unit *u;

	for (size_t i = 0; i < s->nunits; i++) {
		u = &s->units[i];
		event_del(&u->ev_link);
		event_del(&u->ev_pos);
		event_del(&u->ev_step);
		event_del(&u->ev_resend);
		np_conn_free(&u->conn);
		u->link = LINK_OFF;
	}
}
