/*
 * test_feedback_fast: feedback's fast path for unit.status
 * (services/feedback/msg.c, fb_clear_fast on np_jscan) takes the
 * gateway's statuses, and never accepts one the strict jansson path
 * refuses nor reads one differently: every truncation and one-byte
 * change of real messages is compared with the strict path.
 */
#include <check.h>
#include <string.h>

#include "feedback.h"
#include "np_testloop.h"
#include "np_testmutate.h"

/*
 * As s:status holds them: the gateway's radio_status_text (an order
 * verb's status), verbs.lua's incident_id after it (cjson.encode of an
 * id), and radio_status_msg dumped (a link's online / offline).
 */
static const char *const statuses[] = {
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"clear\","
	    "\"order_id\":\"I-20261123-AB12CD-T1-1\",\"disposition\":"
	    "\"resolved\",\"incident_id\":\"I-20261123-AB12CD\"}",
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"clear\","
	    "\"order_id\":\"I-20261123-AB12CD-T2-3\"}",
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"declined\","
	    "\"order_id\":\"I-20261123-AB12CD-T1-1\",\"reason\":"
	    "\"vehicle_broken\",\"incident_id\":\"I-20261123-AB12CD\"}",
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"online\"}",
};

/* Other shapes jansson takes, the fast path too. */
static const char *const shapes[] = {
	" {\"incident_id\" : null ,\"status\":\"clear\",\n\"order_id\":"
	    "\"I-1-T1-1\",\"unit_id\":\"U-1\",\"type\":\"unit.status\","
	    "\"disposition\":null,\"x\":[1,-2.5e3,{\"a\":[true,false]}]}\r\n",
	"{\"disposition\":\"false alarm, no one\",\"order_id\":\"O-T-7\","
	    "\"note\":\"Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x93\",\"status\":"
	    "\"clear\",\"type\":\"unit.status\",\"incident_id\":\"I.9\"}",
	"{\"type\":\"unit.status\",\"status\":\"\",\"unit_id\":7,"
	    "\"order_id\":null}",
};

/* Taken by jansson, left to it by the fast path. */
static const char *const slow[] = {
	/* escapes, even in a string not read */
	"{\"type\":\"unit.status\",\"status\":\"\\u0063lear\",\"order_id\":"
	    "\"I-1-T1-1\"}",
	"{\"type\":\"unit.status\",\"status\":\"clear\",\"order_id\":"
	    "\"I-1-T1-1\",\"reason\":\"a\\\"b\"}",
	/* non-ASCII in a string read */
	"{\"type\":\"unit.status\",\"status\":\"clear\",\"order_id\":"
	    "\"I-1-T1-1\",\"disposition\":\"r\xc3\xa9solu\"}",
	/* an integer of more than 18 digits */
	"{\"type\":\"unit.status\",\"status\":\"clear\",\"order_id\":"
	    "\"I-1-T1-1\",\"ts\":1234567890123456789}",
	/* not a clear, with what a clear could not have */
	"{\"type\":\"unit.status\",\"status\":\"acked\",\"order_id\":\"a b\"}",
};

/* Fast took it -> strict took it, the same; 1 when fast took it. */
static int
agree(const char *msg, size_t len, void *arg)
{
	struct fb_clear f, s;
	char err[512];
	int rf, rs;

	(void)arg;
	if ((rf = fb_clear_fast(msg, len, &f)) == -1)
		return 0;
	err[0] = '\0';
	rs = fb_clear_strict(msg, len, &s, err, sizeof(err));
	ck_assert_msg(rs == rf, "fast path answered %d, strict %d (%s): %.*s",
	    rf, rs, err, (int)len, msg);
	ck_assert_str_eq(f.incident_id, s.incident_id);
	ck_assert_str_eq(f.order_id, s.order_id);
	ck_assert_str_eq(f.disposition, s.disposition);
	ck_assert(memcmp(&f, &s, sizeof(f)) == 0);
	return 1;
}

START_TEST(gateway_statuses_take_the_fast_path)
{
	static const int want[] = { 1, 1, 0, 0 };
	struct fb_clear c;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		ck_assert_int_eq(fb_clear_fast(statuses[i], strlen(statuses[i]),
		    &c), want[i]);
	ck_assert_int_eq(fb_clear_fast(statuses[1], strlen(statuses[1]), &c),
	    1);
	ck_assert_str_eq(c.incident_id, "I-20261123-AB12CD");
	ck_assert_str_eq(c.order_id, "I-20261123-AB12CD-T2-3");
	ck_assert_str_eq(c.disposition, "");
	ck_assert_int_eq(fb_clear_fast(statuses[0], strlen(statuses[0]), &c),
	    1);
	ck_assert_str_eq(c.disposition, "resolved");
}
END_TEST

START_TEST(every_status_mutation_agrees_with_jansson)
{
	np_test_fast_msgs(statuses, sizeof(statuses) / sizeof(statuses[0]),
	    agree, NULL);
}
END_TEST

START_TEST(other_shapes_read_as_jansson)
{
	np_test_fast_msgs(shapes, sizeof(shapes) / sizeof(shapes[0]), agree,
	    NULL);
}
END_TEST

START_TEST(other_writings_are_left_to_jansson)
{
	static const int want[] = { 1, 1, 1, 1, 0 };
	struct fb_clear c;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
		ck_assert_msg(fb_clear_fast(slow[i], strlen(slow[i]), &c) == -1,
		    "fast path took %s", slow[i]);
		ck_assert_int_eq(fb_clear_parse(slow[i], strlen(slow[i]), &c,
		    err, sizeof(err)), want[i]);
	}
	ck_assert_str_eq(c.order_id, "");
}
END_TEST

START_TEST(bad_statuses_still_name_the_field)
{
	static const char msg[] = "{\"type\":\"unit.status\",\"status\":"
	    "\"clear\",\"order_id\":\"I-1-T1-1\",\"disposition\":7}";
	struct fb_clear c;
	char err[512];

	ck_assert_int_eq(fb_clear_parse(msg, strlen(msg), &c, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "disposition: must be a string");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("feedback_fast");
	TCase *tc = tcase_create("fast");

	tcase_add_test(tc, gateway_statuses_take_the_fast_path);
	tcase_add_test(tc, every_status_mutation_agrees_with_jansson);
	tcase_add_test(tc, other_shapes_read_as_jansson);
	tcase_add_test(tc, other_writings_are_left_to_jansson);
	tcase_add_test(tc, bad_statuses_still_name_the_field);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
