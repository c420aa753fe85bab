/*
 * The tracker's scripts as the tracker runs them (the build's texts,
 * text.lua and lib.lua in front of arm.lua, met.lua, fire.lua, linked
 * from the nptracker_logic library; arm.lua given what msg.c reads of a
 * route.decided) in a real redis-server: arming from a route.decided,
 * marks met in time and late, the ladder firing each step exactly once
 * (also after a long outage), replays changing nothing, and a batch of
 * entries answered one by one, a failing entry leaving the others alone.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_testloop.h"
#include "np_testredis.h"
#include "np_testscript.h"
#include "tracker.h"

#define P	"np:{city}:"
#define T0	1800000000000LL
#define STEP_S	60

struct tt_reply {
	char		result[32];
	char		detail[256];
	long long	earliest;
	int		nanswers;
	char		answers[8][64];	/* per entry of a batch */
	int		nframes;
	char		frames[8][NP_TEST_FRAME_MAX];
};

static struct np_testredis srv;
static redisContext *rc;
static char route[4096];

/* A route.decided: tiers 1..3 with the plan's 60/180/300 s. */
static void
mkroute(char *buf, size_t len, const char *inc)
{
	snprintf(buf, len, "{\"type\":\"route.decided\",\"v\":1,"
	    "\"ts\":%lld,\"src\":\"router\",\"incident_id\":\"%s\","
	    "\"incident_type\":\"fight\",\"priority\":2,\"lat\":31.23,"
	    "\"lon\":121.47,\"t0\":%lld,\"post\":{\"id\":\"P-1\",\"name\":"
	    "\"One\",\"distance_m\":12.5},\"coverage_gap\":false,\"tiers\":["
	    "{\"tier\":1,\"deadline_s\":60,\"candidates\":[]},"
	    "{\"tier\":2,\"deadline_s\":180,\"candidates\":[]},"
	    "{\"tier\":3,\"deadline_s\":300,\"candidates\":[]}]}", T0, inc,
	    T0);
}

static void
setup(void)
{
	ck_assert_int_eq(np_testredis_start(&srv, NULL), 0);
	rc = redisConnect("127.0.0.1", srv.port);
	ck_assert(rc != NULL && rc->err == 0);
	mkroute(route, sizeof(route), "I-1");
}

static void
teardown(void)
{
	redisFree(rc);
	np_testredis_stop(&srv);
}

/*
 * {result, detail, earliest, {answers}, frames...}; a batch of one entry
 * answers with that entry's result and detail.
 */
static struct tt_reply
decode(const redisReply *r)
{
	const redisReply *a;
	struct tt_reply o;
	size_t i;
	char *sp;

	memset(&o, 0, sizeof(o));
	ck_assert_msg(r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    r->elements >= 4 && r->element[3]->type == REDIS_REPLY_ARRAY,
	    "script said: %s", r != NULL && r->type == REDIS_REPLY_ERROR ?
	    r->str : "?");
	snprintf(o.result, sizeof(o.result), "%s", r->element[0]->str);
	snprintf(o.detail, sizeof(o.detail), "%s", r->element[1]->str);
	o.earliest = r->element[2]->integer;
	a = r->element[3];
	for (i = 0; i < a->elements && i < 8; i++)
		snprintf(o.answers[o.nanswers++], sizeof(o.answers[0]), "%s",
		    a->element[i]->str);
	for (i = 4; i < r->elements && o.nframes < 8; i++)
		snprintf(o.frames[o.nframes++], NP_TEST_FRAME_MAX, "%s",
		    r->element[i]->str);
	if (strcmp(o.result, "batch") == 0 && o.nanswers == 1) {
		sp = strchr(o.answers[0], ' ');
		ck_assert_ptr_nonnull(sp);
		snprintf(o.result, sizeof(o.result), "%.*s",
		    (int)(sp - o.answers[0]), o.answers[0]);
		snprintf(o.detail, sizeof(o.detail), "%s", sp + 1);
	}
	return o;
}

