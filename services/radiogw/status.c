/*
 * status.c: what units tell the dispatch side -- unit.status messages on
 * s:status (durable: the commander acts on them) and, as hints, on the
 * units and events buses.
 *
 * An order verb (ACK DECLINE ENROUTE ONSCENE CLEAR) is two Redis round
 * trips while its connection is `busy`:
 *
 *   HMGET order:<oid> unit_id state incident_id
 *        -> unknown_order / not_your_order / order_closed, or
 *   XADD s:status * msg <unit.status>
 *        -> OK <VERB> <oid> only now: an OK means the commander will see it
 *
 * Redis down or the connection lost on the way: NAK unavailable, and the
 * unit sends the line again (a duplicate is harmless: the commander's
 * transitions are idempotent).  The gateway refuses only what can never
 * become right: an order cancelled or unanswered, or declined or cleared
 * already (the same verb again is a duplicate and gets its OK again).  A
 * late answer to an unanswered order still shows the unit is back: the
 * gateway reports it online (the commander makes an unreachable unit
 * without an order available again).
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "gw.h"
#include "np_bus.h"
#include "np_city.h"
#include "np_json.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"

struct fire {
	struct gw	*gw;
	const char	*what;
};

struct verb_op {
	struct gw_conn		*c;
	struct radio_cmd	 cmd;
	json_t			*msg;	/* the unit.status, once built */
};

int
gw_key(struct gw *gw, char *buf, size_t len, const char *kind,
    const char *id)
{
	if (id == NULL)
		return np_svc_key(&gw->svc, buf, len, "%s", kind);
	return np_svc_key(&gw->svc, buf, len, "%s:%s", kind, id);
}

void
gw_redis_done(struct gw *gw)
{
	gw->pending--;
}

static void
fire_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct fire *f = arg;

	if (reply == NULL)
		log_warnx("%s: Redis connection lost, outcome unknown", f->what);
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("%s: %s", f->what, reply->str);
	gw_redis_done(f->gw);
	free(f);
}

static struct fire *
fire_new(struct gw *gw, const char *what)
{
	struct fire *f = malloc(sizeof(*f));

	if (f != NULL) {
		f->gw = gw;
		f->what = what;
	}
	return f;
}

int
gw_redis_fire(struct gw *gw, const char *what, int argc, const char **argv)
{
	size_t lens[16];
	struct fire *f;

	if (argc > 16 || (f = fire_new(gw, what)) == NULL)
		return -1;
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (np_redis_cmd(gw->redis, fire_reply, f, argc, argv, lens) == -1) {
		free(f);
		return -1;
	}
	gw->pending++;
	return 0;
}

void
gw_publish(struct gw *gw, const char *topic, json_t *msg, int events)
{
	size_t len;
	char *s = np_json_dump(msg, &len);

	if (s == NULL)
		return;
	if (gw->bus_units != NULL)
		(void)np_bus_publish(gw->bus_units, topic, s, len);
	if (events && gw->bus_events != NULL)
		(void)np_bus_publish(gw->bus_events, topic, s, len);
	free(s);
}

/* XADD s:status; the json is copied by hiredis.  0, or -1 if not sent. */
static int
status_add(struct gw *gw, json_t *msg, np_redis_cb *cb, void *arg)
{
	char key[256], *s;
	const char *kv[2];
	size_t kvlen[2];
	int rc = -1;

	if (gw_key(gw, key, sizeof(key), "s:status", NULL) == -1 ||
	    (s = np_json_dump(msg, &kvlen[1])) == NULL)
		return -1;
	kv[0] = "msg";
	kvlen[0] = 3;
	kv[1] = s;
	rc = np_stream_add(gw->redis, key, 0, cb, arg, 1, kv, kvlen);
	free(s);
	return rc;
}

void
gw_status_link(struct gw *gw, long u, int up)
{
	const char *id = gw->city->units[u].id;
	char key[256];
	const char *argv[4] = { "HSET", key, "link", up ? "up" : "down" };
	json_t *msg = radio_status_msg(id, up ? "online" : "offline", NULL,
	    NULL, NULL, NULL);
	struct fire *f;

	if ((f = fire_new(gw, "unit.status online/offline")) != NULL &&
	    status_add(gw, msg, fire_reply, f) == 0) {
		gw->pending++;
		gw->stats.statuses++;
	} else {
		free(f);
		log_warnx("unit %s %s: not written to s:status (Redis down)",
		    id, up ? "online" : "offline");
	}
	gw_publish(gw, "unit.status", msg, 1);
	json_decref(msg);
	if (gw_key(gw, key, sizeof(key), "unit", id) == 0)
		(void)gw_redis_fire(gw, "HSET unit link", 4, argv);
}

/*
 * Redis is (back) up: every unit on the air is reported online again.  A
 * login while Redis was away wrote its online to s:status nowhere, and the
 * commander, which had made the unit unreachable meanwhile, would never
 * hear of it (the commander's online is idempotent).
 */
static void
status_on_redis(struct np_redis *r, int connected, void *arg)
{
	struct gw *gw = arg;
	size_t u, n = 0;

	(void)r;
	if (!connected)
		return;
	for (u = 0; u < gw->city->nunits; u++)
		if (gw->units[u].conn != NULL) {
			gw_status_link(gw, (long)u, 1);
			n++;
		}
	if (n > 0)
		log_info("Redis is back: %zu unit(s) on the air reported "
		    "online again", n);
}

