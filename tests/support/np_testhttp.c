/*
 * np_testhttp: the np_http suites' server and client (see np_testhttp.h).
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
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "np_http.h"
#include "np_testhttp.h"
#include "np_time.h"

struct np_testhttp np_th;

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
	np_th.held = req;
}

static void
stream_closed(struct np_http_req *req, void *arg)
{
	ck_assert_ptr_eq(req, np_th.held);
	ck_assert_ptr_eq(arg, &np_th.closecb_calls);
	np_th.closecb_calls++;
	np_th.held = NULL;
}

static void
h_stream(struct np_http_req *req, void *arg)
{
	np_http_stream_begin(req, 200, "text/event-stream", stream_closed,
	    &np_th.closecb_calls);
	np_th.held = req;
}

static const struct np_http_route routes[] = {
	{ "GET", "/v1/hello", h_hello },
	{ "POST", "/v1/echo", h_echo },
	{ "GET", "/v1/incidents/*", h_incident },
	{ "DELETE", "/v1/incidents/*", h_incident },
	{ "GET", "/v1/async", h_park },
	{ "GET", "/v1/stream", h_stream },
};

void
np_testhttp_start(struct np_http_conf *conf)
{
	struct np_http_conf def;

	if (conf == NULL) {
		np_http_conf_defaults(&def);
		conf = &def;
	}
	conf->port = 0;
	np_th.held = NULL;
	np_th.closecb_calls = 0;
	np_th.base = event_base_new();
	np_th.srv = np_http_new(np_th.base, conf, routes, sizeof(routes) /
	    sizeof(routes[0]), NULL);
	ck_assert_ptr_nonnull(np_th.srv);
	ck_assert_int_gt(np_http_port(np_th.srv), 0);
}

void
np_testhttp_stop(void)
{
	np_http_free(np_th.srv);
	event_base_free(np_th.base);
	np_th.srv = NULL;
}

void
np_testhttp_turn(struct np_testcli *c)
{
	struct pollfd pfd;
	ssize_t n;

	event_base_loop(np_th.base, EVLOOP_NONBLOCK);
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

void
np_testcli_open(struct np_testcli *c)
{
	np_testcli_open_from(c, NULL);
}

void
np_testcli_open_from(struct np_testcli *c, const char *src)
{
	struct sockaddr_in sin;

	memset(c, 0, sizeof(*c));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(c->fd, 0);
	if (src != NULL) {
		ck_assert_int_eq(inet_pton(AF_INET, src, &sin.sin_addr), 1);
		ck_assert_int_eq(bind(c->fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	sin.sin_port = htons((uint16_t)np_http_port(np_th.srv));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

void
np_testcli_close(struct np_testcli *c)
{
	close(c->fd);
	c->fd = -1;
}

void
np_testcli_sendn(struct np_testcli *c, const char *s, size_t len)
{
	int64_t dl = np_mono_ms() + NP_TESTHTTP_DEADLINE_MS;
	ssize_t n;

	while (len > 0) {
		ck_assert_msg(np_mono_ms() < dl, "send timed out");
		n = send(c->fd, s, len, MSG_NOSIGNAL);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
		} else {
			ck_assert_msg(errno == EAGAIN, "send: %s",
			    strerror(errno));
			np_testhttp_turn(c);
		}
	}
}

void
np_testcli_send(struct np_testcli *c, const char *s)
{
	np_testcli_sendn(c, s, strlen(s));
}

int
np_testhttp_head_value(const char *head, const char *name, char *out,
    size_t len)
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

/* Length of a chunked body's response at the start of c->buf, or 0. */
static size_t
resp_chunked(struct np_testcli *c, struct np_testresp *r, size_t hlen)
{
	char *p, *e;
	size_t n;

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

/* Length of a complete response at the start of c->buf, or 0. */
static size_t
resp_parse(struct np_testcli *c, struct np_testresp *r)
{
	char *end = strstr(c->buf, "\r\n\r\n"), v[64];
	size_t hlen, clen;

	if (end == NULL)
		return 0;
	hlen = (size_t)(end - c->buf) + 4;
	snprintf(r->head, sizeof(r->head), "%.*s", (int)hlen, c->buf);
	r->status = atoi(c->buf + 9);
	r->body_len = 0;
	r->body[0] = '\0';
	if (r->status == 100)
		return hlen;
	if (np_testhttp_head_value(r->head, "Content-Length", v, sizeof(v))) {
		clen = strtoul(v, NULL, 10);
		if (c->len < hlen + clen)
			return 0;
		memcpy(r->body, c->buf + hlen, clen);
		r->body_len = clen;
		r->body[clen] = '\0';
		return hlen + clen;
	}
	if (np_testhttp_head_value(r->head, "Transfer-Encoding", v,
	    sizeof(v)))
		return resp_chunked(c, r, hlen);
	if (!c->eof)
		return 0;
	r->body_len = c->len - hlen;
	memcpy(r->body, c->buf + hlen, r->body_len);
	r->body[r->body_len] = '\0';
	return c->len;
}

void
np_testcli_response(struct np_testcli *c, struct np_testresp *r)
{
	int64_t dl = np_mono_ms() + NP_TESTHTTP_DEADLINE_MS;
	size_t n;

	while ((n = resp_parse(c, r)) == 0) {
		ck_assert_msg(np_mono_ms() < dl && !(c->eof &&
		    resp_parse(c, r) == 0), "no response (eof %d): '%s'",
		    c->eof, c->buf);
		np_testhttp_turn(c);
	}
	memmove(c->buf, c->buf + n, c->len - n + 1);
	c->len -= n;
}

void
np_testhttp_check_error(const struct np_testresp *r, int status,
    const char *code)
{
	json_t *j = json_loads(r->body, 0, NULL);
	char v[64];

	ck_assert_int_eq(r->status, status);
	ck_assert(np_testhttp_head_value(r->head, "Content-Type", v,
	    sizeof(v)));
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

int
np_testhttp_closes(const struct np_testresp *r)
{
	char v[32];

	return np_testhttp_head_value(r->head, "Connection", v, sizeof(v)) &&
	    strcasecmp(v, "close") == 0;
}
