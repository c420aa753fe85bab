/*
 * np_http_parse: incremental HTTP/1.x request parser (see np_http_parse.h).
 *
 * Two halves.  The head (request line and header lines) is collected line
 * by line into p->head, which never grows past max_header_bytes; a line is
 * cut into NUL-terminated strings in place when its '\n' arrives, and the
 * framing headers (Content-Length, Transfer-Encoding, Connection, Expect,
 * Host) are interpreted on the way.  The body is a byte-at-a-time state
 * machine for chunked framing and a plain countdown for Content-Length;
 * body bytes are copied into p->body, never past max_body_bytes.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "np_http_parse.h"

#define NP_HTTP_MAX_SKIP	16	/* empty lines before a request line */
#define NP_HTTP_MAX_CHUNKLINE	1024	/* chunk size + extensions */
#define NP_HTTP_MAX_METHOD	32

enum np_http_pstate {
	P_REQLINE,
	P_HEADER,
	P_BODY,
	P_CHUNK_SIZE,
	P_CHUNK_EXT,
	P_CHUNK_SIZE_LF,
	P_CHUNK_DATA,
	P_CHUNK_DATA_CR,
	P_CHUNK_DATA_LF,
	P_TRAILER_START,
	P_TRAILER_LINE,
	P_TRAILER_LF,
	P_DONE,
	P_ERROR,
};

struct np_http_parser {
	struct np_http_parse_limits lim;
	enum np_http_pstate	 state;
	char			*head;		/* max_header_bytes + 1 */
	size_t			 head_len;
	size_t			 line_start;
	struct np_http_hdr	*hdrs;		/* max_headers */
	size_t			 nhdrs;
	size_t			 body_cap;
	size_t			 remaining;	/* Content-Length or chunk */
	size_t			 chunkline;	/* bytes of the chunk-size line */
	size_t			 trailer_bytes;
	int			 skipped;
	int			 started;
	int			 seen_cl, seen_host, conn_close, conn_keep;
	int			 te_chunked, te_other;
	struct np_http_msg	 msg;
	struct np_http_parse_error err;
};