int
gw_status_start(struct gw *gw)
{
	return np_redis_watch(gw->redis, status_on_redis, gw);
}

static void
verb_finish(struct verb_op *op)
{
	struct gw_conn *c = op->c;

	gw_redis_done(c->gw);
	json_decref(op->msg);
	free(op);
	gw_conn_resume(c);
	gw_conn_unref(c);
}

static void
verb_unavailable(struct gw_conn *c, enum radio_verb v, const char *why)
{
	c->gw->stats.unavailable++;
	gw_conn_nakf(c, v, RADIO_E_UNAVAILABLE, "%s: send the line again",
	    why);
}

static void
verb_added(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct verb_op *op = arg;
	struct gw_conn *c = op->c;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		if (reply != NULL)
			log_warnx("XADD s:status: %s", reply->str);
		verb_unavailable(c, op->cmd.verb, "the dispatch store did not "
		    "confirm");
	} else {
		c->gw->stats.statuses++;
		gw_publish(c->gw, "unit.status", op->msg, 1);
		gw_order_answered(c, op->cmd.order_id);
		gw_conn_ok(c, op->cmd.verb, op->cmd.order_id);
	}
	verb_finish(op);
}

/* Can this verb still be said about an order in this state? */
static int
verb_closed(enum radio_verb v, const char *state)
{
	if (state == NULL)
		return 0;
	if (strcmp(state, "cancelled") == 0 || strcmp(state, "noanswer") == 0)
		return 1;
	if (strcmp(state, "declined") == 0)
		return v != RADIO_DECLINE;
	if (strcmp(state, "cleared") == 0)
		return v != RADIO_CLEAR;
	return 0;
}

static const char *
reply_str(const redisReply *r, size_t i)
{
	return r->element[i]->type == REDIS_REPLY_STRING ?
	    r->element[i]->str : NULL;
}

/* The order's owner and state are fine: write the status. */
static void
verb_write(struct verb_op *op, const char *incident_id)
{
	const struct radio_cmd *cmd = &op->cmd;
	struct gw_conn *c = op->c;

	op->msg = radio_status_msg(gw_conn_unit_id(c), radio_verb_status(cmd->verb),
	    cmd->order_id, incident_id, cmd->verb == RADIO_CLEAR ? cmd->word :
	    NULL, cmd->verb == RADIO_DECLINE ? cmd->word : NULL);
	if (status_add(c->gw, op->msg, verb_added, op) == -1) {
		verb_unavailable(c, cmd->verb, "the dispatch store is "
		    "unreachable");
		verb_finish(op);
	}
}

static void
verb_checked(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct verb_op *op = arg;
	struct gw_conn *c = op->c;
	enum radio_verb v = op->cmd.verb;
	const char *oid = op->cmd.order_id, *unit, *state;

	if (!gw_conn_alive(c))
		goto done;
	if (reply == NULL) {
		verb_unavailable(c, v, "lost the dispatch store");
		goto done;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
		log_warnx("HMGET order %s: unexpected reply", oid);
		gw_conn_nakf(c, v, RADIO_E_INTERNAL, "order lookup failed");
		goto done;
	}
	unit = reply_str(reply, 0);
	state = reply_str(reply, 1);
	if (unit == NULL)
		gw_conn_nakf(c, v, RADIO_E_UNKNOWN_ORDER, "no order %s", oid);
	else if (strcmp(unit, gw_conn_unit_id(c)) != 0)
		gw_conn_nakf(c, v, RADIO_E_NOT_YOUR_ORDER, "order %s is not "
		    "for unit %s", oid, gw_conn_unit_id(c));
	else if (verb_closed(v, state)) {
		gw_conn_nakf(c, v, RADIO_E_ORDER_CLOSED, "order %s is %s", oid,
		    state);
		/* The unit was made unreachable for not answering in time;
		 * now it speaks: online again, so it is offered orders. */
		if (state != NULL && strcmp(state, "noanswer") == 0) {
			log_info("unit %s answered order %s after its "
			    "deadline: reachable again", gw_conn_unit_id(c),
			    oid);
			gw_status_link(c->gw, c->unit, 1);
		}
	} else {
		verb_write(op, reply_str(reply, 2));
		return;
	}
done:
	verb_finish(op);
}

void
gw_status_order_verb(struct gw_conn *c, const struct radio_cmd *cmd)
{
	struct gw *gw = c->gw;
	struct verb_op *op;
	char key[256];
	const char *argv[5] = { "HMGET", key, "unit_id", "state",
	    "incident_id" };
	size_t lens[5];

	if (gw_key(gw, key, sizeof(key), "order", cmd->order_id) == -1 ||
	    (op = calloc(1, sizeof(*op))) == NULL) {
		gw_conn_nakf(c, cmd->verb, RADIO_E_INTERNAL, "out of memory");
		return;
	}
	op->c = c;
	op->cmd = *cmd;
	for (int i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	if (np_redis_cmd(gw->redis, verb_checked, op, 5, argv, lens) == -1) {
		free(op);
		verb_unavailable(c, cmd->verb, "the dispatch store is "
		    "unreachable");
		return;
	}
	gw->pending++;
	c->busy = 1;
	gw_conn_ref(c);
}
