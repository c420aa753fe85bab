/*
 * np_plans: incident types and response plans from the plans file (see
 * np_plans.h and deploy/plans.json).
 *
 * The plans are read first so that each type can point at its plan.  The
 * whole file is loaded into a scratch struct and copied out only when it
 * is good (the type->plan pointers are moved with it), so a refused file
 * leaves the caller's plans as they were.  Errors name the JSON path:
 * "plans.violent.tiers[1].kinds[0]: \"tank\" is not a unit kind".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_file.h"
#include "np_id.h"
#include "np_json.h"
#include "np_plans.h"

#define NP_PLANS_DEADLINE_MAX	86400	/* seconds */
#define NP_PLANS_FILE_MAX	(1024 * 1024)

static int __attribute__((format(printf, 3, 4)))
plans_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
jerr(const struct np_jerr *e, char *err, size_t errlen)
{
	return plans_err(err, errlen, "%s: %s", e->field, e->msg);
}

/* Type, group and plan names: ids without ',' (lists are comma-joined). */
static int
name_ok(const char *s)
{
	return np_id_valid(s, NP_TYPE_MAX) && strchr(s, ',') == NULL;
}

static int
tier_kinds(struct np_tier *t, json_t *kinds, const char *path, char *err,
    size_t errlen)
{
	json_t *v;
	size_t i;
	int k;

	if (!json_is_array(kinds) || json_array_size(kinds) == 0)
		return plans_err(err, errlen, "%s.kinds: a non-empty array "
		    "of unit kinds is required", path);
	json_array_foreach(kinds, i, v) {
		if (!json_is_string(v) ||
		    (k = np_unit_kind_parse(json_string_value(v))) == -1)
			return plans_err(err, errlen, "%s.kinds[%zu]: %s%s%s is "
			    "not a unit kind", path, i, json_is_string(v) ?
			    "\"" : "", json_is_string(v) ?
			    json_string_value(v) : "this", json_is_string(v) ?
			    "\"" : "");
		if (t->kinds[k])
			return plans_err(err, errlen, "%s.kinds[%zu]: \"%s\" "
			    "twice", path, i, json_string_value(v));
		t->kinds[k] = 1;
	}
	return 0;
}

static int
tier_load(struct np_tier *t, size_t i, json_t *v, const char *plan,
    int prev_deadline, char *err, size_t errlen)
{
	static const char *const keys[] = { "tier", "deadline_s", "kinds",
	    NULL };
	struct np_jerr e;
	long long tier, deadline;
	char path[96];

	snprintf(path, sizeof(path), "plans.%s.tiers[%zu]", plan, i);
	if (!json_is_object(v))
		return plans_err(err, errlen, "%s: must be an object", path);
	if (np_json_only(v, path, keys, &e) == -1 ||
	    np_json_int(v, path, "tier", 1, 1, NP_TIERS_MAX, &tier, &e) == -1 ||
	    np_json_int(v, path, "deadline_s", 1, 1, NP_PLANS_DEADLINE_MAX,
	    &deadline, &e) == -1)
		return jerr(&e, err, errlen);
	if (tier != (long long)i + 1)
		return plans_err(err, errlen, "%s.tier: %lld out of order "
		    "(tiers are 1, 2, 3 in turn)", path, tier);
	if (deadline <= prev_deadline)
		return plans_err(err, errlen, "%s.deadline_s: %lld is not "
		    "later than the tier before (%d)", path, deadline,
		    prev_deadline);
	t->tier = (int)tier;
	t->deadline_s = (int)deadline;
	return tier_kinds(t, json_object_get(v, "kinds"), path, err, errlen);
}

static int
plan_load(struct np_plan *p, const char *name, json_t *v, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "tiers", NULL };
	struct np_jerr e;
	json_t *tiers;
	char path[64];
	size_t i;

	snprintf(path, sizeof(path), "plans.%s", name);
	if (!name_ok(name))
		return plans_err(err, errlen, "%s: a plan name is 1..%d "
		    "characters of [A-Za-z0-9._:-]", path, NP_TYPE_MAX);
	if (!json_is_object(v))
		return plans_err(err, errlen, "%s: must be an object", path);
	if (np_json_only(v, path, keys, &e) == -1)
		return jerr(&e, err, errlen);
	tiers = json_object_get(v, "tiers");
	if (!json_is_array(tiers) || json_array_size(tiers) == 0 ||
	    json_array_size(tiers) > NP_TIERS_MAX)
		return plans_err(err, errlen, "%s.tiers: an array of 1..%d "
		    "tiers is required", path, NP_TIERS_MAX);
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (i = 0; i < json_array_size(tiers); i++)
		if (tier_load(&p->tiers[i], i, json_array_get(tiers, i), name,
		    i > 0 ? p->tiers[i - 1].deadline_s : 0, err, errlen) == -1)
			return -1;
	p->ntiers = i;
	return 0;
}

static const struct np_plan *
plan_find(const struct np_plans *ps, const char *name)
{
	for (size_t i = 0; i < ps->nplans; i++)
		if (strcmp(ps->plans[i].name, name) == 0)
			return &ps->plans[i];
	return NULL;
}

