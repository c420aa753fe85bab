/*
 * batch.c: the answers of the commander's batch scripts.
 *
 * The handlers of s:routes, s:status and s:closed only collect: each
 * entry adds its argument groups to the np_batch batcher of its stream,
 * and the consumer's batch callback (after the last entry of the read)
 * sends them as one call of a batch script (lib.lua's batch: every group
 * in a protected call of its own, one result per group).  The batchers
 * are serial: while a call of one is unanswered the entries of further
 * reads wait for it and go as the next call (np_batch.h).  What is the
 * commander's own is the answer: {result, detail} per group, an entry's
 * groups one after another; 'error' ones are logged and counted, the
 * others go to the stream's log function.  np_batch acks the entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"

#define BATCH_ARGS	480	/* own arguments of one call */

/* The results of a batch reply, {result, detail, ...} per group. */
static const redisReply *
batch_results(const redisReply *r, size_t ngroups)
{
	const redisReply *a;
	size_t i;

	if (r == NULL || r->elements < 4)
		return NULL;
	a = r->element[3];
	if (a->type != REDIS_REPLY_ARRAY || a->elements != 2 * ngroups)
		return NULL;
	for (i = 0; i < a->elements; i++)
		if (a->element[i]->type != REDIS_REPLY_STRING)
			return NULL;
	return a;
}

static int
batch_done(struct np_batcher *nb, const redisReply *reply,
    const struct np_batch_entry *e, size_t n)
{
	struct cmd_batcher *b = nb->owner;
	struct commander *c = b->c;
	const redisReply *r, *a;
	const char *result, *detail;
	size_t i, g, k, ngroups = 0;

	r = np_script_answer(&c->scripter, nb->script->name, e[0].args, reply);
	for (i = 0; i < n; i++)
		ngroups += e[i].argc / b->width;
	if ((a = batch_results(r, ngroups)) == NULL && r != NULL)
		log_warnx("script %s: a batch of %zu answered no result per "
		    "entry", nb->script->name, ngroups);
	for (i = k = 0; a != NULL && i < n; i++)
		for (g = 0; g < e[i].argc / b->width; g++, k += 2) {
			result = a->element[k]->str;
			detail = a->element[k + 1]->str;
			if (strcmp(result, "error") == 0) {
				log_warnx("script %s (%s): %s",
				    nb->script->name, e[i].id, detail);
				c->stats.failed++;
			} else
				b->log(c, e[i].id, result, detail);
		}
	cmd_ackdue_note(c, np_script_due(r));
	return cmd_keep(c, r);
}

void
cmd_batcher_init(struct commander *c, struct cmd_batcher *b,
    struct np_redis_script *script, size_t width, cmd_group_cb *log)
{
	*b = (struct cmd_batcher){ .c = c, .width = width, .log = log };
	b->nb = (struct np_batcher){ .caller = &c->scripter.caller,
	    .script = script, .done = batch_done, .owner = b,
	    .max_args = BATCH_ARGS, .serial = 1 };
}
