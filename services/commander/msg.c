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
 *
 * Both are read first without jansson (cmd_route_fast, cmd_status_fast:
 * np_jscan, no allocation); whatever that refuses -- bad input, escapes,
 * anything unusual -- goes to the strict jansson path (cmd_route_strict,
 * cmd_status_strict), which also names the field that is wrong.  A fast
 * path never accepts what the strict one refuses nor reads it otherwise
 * (tests/unit/test_commander_fast.c compares them on mutations).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "commander.h"
#include "np_jscan.h"
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
cmd_route_strict(const char *msg, size_t len, struct cmd_route *r, char *err,
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
cmd_status_strict(const char *msg, size_t len, struct cmd_status_msg *s,
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

/* One candidate {"unit_id": ...} appended to ids at *off. */
static int
fast_cand(struct np_jscan *js, size_t k, char *ids, size_t *off)
{
	char id[CMD_ID_MAX + 1] = "";
	struct np_jobj o;
	const char *key;
	size_t kl;
	int r;

	if (np_jscan_open(js, '{', &o) == -1)
		return -1;
	while ((r = np_jscan_next(js, &o, &key, &kl)) == 1)
		if (np_jscan_key(key, kl, "unit_id") ? np_jscan_id(js, id,
		    CMD_ID_MAX) : np_jscan_skip(js))
			return -1;
	if (r == -1 || id[0] == '\0')
		return -1;
	if (k > 0)
		ids[(*off)++] = ',';
	kl = strlen(id);
	memcpy(ids + *off, id, kl + 1);
	*off += kl;
	return 0;
}

static int
fast_cands(struct np_jscan *js, char *ids)
{
	size_t k = 0, off = 0;
	int r;

	ids[0] = '\0';
	if (np_jscan_open(js, '[', NULL) == -1)
		return -1;
	while ((r = np_jscan_item(js, &k)) == 1)
		if (k > CMD_CANDIDATES_MAX || fast_cand(js, k - 1, ids, &off))
			return -1;
	return r;
}

/* tiers[i]: its number and candidates into r (tier i). */
static int
fast_tier(struct np_jscan *js, struct cmd_route *r, size_t i)
{
	struct np_jobj o;
	const char *key;
	long long tier = 0;
	size_t kl, k;
	int rv, cands = 0;

	if (np_jscan_open(js, '{', &o) == -1)
		return -1;
	while ((rv = np_jscan_next(js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "tier"))
			rv = np_jscan_int(js, &tier);
		else if (np_jscan_key(key, kl, "candidates")) {
			rv = fast_cands(js, r->cands[i]);
			cands = 1;
		} else
			rv = np_jscan_skip(js);
		if (rv == -1)
			return -1;
	}
	if (rv == -1 || !cands || tier < 1 || tier > CMD_TIERS_MAX)
		return -1;
	for (k = 0; k < i; k++)
		if (r->tiers[k] == (int)tier)
			return -1;
	r->tiers[i] = (int)tier;
	return 0;
}

static int
fast_tiers(struct np_jscan *js, struct cmd_route *r)
{
	size_t i = 0;
	int rv;

	if (np_jscan_open(js, '[', NULL) == -1)
		return -1;
	while ((rv = np_jscan_item(js, &i)) == 1)
		if (i > CMD_TIERS_MAX || fast_tier(js, r, i - 1) == -1)
			return -1;
	r->ntiers = i;
	return rv;
}

int
cmd_route_fast(const char *msg, size_t len, struct cmd_route *r)
{
	struct np_jscan js;
	struct np_jobj o;
	const char *key;
	size_t kl;
	int rv, type = 0, tiers = 0;

	r->incident_id[0] = '\0';
	r->ntiers = 0;
	if (np_jscan_begin(&js, &o, msg, len) == -1)
		return 1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "type"))
			rv = np_jscan_streq(&js, "route.decided"), type = 1;
		else if (np_jscan_key(key, kl, "incident_id"))
			rv = np_jscan_id(&js, r->incident_id, CMD_ID_MAX);
		else if (np_jscan_key(key, kl, "tiers"))
			rv = fast_tiers(&js, r), tiers = 1;
		else
			rv = np_jscan_skip(&js);
		if (rv == -1)
			return 1;
	}
	return rv == -1 || np_jscan_end(&js) == -1 || !type || !tiers ||
	    r->incident_id[0] == '\0';
}

/* An optional text (get_text): null or absent is "". */
static int
fast_text(struct np_jscan *js, char *out)
{
	if (np_jscan_null(js)) {
		out[0] = '\0';
		return 0;
	}
	return np_jscan_strcpy(js, out, CMD_TEXT_MAX);
}

static int
fast_status_word(struct np_jscan *js, struct cmd_status_msg *s)
{
	const char *v;
	size_t n, i;

	if (np_jscan_str(js, &v, &n) == -1)
		return -1;
	for (i = 0; i < NSTATUS; i++)
		if (np_jscan_key(v, n, status_names[i])) {
			s->status = (enum cmd_status)i;
			return 0;
		}
	return -1;
}

