/*
 * np_testscript: the services' script answers (np_testscript.h).
 */
#include <stdio.h>

#include <check.h>
#include <hiredis/hiredis.h>

#include "np_testscript.h"

void
np_test_script_decode(const struct redisReply *r, char *result,
    size_t resultlen, char *detail, size_t detaillen, long long *number,
    char (*frames)[NP_TEST_FRAME_MAX], int maxframes, int *nframes)
{
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY && r->elements >= 3,
	    "script said: %s", r->type == REDIS_REPLY_ERROR ? r->str : "?");
	snprintf(result, resultlen, "%s", r->element[0]->str);
	snprintf(detail, detaillen, "%s", r->element[1]->str);
	*number = r->element[2]->integer;
	*nframes = 0;
	for (size_t i = 3; i < r->elements && *nframes < maxframes; i++)
		snprintf(frames[(*nframes)++], NP_TEST_FRAME_MAX, "%s",
		    r->element[i]->str);
}
