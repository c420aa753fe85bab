/*
 * close.lua and followup.lua (services/feedback/) in a real redis-server,
 * with incidents cleared by the commander's own status.lua: an incident
 * closes once, its marks feed the SLA hour and day buckets of its post and
 * district, a follow-up is scheduled and can be done once, repeats by
 * place and by caller are flagged for review, a supervisor may close from
 * any state, and replays change nothing; feedback's calls close several
 * incidents, in order, as if one call each.
 */
#include <time.h>

#include "fb_close.h"
#include "test_commander_lua.h"
#include "np_testloop.h"

#define FOLLOW_S	"86400"
#define REPEAT_M	"100"
#define WINDOW_S	"604800"
#define CLOSE_AT	(T0 + 600000)

/* the build's texts, as feedback and intake send them */
static const char *close_lua, *followup_lua;
static char route[8192];

struct fb_reply {
	char	result[32];
	char	detail[256];
	char	frame[4096];
};

static struct fb_reply
fb_eval(const char *script, int argc, const char **argv)
{
	const char *a[20] = { "EVAL", script, "0" };
	struct fb_reply o;
	redisReply *r;
	int i;

	for (i = 0; i < argc; i++)
		a[3 + i] = argv[i];
	r = redisCommandArgv(rc, 3 + argc, a, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY && r->elements >= 2,
	    "script said: %s", r->type == REDIS_REPLY_ERROR ? r->str : "?");
	memset(&o, 0, sizeof(o));
	snprintf(o.result, sizeof(o.result), "%s", r->element[0]->str);
	snprintf(o.detail, sizeof(o.detail), "%s", r->element[1]->str);
	if (r->elements > 2)
		snprintf(o.frame, sizeof(o.frame), "%s", r->element[2]->str);
	freeReplyObject(r);
	return o;
}

/* close.lua as feedback (sup NULL) or a supervisor runs it. */
static struct fb_reply
fb_close(const char *id, const char *sup, const char *disp, const char *oid,
    long long now)
{
	char nowbuf[24];
	const char *argv[12];

	snprintf(nowbuf, sizeof(nowbuf), "%lld", now);
	argv[0] = P; argv[1] = nowbuf; argv[2] = FOLLOW_S;
	argv[3] = REPEAT_M; argv[4] = WINDOW_S;
	argv[5] = sup ? "intake" : "feedback";
	argv[6] = id; argv[7] = sup ? "supervisor" : "cleared";
	argv[8] = disp; argv[9] = sup ? "duplicate report" : "";
	argv[10] = sup ? sup : ""; argv[11] = oid;
	return fb_eval(close_lua, 12, argv);
}

/* One call for n incidents closed by feedback (fb_close_batch); out[i]. */
static void
fb_batch(int n, const char **ids, const char **oids, long long now,
    struct fb_reply *out)
{
	struct fb_close_conf conf = { 86400, 100, 604800 };
	struct fb_close_batch b;
	const char *argv[3 + FB_CLOSE_HEAD + FB_CLOSE_REC * FB_BATCH_MAX];
	size_t lens[3 + FB_CLOSE_HEAD + FB_CLOSE_REC * FB_BATCH_MAX];
	redisReply *r;
	int i;

	fb_close_batch_init(&b, &conf, P, now, "feedback");
	for (i = 0; i < n; i++)
		ck_assert_int_eq(fb_close_batch_add(&b, &(struct fb_close_req){
		    ids[i], FB_CLOSE_CLEARED, "", "", "feedback", "",
		    oids[i] }), 0);
	argv[0] = "EVAL"; argv[1] = close_lua; argv[2] = "0";
	lens[0] = 4; lens[1] = strlen(close_lua); lens[2] = 1;
	memcpy(argv + 3, b.argv, b.argc * sizeof(*argv));
	memcpy(lens + 3, b.lens, b.argc * sizeof(*lens));
	r = redisCommandArgv(rc, 3 + b.argc, argv, lens);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY && r->elements ==
	    (size_t)n * 3, "script said: %s", r->type == REDIS_REPLY_ERROR ?
	    r->str : "?");
	for (i = 0; i < n; i++) {
		snprintf(out[i].result, sizeof(out[i].result), "%s",
		    r->element[3 * i]->str);
		snprintf(out[i].detail, sizeof(out[i].detail), "%s",
		    r->element[3 * i + 1]->str);
		snprintf(out[i].frame, sizeof(out[i].frame), "%s",
		    r->element[3 * i + 2]->str);
	}
	freeReplyObject(r);
}

