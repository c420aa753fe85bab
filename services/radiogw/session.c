/*
 * session.c: what one line does, once conn.c has framed it and the rate
 * limit let it through.  The parser (line.c) decides whether the line is
 * well formed; here one switch on the verb decides what it means for this
 * connection.  Before the login (AUTH, then PROOF) only AUTH, PROOF, PING
 * and QUIT are accepted.
 */
#include <stdio.h>

#include "gw.h"

static void
session_pos(struct gw_conn *c, const struct radio_cmd *cmd)
{
	char details[64];

	gw_pos_report(c, cmd->lat, cmd->lon);
	if (cmd->verb == RADIO_NMEA) {
		snprintf(details, sizeof(details), "%.6f %.6f", cmd->lat,
		    cmd->lon);
		gw_conn_ok(c, RADIO_NMEA, details);
	} else
		gw_conn_ok(c, RADIO_POS, NULL);
}

void
gw_session_line(struct gw_conn *c, const char *line, size_t len)
{
	struct radio_cmd cmd;
	struct radio_error e;

	switch (radio_line_parse(line, len, &cmd, &e)) {
	case RADIO_PARSE_EMPTY:
		return;
	case RADIO_PARSE_ERROR:
		gw_conn_nak(c, &e);
		return;
	case RADIO_PARSE_CMD:
		break;
	}
	if (c->state == GW_ST_AUTH && cmd.verb != RADIO_AUTH &&
	    cmd.verb != RADIO_PROOF && cmd.verb != RADIO_PING &&
	    cmd.verb != RADIO_QUIT) {
		gw_conn_nakf(c, cmd.verb, RADIO_E_NOT_AUTHENTICATED,
		    "log in first: AUTH <unit_id>, then PROOF <mac>");
		return;
	}
	switch (cmd.verb) {
	case RADIO_AUTH:
		gw_auth(c, &cmd);
		break;
	case RADIO_PROOF:
		gw_auth_proof(c, &cmd);
		break;
	case RADIO_POS:
	case RADIO_NMEA:
		session_pos(c, &cmd);
		break;
	case RADIO_ACK:
	case RADIO_DECLINE:
	case RADIO_ENROUTE:
	case RADIO_ONSCENE:
	case RADIO_CLEAR:
		gw_status_order_verb(c, &cmd);
		break;
	case RADIO_PING:
		gw_conn_send(c, "PONG\r\n", 6);
		break;
	case RADIO_QUIT:
		gw_conn_ok(c, RADIO_QUIT, "bye");
		gw_conn_close(c, "quit", NULL, 1);
		break;
	default:
		gw_conn_nakf(c, cmd.verb, RADIO_E_INTERNAL, "verb not handled");
		break;
	}
}
