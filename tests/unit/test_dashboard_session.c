/*
 * test_dashboard_session: the dashboard's session table -- random ids,
 * lookups by id only while not expired, delete, the oldest pushed out
 * when full, and the Cookie header reader.
 */
#include <check.h>
#include <string.h>

#include "session.h"
#include "np_testloop.h"

static const uint8_t h1[NP_SHA256_LEN] = { 1 }, h2[NP_SHA256_LEN] = { 2 };

START_TEST(test_new_get_expire_delete)
{
	struct dash_sessions t;
	char a[DASH_SESSION_ID_LEN + 1], b[DASH_SESSION_ID_LEN + 1];
	const struct dash_session *s;

	ck_assert_int_eq(dash_sessions_init(&t, 4, 60), 0);
	ck_assert_int_eq(dash_session_new(&t, h1, 1000, a), 0);
	ck_assert_int_eq(dash_session_new(&t, h2, 1000, b), 0);
	ck_assert_uint_eq(strlen(a), DASH_SESSION_ID_LEN);
	ck_assert_str_ne(a, b);
	s = dash_session_get(&t, a, strlen(a), 1000 + 59999);
	ck_assert_ptr_nonnull(s);
	ck_assert_mem_eq(s->tok_hash, h1, NP_SHA256_LEN);
	ck_assert_ptr_null(dash_session_get(&t, a, strlen(a) - 1, 1000));
	a[0] = a[0] == '0' ? '1' : '0';
	ck_assert_ptr_null(dash_session_get(&t, a, strlen(a), 1000));
	/* expired: gone, and dropped */
	ck_assert_ptr_null(dash_session_get(&t, b, strlen(b), 1000 + 60000));
	ck_assert_uint_eq(t.n, 1);
	dash_session_del(&t, a, strlen(a));	/* not ours: nothing */
	ck_assert_uint_eq(t.n, 1);
	dash_sessions_free(&t);
}
END_TEST

START_TEST(test_full_table_pushes_out_the_soonest_to_expire)
{
	struct dash_sessions t;
	char id[3][DASH_SESSION_ID_LEN + 1];

	ck_assert_int_eq(dash_sessions_init(&t, 2, 60), 0);
	ck_assert_int_eq(dash_session_new(&t, h1, 1000, id[0]), 0);
	ck_assert_int_eq(dash_session_new(&t, h1, 2000, id[1]), 0);
	ck_assert_int_eq(dash_session_new(&t, h2, 3000, id[2]), 0);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_ptr_null(dash_session_get(&t, id[0], DASH_SESSION_ID_LEN,
	    3000));
	ck_assert_ptr_nonnull(dash_session_get(&t, id[1],
	    DASH_SESSION_ID_LEN, 3000));
	dash_session_del(&t, id[1], DASH_SESSION_ID_LEN);
	ck_assert_ptr_null(dash_session_get(&t, id[1], DASH_SESSION_ID_LEN,
	    3000));
	ck_assert_ptr_nonnull(dash_session_get(&t, id[2],
	    DASH_SESSION_ID_LEN, 3000));
	dash_sessions_free(&t);
}
END_TEST

START_TEST(test_cookie_header)
{
	const char *v;
	size_t n = 0;

	v = dash_cookie("a=1; np_session=abc; b=2", "np_session", &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq((int)n, 3);
	ck_assert_int_eq(strncmp(v, "abc", n), 0);
	v = dash_cookie("np_session=xyz", "np_session", &n);
	ck_assert_int_eq(strncmp(v, "xyz", n), 0);
	ck_assert_ptr_null(dash_cookie("x_np_session=1", "np_session", &n));
	ck_assert_ptr_null(dash_cookie("np_sessionx=1", "np_session", &n));
	ck_assert_ptr_null(dash_cookie(NULL, "np_session", &n));
	ck_assert_ptr_null(dash_cookie("", "np_session", &n));
	v = dash_cookie(";;np_session=", "np_session", &n);
	ck_assert_int_eq((int)n, 0);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("dashboard_session");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_new_get_expire_delete);
	tcase_add_test(tc, test_full_table_pushes_out_the_soonest_to_expire);
	tcase_add_test(tc, test_cookie_header);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(session_suite());
}
