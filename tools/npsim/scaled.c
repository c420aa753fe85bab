/*
 * scaled.c: `npsim --scaled-env`: the service settings that run the
 * services' clocks at the simulation's speed -- the 1/3/5-minute marks
 * (from the plans' deadlines), the escalation step, the ack timeout,
 * the gateway's re-sends and position writes, the merge window -- as
 * `export NEARPOST_...` lines for a shell (make demo evals them), and
 * the units' speeds so that the router's arrival estimates are the
 * simulation's travel times.  Marks are whole seconds: a speed that
 * does not divide a deadline is warned about on stderr.
 */
#include <math.h>
#include <stdio.h>

#include "npsim.h"

/* The plans' deadline of tier k (1-based), or the 1/3/5 default. */
static int
tier_deadline(const struct np_plans *p, int k)
{
	for (size_t i = 0; i < p->nplans; i++)
		for (size_t t = 0; t < p->plans[i].ntiers; t++)
			if (p->plans[i].tiers[t].tier == k)
				return p->plans[i].tiers[t].deadline_s;
	return k == 1 ? 60 : k == 2 ? 180 : 300;
}

static long
scaled(double city, double speed, long min)
{
	long v = lround(city / speed);

	return v < min ? min : v;
}

void
sim_print_scaled_env(const struct sim_conf *c, const struct np_plans *p)
{
	double sp = c->speed;
	int d;

	for (int k = 1; k <= NP_TIERS_MAX; k++) {
		d = tier_deadline(p, k);
		printf("export NEARPOST_TRACK_MARK%d_S=%ld\n", k,
		    scaled(d, sp, 1));
		if (fabs(d / sp - (double)scaled(d, sp, 1)) > 1e-9)
			fprintf(stderr, "npsim: tier %d's %d s at %gx is not a "
			    "whole second: the marks run %.1f %% off\n", k, d,
			    sp, 100 * fabs((double)scaled(d, sp, 1) * sp - d) /
			    d);
	}
	printf("export NEARPOST_TRACK_STEP_S=%ld\n", scaled(60, sp, 1));
	printf("export NEARPOST_COMMAND_ACK_TIMEOUT_MS=%ld\n",
	    scaled(15000, sp, 100));
	printf("export NEARPOST_RADIO_RESEND_MS=%ld\n", scaled(2000, sp, 50));
	printf("export NEARPOST_RADIO_POS_PERSIST_MS=%ld\n",
	    scaled(5000, sp, 50));
	printf("export NEARPOST_MERGE_WINDOW_S=%ld\n", scaled(900, sp, 1));
	for (int k = 0; k < NP_UNIT_KINDS; k++) {
		char name[32];

		snprintf(name, sizeof(name), "%s", np_unit_kind_name(k));
		for (char *q = name; *q != '\0'; q++)
			*q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
		printf("export NEARPOST_ROUTE_SPEED_%s=%.1f\n", name,
		    sim_kind_speed[k]);
	}
}
