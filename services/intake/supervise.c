/*
 * supervise.c: what supervisors do to an incident through intake.
 *
 *   POST /v1/incidents/{id}/close     {"reason", "disposition"?, "by"?}
 *        200 + the incident.closed message; 404 no such incident; 409
 *        already closed.  The same close.lua feedback runs after the last
 *        clear (services/feedback/fb_close.h): SLA counters, follow-up,
 *        repeat check and timeline in one atomic step.
 *   POST /v1/incidents/{id}/followup  {"note", "by"?}
 *        200 + the follow-up; 404 no such incident; 409 no follow-up due.
 *
 * Closing needs a supervisor's token, a follow-up a calltaker's (np_auth);
 * who did it is the token's principal ("supervisor:bob"), written as
 * closed_by and on the timeline.  A "by" in the body is still accepted
 * from older clients but not believed: only the token says who.
 *
 * Bodies are checked strictly (unknown keys refused); 422 names the
 * field.  Both scripts are idempotent, so a 503 may be retried.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "fb_close.h"
#include "intake.h"
#include "np_bus.h"
#include "np_http.h"
#include "np_id.h"
#include "np_log.h"
#include "np_redis.h"

#define SUP_BY_MAX	128

static struct np_redis_script script_close, script_followup;

struct sup_op {
	struct intake		*in;
	struct np_http_req	*req;
	char			 id[INTAKE_ID_MAX + 1];
};

/* The id and the JSON body, checked; NULL after answering the error. */
static json_t *
sup_body(struct intake *in, struct np_http_req *req,
    const char *const *keys)
{
	const char *id = np_http_param(req, 0), *body;
	struct np_jerr e;
	json_t *doc;
	size_t len;

	if (!np_id_valid(id, INTAKE_ID_MAX)) {
		np_http_error(req, 400, "invalid_id", "id", "an incident id is "
		    "1..%d characters of [A-Za-z0-9._:-]", INTAKE_ID_MAX);
		return NULL;
	}
	if (!intake_is_json(np_http_header(req, "Content-Type"))) {
		np_http_error(req, 415, "unsupported_media_type",
		    "Content-Type", "send Content-Type: application/json");
		return NULL;
	}
	body = np_http_body(req, &len);
	if ((doc = np_json_parse(body, len, &e)) == NULL) {
		np_http_error(req, 400, "invalid_json", NULL, "%s", e.msg);
		return NULL;
	}
	if (!json_is_object(doc)) {
		np_jerr_set(&e, NULL, NULL, "the body is a JSON object");
		np_http_error(req, 400, "invalid_json", NULL, "%s", e.msg);
	} else if (np_json_only(doc, "", keys, &e) == 0)
		return doc;
	else
		np_http_error(req, 422, "invalid_field", e.field, "%s %s",
		    e.field, e.msg);
	json_decref(doc);
	return NULL;
}

static void
refuse(struct np_http_req *req, const struct np_jerr *e)
{
	np_http_error(req, 422, "invalid_field", e->field, "%s %s", e->field,
	    e->msg);
}

static struct sup_op *
sup_op(struct intake *in, struct np_http_req *req)
{
	struct sup_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		intake_reply_unavailable(in, req, INTAKE_UNAVAILABLE, NULL);
		return NULL;
	}
	op->in = in;
	op->req = req;
	snprintf(op->id, sizeof(op->id), "%s", np_http_param(req, 0));
	in->inflight++;
	return op;
}

