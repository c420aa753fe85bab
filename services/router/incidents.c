/*
 * incidents.c: s:incidents in, route.decided out.
 *
 * For each incident.created the decision is computed at once (route.c);
 * the decisions of one read of the stream are written by one EVALSHA of
 * decide.lua (at most BATCH_MAX): per incident its fields, timeline and
 * s:routes entry together, nothing if it has a route already.  Each
 * s:incidents entry is acked only after the script answered, so a crash
 * in between replays the entry and the script's check makes the replay
 * harmless.  A call whose outcome is unknown (Redis down, connection
 * lost, LOADING/BUSY...) is re-sent whole with a back-off (np_retry)
 * until Redis answers: np_consumer never hands an in-flight entry to us
 * again.
 *
 * incident.upgraded is acked (the plan follows the type, which does not
 * change); entries we cannot read are logged and acked so that one bad
 * entry never blocks the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_bus.h"
#include "np_json.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_retry.h"
#include "np_stream.h"
#include "router.h"

#define RETRY_MIN_MS	100
#define RETRY_MAX_MS	2000
#define BATCH_MAX	64	/* incidents per decide.lua call */
#define OP_ARGS		6	/* ARGV per incident */

extern const char router_decide_lua[];

static struct np_redis_script script_decide = { "decide",
    router_decide_lua, "" };

struct decide_op {
	char		 entry[64];
	char		 incident[NP_CITY_ID_MAX + 1];
	char		 k_inc[256];
	char		 k_tl[256];
	char		 post[NP_CITY_ID_MAX];
	char		 district[NP_CITY_ID_MAX];
	char		 dist[32];
	int		 gap;
	char		*route;		/* route.decided, JSON */
	size_t		 routelen;
	char		*tl;		/* timeline entry, JSON */
	TAILQ_ENTRY(decide_op) link;
};

struct decide_batch {
	struct router		*r;
	struct router_opq	 ops;
	size_t			 n;
	int			 sent;	/* waiting for Redis' answer */
	struct np_retry		 retry;
	LIST_ENTRY(decide_batch) link;
};

void
router_incidents_init(struct router *r)
{
	np_svc_key(&r->svc, r->k_incidents, sizeof(r->k_incidents),
	    "s:incidents");
	np_svc_key(&r->svc, r->k_routes, sizeof(r->k_routes), "s:routes");
}

static void
op_free(struct router *r, struct decide_op *op)
{
	r->inflight--;
	free(op->route);
	free(op->tl);
	free(op);
}

static void
batch_free(struct decide_batch *b)
{
	struct decide_op *op;

	while ((op = TAILQ_FIRST(&b->ops)) != NULL) {
		TAILQ_REMOVE(&b->ops, op, link);
		op_free(b->r, op);
	}
	LIST_REMOVE(b, link);
	np_retry_free(&b->retry);
	free(b);
}

static void decide_send(struct decide_batch *);

static void
decide_retry(evutil_socket_t fd, short what, void *arg)
{
	decide_send(arg);
}

/*
 * Outcome unknown or Redis not ready (np_retry_wanted): try again later
 * (the script's check makes it safe).
 */
static void
decide_later(struct decide_batch *b)
{
	if (b->r->svc.stopping) {
		log_info("%zu incident(s) from %s: Redis did not answer; left "
		    "pending for the next start", b->n,
		    TAILQ_FIRST(&b->ops)->incident);
		batch_free(b);
		return;
	}
	np_retry_later(&b->retry);
}

static void
decide_answer(struct router *r, struct decide_op *op, const char *res,
    const char *id)
{
	if (strcmp(res, "routed") == 0) {
		r->stats.routed++;
		log_debug("incident %s routed: post %s at %s m%s, entry %s",
		    op->incident, op->post, op->dist, op->gap ?
		    " (coverage gap)" : "", id);
		if (r->bus_events != NULL && np_bus_publish(r->bus_events,
		    "route.decided", op->route, op->routelen) == -1)
			log_debug("route.decided for %s not published",
			    op->incident);
	} else if (strcmp(res, "replayed") == 0) {
		r->stats.replayed++;
		log_info("incident %s has a route already: entry %s acked",
		    op->incident, op->entry);
	} else
		log_warnx("incident %s: %s, not routed", op->incident, res);
}

