/*
 * msg.c: the router's messages (pure: text in, struct or an error naming
 * the field out; decision in, JSON out).
 *
 * Only what the router relies on is required of what it consumes:
 * incident.created needs the incident's id, type, priority, location and
 * t0; a units-bus frame its unit and a position with its time, or a
 * status.  Extra fields are let through (schemas/ is the strict statement
 * of the shapes).  unit.status from the gateway also carries events that
 * are no status of the unit's own (online, clear, declined): they are
 * reported as status -1 and the commander's following unit.status, which
 * says what Redis now holds, is what changes the unit.
 *
 * The s:incidents entries are read first without jansson
 * (router_incident_fast: np_jscan, no allocation -- json_loadb building
 * the incident's hash tables was a large part of the router's time), as
 * the units bus's frames are (posframe.c); what that refuses -- bad
 * input, escapes (in any string: a description with a line break or a
 * quote), non-ASCII in the strings read, anything unusual -- goes to the
 * strict jansson path (router_incident_strict), which also names the
 * field that is wrong.  The fast path never accepts what the strict one
 * refuses nor reads it otherwise (tests/unit/test_router_incident_fast.c
 * compares them on mutations of intake's messages).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "np_bus.h"
#include "np_id.h"
#include "np_jscan.h"
#include "np_json.h"
#include "router.h"

static const char *const unit_events[] = { "online", "clear", "declined",
    NULL };

static int
fail(const struct np_jerr *e, char *err, size_t errlen)
{
	if (*e->field != '\0')
		snprintf(err, errlen, "%s: %s", e->field, e->msg);
	else
		snprintf(err, errlen, "%s", e->msg);
	return -1;
}

static int
get_id(json_t *obj, const char *path, const char *key, char *out,
    struct np_jerr *e)
{
	const char *s;

	if (np_json_str(obj, path, key, 1, NP_CITY_ID_MAX, &s, e) == -1)
		return -1;
	if (!np_id_valid(s, NP_CITY_ID_MAX))
		return np_jerr_set(e, path, key, "\"%s\" is not an id "
		    "([A-Za-z0-9._:-])", s);
	snprintf(out, NP_CITY_ID_MAX + 1, "%s", s);
	return 0;
}

static int
get_point(json_t *obj, const char *path, double *lat, double *lon,
    struct np_jerr *e)
{
	if (np_json_num(obj, path, "lat", 1, -ROUTER_LAT_MAX, ROUTER_LAT_MAX,
	    lat, e) == -1 ||
	    np_json_num(obj, path, "lon", 1, -180, 180, lon, e) == -1)
		return -1;
	return 0;
}

static int
incident_created(json_t *j, struct router_incident *inc, struct np_jerr *e)
{
	json_t *o, *loc;
	const char *type;
	long long prio;

	if (np_json_obj(j, "", "incident", 1, &o, e) == -1 ||
	    get_id(o, "incident", "id", inc->id, e) == -1 ||
	    np_json_str(o, "incident", "type", 1, NP_TYPE_MAX, &type, e) ==
	    -1 ||
	    np_json_int(o, "incident", "priority", 1, 1, 4, &prio, e) == -1 ||
	    np_json_int(o, "incident", "t0", 1, 0, INT64_MAX, &inc->t0, e) ==
	    -1 ||
	    np_json_obj(o, "incident", "location", 1, &loc, e) == -1 ||
	    get_point(loc, "incident.location", &inc->lat, &inc->lon, e) == -1)
		return -1;
	snprintf(inc->type, sizeof(inc->type), "%s", type);
	inc->priority = (int)prio;
	return 0;
}

int
router_incident_strict(const char *msg, size_t len, enum router_msg *kind,
    struct router_incident *inc, char *err, size_t errlen)
{
	struct np_jerr e;
	const char *type;
	json_t *j;
	int rv = -1;

	memset(inc, 0, sizeof(*inc));
	memset(&e, 0, sizeof(e));
	if ((j = np_json_parse(msg, len, &e)) == NULL)
		return fail(&e, err, errlen);
	if (!json_is_object(j)) {
		np_jerr_set(&e, NULL, NULL, "must be a JSON object");
		goto out;
	}
	if (np_json_str(j, "", "type", 1, 64, &type, &e) == -1)
		goto out;
	if (strcmp(type, "incident.created") == 0) {
		*kind = ROUTER_MSG_CREATED;
		rv = incident_created(j, inc, &e);
	} else if (strcmp(type, "incident.upgraded") == 0) {
		*kind = ROUTER_MSG_UPGRADED;
		rv = get_id(j, "", "incident_id", inc->id, &e);
	} else {
		*kind = ROUTER_MSG_OTHER;
		rv = 0;
	}
out:
	json_decref(j);
	return rv == -1 ? fail(&e, err, errlen) : 0;
}

/* What an incident.created needs of the members read (seen). */
#define FAST_ID		0x01
#define FAST_TYPE	0x02
#define FAST_PRIO	0x04
#define FAST_T0		0x08
#define FAST_LAT	0x10
#define FAST_LON	0x20
#define FAST_ALL	0x3f

