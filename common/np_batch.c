/*
 * np_batch: the entries of a stream read as one script call (see
 * np_batch.h).  A call being collected is one struct np_batch: its
 * entries in an array and their arguments in one buffer, each string
 * after the previous one's NUL, so adding an entry is one copy and the
 * argument vector is built once, at send time.  The batch lives until its
 * call has ended: done reads the entries' arguments from the buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_batch.h"
#include "np_call.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"

struct np_batch {
	struct np_batcher	*b;
	struct np_batch_entry	*ent;
	size_t			 n, nalloc;	/* entries */
	size_t			 argc;		/* arguments, all entries */
	char			*buf;
	size_t			 len, cap;
};

static void	batch_send(struct np_batcher *);

static void
batch_free(struct np_batch *bt)
{
	free(bt->ent);
	free(bt->buf);
	free(bt);
}

/* p with room for want elements of size (*cap of them), or NULL. */
static void *
grow(void *p, size_t *cap, size_t want, size_t size, size_t first)
{
	size_t n = *cap != 0 ? *cap : first;

	if (want <= *cap)
		return p;
	while (n < want)
		n *= 2;
	if ((p = realloc(p, n * size)) != NULL)
		*cap = n;
	return p;
}

static size_t
max_args(const struct np_batcher *b)
{
	return b->max_args == 0 || b->max_args > NP_BATCH_ARGS ?
	    NP_BATCH_ARGS : b->max_args;
}

/* Would an entry of argc arguments take the open call past a limit? */
static int
full(const struct np_batcher *b, size_t argc)
{
	const struct np_batch *bt = b->open;

	return bt != NULL && bt->n > 0 && (bt->argc + argc > max_args(b) ||
	    (b->max_entries != 0 && bt->n >= b->max_entries));
}

int
np_batch_add(struct np_batcher *b, struct np_consumer *consumer,
    const char *id, size_t argc, const char **argv)
{
	struct np_batch *bt;
	struct np_batch_entry *e;
	size_t len = 0, i, l;
	void *p;

	if (argc == 0 || argc > max_args(b))
		return -1;
	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (full(b, argc))
		batch_send(b);
	if ((bt = b->open) == NULL) {
		if ((bt = calloc(1, sizeof(*bt))) == NULL)
			return -1;
		bt->b = b;
		b->open = bt;
	}
	if ((p = grow(bt->buf, &bt->cap, bt->len + len, 1, 4096)) == NULL)
		return -1;
	bt->buf = p;
	if ((p = grow(bt->ent, &bt->nalloc, bt->n + 1, sizeof(*bt->ent),
	    16)) == NULL)
		return -1;
	bt->ent = p;
	e = &bt->ent[bt->n++];
	*e = (struct np_batch_entry){ .consumer = consumer, .argc = argc };
	snprintf(e->id, sizeof(e->id), "%s", id);
	for (i = 0; i < argc; i++) {
		l = strlen(argv[i]) + 1;
		memcpy(bt->buf + bt->len, argv[i], l);
		bt->len += l;
	}
	bt->argc += argc;
	return 0;
}

static void
batch_done(const struct redisReply *reply, void *arg)
{
	struct np_batch *bt = arg;
	struct np_batcher *b = bt->b;
	size_t i;

	if (b->done(b, reply, bt->ent, bt->n) == 0)
		for (i = 0; i < bt->n; i++)
			np_consumer_ack(bt->ent[i].consumer, bt->ent[i].id);
	batch_free(bt);
	b->inflight--;
	if (b->serial)
		batch_send(b);		/* what came meanwhile */
}

/* The open call, whatever is in flight. */
static void
batch_send(struct np_batcher *b)
{
	struct np_batch *bt = b->open;
	const char *argv[NP_BATCH_ARGS], *p;
	size_t i, j, k = 0;

	if (bt == NULL)
		return;
	b->open = NULL;
	if (bt->n == 0) {		/* an add ran out of memory */
		batch_free(bt);
		return;
	}
	for (i = 0, p = bt->buf; i < bt->n; i++) {
		bt->ent[i].args = p;
		for (j = 0; j < bt->ent[i].argc; j++) {
			argv[k++] = p;
			p += strlen(p) + 1;
		}
	}
	if (np_call(b->caller, b->script, (int)bt->argc, argv, batch_done,
	    bt) == 0) {
		b->inflight++;
		return;
	}
	log_warnx("script %s: cannot send %zu entries (from %s); left "
	    "pending", b->script->name, bt->n, bt->ent[0].id);
	batch_free(bt);
}

void
np_batch_send(struct np_batcher *b)
{
	if (!b->serial || b->inflight == 0)
		batch_send(b);
}

void
np_batch_free(struct np_batcher *b)
{
	if (b->open != NULL)
		batch_free(b->open);
	b->open = NULL;
}
