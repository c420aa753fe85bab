/*
 * np_city_int.h: what np_city.c, np_city_load.c and np_city_keys.c share.
 *
 * A struct np_city handed out is the first member of a struct city, which
 * adds the id indexes: (id, index) pairs sorted by id, rebuilt whenever a
 * loader commits, so lookups are a binary search and duplicate ids are
 * adjacent.
 */
#ifndef NP_CITY_INT_H
#define NP_CITY_INT_H

#include <stddef.h>

#include "np_city.h"

#define NP_CITY_LAT_MAX		85.05112878	/* Redis GEO's limit */
#define NP_CITY_FEATURES_MAX	(1u << 20)	/* posts or units per file */

struct np_city_ref {
	const char	*id;
	size_t		 i;
};

struct city {
	struct np_city		 pub;		/* first: what callers see */
	struct np_city_ref	*post_ids;	/* sorted by id */
	struct np_city_ref	*unit_ids;
};

/* Sort refs by id then index; the first duplicate's later index, or -1. */
long	np_city_refs_sort(struct np_city_ref *, size_t n, size_t *first);
long	np_city_refs_find(const struct np_city_ref *, size_t n, const char *);

#endif
