/*
 * np_sha256: SHA-256 per FIPS 180-4 section 6.2, HMAC per RFC 2104
 * (see np_sha256.h).  Tested against the NIST examples and RFC 4231.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "np_sha256.h"

static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROTR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z)	(((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z)	(((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)	(ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x)	(ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x)	(ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x)	(ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

static void
sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = SSIG1(w[i - 2]) + w[i - 7] + SSIG0(w[i - 15]) + w[i - 16];
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + BSIG1(v[4]) + CH(v[4], v[5], v[6]) + k256[i] + w[i];
		t2 = BSIG0(v[0]) + MAJ(v[0], v[1], v[2]);
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

void
np_sha256_init(struct np_sha256_ctx *c)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};

	memcpy(c->h, h0, sizeof(h0));
	c->nbytes = 0;
	c->nbuf = 0;
}

void
np_sha256_update(struct np_sha256_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	c->nbytes += len;
	while (len > 0) {
		if (c->nbuf == 0 && len >= NP_SHA256_BLOCK) {
			sha256_block(c->h, p);
			p += NP_SHA256_BLOCK;
			len -= NP_SHA256_BLOCK;
			continue;
		}
		n = NP_SHA256_BLOCK - c->nbuf;
		if (n > len)
			n = len;
		memcpy(c->buf + c->nbuf, p, n);
		c->nbuf += n;
		p += n;
		len -= n;
		if (c->nbuf == NP_SHA256_BLOCK) {
			sha256_block(c->h, c->buf);
			c->nbuf = 0;
		}
	}
}

void
np_sha256_final(struct np_sha256_ctx *c, uint8_t out[NP_SHA256_LEN])
{
	uint64_t bits = c->nbytes * 8;
	int i;

	c->buf[c->nbuf++] = 0x80;
	if (c->nbuf > NP_SHA256_BLOCK - 8) {
		memset(c->buf + c->nbuf, 0, NP_SHA256_BLOCK - c->nbuf);
		sha256_block(c->h, c->buf);
		c->nbuf = 0;
	}
	memset(c->buf + c->nbuf, 0, NP_SHA256_BLOCK - 8 - c->nbuf);
	for (i = 0; i < 8; i++)
		c->buf[NP_SHA256_BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha256_block(c->h, c->buf);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
	memset(c, 0, sizeof(*c));
}

void
np_sha256(const void *data, size_t len, uint8_t out[NP_SHA256_LEN])
{
	struct np_sha256_ctx c;

	np_sha256_init(&c);
	np_sha256_update(&c, data, len);
	np_sha256_final(&c, out);
}

void
np_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, uint8_t out[NP_SHA256_LEN])
{
	struct np_sha256_ctx c;
	uint8_t k[NP_SHA256_BLOCK], pad[NP_SHA256_BLOCK], inner[NP_SHA256_LEN];
	int i;

	memset(k, 0, sizeof(k));
	if (keylen > NP_SHA256_BLOCK)
		np_sha256(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < NP_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	np_sha256_init(&c);
	np_sha256_update(&c, pad, sizeof(pad));
	np_sha256_update(&c, msg, msglen);
	np_sha256_final(&c, inner);
	for (i = 0; i < NP_SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	np_sha256_init(&c);
	np_sha256_update(&c, pad, sizeof(pad));
	np_sha256_update(&c, inner, sizeof(inner));
	np_sha256_final(&c, out);
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
}

void
np_hex(const uint8_t *bin, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 15];
	}
	out[2 * len] = '\0';
}

int
np_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

int
np_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
