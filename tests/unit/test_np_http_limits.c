/*
 * test_np_http_limits: the server over real loopback sockets at its edges
 * -- body, header and connection limits, garbage, Expect: 100-continue,
 * the idle timeout and draining.  Routing, keep-alive, late replies and
 * streams are in test_np_http.c; the server, its routes and the client in
 * np_testhttp.h.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "np_http.h"
#include "np_testhttp.h"
#include "np_testloop.h"

START_TEST(body_over_limit_413_from_content_length)
{
	struct np_http_conf conf;
	struct np_testcli c;
	struct np_testresp r;

	np_http_conf_defaults(&conf);
	conf.max_body_bytes = 1024;
	np_testhttp_start(&conf);
	np_testcli_open(&c);
	np_testcli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5000\r\n\r\n");
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 413, "body_too_large");
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(body_over_limit_413_from_chunked)
{
	struct np_http_conf conf;
	struct np_testcli c;
	struct np_testresp r;
	char chunk[600];
	int i;

	np_http_conf_defaults(&conf);
	conf.max_body_bytes = 1024;
	np_testhttp_start(&conf);
	np_testcli_open(&c);
	np_testcli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	memset(chunk, 'x', sizeof(chunk));
	memcpy(chunk, "200\r\n", 5);
	memcpy(chunk + 5 + 0x200, "\r\n", 2);
	for (i = 0; i < 3; i++)
		np_testcli_sendn(&c, chunk, 5 + 0x200 + 2);
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 413, "body_too_large");
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(headers_over_limit_431)
{
	struct np_http_conf conf;
	struct np_testcli c;
	struct np_testresp r;
	char big[2048];

	np_http_conf_defaults(&conf);
	conf.max_header_bytes = 1024;
	np_testhttp_start(&conf);
	np_testcli_open(&c);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /v1/hello HTTP/1.1\r\nHost: t\r\nX-Big: ", 40);
	np_testcli_send(&c, big);
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 431, "headers_too_large");
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(garbage_gets_400_json_and_close)
{
	struct np_testcli c;
	struct np_testresp r;
	struct np_http_stats st;

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "\x16\x03\x01 garbage\r\n\r\n");
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 400, "bad_request_line");
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	np_http_get_stats(np_th.srv, &st);
	ck_assert_uint_eq(st.parse_errors, 1);
	ck_assert_uint_eq(st.status[4], 1);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(expect_100_continue)
{
	struct np_http_conf conf;
	struct np_testcli c;
	struct np_testresp r;

	np_http_conf_defaults(&conf);
	conf.max_body_bytes = 1024;
	np_testhttp_start(&conf);
	np_testcli_open(&c);
	np_testcli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	np_testcli_response(&c, &r);
	ck_assert_int_eq(r.status, 100);
	np_testcli_send(&c, "12345");
	np_testcli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "12345");
	/* too large: the 413 comes at once, no 100 */
	np_testcli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 4096\r\nExpect: 100-continue\r\n\r\n");
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 413, "body_too_large");
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(over_max_conns_gets_503_and_close)
{
	struct np_http_conf conf;
	struct np_http_stats st;
	struct np_testcli a, b, c;
	struct np_testresp r;

	np_http_conf_defaults(&conf);
	conf.max_conns = 2;
	np_testhttp_start(&conf);
	np_testcli_open(&a);
	np_testcli_open(&b);
	NP_TESTHTTP_WAIT_FOR(NULL, np_http_active(np_th.srv) == 2);
	np_testcli_open(&c);
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 503, "too_many_connections");
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	np_testcli_close(&c);
	ck_assert_uint_eq(np_http_active(np_th.srv), 2);
	np_http_get_stats(np_th.srv, &st);
	ck_assert_uint_eq(st.rejected, 1);
	/* the admitted ones still work; a freed slot admits again */
	np_testcli_send(&a, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testcli_response(&a, &r);
	ck_assert_int_eq(r.status, 200);
	np_testcli_close(&b);
	NP_TESTHTTP_WAIT_FOR(NULL, np_http_active(np_th.srv) == 1);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testcli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	np_testcli_close(&a);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

/* GET /v1/hello on c, its response in r. */
static void
hello(struct np_testcli *c, struct np_testresp *r)
{
	np_testcli_send(c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testcli_response(c, r);
}

START_TEST(over_conns_per_source_gets_429_and_close)
{
	struct np_http_conf conf;
	struct np_http_stats st;
	struct np_testcli a, b, c, o;
	struct np_testresp r;
	char v[16];

	np_http_conf_defaults(&conf);
	conf.max_conns_per_source = 2;
	np_testhttp_start(&conf);
	np_testcli_open(&a);
	np_testcli_open(&b);
	NP_TESTHTTP_WAIT_FOR(NULL, np_http_active(np_th.srv) == 2);
	np_testcli_open(&c);
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 429, "too_many_connections_from_source");
	ck_assert(np_testhttp_head_value(r.head, "Retry-After", v,
	    sizeof(v)));
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	np_testcli_close(&c);
	np_http_get_stats(np_th.srv, &st);
	ck_assert_uint_eq(st.src_rejected, 1);
	/* another address is not held back; a freed slot admits again */
	np_testcli_open_from(&o, "127.0.0.2");
	hello(&o, &r);
	ck_assert_int_eq(r.status, 200);
	np_testcli_close(&b);
	NP_TESTHTTP_WAIT_FOR(NULL, np_http_active(np_th.srv) == 2);
	np_testcli_open(&c);
	hello(&c, &r);
	ck_assert_int_eq(r.status, 200);
	np_testcli_close(&a);
	np_testcli_close(&c);
	np_testcli_close(&o);
	np_testhttp_stop();
}
END_TEST

/* A rate so low that no token comes back during the test: the burst is
 * all a source gets. */
START_TEST(over_rate_per_source_gets_429_retry_after_and_keeps_serving)
{
	struct np_http_conf conf;
	struct np_http_stats st;
	struct np_testcli a, o;
	struct np_testresp r;
	char v[16];
	int i;

	np_http_conf_defaults(&conf);
	conf.rate_per_source = 0.001;
	conf.rate_burst = 3;
	np_testhttp_start(&conf);
	np_testcli_open(&a);
	for (i = 0; i < 3; i++) {
		hello(&a, &r);
		ck_assert_int_eq(r.status, 200);
	}
	hello(&a, &r);
	np_testhttp_check_error(&r, 429, "rate_limited");
	ck_assert(np_testhttp_head_value(r.head, "Retry-After", v,
	    sizeof(v)));
	ck_assert_int_ge(atoi(v), 1);
	ck_assert(!np_testhttp_closes(&r));
	/* a new connection from the same address is limited too */
	np_testcli_close(&a);
	np_testcli_open(&a);
	hello(&a, &r);
	np_testhttp_check_error(&r, 429, "rate_limited");
	np_testcli_open_from(&o, "127.0.0.3");
	hello(&o, &r);
	ck_assert_int_eq(r.status, 200);
	np_http_get_stats(np_th.srv, &st);
	ck_assert_uint_eq(st.rate_limited, 2);
	np_testcli_close(&a);
	np_testcli_close(&o);
	np_testhttp_stop();
}
END_TEST

START_TEST(slow_request_408_idle_connection_closed_silently)
{
	struct np_http_conf conf;
	struct np_http_stats st;
	struct np_testcli a, b;
	struct np_testresp r;

	np_http_conf_defaults(&conf);
	conf.idle_timeout_ms = 200;
	np_testhttp_start(&conf);
	np_testcli_open(&a);
	np_testcli_open(&b);
	np_testcli_send(&a, "GET /v1/hello HTTP/1.1\r\nHost:");
	np_testcli_response(&a, &r);
	np_testhttp_check_error(&r, 408, "request_timeout");
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&a, a.eof);
	NP_TESTHTTP_WAIT_FOR(&b, b.eof);
	ck_assert_uint_eq(b.len, 0);
	np_http_get_stats(np_th.srv, &st);
	ck_assert_uint_eq(st.timeouts, 1);
	np_testcli_close(&a);
	np_testcli_close(&b);
	np_testhttp_stop();
}
END_TEST

