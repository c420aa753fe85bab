/*
 * msg.c: the two messages the tracker consumes, checked before a script
 * runs (pure: text in, struct or an error naming the field out).  Only
 * what the tracker relies on is required; arm.lua reads t0, tiers and
 * post from the route.decided itself.  The schemas in schemas/ are the
 * strict statement of the shapes.
 */
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

int
trk_route_parse(const char *msg, size_t len, struct trk_route *r, char *err,
    size_t errlen)
{
	struct np_jerr e;
	json_t *j;
	int rv;

	memset(r, 0, sizeof(*r));
	if ((j = parse(msg, len, "route.decided", &e)) == NULL)
		return np_jerr_format(&e, err, errlen);
	rv = np_json_id(j, "", "incident_id", 1, TRK_ID_MAX, r->incident_id,
	    &e);
	json_decref(j);
	return rv == -1 ? np_jerr_format(&e, err, errlen) : 0;
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
trk_status_counts(const struct trk_status *st)
{
	return st->order_id[0] != '\0' && (strcmp(st->status, "acked") == 0 ||
	    strcmp(st->status, "onscene") == 0);
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
