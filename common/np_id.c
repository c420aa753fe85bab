/*
 * np_id: readable random identifiers (see np_id.h).
 *
 * The random bytes come from getrandom(2) a pool at a time, not one
 * system call per id; a forked child forgets the pool it inherited (so
 * parent and child never hand out the same bytes).  Single-threaded, as
 * every user is.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "np_id.h"

#define NP_ID_POOL	256

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static unsigned char pool[NP_ID_POOL];
static size_t pool_left;	/* unused bytes at the pool's end */
static int pool_atfork;		/* 1: the fork handler is set */

static void
pool_forget(void)
{
	pool_left = 0;
}

static int
random_bytes(unsigned char *out, size_t n)
{
	if (!pool_atfork) {
		if (pthread_atfork(NULL, NULL, pool_forget) != 0)
			return getrandom(out, n, 0) == (ssize_t)n ? 0 : -1;
		pool_atfork = 1;
	}
	if (pool_left < n) {
		if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
			return -1;
		pool_left = sizeof(pool);
	}
	memcpy(out, pool + sizeof(pool) - pool_left, n);
	memset(pool + sizeof(pool) - pool_left, 0, n);
	pool_left -= n;
	return 0;
}

int
np_id_new(char *buf, size_t len, const char *prefix, int nrand)
{
	unsigned char rnd[16];
	struct tm tm;
	time_t now = time(NULL);
	size_t n;

	if (nrand < 1 || nrand > 16)
		return -1;
	if (random_bytes(rnd, (size_t)nrand) == -1)
		return -1;
	gmtime_r(&now, &tm);
	n = (size_t)snprintf(buf, len, "%s-%04d%02d%02d-", prefix,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (n + (size_t)nrand + 1 > len)
		return -1;
	for (int i = 0; i < nrand; i++)
		buf[n++] = crockford[rnd[i] & 31];
	buf[n] = '\0';
	return 0;
}

int
np_id_valid(const char *s, size_t maxlen)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == ':' || *s == '-'))
			return 0;
	return n >= 1 && n <= maxlen;
}