/* incident.location: its lat and lon. */
static int
fast_location(struct np_jscan *js, struct router_incident *inc, int *seen)
{
	struct np_jobj o;
	const char *key;
	size_t kl;
	int rv;

	if (np_jscan_open(js, '{', &o) == -1)
		return -1;
	while ((rv = np_jscan_next(js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "lat"))
			rv = np_jscan_num_in(js, -ROUTER_LAT_MAX,
			    ROUTER_LAT_MAX, &inc->lat), *seen |= FAST_LAT;
		else if (np_jscan_key(key, kl, "lon"))
			rv = np_jscan_num_in(js, -180, 180, &inc->lon),
			    *seen |= FAST_LON;
		else
			rv = np_jscan_skip(js);
		if (rv == -1)
			return -1;
	}
	return rv;
}

/* incident.created's "incident": what incident_created reads. */
static int
fast_incident(struct np_jscan *js, struct router_incident *inc, int *seen)
{
	struct np_jobj o;
	const char *key;
	long long prio = 0;
	size_t kl;
	int rv;

	if (np_jscan_open(js, '{', &o) == -1)
		return -1;
	while ((rv = np_jscan_next(js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "id"))
			rv = np_jscan_id(js, inc->id, NP_CITY_ID_MAX),
			    *seen |= FAST_ID;
		else if (np_jscan_key(key, kl, "type"))
			rv = np_jscan_strcpy(js, inc->type, NP_TYPE_MAX),
			    *seen |= FAST_TYPE;
		else if (np_jscan_key(key, kl, "priority"))
			rv = np_jscan_int_in(js, 1, 4, &prio), *seen |= FAST_PRIO;
		else if (np_jscan_key(key, kl, "t0"))
			rv = np_jscan_int_in(js, 0, INT64_MAX, &inc->t0),
			    *seen |= FAST_T0;
		else if (np_jscan_key(key, kl, "location"))
			rv = fast_location(js, inc, seen);
		else
			rv = np_jscan_skip(js);
		if (rv == -1)
			return -1;
	}
	inc->priority = (int)prio;
	return rv;
}

int
router_incident_fast(const char *msg, size_t len, enum router_msg *kind,
    struct router_incident *inc)
{
	struct router_incident created;
	char upgraded[NP_CITY_ID_MAX + 1] = "";
	struct np_jscan js;
	struct np_jobj o;
	const char *key, *type = NULL;
	size_t kl, tl = 0;
	int rv, seen = 0;

	memset(inc, 0, sizeof(*inc));
	memset(&created, 0, sizeof(created));
	if (np_jscan_begin(&js, &o, msg, len) == -1)
		return 1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "type"))
			rv = np_jscan_str(&js, &type, &tl);
		else if (np_jscan_key(key, kl, "incident"))
			rv = fast_incident(&js, &created, &seen);
		else if (np_jscan_key(key, kl, "incident_id"))
			rv = np_jscan_null(&js) ? 0 : np_jscan_id(&js, upgraded,
			    NP_CITY_ID_MAX);
		else
			rv = np_jscan_skip(&js);
		if (rv == -1)
			return 1;
	}
	if (rv == -1 || np_jscan_end(&js) == -1 || type == NULL || tl > 64)
		return 1;
	if (np_jscan_key(type, tl, "incident.created")) {
		if (seen != FAST_ALL)
			return 1;
		*kind = ROUTER_MSG_CREATED;
		*inc = created;
	} else if (np_jscan_key(type, tl, "incident.upgraded")) {
		if (upgraded[0] == '\0')
			return 1;
		*kind = ROUTER_MSG_UPGRADED;
		memcpy(inc->id, upgraded, sizeof(inc->id));
	} else
		*kind = ROUTER_MSG_OTHER;
	return 0;
}

int
router_incident_parse(const char *msg, size_t len, enum router_msg *kind,
    struct router_incident *inc, char *err, size_t errlen)
{
	if (router_incident_fast(msg, len, kind, inc) == 0)
		return 0;
	return router_incident_strict(msg, len, kind, inc, err, errlen);
}

int
router_status_word(const char *s, int *status)
{
	if ((*status = router_status_parse(s)) != -1)
		return 0;
	for (const char *const *ev = unit_events; *ev != NULL; ev++)
		if (strcmp(s, *ev) == 0)
			return 0;
	return -1;
}

static int
unit_status(json_t *j, struct router_unit_msg *u, struct np_jerr *e)
{
	const char *s;

	if (np_json_str(j, "", "status", 1, 32, &s, e) == -1)
		return -1;
	if (router_status_word(s, &u->status) == 0)
		return 0;
	return np_jerr_set(e, "", "status", "\"%s\" is not a unit status", s);
}

