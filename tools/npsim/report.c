/*
 * report.c: what npsim prints -- a progress line while it runs and, at
 * the end, the SLA summary read back from the services: every incident
 * the run created is fetched (GET /v1/incidents/{id}, pipelined) and
 * its tracker marks and commander timeline become the figures
 * (sim_facts_parse).  While running, a few open incidents are re-read
 * each progress tick, so "closed" and "escalations" on the progress line
 * are the services' word too, a little behind.
 *
 * The load mode prints one JSON line instead (figures for the
 * benchmarks); its "closed" is the dashboard's SLA total (closed
 * incidents of the day, tier 1 decided) at the end minus at the start,
 * or null when the dashboard does not answer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "np_httpc.h"
#include "np_json.h"
#include "np_log.h"
#include "npsim.h"

#define POLL_PER_TICK	32

struct summary {
	size_t		 n, read, failed, closed, gaps;
	size_t		 escalations, declines, noanswers, unfilled, orders;
	size_t		 mark[NP_TIERS_MAX][SIM_MARK_MISSED + 1];
	double		*ack[NP_TIERS_MAX], *onscene[NP_TIERS_MAX];
	size_t		 nack[NP_TIERS_MAX], nonscene[NP_TIERS_MAX];
};

static struct {
	struct sim	*s;
	size_t		 poll_next;	/* progress: round-robin cursor */
	size_t		 next;		/* final: next incident to ask */
	size_t		 pending;
	struct summary	 sum;
	void		 (*done)(struct sim *);
	int		 sla_pending;
} rep;

static void
clock_str(const struct sim *s, double city_s, char *buf, size_t len)
{
	int t = (int)fmod(s->city0 + city_s, SIM_DAY_S) % 86400;

	if (t < 0)
		t = 0;
	snprintf(buf, len, "%02d:%02d:%02d", t / 3600 % 24, t / 60 % 60,
	    t % 60);
}

static size_t
closed_now(struct sim *s, size_t *esc)
{
	struct sim_inc *inc;
	size_t n = 0;

	*esc = 0;
	for (size_t k = 0; (inc = sim_incs_at(&s->incs, k)) != NULL; k++) {
		n += inc->closed;
		*esc += (size_t)inc->escalations;
	}
	return n;
}

static void
on_poll(int status, const char *body, size_t len, void *arg)
{
	struct sim_inc *inc = arg;
	struct sim_facts f;
	struct np_jerr e;
	json_t *j;
	char err[128];

	if (status != 200 || (j = np_json_parse(body, len, &e)) == NULL)
		return;
	if (sim_facts_parse(j, rep.s->plans, &f, err, sizeof(err)) == 0) {
		inc->closed = f.closed;
		inc->escalations = f.escalations;
	}
	json_decref(j);
}

static void
get_incident(struct sim *s, struct sim_inc *inc, np_httpc_cb *cb)
{
	char path[64];

	snprintf(path, sizeof(path), "/v1/incidents/%s", inc->id);
	for (size_t i = 0; i < s->nhttp; i++) {
		struct np_httpc *c = s->http[(s->next_http + i) % s->nhttp];

		if (np_httpc_inflight(c) < (size_t)s->conf.pipeline &&
		    np_httpc_request(c, "GET", path, NULL, 0, cb, inc) == 0)
			return;
	}
	cb(0, NULL, 0, inc);
}

void
sim_report_progress(struct sim *s)
{
	struct sim_inc *inc;
	size_t esc, closed, k, asked = 0;
	char now[32];

	for (k = 0; k < s->incs.n && asked < POLL_PER_TICK &&
	    s->conf.rate == 0; k++) {
		inc = sim_incs_at(&s->incs, (rep.poll_next + k) % s->incs.n);
		if (!inc->closed && inc->accepted_us != 0) {
			get_incident(s, inc, on_poll);
			asked++;
		}
	}
	if (s->incs.n > 0)
		rep.poll_next = (rep.poll_next + k) % s->incs.n;
	if (s->conf.quiet)
		return;
	closed = closed_now(s, &esc);
	clock_str(s, sim_city_now(s), now, sizeof(now));
	fprintf(s->conf.rate > 0 ? stderr : stdout, "[city %s +%5.1f min] "
	    "calls %llu (accepted %llu)  incidents %llu  orders %llu  on "
	    "scene %llu  closed %zu  escalations %zu\n", now,
	    sim_city_now(s) / 60, (unsigned long long)s->st.calls,
	    (unsigned long long)s->st.accepted,
	    (unsigned long long)s->st.incidents,
	    (unsigned long long)s->st.orders,
	    (unsigned long long)s->st.onscene_now, closed, esc);
	fflush(stdout);
}

