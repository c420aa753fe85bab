/*
 * routes.c: route.decided entries from s:routes.  Each tier of a
 * decision is one argument group of dispatch.lua (which stores the route
 * with the incident and reserves the tier's next available candidate),
 * the tiers of every entry of one read in one call (batch.c); an entry is
 * acked when that call has answered, so a crash in between replays the
 * entry and the tiers already held change nothing.
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_log.h"
#include "np_stream.h"

static void
tier_log(struct commander *c, const char *id, const char *result,
    const char *detail)
{
	if (strcmp(result, "dispatched") == 0)
		log_info("order %s issued", detail);
	else
		log_info("route entry %s: tier %s", id, result);
}

void
cmd_routes_init(struct commander *c)
{
	cmd_batcher_init(c, &c->b_routes, &c->s_dispatch, 4, tier_log);
}

void
cmd_on_route(struct np_consumer *consumer, const struct np_stream_entry *ent,
    void *arg)
{
	struct commander *c = arg;
	struct cmd_route route;
	const char *msg, *argv[4 * CMD_TIERS_MAX];
	char err[512], tier[CMD_TIERS_MAX][8];
	size_t len, i;

	if ((msg = cmd_entry_msg(c, consumer, ent, "s:routes", &len)) == NULL)
		return;
	c->stats.routes++;
	if (cmd_route_parse(msg, len, &route, err, sizeof(err)) == -1) {
		cmd_entry_refuse(c, consumer, ent, "s:routes", err);
		return;
	}
	log_debug("route for %s: %zu tiers", route.incident_id, route.ntiers);
	if (route.ntiers == 0) {	/* nothing to hold */
		np_consumer_ack(consumer, ent->id);
		return;
	}
	/*
	 * The message once: the further tiers' groups find it stored.  The
	 * candidates as read here spare the script decoding it.
	 */
	for (i = 0; i < route.ntiers; i++) {
		snprintf(tier[i], sizeof(tier[i]), "%d", route.tiers[i]);
		argv[4 * i] = route.incident_id;
		argv[4 * i + 1] = tier[i];
		argv[4 * i + 2] = i == 0 ? msg : "";
		argv[4 * i + 3] = route.cands[i];
	}
	if (np_batch_add(&c->b_routes.nb, consumer, ent->id, 4 * route.ntiers,
	    argv) == -1)
		log_warnx("incident %s: cannot run dispatch; left pending",
		    route.incident_id);
}

void
cmd_routes_batch(struct np_consumer *consumer, void *arg)
{
	np_batch_send(&((struct commander *)arg)->b_routes.nb);
}
