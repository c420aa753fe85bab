/*
 * radiogw's login proof (proof.c): the MAC of a known vector (the one in
 * docs/RADIO.md, computed independently with Python's hmac), and that a
 * proof fails for another secret, unit, nonce or a mangled MAC; nonces
 * are fresh hex; the CHALLENGE line.
 */
#include <check.h>
#include <ctype.h>
#include <string.h>

#include "np_testloop.h"
#include "radiogw.h"

#define SECRET	"k3y-0031-0123456789abcdef"
#define UNIT	"U-0031"
#define NONCE	"8c1f0e6f2b9d4a7e5c3b1a0f9e8d7c6b"
/* hmac.new(SECRET, "nearpost-radio-v1 U-0031 " NONCE, sha256).hexdigest() */
#define MAC	"257aca5a474bbb3f9e5578f6a2d5aac13fc09e393d3b65b92ee50daa889e46d7"

START_TEST(known_vector)
{
	char mac[RADIO_MAC_HEX + 1];

	radio_proof_make(SECRET, UNIT, NONCE, mac);
	ck_assert_str_eq(mac, MAC);
	ck_assert_int_eq(radio_proof_check(SECRET, UNIT, NONCE, MAC), 1);
}
END_TEST

START_TEST(wrong_proofs_fail)
{
	char mac[RADIO_MAC_HEX + 1], up[RADIO_MAC_HEX + 1];

	ck_assert_int_eq(radio_proof_check("another-secret-0000", UNIT, NONCE,
	    MAC), 0);
	ck_assert_int_eq(radio_proof_check(SECRET, "U-0032", NONCE, MAC), 0);
	ck_assert_int_eq(radio_proof_check(SECRET, UNIT,
	    "8c1f0e6f2b9d4a7e5c3b1a0f9e8d7c6c", MAC), 0);
	ck_assert_int_eq(radio_proof_check(SECRET, UNIT, NONCE, ""), 0);
	ck_assert_int_eq(radio_proof_check(SECRET, UNIT, NONCE, SECRET), 0);
	memcpy(mac, MAC, sizeof(mac));
	mac[RADIO_MAC_HEX - 1] = mac[RADIO_MAC_HEX - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(radio_proof_check(SECRET, UNIT, NONCE, mac), 0);
	mac[RADIO_MAC_HEX - 1] = '\0';		/* one digit short */
	ck_assert_int_eq(radio_proof_check(SECRET, UNIT, NONCE, mac), 0);
	/* upper-case hex is the same number */
	for (size_t i = 0; i <= RADIO_MAC_HEX; i++)
		up[i] = (char)toupper((unsigned char)MAC[i]);
	ck_assert_int_eq(radio_proof_check(SECRET, UNIT, NONCE, up), 1);
	memcpy(mac, MAC, sizeof(mac));
	mac[3] = 'g';
	ck_assert_int_eq(radio_proof_check(SECRET, UNIT, NONCE, mac), 0);
}
END_TEST

START_TEST(nonces_are_fresh_hex)
{
	char a[RADIO_NONCE_HEX + 1], b[RADIO_NONCE_HEX + 1];

	ck_assert_int_eq(radio_nonce_new(a), 0);
	ck_assert_int_eq(radio_nonce_new(b), 0);
	ck_assert_uint_eq(strlen(a), RADIO_NONCE_HEX);
	ck_assert_str_ne(a, b);
	for (size_t i = 0; i < RADIO_NONCE_HEX; i++)
		ck_assert(isdigit((unsigned char)a[i]) ||
		    (a[i] >= 'a' && a[i] <= 'f'));
}
END_TEST

START_TEST(challenge_line)
{
	char buf[RADIO_OUT_MAX];
	size_t n = radio_challenge_line(buf, sizeof(buf), UNIT, NONCE);

	ck_assert_str_eq(buf, "CHALLENGE " UNIT " " NONCE "\r\n");
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_uint_eq(radio_challenge_line(buf, 8, UNIT, NONCE), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("radiogw_proof");
	TCase *t = tcase_create("proof");

	tcase_add_test(t, known_vector);
	tcase_add_test(t, wrong_proofs_fail);
	tcase_add_test(t, nonces_are_fresh_hex);
	tcase_add_test(t, challenge_line);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