static struct fb_reply
fb_followup(const char *id, const char *note, long long now)
{
	char nowbuf[24];
	const char *argv[6] = { P, nowbuf, id, note, "sup-1", "intake" };

	snprintf(nowbuf, sizeof(nowbuf), "%lld", now);
	return fb_eval(followup_lua, 6, argv);
}

/* An incident at (lat, lon) from caller phone, routed to P-1. */
static void
fb_incident(const char *id, double lat, double lon, const char *phone)
{
	tc_cmd(rc, "HSET " P "inc:%s id %s type fight priority 2 state routed "
	    "lat %.7f lon %.7f t0 %lld post P-1 district city", id, id, lat,
	    lon, T0);
	tc_cmd(rc, "RPUSH " P "inc:%s:calls C-%s", id, id);
	tc_cmd(rc, "HSET " P "call:C-%s incident %s json "
	    "{\"call_id\":\"C-%s\",\"caller\":{\"phone\":\"%s\"}}", id, id,
	    id, phone);
}

/* Dispatch tier 1 and clear it through the commander's status.lua. */
static void
fb_clear(const char *id, const char *unit, const char *disp)
{
	char oid[64];

	tc_dispatch(rc, id, 1, tc_route(route, sizeof(route), id, unit), T0);
	snprintf(oid, sizeof(oid), "%s-T1-1", id);
	tc_status(rc, unit, "acked", oid, "", T0 + 20000);
	tc_status(rc, unit, "clear", oid, disp, T0 + 500000);
}

static const char *
inc_field(const char *id, const char *field)
{
	char key[128];

	snprintf(key, sizeof(key), "inc:%s", id);
	return tc_hget(rc, key, field);
}

static void
setup(void)
{
	tc_setup();
	close_lua = fb_close_script().body;
	followup_lua = fb_followup_script().body;
	ck_assert_int_eq(tc_seed(rc, "U1,U2,U3,U4,U5"), 5);
}

static void
teardown(void)
{
	tc_teardown();
}

START_TEST(closes_a_cleared_incident_once)
{
	struct fb_reply o;
	char *before;

	fb_incident("I-1", 31.23, 121.47, "13800000001");
	o = fb_close("I-1", NULL, "", "", CLOSE_AT);
	ck_assert_str_eq(o.result, "open");	/* not cleared yet */
	fb_clear("I-1", "U1", "resolved");
	ck_assert_str_eq(inc_field("I-1", "state"), "cleared");
	o = fb_close("I-1", NULL, "", "I-1-T1-1", CLOSE_AT);
	ck_assert_str_eq(o.result, "closed");
	ck_assert_str_eq(o.detail, "resolved");
	ck_assert_str_eq(inc_field("I-1", "state"), "closed");
	ck_assert_int_eq(strtoll(inc_field("I-1", "closed_at"), NULL, 10),
	    CLOSE_AT);
	ck_assert_str_eq(inc_field("I-1", "disposition"), "resolved");
	ck_assert_str_eq(inc_field("I-1", "closed_by"), "feedback");
	ck_assert_str_eq(inc_field("I-1", "sla"), "none");
	ck_assert_str_eq(inc_field("I-1", "marks"), "{}");
	ck_assert_ptr_nonnull(strstr(tc_events(rc, "I-1"), "cleared,closed"));
	ck_assert_ptr_nonnull(strstr(o.frame, "\"type\":\"incident.closed\""));
	ck_assert_ptr_nonnull(strstr(o.frame, "\"incident_id\":\"I-1\""));
	ck_assert_ptr_nonnull(strstr(o.frame, "\"src\":\"feedback\""));

	before = tc_snapshot(rc);
	o = fb_close("I-1", NULL, "", "I-1-T1-1", CLOSE_AT + 1000);
	ck_assert_str_eq(o.result, "already");
	o = fb_close("I-1", "sup-1", "other", "", CLOSE_AT + 2000);
	ck_assert_str_eq(o.result, "already");
	tc_unchanged(before, "a replayed close");
}
END_TEST

