/*
 * dispatch_next as the commander runs it (dispatch.lua and noanswer.lua on
 * lib.lua, in a real redis-server): route order, taken units, exhausted
 * tiers, replays, missed acks -- and two processes dispatching the same
 * and overlapping incidents at once without a unit ever holding two
 * orders.
 */
#include <sys/wait.h>

#include <unistd.h>

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

START_TEST(reserves_first_available_candidate_in_route_order)
{
	struct tc_reply o;

	o = tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1",
	    "U2,U1|U3"), T0);
	ck_assert_str_eq(o.result, "dispatched");
	ck_assert_str_eq(o.detail, "I-1-T1-1");
	ck_assert_int_eq(o.due, T0 + ACK_MS);
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "status"), "dispatched");
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "order"), "I-1-T1-1");
	ck_assert_str_eq(tc_hget(rc, "unit:U2", "incident"), "I-1");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "issued");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "unit_id"), "U2");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1:asg", "1"), "I-1-T1-1");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1:asg", "1.next"), "1");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "state"), "dispatched");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1", "route"), route);
	ck_assert_str_eq(tc_events(rc, "I-1"), "dispatched");
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "orders:ackdue I-1-T1-1"),
	    T0 + ACK_MS);
	ck_assert_int_eq(tc_int(rc, "XLEN " P "s:orders"), 1);
	/* the order message, as stored, sent and published */
	ck_assert_int_eq(o.nframes, 2);
	ck_assert_str_eq(o.frames[0] + strlen("order.issued "),
	    tc_hget(rc, "order:I-1-T1-1", "msg"));
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"unit_id\":\"U2\""));
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"address\":\"Main_St_1\""));
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"incident_type\":\"fight\""));
	ck_assert_ptr_nonnull(strstr(o.frames[1], "unit.status {"));
	ck_assert_ptr_nonnull(strstr(o.frames[1], "\"status\":\"dispatched\""));

	o = tc_dispatch(rc, "I-1", 2, route, T0);
	ck_assert_str_eq(o.detail, "I-1-T2-1");
	ck_assert_str_eq(tc_hget(rc, "unit:U3", "order"), "I-1-T2-1");
}
END_TEST

START_TEST(skips_taken_and_unavailable_units)
{
	struct tc_reply o;

	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1", "U1"),
	    T0);
	tc_cmd(rc, "HSET " P "unit:U2 status unreachable");
	tc_cmd(rc, "HSET " P "unit:U3 status available order X-T1-1");
	o = tc_dispatch(rc, "I-2", 1, tc_route(route, sizeof(route), "I-2",
	    "U1,U9,U2,U3,U4"), T0);
	ck_assert_str_eq(o.result, "dispatched");
	ck_assert_str_eq(tc_hget(rc, "order:I-2-T1-1", "unit_id"), "U4");
	ck_assert_str_eq(tc_hget(rc, "inc:I-2:asg", "1.next"), "5");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "order"), "I-1-T1-1");
	ck_assert_int_eq(tc_int(rc, "EXISTS " P "unit:U9"), 0);
}
END_TEST

START_TEST(exhausted_tier_is_recorded_once)
{
	struct tc_reply o;

	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1", "U1"),
	    T0);
	tc_route(route, sizeof(route), "I-2", "U1|-");
	o = tc_dispatch(rc, "I-2", 1, route, T0);
	ck_assert_str_eq(o.result, "unfilled");
	ck_assert_int_eq(o.nframes, 0);
	o = tc_dispatch(rc, "I-2", 1, route, T0 + 1);
	ck_assert_str_eq(o.result, "unfilled");
	o = tc_dispatch(rc, "I-2", 2, route, T0 + 2);	/* no candidates */
	ck_assert_str_eq(o.result, "unfilled");
	ck_assert_str_eq(tc_events(rc, "I-2"), "tier_unfilled,tier_unfilled");
	ck_assert_str_eq(tc_hget(rc, "inc:I-2", "state"), "routed");
	o = tc_dispatch(rc, "I-2", 3, route, T0);
	ck_assert_str_eq(o.result, "notier");
	ck_assert_int_eq(tc_int(rc, "XLEN " P "s:orders"), 1);
}
END_TEST

