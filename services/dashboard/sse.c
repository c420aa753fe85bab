/*
 * sse.c: Server-Sent Events framing (pure).  A bus frame's payload is
 * compact JSON on one line, but nothing on the bus is trusted: a payload
 * with line breaks becomes several "data:" lines, which an EventSource
 * joins back with "\n", so a frame can never inject a field or end the
 * event early.
 */
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"

static int
topic_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (t[i] == '\r' || t[i] == '\n' || t[i] == ' ' ||
		    t[i] == '\0')
			return 0;
	return 1;
}

char *
dash_sse_frame(const char *topic, size_t tlen, const char *data,
    size_t dlen, size_t *outlen)
{
	size_t i, lines = 1, cap, n = 0;
	char *out;

	if (!topic_ok(topic, tlen))
		return NULL;
	for (i = 0; i < dlen; i++)
		if (data[i] == '\n' || data[i] == '\r')
			lines++;
	cap = strlen("event: \n") + tlen + lines * strlen("data: \n") +
	    dlen + 2;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	memcpy(out, "event: ", 7);
	n = 7;
	memcpy(out + n, topic, tlen);
	n += tlen;
	memcpy(out + n, "\ndata: ", 7);
	n += 7;
	for (i = 0; i < dlen; i++) {
		if (data[i] == '\r' && i + 1 < dlen && data[i + 1] == '\n')
			continue;	/* CRLF: one break */
		if (data[i] == '\n' || data[i] == '\r') {
			memcpy(out + n, "\ndata: ", 7);
			n += 7;
		} else
			out[n++] = data[i] == '\0' ? ' ' : data[i];
	}
	out[n++] = '\n';
	out[n++] = '\n';
	out[n] = '\0';
	*outlen = n;
	return out;
}
