/*
 * The repeat-call merge rule, as intake runs it: aggregate.lua, loaded from
 * the source tree into a real redis-server and called with the arguments
 * store.c passes.  Each case states one clause of the rule.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "np_testredis.h"
#include "np_testloop.h"

#define P	"np:{city}:"

static struct np_testredis srv;
static redisContext *rc;
static char *script;

struct call {
	const char	*incident;	/* id to use if a new one is made */
	const char	*call_id;
	const char	*fp;
	const char	*type;
	const char	*compat;
	int		 priority;
	double		 lat, lon;
	long long	 now;
};

struct outcome {
	char		status[16];
	char		incident[64];
	long long	merged, calls, priority;
};

static void
setup(void)
{
	FILE *f = fopen(NP_SRC_DIR "/services/intake/aggregate.lua", "r");
	size_t len;

	ck_assert_ptr_nonnull(f);
	script = calloc(1, 65536);
	len = fread(script, 1, 65535, f);
	fclose(f);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(np_testredis_start(&srv, NULL), 0);
	rc = redisConnect("127.0.0.1", srv.port);
	ck_assert(rc != NULL && rc->err == 0);
}

static void
teardown(void)
{
	redisFree(rc);
	np_testredis_stop(&srv);
	free(script);
}

/* radius 150 m, window 900 s, 16 candidates */
static struct outcome
run(const struct call *c)
{
	char call_key[128], prio[8], lat[32], lon[32], now[32];
	const char *argv[26];
	struct outcome o;
	redisReply *r;

	snprintf(call_key, sizeof(call_key), P "call:%s", c->call_id);
	snprintf(prio, sizeof(prio), "%d", c->priority);
	snprintf(lat, sizeof(lat), "%.7f", c->lat);
	snprintf(lon, sizeof(lon), "%.7f", c->lon);
	snprintf(now, sizeof(now), "%lld", c->now);
	argv[0] = "EVAL"; argv[1] = script; argv[2] = "4";
	argv[3] = call_key; argv[4] = P "open:geo"; argv[5] = P "open:t0";
	argv[6] = P "s:incidents";
	argv[7] = P; argv[8] = c->incident; argv[9] = c->call_id;
	argv[10] = c->fp; argv[11] = "{\"call\":1}"; argv[12] = c->type;
	argv[13] = c->compat; argv[14] = prio; argv[15] = lat;
	argv[16] = lon; argv[17] = now; argv[18] = "150"; argv[19] = "900000";
	argv[20] = "16"; argv[21] = "{\"type\":\"incident.created\"}";
	argv[22] = "\"by\":\"intake\"}"; argv[23] = "Main St 1";
	argv[24] = "phone"; argv[25] = "city";
	r = redisCommandArgv(rc, 26, argv, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY && r->elements == 6,
	    "script said: %s", r->type == REDIS_REPLY_ERROR ? r->str : "?");
	memset(&o, 0, sizeof(o));
	snprintf(o.status, sizeof(o.status), "%s", r->element[0]->str);
	snprintf(o.incident, sizeof(o.incident), "%s", r->element[1]->str);
	o.merged = r->element[2]->integer;
	o.calls = r->element[3]->integer;
	o.priority = r->element[4]->integer;
	freeReplyObject(r);
	return o;
}

