/*
 * eval.c: running the commander's scripts.
 *
 * Each script body is lib.lua followed by its own file (seed.lua stands
 * alone), built once at start; dispatch, status and cancel take a stream
 * read's entries at once (batch.c).  np_call copies a call's arguments and
 * re-sends it, with a doubling back-off, while Redis is unreachable, the
 * connection drops before the answer (the outcome is unknown, but every
 * script is idempotent, so running it again is safe) or Redis answers
 * with a passing condition (LOADING, BUSY, ...).  Any other error reply
 * is a bug or bad data that no retry will fix: it is logged and the call
 * given up.  The frames of a reply are published before the caller sees
 * it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_bus.h"
#include "np_call.h"
#include "np_log.h"
#include "np_time.h"

#define BACKOFF_MAX_MS	2000

extern const char cmd_lib_lua[], cmd_dispatch_lua[], cmd_status_lua[],
    cmd_noanswer_lua[], cmd_seed_lua[], cmd_redispatch_lua[], cmd_cancel_lua[];

struct cmd_op {
	struct commander	*c;
	const char		*name;
	cmd_done_cb		*done;
	void			*arg;
	char			 what[CMD_ID_MAX + 1];	/* first argument */
};

/* KEYS ackdue, orders; ARGV prefix, now, ack timeout (see lib.lua). */
static void
head(void *owner, const char **argv, char buf[][NP_CALL_BUF])
{
	struct commander *c = owner;

	snprintf(buf[0], NP_CALL_BUF, "%lld", (long long)np_now_ms());
	snprintf(buf[1], NP_CALL_BUF, "%d", c->conf.ack_timeout_ms);
	argv[0] = c->k_ackdue;
	argv[1] = c->k_orders;
	argv[2] = c->svc.keys;
	argv[3] = buf[0];
	argv[4] = buf[1];
}

static char *
concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s;

	if ((s = malloc(la + lb + 2)) == NULL)
		fatalx("out of memory");
	memcpy(s, a, la);
	s[la] = '\n';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

void
cmd_scripts_init(struct commander *c)
{
	c->s_dispatch = (struct np_redis_script){ "dispatch",
	    concat(cmd_lib_lua, cmd_dispatch_lua), "" };
	c->s_status = (struct np_redis_script){ "status",
	    concat(cmd_lib_lua, cmd_status_lua), "" };
	c->s_noanswer = (struct np_redis_script){ "noanswer",
	    concat(cmd_lib_lua, cmd_noanswer_lua), "" };
	c->s_seed = (struct np_redis_script){ "seed", cmd_seed_lua, "" };
	c->s_redispatch = (struct np_redis_script){ "redispatch",
	    concat(cmd_lib_lua, cmd_redispatch_lua), "" };
	c->s_cancel = (struct np_redis_script){ "cancel",
	    concat(cmd_lib_lua, cmd_cancel_lua), "" };
	if (np_svc_key(&c->svc, c->k_ackdue, sizeof(c->k_ackdue),
	    "orders:ackdue") == -1 ||
	    np_svc_key(&c->svc, c->k_orders, sizeof(c->k_orders),
	    "s:orders") == -1 ||
	    np_svc_key(&c->svc, c->k_routes, sizeof(c->k_routes),
	    "s:routes") == -1 ||
	    np_svc_key(&c->svc, c->k_status, sizeof(c->k_status),
	    "s:status") == -1 ||
	    np_svc_key(&c->svc, c->k_escalations, sizeof(c->k_escalations),
	    "s:escalations") == -1 ||
	    np_svc_key(&c->svc, c->k_closed, sizeof(c->k_closed),
	    "s:closed") == -1)
		fatalx("key prefix too long");
	c->caller = (struct np_caller){ .base = c->svc.base,
	    .first_ms = c->conf.retry_ms, .max_ms = BACKOFF_MAX_MS,
	    .stopping = &c->svc.stopping, .nkeys = 2, .nhead = 5,
	    .head = head, .owner = c };
}

void
cmd_scripts_free(struct commander *c)
{
	free((char *)c->s_dispatch.body);
	free((char *)c->s_status.body);
	free((char *)c->s_noanswer.body);
	free((char *)c->s_redispatch.body);
	free((char *)c->s_cancel.body);
}

const char *
cmd_result(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 3 ?
	    r->element[0]->str : "";
}

const char *
cmd_detail(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 3 ?
	    r->element[1]->str : "";
}

long long
cmd_due(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 3 ?
	    r->element[2]->integer : 0;
}

/* "topic json" frames from a script: events bus, unit.status also units. */
static void
publish(struct commander *c, const char *frame, size_t len)
{
	const char *sp = memchr(frame, ' ', len);
	char topic[NP_BUS_TOPIC_MAX + 1];
	size_t tlen;

	if (sp == NULL || (tlen = sp - frame) == 0 || tlen > NP_BUS_TOPIC_MAX)
		return;
	memcpy(topic, frame, tlen);
	topic[tlen] = '\0';
	if (strcmp(topic, "order.issued") == 0)
		c->stats.dispatched++;
	if (c->bus_events != NULL && np_bus_publish(c->bus_events, topic,
	    sp + 1, len - tlen - 1) == -1)
		log_debug("event %s not published", topic);
	if (c->bus_units != NULL && strcmp(topic, "unit.status") == 0 &&
	    np_bus_publish(c->bus_units, topic, sp + 1, len - tlen - 1) == -1)
		log_debug("unit hint not published");
}

const redisReply *
cmd_reply(struct commander *c, const char *name, const char *what,
    const redisReply *reply)
{
	size_t i;

	if (reply != NULL && (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING ||
	    reply->element[2]->type != REDIS_REPLY_INTEGER)) {
		log_warnx("script %s (%s): %s", name, what,
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		c->stats.failed++;
		reply = NULL;
	}
	/* frames are strings (a batch's results, an array, are not) */
	for (i = 3; reply != NULL && i < reply->elements; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING)
			publish(c, reply->element[i]->str,
			    reply->element[i]->len);
	return reply;
}

/* The reply, judged and its frames published, goes to the caller. */
static void
op_done(const redisReply *reply, void *arg)
{
	struct cmd_op *op = arg;

	op->done(op->c, cmd_reply(op->c, op->name, op->what, reply), op->arg);
	free(op);
}

int
cmd_eval(struct commander *c, struct np_redis_script *script, int argc,
    const char **argv, cmd_done_cb *done, void *arg)
{
	struct cmd_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return -1;
	op->c = c;
	op->name = script->name;
	op->done = done;
	op->arg = arg;
	if (argc > 0)
		snprintf(op->what, sizeof(op->what), "%s", argv[0]);
	if (np_call(&c->caller, script, argc, argv, op_done, op) == -1) {
		free(op);
		return -1;
	}
	return 0;
}
