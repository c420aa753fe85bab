/*
 * intake: the aggregate stage of nearpost (see intake.h).  main.c holds
 * the settings, start-up and the drain on SIGTERM: stop accepting, let the
 * calls already sent to Redis get their answers, then exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "intake.h"
#include "np_bus.h"
#include "np_http.h"
#include "np_log.h"
#include "np_redis.h"

#define OFF(f)		offsetof(struct intake_conf, f)
#define DRAIN_MAX_MS	5000

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
	{ "plans.file", NP_CONF_STR, "deploy/plans.json", 0, 1024,
	  OFF(plans_file), "incident types and response plans (JSON)" },
	{ "merge.radius_m", NP_CONF_DOUBLE, "150", 0, 5000,
	  OFF(merge_radius_m), "a repeat call within this distance of an "
	  "open incident of a compatible type merges into it" },
	{ "merge.window_s", NP_CONF_INT, "900", 0, 86400, OFF(merge_window_s),
	  "... if that incident's last call is at most this old" },
	{ "merge.candidates", NP_CONF_INT, "16", 1, 256,
	  OFF(merge_candidates), "nearest open incidents examined per call" },
	{ "bus.events", NP_CONF_STR, "", 0, 512, OFF(bus_events),
	  "nanomsg endpoint events are published to (empty: "
	  "ipc://RUN_DIR/events.ipc)" },
};

static void
load_types(struct intake *in)
{
	char err[512], *buf;
	size_t len;
	FILE *f;

	if ((f = fopen(in->conf.plans_file, "r")) == NULL)
		fatalx("plans.file %s: %s", in->conf.plans_file,
		    strerror(errno));
	if ((buf = malloc(1024 * 1024)) == NULL)
		fatalx("out of memory");
	len = fread(buf, 1, 1024 * 1024, f);
	fclose(f);
	if (len == 1024 * 1024)
		fatalx("plans.file %s: larger than 1 MiB", in->conf.plans_file);
	if (intake_types_load(&in->types, buf, len, err, sizeof(err)) == -1)
		fatalx("plans.file %s: %s", in->conf.plans_file, err);
	free(buf);
	log_info("%zu incident types from %s", in->types.n,
	    in->conf.plans_file);
}

static void
drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct intake *in = arg;
	static int waited;

	if (in->inflight == 0 || (waited += 50) >= DRAIN_MAX_MS) {
		if (in->inflight > 0)
			log_warnx("exiting with %zu calls unanswered (their "
			    "callers retry)", in->inflight);
		np_svc_exit(&in->svc);
		return;
	}
	event_base_once(in->svc.base, -1, EV_TIMEOUT, drain_check, in,
	    &(struct timeval){ 0, 50000 });
}

static void
intake_stop(struct np_svc *svc, void *arg)
{
	struct intake *in = arg;

	np_http_drain(in->http);
	drain_check(-1, 0, in);
}

int
main(int argc, char **argv)
{
	struct intake *in;
	struct np_conf_table tables[1];
	struct np_redis_conf rc;
	char endpoint[600];

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return 1;
	tables[0] = (struct np_conf_table){ intake_items,
	    sizeof(intake_items) / sizeof(intake_items[0]), &in->conf };
	np_svc_init(&in->svc, "intake", "nearpost intake: accepts calls over "
	    "HTTP, merges repeat calls, hands new incidents to the router.",
	    argc, argv, tables, 1);
	load_types(in);
	intake_store_init(in);

	np_svc_redis_conf(&in->svc, &rc);
	if ((in->redis = np_redis_new(in->svc.base, &rc, "intake")) == NULL)
		fatalx("cannot set up the Redis connection");
	if (*in->conf.bus_events != '\0')
		snprintf(endpoint, sizeof(endpoint), "%s", in->conf.bus_events);
	else
		np_bus_endpoint(endpoint, sizeof(endpoint), in->svc.conf.run_dir,
		    "events");
	if ((in->bus = np_sock_new(in->svc.base, NP_SOCK_PUB, endpoint, 0,
	    NULL, NULL)) == NULL)
		log_warnx("event bus %s unavailable; continuing without live "
		    "events", endpoint);
	if (intake_http_start(in) == -1)
		fatalx("cannot listen on %s:%d", in->conf.http_addr,
		    in->conf.http_port);
	log_info("listening on http://%s:%d", in->conf.http_addr,
	    np_http_port(in->http));
	np_svc_on_stop(&in->svc, intake_stop, in);
	np_svc_run(&in->svc);

	np_http_free(in->http);
	if (in->bus != NULL)
		np_sock_free(in->bus);
	np_redis_free(in->redis);
	np_svc_free(&in->svc, tables, 1);
	free(in);
	return 0;
}
