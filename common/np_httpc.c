/*
 * np_httpc: pipelined keep-alive HTTP/1.1 client connection (see
 * np_httpc.h).  State: the connection (np_conn: plain reads and one
 * write per request, no bufferevent), a ring of pending callbacks, the
 * head of the answer being read, and the fixed part of every request's
 * head (Host and the caller's headers) made once.
 */
#define _GNU_SOURCE		/* memmem */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/util.h>

#include "np_conn.h"
#include "np_httpc.h"
#include "np_log.h"

#define HDR_MAX		4
#define OUT_MAX		(16 * 1024 * 1024)	/* requests not yet sent */

struct pending {
	np_httpc_cb	*cb;
	void		*arg;
};

struct np_httpc {
	struct sockaddr_storage	 addr;
	int			 addrlen;
	char			 hostport[300];
	char			*fixed;		/* "Host: ...\r\n" headers */
	int			 nhdr;
	struct np_conn		 conn;
	struct pending		*ring;
	size_t			 max, head, n;
	int			 timeout_ms;
	int			 status;	/* of the answer read, 0: none */
	size_t			 hlen;		/* ...its head's length */
	long			 clen;
	int			 closing;
};

int
np_httpc_url(const char *url, char *host, size_t hostlen, int *port)
{
	const char *p, *h;
	size_t n;
	long v;
	char *e;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	h = url + 7;
	for (p = h; *p != '\0' && *p != ':' && *p != '/'; p++)
		;
	n = (size_t)(p - h);
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = 80;
	if (*p == ':') {
		v = strtol(p + 1, &e, 10);
		if (e == p + 1 || v < 1 || v > 65535 || (*e != '\0' &&
		    *e != '/'))
			return -1;
		*port = (int)v;
	}
	return 0;
}

/* The value of header name in [p, end), or NULL; *vlen its length. */
static const char *
header(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *eol, *v;

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			for (v = p + nl + 1; v < eol && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			*vlen = (size_t)(eol - v);
			while (*vlen > 0 && isspace((unsigned char)v[*vlen - 1]))
				(*vlen)--;
			return v;
		}
	}
	return NULL;
}

int
np_httpc_parse_head(const char *buf, size_t len, int *status, long *clen,
    int *close)
{
	const char *end = buf + len, *eol, *v;
	size_t vlen;
	char num[24], *e;
	int minor;

	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || !isdigit(
	    (unsigned char)buf[7]) || buf[8] != ' ' || !isdigit(
	    (unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]) || (len > 12 && buf[12] != ' ' &&
	    buf[12] != '\r' && buf[12] != '\n'))
		return -1;
	minor = buf[7] - '0';
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	if (*status < 100)
		return -1;
	if ((eol = memchr(buf, '\n', len)) == NULL)
		eol = end;
	*clen = -1;
	if ((v = header(eol + 1, end, "Transfer-Encoding", &vlen)) != NULL)
		return -1;
	if ((v = header(eol + 1, end, "Content-Length", &vlen)) != NULL) {
		if (vlen == 0 || vlen >= sizeof(num))
			return -1;
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		errno = 0;
		*clen = strtol(num, &e, 10);
		if (*e != '\0' || errno != 0 || *clen < 0 || !isdigit(
		    (unsigned char)num[0]))
			return -1;
	}
	v = header(eol + 1, end, "Connection", &vlen);
	*close = minor == 0 ? !(v != NULL && vlen == 10 &&
	    strncasecmp(v, "keep-alive", 10) == 0) :
	    (v != NULL && vlen == 5 && strncasecmp(v, "close", 5) == 0);
	return 0;
}

/* Drop the connection; every pending request fails (status 0). */
static void
fail_all(struct np_httpc *c, const char *why)
{
	struct pending p[64], *many = NULL, *v = p;
	size_t n = c->n, i;

	np_conn_close(&c->conn);
	if (n > 0)
		log_debug("http %s: %s; %zu request(s) failed", c->hostport,
		    why, n);
	if (n > sizeof(p) / sizeof(p[0]) && (v = many = calloc(n,
	    sizeof(*many))) == NULL)
		fatalx("out of memory");
	for (i = 0; i < n; i++)
		v[i] = c->ring[(c->head + i) % c->max];
	c->head = c->n = 0;
	c->status = 0;
	c->closing = 0;
	for (i = 0; i < n; i++)
		v[i].cb(0, NULL, 0, v[i].arg);
	free(many);
}

/*
 * The answer at the start of buf: 1 when it was whole and handed over
 * (*used its size), 0 for more bytes, -1 when bad.  A head once parsed
 * is kept (status, hlen) while its body comes.
 */
