/*
 * np_testscript: the services' scripts and their answers (np_testscript.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include <check.h>
#include <hiredis/hiredis.h>

#include "np_testscript.h"

#define SCRIPT_MAX	65536

/* Appends NP_SRC_DIR/<path> to buf (off bytes used); the new length. */
static size_t
append(char *buf, size_t off, const char *path)
{
	char full[512];
	size_t n;
	FILE *f;

	snprintf(full, sizeof(full), NP_SRC_DIR "/%s", path);
	ck_assert_msg((f = fopen(full, "r")) != NULL, "%s", full);
	n = fread(buf + off, 1, SCRIPT_MAX - 1 - off, f);
	ck_assert_msg(n > 0 && feof(f), "%s: empty or too long", full);
	fclose(f);
	return off + n;
}

char *
np_test_script_read(const char *path)
{
	char *buf = calloc(1, SCRIPT_MAX);
	size_t off;

	ck_assert_ptr_nonnull(buf);
	off = append(buf, 0, "common/lua/text.lua");
	buf[off++] = '\n';
	append(buf, off, path);
	return buf;
}

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
