/*
 * np_city: kinds, the city object, id lookups and whole-file loading.
 * The GeoJSON loaders are in np_city_load.c, the keys file in
 * np_city_keys.c; np_city_int.h says how the id indexes work.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_city_int.h"
#include "np_file.h"

static const char *const unit_kinds[NP_UNIT_KINDS] = {
	"grid_worker", "guard", "post_team", "mcu", "patrol_car", "special"
};

static const char *const post_kinds[NP_POST_KINDS] = {
	"central", "station", "building", "community", "grid"
};

static int
kind_parse(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *
np_unit_kind_name(enum np_unit_kind k)
{
	return (unsigned)k < NP_UNIT_KINDS ? unit_kinds[k] : "unknown";
}

int
np_unit_kind_parse(const char *s)
{
	return kind_parse(unit_kinds, NP_UNIT_KINDS, s);
}

const char *
np_post_kind_name(enum np_post_kind k)
{
	return (unsigned)k < NP_POST_KINDS ? post_kinds[k] : "unknown";
}

int
np_post_kind_parse(const char *s)
{
	return kind_parse(post_kinds, NP_POST_KINDS, s);
}

struct np_city *
np_city_new(void)
{
	struct city *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	return &c->pub;
}

void
np_city_free(struct np_city *pub)
{
	struct city *c = (struct city *)pub;

	if (c == NULL)
		return;
	free(c->pub.posts);
	free(c->pub.units);
	free(c->post_ids);
	free(c->unit_ids);
	free(c);
}

static int
ref_cmp(const void *a, const void *b)
{
	const struct np_city_ref *x = a, *y = b;
	int d = strcmp(x->id, y->id);

	if (d != 0)
		return d;
	return (x->i > y->i) - (x->i < y->i);
}

long
np_city_refs_sort(struct np_city_ref *r, size_t n, size_t *first)
{
	long dup = -1;

	if (n > 1)
		qsort(r, n, sizeof(*r), ref_cmp);
	/* report the duplicate that comes first in the file */
	for (size_t k = 1; k < n; k++)
		if (strcmp(r[k - 1].id, r[k].id) == 0 &&
		    (dup == -1 || r[k].i < (size_t)dup)) {
			dup = (long)r[k].i;
			*first = r[k - 1].i;
		}
	return dup;
}

long
np_city_refs_find(const struct np_city_ref *r, size_t n, const char *id)
{
	size_t lo = 0, hi = n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = strcmp(id, r[mid].id)) == 0) {
			/* the lowest index among equal ids */
			while (mid > 0 && strcmp(id, r[mid - 1].id) == 0)
				mid--;
			return (long)r[mid].i;
		}
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

long
np_city_post(const struct np_city *pub, const char *id)
{
	const struct city *c = (const struct city *)pub;

	return np_city_refs_find(c->post_ids, pub->nposts, id);
}

long
np_city_unit(const struct np_city *pub, const char *id)
{
	const struct city *c = (const struct city *)pub;

	return np_city_refs_find(c->unit_ids, pub->nunits, id);
}

int
np_city_load_file(struct np_city *city,
    int (*load)(struct np_city *, const char *, const char *, size_t,
    char *, size_t), const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rv;

	if ((buf = np_file_read(path, NP_FILE_MAX, &len, err, errlen)) == NULL)
		return -1;
	rv = load(city, path, buf, len, err, errlen);
	free(buf);
	return rv;
}