START_TEST(waits_while_the_commander_is_behind)
{
	struct fb_reply o;

	fb_incident("I-1", 31.23, 121.47, "13800000001");
	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1", "U1"),
	    T0);
	/* feedback saw the clear before the commander applied it */
	o = fb_close("I-1", NULL, "", "I-1-T1-1", CLOSE_AT);
	ck_assert_str_eq(o.result, "pending");
	ck_assert_str_eq(inc_field("I-1", "state"), "dispatched");
	tc_status(rc, "U1", "clear", "I-1-T1-1", "false_alarm", CLOSE_AT);
	o = fb_close("I-1", NULL, "", "I-1-T1-1", CLOSE_AT);
	ck_assert_str_eq(o.result, "closed");
	ck_assert_str_eq(inc_field("I-1", "disposition"), "false_alarm");
	o = fb_close("I-9", NULL, "", "", CLOSE_AT);
	ck_assert_str_eq(o.result, "unknown");
}
END_TEST

/*
 * A tier re-dispatched while its first unit never answers: the unit sent
 * second clears first -- nothing but that clear reaches feedback -- and
 * the clear waits ('pending') until the first order's ack times out and
 * the commander clears the incident (noanswer.lua); then it closes.
 */
START_TEST(waits_for_an_order_still_awaiting_its_ack)
{
	struct fb_reply o;
	struct tc_reply r;

	fb_incident("I-1", 31.23, 121.47, "13800000001");
	tc_dispatch(rc, "I-1", 1, tc_route(route, sizeof(route), "I-1",
	    "U1,U2"), T0);
	r = tc_eval(rc, cmd_redispatch_lua, T0 + 1000, 2, "I-1", "1");
	ck_assert_str_eq(r.result, "dispatched");
	tc_status(rc, "U2", "acked", "I-1-T1-2", "", T0 + 2000);
	tc_status(rc, "U2", "clear", "I-1-T1-2", "resolved", T0 + 3000);
	o = fb_close("I-1", NULL, "", "I-1-T1-2", T0 + 3000);
	ck_assert_str_eq(o.result, "pending");	/* U1's order is out */
	ck_assert_str_ne(inc_field("I-1", "state"), "cleared");
	tc_noanswer(rc, T0 + ACK_MS);
	ck_assert_str_eq(tc_hget(rc, "order:I-1-T1-1", "state"), "noanswer");
	ck_assert_str_eq(inc_field("I-1", "state"), "cleared");
	o = fb_close("I-1", NULL, "", "I-1-T1-2", T0 + ACK_MS);
	ck_assert_str_eq(o.result, "closed");
	ck_assert_str_eq(o.detail, "resolved");
}
END_TEST

