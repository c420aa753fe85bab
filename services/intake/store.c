/*
 * store.c: intake's Redis side.  Each call is one EVALSHA of
 * aggregate.lua (atomic: replay, merge or create + stream hand-off);
 * reading an incident is one EVALSHA of incident_get.lua.  Here we only
 * marshal arguments and replies; the decisions live in the script and in
 * call.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "intake.h"
#include "np_id.h"
#include "np_log.h"
#include "np_redis.h"

#define INCIDENT_ID_TRIES	5

extern const char intake_aggregate_lua[];

static struct np_redis_script script_aggregate = { "aggregate",
    intake_aggregate_lua, "" };

/* ARGV of aggregate.lua (see there); each made once per call. */
enum {
	A_PREFIX, A_ID, A_CALL_ID, A_FP, A_CALL, A_TYPE, A_COMPAT, A_PRIO,
	A_LAT, A_LON, A_NOW, A_RADIUS, A_WINDOW, A_CAND, A_CREATED, A_TL,
	A_ADDRESS, A_SOURCE, A_DISTRICT, A_N
};
#define AGG_KEYS	4

struct aggregate_op {
	struct intake		*in;
	struct intake_call	 call;
	intake_aggregate_cb	*cb;
	void			*arg;
	int64_t			 now;
	int			 tries;
	char			 incident_id[INTAKE_ID_MAX + 1];
	char			*call_json, *created, *tl;
	const char		*argv[AGG_KEYS + A_N];
	size_t			 lens[AGG_KEYS + A_N];
	char			 call_key[256], fp[17], prio[8], lat[32],
				 lon[32], tnow[24];
	/* room for every type: np_plans_compatible cannot fail */
	char			 compat[NP_TYPES_MAX * (NP_TYPE_MAX + 1)];
};

void
intake_store_init(struct intake *in)
{
	np_svc_key(&in->svc, in->k_geo, sizeof(in->k_geo), "open:geo");
	np_svc_key(&in->svc, in->k_open, sizeof(in->k_open), "open:t0");
	np_svc_key(&in->svc, in->k_stream, sizeof(in->k_stream),
	    "s:incidents");
	snprintf(in->a_radius, sizeof(in->a_radius), "%.3f",
	    in->conf.merge_radius_m);
	snprintf(in->a_window, sizeof(in->a_window), "%lld",
	    (long long)in->conf.merge_window_s * 1000);
	snprintf(in->a_cand, sizeof(in->a_cand), "%d",
	    in->conf.merge_candidates);
}

json_t *
intake_msg_created(const struct intake *in, const struct intake_call *c,
    const char *incident_id, int64_t t0)
{
	json_t *m = np_msg_new("incident.created", "intake");
	json_t *loc = json_pack("{s:f, s:f}", "lat", c->lat, "lon", c->lon);
	json_t *inc;

	if (c->address != NULL)
		json_object_set_new(loc, "address", json_string(c->address));
	inc = json_pack("{s:s, s:s, s:i, s:s, s:o, s:I, s:s, s:s, s:s}",
	    "id", incident_id, "type", c->type->name, "priority", c->priority,
	    "colour", intake_colour(c->priority), "location", loc,
	    "t0", (json_int_t)t0, "district", in->svc.conf.district,
	    "source", intake_source_name(c->source), "call_id", c->call_id);
	if (c->description != NULL)
		json_object_set_new(inc, "description",
		    json_string(c->description));
	json_object_set_new(m, "incident", inc);
	return m;
}

/* A timeline entry of the call after its "event": aggregate.lua puts
 * '{"ts":<now>,"event":"created",' (or "call_merged") before it. */
static char *
timeline_tail(const struct intake_call *c)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i}",
	    "by", c->by[0] ? c->by : "intake", "call_id", c->call_id,
	    "source", intake_source_name(c->source), "type", c->type->name,
	    "priority", c->priority);
	char *s = np_json_dump(j, NULL);

	json_decref(j);
	if (s != NULL)
		memmove(s, s + 1, strlen(s));	/* without its '{' */
	return s;
}

static void aggregate_send(struct aggregate_op *);

static void
aggregate_done(struct aggregate_op *op, enum intake_rc rc,
    const struct intake_outcome *out)
{
	op->in->inflight--;
	op->cb(op->in, rc, &op->call, out, op->arg);
	intake_call_free(&op->call);
	free(op->call_json);
	free(op->created);
	free(op->tl);
	free(op);
}

static int
reply_outcome(const redisReply *r, struct intake_outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 6 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING)
		return -1;
	for (size_t i = 2; i < 6; i++)
		if (r->element[i]->type != REDIS_REPLY_INTEGER)
			return -1;
	/* ids are ours (np_id_new, np_id_valid): the answer relies on it */
	if (!np_id_valid(r->element[1]->str, INTAKE_ID_MAX))
		return -1;
	snprintf(out->status, sizeof(out->status), "%s", r->element[0]->str);
	snprintf(out->incident_id, sizeof(out->incident_id), "%s",
	    r->element[1]->str);
	out->merged = (int)r->element[2]->integer;
	out->calls = r->element[3]->integer;
	out->priority = (int)r->element[4]->integer;
	out->t0 = r->element[5]->integer;
	return 0;
}

