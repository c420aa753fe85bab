/*
 * eval.c: running the commander's scripts.
 *
 * Each script is embedded whole by the build (CMakeLists.txt: text.lua
 * and lib.lua in front of each but seed.lua); dispatch, status and
 * cancel take a stream read's entries at once (batch.c).  np_script
 * sends a call through np_call -- its arguments copied, re-sent with a
 * doubling back-off while Redis is unreachable, the connection drops
 * before the answer (the outcome is unknown, but every script is
 * idempotent, so running it again is safe) or Redis answers with a
 * passing condition (LOADING, BUSY, ...) -- and judges the answer: an
 * error reply is a bug or bad data that no retry will fix, logged and
 * the call given up.  The frames of an answer are published before the
 * caller sees it: every one on the events bus, unit.status also on the
 * units bus for the router; order.issued ones are the orders counted.
 */
#include <stdio.h>
#include <string.h>

#include "commander.h"
#include "np_bus.h"
#include "np_log.h"
#include "np_time.h"

#define BACKOFF_MAX_MS	2000

/* KEYS ackdue, orders; ARGV prefix, now, ack timeout (see lib.lua). */
static void
head(void *owner, const char **argv, char buf[][NP_CALL_BUF])
{
	struct commander *c = owner;

	snprintf(buf[0], NP_CALL_BUF, "%lld", (long long)np_now_ms());
	snprintf(buf[1], NP_CALL_BUF, "%d", c->conf.ack_timeout_ms);
	argv[0] = c->k_ackdue;
	argv[1] = c->k_orders;
	argv[2] = c->svc.keys;
	argv[3] = buf[0];
	argv[4] = buf[1];
}

/* What a frame means to the commander, beyond the events bus. */
static void
frame(void *owner, const char *topic, const char *json, size_t len)
{
	struct commander *c = owner;

	if (strcmp(topic, "order.issued") == 0)
		c->stats.dispatched++;
	else if (strcmp(topic, "unit.status") == 0 && c->bus_units != NULL &&
	    np_bus_publish(c->bus_units, topic, json, len) == -1)
		log_debug("unit hint not published");
}

void
cmd_scripts_init(struct commander *c)
{
	c->s_dispatch = (struct np_redis_script){ "dispatch", cmd_dispatch_lua,
	    "" };
	c->s_status = (struct np_redis_script){ "status", cmd_status_lua, "" };
	c->s_noanswer = (struct np_redis_script){ "noanswer", cmd_noanswer_lua,
	    "" };
	c->s_seed = (struct np_redis_script){ "seed", cmd_seed_lua, "" };
	c->s_redispatch = (struct np_redis_script){ "redispatch",
	    cmd_redispatch_lua, "" };
	c->s_cancel = (struct np_redis_script){ "cancel", cmd_cancel_lua, "" };
	if (np_svc_key(&c->svc, c->k_ackdue, sizeof(c->k_ackdue),
	    "orders:ackdue") == -1 ||
	    np_svc_key(&c->svc, c->k_orders, sizeof(c->k_orders),
	    "s:orders") == -1 ||
	    np_svc_key(&c->svc, c->k_routes, sizeof(c->k_routes),
	    "s:routes") == -1 ||
	    np_svc_key(&c->svc, c->k_status, sizeof(c->k_status),
	    "s:status") == -1 ||
	    np_svc_key(&c->svc, c->k_escalations, sizeof(c->k_escalations),
	    "s:escalations") == -1 ||
	    np_svc_key(&c->svc, c->k_closed, sizeof(c->k_closed),
	    "s:closed") == -1)
		fatalx("key prefix too long");
	c->scripter = (struct np_scripter){ .caller = { .base = c->svc.base,
	    .first_ms = c->conf.retry_ms, .max_ms = BACKOFF_MAX_MS,
	    .stopping = &c->svc.stopping, .nkeys = 2, .nhead = 5,
	    .head = head, .owner = c }, .frame = frame,
	    .failed = &c->stats.failed };
}
