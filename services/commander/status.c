/*
 * status.c: unit.status entries from s:status (the radio gateway's
 * reports).  One run of status.lua applies the status -- moving the
 * order, the unit and the incident, releasing the unit, dispatching the
 * next candidate after a decline -- and the entry is acked after it.
 * The tracker and feedback read the same stream in their own groups, so
 * entries are only acked here, never deleted.
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"
#include "np_stream.h"

static void
status_done(struct commander *c, const redisReply *r, void *arg)
{
	struct cmd_entry *e = arg;

	if (r != NULL)
		log_info("status entry %s: %s %s", e->id, cmd_result(r),
		    cmd_detail(r));
	cmd_ackdue_note(c, cmd_due(r));
	cmd_entry_done(e, cmd_keep(c, r));
}

void
cmd_on_status(struct np_consumer *consumer, const struct np_stream_entry *ent,
    void *arg)
{
	struct commander *c = arg;
	struct cmd_status_msg st;
	struct cmd_entry *e;
	const char *msg, *argv[5];
	char err[512];
	size_t len;

	if ((msg = cmd_entry_msg(c, consumer, ent, "s:status", &len)) == NULL)
		return;
	c->stats.statuses++;
	if (cmd_status_parse(msg, len, &st, err, sizeof(err)) == -1) {
		cmd_entry_refuse(c, consumer, ent, "s:status", err);
		return;
	}
	if ((e = cmd_entry_new(c, consumer, ent->id)) == NULL)
		return;
	argv[0] = st.unit_id;
	argv[1] = cmd_status_name(st.status);
	argv[2] = st.order_id;
	argv[3] = st.disposition;
	argv[4] = st.reason;
	e->pending = 1;
	if (cmd_eval(c, &c->s_status, 5, argv, status_done, e) == -1) {
		log_warnx("s:status entry %s: cannot run status", ent->id);
		cmd_entry_done(e, 1);
	}
}
