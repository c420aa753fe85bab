/*
 * http.c: intake's HTTP face.
 *
 *   POST /v1/calls           a call; 201 created/merged, 200 replayed
 *   GET  /v1/incidents       the open incidents, newest first (?limit=)
 *   GET  /v1/incidents/{id}  the incident, its calls and its timeline
 *   POST /v1/incidents/{id}/close     a supervisor closes it (supervise.c)
 *   POST /v1/incidents/{id}/followup  the caller's follow-up is done
 *   GET  /healthz            200 when Redis is reachable, else 503
 *   GET  /metrics            Prometheus counters
 *
 * Access (common/np_auth.h): a bearer token of a calltaker for calls,
 * incidents and follow-ups, of a supervisor to close; an admin token for
 * /metrics (or none from loopback with auth.metrics_loopback); /healthz
 * is open.  401 no or unknown token, 403 a role too low.  The caller's
 * principal ("calltaker:alice") is the `by` of the timeline entries.
 *
 * Status codes: 400 unreadable JSON, 422 a field is wrong (the body names
 * it), 409 a call id reused for a different call, 415 not JSON, 413/431
 * too large (np_http), 503 Redis unreachable -- nothing was accepted and
 * a retry with the same call_id is safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intake.h"
#include "np_bus.h"
#include "np_http.h"
#include "np_id.h"
#include "np_log.h"
#include "np_redis.h"

int
intake_is_json(const char *ct)
{
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

void
intake_reply_unavailable(struct intake *in, struct np_http_req *req,
    enum intake_rc rc, const char *call_id)
{
	json_t *err;

	in->stats.unavailable++;
	err = json_pack("{s:i, s:s, s:s}", "status", 503, "code",
	    rc == INTAKE_UNKNOWN ? "outcome_unknown" : "store_unavailable",
	    "message", rc == INTAKE_UNKNOWN ?
	    "the connection to Redis dropped before it answered; retry with "
	    "the same call_id: the call will not be doubled" :
	    "Redis is unreachable; nothing was accepted; retry");
	if (call_id != NULL)
		json_object_set_new(err, "call_id", json_string(call_id));
	np_http_add_header(req, "Retry-After", "1");
	np_http_reply_json(req, 503, json_pack("{s:o}", "error", err));
}

static void
publish(struct intake *in, const char *topic, json_t *msg)
{
	size_t len;
	char *s;

	if (in->bus != NULL && (s = np_json_dump(msg, &len)) != NULL) {
		if (np_bus_publish(in->bus, topic, s, len) == -1)
			log_debug("event %s not published", topic);
		free(s);
	}
	json_decref(msg);
}

static void
announce(struct intake *in, const struct intake_call *c,
    const struct intake_outcome *o)
{
	json_t *m;

	if (o->created != NULL) {	/* the message on the stream, again */
		if (in->bus != NULL && np_bus_publish(in->bus,
		    "incident.created", o->created, o->created_len) == -1)
			log_debug("event incident.created not published");
		return;
	}
	m = np_msg_new("call.merged", "intake");
	json_object_update_new(m, json_pack("{s:s, s:s, s:s, s:i, s:i, s:I}",
	    "incident_id", o->incident_id, "call_id", c->call_id,
	    "call_type", c->type->name, "call_priority", c->priority,
	    "priority", o->priority, "calls_count", (json_int_t)o->calls));
	publish(in, "call.merged", m);
}

/*
 * The answer to an accepted call, written as jansson would (compact, in
 * this order); both ids are np_id_valid (store.c checks Redis' one), so
 * they need no escaping.
 */
static void
reply_call(struct np_http_req *req, int status, const struct intake_call *c,
    const struct intake_outcome *o, int dup)
{
	char body[512];
	int n;

	n = snprintf(body, sizeof(body), "{\"call_id\":\"%s\","
	    "\"incident_id\":\"%s\",\"merged\":%s,\"duplicate\":%s,"
	    "\"incident\":{\"id\":\"%s\",\"priority\":%d,\"colour\":\"%s\","
	    "\"calls_count\":%lld,\"t0\":%lld}}", c->call_id, o->incident_id,
	    o->merged ? "true" : "false", dup ? "true" : "false",
	    o->incident_id, o->priority, intake_colour(o->priority), o->calls,
	    o->t0);
	if (n < 0 || (size_t)n >= sizeof(body))
		np_http_error(req, 500, "internal", NULL, "answer too long");
	else
		np_http_reply(req, status, "application/json", body,
		    (size_t)n);
}

