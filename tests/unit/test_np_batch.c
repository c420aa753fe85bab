/*
 * np_batch against a real redis-server: the entries added go as ONE
 * script call with their arguments in order; an entry that would take
 * the call past max_args or max_entries sends the open call first, and
 * one too big alone is refused; serial holds further entries until the
 * answer and sends them then (a full call still goes at once); entries
 * read from a stream are acked only after the answer, or left pending
 * when done says so; a call that cannot be sent leaves its entries
 * pending without an answer.  The script counts its calls (INCR) and
 * answers its own arguments.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_batch.h"
#include "np_call.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"
#include "np_testloop.h"
#include "np_testredis.h"

#define TB_CALLS	8
#define TB_TEXT		512

struct tb {
	struct np_testredis	 tr;
	struct event_base	*base;
	struct np_redis_conf	 rconf;
	struct np_redis		*redis;
	struct np_caller	 caller;
	struct np_batcher	 b;
	int			 stopping;
	int			 keep;		/* done's answer */
	int			 ncalls;
	size_t			 n[TB_CALLS];	/* entries per call */
	char			 sent[TB_CALLS][TB_TEXT];  /* ids: args */
	char			 answer[TB_CALLS][TB_TEXT];
	long long		 pending[TB_CALLS];  /* XPENDING in done */
};

static struct np_redis_script echo = { "echo",
    "redis.call('INCR', KEYS[1]) return ARGV", "" };

static void
head(void *owner, const char **argv, char buf[][NP_CALL_BUF])
{
	argv[0] = "calls";
}

/* A command on a fresh synchronous connection; NULL when it fails. */
static redisReply *
sync_cmd(int port, const char *cmd)
{
	redisContext *rc = redisConnect("127.0.0.1", port);
	redisReply *rep = NULL;

	if (rc != NULL && rc->err == 0)
		rep = redisCommand(rc, cmd);
	redisFree(rc);
	return rep;
}

static long long
sync_int(int port, const char *cmd)
{
	redisReply *rep = sync_cmd(port, cmd);
	long long v = -1;

	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	else if (rep != NULL && rep->type == REDIS_REPLY_STRING)
		v = strtoll(rep->str, NULL, 10);
	else if (rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements > 0 && rep->element[0]->type == REDIS_REPLY_INTEGER)
		v = rep->element[0]->integer;		/* XPENDING */
	freeReplyObject(rep);
	return v;
}

/* Each call as "id:a,b id:c" (sent) and "a,b,c" (answered). */
static int
done(struct np_batcher *b, const redisReply *r,
    const struct np_batch_entry *e, size_t n)
{
	struct tb *t = b->owner;
	char *s, *a;
	const char *p;
	size_t i, j;

	ck_assert_int_lt(t->ncalls, TB_CALLS);
	ck_assert_uint_ge(n, 1);
	t->n[t->ncalls] = n;
	s = t->sent[t->ncalls];
	for (i = 0; i < n; i++) {
		snprintf(s + strlen(s), TB_TEXT - strlen(s), "%s%s:",
		    i ? " " : "", e[i].id);
		for (j = 0, p = e[i].args; j < e[i].argc; j++) {
			snprintf(s + strlen(s), TB_TEXT - strlen(s), "%s%s",
			    j ? "," : "", p);
			p += strlen(p) + 1;
		}
	}
	a = t->answer[t->ncalls];
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	for (i = 0; i < r->elements; i++)
		snprintf(a + strlen(a), TB_TEXT - strlen(a), "%s%s",
		    i ? "," : "", r->element[i]->str);
	t->pending[t->ncalls] = sync_int(t->tr.port, "XPENDING s g");
	t->ncalls++;
	return t->keep;
}

static void
setup(struct tb *t)
{
	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(np_testredis_start(&t->tr, NULL), 0);
	t->base = event_base_new();
	np_redis_conf_defaults(&t->rconf);
	t->rconf.port = t->tr.port;
	t->redis = np_redis_new(t->base, &t->rconf, "cmd");
	ck_assert(np_test_run_until(t->base, np_test_redis_up, t->redis,
	    5000));
	t->caller = (struct np_caller){ .base = t->base, .redis = t->redis,
	    .first_ms = 50, .max_ms = 200, .stopping = &t->stopping,
	    .nkeys = 1, .nhead = 1, .head = head, .owner = t };
	t->b = (struct np_batcher){ .caller = &t->caller, .script = &echo,
	    .done = done, .owner = t };
	t->keep = 1;		/* no consumer to ack with */
}