/* NULL when the reply was answered here (unavailable or refused). */
static const redisReply *
sup_reply(struct sup_op *op, const redisReply *r, const char *what)
{
	if (r == NULL) {
		intake_reply_unavailable(op->in, op->req, INTAKE_UNKNOWN, NULL);
		return NULL;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		log_warnx("%s script for %s: %s", what, op->id,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		np_http_error(op->req, 500, "internal", NULL, "the store "
		    "refused the %s; see the intake log", what);
		return NULL;
	}
	if (strcmp(r->element[0]->str, "unknown") == 0) {
		np_http_error(op->req, 404, "not_found", "id", "no incident %s",
		    op->id);
		return NULL;
	}
	return r;
}

static void
close_reply(struct np_redis *redis, struct redisReply *r, void *arg)
{
	struct sup_op *op = arg;
	struct intake *in = op->in;
	struct np_jerr e;
	json_t *msg;

	in->inflight--;
	if ((r = (redisReply *)sup_reply(op, r, "close")) == NULL)
		;
	else if (strcmp(r->element[0]->str, "already") == 0)
		np_http_error(op->req, 409, "already_closed", "id",
		    "incident %s is already closed", op->id);
	else if (r->elements < 3 || (msg = np_json_parse(r->element[2]->str,
	    r->element[2]->len, &e)) == NULL)
		np_http_error(op->req, 500, "internal", NULL, "the store "
		    "answered the close oddly; see the intake log");
	else {
		log_info("incident %s closed by a supervisor", op->id);
		if (in->bus != NULL && np_bus_publish(in->bus,
		    "incident.closed", r->element[2]->str,
		    r->element[2]->len) == -1)
			log_debug("incident.closed not published");
		np_http_reply_json(op->req, 200, msg);
	}
	free(op);
}

void
intake_post_close(struct np_http_req *req, void *arg)
{
	static const char *const keys[] = { "reason", "disposition", "by",
	    NULL };
	struct intake *in = arg;
	const char *reason = NULL, *disp = NULL, *by = NULL, *empty;
	const struct np_auth_token *who;
	struct fb_close_args a;
	struct fb_close_req cr;
	struct np_jerr e;
	struct sup_op *op;
	json_t *doc;

	if ((who = np_auth_require(&in->auth, req, NP_AUTH_SUPERVISOR)) ==
	    NULL || (doc = sup_body(in, req, keys)) == NULL)
		return;
	if (np_json_str(doc, "", "reason", 1, FB_TEXT_MAX, &reason, &e) ||
	    np_json_str(doc, "", "disposition", 0, FB_TEXT_MAX, &disp, &e) ||
	    np_json_str(doc, "", "by", 0, SUP_BY_MAX, &by, &e))
		refuse(req, &e);
	else if ((empty = *reason == '\0' ? "reason" : by != NULL &&
	    *by == '\0' ? "by" : disp != NULL && *disp == '\0' ?
	    "disposition" : NULL) != NULL)	/* absent disp: the clear's */
		np_http_error(req, 422, "invalid_field", empty,
		    "%s must not be empty", empty);
	else if ((op = sup_op(in, req)) != NULL) {
		if (script_close.body == NULL)
			script_close = fb_close_script();
		cr = (struct fb_close_req){ op->id, FB_CLOSE_SUPERVISOR,
		    disp != NULL ? disp : "", reason, "intake", who->principal,
		    "" };
		fb_close_args(&a, in->close, in->svc.keys, np_now_ms(), &cr);
		if (np_redis_eval(in->redis, &script_close, close_reply, op, 0,
		    FB_CLOSE_ARGC, a.argv, a.lens) == -1) {
			in->inflight--;
			intake_reply_unavailable(in, req, INTAKE_UNAVAILABLE,
			    NULL);
			free(op);
		}
	}
	json_decref(doc);
}

static void
followup_reply(struct np_redis *redis, struct redisReply *r, void *arg)
{
	struct sup_op *op = arg;

	op->in->inflight--;
	if ((r = (redisReply *)sup_reply(op, r, "follow-up")) == NULL)
		;
	else if (strcmp(r->element[0]->str, "none") == 0)
		np_http_error(op->req, 409, "no_followup_due", "id",
		    "incident %s has no follow-up due%s%s", op->id,
		    r->element[1]->str[0] ? ": it is " : "",
		    r->element[1]->str);
	else
		np_http_reply_json(op->req, 200, json_pack("{s:s, s:{s:s}}",
		    "incident_id", op->id, "followup", "state", "done"));
	free(op);
}

void
intake_post_followup(struct np_http_req *req, void *arg)
{
	static const char *const keys[] = { "note", "by", NULL };
	struct intake *in = arg;
	const char *note = NULL, *by = NULL, *argv[6];
	const struct np_auth_token *who;
	char now[24];
	size_t lens[6];
	struct np_jerr e;
	struct sup_op *op;
	json_t *doc;
	int i;

	if ((who = np_auth_require(&in->auth, req, NP_AUTH_CALLTAKER)) ==
	    NULL || (doc = sup_body(in, req, keys)) == NULL)
		return;
	if (np_json_str(doc, "", "note", 1, FB_NOTE_MAX, &note, &e) ||
	    np_json_str(doc, "", "by", 0, SUP_BY_MAX, &by, &e))
		refuse(req, &e);
	else if (by != NULL && *by == '\0')
		np_http_error(req, 422, "invalid_field", "by",
		    "by must not be empty");
	else if ((op = sup_op(in, req)) != NULL) {
		if (script_followup.body == NULL)
			script_followup = fb_followup_script();
		snprintf(now, sizeof(now), "%lld", (long long)np_now_ms());
		argv[0] = in->svc.keys; argv[1] = now; argv[2] = op->id;
		argv[3] = note; argv[4] = who->principal; argv[5] = "intake";
		for (i = 0; i < 6; i++)
			lens[i] = strlen(argv[i]);
		if (np_redis_eval(in->redis, &script_followup, followup_reply,
		    op, 0, 6, argv, lens) == -1) {
			in->inflight--;
			intake_reply_unavailable(in, req, INTAKE_UNAVAILABLE,
			    NULL);
			free(op);
		}
	}
	json_decref(doc);
}
