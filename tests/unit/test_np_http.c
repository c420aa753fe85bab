/*
 * test_np_http: the server over real loopback sockets.
 *
 * One thread: the test's client sockets are non-blocking, and every wait
 * pumps the server's event loop (EVLOOP_NONBLOCK) and polls the socket
 * until the condition holds or a 5 s deadline passes.  Handlers that
 * answer later park their request in `held`; the test answers it.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "np_http.h"
#include "np_testloop.h"

#define DEADLINE_MS	5000

static struct event_base *base;
static struct np_http *srv;
static struct np_http_req *held;
static int closecb_calls;

struct cli {
	int	fd;
	char	buf[256 * 1024];
	size_t	len;
	int	eof;
};

struct resp {
	int	status;
	char	head[4096];
	char	body[128 * 1024];
	size_t	body_len;
};

static void
h_hello(struct np_http_req *req, void *arg)
{
	np_http_add_header(req, "X-Test", "yes");
	np_http_reply(req, 200, "text/plain", "hello", 5);
}

static void
h_echo(struct np_http_req *req, void *arg)
{
	size_t len;
	const char *b = np_http_body(req, &len);

	np_http_reply(req, 200, "application/octet-stream", b, len);
}

static void
h_incident(struct np_http_req *req, void *arg)
{
	const char *q = np_http_query(req, "q");

	np_http_reply_json(req, 200, json_pack("{s:s, s:s*, s:s}", "id",
	    np_http_param(req, 0), "q", q, "path", np_http_path(req)));
}

static void
h_park(struct np_http_req *req, void *arg)
{
	held = req;
}

static void
stream_closed(struct np_http_req *req, void *arg)
{
	ck_assert_ptr_eq(req, held);
	ck_assert_ptr_eq(arg, &closecb_calls);
	closecb_calls++;
	held = NULL;
}

static void
h_stream(struct np_http_req *req, void *arg)
{
	np_http_stream_begin(req, 200, "text/event-stream", stream_closed,
	    &closecb_calls);
	held = req;
}

static const struct np_http_route routes[] = {
	{ "GET", "/v1/hello", h_hello },
	{ "POST", "/v1/echo", h_echo },
	{ "GET", "/v1/incidents/*", h_incident },
	{ "DELETE", "/v1/incidents/*", h_incident },
	{ "GET", "/v1/async", h_park },
	{ "GET", "/v1/stream", h_stream },
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
start(struct np_http_conf *conf)
{
	struct np_http_conf def;

	if (conf == NULL) {
		np_http_conf_defaults(&def);
		conf = &def;
	}
	conf->port = 0;
	held = NULL;
	closecb_calls = 0;
	base = event_base_new();
	srv = np_http_new(base, conf, routes, sizeof(routes) /
	    sizeof(routes[0]), NULL);
	ck_assert_ptr_nonnull(srv);
	ck_assert_int_gt(np_http_port(srv), 0);
}

static void
stop(void)
{
	np_http_free(srv);
	event_base_free(base);
	srv = NULL;
}

/* One turn of the server's loop and of the client's socket. */
static void
turn(struct cli *c)
{
	struct pollfd pfd;
	ssize_t n;

	event_base_loop(base, EVLOOP_NONBLOCK);
	if (c == NULL || c->eof)
		return;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 1) <= 0)
		return;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1, 0);
	if (n > 0)
		c->len += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		c->eof = 1;
	c->buf[c->len] = '\0';
}

#define WAIT_FOR(c, cond) do {						\
	long long dl_ = now_ms() + DEADLINE_MS;				\
	while (!(cond)) {						\
		ck_assert_msg(now_ms() < dl_, "timed out: %s", #cond);	\
		turn(c);						\
	}								\
} while (0)

static void
cli_open(struct cli *c)
{
	struct sockaddr_in sin;

	memset(c, 0, sizeof(*c));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)np_http_port(srv));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(c->fd, 0);
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

static void
cli_close(struct cli *c)
{
	close(c->fd);
	c->fd = -1;
}

static void
cli_sendn(struct cli *c, const char *s, size_t len)
{
	long long dl = now_ms() + DEADLINE_MS;
	ssize_t n;

	while (len > 0) {
		ck_assert_msg(now_ms() < dl, "send timed out");
		n = send(c->fd, s, len, MSG_NOSIGNAL);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
		} else {
			ck_assert_msg(errno == EAGAIN, "send: %s",
			    strerror(errno));
			turn(c);
		}
	}
}

static void
cli_send(struct cli *c, const char *s)
{
	cli_sendn(c, s, strlen(s));
}

