/*
 * batch.c: the entries of one stream read as one script call.
 *
 * A script call costs Redis a round trip and the set-up of the whole
 * chunk (lib.lua's functions and tables) whatever it does, so the
 * handlers of s:routes, s:status and s:closed only collect: each entry
 * adds its argument groups to the batcher of its stream, and the
 * consumer's batch callback (after the last entry of the read) sends
 * them as one call of a batch script (lib.lua's batch: every group in a
 * protected call of its own, one result per group).  While a call of the
 * batcher is unanswered the entries of further reads wait for it and go
 * as the next call: under load the batches grow by themselves (a call
 * costs much the same for one entry as for many), idle nothing waits.  A
 * batch grows to at most BATCH_ARGS arguments; an entry that would not
 * fit sends the batch first, so an entry's groups always travel in one
 * call.  Every entry is acked once its call has answered (entry.c), so a
 * crash replays it and the scripts find their work done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"

#define BATCH_ARGS	480	/* own arguments of one call */

static void	batch_send(struct cmd_batcher *);

struct cmd_batch {
	struct cmd_batcher	*b;
	size_t			 ngroups;
	size_t			 nentries;
	struct cmd_entry	*entries[BATCH_ARGS];	/* by group */
	size_t			 off[BATCH_ARGS];	/* argument in buf */
	char			*buf;
	size_t			 len;
	size_t			 cap;
};

static void
batch_free(struct cmd_batch *bt)
{
	free(bt->buf);
	free(bt);
}

/* Copy s into the batch's buffer; -1 when out of memory. */
static int
batch_put(struct cmd_batch *bt, size_t i, const char *s)
{
	size_t n = strlen(s) + 1, cap;
	char *p;

	if (bt->len + n > bt->cap) {
		cap = bt->cap ? bt->cap : 4096;
		while (cap < bt->len + n)
			cap *= 2;
		if ((p = realloc(bt->buf, cap)) == NULL)
			return -1;
		bt->buf = p;
		bt->cap = cap;
	}
	bt->off[i] = bt->len;
	memcpy(bt->buf + bt->len, s, n);
	bt->len += n;
	return 0;
}

/* The results of a batch reply, {result, detail, ...} per group. */
static const redisReply *
batch_results(const struct cmd_batch *bt, const redisReply *r)
{
	const redisReply *a;
	size_t i;

	if (r == NULL || r->elements < 4)
		return NULL;
	a = r->element[3];
	if (a->type != REDIS_REPLY_ARRAY || a->elements != 2 * bt->ngroups)
		return NULL;
	for (i = 0; i < a->elements; i++)
		if (a->element[i]->type != REDIS_REPLY_STRING)
			return NULL;
	return a;
}

static void
batch_done(struct commander *c, const redisReply *r, void *arg)
{
	struct cmd_batch *bt = arg;
	struct cmd_batcher *b = bt->b;
	const redisReply *a = batch_results(bt, r);
	const char *result, *detail;
	int keep = cmd_keep(c, r);
	size_t i;

	if (r != NULL && a == NULL)
		log_warnx("script %s: a batch of %zu answered no result per "
		    "entry", b->script->name, bt->ngroups);
	for (i = 0; i < bt->ngroups; i++) {
		if (a != NULL) {
			result = a->element[2 * i]->str;
			detail = a->element[2 * i + 1]->str;
			if (strcmp(result, "error") == 0) {
				log_warnx("script %s (%s): %s",
				    b->script->name, bt->entries[i]->id,
				    detail);
				c->stats.failed++;
			} else
				b->log(c, bt->entries[i], result, detail);
		}
		/* an entry's groups are consecutive: done after its last */
		if (i + 1 == bt->ngroups || bt->entries[i + 1] != bt->entries[i])
			cmd_entry_done(bt->entries[i], keep);
	}
	cmd_ackdue_note(c, cmd_due(r));
	batch_free(bt);
	b->inflight--;
	batch_send(b);		/* what came meanwhile */
}

static void
batch_send(struct cmd_batcher *b)
{
	struct cmd_batch *bt = b->open;
	const char *argv[BATCH_ARGS];
	size_t i, n = bt != NULL ? bt->ngroups * b->width : 0;

	if (bt == NULL)
		return;
	b->open = NULL;
	for (i = 0; i < n; i++)
		argv[i] = bt->buf + bt->off[i];
	if (cmd_eval(b->c, b->script, (int)n, argv, batch_done, bt) == 0) {
		b->inflight++;
		return;
	}
	log_warnx("cannot run %s for %zu entries", b->script->name,
	    bt->nentries);
	for (i = 0; i < bt->ngroups; i++)
		if (i + 1 == bt->ngroups || bt->entries[i + 1] != bt->entries[i])
			cmd_entry_done(bt->entries[i], 1);
	batch_free(bt);
}

void
cmd_batch_send(struct cmd_batcher *b)
{
	if (b->inflight == 0)
		batch_send(b);
}

int
cmd_batch_add(struct cmd_batcher *b, struct cmd_entry *e, size_t ngroups,
    const char **argv)
{
	struct cmd_batch *bt;
	size_t i, n = ngroups * b->width, first;

	if (ngroups == 0 || n > BATCH_ARGS)
		return -1;
	if (b->open != NULL && (b->open->ngroups + ngroups) * b->width >
	    BATCH_ARGS)
		batch_send(b);
	if ((bt = b->open) == NULL) {
		if ((bt = calloc(1, sizeof(*bt))) == NULL)
			return -1;
		bt->b = b;
		b->open = bt;
	}
	first = bt->ngroups * b->width;
	for (i = 0; i < n; i++)
		if (batch_put(bt, first + i, argv[i]) == -1)
			return -1;
	for (i = 0; i < ngroups; i++)
		bt->entries[bt->ngroups++] = e;
	bt->nentries++;
	e->pending++;
	return 0;
}