static enum np_http_parse_status perr(struct np_http_parser *, int,
	    const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

static enum np_http_parse_status
perr(struct np_http_parser *p, int status, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	p->state = P_ERROR;
	p->err.status = status;
	p->err.code = code;
	va_start(ap, fmt);
	vsnprintf(p->err.message, sizeof(p->err.message), fmt, ap);
	va_end(ap);
	return NP_HTTP_PARSE_ERROR;
}

static size_t
clamp(size_t v, size_t def, size_t max)
{
	if (v == 0)
		return def;
	return v > max ? max : v;
}

struct np_http_parser *
np_http_parser_new(const struct np_http_parse_limits *lim)
{
	struct np_http_parser *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->lim.max_header_bytes = clamp(lim ? lim->max_header_bytes : 0,
	    8192, 1 << 20);
	p->lim.max_headers = clamp(lim ? lim->max_headers : 0, 64, 10000);
	p->lim.max_body_bytes = clamp(lim ? lim->max_body_bytes : 0,
	    65536, (size_t)1 << 30);
	p->lim.max_uri_bytes = clamp(lim ? lim->max_uri_bytes : 0, 2048,
	    p->lim.max_header_bytes);
	p->head = malloc(p->lim.max_header_bytes + 1);
	p->hdrs = calloc(p->lim.max_headers, sizeof(*p->hdrs));
	if (p->head == NULL || p->hdrs == NULL) {
		np_http_parser_free(p);
		return NULL;
	}
	np_http_parser_reset(p);
	return p;
}

void
np_http_parser_free(struct np_http_parser *p)
{
	if (p == NULL)
		return;
	free(p->head);
	free(p->hdrs);
	free(p->msg.body);
	free(p);
}

void
np_http_parser_reset(struct np_http_parser *p)
{
	struct np_http_parse_limits lim = p->lim;
	char *head = p->head;
	struct np_http_hdr *hdrs = p->hdrs;

	free(p->msg.body);
	memset(p, 0, sizeof(*p));
	p->lim = lim;
	p->head = head;
	p->hdrs = hdrs;
	p->state = P_REQLINE;
	p->msg.head = head;
	p->msg.hdrs = hdrs;
}

int
np_http_parser_started(const struct np_http_parser *p)
{
	return p->started;
}

const struct np_http_msg *
np_http_parser_msg(const struct np_http_parser *p)
{
	return &p->msg;
}

const struct np_http_parse_error *
np_http_parser_error(const struct np_http_parser *p)
{
	return p->state == P_ERROR ? &p->err : NULL;
}

char *
np_http_parser_take_body(struct np_http_parser *p, size_t *len)
{
	char *body = p->msg.body;

	*len = p->msg.body_len;
	p->msg.body = NULL;
	p->msg.body_len = 0;
	p->body_cap = 0;
	return body;
}

static int
is_tchar(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
np_http_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Calls fn for each comma-separated, OWS-trimmed, non-empty element. */
static int
each_token(char *v, int (*fn)(struct np_http_parser *, const char *),
    struct np_http_parser *p)
{
	char buf[128];
	char *s, *e;
	size_t n;
	int count = 0;

	for (s = v; *s != '\0'; s = *e ? e + 1 : e) {
		e = s + strcspn(s, ",");
		n = (size_t)(e - s);
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, s, n);
		buf[n] = '\0';
		count++;
		if (fn(p, buf) == -1)
			return -1;
	}
	return count;
}

static int
te_token(struct np_http_parser *p, const char *t)
{
	if (strcasecmp(t, "chunked") == 0)
		p->te_chunked++;
	else
		p->te_other = 1;
	return 0;
}

static int
conn_token(struct np_http_parser *p, const char *t)
{
	if (strcasecmp(t, "close") == 0)
		p->conn_close = 1;
	else if (strcasecmp(t, "keep-alive") == 0)
		p->conn_keep = 1;
	return 0;
}

static enum np_http_parse_status
content_length(struct np_http_parser *p, const char *v)
{
	uint64_t n = 0;
	const char *s;

	if (*v == '\0')
		return perr(p, 400, "bad_framing", "empty Content-Length");
	for (s = v; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return perr(p, 400, "bad_framing",
			    "invalid Content-Length");
		if (n > (UINT64_MAX - 9) / 10)
			n = UINT64_MAX;	/* too large either way */
		else
			n = n * 10 + (uint64_t)(*s - '0');
	}
	if (p->seen_cl && n != p->msg.content_length)
		return perr(p, 400, "bad_framing",
		    "conflicting Content-Length headers");
	p->seen_cl = 1;
	p->msg.content_length = n;
	return NP_HTTP_PARSE_MORE;
}

static enum np_http_parse_status
header_meaning(struct np_http_parser *p, const char *name, char *v)
{
	if (strcasecmp(name, "content-length") == 0)
		return content_length(p, v);
	if (strcasecmp(name, "transfer-encoding") == 0) {
		if (each_token(v, te_token, p) <= 0)
			return perr(p, 400, "bad_framing",
			    "empty Transfer-Encoding");
	} else if (strcasecmp(name, "connection") == 0)
		each_token(v, conn_token, p);
	else if (strcasecmp(name, "expect") == 0) {
		if (strcasecmp(v, "100-continue") != 0)
			return perr(p, 417, "expectation_failed",
			    "only 'Expect: 100-continue' is supported");
		p->msg.expect_continue = 1;
	} else if (strcasecmp(name, "host") == 0 && p->seen_host++)
		return perr(p, 400, "bad_header", "more than one Host header");
	return NP_HTTP_PARSE_MORE;
}

static enum np_http_parse_status
header_line(struct np_http_parser *p, char *line, size_t len)
{
	char *colon, *v, *end;
	size_t i;

	if (line[0] == ' ' || line[0] == '\t')
		return perr(p, 400, "bad_header",
		    "folded header lines (obs-fold) are not accepted");
	if ((colon = memchr(line, ':', len)) == NULL || colon == line)
		return perr(p, 400, "bad_header",
		    "header line without a name and ':'");
	for (i = 0; line + i < colon; i++)
		if (!is_tchar((unsigned char)line[i]))
			return perr(p, 400, "bad_header",
			    "invalid character in header name");
	*colon = '\0';
	v = colon + 1;
	end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	for (i = 0; v + i < end; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return perr(p, 400, "bad_header",
			    "control character in header '%.40s'", line);
	}
	if (p->nhdrs == p->lim.max_headers)
		return perr(p, 431, "headers_too_large",
		    "more than %zu header lines", p->lim.max_headers);
	p->hdrs[p->nhdrs].name = (uint32_t)(line - p->head);
	p->hdrs[p->nhdrs].value = (uint32_t)(v - p->head);
	p->nhdrs++;
	return header_meaning(p, line, v);
}

static enum np_http_parse_status
request_line(struct np_http_parser *p, char *line, size_t len)
{
	char *sp1, *sp2, *target, *ver;
	size_t i, tlen;

	if ((sp1 = memchr(line, ' ', len)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line))) ==
	    NULL || memchr(sp2 + 1, ' ', len - (size_t)(sp2 + 1 - line)))
		return perr(p, 400, "bad_request_line",
		    "request line is not 'METHOD target HTTP/1.x'");
	if (sp1 == line || sp1 - line > NP_HTTP_MAX_METHOD)
		return perr(p, 400, "bad_request_line", "invalid method");
	for (i = 0; line + i < sp1; i++)
		if (!is_tchar((unsigned char)line[i]))
			return perr(p, 400, "bad_request_line",
			    "invalid character in method");
	target = sp1 + 1;
	ver = sp2 + 1;
	*sp1 = *sp2 = '\0';
	tlen = (size_t)(sp2 - target);
	if (tlen > p->lim.max_uri_bytes)
		return perr(p, 414, "uri_too_long",
		    "request target longer than %zu bytes", p->lim.max_uri_bytes);
	for (i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 ||
		    (unsigned char)target[i] >= 0x7f || target[i] == '#')
			return perr(p, 400, "bad_request_line",
			    "invalid character in request target");
	if (strncasecmp(target, "http://", 7) == 0 ||
	    strncasecmp(target, "https://", 8) == 0) {
		/* absolute-form: keep the path, the authority is ignored */
		char *slash = strchr(strchr(target, ':') + 3, '/');
		if (slash == NULL)
			return perr(p, 400, "bad_request_line",
			    "absolute request target without a path");
		target = slash;
	} else if (target[0] != '/' && (strcmp(target, "*") != 0 ||
	    strcmp(line, "OPTIONS") != 0))
		return perr(p, 400, "bad_request_line",
		    "request target must be an absolute path");
	if (strlen(ver) != 8 || strncmp(ver, "HTTP/", 5) != 0 ||
	    !isdigit((unsigned char)ver[5]) || ver[6] != '.' ||
	    !isdigit((unsigned char)ver[7]))
		return perr(p, 400, "bad_request_line",
		    "invalid HTTP version '%.16s'", ver);
	if (ver[5] != '1')
		return perr(p, 505, "version_not_supported",
		    "HTTP/%c.%c is not supported, use HTTP/1.1", ver[5], ver[7]);
	p->msg.minor = ver[7] - '0';
	p->msg.method = 0;
	p->msg.target = (uint32_t)(target - p->head);
	p->state = P_HEADER;
	return NP_HTTP_PARSE_MORE;
}

