/*
 * test_np_bus: np_bus framing, PUB/SUB, PUSH/PULL and socket lifetimes
 * over real nanomsg sockets, ipc:// in a temporary directory and tcp:// on
 * free loopback ports (loop tests: _i == 0 is ipc, _i == 1 is tcp).
 * REQ/REP and SURVEYOR/RESPONDENT are in test_np_bus_rpc.c, nanocat as an
 * outside peer in test_np_bus_nanocat.c; the fixtures in np_testbus.h.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "np_bus.h"
#include "np_testbus.h"
#include "np_testloop.h"

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

	np_testbus_endpoint(ep, sizeof(ep), 0, "badpub");
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
	np_testbus_endpoint(ep, sizeof(ep), 1, NULL);
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

	np_testbus_endpoint(ep, sizeof(ep), _i, "events");
	ps.pub = np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	ck_assert_ptr_nonnull(ps.pub);
	for (i = 0; i < 3; i++) {
		subs[i] = np_sock_new(base, NP_SOCK_SUB, ep, 0, sub_got,
		    &ps.sub[i]);
		ck_assert_ptr_nonnull(subs[i]);
		ck_assert_int_eq(np_bus_subscribe(subs[i], ps.sub[i].prefix),
		    0);
	}
	ck_assert(np_testbus_repeat(base, pubsub_warm, &ps, pubsub_joined,
	    &ps, NP_TESTBUS_DEADLINE));

	/* Joined: now every frame must arrive, each only where subscribed. */
	for (i = 0; i < 3 * n; i++) {
		snprintf(json, sizeof(json), "{\"seq\":%d}", i);
		ck_assert_int_eq(np_bus_publish(ps.pub, topics[i % 3], json,
		    strlen(json)), 0);
	}
	ps.want[0] = ps.want[1] = n;
	ps.want[2] = 3 * n;
	ck_assert(np_test_run_until(base, pubsub_counted, &ps,
	    NP_TESTBUS_DEADLINE));
	/* Let stragglers in: a foreign frame would show up now. */
	np_test_run_until(base, np_test_never, NULL, 100);
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

	np_testbus_endpoint(a, sizeof(a), 0, "pub-a");
	np_testbus_endpoint(b, sizeof(b), 1, NULL);
	snprintf(both, sizeof(both), "%s, %s", a, b);
	tp.pub[0] = np_sock_new(base, NP_SOCK_PUB, a, 1, NULL, NULL);
	tp.pub[1] = np_sock_new(base, NP_SOCK_PUB, b, 1, NULL, NULL);
	sub = np_sock_new(base, NP_SOCK_SUB, both, 0, two_got, &tp);
	ck_assert_ptr_nonnull(tp.pub[0]);
	ck_assert_ptr_nonnull(tp.pub[1]);
	ck_assert_ptr_nonnull(sub);
	ck_assert_int_eq(np_bus_subscribe(sub, "from."), 0);
	ck_assert(np_testbus_repeat(base, two_publish, &tp, two_seen, &tp,
	    NP_TESTBUS_DEADLINE));
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

/* Condition: the first frame accepted (sending until then); idempotent. */
static int
push_first(void *arg)
{
	struct pipeline	*pl = arg;

	return pl->accepted > 0 || push_one(pl);
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

	np_testbus_endpoint(ep, sizeof(ep), _i, "positions");
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
	ck_assert(np_test_run_until(base, push_first, &pl,
	    NP_TESTBUS_DEADLINE));
	for (i = 0; i < 100000 && push_one(&pl); i++)
		;
	ck_assert_int_lt(i, 100000);
	np_sock_stats(pl.push, &st);
	ck_assert_int_gt(st.dropped, 1);
	ck_assert_int_eq(st.sent, pl.accepted);

	/* Reading again: everything accepted arrives. */
	ck_assert_int_eq(np_sock_watch(pull, 1), 0);
	ck_assert(np_test_run_until(base, pull_caught_up, &pl,
	    NP_TESTBUS_DEADLINE));
	np_sock_free(pull);
	np_sock_free(pl.push);
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

	np_testbus_endpoint(ep, sizeof(ep), 0, "selffree");
	pub = np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	sub = np_sock_new(base, NP_SOCK_SUB, ep, 0, sub_free_self, &got);
	ck_assert_ptr_nonnull(sub);
	ck_assert_int_eq(np_bus_subscribe(sub, ""), 0);
	/* Many frames queue up; the socket frees itself on the first one. */
	ck_assert(np_testbus_repeat(base, np_testbus_publish_incident, pub,
	    got_one, &got, NP_TESTBUS_DEADLINE));
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

	tc = np_testbus_tcase(s, "frames");
	tcase_add_test(tc, test_split_publish_and_endpoint_validate_input);
	tcase_add_test(tc, test_publish_refuses_bad_topics_and_oversized_frames);

	tc = np_testbus_tcase(s, "pubsub");
	tcase_add_loop_test(tc, test_subscribers_get_only_their_topic_prefixes,
	    0, 2);
	tcase_add_loop_test(tc,
	    test_push_back_pressure_is_eagain_and_loses_nothing, 0, 2);
	tcase_add_test(tc,
	    test_sockets_freed_in_their_callbacks_leave_the_loop_empty);
	tcase_add_test(tc,
	    test_sub_connects_to_a_comma_separated_endpoint_list);
	return s;
}

int
main(void)
{
	return np_test_run(np_bus_suite());
}
