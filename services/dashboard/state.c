/*
 * state.c: /api/state from state.lua's answer and the city (pure).
 *
 * state.lua reads Redis in one round trip and answers
 *   {"units": [[id, {unit hash}], ...],
 *    "incidents": [[id, {inc fields}, {mark hash}], ...],
 *    "escalations": ["<s:escalations msg>", ...newest first]}
 * (an empty Lua table comes back as {} rather than []: both are read as
 * empty).  Here it is joined with the city (posts, home positions) and
 * the plans (mark deadlines of incidents the tracker has not armed yet).
 */
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "np_json.h"

static const char *
sget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long
iget(json_t *o, const char *k)
{
	const char *s = sget(o, k);

	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

static double
dget(json_t *o, const char *k, double dflt)
{
	const char *s = sget(o, k);

	return s != NULL && *s != '\0' ? strtod(s, NULL) : dflt;
}

static json_t *
posts_json(const struct np_city *c)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < c->nposts; i++) {
		const struct np_post *p = &c->posts[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:f, s:f}", "id", p->id, "name", p->name, "kind",
		    np_post_kind_name(p->kind), "district", p->district,
		    "lat", p->lat, "lon", p->lon));
	}
	return a;
}

static json_t *
units_json(const struct np_city *c, json_t *raw, json_t *counts)
{
	json_t *a = json_array(), *e, *h;
	const char *st;
	size_t i;
	long u;

	json_array_foreach(raw, i, e) {
		if ((u = np_city_unit(c, json_string_value(
		    json_array_get(e, 0)))) == -1)
			continue;
		h = json_array_get(e, 1);
		st = sget(h, "status") != NULL ? sget(h, "status") : "unknown";
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s, s:f, s:f, s:I, s:s, s:s}", "id", c->units[u].id,
		    "callsign", c->units[u].callsign, "kind",
		    np_unit_kind_name(c->units[u].kind), "post",
		    c->posts[c->units[u].post].id, "status", st,
		    "lat", dget(h, "lat", c->units[u].lat),
		    "lon", dget(h, "lon", c->units[u].lon),
		    "pos_ts", (json_int_t)iget(h, "pos_ts"),
		    "incident", sget(h, "incident") ? sget(h, "incident") : "",
		    "link", sget(h, "link") ? sget(h, "link") : ""));
		json_object_set_new(counts, st, json_integer(
		    json_integer_value(json_object_get(counts, st)) + 1));
	}
	return a;
}

/* From mark:<id> when the tracker armed it, else from the plan. */
static json_t *
marks_json(const struct dash_view *v, json_t *inc, json_t *mark,
    long long t0)
{
	const struct np_type *ty;
	json_t *a = json_array();
	char f[32];
	const char *st;
	int t;
	size_t i;

	for (t = 1; t <= NP_TIERS_MAX; t++) {
		snprintf(f, sizeof(f), "%d.due", t);
		if (sget(mark, f) == NULL)
			continue;
		long long due = iget(mark, f);
		snprintf(f, sizeof(f), "%d.state", t);
		st = sget(mark, f) ? sget(mark, f) : "pending";
		json_array_append_new(a, json_pack("{s:i, s:I, s:s}", "tier",
		    t, "due", (json_int_t)due, "state", st));
	}
	if (json_array_size(a) > 0 || (ty = np_plans_type(v->plans,
	    sget(inc, "type") ? sget(inc, "type") : "")) == NULL ||
	    ty->plan == NULL)
		return a;
	for (i = 0; i < ty->plan->ntiers; i++) {
		const struct np_tier *tr = &ty->plan->tiers[i];
		int s = tr->tier >= 1 && tr->tier <= NP_TIERS_MAX &&
		    v->mark_s[tr->tier - 1] > 0 ? v->mark_s[tr->tier - 1] :
		    tr->deadline_s;

		json_array_append_new(a, json_pack("{s:i, s:I, s:s}", "tier",
		    tr->tier, "due", (json_int_t)(t0 + s * 1000LL), "state",
		    "pending"));
	}
	return a;
}

