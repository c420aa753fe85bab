/*
 * msg.c: the two messages the tracker consumes, checked before a script
 * runs (pure: text in, struct or an error naming the field out).  Only
 * what the tracker relies on is required: of a route.decided the
 * incident, t0, type, post and each tier's due time, so arm.lua is given
 * a few short arguments, not the candidates of every tier.  The schemas
 * in schemas/ are the strict statement of the shapes.
 */
#define _GNU_SOURCE		/* memmem */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "np_json.h"
#include "tracker.h"

static json_t *
parse(const char *msg, size_t len, const char *want, struct np_jerr *e)
{
	const char *type;
	json_t *j;

	if ((j = np_json_parse(msg, len, e)) == NULL)
		return NULL;
	if (!json_is_object(j)) {
		np_jerr_set(e, NULL, NULL, "must be a JSON object");
		goto fail;
	}
	if (np_json_str(j, "", "type", 1, 64, &type, e) == -1)
		goto fail;
	if (strcmp(type, want) != 0) {
		np_jerr_set(e, "", "type", "is \"%s\", not \"%s\"", type,
		    want);
		goto fail;
	}
	return j;
fail:
	json_decref(j);
	return NULL;
}

/* A number that is a whole value in [min, max]. */
static int
whole(const json_t *v, long long min, long long max, long long *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return *out >= min && *out <= max;
	}
	d = json_is_real(v) ? json_real_value(v) : -1.0;
	if (!json_is_real(v) || d != floor(d) || d < min || d > max)
		return 0;
	*out = (long long)d;
	return 1;
}

/* A string of 1..TRK_ID_MAX bytes into out, else "" (not recorded). */
static void
opt_str(const json_t *v, char *out)
{
	const char *s = json_string_value(v);
	size_t n = s != NULL ? json_string_length(v) : 0;

	if (n > 0 && n <= TRK_ID_MAX && strlen(s) == n)
		memcpy(out, s, n + 1);
}

/* One item of tiers: its due into r, unless unusable or seen. */
static void
route_tier(struct trk_route *r, const json_t *item, const int mark_s[3])
{
	const json_t *dl = json_object_get(item, "deadline_s");
	long long tier, ms;
	int i;

	if (!json_is_object(item) || !whole(json_object_get(item, "tier"), 1,
	    TRK_TIERS_MAX, &tier))
		return;
	if (tier <= 3 && mark_s[tier - 1] > 0)
		ms = mark_s[tier - 1] * 1000LL;
	else if (json_is_number(dl) && json_number_value(dl) >= 0 &&
	    json_number_value(dl) <= 1e9)
		ms = llround(json_number_value(dl) * 1000);
	else
		return;
	for (i = 0; i < r->ntiers; i++)
		if (r->tiers[i].tier == tier)
			return;
	r->tiers[r->ntiers++] = (struct trk_tier){ (int)tier, r->t0 + ms };
}

int
trk_route_parse(const char *msg, size_t len, const int mark_s[3],
    struct trk_route *r, char *err, size_t errlen)
{
	struct np_jerr e;
	json_t *j, *tiers, *item;
	size_t i;
	int rv = -1;

	memset(r, 0, sizeof(*r));
	if ((j = parse(msg, len, "route.decided", &e)) == NULL)
		return np_jerr_format(&e, err, errlen);
	if (np_json_id(j, "", "incident_id", 1, TRK_ID_MAX, r->incident_id,
	    &e) == -1 ||
	    np_json_int(j, "", "t0", 1, 0, INT64_MAX / 2, &r->t0, &e) == -1)
		goto done;
	if (!json_is_array(tiers = json_object_get(j, "tiers"))) {
		np_jerr_set(&e, "", "tiers", "must be an array");
		goto done;
	}
	opt_str(json_object_get(j, "incident_type"), r->type);
	opt_str(json_object_get(json_object_get(j, "post"), "id"), r->post);
	json_array_foreach(tiers, i, item)
		if (r->ntiers < TRK_TIERS_MAX)
			route_tier(r, item, mark_s);
	rv = 0;
done:
	json_decref(j);
	return rv == -1 ? np_jerr_format(&e, err, errlen) : 0;
}

