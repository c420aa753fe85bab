/*
 * np_http_req: a request as handlers see it, and the replies to it.
 *
 * A request owns copies of everything it exposes (head, decoded path,
 * segments, query pairs, body, peer), so it can outlive its connection:
 * when the client goes away during a pending handler, the connection
 * sets req->conn to NULL and frees itself; the late reply then only
 * frees the request.  A reply goes straight to the socket in one
 * sendmsg when nothing is queued before it (what the socket does not take
 * waits in the connection's output buffer); np_http_conn_replied() moves
 * the connection on (WRITING or CLOSING).
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "np_http_int.h"
#include "np_json.h"
#include "np_log.h"

#define NP_HTTP_HEAD_BUF	1024	/* a head longer than this: malloc */

static const char *
reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* The Date header's value, formatted again only when the second changes. */
static const char *
http_date(void)
{
	static char date[64];
	static time_t last = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (now != last) {
		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = now;
	}
	return date;
}

/* Status line and headers into buf; the length they need (>= size: cut). */
static size_t
head_format(char *buf, size_t size, int status, const char *ctype,
    long long clen, int close, int keep_alive_10, struct evbuffer *extra)
{
	size_t xlen = extra != NULL ? evbuffer_get_length(extra) : 0;
	char cl[48] = "";
	int n;

	if (clen >= 0)
		snprintf(cl, sizeof(cl), "Content-Length: %lld\r\n", clen);
	else if (clen == -1)
		snprintf(cl, sizeof(cl), "Transfer-Encoding: chunked\r\n");
	n = snprintf(buf, size, "HTTP/1.1 %d %s\r\nDate: %s\r\n%s%s%s%s%s",
	    status, reason(status), http_date(), ctype != NULL ?
	    "Content-Type: " : "", ctype != NULL ? ctype : "",
	    ctype != NULL ? "\r\n" : "", cl, close ? "Connection: close\r\n" :
	    keep_alive_10 ? "Connection: keep-alive\r\n" : "");
	if (n < 0)
		return SIZE_MAX;
	if ((size_t)n + xlen + 2 < size) {
		if (xlen > 0)
			evbuffer_copyout(extra, buf + n, xlen);
		memcpy(buf + n + xlen, "\r\n", 3);
	}
	return (size_t)n + xlen + 2;
}

/* The head in *out: buf when it fits, else malloc'd (*out != buf). */
static size_t
head_build(char *buf, size_t size, char **out, int status, const char *ctype,
    long long clen, int close, int keep_alive_10, struct evbuffer *extra)
{
	size_t n = head_format(buf, size, status, ctype, clen, close,
	    keep_alive_10, extra);

	*out = buf;
	if (n < size)
		return n;
	if (n == SIZE_MAX || (*out = malloc(n + 1)) == NULL) {
		*out = NULL;
		return 0;
	}
	head_format(*out, n + 1, status, ctype, clen, close, keep_alive_10,
	    extra);
	return n;
}

void
np_http_head_write(struct evbuffer *out, int status, const char *ctype,
    long long clen, int close, int keep_alive_10, struct evbuffer *extra)
{
	char buf[NP_HTTP_HEAD_BUF], *h;
	size_t n = head_build(buf, sizeof(buf), &h, status, ctype, clen, close,
	    keep_alive_10, extra);

	if (h != NULL)
		evbuffer_add(out, h, n);
	if (h != buf)
		free(h);
}

/*
 * Head and body to the client: straight to the socket when nothing is
 * queued before them (one sendmsg, no write event to add and delete),
 * what the socket did not take queued on the bufferevent.  An error is
 * left for the bufferevent to meet on its own write.
 */
static void
reply_send(struct np_http_conn *c, const char *head, size_t hlen,
    const char *body, size_t blen)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct iovec iov[2] = { { (void *)head, hlen }, { (void *)body, blen } };
	struct msghdr mh;
	ssize_t n = 0;

	if (evbuffer_get_length(out) == 0) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = blen > 0 ? 2 : 1;
		if ((n = sendmsg(bufferevent_getfd(c->bev), &mh,
		    MSG_NOSIGNAL | MSG_DONTWAIT)) < 0)
			n = 0;
	}
	if ((size_t)n < hlen) {
		evbuffer_add(out, head + n, hlen - (size_t)n);
		n = 0;
	} else
		n -= (ssize_t)hlen;
	if ((size_t)n < blen)
		evbuffer_add(out, body + n, blen - (size_t)n);
}

