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

struct aggregate_op {
	struct intake		*in;
	struct intake_call	 call;
	intake_aggregate_cb	*cb;
	void			*arg;
	int64_t			 now;
	int			 tries;
	char			 incident_id[INTAKE_ID_MAX + 1];
};

void
intake_store_init(struct intake *in)
{
	np_svc_key(&in->svc, in->k_geo, sizeof(in->k_geo), "open:geo");
	np_svc_key(&in->svc, in->k_open, sizeof(in->k_open), "open:t0");
	np_svc_key(&in->svc, in->k_stream, sizeof(in->k_stream),
	    "s:incidents");
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

static char *
timeline_entry(const struct intake_call *c, const char *event, int64_t now)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i}",
	    "ts", (json_int_t)now, "event", event, "by", c->by[0] ? c->by : "intake",
	    "call_id", c->call_id, "source", intake_source_name(c->source),
	    "type", c->type->name, "priority", c->priority);
	char *s = np_json_dump(j, NULL);

	json_decref(j);
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
	aggregate_done(op, INTAKE_OK, &out);
}

static void
aggregate_send(struct aggregate_op *op)
{
	struct intake *in = op->in;
	struct intake_call *c = &op->call;
	char call_key[256], fp[17], prio[8], lat[32], lon[32];
	/* room for every type: np_plans_compatible cannot fail */
	char compat[NP_TYPES_MAX * (NP_TYPE_MAX + 1)];
	char now[24], radius[32], window[24], cand[16];
	char *call_json = NULL, *created = NULL, *tl_new = NULL, *tl_merge = NULL;
	json_t *j;
	const char *argv[24];
	size_t lens[24];
	int rc;

	np_id_new(op->incident_id, sizeof(op->incident_id), "I", 6);
	np_svc_key(&in->svc, call_key, sizeof(call_key), "call:%s", c->call_id);
	intake_call_fingerprint(c, fp);
	np_plans_compatible(&in->plans, c->type, compat, sizeof(compat));
	snprintf(prio, sizeof(prio), "%d", c->priority);
	snprintf(lat, sizeof(lat), "%.7f", c->lat);
	snprintf(lon, sizeof(lon), "%.7f", c->lon);
	snprintf(now, sizeof(now), "%lld", (long long)op->now);
	snprintf(radius, sizeof(radius), "%.3f", in->conf.merge_radius_m);
	snprintf(window, sizeof(window), "%lld",
	    (long long)in->conf.merge_window_s * 1000);
	snprintf(cand, sizeof(cand), "%d", in->conf.merge_candidates);

	j = intake_call_json(c, op->now);
	call_json = np_json_dump(j, NULL);
	json_decref(j);
	j = intake_msg_created(in, c, op->incident_id, op->now);
	created = np_json_dump(j, NULL);
	json_decref(j);
	tl_new = timeline_entry(c, "created", op->now);
	tl_merge = timeline_entry(c, "call_merged", op->now);

	argv[0] = call_key; argv[1] = in->k_geo; argv[2] = in->k_open;
	argv[3] = in->k_stream;
	argv[4] = in->svc.keys; argv[5] = op->incident_id;
	argv[6] = c->call_id; argv[7] = fp; argv[8] = call_json;
	argv[9] = c->type->name; argv[10] = compat; argv[11] = prio;
	argv[12] = lat; argv[13] = lon; argv[14] = now; argv[15] = radius;
	argv[16] = window; argv[17] = cand; argv[18] = created;
	argv[19] = tl_new; argv[20] = tl_merge;
	argv[21] = c->address != NULL ? c->address : "";
	argv[22] = intake_source_name(c->source);
	argv[23] = in->svc.conf.district;
	rc = -1;
	if (call_json && created && tl_new && tl_merge) {
		for (int i = 0; i < 24; i++)
			lens[i] = strlen(argv[i]);
		rc = np_redis_eval(in->redis, &script_aggregate,
		    aggregate_reply, op, 4, 24, argv, lens);
	}
	free(call_json);
	free(created);
	free(tl_new);
	free(tl_merge);
	if (rc == -1)
		aggregate_done(op, INTAKE_UNAVAILABLE, NULL);
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
	aggregate_send(op);
}