/* The UTC hour and day buckets of t (ms). */
static void
buckets(long long t, char *hour, char *day)
{
	time_t s = (time_t)(t / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(hour, 16, "%Y%m%d%H", &tm);
	strftime(day, 16, "%Y%m%d", &tm);
}

START_TEST(marks_feed_the_sla_buckets_of_post_and_district)
{
	const char *scopes[] = { "post:P-1", "district:city" };
	char hour[16], day[16], key[128];
	struct fb_reply o;
	int i, w;

	buckets(T0, hour, day);
	ck_assert_str_eq(hour, "2027011508");
	fb_incident("I-1", 31.23, 121.47, "13800000001");
	tc_cmd(rc, "HSET " P "mark:I-1 t0 %lld 1.state met 1.due %lld "
	    "1.met_at %lld 2.state missed 2.due %lld 3.state met_late "
	    "3.due %lld 3.met_at %lld", T0, T0 + 60000, T0 + 40000,
	    T0 + 180000, T0 + 300000, T0 + 310000);
	fb_clear("I-1", "U1", "resolved");
	o = fb_close("I-1", NULL, "", "I-1-T1-1", CLOSE_AT);
	ck_assert_str_eq(o.result, "closed");
	ck_assert_str_eq(inc_field("I-1", "sla"), "missed");
	ck_assert_ptr_nonnull(strstr(inc_field("I-1", "marks"),
	    "\"state\":\"met_late\""));
	ck_assert_ptr_nonnull(strstr(o.frame, "\"met\":1"));
	ck_assert_ptr_nonnull(strstr(o.frame, "\"missed\":2"));
	for (i = 0; i < 2; i++)
		for (w = 0; w < 2; w++) {
			snprintf(key, sizeof(key), "sla:%s:%s:%s", scopes[i],
			    w ? "d" : "h", w ? day : hour);
			ck_assert_str_eq(tc_hget(rc, key, "closed"), "1");
			ck_assert_str_eq(tc_hget(rc, key, "m1.met"), "1");
			ck_assert_str_eq(tc_hget(rc, key, "m1.sum_ms"), "40000");
			ck_assert_str_eq(tc_hget(rc, key, "m1.missed"), "");
			ck_assert_str_eq(tc_hget(rc, key, "m2.missed"), "1");
			ck_assert_str_eq(tc_hget(rc, key, "m3.missed"), "1");
			ck_assert_str_eq(tc_hget(rc, key, "m3.sum_ms"),
			    "310000");
		}
	/* a second incident adds to the same buckets */
	fb_incident("I-2", 40.0, 116.0, "13800000002");
	tc_cmd(rc, "HSET " P "mark:I-2 1.state met 1.met_at %lld", T0 + 20000);
	o = fb_close("I-2", "sup-1", "handled", "", CLOSE_AT);
	snprintf(key, sizeof(key), "sla:post:P-1:h:%s", hour);
	ck_assert_str_eq(tc_hget(rc, key, "closed"), "2");
	ck_assert_str_eq(tc_hget(rc, key, "m1.met"), "2");
	ck_assert_str_eq(tc_hget(rc, key, "m1.sum_ms"), "60000");
}
END_TEST

/* The tracker was down when mark 2 passed its deadline and the incident
 * closed before it came back: the miss still counts; a mark whose
 * deadline is still ahead at close is neither met nor missed. */
START_TEST(a_pending_mark_past_its_deadline_counts_as_missed)
{
	char hour[16], day[16], key[128];
	struct fb_reply o;

	buckets(T0, hour, day);
	fb_incident("I-1", 31.23, 121.47, "13800000001");
	tc_cmd(rc, "HSET " P "mark:I-1 t0 %lld 1.state met 1.due %lld "
	    "1.met_at %lld 2.state pending 2.due %lld 3.state pending "
	    "3.due %lld", T0, T0 + 60000, T0 + 40000, T0 + 180000,
	    CLOSE_AT + 1);
	fb_clear("I-1", "U1", "resolved");
	o = fb_close("I-1", NULL, "", "I-1-T1-1", CLOSE_AT);
	ck_assert_str_eq(o.result, "closed");
	ck_assert_str_eq(inc_field("I-1", "sla"), "missed");
	snprintf(key, sizeof(key), "sla:post:P-1:h:%s", hour);
	ck_assert_str_eq(tc_hget(rc, key, "m1.met"), "1");
	ck_assert_str_eq(tc_hget(rc, key, "m2.missed"), "1");
	ck_assert_str_eq(tc_hget(rc, key, "m3.missed"), "");
	ck_assert_str_eq(tc_hget(rc, key, "m3.met"), "");
}
END_TEST

START_TEST(schedules_a_follow_up_done_once)
{
	struct fb_reply o;

	fb_incident("I-1", 31.23, 121.47, "13800000001");
	o = fb_followup("I-1", "early", CLOSE_AT);
	ck_assert_str_eq(o.result, "none");	/* not closed: none due */
	fb_clear("I-1", "U1", "resolved");
	fb_close("I-1", NULL, "", "I-1-T1-1", CLOSE_AT);
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "followups I-1"),
	    CLOSE_AT + 86400000LL);
	ck_assert_str_eq(tc_hget(rc, "followup:I-1", "state"), "due");
	ck_assert_str_eq(tc_hget(rc, "followup:I-1", "caller"),
	    "13800000001");
	o = fb_followup("I-1", "caller satisfied", CLOSE_AT + 5000);
	ck_assert_str_eq(o.result, "done");
	ck_assert_str_eq(tc_hget(rc, "followup:I-1", "state"), "done");
	ck_assert_str_eq(tc_hget(rc, "followup:I-1", "note"),
	    "caller satisfied");
	ck_assert_str_eq(tc_hget(rc, "followup:I-1", "by"), "sup-1");
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "followups"), 0);
	ck_assert_ptr_nonnull(strstr(tc_events(rc, "I-1"), "followup_done"));
	o = fb_followup("I-1", "again", CLOSE_AT + 6000);
	ck_assert_str_eq(o.result, "none");
	o = fb_followup("I-9", "who", CLOSE_AT);
	ck_assert_str_eq(o.result, "unknown");
}
END_TEST

