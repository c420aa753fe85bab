/*
 * Fuzz target: radiogw's line parser (everything a field unit can send,
 * NMEA sentences included) and the replies built from its verdicts.
 * Inputs starting with '{' also go through the s:orders message parser
 * and, when accepted, become ORDER / CANCEL lines; PROOF arguments go
 * through the login's proof check.  Every refusal must carry a code and
 * a message; every line built must end in "\r\n".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "radiogw.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_line(const char *buf, size_t n)
{
	if (n < 2 || n >= RADIO_OUT_MAX || buf[n - 2] != '\r' ||
	    buf[n - 1] != '\n' || memchr(buf, '\n', n - 1) != NULL)
		abort();
}

static void
messages(const char *data, size_t size)
{
	struct radio_msg m;
	char err[256], out[RADIO_OUT_MAX];

	if (radio_msg_parse(data, size, &m, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (m.kind == RADIO_MSG_ISSUED)
		check_line(out, radio_order_line(out, sizeof(out), &m.order));
	else if (m.kind == RADIO_MSG_CANCELLED)
		check_line(out, radio_cancel_line(out, sizeof(out),
		    &m.cancel));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct radio_cmd c;
	struct radio_error e;
	char out[RADIO_OUT_MAX];

	switch (radio_line_parse((const char *)data, size, &c, &e)) {
	case RADIO_PARSE_ERROR:
		if (e.code == RADIO_E_NONE || e.msg[0] == '\0')
			abort();	/* every refusal must say why */
		check_line(out, radio_fmt_nak(out, sizeof(out), &e));
		break;
	case RADIO_PARSE_CMD:
		if (c.verb == RADIO_NONE || c.verb >= RADIO_VERBS)
			abort();
		check_line(out, radio_fmt_ok(out, sizeof(out), c.verb,
		    c.order_id));
		/* a proof is checked whatever it holds, and never passes */
		if (c.verb == RADIO_PROOF && radio_proof_check("fuzz-secret-"
		    "0123456789", "U-1", "00112233445566778899aabbccddeeff",
		    c.proof))
			abort();
		break;
	case RADIO_PARSE_EMPTY:
		break;
	}
	if (size > 0 && data[0] == '{')
		messages((const char *)data, size);
	return 0;
}
