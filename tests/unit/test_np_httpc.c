/*
 * test_np_httpc: npsim's client side over real loopback sockets -- the
 * HTTP client (np_httpc) against the np_http test server (pipelined
 * answers in order, a body bigger than the first read buffer, the
 * in-flight limit, a refused connection failing its request from the
 * loop) and the connection under it (np_conn: lines split over reads,
 * one write out, end of file, an over-long input).
 */
#include <check.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "np_conn.h"
#include "np_httpc.h"
#include "np_testhttp.h"
#include "np_testloop.h"

#define N_REQ	20
#define BIG	40000

struct answers {
	int	n;
	int	status[N_REQ + 1];
	size_t	len[N_REQ + 1];
	char	first[N_REQ + 1][16];
};

static void
on_answer(int status, const char *body, size_t len, void *arg)
{
	struct answers *a = arg;

	if (a->n > N_REQ)
		return;
	a->status[a->n] = status;
	a->len[a->n] = len;
	if (len > 0)
		memcpy(a->first[a->n], body, len < 15 ? len : 15);
	a->n++;
}

static int
all_in(void *arg)
{
	return ((struct answers *)arg)->n >= N_REQ;
}

static int
one_in(void *arg)
{
	return ((struct answers *)arg)->n >= 1;
}

START_TEST(pipelined_answers_come_in_order)
{
	static char big[BIG];
	struct answers a;
	struct np_httpc *c;
	char body[32];

	memset(&a, 0, sizeof(a));
	memset(big, 'x', sizeof(big));
	np_testhttp_start(NULL);
	c = np_httpc_new(np_th.base, "127.0.0.1", np_http_port(np_th.srv),
	    N_REQ, 5000);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(np_httpc_header(c, "X-A: b"), 0);
	for (int i = 0; i < N_REQ - 1; i++) {
		snprintf(body, sizeof(body), "{\"i\":%d}", i);
		ck_assert_int_eq(i % 2 == 0 ? np_httpc_request(c, "GET",
		    "/v1/hello", NULL, 0, on_answer, &a) : np_httpc_request(c,
		    "POST", "/v1/echo", body, strlen(body), on_answer, &a), 0);
	}
	ck_assert_int_eq(np_httpc_request(c, "POST", "/v1/echo", big, BIG,
	    on_answer, &a), 0);
	ck_assert_int_eq(np_httpc_inflight(c), N_REQ);
	ck_assert_int_eq(np_httpc_request(c, "GET", "/v1/hello", NULL, 0,
	    on_answer, &a), -1);		/* the ring is full */
	ck_assert(np_test_run_until(np_th.base, all_in, &a, 5000));
	for (int i = 0; i < N_REQ - 1; i++) {
		ck_assert_int_eq(a.status[i], 200);
		snprintf(body, sizeof(body), "{\"i\":%d}", i);
		ck_assert_str_eq(a.first[i], i % 2 == 0 ? "hello" : body);
	}
	ck_assert_int_eq(a.status[N_REQ - 1], 200);
	ck_assert_uint_eq(a.len[N_REQ - 1], BIG);
	ck_assert_int_eq(np_httpc_inflight(c), 0);
	np_httpc_free(c);
	np_testhttp_stop();
}
END_TEST

/* A loopback port that nobody listens on (bound, then closed). */
static int
free_port(int *listener, int listen_too)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	if (listen_too) {
		ck_assert_int_eq(listen(fd, 4), 0);
		*listener = fd;
	} else
		close(fd);
	return ntohs(sa.sin_port);
}

START_TEST(a_refused_connection_fails_from_the_loop)
{
	struct event_base *base = event_base_new();
	struct answers a;
	struct np_httpc *c;

	memset(&a, 0, sizeof(a));
	c = np_httpc_new(base, "127.0.0.1", free_port(NULL, 0), 4, 5000);
	ck_assert_int_eq(np_httpc_request(c, "GET", "/", NULL, 0, on_answer,
	    &a), 0);
	ck_assert_int_eq(a.n, 0);		/* not from inside the call */
	ck_assert(np_test_run_until(base, one_in, &a, 5000));
	ck_assert_int_eq(a.status[0], 0);
	ck_assert_int_eq(np_httpc_inflight(c), 0);
	np_httpc_free(c);
	event_base_free(base);
}
END_TEST

