/*
 * np_testscript: the services' Lua scripts as the build embeds them, and
 * the answer they give -- {result, detail, number, frames...} -- decoded,
 * for Check suites that run them against a real redis-server.
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

/*
 * NP_SRC_DIR/<path> (e.g. "services/tracker/lib.lua") after the shared
 * Lua helpers, as np_embed_text's PRELUDE puts them: common/lua/text.lua,
 * a newline, the file.  Fails the test when a file cannot be read; the
 * caller frees.
 */
char	*np_test_script_read(const char *path);

#endif
