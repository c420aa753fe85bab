/*
 * np_city_load: the GeoJSON loaders for posts and units.
 *
 * One generic pass (load_features) checks the FeatureCollection, each
 * Feature and its Point, and the "id" property, then hands the properties
 * to the loader of that file (post_props, unit_props), which is strict on
 * the properties we define and ignores the others (GIS tools add some).
 * Everything is built in new arrays and committed only when the whole
 * file is good, so a refused file leaves the city as it was.
 *
 * Features are numbered from 0, as in .features[N] (jq, JSON paths).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_city_int.h"
#include "np_id.h"
#include "np_json.h"

struct feat {
	const char	*file;
	size_t		 i;
	const char	*id;		/* NULL until known */
	json_t		*props;
};

struct loader {
	const char	 *what;		/* "posts", "units" */
	size_t		  size;		/* of one element */
	size_t		  off_id, off_lat, off_lon;
	int		(*props)(struct city *, const struct feat *, void *,
			    char *, size_t);
	/* whole-file rules beyond unique ids; may be NULL */
	int		(*check)(const char *, const void *, size_t, char *,
			    size_t);
};

static int __attribute__((format(printf, 4, 5)))
feat_err(const struct feat *f, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (f->id != NULL)
		n = snprintf(err, errlen, "%s: feature %zu (%s): ", f->file,
		    f->i, f->id);
	else
		n = snprintf(err, errlen, "%s: feature %zu: ", f->file, f->i);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A property error from the np_json readers. */
static int
prop_err(const struct feat *f, const struct np_jerr *e, char *err,
    size_t errlen)
{
	return feat_err(f, err, errlen, "property \"%s\": %s", e->field,
	    e->msg);
}

/* Printable text: no control characters (names end up on screens). */
static int
text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* A string property, copied into buf (size bytes). */
static int
prop_str(const struct feat *f, const char *key, int required, int isid,
    char *buf, size_t size, char *err, size_t errlen)
{
	struct np_jerr e;
	const char *s = NULL;

	if (np_json_str(f->props, "", key, required, size - 1, &s, &e) == -1)
		return prop_err(f, &e, err, errlen);
	if (s == NULL)
		return 0;
	if (isid && !np_id_valid(s, size - 1))
		return feat_err(f, err, errlen, "property \"%s\": \"%s\" is "
		    "not 1..%zu characters of [A-Za-z0-9._:-]", key, s,
		    size - 1);
	if (!text_ok(s))
		return feat_err(f, err, errlen, "property \"%s\": contains a "
		    "control character", key);
	snprintf(buf, size, "%s", s);
	return 0;
}

static int
point(const struct feat *f, json_t *feature, double *lat, double *lon,
    char *err, size_t errlen)
{
	static const char *const keys[] = { "type", "coordinates", "bbox",
	    NULL };
	json_t *g, *c, *x, *y;
	struct np_jerr e;

	g = json_object_get(feature, "geometry");
	if (!json_is_object(g) || !json_is_string(json_object_get(g, "type"))
	    || strcmp(json_string_value(json_object_get(g, "type")),
	    "Point") != 0)
		return feat_err(f, err, errlen, "geometry: a Point is "
		    "required");
	if (np_json_only(g, "geometry", keys, &e) == -1)
		return feat_err(f, err, errlen, "%s: %s", e.field, e.msg);
	c = json_object_get(g, "coordinates");
	if (!json_is_array(c) || json_array_size(c) < 2 ||
	    json_array_size(c) > 3)
		return feat_err(f, err, errlen, "geometry.coordinates: "
		    "[lon, lat] is required");
	for (size_t k = 0; k < json_array_size(c); k++)
		if (!json_is_number(json_array_get(c, k)))
			return feat_err(f, err, errlen, "geometry.coordinates"
			    "[%zu]: must be a number", k);
	x = json_array_get(c, 0);
	y = json_array_get(c, 1);
	*lon = json_number_value(x);
	*lat = json_number_value(y);
	if (!(*lon >= -180.0 && *lon <= 180.0))
		return feat_err(f, err, errlen, "geometry.coordinates[0]: "
		    "longitude %g is outside -180..180", *lon);
	if (!(*lat >= -NP_CITY_LAT_MAX && *lat <= NP_CITY_LAT_MAX))
		return feat_err(f, err, errlen, "geometry.coordinates[1]: "
		    "latitude %g is outside -%.8f..%.8f", *lat,
		    NP_CITY_LAT_MAX, NP_CITY_LAT_MAX);
	return 0;
}

/* The envelope of one feature, its id and its point. */
static int
feature(struct feat *f, json_t *v, const struct loader *l, char *elem,
    char *err, size_t errlen)
{
	static const char *const keys[] = { "type", "id", "geometry",
	    "properties", "bbox", NULL };
	struct np_jerr e;
	json_t *t;

	if (!json_is_object(v))
		return feat_err(f, err, errlen, "must be a GeoJSON Feature "
		    "object");
	if (np_json_only(v, "", keys, &e) == -1)
		return feat_err(f, err, errlen, "member \"%s\": %s", e.field,
		    e.msg);
	t = json_object_get(v, "type");
	if (!json_is_string(t) || strcmp(json_string_value(t), "Feature") != 0)
		return feat_err(f, err, errlen, "member \"type\": \"Feature\" "
		    "is required");
	f->props = json_object_get(v, "properties");
	if (!json_is_object(f->props))
		return feat_err(f, err, errlen, "member \"properties\": an "
		    "object is required");
	if (prop_str(f, "id", 1, 1, elem + l->off_id, NP_CITY_ID_MAX, err,
	    errlen) == -1)
		return -1;
	f->id = elem + l->off_id;
	if (point(f, v, (double *)(void *)(elem + l->off_lat),
	    (double *)(void *)(elem + l->off_lon), err, errlen) == -1)
		return -1;
	return 0;
}

static json_t *
collection(const char *file, const char *text, size_t len, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "type", "features", "name", "crs",
	    "bbox", NULL };
	struct np_jerr e;
	json_t *doc, *t, *fs;

	if ((doc = np_json_parse(text, len, &e)) == NULL) {
		snprintf(err, errlen, "%s: %s", file, e.msg);
		return NULL;
	}
	t = json_object_get(doc, "type");
	fs = json_object_get(doc, "features");
	if (!json_is_object(doc) || !json_is_string(t) ||
	    strcmp(json_string_value(t), "FeatureCollection") != 0)
		snprintf(err, errlen, "%s: a GeoJSON FeatureCollection is "
		    "required", file);
	else if (np_json_only(doc, "", keys, &e) == -1)
		snprintf(err, errlen, "%s: member \"%s\": %s", file, e.field,
		    e.msg);
	else if (!json_is_array(fs) || json_array_size(fs) == 0)
		snprintf(err, errlen, "%s: member \"features\": a non-empty "
		    "array is required", file);
	else if (json_array_size(fs) > NP_CITY_FEATURES_MAX)
		snprintf(err, errlen, "%s: more than %u features", file,
		    NP_CITY_FEATURES_MAX);
	else
		return doc;
	json_decref(doc);
	return NULL;
}