/* Value of a header in a response head, copied into out. */
static int
head_value(const char *head, const char *name, char *out, size_t len)
{
	const char *l;
	size_t n = strlen(name);

	for (l = strstr(head, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n"))
		if (strncasecmp(l + 2, name, n) == 0 && l[2 + n] == ':') {
			snprintf(out, len, "%.*s", (int)strcspn(l + 3 + n +
			    1, "\r"), l + 3 + n + 1);
			return 1;
		}
	return 0;
}

/* Length of a complete response at the start of c->buf, or 0. */
static size_t
resp_parse(struct cli *c, struct resp *r)
{
	char *end = strstr(c->buf, "\r\n\r\n"), v[64], *p, *e;
	size_t hlen, clen, n;

	if (end == NULL)
		return 0;
	hlen = (size_t)(end - c->buf) + 4;
	snprintf(r->head, sizeof(r->head), "%.*s", (int)hlen, c->buf);
	r->status = atoi(c->buf + 9);
	r->body_len = 0;
	r->body[0] = '\0';
	if (r->status == 100)
		return hlen;
	if (head_value(r->head, "Content-Length", v, sizeof(v))) {
		clen = strtoul(v, NULL, 10);
		if (c->len < hlen + clen)
			return 0;
		memcpy(r->body, c->buf + hlen, clen);
		r->body_len = clen;
		r->body[clen] = '\0';
		return hlen + clen;
	}
	if (head_value(r->head, "Transfer-Encoding", v, sizeof(v))) {
		for (p = c->buf + hlen;; p = e + 2 + n + 2) {
			if ((e = strstr(p, "\r\n")) == NULL)
				return 0;
			n = strtoul(p, NULL, 16);
			if ((size_t)(e + 2 + n + 2 - c->buf) > c->len)
				return 0;
			memcpy(r->body + r->body_len, e + 2, n);
			r->body_len += n;
			r->body[r->body_len] = '\0';
			if (n == 0)
				return (size_t)(e + 4 - c->buf);
		}
	}
	if (!c->eof)
		return 0;
	r->body_len = c->len - hlen;
	memcpy(r->body, c->buf + hlen, r->body_len);
	r->body[r->body_len] = '\0';
	return c->len;
}

/* Wait for one complete response and remove it from c->buf. */
static void
cli_response(struct cli *c, struct resp *r)
{
	long long dl = now_ms() + DEADLINE_MS;
	size_t n;

	while ((n = resp_parse(c, r)) == 0) {
		ck_assert_msg(now_ms() < dl && !(c->eof &&
		    resp_parse(c, r) == 0), "no response (eof %d): '%s'",
		    c->eof, c->buf);
		turn(c);
	}
	memmove(c->buf, c->buf + n, c->len - n + 1);
	c->len -= n;
}

/* A JSON error body with the given status and code. */
static void
check_error(const struct resp *r, int status, const char *code)
{
	json_t *j = json_loads(r->body, 0, NULL);
	char v[64];

	ck_assert_int_eq(r->status, status);
	ck_assert(head_value(r->head, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "application/json");
	ck_assert_msg(j != NULL, "not JSON: %s", r->body);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "error"), "status")), status);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j,
	    "error"), "code")), code);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(
	    json_object_get(j, "error"), "message")));
	json_decref(j);
}

static int
closes(const struct resp *r)
{
	char v[32];

	return head_value(r->head, "Connection", v, sizeof(v)) &&
	    strcasecmp(v, "close") == 0;
}

