/*
 * test_np_bus_rpc: np_bus request/reply (REQ/REP through np_req and
 * np_rep_new) and health surveys (SURVEYOR/RESPONDENT) over real nanomsg
 * sockets, ipc:// and tcp:// (loop tests: _i == 0 is ipc, _i == 1 is tcp);
 * the fixtures and the echo server are in np_testbus.h.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>

#include "np_bus.h"
#include "np_testbus.h"
#include "np_testloop.h"
#include "np_time.h"

/* ---- REQ/REP ----------------------------------------------------------- */

static int
int_at_least(void *arg)
{
	int	*p = arg;

	return p[0] >= p[1];	/* { count, target } */
}

struct call {
	int	 calls;
	int	 nulls;
	char	 reply[64];
	int	*order;		/* shared sequence log, or NULL */
	int	*norder;
	int	 id;
};

static void
req_done(const char *reply, size_t len, void *arg)
{
	struct call	*c = arg;

	c->calls++;
	if (reply == NULL)
		c->nulls++;
	else
		snprintf(c->reply, sizeof(c->reply), "%.*s", (int)len, reply);
	if (c->order != NULL)
		c->order[(*c->norder)++] = c->id;
}

static int
call_done(void *arg)
{
	return ((struct call *)arg)->calls > 0;
}

START_TEST(test_req_rep_round_trip)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*rep;
	struct np_req		*req;
	struct np_req_stats	 st;
	struct call		 c = { 0 };
	char			 ep[128];
	int			 served = 0, ivl = 0;
	size_t			 ivlsz = sizeof(ivl);

	np_testbus_endpoint(ep, sizeof(ep), _i, "geo");
	rep = np_rep_new(base, ep, np_testbus_echo, &served);
	ck_assert_ptr_nonnull(rep);
	req = np_req_new(base, ep, 4);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(np_req_send(req, "post?", 5, NP_TESTBUS_DEADLINE,
	    req_done, &c), 0);
	ck_assert(np_test_run_until(base, call_done, &c, NP_TESTBUS_DEADLINE));
	ck_assert_int_eq(c.nulls, 0);
	ck_assert_str_eq(c.reply, "re:post?");
	ck_assert_int_eq(served, 1);
	/* A handler that fails is answered with the error frame. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(np_req_send(req, "fail", 4, NP_TESTBUS_DEADLINE,
	    req_done, &c), 0);
	ck_assert(np_test_run_until(base, call_done, &c, NP_TESTBUS_DEADLINE));
	ck_assert_str_eq(c.reply, NP_REP_ERROR);
	np_req_stats(req, &st);
	ck_assert_int_eq(st.requests, 2);
	ck_assert_int_eq(st.replies, 2);
	ck_assert_int_eq(st.queued, 0);
	/* nanomsg must not re-send a request before np_req gives up on it. */
	ck_assert_int_eq(nn_getsockopt(np_sock_fd(np_req_sock(req)), NN_REQ,
	    NN_REQ_RESEND_IVL, &ivl, &ivlsz), 0);
	ck_assert_int_gt(ivl, NP_REQ_TIMEOUT_MAX);
	np_req_free(req);
	np_sock_free(rep);
	event_base_free(base);
}
END_TEST

START_TEST(test_queued_requests_are_answered_in_order)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*rep;
	struct np_req		*req;
	struct call		 c[9], extra = { 0 };
	int			 order[9], prog[2] = { 0, 9 };
	char			 ep[128], msg[16];
	int			 i;

	np_testbus_endpoint(ep, sizeof(ep), _i, "queue");
	rep = np_rep_new(base, ep, np_testbus_echo, NULL);
	req = np_req_new(base, ep, 8);
	ck_assert_ptr_nonnull(rep);
	ck_assert_ptr_nonnull(req);
	for (i = 0; i < 9; i++) {
		c[i] = (struct call){ .order = order, .norder = &prog[0],
		    .id = i };
		snprintf(msg, sizeof(msg), "q%d", i);
		ck_assert_int_eq(np_req_send(req, msg, strlen(msg),
		    NP_TESTBUS_DEADLINE, req_done, &c[i]), 0);
	}
	/* One outstanding and eight waiting: the queue is full. */
	ck_assert_int_eq(np_req_send(req, "no", 2, NP_TESTBUS_DEADLINE,
	    req_done, &extra), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(np_test_run_until(base, int_at_least, prog,
	    NP_TESTBUS_DEADLINE));
	for (i = 0; i < 9; i++) {
		snprintf(msg, sizeof(msg), "re:q%d", i);
		ck_assert_int_eq(order[i], i);
		ck_assert_str_eq(c[i].reply, msg);
		ck_assert_int_eq(c[i].calls, 1);
	}
	ck_assert_int_eq(extra.calls, 0);
	np_req_free(req);
	np_sock_free(rep);
	event_base_free(base);
}
END_TEST

