/*
 * The commander's batch scripts (lib.lua's batch: dispatch.lua,
 * status.lua, cancel.lua take the entries of one stream read in one
 * call): the groups are applied in order as separate calls would be, one
 * result each; a replayed batch changes nothing; a group that fails
 * answers 'error' and leaves the others applied, its frames dropped.
 */
#include "test_commander_lua.h"
#include "np_testloop.h"

#define TB_GROUPS	16

static char route1[8192], route2[8192];

struct tb_reply {
	int		ngroups;
	char		result[TB_GROUPS][32];
	char		detail[TB_GROUPS][256];
	long long	due;
	int		nframes;
	char		frames[TC_FRAMES][NP_TEST_FRAME_MAX];
};

/* I-1: tier 1 [U1, U2], tier 2 [U3]; I-2: tier 1 [U4]. */
static void
setup(void)
{
	tc_setup();
	ck_assert_int_eq(tc_seed(rc, "U1,U2,U3,U4,U5"), 5);
	tc_incident(rc, "I-1");
	tc_incident(rc, "I-2");
	tc_route(route1, sizeof(route1), "I-1", "U1,U2|U3");
	tc_route(route2, sizeof(route2), "I-2", "U4");
}

static void
teardown(void)
{
	tc_teardown();
}

/* One call of a batch script with argc arguments after the common ones. */
static struct tb_reply
tb_call(const char *script, long long now, int argc, const char **args)
{
	const char *argv[64];
	char nowbuf[24], ack[16];
	struct tb_reply o;
	redisReply *r, *a;
	int n = 0;

	ck_assert_int_le(argc, 64 - 8);
	snprintf(nowbuf, sizeof(nowbuf), "%lld", now);
	snprintf(ack, sizeof(ack), "%d", ACK_MS);
	argv[n++] = "EVAL"; argv[n++] = script; argv[n++] = "2";
	argv[n++] = P "orders:ackdue"; argv[n++] = P "s:orders";
	argv[n++] = P; argv[n++] = nowbuf; argv[n++] = ack;
	for (int i = 0; i < argc; i++)
		argv[n++] = args[i];
	r = redisCommandArgv(rc, n, argv, NULL);
	ck_assert_msg(r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    r->elements >= 4 && strcmp(r->element[0]->str, "batch") == 0,
	    "script said: %s", r != NULL && r->type == REDIS_REPLY_ERROR ?
	    r->str : "?");
	memset(&o, 0, sizeof(o));
	a = r->element[3];
	ck_assert(a->type == REDIS_REPLY_ARRAY && a->elements % 2 == 0);
	o.ngroups = (int)a->elements / 2;
	ck_assert_int_le(o.ngroups, TB_GROUPS);
	ck_assert_int_eq(strtol(r->element[1]->str, NULL, 10), o.ngroups);
	for (int i = 0; i < o.ngroups; i++) {
		snprintf(o.result[i], sizeof(o.result[i]), "%s",
		    a->element[2 * i]->str);
		snprintf(o.detail[i], sizeof(o.detail[i]), "%s",
		    a->element[2 * i + 1]->str);
	}
	o.due = r->element[2]->integer;
	for (size_t i = 4; i < r->elements && o.nframes < TC_FRAMES; i++)
		snprintf(o.frames[o.nframes++], NP_TEST_FRAME_MAX, "%s",
		    r->element[i]->str);
	freeReplyObject(r);
	return o;
}

/* The groups' results as "result detail|result detail|..." */
static const char *
tb_results(const struct tb_reply *o)
{
	static char out[TB_GROUPS * 300];
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < o->ngroups; i++)
		off += snprintf(out + off, sizeof(out) - off, "%s%s %s",
		    i ? "|" : "", o->result[i], o->detail[i]);
	return out;
}

/* Both incidents' tiers, as one read of two route.decided entries. */
static struct tb_reply
tb_dispatch_both(long long now)
{
	const char *args[] = {
		"I-1", "1", route1, "U1,U2", "I-1", "2", "", "U3",
		"I-2", "1", route2, "U4", "I-9", "1", route2, "U4",
	};

	return tb_call(cmd_dispatch_lua, now, 16, args);
}

START_TEST(dispatch_takes_the_tiers_of_several_entries)
{
	struct tb_reply o;
	char *before;

	o = tb_dispatch_both(T0);
	ck_assert_str_eq(tb_results(&o), "dispatched I-1-T1-1|dispatched "
	    "I-1-T2-1|dispatched I-2-T1-1|missing ");
	ck_assert_int_eq(o.due, T0 + ACK_MS);
	/* per order: order.issued and the unit's reservation */
	ck_assert_int_eq(o.nframes, 6);
	ck_assert_str_eq(tc_hget(rc, "unit:U3", "order"), "I-1-T2-1");
	ck_assert_str_eq(tc_hget(rc, "unit:U4", "order"), "I-2-T1-1");
	ck_assert_str_eq(tc_hget(rc, "order:I-2-T1-1", "id"), "I-2-T1-1");
	ck_assert_int_eq(tc_int(rc, "EXISTS " P "inc:I-9"), 0);
	/* the whole read again: every tier held */
	before = tc_snapshot(rc);
	o = tb_dispatch_both(T0 + 50);
	ck_assert_str_eq(tb_results(&o), "held I-1-T1-1|held I-1-T2-1|"
	    "held I-2-T1-1|missing ");
	ck_assert_int_eq(o.nframes, 0);
	tc_unchanged(before, "a replayed read of s:routes");
}
END_TEST

