/*
 * unit.status as the commander applies it (status.lua on lib.lua, in a
 * real redis-server): each transition of docs/DISPATCH.md, declines
 * falling back to the next candidate, clears releasing the unit, and
 * replayed or late statuses changing nothing.
 */
#include "test_commander_lua.h"
#include "np_testloop.h"

static char route[8192];

/* I-1: tier 1 [U1, U2] (U1 gets T1-1), tier 2 [U3] (T2-1). */
static void
setup(void)
{
	tc_setup();
	ck_assert_int_eq(tc_seed(rc, "U1,U2,U3,U4"), 4);
	tc_incident(rc, "I-1");
	tc_route(route, sizeof(route), "I-1", "U1,U2|U3");
	tc_dispatch(rc, "I-1", 1, route, T0);
	tc_dispatch(rc, "I-1", 2, route, T0);
}

START_TEST(ack_enroute_onscene_advance_order_unit_and_incident)
{
	struct tc_reply o;

	o = tc_status(rc, "U1", "acked", "I-1-T1-1", "", T0 + 5);
	ck_assert_str_eq(o.result, "acked");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "acked");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "acked_at"),
	    "1800000000005");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "acked");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "acked");
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "orders:ackdue"), 1);
	/* what the unit said is on the buses already (the gateway) */
	ck_assert_int_eq(o.nframes, 0);

	o = tc_status(rc, "U1", "enroute", "I-1-T1-1", "", T0 + 6);
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "enroute");
	o = tc_status(rc, "U1", "onscene", "I-1-T1-1", "", T0 + 7);
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "onscene");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "onscene");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "onscene");
	/* a later tier acking does not take the incident back */
	tc_status(rc, "U3", "acked", "I-1-T2-1", "", T0 + 8);
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "onscene");
	ck_assert_str_eq(tc_events(rc, "I-1"),
	    "dispatched,dispatched,acked,enroute,onscene,acked");
}
END_TEST

START_TEST(onscene_without_ack_is_taken_and_stops_the_ack_clock)
{
	tc_status(rc, "U1", "onscene", "I-1-T1-1", "", T0 + 5);
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "onscene");
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "orders:ackdue I-1-T2-1"),
	    T0 + ACK_MS);
	ck_assert_str_eq(tc_noanswer(rc, T0 + ACK_MS).detail, "1");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "onscene");
}
END_TEST

START_TEST(decline_releases_and_dispatches_the_next_candidate)
{
	struct tc_reply o;

	o = tc_status(rc, "U1", "declined", "I-1-T1-1", "busy", T0 + 5);
	ck_assert_str_eq(o.result, "declined");
	ck_assert_str_eq(o.detail, "I-1-T1-1 dispatched I-1-T1-2");
	ck_assert_int_eq(o.due, T0 + 5 + ACK_MS);
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "declined");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "reason"), "busy");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "order"), "");
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "order"), "I-1-T1-2");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1:asg", "1"), "I-1-T1-2");
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "orders:ackdue I-1-T1-1"), 0);
	ck_assert_str_eq(tc_events(rc, "I-1"),
	    "dispatched,dispatched,declined,dispatched");
	/* the released unit, then the new order and its unit */
	ck_assert_int_eq(o.nframes, 3);
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"status\":\"available\""));
	ck_assert_ptr_nonnull(strstr(o.frames[1], "order.issued "));
	/* the last candidate declines too: the tier is unfilled */
	o = tc_status(rc, "U2", "declined", "I-1-T1-2", "", T0 + 6);
	ck_assert_str_eq(o.detail, "I-1-T1-2 unfilled ");
	ck_assert_str_eq(tc_events(rc, "I-1"), "dispatched,dispatched,declined,"
	    "dispatched,declined,tier_unfilled");
}
END_TEST

START_TEST(clear_releases_with_disposition_and_clears_the_incident)
{
	struct tc_reply o;

	tc_status(rc, "U1", "acked", "I-1-T1-1", "", T0 + 5);
	o = tc_status(rc, "U1", "clear", "I-1-T1-1", "resolved", T0 + 9);
	ck_assert_str_eq(o.result, "clear");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "cleared");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "disposition"),
	    "resolved");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "cleared_at"),
	    "1800000000009");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "order"), "");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "incident"), "");
	/* tier 2 is still out */
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "acked");
	tc_status(rc, "U3", "clear", "I-1-T2-1", "false_alarm", T0 + 10);
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "cleared");
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "orders:ackdue"), 0);
	ck_assert_str_eq(tc_events(rc, "I-1"),
	    "dispatched,dispatched,acked,cleared,cleared");
	/* the cleared order keeps its tier: a replayed decision adds none */
	ck_assert_str_eq(tc_dispatch(rc, "I-1", 1, route, T0).result,
	    "held");
}
END_TEST

