/*
 * test_np_http: the server over real loopback sockets -- routing, path
 * parameters and queries, keep-alive and pipelining, replies that come
 * later (or never reach the client), and streams.  Limits, bad input,
 * timeouts and draining are in test_np_http_limits.c; the server, its
 * routes and the client in np_testhttp.h.
 */
#include <check.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "np_http.h"
#include "np_testhttp.h"
#include "np_testloop.h"

START_TEST(get_and_post_are_routed)
{
	struct np_testcli c;
	struct np_testresp r;
	char v[64];

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testcli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "hello");
	ck_assert(np_testhttp_head_value(r.head, "X-Test", v, sizeof(v)));
	ck_assert(!np_testhttp_closes(&r));
	np_testcli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 9\r\n\r\n{\"a\":\"b\"}");
	np_testcli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"a\":\"b\"}");
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(params_and_query_are_decoded)
{
	struct np_testcli c;
	struct np_testresp r;

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/incidents/ab%20c%2Fd?x=&q=a+b%26c&q=2"
	    " HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testcli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"id\":\"ab c/d\",\"q\":\"a b&c\","
	    "\"path\":\"/v1/incidents/ab c/d\"}");
	np_testcli_send(&c, "GET /v1/incidents/%zz HTTP/1.1\r\nHost: t\r\n"
	    "\r\n");
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 400, "bad_path");
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(unknown_path_404_wrong_method_405_with_allow)
{
	struct np_testcli c;
	struct np_testresp r;
	char v[64];

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/nothing HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 404, "not_found");
	/* "*" needs a non-empty segment */
	np_testcli_send(&c, "GET /v1/incidents/ HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 404, "not_found");
	np_testcli_send(&c, "PUT /v1/incidents/7 HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 0\r\n\r\n");
	np_testcli_response(&c, &r);
	np_testhttp_check_error(&r, 405, "method_not_allowed");
	ck_assert(np_testhttp_head_value(r.head, "Allow", v, sizeof(v)));
	ck_assert_str_eq(v, "GET, DELETE");
	ck_assert(!np_testhttp_closes(&r));
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(keep_alive_serves_three_requests_on_one_connection)
{
	struct np_http_stats st;
	struct np_testcli c;
	struct np_testresp r;
	int i;

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	for (i = 0; i < 3; i++) {
		np_testcli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n"
		    "\r\n");
		np_testcli_response(&c, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert(!np_testhttp_closes(&r));
	}
	ck_assert_int_eq(c.eof, 0);
	np_http_get_stats(np_th.srv, &st);
	ck_assert_uint_eq(st.accepted, 1);
	ck_assert_uint_eq(st.requests, 3);
	ck_assert_uint_eq(st.status[2], 3);
	ck_assert_uint_eq(np_http_active(np_th.srv), 1);
	/* HTTP/1.0 without keep-alive: answered, then closed */
	np_testcli_send(&c, "GET /v1/hello HTTP/1.0\r\n\r\n");
	np_testcli_response(&c, &r);
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	NP_TESTHTTP_WAIT_FOR(NULL, np_http_active(np_th.srv) == 0);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(pipelined_requests_are_answered_in_order)
{
	struct np_testcli c;
	struct np_testresp r;

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/incidents/1 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /v1/async HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /v1/incidents/3 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
	    "Connection: close\r\n\r\nlast");
	np_testcli_response(&c, &r);
	ck_assert_str_eq(r.body, "{\"id\":\"1\",\"path\":\"/v1/incidents/1\"}");
	/* the async one holds the line: nothing after it is answered */
	NP_TESTHTTP_WAIT_FOR(&c, np_th.held != NULL);
	ck_assert_uint_eq(c.len, 0);
	np_http_reply(np_th.held, 202, "text/plain", "two", 3);
	np_testcli_response(&c, &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(r.body, "two");
	np_testcli_response(&c, &r);
	ck_assert_str_eq(r.body, "{\"id\":\"3\",\"path\":\"/v1/incidents/3\"}");
	np_testcli_response(&c, &r);
	ck_assert_str_eq(r.body, "last");
	ck_assert(np_testhttp_closes(&r));
	NP_TESTHTTP_WAIT_FOR(&c, c.eof);
	np_testcli_close(&c);
	np_testhttp_stop();
}
END_TEST

START_TEST(async_reply_after_client_closed_is_discarded)
{
	struct np_http_stats st;
	struct np_testcli c;

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/async HTTP/1.1\r\nHost: t\r\n\r\n");
	NP_TESTHTTP_WAIT_FOR(&c, np_th.held != NULL);
	ck_assert_str_eq(np_http_path(np_th.held), "/v1/async");
	np_testcli_close(&c);
	NP_TESTHTTP_WAIT_FOR(NULL, np_http_active(np_th.srv) == 0);
	/* the request is still valid; the reply goes nowhere */
	ck_assert_str_eq(np_http_header(np_th.held, "host"), "t");
	ck_assert_str_ne(np_http_peer(np_th.held), "");
	np_http_error(np_th.held, 500, "late", NULL, "too late for %s", "you");
	np_th.held = NULL;
	np_http_get_stats(np_th.srv, &st);
	ck_assert_uint_eq(st.aborted, 1);
	np_testhttp_stop();
}
END_TEST

START_TEST(pending_request_outlives_server_free)
{
	struct np_testcli c;
	struct np_http_req *req;

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/async HTTP/1.1\r\nHost: t\r\n\r\n");
	NP_TESTHTTP_WAIT_FOR(&c, np_th.held != NULL);
	req = np_th.held;
	np_http_free(np_th.srv);
	np_th.srv = NULL;
	np_http_reply_json(req, 200, json_pack("{s:i}", "late", 1));
	event_base_free(np_th.base);
	np_testcli_close(&c);
}
END_TEST

START_TEST(stream_writes_chunks_and_calls_closecb)
{
	struct np_testcli c;
	char v[64];

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/stream HTTP/1.1\r\nHost: t\r\n\r\n");
	NP_TESTHTTP_WAIT_FOR(&c, np_th.held != NULL &&
	    strstr(c.buf, "\r\n\r\n") != NULL);
	ck_assert(np_testhttp_head_value(c.buf, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "text/event-stream");
	ck_assert(np_testhttp_head_value(c.buf, "Transfer-Encoding", v,
	    sizeof(v)));
	ck_assert_int_eq(np_http_stream_write(np_th.held, "data: 1\n\n", 9), 0);
	ck_assert_int_eq(np_http_stream_write(np_th.held, "data: 2\n\n", 9), 0);
	NP_TESTHTTP_WAIT_FOR(&c, strstr(c.buf,
	    "9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n") != NULL);
	np_testcli_close(&c);
	NP_TESTHTTP_WAIT_FOR(NULL, np_th.closecb_calls == 1);
	ck_assert_ptr_null(np_th.held);
	ck_assert_uint_eq(np_http_active(np_th.srv), 0);
	np_testhttp_stop();
}
END_TEST

START_TEST(stream_end_keeps_the_connection)
{
	struct np_testcli c;
	struct np_testresp r;

	np_testhttp_start(NULL);
	np_testcli_open(&c);
	np_testcli_send(&c, "GET /v1/stream HTTP/1.1\r\nHost: t\r\n\r\n");
	NP_TESTHTTP_WAIT_FOR(&c, np_th.held != NULL);
	ck_assert_int_eq(np_http_stream_write(np_th.held, "data: x\n\n", 9), 0);
	np_http_stream_end(np_th.held);
	np_th.held = NULL;
	np_testcli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "data: x\n\n");
	np_testcli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	np_testcli_response(&c, &r);
	ck_assert_str_eq(r.body, "hello");
	ck_assert_int_eq(np_th.closecb_calls, 0);
	/* a stream open at np_http_free gets its closecb */
	np_testcli_send(&c, "GET /v1/stream HTTP/1.1\r\nHost: t\r\n\r\n");
	NP_TESTHTTP_WAIT_FOR(&c, np_th.held != NULL);
	np_testhttp_stop();
	ck_assert_int_eq(np_th.closecb_calls, 1);
	np_testcli_close(&c);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("np_http");
	TCase *tc = tcase_create("server");

	tcase_add_test(tc, get_and_post_are_routed);
	tcase_add_test(tc, params_and_query_are_decoded);
	tcase_add_test(tc, unknown_path_404_wrong_method_405_with_allow);
	tcase_add_test(tc, keep_alive_serves_three_requests_on_one_connection);
	tcase_add_test(tc, pipelined_requests_are_answered_in_order);
	tcase_add_test(tc, async_reply_after_client_closed_is_discarded);
	tcase_add_test(tc, pending_request_outlives_server_free);
	tcase_add_test(tc, stream_writes_chunks_and_calls_closecb);
	tcase_add_test(tc, stream_end_keeps_the_connection);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(http_suite());
}