START_TEST(replayed_decision_creates_nothing_twice)
{
	struct tc_reply o;
	char *before, other[8192];

	tc_route(route, sizeof(route), "I-1", "U1,U2|U3");
	tc_dispatch(rc, "I-1", 1, route, T0);
	tc_dispatch(rc, "I-1", 2, route, T0);
	before = tc_snapshot(rc);
	/* the same message again, and a different decision for it later */
	o = tc_dispatch(rc, "I-1", 1, route, T0 + 5);
	ck_assert_str_eq(o.result, "held");
	ck_assert_str_eq(o.detail, "I-1-T1-1");
	ck_assert_int_eq(o.nframes, 0);
	ck_assert_int_eq(o.due, 0);
	tc_dispatch(rc, "I-1", 2, tc_route(other, sizeof(other), "I-1",
	    "U4|U4"), T0 + 5);
	tc_unchanged(before, "replaying the decision");
}
END_TEST

START_TEST(closed_or_missing_incident_gets_no_unit)
{
	struct tc_reply o;

	o = tc_dispatch(rc, "I-9", 1, tc_route(route, sizeof(route), "I-9",
	    "U1"), T0);
	ck_assert_str_eq(o.result, "missing");
	ck_assert_int_eq(tc_int(rc, "EXISTS " P "inc:I-9"), 0);

	tc_cmd(rc, "HSET " P "inc:I-1 state closed");
	o = tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1",
	    "U1"), T0);
	ck_assert_str_eq(o.result, "closed");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "available");
}
END_TEST

START_TEST(missed_ack_makes_unit_unreachable_and_takes_the_next)
{
	struct tc_reply o;

	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1",
	    "U1,U2"), T0);
	o = tc_noanswer(rc, T0 + ACK_MS - 1);
	ck_assert_str_eq(o.detail, "0");
	ck_assert_int_eq(o.due, T0 + ACK_MS);
	o = tc_noanswer(rc, T0 + ACK_MS);
	ck_assert_str_eq(o.result, "expired");
	ck_assert_str_eq(o.detail, "1");
	ck_assert_int_eq(o.due, T0 + 2 * ACK_MS);	/* the new order's */
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "noanswer");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "reason"), "no_answer");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "status"), "unreachable");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "order"), "");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-2", "unit_id"), "U2");
	ck_assert_str_eq(tc_hget(rc, "inc:I-1:asg", "1"), "I-1-T1-2");
	ck_assert_str_eq(tc_events(rc, "I-1"), "dispatched,no_answer,dispatched");
	ck_assert_int_eq(tc_int(rc, "XLEN " P "s:orders"), 3);
	ck_assert_ptr_nonnull(strstr(o.frames[1], "order.cancelled {"));
	ck_assert_ptr_nonnull(strstr(o.frames[1], "\"reason\":\"no_answer\""));
	ck_assert_ptr_nonnull(strstr(o.frames[2], "order.issued {"));
	/* nothing else is due; a second sweep changes nothing */
	o = tc_noanswer(rc, T0 + ACK_MS);
	ck_assert_str_eq(o.detail, "0");
	o = tc_noanswer(rc, T0 + 2 * ACK_MS);
	ck_assert_str_eq(o.detail, "1");
	ck_assert_int_eq(o.due, T0 + 3 * ACK_MS);	/* the tier's retry */
	ck_assert_str_eq(tc_events(rc, "I-1"),
	    "dispatched,no_answer,dispatched,no_answer,tier_unfilled");
}
END_TEST

/* Every candidate busy or gone (a gateway restart): the tier is tried
 * again each ack timeout while the incident is open, from the top of the
 * list, until a unit is free -- and not at all once it is closed. */
