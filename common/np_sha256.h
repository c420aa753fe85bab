/*
 * np_sha256: the few cryptographic primitives nearpost needs, with no
 * outside library: SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104),
 * lowercase hex, a constant-time comparison and random bytes from
 * getrandom(2).
 *
 * Used for HTTP bearer tokens (the token file stores the SHA-256 of each
 * token, see np_auth.h) and the radio challenge/response (HMAC of a nonce
 * with the unit's secret, docs/RADIO.md).  Speed does not matter here;
 * the code is the plain specification, one block at a time.
 */
#ifndef NP_SHA256_H
#define NP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define NP_SHA256_LEN	32
#define NP_SHA256_BLOCK	64

/* Incremental interface, for messages built in pieces. */
struct np_sha256_ctx {
	uint32_t	h[8];
	uint64_t	nbytes;		/* total bytes hashed so far */
	uint8_t		buf[NP_SHA256_BLOCK];
	size_t		nbuf;
};

void	np_sha256_init(struct np_sha256_ctx *);
void	np_sha256_update(struct np_sha256_ctx *, const void *, size_t);
void	np_sha256_final(struct np_sha256_ctx *, uint8_t out[NP_SHA256_LEN]);

void	np_sha256(const void *data, size_t len, uint8_t out[NP_SHA256_LEN]);
void	np_hmac_sha256(const void *key, size_t keylen, const void *msg,
	    size_t msglen, uint8_t out[NP_SHA256_LEN]);
/* Lowercase hex of len bytes; out holds 2 * len + 1 (NUL-terminated). */
void	np_hex(const uint8_t *bin, size_t len, char *out);
/* 1 if the len bytes at a and b are equal; time depends only on len. */
int	np_ct_equal(const void *a, const void *b, size_t len);
/* Fills buf from getrandom(2) (retrying short reads); 0 ok, -1 error. */
int	np_random(void *buf, size_t len);

#endif