static int
type_load(struct np_plans *ps, struct np_type *t, const char *name,
    json_t *v, char *err, size_t errlen)
{
	static const char *const keys[] = { "label", "priority",
	    "merge_group", "plan", NULL };
	struct np_jerr e;
	const char *group, *plan, *label;
	long long prio;
	char path[64];

	snprintf(path, sizeof(path), "types.%s", name);
	if (!name_ok(name))
		return plans_err(err, errlen, "%s: a type name is 1..%d "
		    "characters of [A-Za-z0-9._:-]", path, NP_TYPE_MAX);
	if (!json_is_object(v))
		return plans_err(err, errlen, "%s: must be an object", path);
	if (np_json_only(v, path, keys, &e) == -1 ||
	    np_json_str(v, path, "label", 1, sizeof(t->label) - 1, &label,
	    &e) == -1 ||
	    np_json_int(v, path, "priority", 1, 1, 4, &prio, &e) == -1 ||
	    np_json_str(v, path, "merge_group", 1, NP_TYPE_MAX, &group,
	    &e) == -1 ||
	    np_json_str(v, path, "plan", 1, NP_TYPE_MAX, &plan, &e) == -1)
		return jerr(&e, err, errlen);
	if (!name_ok(group))
		return plans_err(err, errlen, "%s.merge_group: a group name is "
		    "1..%d characters of [A-Za-z0-9._:-]", path, NP_TYPE_MAX);
	if ((t->plan = plan_find(ps, plan)) == NULL)
		return plans_err(err, errlen, "%s.plan: no plan named '%s'",
		    path, plan);
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->label, sizeof(t->label), "%s", label);
	snprintf(t->group, sizeof(t->group), "%s", group);
	t->priority = (int)prio;
	return 0;
}

static int
plans_parse(struct np_plans *ps, json_t *doc, char *err, size_t errlen)
{
	static const char *const keys[] = { "comment", "types", "plans",
	    NULL };
	struct np_jerr e;
	json_t *types, *plans, *v;
	const char *name;

	if (!json_is_object(doc))
		return plans_err(err, errlen, "the plans file must be an "
		    "object with \"types\" and \"plans\"");
	if (np_json_only(doc, "", keys, &e) == -1)
		return jerr(&e, err, errlen);
	types = json_object_get(doc, "types");
	plans = json_object_get(doc, "plans");
	if (!json_is_object(plans) || json_object_size(plans) == 0)
		return plans_err(err, errlen, "plans: a non-empty object is "
		    "required");
	if (!json_is_object(types) || json_object_size(types) == 0)
		return plans_err(err, errlen, "types: a non-empty object is "
		    "required");
	if (json_object_size(plans) > NP_PLANS_MAX)
		return plans_err(err, errlen, "plans: more than %d",
		    NP_PLANS_MAX);
	if (json_object_size(types) > NP_TYPES_MAX)
		return plans_err(err, errlen, "types: more than %d",
		    NP_TYPES_MAX);
	json_object_foreach(plans, name, v)
		if (plan_load(&ps->plans[ps->nplans++], name, v, err,
		    errlen) == -1)
			return -1;
	json_object_foreach(types, name, v)
		if (type_load(ps, &ps->types[ps->ntypes++], name, v, err,
		    errlen) == -1)
			return -1;
	return 0;
}

int
np_plans_load(struct np_plans *out, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct np_plans *ps;
	struct np_jerr e;
	json_t *doc;
	int rv = -1;

	if ((doc = np_json_parse(text, len, &e)) == NULL)
		return plans_err(err, errlen, "%s", e.msg);
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		plans_err(err, errlen, "out of memory");
		goto done;
	}
	if ((rv = plans_parse(ps, doc, err, errlen)) == 0) {
		*out = *ps;
		for (size_t i = 0; i < out->ntypes; i++)
			out->types[i].plan = &out->plans[ps->types[i].plan -
			    ps->plans];
	}
	free(ps);
done:
	json_decref(doc);
	return rv;
}

int
np_plans_load_file(struct np_plans *ps, const char *path, char *err,
    size_t errlen)
{
	char *buf, msg[384];
	size_t len;
	int rv;

	if ((buf = np_file_read(path, NP_PLANS_FILE_MAX, &len, err,
	    errlen)) == NULL)
		return -1;
	if ((rv = np_plans_load(ps, buf, len, msg, sizeof(msg))) == -1)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(buf);
	return rv;
}

const struct np_type *
np_plans_type(const struct np_plans *ps, const char *name)
{
	for (size_t i = 0; i < ps->ntypes; i++)
		if (strcmp(ps->types[i].name, name) == 0)
			return &ps->types[i];
	return NULL;
}

int
np_plans_compatible(const struct np_plans *ps, const struct np_type *t,
    char *buf, size_t len)
{
	size_t n = 0;
	int w;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (size_t i = 0; i < ps->ntypes; i++) {
		if (strcmp(ps->types[i].group, t->group) != 0)
			continue;
		w = snprintf(buf + n, len - n, "%s%s", n ? "," : "",
		    ps->types[i].name);
		if (w < 0 || (size_t)w >= len - n)
			return -1;
		n += (size_t)w;
	}
	return 0;
}
