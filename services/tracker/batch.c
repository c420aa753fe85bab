/*
 * batch.c: one script call for the entries of one stream read.  The
 * stream handlers add each entry's arguments to the np_batch batcher of
 * its stream; the consumer's batch callback sends them all in one
 * arm.lua or met.lua call, which answers every entry in order ("<result>
 * <detail>" each).  np_batch acks each entry once the call has answered
 * (never before: a crash replays it and the script finds its work
 * done); an entry whose own run failed is logged, counted and acked like
 * a call given up before.  A batch that would pass more arguments than a
 * call takes, or TRK_BATCH_MAX entries, is sent in parts, as it fills.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_batch.h"
#include "np_log.h"
#include "tracker.h"

#define TRK_BATCH_MAX	256		/* entries per call */

/* "result detail" of entry i, or NULL when the answer has no such. */
static const char *
entry_answer(const redisReply *r, size_t i, size_t n)
{
	const redisReply *a;

	if (r == NULL || r->elements < 4 || (a = r->element[3])->type !=
	    REDIS_REPLY_ARRAY || a->elements != n ||
	    a->element[i]->type != REDIS_REPLY_STRING)
		return NULL;
	return a->element[i]->str;
}

static void
entry_done(struct tracker *t, const char *id, const char *answer)
{
	size_t n = strcspn(answer, " ");
	const char *detail = answer[n] == ' ' ? answer + n + 1 : "";

	if (n == 5 && strncmp(answer, "error", 5) == 0) {
		log_warnx("entry %s: script failed: %s", id, detail);
		t->stats.failed++;
		return;
	}
	log_debug("entry %s: %.*s %s", id, (int)n, answer, detail);
	if (strncmp(answer, "met", 3) == 0)
		t->stats.met++;
}

static int
batch_done(struct np_batcher *b, const redisReply *reply,
    const struct np_batch_entry *e, size_t n)
{
	struct tracker *t = b->owner;
	const redisReply *r = np_script_answer(&t->scripter, b->script->name,
	    e[0].args, reply);
	const char *answer;
	size_t i;

	if (r != NULL && entry_answer(r, 0, n) == NULL) {
		log_warnx("script answered %zu entries unexpectedly; given up",
		    n);
		t->stats.failed++;
	}
	for (i = 0; i < n; i++)
		if ((answer = entry_answer(r, i, n)) != NULL)
			entry_done(t, e[i].id, answer);
	trk_due_note(t, r);
	/* given up because we stop: the next run replays them */
	return r == NULL && t->svc.stopping;
}

void
trk_batch_init(struct tracker *t)
{
	t->b_routes = (struct np_batcher){ .caller = &t->scripter.caller,
	    .script = &t->s_arm, .done = batch_done, .owner = t,
	    .max_entries = TRK_BATCH_MAX };
	t->b_status = t->b_routes;
	t->b_status.script = &t->s_met;
}
