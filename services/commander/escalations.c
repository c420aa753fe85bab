/*
 * escalations.c: what the later stages ask of the commander
 * (docs/TRACK.md).  Entries of s:escalations: an escalation with action
 * redispatch runs redispatch.lua for its incident and tier (the tier's
 * next candidate goes out in addition to the unit already sent); every
 * other message there (mark.missed, the steps for supervisors and the
 * command centre) is not the commander's business and is acked at once.
 * Entries of s:closed: incident.closed runs cancel.lua, which takes back
 * every order still live (a supervisor may close an incident while units
 * are out) and releases the units -- the closed incidents of one read in
 * one call (batch.c).
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"
#include "np_stream.h"

static void
script_done(const redisReply *r, void *arg)
{
	struct cmd_entry *e = arg;
	struct commander *c = e->c;

	if (r != NULL)
		log_info("entry %s: %s %s", e->id, np_script_result(r),
		    np_script_detail(r));
	cmd_ackdue_note(c, np_script_due(r));
	cmd_entry_done(e, cmd_keep(c, r));
}

/* Most closed incidents have no live order left: debug level. */
static void
cancel_log(struct commander *c, const char *id, const char *result,
    const char *detail)
{
	if (strcmp(detail, "0") == 0)
		log_debug("entry %s: %s %s", id, result, detail);
	else
		log_info("entry %s: %s %s", id, result, detail);
}

void
cmd_escalations_init(struct commander *c)
{
	cmd_batcher_init(c, &c->b_cancel, &c->s_cancel, 1, cancel_log);
}

void
cmd_escalations_batch(struct np_consumer *consumer, void *arg)
{
	np_batch_send(&((struct commander *)arg)->b_cancel.nb);
}

void
cmd_on_escalation(struct np_consumer *consumer,
    const struct np_stream_entry *ent, void *arg)
{
	struct commander *c = arg;
	const char *stream = consumer == c->closed ? "s:closed" :
	    "s:escalations";
	struct cmd_entry *e;
	const char *msg, *argv[2];
	char err[512], inc[CMD_ID_MAX + 1], tier[8];
	size_t len;
	int rv;

	if ((msg = cmd_entry_msg(c, consumer, ent, stream, &len)) == NULL)
		return;
	if ((rv = cmd_ask_fast(msg, len, inc, tier)) == -1 &&
	    (rv = cmd_ask_strict(msg, len, inc, tier, err,
	    sizeof(err))) == -1) {
		cmd_entry_refuse(c, consumer, ent, stream, err);
		return;
	}
	if (rv == CMD_ASK_NOTHING) {
		np_consumer_ack(consumer, ent->id);
		return;
	}
	argv[0] = inc;
	argv[1] = tier;
	if (rv == CMD_ASK_CANCEL) {
		if (np_batch_add(&c->b_cancel.nb, consumer, ent->id, 1,
		    argv) == -1)
			log_warnx("%s entry %s: cannot run cancel; left "
			    "pending", stream, ent->id);
		return;
	}
	if ((e = cmd_entry_new(c, consumer, ent->id)) == NULL)
		return;
	e->pending = 1;
	if (np_script_call(&c->scripter, &c->s_redispatch, 2, argv,
	    script_done, e) == -1) {
		log_warnx("%s entry %s: cannot run redispatch", stream,
		    ent->id);
		cmd_entry_done(e, 1);
	}
}
