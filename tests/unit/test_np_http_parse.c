/*
 * test_np_http_parse: the request parser on good, pipelined, chunked and
 * malformed input.  Every request is fed whole and in every split size
 * from 1 byte up, so no case depends on how reads happen to fall.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_http_parse.h"
#include "np_testloop.h"

static const struct np_http_parse_limits lim = { 1024, 8, 256, 128 };

/* Feed s in steps of step bytes until DONE/ERROR or the end. */
static enum np_http_parse_status
feed_all(struct np_http_parser *p, const char *s, size_t len, size_t step,
    size_t *consumed)
{
	enum np_http_parse_status st = NP_HTTP_PARSE_MORE;
	size_t off = 0, used, n;

	while (off < len) {
		n = len - off < step ? len - off : step;
		st = np_http_parser_feed(p, s + off, n, &used);
		ck_assert_uint_le(used, n);
		off += used;
		if (st == NP_HTTP_PARSE_DONE || st == NP_HTTP_PARSE_ERROR)
			break;
		if (st == NP_HTTP_PARSE_MORE)
			ck_assert_uint_eq(used, n);
	}
	if (consumed != NULL)
		*consumed = off;
	return st;
}

/* The request must parse to DONE in every split; returns the parser. */
static struct np_http_parser *
parse_ok(const char *s, size_t step)
{
	struct np_http_parser *p = np_http_parser_new(&lim);
	size_t used;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(feed_all(p, s, strlen(s), step, &used),
	    NP_HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, strlen(s));
	return p;
}

/* The request must fail with status/code in every split. */
static void
parse_err(const char *s, size_t len, int status, const char *code)
{
	const struct np_http_parse_error *e;
	struct np_http_parser *p;
	size_t step;

	for (step = 1; step <= len; step++) {
		p = np_http_parser_new(&lim);
		ck_assert_int_eq(feed_all(p, s, len, step, NULL),
		    NP_HTTP_PARSE_ERROR);
		e = np_http_parser_error(p);
		ck_assert_ptr_nonnull(e);
		ck_assert_msg(e->status == status && strcmp(e->code, code) == 0,
		    "'%s' step %zu: got %d %s (%s), want %d %s", s, step,
		    e->status, e->code, e->message, status, code);
		ck_assert_str_ne(e->message, "");
		np_http_parser_free(p);
	}
}

#define PARSE_ERR(s, st, code) parse_err((s), sizeof(s) - 1, (st), (code))

START_TEST(get_with_headers_parses_in_every_split)
{
	const char *req = "GET /v1/x?a=1 HTTP/1.1\r\nHost: h\r\n"
	    "X-Thing:  spaced value \t\r\nAccept: */*\r\n\r\n";
	const struct np_http_msg *m;
	struct np_http_parser *p;
	size_t step;

	for (step = 1; step <= strlen(req); step++) {
		p = parse_ok(req, step);
		m = np_http_parser_msg(p);
		ck_assert_str_eq(m->head + m->method, "GET");
		ck_assert_str_eq(m->head + m->target, "/v1/x?a=1");
		ck_assert_int_eq(m->minor, 1);
		ck_assert_uint_eq(m->nhdrs, 3);
		ck_assert_str_eq(np_http_msg_header(m, "x-thing"),
		    "spaced value");
		ck_assert_str_eq(np_http_msg_header(m, "HOST"), "h");
		ck_assert_ptr_null(np_http_msg_header(m, "Cookie"));
		ck_assert_int_eq(m->keep_alive, 1);
		ck_assert_ptr_null(m->body);
		np_http_parser_free(p);
	}
}
END_TEST

START_TEST(content_length_body_is_collected)
{
	const char *req = "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 11"
	    "\r\n\r\nhello world";
	const struct np_http_msg *m;
	struct np_http_parser *p;
	size_t step, len;
	char *body;

	for (step = 1; step <= strlen(req); step++) {
		p = parse_ok(req, step);
		m = np_http_parser_msg(p);
		ck_assert_uint_eq(m->body_len, 11);
		ck_assert_str_eq(m->body, "hello world");
		body = np_http_parser_take_body(p, &len);
		ck_assert_uint_eq(len, 11);
		ck_assert_ptr_null(np_http_parser_msg(p)->body);
		free(body);
		np_http_parser_free(p);
	}
}
END_TEST

