/*
 * np_http_int: what np_http.c (server and connections) and np_http_req.c
 * (requests, replies, streams) share.  Not for use outside np_http*.c.
 *
 * Connection states (np_http_conn.state):
 *   READING    parsing a request, or idle between keep-alive requests
 *   HANDLING   a handler owns conn->req; input is buffered, not parsed
 *   STREAMING  a stream reply is open; conn->req belongs to the app
 *   WRITING    a reply is queued; back to READING once it is written
 *   CLOSING    a last reply is queued; LINGER once it is written
 *   LINGER     write side shut; input discarded until EOF or timer
 */
#ifndef NP_HTTP_INT_H
#define NP_HTTP_INT_H

#include <sys/queue.h>

#include "np_http.h"
#include "np_http_parse.h"

#define NP_HTTP_MAX_PARAMS	8
#define NP_HTTP_STREAM_MAXBUF	(1024 * 1024)
#define NP_HTTP_ADDR_MAX	48	/* an IPv6 address, no port */

struct bufferevent;
struct evbuffer;
struct evconnlistener;
struct event;
struct np_http_src;

enum np_http_cstate {
	NP_HTTP_C_READING,
	NP_HTTP_C_HANDLING,
	NP_HTTP_C_STREAMING,
	NP_HTTP_C_WRITING,
	NP_HTTP_C_CLOSING,
	NP_HTTP_C_LINGER,
};

struct np_http_conn {
	TAILQ_ENTRY(np_http_conn) entry;
	struct np_http		*srv;
	struct bufferevent	*bev;
	struct event		*timer;
	struct np_http_parser	*parser;
	struct np_http_req	*req;	/* HANDLING, STREAMING */
	enum np_http_cstate	 state;
	int			 rejecting;	/* over a limit: error only */
	int			 eof;
	struct np_http_src	*src;	/* NULL while rejecting */
	char			 peer[64];
	char			 addr[NP_HTTP_ADDR_MAX];
};

struct np_http_req {
	struct np_http_conn	*conn;	/* NULL once the client is gone */
	struct event_base	*base;
	char			*head;	/* copy of the parser's head */
	struct np_http_hdr	*hdrs;
	size_t			 nhdrs;
	char			*path;
	char			*segbuf;
	char			**segs;
	size_t			 nsegs;
	const char		*params[NP_HTTP_MAX_PARAMS];
	int			 nparams;
	char			*query;	/* name\0value\0 ... */
	size_t			 nquery;
	char			*body;
	size_t			 body_len;
	struct evbuffer		*out_hdrs;
	char			 peer[64];
	int			 minor;
	int			 keep_alive;
	int			 head_only;
	int			 stream_chunked;
	int			 in_closecb;
	int			 closecb_pending;
	int			 ended;
	void			(*closecb)(struct np_http_req *, void *);
	void			*closearg;
};

TAILQ_HEAD(np_http_conns, np_http_conn);

struct np_http {
	struct event_base	*base;
	struct np_http_conf	 conf;
	const struct np_http_route *routes;
	size_t			 nroutes;
	void			*arg;
	struct evconnlistener	*lev;
	struct event		*retry;		/* accept back-off */
	struct np_http_conns	 conns;
	struct np_http_stats	 stats;
	int			 port;
	int			 draining;
	int			 nrejecting;
	struct np_http_src	**srcs;		/* np_http_limit.c */
	size_t			 nsrcs;
};

/* np_http.c: the connection's side of a reply. */
void	np_http_conn_replied(struct np_http_conn *, int status, int close);
void	np_http_conn_streaming(struct np_http_conn *, int status);

/* np_http_limit.c: per-source state (NULL if out of memory: no limit) */
struct np_http_src *np_http_src_get(struct np_http *, const char *addr);
int	np_http_src_full(const struct np_http *, const struct np_http_src *);
void	np_http_src_hold(struct np_http_src *, int delta);
/* 0: go on; else the seconds to wait (a token is taken when 0) */
int	np_http_src_take(struct np_http *, struct np_http_src *);
void	np_http_srcs_free(struct np_http *);

/* np_http_req.c */
/* 0, or -1 with *code and msg set (a 400 to send); NULL req on ENOMEM. */
int	np_http_req_new(struct np_http_conn *, struct np_http_parser *,
	    struct np_http_req **, const char **code, char *msg, size_t msglen);
void	np_http_req_free(struct np_http_req *);
/* 1 when the decoded path matches pattern (params are set). */
int	np_http_req_match(struct np_http_req *, const char *pattern);
/* Status line and headers; clen -1: chunked, -2: close-delimited. */
void	np_http_head_write(struct evbuffer *, int status, const char *ctype,
	    long long clen, int close, int keep_alive_10,
	    struct evbuffer *extra);
/* JSON error body (malloc'd, caller frees) or NULL. */
char	*np_http_error_body(int status, const char *code, const char *field,
	    const char *message, size_t *len);

#endif
