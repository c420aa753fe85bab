/*
 * np_testbus: what the np_bus suites share -- a temporary directory for
 * ipc:// endpoints (a Check unchecked fixture), endpoints of either
 * transport, a loop runner that repeats an action while it waits, and the
 * peers more than one suite talks to.
 *
 * nanomsg connects in the background, so nothing is assumed to be joined:
 * tests wait on the loop for a condition with a deadline, and publishers
 * repeat (np_testbus_repeat) until the first frame arrives.
 */
#ifndef NP_TESTBUS_H
#define NP_TESTBUS_H

#include <check.h>
#include <stddef.h>

struct event_base;

#define NP_TESTBUS_DEADLINE	10000	/* ms: generous, for sanitizer runs */

/* Fixture: make / remove (with what is in it) the ipc directory. */
void	np_testbus_setup(void);
void	np_testbus_teardown(void);
/* A test case named name, added to s, with that fixture. */
TCase	*np_testbus_tcase(Suite *s, const char *name);
/* An endpoint: ipc named name in the directory (tcp == 0) or a free port. */
void	np_testbus_endpoint(char *buf, size_t len, int tcp, const char *name);
/*
 * np_test_run_until(base, done, arg, ms), calling each(each_arg) every
 * 5 ms meanwhile (publish again, try to send ...); done's last value.
 */
int	np_testbus_repeat(struct event_base *base, void (*each)(void *),
	    void *each_arg, int (*done)(void *), void *arg, int ms);
/* REP handler: "re:" + request; "fail" fails; counts into *(int *)arg. */
char	*np_testbus_echo(const char *msg, size_t len, size_t *rlen,
	    void *arg);
/* An each: publish "incident.created {"id":"I-1"}" on the PUB socket. */
void	np_testbus_publish_incident(void *pub);

#endif