START_TEST(replayed_statuses_change_nothing)
{
	static const char *seq[][3] = {
		{ "U1", "acked", "" }, { "U1", "enroute", "" },
		{ "U1", "onscene", "" }, { "U1", "clear", "ok" },
		{ "U3", "declined", "busy" },
	};
	const char *oid;
	char *before;
	size_t i, j;

	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		oid = seq[i][0][1] == '1' ? "I-1-T1-1" : "I-1-T2-1";
		tc_status(rc, seq[i][0], seq[i][1], oid, seq[i][2], T0 + i);
		before = tc_snapshot(rc);
		/* this one again, and every earlier one, later */
		for (j = 0; j <= i; j++)
			tc_status(rc, seq[j][0], seq[j][1], seq[j][0][1] == '1' ?
			    "I-1-T1-1" : "I-1-T2-1", seq[j][2], T0 + 100 + j);
		tc_unchanged(before, seq[i][1]);
	}
}
END_TEST

START_TEST(status_for_another_unit_or_order_is_ignored)
{
	char *before = tc_snapshot(rc);

	ck_assert_str_eq(tc_status(rc, "U2", "acked", "I-1-T1-1", "",
	    T0).result, "mismatch");
	ck_assert_str_eq(tc_status(rc, "U1", "acked", "I-9-T1-1", "",
	    T0).result, "unknown_order");
	ck_assert_str_eq(tc_status(rc, "U9", "acked", "I-1-T1-1", "",
	    T0).result, "unknown_unit");
	ck_assert_str_eq(tc_status(rc, "U1", "dancing", "I-1-T1-1", "",
	    T0).result, "ignored");
	tc_unchanged(before, "a status for another unit or order");
}
END_TEST

START_TEST(online_and_offline_move_only_free_units)
{
	struct tc_reply o;

	tc_noanswer(rc, T0 + ACK_MS);		/* U1, U3 unreachable */
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "unreachable");
	o = tc_status(rc, "U1", "online", "", "", T0 + ACK_MS + 1);
	ck_assert_str_eq(o.result, "online");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "link"), "online");
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"status\":\"available\""));
	/* U2 holds the fallback order: offline keeps it, online too */
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "order"), "I-1-T1-2");
	o = tc_status(rc, "U2", "offline", "", "", T0 + ACK_MS + 2);
	ck_assert_str_eq(o.result, "ignored");
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "status"), "dispatched");
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "link"), "offline");
	tc_status(rc, "U2", "online", "", "", T0 + ACK_MS + 3);
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "status"), "dispatched");
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "order"), "I-1-T1-2");
	/* a free unit that goes off the air is offered nothing */
	o = tc_status(rc, "U4", "offline", "", "", T0 + ACK_MS + 4);
	ck_assert_str_eq(o.result, "offline");
	ck_assert_str_eq(tc_hget(rc, "unit:U4", "status"), "offline");
	tc_incident(rc, "I-2");
	ck_assert_str_eq(tc_dispatch(rc, "I-2", 1, tc_route(route,
	    sizeof(route), "I-2", "U4"), T0).result, "unfilled");
	tc_status(rc, "U4", "online", "", "", T0 + ACK_MS + 5);
	ck_assert_str_eq(tc_hget(rc, "unit:U4", "status"), "available");
}
END_TEST

START_TEST(late_answer_changes_no_expired_order_but_the_unit_is_back)
{
	struct tc_reply o;

	tc_noanswer(rc, T0 + ACK_MS);		/* U1 unreachable, U2 has T1-2 */
	o = tc_status(rc, "U1", "acked", "I-1-T1-1", "", T0 + ACK_MS + 1);
	ck_assert_str_eq(o.result, "ignored");
	ck_assert_str_eq(o.detail, "noanswer");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "noanswer");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1:asg", "1"), "I-1-T1-2");
	ck_assert_int_eq(o.nframes, 1);
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"status\":\"available\""));
}
END_TEST

START_TEST(seeding_never_overwrites_live_state)
{
	tc_cmd(rc, "HSET " P "unit:U1 lat 1.5");
	ck_assert_int_eq(tc_seed(rc, "U1,U2,U5"), 1);
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "dispatched");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "order"), "I-1-T1-1");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "lat"), "1.5");
	ck_assert_str_eq(tc_hget(rc, "unit:U5", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "unit:U5", "kind"), "guard");
	ck_assert_str_eq(tc_hget(rc, "unit:U5", "post"), "P-1");
	ck_assert_str_eq(tc_hget(rc, "unit:U5", "lon"), "121.47");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("commander_status");
	TCase *t = tcase_create("status");

	tcase_add_checked_fixture(t, setup, tc_teardown);
	tcase_add_test(t, ack_enroute_onscene_advance_order_unit_and_incident);
	tcase_add_test(t, onscene_without_ack_is_taken_and_stops_the_ack_clock);
	tcase_add_test(t, decline_releases_and_dispatches_the_next_candidate);
	tcase_add_test(t, clear_releases_with_disposition_and_clears_the_incident);
	tcase_add_test(t, replayed_statuses_change_nothing);
	tcase_add_test(t, status_for_another_unit_or_order_is_ignored);
	tcase_add_test(t, online_and_offline_move_only_free_units);
	tcase_add_test(t, late_answer_changes_no_expired_order_but_the_unit_is_back);
	tcase_add_test(t, seeding_never_overwrites_live_state);
	suite_add_tcase(s, t);
	return np_test_run(s);
}
