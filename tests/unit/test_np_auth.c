/*
 * test_np_auth: the token file parser (good files, each kind of bad line
 * refused with its file:line and field), lookups by token and by hash,
 * the role order, and the Authorization header reader (case of the
 * scheme, blanks, bad characters, over-long tokens).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "np_auth.h"
#include "np_testloop.h"

/* sha256("ct-token"), sha256("sup-token") */
static char hct[65], hsup[65];

static void
hashes(void)
{
	uint8_t d[NP_SHA256_LEN];

	np_sha256("ct-token", 8, d);
	np_hex(d, sizeof(d), hct);
	np_sha256("sup-token", 9, d);
	np_hex(d, sizeof(d), hsup);
}

static int
parse(struct np_auth_set *set, const char *text, char *err, size_t errlen)
{
	return np_auth_parse(set, text, strlen(text), "tokens", err, errlen);
}

START_TEST(test_parse_good_file_and_find)
{
	struct np_auth_set set;
	const struct np_auth_token *t;
	char text[512], err[256];

	hashes();
	snprintf(text, sizeof(text), "# who may call\n\n  alice\tcalltaker "
	    "%s  \r\nbob supervisor %s\n   # indented comment\n", hct, hsup);
	ck_assert_int_eq(parse(&set, text, err, sizeof(err)), 0);
	ck_assert_uint_eq(set.n, 2);
	t = np_auth_find(&set, "ct-token", 8);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->principal, "calltaker:alice");
	ck_assert_int_eq(t->role, NP_AUTH_CALLTAKER);
	t = np_auth_find(&set, "sup-token", 9);
	ck_assert_str_eq(t->principal, "supervisor:bob");
	ck_assert_ptr_null(np_auth_find(&set, "sup-toke", 8));
	ck_assert_ptr_null(np_auth_find(&set, "SUP-TOKEN", 9));
	ck_assert_ptr_null(np_auth_find(&set, "", 0));
	ck_assert_ptr_eq(np_auth_find_hash(&set, set.tok[1].hash),
	    &set.tok[1]);
	np_auth_set_free(&set);
	/* upper-case hex is the same hash; an empty file is no tokens */
	for (char *p = hct; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p -= 32;
	snprintf(text, sizeof(text), "alice calltaker %s", hct);
	ck_assert_int_eq(parse(&set, text, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(np_auth_find(&set, "ct-token", 8));
	np_auth_set_free(&set);
	ck_assert_int_eq(parse(&set, "", err, sizeof(err)), 0);
	ck_assert_uint_eq(set.n, 0);
}
END_TEST

static void
expect_error(const char *fmt, const char *want)
{
	struct np_auth_set set;
	char text[2048], err[256];

	snprintf(text, sizeof(text), fmt, hct, hsup);
	ck_assert_int_eq(parse(&set, text, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
	ck_assert_uint_eq(set.n, 0);
	ck_assert_ptr_null(set.tok);
}

START_TEST(test_parse_refuses_bad_lines_naming_line_and_field)
{
	char longline[1100];

	hashes();
	expect_error("a calltaker %s\nb clerk %s\n", "tokens:2: role: 'clerk'");
	expect_error("a calltaker %s\nb supervisor\n", "tokens:2: hash: "
	    "missing");
	expect_error("a\n", "tokens:1: role: missing");
	expect_error("a calltaker %s x\n", "tokens:1: 'x' after the hash");
	expect_error("a:b calltaker %s\n", "tokens:1: name: 'a:b'");
	expect_error("a calltaker abcd\n", "tokens:1: hash: must be 64 hex");
	expect_error("a calltaker %.63sg\n", "tokens:1: hash: must be hex");
	expect_error("a calltaker %s\na admin %s\n", "tokens:2: name: 'a' "
	    "appears twice");
	expect_error("a calltaker %s\nb admin %1$s\n", "tokens:2: hash: same "
	    "token as 'a'");
	expect_error("Admin calltaker %s\nb ADMIN %s\n", "tokens:2: role");
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	expect_error(longline, "tokens:1: longer than 1024 bytes");
	{
		struct np_auth_set set;
		char err[128];

		ck_assert_int_eq(np_auth_parse(&set, "a\0b calltaker", 14,
		    "t", err, sizeof(err)), -1);
		ck_assert_str_eq(err, "t:1: holds a NUL byte");
	}
}
END_TEST

START_TEST(test_roles_are_ordered_and_named)
{
	ck_assert_int_lt(NP_AUTH_CALLTAKER, NP_AUTH_SUPERVISOR);
	ck_assert_int_lt(NP_AUTH_SUPERVISOR, NP_AUTH_ADMIN);
	ck_assert_int_eq(np_auth_role_parse("supervisor"), NP_AUTH_SUPERVISOR);
	ck_assert_int_eq(np_auth_role_parse("none"), NP_AUTH_NONE);
	ck_assert_int_eq(np_auth_role_parse(""), NP_AUTH_NONE);
	ck_assert_str_eq(np_auth_role_name(NP_AUTH_ADMIN), "admin");
}
END_TEST

static enum np_auth_bearer
bearer(const char *v, char *out)
{
	enum np_auth_bearer b;
	const char *t;
	size_t n;

	out[0] = '\0';
	if ((b = np_auth_bearer(v, &t, &n)) == NP_AUTH_BEARER_OK) {
		memcpy(out, t, n);
		out[n] = '\0';
	}
	return b;
}

START_TEST(test_bearer_header_forms)
{
	char tok[NP_AUTH_TOKEN_MAX + 8], longv[NP_AUTH_TOKEN_MAX + 16];

	ck_assert_int_eq(bearer(NULL, tok), NP_AUTH_BEARER_MISSING);
	ck_assert_int_eq(bearer("Bearer abc", tok), NP_AUTH_BEARER_OK);
	ck_assert_str_eq(tok, "abc");
	ck_assert_int_eq(bearer("bEaReR \t a-b.c_d~e+f/g== \t", tok),
	    NP_AUTH_BEARER_OK);
	ck_assert_str_eq(tok, "a-b.c_d~e+f/g==");
	ck_assert_int_eq(bearer("Bearer", tok), NP_AUTH_BEARER_SCHEME);
	ck_assert_int_eq(bearer("Bearer ", tok), NP_AUTH_BEARER_SCHEME);
	ck_assert_int_eq(bearer("Bearerabc", tok), NP_AUTH_BEARER_SCHEME);
	ck_assert_int_eq(bearer("Basic YTpi", tok), NP_AUTH_BEARER_SCHEME);
	ck_assert_int_eq(bearer("abc", tok), NP_AUTH_BEARER_SCHEME);
	ck_assert_int_eq(bearer("Bearer a b", tok), NP_AUTH_BEARER_SYNTAX);
	ck_assert_int_eq(bearer("Bearer a,b", tok), NP_AUTH_BEARER_SYNTAX);
	ck_assert_int_eq(bearer("Bearer =abc", tok), NP_AUTH_BEARER_SYNTAX);
	ck_assert_int_eq(bearer("Bearer ab=c", tok), NP_AUTH_BEARER_SYNTAX);
	ck_assert_int_eq(bearer("Bearer a@b", tok), NP_AUTH_BEARER_SYNTAX);
	memcpy(longv, "Bearer ", 7);
	memset(longv + 7, 'a', NP_AUTH_TOKEN_MAX);
	longv[7 + NP_AUTH_TOKEN_MAX] = '\0';
	ck_assert_int_eq(bearer(longv, tok), NP_AUTH_BEARER_OK);
	longv[7 + NP_AUTH_TOKEN_MAX] = 'a';
	longv[8 + NP_AUTH_TOKEN_MAX] = '\0';
	ck_assert_int_eq(bearer(longv, tok), NP_AUTH_BEARER_LONG);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("np_auth");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_good_file_and_find);
	tcase_add_test(tc, test_parse_refuses_bad_lines_naming_line_and_field);
	tcase_add_test(tc, test_roles_are_ordered_and_named);
	tcase_add_test(tc, test_bearer_header_forms);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(auth_suite());
}
