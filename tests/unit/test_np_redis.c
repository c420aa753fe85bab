/*
 * np_redis against a real redis-server (np_testredis): round trips, refusal
 * while down, reconnect across a crash and restart, the PING watchdog on a
 * frozen server, AUTH, and the EVALSHA -> EVAL fallback.  Each test starts
 * and stops its own server; every wait is the event loop with a deadline.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "np_log.h"
#include "np_redis.h"
#include "np_testredis.h"
#include "np_testloop.h"

static const char *const aof[] = { "--appendonly", "yes",
    "--appendfsync", "always", NULL };

struct box {
	int		 calls;
	int		 nulls;
	int		 type;
	long long	 integer;
	char		 str[4096];
	size_t		 len;
	int		 ups;
	int		 downs;
};

static int
answered(void *arg)
{
	return ((struct box *)arg)->calls > 0;
}

static void
on_reply(struct np_redis *r, struct redisReply *rep, void *arg)
{
	struct box *b = arg;

	b->calls++;
	if (rep == NULL) {
		b->nulls++;
		return;
	}
	b->type = rep->type;
	b->integer = rep->integer;
	b->len = 0;
	if (rep->str != NULL) {
		b->len = rep->len < sizeof(b->str) ? rep->len : sizeof(b->str);
		memcpy(b->str, rep->str, b->len);
	}
}

static void
on_state(struct np_redis *r, int up, void *arg)
{
	struct box *b = arg;

	if (up)
		b->ups++;
	else
		b->downs++;
}

static struct np_redis *
connect_to(struct event_base *base, int port, struct np_redis_conf *conf)
{
	struct np_redis_conf def;

	if (conf == NULL) {
		np_redis_conf_defaults(&def);
		conf = &def;
	}
	conf->port = port;
	conf->backoff_min_ms = 50;
	conf->backoff_max_ms = 400;
	return np_redis_new(base, conf, "test");
}

START_TEST(command_round_trip_is_binary_safe_and_capped)
{
	struct np_testredis tr;
	struct event_base *base = event_base_new();
	struct np_redis_conf conf;
	struct np_redis *r;
	struct box b = { 0 }, b2 = { 0 }, b3 = { 0 };
	const char *argv[] = { "SET", "bin", "a\0b" };
	size_t len[] = { 3, 3, 3 };

	ck_assert_int_eq(np_testredis_start(&tr, NULL), 0);
	np_redis_conf_defaults(&conf);
	conf.max_pending = 2;
	r = connect_to(base, tr.port, &conf);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));

	ck_assert_int_eq(np_redis_cmd(r, on_reply, &b, 3, argv, len), 0);
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b2, "GET %s", "bin"), 0);
	/* a third outstanding command is over max_pending */
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b3, "PING"), -1);
	ck_assert(np_test_run_until(base, answered, &b2, 5000));
	ck_assert_int_eq(b.type, REDIS_REPLY_STATUS);
	ck_assert_int_eq(b2.type, REDIS_REPLY_STRING);
	ck_assert_uint_eq(b2.len, 3);
	ck_assert_mem_eq(b2.str, "a\0b", 3);

	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b, "INCRBY %s %d", "n",
	    41), 0);
	ck_assert(np_test_run_until(base, answered, &b, 5000));
	ck_assert_int_eq(b.type, REDIS_REPLY_INTEGER);
	ck_assert_int_eq(b.integer, 41);
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b, "NOSUCHCMD"), 0);
	ck_assert(np_test_run_until(base, answered, &b, 5000));
	ck_assert_int_eq(b.type, REDIS_REPLY_ERROR);
	ck_assert_int_eq(b3.calls, 0);

	np_redis_free(r);
	event_base_free(base);
	np_testredis_stop(&tr);
}
END_TEST

START_TEST(commands_refused_while_no_server)
{
	struct event_base *base = event_base_new();
	struct np_redis *r;
	struct box b = { 0 };
	const char *argv[] = { "PING" };
	size_t len[] = { 4 };

	r = connect_to(base, np_test_free_port(), NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b, "PING"), -1);
	np_test_run_until(base, np_test_never, NULL, 300);	/* several failed attempts */
	ck_assert(!np_redis_connected(r));
	ck_assert_int_eq(np_redis_cmd(r, on_reply, &b, 1, argv, len), -1);
	np_redis_free(r);
	ck_assert_int_eq(b.calls, 0);
	event_base_free(base);
}
END_TEST

