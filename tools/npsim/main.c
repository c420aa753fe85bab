/*
 * main.c: npsim's settings, start and end.
 *
 * Settings are an np_conf table like the services' (defaults, then the
 * environment NEARPOST_<KEY>, then the command line): `--speed 10` sets
 * sim.speed, `--city.units FILE` any other key by its full name, and a
 * boolean given alone (`--fast-units`) is true.  `--scaled-env` prints
 * the service settings for the same speed (scaled.c).
 *
 * The run: load the city and plans, connect every unit, start the
 * calls, print a progress line every few real seconds; at the end (the
 * duration, or SIGINT/SIGTERM) stop the calls, let the loop finish what
 * is under way for sim.drain_s real seconds, read the incidents back and
 * print the summary, and exit 128 + the signal's number (as a shell
 * would) so that make demo knows it was interrupted.  A second signal
 * exits at once.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "np_file.h"
#include "np_httpc.h"
#include "np_id.h"
#include "np_log.h"
#include "np_time.h"
#include "npsim.h"

#define OFF(f)		offsetof(struct sim_conf, f)
#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define D(key, def, lo, hi, f, help) \
	{ key, NP_CONF_DOUBLE, def, lo, hi, OFF(f), help }
#define I(key, def, lo, hi, f, help) \
	{ key, NP_CONF_INT, def, lo, hi, OFF(f), help }

static const struct np_conf_item sim_items[] = {
	D("sim.speed", "1", 0.01, 10000, speed, "city time runs this many "
	  "times real time"),
	D("sim.duration", "30", 0.01, 1e6, duration_min, "city minutes to "
	  "run"),
	{ "sim.start", NP_CONF_STR, "", 0, 5, OFF(start), "city time of day "
	  "at the start, HH:MM (empty: now)" },
	{ "sim.area", NP_CONF_STR, "31.2228,31.2372,121.4595,121.4805", 0, 100,
	  OFF(area), "where calls happen: lat_min,lat_max,lon_min,lon_max "
	  "(default: the sample city's district; empty: the posts' box)" },
	D("sim.calls_per_hour", "120", 0, 1e7, calls_per_hour, "mean calls "
	  "per city hour over the day"),
	{ "sim.curve", NP_CONF_STR, "", 0, 1000, OFF(curve), "24 relative "
	  "call rates, midnight first (empty: the built-in urban day)" },
	I("sim.seed", "0", 0, 2147483647, seed, "random seed (0: from the "
	  "clock)"),
	D("sim.repeat_share", "0.15", 0, 1, repeat_share, "calls that a "
	  "second caller reports again nearby a little later"),
	D("sim.retry_share", "0.03", 0, 1, retry_share, "calls sent again "
	  "with the same call_id (a call-taker's retry)"),
	D("sim.gap_share", "0.05", 0, 1, gap_share, "calls placed in a "
	  "coverage gap (no post within 200 m)"),
	D("sim.decline_share", "0.05", 0, 1, decline_share, "orders a unit "
	  "declines"),
	D("sim.mute_share", "0.03", 0, 1, mute_share, "units whose radio "
	  "never answers an order"),
	D("sim.drop_per_hour", "0.3", 0, 3600, drop_per_hour, "radio link "
	  "drops per unit per city hour (back after 10-120 city s)"),
	D("sim.pos_interval_s", "15", 0.1, 3600, pos_interval_s, "city "
	  "seconds between a unit's position reports"),
	D("sim.onscene_mean_s", "600", 1, 86400, onscene_mean_s, "mean city "
	  "seconds a unit stays on scene (at least 60)"),
	{ "sim.replay", NP_CONF_STR, "", 0, 1024, OFF(replay), "CSV file of "
	  "calls (time,lat,lon,type) to replay instead of generating" },
	D("sim.rate", "0", 0, 1e6, rate, "load mode: this many calls per "
	  "real second, paced (open loop); prints one JSON line"),
	{ "sim.fast_units", NP_CONF_BOOL, "false", 0, 1, OFF(fast_units),
	  "units answer every order at once: ACK ENROUTE ONSCENE CLEAR" },
	D("sim.progress_s", "5", 0.1, 3600, progress_s, "real seconds "
	  "between progress lines"),
	I("sim.conns", "8", 1, 1024, conns, "HTTP connections to intake"),
	I("sim.pipeline", "64", 1, 4096, pipeline, "requests in flight per "
	  "connection"),
	I("sim.timeout_ms", "10000", 100, 600000, timeout_ms, "longest wait "
	  "for an HTTP answer"),
	D("sim.drain_s", "5", 0, 3600, drain_s, "real seconds the loop may "
	  "finish what is under way before the summary is read"),
	D("sim.warmup_s", "15", 0, 3600, warmup_s, "load mode: real seconds "
	  "the calls wait at most for every unit to log in (they start "
	  "half a second after the last login: a steady load, not the "
	  "start-up's logins, is measured)"),
	{ "sim.quiet", NP_CONF_BOOL, "false", 0, 1, OFF(quiet), "no "
	  "progress lines" },
	{ "intake.url", NP_CONF_STR, "http://127.0.0.1:7401", 0, 255,
	  OFF(intake_url), "intake's base URL" },
	{ "dashboard.url", NP_CONF_STR, "http://127.0.0.1:7402", 0, 255,
	  OFF(dashboard_url), "the dashboard's base URL (load mode: SLA "
	  "totals)" },
	{ "radio.host", NP_CONF_STR, "127.0.0.1", 0, 255, OFF(radio_host),
	  "radiogw's address" },
	I("radio.port", "7410", 1, 65535, radio_port, "radiogw's port"),
	{ "token", NP_CONF_STR, "", 0, 512, OFF(token), "bearer token for "
	  "intake and the dashboard (NEARPOST_TOKEN)" },
	{ "log.level", NP_CONF_STR, "warn", 0, 16, OFF(log_level), "error, "
	  "warn, info or debug" },
};

static struct sim	sim;

int64_t
sim_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double
sim_city_now(const struct sim *s)
{
	return (double)(sim_now_us() - s->start_us) / 1e6 * s->conf.speed;
}

struct timeval
sim_tv(const struct sim *s, double city_s)
{
	double us = city_s > 0 ? city_s / s->conf.speed * 1e6 : 0;
	struct timeval tv;

	tv.tv_sec = (time_t)(us / 1e6);
	tv.tv_usec = (suseconds_t)fmod(us, 1e6);
	return tv;
}

static struct np_conf_table tables[3];

static void
tables_init(struct sim_conf *c)
{
	tables[0] = (struct np_conf_table){ sim_items, N(sim_items), c };
	tables[1] = np_svc_city_items(&c->city, NP_SVC_CITY_KEYS);
	tables[2] = np_svc_plans_items(&c->city);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: npsim [--speed N] [--duration CITY_MINUTES] "
	    "[--replay FILE.csv]\n"
	    "             [--rate CALLS_PER_S] [--fast-units] [--seed N] "
	    "[--KEY VALUE ...]\n"
	    "       npsim --scaled-env [--speed N]   (service settings for "
	    "that speed)\n\n"
	    "A simulated city against the running services: calls to intake, "
	    "every unit\non radiogw; prints progress and an SLA summary read "
	    "back from the services.\nThe bearer token comes from "
	    "NEARPOST_TOKEN.  `--name` is sim.name when that exists.\n\n"
	    "settings (NEARPOST_<KEY> in the environment, or --KEY VALUE):\n");
	np_conf_usage(f, tables, N(tables));
}

static const struct np_conf_item *
find_item(const char *key)
{
	for (size_t t = 0; t < N(tables); t++)
		for (size_t i = 0; i < tables[t].n; i++)
			if (strcmp(tables[t].items[i].key, key) == 0)
				return &tables[t].items[i];
	return NULL;
}

/* --name value / --flag: sim.<name> (dashes as underscores) or <name>. */
static void
parse_args(int argc, char **argv, int *scaled_env)
{
	const struct np_conf_item *it;
	char key[128], err[512];
	const char *val;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(argv[i], "--scaled-env") == 0) {
			*scaled_env = 1;
			continue;
		}
		if (strncmp(argv[i], "--", 2) != 0 || strlen(argv[i]) > 100)
			fatalx("unknown argument '%s' (try --help)", argv[i]);
		snprintf(key, sizeof(key), "sim.%s", argv[i] + 2);
		for (char *p = key; *p != '\0'; p++)
			*p = *p == '-' ? '_' : *p;
		if ((it = find_item(key)) == NULL &&
		    (it = find_item(argv[i] + 2)) == NULL)
			fatalx("unknown option '%s' (try --help)", argv[i]);
		if (it->type == NP_CONF_BOOL && (i + 1 == argc ||
		    strncmp(argv[i + 1], "--", 2) == 0))
			val = "true";
		else if (i + 1 == argc)
			fatalx("option '%s' needs a value", argv[i]);
		else
			val = argv[++i];
		if (np_conf_set(tables, N(tables), it->key, val, err,
		    sizeof(err)) == -1)
			fatalx("%s", err);
	}
}

