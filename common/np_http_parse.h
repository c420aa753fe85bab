/*
 * np_http_parse: a pure, incremental HTTP/1.x request parser (no I/O).
 *
 * The server feeds whatever bytes arrived; the parser copies the request
 * line and headers into one buffer of max_header_bytes (allocated once per
 * parser, reused for every request of a connection) and the body into a
 * buffer that grows up to max_body_bytes.  Every size is checked before a
 * byte is stored, so a peer can never make it allocate more than the
 * limits say.  Framing follows RFC 9112 strictly where laxness would allow
 * request smuggling: Content-Length and Transfer-Encoding together, a
 * transfer coding other than a single final "chunked", differing
 * Content-Length values, whitespace before the colon and obs-fold are all
 * errors.  An error names the status to answer with, a short code for the
 * JSON body and a message that says what was wrong; after an error the
 * connection must be closed (the parser stays in its error state).
 *
 * Percent-decoding of the path and the query is declared here too (it is
 * pure, in np_http_req.c) and is fuzzed together with the parser.
 */
#ifndef NP_HTTP_PARSE_H
#define NP_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct np_http_parse_limits {
	size_t	max_header_bytes;	/* request line + headers -> 431 */
	size_t	max_headers;		/* header lines -> 431 */
	size_t	max_body_bytes;		/* decoded body -> 413 */
	size_t	max_uri_bytes;		/* request target -> 414 */
};

enum np_http_parse_status {
	NP_HTTP_PARSE_MORE,	/* all input used, request incomplete */
	NP_HTTP_PARSE_HEAD,	/* headers complete, a body follows */
	NP_HTTP_PARSE_DONE,	/* request complete (input may remain) */
	NP_HTTP_PARSE_ERROR,	/* see np_http_parser_error() */
};

/* Offsets into np_http_msg.head of NUL-terminated strings. */
struct np_http_hdr {
	uint32_t	name;
	uint32_t	value;
};

/*
 * The parsed request, valid after HEAD (all but the body) or DONE, until
 * the next np_http_parser_reset.  head holds NUL-separated strings that
 * the offsets point into; head_len bytes of it are in use.
 */
struct np_http_msg {
	const char		*head;
	size_t			 head_len;
	uint32_t		 method;	/* offset of the method */
	uint32_t		 target;	/* offset of the request target */
	int			 minor;		/* HTTP/1.<minor> */
	const struct np_http_hdr *hdrs;
	size_t			 nhdrs;
	char			*body;		/* NUL-terminated, may be NULL */
	size_t			 body_len;
	uint64_t		 content_length;
	int			 chunked;
	int			 keep_alive;	/* from version and Connection */
	int			 expect_continue;
};

struct np_http_parse_error {
	int		 status;	/* 400, 413, 414, 417, 431, 501, 505 */
	const char	*code;		/* "bad_request_line", ... (static) */
	char		 message[160];
};

struct np_http_parser;

/* Limits of 0 take the defaults (8192, 64, 65536, 2048). NULL on ENOMEM. */
struct np_http_parser	*np_http_parser_new(const struct np_http_parse_limits *);
void	np_http_parser_free(struct np_http_parser *);
/* Forget the current request (keeps the buffers) for the next one. */
void	np_http_parser_reset(struct np_http_parser *);
/*
 * Consume up to len bytes; *used says how many.  HEAD and DONE stop
 * early: feed the rest again (after HEAD the body, after DONE the next
 * pipelined request, once reset).  Feeding after DONE or ERROR uses
 * nothing and returns the same status.
 */
enum np_http_parse_status np_http_parser_feed(struct np_http_parser *,
	    const char *buf, size_t len, size_t *used);
/* 1 once any byte of the current request (not leading CRLFs) arrived. */
int	np_http_parser_started(const struct np_http_parser *);
const struct np_http_msg *np_http_parser_msg(const struct np_http_parser *);
const struct np_http_parse_error *np_http_parser_error(
	    const struct np_http_parser *);
/* Hand the body over: the caller frees it; the parser forgets it. */
char	*np_http_parser_take_body(struct np_http_parser *, size_t *len);

/* Header value by case-insensitive name (first occurrence), or NULL. */
const char *np_http_msg_header(const struct np_http_msg *, const char *name);

/* The value of hex digit c, or -1. */
int	np_http_hexval(unsigned char c);

/*
 * Percent-decode len bytes of src into dst (room for len + 1 bytes), NUL
 * terminated; plus_space turns '+' into ' ' (query strings).  Returns the
 * decoded length, or -1 on a bad escape or an encoded NUL.
 */
long	np_http_pct_decode(char *dst, const char *src, size_t len,
	    int plus_space);

#endif
