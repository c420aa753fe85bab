/*
 * np_stream: XADD and reading an entry (see np_stream.h).  The consumer
 * group reader is np_consumer.c (reading) and np_consumer_ack.c (the
 * in-flight set and acks).
 */
#include <stdio.h>
#include <string.h>

#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"

const char *
np_stream_entry_get(const struct np_stream_entry *e, const char *name,
    size_t *len)
{
	size_t i;

	for (i = 0; i < e->nfields; i++)
		if (strcmp(e->names[i], name) == 0) {
			if (len != NULL)
				*len = e->lens[i];
			return e->values[i];
		}
	return NULL;
}

int
np_stream_add(struct np_redis *r, const char *stream, long maxlen,
    np_redis_cb *cb, void *arg, int npairs, const char **kv,
    const size_t *kvlen)
{
	const char *argv[6 + 2 * NP_STREAM_MAX_PAIRS];
	size_t len[6 + 2 * NP_STREAM_MAX_PAIRS];
	char num[32];
	int argc = 0, i;

	if (npairs < 1 || npairs > NP_STREAM_MAX_PAIRS) {
		log_warnx("stream %s: %d field pairs (1..%d)", stream, npairs,
		    NP_STREAM_MAX_PAIRS);
		return -1;
	}
	argv[argc++] = "XADD";
	argv[argc++] = stream;
	if (maxlen > 0) {
		snprintf(num, sizeof(num), "%ld", maxlen);
		argv[argc++] = "MAXLEN";
		argv[argc++] = "~";
		argv[argc++] = num;
	}
	argv[argc++] = "*";
	for (i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	for (i = 0; i < 2 * npairs; i++, argc++) {
		argv[argc] = kv[i];
		len[argc] = kvlen[i];
	}
	return np_redis_cmd(r, cb, arg, argc, argv, len);
}