START_TEST(get_and_post_are_routed)
{
	struct cli c;
	struct resp r;
	char v[64];

	start(NULL);
	cli_open(&c);
	cli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "hello");
	ck_assert(head_value(r.head, "X-Test", v, sizeof(v)));
	ck_assert(!closes(&r));
	cli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 9\r\n\r\n{\"a\":\"b\"}");
	cli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"a\":\"b\"}");
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(params_and_query_are_decoded)
{
	struct cli c;
	struct resp r;

	start(NULL);
	cli_open(&c);
	cli_send(&c, "GET /v1/incidents/ab%20c%2Fd?x=&q=a+b%26c&q=2 HTTP/1.1"
	    "\r\nHost: t\r\n\r\n");
	cli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"id\":\"ab c/d\",\"q\":\"a b&c\","
	    "\"path\":\"/v1/incidents/ab c/d\"}");
	cli_send(&c, "GET /v1/incidents/%zz HTTP/1.1\r\nHost: t\r\n\r\n");
	cli_response(&c, &r);
	check_error(&r, 400, "bad_path");
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(unknown_path_404_wrong_method_405_with_allow)
{
	struct cli c;
	struct resp r;
	char v[64];

	start(NULL);
	cli_open(&c);
	cli_send(&c, "GET /v1/nothing HTTP/1.1\r\nHost: t\r\n\r\n");
	cli_response(&c, &r);
	check_error(&r, 404, "not_found");
	/* "*" needs a non-empty segment */
	cli_send(&c, "GET /v1/incidents/ HTTP/1.1\r\nHost: t\r\n\r\n");
	cli_response(&c, &r);
	check_error(&r, 404, "not_found");
	cli_send(&c, "PUT /v1/incidents/7 HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 0\r\n\r\n");
	cli_response(&c, &r);
	check_error(&r, 405, "method_not_allowed");
	ck_assert(head_value(r.head, "Allow", v, sizeof(v)));
	ck_assert_str_eq(v, "GET, DELETE");
	ck_assert(!closes(&r));
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(body_over_limit_413_from_content_length)
{
	struct np_http_conf conf;
	struct cli c;
	struct resp r;

	np_http_conf_defaults(&conf);
	conf.max_body_bytes = 1024;
	start(&conf);
	cli_open(&c);
	cli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5000\r\n\r\n");
	cli_response(&c, &r);
	check_error(&r, 413, "body_too_large");
	ck_assert(closes(&r));
	WAIT_FOR(&c, c.eof);
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(body_over_limit_413_from_chunked)
{
	struct np_http_conf conf;
	struct cli c;
	struct resp r;
	char chunk[600];
	int i;

	np_http_conf_defaults(&conf);
	conf.max_body_bytes = 1024;
	start(&conf);
	cli_open(&c);
	cli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	memset(chunk, 'x', sizeof(chunk));
	memcpy(chunk, "200\r\n", 5);
	memcpy(chunk + 5 + 0x200, "\r\n", 2);
	for (i = 0; i < 3; i++)
		cli_sendn(&c, chunk, 5 + 0x200 + 2);
	cli_response(&c, &r);
	check_error(&r, 413, "body_too_large");
	ck_assert(closes(&r));
	WAIT_FOR(&c, c.eof);
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(headers_over_limit_431)
{
	struct np_http_conf conf;
	struct cli c;
	struct resp r;
	char big[2048];

	np_http_conf_defaults(&conf);
	conf.max_header_bytes = 1024;
	start(&conf);
	cli_open(&c);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /v1/hello HTTP/1.1\r\nHost: t\r\nX-Big: ", 40);
	cli_send(&c, big);
	cli_response(&c, &r);
	check_error(&r, 431, "headers_too_large");
	ck_assert(closes(&r));
	WAIT_FOR(&c, c.eof);
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(garbage_gets_400_json_and_close)
{
	struct cli c;
	struct resp r;
	struct np_http_stats st;

	start(NULL);
	cli_open(&c);
	cli_send(&c, "\x16\x03\x01 garbage\r\n\r\n");
	cli_response(&c, &r);
	check_error(&r, 400, "bad_request_line");
	ck_assert(closes(&r));
	WAIT_FOR(&c, c.eof);
	np_http_get_stats(srv, &st);
	ck_assert_uint_eq(st.parse_errors, 1);
	ck_assert_uint_eq(st.status[4], 1);
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(keep_alive_serves_three_requests_on_one_connection)
{
	struct np_http_stats st;
	struct cli c;
	struct resp r;
	int i;

	start(NULL);
	cli_open(&c);
	for (i = 0; i < 3; i++) {
		cli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
		cli_response(&c, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert(!closes(&r));
	}
	ck_assert_int_eq(c.eof, 0);
	np_http_get_stats(srv, &st);
	ck_assert_uint_eq(st.accepted, 1);
	ck_assert_uint_eq(st.requests, 3);
	ck_assert_uint_eq(st.status[2], 3);
	ck_assert_uint_eq(np_http_active(srv), 1);
	/* HTTP/1.0 without keep-alive: answered, then closed */
	cli_send(&c, "GET /v1/hello HTTP/1.0\r\n\r\n");
	cli_response(&c, &r);
	ck_assert(closes(&r));
	WAIT_FOR(&c, c.eof);
	WAIT_FOR(NULL, np_http_active(srv) == 0);
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(pipelined_requests_are_answered_in_order)
{
	struct cli c;
	struct resp r;

	start(NULL);
	cli_open(&c);
	cli_send(&c, "GET /v1/incidents/1 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /v1/async HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /v1/incidents/3 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
	    "Connection: close\r\n\r\nlast");
	cli_response(&c, &r);
	ck_assert_str_eq(r.body, "{\"id\":\"1\",\"path\":\"/v1/incidents/1\"}");
	/* the async one holds the line: nothing after it is answered */
	WAIT_FOR(&c, held != NULL);
	ck_assert_uint_eq(c.len, 0);
	np_http_reply(held, 202, "text/plain", "two", 3);
	cli_response(&c, &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(r.body, "two");
	cli_response(&c, &r);
	ck_assert_str_eq(r.body, "{\"id\":\"3\",\"path\":\"/v1/incidents/3\"}");
	cli_response(&c, &r);
	ck_assert_str_eq(r.body, "last");
	ck_assert(closes(&r));
	WAIT_FOR(&c, c.eof);
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(async_reply_after_client_closed_is_discarded)
{
	struct np_http_stats st;
	struct cli c;

	start(NULL);
	cli_open(&c);
	cli_send(&c, "GET /v1/async HTTP/1.1\r\nHost: t\r\n\r\n");
	WAIT_FOR(&c, held != NULL);
	ck_assert_str_eq(np_http_path(held), "/v1/async");
	cli_close(&c);
	WAIT_FOR(NULL, np_http_active(srv) == 0);
	/* the request is still valid; the reply goes nowhere */
	ck_assert_str_eq(np_http_header(held, "host"), "t");
	ck_assert_str_ne(np_http_peer(held), "");
	np_http_error(held, 500, "late", NULL, "too late for %s", "you");
	held = NULL;
	np_http_get_stats(srv, &st);
	ck_assert_uint_eq(st.aborted, 1);
	stop();
}
END_TEST

START_TEST(pending_request_outlives_server_free)
{
	struct cli c;
	struct np_http_req *req;

	start(NULL);
	cli_open(&c);
	cli_send(&c, "GET /v1/async HTTP/1.1\r\nHost: t\r\n\r\n");
	WAIT_FOR(&c, held != NULL);
	req = held;
	np_http_free(srv);
	srv = NULL;
	np_http_reply_json(req, 200, json_pack("{s:i}", "late", 1));
	event_base_free(base);
	cli_close(&c);
}
END_TEST

START_TEST(expect_100_continue)
{
	struct np_http_conf conf;
	struct cli c;
	struct resp r;

	np_http_conf_defaults(&conf);
	conf.max_body_bytes = 1024;
	start(&conf);
	cli_open(&c);
	cli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5"
	    "\r\nExpect: 100-continue\r\n\r\n");
	cli_response(&c, &r);
	ck_assert_int_eq(r.status, 100);
	cli_send(&c, "12345");
	cli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "12345");
	/* too large: the 413 comes at once, no 100 */
	cli_send(&c, "POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Length: "
	    "4096\r\nExpect: 100-continue\r\n\r\n");
	cli_response(&c, &r);
	check_error(&r, 413, "body_too_large");
	WAIT_FOR(&c, c.eof);
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(over_max_conns_gets_503_and_close)
{
	struct np_http_conf conf;
	struct np_http_stats st;
	struct cli a, b, c;
	struct resp r;

	np_http_conf_defaults(&conf);
	conf.max_conns = 2;
	start(&conf);
	cli_open(&a);
	cli_open(&b);
	WAIT_FOR(NULL, np_http_active(srv) == 2);
	cli_open(&c);
	cli_response(&c, &r);
	check_error(&r, 503, "too_many_connections");
	ck_assert(closes(&r));
	WAIT_FOR(&c, c.eof);
	cli_close(&c);
	ck_assert_uint_eq(np_http_active(srv), 2);
	np_http_get_stats(srv, &st);
	ck_assert_uint_eq(st.rejected, 1);
	/* the admitted ones still work; a freed slot admits again */
	cli_send(&a, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cli_response(&a, &r);
	ck_assert_int_eq(r.status, 200);
	cli_close(&b);
	WAIT_FOR(NULL, np_http_active(srv) == 1);
	cli_open(&c);
	cli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	cli_close(&a);
	cli_close(&c);
	stop();
}
END_TEST

START_TEST(stream_writes_chunks_and_calls_closecb)
{
	struct cli c;
	char v[64];

	start(NULL);
	cli_open(&c);
	cli_send(&c, "GET /v1/stream HTTP/1.1\r\nHost: t\r\n\r\n");
	WAIT_FOR(&c, held != NULL && strstr(c.buf, "\r\n\r\n") != NULL);
	ck_assert(head_value(c.buf, "Content-Type", v, sizeof(v)));
	ck_assert_str_eq(v, "text/event-stream");
	ck_assert(head_value(c.buf, "Transfer-Encoding", v, sizeof(v)));
	ck_assert_int_eq(np_http_stream_write(held, "data: 1\n\n", 9), 0);
	ck_assert_int_eq(np_http_stream_write(held, "data: 2\n\n", 9), 0);
	WAIT_FOR(&c, strstr(c.buf, "9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n")
	    != NULL);
	cli_close(&c);
	WAIT_FOR(NULL, closecb_calls == 1);
	ck_assert_ptr_null(held);
	ck_assert_uint_eq(np_http_active(srv), 0);
	stop();
}
END_TEST

START_TEST(stream_end_keeps_the_connection)
{
	struct cli c;
	struct resp r;

	start(NULL);
	cli_open(&c);
	cli_send(&c, "GET /v1/stream HTTP/1.1\r\nHost: t\r\n\r\n");
	WAIT_FOR(&c, held != NULL);
	ck_assert_int_eq(np_http_stream_write(held, "data: x\n\n", 9), 0);
	np_http_stream_end(held);
	held = NULL;
	cli_response(&c, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "data: x\n\n");
	cli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cli_response(&c, &r);
	ck_assert_str_eq(r.body, "hello");
	ck_assert_int_eq(closecb_calls, 0);
	/* a stream open at np_http_free gets its closecb */
	cli_send(&c, "GET /v1/stream HTTP/1.1\r\nHost: t\r\n\r\n");
	WAIT_FOR(&c, held != NULL);
	stop();
	ck_assert_int_eq(closecb_calls, 1);
	cli_close(&c);
}
END_TEST

START_TEST(slow_request_408_idle_connection_closed_silently)
{
	struct np_http_conf conf;
	struct np_http_stats st;
	struct cli a, b;
	struct resp r;

	np_http_conf_defaults(&conf);
	conf.idle_timeout_ms = 200;
	start(&conf);
	cli_open(&a);
	cli_open(&b);
	cli_send(&a, "GET /v1/hello HTTP/1.1\r\nHost:");
	cli_response(&a, &r);
	check_error(&r, 408, "request_timeout");
	ck_assert(closes(&r));
	WAIT_FOR(&a, a.eof);
	WAIT_FOR(&b, b.eof);
	ck_assert_uint_eq(b.len, 0);
	np_http_get_stats(srv, &st);
	ck_assert_uint_eq(st.timeouts, 1);
	cli_close(&a);
	cli_close(&b);
	stop();
}
END_TEST

START_TEST(drain_closes_idle_and_finishes_in_flight)
{
	struct cli a, b, c;
	struct resp r;

	start(NULL);
	cli_open(&a);
	cli_open(&b);
	cli_send(&a, "GET /v1/async HTTP/1.1\r\nHost: t\r\n\r\n");
	WAIT_FOR(&a, held != NULL);
	WAIT_FOR(NULL, np_http_active(srv) == 2);
	np_http_drain(srv);
	WAIT_FOR(&b, b.eof);
	np_http_reply(held, 200, "text/plain", "bye", 3);
	cli_response(&a, &r);
	ck_assert_str_eq(r.body, "bye");
	ck_assert(closes(&r));
	WAIT_FOR(&a, a.eof);
	WAIT_FOR(NULL, np_http_active(srv) == 0);
	/* no longer accepting: a connect may succeed (backlog) but no
	 * request is ever served */
	cli_open(&c);
	cli_send(&c, "GET /v1/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	turn(&c);
	ck_assert_uint_eq(c.len, 0);
	cli_close(&a);
	cli_close(&b);
	cli_close(&c);
	stop();
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
	tcase_add_test(tc, body_over_limit_413_from_content_length);
	tcase_add_test(tc, body_over_limit_413_from_chunked);
	tcase_add_test(tc, headers_over_limit_431);
	tcase_add_test(tc, garbage_gets_400_json_and_close);
	tcase_add_test(tc, keep_alive_serves_three_requests_on_one_connection);
	tcase_add_test(tc, pipelined_requests_are_answered_in_order);
	tcase_add_test(tc, async_reply_after_client_closed_is_discarded);
	tcase_add_test(tc, pending_request_outlives_server_free);
	tcase_add_test(tc, expect_100_continue);
	tcase_add_test(tc, over_max_conns_gets_503_and_close);
	tcase_add_test(tc, stream_writes_chunks_and_calls_closecb);
	tcase_add_test(tc, stream_end_keeps_the_connection);
	tcase_add_test(tc, slow_request_408_idle_connection_closed_silently);
	tcase_add_test(tc, drain_closes_idle_and_finishes_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(http_suite());
}
