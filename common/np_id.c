/*
 * np_id: readable random identifiers (see np_id.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "np_id.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int
np_id_new(char *buf, size_t len, const char *prefix, int nrand)
{
	unsigned char rnd[16];
	struct tm tm;
	time_t now = time(NULL);
	size_t n;

	if (nrand < 1 || nrand > 16)
		return -1;
	if (getrandom(rnd, (size_t)nrand, 0) != (ssize_t)nrand)
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
