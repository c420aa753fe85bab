/*
 * incidents.c: s:incidents in, route.decided out.
 *
 * For each incident.created the decision is computed at once (route.c)
 * and written by one EVALSHA of decide.lua: incident fields, timeline and
 * the s:routes entry together, nothing if the incident has a route
 * already.  The s:incidents entry is acked only after the script
 * answered, so a crash in between replays the entry and the script's
 * check makes the replay harmless.  A script whose outcome is unknown
 * (Redis down, connection lost, LOADING/BUSY...) is re-sent with a
 * back-off (np_retry) until Redis answers: np_consumer never hands an in-flight entry to us again.
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

extern const char router_decide_lua[];

static struct np_redis_script script_decide = { "decide",
    router_decide_lua, "" };

struct decide_op {
	struct router	*r;
	char		 entry[64];
	char		 incident[NP_CITY_ID_MAX + 1];
	char		 k_inc[256];
	char		 k_tl[256];
	char		 post[NP_CITY_ID_MAX];
	char		 dist[32];
	int		 gap;
	char		*route;		/* route.decided, JSON */
	size_t		 routelen;
	char		*tl;		/* timeline entry, JSON */
	int		 sent;		/* waiting for Redis' answer */
	struct np_retry	 retry;
	LIST_ENTRY(decide_op) entry_link;
};

void
router_incidents_init(struct router *r)
{
	np_svc_key(&r->svc, r->k_incidents, sizeof(r->k_incidents),
	    "s:incidents");
	np_svc_key(&r->svc, r->k_routes, sizeof(r->k_routes), "s:routes");
}

static void
op_free(struct decide_op *op)
{
	LIST_REMOVE(op, entry_link);
	op->r->inflight--;
	np_retry_free(&op->retry);
	free(op->route);
	free(op->tl);
	free(op);
}

static void
op_done(struct decide_op *op)
{
	if (op->r->incidents != NULL)
		np_consumer_ack(op->r->incidents, op->entry);
	op_free(op);
}

static void decide_send(struct decide_op *);

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
decide_later(struct decide_op *op)
{
	if (op->r->svc.stopping) {
		log_info("incident %s: Redis did not answer; left pending "
		    "for the next start", op->incident);
		op_free(op);
		return;
	}
	np_retry_later(&op->retry);
}

static void
decide_answer(struct decide_op *op, const redisReply *rep)
{
	struct router *r = op->r;
	const char *res = rep->element[0]->str;

	if (strcmp(res, "routed") == 0) {
		r->stats.routed++;
		log_info("incident %s routed: post %s at %s m%s, entry %s",
		    op->incident, op->post, op->dist, op->gap ?
		    " (coverage gap)" : "", rep->element[1]->str);
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

static void
decide_reply(struct np_redis *rd, struct redisReply *rep, void *arg)
{
	struct decide_op *op = arg;

	op->sent = 0;
	if (np_retry_wanted(rep)) {
		decide_later(op);
		return;
	}
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[1]->type == REDIS_REPLY_STRING)
		decide_answer(op, rep);
	else {
		op->r->stats.failed++;
		log_warnx("decide script for incident %s: %s", op->incident,
		    rep->type == REDIS_REPLY_ERROR ? rep->str :
		    "unexpected reply");
	}
	op_done(op);
}

static void
decide_send(struct decide_op *op)
{
	const char *argv[8];
	size_t lens[8];
	char gap[8];

	snprintf(gap, sizeof(gap), "%s", op->gap ? "true" : "false");
	argv[0] = op->k_inc;
	argv[1] = op->k_tl;
	argv[2] = op->r->k_routes;
	argv[3] = op->post;
	argv[4] = op->dist;
	argv[5] = gap;
	argv[6] = op->route;
	argv[7] = op->tl;
	for (int i = 0; i < 8; i++)
		lens[i] = strlen(argv[i]);
	if (np_redis_eval(op->r->redis, &script_decide, decide_reply, op, 3,
	    8, argv, lens) == -1)
		decide_later(op);
	else
		op->sent = 1;
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
	json_t *j;

	if (type == NULL)
		log_warnx("incident %s: type %s has no plan here; routed to "
		    "its post without units", inc->id, inc->type);
	router_route(r->map, type != NULL ? type->plan : NULL, inc->lat,
	    inc->lon, &d);
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		log_warnx("incident %s: out of memory, left pending", inc->id);
		return;
	}
	op->r = r;
	LIST_INSERT_HEAD(&r->ops, op, entry_link);
	r->inflight++;
	if (np_retry_init(&op->retry, r->svc.base, RETRY_MIN_MS, RETRY_MAX_MS,
	    decide_retry, op) == -1) {
		log_warnx("incident %s: out of memory, left pending", inc->id);
		op_free(op);
		return;
	}
	snprintf(op->entry, sizeof(op->entry), "%s", entry);
	snprintf(op->incident, sizeof(op->incident), "%s", inc->id);
	np_svc_key(&r->svc, op->k_inc, sizeof(op->k_inc), "inc:%s", inc->id);
	np_svc_key(&r->svc, op->k_tl, sizeof(op->k_tl), "inc:%s:tl", inc->id);
	snprintf(op->post, sizeof(op->post), "%s",
	    r->city->posts[d.post.post].id);
	snprintf(op->dist, sizeof(op->dist), "%.1f", router_round1(
	    d.post.dist_m));
	op->gap = d.post.gap;
	j = router_decided_json(r->map, inc, &d);
	op->route = np_json_dump(j, &op->routelen);
	json_decref(j);
	op->tl = timeline_entry(r->map, &d.post);
	if (op->route == NULL || op->tl == NULL) {
		log_warnx("incident %s: out of memory, left pending", inc->id);
		op_free(op);
		return;
	}
	decide_send(op);
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
	return r->incidents != NULL ? 0 : -1;
}

void
router_incidents_stop(struct router *r)
{
	struct decide_op *op, *next;

	if (r->incidents != NULL)
		np_consumer_free(r->incidents);
	r->incidents = NULL;
	for (op = LIST_FIRST(&r->ops); op != NULL; op = next) {
		next = LIST_NEXT(op, entry_link);
		if (!op->sent)	/* else np_redis_free answers it */
			op_free(op);
	}
}
