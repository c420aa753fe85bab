/*
 * np_consumer: the consumer-group reader of np_stream.h.
 *
 * The reader is a small state machine on its own connection `rd`; one
 * request is outstanding there at a time (c->reading) and each reply
 * issues the next one from its callback:
 *
 *   IDLE --rd up--> GROUP --> PENDING (s 0.., until empty) --> CLAIM
 *   (XAUTOCLAIM until cursor 0-0) --> LIVE (BLOCK >, forever)
 *
 * rd going down resets to IDLE; coming up starts again at GROUP, so the
 * pending list of this consumer name is re-read after every reconnect
 * (the in-flight set filters out what the handler still holds).  Each read
 * asks for at most max_inflight - inflight entries; at zero nothing is
 * read until an XACK reply frees room.  An error reply (NOGROUP after the
 * group was destroyed, ...) restarts at GROUP after block_ms, never in a
 * tight loop.
 *
 * Acks go through a queue flushed by a zero-timeout event in XACK batches
 * on `cmd`; an id leaves the in-flight set only when its XACK is
 * answered.  If `cmd` drops first the ids go back to the queue and are
 * flushed when it is up again (np_redis_watch).  Requests on `cmd` are on
 * c->reqs so that np_consumer_free can orphan them: their callbacks then
 * only free the request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_consumer_int.h"
#include "np_log.h"
#include "np_time.h"

void
np_consumer_conf_defaults(struct np_consumer_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->block_ms = 2000;
	conf->count = 64;
	conf->claim_idle_ms = 30000;
	conf->claim_interval_ms = 5000;
	conf->max_inflight = 1024;
}

/* Flush acks and read on at the end of this loop pass (a flush planned
 * for later is brought forward). */
void
npc_kick(struct np_consumer *c)
{
	struct timeval tv = { 0, 0 };

	if (c->dying || (evtimer_pending(c->kick_ev, NULL) &&
	    !c->kick_later))
		return;
	c->kick_later = 0;
	evtimer_add(c->kick_ev, &tv);
}

/* The same, ack_delay_ms from now unless one is planned already. */
void
npc_kick_later(struct np_consumer *c)
{
	struct timeval tv = { c->ack_delay_ms / 1000,
	    (c->ack_delay_ms % 1000) * 1000 };

	if (c->dying || evtimer_pending(c->kick_ev, NULL))
		return;
	c->kick_later = 1;
	evtimer_add(c->kick_ev, &tv);
}

void
npc_destroy(struct np_consumer *c)
{
	struct np_inflight *f;
	size_t i;

	for (i = 0; i < c->nbuckets; i++)
		while ((f = c->buckets[i]) != NULL) {
			c->buckets[i] = f->next;
			free(f);
		}
	free(c->buckets);
	free(c->ackq);
	if (c->kick_ev != NULL)
		event_free(c->kick_ev);
	if (c->claim_ev != NULL)
		event_free(c->claim_ev);
	if (c->retry_ev != NULL)
		event_free(c->retry_ev);
	free(c->stream);
	free(c->group);
	free(c->name);
	free(c);
}

/*
 * Deliver one entry ([id, [name, value, ...]] or [id, nil]) unless it is
 * in flight; how: &c->stats.recovered or .claimed, or NULL for new ones.
 * Returns -1 when the handler freed the consumer (stop touching it).
 */