/*
 * Parse every feature of the file into a new array (*out, *n) and its id
 * index (*refs), refusing duplicate ids.  The caller commits or frees.
 */
static int
load_features(struct city *c, const char *file, const char *text,
    size_t len, const struct loader *l, void **out, size_t *n,
    struct np_city_ref **refs, char *err, size_t errlen)
{
	struct feat f = { file, 0, NULL, NULL };
	json_t *doc, *fs;
	char *arr = NULL;
	size_t first;
	long dup;

	*refs = NULL;
	if ((doc = collection(file, text, len, err, errlen)) == NULL)
		return -1;
	fs = json_object_get(doc, "features");
	*n = json_array_size(fs);
	if ((arr = calloc(*n, l->size)) == NULL ||
	    (*refs = calloc(*n, sizeof(**refs))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	for (f.i = 0; f.i < *n; f.i++) {
		char *elem = arr + f.i * l->size;

		f.id = NULL;
		if (feature(&f, json_array_get(fs, f.i), l, elem, err,
		    errlen) == -1 || l->props(c, &f, elem, err, errlen) == -1)
			goto fail;
		(*refs)[f.i].id = elem + l->off_id;
		(*refs)[f.i].i = f.i;
	}
	if ((dup = np_city_refs_sort(*refs, *n, &first)) >= 0) {
		f.i = (size_t)dup;
		f.id = arr + f.i * l->size + l->off_id;
		feat_err(&f, err, errlen, "property \"id\": the same id as "
		    "feature %zu", first);
		goto fail;
	}
	json_decref(doc);
	*out = arr;
	return 0;
fail:
	json_decref(doc);
	free(arr);
	free(*refs);
	*refs = NULL;
	return -1;
}

static int
post_props(struct city *c, const struct feat *f, void *elem, char *err,
    size_t errlen)
{
	struct np_post *p = elem;
	char kind[NP_CITY_ID_MAX];
	int k;

	(void)c;
	if (prop_str(f, "name", 1, 0, p->name, sizeof(p->name), err,
	    errlen) == -1 ||
	    prop_str(f, "kind", 1, 0, kind, sizeof(kind), err, errlen) == -1 ||
	    prop_str(f, "district", 0, 0, p->district, sizeof(p->district),
	    err, errlen) == -1)
		return -1;
	if ((k = np_post_kind_parse(kind)) == -1)
		return feat_err(f, err, errlen, "property \"kind\": \"%s\" is "
		    "not a post kind", kind);
	p->kind = (enum np_post_kind)k;
	return 0;
}

static int
unit_caps(const struct feat *f, char *err, size_t errlen)
{
	json_t *caps = json_object_get(f->props, "capabilities"), *v;
	size_t k;

	if (caps == NULL || json_is_null(caps))
		return 0;
	if (!json_is_array(caps) || json_array_size(caps) > 32)
		return feat_err(f, err, errlen, "property \"capabilities\": "
		    "an array of at most 32 strings is required");
	json_array_foreach(caps, k, v)
		if (!json_is_string(v) ||
		    !np_id_valid(json_string_value(v), NP_CITY_ID_MAX - 1))
			return feat_err(f, err, errlen, "property "
			    "\"capabilities\"[%zu]: 1..%d characters of "
			    "[A-Za-z0-9._:-] are required", k,
			    NP_CITY_ID_MAX - 1);
	return 0;
}

static int
unit_props(struct city *c, const struct feat *f, void *elem, char *err,
    size_t errlen)
{
	struct np_unit *u = elem;
	char kind[NP_CITY_ID_MAX], post[NP_CITY_ID_MAX];
	long p;
	int k;

	if (prop_str(f, "callsign", 1, 1, u->callsign, sizeof(u->callsign),
	    err, errlen) == -1 ||
	    prop_str(f, "kind", 1, 0, kind, sizeof(kind), err, errlen) == -1 ||
	    prop_str(f, "post", 1, 0, post, sizeof(post), err, errlen) == -1 ||
	    unit_caps(f, err, errlen) == -1)
		return -1;
	if ((k = np_unit_kind_parse(kind)) == -1)
		return feat_err(f, err, errlen, "property \"kind\": \"%s\" is "
		    "not a unit kind", kind);
	u->kind = (enum np_unit_kind)k;
	if ((p = np_city_refs_find(c->post_ids, c->pub.nposts, post)) == -1)
		return feat_err(f, err, errlen, "property \"post\": no post "
		    "\"%s\"%s", post, c->pub.nposts == 0 ?
		    " (load the posts first)" : "");
	u->post = (size_t)p;
	return 0;
}

/* Callsigns are spoken on the radio: two units may not share one. */
static int
unit_callsigns(const char *file, const void *arr, size_t n, char *err,
    size_t errlen)
{
	const struct np_unit *u = arr;
	struct np_city_ref *r;
	size_t first;
	long dup;

	if ((r = calloc(n, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		r[i].id = u[i].callsign;
		r[i].i = i;
	}
	dup = np_city_refs_sort(r, n, &first);
	free(r);
	if (dup >= 0) {
		snprintf(err, errlen, "%s: feature %ld (%s): property "
		    "\"callsign\": \"%s\" is the callsign of feature %zu",
		    file, dup, u[dup].id, u[dup].callsign, first);
		return -1;
	}
	return 0;
}

static const struct loader post_loader = {
	"posts", sizeof(struct np_post), offsetof(struct np_post, id),
	offsetof(struct np_post, lat), offsetof(struct np_post, lon),
	post_props, NULL
};

static const struct loader unit_loader = {
	"units", sizeof(struct np_unit), offsetof(struct np_unit, id),
	offsetof(struct np_unit, lat), offsetof(struct np_unit, lon),
	unit_props, unit_callsigns
};

/* Load one file into new arrays; have: what the city holds already. */
static int
load(struct city *c, const char *file, const char *text, size_t len,
    const struct loader *l, size_t have, void **arr, size_t *n,
    struct np_city_ref **ids, char *err, size_t errlen)
{
	if (have > 0) {
		snprintf(err, errlen, "%s: the city has its %s already", file,
		    l->what);
		return -1;
	}
	if (load_features(c, file, text, len, l, arr, n, ids, err,
	    errlen) == -1)
		return -1;
	if (l->check != NULL && l->check(file, *arr, *n, err, errlen) == -1) {
		free(*arr);
		free(*ids);
		return -1;
	}
	return 0;
}

int
np_city_load_posts(struct np_city *pub, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct city *c = (struct city *)pub;
	struct np_city_ref *ids;
	void *arr;
	size_t n;

	if (load(c, file, text, len, &post_loader, pub->nposts, &arr, &n,
	    &ids, err, errlen) == -1)
		return -1;
	pub->posts = arr;
	pub->nposts = n;
	c->post_ids = ids;
	return 0;
}

int
np_city_load_units(struct np_city *pub, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct city *c = (struct city *)pub;
	struct np_city_ref *ids;
	void *arr;
	size_t n;

	if (load(c, file, text, len, &unit_loader, pub->nunits, &arr, &n,
	    &ids, err, errlen) == -1)
		return -1;
	pub->units = arr;
	pub->nunits = n;
	c->unit_ids = ids;
	return 0;
}
