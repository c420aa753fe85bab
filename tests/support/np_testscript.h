/*
 * np_testscript: the answer the services' Lua scripts give -- {result,
 * detail, number, frames...} -- decoded, for Check suites that run them
 * against a real redis-server.  The scripts themselves are the build's
 * texts (np_embed_text), linked from the services' logic libraries.
 */
#ifndef NP_TESTSCRIPT_H
#define NP_TESTSCRIPT_H

#include <stddef.h>

struct redisReply;

#define NP_TEST_FRAME_MAX	1024

/*
 * Fail the test unless r is such an array; else fill result, detail,
 * *number and up to maxframes frames (*nframes of them).
 */
void	np_test_script_decode(const struct redisReply *r, char *result,
	    size_t resultlen, char *detail, size_t detaillen, long long *number,
	    char (*frames)[NP_TEST_FRAME_MAX], int maxframes, int *nframes);

#endif