static void
teardown(struct tb *t)
{
	np_redis_free(t->redis);
	np_batch_free(&t->b);
	event_base_free(t->base);
	np_testredis_stop(&t->tr);
}

static int
ended(void *arg)
{
	struct tb *t = arg;

	return t->b.inflight == 0 && t->b.open == NULL;
}

static void
wait_ended(struct tb *t)
{
	ck_assert(np_test_run_until(t->base, ended, t, 5000));
}

static void
add(struct tb *t, const char *id, const char *args)
{
	const char *argv[16];
	char buf[256], *p, *save;
	size_t argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	for (p = strtok_r(buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save))
		argv[argc++] = p;
	ck_assert_int_eq(np_batch_add(&t->b, NULL, id, argc, argv), 0);
}

START_TEST(entries_go_as_one_call_with_their_arguments_in_order)
{
	struct tb t;

	setup(&t);
	add(&t, "1-1", "a");
	add(&t, "1-2", "b,c,d");
	add(&t, "1-3", "e,f");
	ck_assert_int_eq(t.b.inflight, 0);	/* nothing before send */
	np_batch_send(&t.b);
	ck_assert_int_eq(t.b.inflight, 1);
	wait_ended(&t);
	ck_assert_int_eq(t.ncalls, 1);
	ck_assert_uint_eq(t.n[0], 3);
	ck_assert_str_eq(t.sent[0], "1-1:a 1-2:b,c,d 1-3:e,f");
	ck_assert_str_eq(t.answer[0], "a,b,c,d,e,f");
	ck_assert_int_eq(sync_int(t.tr.port, "GET calls"), 1);
	np_batch_send(&t.b);			/* nothing open: no call */
	ck_assert_int_eq(t.b.inflight, 0);
	teardown(&t);
}
END_TEST

START_TEST(a_full_call_goes_before_the_entry_that_would_overflow_it)
{
	struct tb t;
	const char *six[] = { "1", "2", "3", "4", "5", "6" };

	setup(&t);
	t.b.max_args = 5;
	add(&t, "1-1", "a,b,c");
	add(&t, "1-2", "d,e");			/* 5: fits */
	ck_assert_int_eq(t.b.inflight, 0);
	add(&t, "1-3", "f");			/* 6: the open call goes */
	ck_assert_int_eq(t.b.inflight, 1);
	ck_assert_int_eq(np_batch_add(&t.b, NULL, "1-4", 6, six), -1);
	ck_assert_int_eq(np_batch_add(&t.b, NULL, "1-4", 0, six), -1);
	np_batch_send(&t.b);
	wait_ended(&t);
	ck_assert_int_eq(t.ncalls, 2);
	ck_assert_str_eq(t.sent[0], "1-1:a,b,c 1-2:d,e");
	ck_assert_str_eq(t.sent[1], "1-3:f");

	t.b.max_args = 0;			/* NP_BATCH_ARGS */
	t.b.max_entries = 2;
	add(&t, "2-1", "g");
	add(&t, "2-2", "h");
	add(&t, "2-3", "i");
	np_batch_send(&t.b);
	wait_ended(&t);
	ck_assert_int_eq(t.ncalls, 4);
	ck_assert_str_eq(t.sent[2], "2-1:g 2-2:h");
	ck_assert_str_eq(t.sent[3], "2-3:i");
	ck_assert_str_eq(t.answer[3], "i");
	teardown(&t);
}
END_TEST

START_TEST(serial_holds_later_entries_until_the_answer_then_sends_them)
{
	struct tb t;

	setup(&t);
	t.b.serial = 1;
	t.b.max_args = 4;
	add(&t, "1-1", "a");
	np_batch_send(&t.b);
	ck_assert_int_eq(t.b.inflight, 1);
	add(&t, "1-2", "b");
	np_batch_send(&t.b);			/* held */
	add(&t, "1-3", "c");
	np_batch_send(&t.b);
	ck_assert_int_eq(t.b.inflight, 1);
	wait_ended(&t);
	ck_assert_int_eq(t.ncalls, 2);
	ck_assert_str_eq(t.sent[0], "1-1:a");
	ck_assert_str_eq(t.sent[1], "1-2:b 1-3:c");

	/* a full call goes at once, serial or not */
	add(&t, "2-1", "d");
	np_batch_send(&t.b);
	add(&t, "2-2", "e,f,g,h");
	add(&t, "2-3", "i");
	ck_assert_int_eq(t.b.inflight, 2);
	wait_ended(&t);
	ck_assert_int_eq(t.ncalls, 5);
	ck_assert_str_eq(t.sent[4], "2-3:i");

	/* without serial every send sends */
	t.b.serial = 0;
	add(&t, "3-1", "j");
	np_batch_send(&t.b);
	add(&t, "3-2", "k");
	np_batch_send(&t.b);
	ck_assert_int_eq(t.b.inflight, 2);
	wait_ended(&t);
	ck_assert_int_eq(t.ncalls, 7);
	teardown(&t);
}
END_TEST

