/*
 * np_script: script calls whose answers are judged and whose frames are
 * published (see np_script.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_bus.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_script.h"

#define WHAT_MAX	64	/* of the first argument, for the log */

struct np_script_op {
	struct np_scripter	*s;
	const char		*name;
	np_call_done_cb		*done;
	void			*arg;
	char			 what[WHAT_MAX + 1];
};

/* result, detail and due in their places: an answer */
static int
answer(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 3 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[2]->type == REDIS_REPLY_INTEGER;
}

const char *
np_script_result(const redisReply *r)
{
	return answer(r) ? r->element[0]->str : "";
}

const char *
np_script_detail(const redisReply *r)
{
	return answer(r) ? r->element[1]->str : "";
}

long long
np_script_due(const redisReply *r)
{
	return answer(r) ? r->element[2]->integer : 0;
}

/* A "topic json" frame on the events bus and to frame (best effort). */
static void
publish(struct np_scripter *s, const char *msg, size_t len)
{
	char topic[NP_BUS_TOPIC_MAX + 1];
	const char *t, *json;
	size_t tlen, jlen;

	if (np_bus_split(msg, len, &t, &tlen, &json, &jlen) == -1)
		return;
	memcpy(topic, t, tlen);
	topic[tlen] = '\0';
	if (s->events != NULL && np_bus_publish(s->events, topic, json,
	    jlen) == -1)
		log_debug("event %s not published", topic);
	if (s->frame != NULL)
		s->frame(s->caller.owner, topic, json, jlen);
}

const redisReply *
np_script_answer(struct np_scripter *s, const char *name, const char *what,
    const redisReply *r)
{
	const char *why;
	size_t i;

	if (r == NULL)
		return NULL;
	if (!answer(r) || (s->list && (r->elements < 4 ||
	    r->element[3]->type != REDIS_REPLY_ARRAY))) {
		why = r->type == REDIS_REPLY_ERROR ? r->str :
		    "unexpected reply";
		if (what != NULL && *what != '\0')
			log_warnx("script %s (%s): %s", name, what, why);
		else
			log_warnx("script %s: %s", name, why);
		(*s->failed)++;
		return NULL;
	}
	/* frames are strings (a list, an array, is not one) */
	for (i = 3; i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			publish(s, r->element[i]->str, r->element[i]->len);
	return r;
}

/* The reply, judged and its frames published, goes to the caller. */
static void
op_done(const redisReply *reply, void *arg)
{
	struct np_script_op *op = arg;

	op->done(np_script_answer(op->s, op->name, op->what, reply), op->arg);
	free(op);
}

int
np_script_call(struct np_scripter *s, struct np_redis_script *script,
    int argc, const char **argv, np_call_done_cb *done, void *arg)
{
	struct np_script_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return -1;
	op->s = s;
	op->name = script->name;
	op->done = done;
	op->arg = arg;
	if (argc > 0)
		snprintf(op->what, sizeof(op->what), "%s", argv[0]);
	if (np_call(&s->caller, script, argc, argv, op_done, op) == -1) {
		free(op);
		return -1;
	}
	return 0;
}