static struct tt_reply
evalv(const char *script, long long now, int n, const char **args)
{
	const char *argv[64];
	char nowbuf[24];
	struct tt_reply o;
	redisReply *r;
	int argc = 0;

	ck_assert_int_le(n, 56);
	snprintf(nowbuf, sizeof(nowbuf), "%lld", now);
	argv[argc++] = "EVAL"; argv[argc++] = script; argv[argc++] = "2";
	argv[argc++] = P "marks:due"; argv[argc++] = P "s:escalations";
	argv[argc++] = P; argv[argc++] = nowbuf; argv[argc++] = "city";
	while (n-- > 0)
		argv[argc++] = *args++;
	r = redisCommandArgv(rc, argc, argv, NULL);
	o = decode(r);
	freeReplyObject(r);
	return o;
}

static struct tt_reply
eval(const char *script, long long now, int n, ...)
{
	const char *argv[16];
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		argv[i] = va_arg(ap, const char *);
	va_end(ap);
	return evalv(script, now, n, argv);
}

/* arm.lua's arguments for a route.decided, as the tracker passes them. */
static int
arm_args(const char *msg, const char *marks, struct trk_route *r,
    struct trk_arm_args *a)
{
	char err[256];
	int m[3];

	ck_assert_int_eq(sscanf(marks, "%d %d %d", &m[0], &m[1], &m[2]), 3);
	ck_assert_int_eq(trk_route_parse(msg, strlen(msg), m, r, err,
	    sizeof(err)), 0);
	trk_arm_args(r, a);
	return a->argc;
}

static struct tt_reply
arm(const char *marks)		/* "m1 m2 m3" seconds */
{
	struct trk_route r;
	struct trk_arm_args a;

	arm_args(route, marks, &r, &a);
	return evalv(trk_arm_lua, T0 + 500, a.argc, a.argv);
}

static struct tt_reply
met(const char *oid, const char *status, long long now)
{
	return eval(trk_met_lua, now, 3, oid, status, "0");
}

static struct tt_reply
fire(long long now)
{
	return eval(trk_fire_lua, now, 3, "60", "redispatch,supervisor,command",
	    "100");
}

static const char *
hget(const char *key, const char *field)
{
	static char val[1024];
	redisReply *r = redisCommand(rc, "HGET " P "%s %s", key, field);

	ck_assert_ptr_nonnull(r);
	snprintf(val, sizeof(val), "%s",
	    r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	return val;
}

static long long
num(const char *fmt, ...)
{
	redisReply *r;
	va_list ap;
	long long v;

	va_start(ap, fmt);
	r = redisvCommand(rc, fmt, ap);
	va_end(ap);
	ck_assert(r != NULL && r->type != REDIS_REPLY_ERROR);
	v = r->type == REDIS_REPLY_INTEGER ? r->integer :
	    r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
	freeReplyObject(r);
	return v;
}

/* The msg fields of a stream or a list, one "type,tier,step" per entry. */
static const char *
summary(const char *what, const char *key)
{
	static char out[4096];
	redisReply *r;
	size_t off = 0, i;
	const char *s, *e;

	r = strcmp(what, "stream") == 0 ?
	    redisCommand(rc, "XRANGE " P "%s - +", key) :
	    redisCommand(rc, "LRANGE " P "%s 0 -1", key);
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	out[0] = '\0';
	for (i = 0; i < r->elements && off < sizeof(out) - 64; i++) {
		s = strcmp(what, "stream") == 0 ?
		    r->element[i]->element[1]->element[1]->str :
		    r->element[i]->str;
		e = strstr(s, strcmp(what, "stream") == 0 ? "\"type\":\"" :
		    "\"event\":\"");
		ck_assert_ptr_nonnull(e);
		e = strchr(e + 7, '"') + 1;
		off += snprintf(out + off, sizeof(out) - off, "%s%.*s",
		    i ? " " : "", (int)strcspn(e, "\""), e);
		if ((e = strstr(s, "\"step\":")) != NULL)
			off += snprintf(out + off, sizeof(out) - off, ":%c",
			    e[7]);
	}
	freeReplyObject(r);
	return out;
}

START_TEST(arms_each_tier_at_t0_plus_its_deadline_once)
{
	struct tt_reply o;

	o = arm("0 0 0");
	ck_assert_str_eq(o.result, "armed");
	ck_assert_str_eq(o.detail, "1,2,3");
	ck_assert_int_eq(o.earliest, T0 + 60000);
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|1|1"), T0 + 60000);
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|2|1"), T0 + 180000);
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|3|1"), T0 + 300000);
	ck_assert_str_eq(hget("mark:I-1", "1.state"), "pending");
	ck_assert_str_eq(hget("mark:I-1", "2.step"), "0");
	ck_assert_str_eq(hget("mark:I-1", "post"), "P-1");
	ck_assert_str_eq(hget("mark:I-1", "type"), "fight");
	/* a replay, even with other settings, changes nothing */
	o = arm("1 2 3");
	ck_assert_str_eq(o.result, "held");
	ck_assert_int_eq(num("ZCARD " P "marks:due"), 3);
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|1|1"), T0 + 60000);
}
END_TEST

START_TEST(settings_override_the_plan_deadlines)
{
	arm("1 2 0");
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|1|1"), T0 + 1000);
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|2|1"), T0 + 2000);
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|3|1"), T0 + 300000);
}
END_TEST

START_TEST(met_in_time_stops_the_clock)
{
	struct tt_reply o;

	arm("0 0 0");
	o = met("I-1-T1-1", "acked", T0 + 30000);
	ck_assert_str_eq(o.result, "met");
	ck_assert_int_eq(o.earliest, T0 + 180000);
	ck_assert_int_eq(o.nframes, 1);
	ck_assert_ptr_nonnull(strstr(o.frames[0], "mark.met {"));
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"late\":false"));
	ck_assert_str_eq(hget("mark:I-1", "1.state"), "met");
	ck_assert_int_eq(num("HGET " P "mark:I-1 1.met_at"), T0 + 30000);
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|1|1"), -1);
	/* replays and statuses that do not count change nothing */
	ck_assert_str_eq(met("I-1-T1-1", "onscene", T0 + 40000).result,
	    "ignored");
	ck_assert_str_eq(met("I-1-T2-1", "acked", T0 + 40000).result,
	    "ignored");
	ck_assert_str_eq(met("I-1-T2-1", "enroute", T0 + 40000).result,
	    "ignored");
	ck_assert_str_eq(met("garbage", "onscene", T0).result, "ignored");
	ck_assert_str_eq(hget("mark:I-1", "2.state"), "pending");
	ck_assert_str_eq(met("I-1-T2-2", "onscene", T0 + 50000).result,
	    "met");
	ck_assert_str_eq(summary("list", "inc:I-1:tl"), "mark_met mark_met");
	ck_assert_str_eq(fire(T0 + 200000).detail, "0");
	ck_assert_int_eq(num("XLEN " P "s:escalations"), 0);
}
END_TEST

