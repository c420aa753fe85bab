/*
 * eval.c: running the commander's scripts.
 *
 * Each script body is lib.lua followed by its own file (seed.lua stands
 * alone), built once at start.  A call copies its arguments and is
 * re-sent, with a doubling back-off, while Redis is unreachable, the
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

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_bus.h"
#include "np_log.h"
#include "np_retry.h"
#include "np_time.h"

#define BACKOFF_MAX_MS	2000
#define COMMON_ARGS	5	/* 2 keys, prefix, now, ack timeout */
#define OP_ARGS_MAX	(COMMON_ARGS + 6 * 128)

extern const char cmd_lib_lua[], cmd_dispatch_lua[], cmd_status_lua[],
    cmd_noanswer_lua[], cmd_seed_lua[];

struct cmd_op {
	struct commander	*c;
	struct np_redis_script	*script;
	cmd_done_cb		*done;
	void			*arg;
	struct np_retry		 retry;
	int			 argc;
	char			*argv[];
};

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
	if (np_svc_key(&c->svc, c->k_ackdue, sizeof(c->k_ackdue),
	    "orders:ackdue") == -1 ||
	    np_svc_key(&c->svc, c->k_orders, sizeof(c->k_orders),
	    "s:orders") == -1 ||
	    np_svc_key(&c->svc, c->k_routes, sizeof(c->k_routes),
	    "s:routes") == -1 ||
	    np_svc_key(&c->svc, c->k_status, sizeof(c->k_status),
	    "s:status") == -1)
		fatalx("key prefix too long");
}

void
cmd_scripts_free(struct commander *c)
{
	free((char *)c->s_dispatch.body);
	free((char *)c->s_status.body);
	free((char *)c->s_noanswer.body);
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

static void
op_finish(struct cmd_op *op, const redisReply *reply)
{
	struct commander *c = op->c;
	int i;

	c->inflight--;
	op->done(c, reply, op->arg);
	np_retry_free(&op->retry);
	for (i = 0; i < op->argc; i++)
		free(op->argv[i]);
	free(op);
}

static void
op_retry(struct cmd_op *op, const char *why)
{
	if (op->c->svc.stopping) {
		op_finish(op, NULL);
		return;
	}
	log_debug("script %s: %s; again in %d ms", op->script->name, why,
	    np_retry_later(&op->retry));
}

static void
op_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct cmd_op *op = arg;
	size_t i;

	if (np_retry_wanted(reply)) {
		op_retry(op, reply == NULL ? "connection lost before the "
		    "answer" : reply->str);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING ||
	    reply->element[2]->type != REDIS_REPLY_INTEGER) {
		log_warnx("script %s (%s): %s", op->script->name,
		    op->argc > 0 ? op->argv[0] : "",
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		op->c->stats.failed++;
		op_finish(op, NULL);
		return;
	}
	for (i = 3; i < reply->elements; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING)
			publish(op->c, reply->element[i]->str,
			    reply->element[i]->len);
	op_finish(op, reply);
}

static void
op_send(evutil_socket_t fd, short what, void *arg)
{
	struct cmd_op *op = arg;
	struct commander *c = op->c;
	const char *argv[OP_ARGS_MAX];
	size_t lens[OP_ARGS_MAX];
	char now[24], ack[16];
	int i, n = 0;

	snprintf(now, sizeof(now), "%lld", (long long)np_now_ms());
	snprintf(ack, sizeof(ack), "%d", c->conf.ack_timeout_ms);
	argv[n++] = c->k_ackdue;
	argv[n++] = c->k_orders;
	argv[n++] = c->svc.keys;
	argv[n++] = now;
	argv[n++] = ack;
	for (i = 0; i < op->argc; i++)
		argv[n++] = op->argv[i];
	for (i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	if (np_redis_eval(c->redis, op->script, op_reply, op, 2, n, argv,
	    lens) == -1)
		op_retry(op, "Redis unavailable");
}

int
cmd_eval(struct commander *c, struct np_redis_script *script, int argc,
    const char **argv, cmd_done_cb *done, void *arg)
{
	struct cmd_op *op;
	int i;

	if (c->svc.stopping || argc + COMMON_ARGS > OP_ARGS_MAX ||
	    (op = calloc(1, sizeof(*op) + argc * sizeof(char *))) == NULL)
		return -1;
	op->c = c;
	op->script = script;
	op->done = done;
	op->arg = arg;
	if (np_retry_init(&op->retry, c->svc.base, c->conf.retry_ms,
	    BACKOFF_MAX_MS, op_send, op) == -1)
		goto fail;
	for (i = 0; i < argc; i++, op->argc++)
		if ((op->argv[i] = strdup(argv[i])) == NULL)
			goto fail;
	c->inflight++;
	op_send(-1, 0, op);
	return 0;
fail:
	for (i = 0; i < op->argc; i++)
		free(op->argv[i]);
	np_retry_free(&op->retry);
	free(op);
	return -1;
}
