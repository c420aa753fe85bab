/*
 * intake: the aggregate stage of nearpost (see intake.h).  main.c holds
 * the settings, start-up and the drain on SIGTERM: stop accepting, let the
 * calls already sent to Redis get their answers, then exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fb_close.h"
#include "intake.h"
#include "np_bus.h"
#include "np_http.h"
#include "np_log.h"
#include "np_redis.h"

#define OFF(f)		offsetof(struct intake_conf, f)

static const struct np_conf_item intake_items[] = {
	{ "http.addr", NP_CONF_STR, "127.0.0.1", 0, 255, OFF(http_addr),
	  "address the call API listens on" },
	{ "http.port", NP_CONF_INT, "7401", 0, 65535, OFF(http_port),
	  "port of the call API (0: any free port)" },
	{ "http.max_body", NP_CONF_INT, "65536", 1024, 16777216,
	  OFF(http_max_body), "largest request body accepted (bytes)" },
	{ "http.max_conns", NP_CONF_INT, "1024", 1, 100000,
	  OFF(http_max_conns), "most client connections at once" },
	{ "http.idle_timeout_ms", NP_CONF_INT, "30000", 100, 3600000,
	  OFF(http_idle_ms), "close a connection idle this long" },
	{ "merge.radius_m", NP_CONF_DOUBLE, "150", 0, 5000,
	  OFF(merge_radius_m), "a repeat call within this distance of an "
	  "open incident of a compatible type merges into it" },
	{ "merge.window_s", NP_CONF_INT, "900", 0, 86400, OFF(merge_window_s),
	  "... if that incident's last call is at most this old" },
	{ "merge.candidates", NP_CONF_INT, "16", 1, 256,
	  OFF(merge_candidates), "nearest open incidents examined per call" },
};

static void
load_types(struct intake *in)
{
	char err[512];

	if (np_plans_load_file(&in->plans, in->conf.city.plans, err,
	    sizeof(err)) == -1)
		fatalx("plans.file: %s", err);
	log_info("%zu incident types from %s", in->plans.ntypes,
	    in->conf.city.plans);
}

static size_t
intake_busy(void *arg)
{
	return ((struct intake *)arg)->inflight;
}

static void
intake_stop(struct np_svc *svc, void *arg)
{
	struct intake *in = arg;

	np_http_drain(in->http);
	np_svc_drain(svc, intake_busy, "calls unanswered (their callers "
	    "retry)", NULL, in);
}

/* Per-source HTTP limits for people at consoles; raise them (or 0) for
 * a gateway or proxy that sends for many. */
static const struct np_http_limit_conf intake_limits = {
	.max_header_bytes = 8192, .max_conns_per_source = 128,
	.rate_per_source = 100, .rate_burst = 200,
};

static void
load_tokens(struct intake *in)
{
	char err[512];

	if (np_auth_init(&in->auth, &in->conf.auth, err, sizeof(err)) == -1)
		fatalx("auth.tokens: %s", err);
	if (np_auth_watch(&in->auth, in->svc.base) == -1)
		fatalx("cannot watch SIGHUP");
}

int
main(int argc, char **argv)
{
	struct intake *in;
	struct np_conf_table tables[6];
	struct np_redis_conf rc;

	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->close = calloc(1, sizeof(*in->close))) == NULL)
		return 1;
	tables[0] = (struct np_conf_table){ intake_items,
	    sizeof(intake_items) / sizeof(intake_items[0]), &in->conf };
	tables[1] = np_svc_plans_items(&in->conf.city);
	tables[2] = np_svc_bus_items(&in->conf.bus, NP_SVC_BUS_EVENTS);
	tables[3] = fb_close_items(in->close);
	tables[4] = np_auth_items(&in->conf.auth);
	tables[5] = np_http_limit_items(&in->conf.limits, "http",
	    &intake_limits);
	np_svc_init(&in->svc, "intake", "nearpost intake: accepts calls over "
	    "HTTP, merges repeat calls, hands new incidents to the router.",
	    argc, argv, tables, 6);
	load_types(in);
	load_tokens(in);
	intake_store_init(in);

	np_svc_redis_conf(&in->svc, &rc);
	if ((in->redis = np_redis_new(in->svc.base, &rc, "intake")) == NULL)
		fatalx("cannot set up the Redis connection");
	in->bus = np_svc_pub(&in->svc, in->conf.bus.events, "events");
	in->health = np_svc_health(&in->svc, NULL, NULL);
	if (intake_http_start(in) == -1)
		fatalx("cannot listen on %s:%d", in->conf.http_addr,
		    in->conf.http_port);
	log_info("listening on http://%s:%d", in->conf.http_addr,
	    np_http_port(in->http));
	np_svc_on_stop(&in->svc, intake_stop, in);
	np_svc_run(&in->svc);

	np_http_free(in->http);
	np_sock_free(in->bus);
	np_sock_free(in->health);
	np_redis_free(in->redis);
	np_auth_free(&in->auth);
	np_svc_free(&in->svc, tables, 6);
	free(in->close);
	free(in);
	return 0;
}