START_TEST(chunked_body_with_extensions_and_trailers)
{
	const char *req = "POST /e HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
	const struct np_http_msg *m;
	struct np_http_parser *p;
	size_t step;

	for (step = 1; step <= strlen(req); step++) {
		p = parse_ok(req, step);
		m = np_http_parser_msg(p);
		ck_assert_int_eq(m->chunked, 1);
		ck_assert_uint_eq(m->body_len, 11);
		ck_assert_str_eq(m->body, "hello world");
		np_http_parser_free(p);
	}
	p = parse_ok("POST /e HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n0\r\n\r\n", 3);
	ck_assert_uint_eq(np_http_parser_msg(p)->body_len, 0);
	np_http_parser_free(p);
}
END_TEST

START_TEST(pipelined_requests_stop_at_each_end)
{
	const char *two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	    "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokGET";
	struct np_http_parser *p = np_http_parser_new(&lim);
	const struct np_http_msg *m;
	size_t used, off;

	ck_assert_int_eq(feed_all(p, two, strlen(two), 4096, &used),
	    NP_HTTP_PARSE_DONE);
	m = np_http_parser_msg(p);
	ck_assert_str_eq(m->head + m->target, "/a");
	off = used;
	np_http_parser_reset(p);
	ck_assert_int_eq(np_http_parser_started(p), 0);
	ck_assert_int_eq(feed_all(p, two + off, strlen(two) - off, 4096,
	    &used), NP_HTTP_PARSE_DONE);
	m = np_http_parser_msg(p);
	ck_assert_str_eq(m->head + m->target, "/b");
	ck_assert_str_eq(m->body, "ok");
	ck_assert_str_eq(two + off + used, "GET");
	/* fed again after DONE: nothing is used */
	ck_assert_int_eq(np_http_parser_feed(p, "GET", 3, &used),
	    NP_HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, 0);
	np_http_parser_free(p);
}
END_TEST

START_TEST(keep_alive_follows_version_and_connection)
{
	static const struct {
		const char *req;
		int keep;
	} t[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: x, Close\r\n\r\n",
		    0 },
		{ "GET / HTTP/1.0\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1 },
	};
	struct np_http_parser *p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = parse_ok(t[i].req, 5);
		ck_assert_msg(np_http_parser_msg(p)->keep_alive == t[i].keep,
		    "%s", t[i].req);
		np_http_parser_free(p);
	}
}
END_TEST

START_TEST(expect_continue_stops_at_head)
{
	const char *req = "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
	    "Expect: 100-Continue\r\n\r\n";
	struct np_http_parser *p = np_http_parser_new(&lim);
	size_t used;

	ck_assert_int_eq(np_http_parser_feed(p, req, strlen(req), &used),
	    NP_HTTP_PARSE_HEAD);
	ck_assert_uint_eq(used, strlen(req));
	ck_assert_int_eq(np_http_parser_msg(p)->expect_continue, 1);
	ck_assert_int_eq(np_http_parser_feed(p, "abc", 3, &used),
	    NP_HTTP_PARSE_DONE);
	ck_assert_str_eq(np_http_parser_msg(p)->body, "abc");
	np_http_parser_free(p);
	PARSE_ERR("POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 999\r\n"
	    "Expect: 100-continue\r\n\r\n", 413, "body_too_large");
	PARSE_ERR("GET / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n", 417,
	    "expectation_failed");
}
END_TEST

