/*
 * eval.c: running the tracker's scripts.  Each body is lib.lua followed
 * by the script's own file, built once at start.  Every script is
 * idempotent, so np_call re-sends a call (now re-read) while Redis is
 * unreachable or the connection drops before the answer; an error reply
 * is a bug or bad data no retry fixes: logged, given up.  The frames of
 * a reply go on the events bus before the caller sees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_bus.h"
#include "np_call.h"
#include "np_log.h"
#include "np_time.h"
#include "tracker.h"

#define TRK_BACKOFF_MAX_MS	2000

extern const char trk_lib_lua[], trk_arm_lua[], trk_met_lua[],
    trk_fire_lua[];

struct trk_call {
	struct tracker		*t;
	const char		*name;
	trk_done_cb		*done;
	void			*arg;
};

/* KEYS marks:due, s:escalations; ARGV prefix, now, district. */
static void
head(void *owner, const char **argv, char buf[][NP_CALL_BUF])
{
	struct tracker *t = owner;

	snprintf(buf[0], NP_CALL_BUF, "%lld", (long long)np_now_ms());
	argv[0] = t->k_due;
	argv[1] = t->k_esc;
	argv[2] = t->svc.keys;
	argv[3] = buf[0];
	argv[4] = t->svc.conf.district;
}

static struct np_redis_script
script(const char *name, const char *body)
{
	size_t la = strlen(trk_lib_lua), lb = strlen(body);
	char *s;

	if ((s = malloc(la + lb + 2)) == NULL)
		fatalx("out of memory");
	memcpy(s, trk_lib_lua, la);
	s[la] = '\n';
	memcpy(s + la + 1, body, lb + 1);
	return (struct np_redis_script){ name, s, "" };
}

void
trk_scripts_init(struct tracker *t)
{
	t->s_arm = script("arm", trk_arm_lua);
	t->s_met = script("met", trk_met_lua);
	t->s_fire = script("fire", trk_fire_lua);
	if (np_svc_key(&t->svc, t->k_due, sizeof(t->k_due), "marks:due") ==
	    -1 || np_svc_key(&t->svc, t->k_esc, sizeof(t->k_esc),
	    "s:escalations") == -1 || np_svc_key(&t->svc, t->k_routes,
	    sizeof(t->k_routes), "s:routes") == -1 || np_svc_key(&t->svc,
	    t->k_status, sizeof(t->k_status), "s:status") == -1)
		fatalx("key prefix too long");
	t->caller = (struct np_caller){ .base = t->svc.base,
	    .first_ms = t->conf.retry_ms, .max_ms = TRK_BACKOFF_MAX_MS,
	    .stopping = &t->svc.stopping, .nkeys = 2, .nhead = 5,
	    .head = head, .owner = t };
}

void
trk_scripts_free(struct tracker *t)
{
	free((char *)t->s_arm.body);
	free((char *)t->s_met.body);
	free((char *)t->s_fire.body);
}

static int
well_formed(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 4 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[2]->type == REDIS_REPLY_INTEGER &&
	    r->element[3]->type == REDIS_REPLY_ARRAY;
}

const char *
trk_result(const redisReply *r)
{
	return well_formed(r) ? r->element[0]->str : "";
}

const char *
trk_detail(const redisReply *r)
{
	return well_formed(r) ? r->element[1]->str : "";
}

long long
trk_earliest(const redisReply *r)
{
	return well_formed(r) ? r->element[2]->integer : 0;
}

/* A "topic json" frame on the events bus (best effort). */
static void
publish(struct tracker *t, const char *frame, size_t len)
{
	const char *sp = memchr(frame, ' ', len);
	char topic[NP_BUS_TOPIC_MAX + 1];
	size_t tlen;

	if (t->bus_events == NULL || sp == NULL || (tlen = sp - frame) == 0 ||
	    tlen > NP_BUS_TOPIC_MAX)
		return;
	memcpy(topic, frame, tlen);
	topic[tlen] = '\0';
	if (np_bus_publish(t->bus_events, topic, sp + 1, len - tlen - 1) == -1)
		log_debug("event %s not published", topic);
}

const redisReply *
trk_reply(struct tracker *t, const char *name, const redisReply *reply)
{
	size_t i;

	if (reply != NULL && !well_formed(reply)) {
		log_warnx("script %s: %s", name,
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		t->stats.failed++;
		reply = NULL;
	}
	for (i = 4; reply != NULL && i < reply->elements; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING)
			publish(t, reply->element[i]->str,
			    reply->element[i]->len);
	return reply;
}

/* The reply, judged and its frames published, goes to the caller. */
static void
call_done(const redisReply *reply, void *arg)
{
	struct trk_call *call = arg;

	call->done(call->t, trk_reply(call->t, call->name, reply), call->arg);
	free(call);
}

int
trk_eval(struct tracker *t, struct np_redis_script *s, int argc,
    const char **argv, trk_done_cb *done, void *arg)
{
	struct trk_call *call;

	if ((call = malloc(sizeof(*call))) == NULL)
		return -1;
	*call = (struct trk_call){ t, s->name, done, arg };
	if (np_call(&t->caller, s, argc, argv, call_done, call) == -1) {
		free(call);
		return -1;
	}
	return 0;
}
