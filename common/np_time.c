/*
 * np_time: clocks (see np_time.h).
 */
#include <time.h>

#include "np_time.h"

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
np_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t
np_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

struct timeval
np_tv_ms(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}
