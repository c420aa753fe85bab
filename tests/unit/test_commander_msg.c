/*
 * The commander's message checks (msg.c): what it takes from route.decided
 * and unit.status, and errors that name the offending field.
 */
#include <check.h>
#include <string.h>

#include "commander.h"
#include "np_testloop.h"

static char err[512];

#define ROUTE(tiers) "{\"type\":\"route.decided\",\"v\":1,\"ts\":1," \
	"\"src\":\"router\",\"incident_id\":\"I-20261123-AB12CD\"," \
	"\"incident_type\":\"fight\",\"priority\":2,\"lat\":31.23," \
	"\"lon\":121.47,\"t0\":1,\"post\":{\"id\":\"P-007\",\"name\":\"x\"," \
	"\"distance_m\":84.2},\"coverage_gap\":false,\"tiers\":" tiers "}"
#define CAND(id) "{\"unit_id\":\"" id "\",\"kind\":\"guard\"," \
	"\"distance_m\":40.1,\"eta_s\":40.1}"

static int
route(const char *msg, struct cmd_route *r)
{
	return cmd_route_parse(msg, strlen(msg), r, err, sizeof(err));
}

static int
status(const char *msg, struct cmd_status_msg *s)
{
	return cmd_status_parse(msg, strlen(msg), s, err, sizeof(err));
}

START_TEST(route_gives_incident_and_tiers_in_order)
{
	struct cmd_route r;

	ck_assert_int_eq(route(ROUTE("[{\"tier\":2,\"deadline_s\":180,"
	    "\"candidates\":[" CAND("U-1") "," CAND("U-7") "]},{\"tier\":1,"
	    "\"deadline_s\":60,\"candidates\":[]}]"), &r), 0);
	ck_assert_str_eq(r.incident_id, "I-20261123-AB12CD");
	ck_assert_uint_eq(r.ntiers, 2);
	ck_assert_int_eq(r.tiers[0], 2);
	ck_assert_int_eq(r.tiers[1], 1);
	/* the candidates in order, for dispatch.lua */
	ck_assert_str_eq(r.cands[0], "U-1,U-7");
	ck_assert_str_eq(r.cands[1], "");
	ck_assert_int_eq(route(ROUTE("[]"), &r), 0);
	ck_assert_uint_eq(r.ntiers, 0);
}
END_TEST

START_TEST(bad_route_names_the_field)
{
	static const struct { const char *msg, *want; } cases[] = {
		{ "{\"type\":", "invalid JSON at line 1" },
		{ "[1]", "must be a JSON object" },
		{ "{\"type\":\"unit.status\"}", "type: is \"unit.status\"" },
		{ "{\"type\":\"route.decided\",\"tiers\":[]}",
		  "incident_id: is required" },
		{ "{\"type\":\"route.decided\",\"incident_id\":\"I 1\","
		  "\"tiers\":[]}", "incident_id: \"I 1\" is not an id" },
		{ ROUTE("{}"), "tiers: must be an array" },
		{ ROUTE("[{\"tier\":0,\"candidates\":[]}]"), "tiers[0].tier" },
		{ ROUTE("[{\"tier\":1,\"candidates\":[]},{\"tier\":1,"
		  "\"candidates\":[]}]"), "tiers[1].tier: 1 is listed twice" },
		{ ROUTE("[{\"tier\":1}]"),
		  "tiers[0].candidates: must be an array" },
		{ ROUTE("[{\"tier\":1,\"candidates\":[" CAND("U-1") ",{}]}]"),
		  "tiers[0].candidates[1].unit_id: is required" },
		{ ROUTE("[{\"tier\":1,\"candidates\":[\"U-1\"]}]"),
		  "tiers[0].candidates[0]: must be an object" },
	};
	struct cmd_route r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(route(cases[i].msg, &r), -1);
		ck_assert_msg(strstr(err, cases[i].want) != NULL,
		    "case %zu: got \"%s\", want \"%s\"", i, err, cases[i].want);
	}
}
END_TEST

START_TEST(status_takes_order_statuses_and_link_statuses)
{
	struct cmd_status_msg s;

	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"v\":1,\"ts\":1,"
	    "\"src\":\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"clear\","
	    "\"order_id\":\"I-1-T1-1\",\"incident_id\":\"I-1\","
	    "\"disposition\":\"resolved\"}", &s), 0);
	ck_assert_str_eq(s.unit_id, "U-0031");
	ck_assert_int_eq(s.status, CMD_ST_CLEAR);
	ck_assert_str_eq(cmd_status_name(s.status), "clear");
	ck_assert_str_eq(s.order_id, "I-1-T1-1");
	ck_assert_str_eq(s.disposition, "resolved");
	ck_assert_str_eq(s.reason, "");
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"unit_id\":\"U-1\","
	    "\"status\":\"offline\"}", &s), 0);
	ck_assert_int_eq(s.status, CMD_ST_OFFLINE);
	ck_assert_str_eq(s.order_id, "");
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"unit_id\":\"U-1\","
	    "\"status\":\"declined\",\"order_id\":\"O-1\",\"reason\":\"busy\"}",
	    &s), 0);
	ck_assert_str_eq(s.reason, "busy");
}
END_TEST

START_TEST(bad_status_names_the_field)
{
	static const struct { const char *msg, *want; } cases[] = {
		{ "{\"type\":\"unit.status\",\"status\":\"acked\"}",
		  "unit_id: is required" },
		{ "{\"type\":\"unit.status\",\"unit_id\":\"U-1\","
		  "\"status\":\"asleep\"}", "status: \"asleep\" is not" },
		{ "{\"type\":\"unit.status\",\"unit_id\":\"U-1\","
		  "\"status\":\"acked\"}", "order_id: is required" },
		{ "{\"type\":\"unit.status\",\"unit_id\":\"U-1\","
		  "\"status\":\"clear\",\"order_id\":\"O-1\","
		  "\"disposition\":7}", "disposition: must be a string" },
		{ "{\"type\":\"order.issued\"}", "type: is \"order.issued\"" },
	};
	struct cmd_status_msg s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(status(cases[i].msg, &s), -1);
		ck_assert_msg(strstr(err, cases[i].want) != NULL,
		    "case %zu: got \"%s\", want \"%s\"", i, err, cases[i].want);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("commander_msg");
	TCase *t = tcase_create("msg");

	tcase_add_test(t, route_gives_incident_and_tiers_in_order);
	tcase_add_test(t, bad_route_names_the_field);
	tcase_add_test(t, status_takes_order_statuses_and_link_statuses);
	tcase_add_test(t, bad_status_names_the_field);
	suite_add_tcase(s, t);
	return np_test_run(s);
}
