/*
 * np_jscan: an allocation-free JSON scanner (see np_jscan.h).
 *
 * The grammar is RFC 8259's, as jansson reads it: white space is space,
 * tab, CR and LF; a number is -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
 * an integer when it has neither fraction nor exponent (jansson's
 * strtoll then, strtod otherwise, refusing an infinite result); a string
 * has no control characters and is valid UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF).  What this does not read the same
 * way it refuses, so a caller's fallback to jansson keeps it exact
 * (tests/unit/test_*_fast.c and test_router_posframe.c compare the two
 * on every mutation of real messages).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "np_id.h"
#include "np_jscan.h"

#define INT_DIGITS_MAX	18

void
np_jscan_init(struct np_jscan *s, const char *buf, size_t len)
{
	s->p = buf;
	s->end = buf + len;
	s->depth = 0;
}

static void
ws(struct np_jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' ||
	    *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

/* The next character after white space is c: consumed, 1; else 0. */
static int
eat(struct np_jscan *s, char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

enum np_jkind
np_jscan_peek(struct np_jscan *s)
{
	ws(s);
	if (s->p == s->end)
		return NP_JK_BAD;
	switch (*s->p) {
	case '{':
		return NP_JK_OBJ;
	case '[':
		return NP_JK_ARR;
	case '"':
		return NP_JK_STR;
	case 't':
		return NP_JK_TRUE;
	case 'f':
		return NP_JK_FALSE;
	case 'n':
		return NP_JK_NULL;
	default:
		return *s->p == '-' || (*s->p >= '0' && *s->p <= '9') ?
		    NP_JK_NUM : NP_JK_BAD;
	}
}

int
np_jscan_open(struct np_jscan *s, char c, struct np_jobj *o)
{
	if (s->depth >= NP_JSCAN_DEPTH || !eat(s, c))
		return -1;
	s->depth++;
	if (o != NULL)
		o->n = 0;
	return 0;
}

int
np_jscan_begin(struct np_jscan *s, struct np_jobj *o, const char *buf,
    size_t len)
{
	np_jscan_init(s, buf, len);
	return np_jscan_open(s, '{', o);
}

/* The rest of a UTF-8 sequence starting at *p (first byte c >= 0x80). */
static int
utf8(const unsigned char **p, const unsigned char *end)
{
	unsigned c = **p, v, n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 1, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, v = c & 0x07;
	else
		return -1;
	if ((size_t)(end - *p) <= n)
		return -1;
	for (i = 1; i <= n; i++) {
		if (((*p)[i] & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | ((*p)[i] & 0x3f);
	}
	if ((n == 2 && v < 0x800) || (n == 3 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return -1;
	*p += n + 1;
	return 0;
}

/* A string at s->p; ascii: refuse bytes >= 0x80.  Its bytes, or -1. */
static int
string(struct np_jscan *s, int ascii, const char **out, size_t *len)
{
	const unsigned char *p, *end = (const unsigned char *)s->end;

	if (!eat(s, '"'))
		return -1;
	for (p = (const unsigned char *)s->p; p < end && *p != '"';) {
		if (*p < 0x20 || *p == '\\')
			return -1;
		if (*p < 0x80)
			p++;
		else if (ascii || utf8(&p, end) == -1)
			return -1;
	}
	if (p == end)
		return -1;
	*out = s->p;
	*len = (size_t)((const char *)p - s->p);
	s->p = (const char *)p + 1;
	return 0;
}

int
np_jscan_next(struct np_jscan *s, struct np_jobj *o, const char **key,
    size_t *klen)
{
	size_t i;

	if (eat(s, '}')) {
		s->depth--;
		return 0;
	}
	if ((o->n > 0 && !eat(s, ',')) || o->n == NP_JSCAN_KEYS ||
	    string(s, 1, key, klen) == -1 || !eat(s, ':'))
		return -1;
	for (i = 0; i < o->n; i++)
		if (o->kl[i] == *klen && memcmp(o->k[i], *key, *klen) == 0)
			return -1;	/* a duplicate: jansson says which */
	o->k[o->n] = *key;
	o->kl[o->n++] = *klen;
	return 1;
}

int
np_jscan_item(struct np_jscan *s, size_t *n)
{
	if (eat(s, ']')) {
		s->depth--;
		return 0;
	}
	if (*n > 0 && !eat(s, ','))
		return -1;
	(*n)++;
	return 1;
}

int
np_jscan_str(struct np_jscan *s, const char **out, size_t *len)
{
	return string(s, 1, out, len);
}

/* A string (ascii: printable ASCII only) of at most max bytes into out. */
static int
strcpy_max(struct np_jscan *s, int ascii, char *out, size_t max)
{
	const char *v;
	size_t n;

	if (string(s, ascii, &v, &n) == -1 || n > max)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

int
np_jscan_strcpy(struct np_jscan *s, char *out, size_t max)
{
	return strcpy_max(s, 1, out, max);
}

int
np_jscan_textcpy(struct np_jscan *s, char *out, size_t max)
{
	return strcpy_max(s, 0, out, max);
}

int
np_jscan_streq(struct np_jscan *s, const char *want)
{
	const char *v;
	size_t n;

	return string(s, 1, &v, &n) == -1 || !np_jscan_key(v, n, want) ?
	    -1 : 0;
}

int
np_jscan_id(struct np_jscan *s, char *out, size_t max)
{
	return np_jscan_strcpy(s, out, max) == -1 || !np_id_valid(out, max) ?
	    -1 : 0;
}

/* (a local cursor: stores through s->p would be redone per digit, as a
 * char read may alias them) */
static int
digits(struct np_jscan *s)
{
	const char *p = s->p, *d = p;

	while (p < s->end && *p >= '0' && *p <= '9')
		p++;
	s->p = p;
	return p > d ? 0 : -1;
}

/* The text of a number at s->p; *isint when it is an integer. */
static int
number(struct np_jscan *s, const char **t, size_t *len, int *isint)
{
	ws(s);
	*t = s->p;
	*isint = 1;
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (digits(s) == -1)
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		*isint = 0;
		if (digits(s) == -1)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		*isint = 0;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (digits(s) == -1)
			return -1;
	}
	*len = (size_t)(s->p - *t);
	if (*len > NP_JSCAN_NUM_MAX)
		return -1;
	return *isint && *len - (**t == '-') > INT_DIGITS_MAX ? -1 : 0;
}

int
np_jscan_num(struct np_jscan *s, double *out, int *isint)
{
	char buf[NP_JSCAN_NUM_MAX + 1];
	const char *t;
	long long v = 0;
	size_t len, i;

	if (number(s, &t, &len, isint) == -1)
		return -1;
	if (*isint) {
		for (i = *t == '-'; i < len; i++)
			v = v * 10 + (t[i] - '0');
		*out = (double)(*t == '-' ? -v : v);
		return 0;
	}
	memcpy(buf, t, len);
	buf[len] = '\0';
	*out = strtod(buf, NULL);
	return isinf(*out) ? -1 : 0;
}

int
np_jscan_int_in(struct np_jscan *s, long long min, long long max,
    long long *out)
{
	return np_jscan_int(s, out) == -1 || *out < min || *out > max ? -1 :
	    0;
}

int
np_jscan_num_in(struct np_jscan *s, double min, double max, double *out)
{
	int isint;

	return np_jscan_num(s, out, &isint) == -1 || !(*out >= min &&
	    *out <= max) ? -1 : 0;
}

int
np_jscan_int(struct np_jscan *s, long long *out)
{
	const char *t;
	size_t len, i;
	int isint;

	if (number(s, &t, &len, &isint) == -1 || !isint)
		return -1;
	for (*out = 0, i = *t == '-'; i < len; i++)
		*out = *out * 10 + (t[i] - '0');
	if (*t == '-')
		*out = -*out;
	return 0;
}

int
np_jscan_litn(struct np_jscan *s, const char *w, size_t n)
{
	ws(s);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

int
np_jscan_null(struct np_jscan *s)
{
	return np_jscan_litn(s, "null", 4);
}

int
np_jscan_skip(struct np_jscan *s)
{
	struct np_jobj o;
	const char *k;
	size_t n = 0, kl;
	double d;
	int r, isint;

	switch (np_jscan_peek(s)) {
	case NP_JK_OBJ:
		if (np_jscan_open(s, '{', &o) == -1)
			return -1;
		while ((r = np_jscan_next(s, &o, &k, &kl)) == 1)
			if (np_jscan_skip(s) == -1)
				return -1;
		return r;
	case NP_JK_ARR:
		if (np_jscan_open(s, '[', NULL) == -1)
			return -1;
		while ((r = np_jscan_item(s, &n)) == 1)
			if (np_jscan_skip(s) == -1)
				return -1;
		return r;
	case NP_JK_STR:
		return string(s, 0, &k, &kl);
	case NP_JK_NUM:	/* without an exponent it cannot overflow */
		k = s->p;
		if (number(s, &k, &kl, &isint) == -1)
			return -1;
		return memchr(k, 'e', kl) == NULL && memchr(k, 'E', kl) ==
		    NULL ? 0 : (s->p = k, np_jscan_num(s, &d, &isint));
	case NP_JK_TRUE:
		return np_jscan_litn(s, "true", 4) ? 0 : -1;
	case NP_JK_FALSE:
		return np_jscan_litn(s, "false", 5) ? 0 : -1;
	case NP_JK_NULL:
		return np_jscan_litn(s, "null", 4) ? 0 : -1;
	default:
		return -1;
	}
}

int
np_jscan_end(struct np_jscan *s)
{
	ws(s);
	return s->p == s->end && s->depth == 0 ? 0 : -1;
}
