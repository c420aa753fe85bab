/*
 * The tracker's message checks (msg.c, pure): what it needs of a
 * route.decided (each tier's due, as arm.lua is given it) and a
 * unit.status, errors naming the field, which statuses may meet a mark,
 * and the ladder setting.
 */
#include <check.h>
#include <string.h>

#include "np_testloop.h"
#include "tracker.h"

static char err[512];
static int marks[3];		/* track.mark1_s .. mark3_s */

static int
route(const char *msg, struct trk_route *r)
{
	return trk_route_parse(msg, strlen(msg), marks, r, err, sizeof(err));
}

/* "tier:due ..." of a parsed route. */
static const char *
tiers(const struct trk_route *r)
{
	static char out[256];
	size_t off = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < r->ntiers; i++)
		off += snprintf(out + off, sizeof(out) - off, "%s%d:%lld",
		    i ? " " : "", r->tiers[i].tier, r->tiers[i].due);
	return out;
}

static int
status(const char *msg, struct trk_status *st)
{
	return trk_status_parse(msg, strlen(msg), st, err, sizeof(err));
}

START_TEST(route_decided_names_its_incident)
{
	struct trk_route r;

	ck_assert_int_eq(route("{\"type\":\"route.decided\",\"incident_id\":"
	    "\"I-1\",\"t0\":5,\"tiers\":[]}", &r), 0);
	ck_assert_str_eq(r.incident_id, "I-1");
	ck_assert_int_eq(r.t0, 5);
	ck_assert_int_eq(r.ntiers, 0);
	ck_assert_str_eq(r.type, "");
	ck_assert_str_eq(r.post, "");
	ck_assert_int_eq(route("{\"type\":\"route.decided\",\"incident_id\":"
	    "\"I-1\",\"tiers\":[]}", &r), -1);
	ck_assert_ptr_nonnull(strstr(err, "t0"));
	ck_assert_int_eq(route("{\"type\":\"route.decided\",\"incident_id\":"
	    "\"I-1\",\"t0\":5}", &r), -1);
	ck_assert_ptr_nonnull(strstr(err, "tiers"));
	ck_assert_int_eq(route("{\"type\":\"route.decided\"}", &r), -1);
	ck_assert_ptr_nonnull(strstr(err, "incident_id"));
	ck_assert_int_eq(route("{\"type\":\"route.decided\",\"incident_id\":"
	    "\"a b\"}", &r), -1);
	ck_assert_ptr_nonnull(strstr(err, "incident_id"));
	ck_assert_int_eq(route("{\"type\":\"unit.status\"}", &r), -1);
	ck_assert_ptr_nonnull(strstr(err, "type"));
	ck_assert_int_eq(route("[1]", &r), -1);
	ck_assert_int_eq(route("{\"type\":", &r), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 1"));
}
END_TEST

START_TEST(route_decided_gives_each_tier_its_due_once)
{
	struct trk_route r;

	ck_assert_int_eq(route("{\"type\":\"route.decided\",\"incident_id\":"
	    "\"I-1\",\"t0\":1000,\"incident_type\":\"fight\",\"post\":"
	    "{\"id\":\"P-1\",\"name\":\"x\"},\"tiers\":[{\"tier\":1,"
	    "\"deadline_s\":60,\"candidates\":[{\"unit_id\":\"U1\"}]},"
	    "{\"tier\":2.0,\"deadline_s\":180},{\"tier\":1,\"deadline_s\":5},"
	    "{\"tier\":0,\"deadline_s\":5},{\"tier\":10,\"deadline_s\":5},"
	    "{\"tier\":4,\"deadline_s\":\"9\"},{\"tier\":1.5},7,"
	    "{\"tier\":3,\"deadline_s\":0.5}]}", &r), 0);
	ck_assert_str_eq(r.type, "fight");
	ck_assert_str_eq(r.post, "P-1");
	ck_assert_str_eq(tiers(&r), "1:61000 2:181000 3:1500");
	/* the settings replace the plan's deadlines of tiers 1..3 */
	marks[0] = 2;
	marks[2] = 7;
	ck_assert_int_eq(route("{\"type\":\"route.decided\",\"incident_id\":"
	    "\"I-1\",\"t0\":1000,\"incident_type\":7,\"post\":\"P-1\","
	    "\"tiers\":[{\"tier\":1,\"deadline_s\":60},{\"tier\":2,"
	    "\"deadline_s\":180},{\"tier\":3},{\"tier\":4,\"deadline_s\":9}]}",
	    &r), 0);
	marks[0] = marks[2] = 0;
	ck_assert_str_eq(r.type, "");
	ck_assert_str_eq(r.post, "");
	ck_assert_str_eq(tiers(&r), "1:3000 2:181000 3:8000 4:10000");
}
END_TEST

START_TEST(order_ids_name_their_tier)
{
	ck_assert_int_eq(trk_order_tier("I-1-T1-1"), 1);
	ck_assert_int_eq(trk_order_tier("I-1-T3-12"), 3);
	ck_assert_int_eq(trk_order_tier("A-T1-2-T03-4"), 3);
	ck_assert_int_eq(trk_order_tier("x-T0-1"), 0);
	ck_assert_int_eq(trk_order_tier("-T1-1"), -1);
	ck_assert_int_eq(trk_order_tier("I-1-T1-"), -1);
	ck_assert_int_eq(trk_order_tier("I-1-T-1"), -1);
	ck_assert_int_eq(trk_order_tier("I-1-X1-1"), -1);
	ck_assert_int_eq(trk_order_tier("I-1T1-1"), -1);
	ck_assert_int_eq(trk_order_tier("T1-1"), -1);
	ck_assert_int_eq(trk_order_tier(""), -1);
	ck_assert_int_gt(trk_order_tier("I-T99999999999999999999-1"), 1);
}
END_TEST

START_TEST(statuses_that_cannot_count_are_told_unparsed)
{
	const char *no[] = { "{\"type\":\"unit.status\",\"status\":"
	    "\"enroute\",\"order_id\":\"I-1-T1-1\"}", "", "{garbage",
	    "{\"status\":\"acke\"}" };
	const char *maybe[] = { "{\"status\":\"acked\"}",
	    "{\"status\":\"onscene\"}", "{\"status\":\"\\u0061cked\"}",
	    "{\"note\":\"acked\",\"status\":\"clear\"}" };
	size_t i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!trk_status_maybe(no[i], strlen(no[i])), "%s",
		    no[i]);
	for (i = 0; i < sizeof(maybe) / sizeof(maybe[0]); i++)
		ck_assert_msg(trk_status_maybe(maybe[i], strlen(maybe[i])),
		    "%s", maybe[i]);
	/* the length counts, not a NUL */
	ck_assert(!trk_status_maybe("{\"s\":\"acked\"}", 8));
}
END_TEST

