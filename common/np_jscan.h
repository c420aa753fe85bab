/*
 * np_jscan: an allocation-free JSON scanner for the fast paths of the
 * messages the services consume most (route.decided, unit.status,
 * unit.position, incident.created, order.issued, order.cancelled).
 *
 * It reads a document in place: the members of an object one by one,
 * the items of an array, strings, integers and numbers, and skips the
 * values a reader does not need.  It accepts only a subset of what the
 * strict parser (np_json_parse: jansson, duplicate keys refused) accepts
 * and reads it the same way; anything outside that subset is refused
 * (-1) and the caller falls back to the strict parser, which also says
 * what is wrong.  Refused besides bad JSON: escapes in strings,
 * non-ASCII in keys and in the strings read (skipped strings may hold
 * valid UTF-8), integers of more than 18 digits, numbers longer than
 * NP_JSCAN_NUM_MAX, more than NP_JSCAN_KEYS members in an object, nesting
 * deeper than NP_JSCAN_DEPTH.  Duplicate keys are refused at every level,
 * as the strict parser does.
 *
 * Use: np_jscan_begin (an object); then while np_jscan_next
 * answers 1 read or skip the member's value; np_jscan_end.  Or, for a
 * document of one exact shape, np_jscan_init, then np_jscan_lit for the
 * text between the values and the readers for the values.
 */
#ifndef NP_JSCAN_H
#define NP_JSCAN_H

#include <stddef.h>
#include <string.h>

#define NP_JSCAN_KEYS		24	/* members of one object */
#define NP_JSCAN_DEPTH		32	/* nesting */
#define NP_JSCAN_NUM_MAX	40	/* characters of a number */

struct np_jscan {
	const char	*p, *end;
	int		 depth;
};

/* An object being read: the keys seen (duplicates are refused). */
struct np_jobj {
	const char	*k[NP_JSCAN_KEYS];
	size_t		 kl[NP_JSCAN_KEYS];
	size_t		 n;
};

enum np_jkind {
	NP_JK_BAD, NP_JK_OBJ, NP_JK_ARR, NP_JK_STR, NP_JK_NUM, NP_JK_TRUE,
	NP_JK_FALSE, NP_JK_NULL,
};

void	np_jscan_init(struct np_jscan *, const char *buf, size_t len);
/* np_jscan_init, then into the top-level object o.  0, or -1. */
int	np_jscan_begin(struct np_jscan *, struct np_jobj *o, const char *buf,
	    size_t len);
/* The kind of the next value, by its first character (not consumed). */
enum np_jkind np_jscan_peek(struct np_jscan *);
/* Enter an object ('{', o reset) or an array ('[').  0, or -1. */
int	np_jscan_open(struct np_jscan *, char c, struct np_jobj *o);
/*
 * The next member of object o: 1 with its key (not terminated) and the
 * scanner at its value, which the caller must read or skip; 0 when the
 * object ended (consumed); -1 refused.
 */
int	np_jscan_next(struct np_jscan *, struct np_jobj *o, const char **key,
	    size_t *klen);
/* 1 when key is k (inline: with k a literal, its length is a constant). */
static inline int
np_jscan_key(const char *key, size_t klen, const char *k)
{
	return strlen(k) == klen && memcmp(key, k, klen) == 0;
}
/* The next item of an array (*n items read so far): 1, 0 ended, -1. */
int	np_jscan_item(struct np_jscan *, size_t *n);
/* A string of printable ASCII without escapes: its bytes.  0, or -1. */
int	np_jscan_str(struct np_jscan *, const char **s, size_t *len);
/* A string (as np_jscan_str) copied into out (max bytes + 1), or -1. */
int	np_jscan_strcpy(struct np_jscan *, char *out, size_t max);
/*
 * A text: as np_jscan_strcpy, but valid UTF-8 is taken too (no overlong
 * forms, surrogates or code points past U+10FFFF: what jansson takes),
 * max counting bytes, as np_json_str does.  For free text a service
 * reads, such as an address in the city's own script.
 */
int	np_jscan_textcpy(struct np_jscan *, char *out, size_t max);
/* A string (as np_jscan_str) that is want.  0, or -1. */
int	np_jscan_streq(struct np_jscan *, const char *want);
/* An id (np_id_valid: 1..max of [A-Za-z0-9._:-]) into out (max + 1). */
int	np_jscan_id(struct np_jscan *, char *out, size_t max);
/* An integer (no fraction nor exponent).  0, or -1. */
int	np_jscan_int(struct np_jscan *, long long *out);
/* A number; *isint 1 when written as an integer.  0, or -1. */
int	np_jscan_num(struct np_jscan *, double *out, int *isint);
/* An integer / a number (either way written) in [min, max], as
 * np_json_int / np_json_num check them.  0, or -1. */
int	np_jscan_int_in(struct np_jscan *, long long min, long long max,
	    long long *out);
int	np_jscan_num_in(struct np_jscan *, double min, double max,
	    double *out);
/* null, consumed: 1; 0 when the value is not null. */
int	np_jscan_null(struct np_jscan *);
/*
 * The text w (n bytes) next, after white space, consumed: 1; else 0.
 * For a reader of one exact shape (the keys in a known order: '{"k":',
 * ',"k2":', '}'): no duplicate check, no depth; np_jscan_end still checks
 * the rest.  np_jscan_lit: w a string (inline: a literal's length is a
 * constant).
 */
int	np_jscan_litn(struct np_jscan *, const char *w, size_t n);
static inline int
np_jscan_lit(struct np_jscan *s, const char *w)
{
	return np_jscan_litn(s, w, strlen(w));
}
/* Skip any value.  0, or -1. */
int	np_jscan_skip(struct np_jscan *);
/* Only white space left.  0, or -1. */
int	np_jscan_end(struct np_jscan *);

#endif