START_TEST(drain_closes_idle_and_finishes_in_flight)
{
	struct np_testcli a, b, c;
	struct np_testresp r;

	np_testhttp_start(NULL);
	np_testcli_open(&a);
	np_testcli_open(&b);
	np_testcli_send(&a, "GET /v1/async HTTP/1.1\r\nHost: t\r\n\r\n");
	NP_TESTHTTP_WAIT_FOR(&a, np_th.held != NULL);
	NP_TESTHTTP_WAIT_FOR(NULL, np_http_active(np_th.srv) == 2);
	np_http_drain(np_th.srv);
	NP_TESTHTTP_WAIT_FOR(&b, b.eof);
	np_http_reply(np_th.held, 200, "text/plain", "bye", 3);
	np_testcli_response(&a, &r);
	ck_assert_str_eq(r.body, "bye");
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&a, a.eof);
	NP_TESTHTTP_WAIT_FOR(NULL, np_http_active(np_th.srv) == 0);
	/* no longer accepting: a connect may succeed (backlog) but no
	 * request is ever served */
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testhttp_turn(&c);
	ck_assert_uint_eq(c.len, 0);
	np_testcli_close(&a);
	np_testcli_close(&b);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

static Suite *
http_limits_suite(void)
{
	Suite *s = suite_create("np_http_limits");
	TCase *tc = tcase_create("limits");

	tcase_add_test(tc, body_over_limit_413_from_content_length);
	tcase_add_test(tc, body_over_limit_413_from_chunked);
	tcase_add_test(tc, headers_over_limit_431);
	tcase_add_test(tc, garbage_gets_400_json_and_close);
	tcase_add_test(tc, expect_100_continue);
	tcase_add_test(tc, over_max_conns_gets_503_and_close);
	tcase_add_test(tc, over_conns_per_source_gets_429_and_close);
	tcase_add_test(tc,
	    over_rate_per_source_gets_429_retry_after_and_keeps_serving);
	tcase_add_test(tc, slow_request_408_idle_connection_closed_silently);
	tcase_add_test(tc, drain_closes_idle_and_finishes_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(http_limits_suite());
}
