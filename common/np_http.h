/*
 * np_http: a small HTTP/1.1 server on libevent bufferevents.
 *
 * Why not evhttp: it answers over-size and malformed requests with its own
 * HTML pages and has no hook to change that; our rule is that every bad
 * input gets a 4xx with a JSON body.  So, memcached-style: one explicit
 * state machine per connection (np_http.c), a pure incremental parser with
 * hard limits (np_http_parse.c), and the request/reply side
 * (np_http_req.c).
 *
 * Ownership.  The server owns its connections.  A request (struct
 * np_http_req) is handed to a route's handler and stays valid until the
 * handler answers it with np_http_reply/_reply_json/_error (at once or
 * later, e.g. from a Redis callback) or, for a stream, until
 * np_http_stream_end or the stream's closecb.  If the client goes away
 * while a handler is pending, the request stays valid and the late reply
 * is discarded (and the request freed).  Every request must be answered
 * exactly once; reading any request after its answer is a bug.
 * The event base must outlive the server and every request.  Route
 * strings and the route table are copied by reference: keep them alive
 * (static tables are the norm).  Do not call np_http_free from a handler
 * or a closecb.
 *
 * Server-made errors have np_http_error's JSON shape: 400 malformed
 * request, 404, 405 (+Allow), 408 (request started, idle timeout hit),
 * 413, 414, 417, 431, 501, 505, 503 (over max_conns), 429 (over
 * max_conns_per_source: then closed; over rate_per_source: with
 * Retry-After, the connection stays).  One request at a time per
 * connection: pipelined bytes wait until the reply is written.
 * Per-source limits are in np_http_limit.c.
 */
#ifndef NP_HTTP_H
#define NP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "np_conf.h"

struct np_http;
struct np_http_req;
struct event_base;
struct json_t;

struct np_http_conf {
	const char	*addr;		/* numeric; 127.0.0.1 default */
	int		 port;		/* 0: ephemeral, see np_http_port() */
	size_t		 max_header_bytes; /* 8192: request line + headers, 431 */
	size_t		 max_headers;	/* 64 -> 431 */
	size_t		 max_body_bytes; /* 65536 -> 413 */
	size_t		 max_uri_bytes;	/* 2048 -> 414 */
	int		 max_conns;	/* 1024; over it: 503 JSON and close */
	int		 idle_timeout_ms; /* 30000: keep-alive idle, slow request,
					    stalled reply writes */
	/* per source address (0: no limit, the default) */
	int		 max_conns_per_source;	/* over: 429 JSON and close */
	double		 rate_per_source;	/* requests/s, token bucket */
	int		 rate_burst;		/* bucket size (>= 1) */
};

/*
 * The per-source limits as settings "<prefix>.max_header_bytes",
 * ".max_conns_per_source", ".rate_per_source", ".rate_burst", with the
 * service's defaults (np_http_limit.c).  The table points into c, which
 * must outlive it; np_http_limit_apply copies the values into a conf.
 */
#define NP_HTTP_LIMIT_ITEMS	4
struct np_http_limit_conf {
	int			 max_header_bytes;
	int			 max_conns_per_source;
	double			 rate_per_source;
	int			 rate_burst;
	struct np_conf_item	 items[NP_HTTP_LIMIT_ITEMS];
	char			 keys[NP_HTTP_LIMIT_ITEMS][64];
	char			 defs[NP_HTTP_LIMIT_ITEMS][32];
};
struct np_conf_table	np_http_limit_items(struct np_http_limit_conf *,
			    const char *prefix,
			    const struct np_http_limit_conf *def);
void	np_http_limit_apply(struct np_http_conf *,
	    const struct np_http_limit_conf *);

/* Per-server counters, for /metrics. */
struct np_http_stats {
	uint64_t	accepted;	/* connections accepted */
	uint64_t	rejected;	/* refused over max_conns (503) */
	uint64_t	src_rejected;	/* refused over max_conns_per_source */
	uint64_t	rate_limited;	/* 429 over rate_per_source */
	uint64_t	requests;	/* complete requests dispatched */
	uint64_t	status[6];	/* replies by class: status[4] = 4xx */
	uint64_t	parse_errors;	/* malformed/over-limit requests */
	uint64_t	timeouts;	/* idle/slow-request/write timeouts */
	uint64_t	aborted;	/* client left before the reply */
	size_t		active;		/* open connections */
};

void	np_http_conf_defaults(struct np_http_conf *);

typedef void np_http_handler(struct np_http_req *, void *arg);
struct np_http_route {
	const char	*method;
	/* literal segments, or "*" matching one non-empty segment */
	const char	*pattern;
	np_http_handler	*handler;
};

/* Listens at once; NULL (logged) on failure.  arg goes to handlers. */
struct np_http	*np_http_new(struct event_base *, const struct np_http_conf *,
		    const struct np_http_route *, size_t nroutes, void *arg);
int	np_http_port(const struct np_http *);
/* Closes the listener and every connection; streams get their closecb,
 * pending requests become orphans (their reply is discarded). */
void	np_http_free(struct np_http *);
/* Stop accepting; close idle connections; answer in-flight requests with
 * Connection: close.  Poll np_http_active() until 0 (streams must be
 * ended by the application). */
void	np_http_drain(struct np_http *);
size_t	np_http_active(const struct np_http *);
void	np_http_get_stats(const struct np_http *, struct np_http_stats *);

/* Request accessors; strings live as long as the request. */
const char *np_http_method(const struct np_http_req *);
const char *np_http_path(const struct np_http_req *);	/* decoded, no query */
const char *np_http_query(const struct np_http_req *, const char *name);
const char *np_http_header(const struct np_http_req *, const char *name);
const char *np_http_param(const struct np_http_req *, int i);
const char *np_http_body(const struct np_http_req *, size_t *len);
const char *np_http_peer(const struct np_http_req *);	/* "ip:port" */

/* Reply header; names owned by the server (Content-Length, Connection,
 * Transfer-Encoding, Date) and values with CR/LF are refused (logged). */
void	np_http_add_header(struct np_http_req *, const char *name,
	    const char *value);
void	np_http_reply(struct np_http_req *, int status,
	    const char *content_type, const char *body, size_t len);
/* Steals the reference; application/json. */
void	np_http_reply_json(struct np_http_req *, int status, struct json_t *);
/* {"error":{"status":S,"code":"...","message":"...","field":"..."}};
 * field may be NULL (omitted). */
void	np_http_error(struct np_http_req *, int status, const char *code,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * Streaming (SSE): headers now (chunked for HTTP/1.1, close-delimited for
 * 1.0), then np_http_stream_write per chunk.  closecb runs from the event
 * loop when the client goes away (or the server is freed); the request is
 * invalid after it returns.  If the client had already gone when
 * stream_begin is called, closecb runs on the next loop turn.
 * stream_write returns -1 when the client is gone or more than 1 MiB is
 * waiting to be sent (end the stream then).  stream_end finishes the
 * reply and frees the request; closecb is not called after it.
 */
void	np_http_stream_begin(struct np_http_req *, int status,
	    const char *content_type,
	    void (*closecb)(struct np_http_req *, void *), void *arg);
int	np_http_stream_write(struct np_http_req *, const char *data,
	    size_t len);
void	np_http_stream_end(struct np_http_req *);

#endif
