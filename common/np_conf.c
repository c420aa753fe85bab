/*
 * np_conf: table-driven configuration (see np_conf.h for the format).
 * The parser takes a buffer, not a FILE, so the fuzz target and the tests
 * drive exactly the code the services run.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "np_conf.h"

static const struct np_conf_item *
conf_find(const struct np_conf_table *t, size_t nt, const char *key,
    void **base)
{
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++)
			if (strcmp(t[i].items[j].key, key) == 0) {
				*base = t[i].base;
				return &t[i].items[j];
			}
	return NULL;
}

static int
conf_bool(const char *v, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
conf_store(const struct np_conf_item *it, void *base, const char *v,
    char *err, size_t errlen)
{
	char *p = (char *)base + it->off, *end;
	double d;
	long long ll;
	size_t max;

	switch (it->type) {
	case NP_CONF_STR:
		max = it->max > 0 ? (size_t)it->max : 4096;
		if (strlen(v) > max) {
			snprintf(err, errlen, "%s: longer than %zu characters",
			    it->key, max);
			return -1;
		}
		free(*(char **)(void *)p);
		if ((*(char **)(void *)p = strdup(v)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", it->key);
			return -1;
		}
		return 0;
	case NP_CONF_INT:
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0) {
			snprintf(err, errlen, "%s: '%s' is not an integer",
			    it->key, v);
			return -1;
		}
		if ((double)ll < it->min || (double)ll > it->max) {
			snprintf(err, errlen, "%s: %lld is outside %.0f..%.0f",
			    it->key, ll, it->min, it->max);
			return -1;
		}
		*(int *)(void *)p = (int)ll;
		return 0;
	case NP_CONF_DOUBLE:
		errno = 0;
		d = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(d)) {
			snprintf(err, errlen, "%s: '%s' is not a number",
			    it->key, v);
			return -1;
		}
		if (d < it->min || d > it->max) {
			snprintf(err, errlen, "%s: %g is outside %g..%g",
			    it->key, d, it->min, it->max);
			return -1;
		}
		*(double *)(void *)p = d;
		return 0;
	case NP_CONF_BOOL:
		if (conf_bool(v, (int *)(void *)p) == -1) {
			snprintf(err, errlen, "%s: '%s' is not a boolean "
			    "(true/false)", it->key, v);
			return -1;
		}
		return 0;
	}
	return -1;
}

int
np_conf_set(const struct np_conf_table *t, size_t nt, const char *key,
    const char *value, char *err, size_t errlen)
{
	const struct np_conf_item *it;
	void *base;

	if ((it = conf_find(t, nt, key, &base)) == NULL) {
		snprintf(err, errlen, "unknown key '%.100s'", key);
		return -1;
	}
	return conf_store(it, base, value, err, errlen);
}

void
np_conf_defaults(const struct np_conf_table *t, size_t nt)
{
	char err[256];

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++)
			if (conf_store(&t[i].items[j], t[i].base,
			    t[i].items[j].def, err, sizeof(err)) == -1)
				abort();	/* a default is a programming error */
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One line: blank, comment, or key = value. */
static int
conf_line(const struct np_conf_table *t, size_t nt, char *line,
    const char *origin, int lineno, char *err, size_t errlen)
{
	char *key, *val, *eq, msg[512];
	size_t vl;

	key = trim(line);
	if (*key == '\0' || *key == '#')
		return 0;
	if ((eq = strchr(key, '=')) == NULL) {
		snprintf(err, errlen, "%s:%d: expected 'key = value'",
		    origin, lineno);
		return -1;
	}
	*eq = '\0';
	key = trim(key);
	val = trim(eq + 1);
	vl = strlen(val);
	if (vl > 0 && val[0] == '"') {
		if (vl < 2 || val[vl - 1] != '"') {
			snprintf(err, errlen, "%s:%d: %s: unterminated quote",
			    origin, lineno, key);
			return -1;
		}
		val[vl - 1] = '\0';
		val++;
	} else if ((eq = strstr(val, " #")) != NULL) {
		*eq = '\0';
		val = trim(val);
	}
	if (np_conf_set(t, nt, key, val, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s:%d: %s", origin, lineno, msg);
		return -1;
	}
	return 0;
}

int
np_conf_parse(const struct np_conf_table *t, size_t nt, const char *text,
    size_t len, const char *origin, char *err, size_t errlen)
{
	char line[NP_CONF_LINE_MAX];
	size_t pos = 0, n;
	int lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		n = (nl != NULL ? (size_t)(nl - text) : len) - pos;
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%s:%d: line longer than %d bytes",
			    origin, lineno, NP_CONF_LINE_MAX - 1);
			return -1;
		}
		if (memchr(text + pos, '\0', n) != NULL) {
			snprintf(err, errlen, "%s:%d: NUL byte", origin, lineno);
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (conf_line(t, nt, line, origin, lineno, err, errlen) == -1)
			return -1;
		pos += n + 1;
	}
	return 0;
}

static int
conf_read_file(const struct np_conf_table *t, size_t nt, const char *path,
    char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t len;
	int rv;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(NP_CONF_FILE_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	len = fread(buf, 1, NP_CONF_FILE_MAX + 1, f);
	fclose(f);
	if (len > NP_CONF_FILE_MAX) {
		free(buf);
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    NP_CONF_FILE_MAX);
		return -1;
	}
	rv = np_conf_parse(t, nt, buf, len, path, err, errlen);
	free(buf);
	return rv;
}

/* NEARPOST_HTTP_PORT for http.port */
static void
conf_env_name(char *buf, size_t len, const char *key)
{
	size_t n = strlen(NP_CONF_ENV_PREFIX);

	snprintf(buf, len, "%s", NP_CONF_ENV_PREFIX);
	for (; *key != '\0' && n + 1 < len; key++, n++)
		buf[n] = (*key == '.' || *key == '-') ? '_' :
		    (char)toupper((unsigned char)*key);
	buf[n] = '\0';
}

int
np_conf_load(const struct np_conf_table *t, size_t nt, const char *path,
    char *err, size_t errlen)
{
	char name[256], msg[512];
	const char *v;

	np_conf_defaults(t, nt);
	if (path != NULL && conf_read_file(t, nt, path, err, errlen) == -1)
		return -1;
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			conf_env_name(name, sizeof(name), t[i].items[j].key);
			if ((v = getenv(name)) == NULL)
				continue;
			if (conf_store(&t[i].items[j], t[i].base, v, msg,
			    sizeof(msg)) == -1) {
				snprintf(err, errlen, "environment %s: %s",
				    name, msg);
				return -1;
			}
		}
	return 0;
}

void
np_conf_usage(FILE *f, const struct np_conf_table *t, size_t nt)
{
	char name[256];

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const struct np_conf_item *it = &t[i].items[j];
			conf_env_name(name, sizeof(name), it->key);
			fprintf(f, "  %-28s %s (default \"%s\"; env %s)\n",
			    it->key, it->help, it->def, name);
		}
}

void
np_conf_free(const struct np_conf_table *t, size_t nt)
{
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++)
			if (t[i].items[j].type == NP_CONF_STR) {
				char **p = (char **)(void *)((char *)t[i].base +
				    t[i].items[j].off);
				free(*p);
				*p = NULL;
			}
}