char *
np_http_error_body(int status, const char *code, const char *field,
    const char *message, size_t *len)
{
	json_t *err, *root;
	char *s;

	err = json_pack("{s:i, s:s, s:s}", "status", status, "code",
	    code ? code : "error", "message", message ? message : "");
	if (err != NULL && field != NULL)
		json_object_set_new(err, "field", json_string(field));
	root = json_pack("{s:o}", "error", err);
	s = root ? np_json_dump(root, len) : NULL;
	json_decref(root);
	if (s == NULL)
		*len = 0;
	return s;
}

/* Decoded segments of the raw path ("/a/b" -> "a", "b"); -1 ENOMEM. */
static int
req_segments(struct np_http_req *req, const char *raw, size_t len)
{
	size_t i, n = 0, start;
	char *o;
	long dl;

	/* At most one segment per '/' plus one ("*" of OPTIONS * has none). */
	for (i = 0; i < len; i++)
		n += raw[i] == '/';
	n++;
	if ((req->segbuf = malloc(len + 1)) == NULL ||
	    (req->segs = calloc(n, sizeof(*req->segs))) == NULL)
		return -1;
	o = req->segbuf;
	for (i = 1, start = 1; i <= len; i++) {
		if (i < len && raw[i] != '/')
			continue;
		if ((dl = np_http_pct_decode(o, raw + start, i - start, 0)) < 0)
			return -2;
		req->segs[req->nsegs++] = o;
		o += dl + 1;
		start = i + 1;
	}
	return 0;
}

/* name\0value\0 pairs from "a=1&b=2"; -1 ENOMEM, -2 bad escape. */
static int
req_query(struct np_http_req *req, const char *raw, size_t len)
{
	const char *s, *end = raw + len, *amp, *eq;
	char *o;
	long dl;

	if ((req->query = malloc(2 * len + 2)) == NULL)
		return -1;
	o = req->query;
	for (s = raw; s < end; s = amp + 1) {
		if ((amp = memchr(s, '&', (size_t)(end - s))) == NULL)
			amp = end;
		if (amp == s)
			continue;
		if ((eq = memchr(s, '=', (size_t)(amp - s))) == NULL)
			eq = amp;
		if ((dl = np_http_pct_decode(o, s, (size_t)(eq - s), 1)) < 0)
			return -2;
		o += dl + 1;
		if (eq == amp)
			*o++ = '\0';
		else if ((dl = np_http_pct_decode(o, eq + 1,
		    (size_t)(amp - eq - 1), 1)) < 0)
			return -2;
		else
			o += dl + 1;
		req->nquery++;
	}
	return 0;
}

int
np_http_req_new(struct np_http_conn *c, struct np_http_parser *p,
    struct np_http_req **out, const char **code, char *msg, size_t msglen)
{
	const struct np_http_msg *m = np_http_parser_msg(p);
	struct np_http_req *req;
	const char *target, *q;
	size_t plen;
	int rv = 0;

	*out = NULL;
	if ((req = calloc(1, sizeof(*req))) == NULL)
		return 0;
	req->conn = c;
	req->base = c->srv->base;
	req->minor = m->minor;
	req->keep_alive = m->keep_alive;
	snprintf(req->peer, sizeof(req->peer), "%s", c->peer);
	if ((req->head = malloc(m->head_len)) == NULL ||
	    (req->hdrs = calloc(m->nhdrs + 1, sizeof(*req->hdrs))) == NULL)
		goto nomem;
	memcpy(req->head, m->head, m->head_len);
	memcpy(req->hdrs, m->hdrs, m->nhdrs * sizeof(*req->hdrs));
	req->nhdrs = m->nhdrs;
	req->head_only = strcmp(req->head + m->method, "HEAD") == 0;
	req->body = np_http_parser_take_body(p, &req->body_len);
	target = req->head + m->target;
	q = strchr(target, '?');
	plen = q ? (size_t)(q - target) : strlen(target);
	if ((req->path = malloc(plen + 1)) == NULL)
		goto nomem;
	if (np_http_pct_decode(req->path, target, plen, 0) < 0 ||
	    (rv = req_segments(req, target, plen)) == -2) {
		*code = "bad_path";
		snprintf(msg, msglen, "invalid percent-encoding in the path");
		goto bad;
	}
	if (rv == -1)
		goto nomem;
	if (q != NULL && (rv = req_query(req, q + 1, strlen(q + 1))) != 0) {
		if (rv == -1)
			goto nomem;
		*code = "bad_query";
		snprintf(msg, msglen, "invalid percent-encoding in the query");
		goto bad;
	}
	*out = req;
	return 0;
bad:
	np_http_req_free(req);
	return -1;
nomem:
	np_http_req_free(req);
	return 0;
}

