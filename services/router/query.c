/*
 * query.c: the router's REQ/REP queries (docs/DISPATCH.md, "Router
 * queries"), answered from the map, never touching Redis:
 *
 *   {"q":"post","lat","lon"}          the owning post, coverage gap
 *   {"q":"units","lat","lon","radius_m","kind"?,"status"?,"max"?}
 *                                     units nearby, nearest first
 *   {"q":"route","lat","lon","type"}  the tiers a route would get now
 *
 * Anything else is answered {"error":{"code","message","field"?}}: codes
 * bad_json, bad_query (not an object, no q), bad_field (a field missing,
 * of the wrong type, out of range or unknown), unknown_query,
 * unknown_type, internal.  A query is checked whole before it is
 * answered, so a bad one changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "np_geo.h"
#include "np_json.h"
#include "router.h"

#define QUERY_MAX_DEFAULT	20

struct qerr {
	const char	*code;
	struct np_jerr	 e;
};

static char *
dump(json_t *j, size_t *len)
{
	char *s = np_json_dump(j, len);

	json_decref(j);
	if (s == NULL) {
		s = strdup("{\"error\":{\"code\":\"internal\",\"message\":"
		    "\"cannot encode the answer\"}}");
		*len = s != NULL ? strlen(s) : 0;
	}
	return s;
}

static char *
error_reply(const struct qerr *q, size_t *len)
{
	json_t *err = json_pack("{s:s, s:s}", "code", q->code, "message",
	    q->e.msg);

	if (*q->e.field != '\0')
		json_object_set_new(err, "field", json_string(q->e.field));
	return dump(json_pack("{s:o}", "error", err), len);
}

static int
bad(struct qerr *q, const char *code)
{
	q->code = code;
	return -1;
}

static int
point(json_t *j, double *lat, double *lon, struct qerr *q)
{
	if (np_json_num(j, "", "lat", 1, -ROUTER_LAT_MAX, ROUTER_LAT_MAX, lat,
	    &q->e) == -1 ||
	    np_json_num(j, "", "lon", 1, -180, 180, lon, &q->e) == -1)
		return bad(q, "bad_field");
	return 0;
}

static json_t *
q_post(struct router_map *m, json_t *j, struct qerr *q)
{
	static const char *const keys[] = { "q", "lat", "lon", NULL };
	struct router_post p;
	double lat, lon;

	if (np_json_only(j, "", keys, &q->e) == -1 ||
	    point(j, &lat, &lon, q) == -1) {
		bad(q, "bad_field");
		return NULL;
	}
	if (router_post(m, lat, lon, &p) == -1) {
		bad(q, "internal");
		return NULL;
	}
	return json_pack("{s:o, s:b}", "post", router_post_json(m, &p, 1),
	    "coverage_gap", p.gap);
}

/* The optional kind/status/max of a units query. */
static int
units_filters(json_t *j, int *kind, int *status, long long *max,
    struct qerr *q)
{
	const char *s = NULL;

	*kind = *status = -1;
	*max = QUERY_MAX_DEFAULT;
	if (np_json_str(j, "", "kind", 0, 32, &s, &q->e) == -1)
		return bad(q, "bad_field");
	if (s != NULL && (*kind = np_unit_kind_parse(s)) == -1) {
		np_jerr_set(&q->e, "", "kind", "\"%s\" is not a unit kind", s);
		return bad(q, "bad_field");
	}
	s = NULL;
	if (np_json_str(j, "", "status", 0, 32, &s, &q->e) == -1)
		return bad(q, "bad_field");
	if (s != NULL && (*status = router_status_parse(s)) == -1) {
		np_jerr_set(&q->e, "", "status", "\"%s\" is not a unit status",
		    s);
		return bad(q, "bad_field");
	}
	if (np_json_int(j, "", "max", 0, 1, ROUTER_QUERY_MAX, max, &q->e) == -1)
		return bad(q, "bad_field");
	return 0;
}

