/*
 * np_stream against a real redis-server: XADD, exactly-once delivery with
 * acks, pending recovery by name, XAUTOCLAIM from a dead consumer, deleted
 * pending entries, max_inflight back-pressure, a Redis crash and restart,
 * freeing the consumer from its handler, and the batch callback after
 * each read.  Set-up and checks go through
 * a plain synchronous hiredis connection; every wait is the event loop with
 * a deadline.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"
#include "np_testredis.h"
#include "np_testloop.h"

#define MAXSEEN	64

static const char *const aof[] = { "--appendonly", "yes",
    "--appendfsync", "always", NULL };

struct t {
	struct np_testredis	 tr;
	struct event_base	*base;
	struct np_redis_conf	 rconf;
	struct np_redis		*cmd;
	struct np_consumer_conf	 conf;
};

struct seen {
	struct np_consumer	*c;
	int			 ack;		/* ack in the handler */
	int			 free_at;	/* free in the handler at n */
	int			 n;
	int			 acked_to;	/* batch cb acked ids[0..] */
	int			 batches;	/* batch cb calls */
	int			 empty_batches;	/* ... with nothing new */
	char			 ids[MAXSEEN][48];
	char			 vals[MAXSEEN][32];
};

/* A synchronous command on a fresh connection; NULL when it fails. */
static redisReply *
sync_cmd(int port, const char *fmt, ...)
{
	redisContext *rc = redisConnect("127.0.0.1", port);
	redisReply *rep = NULL;
	va_list ap;

	if (rc != NULL && rc->err == 0) {
		va_start(ap, fmt);
		rep = redisvCommand(rc, fmt, ap);
		va_end(ap);
	}
	redisFree(rc);
	return rep;
}

static void
sync_ok(int port, const char *fmt, const char *a, const char *b)
{
	redisReply *rep = sync_cmd(port, fmt, a, b);

	ck_assert_ptr_nonnull(rep);
	ck_assert_msg(rep->type != REDIS_REPLY_ERROR, "%s: %s", fmt, rep->str);
	freeReplyObject(rep);
}

static void
xadd(int port, const char *val)
{
	sync_ok(port, "XADD s * n %s", val, NULL);
}

static int tport;

/* XPENDING s g count is zero. */
static int
pending_empty(void *arg)
{
	redisReply *rep = sync_cmd(tport, "XPENDING s g");
	int ok;

	ok = rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements >= 1 && rep->element[0]->integer == 0;
	freeReplyObject(rep);
	return ok;
}

struct want {
	struct seen	*s;
	int		 n;
};

static int
seen_n(void *arg)
{
	struct want *w = arg;

	return w->s->n >= w->n;
}

static int
wait_seen(struct t *t, struct seen *s, int n)
{
	struct want w = { s, n };

	return np_test_run_until(t->base, seen_n, &w, 10000);
}

static void
on_entry(struct np_consumer *c, const struct np_stream_entry *e, void *arg)
{
	struct seen *s = arg;
	const char *v;
	size_t len;

	if (s->n < MAXSEEN) {
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", e->id);
		if ((v = np_stream_entry_get(e, "n", &len)) != NULL)
			snprintf(s->vals[s->n], sizeof(s->vals[0]), "%.*s",
			    (int)len, v);
	}
	s->n++;
	if (s->free_at && s->n == s->free_at) {
		np_consumer_free(c);
		s->c = NULL;
		return;
	}
	if (s->ack)
		np_consumer_ack(c, e->id);
}

static void
setup(struct t *t, const char *const *extra)
{
	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(np_testredis_start(&t->tr, extra), 0);
	tport = t->tr.port;
	t->base = event_base_new();
	np_redis_conf_defaults(&t->rconf);
	t->rconf.port = t->tr.port;
	t->rconf.backoff_min_ms = 50;
	t->rconf.backoff_max_ms = 400;
	t->cmd = np_redis_new(t->base, &t->rconf, "cmd");
	ck_assert(np_test_run_until(t->base, np_test_redis_up, t->cmd, 5000));
	np_consumer_conf_defaults(&t->conf);
	t->conf.stream = "s";
	t->conf.group = "g";
	t->conf.consumer = "c1";
	t->conf.block_ms = 300;
}

static void
start(struct t *t, struct seen *s)
{
	s->c = np_consumer_new(t->base, &t->rconf, t->cmd, &t->conf, on_entry,
	    s);
	ck_assert_ptr_nonnull(s->c);
}