const char *
dash_level(json_t *marks, int64_t now)
{
	json_t *m;
	size_t i;
	int passed = 0;

	json_array_foreach(marks, i, m) {
		const char *st = json_string_value(json_object_get(m,
		    "state"));
		int64_t due = json_integer_value(json_object_get(m, "due"));

		if (st != NULL && strcmp(st, "missed") == 0)
			return "red";
		if (due <= now) {
			passed = 1;
			if (st == NULL || strcmp(st, "pending") == 0)
				return "red";
		}
	}
	return passed ? "amber" : "green";
}

static json_t *
incident_json(const struct dash_view *v, json_t *e, int64_t now)
{
	json_t *inc = json_array_get(e, 1), *marks;
	const char *gap = sget(inc, "coverage_gap");
	long long t0 = iget(inc, "t0");

	marks = marks_json(v, inc, json_array_get(e, 2), t0);
	return json_pack("{s:s, s:s, s:I, s:s, s:f, s:f, s:s, s:I, s:I, "
	    "s:s, s:b, s:I, s:s, s:o}",
	    "id", json_string_value(json_array_get(e, 0)),
	    "type", sget(inc, "type") ? sget(inc, "type") : "",
	    "priority", (json_int_t)iget(inc, "priority"),
	    "state", sget(inc, "state") ? sget(inc, "state") : "",
	    "lat", dget(inc, "lat", 0), "lon", dget(inc, "lon", 0),
	    "address", sget(inc, "address") ? sget(inc, "address") : "",
	    "t0", (json_int_t)t0, "age_ms", (json_int_t)(now - t0),
	    "post", sget(inc, "post") ? sget(inc, "post") : "",
	    "coverage_gap", gap != NULL && (strcmp(gap, "true") == 0 ||
	    strcmp(gap, "1") == 0),
	    "calls", (json_int_t)iget(inc, "calls"),
	    "level", dash_level(marks, now), "marks", marks);
}

static int
mark_settled(json_t *incs, const char *id, json_int_t tier)
{
	json_t *i, *m;
	size_t k, j;

	json_array_foreach(incs, k, i) {
		if (strcmp(json_string_value(json_object_get(i, "id")), id))
			continue;
		json_array_foreach(json_object_get(i, "marks"), j, m) {
			const char *st = json_string_value(json_object_get(m,
			    "state"));
			if (json_integer_value(json_object_get(m, "tier")) ==
			    tier && st != NULL && strncmp(st, "met", 3) == 0)
				return 1;
		}
		return 0;
	}
	return 1;	/* no longer open */
}

/* Supervisor and command steps of marks still not met, newest first. */
static json_t *
escalations_json(const struct dash_view *v, json_t *raw, json_t *incs)
{
	json_t *a = json_array(), *e, *m;
	const char *s, *type, *action, *id;
	size_t i;

	json_array_foreach(raw, i, e) {
		if (json_array_size(a) >= v->max_escalations)
			break;
		if ((s = json_string_value(e)) == NULL ||
		    (m = json_loads(s, 0, NULL)) == NULL)
			continue;
		type = sget(m, "type");
		action = sget(m, "action");
		id = sget(m, "incident_id");
		if (type != NULL && strcmp(type, "escalation") == 0 &&
		    action != NULL && strcmp(action, "redispatch") != 0 &&
		    id != NULL && !mark_settled(incs, id, json_integer_value(
		    json_object_get(m, "tier"))))
			json_array_append(a, m);
		json_decref(m);
	}
	return a;
}

json_t *
dash_state_build(const struct dash_view *v, json_t *raw, int64_t now)
{
	json_t *counts = json_object(), *incs = json_array(), *e, *o;
	size_t i, gaps = 0;

	json_array_foreach(json_object_get(raw, "incidents"), i, e) {
		if (!json_is_string(json_array_get(e, 0)) ||
		    (o = incident_json(v, e, now)) == NULL)
			continue;
		gaps += json_is_true(json_object_get(o, "coverage_gap"));
		json_array_append_new(incs, o);
	}
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:o}}",
	    "now", (json_int_t)now, "posts", posts_json(v->city),
	    "units", units_json(v->city, json_object_get(raw, "units"),
	    counts), "incidents", incs, "escalations",
	    escalations_json(v, json_object_get(raw, "escalations"), incs),
	    "counts", "incidents", (json_int_t)json_array_size(incs),
	    "coverage_gaps", (json_int_t)gaps, "units", counts);
}