static void
call_done(struct intake *in, enum intake_rc rc, const struct intake_call *c,
    const struct intake_outcome *o, void *arg)
{
	struct np_http_req *req = arg;
	char location[128];
	int dup;

	if (rc == INTAKE_UNAVAILABLE || rc == INTAKE_UNKNOWN) {
		intake_reply_unavailable(in, req, rc, c->call_id);
		return;
	}
	if (rc == INTAKE_FAILED) {
		np_http_error(req, 500, "internal", NULL, "the store refused "
		    "the call; see the intake log");
		return;
	}
	if (strcmp(o->status, "conflict") == 0) {
		in->stats.conflicts++;
		np_http_error(req, 409, "idempotency_conflict", "call_id",
		    "call_id %s was already used for a different call "
		    "(incident %s)", c->call_id, o->incident_id);
		return;
	}
	if ((dup = strcmp(o->status, "duplicate") == 0))
		in->stats.duplicates++;
	else {
		in->stats.calls++;
		if (o->merged)
			in->stats.merged++;
		else
			in->stats.created++;
		announce(in, c, o);
	}
	snprintf(location, sizeof(location), "/v1/incidents/%s",
	    o->incident_id);
	np_http_add_header(req, "Location", location);
	reply_call(req, dup ? 200 : 201, c, o, dup);
}

static void
post_call(struct np_http_req *req, void *arg)
{
	struct intake *in = arg;
	const struct np_auth_token *who;
	struct intake_call call;
	struct np_jerr e;
	const char *body;
	size_t len;
	int status;

	if ((who = np_auth_require(&in->auth, req, NP_AUTH_CALLTAKER)) == NULL)
		return;
	if (in->svc.stopping) {
		np_http_add_header(req, "Retry-After", "1");
		np_http_error(req, 503, "shutting_down", NULL, "this intake is "
		    "shutting down; retry (another copy will answer)");
		return;
	}
	if (!intake_is_json(np_http_header(req, "Content-Type"))) {
		in->stats.rejected++;
		np_http_error(req, 415, "unsupported_media_type",
		    "Content-Type", "a call is JSON: send Content-Type: "
		    "application/json");
		return;
	}
	body = np_http_body(req, &len);
	if (intake_call_parse(&call, &in->plans, body, len,
	    np_http_header(req, "Idempotency-Key"), &e) == -1) {
		in->stats.rejected++;
		status = e.field[0] == '\0' ? 400 : 422;
		np_http_error(req, status, status == 400 ? "invalid_json" :
		    "invalid_field", e.field[0] ? e.field : NULL, "%s%s%s",
		    e.field, e.field[0] ? " " : "", e.msg);
		return;
	}
	snprintf(call.by, sizeof(call.by), "%s", who->principal);
	intake_store_aggregate(in, &call, call_done, req);
}

static void
incident_done(struct intake *in, enum intake_rc rc, json_t *inc, void *arg)
{
	struct np_http_req *req = arg;

	if (rc == INTAKE_UNAVAILABLE || rc == INTAKE_UNKNOWN)
		intake_reply_unavailable(in, req, rc, NULL);
	else if (rc == INTAKE_FAILED)
		np_http_error(req, 500, "internal", NULL, "the store could "
		    "not read the incident; see the intake log");
	else if (inc == NULL)
		np_http_error(req, 404, "not_found", "id", "no incident %s",
		    np_http_param(req, 0));
	else
		np_http_reply_json(req, 200, json_incref(inc));
}

static void
get_incident(struct np_http_req *req, void *arg)
{
	struct intake *in = arg;
	const char *id = np_http_param(req, 0);

	if (np_auth_require(&in->auth, req, NP_AUTH_CALLTAKER) == NULL)
		return;
	if (!np_id_valid(id, INTAKE_ID_MAX)) {
		np_http_error(req, 400, "invalid_id", "id", "an incident id is "
		    "1..%d characters of [A-Za-z0-9._:-]", INTAKE_ID_MAX);
		return;
	}
	intake_store_get(arg, id, incident_done, req);
}

static void
list_done(struct intake *in, enum intake_rc rc, json_t *list, void *arg)
{
	struct np_http_req *req = arg;

	if (rc == INTAKE_UNAVAILABLE || rc == INTAKE_UNKNOWN)
		intake_reply_unavailable(in, req, rc, NULL);
	else if (rc != INTAKE_OK || list == NULL)
		np_http_error(req, 500, "internal", NULL, "the store could "
		    "not list the incidents; see the intake log");
	else
		np_http_reply_json(req, 200, json_incref(list));
}