START_TEST(reconnects_after_server_killed_and_restarted)
{
	struct np_testredis tr;
	struct event_base *base = event_base_new();
	struct np_redis *r;
	struct box b = { 0 }, blocked = { 0 }, st = { 0 };

	ck_assert_int_eq(np_testredis_start(&tr, aof), 0);
	r = connect_to(base, tr.port, NULL);
	np_redis_set_state_cb(r, on_state, &st);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b, "SET k %s", "kept"),
	    0);
	ck_assert(np_test_run_until(base, answered, &b, 5000));
	/* a command outstanding when the server dies: reply NULL */
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &blocked, "BLPOP q 10"),
	    0);
	np_test_run_until(base, np_test_never, NULL, 100);

	np_testredis_kill(&tr);
	ck_assert(np_test_run_until(base, np_test_redis_down, r, 5000));
	ck_assert_int_eq(blocked.calls, 1);
	ck_assert_int_eq(blocked.nulls, 1);
	ck_assert_int_eq(st.downs, 1);
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b, "GET k"), -1);
	np_test_run_until(base, np_test_never, NULL, 200);	/* a few refused retries */
	ck_assert(!np_redis_connected(r));

	ck_assert_int_eq(np_testredis_restart(&tr, aof), 0);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));
	ck_assert_int_eq(st.ups, 2);
	ck_assert_uint_eq(np_redis_reconnects(r), 1);
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b, "GET k"), 0);
	ck_assert(np_test_run_until(base, answered, &b, 5000));
	ck_assert_int_eq(b.type, REDIS_REPLY_STRING);
	ck_assert_mem_eq(b.str, "kept", 4);
	ck_assert_int_eq(b.calls, 1);

	np_redis_free(r);
	event_base_free(base);
	np_testredis_stop(&tr);
}
END_TEST

START_TEST(watchdog_drops_a_frozen_server_and_reconnects)
{
	struct np_testredis tr;
	struct event_base *base = event_base_new();
	struct np_redis_conf conf;
	struct np_redis *r;
	struct box b = { 0 }, st = { 0 };

	ck_assert_int_eq(np_testredis_start(&tr, NULL), 0);
	np_redis_conf_defaults(&conf);
	conf.ping_interval_ms = 200;
	r = connect_to(base, tr.port, &conf);
	np_redis_set_state_cb(r, on_state, &st);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));

	/* SIGSTOP: TCP stays up, nothing answers -- a half-open peer */
	kill(tr.pid, SIGSTOP);
	ck_assert(np_test_run_until(base, np_test_redis_down, r, 5000));
	ck_assert_int_eq(st.downs, 1);
	np_test_run_until(base, np_test_never, NULL, 500);	/* handshakes time out too */
	ck_assert(!np_redis_connected(r));
	kill(tr.pid, SIGCONT);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b, "PING"), 0);
	ck_assert(np_test_run_until(base, answered, &b, 5000));
	ck_assert_int_eq(b.type, REDIS_REPLY_STATUS);

	np_redis_free(r);
	event_base_free(base);
	np_testredis_stop(&tr);
}
END_TEST

START_TEST(auth_with_password_and_acl_user)
{
	struct np_testredis tr;
	struct event_base *base = event_base_new();
	struct np_redis_conf conf;
	struct np_redis *r, *ra, *bad;
	struct box b = { 0 };

	ck_assert_int_eq(np_testredis_start(&tr, NULL), 0);
	/* np_testredis probes without AUTH: add the passwords afterwards */
	r = connect_to(base, tr.port, NULL);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b,
	    "ACL SETUSER alice on >wonder ~* &* +@all"), 0);
	ck_assert(np_test_run_until(base, answered, &b, 5000));
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b,
	    "CONFIG SET requirepass s3cret"), 0);
	ck_assert(np_test_run_until(base, answered, &b, 5000));
	ck_assert_int_eq(b.type, REDIS_REPLY_STATUS);
	np_redis_free(r);

	np_redis_conf_defaults(&conf);
	conf.password = "s3cret";
	r = connect_to(base, tr.port, &conf);
	np_redis_conf_defaults(&conf);
	conf.user = "alice";
	conf.password = "wonder";
	ra = connect_to(base, tr.port, &conf);
	np_redis_conf_defaults(&conf);
	conf.password = "wrong";
	bad = connect_to(base, tr.port, &conf);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));
	ck_assert(np_test_run_until(base, np_test_redis_up, ra, 5000));
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(np_redis_cmdf(ra, on_reply, &b, "ACL WHOAMI"), 0);
	ck_assert(np_test_run_until(base, answered, &b, 5000));
	ck_assert_uint_eq(b.len, 5);
	ck_assert_mem_eq(b.str, "alice", 5);
	np_test_run_until(base, np_test_never, NULL, 300);
	ck_assert(!np_redis_connected(bad));

	np_redis_free(bad);
	np_redis_free(ra);
	np_redis_free(r);
	event_base_free(base);
	np_testredis_stop(&tr);
}
END_TEST

