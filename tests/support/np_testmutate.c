/*
 * np_testmutate: mutations of a message for fast-path checks (see
 * np_testmutate.h).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "np_testmutate.h"

size_t
np_test_mutations(const char *msg, const char *subst,
    int (*agree)(const char *, size_t, void *), void *arg)
{
	size_t len = strlen(msg), ns = strlen(subst) + 1, k, n, taken = 0;
	char *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_gt(len, 0);
	for (n = 0; n < len; n++) {	/* truncations: ASan sees overreads */
		char *t = malloc(n > 0 ? n : 1);

		ck_assert_ptr_nonnull(t);
		memcpy(t, msg, n);
		taken += agree(t, n, arg) != 0;
		free(t);
	}
	for (k = 0; k < len; k++)	/* buf holds exactly len bytes */
		for (n = 0; n < ns; n++) {	/* subst's NUL too */
			memcpy(buf, msg, len);
			buf[k] = subst[n];
			taken += agree(buf, len, arg) != 0;
		}
	free(buf);
	return taken;
}

void
np_test_fast_msgs(const char *const *msgs, size_t n,
    int (*agree)(const char *, size_t, void *), void *arg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ck_assert_msg(agree(msgs[i], strlen(msgs[i]), arg),
		    "fast path refused %s", msgs[i]);
		ck_assert_uint_gt(np_test_mutations(msgs[i],
		    NP_TEST_JSON_SUBST, agree, arg), 0);
	}
}