void
trk_arm_args(const struct trk_route *r, struct trk_arm_args *a)
{
	int i;

	snprintf(a->t0, sizeof(a->t0), "%lld", r->t0);
	snprintf(a->n, sizeof(a->n), "%d", r->ntiers);
	a->argc = 0;
	a->argv[a->argc++] = r->incident_id;
	a->argv[a->argc++] = a->t0;
	a->argv[a->argc++] = r->type;
	a->argv[a->argc++] = r->post;
	a->argv[a->argc++] = a->n;
	for (i = 0; i < r->ntiers; i++) {
		snprintf(a->tier[i], sizeof(a->tier[i]), "%d", r->tiers[i].tier);
		snprintf(a->due[i], sizeof(a->due[i]), "%lld", r->tiers[i].due);
		a->argv[a->argc++] = a->tier[i];
		a->argv[a->argc++] = a->due[i];
	}
}

int
trk_status_parse(const char *msg, size_t len, struct trk_status *st,
    char *err, size_t errlen)
{
	const char *status;
	struct np_jerr e;
	json_t *j;
	int rv = -1;

	memset(st, 0, sizeof(*st));
	if ((j = parse(msg, len, "unit.status", &e)) == NULL)
		return np_jerr_format(&e, err, errlen);
	if (np_json_str(j, "", "status", 1, sizeof(st->status) - 1, &status,
	    &e) == -1 ||
	    np_json_id(j, "", "order_id", 0, TRK_ID_MAX, st->order_id,
	    &e) == -1 ||
	    np_json_int(j, "", "ts", 0, 0, INT64_MAX, &st->ts, &e) == -1)
		goto done;
	snprintf(st->status, sizeof(st->status), "%s", status);
	rv = 0;
done:
	json_decref(j);
	return rv == -1 ? np_jerr_format(&e, err, errlen) : 0;
}

int
trk_status_maybe(const char *msg, size_t len)
{
	return memchr(msg, '\\', len) != NULL ||
	    memmem(msg, len, "acked", 5) != NULL ||
	    memmem(msg, len, "onscene", 7) != NULL;
}

long
trk_order_tier(const char *oid)
{
	size_t n = strlen(oid), i = n, d;
	long tier = 0;

	while (i > 0 && oid[i - 1] >= '0' && oid[i - 1] <= '9')
		i--;
	if (i == n || i < 2 || oid[--i] != '-')
		return -1;
	for (d = i; i > 0 && oid[i - 1] >= '0' && oid[i - 1] <= '9'; i--)
		;
	if (i == d || i < 3 || oid[i - 1] != 'T' || oid[i - 2] != '-')
		return -1;
	for (; i < d; i++)	/* capped: only "is it 1?" matters */
		tier = tier > 100000 ? tier : tier * 10 + (oid[i] - '0');
	return tier;
}

int
trk_status_counts(const struct trk_status *st)
{
	long tier;

	if (st->order_id[0] == '\0' || (tier = trk_order_tier(st->order_id))
	    == -1)
		return 0;
	return strcmp(st->status, "onscene") == 0 ||
	    (tier == 1 && strcmp(st->status, "acked") == 0);
}

int
trk_ladder_check(const char *ladder, char *err, size_t errlen)
{
	const char *p = ladder;
	size_t n;
	int steps = 0;

	for (;;) {
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
		if (n == 0 || n > 32 || (p[n] != ',' && p[n] != '\0')) {
			snprintf(err, errlen, "track.ladder: step %d must be "
			    "1 to 32 of [a-z_], steps separated by ','",
			    steps + 1);
			return -1;
		}
		if (++steps > TRK_STEPS_MAX) {
			snprintf(err, errlen, "track.ladder: more than %d "
			    "steps", TRK_STEPS_MAX);
			return -1;
		}
		if (p[n] == '\0')
			return steps;
		p += n + 1;
	}
}