int
cmd_status_fast(const char *msg, size_t len, struct cmd_status_msg *s)
{
	struct np_jscan js;
	struct np_jobj o;
	const char *key;
	size_t kl;
	int rv, type = 0, status = 0;

	memset(s, 0, sizeof(*s));
	if (np_jscan_begin(&js, &o, msg, len) == -1)
		return 1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "type"))
			rv = np_jscan_streq(&js, "unit.status"), type = 1;
		else if (np_jscan_key(key, kl, "unit_id"))
			rv = np_jscan_id(&js, s->unit_id, CMD_ID_MAX);
		else if (np_jscan_key(key, kl, "status"))
			rv = fast_status_word(&js, s), status = 1;
		else if (np_jscan_key(key, kl, "order_id"))
			rv = np_jscan_null(&js) ? 0 : np_jscan_id(&js,
			    s->order_id, CMD_ID_MAX);
		else if (np_jscan_key(key, kl, "disposition"))
			rv = fast_text(&js, s->disposition);
		else if (np_jscan_key(key, kl, "reason"))
			rv = fast_text(&js, s->reason);
		else
			rv = np_jscan_skip(&js);
		if (rv == -1)
			return 1;
	}
	return rv == -1 || np_jscan_end(&js) == -1 || !type || !status ||
	    s->unit_id[0] == '\0' || (s->order_id[0] == '\0' &&
	    s->status != CMD_ST_ONLINE && s->status != CMD_ST_OFFLINE);
}

int
cmd_route_parse(const char *msg, size_t len, struct cmd_route *r, char *err,
    size_t errlen)
{
	if (cmd_route_fast(msg, len, r) == 0)
		return 0;
	return cmd_route_strict(msg, len, r, err, errlen);
}

int
cmd_status_parse(const char *msg, size_t len, struct cmd_status_msg *s,
    char *err, size_t errlen)
{
	if (cmd_status_fast(msg, len, s) == 0)
		return 0;
	return cmd_status_strict(msg, len, s, err, errlen);
}

/*
 * Without jansson: np_jscan reads the members the commander needs and
 * skips the rest (an incident.closed carries its marks, SLA and repeats:
 * jansson building all of it was a sixth of the commander's time).  -1:
 * not read here (outside np_jscan's subset, or anything the strict parse
 * refuses -- it then says what).
 */
int
cmd_ask_fast(const char *msg, size_t len, char *inc, char *tier)
{
	struct np_jscan js;
	struct np_jobj o;
	const char *key, *type = NULL, *action = NULL;
	size_t kl, tl = 0, al = 0;
	long long t = 0;
	int rv, has_tier = 0;

	inc[0] = '\0';
	if (np_jscan_begin(&js, &o, msg, len) == -1)
		return -1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "type"))
			rv = np_jscan_str(&js, &type, &tl);
		else if (np_jscan_key(key, kl, "action"))
			rv = np_jscan_str(&js, &action, &al);
		else if (np_jscan_key(key, kl, "incident_id"))
			rv = np_jscan_id(&js, inc, CMD_ID_MAX);
		else if (np_jscan_key(key, kl, "tier"))
			rv = np_jscan_int(&js, &t), has_tier = 1;
		else
			rv = np_jscan_skip(&js);
		if (rv == -1)
			return -1;
	}
	if (rv == -1 || np_jscan_end(&js) == -1 || type == NULL || tl < 1 ||
	    tl > 64)
		return -1;
	if (np_jscan_key(type, tl, "incident.closed"))
		return inc[0] != '\0' ? CMD_ASK_CANCEL : -1;
	if (!np_jscan_key(type, tl, "escalation"))
		return CMD_ASK_NOTHING;
	if (action == NULL || al < 1 || al > 32)
		return -1;
	if (!np_jscan_key(action, al, "redispatch"))
		return CMD_ASK_NOTHING;
	if (inc[0] == '\0' || !has_tier || t < 1 || t > CMD_TIERS_MAX)
		return -1;
	snprintf(tier, 8, "%lld", t);
	return CMD_ASK_REDISPATCH;
}

/* What the message asks (inc, tier filled), or -1 with err naming the field. */
int
cmd_ask_strict(const char *msg, size_t len, char *inc, char *tier, char *err,
    size_t errlen)
{
	const char *type, *action;
	struct np_jerr e;
	long long t;
	json_t *j;
	int rv = -1;

	if ((j = np_json_parse(msg, len, &e)) == NULL)
		return np_jerr_format(&e, err, errlen);
	if (!json_is_object(j)) {
		np_jerr_set(&e, NULL, NULL, "must be a JSON object");
		goto done;
	}
	if (np_json_str(j, "", "type", 1, 64, &type, &e) == -1)
		goto done;
	if (strcmp(type, "incident.closed") == 0) {
		if (np_json_id(j, "", "incident_id", 1, CMD_ID_MAX, inc,
		    &e) == 0)
			rv = CMD_ASK_CANCEL;
		goto done;
	}
	if (strcmp(type, "escalation") != 0) {
		rv = CMD_ASK_NOTHING;
		goto done;
	}
	if (np_json_str(j, "", "action", 1, 32, &action, &e) == -1)
		goto done;
	if (strcmp(action, "redispatch") != 0) {
		rv = CMD_ASK_NOTHING;
		goto done;
	}
	if (np_json_id(j, "", "incident_id", 1, CMD_ID_MAX, inc, &e) == -1 ||
	    np_json_int(j, "", "tier", 1, 1, CMD_TIERS_MAX, &t, &e) == -1)
		goto done;
	snprintf(tier, 8, "%lld", t);
	rv = CMD_ASK_REDISPATCH;
done:
	json_decref(j);
	return rv == -1 ? np_jerr_format(&e, err, errlen) : rv;
}
