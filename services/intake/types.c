/*
 * types.c: incident types.  They come from the plans file (a data file
 * shared with the router, which reads the "plans" part), so adding a type
 * is an edit of deploy/plans.json, not of code.
 */
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "np_id.h"

static const char *const colours[] = { "red", "orange", "yellow", "blue" };

const char *
intake_colour(int priority)
{
	if (priority < 1 || priority > 4)
		return "unknown";
	return colours[priority - 1];
}

int
intake_priority_of_colour(const char *colour)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(colour, colours[i]) == 0)
			return i + 1;
	return -1;
}

static int
type_load(struct intake_type *t, const char *name, json_t *v,
    json_t *plans, char *err, size_t errlen)
{
	static const char *const keys[] = { "label", "priority",
	    "merge_group", "plan", NULL };
	struct np_jerr e;
	const char *group, *plan, *label;
	long long prio;
	char path[64];

	snprintf(path, sizeof(path), "types.%s", name);
	if (!np_id_valid(name, INTAKE_TYPE_MAX) || strchr(name, ',') != NULL) {
		snprintf(err, errlen, "%s: a type name is 1..%d characters of "
		    "[A-Za-z0-9._:-]", path, INTAKE_TYPE_MAX);
		return -1;
	}
	if (!json_is_object(v)) {
		snprintf(err, errlen, "%s: must be an object", path);
		return -1;
	}
	if (np_json_only(v, path, keys, &e) == -1 ||
	    np_json_str(v, path, "label", 1, 128, &label, &e) == -1 ||
	    np_json_int(v, path, "priority", 1, 1, 4, &prio, &e) == -1 ||
	    np_json_str(v, path, "merge_group", 1, INTAKE_TYPE_MAX, &group,
	    &e) == -1 ||
	    np_json_str(v, path, "plan", 1, 64, &plan, &e) == -1) {
		snprintf(err, errlen, "%s: %s", e.field, e.msg);
		return -1;
	}
	if (!json_is_object(json_object_get(plans, plan))) {
		snprintf(err, errlen, "%s.plan: no plan named '%s'", path,
		    plan);
		return -1;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->group, sizeof(t->group), "%s", group);
	t->priority = (int)prio;
	return 0;
}

int
intake_types_load(struct intake_types *ts, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct np_jerr e;
	json_t *doc, *types, *plans, *v;
	const char *name;
	int rv = -1;

	memset(ts, 0, sizeof(*ts));
	if ((doc = np_json_parse(text, len, &e)) == NULL) {
		snprintf(err, errlen, "%s", e.msg);
		return -1;
	}
	types = json_object_get(doc, "types");
	plans = json_object_get(doc, "plans");
	if (!json_is_object(types) || json_object_size(types) == 0) {
		snprintf(err, errlen, "types: a non-empty object is required");
		goto done;
	}
	if (!json_is_object(plans)) {
		snprintf(err, errlen, "plans: an object is required");
		goto done;
	}
	json_object_foreach(types, name, v) {
		if (ts->n == INTAKE_TYPES_MAX) {
			snprintf(err, errlen, "types: more than %d",
			    INTAKE_TYPES_MAX);
			goto done;
		}
		if (type_load(&ts->t[ts->n], name, v, plans, err, errlen) == -1)
			goto done;
		ts->n++;
	}
	rv = 0;
done:
	json_decref(doc);
	return rv;
}

const struct intake_type *
intake_type_find(const struct intake_types *ts, const char *name)
{
	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].name, name) == 0)
			return &ts->t[i];
	return NULL;
}

int
intake_types_compatible(const struct intake_types *ts,
    const struct intake_type *t, char *buf, size_t len)
{
	size_t n = 0;
	int w;

	buf[0] = '\0';
	for (size_t i = 0; i < ts->n; i++) {
		if (strcmp(ts->t[i].group, t->group) != 0)
			continue;
		w = snprintf(buf + n, len - n, "%s%s", n ? "," : "",
		    ts->t[i].name);
		if (w < 0 || (size_t)w >= len - n)
			return -1;
		n += (size_t)w;
	}
	return 0;
}