START_TEST(unfilled_tier_is_tried_again_until_a_unit_is_free)
{
	struct tc_reply o;

	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1",
	    "U1,U2"), T0);
	tc_noanswer(rc, T0 + ACK_MS);		/* U1 silent, U2 sent */
	o = tc_noanswer(rc, T0 + 2 * ACK_MS);	/* U2 silent: unfilled */
	ck_assert_int_eq(o.due, T0 + 3 * ACK_MS);
	o = tc_noanswer(rc, T0 + 3 * ACK_MS);	/* both still unreachable */
	ck_assert_str_eq(o.detail, "0");
	ck_assert_int_eq(o.due, T0 + 4 * ACK_MS);
	ck_assert_int_eq(tc_int(rc, "XLEN " P "s:orders"), 4);
	tc_cmd(rc, "HSET " P "unit:U1 status available");	/* it is back */
	o = tc_noanswer(rc, T0 + 4 * ACK_MS);
	ck_assert_str_eq(tc_hget(rc, "inc:I-1:asg", "1"), "I-1-T1-3");
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-3", "unit_id"), "U1");
	ck_assert_int_eq(o.due, T0 + 5 * ACK_MS);	/* its ack deadline */
	ck_assert_str_eq(tc_events(rc, "I-1"), "dispatched,no_answer,"
	    "dispatched,no_answer,tier_unfilled,dispatched");
	tc_status(rc, "U1", "acked", "I-1-T1-3", "", T0 + 4 * ACK_MS + 1);
	/* a closed incident's tier is not tried again */
	tc_dispatch(rc, "I-2", 1, tc_route(route, sizeof(route), "I-2",
	    "U2"), T0 + 4 * ACK_MS);
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "orders:ackdue retry|I-2|1"),
	    T0 + 5 * ACK_MS);
	tc_cmd(rc, "HSET " P "inc:I-2 state closed");
	tc_noanswer(rc, T0 + 5 * ACK_MS);
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "orders:ackdue"), 0);
}
END_TEST

START_TEST(answered_order_is_not_expired)
{
	struct tc_reply o;

	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1",
	    "U1,U2"), T0);
	tc_status(rc, "U1", "acked", "I-1-T1-1", "", T0 + 10);
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "orders:ackdue"), 0);
	/* an ack racing the sweep: the member is gone, the order acked */
	tc_cmd(rc, "ZADD " P "orders:ackdue %lld I-1-T1-1", T0 + ACK_MS);
	o = tc_noanswer(rc, T0 + ACK_MS);
	ck_assert_str_eq(o.detail, "0");
	ck_assert_int_eq(o.due, 0);
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "acked");
	ck_assert_str_eq(tc_hget(rc, "unit:U1", "order"), "I-1-T1-1");
}
END_TEST

/*
 * Two processes, each on its own connection, run dispatch_next (and
 * clears, declines and sweeps, so units come back and are fought over)
 * for the same NINC incidents in opposite orders, over overlapping lists
 * of NUNITS units.  After every step each checks the invariant in one
 * atomic script: a unit holds at most one live order, and a unit's order
 * field names a live order of that unit.
 */
#define NINC	120
#define NUNITS	24

static const char invariant_lua[] =
    "local live = {}\n"
    "for _, k in ipairs(redis.call('KEYS', ARGV[1] .. 'order:*')) do\n"
    "  local f = redis.call('HMGET', k, 'state', 'unit_id')\n"
    "  if f[1] == 'issued' or f[1] == 'acked' or f[1] == 'enroute' or\n"
    "      f[1] == 'onscene' then\n"
    "    if live[f[2]] then return 'two orders for ' .. f[2] end\n"
    "    live[f[2]] = string.sub(k, #ARGV[1] + 7)\n"
    "  end\n"
    "end\n"
    "for _, k in ipairs(redis.call('KEYS', ARGV[1] .. 'unit:*')) do\n"
    "  local u = redis.call('HMGET', k, 'id', 'order')\n"
    "  if (u[2] or false) ~= (live[u[1]] or false) then\n"
    "    return k .. ' holds ' .. tostring(u[2]) .. ', live ' ..\n"
    "      tostring(live[u[1]])\n"
    "  end\n"
    "end\n"
    "return 'ok'\n";

static int
invariant(redisContext *c)
{
	redisReply *r = redisCommand(c, "EVAL %s 0 %s", invariant_lua, P);
	int ok = r != NULL && r->type == REDIS_REPLY_STRING &&
	    strcmp(r->str, "ok") == 0;

	if (!ok)
		fprintf(stderr, "invariant: %s\n", r != NULL &&
		    r->str != NULL ? r->str : "no reply");
	freeReplyObject(r);
	return ok;
}

