/*
 * life.c: what a unit does with an order, one step per timer.
 *
 *   ORDER -> (ack delay, by kind) ACK, or DECLINE now and then
 *         -> (getting going) ENROUTE, travel at the kind's speed
 *         -> on arrival ONSCENE -> (time on scene) CLEAR <disposition>
 *         -> back home at the same speed, available all along.
 *
 * A mute unit (a radio left in a locker) reports positions but never
 * answers an order: the commander's ack timeout sends someone else.
 * With --fast-units every answer goes out at once, on one write, for
 * the load mode.  Re-sent ORDERs of the order in hand are ignored; an
 * ORDER while busy with another is declined ("busy").
 *
 * A line the gateway could not take (NAK unavailable: Redis is down;
 * NAK rate_limited) goes again RESEND_MS later, and again while it is
 * refused, or once the link is back: a unit's latest line (the
 * commander takes ENROUTE, ONSCENE or CLEAR from an earlier state, and
 * ignores one it has applied), or a fast unit's refused answers, each of
 * them, for its order.
 */
#include <math.h>
#include <string.h>

#include <event2/event.h>

#include "np_log.h"
#include "np_time.h"
#include "npsim.h"

static const char *const dispositions[] = {
	"resolved", "arrested", "referred", "false_alarm", "no_trace",
	"cancelled"
};
static const double disposition_w[] = { 50, 8, 15, 12, 13, 2 };

#define RESEND_MS	1000	/* real time: the gateway's trouble */
/* a fast unit's answers, in the order they go */
static const char *const fast_verb[] = { "ACK", "ENROUTE", "ONSCENE",
    "CLEAR" };
#define FAST_ALL	0xfu	/* one bit per fast_verb */
#define RESEND_LAST	0x10u	/* a unit's latest line (u->last) */

static void	on_resend(evutil_socket_t, short, void *);

static const char *const decline_reasons[] = {
	"busy", "vehicle_broken", "too_far", "off_duty"
};

static void
later(struct sim_unit *u, double city_s)
{
	struct timeval tv = sim_tv(u->sim, city_s);

	evtimer_add(&u->ev_step, &tv);
}

void
sim_life_position(struct sim_unit *u, double *lat, double *lon)
{
	if (u->moving && sim_trip_pos(&u->trip, sim_city_now(u->sim), &u->lat,
	    &u->lon))
		u->moving = 0;
	*lat = u->lat;
	*lon = u->lon;
}

static void
travel(struct sim_unit *u, double lat, double lon)
{
	double la, lo, dur;

	sim_life_position(u, &la, &lo);
	dur = sim_trip_start(&u->trip, la, lo, lat, lon,
	    sim_kind_speed[u->u->kind], sim_city_now(u->sim));
	u->moving = 1;
	later(u, dur);
}

static void
go_home(struct sim_unit *u)
{
	if (u->life == LIFE_ONSCENE && u->sim->st.onscene_now > 0)
		u->sim->st.onscene_now--;
	u->life = LIFE_RETURNING;
	u->order.order_id[0] = '\0';
	travel(u, u->u->lat, u->u->lon);
}

static void
ack_or_decline(struct sim_unit *u)
{
	struct sim *s = u->sim;
	size_t r;

	if (sim_rng_chance(&s->rng, s->conf.decline_share)) {
		r = (size_t)(sim_rng_unit(&s->rng) * (sizeof(decline_reasons) /
		    sizeof(decline_reasons[0])));
		sim_unit_order_line(u, "DECLINE %s %s", u->order.order_id,
		    decline_reasons[r]);
		s->st.declines++;
		event_del(&u->ev_step);
		u->life = u->moving ? LIFE_RETURNING : LIFE_IDLE;
		u->order.order_id[0] = '\0';
		if (u->moving)
			later(u, u->trip.start + u->trip.dur -
			    sim_city_now(s));
		return;
	}
	sim_unit_order_line(u, "ACK %s", u->order.order_id);
	u->life = LIFE_ACKED;
	later(u, sim_rng_range(&s->rng, 5, 40));	/* getting going */
}

static void
on_step(evutil_socket_t fd, short what, void *arg)
{
	struct sim_unit *u = arg;
	struct sim *s = u->sim;
	size_t d;

	switch (u->life) {
	case LIFE_ORDERED:
		ack_or_decline(u);
		break;
	case LIFE_ACKED:
		sim_unit_order_line(u, "ENROUTE %s", u->order.order_id);
		u->life = LIFE_ENROUTE;
		travel(u, u->order.lat, u->order.lon);
		break;
	case LIFE_ENROUTE:
		sim_unit_order_line(u, "ONSCENE %s", u->order.order_id);
		u->life = LIFE_ONSCENE;
		s->st.onscene_now++;
		later(u, fmax(60, sim_rng_exp(&s->rng, s->conf.onscene_mean_s)));
		break;
	case LIFE_ONSCENE:
		d = sim_rng_pick(&s->rng, disposition_w,
		    sizeof(disposition_w) / sizeof(disposition_w[0]));
		sim_unit_order_line(u, "CLEAR %s %s", u->order.order_id,
		    dispositions[d]);
		go_home(u);
		break;
	case LIFE_RETURNING:
		u->life = LIFE_IDLE;
		break;
	case LIFE_IDLE:
		break;
	}
}

