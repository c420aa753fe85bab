/*
 * place.c: where things happen in the simulated city and how units get
 * there.  Distances are np_geo_dist's (the services' own), so a unit
 * that the router expects at 84 s arrives after about that long when
 * the simulation's speed for its kind equals the router's.  Travel is a
 * straight line at speed / detour: the road is longer than the line by
 * the same factor the router assumes.
 */
#include <math.h>

#include "np_geo.h"
#include "sim.h"

#define M_PER_DEG	111195.0	/* metres per degree of latitude */

/*
 * Walking, e-bike and car speeds in m/s (NP_UNIT_* order): grid workers
 * and guards walk, post teams walk fast or cycle, the minimal combat
 * units ride e-bikes, cars and the special units drive.
 */
const double sim_kind_speed[NP_UNIT_KINDS] = {
	1.4, 1.4, 3.0, 5.0, 9.0, 12.0
};

/* A radio answered on foot takes longer than one in a car. */
const double sim_kind_ack_s[NP_UNIT_KINDS][2] = {
	{ 3, 18 }, { 3, 15 }, { 3, 12 }, { 2, 10 }, { 2, 8 }, { 3, 12 }
};

void
sim_offset(double lat, double lon, double north_m, double east_m,
    double *olat, double *olon)
{
	*olat = lat + north_m / M_PER_DEG;
	*olon = lon + east_m / (M_PER_DEG * cos(lat * M_PI / 180.0));
}

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void
sim_place_near(struct sim_rng *r, const struct sim_area *a, double lat,
    double lon, double radius, double *olat, double *olon)
{
	double d = radius * sqrt(sim_rng_unit(r));
	double th = sim_rng_range(r, 0, 2 * M_PI);

	sim_offset(lat, lon, d * cos(th), d * sin(th), olat, olon);
	*olat = clamp(*olat, a->lat_min, a->lat_max);
	*olon = clamp(*olon, a->lon_min, a->lon_max);
}

void
sim_city_area(const struct np_city *c, struct sim_area *a)
{
	a->lat_min = a->lon_min = INFINITY;
	a->lat_max = a->lon_max = -INFINITY;
	for (size_t i = 0; i < c->nposts; i++) {
		a->lat_min = fmin(a->lat_min, c->posts[i].lat);
		a->lat_max = fmax(a->lat_max, c->posts[i].lat);
		a->lon_min = fmin(a->lon_min, c->posts[i].lon);
		a->lon_max = fmax(a->lon_max, c->posts[i].lon);
	}
}

size_t
sim_find_gaps(const struct np_city *c, const struct sim_area *a,
    double radius_m, double step_m, double *lat, double *lon, size_t max)
{
	struct np_geo_index *ix;
	double dlat = step_m / M_PER_DEG, dlon, d, la, lo;
	size_t n = 0, i;
	uint32_t id;

	if ((ix = np_geo_index_new(radius_m)) == NULL)
		return 0;
	for (i = 0; i < c->nposts; i++)
		np_geo_index_put(ix, (uint32_t)i, c->posts[i].lat,
		    c->posts[i].lon);
	dlon = step_m / (M_PER_DEG * cos(a->lat_min * M_PI / 180.0));
	for (la = a->lat_min; la <= a->lat_max && n < max; la += dlat)
		for (lo = a->lon_min; lo <= a->lon_max && n < max; lo += dlon)
			if (!np_geo_nearest_within(ix, la, lo, radius_m, &id,
			    &d)) {
				lat[n] = la;
				lon[n++] = lo;
			}
	np_geo_index_free(ix);
	return n;
}

double
sim_trip_start(struct sim_trip *t, double lat0, double lon0, double lat1,
    double lon1, double speed_mps, double now)
{
	t->lat0 = lat0;
	t->lon0 = lon0;
	t->lat1 = lat1;
	t->lon1 = lon1;
	t->start = now;
	t->dur = np_geo_dist(lat0, lon0, lat1, lon1) * SIM_DETOUR / speed_mps;
	return t->dur;
}

int
sim_trip_pos(const struct sim_trip *t, double now, double *lat, double *lon)
{
	double f = t->dur > 0 ? (now - t->start) / t->dur : 1;

	if (f >= 1) {
		*lat = t->lat1;
		*lon = t->lon1;
		return 1;
	}
	if (f < 0)
		f = 0;
	*lat = t->lat0 + (t->lat1 - t->lat0) * f;
	*lon = t->lon0 + (t->lon1 - t->lon0) * f;
	return 0;
}
