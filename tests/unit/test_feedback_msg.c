/*
 * feedback's reading of unit.status (services/feedback/msg.c): a clear
 * gives its incident (named, or taken from the order id), order and
 * disposition; other statuses are nothing to do (most need no parsing);
 * bad entries are refused with the field named.
 */
#include <check.h>
#include <string.h>

#include "feedback.h"
#include "np_testloop.h"

static char err[512];

#define STATUS(rest) "{\"type\":\"unit.status\",\"v\":1,\"ts\":1," \
	"\"src\":\"radiogw\",\"unit_id\":\"U-1\"" rest "}"

static int
parse(const char *msg, struct fb_clear *c)
{
	err[0] = '\0';
	return fb_clear_parse(msg, strlen(msg), c, err, sizeof(err));
}

START_TEST(clear_gives_incident_order_and_disposition)
{
	struct fb_clear c;

	ck_assert_int_eq(parse(STATUS(",\"status\":\"clear\",\"order_id\":"
	    "\"I-9-T2-1\",\"incident_id\":\"I-1\",\"disposition\":\"ok\""),
	    &c), 1);
	ck_assert_str_eq(c.incident_id, "I-1");
	ck_assert_str_eq(c.order_id, "I-9-T2-1");
	ck_assert_str_eq(c.disposition, "ok");
	/* no incident_id: the order id names it */
	ck_assert_int_eq(parse(STATUS(",\"status\":\"clear\",\"order_id\":"
	    "\"I-20261123-AB-T1-3\""), &c), 1);
	ck_assert_str_eq(c.incident_id, "I-20261123-AB");
	ck_assert_str_eq(c.disposition, "");
}
END_TEST

START_TEST(other_statuses_are_nothing_to_do)
{
	struct fb_clear c;

	ck_assert_int_eq(parse(STATUS(",\"status\":\"acked\",\"order_id\":"
	    "\"I-1-T1-1\""), &c), 0);
	ck_assert_int_eq(parse(STATUS(",\"status\":\"online\""), &c), 0);
}
END_TEST

/* What cannot be a clear is not parsed; anything that could be, is. */
START_TEST(only_what_could_be_a_clear_is_parsed)
{
	const char *clear = STATUS(",\"status\":\"clear\",\"order_id\":"
	    "\"I-1-T1-1\"");
	const char *acked = STATUS(",\"status\":\"acked\",\"order_id\":"
	    "\"I-1-T1-1\"");
	const char *esc = STATUS(",\"status\":\"\\u0063lear\",\"order_id\":"
	    "\"I-1-T1-1\"");
	struct fb_clear c;

	ck_assert_int_eq(fb_maybe_clear(clear, strlen(clear)), 1);
	ck_assert_int_eq(fb_maybe_clear(acked, strlen(acked)), 0);
	ck_assert_int_eq(fb_maybe_clear(esc, strlen(esc)), 1);
	ck_assert_int_eq(parse(esc, &c), 1);
	ck_assert_str_eq(c.order_id, "I-1-T1-1");
	ck_assert_int_eq(fb_maybe_clear("\"clear", 6), 0);
	ck_assert_int_eq(fb_maybe_clear("\"clear\"", 7), 1);
	ck_assert_int_eq(fb_maybe_clear("", 0), 0);
}
END_TEST

START_TEST(bad_entries_name_the_field)
{
	struct fb_clear c;

	ck_assert_int_eq(parse("{\"type\":", &c), -1);
	ck_assert_ptr_nonnull(strstr(err, "invalid JSON"));
	ck_assert_int_eq(parse("[1]", &c), -1);
	ck_assert_int_eq(parse(STATUS(""), &c), -1);
	ck_assert_ptr_nonnull(strstr(err, "status"));
	ck_assert_int_eq(parse("{\"type\":\"order.issued\"}", &c), -1);
	ck_assert_ptr_nonnull(strstr(err, "type"));
	ck_assert_int_eq(parse(STATUS(",\"status\":\"clear\""), &c), -1);
	ck_assert_ptr_nonnull(strstr(err, "order_id"));
	ck_assert_int_eq(parse(STATUS(",\"status\":\"clear\",\"order_id\":"
	    "\"X1\""), &c), -1);
	ck_assert_ptr_nonnull(strstr(err, "names no incident"));
	ck_assert_int_eq(parse(STATUS(",\"status\":\"clear\",\"order_id\":"
	    "\"a b\""), &c), -1);
	ck_assert_ptr_nonnull(strstr(err, "order_id"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("feedback_msg");
	TCase *t = tcase_create("msg");

	tcase_add_test(t, clear_gives_incident_order_and_disposition);
	tcase_add_test(t, other_statuses_are_nothing_to_do);
	tcase_add_test(t, only_what_could_be_a_clear_is_parsed);
	tcase_add_test(t, bad_entries_name_the_field);
	suite_add_tcase(s, t);
	return np_test_run(s);
}