START_TEST(flags_a_repeat_at_the_same_place)
{
	fb_incident("I-1", 31.23, 121.47, "13800000001");
	fb_close("I-1", "sup-1", "handled", "", CLOSE_AT);
	/* about 55 m north: a repeat */
	fb_incident("I-2", 31.2305, 121.47, "13800000002");
	fb_close("I-2", "sup-1", "handled", "", CLOSE_AT + 1000);
	/* about 1.1 km away: not */
	fb_incident("I-3", 31.24, 121.47, "13800000003");
	fb_close("I-3", "sup-1", "handled", "", CLOSE_AT + 2000);
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "review"), 1);
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "review I-2"),
	    CLOSE_AT + 1000);
	ck_assert_str_eq(inc_field("I-2", "repeat"), "{\"place\":[\"I-1\"]}");
	ck_assert_ptr_nonnull(strstr(tc_events(rc, "I-2"),
	    "closed,repeat_flagged"));
	ck_assert_str_eq(inc_field("I-3", "repeat"), "");
	/* the same place eight days later: the window has passed */
	fb_incident("I-4", 31.23, 121.47, "13800000004");
	fb_close("I-4", "sup-1", "handled", "", CLOSE_AT + 8 * 86400000LL);
	ck_assert_str_eq(inc_field("I-4", "repeat"), "");
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "review"), 1);
}
END_TEST

START_TEST(flags_a_repeat_from_the_same_caller)
{
	struct fb_reply o;

	fb_incident("I-1", 31.23, 121.47, "13800000001");
	fb_close("I-1", "sup-1", "handled", "", CLOSE_AT);
	fb_incident("I-2", 40.0, 116.0, "13800000001");
	o = fb_close("I-2", "sup-1", "handled", "", CLOSE_AT + 1000);
	ck_assert_str_eq(inc_field("I-2", "repeat"),
	    "{\"caller\":[\"I-1\"]}");
	ck_assert_ptr_nonnull(strstr(o.frame, "\"repeat\":{\"caller\""));
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "review I-2"),
	    CLOSE_AT + 1000);
	/* a call without a phone is no repeat of anything */
	tc_cmd(rc, "HSET " P "inc:I-3 id I-3 state routed lat 50 lon 10 "
	    "t0 %lld", T0);
	fb_close("I-3", "sup-1", "handled", "", CLOSE_AT + 2000);
	ck_assert_str_eq(inc_field("I-3", "repeat"), "");
	ck_assert_str_eq(tc_hget(rc, "followup:I-3", "caller"), "");
}
END_TEST