static int
reply_ok(const redisReply *rep, size_t n)
{
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 * n)
		return 0;
	for (size_t i = 0; i < rep->elements; i++)
		if (rep->element[i]->type != REDIS_REPLY_STRING)
			return 0;
	return 1;
}

static void
decide_reply(struct np_redis *rd, struct redisReply *rep, void *arg)
{
	struct decide_batch *b = arg;
	struct router *r = b->r;
	struct decide_op *op;
	size_t i = 0;
	int ok;

	b->sent = 0;
	if (np_retry_wanted(rep)) {
		decide_later(b);
		return;
	}
	if (!(ok = reply_ok(rep, b->n)))
		log_warnx("decide script for %zu incident(s) from %s: %s",
		    b->n, TAILQ_FIRST(&b->ops)->incident,
		    rep->type == REDIS_REPLY_ERROR ? rep->str :
		    "unexpected reply");
	TAILQ_FOREACH(op, &b->ops, link) {
		if (ok)
			decide_answer(r, op, rep->element[i]->str,
			    rep->element[i + 1]->str);
		else
			r->stats.failed++;
		i += 2;
		if (r->incidents != NULL)
			np_consumer_ack(r->incidents, op->entry);
	}
	batch_free(b);
}

static void
decide_send(struct decide_batch *b)
{
	size_t nkeys = 1 + 2 * b->n, argc = nkeys + OP_ARGS * b->n, k;
	const char **argv = calloc(argc, sizeof(*argv));
	size_t *lens = calloc(argc, sizeof(*lens)), a = nkeys, i = 1;
	struct decide_op *op;
	int rc = -1;

	if (argv == NULL || lens == NULL)
		goto out;
	argv[0] = b->r->k_routes;
	TAILQ_FOREACH(op, &b->ops, link) {
		argv[i++] = op->k_inc;
		argv[i++] = op->k_tl;
		argv[a++] = op->post;
		argv[a++] = op->dist;
		argv[a++] = op->gap ? "true" : "false";
		argv[a++] = op->district;
		argv[a++] = op->route;
		argv[a++] = op->tl;
	}
	for (k = 0; k < argc; k++)
		lens[k] = strlen(argv[k]);
	rc = np_redis_eval(b->r->redis, &script_decide, decide_reply, b,
	    (int)nkeys, (int)argc, argv, lens);
out:
	free(argv);
	free(lens);
	if (rc == -1)
		decide_later(b);
	else
		b->sent = 1;
}

/* The read is handed over: its decisions go to Redis. */
static void
on_batch(struct np_consumer *c, void *arg)
{
	struct router *r = arg;
	struct decide_batch *b;
	struct decide_op *op;

	while (!TAILQ_EMPTY(&r->pending)) {
		if ((b = calloc(1, sizeof(*b))) == NULL ||
		    np_retry_init(&b->retry, r->svc.base, RETRY_MIN_MS,
		    RETRY_MAX_MS, decide_retry, b) == -1) {
			free(b);
			log_warnx("out of memory: incidents left pending");
			while ((op = TAILQ_FIRST(&r->pending)) != NULL) {
				TAILQ_REMOVE(&r->pending, op, link);
				op_free(r, op);
			}
			return;
		}
		b->r = r;
		TAILQ_INIT(&b->ops);
		LIST_INSERT_HEAD(&r->batches, b, link);
		while (b->n < BATCH_MAX &&
		    (op = TAILQ_FIRST(&r->pending)) != NULL) {
			TAILQ_REMOVE(&r->pending, op, link);
			TAILQ_INSERT_TAIL(&b->ops, op, link);
			b->n++;
		}
		decide_send(b);
	}
}