START_TEST(only_acked_or_onscene_of_an_order_counts)
{
	struct trk_status st;

	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"status\":"
	    "\"acked\",\"unit_id\":\"U1\",\"order_id\":\"I-1-T1-1\"}", &st),
	    0);
	ck_assert_str_eq(st.order_id, "I-1-T1-1");
	ck_assert(trk_status_counts(&st));
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"status\":"
	    "\"onscene\",\"order_id\":\"I-1-T2-1\"}", &st), 0);
	ck_assert(trk_status_counts(&st));
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"status\":"
	    "\"enroute\",\"order_id\":\"I-1-T2-1\"}", &st), 0);
	ck_assert(!trk_status_counts(&st));
	/* acked meets tier 1 only; an order id naming no tier meets none */
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"status\":"
	    "\"acked\",\"order_id\":\"I-1-T2-1\"}", &st), 0);
	ck_assert(!trk_status_counts(&st));
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"status\":"
	    "\"acked\",\"order_id\":\"I-1-T01-1\"}", &st), 0);
	ck_assert(trk_status_counts(&st));
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"status\":"
	    "\"onscene\",\"order_id\":\"garbage\"}", &st), 0);
	ck_assert(!trk_status_counts(&st));
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"status\":"
	    "\"online\",\"unit_id\":\"U1\"}", &st), 0);
	ck_assert(!trk_status_counts(&st));
	ck_assert_int_eq(status("{\"type\":\"unit.status\"}", &st), -1);
	ck_assert_ptr_nonnull(strstr(err, "status"));
	ck_assert_int_eq(status("{\"type\":\"unit.status\",\"status\":"
	    "\"acked\",\"order_id\":7}", &st), -1);
	ck_assert_ptr_nonnull(strstr(err, "order_id"));
}
END_TEST

START_TEST(ladder_setting_is_checked)
{
	ck_assert_int_eq(trk_ladder_check("redispatch,supervisor,command",
	    err, sizeof(err)), 3);
	ck_assert_int_eq(trk_ladder_check("supervisor", err, sizeof(err)), 1);
	ck_assert_int_eq(trk_ladder_check("a,,b", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "step 2"));
	ck_assert_int_eq(trk_ladder_check("a,B", err, sizeof(err)), -1);
	ck_assert_int_eq(trk_ladder_check("a,", err, sizeof(err)), -1);
	ck_assert_int_eq(trk_ladder_check("", err, sizeof(err)), -1);
	ck_assert_int_eq(trk_ladder_check("a,b,c,d,e,f,g,h,i", err,
	    sizeof(err)), 9);
	ck_assert_int_eq(trk_ladder_check("a,b,c,d,e,f,g,h,i,j", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 9"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tracker_msg");
	TCase *tc = tcase_create("msg");

	tcase_add_test(tc, route_decided_names_its_incident);
	tcase_add_test(tc, route_decided_gives_each_tier_its_due_once);
	tcase_add_test(tc, order_ids_name_their_tier);
	tcase_add_test(tc, statuses_that_cannot_count_are_told_unparsed);
	tcase_add_test(tc, only_acked_or_onscene_of_an_order_counts);
	tcase_add_test(tc, ladder_setting_is_checked);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
