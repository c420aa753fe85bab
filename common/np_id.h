/*
 * np_id: identifiers people read aloud on the radio.
 *
 * "I-20261123-7K3Q9X": a prefix, the UTC date, and random Crockford
 * base32 (no I, L, O, U: nothing to mishear).  Six characters give 2^30
 * per day and prefix; whoever stores the id checks it is new (SET NX or
 * EXISTS in the same script) and draws again on the rare collision.
 */
#ifndef NP_ID_H
#define NP_ID_H

#include <stddef.h>

/* Returns 0, or -1 if buf is too small. nrand: 1..16 random characters. */
int	np_id_new(char *buf, size_t len, const char *prefix, int nrand);
/* 1 if s is made only of [A-Za-z0-9._:-] and 1..maxlen long. */
int	np_id_valid(const char *s, size_t maxlen);

#endif
