/*
 * intake's pure logic: the call parser and the merge groups it uses (the
 * plans file itself is tested in test_np_plans.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "np_testdata.h"
#include "np_testloop.h"

static struct np_plans plans;

static void
load_plans(void)
{
	np_test_plans(&plans);
}

static int
parse(struct intake_call *c, const char *body, const char *idem,
    struct np_jerr *e)
{
	return intake_call_parse(c, &plans, body, strlen(body), idem, e);
}

#define GOOD "{\"type\":\"fight\",\"source\":\"video\"," \
    "\"location\":{\"lat\":31.23,\"lon\":121.47,\"address\":\"Nanjing Rd\"}," \
    "\"caller\":{\"name\":\"Li\",\"phone\":\"+86 138\"}," \
    "\"description\":\"two men\"}"

START_TEST(good_call_parses_with_defaults)
{
	struct intake_call c;
	struct np_jerr e;

	ck_assert_msg(parse(&c, GOOD, NULL, &e) == 0, "%s %s", e.field, e.msg);
	ck_assert_str_eq(c.type->name, "fight");
	ck_assert_int_eq(c.priority, 2);	/* the type's default */
	ck_assert_int_eq(c.source, INTAKE_SRC_VIDEO);
	ck_assert_double_eq(c.lat, 31.23);
	ck_assert_str_eq(c.address, "Nanjing Rd");
	ck_assert_str_eq(c.caller_phone, "+86 138");
	ck_assert_int_eq(c.call_id_given, 0);
	ck_assert_int_eq(strncmp(c.call_id, "C-", 2), 0);
	intake_call_free(&c);
}
END_TEST

START_TEST(call_id_from_body_or_header)
{
	struct intake_call c;
	struct np_jerr e;

	ck_assert_int_eq(parse(&c, GOOD, "key-1", &e), 0);
	ck_assert_str_eq(c.call_id, "key-1");
	ck_assert_int_eq(c.call_id_given, 1);
	intake_call_free(&c);
	ck_assert_int_eq(parse(&c, "{\"type\":\"theft\",\"call_id\":\"b-2\","
	    "\"location\":{\"lat\":1,\"lon\":2}}", "b-2", &e), 0);
	ck_assert_str_eq(c.call_id, "b-2");
	intake_call_free(&c);
	ck_assert_int_eq(parse(&c, "{\"type\":\"theft\",\"call_id\":\"b-2\","
	    "\"location\":{\"lat\":1,\"lon\":2}}", "c-3", &e), -1);
	ck_assert_str_eq(e.field, "call_id");
}
END_TEST

START_TEST(colour_and_priority)
{
	struct intake_call c;
	struct np_jerr e;

	ck_assert_int_eq(parse(&c, "{\"type\":\"noise\",\"colour\":\"red\","
	    "\"location\":{\"lat\":1,\"lon\":2}}", NULL, &e), 0);
	ck_assert_int_eq(c.priority, 1);
	intake_call_free(&c);
	ck_assert_int_eq(parse(&c, "{\"type\":\"noise\",\"priority\":2,"
	    "\"colour\":\"orange\",\"location\":{\"lat\":1,\"lon\":2}}", NULL,
	    &e), 0);
	ck_assert_int_eq(c.priority, 2);
	intake_call_free(&c);
	ck_assert_int_eq(parse(&c, "{\"type\":\"noise\",\"priority\":2,"
	    "\"colour\":\"red\",\"location\":{\"lat\":1,\"lon\":2}}", NULL, &e),
	    -1);
	ck_assert_str_eq(e.field, "colour");
	ck_assert_str_eq(intake_colour(4), "blue");
	ck_assert_int_eq(intake_priority_of_colour("yellow"), 3);
}
END_TEST

START_TEST(each_bad_field_is_named)
{
	static const struct { const char *body, *field; } bad[] = {
		{ "[]", "" },
		{ "{\"location\":{\"lat\":1,\"lon\":2}}", "type" },
		{ "{\"type\":\"ufo\",\"location\":{\"lat\":1,\"lon\":2}}",
		  "type" },
		{ "{\"type\":\"theft\"}", "location" },
		{ "{\"type\":\"theft\",\"location\":[]}", "location" },
		{ "{\"type\":\"theft\",\"location\":{\"lat\":\"1\",\"lon\":2}}",
		  "location.lat" },
		{ "{\"type\":\"theft\",\"location\":{\"lat\":85.1,\"lon\":2}}",
		  "location.lat" },
		{ "{\"type\":\"theft\",\"location\":{\"lat\":1,\"lon\":180.5}}",
		  "location.lon" },
		{ "{\"type\":\"theft\",\"location\":{\"lat\":0,\"lon\":0}}",
		  "location.lat" },
		{ "{\"type\":\"theft\",\"x\":1,\"location\":{\"lat\":1,"
		  "\"lon\":2}}", "x" },
		{ "{\"type\":\"theft\",\"source\":\"fax\",\"location\":{\"lat\":1,"
		  "\"lon\":2}}", "source" },
		{ "{\"type\":\"theft\",\"priority\":0,\"location\":{\"lat\":1,"
		  "\"lon\":2}}", "priority" },
		{ "{\"type\":\"theft\",\"caller\":{\"phone\":\"\"},"
		  "\"location\":{\"lat\":1,\"lon\":2}}", "caller.phone" },
		{ "{\"type\":\"theft\",\"caller\":{\"age\":3},"
		  "\"location\":{\"lat\":1,\"lon\":2}}", "caller.age" },
		{ "{\"type\":\"theft\",\"call_id\":\"\",\"location\":{\"lat\":1,"
		  "\"lon\":2}}", "call_id" },
	};
	struct intake_call c;
	struct np_jerr e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(parse(&c, bad[i].body, NULL, &e) == -1,
		    "accepted %s", bad[i].body);
		ck_assert_msg(strcmp(e.field, bad[i].field) == 0,
		    "%s: field '%s' (%s), expected '%s'", bad[i].body, e.field,
		    e.msg, bad[i].field);
		ck_assert(e.msg[0] != '\0');
		ck_assert_ptr_null(c.doc);
	}
}
END_TEST

