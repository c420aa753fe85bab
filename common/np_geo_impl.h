/*
 * np_geo_impl: the index's layout, shared by np_geo.c (distances, storage)
 * and np_geo_query.c (searches); private to those two files.  The layout
 * and its reasons are described at the top of np_geo.c.
 */
#ifndef NP_GEO_IMPL_H
#define NP_GEO_IMPL_H

#include <math.h>
#include <stdint.h>

#include "np_geo.h"

#define GEO_D_R		(M_PI / 180.0)
#define GEO_M_PER_DEG	(NP_GEO_EARTH_R * GEO_D_R)
#define GEO_EPS_DEG	1e-6		/* box margin, about 11 cm */
#define GEO_SLACK	(1.0 + 1e-9)	/* relative slack of the bounds */
#define GEO_BANDS_MAX	4096
#define GEO_NONE	UINT32_MAX
#define GEO_EMPTY	UINT64_MAX
#define GEO_N_BITS	27		/* cell count; log2 capacity above */
#define GEO_N(nc)	((nc) & ((1u << GEO_N_BITS) - 1))
#define GEO_CLS(nc)	((nc) >> GEO_N_BITS)
#define GEO_NC(n, cls)	((uint32_t)(n) | ((uint32_t)(cls) << GEO_N_BITS))

struct geo_ent {
	double		lat, lon;	/* degrees, as put */
	double		coslat;		/* cos(lat * GEO_D_R) */
	uint32_t	id;		/* next free block when on a free list */
};

struct geo_cell {
	uint64_t	key;		/* row << 32 | column, or GEO_EMPTY */
	uint32_t	off;		/* first entry in ix->ent */
	uint32_t	nc;		/* GEO_NC(count, log2 capacity) */
};

struct geo_band {
	double		scale;		/* ncol / 360 */
	double		width;		/* 360 / ncol, degrees */
	uint32_t	ncol;
};

struct np_geo_index {
	double		 cell_m;
	double		 dlat;		/* row height, degrees */
	double		 inv_dlat;	/* rows per degree */
	uint32_t	 nrows;
	unsigned	 band_shift;	/* row >> band_shift = band */
	struct geo_band	*band;

	struct geo_cell	*cell;		/* hash table, 2^(64 - shift) slots */
	uint32_t	 cmask;
	unsigned	 cshift;
	uint32_t	 ncells;

	struct geo_ent	*ent;
	uint32_t	 nent, capent;	/* bump pointer, allocated */
	uint32_t	 freeblk[32];

	uint32_t	*pos;		/* by id: entry offset or GEO_NONE */
	uint32_t	 npos;
	size_t		 size;
};

static inline double
geo_a(double lat1r, double lon1r, double cos1, double lat2r, double lon2r,
    double cos2)
{
	double u = sin((lat2r - lat1r) / 2), v = sin((lon2r - lon1r) / 2);

	return u * u + cos1 * cos2 * v * v;
}

static inline double
geo_m(double a)
{
	return 2.0 * NP_GEO_EARTH_R * asin(sqrt(a > 1.0 ? 1.0 : a));
}

static inline uint32_t
geo_row(const struct np_geo_index *ix, double lat)
{
	double r = floor((lat + 90.0) * ix->inv_dlat);

	if (!(r >= 0.0))
		return 0;
	return r >= ix->nrows ? ix->nrows - 1 : (uint32_t)r;
}

static inline uint32_t
geo_col(const struct geo_band *b, double lon)
{
	double c = floor((lon + 180.0) * b->scale);

	if (!(c >= 0.0))
		return 0;
	return c >= b->ncol ? b->ncol - 1 : (uint32_t)c;
}

static inline const struct geo_band *
geo_band(const struct np_geo_index *ix, uint32_t row)
{
	return &ix->band[row >> ix->band_shift];
}

static inline uint64_t
geo_key(const struct np_geo_index *ix, double lat, double lon)
{
	uint32_t row = geo_row(ix, lat);

	return (uint64_t)row << 32 | geo_col(geo_band(ix, row), lon);
}

static inline uint32_t
geo_hash(const struct np_geo_index *ix, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> ix->cshift);
}

static inline struct geo_cell *
geo_find(const struct np_geo_index *ix, uint64_t key)
{
	uint32_t i = geo_hash(ix, key);

	for (;; i = (i + 1) & ix->cmask) {
		if (ix->cell[i].key == key)
			return &ix->cell[i];
		if (ix->cell[i].key == GEO_EMPTY)
			return NULL;
	}
}

#endif
