/*
 * orders.c: orders on their way to the units.
 *
 * s:orders is read in consumer group "radiogw" (np_consumer).  An
 * order.issued for a connected unit becomes an ORDER line, written at once
 * and again every radio.resend_ms (one libevent common timeout for all)
 * until the unit answers about that order or an order.cancelled comes; an
 * order.cancelled becomes a CANCEL line.  Either way the entry is acked
 * as soon as the line is written, or right away when the unit is not
 * connected: the order itself lives in Redis (order:<oid>), and a unit
 * that authenticates is sent its outstanding issued order from there
 * (gw_orders_outstanding).  Entries that are not ours or are malformed
 * are logged and acked, so one bad message cannot block the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "gw.h"
#include "np_city.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"

struct out_op {
	struct gw_conn	*c;
	char		 oid[RADIO_ID_MAX + 1];
};

static struct gw_order *
order_find(struct gw_conn *c, const char *id)
{
	struct gw_order *o;

	TAILQ_FOREACH(o, &c->orders, entry)
		if (strcmp(o->id, id) == 0)
			return o;
	return NULL;
}

static void
order_free(struct gw_order *o)
{
	struct gw_conn *c = o->conn;

	event_del(&o->ev);
	TAILQ_REMOVE(&c->orders, o, entry);
	c->norders--;
	free(o);
}

void
gw_orders_free(struct gw_conn *c)
{
	while (!TAILQ_EMPTY(&c->orders))
		order_free(TAILQ_FIRST(&c->orders));
}

void
gw_order_answered(struct gw_conn *c, const char *order_id)
{
	struct gw_order *o;

	if ((o = order_find(c, order_id)) != NULL)
		order_free(o);
}

static void
order_resend(evutil_socket_t fd, short what, void *arg)
{
	struct gw_order *o = arg;

	o->conn->gw->stats.resends++;
	log_debug("order %s re-sent to unit %s", o->id,
	    gw_conn_unit_id(o->conn));
	gw_conn_send(o->conn, o->line, o->len);	/* may free o */
}

void
gw_order_push(struct gw_conn *c, const struct radio_order *ord)
{
	struct gw *gw = c->gw;
	struct gw_order *o;

	if (c->state != GW_ST_READY)
		return;
	if (order_find(c, ord->order_id) != NULL)
		return;		/* already being sent */
	if (c->norders >= GW_ORDERS_MAX) {
		log_warnx("unit %s: more than %d orders unanswered, no longer "
		    "re-sending %s", gw_conn_unit_id(c), GW_ORDERS_MAX,
		    TAILQ_FIRST(&c->orders)->id);
		order_free(TAILQ_FIRST(&c->orders));
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		log_warnx("out of memory: order %s not sent", ord->order_id);
		return;
	}
	o->conn = c;
	snprintf(o->id, sizeof(o->id), "%s", ord->order_id);
	event_assign(&o->ev, gw->svc.base, -1, EV_PERSIST, order_resend, o);
	event_add(&o->ev, gw->resend_tv);
	TAILQ_INSERT_TAIL(&c->orders, o, entry);
	c->norders++;
	if ((o->len = radio_order_line(o->line, sizeof(o->line), ord)) == 0) {
		log_warnx("order %s: does not fit a line", ord->order_id);
		order_free(o);
		return;
	}
	gw->stats.orders_sent++;
	log_debug("order %s sent to unit %s", o->id, gw_conn_unit_id(c));
	gw_conn_send(c, o->line, o->len);
}

static void
orders_cancelled(struct gw *gw, const struct radio_cancel *can)
{
	long u = np_city_unit(gw->city, can->unit_id);
	struct gw_conn *c;
	char line[RADIO_OUT_MAX];

	if (u < 0 || (c = gw->units[u].conn) == NULL) {
		log_info("order %s cancelled; unit %s not connected",
		    can->order_id, can->unit_id);
		return;
	}
	gw_order_answered(c, can->order_id);
	gw->stats.cancels++;
	log_info("order %s cancelled (%s): told unit %s", can->order_id,
	    can->reason, can->unit_id);
	gw_conn_send(c, line, radio_cancel_line(line, sizeof(line), can));
}