void
np_http_req_free(struct np_http_req *req)
{
	if (req == NULL)
		return;
	free(req->head);
	free(req->hdrs);
	free(req->path);
	free(req->segbuf);
	free(req->segs);
	free(req->query);
	free(req->body);
	if (req->out_hdrs != NULL)
		evbuffer_free(req->out_hdrs);
	free(req);
}

int
np_http_req_match(struct np_http_req *req, const char *pattern)
{
	const char *p = pattern, *seg;
	size_t i = 0, n;

	req->nparams = 0;
	while (*p == '/') {
		p++;
		n = strcspn(p, "/");
		if (i >= req->nsegs)
			return 0;
		seg = req->segs[i++];
		if (n == 1 && *p == '*') {
			if (*seg == '\0')
				return 0;
			if (req->nparams < NP_HTTP_MAX_PARAMS)
				req->params[req->nparams++] = seg;
		} else if (strlen(seg) != n || memcmp(seg, p, n) != 0)
			return 0;
		p += n;
	}
	return *p == '\0' && i == req->nsegs;
}

const char *
np_http_method(const struct np_http_req *req)
{
	return req->head;
}

const char *
np_http_path(const struct np_http_req *req)
{
	return req->path;
}

const char *
np_http_query(const struct np_http_req *req, const char *name)
{
	const char *s = req->query;
	size_t i;

	for (i = 0; i < req->nquery; i++) {
		const char *v = s + strlen(s) + 1;
		if (strcmp(s, name) == 0)
			return v;
		s = v + strlen(v) + 1;
	}
	return NULL;
}

const char *
np_http_header(const struct np_http_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nhdrs; i++)
		if (strcasecmp(req->head + req->hdrs[i].name, name) == 0)
			return req->head + req->hdrs[i].value;
	return NULL;
}

const char *
np_http_param(const struct np_http_req *req, int i)
{
	return i >= 0 && i < req->nparams ? req->params[i] : NULL;
}

const char *
np_http_body(const struct np_http_req *req, size_t *len)
{
	if (len != NULL)
		*len = req->body ? req->body_len : 0;
	return req->body ? req->body : "";
}

const char *
np_http_peer(const struct np_http_req *req)
{
	return req->peer;
}

void
np_http_add_header(struct np_http_req *req, const char *name,
    const char *value)
{
	static const char *const reserved[] = { "Content-Length",
	    "Connection", "Transfer-Encoding", "Date" };
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			goto refuse;
	if (name[0] == '\0' || strpbrk(name, "\r\n: \t") != NULL ||
	    strpbrk(value, "\r\n") != NULL)
		goto refuse;
	if (req->out_hdrs == NULL && (req->out_hdrs = evbuffer_new()) == NULL)
		return;
	evbuffer_add_printf(req->out_hdrs, "%s: %s\r\n", name, value);
	return;
refuse:
	log_warnx("http: reply header '%s' refused", name);
}

