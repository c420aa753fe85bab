/*
 * msg.c: the two messages the tracker consumes, checked before a script
 * runs (pure: text in, struct or an error naming the field out).  Only
 * what the tracker relies on is required: of a route.decided the
 * incident, t0, type, post and each tier's due time, so arm.lua is given
 * a few short arguments, not the candidates of every tier.  The schemas
 * in schemas/ are the strict statement of the shapes.
 *
 * Both are read first without jansson (trk_route_fast, trk_status_fast:
 * np_jscan, no allocation); whatever that refuses goes to the strict
 * jansson path (trk_route_strict, trk_status_strict), which also names
 * the field that is wrong.  A fast path never accepts what the strict
 * one refuses nor reads it otherwise (tests/unit/test_tracker_fast.c
 * compares them on mutations).
 */
#define _GNU_SOURCE		/* memmem */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "np_jscan.h"
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
trk_route_strict(const char *msg, size_t len, const int mark_s[3],
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
trk_status_strict(const char *msg, size_t len, struct trk_status *st,
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

/* As opt_str: a string of 1..TRK_ID_MAX bytes into out; others skipped. */
static int
fast_opt_str(struct np_jscan *js, char *out)
{
	const char *v;
	size_t n;

	if (np_jscan_peek(js) != NP_JK_STR)
		return np_jscan_skip(js);
	if (np_jscan_str(js, &v, &n) == -1)
		return -1;
	if (n > 0 && n <= TRK_ID_MAX) {
		memcpy(out, v, n);
		out[n] = '\0';
	}
	return 0;
}

/* post: its id, when it is an object. */
static int
fast_post(struct np_jscan *js, struct trk_route *r)
{
	struct np_jobj o;
	const char *key;
	size_t kl;
	int rv;

	if (np_jscan_peek(js) != NP_JK_OBJ)
		return np_jscan_skip(js);
	if (np_jscan_open(js, '{', &o) == -1)
		return -1;
	while ((rv = np_jscan_next(js, &o, &key, &kl)) == 1)
		if ((np_jscan_key(key, kl, "id") ? fast_opt_str(js, r->post) :
		    np_jscan_skip(js)) == -1)
			return -1;
	return rv;
}

/* A number member's value into *d (*ok: it was a number), else skipped. */
static int
fast_num(struct np_jscan *js, double *d, int *isint, int *ok)
{
	*ok = np_jscan_peek(js) == NP_JK_NUM;
	return *ok ? np_jscan_num(js, d, isint) : np_jscan_skip(js);
}

/* As route_tier, on one item of tiers at the scanner. */
static int
fast_tier(struct np_jscan *js, struct trk_route *r, const int mark_s[3])
{
	struct np_jobj o;
	const char *key;
	double t = 0, dl = -1;
	size_t kl;
	int rv, tok = 0, dok = 0, isint;
	long long tier, ms;

	if (np_jscan_peek(js) != NP_JK_OBJ || r->ntiers == TRK_TIERS_MAX)
		return np_jscan_skip(js);
	if (np_jscan_open(js, '{', &o) == -1)
		return -1;
	while ((rv = np_jscan_next(js, &o, &key, &kl)) == 1)
		if ((np_jscan_key(key, kl, "tier") ? fast_num(js, &t, &isint,
		    &tok) : np_jscan_key(key, kl, "deadline_s") ? fast_num(js,
		    &dl, &isint, &dok) : np_jscan_skip(js)) == -1)
			return -1;
	if (rv == -1)
		return -1;
	if (!tok || t != floor(t) || t < 1 || t > TRK_TIERS_MAX)
		return 0;
	tier = (long long)t;
	if (tier <= 3 && mark_s[tier - 1] > 0)
		ms = mark_s[tier - 1] * 1000LL;
	else if (dok && dl >= 0 && dl <= 1e9)
		ms = llround(dl * 1000);
	else
		return 0;
	for (int i = 0; i < r->ntiers; i++)
		if (r->tiers[i].tier == tier)
			return 0;
	r->tiers[r->ntiers++] = (struct trk_tier){ (int)tier, ms };
	return 0;
}

static int
fast_tiers(struct np_jscan *js, struct trk_route *r, const int mark_s[3])
{
	size_t i = 0;
	int rv;

	if (np_jscan_open(js, '[', NULL) == -1)
		return -1;
	while ((rv = np_jscan_item(js, &i)) == 1)
		if (fast_tier(js, r, mark_s) == -1)
			return -1;
	return rv;
}

/* The value of one top-level member of a route.decided. */
static int
fast_route_member(struct np_jscan *js, const char *key, size_t kl,
    const int mark_s[3], struct trk_route *r, int *seen)
{
	if (np_jscan_key(key, kl, "type"))
		return *seen |= 1, np_jscan_streq(js, "route.decided");
	if (np_jscan_key(key, kl, "incident_id"))
		return np_jscan_id(js, r->incident_id, TRK_ID_MAX);
	if (np_jscan_key(key, kl, "t0"))
		return *seen |= 2, np_jscan_int(js, &r->t0) == -1 ||
		    r->t0 < 0 || r->t0 > INT64_MAX / 2 ? -1 : 0;
	if (np_jscan_key(key, kl, "tiers"))
		return *seen |= 4, fast_tiers(js, r, mark_s);
	if (np_jscan_key(key, kl, "incident_type"))
		return fast_opt_str(js, r->type);
	if (np_jscan_key(key, kl, "post"))
		return fast_post(js, r);
	return np_jscan_skip(js);
}

int
trk_route_fast(const char *msg, size_t len, const int mark_s[3],
    struct trk_route *r)
{
	struct np_jscan js;
	struct np_jobj o;
	const char *key;
	size_t kl;
	int rv, seen = 0, i;

	memset(r, 0, sizeof(*r));
	if (np_jscan_begin(&js, &o, msg, len) == -1)
		return 1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1)
		if (fast_route_member(&js, key, kl, mark_s, r, &seen) == -1)
			return 1;
	if (rv == -1 || np_jscan_end(&js) == -1 || seen != 7 ||
	    r->incident_id[0] == '\0')
		return 1;
	for (i = 0; i < r->ntiers; i++)	/* t0 may come after the tiers */
		r->tiers[i].due += r->t0;
	return 0;
}

int
trk_status_fast(const char *msg, size_t len, struct trk_status *st)
{
	struct np_jscan js;
	struct np_jobj o;
	const char *key;
	size_t kl;
	int rv, type = 0;

	memset(st, 0, sizeof(*st));
	if (np_jscan_begin(&js, &o, msg, len) == -1)
		return 1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "type"))
			rv = np_jscan_streq(&js, "unit.status"), type = 1;
		else if (np_jscan_key(key, kl, "status"))
			rv = np_jscan_strcpy(&js, st->status,
			    sizeof(st->status) - 1);
		else if (np_jscan_key(key, kl, "order_id"))
			rv = np_jscan_null(&js) ? 0 : np_jscan_id(&js,
			    st->order_id, TRK_ID_MAX);
		else if (np_jscan_key(key, kl, "ts"))
			rv = np_jscan_null(&js) ? 0 : np_jscan_int(&js,
			    &st->ts) == -1 || st->ts < 0 ? -1 : 0;
		else
			rv = np_jscan_skip(&js);
		if (rv == -1)
			return 1;
	}
	return rv == -1 || np_jscan_end(&js) == -1 || !type ||
	    st->status[0] == '\0';
}

int
trk_route_parse(const char *msg, size_t len, const int mark_s[3],
    struct trk_route *r, char *err, size_t errlen)
{
	if (trk_route_fast(msg, len, mark_s, r) == 0)
		return 0;
	return trk_route_strict(msg, len, mark_s, r, err, errlen);
}

int
trk_status_parse(const char *msg, size_t len, struct trk_status *st,
    char *err, size_t errlen)
{
	if (trk_status_fast(msg, len, st) == 0)
		return 0;
	return trk_status_strict(msg, len, st, err, errlen);
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
