/*
 * msg.c: the messages the commander consumes, checked before any script
 * runs (pure: text in, struct or an error naming the field out).
 *
 * Only what the commander relies on is required: a route.decided needs
 * its incident and, per tier, the tier number and candidates with unit
 * ids, kept in order (dispatch.lua reads the rest from the stored route
 * and incident);
 * a unit.status needs its unit, a known status and, for the order
 * statuses, the order.  Unknown extra fields are let through, so the
 * router and the gateway can add fields without breaking the commander;
 * the schemas in schemas/ are the strict statement of the shapes.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "commander.h"
#include "np_json.h"

static const char *const status_names[] = {
	[CMD_ST_ACKED] = "acked",
	[CMD_ST_DECLINED] = "declined",
	[CMD_ST_ENROUTE] = "enroute",
	[CMD_ST_ONSCENE] = "onscene",
	[CMD_ST_CLEAR] = "clear",
	[CMD_ST_ONLINE] = "online",
	[CMD_ST_OFFLINE] = "offline",
};
#define NSTATUS	(sizeof(status_names) / sizeof(status_names[0]))

const char *
cmd_status_name(enum cmd_status s)
{
	return (size_t)s < NSTATUS ? status_names[s] : "?";
}

/* An object whose envelope type is want. */
static int
check_type(json_t *j, const char *want, struct np_jerr *e)
{
	const char *type;

	if (!json_is_object(j))
		return np_jerr_set(e, NULL, NULL, "must be a JSON object");
	if (np_json_str(j, "", "type", 1, 64, &type, e) == -1)
		return -1;
	if (strcmp(type, want) != 0)
		return np_jerr_set(e, "", "type", "is \"%s\", not \"%s\"",
		    type, want);
	return 0;
}

static int
get_id(json_t *obj, const char *path, const char *key, int required,
    char *out, struct np_jerr *e)
{
	return np_json_id(obj, path, key, required, CMD_ID_MAX, out, e);
}

static int
get_text(json_t *obj, const char *key, char *out, struct np_jerr *e)
{
	const char *s = NULL;

	if (np_json_str(obj, "", key, 0, CMD_TEXT_MAX, &s, e) == -1)
		return -1;
	snprintf(out, CMD_TEXT_MAX + 1, "%s", s != NULL ? s : "");
	return 0;
}

static int
route_tier(json_t *t, size_t i, struct cmd_route *r, struct np_jerr *e)
{
	char path[32], cpath[96], *ids;
	long long tier;
	json_t *cands, *c;
	size_t k, off = 0;

	snprintf(path, sizeof(path), "tiers[%zu]", i);
	if (!json_is_object(t))
		return np_jerr_set(e, path, NULL, "must be an object");
	if (np_json_int(t, path, "tier", 1, 1, CMD_TIERS_MAX, &tier, e) == -1)
		return -1;
	for (k = 0; k < r->ntiers; k++)
		if (r->tiers[k] == (int)tier)
			return np_jerr_set(e, path, "tier", "%lld is listed "
			    "twice", tier);
	cands = json_object_get(t, "candidates");
	if (!json_is_array(cands))
		return np_jerr_set(e, path, "candidates", "must be an array");
	if (json_array_size(cands) > CMD_CANDIDATES_MAX)
		return np_jerr_set(e, path, "candidates", "has more than %d "
		    "units", CMD_CANDIDATES_MAX);
	ids = r->cands[r->ntiers];
	ids[0] = '\0';
	json_array_foreach(cands, k, c) {
		char id[CMD_ID_MAX + 1];

		snprintf(cpath, sizeof(cpath), "%s.candidates[%zu]", path, k);
		if (!json_is_object(c))
			return np_jerr_set(e, cpath, NULL, "must be an object");
		if (get_id(c, cpath, "unit_id", 1, id, e) == -1)
			return -1;
		off += snprintf(ids + off, CMD_CANDS_TEXT - off, "%s%s",
		    k ? "," : "", id);
	}
	r->tiers[r->ntiers++] = (int)tier;
	return 0;
}

int
cmd_route_parse(const char *msg, size_t len, struct cmd_route *r, char *err,
    size_t errlen)
{
	struct np_jerr e = { "", "" };
	json_t *j, *tiers, *t;
	size_t i;
	int rv = -1;

	/* not all of it: the candidate lists are large */
	r->incident_id[0] = '\0';
	r->ntiers = 0;
	if ((j = np_json_parse(msg, len, &e)) == NULL)
		return np_jerr_format(&e, err, errlen);
	if (check_type(j, "route.decided", &e) == -1 ||
	    get_id(j, "", "incident_id", 1, r->incident_id, &e) == -1)
		goto done;
	tiers = json_object_get(j, "tiers");
	if (!json_is_array(tiers)) {
		np_jerr_set(&e, "", "tiers", "must be an array");
		goto done;
	}
	if (json_array_size(tiers) > CMD_TIERS_MAX) {
		np_jerr_set(&e, "", "tiers", "has more than %d tiers",
		    CMD_TIERS_MAX);
		goto done;
	}
	json_array_foreach(tiers, i, t)
		if (route_tier(t, i, r, &e) == -1)
			goto done;
	rv = 0;
done:
	json_decref(j);
	return rv == 0 ? 0 : np_jerr_format(&e, err, errlen);
}

int
cmd_status_parse(const char *msg, size_t len, struct cmd_status_msg *s,
    char *err, size_t errlen)
{
	struct np_jerr e = { "", "" };
	const char *status;
	json_t *j;
	size_t i;
	int rv = -1;

	memset(s, 0, sizeof(*s));
	if ((j = np_json_parse(msg, len, &e)) == NULL)
		return np_jerr_format(&e, err, errlen);
	if (check_type(j, "unit.status", &e) == -1 ||
	    get_id(j, "", "unit_id", 1, s->unit_id, &e) == -1 ||
	    np_json_str(j, "", "status", 1, 16, &status, &e) == -1)
		goto done;
	for (i = 0; i < NSTATUS; i++)
		if (strcmp(status, status_names[i]) == 0)
			break;
	if (i == NSTATUS) {
		np_jerr_set(&e, "", "status", "\"%s\" is not a unit status",
		    status);
		goto done;
	}
	s->status = (enum cmd_status)i;
	if (get_id(j, "", "order_id", s->status != CMD_ST_ONLINE &&
	    s->status != CMD_ST_OFFLINE, s->order_id, &e) == -1 ||
	    get_text(j, "disposition", s->disposition, &e) == -1 ||
	    get_text(j, "reason", s->reason, &e) == -1)
		goto done;
	rv = 0;
done:
	json_decref(j);
	return rv == 0 ? 0 : np_jerr_format(&e, err, errlen);
}