static void
aggregate_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct aggregate_op *op = arg;
	struct intake_outcome out;

	if (reply == NULL) {
		aggregate_done(op, INTAKE_UNKNOWN, NULL);
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR || reply_outcome(reply, &out)) {
		log_warnx("aggregate script for call %s: %s", op->call.call_id,
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		aggregate_done(op, INTAKE_FAILED, NULL);
		return;
	}
	if (strcmp(out.status, "collision") == 0 &&
	    ++op->tries < INCIDENT_ID_TRIES) {
		log_info("incident id %s taken, drawing another", out.incident_id);
		aggregate_send(op);
		return;
	}
	if (strcmp(out.status, "created") == 0) {
		out.created = op->created;
		out.created_len = op->lens[AGG_KEYS + A_CREATED];
	}
	aggregate_done(op, INTAKE_OK, &out);
}

/* A new incident id and its incident.created message, then the script. */
static void
aggregate_send(struct aggregate_op *op)
{
	json_t *j;

	np_id_new(op->incident_id, sizeof(op->incident_id), "I", 6);
	j = intake_msg_created(op->in, &op->call, op->incident_id, op->now);
	free(op->created);
	op->created = np_json_dump(j, &op->lens[AGG_KEYS + A_CREATED]);
	json_decref(j);
	op->argv[AGG_KEYS + A_CREATED] = op->created;
	op->lens[AGG_KEYS + A_ID] = strlen(op->incident_id);
	if (op->created == NULL || np_redis_eval(op->in->redis,
	    &script_aggregate, aggregate_reply, op, AGG_KEYS, AGG_KEYS + A_N,
	    op->argv, op->lens) == -1)
		aggregate_done(op, INTAKE_UNAVAILABLE, NULL);
}

/* What does not change when an incident id is drawn again; -1 ENOMEM. */
static int
aggregate_args(struct aggregate_op *op)
{
	struct intake *in = op->in;
	struct intake_call *c = &op->call;
	const char **v = op->argv + AGG_KEYS;
	char *content;
	size_t clen;

	np_svc_key(&in->svc, op->call_key, sizeof(op->call_key), "call:%s",
	    c->call_id);
	if ((content = intake_call_content(c, &clen)) == NULL)
		return -1;
	intake_content_fingerprint(content, op->fp);
	op->call_json = intake_call_json_str(c, content, clen, op->now);
	free(content);
	if (op->call_json == NULL || (op->tl = timeline_tail(c)) == NULL)
		return -1;
	np_plans_compatible(&in->plans, c->type, op->compat,
	    sizeof(op->compat));
	snprintf(op->prio, sizeof(op->prio), "%d", c->priority);
	snprintf(op->lat, sizeof(op->lat), "%.7f", c->lat);
	snprintf(op->lon, sizeof(op->lon), "%.7f", c->lon);
	snprintf(op->tnow, sizeof(op->tnow), "%lld", (long long)op->now);
	op->argv[0] = op->call_key; op->argv[1] = in->k_geo;
	op->argv[2] = in->k_open; op->argv[3] = in->k_stream;
	v[A_PREFIX] = in->svc.keys; v[A_ID] = op->incident_id;
	v[A_CALL_ID] = c->call_id; v[A_FP] = op->fp; v[A_CALL] = op->call_json;
	v[A_TYPE] = c->type->name; v[A_COMPAT] = op->compat;
	v[A_PRIO] = op->prio; v[A_LAT] = op->lat; v[A_LON] = op->lon;
	v[A_NOW] = op->tnow; v[A_RADIUS] = in->a_radius;
	v[A_WINDOW] = in->a_window; v[A_CAND] = in->a_cand; v[A_CREATED] = ""; v[A_TL] = op->tl;
	v[A_ADDRESS] = c->address != NULL ? c->address : "";
	v[A_SOURCE] = intake_source_name(c->source);
	v[A_DISTRICT] = in->svc.conf.district;
	for (int i = 0; i < AGG_KEYS + A_N; i++)
		op->lens[i] = strlen(op->argv[i]);
	return 0;
}

void
intake_store_aggregate(struct intake *in, struct intake_call *call,
    intake_aggregate_cb *cb, void *arg)
{
	struct aggregate_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		cb(in, INTAKE_UNAVAILABLE, call, NULL, arg);
		intake_call_free(call);
		return;
	}
	op->in = in;
	op->call = *call;		/* the op owns the call from here */
	memset(call, 0, sizeof(*call));
	op->cb = cb;
	op->arg = arg;
	op->now = np_now_ms();
	in->inflight++;
	if (aggregate_args(op) == -1)
		aggregate_done(op, INTAKE_UNAVAILABLE, NULL);
	else
		aggregate_send(op);
}
