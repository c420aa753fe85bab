/*
 * np_script against a real redis-server: an answer {result, detail,
 * due, frames...} reaches done with its fixed fields readable and its
 * frames (only well-formed ones) given to the frame callback and
 * published on the events bus; an error reply or an answer of another
 * shape reaches done as NULL and is counted, its frames dropped; with
 * list, an answer must carry its list after due, which is no frame.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_bus.h"
#include "np_redis.h"
#include "np_script.h"
#include "np_testbus.h"
#include "np_testloop.h"
#include "np_testredis.h"

#define TS_FRAMES	8

struct ts {
	struct np_testredis	 tr;
	struct event_base	*base;
	struct np_redis_conf	 rconf;
	struct np_redis		*redis;
	struct np_scripter	 s;
	int			 stopping;
	unsigned long long	 failed;
	int			 ended;		/* done calls */
	int			 answered;	/* with an answer */
	char			 result[32];
	char			 detail[32];
	long long		 due;
	int			 nframes;	/* to the frame callback */
	char			 frames[TS_FRAMES][64];
	int			 warm;		/* the bus has joined */
	int			 nheard;	/* on the events bus */
	char			 heard[TS_FRAMES][64];
};

/* good answers its first own argument as detail. */
static struct np_redis_script good = { "good", "return {'ok', ARGV[1], 5, "
    "'a.b {\"x\":1}', 'nospace', ' {}', 'c.d {}'}", "" };
static struct np_redis_script listed = { "listed", "return {'ok', '', 0, "
    "{'one', 'two'}, 'a.b {}'}", "" };
static struct np_redis_script failing = { "failing",
    "return redis.error_reply('ERR broken')", "" };
static struct np_redis_script shapeless = { "shapeless",
    "return {1, 'd', 0, 'a.b {}'}", "" };

static void
head(void *owner, const char **argv, char buf[][NP_CALL_BUF])
{
	argv[0] = "k";
}

static void
frame(void *owner, const char *topic, const char *json, size_t len)
{
	struct ts *t = owner;

	ck_assert_int_lt(t->nframes, TS_FRAMES);
	snprintf(t->frames[t->nframes++], sizeof(t->frames[0]), "%s %.*s",
	    topic, (int)len, json);
}

static void
done(const redisReply *r, void *arg)
{
	struct ts *t = arg;

	t->ended++;
	if (r == NULL)
		return;
	t->answered++;
	snprintf(t->result, sizeof(t->result), "%s", np_script_result(r));
	snprintf(t->detail, sizeof(t->detail), "%s", np_script_detail(r));
	t->due = np_script_due(r);
}

static void
setup(struct ts *t, int list)
{
	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(np_testredis_start(&t->tr, NULL), 0);
	t->base = event_base_new();
	np_redis_conf_defaults(&t->rconf);
	t->rconf.port = t->tr.port;
	t->redis = np_redis_new(t->base, &t->rconf, "script");
	ck_assert(np_test_run_until(t->base, np_test_redis_up, t->redis,
	    5000));
	t->s = (struct np_scripter){ .caller = { .base = t->base,
	    .redis = t->redis, .first_ms = 50, .max_ms = 200,
	    .stopping = &t->stopping, .nkeys = 1, .nhead = 1, .head = head,
	    .owner = t }, .list = list, .frame = frame,
	    .failed = &t->failed };
}

static void
teardown(struct ts *t)
{
	np_redis_free(t->redis);
	event_base_free(t->base);
	np_testredis_stop(&t->tr);
}

static int
ended(void *arg)
{
	struct ts *t = arg;

	return t->s.caller.inflight == 0;
}

/* One call of script with its first argument what; run to its end. */
static void
call(struct ts *t, struct np_redis_script *script, const char *what)
{
	const char *argv[1] = { what };
	int before = t->ended;

	ck_assert_int_eq(np_script_call(&t->s, script, 1, argv, done, t), 0);
	ck_assert_int_eq(t->ended, before);	/* never from inside */
	ck_assert(np_test_run_until(t->base, ended, t, 5000));
	ck_assert_int_eq(t->ended, before + 1);
}

START_TEST(an_answer_reaches_done_with_its_well_formed_frames)
{
	struct ts t;

	setup(&t, 0);
	call(&t, &good, "I-1");
	ck_assert_int_eq(t.answered, 1);
	ck_assert_str_eq(t.result, "ok");
	ck_assert_str_eq(t.detail, "I-1");
	ck_assert_int_eq(t.due, 5);
	/* no space, or an empty topic: no frame */
	ck_assert_int_eq(t.nframes, 2);
	ck_assert_str_eq(t.frames[0], "a.b {\"x\":1}");
	ck_assert_str_eq(t.frames[1], "c.d {}");
	ck_assert_uint_eq(t.failed, 0);
	teardown(&t);
}
END_TEST

