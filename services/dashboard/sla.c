/*
 * sla.c: /api/sla from the feedback service's sla:<scope>:<window>
 * hashes (docs/TRACK.md), pure.  Buckets are UTC hours and days; a
 * scope without a hash (nothing closed there yet, or feedback not
 * running) reports zeros, and compliance is null when nothing was
 * decided.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard.h"

int
dash_sla_bucket(const char *window, int64_t now_ms, char *buf, size_t len)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	const char *fmt;

	if (window == NULL || strcmp(window, "hour") == 0)
		fmt = "h:%Y%m%d%H";
	else if (strcmp(window, "day") == 0)
		fmt = "d:%Y%m%d";
	else
		return -1;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, fmt, &tm) == 0)
		return -1;
	return 0;
}

json_t *
dash_sla_scopes(const struct np_city *c)
{
	json_t *a = json_array(), *seen = json_object();
	char s[NP_CITY_ID_MAX + 16];
	size_t i;

	for (i = 0; i < c->nposts; i++) {
		snprintf(s, sizeof(s), "post:%s", c->posts[i].id);
		json_array_append_new(a, json_string(s));
	}
	for (i = 0; i < c->nposts; i++) {
		const char *d = c->posts[i].district;

		if (*d == '\0' || json_object_get(seen, d) != NULL)
			continue;
		json_object_set_new(seen, d, json_true());
		snprintf(s, sizeof(s), "district:%s", d);
		json_array_append_new(a, json_string(s));
	}
	json_decref(seen);
	return a;
}

static long long
field(json_t *h, int tier, const char *what)
{
	char f[32];
	const char *s;

	snprintf(f, sizeof(f), "m%d.%s", tier, what);
	s = json_string_value(json_object_get(h, f));
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

static json_t *
marks_json(json_t *h, json_t *totals)
{
	json_t *a = json_array(), *tot;
	long long met, missed, sum;
	int t;

	for (t = 1; t <= NP_TIERS_MAX; t++) {
		met = field(h, t, "met");
		missed = field(h, t, "missed");
		sum = field(h, t, "sum_ms");
		json_array_append_new(a, json_pack("{s:i, s:I, s:I, s:o, s:o}",
		    "mark", t, "met", (json_int_t)met, "missed",
		    (json_int_t)missed, "compliance", met + missed > 0 ?
		    json_real(100.0 * met / (met + missed)) : json_null(),
		    "mean_ms", met + missed > 0 ?
		    json_integer(sum / (met + missed)) : json_null()));
		tot = json_array_get(totals, t - 1);
		json_array_set_new(totals, t - 1, json_integer(
		    json_integer_value(tot) + met));
		json_array_set_new(totals, NP_TIERS_MAX + t - 1, json_integer(
		    json_integer_value(json_array_get(totals,
		    NP_TIERS_MAX + t - 1)) + missed));
	}
	return a;
}

static json_t *
totals_json(json_t *totals)
{
	json_t *a = json_array();
	long long met, missed;
	int t;

	for (t = 1; t <= NP_TIERS_MAX; t++) {
		met = json_integer_value(json_array_get(totals, t - 1));
		missed = json_integer_value(json_array_get(totals,
		    NP_TIERS_MAX + t - 1));
		json_array_append_new(a, json_pack("{s:i, s:I, s:I, s:o}",
		    "mark", t, "met", (json_int_t)met, "missed",
		    (json_int_t)missed, "compliance", met + missed > 0 ?
		    json_real(100.0 * met / (met + missed)) : json_null()));
	}
	return a;
}

json_t *
dash_sla_build(const char *window, const char *bucket, json_t *raw)
{
	json_t *posts = json_array(), *districts = json_array(), *e;
	json_t *totals = json_array(), *out;
	const char *scope;
	size_t i;
	int t;

	for (t = 0; t < 2 * NP_TIERS_MAX; t++)
		json_array_append_new(totals, json_integer(0));
	json_array_foreach(raw, i, e) {
		if ((scope = json_string_value(json_array_get(e, 0))) == NULL)
			continue;
		if (strncmp(scope, "post:", 5) == 0)
			json_array_append_new(posts, json_pack("{s:s, s:o}",
			    "post", scope + 5, "marks", marks_json(
			    json_array_get(e, 1), totals)));
		else if (strncmp(scope, "district:", 9) == 0)
			json_array_append_new(districts, json_pack("{s:s, "
			    "s:o}", "district", scope + 9, "marks",
			    marks_json(json_array_get(e, 1), NULL)));
	}
	out = json_pack("{s:s, s:s, s:o, s:o, s:o}", "window", window,
	    "bucket", bucket, "posts", posts, "districts", districts,
	    "total", totals_json(totals));
	json_decref(totals);
	return out;
}
