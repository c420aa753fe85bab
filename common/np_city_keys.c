/*
 * np_city_keys: the unit keys file, "unit_id key" per line.
 *
 * Blank lines and lines starting with '#' (after blanks) are ignored; a
 * key is NP_CITY_KEY_MIN..NP_CITY_KEY_MAX-1 printable ASCII characters
 * without spaces, so '#' may appear inside a key.  Every unit of the city
 * must get exactly one key, and every line must name a unit.  Keys are
 * checked into a scratch array and copied into the units only when the
 * whole file is good.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_city_int.h"

#define NP_CITY_KEY_MIN		16
#define NP_CITY_KEYS_LINE_MAX	512

struct keys {
	const char	*file;
	size_t		 lineno;
	char		*err;
	size_t		 errlen;
};

static int __attribute__((format(printf, 2, 3)))
keys_err(const struct keys *k, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(k->err, k->errlen, "%s: line %zu: ", k->file, k->lineno);
	if (n >= 0 && (size_t)n < k->errlen) {
		va_start(ap, fmt);
		vsnprintf(k->err + n, k->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* The next blank-separated word of line: start and length. */
static const char *
word(const char **p, size_t *n)
{
	const char *s = *p;

	while (is_blank(*s))
		s++;
	*n = 0;
	while (s[*n] != '\0' && !is_blank(s[*n]))
		(*n)++;
	*p = s + *n;
	return *n > 0 ? s : NULL;
}

static int
key_line(const struct keys *k, const struct np_city *city, const char *line,
    char (*keys)[NP_CITY_KEY_MAX])
{
	char id[NP_CITY_ID_MAX];
	const char *p = line, *w, *key;
	size_t n, nk;
	long u;

	if ((w = word(&p, &n)) == NULL || *w == '#')
		return 0;
	if (n >= sizeof(id))
		return keys_err(k, "unit id longer than %zu bytes",
		    sizeof(id) - 1);
	memcpy(id, w, n);
	id[n] = '\0';
	if ((key = word(&p, &nk)) == NULL)
		return keys_err(k, "unit %s: no key (\"unit_id key\")", id);
	if (word(&p, &n) != NULL)
		return keys_err(k, "unit %s: more than \"unit_id key\"", id);
	if ((u = np_city_unit(city, id)) == -1)
		return keys_err(k, "no unit \"%s\" in the city", id);
	if (nk < NP_CITY_KEY_MIN || nk >= NP_CITY_KEY_MAX)
		return keys_err(k, "unit %s: the key must be %d..%d "
		    "characters", id, NP_CITY_KEY_MIN, NP_CITY_KEY_MAX - 1);
	for (size_t i = 0; i < nk; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return keys_err(k, "unit %s: the key must be "
			    "printable ASCII without spaces", id);
	if (keys[u][0] != '\0')
		return keys_err(k, "unit %s: a second key", id);
	memcpy(keys[u], key, nk);
	keys[u][nk] = '\0';
	return 0;
}

static int
keys_parse(struct keys *k, const struct np_city *city, const char *text,
    size_t len, char (*keys)[NP_CITY_KEY_MAX])
{
	char line[NP_CITY_KEYS_LINE_MAX];
	size_t pos = 0, n;
	const char *nl;

	for (k->lineno = 1; pos < len; k->lineno++) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		if (n >= sizeof(line))
			return keys_err(k, "longer than %zu bytes",
			    sizeof(line) - 1);
		if (memchr(text + pos, '\0', n) != NULL)
			return keys_err(k, "NUL byte");
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (key_line(k, city, line, keys) == -1)
			return -1;
		pos += n + 1;
	}
	for (size_t u = 0; u < city->nunits; u++)
		if (keys[u][0] == '\0') {
			snprintf(k->err, k->errlen, "%s: unit %s has no key",
			    k->file, city->units[u].id);
			return -1;
		}
	return 0;
}

int
np_city_load_keys(struct np_city *city, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct keys k = { file, 0, err, errlen };
	char (*keys)[NP_CITY_KEY_MAX];

	if (city->nunits == 0) {
		snprintf(err, errlen, "%s: load the units first", file);
		return -1;
	}
	if ((keys = calloc(city->nunits, sizeof(*keys))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	if (keys_parse(&k, city, text, len, keys) == -1) {
		free(keys);
		return -1;
	}
	for (size_t u = 0; u < city->nunits; u++)
		memcpy(city->units[u].key, keys[u], NP_CITY_KEY_MAX);
	free(keys);
	return 0;
}