START_TEST(test_req_times_out_once_without_rep_then_reconnects)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*rep;
	struct np_req		*req;
	struct np_req_stats	 st;
	struct call		 c = { 0 }, c2 = { 0 };
	char			 ep[128];
	int64_t			 t0;

	np_testbus_endpoint(ep, sizeof(ep), _i, "nobody");
	req = np_req_new(base, ep, 4);
	ck_assert_ptr_nonnull(req);
	t0 = np_mono_ms();
	ck_assert_int_eq(np_req_send(req, "anyone?", 7, 100, req_done, &c), 0);
	ck_assert(np_test_run_until(base, call_done, &c, NP_TESTBUS_DEADLINE));
	ck_assert_int_ge(np_mono_ms() - t0, 90);
	ck_assert_int_eq(c.nulls, 1);
	/* Proving an absence: nothing more may come. */
	np_test_run_until(base, np_test_never, NULL, 300);
	ck_assert_int_eq(c.calls, 1);
	np_req_stats(req, &st);
	ck_assert_int_eq(st.timeouts, 1);

	/* The server comes up later: nanomsg reconnects by itself. */
	rep = np_rep_new(base, ep, np_testbus_echo, NULL);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(np_req_send(req, "now?", 4, NP_TESTBUS_DEADLINE,
	    req_done, &c2), 0);
	ck_assert(np_test_run_until(base, call_done, &c2,
	    NP_TESTBUS_DEADLINE));
	ck_assert_str_eq(c2.reply, "re:now?");
	ck_assert_int_eq(c.calls, 1);
	np_req_free(req);
	np_sock_free(rep);
	event_base_free(base);
}
END_TEST

START_TEST(test_req_free_calls_every_pending_cb_with_null)
{
	struct event_base	*base = event_base_new();
	struct np_req		*req;
	struct call		 c[3] = { { 0 } };
	char			 ep[128];
	int			 i;

	np_testbus_endpoint(ep, sizeof(ep), 0, "void");
	req = np_req_new(base, ep, 2);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(np_req_send(req, "x", 1, NP_TESTBUS_DEADLINE,
		    req_done, &c[i]), 0);
	np_req_free(req);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(c[i].calls, 1);
		ck_assert_int_eq(c[i].nulls, 1);
	}
	ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}
END_TEST

#define CLIENTS	20
#define ROUNDS	5

START_TEST(test_rep_answers_many_reqs)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*rep;
	struct np_req		*req[CLIENTS];
	struct call		 c[CLIENTS][ROUNDS];
	char			 ep[128], msg[32];
	int			 i, j, done[2] = { 0, CLIENTS * ROUNDS };
	int			 order[CLIENTS * ROUNDS], served = 0;

	memset(c, 0, sizeof(c));
	np_testbus_endpoint(ep, sizeof(ep), _i, "many");
	rep = np_rep_new(base, ep, np_testbus_echo, &served);
	ck_assert_ptr_nonnull(rep);
	for (i = 0; i < CLIENTS; i++) {
		req[i] = np_req_new(base, ep, ROUNDS);
		ck_assert_ptr_nonnull(req[i]);
		for (j = 0; j < ROUNDS; j++) {
			c[i][j].order = order;
			c[i][j].norder = &done[0];
			snprintf(msg, sizeof(msg), "c%d-r%d", i, j);
			ck_assert_int_eq(np_req_send(req[i], msg, strlen(msg),
			    NP_TESTBUS_DEADLINE, req_done, &c[i][j]), 0);
		}
	}
	ck_assert(np_test_run_until(base, int_at_least, done,
	    NP_TESTBUS_DEADLINE));
	for (i = 0; i < CLIENTS; i++) {
		for (j = 0; j < ROUNDS; j++) {
			snprintf(msg, sizeof(msg), "re:c%d-r%d", i, j);
			ck_assert_str_eq(c[i][j].reply, msg);
		}
		np_req_free(req[i]);
	}
	ck_assert_int_eq(served, CLIENTS * ROUNDS);
	np_sock_free(rep);
	event_base_free(base);
}
END_TEST

/* ---- SURVEYOR/RESPONDENT ----------------------------------------------- */

struct poll {
	int	answers;	/* by on_answer */
	int	done;		/* on_done calls */
	int	reported;	/* on_done's count */
	char	seen[4];
};

static char *
status(const char *msg, size_t len, size_t *rlen, void *arg)
{
	char	*r = malloc(64);

	*rlen = (size_t)snprintf(r, 64, "{\"name\":\"r%d\",\"ok\":true}",
	    *(int *)arg);
	return r;
}