static json_t *
q_units(struct router_map *m, json_t *j, struct qerr *q)
{
	static const char *const keys[] = { "q", "lat", "lon", "radius_m",
	    "kind", "status", "max", NULL };
	struct np_geo_hit hits[ROUTER_QUERY_MAX];
	double lat, lon, radius;
	int kind, status;
	long long max;
	json_t *units;
	size_t n, i;

	if (np_json_only(j, "", keys, &q->e) == -1) {
		bad(q, "bad_field");
		return NULL;
	}
	if (point(j, &lat, &lon, q) == -1 ||
	    units_filters(j, &kind, &status, &max, q) == -1)
		return NULL;
	if (np_json_num(j, "", "radius_m", 1, 0, ROUTER_QUERY_RADIUS_MAX,
	    &radius, &q->e) == -1) {
		bad(q, "bad_field");
		return NULL;
	}
	n = router_units_near(m, lat, lon, radius, kind, status, hits,
	    (size_t)max);
	units = json_array();
	for (i = 0; i < n; i++) {
		const struct np_unit *u = &m->city->units[hits[i].id];
		const struct router_unit *l = &m->live[hits[i].id];

		json_array_append_new(units, json_pack("{s:s, s:s, s:s, s:f, "
		    "s:f, s:f}", "unit_id", u->id, "kind",
		    np_unit_kind_name(u->kind), "status",
		    router_status_name(l->status), "lat", l->lat, "lon", l->lon,
		    "distance_m", router_round1(hits[i].dist_m)));
	}
	return json_pack("{s:o}", "units", units);
}

static json_t *
q_route(struct router_map *m, json_t *j, struct qerr *q)
{
	static const char *const keys[] = { "q", "lat", "lon", "type", NULL };
	const struct np_type *type;
	struct router_decision *d;
	double lat, lon;
	const char *name;
	json_t *r;

	if (np_json_only(j, "", keys, &q->e) == -1 ||
	    point(j, &lat, &lon, q) == -1 ||
	    np_json_str(j, "", "type", 1, NP_TYPE_MAX, &name, &q->e) == -1) {
		bad(q, "bad_field");
		return NULL;
	}
	if ((type = np_plans_type(m->plans, name)) == NULL) {
		np_jerr_set(&q->e, "", "type", "\"%s\" is not an incident "
		    "type", name);
		bad(q, "unknown_type");
		return NULL;
	}
	if ((d = malloc(sizeof(*d))) == NULL ||
	    router_route(m, type->plan, lat, lon, d) == -1) {
		free(d);
		np_jerr_set(&q->e, NULL, NULL, "cannot route this point");
		bad(q, "internal");
		return NULL;
	}
	r = json_pack("{s:o, s:b, s:o}", "post", router_post_json(m, &d->post,
	    0), "coverage_gap", d->post.gap, "tiers", router_tiers_json(m, d));
	free(d);
	return r;
}

static json_t *
answer(struct router_map *m, json_t *j, struct qerr *q)
{
	static const struct {
		const char	*name;
		json_t		*(*fn)(struct router_map *, json_t *,
				    struct qerr *);
	} queries[] = {
		{ "post", q_post }, { "units", q_units }, { "route", q_route },
	};
	const char *name;

	if (!json_is_object(j)) {
		np_jerr_set(&q->e, NULL, NULL, "a query is a JSON object");
		bad(q, "bad_query");
		return NULL;
	}
	if (np_json_str(j, "", "q", 1, 32, &name, &q->e) == -1) {
		bad(q, "bad_query");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		if (strcmp(name, queries[i].name) == 0)
			return queries[i].fn(m, j, q);
	np_jerr_set(&q->e, "", "q", "\"%s\" is not a query (post, units, "
	    "route)", name);
	bad(q, "unknown_query");
	return NULL;
}

char *
router_query(struct router_map *m, const char *msg, size_t len,
    size_t *replylen)
{
	struct qerr q;
	json_t *j, *r;

	memset(&q, 0, sizeof(q));
	if ((j = np_json_parse(msg, len, &q.e)) == NULL) {
		q.code = "bad_json";
		return error_reply(&q, replylen);
	}
	r = answer(m, j, &q);
	json_decref(j);
	if (r == NULL)
		return error_reply(&q, replylen);
	return dump(r, replylen);
}