static void
teardown(struct t *t)
{
	np_redis_free(t->cmd);
	event_base_free(t->base);
	np_testredis_stop(&t->tr);
}

static void
stats(struct seen *s, struct np_consumer_stats *st)
{
	np_consumer_stats(s->c, st);
}

static int
unique(struct seen *s)
{
	int i, j;

	for (i = 0; i < s->n && i < MAXSEEN; i++)
		for (j = i + 1; j < s->n && j < MAXSEEN; j++)
			if (strcmp(s->ids[i], s->ids[j]) == 0)
				return 0;
	return 1;
}

struct want_acks {
	struct np_consumer	*c;
	unsigned long long	 n;
};

/* XACK replies are counted when they arrive, which may be after Redis has
 * already applied them (and XPENDING shows the list empty). */
static int
acked_n(void *arg)
{
	struct want_acks *w = arg;
	struct np_consumer_stats st;

	np_consumer_stats(w->c, &st);
	return st.acked >= w->n;
}

static int
wait_acked(struct t *t, struct seen *s, unsigned long long n)
{
	struct want_acks w = { s->c, n };

	return np_test_run_until(t->base, acked_n, &w, 5000);
}

static void
on_added(struct np_redis *r, struct redisReply *rep, void *arg)
{
	int *added = arg;

	if (rep != NULL && rep->type == REDIS_REPLY_STRING)
		(*added)++;
}

static int
added_two(void *arg)
{
	return *(int *)arg == 2;
}

START_TEST(add_trims_and_entry_get_is_binary_safe)
{
	struct t t;
	const char *kv[] = { "kind", "call", "blob", "x\0y" };
	size_t kvlen[] = { 4, 4, 4, 3 };
	const char *names[] = { "kind", "blob" }, *values[] = { "call", "x\0y" };
	size_t lens[] = { 4, 3 }, len = 0;
	struct np_stream_entry e = { "1-0", 2, names, values, lens };
	redisReply *rep;
	int added = 0, i;

	setup(&t, NULL);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(np_stream_add(t.cmd, "s", i ? 1 : 0, on_added,
		    &added, 2, kv, kvlen), 0);
	ck_assert_int_eq(np_stream_add(t.cmd, "s", 0, NULL, NULL, 0, kv,
	    kvlen), -1);
	ck_assert(np_test_run_until(t.base, added_two, &added, 5000));
	rep = sync_cmd(t.tr.port, "XRANGE s - +");
	ck_assert_ptr_nonnull(rep);
	ck_assert_uint_ge(rep->elements, 1);
	ck_assert_uint_eq(rep->element[0]->element[1]->element[3]->len, 3);
	ck_assert_mem_eq(rep->element[0]->element[1]->element[3]->str, "x\0y",
	    3);
	freeReplyObject(rep);

	ck_assert_ptr_eq(np_stream_entry_get(&e, "blob", &len), values[1]);
	ck_assert_uint_eq(len, 3);
	ck_assert_ptr_null(np_stream_entry_get(&e, "nope", &len));
	teardown(&t);
}
END_TEST

