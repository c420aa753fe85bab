/*
 * test_np_bus_nanocat: nanocat (nanomsg's command-line tool) as an outside
 * peer of np_bus sockets, ipc:// and tcp:// (loop tests: _i == 0 is ipc,
 * _i == 1 is tcp): what we send is readable by any nanomsg program, and
 * what any of them sends is answered.  Fixtures in np_testbus.h.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "np_bus.h"
#include "np_testbus.h"
#include "np_testloop.h"

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

START_TEST(test_nanocat_sub_receives_a_published_frame)
{
	struct event_base	*base = event_base_new();
	struct np_sock		*pub;
	struct child		 ch;
	char			 ep[128];
	const char		*want = "incident.created {\"id\":\"I-1\"}\n";

	np_testbus_endpoint(ep, sizeof(ep), _i, "nanocat");
	pub = np_sock_new(base, NP_SOCK_PUB, ep, 1, NULL, NULL);
	ck_assert_ptr_nonnull(pub);
	nanocat_start(&ch, (char *[]){ "nanocat", "--sub", "--connect", ep,
	    "--subscribe", "incident.", "-A", NULL });
	ck_assert(np_testbus_repeat(base, np_testbus_publish_incident, pub,
	    nanocat_line, &ch, NP_TESTBUS_DEADLINE));
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

	np_testbus_endpoint(ep, sizeof(ep), _i, "nanocat-rep");
	rep = np_rep_new(base, ep, np_testbus_echo, NULL);
	ck_assert_ptr_nonnull(rep);
	nanocat_start(&ch, (char *[]){ "nanocat", "--req", "--connect", ep,
	    "-D", "ping", "-A", NULL });
	ck_assert(np_test_run_until(base, nanocat_line, &ch,
	    NP_TESTBUS_DEADLINE));
	nanocat_stop(&ch);
	ck_assert_str_eq(ch.buf, "re:ping\n");
	np_sock_free(rep);
	event_base_free(base);
}
END_TEST

static Suite *
np_bus_nanocat_suite(void)
{
	Suite	*s = suite_create("np_bus_nanocat");
	TCase	*tc;

	tc = np_testbus_tcase(s, "nanocat");
	tcase_add_loop_test(tc, test_nanocat_sub_receives_a_published_frame,
	    0, 2);
	tcase_add_loop_test(tc, test_nanocat_req_gets_a_reply_from_rep, 0, 2);
	return s;
}

int
main(void)
{
	return np_test_run(np_bus_nanocat_suite());
}
