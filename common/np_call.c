/*
 * np_call: idempotent script calls re-sent until Redis answers (see
 * np_call.h).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_call.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_retry.h"

struct np_call {
	struct np_caller	*caller;
	struct np_redis_script	*script;
	np_call_done_cb		*done;
	void			*arg;
	struct np_retry		 retry;
	int			 argc;
	char			*argv[];
};

static void
call_end(struct np_call *call, const redisReply *reply)
{
	int i;

	call->caller->inflight--;
	call->done(reply, call->arg);
	np_retry_free(&call->retry);
	for (i = 0; i < call->argc; i++)
		free(call->argv[i]);
	free(call);
}

/* Send again later, or give up when the service stops. */
static void
call_later(struct np_call *call, const char *why)
{
	if (*call->caller->stopping) {
		call_end(call, NULL);
		return;
	}
	log_debug("script %s: %s; again in %d ms", call->script->name, why,
	    np_retry_later(&call->retry));
}

static void
call_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct np_call *call = arg;

	if (np_retry_wanted(reply))
		call_later(call, reply == NULL ? "connection lost before the "
		    "answer" : reply->str);
	else
		call_end(call, reply);
}

static void
call_send(evutil_socket_t fd, short what, void *arg)
{
	struct np_call *call = arg;
	struct np_caller *cr = call->caller;
	const char *argv[NP_CALL_ARGS_MAX];
	size_t lens[NP_CALL_ARGS_MAX];
	char buf[NP_CALL_HEAD_MAX][NP_CALL_BUF];
	int i, n;

	cr->head(cr->owner, argv, buf);
	for (i = 0, n = cr->nhead; i < call->argc; i++)
		argv[n++] = call->argv[i];
	for (i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	if (np_redis_eval(cr->redis, call->script, call_reply, call,
	    cr->nkeys, n, argv, lens) == -1)
		call_later(call, "Redis unavailable");
}

int
np_call(struct np_caller *cr, struct np_redis_script *script, int argc,
    const char **argv, np_call_done_cb *done, void *arg)
{
	struct np_call *call;
	int i;

	if (*cr->stopping || cr->nhead > NP_CALL_HEAD_MAX ||
	    argc + cr->nhead > NP_CALL_ARGS_MAX ||
	    (call = calloc(1, sizeof(*call) + argc * sizeof(char *))) == NULL)
		return -1;
	call->caller = cr;
	call->script = script;
	call->done = done;
	call->arg = arg;
	if (np_retry_init(&call->retry, cr->base, cr->first_ms, cr->max_ms,
	    call_send, call) == -1)
		goto fail;
	for (i = 0; i < argc; i++, call->argc++)
		if ((call->argv[i] = strdup(argv[i])) == NULL)
			goto fail;
	cr->inflight++;
	call_send(-1, 0, call);		/* not stopping: done comes later */
	return 0;
fail:
	for (i = 0; i < call->argc; i++)
		free(call->argv[i]);
	np_retry_free(&call->retry);
	free(call);
	return -1;
}