/* City, plans and the replay file; -1 after saying what is wrong. */
static int
load_data(struct sim *s)
{
	struct sim_conf *c = &s->conf;
	char err[1024];
	size_t len;
	char *text;

	if ((s->city = np_city_new()) == NULL ||
	    (s->plans = calloc(1, sizeof(*s->plans))) == NULL)
		fatalx("out of memory");
	if (np_city_load_file(s->city, np_city_load_posts, c->city.posts, err,
	    sizeof(err)) == -1 || np_city_load_file(s->city,
	    np_city_load_units, c->city.units, err, sizeof(err)) == -1 ||
	    np_city_load_file(s->city, np_city_load_keys, c->city.keys, err,
	    sizeof(err)) == -1 || np_plans_load_file(s->plans,
	    c->city.plans, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	if (*c->replay == '\0')
		return 0;
	if ((text = np_file_read(c->replay, NP_FILE_MAX, &len, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	if (sim_csv_load(text, len, s->plans, &s->replay, &s->nreplay, err,
	    sizeof(err)) == -1) {
		log_warnx("%s: %s", c->replay, err);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

/* The clock, the curve, the gaps, the run id. */
static void
setup(struct sim *s)
{
	struct sim_conf *c = &s->conf;
	int h, m;
	char err[256];
	time_t now = time(NULL);
	struct tm tm;

	sim_rng_seed(&s->rng, c->seed != 0 ? (uint64_t)c->seed :
	    (uint64_t)sim_now_us() ^ (uint64_t)now);
	if (sim_curve_parse(&s->curve, *c->curve ? c->curve :
	    sim_curve_default, c->calls_per_hour, err, sizeof(err)) == -1)
		fatalx("sim.curve: %s", err);
	if (*c->start != '\0') {
		if (sscanf(c->start, "%d:%d", &h, &m) != 2 || h < 0 || h > 23 ||
		    m < 0 || m > 59)
			fatalx("sim.start: \"%s\" is not HH:MM", c->start);
		s->city0 = h * 3600 + m * 60;
	} else {
		localtime_r(&now, &tm);
		s->city0 = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	}
	sim_city_area(s->city, &s->area);
	if (*c->area != '\0' && (sscanf(c->area, "%lf,%lf,%lf,%lf",
	    &s->area.lat_min, &s->area.lat_max, &s->area.lon_min,
	    &s->area.lon_max) != 4 || !(s->area.lat_min < s->area.lat_max) ||
	    !(s->area.lon_min < s->area.lon_max)))
		fatalx("sim.area: \"%s\" is not lat_min,lat_max,lon_min,"
		    "lon_max", c->area);
	if (c->rate == 0 && c->gap_share > 0) {
		s->gap_lat = calloc(4096, sizeof(double));
		s->gap_lon = calloc(4096, sizeof(double));
		if (s->gap_lat == NULL || s->gap_lon == NULL)
			fatalx("out of memory");
		s->ngaps = sim_find_gaps(s->city, &s->area, 200, 20,
		    s->gap_lat, s->gap_lon, 4096);
	}
	if (np_id_new(s->run_id, sizeof(s->run_id), "S", 6) == -1)
		fatalx("call id prefix");
	if (sim_incs_init(&s->incs, c->rate > 0 ? (size_t)(c->rate *
	    c->duration_min * 60 / c->speed) + 1024 : 4096) == -1)
		fatalx("out of memory");
}

void
sim_http_auth(const struct sim *s, struct np_httpc *c)
{
	char line[600];

	if (*s->conf.token == '\0')
		return;
	snprintf(line, sizeof(line), "Authorization: Bearer %s",
	    s->conf.token);
	if (np_httpc_header(c, line) == -1)
		fatalx("token: not a header value");
}

static void
on_progress(evutil_socket_t fd, short what, void *arg)
{
	sim_report_progress(arg);
}

static void
on_bye(evutil_socket_t fd, short what, void *arg)
{
	struct sim *s = arg;

	sim_units_stop(s);
	event_base_loopbreak(s->base);
}

/* After the summary: units let go of their orders, then hang up. */
static void
done(struct sim *s)
{
	struct timeval tv = { 0, 0 };
	int n = sim_units_release(s);

	if (n > 0 && !s->conf.quiet)
		printf("npsim: end of shift: %d unit(s) cleared the order in "
		    "hand (disposition cancelled)\n", n);
	evtimer_assign(&s->ev_end, s->base, on_bye, s);
	if (n > 0)
		tv.tv_usec = 500000;
	evtimer_add(&s->ev_end, &tv);
}

static void
on_drained(evutil_socket_t fd, short what, void *arg)
{
	struct sim *s = arg;

	event_del(&s->ev_progress);
	sim_report_final(s, done);
}

void
sim_end(struct sim *s)
{
	struct timeval tv = np_tv_ms((int64_t)(s->conf.drain_s * 1000));

	if (s->ending)
		return;
	if (s->loading)
		sim_calls_stop(s);
	s->loading = 1;		/* ended in the warm-up: no calls now */
	event_del(&s->ev_warm);
	sim_report_progress(s);
	s->ending = 1;
	event_del(&s->ev_end);
	evtimer_assign(&s->ev_end, s->base, on_drained, s);
	evtimer_add(&s->ev_end, &tv);
}

static void
on_end(evutil_socket_t fd, short what, void *arg)
{
	sim_end(arg);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sim *s = arg;

	if (s->ending) {
		fprintf(stderr, "npsim: second signal: exiting now\n");
		exit(1);
	}
	fprintf(stderr, "npsim: signal %d: ending the run\n", (int)sig);
	s->signalled = (int)sig;
	sim_end(s);
}

/*
 * The calls and the end of the run.  In load mode they wait for the
 * units: every unit's login is a script call of radiogw's and of the
 * commander's, and 920 of them at once are a burst that is not the
 * steady load the latencies describe.  The pacing and the duration count
 * from here.
 */
static void
begin(struct sim *s)
{
	struct timeval tv;

	if (s->loading)
		return;
	s->loading = 1;
	event_del(&s->ev_warm);
	if (s->conf.rate > 0 && s->nlogged < s->nunits)
		log_warnx("%zu of %zu units logged in after %.0f s: the calls "
		    "start anyway", s->nlogged, s->nunits, s->conf.warmup_s);
	s->nlogged0 = s->nlogged;
	s->warmup_took_s = (double)(sim_now_us() - s->start_us) / 1e6;
	s->start_us = sim_now_us();
	if (sim_calls_start(s) == -1)
		fatalx("out of memory");
	if (s->conf.rate > 0)
		sim_report_load_start(s);
	tv = sim_tv(s, s->conf.duration_min * 60);
	evtimer_add(&s->ev_end, &tv);
}

static void
on_warm(evutil_socket_t fd, short what, void *arg)
{
	begin(arg);
}

void
sim_unit_on(struct sim *s)
{
	struct timeval tv = np_tv_ms(500);

	/* the last login: its online status still has to reach the
	 * commander */
	if (++s->nlogged == s->nunits && !s->loading)
		event_add(&s->ev_warm, &tv);
}

static void
start(struct sim *s)
{
	struct timeval tv;
	char host[256];
	int port;

	/*
	 * Not EVENT_BASE_FLAG_PRECISE_TIMER: it costs a timerfd_settime and
	 * a clock_gettime system call every loop pass.  libevent's timers
	 * (the city's, a few ms of jitter is nothing there) run on the
	 * coarse clock; the load mode's pacing has a timerfd of its own
	 * (calls.c) and the latencies are read on CLOCK_MONOTONIC.
	 */
	if ((s->base = event_base_new()) == NULL)
		fatalx("event base");
	s->start_us = sim_now_us();
	evtimer_assign(&s->ev_warm, s->base, on_warm, s);
	evtimer_assign(&s->ev_end, s->base, on_end, s);
	if (sim_units_start(s) == -1)
		fatalx("out of memory");
	if (np_httpc_url(s->conf.dashboard_url, host, sizeof(host),
	    &port) == 0 && (s->dash = np_httpc_new(s->base, host, port, 4,
	    s->conf.timeout_ms)) != NULL)
		sim_http_auth(s, s->dash);
	sim_report_start(s);
	tv = np_tv_ms((int64_t)(s->conf.progress_s * 1000));
	event_assign(&s->ev_progress, s->base, -1, EV_PERSIST, on_progress, s);
	event_add(&s->ev_progress, &tv);
	if (s->conf.rate > 0) {
		tv = np_tv_ms((int64_t)(s->conf.warmup_s * 1000));
		event_add(&s->ev_warm, &tv);
	} else
		begin(s);
	evsignal_assign(&s->ev_sig, s->base, SIGINT, on_signal, s);
	evsignal_add(&s->ev_sig, NULL);
	evsignal_assign(&s->ev_term, s->base, SIGTERM, on_signal, s);
	evsignal_add(&s->ev_term, NULL);
}

static void
cleanup(struct sim *s)
{
	if (s->units != NULL)
		sim_units_stop(s);
	for (size_t i = 0; i < s->nhttp; i++)
		np_httpc_free(s->http[i]);
	np_httpc_free(s->dash);
	free(s->http);
	free(s->delayed);
	free(s->units);
	free(s->replay);
	free(s->gap_lat);
	free(s->gap_lon);
	free(s->st.lat_us);
	sim_incs_free(&s->incs);
	np_city_free(s->city);
	free(s->plans);
	if (s->base != NULL)
		event_base_free(s->base);
	np_conf_free(tables, N(tables));
}

int
main(int argc, char **argv)
{
	struct sim *s = &sim;
	enum np_log_level level;
	int scaled_env = 0, sig;
	char err[1024];

	signal(SIGPIPE, SIG_IGN);
	log_init("npsim", NP_LOG_WARN, 0);
	tables_init(&s->conf);
	if (np_conf_load(tables, N(tables), NULL, err, sizeof(err)) == -1)
		fatalx("bad settings: %s", err);
	parse_args(argc, argv, &scaled_env);
	if (log_level_parse(s->conf.log_level, &level) == -1)
		fatalx("log.level: \"%s\" is not error, warn, info or debug",
		    s->conf.log_level);
	log_set_level(level);
	if (load_data(s) == -1) {
		cleanup(s);
		return 1;
	}
	if (scaled_env) {
		sim_print_scaled_env(&s->conf, s->plans);
		cleanup(s);
		return 0;
	}
	setup(s);
	start(s);
	event_base_dispatch(s->base);
	sig = s->signalled;
	cleanup(s);
	/* like a shell: a run ended by SIGINT says so to its caller */
	return sig != 0 ? 128 + sig : 0;
}