struct lines {
	char	got[4][16];
	int	n;
	int	what[4];
	int	nwhat;
};

static size_t
on_lines(struct np_conn *c, char *buf, size_t len, void *arg)
{
	struct lines *l = arg;
	char *p = buf, *nl;

	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		if (l->n < 4)
			snprintf(l->got[l->n++], sizeof(l->got[0]), "%.*s",
			    (int)(nl - p - (nl > p && nl[-1] == '\r')), p);
		p = nl + 1;
	}
	np_conn_add(c, "ok\r\n", 4);
	np_conn_flush(c);
	return (size_t)(p - buf);
}

static void
on_what(struct np_conn *c, enum np_conn_what what, void *arg)
{
	struct lines *l = arg;

	if (l->nwhat < 4)
		l->what[l->nwhat++] = (int)what;
}

static int
connected(void *arg)
{
	return ((struct lines *)arg)->nwhat >= 1;
}

static int
got_one(void *arg)
{
	return ((struct lines *)arg)->n >= 1;
}

static int
got_two(void *arg)
{
	return ((struct lines *)arg)->n >= 2;
}

static int
ended(void *arg)
{
	struct lines *l = arg;

	return l->nwhat >= 2;
}

/* An np_conn (in_max bytes of input) connected to a listener of ours. */
struct fx {
	struct event_base	*base;
	struct np_conn		 c;
	struct lines		 l;
	int			 listener, fd;	/* fd: the server's side */
};

static void
fx_start(struct fx *f, size_t in_max)
{
	struct sockaddr_in sa;
	int port;

	memset(f, 0, sizeof(*f));
	f->base = event_base_new();
	port = free_port(&f->listener, 1);
	np_conn_init(&f->c, f->base, in_max, 1024, on_lines, on_what, &f->l);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(np_conn_connect(&f->c, (struct sockaddr *)&sa,
	    sizeof(sa)), 0);
	ck_assert_int_ge(f->fd = accept(f->listener, NULL, NULL), 0);
	ck_assert(np_test_run_until(f->base, connected, &f->l, 5000));
	ck_assert_int_eq(f->l.what[0], NP_CONN_CONNECTED);
}

/* The server side closed (or not), until the connection ended as what. */
static void
fx_end(struct fx *f, enum np_conn_what what)
{
	if (f->fd != -1)
		close(f->fd);
	ck_assert(np_test_run_until(f->base, ended, &f->l, 5000));
	ck_assert_int_eq(f->l.what[1], what);
	ck_assert(!np_conn_is_open(&f->c));
	np_conn_free(&f->c);
	close(f->listener);
	event_base_free(f->base);
}

START_TEST(lines_split_over_reads_and_one_answer_each)
{
	struct fx f;
	char buf[64];

	fx_start(&f, 1024);
	ck_assert_int_eq(write(f.fd, "ab\r\ncd", 6), 6);
	ck_assert(np_test_run_until(f.base, got_one, &f.l, 5000));
	ck_assert_int_eq(write(f.fd, "e\n", 2), 2);	/* "cd" waited */
	ck_assert(np_test_run_until(f.base, got_two, &f.l, 5000));
	ck_assert_str_eq(f.l.got[0], "ab");
	ck_assert_str_eq(f.l.got[1], "cde");
	ck_assert_int_eq(read(f.fd, buf, sizeof(buf)), 8);	/* 2 x ok */
	fx_end(&f, NP_CONN_EOF);
}
END_TEST

START_TEST(input_over_the_limit_ends_the_connection)
{
	struct fx f;
	char junk[300];

	memset(junk, 'z', sizeof(junk));
	fx_start(&f, 128);
	ck_assert_int_eq(write(f.fd, junk, sizeof(junk)), (int)sizeof(junk));
	ck_assert(np_test_run_until(f.base, ended, &f.l, 5000));
	close(f.fd);
	f.fd = -1;
	fx_end(&f, NP_CONN_TOOLONG);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("np_httpc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, pipelined_answers_come_in_order);
	tcase_add_test(tc, a_refused_connection_fails_from_the_loop);
	tcase_add_test(tc, lines_split_over_reads_and_one_answer_each);
	tcase_add_test(tc, input_over_the_limit_ends_the_connection);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
