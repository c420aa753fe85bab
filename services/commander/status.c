/*
 * status.c: unit.status entries from s:status (the radio gateway's
 * reports).  The entries of one read go to status.lua in one call
 * (batch.c), which applies each in order -- moving the order, the unit
 * and the incident, releasing the unit, dispatching the next candidate
 * after a decline -- and each entry is acked after it.  The tracker and
 * feedback read the same stream in their own groups, so entries are only
 * acked here, never deleted.
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"
#include "np_stream.h"

/* The unit's routine answers at debug level: four per order. */
static void
status_log(struct commander *c, const char *id, const char *result,
    const char *detail)
{
	static const char *const routine[] = { "acked", "enroute", "onscene",
	    "clear", NULL };
	const char *const *r;

	for (r = routine; *r != NULL; r++)
		if (strcmp(result, *r) == 0) {
			log_debug("status entry %s: %s %s", id, result,
			    detail);
			return;
		}
	log_info("status entry %s: %s %s", id, result, detail);
}

void
cmd_status_init(struct commander *c)
{
	cmd_batcher_init(c, &c->b_status, &c->s_status, 5, status_log);
}

void
cmd_on_status(struct np_consumer *consumer, const struct np_stream_entry *ent,
    void *arg)
{
	struct commander *c = arg;
	struct cmd_status_msg st;
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
	argv[0] = st.unit_id;
	argv[1] = cmd_status_name(st.status);
	argv[2] = st.order_id;
	argv[3] = st.disposition;
	argv[4] = st.reason;
	if (np_batch_add(&c->b_status.nb, consumer, ent->id, 5, argv) == -1)
		log_warnx("s:status entry %s: cannot run status; left pending",
		    ent->id);
}

void
cmd_status_batch(struct np_consumer *consumer, void *arg)
{
	np_batch_send(&((struct commander *)arg)->b_status.nb);
}
