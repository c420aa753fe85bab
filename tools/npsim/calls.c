/*
 * calls.c: the call load, posted to intake's POST /v1/calls.
 *
 * Three sources: generated (Poisson arrivals on the daily curve, types
 * by how common they are, places around the posts and now and then in
 * a coverage gap, plus a second caller about the same event and the
 * odd retry with the same call_id), replayed (a CSV file, sim_csv_load)
 * or, in the load mode, a fixed rate (open loop: call k is due at
 * k / rate whatever the answers do; one sent more than 5 ms after its
 * time counts as late).  The load mode's timer is a timerfd set to the
 * absolute time the next call is due (no wake-up but for a call), and
 * at rates over 1,000/s to 1 ms after the last wake-up at the earliest
 * (the calls due by then go together).  Bodies are formatted into
 * stack buffers and answers are scanned, not parsed, so a call costs no
 * allocation of ours.  Calls go round-robin over the intake
 * connections, each pipelining up to conf.pipeline requests.
 */
#define _GNU_SOURCE		/* memmem */
#include <sys/timerfd.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "np_httpc.h"
#include "np_log.h"
#include "npsim.h"

#define BODY_MAX	600
#define DELAYED_MAX	256
#define LATE_US		5000
#define TICK_NS		1000000	/* load mode: wake-ups 1 ms apart at least */

struct sim_delayed {
	struct event	 ev;
	struct sim	*s;
	int		 used;
	char		 body[BODY_MAX];
	size_t		 len;
};

/* How common each priority's types are among calls (1 red .. 4 blue). */
static const double prio_w[5] = { 0, 1, 2, 3, 2 };
/* Where calls come from, by post kind (NP_POST_* order). */
static const double post_w[NP_POST_KINDS] = { 3, 3, 4, 2, 1 };
static const char *const sources[] = { "phone", "video", "alarm",
	"walkin" };
static const double source_w[] = { 80, 10, 5, 5 };

/* The value of "key":"..." in an answer, or NULL; *n its length. */
static const char *
scan_str(const char *body, size_t len, const char *key, size_t *n)
{
	const char *p = memmem(body, len, key, strlen(key)), *e;

	if (p == NULL)
		return NULL;
	p += strlen(key);
	if ((e = memchr(p, '"', len - (size_t)(p - body))) == NULL)
		return NULL;
	*n = (size_t)(e - p);
	return p;
}

static void
accepted(struct sim *s, const char *body, size_t len)
{
	struct sim_inc *inc;
	const char *id;
	size_t n;
	int added;

	s->st.accepted++;
	if (memmem(body, len, "\"duplicate\":true", 16) != NULL) {
		s->st.duplicates++;
		return;
	}
	if (memmem(body, len, "\"merged\":true", 13) != NULL) {
		s->st.merged++;
		return;
	}
	if ((id = scan_str(body, len, "\"incident_id\":\"", &n)) == NULL ||
	    (inc = sim_incs_get(&s->incs, id, n, &added)) == NULL)
		return;
	if (inc->accepted_us != 0)
		return;
	s->st.incidents++;
	inc->accepted_us = sim_now_us();
	if (inc->order_us != 0) {	/* the ORDER overtook the 201 */
		s->st.order_before_201++;
		sim_stats_latency(&s->st, 0);
	}
}

static void
on_answer(int status, const char *body, size_t len, void *arg)
{
	struct sim *s = arg;

	if (status == 201 || status == 200) {
		accepted(s, body, len);
		return;
	}
	if (status == 0)
		s->st.failed++;
	else
		s->st.refused++;
	if (s->st.failed + s->st.refused <= 5)
		log_warnx("intake answered %d: %.*s", status,
		    (int)(len > 300 ? 300 : len), body != NULL ? body : "");
}

static int
post_call(struct sim *s, const char *body, size_t len)
{
	for (size_t i = 0; i < s->nhttp; i++) {
		struct np_httpc *c = s->http[s->next_http];

		s->next_http = (s->next_http + 1) % s->nhttp;
		if (np_httpc_inflight(c) < (size_t)s->conf.pipeline &&
		    np_httpc_request(c, "POST", "/v1/calls", body, len,
		    on_answer, s) == 0) {
			s->st.calls++;
			return 0;
		}
	}
	return -1;
}

