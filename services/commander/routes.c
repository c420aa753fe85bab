/*
 * routes.c: route.decided entries from s:routes.  Each tier of the
 * decision is one run of dispatch.lua (which stores the route with the
 * incident and reserves the tier's next available candidate); the entry
 * is acked when every tier has answered, so a crash in between replays
 * the entry and the tiers already held change nothing.
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"
#include "np_stream.h"

static void
tier_done(struct commander *c, const redisReply *r, void *arg)
{
	struct cmd_entry *e = arg;
	const char *result = cmd_result(r);

	if (strcmp(result, "dispatched") == 0)
		log_info("order %s issued", cmd_detail(r));
	else if (r != NULL)
		log_info("route entry %s: tier %s", e->id, result);
	cmd_ackdue_note(c, cmd_due(r));
	cmd_entry_done(e, cmd_keep(c, r));
}

void
cmd_on_route(struct np_consumer *consumer, const struct np_stream_entry *ent,
    void *arg)
{
	struct commander *c = arg;
	struct cmd_route route;
	struct cmd_entry *e;
	const char *msg, *argv[3];
	char err[512], tier[8];
	size_t len, i;

	if ((msg = cmd_entry_msg(c, consumer, ent, "s:routes", &len)) == NULL)
		return;
	c->stats.routes++;
	if (cmd_route_parse(msg, len, &route, err, sizeof(err)) == -1) {
		cmd_entry_refuse(c, consumer, ent, "s:routes", err);
		return;
	}
	if ((e = cmd_entry_new(c, consumer, ent->id)) == NULL)
		return;
	argv[0] = route.incident_id;
	argv[1] = tier;
	argv[2] = msg;
	e->pending = 1;			/* held until every tier is sent */
	for (i = 0; i < route.ntiers; i++) {
		snprintf(tier, sizeof(tier), "%d", route.tiers[i]);
		e->pending++;
		if (cmd_eval(c, &c->s_dispatch, 3, argv, tier_done, e) == -1) {
			log_warnx("incident %s tier %s: cannot run dispatch",
			    route.incident_id, tier);
			cmd_entry_done(e, 1);
		}
	}
	log_debug("route for %s: %zu tiers", route.incident_id, route.ntiers);
	cmd_entry_done(e, 0);		/* the guard */
}
