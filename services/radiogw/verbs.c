/*
 * verbs.c: the order verbs (ACK DECLINE ENROUTE ONSCENE CLEAR), checked
 * and written to s:status in batches.
 *
 * Every verb line that arrives in one pass of the event loop, from every
 * connection, joins one batch; at the end of the pass (an event made
 * active by the first line) the batch goes to Redis as one EVALSHA of
 * verbs.lua, which for each line in turn looks the order up (HMGET
 * order:<oid> unit_id state incident_id) and, when the unit may still say
 * that about it, XADDs its unit.status to s:status -- what two round
 * trips per line did before, without the round trips.  Only then is each
 * line answered, in the order of its connection's lines:
 *
 *   ok       -> OK <VERB> <oid> (an OK means the commander will see it),
 *               unit.status on the events bus
 *   unknown / notyours / closed -> NAK unknown_order / not_your_order /
 *               order_closed; a late answer to an unanswered order also
 *               reports the unit online (it is reachable again)
 *   Redis down, connection lost, an error -> NAK unavailable: the unit
 *               sends the line again (a duplicate is harmless: the
 *               commander's transitions are idempotent)
 *
 * Replies keep the order of a connection's lines: while a connection has
 * verbs waiting (c->nverbs), conn.c reads its next line only if that is
 * another verb that will be accepted as it is (gw_verb_next: a whole
 * line, a token in the bucket, parsed as an order verb); anything else
 * waits until the verbs are answered.  At most GW_VERBS_MAX verbs wait per
 * connection, GW_BATCH_MAX lines go in one script call.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "gw.h"
#include "np_bus.h"
#include "np_city.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_time.h"

#define ARGS_PER_LINE	4
#define ARGS_HEAD	2
/* lines per verbs.lua call: as many as one call's arguments allow (256
 * made 1,026 arguments: np_redis_eval refused the call and a burst of
 * lines was answered NAK unavailable) */
#define GW_BATCH_MAX	((NP_REDIS_EVAL_MAX_ARGS - ARGS_HEAD) / ARGS_PER_LINE)
_Static_assert(ARGS_HEAD + ARGS_PER_LINE * GW_BATCH_MAX <=
    NP_REDIS_EVAL_MAX_ARGS, "a verbs.lua call within np_redis_eval's limit");

extern const char radiogw_verbs_lua[];

static struct np_redis_script script_verbs = { "verbs", radiogw_verbs_lua,
    "" };

struct gw_verb {
	TAILQ_ENTRY(gw_verb)	 entry;
	struct gw_conn		*c;
	struct radio_cmd	 cmd;
	char			*msg;	/* unit.status without incident_id */
};

struct verb_batch {
	struct gw		*gw;
	struct gw_verbq		 ops;
	size_t			 n;
};

static void
verb_unavailable(struct gw_conn *c, enum radio_verb v, const char *why)
{
	c->gw->stats.unavailable++;
	gw_conn_nakf(c, v, RADIO_E_UNAVAILABLE, "%s: send the line again",
	    why);
}

