/*
 * test_np_sha256: SHA-256 against the FIPS 180-4 examples (NIST CSRC
 * "abc", the 448-bit message, one million 'a') and lengths around the
 * padding boundary; the incremental interface fed in odd pieces; HMAC
 * against RFC 4231 test cases 1-4, 6 and 7; hex, constant-time compare
 * and getrandom.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "np_sha256.h"
#include "np_testloop.h"

static void
expect_hex(const uint8_t d[NP_SHA256_LEN], const char *want)
{
	char hex[2 * NP_SHA256_LEN + 1];

	np_hex(d, NP_SHA256_LEN, hex);
	ck_assert_str_eq(hex, want);
}

static void
expect_sha(const void *p, size_t n, const char *want)
{
	uint8_t d[NP_SHA256_LEN];

	np_sha256(p, n, d);
	expect_hex(d, want);
}

START_TEST(test_sha256_fips_examples)
{
	expect_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	expect_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	expect_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(test_sha256_million_a_in_pieces_equals_one_shot)
{
	const char *want = "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0";
	struct np_sha256_ctx c;
	uint8_t d[NP_SHA256_LEN];
	char *a = malloc(1000000);
	size_t off = 0, step = 1;

	ck_assert_ptr_nonnull(a);
	memset(a, 'a', 1000000);
	expect_sha(a, 1000000, want);
	np_sha256_init(&c);
	while (off < 1000000) {
		size_t n = step < 1000000 - off ? step : 1000000 - off;

		np_sha256_update(&c, a + off, n);
		off += n;
		step = step * 7 % 997 + 1;	/* odd piece sizes */
	}
	np_sha256_final(&c, d);
	expect_hex(d, want);
	free(a);
}
END_TEST

/* Lengths next to the 55/56 and 64 byte padding edges (python hashlib). */
START_TEST(test_sha256_padding_boundaries)
{
	static const struct { size_t n; const char *hex; } v[] = {
	{ 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },
	{ 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },
	{ 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },
	{ 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },
	{ 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },
	{ 119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6" },
	{ 120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c" },
	};
	uint8_t buf[128];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		expect_sha(buf, v[i].n, v[i].hex);
}
END_TEST

static void
expect_hmac(const void *k, size_t kl, const void *m, size_t ml,
    const char *want)
{
	uint8_t d[NP_SHA256_LEN];

	np_hmac_sha256(k, kl, m, ml, d);
	expect_hex(d, want);
}

START_TEST(test_hmac_rfc4231)
{
	uint8_t k[131], m[50];

	memset(k, 0x0b, 20);
	expect_hmac(k, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
	expect_hmac("Jefe", 4, "what do ya want for nothing?", 28,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k, 0xaa, 20);
	memset(m, 0xdd, 50);
	expect_hmac(k, 20, m, 50, "773ea91e36800e46854db8ebd09181a7"
	    "2959098b3ef8c122d9635514ced565fe");
	for (int i = 0; i < 25; i++)
		k[i] = (uint8_t)(i + 1);
	memset(m, 0xcd, 50);
	expect_hmac(k, 25, m, 50, "82558a389a443c0ea4cc819899f2083a"
	    "85f0faa3e578f8077a2e3ff46729665b");
	memset(k, 0xaa, 131);
	expect_hmac(k, 131, "Test Using Larger Than Block-Size Key - Hash Key "
	    "First", 54, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
	{
		const char *t7 = "This is a test using a larger than block-size "
		    "key and a larger than block-size data. The key needs to "
		    "be hashed before being used by the HMAC algorithm.";

		expect_hmac(k, 131, t7, strlen(t7),
		    "9b09ffa71b942fcb27635fbcd5b0e944"
		    "bfdc63644f0713938a7f51535c3a35e2");
	}
}
END_TEST

START_TEST(test_hex_ct_equal_random)
{
	uint8_t a[32], b[32], z[32];
	char hex[7];

	np_hex((const uint8_t *)"\x00\xab\xff", 3, hex);
	ck_assert_str_eq(hex, "00abff");
	ck_assert_int_eq(np_ct_equal("abc", "abc", 3), 1);
	ck_assert_int_eq(np_ct_equal("abc", "abd", 3), 0);
	ck_assert_int_eq(np_ct_equal("x", "y", 0), 1);
	memset(z, 0, sizeof(z));
	ck_assert_int_eq(np_random(a, sizeof(a)), 0);
	ck_assert_int_eq(np_random(b, sizeof(b)), 0);
	/* 2^-256 chance of a false failure */
	ck_assert_int_eq(np_ct_equal(a, b, sizeof(a)), 0);
	ck_assert_int_eq(np_ct_equal(a, z, sizeof(a)), 0);
}
END_TEST

static Suite *
sha256_suite(void)
{
	Suite *s = suite_create("np_sha256");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sha256_fips_examples);
	tcase_add_test(tc, test_sha256_million_a_in_pieces_equals_one_shot);
	tcase_add_test(tc, test_sha256_padding_boundaries);
	tcase_add_test(tc, test_hmac_rfc4231);
	tcase_add_test(tc, test_hex_ct_equal_random);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(sha256_suite());
}