START_TEST(met_after_due_is_late_and_stops_the_ladder)
{
	struct tt_reply o;

	arm("0 0 0");
	/* due passed, the tracker had not fired yet */
	o = met("I-1-T1-1", "onscene", T0 + 61000);
	ck_assert_str_eq(o.result, "met_late");
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"late\":true"));
	ck_assert_str_eq(fire(T0 + 62000).detail, "0");
	/* tier 2 missed, then met: the ladder stops after step 1 */
	ck_assert_str_eq(fire(T0 + 180000).detail, "1");
	ck_assert_str_eq(hget("mark:I-1", "2.state"), "missed");
	ck_assert_str_eq(met("I-1-T2-1", "onscene", T0 + 200000).result,
	    "met_late");
	ck_assert_str_eq(hget("mark:I-1", "2.state"), "met_late");
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|2|2"), -1);
	ck_assert_str_eq(fire(T0 + 400000).detail, "1");	/* tier 3 */
	ck_assert_str_eq(summary("stream", "s:escalations"),
	    "mark.missed escalation:1 mark.missed escalation:1");
}
END_TEST

START_TEST(missed_mark_climbs_each_ladder_step_once)
{
	struct tt_reply o;
	long long due = T0 + 60000;

	arm("0 0 0");
	ck_assert_str_eq(fire(due - 1).detail, "0");
	o = fire(due);
	ck_assert_str_eq(o.detail, "1");
	ck_assert_int_eq(o.earliest, due + 60000);
	ck_assert_int_eq(o.nframes, 2);
	ck_assert_ptr_nonnull(strstr(o.frames[1], "\"action\":\"redispatch\""));
	ck_assert_ptr_nonnull(strstr(o.frames[1], "\"district\":\"city\""));
	ck_assert_ptr_nonnull(strstr(o.frames[1], "\"post\":\"P-1\""));
	ck_assert_str_eq(hget("mark:I-1", "1.state"), "missed");
	ck_assert_str_eq(hget("mark:I-1", "1.step"), "1");
	ck_assert_str_eq(fire(due + 1000).detail, "0");
	ck_assert_str_eq(fire(due + 60000).detail, "1");
	ck_assert_str_eq(fire(due + 60000).detail, "0");
	ck_assert_str_eq(fire(due + 120000).detail, "2");	/* + tier 2 */
	ck_assert_str_eq(hget("mark:I-1", "1.step"), "3");
	ck_assert_int_eq(num("ZSCORE " P "marks:due I-1|1|4"), -1);
	/* a stale member of a step already fired changes nothing */
	num("ZADD " P "marks:due %lld I-1|1|2", due);
	ck_assert_str_eq(fire(due + 130000).detail, "0");
	/* equal scores run in member order: I-1|1|3 before I-1|2|1 */
	ck_assert_str_eq(summary("stream", "s:escalations"),
	    "mark.missed escalation:1 escalation:2 escalation:3 mark.missed "
	    "escalation:1");
	ck_assert_str_eq(summary("list", "inc:I-1:tl"),
	    "mark_missed escalation:1 escalation:2 escalation:3 mark_missed "
	    "escalation:1");
}
END_TEST

