/*
 * radiogw's messages and rate rule: order.issued / order.cancelled become
 * ORDER / CANCEL lines (and nothing in a message can break a line),
 * unit.status / unit.position carry the contract's fields, percent-
 * encoding, and the token bucket with its flood rule.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_json.h"
#include "np_testloop.h"
#include "radiogw.h"

#define ISSUED "{\"type\":\"order.issued\",\"v\":1,\"ts\":1,\"src\":" \
    "\"commander\",\"order_id\":\"I-1-T1-1\",\"incident_id\":\"I-1\"," \
    "\"unit_id\":\"U-0031\",\"tier\":1,\"incident_type\":\"fight\"," \
    "\"priority\":2,\"lat\":31.2304,\"lon\":121.4737,"

static struct radio_msg m;
static char err[256];

static int
msg(const char *json)
{
	err[0] = '\0';
	return radio_msg_parse(json, strlen(json), &m, err, sizeof(err));
}

START_TEST(order_issued_becomes_order_line)
{
	char line[RADIO_OUT_MAX];

	ck_assert_msg(msg(ISSUED "\"address\":\"Nanjing Rd 1, 2/F\","
	    "\"ack_due\":5,\"extra\":true}") == 0, "%s", err);
	ck_assert_int_eq(m.kind, RADIO_MSG_ISSUED);
	ck_assert_str_eq(m.order.unit_id, "U-0031");
	radio_order_line(line, sizeof(line), &m.order);
	ck_assert_str_eq(line, "ORDER I-1-T1-1 I-1 1 31.230400 121.473700 2 "
	    "fight Nanjing%20Rd%201%2C%202%2FF\r\n");
	ck_assert_int_eq(msg(ISSUED "\"ack_due\":5}"), 0);
	radio_order_line(line, sizeof(line), &m.order);
	ck_assert_str_eq(line + strlen(line) - 9, "fight -\r\n");
	/* UTF-8 and line breaks are encoded, never sent raw */
	ck_assert_int_eq(msg(ISSUED "\"address\":\"\\u5357\\u4eac\\r\\nX\"}"),
	    0);
	radio_order_line(line, sizeof(line), &m.order);
	ck_assert_msg(strstr(line, " %E5%8D%97%E4%BA%AC%0D%0AX\r\n") != NULL,
	    "%s", line);
	/* the longest address still fits a line */
	{
		char doc[1024], a[RADIO_ADDRESS_MAX + 1];

		memset(a, '/', RADIO_ADDRESS_MAX);
		a[RADIO_ADDRESS_MAX] = '\0';
		snprintf(doc, sizeof(doc), ISSUED "\"address\":\"%s\"}", a);
		ck_assert_int_eq(msg(doc), 0);
		ck_assert_uint_gt(radio_order_line(line, sizeof(line),
		    &m.order), 3 * RADIO_ADDRESS_MAX);
	}
}
END_TEST

START_TEST(bad_orders_are_refused_naming_the_field)
{
	ck_assert_int_eq(msg("{\"type\":\"order.issued\"}"), -1);
	ck_assert_msg(strstr(err, "order_id") != NULL, "%s", err);
	ck_assert_int_eq(msg(ISSUED "\"x\":1,\"order_id\":\"a b\"}"), -1);
	ck_assert_int_eq(msg("{\"type\":\"order.issued\",\"order_id\":"
	    "\"O\\n1\"}"), -1);
	ck_assert_msg(strstr(err, "order_id") != NULL, "%s", err);
	ck_assert_int_eq(msg("{\"type\":\"order.issued\",\"order_id\":\"O-1\","
	    "\"incident_id\":\"I\",\"unit_id\":\"U\",\"tier\":1,\"priority\":9}"),
	    -1);
	ck_assert_msg(strstr(err, "priority") != NULL, "%s", err);
	ck_assert_int_eq(msg(ISSUED "\"lat\":99}"), -1);	/* duplicate key */
	ck_assert_int_eq(msg("[1]"), -1);
	ck_assert_int_eq(msg("not json"), -1);
	ck_assert_int_eq(msg(""), -1);
	ck_assert_int_eq(msg("{\"type\":\"route.decided\"}"), 0);
	ck_assert_int_eq(m.kind, RADIO_MSG_OTHER);
}
END_TEST

START_TEST(order_cancelled_becomes_cancel_line)
{
	char line[RADIO_OUT_MAX];

	ck_assert_msg(msg("{\"type\":\"order.cancelled\",\"order_id\":\"O-1\","
	    "\"unit_id\":\"U-1\",\"incident_id\":\"I-1\",\"reason\":\"No "
	    "Answer\"}") == 0, "%s", err);
	ck_assert_int_eq(m.kind, RADIO_MSG_CANCELLED);
	radio_cancel_line(line, sizeof(line), &m.cancel);
	ck_assert_str_eq(line, "CANCEL O-1 no_answer\r\n");
	ck_assert_int_eq(msg("{\"type\":\"order.cancelled\",\"order_id\":"
	    "\"O-1\",\"unit_id\":\"U-1\"}"), 0);
	ck_assert_str_eq(m.cancel.reason, "cancelled");
	ck_assert_int_eq(msg("{\"type\":\"order.cancelled\",\"order_id\":"
	    "\"O-1\"}"), -1);
	ck_assert_msg(strstr(err, "unit_id") != NULL, "%s", err);
}
END_TEST