START_TEST(supervisor_closes_from_any_state)
{
	struct fb_reply o;

	fb_incident("I-1", 31.23, 121.47, "13800000001");
	tc_cmd(rc, "ZADD " P "open:t0 %lld I-1", T0);
	o = fb_close("I-1", "sup-1", "duplicate", "", CLOSE_AT);
	ck_assert_str_eq(o.result, "closed");
	ck_assert_str_eq(inc_field("I-1", "state"), "closed");
	ck_assert_str_eq(inc_field("I-1", "closed_by"), "sup-1");
	ck_assert_str_eq(inc_field("I-1", "disposition"), "duplicate");
	ck_assert_str_eq(inc_field("I-1", "close_reason"), "duplicate report");
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "open:t0"), 0);
	ck_assert_ptr_nonnull(strstr(o.frame, "\"src\":\"intake\""));
	ck_assert_ptr_nonnull(strstr(o.frame, "\"closed_by\":\"sup-1\""));
	/* the commander sends nobody to a closed incident */
	ck_assert_str_eq(tc_dispatch(rc, "I-1", 1, tc_route(route,
	    sizeof(route), "I-1", "U1"), T0).result, "closed");
}
END_TEST

/* The clears of one read in one call: in their order, as if one by one. */
START_TEST(one_call_closes_the_clears_of_a_read_in_order)
{
	const char *ids[] = { "I-1", "I-2", "I-3", "I-1" };
	const char *oids[] = { "I-1-T1-1", "I-2-T1-1", "I-3-T1-1",
	    "I-1-T1-1" };
	char hour[16], day[16], key[128];
	struct fb_reply o[4];

	buckets(T0, hour, day);
	fb_incident("I-1", 31.23, 121.47, "13800000001");
	fb_incident("I-2", 31.2305, 121.47, "13800000002");	/* 55 m */
	fb_incident("I-3", 31.24, 121.47, "13800000003");
	tc_cmd(rc, "HSET " P "mark:I-1 1.state met 1.due %lld 1.met_at %lld",
	    T0 + 60000, T0 + 40000);
	tc_cmd(rc, "HSET " P "mark:I-2 1.state met 1.due %lld 1.met_at %lld",
	    T0 + 60000, T0 + 20000);
	fb_clear("I-1", "U1", "resolved");
	fb_clear("I-2", "U2", "false_alarm");
	tc_dispatch(rc, "I-3", 1, tc_route(route, sizeof(route), "I-3", "U3"),
	    T0);				/* its clear not applied yet */
	fb_batch(4, ids, oids, CLOSE_AT, o);
	ck_assert_str_eq(o[0].result, "closed");
	ck_assert_str_eq(o[0].detail, "resolved");
	ck_assert_ptr_nonnull(strstr(o[0].frame, "\"incident_id\":\"I-1\""));
	ck_assert_str_eq(o[1].result, "closed");
	ck_assert_str_eq(o[1].detail, "false_alarm");
	ck_assert_str_eq(o[2].result, "pending");
	ck_assert_str_eq(o[2].frame, "");
	ck_assert_str_eq(o[3].result, "already");
	ck_assert_str_eq(inc_field("I-2", "repeat"), "{\"place\":[\"I-1\"]}");
	ck_assert_str_eq(inc_field("I-3", "state"), "dispatched");
	snprintf(key, sizeof(key), "sla:district:city:d:%s", day);
	ck_assert_str_eq(tc_hget(rc, key, "closed"), "2");
	ck_assert_str_eq(tc_hget(rc, key, "m1.met"), "2");
	ck_assert_str_eq(tc_hget(rc, key, "m1.sum_ms"), "60000");
	ck_assert_int_eq(tc_int(rc, "XLEN " P "s:closed"), 2);
}
END_TEST

