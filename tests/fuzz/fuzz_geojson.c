/*
 * Fuzz target: the city loaders (np_city).  Each input is loaded as a
 * posts file into an empty city, as a units file into a city with three
 * posts, and as a keys file into a city with three units.  A refusal
 * must say why; an accepted file must leave a city whose ids all look up
 * to themselves and whose units point at real posts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_city.h"

#define POST(id, lon, lat) "{\"type\":\"Feature\",\"geometry\":{\"type\":" \
	"\"Point\",\"coordinates\":[" #lon "," #lat "]},\"properties\":{" \
	"\"id\":\"" id "\",\"name\":\"" id "\",\"kind\":\"grid\"}}"
#define UNIT(id, post) "{\"type\":\"Feature\",\"geometry\":{\"type\":" \
	"\"Point\",\"coordinates\":[121.47,31.23]},\"properties\":{" \
	"\"id\":\"" id "\",\"callsign\":\"C" id "\",\"kind\":\"mcu\"," \
	"\"post\":\"" post "\"}}"

static const char posts[] = "{\"type\":\"FeatureCollection\",\"features\":["
    POST("P-001", 121.47, 31.23) "," POST("P-002", 121.48, 31.24) ","
    POST("P-003", 121.46, 31.22) "]}";
static const char units[] = "{\"type\":\"FeatureCollection\",\"features\":["
    UNIT("U-0001", "P-001") "," UNIT("U-0002", "P-002") ","
    UNIT("U-0003", "P-003") "]}";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(struct np_city *c, int rv, const char *err)
{
	if (rv == -1) {
		if (err[0] == '\0')
			abort();	/* every refusal must say why */
		return;
	}
	for (size_t i = 0; i < c->nposts; i++)
		if (np_city_post(c, c->posts[i].id) != (long)i)
			abort();
	for (size_t i = 0; i < c->nunits; i++)
		if (np_city_unit(c, c->units[i].id) != (long)i ||
		    c->units[i].post >= c->nposts)
			abort();
}

static struct np_city *
city(int nfiles)
{
	struct np_city *c = np_city_new();
	char err[512];

	if (c == NULL)
		abort();
	if (nfiles >= 1 && np_city_load_posts(c, "p", posts, strlen(posts),
	    err, sizeof(err)) == -1)
		abort();
	if (nfiles >= 2 && np_city_load_units(c, "u", units, strlen(units),
	    err, sizeof(err)) == -1)
		abort();
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int (*load[3])(struct np_city *, const char *, const char *, size_t,
	    char *, size_t) = { np_city_load_posts, np_city_load_units,
	    np_city_load_keys };
	struct np_city *c;
	char err[512];

	for (int i = 0; i < 3; i++) {
		c = city(i);
		err[0] = '\0';
		check(c, load[i](c, "fuzz", (const char *)data, size, err,
		    sizeof(err)), err);
		np_city_free(c);
	}
	return 0;
}