static long
cmdstat_calls(struct event_base *base, struct np_redis *r, const char *cmd)
{
	struct box b = { 0 };
	char key[64], *p;

	if (np_redis_cmdf(r, on_reply, &b, "INFO commandstats") == -1 ||
	    !np_test_run_until(base, answered, &b, 5000))
		return -1;
	b.str[b.len < sizeof(b.str) ? b.len : sizeof(b.str) - 1] = '\0';
	snprintf(key, sizeof(key), "cmdstat_%s:calls=", cmd);
	if ((p = strstr(b.str, key)) == NULL)
		return 0;
	return strtol(p + strlen(key), NULL, 10);
}

START_TEST(evalsha_falls_back_to_eval_after_script_flush)
{
	struct np_testredis tr;
	struct event_base *base = event_base_new();
	struct np_redis *r;
	struct np_redis_script s = { "incr_by", "return redis.call("
	    "'INCRBY', KEYS[1], ARGV[1])", "" };
	const char *argv[] = { "ctr", "5" };
	size_t len[] = { 3, 1 };
	struct box b = { 0 };
	int i;

	ck_assert_int_eq(np_testredis_start(&tr, NULL), 0);
	r = connect_to(base, tr.port, NULL);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));
	for (i = 1; i <= 3; i++) {
		if (i == 3) {
			memset(&b, 0, sizeof(b));
			ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b,
			    "SCRIPT FLUSH"), 0);
			ck_assert(np_test_run_until(base, answered, &b, 5000));
		}
		memset(&b, 0, sizeof(b));
		ck_assert_int_eq(np_redis_eval(r, &s, on_reply, &b, 1, 2, argv,
		    len), 0);
		ck_assert(np_test_run_until(base, answered, &b, 5000));
		ck_assert_int_eq(b.calls, 1);
		ck_assert_int_eq(b.type, REDIS_REPLY_INTEGER);
		ck_assert_int_eq(b.integer, 5 * i);
		ck_assert_uint_eq(strlen(s.sha), 40);
	}
	/* 1st: EVAL (+SCRIPT LOAD); 2nd: EVALSHA; 3rd: EVALSHA, NOSCRIPT, EVAL */
	ck_assert_int_eq(cmdstat_calls(base, r, "evalsha"), 2);
	ck_assert_int_eq(cmdstat_calls(base, r, "eval"), 2);

	np_redis_free(r);
	event_base_free(base);
	np_testredis_stop(&tr);
}
END_TEST

struct self_free {
	struct np_redis	*r;
	int		 calls;
	int		 nulls;
};

static void
on_reply_free(struct np_redis *r, struct redisReply *rep, void *arg)
{
	struct self_free *sf = arg;

	sf->calls++;
	if (rep == NULL)
		sf->nulls++;
	if (sf->r != NULL) {
		sf->r = NULL;
		np_redis_free(r);
	}
}

static int
self_freed(void *arg)
{
	return ((struct self_free *)arg)->r == NULL;
}

START_TEST(free_answers_outstanding_with_null_even_from_a_callback)
{
	struct np_testredis tr;
	struct event_base *base = event_base_new();
	struct np_redis *r;
	struct box b = { 0 };
	struct self_free sf = { 0 }, other = { 0 };

	ck_assert_int_eq(np_testredis_start(&tr, NULL), 0);
	r = connect_to(base, tr.port, NULL);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));
	ck_assert_int_eq(np_redis_cmdf(r, on_reply, &b, "BLPOP q 10"), 0);
	np_redis_free(r);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(b.nulls, 1);

	/* freed from its own reply callback; the next command still gets NULL */
	r = connect_to(base, tr.port, NULL);
	ck_assert(np_test_run_until(base, np_test_redis_up, r, 5000));
	sf.r = r;
	ck_assert_int_eq(np_redis_cmdf(r, on_reply_free, &sf, "PING"), 0);
	ck_assert_int_eq(np_redis_cmdf(r, on_reply_free, &other, "BLPOP q 10"),
	    0);
	ck_assert(np_test_run_until(base, self_freed, &sf, 5000));
	ck_assert_int_eq(sf.calls, 1);
	ck_assert_int_eq(sf.nulls, 0);
	ck_assert_int_eq(other.calls, 1);
	ck_assert_int_eq(other.nulls, 1);

	event_base_free(base);
	np_testredis_stop(&tr);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("np_redis");
	TCase *tc = tcase_create("redis");

	log_init("test_np_redis", NP_LOG_WARN, 0);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, command_round_trip_is_binary_safe_and_capped);
	tcase_add_test(tc, commands_refused_while_no_server);
	tcase_add_test(tc, reconnects_after_server_killed_and_restarted);
	tcase_add_test(tc, watchdog_drops_a_frozen_server_and_reconnects);
	tcase_add_test(tc, auth_with_password_and_acl_user);
	tcase_add_test(tc, evalsha_falls_back_to_eval_after_script_flush);
	tcase_add_test(tc, free_answers_outstanding_with_null_even_from_a_callback);
	suite_add_tcase(s, tc);
	return np_test_run(s);
}