static void
orders_entry(struct np_consumer *cons, const struct np_stream_entry *e,
    void *arg)
{
	struct gw *gw = arg;
	struct radio_msg m;
	char err[256];
	const char *msg;
	size_t len;
	long u;

	if ((msg = np_stream_entry_get(e, "msg", &len)) == NULL)
		log_warnx("s:orders %s: no msg field: skipped", e->id);
	else if (radio_msg_parse(msg, len, &m, err, sizeof(err)) == -1)
		log_warnx("s:orders %s: %s: skipped", e->id, err);
	else if (m.kind == RADIO_MSG_CANCELLED)
		orders_cancelled(gw, &m.cancel);
	else if (m.kind == RADIO_MSG_ISSUED) {
		if ((u = np_city_unit(gw->city, m.order.unit_id)) < 0)
			log_warnx("s:orders %s: order %s for unknown unit %s",
			    e->id, m.order.order_id, m.order.unit_id);
		else if (gw->units[u].conn != NULL)
			gw_order_push(gw->units[u].conn, &m.order);
		else
			log_info("order %s: unit %s not connected (it gets the "
			    "order when it authenticates)", m.order.order_id,
			    m.order.unit_id);
	}
	np_consumer_ack(cons, e->id);
}

int
gw_orders_start(struct gw *gw)
{
	static char stream[256];

	if (gw_key(gw, stream, sizeof(stream), "s:orders", NULL) == -1)
		return -1;
	gw->orders = np_svc_consumer(&gw->svc, gw->redis, stream, NULL,
	    orders_entry, gw);
	return gw->orders == NULL ? -1 : 0;
}

/* The outstanding order after AUTH: unit:<id> order, then order:<oid>. */
static void
out_done(struct out_op *op)
{
	gw_redis_done(op->c->gw);
	gw_conn_unref(op->c);
	free(op);
}

static int
out_current(const struct out_op *op)
{
	const struct gw_conn *c = op->c;

	return c->state == GW_ST_READY && c->gw->units[c->unit].conn == c;
}

static void
out_order(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct out_op *op = arg;
	struct radio_msg m;
	char err[256];
	redisReply **el;

	if (reply == NULL || !out_current(op) || reply->type !=
	    REDIS_REPLY_ARRAY || reply->elements != 3)
		goto done;
	el = reply->element;
	if (el[0]->type != REDIS_REPLY_STRING || strcmp(el[0]->str,
	    "issued") != 0 || el[1]->type != REDIS_REPLY_STRING ||
	    strcmp(el[1]->str, gw_conn_unit_id(op->c)) != 0)
		goto done;
	if (el[2]->type != REDIS_REPLY_STRING || radio_msg_parse(el[2]->str,
	    el[2]->len, &m, err, sizeof(err)) == -1 ||
	    m.kind != RADIO_MSG_ISSUED || strcmp(m.order.order_id, op->oid))
		log_warnx("order %s: no usable order.issued in its msg field",
		    op->oid);
	else
		gw_order_push(op->c, &m.order);
done:
	out_done(op);
}

static void
out_unit(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct out_op *op = arg;
	char key[256];

	if (reply == NULL || !out_current(op) || reply->type !=
	    REDIS_REPLY_STRING || !radio_id_valid(reply->str, reply->len) ||
	    gw_key(op->c->gw, key, sizeof(key), "order", reply->str) == -1)
		goto done;
	snprintf(op->oid, sizeof(op->oid), "%s", reply->str);
	if (np_redis_cmdf(r, out_order, op, "HMGET %s state unit_id msg",
	    key) == 0)
		return;
done:
	out_done(op);
}

void
gw_orders_outstanding(struct gw_conn *c)
{
	struct out_op *op;
	char key[256];

	if (gw_key(c->gw, key, sizeof(key), "unit", gw_conn_unit_id(c)) == -1
	    || (op = calloc(1, sizeof(*op))) == NULL)
		return;
	op->c = c;
	if (np_redis_cmdf(c->gw->redis, out_unit, op, "HGET %s order",
	    key) == -1) {
		log_warnx("unit %s: cannot look up its outstanding order "
		    "(Redis down)", gw_conn_unit_id(c));
		free(op);
		return;
	}
	c->gw->pending++;
	gw_conn_ref(c);
}