static char *
timeline_entry(const struct router_map *m, const struct router_post *p)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:f, s:b}",
	    "ts", (json_int_t)np_now_ms(), "event", "routed", "by", "router",
	    "post", m->city->posts[p->post].id, "distance_m",
	    router_round1(p->dist_m), "coverage_gap", p->gap);
	char *s = np_json_dump(j, NULL);

	json_decref(j);
	return s;
}

/* Route one incident and hand the decision to decide.lua. */
static void
route_incident(struct router *r, const char *entry,
    const struct router_incident *inc)
{
	const struct np_type *type = np_plans_type(r->plans, inc->type);
	struct router_decision d;
	struct decide_op *op;

	if (type == NULL)
		log_warnx("incident %s: type %s has no plan here; routed to "
		    "its post without units", inc->id, inc->type);
	router_route(r->map, type != NULL ? type->plan : NULL, inc->lat,
	    inc->lon, &d);
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		log_warnx("incident %s: out of memory, left pending", inc->id);
		return;
	}
	r->inflight++;
	snprintf(op->entry, sizeof(op->entry), "%s", entry);
	snprintf(op->incident, sizeof(op->incident), "%s", inc->id);
	np_svc_key(&r->svc, op->k_inc, sizeof(op->k_inc), "inc:%s", inc->id);
	np_svc_key(&r->svc, op->k_tl, sizeof(op->k_tl), "inc:%s:tl", inc->id);
	snprintf(op->post, sizeof(op->post), "%s",
	    r->city->posts[d.post.post].id);
	snprintf(op->district, sizeof(op->district), "%s",
	    r->city->posts[d.post.post].district);
	snprintf(op->dist, sizeof(op->dist), "%.1f", router_round1(
	    d.post.dist_m));
	op->gap = d.post.gap;
	op->route = router_decided_text(r->map, inc, &d, &op->routelen);
	op->tl = timeline_entry(r->map, &d.post);
	if (op->route == NULL || op->tl == NULL) {
		log_warnx("incident %s: out of memory, left pending", inc->id);
		op_free(r, op);
		return;
	}
	TAILQ_INSERT_TAIL(&r->pending, op, link);
}

static void
on_entry(struct np_consumer *c, const struct np_stream_entry *e, void *arg)
{
	struct router *r = arg;
	struct router_incident inc;
	enum router_msg kind;
	const char *msg;
	char err[256];
	size_t len;

	if ((msg = np_stream_entry_get(e, "msg", &len)) == NULL ||
	    router_incident_parse(msg, len, &kind, &inc, err, sizeof(err)) ==
	    -1) {
		r->stats.bad++;
		log_warnx("s:incidents %s refused: %s", e->id, msg == NULL ?
		    "no msg field" : err);
		np_consumer_ack(c, e->id);
		return;
	}
	switch (kind) {
	case ROUTER_MSG_CREATED:
		route_incident(r, e->id, &inc);
		break;
	case ROUTER_MSG_UPGRADED:
		log_info("incident %s upgraded: its plan follows its type, "
		    "route unchanged", inc.id);
		np_consumer_ack(c, e->id);
		break;
	case ROUTER_MSG_OTHER:
		log_debug("s:incidents %s: not for the router", e->id);
		np_consumer_ack(c, e->id);
		break;
	}
}

int
router_incidents_start(struct router *r)
{
	r->incidents = np_svc_consumer(&r->svc, r->redis, r->k_incidents,
	    &r->conf.stream, on_entry, r);
	if (r->incidents == NULL)
		return -1;
	np_consumer_set_batch_cb(r->incidents, on_batch);
	return 0;
}

void
router_incidents_stop(struct router *r)
{
	struct decide_batch *b, *next;
	struct decide_op *op;

	if (r->incidents != NULL)
		np_consumer_free(r->incidents);
	r->incidents = NULL;
	while ((op = TAILQ_FIRST(&r->pending)) != NULL) {
		TAILQ_REMOVE(&r->pending, op, link);
		op_free(r, op);
	}
	for (b = LIST_FIRST(&r->batches); b != NULL; b = next) {
		next = LIST_NEXT(b, link);
		if (!b->sent)	/* else np_redis_free answers it */
			batch_free(b);
	}
}