START_TEST(an_error_or_a_shapeless_answer_is_null_counted_and_unpublished)
{
	struct ts t;

	setup(&t, 0);
	call(&t, &failing, "I-1");
	call(&t, &shapeless, "I-2");
	ck_assert_int_eq(t.ended, 2);
	ck_assert_int_eq(t.answered, 0);
	ck_assert_uint_eq(t.failed, 2);
	ck_assert_int_eq(t.nframes, 0);
	/* a list is no frame, and answers need none without list */
	call(&t, &listed, "I-3");
	ck_assert_int_eq(t.answered, 1);
	ck_assert_int_eq(t.nframes, 1);
	ck_assert_str_eq(t.frames[0], "a.b {}");
	teardown(&t);
}
END_TEST

START_TEST(with_list_an_answer_without_its_list_is_refused)
{
	struct ts t;

	setup(&t, 1);
	call(&t, &listed, "I-1");
	ck_assert_int_eq(t.answered, 1);
	ck_assert_int_eq(t.nframes, 1);
	call(&t, &good, "I-2");		/* a frame where the list goes */
	ck_assert_int_eq(t.answered, 1);
	ck_assert_uint_eq(t.failed, 1);
	ck_assert_int_eq(t.nframes, 1);
	teardown(&t);
}
END_TEST

START_TEST(no_answer_reads_as_empty)
{
	ck_assert_str_eq(np_script_result(NULL), "");
	ck_assert_str_eq(np_script_detail(NULL), "");
	ck_assert_int_eq(np_script_due(NULL), 0);
	ck_assert_ptr_null(np_script_answer(NULL, "x", NULL, NULL));
}
END_TEST

/* A subscriber to everything; "warm" frames only say it has joined. */
static void
heard(struct np_sock *sock, const char *msg, size_t len, void *arg)
{
	struct ts *t = arg;

	if (len > 5 && strncmp(msg, "warm ", 5) == 0) {
		t->warm = 1;
		return;
	}
	ck_assert_int_lt(t->nheard, TS_FRAMES);
	snprintf(t->heard[t->nheard++], sizeof(t->heard[0]), "%.*s",
	    (int)len, msg);
}

static void
warm(void *pub)
{
	np_bus_publish(pub, "warm", "{}", 2);
}

static int
is_warm(void *arg)
{
	return ((struct ts *)arg)->warm;
}

static int
heard_two(void *arg)
{
	return ((struct ts *)arg)->nheard >= 2;
}

START_TEST(frames_go_on_the_events_bus)
{
	struct np_sock *sub;
	char ep[256];
	struct ts t;

	setup(&t, 0);
	np_testbus_endpoint(ep, sizeof(ep), 0, "events");
	t.s.events = np_sock_new(t.base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	sub = np_sock_new(t.base, NP_SOCK_SUB, ep, 0, heard, &t);
	ck_assert(t.s.events != NULL && sub != NULL);
	ck_assert_int_eq(np_bus_subscribe(sub, ""), 0);
	ck_assert(np_testbus_repeat(t.base, warm, t.s.events, is_warm, &t,
	    NP_TESTBUS_DEADLINE));
	call(&t, &good, "I-1");
	ck_assert(np_test_run_until(t.base, heard_two, &t,
	    NP_TESTBUS_DEADLINE));
	ck_assert_str_eq(t.heard[0], "a.b {\"x\":1}");
	ck_assert_str_eq(t.heard[1], "c.d {}");
	np_sock_free(sub);
	np_sock_free(t.s.events);
	teardown(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("np_script");
	TCase *tc = tcase_create("answers");
	TCase *bus;

	tcase_add_test(tc, an_answer_reaches_done_with_its_well_formed_frames);
	tcase_add_test(tc,
	    an_error_or_a_shapeless_answer_is_null_counted_and_unpublished);
	tcase_add_test(tc, with_list_an_answer_without_its_list_is_refused);
	tcase_add_test(tc, no_answer_reads_as_empty);
	suite_add_tcase(s, tc);
	bus = np_testbus_tcase(s, "bus");
	tcase_add_test(bus, frames_go_on_the_events_bus);
	return np_test_run(s);
}
