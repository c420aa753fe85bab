/*
 * test_commander_fast: the commander's fast paths for route.decided,
 * unit.status (msg.c on np_jscan) and what s:escalations and s:closed
 * ask (escalations.c) take the router's and the gateway's
 * messages, and never accept a message the strict jansson path refuses
 * nor read one differently: every truncation and one-byte change of
 * real messages is compared with the strict path.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "commander.h"
#include "np_testloop.h"
#include "np_testmutate.h"

#define CAND(id, d) "{\"unit_id\":\"" id "\",\"kind\":\"guard\"," \
	"\"distance_m\":" d ",\"eta_s\":" d "}"
#define CANDS8(p) CAND(p "1", "84.2") "," CAND(p "2", "120.0") "," \
	CAND(p "3", "131.7") "," CAND(p "4", "250.5") "," \
	CAND(p "5", "301.1") "," CAND(p "6", "402.9") "," \
	CAND(p "7", "1999.9") "," CAND(p "8", "2500.0")

/* As the router writes it (services/router/decided.c). */
static const char route_msg[] = "{\"type\":\"route.decided\",\"v\":1,"
    "\"ts\":1800000000123,\"src\":\"router\",\"incident_id\":"
    "\"I-20261123-AB12CD\",\"incident_type\":\"fight\",\"priority\":2,"
    "\"lat\":31.2304,\"lon\":121.4737,\"t0\":1800000000000,\"post\":{"
    "\"id\":\"P-007\",\"name\":\"People's Square Command Post\","
    "\"distance_m\":84.2,\"district\":\"huangpu\"},\"coverage_gap\":false,"
    "\"tiers\":[{\"tier\":1,\"deadline_s\":60,\"candidates\":["
    CANDS8("U-01") "]},{\"tier\":2,\"deadline_s\":180,\"candidates\":["
    CANDS8("U-02") "]},{\"tier\":3,\"deadline_s\":300,\"candidates\":["
    CAND("U-0301", "3000.1") "]}]}";

/* Other shapes jansson takes, the fast path too. */
static const char *const routes_ok[] = {
	route_msg,
	" {\n \"tiers\" : [ ] ,\"incident_id\":\"I-1\",\"type\":"
	    "\"route.decided\", \"x\":[null,true,{\"a\":[1e5,-0.5E-3]}]}\r\n",
	"{\"type\":\"route.decided\",\"incident_id\":\"I-1\",\"tiers\":[{"
	    "\"candidates\":[{\"eta_s\":1,\"unit_id\":\"U-1\"}],\"tier\":9}],"
	    "\"name\":\"Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x93\"}",
};

/* Taken by jansson, left to it by the fast path. */
static const char *const routes_slow[] = {
	"{\"type\":\"route.decided\",\"incident_id\":\"I\\u002d1\","
	    "\"tiers\":[]}",
	"{\"type\":\"route.decided\",\"incident_id\":\"I-1\",\"tiers\":[],"
	    "\"n\":1234567890123456789}",
	"{\"type\":\"route.decided\",\"incident_id\":\"I-1\",\"tiers\":[],"
	    "\"s\":\"a\\\"b\"}",
};

static void
route_eq(const struct cmd_route *f, const struct cmd_route *s)
{
	size_t i;

	ck_assert_str_eq(f->incident_id, s->incident_id);
	ck_assert_uint_eq(f->ntiers, s->ntiers);
	for (i = 0; i < s->ntiers; i++) {
		ck_assert_int_eq(f->tiers[i], s->tiers[i]);
		ck_assert_str_eq(f->cands[i], s->cands[i]);
	}
}

/* Fast took it -> strict took it, the same; 1 when fast took it. */
static int
route_agree(const char *msg, size_t len, void *arg)
{
	static struct cmd_route f, s;
	char err[256];

	(void)arg;
	if (cmd_route_fast(msg, len, &f) != 0)
		return 0;
	ck_assert_msg(cmd_route_strict(msg, len, &s, err, sizeof(err)) == 0,
	    "fast path took %.*s (%s)", (int)len, msg, err);
	route_eq(&f, &s);
	return 1;
}

START_TEST(routes_take_the_fast_path)
{
	static struct cmd_route r;
	size_t i;

	ck_assert_int_eq(cmd_route_fast(route_msg, strlen(route_msg), &r), 0);
	ck_assert_uint_eq(r.ntiers, 3);
	ck_assert_str_eq(r.cands[0], "U-011,U-012,U-013,U-014,U-015,U-016,"
	    "U-017,U-018");
	ck_assert_str_eq(r.cands[2], "U-0301");
	for (i = 0; i < sizeof(routes_slow) / sizeof(routes_slow[0]); i++) {
		char err[256];

		ck_assert_int_eq(cmd_route_fast(routes_slow[i],
		    strlen(routes_slow[i]), &r), 1);
		ck_assert_int_eq(cmd_route_parse(routes_slow[i],
		    strlen(routes_slow[i]), &r, err, sizeof(err)), 0);
	}
}
END_TEST

START_TEST(every_route_mutation_agrees_with_jansson)
{
	np_test_fast_msgs(routes_ok, sizeof(routes_ok) / sizeof(routes_ok[0]),
	    route_agree, NULL);
}
END_TEST

