/*
 * np_geo: great-circle distances and an exact spatial index over points.
 *
 * Distances are haversine on a sphere of radius NP_GEO_EARTH_R, the radius
 * Redis uses, computed with the same operations as Redis' GEO commands, so
 * that our answers and GEOSEARCH's agree (up to Redis' 52-bit geohash
 * quantisation of stored coordinates, about half a metre).
 *
 * The index holds posts (static) and units (moving) under small dense ids
 * chosen by the caller.  Its grid only prunes: every answer is decided by
 * the haversine distance of np_geo_dist, so a query answers exactly what a
 * brute-force scan with np_geo_dist would, ties broken by the lower id.
 * Radius tests are inclusive.  Queries allocate nothing and never modify
 * the index: one index may be queried from several threads at once as long
 * as nobody writes to it meanwhile.
 *
 * Ownership: np_geo_index_new returns an index the caller frees with
 * np_geo_index_free; it keeps no pointer to caller memory.
 */
#ifndef NP_GEO_H
#define NP_GEO_H

#include <stddef.h>
#include <stdint.h>

#define NP_GEO_EARTH_R		6372797.560856	/* metres, as Redis */
#define NP_GEO_ID_LIMIT		(1u << 28)	/* ids are below this */

/* Metres between two points given in degrees (haversine, Redis' formula). */
double	np_geo_dist(double lat1, double lon1, double lat2, double lon2);
/* 1 if finite, lat in [-90, 90] and lon in [-180, 180]; else 0. */
int	np_geo_valid(double lat, double lon);

struct np_geo_index;

/* cell_m: grid cell size in metres (1 m to 1000 km); e.g. the usual radius. */
struct np_geo_index *np_geo_index_new(double cell_m);
void	np_geo_index_free(struct np_geo_index *);
/* Insert, or move in place; -1 on an invalid point, id or out of memory. */
int	np_geo_index_put(struct np_geo_index *, uint32_t id, double lat,
	    double lon);
/* -1 if the id is not in the index. */
int	np_geo_index_del(struct np_geo_index *, uint32_t id);
size_t	np_geo_index_size(const struct np_geo_index *);
/* The point as last put; -1 if the id is not in the index. */
int	np_geo_index_get(const struct np_geo_index *, uint32_t id, double *lat,
	    double *lon);

/*
 * Nearest point within radius_m (inclusive) of (lat, lon): 1 and *id,
 * *dist_m set when found, 0 when none.  Ties: the lower id.
 */
int	np_geo_nearest_within(const struct np_geo_index *, double lat,
	    double lon, double radius_m, uint32_t *id, double *dist_m);
/* Nearest point at any distance; 0 only if the index is empty. */
int	np_geo_nearest(const struct np_geo_index *, double lat, double lon,
	    uint32_t *id, double *dist_m);

struct np_geo_hit {
	uint32_t	id;
	double		dist_m;
};

/*
 * The up to max nearest points within radius_m (inclusive) for which
 * filter(id, arg) returns non-zero (filter may be NULL: keep all), into
 * out sorted by distance then id; returns how many were written.
 * filter is called only for points within the radius.
 */
size_t	np_geo_within(const struct np_geo_index *, double lat, double lon,
	    double radius_m, int (*filter)(uint32_t, void *), void *arg,
	    struct np_geo_hit *out, size_t max);
/* qsort comparator of struct np_geo_hit: by distance, then id. */
int	np_geo_hit_cmp(const void *, const void *);

#endif
