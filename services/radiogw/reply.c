/*
 * reply.c: the lines the gateway answers with (docs/RADIO.md):
 *
 *   OK <VERB> [details]
 *   NAK <VERB|-> <code> <message>
 *   BYE <reason> <message>          (just before the gateway hangs up)
 *
 * and the stable refusal codes.  Every line ends in "\r\n" and fits
 * RADIO_OUT_MAX; anything longer is cut, never overflowed.
 */
#include <stdio.h>
#include <string.h>

#include "radiogw.h"

static const char *const err_codes[RADIO_E_COUNT] = {
	[RADIO_E_NONE] = "ok",
	[RADIO_E_BAD_LINE] = "bad_line",
	[RADIO_E_LINE_TOO_LONG] = "line_too_long",
	[RADIO_E_UNKNOWN_VERB] = "unknown_verb",
	[RADIO_E_MISSING_ARG] = "missing_arg",
	[RADIO_E_EXTRA_ARG] = "extra_arg",
	[RADIO_E_BAD_UNIT_ID] = "bad_unit_id",
	[RADIO_E_SECRET_ON_WIRE] = "secret_on_wire",
	[RADIO_E_BAD_PROOF] = "bad_proof",
	[RADIO_E_BAD_LAT] = "bad_lat",
	[RADIO_E_BAD_LON] = "bad_lon",
	[RADIO_E_BAD_NMEA] = "bad_nmea",
	[RADIO_E_BAD_CHECKSUM] = "bad_checksum",
	[RADIO_E_NO_FIX] = "no_fix",
	[RADIO_E_UNSUPPORTED_SENTENCE] = "unsupported_sentence",
	[RADIO_E_BAD_ORDER_ID] = "bad_order_id",
	[RADIO_E_BAD_REASON] = "bad_reason",
	[RADIO_E_BAD_DISPOSITION] = "bad_disposition",
	[RADIO_E_NOT_AUTHENTICATED] = "not_authenticated",
	[RADIO_E_NO_CHALLENGE] = "no_challenge",
	[RADIO_E_ALREADY_AUTHENTICATED] = "already_authenticated",
	[RADIO_E_UNKNOWN_ORDER] = "unknown_order",
	[RADIO_E_NOT_YOUR_ORDER] = "not_your_order",
	[RADIO_E_ORDER_CLOSED] = "order_closed",
	[RADIO_E_RATE_LIMITED] = "rate_limited",
	[RADIO_E_TOO_MANY_CONNECTIONS] = "too_many_connections",
	[RADIO_E_UNAVAILABLE] = "unavailable",
	[RADIO_E_INTERNAL] = "internal",
};

const char *
radio_err_code(enum radio_err e)
{
	return (unsigned)e < RADIO_E_COUNT ? err_codes[e] : "internal";
}

/* snprintf's result, clamped, with "\r\n" always at the end. */
static size_t
finish(char *buf, size_t len, int n)
{
	size_t l = n < 0 ? 0 : (size_t)n;

	if (len < 3)
		return 0;
	if (l > len - 3)
		l = len - 3;
	memcpy(buf + l, "\r\n", 3);
	return l + 2;
}

size_t
radio_fmt_ok(char *buf, size_t len, enum radio_verb v, const char *details)
{
	return finish(buf, len, snprintf(buf, len, "OK %s%s%s",
	    radio_verb_name(v), details != NULL && *details ? " " : "",
	    details != NULL ? details : ""));
}

size_t
radio_fmt_nak(char *buf, size_t len, const struct radio_error *e)
{
	return finish(buf, len, snprintf(buf, len, "NAK %s %s %s",
	    radio_verb_name(e->verb), radio_err_code(e->code),
	    e->msg[0] != '\0' ? e->msg : "refused"));
}

size_t
radio_fmt_bye(char *buf, size_t len, const char *reason, const char *msg)
{
	return finish(buf, len, snprintf(buf, len, "BYE %s %s", reason, msg));
}

int
radio_pct_encode(char *dst, size_t dstlen, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (*s == '\0' || strcmp(s, "-") == 0) {
		/* "-" means none, so a lone "-" is sent encoded */
		if (dstlen < 4)
			return -1;
		snprintf(dst, dstlen, "%s", *s == '\0' ? "-" : "%2D");
		return 0;
	}
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			if (o + 1 >= dstlen)
				return -1;
			dst[o++] = (char)c;
		} else {
			if (o + 3 >= dstlen)
				return -1;
			dst[o++] = '%';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return 0;
}
