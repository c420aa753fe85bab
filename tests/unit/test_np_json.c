/* np_json: strict parsing and field readers that name the field. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "np_id.h"
#include "np_json.h"
#include "np_testloop.h"

static json_t *
parse(const char *s, struct np_jerr *e)
{
	return np_json_parse(s, strlen(s), e);
}

START_TEST(strict_parse_rejects_duplicates_trailing_empty)
{
	struct np_jerr e;
	json_t *j;

	ck_assert_ptr_null(parse("{\"a\":1,\"a\":2}", &e));
	ck_assert_ptr_null(parse("{\"a\":1} x", &e));
	ck_assert_ptr_null(parse("", &e));
	ck_assert_ptr_null(parse("{\"a\":\"x\\u0000y\"}", &e));
	ck_assert_ptr_null(parse("{\n\"a\": tru }", &e));
	ck_assert_msg(strstr(e.msg, "line 2") != NULL, "%s", e.msg);
	ck_assert_str_eq(e.field, "");
	j = parse("{\"a\":1}", &e);
	ck_assert_ptr_nonnull(j);
	json_decref(j);
}
END_TEST

START_TEST(readers_check_types_ranges_and_name_the_path)
{
	struct np_jerr e;
	json_t *j = parse("{\"s\":\"abc\",\"n\":2.5,\"i\":7,\"o\":{},"
	    "\"z\":null}", &e);
	const char *s = NULL;
	double d = 0;
	long long i = 0;
	json_t *o = NULL;

	ck_assert_int_eq(np_json_str(j, "", "s", 1, 3, &s, &e), 0);
	ck_assert_str_eq(s, "abc");
	ck_assert_int_eq(np_json_str(j, "loc", "s", 1, 2, &s, &e), -1);
	ck_assert_str_eq(e.field, "loc.s");
	ck_assert_int_eq(np_json_str(j, "", "n", 1, 9, &s, &e), -1);
	ck_assert_int_eq(np_json_num(j, "", "n", 1, 0, 3, &d, &e), 0);
	ck_assert_double_eq(d, 2.5);
	ck_assert_int_eq(np_json_num(j, "", "n", 1, 0, 2, &d, &e), -1);
	ck_assert_int_eq(np_json_num(j, "", "i", 1, 0, 9, &d, &e), 0);
	ck_assert_int_eq(np_json_int(j, "", "i", 1, 0, 9, &i, &e), 0);
	ck_assert_int_eq(i, 7);
	ck_assert_int_eq(np_json_int(j, "", "n", 1, 0, 9, &i, &e), -1);
	ck_assert_int_eq(np_json_obj(j, "", "o", 1, &o, &e), 0);
	ck_assert_int_eq(np_json_obj(j, "", "s", 1, &o, &e), -1);
	/* null and absent: fine when optional, an error when required */
	ck_assert_int_eq(np_json_str(j, "", "z", 0, 9, &s, &e), 0);
	ck_assert_int_eq(np_json_str(j, "", "missing", 0, 9, &s, &e), 0);
	ck_assert_int_eq(np_json_str(j, "", "missing", 1, 9, &s, &e), -1);
	ck_assert_str_eq(e.field, "missing");
	ck_assert_str_eq(e.msg, "is required");
	json_decref(j);
}
END_TEST

START_TEST(only_refuses_unknown_keys)
{
	static const char *const ok[] = { "a", "b", NULL };
	struct np_jerr e;
	json_t *j = parse("{\"a\":1,\"c\":2}", &e);

	ck_assert_int_eq(np_json_only(j, "x", ok, &e), -1);
	ck_assert_str_eq(e.field, "x.c");
	json_decref(j);
}
END_TEST

START_TEST(envelope_has_type_version_time_source)
{
	json_t *m = np_msg_new("incident.created", "intake");
	char *s = np_json_dump(m, NULL);

	ck_assert_ptr_nonnull(strstr(s, "\"type\":\"incident.created\",\"v\":1"));
	ck_assert_int_gt(json_integer_value(json_object_get(m, "ts")),
	    1700000000000LL);
	free(s);
	json_decref(m);
}
END_TEST

START_TEST(ids_are_readable_and_valid)
{
	char a[32], b[32];

	ck_assert_int_eq(np_id_new(a, sizeof(a), "I", 6), 0);
	ck_assert_int_eq(np_id_new(b, sizeof(b), "I", 6), 0);
	ck_assert_int_eq(strlen(a), strlen("I-20261123-7K3Q9X"));
	ck_assert_str_ne(a, b);
	ck_assert(np_id_valid(a, 64));
	ck_assert(!np_id_valid("", 64));
	ck_assert(!np_id_valid("a b", 64));
	ck_assert(!np_id_valid("abc", 2));
	ck_assert_int_eq(np_id_new(a, 8, "I", 6), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("np_json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, strict_parse_rejects_duplicates_trailing_empty);
	tcase_add_test(tc, readers_check_types_ranges_and_name_the_path);
	tcase_add_test(tc, only_refuses_unknown_keys);
	tcase_add_test(tc, envelope_has_type_version_time_source);
	tcase_add_test(tc, ids_are_readable_and_valid);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