START_TEST(after_an_outage_everything_due_fires_once)
{
	long long n = 0, fired;
	int runs = 0;

	arm("0 0 0");
	/* no tracker for an hour: runs until nothing is due */
	do {
		fired = strtoll(fire(T0 + 3600000).detail, NULL, 10);
		n += fired;
		ck_assert_int_lt(++runs, 10);
	} while (fired > 0);
	ck_assert_int_eq(n, 9);		/* 3 tiers x 3 steps */
	ck_assert_int_eq(num("ZCARD " P "marks:due"), 0);
	ck_assert_int_eq(num("XLEN " P "s:escalations"), 12);
	ck_assert_str_eq(hget("mark:I-1", "3.step"), "3");
}
END_TEST

START_TEST(cleared_incident_escalates_no_more)
{
	arm("0 0 0");
	num("HSET " P "inc:I-1 state closed");
	ck_assert_str_eq(fire(T0 + 60000).detail, "0");
	ck_assert_str_eq(hget("mark:I-1", "1.state"), "pending");
	ck_assert_int_eq(num("ZCARD " P "marks:due"), 2);
}
END_TEST

/* The chaos test's find: a tracker down (or behind) when a unit answered
 * in time reads the status after the due; it is judged by when the status
 * was stored, so the mark is met, not met_late. */
START_TEST(status_read_late_is_judged_by_when_it_was_stored)
{
	struct tt_reply o;
	char at[24];

	arm("0 0 0");
	snprintf(at, sizeof(at), "%lld", T0 + 59000);
	o = eval(trk_met_lua, T0 + 65000, 3, "I-1-T1-1", "acked", at);
	ck_assert_int_eq(o.nanswers, 1);
	ck_assert_str_eq(o.result, "met");
	ck_assert_int_eq(num("HGET " P "mark:I-1 1.met_at"), T0 + 59000);
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"late\":false"));
	/* stored after the due: late, even though the ladder had not fired */
	snprintf(at, sizeof(at), "%lld", T0 + 181000);
	o = eval(trk_met_lua, T0 + 182000, 3, "I-1-T2-1", "onscene", at);
	ck_assert_str_eq(o.result, "met_late");
	/* a miss that fired stays a miss, whatever the status says */
	ck_assert_str_eq(fire(T0 + 300000).detail, "1");
	snprintf(at, sizeof(at), "%lld", T0 + 299000);
	o = eval(trk_met_lua, T0 + 301000, 3, "I-1-T3-1", "onscene", at);
	ck_assert_str_eq(o.result, "met_late");
	ck_assert_str_eq(fire(T0 + 400000).detail, "0");
}
END_TEST

START_TEST(status_before_decision_is_judged_when_armed)
{
	ck_assert_str_eq(met("I-1-T1-1", "acked", T0 + 70000).result, "met");
	ck_assert_str_eq(met("I-1-T2-1", "onscene", T0 + 1000).result, "met");
	ck_assert_str_eq(arm("0 0 0").detail, "1,2,3");
	ck_assert_str_eq(hget("mark:I-1", "1.state"), "met_late");
	ck_assert_str_eq(hget("mark:I-1", "2.state"), "met");
	ck_assert_int_eq(num("ZCARD " P "marks:due"), 1);
}
END_TEST