void
sim_report_start(struct sim *s)
{
	char now[32];

	rep.s = s;
	if (s->conf.rate > 0 || s->conf.quiet)
		return;
	clock_str(s, 0, now, sizeof(now));
	printf("npsim: %zu units on the radio at %s:%d, calls to %s\n"
	    "npsim: city time %s, %.0fx real time, for %.0f city minutes "
	    "(%.0f real seconds); ", s->nunits, s->conf.radio_host,
	    s->conf.radio_port, s->conf.intake_url, now, s->conf.speed,
	    s->conf.duration_min, s->conf.duration_min * 60 / s->conf.speed);
	if (s->replay != NULL)
		printf("replaying %zu calls from %s\n", s->nreplay,
		    s->conf.replay);
	else
		printf("about %.0f calls per city hour on the daily curve\n",
		    s->conf.calls_per_hour);
	fflush(stdout);
}

static void
add_facts(struct summary *m, const struct sim_facts *f, double speed)
{
	m->read++;
	m->closed += f->closed;
	m->gaps += f->coverage_gap;
	m->escalations += (size_t)f->escalations;
	m->declines += (size_t)f->declines;
	m->noanswers += (size_t)f->noanswers;
	m->unfilled += (size_t)f->unfilled;
	m->orders += (size_t)f->orders;
	for (int k = 0; k < NP_TIERS_MAX; k++) {
		m->mark[k][f->mark[k]]++;
		if (f->acked[k] != 0)
			m->ack[k][m->nack[k]++] = (double)(f->acked[k] -
			    f->t0) / 1000.0 * speed;
		if (f->onscene[k] != 0)
			m->onscene[k][m->nonscene[k]++] = (double)(
			    f->onscene[k] - f->t0) / 1000.0 * speed;
	}
}

static void
print_times(const char *what, double *v, size_t n)
{
	if (n == 0) {
		printf("  %-18s -\n", what);
		return;
	}
	printf("  %-18s p50 %5.0f s   p90 %5.0f s   (%zu)\n", what,
	    sim_pctl(v, n, 50), sim_pctl(v, n, 90), n);
}

static void
print_summary(struct sim *s)
{
	struct summary *m = &rep.sum;
	size_t decided;

	printf("\n== SLA summary (from the services: %zu incidents read "
	    "back of %zu", m->read, m->n);
	if (m->failed > 0)
		printf(", %zu unreadable", m->failed);
	printf(") ==\n");
	printf("calls %llu sent, %llu accepted (%llu merged into an open "
	    "incident, %llu retries answered as duplicates), %llu refused, "
	    "%llu failed\n", (unsigned long long)s->st.calls,
	    (unsigned long long)s->st.accepted,
	    (unsigned long long)s->st.merged,
	    (unsigned long long)s->st.duplicates,
	    (unsigned long long)s->st.refused,
	    (unsigned long long)s->st.failed);
	printf("incidents %zu: %zu closed, %zu in a coverage gap; orders "
	    "%zu, escalations %zu, tiers left unfilled %zu\n", m->n,
	    m->closed, m->gaps, m->orders, m->escalations, m->unfilled);
	printf("units: %llu declines, %zu orders unanswered (%llu to mute "
	    "radios), %llu radio links dropped\n",
	    (unsigned long long)s->st.declines, m->noanswers,
	    (unsigned long long)s->st.mute_orders,
	    (unsigned long long)s->st.dropped);
	for (int k = 0; k < NP_TIERS_MAX; k++) {
		decided = m->mark[k][SIM_MARK_MET] +
		    m->mark[k][SIM_MARK_MET_LATE] + m->mark[k][SIM_MARK_MISSED];
		if (decided + m->mark[k][SIM_MARK_PENDING] == 0)
			continue;
		printf("tier %d mark: met %zu, met late %zu, missed %zu, "
		    "pending %zu", k + 1, m->mark[k][SIM_MARK_MET],
		    m->mark[k][SIM_MARK_MET_LATE], m->mark[k][SIM_MARK_MISSED],
		    m->mark[k][SIM_MARK_PENDING]);
		if (decided > 0)
			printf("  -> %.1f %% met", 100.0 *
			    (double)m->mark[k][SIM_MARK_MET] / (double)decided);
		printf("\n");
		print_times("time to ack", m->ack[k], m->nack[k]);
		print_times("time to on scene", m->onscene[k], m->nonscene[k]);
	}
	printf("(times in city seconds from the first call, T0)\n");
	fflush(stdout);
}

static void	ask_next(struct sim *);

static void
on_final(int status, const char *body, size_t len, void *arg)
{
	struct sim *s = rep.s;
	struct sim_facts f;
	struct np_jerr e;
	json_t *j = NULL;
	char err[128];

	rep.pending--;
	if (status == 200 && (j = np_json_parse(body, len, &e)) != NULL &&
	    sim_facts_parse(j, rep.s->plans, &f, err, sizeof(err)) == 0)
		add_facts(&rep.sum, &f, s->conf.speed);
	else
		rep.sum.failed++;
	json_decref(j);
	ask_next(s);
}

