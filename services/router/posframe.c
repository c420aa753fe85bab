/*
 * posframe.c: the fast paths of the units bus's frames.
 *
 * radiogw sends every position report as
 *
 *   unit.position {"unit_id":"<id>","lat":<real>,"lon":<real>,"ts":<int>}
 *
 * (jansson, compact, keys in that order).  Profiling bench/positions.py
 * put a third of the router's time in json_loadb, which builds a hash
 * table for every frame; this reads exactly that shape without
 * allocating.  The commander's unit.status (cjson from its scripts, keys
 * in any order) is a flat object of strings and integers; that shape is
 * read without jansson too (router_status_fast).  Anything else --
 * white space, escapes, non-ASCII, nesting, duplicate keys, extra fields
 * in a position, an integer where the gateway writes a real, a value out
 * of range -- is left to the strict jansson path of
 * router_unit_msg_parse (which also says what is wrong).  So a fast path
 * never accepts a frame the slow path refuses, nor reads one
 * differently: numbers go through strtod, as in jansson, once the JSON
 * number grammar is checked (tests/unit/test_router_posframe.c compares
 * the two).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "np_id.h"
#include "router.h"

#define POS_NUM_MAX	40	/* longer numbers take the slow path */
#define ST_KEYS_MAX	16	/* keys of a fast unit.status */
#define ST_INT_MAX	18	/* digits of an integer in one */

static int
lit(const char **p, const char *end, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return -1;
	*p += n;
	return 0;
}

static int
digits(const char **p, const char *end)
{
	const char *s = *p;

	while (*p < end && **p >= '0' && **p <= '9')
		(*p)++;
	return *p > s ? 0 : -1;
}

/*
 * A JSON number at *p: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * real: 1 when it has a fraction or an exponent.  0, or -1.
 */
static int
number(const char **p, const char *end, int *real)
{
	*real = 0;
	if (*p < end && **p == '-')
		(*p)++;
	if (*p < end && **p == '0')
		(*p)++;
	else if (digits(p, end) == -1)
		return -1;
	if (*p < end && **p == '.') {
		(*p)++;
		*real = 1;
		if (digits(p, end) == -1)
			return -1;
	}
	if (*p < end && (**p == 'e' || **p == 'E')) {
		(*p)++;
		*real = 1;
		if (*p < end && (**p == '+' || **p == '-'))
			(*p)++;
		if (digits(p, end) == -1)
			return -1;
	}
	return 0;
}

/* A real in [min, max] at *p, followed by what. */
static int
real_field(const char **p, const char *end, double min, double max,
    const char *what, double *out)
{
	char buf[POS_NUM_MAX + 1];
	const char *s = *p;
	int real;

	if (number(p, end, &real) == -1 || !real ||
	    (size_t)(*p - s) > POS_NUM_MAX)
		return -1;
	memcpy(buf, s, *p - s);
	buf[*p - s] = '\0';
	errno = 0;
	*out = strtod(buf, NULL);
	if (errno != 0 || !isfinite(*out) || *out < min || *out > max)
		return -1;
	return lit(p, end, what);
}

int
router_pos_fast(const char *json, size_t len, struct router_unit_msg *u)
{
	const char *p = json, *end = json + len, *id;
	long long ts = 0;

	if (lit(&p, end, "{\"unit_id\":\"") == -1)
		return 1;
	for (id = p; p < end && *p != '"' && *p != '\\'; p++)
		;
	if (p == id || (size_t)(p - id) > NP_CITY_ID_MAX)
		return 1;
	memcpy(u->unit_id, id, p - id);
	u->unit_id[p - id] = '\0';
	if (strlen(u->unit_id) != (size_t)(p - id) ||
	    !np_id_valid(u->unit_id, NP_CITY_ID_MAX) ||
	    lit(&p, end, "\",\"lat\":") == -1 ||
	    real_field(&p, end, -ROUTER_LAT_MAX, ROUTER_LAT_MAX, ",\"lon\":",
	    &u->lat) == -1 ||
	    real_field(&p, end, -180, 180, ",\"ts\":", &u->lon) == -1)
		return 1;
	/* ts: a plain non-negative integer of at most 18 digits (after
	 * 18, a 19th digit is where the '}' must be) */
	if (p < end && *p == '0' && p + 1 < end && p[1] != '}')
		return 1;
	for (id = p; p < end && *p >= '0' && *p <= '9' && p - id < 18; p++)
		ts = ts * 10 + (*p - '0');
	if (p == id || lit(&p, end, "}") == -1 || p != end)
		return 1;
	u->ts = ts;
	u->position = 1;
	return 0;
}

/* A string without escapes, control or non-ASCII bytes at *p. */
static int
plain_str(const char **p, const char *end, const char **s, size_t *len)
{
	if (*p == end || **p != '"')
		return -1;
	for (*s = ++(*p); *p < end && **p != '"'; (*p)++)
		if (**p == '\\' || (unsigned char)**p < 0x20 ||
		    (unsigned char)**p >= 0x80)
			return -1;
	if (*p == end)
		return -1;
	*len = (size_t)(*p - *s);
	(*p)++;
	return 0;
}

/* Any value but a string: an integer of at most ST_INT_MAX digits, or a
 * literal. */
static int
plain_scalar(const char **p, const char *end)
{
	const char *s = *p;
	int real;

	if (lit(p, end, "true") == 0 || lit(p, end, "false") == 0 ||
	    lit(p, end, "null") == 0)
		return 0;
	if (number(p, end, &real) == -1 || real)
		return -1;
	return *p - s - (*s == '-') <= ST_INT_MAX ? 0 : -1;
}

/* The status value: a status or one of the gateway's events. */
static int
status_value(const char *s, size_t len, struct router_unit_msg *u)
{
	char buf[33];

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return router_status_word(buf, &u->status);
}

int
router_status_fast(const char *json, size_t len, struct router_unit_msg *u)
{
	const char *p = json, *end = json + len, *k[ST_KEYS_MAX], *v;
	const char *id = NULL, *st = NULL;
	size_t kl[ST_KEYS_MAX], nk = 0, vl, idl = 0, stl = 0;

	if (lit(&p, end, "{") == -1)
		return 1;
	do {
		if (nk == ST_KEYS_MAX || plain_str(&p, end, &k[nk], &kl[nk]) ==
		    -1 || lit(&p, end, ":") == -1)
			return 1;
		for (size_t i = 0; i < nk; i++)
			if (kl[i] == kl[nk] && memcmp(k[i], k[nk], kl[i]) == 0)
				return 1;	/* jansson says which */
		if (p < end && *p == '"') {
			if (plain_str(&p, end, &v, &vl) == -1)
				return 1;
			if (kl[nk] == 7 && memcmp(k[nk], "unit_id", 7) == 0) {
				id = v;
				idl = vl;
			} else if (kl[nk] == 6 && memcmp(k[nk], "status", 6) == 0) {
				st = v;
				stl = vl;
			}
		} else if (plain_scalar(&p, end) == -1)
			return 1;
		nk++;
	} while (lit(&p, end, ",") == 0);
	if (lit(&p, end, "}") == -1 || p != end || id == NULL || st == NULL ||
	    idl == 0 || idl > NP_CITY_ID_MAX)
		return 1;
	memcpy(u->unit_id, id, idl);
	u->unit_id[idl] = '\0';
	if (!np_id_valid(u->unit_id, NP_CITY_ID_MAX) ||
	    status_value(st, stl, u) == -1)
		return 1;
	u->position = 0;
	return 0;
}