START_TEST(a_batch_answers_each_entry_in_order)
{
	struct trk_route r[3];
	struct trk_arm_args a[3];
	const char *argv[3 * TRK_ARM_ARGS];
	char r2[4096];
	struct tt_reply o;
	int i, n = 0;

	mkroute(r2, sizeof(r2), "I-2");
	/* I-1, I-2, and I-1 again (a replay within the same read) */
	for (i = 0; i < 3; i++) {
		arm_args(i == 1 ? r2 : route, "0 0 0", &r[i], &a[i]);
		memcpy(argv + n, a[i].argv, a[i].argc * sizeof(*argv));
		n += a[i].argc;
	}
	o = evalv(trk_arm_lua, T0 + 500, n, argv);
	ck_assert_str_eq(o.result, "batch");
	ck_assert_str_eq(o.detail, "3");
	ck_assert_int_eq(o.nanswers, 3);
	ck_assert_str_eq(o.answers[0], "armed 1,2,3");
	ck_assert_str_eq(o.answers[1], "armed 1,2,3");
	ck_assert_str_eq(o.answers[2], "held ");
	ck_assert_int_eq(num("ZCARD " P "marks:due"), 6);
	{
		const char *m[] = { "I-1-T1-1", "acked", "0", "I-1-T1-1",
		    "onscene", "0", "garbage", "onscene", "0", "I-2-T2-1",
		    "onscene", "0" };

		o = evalv(trk_met_lua, T0 + 1000, 12, m);
	}
	ck_assert_int_eq(o.nanswers, 4);
	ck_assert_str_eq(o.answers[0], "met I-1|1");
	ck_assert_str_eq(o.answers[1], "ignored already met");
	ck_assert_str_eq(o.answers[2], "ignored order id garbage");
	ck_assert_str_eq(o.answers[3], "met I-2|2");
	ck_assert_int_eq(o.nframes, 2);
	ck_assert_ptr_nonnull(strstr(o.frames[1], "\"incident_id\":\"I-2\""));
	ck_assert_int_eq(o.earliest, T0 + 60000);	/* I-2|1|1 */
}
END_TEST

/* One entry's run failing (here: its mark key clobbered) fails it alone:
 * no frames of its own, the entries after it still handled. */
START_TEST(a_failing_entry_leaves_the_others_alone)
{
	const char *m[] = { "I-1-T1-1", "acked", "0", "I-2-T1-1", "acked",
	    "0", "I-1-T2-1", "onscene", "0" };
	struct tt_reply o;

	arm("0 0 0");
	num("SET " P "mark:I-2 x");
	o = evalv(trk_met_lua, T0 + 1000, 9, m);
	ck_assert_int_eq(o.nanswers, 3);
	ck_assert_str_eq(o.answers[0], "met I-1|1");
	ck_assert_ptr_nonnull(strstr(o.answers[1], "error "));
	ck_assert_ptr_nonnull(strstr(o.answers[1], "WRONGTYPE"));
	ck_assert_str_eq(o.answers[2], "met I-1|2");
	ck_assert_int_eq(o.nframes, 2);
	ck_assert_str_eq(summary("list", "inc:I-1:tl"), "mark_met mark_met");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tracker_marks");
	TCase *tc = tcase_create("marks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, arms_each_tier_at_t0_plus_its_deadline_once);
	tcase_add_test(tc, settings_override_the_plan_deadlines);
	tcase_add_test(tc, met_in_time_stops_the_clock);
	tcase_add_test(tc, met_after_due_is_late_and_stops_the_ladder);
	tcase_add_test(tc, missed_mark_climbs_each_ladder_step_once);
	tcase_add_test(tc, after_an_outage_everything_due_fires_once);
	tcase_add_test(tc, cleared_incident_escalates_no_more);
	tcase_add_test(tc, status_before_decision_is_judged_when_armed);
	tcase_add_test(tc, status_read_late_is_judged_by_when_it_was_stored);
	tcase_add_test(tc, a_batch_answers_each_entry_in_order);
	tcase_add_test(tc, a_failing_entry_leaves_the_others_alone);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
