/*
 * np_time: the clocks every service reads.  Wall time (ms since the epoch)
 * stamps messages and timelines; monotonic time measures intervals and
 * deadlines that must not jump with the wall clock.
 */
#ifndef NP_TIME_H
#define NP_TIME_H

#include <stdint.h>
#include <sys/time.h>

int64_t		np_now_ms(void);	/* CLOCK_REALTIME, ms */
int64_t		np_mono_ms(void);	/* CLOCK_MONOTONIC, ms */
struct timeval	np_tv_ms(int64_t ms);	/* an interval for libevent */

#endif