void
sim_life_init(struct sim_unit *u)
{
	u->lat = u->u->lat;
	u->lon = u->u->lon;
	u->life = LIFE_IDLE;
	evtimer_assign(&u->ev_step, u->sim->base, on_step, u);
	evtimer_assign(&u->ev_resend, u->sim->base, on_resend, u);
}

/*
 * The answers of mask (bits of fast_verb) to the order in hand, CLEAR
 * resolved: one write, no formatting.
 */
static void
fast(struct sim_unit *u, unsigned mask)
{
	const struct sim_order *o = &u->order;
	char buf[4 * (sizeof(o->order_id) + 20)], *p = buf;
	size_t n = strlen(o->order_id), l;

	if (u->link != LINK_ON)
		return;
	for (int i = 0; i < 4; i++) {
		if (!(mask & (1u << i)))
			continue;
		l = strlen(fast_verb[i]);
		memcpy(p, fast_verb[i], l);
		p += l;
		*p++ = ' ';
		memcpy(p, o->order_id, n);
		p += n;
		if (i == 3) {
			memcpy(p, " resolved", 9);
			p += 9;
		}
		*p++ = '\r';
		*p++ = '\n';
	}
	sim_unit_send_raw(u, buf, (size_t)(p - buf));
}

static void
resend_later(struct sim_unit *u)
{
	struct timeval tv = np_tv_ms(RESEND_MS);

	evtimer_add(&u->ev_resend, &tv);
}

static void
on_resend(evutil_socket_t fd, short what, void *arg)
{
	struct sim_unit *u = arg;
	unsigned mask = u->resend;
	char line[sizeof(u->last)];

	if (u->link != LINK_ON) {	/* after the next login */
		resend_later(u);
		return;
	}
	u->resend = 0;
	if (mask & FAST_ALL)
		fast(u, mask & FAST_ALL);
	if ((mask & RESEND_LAST) && u->last[0] != '\0') {
		memcpy(line, u->last, sizeof(line));	/* it writes u->last */
		sim_unit_order_line(u, "%s", line);
	}
}

void
sim_life_order(struct sim_unit *u, const struct sim_order *o)
{
	struct sim *s = u->sim;
	const double *ack = sim_kind_ack_s[u->u->kind];

	if (strcmp(o->order_id, u->order.order_id) == 0)
		return;			/* the gateway re-sends until answered */
	s->st.orders++;
	if (s->conf.fast_units) {
		u->order = *o;
		u->resend &= ~FAST_ALL;		/* the last order's: done */
		fast(u, FAST_ALL);
		return;
	}
	if (u->mute) {
		s->st.mute_orders++;
		return;
	}
	if (u->life != LIFE_IDLE && u->life != LIFE_RETURNING) {
		sim_unit_send(u, "DECLINE %s busy", o->order_id);
		s->st.declines++;
		return;
	}
	event_del(&u->ev_step);
	u->order = *o;
	u->life = LIFE_ORDERED;
	later(u, sim_rng_range(&s->rng, ack[0], ack[1]));
}

void
sim_life_cancel(struct sim_unit *u, const char *order_id)
{
	if (strcmp(order_id, u->order.order_id) != 0)
		return;
	log_debug("%s: order %s cancelled", u->u->id, order_id);
	event_del(&u->ev_step);
	go_home(u);
}

/* The bit of a refused line to send again, 0: none. */
static unsigned
resend_bit(const struct sim_unit *u, const char *verb)
{
	size_t n = strlen(verb);

	if (!u->sim->conf.fast_units)
		return strncmp(u->last, verb, n) == 0 && u->last[n] == ' ' ?
		    RESEND_LAST : 0;
	for (int i = 0; i < 4; i++)
		if (strcmp(verb, fast_verb[i]) == 0)
			return 1u << i;
	return 0;
}

void
sim_life_nak(struct sim_unit *u, const char *verb, const char *code)
{
	unsigned bit;

	if (strcmp(verb, "POS") == 0 || strcmp(verb, "DECLINE") == 0)
		return;	/* a POS goes again soon; a DECLINE was another order */
	if (strcmp(code, "unavailable") == 0 ||
	    strcmp(code, "rate_limited") == 0) {
		/* a NAK of an older line (the latest went since) is the
		 * latest's business: it is answered too */
		if ((bit = resend_bit(u, verb)) == 0)
			return;
		u->resend |= bit;
		if (!evtimer_pending(&u->ev_resend, NULL))
			resend_later(u);
		return;
	}
	if (strcmp(code, "order_closed") == 0 ||
	    strcmp(code, "unknown_order") == 0 ||
	    strcmp(code, "not_your_order") == 0) {
		if (u->order.order_id[0] != '\0' && (u->life == LIFE_ORDERED ||
		    u->life == LIFE_ACKED || u->life == LIFE_ENROUTE ||
		    u->life == LIFE_ONSCENE)) {
			event_del(&u->ev_step);
			go_home(u);
		}
		return;
	}
	log_warnx("%s: NAK %s %s", u->u->id, verb, code);
}