static int
contend(int who)
{
	redisContext *c = redisConnect("127.0.0.1", tc_srv.port);
	char inc[16], list[256], buf[8192], key[320], unit[4096];
	struct tc_reply o;
	int i, k, step;

	if (c == NULL || c->err)
		return 1;
	for (step = 0; step < NINC; step++) {
		i = who == 0 ? step : NINC - 1 - step;
		snprintf(inc, sizeof(inc), "C-%d", i);
		list[0] = '\0';
		for (k = 0; k < 6; k++)		/* overlapping windows */
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%sU%d", k ? "," : "",
			    1 + (i * 5 + k * 7) % NUNITS);
		tc_route(buf, sizeof(buf), inc, list);
		o = tc_dispatch(c, inc, 1, buf, T0 + step);
		if (!invariant(c))
			return 1;
		if (*o.detail != '\0' && step % 3 != 2) {
			/* its unit answers; a third stay for the sweeps */
			snprintf(key, sizeof(key), "order:%s", o.detail);
			snprintf(unit, sizeof(unit), "%s",
			    tc_hget(c, key, "unit_id"));
			tc_status(c, unit, step % 2 ? "clear" : "declined",
			    o.detail, "done", T0 + step);
			if (!invariant(c))
				return 1;
		}
		if (step % 10 == 9) {
			tc_noanswer(c, T0 + step + ACK_MS);
			for (k = 1; k <= NUNITS; k++) {	/* back on air */
				snprintf(unit, sizeof(unit), "U%d", k);
				tc_status(c, unit, "online", "", "", T0 + step);
			}
			if (!invariant(c))
				return 1;
		}
	}
	redisFree(c);
	return 0;
}

static const char issued_lua[] =
    "local n = 0\n"
    "for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do\n"
    "  if string.find(e[2][2], '\"order.issued\"', 1, true) then\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

START_TEST(two_commanders_never_hold_a_unit_twice)
{
	char units[512] = "", id[16];
	pid_t pid[2];
	int st, i, failed = 0;
	redisReply *r;

	for (i = 5; i <= NUNITS; i++)
		snprintf(units + strlen(units), sizeof(units) - strlen(units),
		    "%sU%d", i > 5 ? "," : "", i);
	tc_seed(rc, units);
	for (i = 0; i < NINC; i++) {
		snprintf(id, sizeof(id), "C-%d", i);
		tc_incident(rc, id);
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_ge(pid[i] = fork(), 0);
		if (pid[i] == 0)
			_exit(contend(i));
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	ck_assert_int_eq(failed, 0);
	ck_assert(invariant(rc));
	/* every order was announced exactly once */
	r = redisCommand(rc, "KEYS " P "order:*");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	ck_assert_int_gt(r->elements, NINC / 2);
	ck_assert_int_eq(tc_int(rc, "EVAL %s 1 %s", issued_lua,
	    P "s:orders"), r->elements);
	freeReplyObject(r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("commander_dispatch");
	TCase *tc_ = tcase_create("dispatch");

	tcase_add_checked_fixture(tc_, setup, tc_teardown);
	tcase_add_test(tc_, reserves_first_available_candidate_in_route_order);
	tcase_add_test(tc_, skips_taken_and_unavailable_units);
	tcase_add_test(tc_, exhausted_tier_is_recorded_once);
	tcase_add_test(tc_, replayed_decision_creates_nothing_twice);
	tcase_add_test(tc_, closed_or_missing_incident_gets_no_unit);
	tcase_add_test(tc_, missed_ack_makes_unit_unreachable_and_takes_the_next);
	tcase_add_test(tc_, unfilled_tier_is_tried_again_until_a_unit_is_free);
	tcase_add_test(tc_, answered_order_is_not_expired);
	tcase_add_test(tc_, two_commanders_never_hold_a_unit_twice);
	suite_add_tcase(s, tc_);
	return np_test_run(s);
}