static int
body_room(struct np_http_parser *p, size_t need)
{
	size_t cap;
	char *b;

	if (need + 1 <= p->body_cap)
		return 0;
	cap = p->body_cap ? p->body_cap * 2 : 1024;
	if (cap < need + 1)
		cap = need + 1;
	if (cap > p->lim.max_body_bytes + 1)
		cap = p->lim.max_body_bytes + 1;
	if ((b = realloc(p->msg.body, cap)) == NULL)
		return -1;
	p->msg.body = b;
	p->body_cap = cap;
	return 0;
}

static enum np_http_parse_status
head_done(struct np_http_parser *p)
{
	struct np_http_msg *m = &p->msg;
	int te = p->te_chunked || p->te_other;

	m->head_len = p->head_len;
	m->nhdrs = p->nhdrs;
	if (m->minor >= 1 && !p->seen_host)
		return perr(p, 400, "bad_header", "missing Host header");
	if (te && p->seen_cl)
		return perr(p, 400, "bad_framing",
		    "both Content-Length and Transfer-Encoding");
	if (te && m->minor == 0)
		return perr(p, 400, "bad_framing",
		    "Transfer-Encoding in an HTTP/1.0 request");
	if (p->te_other)
		return perr(p, 501, "unsupported_transfer_encoding",
		    "only 'Transfer-Encoding: chunked' is supported");
	if (te && p->te_chunked > 1)
		return perr(p, 400, "bad_framing",
		    "'chunked' applied more than once");
	m->keep_alive = m->minor >= 1 ? !p->conn_close :
	    p->conn_keep && !p->conn_close;
	if (p->te_chunked) {
		m->chunked = 1;
		p->state = P_CHUNK_SIZE;
		return NP_HTTP_PARSE_HEAD;
	}
	if (m->content_length > p->lim.max_body_bytes)
		return perr(p, 413, "body_too_large",
		    "body of %llu bytes exceeds the limit of %zu",
		    (unsigned long long)m->content_length,
		    p->lim.max_body_bytes);
	if (m->content_length == 0) {
		p->state = P_DONE;
		return NP_HTTP_PARSE_DONE;
	}
	if (body_room(p, (size_t)m->content_length) == -1)
		return perr(p, 503, "no_memory", "out of memory");
	p->remaining = (size_t)m->content_length;
	p->state = P_BODY;
	return NP_HTTP_PARSE_HEAD;
}