START_TEST(fingerprint_ignores_id_not_content)
{
	struct intake_call a, b, c;
	struct np_jerr e;
	char fa[17], fb[17], fc[17];

	ck_assert_int_eq(parse(&a, GOOD, "k1", &e), 0);
	ck_assert_int_eq(parse(&b, GOOD, "k2", &e), 0);
	ck_assert_int_eq(parse(&c, "{\"type\":\"fight\",\"source\":\"video\","
	    "\"location\":{\"lat\":31.23,\"lon\":121.48}}", "k1", &e), 0);
	intake_call_fingerprint(&a, fa);
	intake_call_fingerprint(&b, fb);
	intake_call_fingerprint(&c, fc);
	ck_assert_str_eq(fa, fb);
	ck_assert_str_ne(fa, fc);
	intake_call_free(&a);
	intake_call_free(&b);
	intake_call_free(&c);
}
END_TEST

START_TEST(canonical_json_holds_what_was_said)
{
	struct intake_call c;
	struct np_jerr e;
	json_t *j;

	ck_assert_int_eq(parse(&c, GOOD, "k1", &e), 0);
	j = intake_call_json(&c, 1234);
	ck_assert_str_eq(json_string_value(json_object_get(j, "call_id")),
	    "k1");
	ck_assert_str_eq(json_string_value(json_object_get(j, "colour")),
	    "orange");
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "accepted_at")), 1234);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j,
	    "caller"), "name")), "Li");
	json_decref(j);
	intake_call_free(&c);
}
END_TEST

/* store.c sends the call spliced from its content: byte for byte the
 * dump of intake_call_json(), and the same fingerprint. */
START_TEST(spliced_call_json_is_the_dump)
{
	static const char *const bodies[] = { GOOD, "{\"type\":\"fight\","
	    "\"location\":{\"lat\":-31.5,\"lon\":121}}", "{\"type\":"
	    "\"fight\",\"description\":\"a \\\"q\\\" \\u00e9\\n\","
	    "\"location\":{\"lat\":1e-7,\"lon\":-179.9999999}}" };
	struct intake_call c;
	struct np_jerr e;
	char fa[17], fb[17], *content, *spliced, *dumped;
	size_t len;
	json_t *j;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		ck_assert_int_eq(parse(&c, bodies[i], "k1", &e), 0);
		content = intake_call_content(&c, &len);
		ck_assert_ptr_nonnull(content);
		ck_assert_uint_eq(len, strlen(content));
		spliced = intake_call_json_str(&c, content, len,
		    1800000000123LL);
		j = intake_call_json(&c, 1800000000123LL);
		dumped = np_json_dump(j, NULL);
		ck_assert_str_eq(spliced, dumped);
		intake_call_fingerprint(&c, fa);
		intake_content_fingerprint(content, fb);
		ck_assert_str_eq(fa, fb);
		free(content);
		free(spliced);
		free(dumped);
		json_decref(j);
		intake_call_free(&c);
	}
}
END_TEST

START_TEST(merge_groups_decide_compatibility)
{
	char buf[512];
	const struct np_type *fight = np_plans_type(&plans, "fight");

	ck_assert_ptr_nonnull(fight);
	ck_assert_int_eq(np_plans_compatible(&plans, fight, buf,
	    sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "assault"));
	ck_assert_ptr_nonnull(strstr(buf, "fight"));
	ck_assert_ptr_null(strstr(buf, "theft"));
	ck_assert_int_eq(np_plans_compatible(&plans, fight, buf, 8), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("intake_call");
	TCase *tc = tcase_create("call");

	tcase_add_unchecked_fixture(tc, load_plans, NULL);
	tcase_add_test(tc, good_call_parses_with_defaults);
	tcase_add_test(tc, call_id_from_body_or_header);
	tcase_add_test(tc, colour_and_priority);
	tcase_add_test(tc, each_bad_field_is_named);
	tcase_add_test(tc, fingerprint_ignores_id_not_content);
	tcase_add_test(tc, canonical_json_holds_what_was_said);
	tcase_add_test(tc, spliced_call_json_is_the_dump);
	tcase_add_test(tc, merge_groups_decide_compatibility);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