/* GET /v1/incidents[?limit=N]: the open incidents, newest first. */
static void
get_incidents(struct np_http_req *req, void *arg)
{
	struct intake *in = arg;
	const char *v = np_http_query(req, "limit");
	char *end;
	long limit = 100;

	if (np_auth_require(&in->auth, req, NP_AUTH_CALLTAKER) == NULL)
		return;
	if (v != NULL) {
		limit = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || limit < 1 || limit > 1000) {
			np_http_error(req, 400, "invalid_field", "limit",
			    "limit must be an integer from 1 to 1000");
			return;
		}
	}
	intake_store_list(arg, (int)limit, list_done, req);
}

static void
get_health(struct np_http_req *req, void *arg)
{
	struct intake *in = arg;
	int up = np_redis_connected(in->redis);

	np_http_reply_json(req, up && !in->svc.stopping ? 200 : 503,
	    json_pack("{s:s, s:s, s:s, s:s, s:I}", "status", up ? "ok" :
	    "degraded", "service", "intake", "version", NP_VERSION,
	    "redis", up ? "up" : "down", "inflight", (json_int_t)in->inflight));
}

static void
get_metrics(struct np_http_req *req, void *arg)
{
	struct intake *in = arg;
	const struct intake_stats *s = &in->stats;
	struct np_http_stats hs;
	char buf[3072];
	int n;

	if (!np_auth_metrics(&in->auth, req))
		return;
	np_http_get_stats(in->http, &hs);
	n = snprintf(buf, sizeof(buf),
	    "# HELP nearpost_intake_calls_total Calls answered, by outcome.\n"
	    "# TYPE nearpost_intake_calls_total counter\n"
	    "nearpost_intake_calls_total{outcome=\"created\"} %llu\n"
	    "nearpost_intake_calls_total{outcome=\"merged\"} %llu\n"
	    "nearpost_intake_calls_total{outcome=\"duplicate\"} %llu\n"
	    "nearpost_intake_calls_total{outcome=\"conflict\"} %llu\n"
	    "nearpost_intake_calls_total{outcome=\"rejected\"} %llu\n"
	    "nearpost_intake_calls_total{outcome=\"unavailable\"} %llu\n"
	    "# HELP nearpost_intake_inflight Calls waiting for Redis.\n"
	    "# TYPE nearpost_intake_inflight gauge\n"
	    "nearpost_intake_inflight %zu\n"
	    "# HELP nearpost_intake_redis_up 1 when Redis is connected.\n"
	    "# TYPE nearpost_intake_redis_up gauge\n"
	    "nearpost_intake_redis_up %d\n"
	    "# HELP nearpost_intake_http_refused_total Requests and "
	    "connections refused, by why.\n"
	    "# TYPE nearpost_intake_http_refused_total counter\n"
	    "nearpost_intake_http_refused_total{why=\"auth\"} %llu\n"
	    "nearpost_intake_http_refused_total{why=\"conns\"} %llu\n"
	    "nearpost_intake_http_refused_total{why=\"conns_per_source\"} "
	    "%llu\n"
	    "nearpost_intake_http_refused_total{why=\"rate\"} %llu\n",
	    (unsigned long long)s->created, (unsigned long long)s->merged,
	    (unsigned long long)s->duplicates, (unsigned long long)s->conflicts,
	    (unsigned long long)s->rejected, (unsigned long long)s->unavailable,
	    in->inflight, np_redis_connected(in->redis),
	    (unsigned long long)in->auth.denied,
	    (unsigned long long)hs.rejected,
	    (unsigned long long)hs.src_rejected,
	    (unsigned long long)hs.rate_limited);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	np_http_reply(req, 200, "text/plain; version=0.0.4", buf, (size_t)n);
}

static const struct np_http_route routes[] = {
	{ "POST", "/v1/calls", post_call },
	{ "GET", "/v1/incidents", get_incidents },
	{ "GET", "/v1/incidents/*", get_incident },
	{ "POST", "/v1/incidents/*/close", intake_post_close },
	{ "POST", "/v1/incidents/*/followup", intake_post_followup },
	{ "GET", "/healthz", get_health },
	{ "GET", "/metrics", get_metrics },
};

int
intake_http_start(struct intake *in)
{
	struct np_http_conf hc;

	np_http_conf_defaults(&hc);
	hc.addr = in->conf.http_addr;
	hc.port = in->conf.http_port;
	hc.max_body_bytes = (size_t)in->conf.http_max_body;
	hc.max_conns = in->conf.http_max_conns;
	hc.idle_timeout_ms = in->conf.http_idle_ms;
	np_http_limit_apply(&hc, &in->conf.limits);
	in->http = np_http_new(in->svc.base, &hc, routes,
	    sizeof(routes) / sizeof(routes[0]), in);
	return in->http == NULL ? -1 : 0;
}
