/*
 * np_consumer, the ack side: the set of ids in flight (delivered, XACK not
 * yet answered) and the queue of acks flushed in XACK batches on `cmd`
 * (see np_consumer.c for the whole picture).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_consumer_int.h"
#include "np_log.h"

/* The in-flight set: chained hash of ids, bucket count fixed at start. */
static size_t
inflight_hash(const struct np_consumer *c, const char *id)
{
	unsigned long h = 2166136261UL;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619UL;
	return h & (c->nbuckets - 1);
}

struct np_inflight **
npc_inflight_slot(struct np_consumer *c, const char *id)
{
	struct np_inflight **fp = &c->buckets[inflight_hash(c, id)];

	while (*fp != NULL && strcmp((*fp)->id, id) != 0)
		fp = &(*fp)->next;
	return fp;
}

int
npc_inflight_add(struct np_consumer *c, const char *id)
{
	struct np_inflight **fp = npc_inflight_slot(c, id), *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->id, sizeof(f->id), "%s", id);
	*fp = f;
	c->ninflight++;
	return 0;
}

int
npc_inflight_del(struct np_consumer *c, const char *id)
{
	struct np_inflight **fp = npc_inflight_slot(c, id), *f = *fp;

	if (f == NULL)
		return 0;
	*fp = f->next;
	free(f);
	c->ninflight--;
	return 1;
}

int
npc_room(const struct np_consumer *c)
{
	if (c->ninflight >= (size_t)c->max_inflight)
		return 0;
	return (int)((size_t)c->max_inflight - c->ninflight);
}

int
npc_ackq_push(struct np_consumer *c, const char *id)
{
	void *p;
	size_t n;

	if (c->nackq == c->ackq_cap) {
		n = c->ackq_cap ? c->ackq_cap * 2 : 64;
		if ((p = reallocarray(c->ackq, n, NP_ID_MAX)) == NULL)
			return -1;
		c->ackq = p;
		c->ackq_cap = n;
	}
	snprintf(c->ackq[c->nackq++], NP_ID_MAX, "%s", id);
	return 0;
}

struct np_consumer_req *
npc_req(struct np_consumer *c, int nids)
{
	struct np_consumer_req *req;

	req = calloc(1, sizeof(*req) + (size_t)nids * NP_ID_MAX);
	if (req == NULL)
		return NULL;
	req->c = c;
	req->nids = nids;
	TAILQ_INSERT_TAIL(&c->reqs, req, entry);
	return req;
}

/* Take req off the list; NULL when its consumer has gone. */
struct np_consumer *
npc_req_done(struct np_consumer_req *req)
{
	struct np_consumer *c = req->c;

	if (c != NULL)
		TAILQ_REMOVE(&c->reqs, req, entry);
	return c;
}

static void
consumer_on_ack(struct np_redis *r, struct redisReply *rep, void *arg)
{
	struct np_consumer_req *req = arg;
	struct np_consumer *c = npc_req_done(req);
	int i;

	if (c != NULL)
		c->nacking -= (size_t)req->nids;
	for (i = 0; c != NULL && i < req->nids; i++) {
		if (rep == NULL) {
			/* outcome unknown: XACK again once cmd is back */
			(void)npc_ackq_push(c, req->ids[i]);
		} else if (npc_inflight_del(c, req->ids[i]) &&
		    rep->type != REDIS_REPLY_ERROR)
			c->stats.acked++;
	}
	if (c != NULL && rep != NULL && rep->type == REDIS_REPLY_ERROR)
		log_warnx("stream %s: XACK: %s", c->stream, rep->str);
	free(req);
	if (c != NULL && rep != NULL)
		npc_next(c);
}

void
npc_flush(struct np_consumer *c)
{
	const char *argv[3 + NP_ACK_BATCH];
	size_t len[3 + NP_ACK_BATCH];
	struct np_consumer_req *req;
	int i, n;

	while (c->nackq > 0 && np_redis_connected(c->cmd)) {
		n = c->nackq < NP_ACK_BATCH ? (int)c->nackq : NP_ACK_BATCH;
		if ((req = npc_req(c, n)) == NULL)
			return;
		argv[0] = "XACK";
		argv[1] = c->stream;
		argv[2] = c->group;
		for (i = 0; i < n; i++) {
			memcpy(req->ids[i], c->ackq[c->nackq - 1 - (size_t)i],
			    NP_ID_MAX);
			argv[3 + i] = req->ids[i];
		}
		for (i = 0; i < 3 + n; i++)
			len[i] = strlen(argv[i]);
		if (np_redis_cmd(c->cmd, consumer_on_ack, req, 3 + n, argv,
		    len) == -1) {
			/* over max_pending: the next kick or tick retries */
			npc_req_done(req);
			free(req);
			return;
		}
		c->nackq -= (size_t)n;
		c->nacking += (size_t)n;
	}
}

void
np_consumer_ack(struct np_consumer *c, const char *id)
{
	struct np_inflight *f;

	if (c->dying)
		return;
	if (strlen(id) >= NP_ID_MAX) {
		log_warnx("stream %s: ack of a bad id ignored", c->stream);
		return;
	}
	if ((f = *npc_inflight_slot(c, id)) != NULL) {
		if (f->acking)
			return;
	} else if (c->nackq >= (size_t)c->max_inflight) {
		log_warnx("stream %s: ack queue full, %s not acked", c->stream,
		    id);
		return;
	}
	if (npc_ackq_push(c, id) == -1) {
		log_warnx("stream %s: out of memory, %s not acked", c->stream,
		    id);
		return;
	}
	if (f != NULL)
		f->acking = 1;
	/* batch acks for ack_delay_ms, unless a read's worth is queued or
	 * the room to read is running out */
	if (c->ack_delay_ms > 0 && c->nackq < (size_t)c->count &&
	    npc_room(c) > c->count)
		npc_kick_later(c);
	else
		npc_kick(c);
}

size_t
np_consumer_inflight(const struct np_consumer *c)
{
	return c->ninflight;
}
