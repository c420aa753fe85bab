/*
 * streams.c: the tracker's two stream handlers.  An entry is acked once
 * its script has answered (never before: a crash replays it and the
 * script finds its work done), or at once when it cannot matter: no msg,
 * a message refused (logged), a status that meets no mark.  The
 * commander and feedback read the same streams in their own groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_log.h"
#include "np_stream.h"
#include "tracker.h"

struct trk_entry {
	struct np_consumer	*consumer;
	char			 id[48];
};

static void
entry_done(struct tracker *t, const redisReply *r, void *arg)
{
	struct trk_entry *e = arg;
	const char *result = trk_result(r);

	if (r != NULL)
		log_info("entry %s: %s %s", e->id, result, trk_detail(r));
	if (strncmp(result, "met", 3) == 0)
		t->stats.met++;
	trk_due_note(t, r);
	/* given up because we stop: the next run replays the entry */
	if (r != NULL || !t->svc.stopping)
		np_consumer_ack(e->consumer, e->id);
	free(e);
}

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

static void
run(struct tracker *t, struct np_consumer *consumer, const char *id,
    struct np_redis_script *s, int argc, const char **argv)
{
	struct trk_entry *e;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		log_warnx("entry %s: out of memory; left pending", id);
		return;
	}
	e->consumer = consumer;
	snprintf(e->id, sizeof(e->id), "%s", id);
	if (trk_eval(t, s, argc, argv, entry_done, e) == -1) {
		log_warnx("entry %s: cannot run %s; left pending", id,
		    s->name);
		free(e);
	}
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
	struct trk_route route;
	const char *msg, *argv[5];
	char err[512], m[3][16];
	size_t len;
	int i;

	if ((msg = entry_msg(t, consumer, ent, &len)) == NULL)
		return;
	if (trk_route_parse(msg, len, &route, err, sizeof(err)) == -1) {
		refuse(t, consumer, ent->id, err);
		return;
	}
	t->stats.armed++;
	argv[0] = route.incident_id;
	argv[1] = msg;
	for (i = 0; i < 3; i++) {
		snprintf(m[i], sizeof(m[i]), "%d", t->conf.mark_s[i]);
		argv[2 + i] = m[i];
	}
	run(t, consumer, ent->id, &t->s_arm, 5, argv);
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
	run(t, consumer, ent->id, &t->s_met, 3, argv);
}
