/*
 * test_np_bus: np_bus over real nanomsg sockets, ipc:// in a temporary
 * directory and tcp:// on free loopback ports (loop tests: _i == 0 is ipc,
 * _i == 1 is tcp), plus nanocat as an outside peer.
 *
 * nanomsg connects in the background, so nothing is assumed to be joined:
 * tests poll the loop for a condition with a deadline (loop_until), and
 * publishers repeat until the first frame arrives before they count.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>

#include "np_bus.h"
#include "np_testloop.h"
#include "np_testredis.h"	/* np_test_free_port */

#define DEADLINE	10000	/* ms: generous, for loaded sanitizer runs */

static char tmpdir[64];

static void
tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/np_bus.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		abort();
	}
}

static void
tmp_teardown(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[sizeof(tmpdir) + sizeof(de->d_name) + 1];

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

/* An endpoint for this test: ipc in tmpdir (tcp == 0) or a free port. */
static void
endpoint(char *buf, size_t len, int tcp, const char *name)
{
	if (tcp)
		snprintf(buf, len, "tcp://127.0.0.1:%d", np_test_free_port());
	else
		ck_assert_int_eq(np_bus_endpoint(buf, len, tmpdir, name), 0);
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct each {
	void	(*fn)(void *);
	void	*arg;
};

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct each	*each = arg;

	if (each->fn != NULL)
		each->fn(each->arg);
}

/*
 * Run the loop until done(arg) holds or ms pass; every 5 ms call
 * each(each_arg) if given (publish again, try to send ...).
 */
static int
loop_until(struct event_base *base, int (*done)(void *), void *arg, int ms,
    void (*each)(void *), void *each_arg)
{
	struct each	 e = { each, each_arg };
	struct event	*ev;
	struct timeval	 tv = { 0, 5000 };
	int64_t		 end = now_ms() + ms;
	int		 ok;

	ev = event_new(base, -1, EV_PERSIST, tick, &e);
	event_add(ev, &tv);
	while (!(ok = done(arg)) && now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return ok;
}

static int
never(void *arg)
{
	return 0;
}

static int
int_at_least(void *arg)
{
	int	*p = arg;

	return p[0] >= p[1];	/* { count, target } */
}

/* Echo server for REQ/REP: "re:" + request. */
static char *
echo(const char *msg, size_t len, size_t *rlen, void *arg)
{
	char	*r = malloc(len + 3);
	int	*calls = arg;

	if (calls != NULL)
		(*calls)++;
	if (len == 4 && memcmp(msg, "fail", 4) == 0) {
		free(r);
		return NULL;
	}
	memcpy(r, "re:", 3);
	memcpy(r + 3, msg, len);
	*rlen = len + 3;
	return r;
}

/* ---- pure helpers ---------------------------------------------------- */

START_TEST(test_split_publish_and_endpoint_validate_input)
{
	const char	*t, *p;
	size_t		 tl, pl;
	char		 buf[256], big[200];

	ck_assert_int_eq(np_bus_split("incident.created {\"a\":1}", 24, &t,
	    &tl, &p, &pl), 0);
	ck_assert_int_eq(tl, 16);
	ck_assert(strncmp(t, "incident.created", tl) == 0);
	ck_assert_int_eq(pl, 7);
	ck_assert(strncmp(p, "{\"a\":1}", pl) == 0);
	ck_assert_int_eq(np_bus_split("x ", 2, &t, &tl, &p, &pl), 0);
	ck_assert_int_eq(pl, 0);
	ck_assert_int_eq(np_bus_split("nospace", 7, &t, &tl, &p, &pl), -1);
	ck_assert_int_eq(np_bus_split(" {}", 3, &t, &tl, &p, &pl), -1);

	ck_assert_int_eq(np_bus_endpoint(buf, sizeof(buf), "/run/np",
	    "positions"), 0);
	ck_assert_str_eq(buf, "ipc:///run/np/positions.ipc");
	ck_assert_int_eq(np_bus_endpoint(buf, sizeof(buf), "/run/np",
	    "tcp://127.0.0.1:7420"), 0);
	ck_assert_str_eq(buf, "tcp://127.0.0.1:7420");
	ck_assert_int_eq(np_bus_endpoint(buf, 10, "/run/np", "events"), -1);
	memset(big, 'd', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(np_bus_endpoint(buf, sizeof(buf), big, "e"), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

START_TEST(test_publish_refuses_bad_topics_and_oversized_frames)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*pub;
	struct np_sock_stats	 st;
	char			 ep[128], *huge;

	endpoint(ep, sizeof(ep), 0, "badpub");
	pub = np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	ck_assert_ptr_nonnull(pub);
	ck_assert_int_eq(np_bus_publish(pub, "has space", "{}", 2), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(np_bus_publish(pub, "", "{}", 2), -1);
	huge = calloc(1, NP_BUS_FRAME_MAX + 1);
	ck_assert_int_eq(np_bus_publish(pub, "t", huge, NP_BUS_FRAME_MAX), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(np_sock_send(pub, huge, NP_BUS_FRAME_MAX + 1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	free(huge);
	/* Nobody listens: PUB drops silently, the send still succeeds. */
	ck_assert_int_eq(np_bus_publish(pub, "t", "{}", 2), 0);
	np_sock_stats(pub, &st);
	ck_assert_int_eq(st.sent, 1);
	ck_assert_int_eq(st.errors, 4);
	/* A second bind to the same tcp port fails at once. */
	np_sock_free(pub);
	endpoint(ep, sizeof(ep), 1, NULL);
	pub = np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	ck_assert_ptr_nonnull(pub);
	ck_assert_ptr_null(np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL));
	np_sock_free(pub);
	event_base_free(base);
}
END_TEST

/* ---- PUB/SUB ---------------------------------------------------------- */

struct subscriber {
	const char	*prefix;
	int		 warm;		/* frames seen while joining */
	int		 counted;	/* phase-2 frames */
	int		 foreign;	/* frames outside the prefix */
	int		 lastseq;
	int		 disorder;
};

struct pubsub {
	struct np_sock		*pub;
	struct subscriber	 sub[3];
	int			 want[3];
};

static void
sub_got(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	struct subscriber	*sub = arg;
	const char		*t, *p;
	size_t			 tl, pl;
	int			 seq;

	ck_assert_int_eq(np_bus_split(msg, len, &t, &tl, &p, &pl), 0);
	if (tl < strlen(sub->prefix) ||
	    strncmp(t, sub->prefix, strlen(sub->prefix)) != 0)
		sub->foreign++;
	if (pl > 0 && sscanf(p, "{\"seq\":%d}", &seq) == 1) {
		if (sub->counted > 0 && seq <= sub->lastseq)
			sub->disorder++;
		sub->lastseq = seq;
		sub->counted++;
	} else
		sub->warm++;
}

static void
pubsub_warm(void *arg)
{
	struct pubsub	*ps = arg;

	np_bus_publish(ps->pub, "incident.created", "{}", 2);
	np_bus_publish(ps->pub, "unit.moved", "{}", 2);
}

static int
pubsub_joined(void *arg)
{
	struct pubsub	*ps = arg;

	return ps->sub[0].warm && ps->sub[1].warm && ps->sub[2].warm > 1;
}

static int
pubsub_counted(void *arg)
{
	struct pubsub	*ps = arg;

	for (int i = 0; i < 3; i++)
		if (ps->sub[i].counted < ps->want[i])
			return 0;
	return 1;
}

START_TEST(test_subscribers_get_only_their_topic_prefixes)
{
	static const char	*topics[] = { "incident.created",
	    "unit.moved", "alarm.raised" };
	struct event_base	*base = event_base_new();
	struct pubsub		 ps = { .sub = { { "incident." },
	    { "unit." }, { "" } } };
	struct np_sock		*subs[3];
	struct np_sock_stats	 st;
	char			 ep[128], json[64];
	int			 i, n = 100;

	endpoint(ep, sizeof(ep), _i, "events");
	ps.pub = np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	ck_assert_ptr_nonnull(ps.pub);
	for (i = 0; i < 3; i++) {
		subs[i] = np_sock_new(base, NP_SOCK_SUB, ep, 0, sub_got,
		    &ps.sub[i]);
		ck_assert_ptr_nonnull(subs[i]);
		ck_assert_int_eq(np_bus_subscribe(subs[i], ps.sub[i].prefix),
		    0);
	}
	ck_assert(loop_until(base, pubsub_joined, &ps, DEADLINE,
	    pubsub_warm, &ps));

	/* Joined: now every frame must arrive, each only where subscribed. */
	for (i = 0; i < 3 * n; i++) {
		snprintf(json, sizeof(json), "{\"seq\":%d}", i);
		ck_assert_int_eq(np_bus_publish(ps.pub, topics[i % 3], json,
		    strlen(json)), 0);
	}
	ps.want[0] = ps.want[1] = n;
	ps.want[2] = 3 * n;
	ck_assert(loop_until(base, pubsub_counted, &ps, DEADLINE, NULL,
	    NULL));
	/* Let stragglers in: a foreign frame would show up now. */
	loop_until(base, never, NULL, 100, NULL, NULL);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ps.sub[i].counted, ps.want[i]);
		ck_assert_int_eq(ps.sub[i].foreign, 0);
		ck_assert_int_eq(ps.sub[i].disorder, 0);
		np_sock_stats(subs[i], &st);
		ck_assert_int_eq(st.received,
		    ps.sub[i].counted + ps.sub[i].warm);
		np_sock_free(subs[i]);
	}
	np_sock_free(ps.pub);
	ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}
END_TEST

struct two_pubs {
	struct np_sock	*pub[2];
	int		 seen[2];
};

static void
two_got(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	struct two_pubs	*tp = arg;

	if (len > 6 && memcmp(msg, "from.a", 6) == 0)
		tp->seen[0]++;
	else if (len > 6 && memcmp(msg, "from.b", 6) == 0)
		tp->seen[1]++;
}

static void
two_publish(void *arg)
{
	struct two_pubs	*tp = arg;

	np_bus_publish(tp->pub[0], "from.a", "{}", 2);
	np_bus_publish(tp->pub[1], "from.b", "{}", 2);
}

static int
two_seen(void *arg)
{
	struct two_pubs	*tp = arg;

	return tp->seen[0] > 0 && tp->seen[1] > 0;
}

START_TEST(test_sub_connects_to_a_comma_separated_endpoint_list)
{
	struct event_base	*base = event_base_new();
	struct two_pubs		 tp = { 0 };
	struct np_sock		*sub;
	char			 a[128], b[128], both[300];

	endpoint(a, sizeof(a), 0, "pub-a");
	endpoint(b, sizeof(b), 1, NULL);
	snprintf(both, sizeof(both), "%s, %s", a, b);
	tp.pub[0] = np_sock_new(base, NP_SOCK_PUB, a, 1, NULL, NULL);
	tp.pub[1] = np_sock_new(base, NP_SOCK_PUB, b, 1, NULL, NULL);
	sub = np_sock_new(base, NP_SOCK_SUB, both, 0, two_got, &tp);
	ck_assert_ptr_nonnull(tp.pub[0]);
	ck_assert_ptr_nonnull(tp.pub[1]);
	ck_assert_ptr_nonnull(sub);
	ck_assert_int_eq(np_bus_subscribe(sub, "from."), 0);
	ck_assert(loop_until(base, two_seen, &tp, DEADLINE, two_publish,
	    &tp));
	np_sock_free(sub);
	np_sock_free(tp.pub[0]);
	np_sock_free(tp.pub[1]);
	event_base_free(base);
}
END_TEST

/* ---- PUSH/PULL -------------------------------------------------------- */

struct pipeline {
	struct np_sock	*push;
	char		 frame[4096];
	int		 accepted;
	int		 eagain;
	int		 received;
};

static void
pull_got(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	struct pipeline	*pl = arg;

	ck_assert_int_eq(len, sizeof(pl->frame));
	pl->received++;
}

static int
push_one(void *arg)
{
	struct pipeline	*pl = arg;

	if (np_sock_send(pl->push, pl->frame, sizeof(pl->frame)) == 0) {
		pl->accepted++;
		return 1;
	}
	ck_assert_int_eq(errno, EAGAIN);
	return 0;
}

static int
pull_caught_up(void *arg)
{
	struct pipeline	*pl = arg;

	return pl->received == pl->accepted;
}

START_TEST(test_push_back_pressure_is_eagain_and_loses_nothing)
{
	struct event_base	*base = event_base_new();
	struct pipeline		 pl = { 0 };
	struct np_sock		*pull;
	struct np_sock_stats	 st;
	char			 ep[128];
	int			 i;

	endpoint(ep, sizeof(ep), _i, "positions");
	pl.push = np_sock_new(base, NP_SOCK_PUSH, ep, 1, NULL, NULL);
	ck_assert_ptr_nonnull(pl.push);
	/* No receiver at all: refused at once, counted as dropped. */
	ck_assert_int_eq(np_sock_send(pl.push, "x", 1), -1);
	ck_assert_int_eq(errno, EAGAIN);
	np_sock_stats(pl.push, &st);
	ck_assert_int_eq(st.dropped, 1);
	ck_assert_int_eq(st.sent, 0);

	/* A receiver that does not read: the pipe fills up, then EAGAIN. */
	pull = np_sock_new(base, NP_SOCK_PULL, ep, 0, pull_got, &pl);
	ck_assert_ptr_nonnull(pull);
	ck_assert_int_eq(np_sock_watch(pull, 0), 0);
	ck_assert(loop_until(base, push_one, &pl, DEADLINE, NULL, NULL));
	for (i = 0; i < 100000 && push_one(&pl); i++)
		;
	ck_assert_int_lt(i, 100000);
	np_sock_stats(pl.push, &st);
	ck_assert_int_gt(st.dropped, 1);
	ck_assert_int_eq(st.sent, pl.accepted);

	/* Reading again: everything accepted arrives. */
	ck_assert_int_eq(np_sock_watch(pull, 1), 0);
	ck_assert(loop_until(base, pull_caught_up, &pl, DEADLINE, NULL,
	    NULL));
	np_sock_free(pull);
	np_sock_free(pl.push);
	event_base_free(base);
}
END_TEST

/* ---- REQ/REP ----------------------------------------------------------- */

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

	endpoint(ep, sizeof(ep), _i, "geo");
	rep = np_rep_new(base, ep, echo, &served);
	ck_assert_ptr_nonnull(rep);
	req = np_req_new(base, ep, 4);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(np_req_send(req, "post?", 5, DEADLINE, req_done, &c),
	    0);
	ck_assert(loop_until(base, call_done, &c, DEADLINE, NULL, NULL));
	ck_assert_int_eq(c.nulls, 0);
	ck_assert_str_eq(c.reply, "re:post?");
	ck_assert_int_eq(served, 1);
	/* A handler that fails is answered with the error frame. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(np_req_send(req, "fail", 4, DEADLINE, req_done, &c),
	    0);
	ck_assert(loop_until(base, call_done, &c, DEADLINE, NULL, NULL));
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

	endpoint(ep, sizeof(ep), _i, "queue");
	rep = np_rep_new(base, ep, echo, NULL);
	req = np_req_new(base, ep, 8);
	ck_assert_ptr_nonnull(rep);
	ck_assert_ptr_nonnull(req);
	for (i = 0; i < 9; i++) {
		c[i] = (struct call){ .order = order, .norder = &prog[0],
		    .id = i };
		snprintf(msg, sizeof(msg), "q%d", i);
		ck_assert_int_eq(np_req_send(req, msg, strlen(msg), DEADLINE,
		    req_done, &c[i]), 0);
	}
	/* One outstanding and eight waiting: the queue is full. */
	ck_assert_int_eq(np_req_send(req, "no", 2, DEADLINE, req_done, &extra),
	    -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert(loop_until(base, int_at_least, prog, DEADLINE, NULL, NULL));
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

	endpoint(ep, sizeof(ep), _i, "nobody");
	req = np_req_new(base, ep, 4);
	ck_assert_ptr_nonnull(req);
	t0 = now_ms();
	ck_assert_int_eq(np_req_send(req, "anyone?", 7, 100, req_done, &c), 0);
	ck_assert(loop_until(base, call_done, &c, DEADLINE, NULL, NULL));
	ck_assert_int_ge(now_ms() - t0, 90);
	ck_assert_int_eq(c.nulls, 1);
	/* Proving an absence: nothing more may come. */
	loop_until(base, never, NULL, 300, NULL, NULL);
	ck_assert_int_eq(c.calls, 1);
	np_req_stats(req, &st);
	ck_assert_int_eq(st.timeouts, 1);

	/* The server comes up later: nanomsg reconnects by itself. */
	rep = np_rep_new(base, ep, echo, NULL);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(np_req_send(req, "now?", 4, DEADLINE, req_done, &c2),
	    0);
	ck_assert(loop_until(base, call_done, &c2, DEADLINE, NULL, NULL));
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

	endpoint(ep, sizeof(ep), 0, "void");
	req = np_req_new(base, ep, 2);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(np_req_send(req, "x", 1, DEADLINE, req_done,
		    &c[i]), 0);
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
	endpoint(ep, sizeof(ep), _i, "many");
	rep = np_rep_new(base, ep, echo, &served);
	ck_assert_ptr_nonnull(rep);
	for (i = 0; i < CLIENTS; i++) {
		req[i] = np_req_new(base, ep, ROUNDS);
		ck_assert_ptr_nonnull(req[i]);
		for (j = 0; j < ROUNDS; j++) {
			c[i][j].order = order;
			c[i][j].norder = &done[0];
			snprintf(msg, sizeof(msg), "c%d-r%d", i, j);
			ck_assert_int_eq(np_req_send(req[i], msg, strlen(msg),
			    DEADLINE, req_done, &c[i][j]), 0);
		}
	}
	ck_assert(loop_until(base, int_at_least, done, DEADLINE, NULL, NULL));
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
	int64_t			 end = now_ms() + DEADLINE;

	endpoint(ep, sizeof(ep), _i, "health");
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
		ck_assert(loop_until(base, survey_over, &p, DEADLINE, NULL,
		    NULL));
		ck_assert_int_eq(p.done, 1);
		ck_assert_int_eq(p.reported, p.answers);
	} while (p.answers < 3 && now_ms() < end);
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

	endpoint(ep, sizeof(ep), _i, "lonely");
	sv = np_survey_new(base, ep, 100);
	ck_assert_ptr_nonnull(sv);
	t0 = now_ms();
	ck_assert_int_eq(np_survey_ask(sv, "status", survey_answer,
	    survey_done, &p), 0);
	ck_assert_int_eq(np_survey_ask(sv, "again", NULL, survey_done, &q), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert(loop_until(base, survey_over, &p, DEADLINE, NULL, NULL));
	ck_assert_int_ge(now_ms() - t0, 90);
	ck_assert_int_eq(p.reported, 0);
	/*
	 * Idle SURVEYOR: once nanomsg's own deadline (150% + 100 ms) has
	 * passed its RCVFD is readable for good; it must not be watched.
	 */
	loop_until(base, never, NULL, 400, NULL, NULL);
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

/* ---- nanocat as an outside peer ---------------------------------------- */

struct child {
	pid_t	pid;
	int	out;		/* its stdout, non-blocking */
	char	buf[4096];
	size_t	len;
};

static void
nanocat_start(struct child *ch, char *const argv[])
{
	int	fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ch->len = 0;
	ch->pid = fork();
	ck_assert_int_ge(ch->pid, 0);
	if (ch->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	ch->out = fds[0];
	fcntl(ch->out, F_SETFL, O_NONBLOCK);
}

static void
nanocat_stop(struct child *ch)
{
	kill(ch->pid, SIGTERM);
	waitpid(ch->pid, NULL, 0);
	close(ch->out);
}

/* Condition: the child printed a line (read without blocking). */
static int
nanocat_line(void *arg)
{
	struct child	*ch = arg;
	ssize_t		 n;

	n = read(ch->out, ch->buf + ch->len, sizeof(ch->buf) - 1 - ch->len);
	if (n > 0)
		ch->len += (size_t)n;
	ch->buf[ch->len] = '\0';
	return strchr(ch->buf, '\n') != NULL;
}

static void
publish_incident(void *arg)
{
	np_bus_publish(arg, "incident.created", "{\"id\":\"I-1\"}", 12);
}

START_TEST(test_nanocat_sub_receives_a_published_frame)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*pub;
	struct child		 ch;
	char			 ep[128];
	const char		*want = "incident.created {\"id\":\"I-1\"}\n";

	endpoint(ep, sizeof(ep), _i, "nanocat");
	pub = np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	ck_assert_ptr_nonnull(pub);
	nanocat_start(&ch, (char *[]){ "nanocat", "--sub", "--connect", ep,
	    "--subscribe", "incident.", "-A", NULL });
	ck_assert(loop_until(base, nanocat_line, &ch, DEADLINE,
	    publish_incident, pub));
	nanocat_stop(&ch);
	/* The first line; more frames may have followed it. */
	ck_assert_msg(strncmp(ch.buf, want, strlen(want)) == 0,
	    "nanocat printed: %s", ch.buf);
	np_sock_free(pub);
	event_base_free(base);
}
END_TEST

START_TEST(test_nanocat_req_gets_a_reply_from_rep)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*rep;
	struct child		 ch;
	char			 ep[128];

	endpoint(ep, sizeof(ep), _i, "nanocat-rep");
	rep = np_rep_new(base, ep, echo, NULL);
	ck_assert_ptr_nonnull(rep);
	nanocat_start(&ch, (char *[]){ "nanocat", "--req", "--connect", ep,
	    "-D", "ping", "-A", NULL });
	ck_assert(loop_until(base, nanocat_line, &ch, DEADLINE, NULL, NULL));
	nanocat_stop(&ch);
	ck_assert_str_eq(ch.buf, "re:ping\n");
	np_sock_free(rep);
	event_base_free(base);
}
END_TEST

/* ---- lifetimes ----------------------------------------------------------- */

static void
sub_free_self(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	(*(int *)arg)++;
	np_sock_free(s);
}

static int
got_one(void *arg)
{
	return *(int *)arg > 0;
}

START_TEST(test_sockets_freed_in_their_callbacks_leave_the_loop_empty)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*pub, *sub;
	char			 ep[128];
	int			 got = 0;

	endpoint(ep, sizeof(ep), 0, "selffree");
	pub = np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	sub = np_sock_new(base, NP_SOCK_SUB, ep, 0, sub_free_self, &got);
	ck_assert_ptr_nonnull(sub);
	ck_assert_int_eq(np_bus_subscribe(sub, ""), 0);
	/* Many frames queue up; the socket frees itself on the first one. */
	ck_assert(loop_until(base, got_one, &got, DEADLINE, publish_incident,
	    pub));
	ck_assert_int_eq(got, 1);
	np_sock_free(pub);
	/* Nothing left registered: the loop returns at once. */
	ck_assert_int_eq(event_base_loop(base, 0), 1);
	event_base_free(base);
}
END_TEST

static Suite *
np_bus_suite(void)
{
	Suite	*s = suite_create("np_bus");
	TCase	*tc;

	tc = tcase_create("frames");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_split_publish_and_endpoint_validate_input);
	tcase_add_test(tc, test_publish_refuses_bad_topics_and_oversized_frames);
	suite_add_tcase(s, tc);

	tc = tcase_create("pubsub");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, test_subscribers_get_only_their_topic_prefixes,
	    0, 2);
	tcase_add_loop_test(tc,
	    test_push_back_pressure_is_eagain_and_loses_nothing, 0, 2);
	tcase_add_test(tc,
	    test_sockets_freed_in_their_callbacks_leave_the_loop_empty);
	tcase_add_test(tc,
	    test_sub_connects_to_a_comma_separated_endpoint_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("reqrep");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, test_req_rep_round_trip, 0, 2);
	tcase_add_loop_test(tc, test_queued_requests_are_answered_in_order,
	    0, 2);
	tcase_add_loop_test(tc,
	    test_req_times_out_once_without_rep_then_reconnects, 0, 2);
	tcase_add_test(tc, test_req_free_calls_every_pending_cb_with_null);
	tcase_add_loop_test(tc, test_rep_answers_many_reqs, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("survey");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc,
	    test_survey_with_three_respondents_gets_three_answers, 0, 2);
	tcase_add_loop_test(tc,
	    test_survey_without_respondents_is_done_with_zero, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("nanocat");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, test_nanocat_sub_receives_a_published_frame,
	    0, 2);
	tcase_add_loop_test(tc, test_nanocat_req_gets_a_reply_from_rep, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(np_bus_suite());
}
