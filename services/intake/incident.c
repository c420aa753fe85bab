/*
 * incident.c: GET /v1/incidents/{id} -- one EVALSHA of incident_get.lua,
 * turned into the JSON document call-takers and npctl read: the incident
 * hash (numbers as numbers, the place as "location"), its calls and its
 * timeline.  Fields other stages add to the hash later show up as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "intake.h"
#include "np_log.h"
#include "np_redis.h"

extern const char intake_incident_get_lua[];
extern const char intake_incident_list_lua[];

static struct np_redis_script script_get = { "incident_get",
    intake_incident_get_lua, "" };
static struct np_redis_script script_list = { "incident_list",
    intake_incident_list_lua, "" };

/* Hash fields that hold numbers. */
static const char *const numeric[] = { "priority", "t0", "last_call",
    "post_dist_m", "closed_at", NULL };

struct get_op {
	struct intake	*in;
	intake_get_cb	*cb;
	void		*arg;
};

static int
is_numeric(const char *k)
{
	for (const char *const *n = numeric; *n != NULL; n++)
		if (strcmp(*n, k) == 0)
			return 1;
	return 0;
}

static json_t *
incident_hash(const redisReply *h)
{
	json_t *inc = json_object(), *loc = json_object();
	char *end;

	for (size_t i = 0; i + 1 < h->elements; i += 2) {
		const char *k = h->element[i]->str, *v = h->element[i + 1]->str;
		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "lat") == 0 || strcmp(k, "lon") == 0)
			json_object_set_new(loc, k, json_real(strtod(v, NULL)));
		else if (strcmp(k, "address") == 0) {
			if (*v != '\0')
				json_object_set_new(loc, k, json_string(v));
		} else if (strcmp(k, "calls") == 0) {
			json_object_set_new(inc, "calls_count",
			    json_integer(strtoll(v, NULL, 10)));
		} else if (is_numeric(k)) {
			double d = strtod(v, &end);
			json_object_set_new(inc, k, *end == '\0' && d ==
			    (json_int_t)d ? json_integer((json_int_t)d) :
			    json_real(d));
		} else
			json_object_set_new(inc, k, json_string(v));
	}
	json_object_set_new(inc, "colour", json_string(intake_colour((int)
	    json_integer_value(json_object_get(inc, "priority")))));
	json_object_set_new(inc, "location", loc);
	return inc;
}

/* Our own stored JSON, parsed back; a damaged entry is shown, not lost. */
static json_t *
json_list(const redisReply *r)
{
	json_t *a = json_array(), *v;
	struct np_jerr e;

	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *s = r->element[i];
		if (s->type != REDIS_REPLY_STRING)
			continue;
		if ((v = np_json_parse(s->str, s->len, &e)) == NULL) {
			log_warnx("stored entry unreadable (%s): %.80s", e.msg,
			    s->str);
			v = json_pack("{s:s}", "unreadable", s->str);
		}
		json_array_append_new(a, v);
	}
	return a;
}

static void
get_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct get_op *op = arg;
	json_t *inc;

	if (reply == NULL)
		op->cb(op->in, INTAKE_UNKNOWN, NULL, op->arg);
	else if (reply->type == REDIS_REPLY_NIL)
		op->cb(op->in, INTAKE_OK, NULL, op->arg);
	else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 5 ||
	    reply->element[0]->type != REDIS_REPLY_ARRAY ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY ||
	    reply->element[2]->type != REDIS_REPLY_ARRAY) {
		log_warnx("incident_get: %s", reply->type == REDIS_REPLY_ERROR ?
		    reply->str : "unexpected reply");
		op->cb(op->in, INTAKE_FAILED, NULL, op->arg);
	} else {
		inc = incident_hash(reply->element[0]);
		json_object_set_new(inc, "calls",
		    json_list(reply->element[1]));
		json_object_set_new(inc, "timeline",
		    json_list(reply->element[2]));
		json_object_set_new(inc, "truncated", json_boolean(
		    reply->element[3]->integer > (long long)json_array_size(
		    json_object_get(inc, "calls")) ||
		    reply->element[4]->integer > (long long)json_array_size(
		    json_object_get(inc, "timeline"))));
		op->cb(op->in, INTAKE_OK, inc, op->arg);
		json_decref(inc);
	}
	free(op);
}

void
intake_store_get(struct intake *in, const char *id, intake_get_cb *cb,
    void *arg)
{
	struct get_op *op;
	char key[256];
	const char *argv[4];
	size_t lens[4];

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		cb(in, INTAKE_UNAVAILABLE, NULL, arg);
		return;
	}
	*op = (struct get_op){ in, cb, arg };
	np_svc_key(&in->svc, key, sizeof(key), "inc:%s", id);
	argv[0] = key;
	argv[1] = in->svc.keys;
	argv[2] = "1000";
	argv[3] = "10000";
	for (int i = 0; i < 4; i++)
		lens[i] = strlen(argv[i]);
	if (np_redis_eval(in->redis, &script_get, get_reply, op, 1, 4, argv,
	    lens) == -1) {
		free(op);
		cb(in, INTAKE_UNAVAILABLE, NULL, arg);
	}
}

static void
list_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct get_op *op = arg;
	const redisReply *hs;
	json_t *list;

	if (reply == NULL)
		op->cb(op->in, INTAKE_UNKNOWN, NULL, op->arg);
	else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_ARRAY) {
		log_warnx("incident_list: %s", reply->type ==
		    REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		op->cb(op->in, INTAKE_FAILED, NULL, op->arg);
	} else {
		hs = reply->element[0];
		list = json_array();
		for (size_t i = 0; i < hs->elements; i++)
			if (hs->element[i]->type == REDIS_REPLY_ARRAY)
				json_array_append_new(list,
				    incident_hash(hs->element[i]));
		list = json_pack("{s:o, s:I}", "incidents", list, "count",
		    (json_int_t)json_array_size(list));
		op->cb(op->in, INTAKE_OK, list, op->arg);
		json_decref(list);
	}
	free(op);
}

void
intake_store_list(struct intake *in, int limit, intake_get_cb *cb,
    void *arg)
{
	struct get_op *op;
	char key[256], n[16];
	const char *argv[3];
	size_t lens[3];

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		cb(in, INTAKE_UNAVAILABLE, NULL, arg);
		return;
	}
	*op = (struct get_op){ in, cb, arg };
	np_svc_key(&in->svc, key, sizeof(key), "open:t0");
	snprintf(n, sizeof(n), "%d", limit);
	argv[0] = key;
	argv[1] = in->svc.keys;
	argv[2] = n;
	for (int i = 0; i < 3; i++)
		lens[i] = strlen(argv[i]);
	if (np_redis_eval(in->redis, &script_list, list_reply, op, 1, 3, argv,
	    lens) == -1) {
		free(op);
		cb(in, INTAKE_UNAVAILABLE, NULL, arg);
	}
}
