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
#include <jansson.h>

#include "commander.h"
#include "np_json.h"
#include "np_log.h"
#include "np_stream.h"

enum ask {
	ASK_NOTHING,
	ASK_REDISPATCH,		/* inc, tier */
	ASK_CANCEL,		/* inc */
};

static void
script_done(struct commander *c, const redisReply *r, void *arg)
{
	struct cmd_entry *e = arg;

	if (r != NULL)
		log_info("entry %s: %s %s", e->id, cmd_result(r),
		    cmd_detail(r));
	cmd_ackdue_note(c, cmd_due(r));
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

/* What the message asks (inc, tier filled), or -1 with err naming the field. */
static int
parse(const char *msg, size_t len, char *inc, char *tier, char *err,
    size_t errlen)
{
	const char *type, *action;
	struct np_jerr e;
	long long t;
	json_t *j;
	int rv = -1;

	if ((j = np_json_parse(msg, len, &e)) == NULL)
		return np_jerr_format(&e, err, errlen);
	if (!json_is_object(j)) {
		np_jerr_set(&e, NULL, NULL, "must be a JSON object");
		goto done;
	}
	if (np_json_str(j, "", "type", 1, 64, &type, &e) == -1)
		goto done;
	if (strcmp(type, "incident.closed") == 0) {
		if (np_json_id(j, "", "incident_id", 1, CMD_ID_MAX, inc,
		    &e) == 0)
			rv = ASK_CANCEL;
		goto done;
	}
	if (strcmp(type, "escalation") != 0) {
		rv = ASK_NOTHING;
		goto done;
	}
	if (np_json_str(j, "", "action", 1, 32, &action, &e) == -1)
		goto done;
	if (strcmp(action, "redispatch") != 0) {
		rv = ASK_NOTHING;
		goto done;
	}
	if (np_json_id(j, "", "incident_id", 1, CMD_ID_MAX, inc, &e) == -1 ||
	    np_json_int(j, "", "tier", 1, 1, CMD_TIERS_MAX, &t, &e) == -1)
		goto done;
	snprintf(tier, 8, "%lld", t);
	rv = ASK_REDISPATCH;
done:
	json_decref(j);
	return rv == -1 ? np_jerr_format(&e, err, errlen) : rv;
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
	if ((rv = parse(msg, len, inc, tier, err, sizeof(err))) == -1) {
		cmd_entry_refuse(c, consumer, ent, stream, err);
		return;
	}
	if (rv == ASK_NOTHING) {
		np_consumer_ack(consumer, ent->id);
		return;
	}
	argv[0] = inc;
	argv[1] = tier;
	if (rv == ASK_CANCEL) {
		if (np_batch_add(&c->b_cancel.nb, consumer, ent->id, 1,
		    argv) == -1)
			log_warnx("%s entry %s: cannot run cancel; left "
			    "pending", stream, ent->id);
		return;
	}
	if ((e = cmd_entry_new(c, consumer, ent->id)) == NULL)
		return;
	e->pending = 1;
	if (cmd_eval(c, &c->s_redispatch, 2, argv, script_done, e) == -1) {
		log_warnx("%s entry %s: cannot run redispatch", stream,
		    ent->id);
		cmd_entry_done(e, 1);
	}
}
