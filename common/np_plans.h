/*
 * np_plans: incident types and their response plans, from the plans file
 * (deploy/plans.json): intake validates and merges calls by type, the
 * router fills each tier of the type's plan with the smallest unit kind
 * that can meet the tier's deadline.  Adding a type or changing a plan is
 * an edit of the data file, not of code.
 *
 * Loading is strict (unknown keys, bad kinds, a type naming a missing
 * plan, tiers out of order are refused) and the error names the path
 * ("types.fight.plan: no plan named 'x'").
 */
#ifndef NP_PLANS_H
#define NP_PLANS_H

#include <stddef.h>

#include "np_city.h"

#define NP_TYPE_MAX	32	/* bytes in a type, group or plan name */
#define NP_TYPES_MAX	128
#define NP_PLANS_MAX	32
#define NP_TIERS_MAX	3	/* the 1/3/5-minute marks */

struct np_tier {
	int	tier;			/* 1, 2, 3 */
	int	deadline_s;		/* 60, 180, 300 */
	int	kinds[NP_UNIT_KINDS];	/* 1 if that kind may fill the tier */
};

struct np_plan {
	char		name[NP_TYPE_MAX + 1];
	struct np_tier	tiers[NP_TIERS_MAX];
	size_t		ntiers;
};

struct np_type {
	char		name[NP_TYPE_MAX + 1];
	char		label[64];
	char		group[NP_TYPE_MAX + 1];	/* merge group */
	int		priority;		/* default, 1 red .. 4 blue */
	const struct np_plan *plan;
};

struct np_plans {
	struct np_type	types[NP_TYPES_MAX];
	size_t		ntypes;
	struct np_plan	plans[NP_PLANS_MAX];
	size_t		nplans;
};

/*
 * 0, or -1 with err (the JSON path of the bad value and why) and the
 * plans unchanged.  np_plans_load_file's err starts with the file's path
 * ("deploy/plans.json: types.fight.plan: ..."): print it as it is.
 */
int	np_plans_load(struct np_plans *, const char *text, size_t len,
	    char *err, size_t errlen);
int	np_plans_load_file(struct np_plans *, const char *path, char *err,
	    size_t errlen);
const struct np_type *np_plans_type(const struct np_plans *, const char *);
/* "a,b,c": the types of t's merge group (t included); -1 if too long. */
int	np_plans_compatible(const struct np_plans *, const struct np_type *t,
	    char *buf, size_t len);

#endif
