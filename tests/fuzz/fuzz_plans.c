/*
 * Fuzz target: the plans file loader (np_plans).  A refusal must say why;
 * an accepted file must give types whose plans are in the same struct,
 * tiers numbered 1.. with rising deadlines, and merge-group lists that
 * fit a buffer sized for every type.
 */
#include <stdint.h>
#include <stdlib.h>

#include "np_plans.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct np_plans *ps)
{
	static char buf[NP_TYPES_MAX * (NP_TYPE_MAX + 1)];

	for (size_t i = 0; i < ps->nplans; i++)
		for (size_t t = 0; t < ps->plans[i].ntiers; t++)
			if (ps->plans[i].tiers[t].tier != (int)t + 1 ||
			    (t > 0 && ps->plans[i].tiers[t].deadline_s <=
			    ps->plans[i].tiers[t - 1].deadline_s))
				abort();
	for (size_t i = 0; i < ps->ntypes; i++)
		if (ps->types[i].plan < ps->plans ||
		    ps->types[i].plan >= ps->plans + ps->nplans ||
		    np_plans_type(ps, ps->types[i].name) != &ps->types[i] ||
		    np_plans_compatible(ps, &ps->types[i], buf,
		    sizeof(buf)) == -1)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct np_plans ps;
	char err[512];

	err[0] = '\0';
	if (np_plans_load(&ps, (const char *)data, size, err,
	    sizeof(err)) == 0)
		check(&ps);
	else if (err[0] == '\0')
		abort();	/* every refusal must say why */
	return 0;
}
