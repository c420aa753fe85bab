/*
 * np_httpc: a small non-blocking HTTP/1.1 client on libevent (np_conn:
 * one write per request, one read per readable pass, no bufferevent),
 * for programs that send many requests to our own services (npsim's
 * call load, its incident reads).
 *
 * One struct np_httpc is one keep-alive connection to host:port with up
 * to max_inflight requests pipelined on it; answers come back in order,
 * so the pending callbacks are a ring allocated once (no allocation per
 * request).  Responses are read by Content-Length only (what np_http
 * sends); chunked or unframed answers are an error.  A lost, refused or
 * timed-out connection fails every pending request (status 0) and the
 * next request connects again: the caller decides whether to retry
 * (intake's calls are idempotent by call_id).
 *
 * Why not evhttp's client: it allocates a request and a header list per
 * call and runs one request at a time per connection; a load driver at
 * 10,000 calls/s wants neither.
 *
 * Ownership: the caller frees with np_httpc_free (pending callbacks are
 * not called).  The body passed to a callback is valid only during the
 * call.  A callback may send new requests but must not free the client.
 */
#ifndef NP_HTTPC_H
#define NP_HTTPC_H

#include <stddef.h>

struct event_base;
struct np_httpc;

#define NP_HTTPC_HEAD_MAX	16384	/* status line + headers */
#define NP_HTTPC_BODY_MAX	(8 * 1024 * 1024)

/* status 0: no answer (connection failed or closed, timeout, bad reply). */
typedef void	np_httpc_cb(int status, const char *body, size_t len,
		    void *arg);

/*
 * host: a numeric address or a name (resolved once, here); NULL if it
 * cannot be resolved or out of memory.  timeout_ms: longest wait for
 * an answer while requests are pending.
 */
struct np_httpc	*np_httpc_new(struct event_base *, const char *host, int port,
		    int max_inflight, int timeout_ms);
void		 np_httpc_free(struct np_httpc *);
/* A header line ("Authorization: Bearer x", no CRLF) sent every time. */
int		 np_httpc_header(struct np_httpc *, const char *line);
/*
 * Queue a request; body may be NULL (a JSON body gets its
 * Content-Type).  0, or -1 when max_inflight are pending or the
 * connection cannot be started (cb is then not called).
 */
int		 np_httpc_request(struct np_httpc *, const char *method,
		    const char *path, const char *body, size_t len,
		    np_httpc_cb *cb, void *arg);
size_t		 np_httpc_inflight(const struct np_httpc *);

/*
 * Pure parts, also used by the tests.  "http://host[:port][/...]" ->
 * host and port (80 by default); 0, or -1 for anything else.
 */
int	np_httpc_url(const char *url, char *host, size_t hostlen, int *port);
/*
 * A response head (status line and headers, the final CRLF CRLF
 * included or not): status, Content-Length (-1 when absent) and whether
 * the server will close.  0, or -1 when malformed or chunked.
 */
int	np_httpc_parse_head(const char *head, size_t len, int *status,
	    long *content_length, int *close);

#endif
