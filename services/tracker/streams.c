/*
 * streams.c: the tracker's two stream handlers.  An entry goes into its
 * read's batch (batch.c: one script call per read, each entry acked once
 * the call has answered), or is acked at once when it cannot matter: no
 * msg, a message refused (logged), a status that meets no mark (most of
 * them are told by a look at the raw text, not parsed: a malformed one
 * of those is acked unlogged -- the commander refuses it loudly).  The
 * commander and feedback read the same streams in their own groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_log.h"
#include "np_stream.h"
#include "tracker.h"

/* The msg of an entry, or NULL (stopping: left pending; none: acked). */
static const char *
entry_msg(struct tracker *t, struct np_consumer *consumer,
    const struct np_stream_entry *ent, size_t *len)
{
	const char *msg;

	if (t->svc.stopping)
		return NULL;
	if ((msg = np_stream_entry_get(ent, "msg", len)) == NULL) {
		log_warnx("entry %s: no msg field; skipped", ent->id);
		t->stats.bad++;
		np_consumer_ack(consumer, ent->id);
	}
	return msg;
}

/* Into the read's batch (sent by the batch callbacks below). */
static void
run(struct np_batcher *b, struct np_consumer *consumer, const char *id,
    int argc, const char **argv)
{
	if (np_batch_add(b, consumer, id, (size_t)argc, argv) == -1)
		log_warnx("entry %s: out of memory; left pending", id);
}

static void
refuse(struct tracker *t, struct np_consumer *consumer, const char *id,
    const char *why)
{
	log_warnx("entry %s refused: %s", id, why);
	t->stats.bad++;
	np_consumer_ack(consumer, id);
}

void
trk_on_route(struct np_consumer *consumer, const struct np_stream_entry *ent,
    void *arg)
{
	struct tracker *t = arg;
	struct trk_route r;
	struct trk_arm_args a;
	const char *msg;
	char err[512];
	size_t len;

	if ((msg = entry_msg(t, consumer, ent, &len)) == NULL)
		return;
	if (trk_route_parse(msg, len, t->conf.mark_s, &r, err,
	    sizeof(err)) == -1) {
		refuse(t, consumer, ent->id, err);
		return;
	}
	t->stats.armed++;
	trk_arm_args(&r, &a);
	run(&t->b_routes, consumer, ent->id, a.argc, a.argv);
}

void
trk_on_status(struct np_consumer *consumer, const struct np_stream_entry *ent,
    void *arg)
{
	struct tracker *t = arg;
	struct trk_status st;
	const char *msg, *argv[3];
	char err[512], ts[24];
	size_t len;

	if ((msg = entry_msg(t, consumer, ent, &len)) == NULL)
		return;
	/* most statuses (enroute, clear, online...): no need to parse */
	if (!trk_status_maybe(msg, len)) {
		np_consumer_ack(consumer, ent->id);
		return;
	}
	if (trk_status_parse(msg, len, &st, err, sizeof(err)) == -1) {
		refuse(t, consumer, ent->id, err);
		return;
	}
	if (!trk_status_counts(&st)) {
		np_consumer_ack(consumer, ent->id);
		return;
	}
	/* judged by when the unit answered, not when we read it */
	snprintf(ts, sizeof(ts), "%lld", st.ts);
	argv[0] = st.order_id;
	argv[1] = st.status;
	argv[2] = ts;
	run(&t->b_status, consumer, ent->id, 3, argv);
}

void
trk_routes_read(struct np_consumer *consumer, void *arg)
{
	np_batch_send(&((struct tracker *)arg)->b_routes);
}

void
trk_status_read(struct np_consumer *consumer, void *arg)
{
	np_batch_send(&((struct tracker *)arg)->b_status);
}
