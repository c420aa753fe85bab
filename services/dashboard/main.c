/*
 * dashboard: the supervisors' view (see dashboard.h).  main.c holds the
 * settings, start-up and the stop: end the event streams, stop
 * accepting, let pending Redis reads answer, exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "np_bus.h"
#include "np_http.h"
#include "np_log.h"
#include "np_redis.h"

#define OFF(f)		offsetof(struct dash_conf, f)

static const struct np_conf_item dash_items[] = {
	{ "dashboard.addr", NP_CONF_STR, "127.0.0.1", 0, 255, OFF(http_addr),
	  "address the dashboard listens on" },
	{ "dashboard.port", NP_CONF_INT, "7402", 0, 65535, OFF(http_port),
	  "port of the dashboard (0: any free port)" },
	{ "dashboard.max_conns", NP_CONF_INT, "256", 1, 100000,
	  OFF(http_max_conns), "most HTTP connections at once" },
	{ "dashboard.idle_timeout_ms", NP_CONF_INT, "30000", 100, 3600000,
	  OFF(http_idle_ms), "close a connection idle this long" },
	{ "dashboard.max_clients", NP_CONF_INT, "64", 1, 10000,
	  OFF(max_clients), "most event streams (/api/events) at once" },
	{ "dashboard.heartbeat_ms", NP_CONF_INT, "15000", 10, 600000,
	  OFF(heartbeat_ms), "a comment on every event stream this often" },
	{ "dashboard.max_incidents", NP_CONF_INT, "500", 1, 100000,
	  OFF(max_incidents), "open incidents shown (oldest first)" },
	{ "dashboard.max_escalations", NP_CONF_INT, "50", 1, 10000,
	  OFF(max_escalations), "escalations waiting shown" },
	{ "dashboard.survey_ms", NP_CONF_INT, "500", 10, 60000,
	  OFF(survey_ms), "how long a health round waits for answers" },
	{ "dashboard.max_body", NP_CONF_INT, "4096", 1024, 1048576,
	  OFF(http_max_body), "largest request body accepted (bytes)" },
	{ "dashboard.session_ttl_s", NP_CONF_INT, "43200", 60, 2592000,
	  OFF(session_ttl_s), "a browser login lasts this long" },
	{ "dashboard.max_sessions", NP_CONF_INT, "256", 1, 100000,
	  OFF(max_sessions), "browser sessions kept at once (the oldest "
	  "go first)" },
	{ "track.mark1_s", NP_CONF_INT, "0", 0, 86400, OFF(mark_s[0]),
	  "mark 1 deadline as the tracker uses it (0: the plan's)" },
	{ "track.mark2_s", NP_CONF_INT, "0", 0, 86400, OFF(mark_s[1]),
	  "mark 2 deadline (0: the plan's)" },
	{ "track.mark3_s", NP_CONF_INT, "0", 0, 86400, OFF(mark_s[2]),
	  "mark 3 deadline (0: the plan's)" },
};

/* Per-source HTTP limits: a few supervisors' browsers (and scripts)
 * per address; far above what a page makes, low enough to stop a
 * runaway client. */
static const struct np_http_limit_conf dash_limits = {
	.max_header_bytes = 8192, .max_conns_per_source = 32,
	.rate_per_source = 100, .rate_burst = 200,
};

static void
load_tokens(struct dashboard *d)
{
	char err[512];

	if (np_auth_init(&d->auth, &d->conf.auth, err, sizeof(err)) == -1)
		fatalx("auth.tokens: %s", err);
	if (np_auth_watch(&d->auth, d->svc.base) == -1)
		fatalx("cannot watch SIGHUP");
	if (dash_sessions_init(&d->sessions, (size_t)d->conf.max_sessions,
	    d->conf.session_ttl_s) == -1)
		fatalx("out of memory");
}

static void
load_city(struct dashboard *d)
{
	char err[512];

	if ((d->city = np_city_new()) == NULL)
		fatalx("out of memory");
	if (np_city_load_file(d->city, np_city_load_posts,
	    d->conf.city.posts, err, sizeof(err)) == -1 ||
	    np_city_load_file(d->city, np_city_load_units,
	    d->conf.city.units, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (np_plans_load_file(&d->plans, d->conf.city.plans, err,
	    sizeof(err)) == -1)
		fatalx("plans.file: %s", err);
	log_info("%zu posts, %zu units, %zu incident types", d->city->nposts,
	    d->city->nunits, d->plans.ntypes);
}

static size_t
dash_busy(void *arg)
{
	return np_http_active(((struct dashboard *)arg)->http);
}

static void
dash_stop(struct np_svc *svc, void *arg)
{
	struct dashboard *d = arg;

	dash_events_stop(d);
	dash_health_stop(d);
	np_http_drain(d->http);
	np_svc_drain(svc, dash_busy, "connections", NULL, d);
}

int
main(int argc, char **argv)
{
	struct dashboard *d;
	struct np_conf_table tables[6];
	struct np_redis_conf rc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return 1;
	tables[0] = (struct np_conf_table){ dash_items,
	    sizeof(dash_items) / sizeof(dash_items[0]), &d->conf };
	tables[1] = np_svc_city_items(&d->conf.city, NP_SVC_CITY_MAP);
	tables[2] = np_svc_plans_items(&d->conf.city);
	tables[3] = np_svc_bus_items(&d->conf.bus, NP_SVC_BUS_EVENTS);
	tables[4] = np_auth_items(&d->conf.auth);
	tables[5] = np_http_limit_items(&d->conf.limits, "dashboard",
	    &dash_limits);
	np_svc_init(&d->svc, "dashboard", "nearpost dashboard: the "
	    "supervisors' live map, SLA and escalations over HTTP.", argc,
	    argv, tables, 6);
	load_tokens(d);
	load_city(d);
	dash_api_init(d);
	np_svc_redis_conf(&d->svc, &rc);
	if ((d->redis = np_redis_new(d->svc.base, &rc, "dashboard")) == NULL)
		fatalx("cannot set up the Redis connection");
	if (dash_events_start(d) == -1)
		fatalx("cannot bind the event bus");
	dash_health_start(d);
	d->health = np_svc_health(&d->svc, NULL, NULL);
	if (dash_http_start(d) == -1)
		fatalx("cannot listen on %s:%d", d->conf.http_addr,
		    d->conf.http_port);
	log_info("listening on http://%s:%d", d->conf.http_addr,
	    np_http_port(d->http));
	np_svc_on_stop(&d->svc, dash_stop, d);
	np_svc_run(&d->svc);

	dash_events_stop(d);
	dash_health_stop(d);
	np_sock_free(d->health);
	np_http_free(d->http);
	np_sock_free(d->sub);
	np_redis_free(d->redis);
	json_decref(d->unit_ids);
	json_decref(d->scopes);
	np_city_free(d->city);
	dash_sessions_free(&d->sessions);
	np_auth_free(&d->auth);
	np_svc_free(&d->svc, tables, 6);
	free(d);
	return 0;
}