void
np_http_reply(struct np_http_req *req, int status, const char *content_type,
    const char *body, size_t len)
{
	struct np_http_conn *c = req->conn;
	char buf[NP_HTTP_HEAD_BUF], *head;
	size_t hlen;

	if (c == NULL) {		/* client gone: discard */
		np_http_req_free(req);
		return;
	}
	if (c->state != NP_HTTP_C_HANDLING || c->req != req) {
		log_warnx("http: reply to a request already answered");
		return;
	}
	if (c->srv->draining)
		req->keep_alive = 0;
	hlen = head_build(buf, sizeof(buf), &head, status, content_type,
	    (long long)len, !req->keep_alive, req->minor == 0, req->out_hdrs);
	if (head != NULL)
		reply_send(c, head, hlen, body, req->head_only ? 0 : len);
	if (head != buf)
		free(head);
	np_http_conn_replied(c, status, !req->keep_alive);
	np_http_req_free(req);
}

void
np_http_reply_json(struct np_http_req *req, int status, json_t *json)
{
	size_t len = 0;
	char *s = json ? np_json_dump(json, &len) : NULL;

	json_decref(json);
	if (s == NULL) {
		np_http_error(req, 500, "internal", NULL, "cannot encode JSON");
		return;
	}
	np_http_reply(req, status, "application/json", s, len);
	free(s);
}

void
np_http_error(struct np_http_req *req, int status, const char *code,
    const char *field, const char *fmt, ...)
{
	char msg[512], *body;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	body = np_http_error_body(status, code, field, msg, &len);
	np_http_reply(req, status, "application/json", body ? body : "{}",
	    body ? len : 2);
	free(body);
}

static void
stream_gone(evutil_socket_t fd, short what, void *arg)
{
	struct np_http_req *req = arg;

	if (!req->ended && req->closecb != NULL) {
		req->in_closecb = 1;
		req->closecb(req, req->closearg);
	}
	np_http_req_free(req);
}

void
np_http_stream_begin(struct np_http_req *req, int status,
    const char *content_type, void (*closecb)(struct np_http_req *, void *),
    void *arg)
{
	struct np_http_conn *c = req->conn;
	struct timeval now = { 0, 0 };

	req->closecb = closecb;
	req->closearg = arg;
	if (c == NULL) {
		req->closecb_pending = 1;
		if (event_base_once(req->base, -1, EV_TIMEOUT, stream_gone,
		    req, &now) == -1)
			np_http_req_free(req);	/* cannot happen in practice */
		return;
	}
	req->stream_chunked = req->minor >= 1;
	if (!req->stream_chunked || c->srv->draining)
		req->keep_alive = 0;
	np_http_add_header(req, "Cache-Control", "no-cache");
	np_http_head_write(bufferevent_get_output(c->bev), status,
	    content_type, req->stream_chunked ? -1 : -2, !req->keep_alive, 0,
	    req->out_hdrs);
	np_http_conn_streaming(c, status);
}

int
np_http_stream_write(struct np_http_req *req, const char *data, size_t len)
{
	struct evbuffer *out;

	if (req->conn == NULL || req->conn->state != NP_HTTP_C_STREAMING)
		return -1;
	out = bufferevent_get_output(req->conn->bev);
	if (evbuffer_get_length(out) > NP_HTTP_STREAM_MAXBUF)
		return -1;
	if (len == 0)
		return 0;
	if (req->stream_chunked)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	if (req->stream_chunked)
		evbuffer_add(out, "\r\n", 2);
	return 0;
}

void
np_http_stream_end(struct np_http_req *req)
{
	struct np_http_conn *c = req->conn;

	if (req->in_closecb)
		return;		/* freed by the caller of closecb */
	if (c == NULL) {
		if (req->closecb_pending)
			req->ended = 1;	/* stream_gone frees it */
		else
			np_http_req_free(req);
		return;
	}
	if (req->stream_chunked)
		evbuffer_add(bufferevent_get_output(c->bev), "0\r\n\r\n", 5);
	c->req = req;
	np_http_conn_replied(c, 0, !req->keep_alive);
	np_http_req_free(req);
}

const char *
np_http_msg_header(const struct np_http_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->head + m->hdrs[i].name, name) == 0)
			return m->head + m->hdrs[i].value;
	return NULL;
}

long
np_http_pct_decode(char *dst, const char *src, size_t len, int plus_space)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c == '%') {
			if (len - i < 3)
				return -1;
			hi = np_http_hexval((unsigned char)src[i + 1]);
			lo = np_http_hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '\0')
			return -1;
		else if (plus_space && c == '+')
			c = ' ';
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return (long)o;
}