static int
read_one(struct np_httpc *c, const char *buf, size_t len, size_t *used)
{
	const char *at;
	struct pending p;
	int status;

	if (c->status == 0) {
		if ((at = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
			return len > NP_HTTPC_HEAD_MAX ? -1 : 0;
		c->hlen = (size_t)(at - buf) + 4;
		if (c->hlen > NP_HTTPC_HEAD_MAX || np_httpc_parse_head(buf,
		    c->hlen, &c->status, &c->clen, &c->closing) == -1 ||
		    c->clen > NP_HTTPC_BODY_MAX ||
		    (c->clen < 0 && c->status != 204 && c->status != 304)) {
			c->status = 0;
			return -1;
		}
		if (c->clen < 0)
			c->clen = 0;
	}
	if (len - c->hlen < (size_t)c->clen)
		return 0;
	p = c->ring[c->head];
	c->head = (c->head + 1) % c->max;
	c->n--;
	status = c->status;
	c->status = 0;
	*used = c->hlen + (size_t)c->clen;
	p.cb(status, c->clen > 0 ? buf + c->hlen : "", (size_t)c->clen, p.arg);
	return 1;
}

static size_t
on_read(struct np_conn *conn, char *buf, size_t len, void *arg)
{
	struct np_httpc *c = arg;
	unsigned gen = conn->gen;
	size_t off = 0, used;
	int rc;

	while (off < len) {
		if (c->n == 0) {
			fail_all(c, "unexpected bytes");
			return 0;
		}
		if ((rc = read_one(c, buf + off, len - off, &used)) == 0)
			break;
		if (rc == -1) {
			fail_all(c, "bad answer");
			return 0;
		}
		off += used;
		if (conn->gen != gen)
			return 0;
		if (c->closing) {
			fail_all(c, "server closed");
			return 0;
		}
	}
	return off;
}

static void
on_event(struct np_conn *conn, enum np_conn_what what, void *arg)
{
	struct np_httpc *c = arg;

	if (what == NP_CONN_CONNECTED || (what == NP_CONN_TIMEOUT &&
	    c->n == 0))
		return;
	fail_all(c, what == NP_CONN_TIMEOUT ? "timeout" : what ==
	    NP_CONN_EOF ? "closed" : what == NP_CONN_TOOLONG ?
	    "answer too long" : "error");
}

struct np_httpc *
np_httpc_new(struct event_base *base, const char *host, int port,
    int max_inflight, int timeout_ms)
{
	struct evutil_addrinfo hints, *ai = NULL;
	struct np_httpc *c;
	char ps[8];

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->ring = calloc(
	    (size_t)max_inflight, sizeof(*c->ring))) == NULL)
		goto fail;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	if (evutil_getaddrinfo(host, ps, &hints, &ai) != 0 || ai == NULL ||
	    ai->ai_addrlen > sizeof(c->addr))
		goto fail;
	memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
	c->addrlen = (int)ai->ai_addrlen;
	evutil_freeaddrinfo(ai);
	c->max = (size_t)max_inflight;
	snprintf(c->hostport, sizeof(c->hostport), "%s:%d", host, port);
	if (np_httpc_header(c, NULL) == -1)
		goto fail;
	np_conn_init(&c->conn, base, NP_HTTPC_HEAD_MAX + NP_HTTPC_BODY_MAX,
	    OUT_MAX, on_read, on_event, c);
	c->timeout_ms = timeout_ms;
	np_conn_timeout(&c->conn, timeout_ms);
	return c;
fail:
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
	if (c != NULL)
		free(c->ring);
	free(c);
	return NULL;
}

void
np_httpc_free(struct np_httpc *c)
{
	if (c == NULL)
		return;
	np_conn_free(&c->conn);
	free(c->fixed);
	free(c->ring);
	free(c);
}

/* line NULL: the Host header alone, at the start. */
int
np_httpc_header(struct np_httpc *c, const char *line)
{
	size_t have = c->fixed != NULL ? strlen(c->fixed) : 0, n;
	char *p;

	if (line != NULL && (c->nhdr == HDR_MAX || strpbrk(line, "\r\n") !=
	    NULL))
		return -1;
	n = line != NULL ? strlen(line) + 2 : strlen(c->hostport) + 8;
	if ((p = realloc(c->fixed, have + n + 1)) == NULL)
		return -1;
	c->fixed = p;
	if (line != NULL) {
		snprintf(p + have, n + 1, "%s\r\n", line);
		c->nhdr++;
	} else
		snprintf(p + have, n + 1, "Host: %s\r\n", c->hostport);
	return 0;
}

/* The decimal digits of v into buf (24 bytes); returns their length. */
static size_t
utoa(size_t v, char *buf)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static int
add_str(struct np_conn *conn, const char *s)
{
	return np_conn_add(conn, s, strlen(s));
}

int
np_httpc_request(struct np_httpc *c, const char *method, const char *path,
    const char *body, size_t len, np_httpc_cb *cb, void *arg)
{
	static const char ctype[] = "Content-Type: application/json\r\n"
	    "Content-Length: ";
	struct np_conn *conn = &c->conn;
	char num[24];

	if (c->n == c->max || (!np_conn_is_open(conn) && np_conn_connect(conn,
	    (struct sockaddr *)&c->addr, (socklen_t)c->addrlen) == -1))
		return -1;
	/* a failed add: the connection fails from the loop, this one too */
	add_str(conn, method);
	np_conn_add(conn, " ", 1);
	add_str(conn, path);
	add_str(conn, " HTTP/1.1\r\n");
	add_str(conn, c->fixed);
	if (body != NULL) {
		np_conn_add(conn, ctype, sizeof(ctype) - 1);
		np_conn_add(conn, num, utoa(len, num));
		np_conn_add(conn, "\r\n\r\n", 4);
		np_conn_add(conn, body, len);
	} else
		np_conn_add(conn, "\r\n", 2);
	c->ring[(c->head + c->n) % c->max] = (struct pending){ cb, arg };
	if (c->n++ == 0)
		np_conn_timeout(conn, c->timeout_ms);	/* waiting from now */
	np_conn_flush(conn);
	return 0;
}

size_t
np_httpc_inflight(const struct np_httpc *c)
{
	return c->n;
}