START_TEST(bad_routes_still_name_the_field)
{
	static const char msg[] = "{\"type\":\"route.decided\",\"incident_id\""
	    ":\"I-1\",\"tiers\":[{\"tier\":1,\"candidates\":[{\"unit_id\":7}]}]}";
	static struct cmd_route r;
	char err[256];

	ck_assert_int_eq(cmd_route_parse(msg, strlen(msg), &r, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "tiers[0].candidates[0].unit_id: must be a "
	    "string");
}
END_TEST

/* As the gateway writes them (radio_status_text, link statuses). */
static const char *const statuses[] = {
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"acked\","
	    "\"order_id\":\"I-20261123-AB12CD-T1-1\"}",
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"clear\","
	    "\"order_id\":\"I-20261123-AB12CD-T1-1\",\"disposition\":"
	    "\"resolved\",\"reason\":\"no one there\"}",
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1,\"src\":\"radiogw\","
	    "\"unit_id\":\"U-7\",\"status\":\"offline\",\"order_id\":null}",
	"{\"status\":\"declined\",\"order_id\":\"O-1\",\"reason\":null,"
	    "\"unit_id\":\"U-7\",\"type\":\"unit.status\"}",
};

static int
status_agree(const char *msg, size_t len, void *arg)
{
	struct cmd_status_msg f, s;
	char err[256];

	(void)arg;
	if (cmd_status_fast(msg, len, &f) != 0)
		return 0;
	ck_assert_msg(cmd_status_strict(msg, len, &s, err, sizeof(err)) == 0,
	    "fast path took %.*s (%s)", (int)len, msg, err);
	ck_assert(memcmp(&f, &s, sizeof(f)) == 0);
	return 1;
}

START_TEST(statuses_take_the_fast_path)
{
	np_test_fast_msgs(statuses, sizeof(statuses) / sizeof(statuses[0]),
	    status_agree, NULL);
}
END_TEST

/* As the tracker (fire.lua) and feedback (close.lua) write them. */
static const char *const asks[] = {
	"{\"type\":\"incident.closed\",\"v\":1,\"ts\":1800000600000,"
	    "\"src\":\"feedback\",\"incident_id\":\"I-20261123-AB12CD\","
	    "\"closed_at\":1800000600000,\"t0\":1800000000000,"
	    "\"disposition\":\"resolved\",\"closed_by\":\"feedback\","
	    "\"marks\":{\"1\":{\"state\":\"met\",\"due\":1800000060000,"
	    "\"met_at\":1800000020000},\"3\":{\"state\":\"pending\","
	    "\"due\":1800000180000}},\"sla\":{\"met\":1,\"missed\":0,"
	    "\"outcome\":\"met\"},\"followup_due\":1800087000000,"
	    "\"incident_type\":\"fight\",\"post\":\"P-007\",\"district\":"
	    "\"huangpu\",\"repeat\":{\"place\":[\"I-1\",\"I-2\"]}}",
	"{\"type\":\"escalation\",\"v\":1,\"ts\":1800000060000,\"src\":"
	    "\"tracker\",\"incident_id\":\"I-20261123-AB12CD\",\"tier\":2,"
	    "\"step\":1,\"action\":\"redispatch\",\"post\":\"P-007\","
	    "\"district\":\"huangpu\"}",
	"{\"type\":\"escalation\",\"v\":1,\"ts\":1800000060000,\"src\":"
	    "\"tracker\",\"incident_id\":\"I-1\",\"tier\":1,\"step\":3,"
	    "\"action\":\"supervisor\",\"district\":\"huangpu\"}",
	"{\"type\":\"mark.missed\",\"v\":1,\"ts\":1800000060000,\"src\":"
	    "\"tracker\",\"incident_id\":\"I-1\",\"tier\":1,\"due\":"
	    "1800000060000,\"post\":\"P-007\"}",
};

static int
ask_agree(const char *msg, size_t len, void *arg)
{
	char finc[CMD_ID_MAX + 1], sinc[CMD_ID_MAX + 1], ft[8], st[8];
	char err[256];
	int f, s;

	(void)arg;
	if ((f = cmd_ask_fast(msg, len, finc, ft)) == -1)
		return 0;
	s = cmd_ask_strict(msg, len, sinc, st, err, sizeof(err));
	ck_assert_msg(s == f, "fast path asked %d, strict %d (%s): %.*s", f,
	    s, err, (int)len, msg);
	if (f != CMD_ASK_NOTHING)
		ck_assert_str_eq(finc, sinc);
	if (f == CMD_ASK_REDISPATCH)
		ck_assert_str_eq(ft, st);
	return 1;
}

START_TEST(escalations_and_closures_take_the_fast_path)
{
	char inc[CMD_ID_MAX + 1], tier[8];

	np_test_fast_msgs(asks, sizeof(asks) / sizeof(asks[0]), ask_agree,
	    NULL);
	ck_assert_int_eq(cmd_ask_fast(asks[0], strlen(asks[0]), inc, tier),
	    CMD_ASK_CANCEL);
	ck_assert_str_eq(inc, "I-20261123-AB12CD");
	ck_assert_int_eq(cmd_ask_fast(asks[1], strlen(asks[1]), inc, tier),
	    CMD_ASK_REDISPATCH);
	ck_assert_str_eq(tier, "2");
	ck_assert_int_eq(cmd_ask_fast(asks[2], strlen(asks[2]), inc, tier),
	    CMD_ASK_NOTHING);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("commander_fast");
	TCase *tc = tcase_create("fast");

	tcase_add_test(tc, routes_take_the_fast_path);
	tcase_add_test(tc, every_route_mutation_agrees_with_jansson);
	tcase_add_test(tc, bad_routes_still_name_the_field);
	tcase_add_test(tc, statuses_take_the_fast_path);
	tcase_add_test(tc, escalations_and_closures_take_the_fast_path);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
