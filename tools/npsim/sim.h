/*
 * sim.h: npsim's pure logic (the library npsim_logic, unit-tested and
 * fuzzed without sockets): random numbers, the daily call curve and its
 * Poisson arrivals, places and travel in the city, the CSV replay
 * parser, the radio login proof, and the facts and percentiles of the
 * summary.  Times here are city seconds (doubles) unless a name says ms.
 * The I/O side is in npsim.h.
 */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "np_city.h"
#include "np_plans.h"

/* -- random numbers (xoshiro256**, seeded through splitmix64) -------- */
struct sim_rng {
	uint64_t	s[4];
};

void	sim_rng_seed(struct sim_rng *, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *);
double	sim_rng_unit(struct sim_rng *);			/* [0, 1) */
double	sim_rng_range(struct sim_rng *, double lo, double hi);
double	sim_rng_exp(struct sim_rng *, double mean);	/* exponential */
int	sim_rng_chance(struct sim_rng *, double p);	/* 1 with prob p */
/* An index of w[0..n) with probability w[i] / sum (weights >= 0). */
size_t	sim_rng_pick(struct sim_rng *, const double *w, size_t n);

/* -- the daily curve and Poisson arrivals ---------------------------- */
#define SIM_HOURS	24
#define SIM_DAY_S	86400.0

/* Call rate by hour of the city's day; mult has mean 1 over the day. */
struct sim_curve {
	double	per_hour;		/* mean calls per city hour */
	double	mult[SIM_HOURS];
	double	max_mult;
};

/* The default urban curve (quiet at 4 am, busy at 7 pm). */
extern const char *const sim_curve_default;
/*
 * "m0,m1,...,m23": 24 non-negative numbers, not all zero, normalised to
 * mean 1.  0, or -1 with err naming the position ("value 7: ...").
 */
int	sim_curve_parse(struct sim_curve *, const char *spec, double per_hour,
	    char *err, size_t errlen);
/* Calls per city second at city time t (seconds since a midnight). */
double	sim_curve_rate(const struct sim_curve *, double t);
/*
 * The next arrival after t of a Poisson process with the curve's rate
 * (thinning: candidates at the peak rate, each kept with rate/peak).
 * Returns a time > t, or INFINITY when the rate is zero everywhere.
 */
double	sim_next_arrival(struct sim_rng *, const struct sim_curve *, double t);

/* -- places and travel ------------------------------------------------ */
#define SIM_DETOUR	1.3	/* road / straight distance, as the router */

struct sim_area {
	double	lat_min, lat_max, lon_min, lon_max;
};

/* The point north_m / east_m metres from (lat, lon) (small distances). */
void	sim_offset(double lat, double lon, double north_m, double east_m,
	    double *olat, double *olon);
/* A uniform random point within r metres of (lat, lon), kept in area. */
void	sim_place_near(struct sim_rng *, const struct sim_area *, double lat,
	    double lon, double r, double *olat, double *olon);
/* The bounding box of the city's posts. */
void	sim_city_area(const struct np_city *, struct sim_area *);
/*
 * Points of a step_m grid over area farther than radius_m from every
 * post (the coverage gaps), up to max, into lat[]/lon[]; returns how many.
 */
size_t	sim_find_gaps(const struct np_city *, const struct sim_area *,
	    double radius_m, double step_m, double *lat, double *lon,
	    size_t max);

/* A straight trip at a constant speed, the road's detour included. */
struct sim_trip {
	double	lat0, lon0, lat1, lon1;
	double	start;		/* city s */
	double	dur;		/* city s */
};

/* Start a trip at time now; returns its duration (city s). */
double	sim_trip_start(struct sim_trip *, double lat0, double lon0,
	    double lat1, double lon1, double speed_mps, double now);
/* Where the traveller is at time now; 1 once arrived. */
int	sim_trip_pos(const struct sim_trip *, double now, double *lat,
	    double *lon);

/* m/s of each unit kind in the simulation (city data kinds). */
extern const double sim_kind_speed[NP_UNIT_KINDS];
/* Seconds a unit takes to acknowledge an order: [lo, hi] by kind. */
extern const double sim_kind_ack_s[NP_UNIT_KINDS][2];

/* -- CSV replay ------------------------------------------------------- */
#define SIM_CSV_LINE_MAX	1024

struct sim_csv_call {
	double	t;		/* seconds from the start, or epoch s (iso) */
	int	iso;		/* t came from an ISO 8601 time */
	double	lat, lon;
	char	type[NP_TYPE_MAX + 1];
};

/*
 * One line (no terminator needed; a trailing \r is ignored) of a
 * `time,lat,lon,type` file, lineno counting from 1.  Returns 1 with
 * *out filled, 0 for a line to skip (blank, # comment, the header on
 * line 1), -1 with err naming the line and the field ("line 7: field
 * lat: ...").  plans may be NULL (types are then only checked for form).
 */
int	sim_csv_line(const char *line, size_t len, long lineno,
	    const struct np_plans *plans, struct sim_csv_call *out,
	    char *err, size_t errlen);
/*
 * A whole file's text: the calls in file order, times made relative to
 * the first call and checked non-decreasing.  *out is malloc'd (free
 * it); 0, or -1 with err.
 */
int	sim_csv_load(const char *text, size_t len, const struct np_plans *,
	    struct sim_csv_call **out, size_t *n, char *err, size_t errlen);

/* -- the radio login --------------------------------------------------- */
#define SIM_PROOF_HEX	65	/* 64 hex digits and a NUL */

/*
 * The PROOF of docs/RADIO.md: lowercase hex HMAC-SHA256 under the
 * unit's secret of "nearpost-radio-v1 <unit_id> <nonce>".
 */
void	sim_radio_proof(const char *key, const char *unit_id,
	    const char *nonce, char out[SIM_PROOF_HEX]);

/* An ORDER line of the gateway (docs/RADIO.md), the address left out. */
struct sim_order {
	char	order_id[64];
	char	incident_id[64];
	int	tier;
	double	lat, lon;
	int	priority;
	char	type[NP_TYPE_MAX + 1];
};

/* "ORDER <oid> <iid> <tier> <lat> <lon> <prio> <type> <addr>": 0, or -1. */
int	sim_order_parse(const char *line, size_t len, struct sim_order *);

/* -- facts from the services ----------------------------------------- */
enum sim_mark {
	SIM_MARK_NONE,		/* the plan has no such tier */
	SIM_MARK_PENDING,
	SIM_MARK_MET,
	SIM_MARK_MET_LATE,
	SIM_MARK_MISSED,
};

/* What one incident's GET /v1/incidents/{id} says (times: wall ms). */
struct sim_facts {
	int64_t		t0;
	int		coverage_gap;
	int		closed;
	enum sim_mark	mark[NP_TIERS_MAX];
	int64_t		acked[NP_TIERS_MAX];	/* first ack, 0: none */
	int64_t		onscene[NP_TIERS_MAX];	/* first on scene, 0: none */
	int		orders;			/* dispatched events */
	int		escalations;
	int		declines;
	int		noanswers;
	int		unfilled;
};

/*
 * Marks come from the tracker's timeline entries (mark_met, late or
 * not, and mark_missed), or its `marks` copy once closed; a tier of the
 * type's plan (plans may be NULL) without either is pending.  0, or -1
 * with err when the incident is not of the expected shape.
 */
int	sim_facts_parse(const json_t *incident, const struct np_plans *,
	    struct sim_facts *, char *err, size_t errlen);

/* The nearest-rank percentile p (0..100) of v[0..n); sorts v. NAN if n 0. */
double	sim_pctl(double *v, size_t n, double p);

#endif