int
router_unit_msg_parse(const char *frame, size_t len,
    struct router_unit_msg *u, char *err, size_t errlen)
{
	const char *topic, *payload;
	size_t tlen, plen;

	memset(u, 0, sizeof(*u));
	u->status = -1;
	if (np_bus_split(frame, len, &topic, &tlen, &payload, &plen) == -1) {
		snprintf(err, errlen, "not a \"<topic> <json>\" frame");
		return -1;
	}
	if (tlen == 13 && memcmp(topic, "unit.position", 13) == 0 &&
	    router_pos_fast(payload, plen, u) == 0)
		return 0;	/* without jansson (posframe.c) */
	if (tlen == 11 && memcmp(topic, "unit.status", 11) == 0 &&
	    router_status_fast(payload, plen, u) == 0)
		return 0;
	return router_unit_msg_strict(topic, tlen, payload, plen, u, err,
	    errlen);
}

int
router_unit_msg_strict(const char *topic, size_t tlen, const char *payload,
    size_t plen, struct router_unit_msg *u, char *err, size_t errlen)
{
	struct np_jerr e;
	long long ts;
	json_t *j;
	int rv = -1;

	memset(u, 0, sizeof(*u));
	memset(&e, 0, sizeof(e));
	u->status = -1;
	if ((j = np_json_parse(payload, plen, &e)) == NULL)
		return fail(&e, err, errlen);
	if (!json_is_object(j))
		np_jerr_set(&e, NULL, NULL, "must be a JSON object");
	else if (get_id(j, "", "unit_id", u->unit_id, &e) == -1)
		;
	else if (tlen == 13 && memcmp(topic, "unit.position", 13) == 0) {
		u->position = 1;
		if (get_point(j, "", &u->lat, &u->lon, &e) == 0 &&
		    np_json_int(j, "", "ts", 1, 0, INT64_MAX, &ts, &e) == 0) {
			u->ts = ts;
			rv = 0;
		}
	} else if (tlen == 11 && memcmp(topic, "unit.status", 11) == 0)
		rv = unit_status(j, u, &e);
	else
		np_jerr_set(&e, NULL, NULL, "topic %.*s is not unit.position "
		    "or unit.status", (int)tlen, topic);
	json_decref(j);
	return rv == -1 ? fail(&e, err, errlen) : 0;
}

double
router_round1(double x)
{
	return round(x * 10.0) / 10.0;
}

json_t *
router_post_json(const struct router_map *m, const struct router_post *p,
    int full)
{
	const struct np_post *post = &m->city->posts[p->post];
	json_t *j = json_pack("{s:s, s:s}", "id", post->id, "name",
	    post->name);

	if (full) {
		json_object_set_new(j, "kind",
		    json_string(np_post_kind_name(post->kind)));
		json_object_set_new(j, "lat", json_real(post->lat));
		json_object_set_new(j, "lon", json_real(post->lon));
	}
	json_object_set_new(j, "distance_m", json_real(router_round1(
	    p->dist_m)));
	if (post->district[0] != '\0')
		json_object_set_new(j, "district", json_string(post->district));
	return j;
}

json_t *
router_tiers_json(const struct router_map *m, const struct router_decision *d)
{
	json_t *tiers = json_array(), *cands;
	size_t i, k;

	for (i = 0; i < d->ntiers; i++) {
		const struct router_tier *t = &d->tiers[i];

		cands = json_array();
		for (k = 0; k < t->n; k++) {
			const struct np_unit *u = &m->city->units[t->c[k].unit];

			json_array_append_new(cands, json_pack(
			    "{s:s, s:s, s:f, s:f}", "unit_id", u->id, "kind",
			    np_unit_kind_name(u->kind), "distance_m",
			    router_round1(t->c[k].dist_m), "eta_s",
			    router_round1(t->c[k].eta_s)));
		}
		json_array_append_new(tiers, json_pack("{s:i, s:i, s:o}",
		    "tier", t->tier, "deadline_s", t->deadline_s,
		    "candidates", cands));
	}
	return tiers;
}

json_t *
router_decided_json(const struct router_map *m,
    const struct router_incident *inc, const struct router_decision *d)
{
	json_t *j = np_msg_new("route.decided", "router");

	json_object_set_new(j, "incident_id", json_string(inc->id));
	json_object_set_new(j, "incident_type", json_string(inc->type));
	json_object_set_new(j, "priority", json_integer(inc->priority));
	json_object_set_new(j, "lat", json_real(inc->lat));
	json_object_set_new(j, "lon", json_real(inc->lon));
	json_object_set_new(j, "t0", json_integer(inc->t0));
	json_object_set_new(j, "post", router_post_json(m, &d->post, 0));
	json_object_set_new(j, "coverage_gap", json_boolean(d->post.gap));
	json_object_set_new(j, "tiers", router_tiers_json(m, d));
	return j;
}
