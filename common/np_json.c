/*
 * np_json: strict parsing and checked field access (see np_json.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "np_id.h"
#include "np_json.h"

int
np_jerr_set(struct np_jerr *e, const char *path, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	if (path != NULL && *path != '\0' && key != NULL)
		snprintf(e->field, sizeof(e->field), "%s.%s", path, key);
	else
		snprintf(e->field, sizeof(e->field), "%s",
		    key != NULL ? key : (path != NULL ? path : ""));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

json_t *
np_json_parse(const char *buf, size_t len, struct np_jerr *e)
{
	json_error_t err;
	json_t *j;

	if (len == 0) {
		np_jerr_set(e, NULL, NULL, "empty body: a JSON document "
		    "is expected");
		return NULL;
	}
	if ((j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err)) == NULL)
		np_jerr_set(e, NULL, NULL, "invalid JSON at line %d column "
		    "%d: %s", err.line, err.column, err.text);
	return j;
}

/* NULL and absence are the same for optional fields. */
static json_t *
field(json_t *obj, const char *path, const char *key, int required,
    struct np_jerr *e, int *rv)
{
	json_t *v = json_object_get(obj, key);

	*rv = 0;
	if (v == NULL || json_is_null(v)) {
		if (required)
			*rv = np_jerr_set(e, path, key, "is required");
		return NULL;
	}
	return v;
}

int
np_json_str(json_t *obj, const char *path, const char *key, int required,
    size_t maxlen, const char **out, struct np_jerr *e)
{
	json_t *v;
	int rv;

	if ((v = field(obj, path, key, required, e, &rv)) == NULL)
		return rv;
	if (!json_is_string(v))
		return np_jerr_set(e, path, key, "must be a string");
	if (json_string_length(v) > maxlen)
		return np_jerr_set(e, path, key, "is longer than %zu bytes",
		    maxlen);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return np_jerr_set(e, path, key, "contains a NUL character");
	*out = json_string_value(v);
	return 0;
}

int
np_json_id(json_t *obj, const char *path, const char *key, int required,
    size_t maxlen, char *out, struct np_jerr *e)
{
	const char *s = NULL;

	if (np_json_str(obj, path, key, required, maxlen, &s, e) == -1)
		return -1;
	if (s == NULL)
		return 0;
	if (!np_id_valid(s, maxlen))
		return np_jerr_set(e, path, key, "\"%s\" is not an id "
		    "([A-Za-z0-9._:-])", s);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int
np_jerr_format(const struct np_jerr *e, char *buf, size_t len)
{
	if (*e->field != '\0')
		snprintf(buf, len, "%s: %s", e->field, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
	return -1;
}

int
np_json_num(json_t *obj, const char *path, const char *key, int required,
    double min, double max, double *out, struct np_jerr *e)
{
	json_t *v;
	double d;
	int rv;

	if ((v = field(obj, path, key, required, e, &rv)) == NULL)
		return rv;
	if (!json_is_number(v))
		return np_jerr_set(e, path, key, "must be a number");
	d = json_number_value(v);
	if (!isfinite(d) || d < min || d > max)
		return np_jerr_set(e, path, key, "must be between %g and %g",
		    min, max);
	*out = d;
	return 0;
}

int
np_json_int(json_t *obj, const char *path, const char *key, int required,
    long long min, long long max, long long *out, struct np_jerr *e)
{
	json_t *v;
	long long i;
	int rv;

	if ((v = field(obj, path, key, required, e, &rv)) == NULL)
		return rv;
	if (!json_is_integer(v))
		return np_jerr_set(e, path, key, "must be an integer");
	i = json_integer_value(v);
	if (i < min || i > max)
		return np_jerr_set(e, path, key, "must be between %lld and "
		    "%lld", min, max);
	*out = i;
	return 0;
}

int
np_json_obj(json_t *obj, const char *path, const char *key, int required,
    json_t **out, struct np_jerr *e)
{
	json_t *v;
	int rv;

	if ((v = field(obj, path, key, required, e, &rv)) == NULL)
		return rv;
	if (!json_is_object(v))
		return np_jerr_set(e, path, key, "must be an object");
	*out = v;
	return 0;
}

int
np_json_only(json_t *obj, const char *path, const char *const *allowed,
    struct np_jerr *e)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *const *a;
		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL)
			return np_jerr_set(e, path, key, "is not a known "
			    "field");
	}
	return 0;
}

json_t *
np_msg_new(const char *type, const char *src)
{
	return json_pack("{s:s, s:i, s:I, s:s}", "type", type,
	    "v", NP_MSG_VERSION, "ts", (json_int_t)np_now_ms(), "src", src);
}

char *
np_json_dump(const json_t *j, size_t *len)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(15));

	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

int
np_json_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '"' || *s == '\\')
			return 0;
	return 1;
}
