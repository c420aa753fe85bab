/*
 * units.c: every unit of the city on its own radio link to radiogw.
 *
 * A link is a small state machine: OFF -> CONNECTING -> AUTH (the
 * challenge/response login of docs/RADIO.md, in unit_login) -> ON.
 * Lines are read with evbuffer_search_eol into a fixed buffer (no
 * allocation per line) and sorted by their first word.  A link that
 * fails comes back after a short real delay; a simulated drop (the radio
 * going silent in a tunnel) closes it on purpose and reconnects after a
 * city delay, while the unit's life goes on: order lines it could not
 * send are sent after the next login (the commander accepts ENROUTE,
 * ONSCENE or CLEAR straight from an earlier state, so the latest line is
 * enough).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "np_log.h"
#include "np_time.h"
#include "npsim.h"

#define LINE_MAX	1024
#define RETRY_MS	1000	/* after a failed link, real time */
#define REFUSED_MS	5000	/* after a refused login */

static void	unit_connect(struct sim_unit *);

static void
raw_send(struct sim_unit *u, const char *fmt, va_list ap)
{
	struct evbuffer *out;

	if (u->bev == NULL)
		return;
	out = bufferevent_get_output(u->bev);
	evbuffer_add_vprintf(out, fmt, ap);
	evbuffer_add(out, "\r\n", 2);
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

	if (u->bev != NULL) {
		bufferevent_free(u->bev);
		u->bev = NULL;
	}
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
	int64_t now = sim_now_us();
	int added;

	if (sim_order_parse(line, len, &o) == -1) {
		log_warnx("%s: bad ORDER line: %.*s", u->u->id, (int)len, line);
		return;
	}
	if (o.tier == 1 && (inc = sim_incs_get(&s->incs, o.incident_id,
	    strlen(o.incident_id), &added)) != NULL && inc->order_us == 0) {
		inc->order_us = now;
		if (inc->accepted_us != 0)
			sim_stats_latency(&s->st, (double)(now -
			    inc->accepted_us));
	}
	sim_life_order(u, &o);
}

static void
line_read(struct sim_unit *u, char *line, size_t len)
{
	char w[4][80];
	int n;

	w[1][0] = w[2][0] = w[3][0] = '\0';
	n = sscanf(line, "%79s %79s %79s %79s", w[0], w[1], w[2], w[3]);
	if (n < 1)
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

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct sim_unit *u = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	char line[LINE_MAX];
	size_t eol_len, n;

	while (u->bev == bev) {
		eol = evbuffer_search_eol(in, NULL, &eol_len,
		    EVBUFFER_EOL_CRLF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) > LINE_MAX) {
				log_warnx("%s: line too long from radiogw",
				    u->u->id);
				link_down(u, RETRY_MS, 0);
			}
			return;
		}
		n = (size_t)eol.pos < sizeof(line) ? (size_t)eol.pos :
		    sizeof(line) - 1;
		evbuffer_remove(in, line, n);
		line[n] = '\0';
		evbuffer_drain(in, (size_t)eol.pos - n + eol_len);
		line_read(u, line, n);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct sim_unit *u = arg;

	if (what & BEV_EVENT_CONNECTED) {
		unit_login(u, NULL, NULL);
		return;
	}
	if (u->link == LINK_ON)
		u->sim->st.dropped++;
	log_debug("%s: radio link lost", u->u->id);
	link_down(u, RETRY_MS + sim_rng_range(&u->sim->rng, 0, 500), 0);
}

static void
unit_connect(struct sim_unit *u)
{
	struct sim *s = u->sim;

	u->bev = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (u->bev == NULL) {
		link_down(u, RETRY_MS, 0);
		return;
	}
	u->link = LINK_CONNECTING;
	bufferevent_setcb(u->bev, on_read, NULL, on_event, u);
	bufferevent_enable(u->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(u->bev, NULL, AF_INET,
	    s->conf.radio_host, s->conf.radio_port) == -1)
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
		if (u->bev != NULL) {
			bufferevent_free(u->bev);
			u->bev = NULL;
		}
		u->link = LINK_OFF;
	}
}