START_TEST(delivers_old_and_new_entries_exactly_once_and_acks)
{
	struct t t;
	struct seen s = { .ack = 1 };
	struct np_consumer_stats st;
	char v[16];
	int i;

	setup(&t, NULL);
	for (i = 0; i < 3; i++) {
		snprintf(v, sizeof(v), "%d", i);
		xadd(t.tr.port, v);
	}
	start(&t, &s);
	ck_assert(wait_seen(&t, &s, 3));
	for (i = 3; i < 6; i++) {
		snprintf(v, sizeof(v), "%d", i);
		xadd(t.tr.port, v);
	}
	ck_assert(wait_seen(&t, &s, 6));
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	ck_assert(wait_acked(&t, &s, 6));
	np_test_run_until(t.base, np_test_never, NULL, 400);	/* nothing more comes */
	ck_assert_int_eq(s.n, 6);
	ck_assert(unique(&s));
	for (i = 0; i < 6; i++) {
		snprintf(v, sizeof(v), "%d", i);
		ck_assert_str_eq(s.vals[i], v);
	}
	stats(&s, &st);
	ck_assert_uint_eq(st.delivered, 6);
	ck_assert_uint_eq(st.acked, 6);
	ck_assert_uint_eq(st.recovered + st.claimed, 0);
	ck_assert_uint_eq(np_consumer_inflight(s.c), 0);
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

START_TEST(unacked_entries_redelivered_to_same_name_after_free)
{
	struct t t;
	struct seen a = { 0 }, b = { .ack = 1 };
	struct np_consumer_stats st;
	int i;

	setup(&t, NULL);
	for (i = 0; i < 4; i++)
		xadd(t.tr.port, "x");
	start(&t, &a);
	ck_assert(wait_seen(&t, &a, 4));
	np_consumer_ack(a.c, a.ids[0]);
	np_consumer_ack(a.c, a.ids[1]);
	ck_assert(wait_acked(&t, &a, 2));
	np_consumer_free(a.c);

	start(&t, &b);
	ck_assert(wait_seen(&t, &b, 2));
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	np_test_run_until(t.base, np_test_never, NULL, 400);
	ck_assert_int_eq(b.n, 2);
	ck_assert_str_eq(b.ids[0], a.ids[2]);
	ck_assert_str_eq(b.ids[1], a.ids[3]);
	stats(&b, &st);
	ck_assert_uint_eq(st.recovered, 2);
	np_consumer_free(b.c);
	teardown(&t);
}
END_TEST

START_TEST(other_consumer_claims_idle_entries_of_a_dead_one)
{
	struct t t;
	struct seen s = { .ack = 1 };
	struct np_consumer_stats st;
	redisReply *rep;
	int i;

	setup(&t, NULL);
	sync_ok(t.tr.port, "XGROUP CREATE s g $ MKSTREAM", NULL, NULL);
	for (i = 0; i < 3; i++)
		xadd(t.tr.port, "x");
	rep = sync_cmd(t.tr.port, "XREADGROUP GROUP g dead COUNT 10 "
	    "STREAMS s >");
	ck_assert_ptr_nonnull(rep);
	ck_assert_uint_eq(rep->element[0]->element[1]->elements, 3);
	freeReplyObject(rep);

	t.conf.consumer = "alive";
	t.conf.claim_idle_ms = 300;
	t.conf.claim_interval_ms = 100;
	start(&t, &s);
	ck_assert(wait_seen(&t, &s, 3));
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	ck_assert_int_eq(s.n, 3);
	ck_assert(unique(&s));
	ck_assert(wait_acked(&t, &s, 3));
	stats(&s, &st);
	ck_assert_uint_eq(st.claimed, 3);
	ck_assert_uint_eq(st.acked, 3);
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

START_TEST(deleted_pending_entry_is_skipped_and_acked)
{
	struct t t;
	struct seen s = { .ack = 1 };
	struct np_consumer_stats st;
	redisReply *rep;
	char gone[48];

	setup(&t, NULL);
	sync_ok(t.tr.port, "XGROUP CREATE s g $ MKSTREAM", NULL, NULL);
	xadd(t.tr.port, "a");
	xadd(t.tr.port, "b");
	xadd(t.tr.port, "c");
	rep = sync_cmd(t.tr.port, "XREADGROUP GROUP g c1 COUNT 10 STREAMS s >");
	ck_assert_ptr_nonnull(rep);
	snprintf(gone, sizeof(gone), "%s",
	    rep->element[0]->element[1]->element[1]->element[0]->str);
	freeReplyObject(rep);
	sync_ok(t.tr.port, "XDEL s %s", gone, NULL);

	start(&t, &s);
	ck_assert(wait_seen(&t, &s, 2));
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.vals[0], "a");
	ck_assert_str_eq(s.vals[1], "c");
	stats(&s, &st);
	ck_assert_uint_eq(st.recovered, 2);
	ck_assert_uint_eq(st.deleted, 1);
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

START_TEST(max_inflight_holds_back_reading_until_acks)
{
	struct t t;
	struct seen s = { 0 };
	int i;

	setup(&t, NULL);
	for (i = 0; i < 5; i++)
		xadd(t.tr.port, "x");
	t.conf.max_inflight = 2;
	start(&t, &s);
	ck_assert(wait_seen(&t, &s, 2));
	np_test_run_until(t.base, np_test_never, NULL, 500);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(np_consumer_inflight(s.c), 2);
	for (i = 0; i < 5; i++) {
		np_consumer_ack(s.c, s.ids[i]);
		if (i < 3)
			ck_assert(wait_seen(&t, &s, i + 3));
	}
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	ck_assert_int_eq(s.n, 5);
	ck_assert(unique(&s));
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

/* calls of a command so far, from INFO commandstats */
static long
calls_of(int port, const char *cmd)
{
	redisReply *rep = sync_cmd(port, "INFO commandstats");
	char key[64];
	const char *at;
	long n = 0;

	snprintf(key, sizeof(key), "cmdstat_%s:calls=", cmd);
	if (rep != NULL && rep->type == REDIS_REPLY_STRING &&
	    (at = strstr(rep->str, key)) != NULL)
		n = strtol(at + strlen(key), NULL, 10);
	freeReplyObject(rep);
	return n;
}

START_TEST(ack_delay_gathers_acks_into_one_xack)
{
	struct t t;
	struct seen s = { .ack = 1 };
	int i;

	setup(&t, NULL);
	t.conf.ack_delay_ms = 600000;	/* never, here: only a full batch */
	t.conf.count = 5;		/* ... of a read's worth flushes */
	start(&t, &s);
	for (i = 0; i < 5; i++) {	/* one at a time: a loop pass each */
		if (i == 4)
			ck_assert_int_eq(calls_of(t.tr.port, "xack"), 0);
		xadd(t.tr.port, "x");
		ck_assert(wait_seen(&t, &s, i + 1));
	}
	ck_assert(wait_acked(&t, &s, 5));
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	ck_assert_int_eq(calls_of(t.tr.port, "xack"), 1);
	ck_assert_uint_eq(np_consumer_inflight(s.c), 0);
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

static int
reconnected(void *arg)
{
	struct seen *s = arg;
	struct np_consumer_stats st;

	np_consumer_stats(s->c, &st);
	return st.reconnects >= 1;
}

START_TEST(survives_redis_restart_and_flushes_acks_made_while_down)
{
	struct t t;
	struct seen s = { 0 };
	struct np_consumer_stats st;

	setup(&t, aof);
	start(&t, &s);
	xadd(t.tr.port, "1");
	xadd(t.tr.port, "2");
	ck_assert(wait_seen(&t, &s, 2));
	np_consumer_ack(s.c, s.ids[0]);

	np_testredis_kill(&t.tr);
	ck_assert(np_test_run_until(t.base, np_test_redis_down, t.cmd, 5000));
	np_consumer_ack(s.c, s.ids[1]);		/* queued: cmd is down */
	ck_assert_int_eq(np_testredis_restart(&t.tr, aof), 0);
	ck_assert(np_test_run_until(t.base, np_test_redis_up, t.cmd, 5000));
	ck_assert(np_test_run_until(t.base, reconnected, &s, 5000));
	xadd(t.tr.port, "3");
	ck_assert(wait_seen(&t, &s, 3));
	ck_assert_str_eq(s.vals[2], "3");
	np_consumer_ack(s.c, s.ids[2]);
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	np_test_run_until(t.base, np_test_never, NULL, 400);
	ck_assert_int_eq(s.n, 3);		/* "2" was not re-delivered */
	ck_assert(wait_acked(&t, &s, 3));
	stats(&s, &st);
	ck_assert_uint_eq(st.acked, 3);
	ck_assert_uint_eq(np_consumer_inflight(s.c), 0);
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

static int
caught_up(void *arg)
{
	return np_consumer_caught_up(((struct seen *)arg)->c);
}

static int
not_caught_up(void *arg)
{
	return !caught_up(arg);
}

/* caught_up: once a live read since the connection came up has reached
 * the stream's end, with every entry before it handled; the first live
 * reads do not block (block_ms 5000 would hold an empty read that long);
 * a restart of Redis takes it back until the end is reached again. */
START_TEST(caught_up_once_a_read_reaches_the_end)
{
	struct t t;
	struct seen s = { 0 };
	int i;

	setup(&t, aof);
	t.conf.count = 2;
	t.conf.block_ms = 5000;
	for (i = 0; i < 4; i++)
		xadd(t.tr.port, "x");
	start(&t, &s);
	ck_assert_int_eq(np_consumer_caught_up(s.c), 0);
	ck_assert(np_test_run_until(t.base, caught_up, &s, 2000));
	ck_assert_int_eq(s.n, 4);	/* 2 + 2, then an empty read */

	np_testredis_kill(&t.tr);
	ck_assert(np_test_run_until(t.base, not_caught_up, &s, 5000));
	ck_assert_int_eq(np_testredis_restart(&t.tr, aof), 0);
	ck_assert(np_test_run_until(t.base, reconnected, &s, 5000));
	ck_assert(np_test_run_until(t.base, caught_up, &s, 2000));
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

/* Acks what the handler collected since the last batch. */
static void
on_batch(struct np_consumer *c, void *arg)
{
	struct seen *s = arg;

	s->batches++;
	if (s->acked_to == s->n)
		s->empty_batches++;
	for (; s->acked_to < s->n && s->acked_to < MAXSEEN; s->acked_to++)
		np_consumer_ack(c, s->ids[s->acked_to]);
}

START_TEST(batch_cb_follows_each_read_with_entries)
{
	struct t t;
	struct seen s = { .ack = 0 };
	char v[16];
	int i;

	setup(&t, NULL);
	for (i = 0; i < 5; i++) {
		snprintf(v, sizeof(v), "%d", i);
		xadd(t.tr.port, v);
	}
	start(&t, &s);
	np_consumer_set_batch_cb(s.c, on_batch);
	ck_assert(wait_seen(&t, &s, 5));
	ck_assert_int_eq(s.batches, 1);		/* five entries, one read */
	for (i = 5; i < 8; i++) {
		snprintf(v, sizeof(v), "%d", i);
		xadd(t.tr.port, v);
	}
	ck_assert(wait_seen(&t, &s, 8));
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	ck_assert(wait_acked(&t, &s, 8));
	np_test_run_until(t.base, np_test_never, NULL, 700);	/* empty reads */
	ck_assert_int_ge(s.batches, 2);
	ck_assert_int_le(s.batches, 4);
	ck_assert_int_eq(s.empty_batches, 0);
	ck_assert_int_eq(s.acked_to, 8);
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

/*
 * The gap: a read that fills its COUNT is followed at once (seven
 * entries, COUNT 3: three reads well within one gap); after the read that
 * caught up, what comes during the gap is one read.
 */
START_TEST(gap_gathers_what_comes_meanwhile_into_one_read)
{
	struct t t;
	struct seen s = { .ack = 0 };
	struct want w = { &s, 7 };
	char v[16];
	int i;

	setup(&t, NULL);
	t.conf.count = 3;
	t.conf.gap_ms = 4000;
	for (i = 0; i < 7; i++) {
		snprintf(v, sizeof(v), "%d", i);
		xadd(t.tr.port, v);
	}
	start(&t, &s);
	np_consumer_set_batch_cb(s.c, on_batch);
	ck_assert(np_test_run_until(t.base, seen_n, &w, 3000));
	ck_assert_int_eq(s.batches, 3);		/* 3 + 3 + 1 */
	for (i = 7; i < 9; i++) {		/* within the gap */
		snprintf(v, sizeof(v), "%d", i);
		xadd(t.tr.port, v);
	}
	ck_assert(wait_seen(&t, &s, 9));
	ck_assert_int_eq(s.batches, 4);		/* the two in one read */
	ck_assert_str_eq(s.vals[8], "8");
	ck_assert(wait_acked(&t, &s, 9));
	np_consumer_free(s.c);
	teardown(&t);
}
END_TEST

START_TEST(consumer_freed_from_its_handler)
{
	struct t t;
	struct seen a = { .free_at = 1 }, b = { .ack = 1 };
	int i;

	setup(&t, NULL);
	for (i = 0; i < 3; i++)
		xadd(t.tr.port, "x");
	start(&t, &a);
	ck_assert(wait_seen(&t, &a, 1));
	ck_assert_ptr_null(a.c);
	start(&t, &b);
	ck_assert(wait_seen(&t, &b, 3));
	ck_assert(np_test_run_until(t.base, pending_empty, NULL, 5000));
	np_consumer_free(b.c);
	teardown(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("np_stream");
	TCase *tc = tcase_create("stream");

	log_init("test_np_stream", NP_LOG_WARN, 0);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, add_trims_and_entry_get_is_binary_safe);
	tcase_add_test(tc, delivers_old_and_new_entries_exactly_once_and_acks);
	tcase_add_test(tc, unacked_entries_redelivered_to_same_name_after_free);
	tcase_add_test(tc, other_consumer_claims_idle_entries_of_a_dead_one);
	tcase_add_test(tc, deleted_pending_entry_is_skipped_and_acked);
	tcase_add_test(tc, max_inflight_holds_back_reading_until_acks);
	tcase_add_test(tc, ack_delay_gathers_acks_into_one_xack);
	tcase_add_test(tc,
	    survives_redis_restart_and_flushes_acks_made_while_down);
	tcase_add_test(tc, consumer_freed_from_its_handler);
	tcase_add_test(tc, batch_cb_follows_each_read_with_entries);
	tcase_add_test(tc, caught_up_once_a_read_reaches_the_end);
	tcase_add_test(tc, gap_gathers_what_comes_meanwhile_into_one_read);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