/* The stream test: each entry's value becomes its argument. */
static void
on_entry(struct np_consumer *c, const struct np_stream_entry *e, void *arg)
{
	struct tb *t = arg;
	const char *v = np_stream_entry_get(e, "n", NULL);

	ck_assert_int_eq(np_batch_add(&t->b, c, e->id, 1, &v), 0);
}

static void
on_read(struct np_consumer *c, void *arg)
{
	np_batch_send(&((struct tb *)arg)->b);
}

static int
called(void *arg)
{
	struct tb *t = arg;

	return t->ncalls > 0 && ended(t);
}

static int
pending_zero(void *arg)
{
	struct tb *t = arg;

	return sync_int(t->tr.port, "XPENDING s g") == 0;
}

/* Three entries read, one call; its answer acked them or left them. */
static void
stream_run(struct tb *t, int keep)
{
	struct np_consumer_conf conf;
	struct np_consumer *co;
	redisReply *rep;
	int i;

	setup(t);
	t->keep = keep;
	for (i = 0; i < 3; i++)
		freeReplyObject(sync_cmd(t->tr.port, "XADD s * n v"));
	np_consumer_conf_defaults(&conf);
	conf.stream = "s";
	conf.group = "g";
	conf.consumer = "c1";
	conf.block_ms = 200;
	co = np_consumer_new(t->base, &t->rconf, t->redis, &conf, on_entry,
	    t);
	ck_assert_ptr_nonnull(co);
	np_consumer_set_batch_cb(co, on_read);
	ck_assert(np_test_run_until(t->base, called, t, 5000));
	ck_assert_int_eq(t->ncalls, 1);
	ck_assert_uint_eq(t->n[0], 3);
	ck_assert_int_eq(t->pending[0], 3);	/* none acked before */
	if (keep) {
		np_test_run_until(t->base, np_test_never, NULL, 300);
		ck_assert_int_eq(sync_int(t->tr.port, "XPENDING s g"), 3);
	} else
		ck_assert(np_test_run_until(t->base, pending_zero, t, 5000));
	rep = sync_cmd(t->tr.port, "GET calls");
	ck_assert_str_eq(rep->str, "1");
	freeReplyObject(rep);
	np_consumer_free(co);
	teardown(t);
}

START_TEST(stream_entries_are_acked_once_their_call_has_answered)
{
	struct tb t;

	stream_run(&t, 0);
}
END_TEST

START_TEST(stream_entries_stay_pending_when_done_keeps_them)
{
	struct tb t;

	stream_run(&t, 1);
}
END_TEST

START_TEST(a_call_that_cannot_be_sent_gets_no_answer)
{
	struct tb t;

	setup(&t);
	add(&t, "1-1", "a");
	t.stopping = 1;				/* np_call refuses */
	np_batch_send(&t.b);
	ck_assert_int_eq(t.b.inflight, 0);
	ck_assert_ptr_null(t.b.open);
	np_test_run_until(t.base, np_test_never, NULL, 200);
	ck_assert_int_eq(t.ncalls, 0);
	add(&t, "1-2", "b");			/* np_batch_free frees it */
	teardown(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("np_batch");
	TCase *tc = tcase_create("batch");

	log_init("test_np_batch", NP_LOG_WARN, 0);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
	    entries_go_as_one_call_with_their_arguments_in_order);
	tcase_add_test(tc,
	    a_full_call_goes_before_the_entry_that_would_overflow_it);
	tcase_add_test(tc,
	    serial_holds_later_entries_until_the_answer_then_sends_them);
	tcase_add_test(tc,
	    stream_entries_are_acked_once_their_call_has_answered);
	tcase_add_test(tc, stream_entries_stay_pending_when_done_keeps_them);
	tcase_add_test(tc, a_call_that_cannot_be_sent_gets_no_answer);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