static void
finish(struct sim *s)
{
	for (int k = 0; k < NP_TIERS_MAX; k++) {
		free(rep.sum.ack[k]);
		free(rep.sum.onscene[k]);
	}
	rep.done(s);
}

static void
ask_next(struct sim *s)
{
	struct sim_inc *inc;

	while (rep.next < s->incs.n && rep.pending < (size_t)(s->conf.conns *
	    s->conf.pipeline)) {
		inc = sim_incs_at(&s->incs, rep.next++);
		if (inc->accepted_us == 0)
			continue;	/* an order of someone else's */
		rep.sum.n++;
		rep.pending++;
		get_incident(s, inc, on_final);
	}
	if (rep.pending == 0 && rep.next >= s->incs.n) {
		print_summary(s);
		finish(s);
	}
}

/* The dashboard's count of closed incidents today, or NAN. */
static double
sla_total(const char *body, size_t len)
{
	json_t *j, *t;
	struct np_jerr e;
	double n = NAN;

	if ((j = np_json_parse(body, len, &e)) == NULL)
		return NAN;
	t = json_array_get(json_object_get(j, "total"), 0);
	if (json_is_integer(json_object_get(t, "met")) &&
	    json_is_integer(json_object_get(t, "missed")))
		n = (double)(json_integer_value(json_object_get(t, "met")) +
		    json_integer_value(json_object_get(t, "missed")));
	json_decref(j);
	return n;
}

static void
print_load(struct sim *s, double closed)
{
	struct sim_stats *st = &s->st;
	double secs = s->conf.duration_min * 60 / s->conf.speed;

	printf("{\"mode\":\"load\",\"rate\":%.1f,\"duration_s\":%.1f,"
	    "\"calls_due\":%llu,\"calls_sent\":%llu,"
	    "\"calls_accepted\":%llu,\"late_calls\":%llu,"
	    "\"failed\":%llu,\"refused\":%llu,\"incidents\":%llu,"
	    "\"orders\":%llu,\"units\":%zu,\"units_on_at_start\":%zu,"
	    "\"warmup_s\":%.2f,", s->conf.rate, secs,
	    (unsigned long long)s->load_sent, (unsigned long long)st->calls,
	    (unsigned long long)st->accepted,
	    (unsigned long long)st->late_calls,
	    (unsigned long long)st->failed, (unsigned long long)st->refused,
	    (unsigned long long)st->incidents, (unsigned long long)st->orders,
	    s->nunits, s->nlogged0, s->warmup_took_s);
	if (isnan(closed))
		printf("\"closed\":null,\"closed_per_s\":null,");
	else
		printf("\"closed\":%.0f,\"closed_per_s\":%.1f,", closed,
		    closed / secs);
	printf("\"latency_us\":{\"n\":%zu,\"p50\":%.0f,\"p90\":%.0f,"
	    "\"p99\":%.0f},\"order_before_201\":%llu}\n", st->nlat,
	    st->nlat ? sim_pctl(st->lat_us, st->nlat, 50) : 0,
	    st->nlat ? sim_pctl(st->lat_us, st->nlat, 90) : 0,
	    st->nlat ? sim_pctl(st->lat_us, st->nlat, 99) : 0,
	    (unsigned long long)st->order_before_201);
	fflush(stdout);
}

static void
on_sla(int status, const char *body, size_t len, void *arg)
{
	struct sim *s = rep.s;
	double n = status == 200 ? sla_total(body, len) : NAN;

	if (rep.sla_pending == 0) {	/* at the start */
		s->sla_closed0 = n;
		return;
	}
	print_load(s, isnan(s->sla_closed0) ? NAN : n - s->sla_closed0);
	rep.done(s);
}

/* The dashboard's SLA totals: at the start and at the end. */
static void
ask_sla(struct sim *s)
{
	if (s->dash == NULL || np_httpc_request(s->dash, "GET",
	    "/api/sla?window=day", NULL, 0, on_sla, NULL) == -1)
		on_sla(0, NULL, 0, NULL);
}

void
sim_report_load_start(struct sim *s)
{
	rep.s = s;
	s->sla_closed0 = NAN;
	ask_sla(s);
}

void
sim_report_final(struct sim *s, void (*done)(struct sim *))
{
	rep.s = s;
	rep.done = done;
	if (s->conf.rate > 0) {
		rep.sla_pending = 1;
		ask_sla(s);
		return;
	}
	for (int k = 0; k < NP_TIERS_MAX; k++) {
		rep.sum.ack[k] = calloc(s->incs.n + 1, sizeof(double));
		rep.sum.onscene[k] = calloc(s->incs.n + 1, sizeof(double));
		if (rep.sum.ack[k] == NULL || rep.sum.onscene[k] == NULL)
			fatalx("out of memory");
	}
	ask_next(s);
}
