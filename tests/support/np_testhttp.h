/*
 * np_testhttp: what the np_http suites share -- a server on a free
 * loopback port with a fixed route table, and a test client.
 *
 * One thread: the client sockets are non-blocking, and every wait pumps
 * the server's event loop (EVLOOP_NONBLOCK) and polls the socket until
 * the condition holds or NP_TESTHTTP_DEADLINE_MS passes.  The routes:
 *   GET /v1/hello             200 "hello" with an X-Test header
 *   POST /v1/echo             200, the request body
 *   GET|DELETE /v1/incidents/<id>
 *                             200 {"id", "q" (query), "path"}
 *   GET /v1/async             parked in np_th.held; the test answers it
 *   GET /v1/stream            a stream begun and parked in np_th.held;
 *                             its closecb counts np_th.closecb_calls
 */
#ifndef NP_TESTHTTP_H
#define NP_TESTHTTP_H

#include <check.h>
#include <stddef.h>

#include "np_http.h"
#include "np_time.h"

#define NP_TESTHTTP_DEADLINE_MS	5000

struct np_testhttp {
	struct event_base	*base;
	struct np_http		*srv;
	struct np_http_req	*held;
	int			 closecb_calls;
};
extern struct np_testhttp np_th;	/* the running server */

struct np_testcli {
	int	fd;
	char	buf[256 * 1024];
	size_t	len;
	int	eof;
};

struct np_testresp {
	int	status;
	char	head[4096];
	char	body[128 * 1024];
	size_t	body_len;
};

/* Start np_th on a new loop with conf (NULL: defaults; port set to 0). */
void	np_testhttp_start(struct np_http_conf *conf);
void	np_testhttp_stop(void);
/* One turn of the server's loop and of c's socket (c may be NULL). */
void	np_testhttp_turn(struct np_testcli *c);

/* Turn until cond holds; fails the test after the deadline. */
#define NP_TESTHTTP_WAIT_FOR(c, cond) do {				\
	int64_t dl_ = np_mono_ms() + NP_TESTHTTP_DEADLINE_MS;		\
	while (!(cond)) {						\
		ck_assert_msg(np_mono_ms() < dl_, "timed out: %s",	\
		    #cond);						\
		np_testhttp_turn(c);					\
	}								\
} while (0)

/* A connected, non-blocking client of np_th. */
void	np_testcli_open(struct np_testcli *c);
/* ... from source address src (e.g. "127.0.0.2"; NULL: any). */
void	np_testcli_open_from(struct np_testcli *c, const char *src);
void	np_testcli_close(struct np_testcli *c);
void	np_testcli_send(struct np_testcli *c, const char *s);
void	np_testcli_sendn(struct np_testcli *c, const char *s, size_t len);
/* Wait for one complete response and remove it from c->buf. */
void	np_testcli_response(struct np_testcli *c, struct np_testresp *r);

/* Value of a header in a response head, copied into out; 0: absent. */
int	np_testhttp_head_value(const char *head, const char *name, char *out,
	    size_t len);
/* Assert a JSON error body with the given status and code. */
void	np_testhttp_check_error(const struct np_testresp *r, int status,
	    const char *code);
/* Whether the response says Connection: close. */
int	np_testhttp_closes(const struct np_testresp *r);

#endif