static enum np_http_parse_status
head_line(struct np_http_parser *p)
{
	char *line = p->head + p->line_start;
	size_t len = p->head_len - p->line_start - 1;	/* without '\n' */

	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (memchr(line, '\r', len) != NULL || memchr(line, '\0', len) != NULL)
		return perr(p, 400, p->state == P_REQLINE ? "bad_request_line" :
		    "bad_header", "bare CR or NUL byte in the request head");
	if (p->state == P_REQLINE)
		return request_line(p, line, len);
	if (len == 0)
		return head_done(p);
	return header_line(p, line, len);
}

static enum np_http_parse_status
feed_head(struct np_http_parser *p, const char *buf, size_t len,
    size_t *used)
{
	enum np_http_parse_status st;
	const char *s, *nl;
	size_t off = 0, n;

	while (off < len) {
		*used = off;	/* for the error returns */
		if (p->state == P_REQLINE && p->head_len == 0) {
			if (buf[off] == '\r' || buf[off] == '\n') {
				if (++p->skipped > NP_HTTP_MAX_SKIP)
					return perr(p, 400, "bad_request_line",
					    "too many empty lines");
				off++;
				continue;
			}
			p->started = 1;
		}
		s = buf + off;
		nl = memchr(s, '\n', len - off);
		n = nl ? (size_t)(nl - s) + 1 : len - off;
		if (p->state == P_REQLINE && (p->head_len + n >
		    p->lim.max_header_bytes || p->head_len + n >
		    p->lim.max_uri_bytes + NP_HTTP_MAX_METHOD + 16))
			return perr(p, 414, "uri_too_long",
			    "request line longer than the limit");
		if (p->state == P_HEADER &&
		    p->head_len + n > p->lim.max_header_bytes)
			return perr(p, 431, "headers_too_large",
			    "request head exceeds %zu bytes",
			    p->lim.max_header_bytes);
		memcpy(p->head + p->head_len, s, n);
		p->head_len += n;
		off += n;
		if (nl == NULL)
			break;
		st = head_line(p);
		p->line_start = p->head_len;
		if (st != NP_HTTP_PARSE_MORE) {
			*used = off;
			return st;
		}
	}
	*used = off;
	return NP_HTTP_PARSE_MORE;
}

static enum np_http_parse_status
chunk_size_done(struct np_http_parser *p)
{
	p->chunkline = 0;
	if (p->remaining == 0) {
		p->state = P_TRAILER_START;
		return NP_HTTP_PARSE_MORE;
	}
	if (body_room(p, p->msg.body_len + p->remaining) == -1)
		return perr(p, 503, "no_memory", "out of memory");
	p->state = P_CHUNK_DATA;
	return NP_HTTP_PARSE_MORE;
}

