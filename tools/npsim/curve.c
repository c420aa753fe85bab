/*
 * curve.c: npsim's random numbers and call arrivals.
 *
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64: fast,
 * small, and the same sequence for the same --seed on every machine, so
 * a simulated day can be run again.  Arrivals are a non-homogeneous
 * Poisson process whose rate follows the city's hour of day; thinning
 * (Lewis and Shedler) draws candidates at the peak rate and keeps each
 * with probability rate(t) / peak, which is exact for any curve.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

const char *const sim_curve_default =
    "0.6,0.45,0.35,0.3,0.25,0.3,0.45,0.7,0.95,1.05,1.1,1.15,"
    "1.2,1.15,1.15,1.2,1.3,1.45,1.55,1.6,1.55,1.4,1.1,0.8";

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double
sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

double
sim_rng_range(struct sim_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * sim_rng_unit(r);
}

double
sim_rng_exp(struct sim_rng *r, double mean)
{
	/* 1 - u is in (0, 1]: log never sees 0 */
	return -mean * log(1.0 - sim_rng_unit(r));
}

int
sim_rng_chance(struct sim_rng *r, double p)
{
	return p > 0 && sim_rng_unit(r) < p;
}

size_t
sim_rng_pick(struct sim_rng *r, const double *w, size_t n)
{
	double sum = 0, x;
	size_t i;

	for (i = 0; i < n; i++)
		sum += w[i];
	x = sim_rng_unit(r) * sum;
	for (i = 0; i + 1 < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

int
sim_curve_parse(struct sim_curve *c, const char *spec, double per_hour,
    char *err, size_t errlen)
{
	struct sim_curve tmp;
	const char *p = spec;
	double sum = 0;
	char *end;
	int i;

	memset(&tmp, 0, sizeof(tmp));
	for (i = 0; i < SIM_HOURS; i++) {
		if (*p == '\0') {
			snprintf(err, errlen, "curve has %d values; it needs "
			    "24 (one per hour, comma-separated)", i);
			return -1;
		}
		tmp.mult[i] = strtod(p, &end);
		if (end == p || (*end != ',' && *end != '\0') ||
		    !isfinite(tmp.mult[i]) || tmp.mult[i] < 0) {
			snprintf(err, errlen, "curve value %d (hour %d): not "
			    "a non-negative number", i + 1, i);
			return -1;
		}
		sum += tmp.mult[i];
		p = *end == ',' ? end + 1 : end;
		if (*end == ',' && i == SIM_HOURS - 1) {
			snprintf(err, errlen, "curve has more than 24 values");
			return -1;
		}
	}
	if (sum <= 0) {
		snprintf(err, errlen, "curve is zero at every hour");
		return -1;
	}
	tmp.per_hour = per_hour;
	for (i = 0; i < SIM_HOURS; i++) {
		tmp.mult[i] *= SIM_HOURS / sum;
		if (tmp.mult[i] > tmp.max_mult)
			tmp.max_mult = tmp.mult[i];
	}
	*c = tmp;
	return 0;
}

double
sim_curve_rate(const struct sim_curve *c, double t)
{
	double day = fmod(t, SIM_DAY_S);
	int h;

	if (day < 0)
		day += SIM_DAY_S;
	h = (int)(day / 3600.0);
	if (h >= SIM_HOURS)
		h = SIM_HOURS - 1;
	return c->per_hour * c->mult[h] / 3600.0;
}

double
sim_next_arrival(struct sim_rng *r, const struct sim_curve *c, double t)
{
	double peak = c->per_hour * c->max_mult / 3600.0;

	if (!(peak > 0))
		return INFINITY;
	for (;;) {
		t += sim_rng_exp(r, 1.0 / peak);
		if (sim_rng_unit(r) * peak < sim_curve_rate(c, t))
			return t;
	}
}