static int
consumer_entry(struct np_consumer *c, const redisReply *e,
    unsigned long long *how)
{
	const char *names[NP_ENTRY_STACK], *values[NP_ENTRY_STACK];
	size_t lens[NP_ENTRY_STACK], n, i;
	struct np_stream_entry ent;
	const redisReply *kv;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[0]->len >= NP_ID_MAX) {
		log_warnx("stream %s: malformed entry skipped", c->stream);
		return 0;
	}
	ent.id = e->element[0]->str;
	kv = e->element[1];
	if (kv->type == REDIS_REPLY_NIL) {
		/* deleted while pending: nothing to do but ack it */
		c->stats.deleted++;
		if (*npc_inflight_slot(c, ent.id) == NULL &&
		    c->nackq < (size_t)c->max_inflight && npc_ackq_push(c, ent.id) == 0)
			npc_kick(c);
		return 0;
	}
	if (*npc_inflight_slot(c, ent.id) != NULL)
		return 0;
	if (kv->type != REDIS_REPLY_ARRAY || kv->elements % 2 != 0) {
		log_warnx("stream %s: entry %s malformed", c->stream, ent.id);
		return 0;
	}
	for (i = 0; i < kv->elements; i++)
		if (kv->element[i]->type != REDIS_REPLY_STRING) {
			log_warnx("stream %s: entry %s malformed", c->stream,
			    ent.id);
			return 0;
		}
	ent.nfields = n = kv->elements / 2;
	ent.names = names;
	ent.values = values;
	ent.lens = lens;
	if (n > NP_ENTRY_STACK) {
		ent.names = calloc(n, sizeof(char *));
		ent.values = calloc(n, sizeof(char *));
		ent.lens = calloc(n, sizeof(size_t));
	}
	if (ent.names == NULL || ent.values == NULL || ent.lens == NULL ||
	    npc_inflight_add(c, ent.id) == -1) {
		/* stays pending: recovered after the next reconnect */
		log_warnx("stream %s: entry %s: out of memory", c->stream,
		    ent.id);
		goto done;
	}
	for (i = 0; i < n; i++) {
		((const char **)ent.names)[i] = kv->element[2 * i]->str;
		((const char **)ent.values)[i] = kv->element[2 * i + 1]->str;
		((size_t *)ent.lens)[i] = kv->element[2 * i + 1]->len;
	}
	if (how != NULL)
		(*how)++;
	c->stats.delivered++;
	c->busy++;
	c->cb(c, &ent, c->arg);
	c->busy--;
done:
	if (n > NP_ENTRY_STACK) {
		free((void *)ent.names);
		free((void *)ent.values);
		free((void *)ent.lens);
	}
	if (c->dying) {
		if (c->busy == 0)
			npc_destroy(c);
		return -1;
	}
	return 0;
}

/* Entries of a reply array; -1 when the consumer is gone. */
static int
consumer_entries(struct np_consumer *c, const redisReply *a,
    unsigned long long *how, char *last)
{
	unsigned long long before = c->stats.delivered;
	size_t i;

	for (i = 0; i < a->elements; i++) {
		if (last != NULL && a->element[i]->type == REDIS_REPLY_ARRAY &&
		    a->element[i]->elements > 0 &&
		    a->element[i]->element[0]->type == REDIS_REPLY_STRING &&
		    a->element[i]->element[0]->len < NP_ID_MAX)
			snprintf(last, NP_ID_MAX, "%s",
			    a->element[i]->element[0]->str);
		if (consumer_entry(c, a->element[i], how) == -1)
			return -1;
	}
	if (c->batch_cb == NULL || c->stats.delivered == before)
		return 0;
	c->busy++;
	c->batch_cb(c, c->arg);
	c->busy--;
	if (c->dying) {
		if (c->busy == 0)
			npc_destroy(c);
		return -1;
	}
	return 0;
}

void
np_consumer_set_batch_cb(struct np_consumer *c, np_consumer_batch_cb *cb)
{
	c->batch_cb = cb;
}

void
np_consumer_set_gap(struct np_consumer *c, int ms)
{
	c->gap_ms = ms > 0 ? ms : 0;
}

int
np_consumer_caught_up(const struct np_consumer *c)
{
	return c->caught_up;
}

/* The entries of an XREADGROUP reply ([[stream, entries]]) or NULL. */
static const redisReply *
xread_entries(const redisReply *rep)
{
	const redisReply *s;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1)
		return NULL;
	s = rep->element[0];
	if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
	    s->element[1]->type != REDIS_REPLY_ARRAY)
		return NULL;
	return s->element[1];
}