/* One byte of chunked framing (everything but chunk data). */
static enum np_http_parse_status
chunk_byte(struct np_http_parser *p, unsigned char c)
{
	int h;

	if ((p->state == P_CHUNK_SIZE || p->state == P_CHUNK_EXT) &&
	    ++p->chunkline > NP_HTTP_MAX_CHUNKLINE)
		return perr(p, 400, "bad_chunk", "chunk-size line too long");
	switch (p->state) {
	case P_CHUNK_SIZE:
		if ((h = np_http_hexval(c)) >= 0) {
			p->remaining = p->remaining * 16 + (size_t)h;
			if (p->remaining > p->lim.max_body_bytes -
			    p->msg.body_len)
				return perr(p, 413, "body_too_large",
				    "chunked body exceeds the limit of %zu",
				    p->lim.max_body_bytes);
			return NP_HTTP_PARSE_MORE;
		}
		if (p->chunkline == 1)
			return perr(p, 400, "bad_chunk", "missing chunk size");
		if (c == ';') {
			p->state = P_CHUNK_EXT;
			return NP_HTTP_PARSE_MORE;
		}
		/* FALLTHROUGH */
	case P_CHUNK_EXT:
		if (c == '\r')
			p->state = P_CHUNK_SIZE_LF;
		else if (c == '\n')
			return chunk_size_done(p);
		else if (p->state == P_CHUNK_SIZE || c < 0x20 || c == 0x7f)
			return perr(p, 400, "bad_chunk",
			    "invalid character in chunk size");
		return NP_HTTP_PARSE_MORE;
	case P_CHUNK_SIZE_LF:
		if (c != '\n')
			return perr(p, 400, "bad_chunk", "CR without LF");
		return chunk_size_done(p);
	case P_CHUNK_DATA_CR:
		if (c == '\n') {
			p->state = P_CHUNK_SIZE;
			return NP_HTTP_PARSE_MORE;
		}
		if (c != '\r')
			return perr(p, 400, "bad_chunk",
			    "chunk data longer than its size");
		p->state = P_CHUNK_DATA_LF;
		return NP_HTTP_PARSE_MORE;
	case P_CHUNK_DATA_LF:
		if (c != '\n')
			return perr(p, 400, "bad_chunk", "CR without LF");
		p->state = P_CHUNK_SIZE;
		return NP_HTTP_PARSE_MORE;
	case P_TRAILER_START:
		if (c == '\n')
			goto done;
		p->state = c == '\r' ? P_TRAILER_LF : P_TRAILER_LINE;
		/* FALLTHROUGH */
	case P_TRAILER_LINE:
		if (++p->trailer_bytes + p->head_len > p->lim.max_header_bytes)
			return perr(p, 431, "headers_too_large",
			    "trailer section exceeds the header limit");
		if (c == '\n')
			p->state = P_TRAILER_START;	/* trailers are dropped */
		return NP_HTTP_PARSE_MORE;
	case P_TRAILER_LF:
		if (c != '\n')
			return perr(p, 400, "bad_chunk", "CR without LF");
		goto done;
	default:
		return perr(p, 400, "bad_chunk", "parser state");
	}
done:
	if (body_room(p, p->msg.body_len) == -1)
		return perr(p, 503, "no_memory", "out of memory");
	p->msg.body[p->msg.body_len] = '\0';
	p->state = P_DONE;
	return NP_HTTP_PARSE_DONE;
}

enum np_http_parse_status
np_http_parser_feed(struct np_http_parser *p, const char *buf, size_t len,
    size_t *used)
{
	enum np_http_parse_status st;
	size_t off = 0, n;

	*used = 0;
	while (off < len) {
		switch (p->state) {
		case P_DONE:
			return NP_HTTP_PARSE_DONE;
		case P_ERROR:
			return NP_HTTP_PARSE_ERROR;
		case P_REQLINE:
		case P_HEADER:
			st = feed_head(p, buf + off, len - off, &n);
			off += n;
			if (st != NP_HTTP_PARSE_MORE) {
				*used = off;
				return st;
			}
			break;
		case P_BODY:
		case P_CHUNK_DATA:
			n = len - off < p->remaining ? len - off : p->remaining;
			memcpy(p->msg.body + p->msg.body_len, buf + off, n);
			p->msg.body_len += n;
			p->remaining -= n;
			off += n;
			if (p->remaining > 0)
				break;
			if (p->state == P_CHUNK_DATA) {
				p->state = P_CHUNK_DATA_CR;
				break;
			}
			p->msg.body[p->msg.body_len] = '\0';
			p->state = P_DONE;
			*used = off;
			return NP_HTTP_PARSE_DONE;
		default:
			st = chunk_byte(p, (unsigned char)buf[off++]);
			if (st != NP_HTTP_PARSE_MORE) {
				*used = off;
				return st;
			}
			break;
		}
	}
	*used = off;
	if (p->state == P_DONE)
		return NP_HTTP_PARSE_DONE;
	return p->state == P_ERROR ? NP_HTTP_PARSE_ERROR : NP_HTTP_PARSE_MORE;
}
