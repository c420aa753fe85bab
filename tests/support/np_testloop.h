/*
 * np_testloop: what every Check suite shares -- running a suite to an exit
 * status, and waiting on the event loop for a condition with a deadline
 * (tests never sleep to synchronise).
 */
#ifndef NP_TESTLOOP_H
#define NP_TESTLOOP_H

#include <check.h>

struct event_base;

/* Run every test of s; the process exit status (0: all passed). */
int	np_test_run(Suite *s);

/*
 * Run base until cond(arg) holds or ms pass (the loop also wakes every
 * 20 ms to re-check); returns cond's last value.
 */
int	np_test_run_until(struct event_base *base, int (*cond)(void *),
	    void *arg, int ms);
/* A condition that never holds: np_test_run_until(b, np_test_never, ...)
 * runs the loop for a fixed time (to see that nothing more happens). */
int	np_test_never(void *arg);
/* Conditions on a struct np_redis *. */
int	np_test_redis_up(void *r);
int	np_test_redis_down(void *r);

#endif