/* One line's answer from verbs.lua (code NULL: none, why says so). */
static void
verb_answer(struct gw_verb *op, const char *code, const char *detail,
    size_t dlen, const char *why)
{
	struct gw_conn *c = op->c;
	struct gw *gw = c->gw;
	enum radio_verb v = op->cmd.verb;
	const char *oid = op->cmd.order_id;

	if (code != NULL && strcmp(code, "ok") == 0) {
		gw->stats.statuses++;
		if (gw->bus_events != NULL)
			(void)np_bus_publish(gw->bus_events, "unit.status",
			    detail, dlen);
		gw_order_answered(c, oid);
		gw_conn_ok(c, v, oid);
	} else if (!gw_conn_alive(c))
		;
	else if (code == NULL)
		verb_unavailable(c, v, why != NULL ? why : "no answer");
	else if (strcmp(code, "unknown") == 0)
		gw_conn_nakf(c, v, RADIO_E_UNKNOWN_ORDER, "no order %s", oid);
	else if (strcmp(code, "notyours") == 0)
		gw_conn_nakf(c, v, RADIO_E_NOT_YOUR_ORDER, "order %s is not "
		    "for unit %s", oid, gw_conn_unit_id(c));
	else if (strcmp(code, "closed") == 0) {
		gw_conn_nakf(c, v, RADIO_E_ORDER_CLOSED, "order %s is %s", oid,
		    detail);
		/* The unit was made unreachable for not answering in time;
		 * now it speaks: online again, so it is offered orders. */
		if (strcmp(detail, "noanswer") == 0) {
			log_info("unit %s answered order %s after its "
			    "deadline: reachable again", gw_conn_unit_id(c),
			    oid);
			gw_status_link(gw, c->unit, 1);
		}
	} else {
		log_warnx("verbs script: unexpected answer %s", code);
		gw_conn_nakf(c, v, RADIO_E_INTERNAL, "order lookup failed");
	}
}

/* The line is answered: its connection may read on. */
static void
verb_free(struct gw_verb *op)
{
	struct gw_conn *c = op->c;

	gw_redis_done(c->gw);
	free(op->msg);
	free(op);
	if (--c->nverbs == 0)
		gw_conn_resume(c);
	gw_conn_unref(c);
}

static void
batch_answer_all(struct verb_batch *b, const char *why)
{
	struct gw_verb *op;

	while ((op = TAILQ_FIRST(&b->ops)) != NULL) {
		TAILQ_REMOVE(&b->ops, op, entry);
		verb_answer(op, NULL, NULL, 0, why);
		verb_free(op);
	}
	free(b);
}

static void
batch_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct verb_batch *b = arg;
	struct gw_verb *op;
	redisReply *code, *detail;
	size_t i = 0;

	if (reply == NULL) {
		batch_answer_all(b, "lost the dispatch store");
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 * b->n) {
		log_warnx("verbs script: %s", reply->type == REDIS_REPLY_ERROR ?
		    reply->str : "unexpected reply");
		batch_answer_all(b, "the dispatch store did not confirm");
		return;
	}
	while ((op = TAILQ_FIRST(&b->ops)) != NULL) {
		TAILQ_REMOVE(&b->ops, op, entry);
		code = reply->element[i++];
		detail = reply->element[i++];
		if (code->type == REDIS_REPLY_STRING &&
		    detail->type == REDIS_REPLY_STRING)
			verb_answer(op, code->str, detail->str, detail->len,
			    NULL);
		else
			verb_answer(op, NULL, NULL, 0, "the dispatch store did "
			    "not confirm");
		verb_free(op);
	}
	free(b);
}

/* One verbs.lua call for the batch; its ops are answered either way. */
static void
batch_send(struct verb_batch *b)
{
	struct gw *gw = b->gw;
	size_t argc = ARGS_HEAD + ARGS_PER_LINE * b->n, k = ARGS_HEAD;
	const char **argv = calloc(argc, sizeof(*argv));
	size_t *lens = calloc(argc, sizeof(*lens));
	char stream[256], prefix[256];
	struct gw_verb *op;
	int rc = -1;

	if (argv == NULL || lens == NULL ||
	    gw_key(gw, stream, sizeof(stream), "s:status", NULL) == -1 ||
	    gw_key(gw, prefix, sizeof(prefix), "order:", NULL) == -1)
		goto out;
	argv[0] = stream;
	argv[1] = prefix;
	TAILQ_FOREACH(op, &b->ops, entry) {
		argv[k++] = op->cmd.order_id;
		argv[k++] = gw->city->units[op->c->unit].id;
		argv[k++] = radio_verb_status(op->cmd.verb);
		argv[k++] = op->msg;
	}
	for (k = 0; k < argc; k++)
		lens[k] = strlen(argv[k]);
	rc = np_redis_eval(gw->redis, &script_verbs, batch_reply, b, 1,
	    (int)argc, argv, lens);
	if (rc == 0)
		gw->stats.verb_batches++;
out:
	free(argv);
	free(lens);
	if (rc == -1)
		batch_answer_all(b, "the dispatch store is unreachable");
}

