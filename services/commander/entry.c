/*
 * entry.c: a stream entry in the commander's hands.  One whose effect
 * is a script call of its own (a redispatch; the batched ones are
 * np_batch's) is acked once the call has ended, never before, so a crash
 * replays it and the script finds its work done.  Entries without a msg or
 * with a message refused by msg.c are acked at once: no retry would make
 * them good.
 */
#include <stdio.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"
#include "np_stream.h"

struct cmd_entry *
cmd_entry_new(struct commander *c, struct np_consumer *consumer,
    const char *id)
{
	struct cmd_entry *e;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		log_warnx("stream entry %s: out of memory", id);
		return NULL;
	}
	e->c = c;
	e->consumer = consumer;
	snprintf(e->id, sizeof(e->id), "%s", id);
	return e;
}

void
cmd_entry_done(struct cmd_entry *e, int keep)
{
	e->keep |= keep;
	if (--e->pending > 0)
		return;
	if (!e->keep)
		np_consumer_ack(e->consumer, e->id);
	free(e);
}

int
cmd_keep(struct commander *c, const redisReply *r)
{
	/* given up because we stop: the next run replays the entry */
	return r == NULL && c->svc.stopping;
}

const char *
cmd_entry_msg(struct commander *c, struct np_consumer *consumer,
    const struct np_stream_entry *ent, const char *stream, size_t *len)
{
	const char *msg;

	if (c->svc.stopping)
		return NULL;
	if ((msg = np_stream_entry_get(ent, "msg", len)) == NULL) {
		log_warnx("%s entry %s: no msg field; skipped", stream,
		    ent->id);
		c->stats.bad++;
		np_consumer_ack(consumer, ent->id);
	}
	return msg;
}

void
cmd_entry_refuse(struct commander *c, struct np_consumer *consumer,
    const struct np_stream_entry *ent, const char *stream, const char *why)
{
	log_warnx("%s entry %s refused: %s", stream, ent->id, why);
	c->stats.bad++;
	np_consumer_ack(consumer, ent->id);
}
