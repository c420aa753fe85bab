/*
 * proof.c: the cryptographic half of a unit's login (docs/RADIO.md).
 *
 *   C: AUTH <unit_id>
 *   S: CHALLENGE <unit_id> <nonce>        nonce: 16 random bytes, hex
 *   C: PROOF <mac>                        mac: HMAC-SHA256, hex
 *
 * The MAC binds the secret to this unit and this nonce: key = the unit's
 * secret from units.keys (the bytes as written), message =
 * "nearpost-radio-v1 <unit_id> <nonce>".  The context string keeps a MAC
 * made for anything else from passing as a login; the unit id keeps a
 * proof for one unit's challenge from logging in another.  A nonce is
 * drawn from getrandom(2) for every AUTH and used at most once (the
 * session forgets it at the first PROOF), so a recorded proof is worth
 * nothing later.  The secret itself never travels.
 *
 * The session state (which nonce is pending, failures) is auth.c's; here
 * are only the functions, for the daemon, the unit tests and clients
 * written in C.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "np_sha256.h"
#include "radiogw.h"

int
radio_nonce_new(char *nonce)
{
	uint8_t raw[RADIO_NONCE_LEN];

	if (np_random(raw, sizeof(raw)) == -1)
		return -1;
	np_hex(raw, sizeof(raw), nonce);
	return 0;
}

void
radio_proof_make(const char *secret, const char *unit_id, const char *nonce,
    char *out)
{
	char msg[sizeof(RADIO_PROOF_CONTEXT) + RADIO_ID_MAX +
	    RADIO_PROOF_MAX + 3];
	uint8_t mac[NP_SHA256_LEN];
	int n;

	n = snprintf(msg, sizeof(msg), "%s %s %s", RADIO_PROOF_CONTEXT,
	    unit_id, nonce);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;		/* ids and nonces are bounded: never */
	np_hmac_sha256(secret, strlen(secret), msg, (size_t)n, mac);
	np_hex(mac, sizeof(mac), out);
}

int
radio_proof_check(const char *secret, const char *unit_id,
    const char *nonce, const char *proof)
{
	char want[RADIO_MAC_HEX + 1], got[RADIO_MAC_HEX + 1];
	int wellformed = strlen(proof) == RADIO_MAC_HEX;

	for (size_t i = 0; i < RADIO_MAC_HEX; i++) {
		unsigned char ch = wellformed ? (unsigned char)proof[i] : '0';

		if (!isxdigit(ch))
			wellformed = 0;
		got[i] = (char)tolower(ch);
	}
	got[RADIO_MAC_HEX] = '\0';
	radio_proof_make(secret, unit_id, nonce, want);
	return np_ct_equal(want, got, RADIO_MAC_HEX) && wellformed;
}

size_t
radio_challenge_line(char *buf, size_t len, const char *unit_id,
    const char *nonce)
{
	int n = snprintf(buf, len, "CHALLENGE %s %s\r\n", unit_id, nonce);

	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}