/* repeat:place members written before close times were in the member
 * (a plain incident id) are read from their incident. */
START_TEST(older_repeat_place_members_still_count)
{
	fb_incident("I-1", 31.23, 121.47, "13800000001");
	tc_cmd(rc, "HSET " P "inc:I-0 state closed closed_at %lld",
	    CLOSE_AT - 1000);
	tc_cmd(rc, "HSET " P "inc:I-00 state closed closed_at %lld",
	    CLOSE_AT - 8 * 86400000LL);
	tc_cmd(rc, "GEOADD " P "repeat:place 121.47 31.2301 I-0 "
	    "121.47 31.2302 I-00");
	fb_close("I-1", "sup-1", "handled", "", CLOSE_AT);
	ck_assert_str_eq(inc_field("I-1", "repeat"), "{\"place\":[\"I-0\"]}");
	/* the one past the window is forgotten; I-1 carries its time */
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "repeat:place"), 2);
	ck_assert_int_gt(tc_int(rc, "ZSCORE " P "repeat:place I-0"), 0);
	ck_assert_int_gt(tc_int(rc, "ZSCORE " P "repeat:place I-1|%lld",
	    CLOSE_AT), 0);
}
END_TEST

/* How many times needle stands in s. */
static int
count_of(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* A busy place: the flag lists at most 8 of its incidents; members past
 * the window leave repeat:place and repeat:place:t at the next close,
 * wherever that is. */
START_TEST(repeat_place_lists_a_few_and_forgets_the_old)
{
	char id[16];

	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "I-%d", i);
		fb_incident(id, 31.23 + i * 0.00001, 121.47, "");
		fb_close(id, "sup-1", "handled", "", CLOSE_AT + i * 1000);
	}
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "repeat:place"), 12);
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "repeat:place:t"), 12);
	ck_assert_int_eq(tc_int(rc, "ZSCORE " P "repeat:place:t I-3|%lld",
	    CLOSE_AT + 3000), CLOSE_AT + 3000);
	ck_assert_str_eq(inc_field("I-1", "repeat"), "{\"place\":[\"I-0\"]}");
	/* I-11 had 11 before it: it names 8, each one of them */
	ck_assert_int_eq(count_of(inc_field("I-11", "repeat"), "\"I-"), 8);
	ck_assert_ptr_null(strstr(inc_field("I-11", "repeat"), "\"I-11\""));
	/* eight days on, 1.1 km away: the twelve are past the window */
	fb_incident("I-99", 31.24, 121.47, "");
	fb_close("I-99", "sup-1", "handled", "", CLOSE_AT + 8 * 86400000LL);
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "repeat:place"), 1);
	ck_assert_int_eq(tc_int(rc, "ZCARD " P "repeat:place:t"), 1);
	ck_assert_str_eq(inc_field("I-99", "repeat"), "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("feedback_close");
	TCase *t = tcase_create("close");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, closes_a_cleared_incident_once);
	tcase_add_test(t, waits_while_the_commander_is_behind);
	tcase_add_test(t, waits_for_an_order_still_awaiting_its_ack);
	tcase_add_test(t, marks_feed_the_sla_buckets_of_post_and_district);
	tcase_add_test(t, a_pending_mark_past_its_deadline_counts_as_missed);
	tcase_add_test(t, schedules_a_follow_up_done_once);
	tcase_add_test(t, flags_a_repeat_at_the_same_place);
	tcase_add_test(t, flags_a_repeat_from_the_same_caller);
	tcase_add_test(t, supervisor_closes_from_any_state);
	tcase_add_test(t, one_call_closes_the_clears_of_a_read_in_order);
	tcase_add_test(t, older_repeat_place_members_still_count);
	tcase_add_test(t, repeat_place_lists_a_few_and_forgets_the_old);
	suite_add_tcase(s, t);
	return np_test_run(s);
}
