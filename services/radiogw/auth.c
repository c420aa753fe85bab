/*
 * auth.c: who is on the other end of a connection -- the login by
 * challenge and response (docs/RADIO.md "Logging in"; the MAC is
 * proof.c's):
 *
 *   C: AUTH <unit_id>               S: CHALLENGE <unit_id> <nonce>
 *   C: PROOF <mac>                  S: OK AUTH <unit_id>
 *                                   or NAK PROOF bad_proof / no_challenge
 *
 * The secret never travels.  Every AUTH draws a new nonce, which replaces
 * any pending one; the first PROOF after it consumes it, right or wrong,
 * so a nonce is answered at most once and a recorded proof cannot be
 * played again (a new connection gets a new nonce).  A unit id that is
 * not in the city gets a challenge all the same and fails only at PROOF,
 * with the same answer as a wrong secret: the gateway does not tell a
 * stranger which unit ids exist.  The old `AUTH <unit_id> <secret>` is
 * refused by name (secret_on_wire) without looking at the secret.
 *
 * Every refused PROOF, PROOF without a challenge and AUTH with a secret
 * counts toward radio.max_auth_failures, which closes the connection;
 * each is logged with the unit id and the peer's address.  The whole
 * exchange must end within radio.auth_timeout_ms of connecting.
 *
 * What follows a good proof -- replacing an older connection of the same
 * unit, the online status, the outstanding order -- is gw_auth_accept.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "gw.h"
#include "np_city.h"
#include "np_log.h"
#include "np_time.h"

/* A secret no unit has, so an unknown unit costs the same HMAC. */
static const char no_secret[] = "nearpost-radio-no-such-unit";

void
gw_auth_begin(struct gw_conn *c)
{
	struct timeval tv = np_tv_ms(c->gw->conf.auth_timeout_ms);

	evtimer_add(&c->timer, &tv);
}

static void
auth_refuse(struct gw_conn *c, const char *unit_id, enum radio_verb verb,
    enum radio_err code, const char *why)
{
	struct gw *gw = c->gw;

	gw->stats.auth_failures++;
	c->auth_failures++;
	log_warnx("%s: login as unit %s refused: %s (%d of %d)", c->peer,
	    unit_id, why, c->auth_failures, gw->conf.max_auth_failures);
	switch (code) {
	case RADIO_E_SECRET_ON_WIRE:
		gw_conn_nakf(c, verb, code, "never send the secret: send AUTH "
		    "<unit_id>, then PROOF <HMAC-SHA256 of the CHALLENGE> "
		    "(docs/RADIO.md)");
		break;
	case RADIO_E_NO_CHALLENGE:
		gw_conn_nakf(c, verb, code, "no challenge to answer: send "
		    "AUTH <unit_id> first (a challenge is answered once)");
		break;
	default:
		gw_conn_nakf(c, verb, code, "unknown unit, wrong secret or "
		    "proof not for this challenge");
		break;
	}
	if (c->auth_failures >= gw->conf.max_auth_failures)
		gw_conn_close(c, "auth_failed", "too many failed logins", 1);
}

static void
auth_accept(struct gw_conn *c, long u)
{
	struct gw *gw = c->gw;
	struct gw_conn *old;
	const char *id = gw->city->units[u].id;

	if ((old = gw->units[u].conn) != NULL) {
		log_info("unit %s: new connection %s replaces %s", id, c->peer,
		    old->peer);
		old->replaced = 1;
		gw_conn_close(old, "replaced", "the unit authenticated on "
		    "another connection", 1);
	}
	evtimer_del(&c->timer);
	c->state = GW_ST_READY;
	c->unit = u;
	gw->units[u].conn = c;
	gw->stats.auths++;
	log_info("unit %s authenticated from %s", id, c->peer);
	gw_conn_ok(c, RADIO_AUTH, id);
	gw_status_link(gw, u, 1);
	gw_orders_outstanding(c);
}

/* AUTH <unit_id>: a challenge, for a known unit or not. */
void
gw_auth(struct gw_conn *c, const struct radio_cmd *cmd)
{
	char line[RADIO_OUT_MAX];

	if (c->state == GW_ST_READY) {
		gw_conn_nakf(c, RADIO_AUTH, RADIO_E_ALREADY_AUTHENTICATED,
		    "this connection is unit %s", gw_conn_unit_id(c));
		return;
	}
	c->challenged = 0;
	if (cmd->secret_on_wire) {
		auth_refuse(c, cmd->unit_id, RADIO_AUTH, RADIO_E_SECRET_ON_WIRE,
		    "it sent its secret in clear (the old AUTH): change that "
		    "unit's secret");
		return;
	}
	if (radio_nonce_new(c->nonce) == -1) {
		log_warn("%s: no random bytes for a challenge", c->peer);
		gw_conn_nakf(c, RADIO_AUTH, RADIO_E_INTERNAL, "cannot make a "
		    "challenge now: try again");
		return;
	}
	snprintf(c->chal_unit, sizeof(c->chal_unit), "%s", cmd->unit_id);
	c->challenged = 1;
	gw_conn_send(c, line, radio_challenge_line(line, sizeof(line),
	    c->chal_unit, c->nonce));
}

/* PROOF <mac>: the answer to the pending challenge, which it uses up. */
void
gw_auth_proof(struct gw_conn *c, const struct radio_cmd *cmd)
{
	struct gw *gw = c->gw;
	const char *secret = no_secret;
	long u;
	int good;

	if (c->state == GW_ST_READY) {
		gw_conn_nakf(c, RADIO_PROOF, RADIO_E_ALREADY_AUTHENTICATED,
		    "this connection is unit %s", gw_conn_unit_id(c));
		return;
	}
	if (!c->challenged) {
		auth_refuse(c, "-", RADIO_PROOF, RADIO_E_NO_CHALLENGE,
		    "PROOF without a pending challenge");
		return;
	}
	c->challenged = 0;
	if ((u = np_city_unit(gw->city, c->chal_unit)) >= 0)
		secret = gw->city->units[u].key;
	good = radio_proof_check(secret, c->chal_unit, c->nonce, cmd->proof);
	if (!good || u < 0 || *secret == '\0') {
		auth_refuse(c, c->chal_unit, RADIO_PROOF, RADIO_E_BAD_PROOF,
		    u < 0 ? "no such unit" : "wrong proof");
		return;
	}
	auth_accept(c, u);
}
