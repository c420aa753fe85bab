/*
 * batch.c: one script call for the entries of one stream read.  The
 * stream handler adds each entry's arguments (trk_batch_add); the
 * consumer's batch callback sends them all in one arm.lua or met.lua
 * call (trk_batch_flush), which answers every entry in order.  Each
 * entry is acked once the call has answered (never before: a crash
 * replays it and the script finds its work done); an entry whose own run
 * failed is logged, counted and acked like a call given up before.  A
 * batch that would pass more arguments than a call takes is sent in
 * parts, as it fills.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_call.h"
#include "np_log.h"
#include "np_stream.h"
#include "tracker.h"

#define TRK_BATCH_ARGS	(NP_CALL_ARGS_MAX - NP_CALL_HEAD_MAX)
#define TRK_BATCH_MAX	256		/* entries per call */
#define TRK_ENTRY_ID	48

struct trk_batch {
	struct tracker		*t;
	struct np_redis_script	*script;
	struct np_consumer	*consumer;	/* of the entries collected */
	size_t			 n;
	char			 ids[TRK_BATCH_MAX][TRK_ENTRY_ID];
	int			 argc;
	size_t			 off[TRK_BATCH_ARGS];	/* into buf */
	char			*buf;
	size_t			 used, cap;
};

/* A call sent: whose entries it answers. */
struct trk_sent {
	struct np_consumer	*consumer;
	size_t			 n;
	char			 ids[][TRK_ENTRY_ID];
};

struct trk_batch *
trk_batch_new(struct tracker *t, struct np_redis_script *script)
{
	struct trk_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatalx("out of memory");
	b->t = t;
	b->script = script;
	return b;
}

void
trk_batch_free(struct trk_batch *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b);
}

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

static void
sent_done(struct tracker *t, const redisReply *r, void *arg)
{
	struct trk_sent *s = arg;
	const char *answer;
	size_t i;

	if (r != NULL && entry_answer(r, 0, s->n) == NULL) {
		log_warnx("script answered %zu entries unexpectedly; given up",
		    s->n);
		t->stats.failed++;
	}
	for (i = 0; i < s->n; i++) {
		if ((answer = entry_answer(r, i, s->n)) != NULL)
			entry_done(t, s->ids[i], answer);
		/* given up because we stop: the next run replays it */
		if (r != NULL || !t->svc.stopping)
			np_consumer_ack(s->consumer, s->ids[i]);
	}
	trk_due_note(t, r);
	free(s);
}

void
trk_batch_flush(struct trk_batch *b)
{
	const char *argv[TRK_BATCH_ARGS];
	struct trk_sent *s;
	size_t i;

	if (b->n == 0)
		return;
	if ((s = malloc(sizeof(*s) + b->n * TRK_ENTRY_ID)) == NULL)
		goto fail;
	s->consumer = b->consumer;
	s->n = b->n;
	memcpy(s->ids, b->ids, b->n * TRK_ENTRY_ID);
	for (i = 0; i < (size_t)b->argc; i++)
		argv[i] = b->buf + b->off[i];
	if (trk_eval(b->t, b->script, b->argc, argv, sent_done, s) == -1) {
		free(s);
		goto fail;
	}
	b->n = b->used = 0;
	b->argc = 0;
	return;
fail:
	log_warnx("%zu entries from %s: cannot run %s; left pending", b->n,
	    b->ids[0], b->script->name);
	b->n = b->used = 0;
	b->argc = 0;
}

/* Room for argc more arguments of total length len (NULs included). */
static int
room(struct trk_batch *b, int argc, size_t len)
{
	size_t cap;
	char *nb;

	if (b->n == TRK_BATCH_MAX || b->argc + argc > TRK_BATCH_ARGS)
		trk_batch_flush(b);
	if (b->used + len <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->used + len)
		cap *= 2;
	if ((nb = realloc(b->buf, cap)) == NULL)
		return -1;
	b->buf = nb;
	b->cap = cap;
	return 0;
}

int
trk_batch_add(struct trk_batch *b, struct np_consumer *consumer,
    const char *id, int argc, const char **argv)
{
	size_t len = 0, l;
	int i;

	if (argc > TRK_BATCH_ARGS)
		return -1;
	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (consumer != b->consumer)
		trk_batch_flush(b);
	if (room(b, argc, len) == -1)
		return -1;
	b->consumer = consumer;
	snprintf(b->ids[b->n++], TRK_ENTRY_ID, "%s", id);
	for (i = 0; i < argc; i++) {
		l = strlen(argv[i]) + 1;
		b->off[b->argc++] = b->used;
		memcpy(b->buf + b->used, argv[i], l);
		b->used += l;
	}
	return 0;
}
