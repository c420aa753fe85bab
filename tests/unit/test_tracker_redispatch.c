/*
 * The commander's side of the tracker's ladder: redispatch.lua (on
 * lib.lua, in a real redis-server) sends a missed tier's next candidate
 * in addition to the unit already sent, once per tier, and leaves the
 * tier as it was when no candidate is left; the incident is cleared only
 * when every unit sent, not only each tier's latest, has cleared.
 */
#include "test_commander_lua.h"
#include "np_testloop.h"

static char route[8192];

static void
setup(void)
{
	tc_setup();
	ck_assert_int_eq(tc_seed(rc, "U1,U2,U3,U4"), 4);
	tc_incident(rc, "I-1");
	tc_incident(rc, "I-2");
}

static void
teardown(void)
{
	tc_teardown();
}

static struct tc_reply
redispatch_tier(const char *inc, const char *tier, long long now)
{
	return tc_eval(rc, cmd_redispatch_lua, now, 2, inc, tier);
}

/* I-1's tier 1 sent to U1, then re-dispatched to U2 a minute later. */
static void
sent_twice(void)
{
	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1",
	    "U1,U2,U3"), T0);
	ck_assert_str_eq(redispatch_tier("I-1", "1", T0 + 60000).result,
	    "dispatched");
}

START_TEST(sends_the_next_candidate_and_keeps_the_first)
{
	struct tc_reply o;
	char *before;

	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1",
	    "U1,U2,U3"), T0);
	o = redispatch_tier("I-1", "1", T0 + 60000);
	ck_assert_str_eq(o.result, "dispatched");
	ck_assert_str_eq(o.detail, "I-1-T1-2");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-2", "unit_id"), "U2");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "issued");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "order"), "I-1-T1-1");
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "order"), "I-1-T1-2");
	ck_assert_int_eq(tc_int(rc, "XLEN " P "s:orders"), 2);
	/* the same escalation again changes nothing */
	before = tc_snapshot(rc);
	o = redispatch_tier("I-1", "1", T0 + 61000);
	ck_assert_str_eq(o.result, "done");
	ck_assert_int_eq(o.nframes, 0);
	tc_unchanged(before, "replaying the redispatch");
}
END_TEST

START_TEST(incident_stays_open_while_the_first_unit_is_still_out)
{
	sent_twice();
	tc_status(rc, "U1", "onscene", "I-1-T1-1", "", T0 + 61000);
	tc_status(rc, "U2", "acked", "I-1-T1-2", "", T0 + 61000);
	/* the unit sent second clears first: U1 is still on scene */
	tc_status(rc, "U2", "clear", "I-1-T1-2", "resolved", T0 + 62000);
	ck_assert_str_ne(tc_hget(rc, "inc:I-1", "state"), "cleared");
	tc_status(rc, "U1", "clear", "I-1-T1-1", "resolved", T0 + 63000);
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "cleared");
}
END_TEST

/* The unit sent second has cleared: the first one's decline (or its ack
 * timing out, test_feedback_close) ends the last live order, and that
 * clears the incident -- no clear comes after it. */
START_TEST(incident_cleared_when_the_first_unit_declines_last)
{
	sent_twice();
	tc_status(rc, "U2", "acked", "I-1-T1-2", "", T0 + 61000);
	tc_status(rc, "U2", "clear", "I-1-T1-2", "resolved", T0 + 62000);
	ck_assert_str_ne(tc_hget(rc, "inc:I-1", "state"), "cleared");
	tc_status(rc, "U1", "declined", "I-1-T1-1", "busy", T0 + 63000);
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "cleared");
	ck_assert_int_eq(tc_int(rc, "XLEN " P "s:orders"), 2);	/* no U3 */
}
END_TEST

START_TEST(closing_takes_back_live_orders_and_releases_units)
{
	struct tc_reply o;
	char *before;

	sent_twice();
	tc_status(rc, "U1", "onscene", "I-1-T1-1", "", T0 + 61000);
	tc_status(rc, "U2", "declined", "I-1-T1-2", "busy", T0 + 61000);
	/* a supervisor closes the incident while U1 is on scene and the
	 * decline sent U3 */
	o = tc_eval(rc, cmd_cancel_lua, T0 + 62000, 1, "I-1");
	ck_assert_str_eq(o.result, "cancelled");
	ck_assert_str_eq(o.detail, "2");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "cancelled");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-2", "state"), "declined");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-3", "state"), "cancelled");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "order"), "");
	ck_assert_str_eq(tc_hget(rc, "unit:U3", "status"), "available");
	before = tc_snapshot(rc);
	o = tc_eval(rc, cmd_cancel_lua, T0 + 63000, 1, "I-1");
	ck_assert_str_eq(o.detail, "0");
	tc_unchanged(before, "replaying the cancel");
}
END_TEST

START_TEST(no_candidate_left_keeps_the_tier_as_it_was)
{
	struct tc_reply o;

	tc_dispatch(rc, "I-2", 1, tc_route(route, sizeof(route), "I-2",
	    "U3"), T0);
	o = redispatch_tier("I-2", "1", T0 + 60000);
	ck_assert_str_eq(o.result, "unfilled");
	ck_assert_str_eq(tc_hget(rc, "inc:I-2:asg", "1"), "I-2-T1-1");
	ck_assert_str_eq(tc_hget(rc, "order:I-2-T1-1", "state"), "issued");
	ck_assert_str_eq(redispatch_tier("I-9", "1", T0).result, "missing");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tracker_redispatch");
	TCase *tc_ = tcase_create("redispatch");

	tcase_add_checked_fixture(tc_, setup, teardown);
	tcase_add_test(tc_, sends_the_next_candidate_and_keeps_the_first);
	tcase_add_test(tc_, no_candidate_left_keeps_the_tier_as_it_was);
	tcase_add_test(tc_,
	    incident_stays_open_while_the_first_unit_is_still_out);
	tcase_add_test(tc_, incident_cleared_when_the_first_unit_declines_last);
	tcase_add_test(tc_, closing_takes_back_live_orders_and_releases_units);
	suite_add_tcase(s, tc_);
	return np_test_run(s);
}
