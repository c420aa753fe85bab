/*
 * Fuzz target: npsim's replay CSV parser (a file a user hands it), with
 * the real plans so that types are checked too.  A refusal must say
 * why, with the line; an accepted file must hold calls in time order,
 * from 0, inside the coordinate ranges.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct np_plans plans;
static int loaded;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_csv_call *v = NULL;
	char err[512];
	size_t n = 0;

	if (!loaded) {
		if (np_plans_load_file(&plans, NP_SRC_DIR "/deploy/plans.json",
		    err, sizeof(err)) == -1)
			abort();
		loaded = 1;
	}
	err[0] = '\0';
	if (sim_csv_load((const char *)data, size, &plans, &v, &n, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (n == 0 || v[0].t != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && v[i].t < v[i - 1].t) || !isfinite(v[i].t) ||
		    fabs(v[i].lat) > 85.05112878 || fabs(v[i].lon) > 180 ||
		    np_plans_type(&plans, v[i].type) == NULL)
			abort();
	free(v);
	return 0;
}