/* Error reply on rd: start over at GROUP after block_ms. */
static void
consumer_error(struct np_consumer *c, const char *what, const redisReply *rep)
{
	struct timeval tv;

	log_warnx("stream %s: %s: %s", c->stream, what,
	    rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
	c->phase = NP_CONSUMER_GROUP;
	tv = np_tv_ms(c->block_ms);
	evtimer_add(c->retry_ev, &tv);
}

static void
consumer_on_group(struct np_redis *r, struct redisReply *rep, void *arg)
{
	struct np_consumer *c = arg;

	c->reading = 0;
	if (rep == NULL || c->dying)
		return;
	if (rep->type == REDIS_REPLY_ERROR &&
	    strncmp(rep->str, "BUSYGROUP", 9) != 0) {
		consumer_error(c, "XGROUP CREATE", rep);
		return;
	}
	c->phase = NP_CONSUMER_PENDING;
	snprintf(c->cursor, sizeof(c->cursor), "0");
	npc_next(c);
}

static void
consumer_on_pending(struct np_redis *r, struct redisReply *rep, void *arg)
{
	struct np_consumer *c = arg;
	const redisReply *a;

	c->reading = 0;
	if (rep == NULL || c->dying)
		return;
	if (rep->type == REDIS_REPLY_NIL)
		a = NULL;
	else if ((a = xread_entries(rep)) == NULL) {
		consumer_error(c, "XREADGROUP (pending)", rep);
		return;
	}
	if (a == NULL || a->elements == 0) {
		c->phase = NP_CONSUMER_CLAIM;
		snprintf(c->cursor, sizeof(c->cursor), "0-0");
	} else if (consumer_entries(c, a, &c->stats.recovered,
	    c->cursor) == -1)
		return;
	npc_next(c);
}

/*
 * An XAUTOCLAIM reply: [cursor, entries, deleted ids] (Redis 7.0).
 * Copies the cursor; -1 bad reply, -2 the consumer is gone.
 */
static int
consumer_claimed(struct np_consumer *c, const redisReply *rep, char *cursor)
{
	size_t i;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[0]->len >= NP_ID_MAX ||
	    rep->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	snprintf(cursor, NP_ID_MAX, "%s", rep->element[0]->str);
	if (rep->elements >= 3 && rep->element[2]->type == REDIS_REPLY_ARRAY)
		for (i = 0; i < rep->element[2]->elements; i++) {
			/* XAUTOCLAIM already dropped them from the PEL */
			c->stats.deleted++;
		}
	if (consumer_entries(c, rep->element[1], &c->stats.claimed,
	    NULL) == -1)
		return -2;
	return 0;
}

static void
consumer_on_claim(struct np_redis *r, struct redisReply *rep, void *arg)
{
	struct np_consumer *c = arg;
	int rc;

	c->reading = 0;
	if (rep == NULL || c->dying)
		return;
	if ((rc = consumer_claimed(c, rep, c->cursor)) == -2)
		return;
	if (rc == -1) {
		consumer_error(c, "XAUTOCLAIM", rep);
		return;
	}
	if (strcmp(c->cursor, "0-0") == 0)
		c->phase = NP_CONSUMER_LIVE;
	npc_next(c);
}

static void
consumer_on_live(struct np_redis *r, struct redisReply *rep, void *arg)
{
	struct np_consumer *c = arg;
	const redisReply *a;
	struct timeval tv;

	c->reading = 0;
	if (rep == NULL || c->dying)
		return;
	if (rep->type != REDIS_REPLY_NIL) {
		if ((a = xread_entries(rep)) == NULL) {
			consumer_error(c, "XREADGROUP", rep);
			return;
		}
		if (consumer_entries(c, a, NULL, NULL) == -1)
			return;
		if (a->elements < (size_t)c->asked) {
			c->caught_up = 1;
			if (c->gap_ms > 0 && a->elements > 0) {
				tv = np_tv_ms(c->gap_ms);
				evtimer_add(c->retry_ev, &tv);	/* npc_next waits */
			}
		}
	} else
		c->caught_up = 1;
	npc_next(c);
}

int
npc_send(struct np_redis *r, np_redis_cb *cb, void *arg, int argc,
    const char **argv)
{
	size_t len[16];
	int i;

	for (i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	return np_redis_cmd(r, cb, arg, argc, argv, len);
}

/* Issue the request of the current phase on rd, if there is room. */
void
npc_next(struct np_consumer *c)
{
	const char *argv[16];
	char count[16], ms[16];
	int argc = 0, room = npc_room(c), rc;
	np_redis_cb *cb;

	if (c->dying || c->reading || c->phase == NP_CONSUMER_IDLE ||
	    evtimer_pending(c->retry_ev, NULL) || !np_redis_connected(c->rd))
		return;
	if (room == 0 && c->phase != NP_CONSUMER_GROUP)
		return;		/* resumed by an XACK reply */
	/*
	 * Re-reading the pending list races with acks on `cmd`: an entry read
	 * before its XACK applies but seen after the XACK's reply (which took
	 * it out of the in-flight set) would be delivered again.  So recovery
	 * waits until every ack made so far is answered.
	 */
	if ((c->phase == NP_CONSUMER_PENDING || c->phase == NP_CONSUMER_CLAIM) &&
	    (c->nackq > 0 || c->nacking > 0))
		return;		/* resumed by the XACK reply or cmd coming up */
	c->asked = room < c->count ? (int)room : c->count;
	snprintf(count, sizeof(count), "%d", c->asked);
	switch (c->phase) {
	case NP_CONSUMER_GROUP:
		argv[argc++] = "XGROUP";
		argv[argc++] = "CREATE";
		argv[argc++] = c->stream;
		argv[argc++] = c->group;
		argv[argc++] = "0";
		argv[argc++] = "MKSTREAM";
		cb = consumer_on_group;
		break;
	case NP_CONSUMER_CLAIM:
		snprintf(ms, sizeof(ms), "%d", c->claim_idle_ms);
		argv[argc++] = "XAUTOCLAIM";
		argv[argc++] = c->stream;
		argv[argc++] = c->group;
		argv[argc++] = c->name;
		argv[argc++] = ms;
		argv[argc++] = c->cursor;
		argv[argc++] = "COUNT";
		argv[argc++] = count;
		cb = consumer_on_claim;
		break;
	default:
		argv[argc++] = "XREADGROUP";
		argv[argc++] = "GROUP";
		argv[argc++] = c->group;
		argv[argc++] = c->name;
		argv[argc++] = "COUNT";
		argv[argc++] = count;
		/* the first live reads after (re)connecting do not block:
		 * they tell when the stream's end is reached (caught_up) */
		if (c->phase == NP_CONSUMER_LIVE && c->caught_up) {
			snprintf(ms, sizeof(ms), "%d", c->block_ms);
			argv[argc++] = "BLOCK";
			argv[argc++] = ms;
		}
		argv[argc++] = "STREAMS";
		argv[argc++] = c->stream;
		argv[argc++] = c->phase == NP_CONSUMER_LIVE ? ">" : c->cursor;
		cb = c->phase == NP_CONSUMER_LIVE ? consumer_on_live :
		    consumer_on_pending;
		break;
	}
	/* -1 only while rd is dropping: its state callback restarts us */
	if ((rc = npc_send(c->rd, cb, c, argc, argv)) == 0)
		c->reading = 1;
}

static void
consumer_on_kick(evutil_socket_t fd, short ev, void *arg)
{
	struct np_consumer *c = arg;

	c->kick_later = 0;
	npc_flush(c);
	npc_next(c);
}

static void
consumer_on_retry(evutil_socket_t fd, short ev, void *arg)
{
	npc_next(arg);
}

static void
consumer_on_cmd_claim(struct np_redis *r, struct redisReply *rep, void *arg)
{
	struct np_consumer_req *req = arg;
	struct np_consumer *c = npc_req_done(req);
	int rc;

	free(req);
	if (c == NULL)
		return;
	c->claiming = 0;
	if (rep == NULL)
		return;
	if ((rc = consumer_claimed(c, rep, c->claim_cursor)) == -2)
		return;
	if (rc == -1) {
		log_warnx("stream %s: XAUTOCLAIM: %s", c->stream,
		    rep->type == REDIS_REPLY_ERROR ? rep->str : "bad reply");
		snprintf(c->claim_cursor, NP_ID_MAX, "0-0");
	}
}

/* Every claim_interval_ms: take over entries idle past claim_idle_ms. */
static void
consumer_on_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct np_consumer *c = arg;
	struct np_consumer_req *req;
	const char *argv[8];
	char count[16], ms[16];
	int room = npc_room(c);

	npc_flush(c);
	if (c->claiming || c->phase != NP_CONSUMER_LIVE || room == 0 ||
	    !np_redis_connected(c->cmd) || (req = npc_req(c, 0)) == NULL)
		return;
	snprintf(count, sizeof(count), "%d", room < c->count ? room : c->count);
	snprintf(ms, sizeof(ms), "%d", c->claim_idle_ms);
	argv[0] = "XAUTOCLAIM";
	argv[1] = c->stream;
	argv[2] = c->group;
	argv[3] = c->name;
	argv[4] = ms;
	argv[5] = c->claim_cursor;
	argv[6] = "COUNT";
	argv[7] = count;
	if (npc_send(c->cmd, consumer_on_cmd_claim, req, 8, argv) == 0)
		c->claiming = 1;
	else {
		npc_req_done(req);
		free(req);
	}
}

static void
consumer_on_state(struct np_redis *r, int up, void *arg)
{
	struct np_consumer *c = arg;

	c->reading = 0;
	c->caught_up = 0;
	if (!up) {
		c->phase = NP_CONSUMER_IDLE;
		return;
	}
	c->stats.reconnects = np_redis_reconnects(r);
	c->phase = NP_CONSUMER_GROUP;
	event_del(c->retry_ev);
	npc_next(c);
}

static void
consumer_on_cmd_state(struct np_redis *r, int up, void *arg)
{
	if (up)
		npc_kick(arg);
}

struct np_consumer *
np_consumer_new(struct event_base *base, const struct np_redis_conf *rconf,
    struct np_redis *cmd, const struct np_consumer_conf *conf,
    np_consumer_cb *cb, void *arg)
{
	struct np_consumer_conf def;
	struct np_redis_conf rc = *rconf;
	struct np_consumer *c;
	struct timeval tv;
	char name[128];

	if (conf->stream == NULL || conf->group == NULL ||
	    conf->consumer == NULL || *conf->stream == '\0' ||
	    *conf->group == '\0' || *conf->consumer == '\0' || cb == NULL) {
		log_warnx("consumer: stream, group, consumer and handler needed");
		return NULL;
	}
	np_consumer_conf_defaults(&def);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	TAILQ_INIT(&c->reqs);
	c->base = base;
	c->cmd = cmd;
	c->cb = cb;
	c->arg = arg;
	c->block_ms = conf->block_ms > 0 ? conf->block_ms : def.block_ms;
	c->count = conf->count > 0 ? conf->count : def.count;
	c->claim_idle_ms = conf->claim_idle_ms > 0 ? conf->claim_idle_ms :
	    def.claim_idle_ms;
	c->claim_interval_ms = conf->claim_interval_ms > 0 ?
	    conf->claim_interval_ms : def.claim_interval_ms;
	c->max_inflight = conf->max_inflight > 0 ? conf->max_inflight :
	    def.max_inflight;
	c->ack_delay_ms = conf->ack_delay_ms > 0 ? conf->ack_delay_ms : 0;
	c->gap_ms = conf->gap_ms > 0 ? conf->gap_ms : 0;
	snprintf(c->claim_cursor, NP_ID_MAX, "0-0");
	for (c->nbuckets = 64; c->nbuckets < (size_t)c->max_inflight &&
	    c->nbuckets < (1U << 20); c->nbuckets *= 2)
		;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	c->stream = strdup(conf->stream);
	c->group = strdup(conf->group);
	c->name = strdup(conf->consumer);
	c->kick_ev = evtimer_new(base, consumer_on_kick, c);
	c->retry_ev = evtimer_new(base, consumer_on_retry, c);
	c->claim_ev = event_new(base, -1, EV_PERSIST, consumer_on_tick, c);
	if (c->buckets == NULL || c->stream == NULL || c->group == NULL ||
	    c->name == NULL || c->kick_ev == NULL || c->retry_ev == NULL ||
	    c->claim_ev == NULL)
		goto fail;
	if (np_redis_watch(cmd, consumer_on_cmd_state, c) == -1)
		goto fail;
	/* a PING waits behind the BLOCK: the watchdog must outlast it */
	if (rc.ping_interval_ms < c->block_ms + 1000)
		rc.ping_interval_ms = c->block_ms + 1000;
	snprintf(name, sizeof(name), "%s/%s", c->stream, c->name);
	if ((c->rd = np_redis_new(base, &rc, name)) == NULL) {
		np_redis_unwatch(cmd, consumer_on_cmd_state, c);
		goto fail;
	}
	np_redis_set_state_cb(c->rd, consumer_on_state, c);
	tv = np_tv_ms(c->claim_interval_ms);
	event_add(c->claim_ev, &tv);
	return c;
fail:
	npc_destroy(c);
	return NULL;
}

void
np_consumer_free(struct np_consumer *c)
{
	struct np_consumer_req *req;

	if (c == NULL || c->dying)
		return;
	npc_flush(c);		/* best effort: XACK is idempotent */
	c->dying = 1;
	while ((req = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, req, entry);
		req->c = NULL;
	}
	np_redis_unwatch(c->cmd, consumer_on_cmd_state, c);
	event_del(c->kick_ev);
	event_del(c->claim_ev);
	event_del(c->retry_ev);
	/* its callbacks see c->dying; at most the running one is ours */
	np_redis_free(c->rd);
	c->rd = NULL;
	if (c->busy == 0)
		npc_destroy(c);
}

void
np_consumer_stats(const struct np_consumer *c, struct np_consumer_stats *st)
{
	*st = c->stats;
}