START_TEST(leading_empty_lines_and_absolute_form)
{
	struct np_http_parser *p = np_http_parser_new(&lim);
	const struct np_http_msg *m;
	size_t used;

	ck_assert_int_eq(np_http_parser_feed(p, "\r\n\r\n", 4, &used),
	    NP_HTTP_PARSE_MORE);
	ck_assert_int_eq(np_http_parser_started(p), 0);
	ck_assert_int_eq(np_http_parser_feed(p, "G", 1, &used),
	    NP_HTTP_PARSE_MORE);
	ck_assert_int_eq(np_http_parser_started(p), 1);
	np_http_parser_free(p);
	p = parse_ok("\r\nGET http://example.org:80/x/y?z HTTP/1.1\r\n"
	    "Host: example.org\r\n\r\n", 7);
	m = np_http_parser_msg(p);
	ck_assert_str_eq(m->head + m->target, "/x/y?z");
	np_http_parser_free(p);
}
END_TEST

START_TEST(bad_request_lines_are_400_414_505)
{
	char line[400];

	PARSE_ERR("GARBAGE\r\n\r\n", 400, "bad_request_line");
	PARSE_ERR("\x01\x02\x03 / HTTP/1.1\r\n", 400, "bad_request_line");
	PARSE_ERR("GET  / HTTP/1.1\r\n", 400, "bad_request_line");
	PARSE_ERR("GET / HTTP/1.1 \r\n", 400, "bad_request_line");
	PARSE_ERR("GET / HTTX/1.1\r\n", 400, "bad_request_line");
	PARSE_ERR("GET / HTTP/1.10\r\n", 400, "bad_request_line");
	PARSE_ERR("GET relative HTTP/1.1\r\n", 400, "bad_request_line");
	PARSE_ERR("GET /a\x7f HTTP/1.1\r\n", 400, "bad_request_line");
	PARSE_ERR("GET /a\rb HTTP/1.1\r\n", 400, "bad_request_line");
	PARSE_ERR("GET http://host HTTP/1.1\r\n", 400, "bad_request_line");
	PARSE_ERR("GET / HTTP/2.0\r\n", 505, "version_not_supported");
	PARSE_ERR("GET / HTTP/0.9\r\n", 505, "version_not_supported");
	PARSE_ERR("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n", 400,
	    "bad_request_line");
	/* a target one byte over the limit; a line that never ends */
	memset(line, 'a', sizeof(line));
	memcpy(line, "GET /", 5);
	memcpy(line + 5 + 128, " HTTP/1.1\r\n", 11);
	parse_err(line, 5 + 128 + 11, 414, "uri_too_long");
	parse_err(line, sizeof(line), 414, "uri_too_long");
	strcpy(line + 5 + 127, " HTTP/1.1\r\nHost: h\r\n\r\n");
	np_http_parser_free(parse_ok(line, 1));
}
END_TEST

START_TEST(bad_headers_are_400)
{
	PARSE_ERR("GET / HTTP/1.1\r\n\r\n", 400, "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
	    "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400,
	    "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\nBad Name: h\r\n\r\n", 400, "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\nnocolon\r\n\r\n", 400, "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\n: novalue\r\n\r\n", 400, "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n", 400, "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\nHost: h\0x\r\n\r\n", 400, "bad_header");
	PARSE_ERR("GET / HTTP/1.1\r\nHost: h\rx\r\n\r\n", 400, "bad_header");
}
END_TEST

START_TEST(framing_conflicts_are_rejected)
{
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400, "bad_framing");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
	    "Content-Length: 4\r\n\r\n", 400, "bad_framing");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3x\r\n\r\n",
	    400, "bad_framing");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
	    400, "bad_framing");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\n",
	    400, "bad_framing");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, "
	    "chunked\r\n\r\n", 501, "unsupported_transfer_encoding");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
	    "\r\n", 501, "unsupported_transfer_encoding");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400, "bad_framing");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n",
	    400, "bad_framing");
	PARSE_ERR("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	    "bad_framing");
}
END_TEST

START_TEST(bad_chunks_are_400)
{
#define CH "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	PARSE_ERR(CH "zz\r\n", 400, "bad_chunk");
	PARSE_ERR(CH "\r\n", 400, "bad_chunk");
	PARSE_ERR(CH "2 \r\n", 400, "bad_chunk");
	PARSE_ERR(CH "2\rx", 400, "bad_chunk");
	PARSE_ERR(CH "2\r\nabc\r\n", 400, "bad_chunk");
	PARSE_ERR(CH "2\r\nab\rx", 400, "bad_chunk");
	PARSE_ERR(CH "2;\x01\r\n", 400, "bad_chunk");
	PARSE_ERR(CH "0\r\n\rx", 400, "bad_chunk");
#undef CH
}
END_TEST

