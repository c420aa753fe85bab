/*
 * http.c: the dashboard's routes.
 *
 *   GET /                the page (www/index.html), /app.js, /style.css
 *   GET /api/state       posts, units, open incidents, escalations waiting
 *   GET /api/sla         ?window=hour|day: compliance per mark, post, district
 *   GET /api/events      Server-Sent Events from the event bus
 *   GET /api/health      a SURVEYOR round on bus.health
 *   GET /metrics         Prometheus text
 *   POST /api/login, /api/logout   the browser's session (login.c)
 *
 * The page and its assets are open (no data in them); the /api routes
 * need a supervisor -- a session cookie or a bearer token (dash_auth);
 * /metrics an admin token (or loopback with auth.metrics_loopback).
 *
 * Every asset is compiled in (np_embed_text): the page never loads
 * anything from outside the machine.  Unknown paths get np_http's JSON 404.
 */
#include <stdio.h>
#include <string.h>

#include "dashboard.h"
#include "np_http.h"

extern const char dashboard_index_html[];
extern const char dashboard_app_js[];
extern const char dashboard_style_css[];

static void
asset(struct np_http_req *req, const char *ctype, const char *body)
{
	np_http_add_header(req, "Cache-Control", "no-cache");
	np_http_add_header(req, "Content-Security-Policy", "default-src "
	    "'self'; img-src 'self' data:; style-src 'self'");
	np_http_add_header(req, "X-Content-Type-Options", "nosniff");
	np_http_reply(req, 200, ctype, body, strlen(body));
}

static void
get_index(struct np_http_req *req, void *arg)
{
	(void)arg;
	asset(req, "text/html; charset=utf-8", dashboard_index_html);
}

static void
get_app(struct np_http_req *req, void *arg)
{
	(void)arg;
	asset(req, "text/javascript; charset=utf-8", dashboard_app_js);
}

static void
get_css(struct np_http_req *req, void *arg)
{
	(void)arg;
	asset(req, "text/css; charset=utf-8", dashboard_style_css);
}

static void
get_events(struct np_http_req *req, void *arg)
{
	if (dash_auth(arg, req) != NULL)
		dash_events_serve(arg, req);
}

static void
get_health(struct np_http_req *req, void *arg)
{
	if (dash_auth(arg, req) != NULL)
		dash_health_serve(arg, req);
}

static void
get_state(struct np_http_req *req, void *arg)
{
	if (dash_auth(arg, req) != NULL)
		dash_api_state(req, arg);
}

static void
get_sla(struct np_http_req *req, void *arg)
{
	if (dash_auth(arg, req) != NULL)
		dash_api_sla(req, arg);
}

static void
get_metrics(struct np_http_req *req, void *arg)
{
	struct dashboard *d = arg;
	struct np_http_stats hs;
	char buf[3072];
	int n;

	if (!np_auth_metrics(&d->auth, req))
		return;
	np_http_get_stats(d->http, &hs);
	n = snprintf(buf, sizeof(buf),
	    "# TYPE dashboard_sse_clients gauge\n"
	    "dashboard_sse_clients %zu\n"
	    "# TYPE dashboard_bus_frames_total counter\n"
	    "dashboard_bus_frames_total %llu\n"
	    "# TYPE dashboard_bus_bad_frames_total counter\n"
	    "dashboard_bus_bad_frames_total %llu\n"
	    "# TYPE dashboard_sse_frames_forwarded_total counter\n"
	    "dashboard_sse_frames_forwarded_total %llu\n"
	    "# TYPE dashboard_sse_clients_dropped_total counter\n"
	    "dashboard_sse_clients_dropped_total %llu\n"
	    "# TYPE dashboard_sse_clients_refused_total counter\n"
	    "dashboard_sse_clients_refused_total %llu\n"
	    "# TYPE dashboard_health_surveys_total counter\n"
	    "dashboard_health_surveys_total %llu\n"
	    "# TYPE dashboard_redis_errors_total counter\n"
	    "dashboard_redis_errors_total %llu\n"
	    "# TYPE dashboard_http_requests_total counter\n"
	    "dashboard_http_requests_total %llu\n"
	    "# TYPE dashboard_http_connections gauge\n"
	    "dashboard_http_connections %zu\n"
	    "# TYPE dashboard_http_responses_total counter\n"
	    "dashboard_http_responses_total{class=\"2xx\"} %llu\n"
	    "dashboard_http_responses_total{class=\"4xx\"} %llu\n"
	    "dashboard_http_responses_total{class=\"5xx\"} %llu\n"
	    "# TYPE dashboard_http_refused_total counter\n"
	    "dashboard_http_refused_total{why=\"auth\"} %llu\n"
	    "dashboard_http_refused_total{why=\"conns\"} %llu\n"
	    "dashboard_http_refused_total{why=\"conns_per_source\"} %llu\n"
	    "dashboard_http_refused_total{why=\"rate\"} %llu\n"
	    "# TYPE dashboard_sessions gauge\n"
	    "dashboard_sessions %zu\n",
	    d->nclients, (unsigned long long)d->stats.frames,
	    (unsigned long long)d->stats.bad_frames,
	    (unsigned long long)d->stats.forwarded,
	    (unsigned long long)d->stats.dropped,
	    (unsigned long long)d->stats.refused,
	    (unsigned long long)d->stats.surveys,
	    (unsigned long long)d->stats.redis_errors,
	    (unsigned long long)hs.requests, hs.active,
	    (unsigned long long)hs.status[2],
	    (unsigned long long)hs.status[4],
	    (unsigned long long)hs.status[5],
	    (unsigned long long)d->auth.denied,
	    (unsigned long long)hs.rejected,
	    (unsigned long long)hs.src_rejected,
	    (unsigned long long)hs.rate_limited, d->sessions.n);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	np_http_reply(req, 200, "text/plain; version=0.0.4", buf, (size_t)n);
}

static const struct np_http_route routes[] = {
	{ "GET", "/", get_index },
	{ "GET", "/index.html", get_index },
	{ "GET", "/app.js", get_app },
	{ "GET", "/style.css", get_css },
	{ "GET", "/api/state", get_state },
	{ "GET", "/api/sla", get_sla },
	{ "POST", "/api/login", dash_login },
	{ "POST", "/api/logout", dash_logout },
	{ "GET", "/api/events", get_events },
	{ "GET", "/api/health", get_health },
	{ "GET", "/metrics", get_metrics },
};

int
dash_http_start(struct dashboard *d)
{
	struct np_http_conf hc;

	np_http_conf_defaults(&hc);
	hc.addr = d->conf.http_addr;
	hc.port = d->conf.http_port;
	hc.max_conns = d->conf.http_max_conns;
	hc.idle_timeout_ms = d->conf.http_idle_ms;
	hc.max_body_bytes = (size_t)d->conf.http_max_body;
	np_http_limit_apply(&hc, &d->conf.limits);
	d->http = np_http_new(d->svc.base, &hc, routes,
	    sizeof(routes) / sizeof(routes[0]), d);
	return d->http == NULL ? -1 : 0;
}