START_TEST(the_stored_route_wins_and_fills_what_the_incident_lacks)
{
	char stored[8192];
	struct tb_reply o;

	/* I-1 has a route stored already, another than the message's */
	tc_cmd(rc, "HSET " P "inc:I-1 route %s", tc_route(stored,
	    sizeof(stored), "I-1", "U5|U5"));
	/* I-2 lacks what the order carries: the route's is taken */
	tc_cmd(rc, "HDEL " P "inc:I-2 type priority lat lon");
	o = tb_dispatch_both(T0);
	ck_assert_str_eq(tb_results(&o), "dispatched I-1-T1-1|unfilled |"
	    "dispatched I-2-T1-1|missing ");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "unit_id"), "U5");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_ptr_nonnull(strstr(tc_hget(rc, "order:I-2-T1-1", "msg"),
	    "\"incident_type\":\"fight\""));
	ck_assert_ptr_nonnull(strstr(tc_hget(rc, "order:I-2-T1-1", "msg"),
	    "\"lat\":31.2304"));
}
END_TEST

/* One read of s:status: the four answers of U1, then U4's decline. */
static struct tb_reply
tb_statuses(long long now)
{
	const char *args[] = {
		"U1", "acked", "I-1-T1-1", "", "",
		"U1", "enroute", "I-1-T1-1", "", "",
		"U1", "onscene", "I-1-T1-1", "", "",
		"U1", "clear", "I-1-T1-1", "resolved", "",
		"U4", "declined", "I-2-T1-1", "", "busy",
	};

	return tb_call(cmd_status_lua, now, 25, args);
}

START_TEST(statuses_of_one_read_apply_in_order)
{
	struct tb_reply o;
	char *before;

	tb_dispatch_both(T0);
	o = tb_statuses(T0 + 5);
	ck_assert_str_eq(tb_results(&o), "acked I-1-T1-1|enroute I-1-T1-1|"
	    "onscene I-1-T1-1|clear I-1-T1-1|declined I-2-T1-1 unfilled ");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "cleared");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "acked_at"),
	    "1800000000005");
	ck_assert_str_eq(tc_hget(rc, "order:I-2-T1-1", "reason"), "busy");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "unit:U4", "status"), "available");
	/* tier 2 of I-1 is still out */
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "onscene");
	ck_assert_str_eq(tc_events(rc, "I-1"),
	    "dispatched,dispatched,acked,enroute,onscene,cleared");
	/* U1 and U4 released; U4's tier retried later */
	ck_assert_int_eq(o.nframes, 2);
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "orders:ackdue retry|I-2|1"),
	    T0 + 5 + ACK_MS);
	before = tc_snapshot(rc);
	o = tb_statuses(T0 + 500);
	ck_assert_int_eq(o.nframes, 0);
	tc_unchanged(before, "a replayed read of s:status");
}
END_TEST

START_TEST(a_failing_entry_leaves_the_others_applied)
{
	const char *args[] = {
		"U4", "acked", "I-2-T1-1", "", "",
		"U1", "acked", "I-1-T1-1", "", "",
	};
	struct tb_reply o;

	tb_dispatch_both(T0);
	/* I-2's timeline is no list: its entry fails */
	tc_cmd(rc, "DEL " P "inc:I-2:tl");
	tc_cmd(rc, "SET " P "inc:I-2:tl x");
	o = tb_call(cmd_status_lua, T0 + 5, 10, args);
	ck_assert_int_eq(o.ngroups, 2);
	ck_assert_str_eq(o.result[0], "error");
	ck_assert_ptr_nonnull(strstr(o.detail[0], "WRONGTYPE"));
	ck_assert_str_eq(o.result[1], "acked");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "acked");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "acked");
	ck_assert_int_eq(o.nframes, 0);
}
END_TEST

START_TEST(cancel_takes_back_the_live_orders_of_each_incident)
{
	const char *args[] = { "I-1", "I-2", "I-9" };
	const char *acked[] = { "U1", "acked", "I-1-T1-1", "", "" };
	struct tb_reply o;
	char *before;

	tb_dispatch_both(T0);
	tb_call(cmd_status_lua, T0 + 1, 5, acked);
	o = tb_call(cmd_cancel_lua, T0 + 5, 3, args);
	ck_assert_str_eq(tb_results(&o), "cancelled 2|cancelled 1|"
	    "cancelled 0");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "cancelled");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T2-1", "state"), "cancelled");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "unit:U4", "order"), "");
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "orders:ackdue"), 0);
	/* per order: order.cancelled and the released unit */
	ck_assert_int_eq(o.nframes, 6);
	before = tc_snapshot(rc);
	tb_call(cmd_cancel_lua, T0 + 50, 3, args);
	tc_unchanged(before, "a replayed read of s:closed");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("commander_batch");
	TCase *t = tcase_create("batch");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, dispatch_takes_the_tiers_of_several_entries);
	tcase_add_test(t, the_stored_route_wins_and_fills_what_the_incident_lacks);
	tcase_add_test(t, statuses_of_one_read_apply_in_order);
	tcase_add_test(t, a_failing_entry_leaves_the_others_applied);
	tcase_add_test(t, cancel_takes_back_the_live_orders_of_each_incident);
	suite_add_tcase(s, t);
	return np_test_run(s);
}
