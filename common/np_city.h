/*
 * np_city: the city the services dispatch in -- posts and units -- loaded
 * from GeoJSON FeatureCollections of Points (deploy/city/posts.geojson,
 * units.geojson; see docs/DISPATCH.md), plus the unit keys file.
 *
 * Loading is strict: a bad file is refused as a whole with a message that
 * names the file, the feature index, the id when known and the property
 * ("units.geojson: feature 12 (U-0012): property \"kind\": \"tank\" is not
 * a unit kind").  Ids are unique within a file; a unit's post must exist.
 * Coordinates are [lon, lat] as GeoJSON says, within Redis GEO's range.
 *
 * Ownership: np_city_new returns an empty city; the loaders fill it; the
 * caller frees it with np_city_free.  Strings are owned by the city.
 */
#ifndef NP_CITY_H
#define NP_CITY_H

#include <stddef.h>

#define NP_CITY_ID_MAX		64	/* bytes in an id, callsign or kind */
#define NP_CITY_NAME_MAX	128
#define NP_CITY_KEY_MAX		128	/* bytes in a unit key */

/* Unit kinds, smallest first: the minimal-unit rule relies on the order. */
enum np_unit_kind {
	NP_UNIT_GRID_WORKER,
	NP_UNIT_GUARD,
	NP_UNIT_POST_TEAM,
	NP_UNIT_MCU,		/* minimal combat unit */
	NP_UNIT_PATROL_CAR,
	NP_UNIT_SPECIAL,
	NP_UNIT_KINDS
};

enum np_post_kind {
	NP_POST_CENTRAL,
	NP_POST_STATION,
	NP_POST_BUILDING,
	NP_POST_COMMUNITY,
	NP_POST_GRID,
	NP_POST_KINDS
};

struct np_post {
	char		id[NP_CITY_ID_MAX];
	char		name[NP_CITY_NAME_MAX];
	enum np_post_kind kind;
	char		district[NP_CITY_ID_MAX];
	double		lat, lon;
};

struct np_unit {
	char		id[NP_CITY_ID_MAX];
	char		callsign[NP_CITY_ID_MAX];
	enum np_unit_kind kind;
	size_t		post;		/* index into city->posts */
	double		lat, lon;	/* home position */
	char		key[NP_CITY_KEY_MAX];	/* "" until keys are loaded */
};

struct np_city {
	struct np_post	*posts;
	size_t		 nposts;
	struct np_unit	*units;
	size_t		 nunits;
};

/* "grid_worker" ... / "central" ...; -1 for an unknown name. */
const char	*np_unit_kind_name(enum np_unit_kind);
int		 np_unit_kind_parse(const char *);
const char	*np_post_kind_name(enum np_post_kind);
int		 np_post_kind_parse(const char *);

struct np_city	*np_city_new(void);
void		 np_city_free(struct np_city *);

/*
 * Parse a posts (units) FeatureCollection from text (name: the file name
 * for messages).  Units need their posts loaded first.  0, or -1 with err
 * set and the city unchanged.
 */
int	np_city_load_posts(struct np_city *, const char *name, const char *text,
	    size_t len, char *err, size_t errlen);
int	np_city_load_units(struct np_city *, const char *name, const char *text,
	    size_t len, char *err, size_t errlen);
/* "unit_id key" lines, '#' comments; every unit must get a key. */
int	np_city_load_keys(struct np_city *, const char *name, const char *text,
	    size_t len, char *err, size_t errlen);
/*
 * Read a whole file and call one of the loaders above with the path as the
 * name, so err already starts with the path: print it as it is.
 */
int	np_city_load_file(struct np_city *,
	    int (*load)(struct np_city *, const char *, const char *, size_t,
	    char *, size_t), const char *path, char *err, size_t errlen);

/* Index of the post / unit with this id, or -1. */
long	np_city_post(const struct np_city *, const char *id);
long	np_city_unit(const struct np_city *, const char *id);

#endif