START_TEST(limits_give_413_414_431)
{
	char big[2048];
	size_t i, n;

	/* 413 from Content-Length before any body byte */
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 257\r\n\r\n",
	    413, "body_too_large");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: "
	    "99999999999999999999999999\r\n\r\n", 413, "body_too_large");
	/* 413 when chunked data passes the limit */
	n = (size_t)snprintf(big, sizeof(big), "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 3; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "64\r\n%0100d"
		    "\r\n", 0);
	parse_err(big, n, 413, "body_too_large");
	PARSE_ERR("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "\r\nfffffffffffffffffffffff\r\n", 413, "body_too_large");
	/* 431: too many header lines, too many header bytes */
	PARSE_ERR("GET / HTTP/1.1\r\nHost: h\r\na: 1\r\nb: 1\r\nc: 1\r\n"
	    "d: 1\r\ne: 1\r\nf: 1\r\ng: 1\r\nh: 1\r\n\r\n", 431,
	    "headers_too_large");
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "X-Big: ");
	memset(big + n, 'x', 1100);
	n += 1100;
	parse_err(big, n, 431, "headers_too_large");
}
END_TEST

START_TEST(errors_are_sticky)
{
	struct np_http_parser *p = np_http_parser_new(&lim);
	size_t used;

	ck_assert_int_eq(np_http_parser_feed(p, "BAD\r\n", 5, &used),
	    NP_HTTP_PARSE_ERROR);
	ck_assert_int_eq(np_http_parser_feed(p, "GET", 3, &used),
	    NP_HTTP_PARSE_ERROR);
	ck_assert_uint_eq(used, 0);
	np_http_parser_reset(p);
	ck_assert_ptr_null(np_http_parser_error(p));
	np_http_parser_free(p);
}
END_TEST

START_TEST(percent_decoding)
{
	char out[64];

	ck_assert_int_eq(np_http_pct_decode(out, "a%20b%2Fc", 9, 0), 5);
	ck_assert_str_eq(out, "a b/c");
	ck_assert_int_eq(np_http_pct_decode(out, "a+b%2b", 6, 1), 4);
	ck_assert_str_eq(out, "a b+");
	ck_assert_int_eq(np_http_pct_decode(out, "a+b", 3, 0), 3);
	ck_assert_str_eq(out, "a+b");
	ck_assert_int_eq(np_http_pct_decode(out, "", 0, 0), 0);
	ck_assert_int_eq(np_http_pct_decode(out, "%zz", 3, 0), -1);
	ck_assert_int_eq(np_http_pct_decode(out, "ab%2", 4, 0), -1);
	ck_assert_int_eq(np_http_pct_decode(out, "%00", 3, 0), -1);
	ck_assert_int_eq(np_http_pct_decode(out, "%", 1, 0), -1);
}
END_TEST

static Suite *
http_parse_suite(void)
{
	Suite *s = suite_create("np_http_parse");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, get_with_headers_parses_in_every_split);
	tcase_add_test(tc, content_length_body_is_collected);
	tcase_add_test(tc, chunked_body_with_extensions_and_trailers);
	tcase_add_test(tc, pipelined_requests_stop_at_each_end);
	tcase_add_test(tc, keep_alive_follows_version_and_connection);
	tcase_add_test(tc, expect_continue_stops_at_head);
	tcase_add_test(tc, leading_empty_lines_and_absolute_form);
	tcase_add_test(tc, bad_request_lines_are_400_414_505);
	tcase_add_test(tc, bad_headers_are_400);
	tcase_add_test(tc, framing_conflicts_are_rejected);
	tcase_add_test(tc, bad_chunks_are_400);
	tcase_add_test(tc, limits_give_413_414_431);
	tcase_add_test(tc, errors_are_sticky);
	tcase_add_test(tc, percent_decoding);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(http_parse_suite());
}