START_TEST(status_and_position_messages)
{
	char buf0[RADIO_OUT_MAX];
	json_t *j = radio_status_msg("U-1", "clear", "O-1", "I-1", "resolved",
	    NULL);

	ck_assert_str_eq(json_string_value(json_object_get(j, "type")),
	    "unit.status");
	ck_assert_str_eq(json_string_value(json_object_get(j, "src")),
	    "radiogw");
	ck_assert_str_eq(json_string_value(json_object_get(j, "disposition")),
	    "resolved");
	ck_assert_ptr_null(json_object_get(j, "reason"));
	json_decref(j);
	j = radio_status_msg("U-1", "online", NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(json_object_size(j), 6);
	json_decref(j);
	/* the text of an order verb's status is radio_status_msg's dump */
	for (int i = 0; i < 3; i++) {
		const char *disp = i == 1 ? "false_alarm" : NULL;
		const char *why = i == 2 ? "vehicle_broken" : NULL;
		char buf[RADIO_OUT_MAX], *want;
		size_t n;

		j = radio_status_msg("U-0031", "acked", "I-1-T1-1", NULL, disp,
		    why);
		n = radio_status_text(buf, sizeof(buf), json_integer_value(
		    json_object_get(j, "ts")), "U-0031", "acked", "I-1-T1-1",
		    disp, why);
		want = np_json_dump(j, NULL);
		ck_assert_uint_eq(n, strlen(want));
		ck_assert_str_eq(buf, want);
		free(want);
		json_decref(j);
	}
	ck_assert_uint_eq(radio_status_text(buf0, sizeof(buf0), 1, "U\"1",
	    "acked", "O-1", NULL, NULL), 0);
	ck_assert_uint_eq(radio_status_text(buf0, 40, 1, "U-1", "acked",
	    "O-1", NULL, NULL), 0);
	j = radio_position_msg("U-1", 31.5, 121.25, 1234);
	ck_assert_uint_eq(json_object_size(j), 4);
	ck_assert_double_eq(json_real_value(json_object_get(j, "lat")), 31.5);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "ts")), 1234);
	json_decref(j);
}
END_TEST

START_TEST(percent_encoding)
{
	char out[16];

	ck_assert_int_eq(radio_pct_encode(out, sizeof(out), ""), 0);
	ck_assert_str_eq(out, "-");
	ck_assert_int_eq(radio_pct_encode(out, sizeof(out), "-"), 0);
	ck_assert_str_eq(out, "%2D");
	ck_assert_int_eq(radio_pct_encode(out, sizeof(out), "a-b_c.d~e"), 0);
	ck_assert_str_eq(out, "a-b_c.d~e");
	ck_assert_int_eq(radio_pct_encode(out, sizeof(out), "50% off"), 0);
	ck_assert_str_eq(out, "50%25%20off");
	ck_assert_int_eq(radio_pct_encode(out, 4, "abcd"), -1);
	ck_assert_int_eq(radio_pct_encode(out, 5, "ab "), -1);
}
END_TEST

START_TEST(bucket_limits_then_detects_floods)
{
	struct radio_bucket b;
	int ok = 0, limited = 0;

	radio_bucket_init(&b, 10, 1000);
	for (int i = 0; i < 15; i++) {
		enum radio_rate r = radio_bucket_take(&b, 10, 1000);

		ok += r == RADIO_RATE_OK;
		limited += r == RADIO_RATE_LIMITED;
	}
	ck_assert_int_eq(ok, 10);		/* the burst */
	ck_assert_int_eq(limited, 5);
	/* 100 ms later one more token; radio_bucket_has only looks */
	ck_assert_int_eq(radio_bucket_has(&b, 10, 1050), 0);
	ck_assert_int_eq(radio_bucket_has(&b, 10, 1100), 1);
	ck_assert_int_eq(radio_bucket_has(&b, 10, 1100), 1);
	ck_assert_int_eq(radio_bucket_take(&b, 10, 1100), RADIO_RATE_OK);
	ck_assert_int_eq(radio_bucket_has(&b, 10, 1100), 0);
	ck_assert_int_eq(radio_bucket_take(&b, 10, 1100), RADIO_RATE_LIMITED);
	/* 5 x rate refusals in a row is a flood */
	for (int i = 0; i < 44; i++)
		ck_assert_int_eq(radio_bucket_take(&b, 10, 1100),
		    RADIO_RATE_LIMITED);
	ck_assert_int_eq(radio_bucket_take(&b, 10, 1100), RADIO_RATE_FLOOD);
	/* after a calm second the count starts again */
	radio_bucket_init(&b, 10, 0);
	for (int i = 0; i < 10; i++)
		radio_bucket_take(&b, 10, 0);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(radio_bucket_take(&b, 10, 0),
		    RADIO_RATE_LIMITED);
	ck_assert_int_eq(radio_bucket_take(&b, 10, 5000), RADIO_RATE_OK);
	for (int i = 0; i < 9; i++)
		radio_bucket_take(&b, 10, 5000);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(radio_bucket_take(&b, 10, 5000),
		    RADIO_RATE_LIMITED);
	/* a steady excess is a flood too, in time */
	radio_bucket_init(&b, 10, 0);
	{
		enum radio_rate r = RADIO_RATE_OK;
		int64_t t;

		for (t = 0; t < 600000 && r != RADIO_RATE_FLOOD; t += 50)
			r = radio_bucket_take(&b, 10, t);
		ck_assert_int_eq(r, RADIO_RATE_FLOOD);
		ck_assert_int_gt(t, 5000);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("radiogw_msg");
	TCase *t = tcase_create("msg");

	tcase_add_test(t, order_issued_becomes_order_line);
	tcase_add_test(t, bad_orders_are_refused_naming_the_field);
	tcase_add_test(t, order_cancelled_becomes_cancel_line);
	tcase_add_test(t, status_and_position_messages);
	tcase_add_test(t, percent_encoding);
	tcase_add_test(t, bucket_limits_then_detects_floods);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