static void
survey_answer(const char *msg, size_t len, void *arg)
{
	struct poll	*p = arg;
	int		 n;

	p->answers++;
	if (sscanf(msg, "{\"name\":\"r%d\"", &n) == 1 && n >= 0 && n < 4)
		p->seen[n]++;
}

static void
survey_done(int answers, void *arg)
{
	struct poll	*p = arg;

	p->done++;
	p->reported = answers;
}

static int
survey_over(void *arg)
{
	return ((struct poll *)arg)->done > 0;
}

START_TEST(test_survey_with_three_respondents_gets_three_answers)
{
	struct event_base	*base = event_base_new();
	struct np_survey	*sv;
	struct np_sock		*resp[3];
	struct poll		 p;
	char			 ep[128];
	int			 i, ids[3] = { 0, 1, 2 };
	int64_t			 end = np_mono_ms() + NP_TESTBUS_DEADLINE;

	np_testbus_endpoint(ep, sizeof(ep), _i, "health");
	sv = np_survey_new(base, ep, 200);
	ck_assert_ptr_nonnull(sv);
	for (i = 0; i < 3; i++) {
		resp[i] = np_respondent_new(base, ep, status, &ids[i]);
		ck_assert_ptr_nonnull(resp[i]);
	}
	/* Respondents join in the background: ask until all three answer. */
	do {
		memset(&p, 0, sizeof(p));
		ck_assert_int_eq(np_survey_ask(sv, "status", survey_answer,
		    survey_done, &p), 0);
		ck_assert(np_test_run_until(base, survey_over, &p,
		    NP_TESTBUS_DEADLINE));
		ck_assert_int_eq(p.done, 1);
		ck_assert_int_eq(p.reported, p.answers);
	} while (p.answers < 3 && np_mono_ms() < end);
	ck_assert_int_eq(p.answers, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(p.seen[i], 1);
	for (i = 0; i < 3; i++)
		np_sock_free(resp[i]);
	np_survey_free(sv);
	event_base_free(base);
}
END_TEST

START_TEST(test_survey_without_respondents_is_done_with_zero)
{
	struct event_base	*base = event_base_new();
	struct np_survey	*sv;
	struct np_sock_stats	 st;
	struct poll		 p = { 0 }, q = { 0 };
	char			 ep[128];
	int64_t			 t0;

	np_testbus_endpoint(ep, sizeof(ep), _i, "lonely");
	sv = np_survey_new(base, ep, 100);
	ck_assert_ptr_nonnull(sv);
	t0 = np_mono_ms();
	ck_assert_int_eq(np_survey_ask(sv, "status", survey_answer,
	    survey_done, &p), 0);
	ck_assert_int_eq(np_survey_ask(sv, "again", NULL, survey_done, &q), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert(np_test_run_until(base, survey_over, &p,
	    NP_TESTBUS_DEADLINE));
	ck_assert_int_ge(np_mono_ms() - t0, 90);
	ck_assert_int_eq(p.reported, 0);
	/*
	 * Idle SURVEYOR: once nanomsg's own deadline (150% + 100 ms) has
	 * passed its RCVFD is readable for good; it must not be watched.
	 */
	np_test_run_until(base, np_test_never, NULL, 400);
	np_sock_stats(np_survey_sock(sv), &st);
	ck_assert_int_eq(st.errors, 0);
	ck_assert_int_eq(p.done, 1);
	ck_assert_int_eq(q.done, 0);
	/* Freed mid-survey: on_done says cancelled. */
	ck_assert_int_eq(np_survey_ask(sv, "status", NULL, survey_done, &q),
	    0);
	np_survey_free(sv);
	ck_assert_int_eq(q.done, 1);
	ck_assert_int_eq(q.reported, -1);
	ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}
END_TEST

static Suite *
np_bus_rpc_suite(void)
{
	Suite	*s = suite_create("np_bus_rpc");
	TCase	*tc;

	tc = np_testbus_tcase(s, "reqrep");
	tcase_add_loop_test(tc, test_req_rep_round_trip, 0, 2);
	tcase_add_loop_test(tc, test_queued_requests_are_answered_in_order,
	    0, 2);
	tcase_add_loop_test(tc,
	    test_req_times_out_once_without_rep_then_reconnects, 0, 2);
	tcase_add_test(tc, test_req_free_calls_every_pending_cb_with_null);
	tcase_add_loop_test(tc, test_rep_answers_many_reqs, 0, 2);

	tc = np_testbus_tcase(s, "survey");
	tcase_add_loop_test(tc,
	    test_survey_with_three_respondents_gets_three_answers, 0, 2);
	tcase_add_loop_test(tc,
	    test_survey_without_respondents_is_done_with_zero, 0, 2);
	return s;
}

int
main(void)
{
	return np_test_run(np_bus_rpc_suite());
}