static size_t
format_call(struct sim *s, char *buf, const char *call_id, const char *type,
    const char *source, double lat, double lon)
{
	int n;

	n = snprintf(buf, BODY_MAX, "{\"call_id\":\"%s\",\"type\":\"%s\","
	    "\"source\":\"%s\",\"location\":{\"lat\":%.6f,\"lon\":%.6f},"
	    "\"caller\":{\"phone\":\"+86 139 %04d %04d\"},"
	    "\"description\":\"npsim\"}", call_id, type, source, lat, lon,
	    (int)(sim_rng_next(&s->rng) % 10000),
	    (int)(sim_rng_next(&s->rng) % 10000));
	return n < 0 || n >= BODY_MAX ? 0 : (size_t)n;
}

static void
on_delayed(evutil_socket_t fd, short what, void *arg)
{
	struct sim_delayed *d = arg;

	d->used = 0;
	if (!d->s->ending)
		post_call(d->s, d->body, d->len);
}

/* Post body after city_s; dropped when DELAYED_MAX are waiting. */
static void
post_later(struct sim *s, double city_s, const char *body, size_t len)
{
	struct timeval tv = sim_tv(s, city_s);

	for (size_t i = 0; i < DELAYED_MAX; i++) {
		struct sim_delayed *d = &s->delayed[i];

		if (d->used)
			continue;
		d->used = 1;
		memcpy(d->body, body, len);
		d->len = len;
		evtimer_add(&d->ev, &tv);
		return;
	}
}

static const struct np_type *
pick_type(struct sim *s)
{
	double w[NP_TYPES_MAX];

	for (size_t i = 0; i < s->plans->ntypes; i++)
		w[i] = prio_w[s->plans->types[i].priority];
	return &s->plans->types[sim_rng_pick(&s->rng, w, s->plans->ntypes)];
}

static void
pick_place(struct sim *s, int *gap, double *lat, double *lon)
{
	const struct np_post *p;
	size_t i, g;

	*gap = s->ngaps > 0 && sim_rng_chance(&s->rng, s->conf.gap_share);
	if (*gap) {
		g = (size_t)(sim_rng_unit(&s->rng) * (double)s->ngaps);
		sim_place_near(&s->rng, &s->area, s->gap_lat[g], s->gap_lon[g],
		    20, lat, lon);
		return;
	}
	do {
		i = (size_t)(sim_rng_unit(&s->rng) * (double)s->city->nposts);
		p = &s->city->posts[i];
	} while (!sim_rng_chance(&s->rng, post_w[p->kind] / 4.0));
	sim_place_near(&s->rng, &s->area, p->lat, p->lon, 180, lat, lon);
}

/* One generated call, and maybe its repeat and its retry later. */
static void
generate(struct sim *s)
{
	const struct np_type *t = pick_type(s);
	char body[BODY_MAX], id[64];
	const char *src;
	double lat, lon, la2, lo2;
	size_t len;
	int gap;

	pick_place(s, &gap, &lat, &lon);
	src = strcmp(t->name, "alarm") == 0 ? "alarm" :
	    sources[sim_rng_pick(&s->rng, source_w, 4)];
	snprintf(id, sizeof(id), "%s-%llu", s->run_id,
	    (unsigned long long)++s->seq);
	if ((len = format_call(s, body, id, t->name, src, lat, lon)) == 0)
		return;
	post_call(s, body, len);
	if (s->conf.rate > 0)
		return;
	if (sim_rng_chance(&s->rng, s->conf.retry_share))
		post_later(s, sim_rng_range(&s->rng, 1, 5), body, len);
	if (sim_rng_chance(&s->rng, s->conf.repeat_share)) {
		snprintf(id, sizeof(id), "%s-%llu", s->run_id,
		    (unsigned long long)++s->seq);
		sim_place_near(&s->rng, &s->area, lat, lon, 100, &la2, &lo2);
		if ((len = format_call(s, body, id, t->name, "phone", la2,
		    lo2)) > 0)
			post_later(s, sim_rng_range(&s->rng, 30, 300), body,
			    len);
	}
}

static void
replay_one(struct sim *s, const struct sim_csv_call *c)
{
	char body[BODY_MAX], id[64];
	size_t len;

	snprintf(id, sizeof(id), "%s-%llu", s->run_id,
	    (unsigned long long)++s->seq);
	if ((len = format_call(s, body, id, c->type, "phone", c->lat,
	    c->lon)) > 0)
		post_call(s, body, len);
}

