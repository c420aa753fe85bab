/*
 * auth.c: who is on the other end of a connection.
 *
 * Today a unit proves itself with the key from deploy/city/units.keys,
 * sent as it is: AUTH <unit_id> <key>.  A later issue replaces this with
 * a challenge/response (the gateway sends a nonce when the unit connects,
 * the unit answers with a MAC of the nonce under its key).  The seams for
 * that are here and only here: gw_auth_begin (on connect: will send the
 * challenge and keep the nonce on the connection) and auth_verify (will
 * check the MAC instead of comparing keys).  What follows a successful
 * check -- replacing an older connection of the same unit, the online
 * status, the outstanding order -- does not change.
 *
 * A wrong key and an unknown unit get the same answer, so the gateway
 * does not tell a stranger which unit ids exist; radio.max_auth_failures
 * wrong attempts close the connection.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "gw.h"
#include "np_city.h"
#include "np_log.h"
#include "np_time.h"

void
gw_auth_begin(struct gw_conn *c)
{
	struct timeval tv = np_tv_ms(c->gw->conf.auth_timeout_ms);

	evtimer_add(&c->timer, &tv);
}

/* Compare in time independent of where the first difference is. */
static int
auth_verify(const struct np_unit *u, const char *credential)
{
	size_t n = strlen(u->key);
	unsigned char diff = 0;

	if (n == 0 || strlen(credential) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(u->key[i] ^ credential[i]);
	return diff == 0;
}

static void
auth_refuse(struct gw_conn *c, const char *unit_id)
{
	struct gw *gw = c->gw;

	gw->stats.auth_failures++;
	c->auth_failures++;
	log_info("%s: AUTH as %s refused (%d of %d)", c->peer, unit_id,
	    c->auth_failures, gw->conf.max_auth_failures);
	gw_conn_nakf(c, RADIO_AUTH, RADIO_E_BAD_KEY, "unknown unit or wrong "
	    "key");
	if (c->auth_failures >= gw->conf.max_auth_failures)
		gw_conn_close(c, "auth_failed", "too many failed AUTH attempts",
		    1);
}

void
gw_auth(struct gw_conn *c, const struct radio_cmd *cmd)
{
	struct gw *gw = c->gw;
	struct gw_conn *old;
	long u;

	if (c->state == GW_ST_READY) {
		gw_conn_nakf(c, RADIO_AUTH, RADIO_E_ALREADY_AUTHENTICATED,
		    "this connection is unit %s", gw_conn_unit_id(c));
		return;
	}
	if ((u = np_city_unit(gw->city, cmd->unit_id)) < 0 ||
	    !auth_verify(&gw->city->units[u], cmd->key)) {
		auth_refuse(c, cmd->unit_id);
		return;
	}
	if ((old = gw->units[u].conn) != NULL) {
		log_info("unit %s: new connection %s replaces %s",
		    cmd->unit_id, c->peer, old->peer);
		old->replaced = 1;
		gw_conn_close(old, "replaced", "the unit authenticated on "
		    "another connection", 1);
	}
	evtimer_del(&c->timer);
	c->state = GW_ST_READY;
	c->unit = u;
	gw->units[u].conn = c;
	gw->stats.auths++;
	log_info("unit %s authenticated from %s", cmd->unit_id, c->peer);
	gw_conn_ok(c, RADIO_AUTH, cmd->unit_id);
	gw_status_link(gw, u, 1);
	gw_orders_outstanding(c);
}