/* End of the loop pass: the lines gathered go to Redis. */
static void
verbs_flush(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;
	struct verb_batch *b;
	struct gw_verb *op;

	while (!TAILQ_EMPTY(&gw->verbs)) {
		if ((b = calloc(1, sizeof(*b))) == NULL) {
			log_warnx("out of memory: order verbs answered later");
			event_active(gw->ev_verbs, EV_TIMEOUT, 0);
			return;
		}
		b->gw = gw;
		TAILQ_INIT(&b->ops);
		while (b->n < GW_BATCH_MAX &&
		    (op = TAILQ_FIRST(&gw->verbs)) != NULL) {
			TAILQ_REMOVE(&gw->verbs, op, entry);
			TAILQ_INSERT_TAIL(&b->ops, op, entry);
			b->n++;
		}
		batch_send(b);
	}
}

int
gw_verbs_start(struct gw *gw)
{
	TAILQ_INIT(&gw->verbs);
	gw->ev_verbs = event_new(gw->svc.base, -1, 0, verbs_flush, gw);
	return gw->ev_verbs == NULL ? -1 : 0;
}

void
gw_verbs_stop(struct gw *gw)
{
	if (gw->ev_verbs == NULL)
		return;
	verbs_flush(-1, 0, gw);		/* np_redis_free answers them */
	event_free(gw->ev_verbs);
	gw->ev_verbs = NULL;
}

void
gw_status_order_verb(struct gw_conn *c, const struct radio_cmd *cmd)
{
	struct gw *gw = c->gw;
	struct gw_verb *op;
	char msg[RADIO_OUT_MAX];

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		gw_conn_nakf(c, cmd->verb, RADIO_E_INTERNAL, "out of memory");
		return;
	}
	if (radio_status_text(msg, sizeof(msg), np_now_ms(), gw_conn_unit_id(c),
	    radio_verb_status(cmd->verb), cmd->order_id, cmd->verb ==
	    RADIO_CLEAR ? cmd->word : NULL, cmd->verb == RADIO_DECLINE ?
	    cmd->word : NULL) > 0)
		op->msg = strdup(msg);
	if (op->msg == NULL) {
		free(op);
		gw_conn_nakf(c, cmd->verb, RADIO_E_INTERNAL, "out of memory");
		return;
	}
	op->c = c;
	op->cmd = *cmd;
	if (TAILQ_EMPTY(&gw->verbs))
		event_active(gw->ev_verbs, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&gw->verbs, op, entry);
	gw->pending++;
	c->nverbs++;
	gw_conn_ref(c);
}

/*
 * c has verbs waiting: may its next line be read now?  Only a whole line
 * that will be taken as it is -- a token in the bucket, an order verb
 * that parses -- so that no reply to it can overtake theirs.
 */
int
gw_verb_next(struct gw_conn *c, struct evbuffer *in)
{
	size_t max = (size_t)c->gw->conf.max_line, eol;
	struct evbuffer_ptr p;
	struct radio_cmd cmd;
	struct radio_error e;
	ev_ssize_t n;

	if (c->discarding || c->state != GW_ST_READY ||
	    c->nverbs >= GW_VERBS_MAX || !radio_bucket_has(&c->bucket,
	    c->gw->conf.max_lines_per_s, np_mono_ms()))
		return 0;
	p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_LF);
	if (p.pos < 0 || (size_t)p.pos > max + 1 ||
	    (n = evbuffer_copyout(in, c->line, (size_t)p.pos)) != p.pos ||
	    ((size_t)n == max + 1 && c->line[n - 1] != '\r'))
		return 0;
	if (radio_line_parse(c->line, (size_t)n, &cmd, &e) != RADIO_PARSE_CMD)
		return 0;
	return radio_verb_status(cmd.verb) != NULL;
}