/* Generated and replayed calls: one timer, re-armed for the next. */
static void
on_call(evutil_socket_t fd, short what, void *arg)
{
	struct sim *s = arg;
	double now = sim_city_now(s), next;
	struct timeval tv;

	if (s->replay != NULL) {
		while (s->next_replay < s->nreplay &&
		    s->replay[s->next_replay].t <= now)
			replay_one(s, &s->replay[s->next_replay++]);
		if (s->next_replay == s->nreplay)
			return;
		next = s->replay[s->next_replay].t;
	} else {
		generate(s);
		next = sim_next_arrival(&s->rng, &s->curve, s->city0 + now) -
		    s->city0;
		if (!isfinite(next))
			return;
	}
	tv = sim_tv(s, next - now);
	evtimer_add(&s->ev_call, &tv);
}

/* Load mode: ns from the start when call k is due (k / rate). */
static int64_t
due_ns(const struct sim *s, uint64_t k)
{
	return (int64_t)ceil((double)k * 1e9 / s->conf.rate);
}

/* Load mode: the timerfd set for the absolute time at ns from start. */
static int
pace_at(struct sim *s, int64_t ns)
{
	struct itimerspec its;
	int64_t at = s->start_us * 1000 + ns;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(at / 1000000000);
	its.it_value.tv_nsec = (long)(at % 1000000000);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	s->pace_next = ns;
	return timerfd_settime(s->pace_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* The load mode: every call due by now, at most what the pipes take. */
static void
on_pace(evutil_socket_t fd, short what, void *arg)
{
	struct sim *s = arg;
	int64_t now = (sim_now_us() - s->start_us) * 1000, due, next;

	while ((due = due_ns(s, s->load_sent)) <= now) {
		if (now - due > (int64_t)LATE_US * 1000)
			s->st.late_calls++;
		s->load_sent++;
		generate(s);
	}
	next = s->pace_next + TICK_NS;
	if (pace_at(s, due > next ? due : next) == -1)
		log_warnx("timerfd_settime: %s", strerror(errno));
}

/* The load mode's timer; -1 with errno. */
static int
pace_start(struct sim *s)
{
	if ((s->pace_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1 || pace_at(s, 0) == -1)
		return -1;
	s->pace_next = -TICK_NS;
	event_assign(&s->ev_call, s->base, s->pace_fd, EV_READ | EV_PERSIST,
	    on_pace, s);
	return event_add(&s->ev_call, NULL);
}

int
sim_calls_start(struct sim *s)
{
	struct timeval tv;
	char host[256];
	int port;

	if (np_httpc_url(s->conf.intake_url, host, sizeof(host), &port) == -1)
		fatalx("intake.url: \"%s\" is not http://host[:port]",
		    s->conf.intake_url);
	s->nhttp = (size_t)s->conf.conns;
	if ((s->http = calloc(s->nhttp, sizeof(*s->http))) == NULL ||
	    (s->delayed = calloc(DELAYED_MAX, sizeof(*s->delayed))) == NULL)
		return -1;
	for (size_t i = 0; i < s->nhttp; i++) {
		if ((s->http[i] = np_httpc_new(s->base, host, port,
		    s->conf.pipeline, s->conf.timeout_ms)) == NULL)
			fatalx("intake.url: cannot resolve %s", host);
		sim_http_auth(s, s->http[i]);
	}
	for (size_t i = 0; i < DELAYED_MAX; i++) {
		s->delayed[i].s = s;
		evtimer_assign(&s->delayed[i].ev, s->base, on_delayed,
		    &s->delayed[i]);
	}
	s->pace_fd = -1;
	if (s->conf.rate > 0)
		return pace_start(s);
	evtimer_assign(&s->ev_call, s->base, on_call, s);
	if (s->replay == NULL)
		tv = sim_tv(s, sim_next_arrival(&s->rng, &s->curve, s->city0) -
		    s->city0);
	else
		tv = sim_tv(s, s->replay[0].t);
	return evtimer_add(&s->ev_call, &tv);
}

/* No new calls; the answers still pending keep coming. */
void
sim_calls_stop(struct sim *s)
{
	event_del(&s->ev_call);
	if (s->pace_fd >= 0) {
		close(s->pace_fd);
		s->pace_fd = -1;
	}
	for (size_t i = 0; s->delayed != NULL && i < DELAYED_MAX; i++)
		if (s->delayed[i].used) {
			event_del(&s->delayed[i].ev);
			s->delayed[i].used = 0;
		}
}
