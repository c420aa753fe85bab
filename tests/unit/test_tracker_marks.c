/*
 * The tracker's scripts as the tracker runs them (lib.lua prepended to
 * arm.lua, met.lua, fire.lua) in a real redis-server: arming from a
 * route.decided, marks met in time and late, the ladder firing each step
 * exactly once (also after a long outage), replays changing nothing --
 * and the commander's redispatch.lua sending an extra unit once.
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

#define P	"np:{city}:"
#define T0	1800000000000LL
#define STEP_S	60

struct tt_reply {
	char		result[32];
	char		detail[256];
	long long	earliest;
	int		nframes;
	char		frames[8][NP_TEST_FRAME_MAX];
};

static struct np_testredis srv;
static redisContext *rc;
static char *s_arm, *s_met, *s_fire;
static char route[4096];

static char *
readf(const char *path, const char *prepend)
{
	char *buf = calloc(1, 65536);
	size_t off = 0;
	FILE *f;

	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s", path);
	if (prepend != NULL)
		off = strlen(strcpy(buf, prepend));
	ck_assert_int_gt(fread(buf + off, 1, 65535 - off, f), 0);
	fclose(f);
	return buf;
}

static void
setup(void)
{
	char *lib = readf(NP_SRC_DIR "/services/tracker/lib.lua", NULL);

	s_arm = readf(NP_SRC_DIR "/services/tracker/arm.lua", lib);
	s_met = readf(NP_SRC_DIR "/services/tracker/met.lua", lib);
	s_fire = readf(NP_SRC_DIR "/services/tracker/fire.lua", lib);
	free(lib);
	ck_assert_int_eq(np_testredis_start(&srv, NULL), 0);
	rc = redisConnect("127.0.0.1", srv.port);
	ck_assert(rc != NULL && rc->err == 0);
	/* tiers 1..3 with the plan's 60/180/300 s */
	snprintf(route, sizeof(route), "{\"type\":\"route.decided\",\"v\":1,"
	    "\"ts\":%lld,\"src\":\"router\",\"incident_id\":\"I-1\","
	    "\"incident_type\":\"fight\",\"priority\":2,\"lat\":31.23,"
	    "\"lon\":121.47,\"t0\":%lld,\"post\":{\"id\":\"P-1\",\"name\":"
	    "\"One\",\"distance_m\":12.5},\"coverage_gap\":false,\"tiers\":["
	    "{\"tier\":1,\"deadline_s\":60,\"candidates\":[]},"
	    "{\"tier\":2,\"deadline_s\":180,\"candidates\":[]},"
	    "{\"tier\":3,\"deadline_s\":300,\"candidates\":[]}]}", T0, T0);
}

static void
teardown(void)
{
	redisFree(rc);
	np_testredis_stop(&srv);
	free(s_arm);
	free(s_met);
	free(s_fire);
}

static struct tt_reply
eval(const char *script, long long now, int n, ...)
{
	const char *argv[16];
	char nowbuf[24];
	struct tt_reply o;
	redisReply *r;
	va_list ap;
	int argc = 0;

	snprintf(nowbuf, sizeof(nowbuf), "%lld", now);
	argv[argc++] = "EVAL"; argv[argc++] = script; argv[argc++] = "2";
	argv[argc++] = P "marks:due"; argv[argc++] = P "s:escalations";
	argv[argc++] = P; argv[argc++] = nowbuf; argv[argc++] = "city";
	va_start(ap, n);
	while (n-- > 0)
		argv[argc++] = va_arg(ap, const char *);
	va_end(ap);
	r = redisCommandArgv(rc, argc, argv, NULL);
	memset(&o, 0, sizeof(o));
	np_test_script_decode(r, o.result, sizeof(o.result), o.detail,
	    sizeof(o.detail), &o.earliest, o.frames, 8, &o.nframes);
	freeReplyObject(r);
	return o;
}

static struct tt_reply
arm(const char *marks)		/* "m1 m2 m3" seconds */
{
	char m[3][16];

	ck_assert_int_eq(sscanf(marks, "%15s %15s %15s", m[0], m[1], m[2]), 3);
	return eval(s_arm, T0 + 500, 5, "I-1", route, m[0], m[1], m[2]);
}

static struct tt_reply
met(const char *oid, const char *status, long long now)
{
	return eval(s_met, now, 2, oid, status);
}

static struct tt_reply
fire(long long now)
{
	return eval(s_fire, now, 3, "60", "redispatch,supervisor,command",
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
	o = eval(s_met, T0 + 65000, 3, "I-1-T1-1", "acked", at);
	ck_assert_str_eq(o.result, "met");
	ck_assert_int_eq(num("HGET " P "mark:I-1 1.met_at"), T0 + 59000);
	ck_assert_ptr_nonnull(strstr(o.frames[0], "\"late\":false"));
	/* stored after the due: late, even though the ladder had not fired */
	snprintf(at, sizeof(at), "%lld", T0 + 181000);
	o = eval(s_met, T0 + 182000, 3, "I-1-T2-1", "onscene", at);
	ck_assert_str_eq(o.result, "met_late");
	/* a miss that fired stays a miss, whatever the status says */
	ck_assert_str_eq(fire(T0 + 300000).detail, "1");
	snprintf(at, sizeof(at), "%lld", T0 + 299000);
	o = eval(s_met, T0 + 301000, 3, "I-1-T3-1", "onscene", at);
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
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
