/*
 * np_testmutate: a fast path checked against its strict parser on every
 * truncation and every one-byte change of a real message.
 */
#ifndef NP_TESTMUTATE_H
#define NP_TESTMUTATE_H

#include <stddef.h>

/*
 * agree(buf, len, arg): compare the fast path with the strict one on buf
 * (ck_assert inside), 1 when the fast path took it.  Called on every
 * truncation of msg (each in a buffer of its size, so ASan sees reads
 * past it) and on msg with each byte replaced by each byte of subst and
 * by NUL.  Returns how many changed messages the fast path took.
 */
size_t	np_test_mutations(const char *msg, const char *subst,
	    int (*agree)(const char *, size_t, void *), void *arg);

/*
 * Each of the n messages is taken by the fast path (agree answers 1) and
 * some of its mutations (NP_TEST_JSON_SUBST) too.
 */
void	np_test_fast_msgs(const char *const *msgs, size_t n,
	    int (*agree)(const char *, size_t, void *), void *arg);

/* The substitutions the JSON fast paths are tried with. */
#define NP_TEST_JSON_SUBST	"09-+.eE\"\\}]{[,: xn\t\xc3\xff"

#endif
