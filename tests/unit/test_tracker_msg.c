/*
 * The tracker's message checks (msg.c, pure): what it needs of a
 * route.decided and a unit.status, errors naming the field, which
 * statuses may meet a mark, and the ladder setting.
 */
#include <check.h>
#include <string.h>

#include "np_testloop.h"
#include "tracker.h"

static char err[512];

static int
route(const char *msg, struct trk_route *r)
{
	return trk_route_parse(msg, strlen(msg), r, err, sizeof(err));
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
	    "\"I-1\",\"tiers\":[]}", &r), 0);
	ck_assert_str_eq(r.incident_id, "I-1");
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
	tcase_add_test(tc, only_acked_or_onscene_of_an_order_counts);
	tcase_add_test(tc, ladder_setting_is_checked);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