static long long
integer(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	long long v;

	va_start(ap, fmt);
	r = redisvCommand(rc, fmt, ap);
	va_end(ap);
	ck_assert(r != NULL && r->type == REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

#define T0	1800000000000LL
/* 0.001 degrees of latitude is about 111 m */
static const struct call base = { "I-1", "c1", "fp1", "fight",
    "fight,assault", 2, 31.2300, 121.4700, T0 };

START_TEST(first_call_creates_and_hands_off)
{
	struct outcome o = run(&base);

	ck_assert_str_eq(o.status, "created");
	ck_assert_str_eq(o.incident, "I-1");
	ck_assert_int_eq(o.calls, 1);
	ck_assert_int_eq(integer("XLEN " P "s:incidents"), 1);
	ck_assert_int_eq(integer("ZCARD " P "open:t0"), 1);
	ck_assert_int_eq(integer("LLEN " P "inc:I-1:tl"), 1);
}
END_TEST

START_TEST(compatible_call_within_radius_and_window_merges)
{
	struct call c = base;
	struct outcome o;

	run(&base);
	c.incident = "I-2"; c.call_id = "c2"; c.type = "assault";
	c.lat += 0.001;		/* ~111 m north */
	c.now += 899 * 1000;
	o = run(&c);
	ck_assert_str_eq(o.status, "merged");
	ck_assert_str_eq(o.incident, "I-1");
	ck_assert_int_eq(o.merged, 1);
	ck_assert_int_eq(o.calls, 2);
	ck_assert_int_eq(integer("XLEN " P "s:incidents"), 1);	/* no new */
	ck_assert_int_eq(integer("LLEN " P "inc:I-1:calls"), 2);
}
END_TEST

START_TEST(beyond_radius_creates)
{
	struct call c = base;

	run(&base);
	c.incident = "I-2"; c.call_id = "c2";
	c.lat += 0.0014;	/* ~156 m */
	ck_assert_str_eq(run(&c).status, "created");
}
END_TEST

START_TEST(window_counts_from_the_last_call)
{
	struct call c = base;

	run(&base);
	c.incident = "I-2"; c.call_id = "c2"; c.now = T0 + 800 * 1000;
	ck_assert_str_eq(run(&c).status, "merged");
	/* 1500 s after T0 but 700 s after the last call: still merges */
	c.call_id = "c3"; c.now = T0 + 1500 * 1000;
	ck_assert_str_eq(run(&c).status, "merged");
	/* 901 s after the last call: a new incident */
	c.call_id = "c4"; c.incident = "I-3"; c.now = T0 + 2401 * 1000;
	ck_assert_str_eq(run(&c).status, "created");
}
END_TEST

START_TEST(incompatible_type_creates)
{
	struct call c = base;

	run(&base);
	c.incident = "I-2"; c.call_id = "c2"; c.type = "theft";
	c.compat = "theft,burglary";
	ck_assert_str_eq(run(&c).status, "created");
}
END_TEST

START_TEST(cleared_or_closed_incident_is_no_target)
{
	struct call c = base;
	struct outcome o;

	run(&base);
	integer("HSET " P "inc:I-1 state closed");
	c.incident = "I-2"; c.call_id = "c2";
	o = run(&c);
	ck_assert_str_eq(o.status, "created");
	ck_assert_str_eq(o.incident, "I-2");
	/* and the closed one left the merge index */
	ck_assert_int_eq(integer("ZCARD " P "open:geo"), 1);
	integer("HSET " P "inc:I-2 state cleared");
	c.incident = "I-3"; c.call_id = "c3";
	ck_assert_str_eq(run(&c).status, "created");
}
END_TEST

START_TEST(nearest_open_candidate_wins)
{
	struct call a = base, b = base, c = base;

	/* A and B are 222 m apart: two incidents */
	a.incident = "I-A"; a.call_id = "ca"; a.lat = 31.2300;
	ck_assert_str_eq(run(&a).status, "created");
	b.incident = "I-B"; b.call_id = "cb"; b.lat = 31.2320;
	ck_assert_str_eq(run(&b).status, "created");
	/* C is 133 m from A and 89 m from B: both in range, B is nearer */
	c.incident = "I-C"; c.call_id = "cc"; c.lat = 31.2312;
	ck_assert_str_eq(run(&c).incident, "I-B");
}
END_TEST

START_TEST(graver_repeat_raises_priority_and_tells_the_router)
{
	struct call c = base;
	struct outcome o;

	run(&base);
	c.incident = "I-2"; c.call_id = "c2"; c.priority = 1;
	o = run(&c);
	ck_assert_int_eq(o.priority, 1);
	ck_assert_int_eq(integer("XLEN " P "s:incidents"), 2);
	ck_assert_int_eq(integer("LLEN " P "inc:I-1:tl"), 3);
	/* a milder one changes nothing */
	c.call_id = "c3"; c.priority = 3;
	ck_assert_int_eq(run(&c).priority, 1);
	ck_assert_int_eq(integer("XLEN " P "s:incidents"), 2);
}
END_TEST

START_TEST(same_call_id_replays_or_conflicts)
{
	struct call c = base;
	struct outcome o;

	run(&base);
	c.incident = "I-2"; c.lat += 0.01;	/* even if it moved */
	o = run(&c);
	ck_assert_str_eq(o.status, "duplicate");
	ck_assert_str_eq(o.incident, "I-1");
	ck_assert_int_eq(o.calls, 1);
	c.fp = "other";
	ck_assert_str_eq(run(&c).status, "conflict");
	ck_assert_int_eq(integer("XLEN " P "s:incidents"), 1);
}
END_TEST

START_TEST(id_collision_is_reported_not_overwritten)
{
	struct call c = base;

	run(&base);
	c.call_id = "c2"; c.lat += 0.05;	/* far: would create I-1 again */
	ck_assert_str_eq(run(&c).status, "collision");
	ck_assert_int_eq(integer("LLEN " P "inc:I-1:calls"), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("intake_merge");
	TCase *tc = tcase_create("merge");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, first_call_creates_and_hands_off);
	tcase_add_test(tc, compatible_call_within_radius_and_window_merges);
	tcase_add_test(tc, beyond_radius_creates);
	tcase_add_test(tc, window_counts_from_the_last_call);
	tcase_add_test(tc, incompatible_type_creates);
	tcase_add_test(tc, cleared_or_closed_incident_is_no_target);
	tcase_add_test(tc, nearest_open_candidate_wins);
	tcase_add_test(tc, graver_repeat_raises_priority_and_tells_the_router);
	tcase_add_test(tc, same_call_id_replays_or_conflicts);
	tcase_add_test(tc, id_collision_is_reported_not_overwritten);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
