/*
 * Fuzz target: what the router reads from outside, on the sample city.
 * The first byte picks the reader: 'q' a REQ query (the answer must be
 * one JSON object, an error naming why or a result), 'u' a units-bus
 * frame (applied to the map when it parses, so later inputs route over
 * moved units), anything else an s:incidents message (routed when it
 * parses, as the daemon would).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_json.h"
#include "router.h"

static struct np_city *city;
static struct np_plans plans;
static struct router_map *map;

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct router_params p;
	char err[512];

	(void)argc;
	(void)argv;
	router_params_defaults(&p);
	if ((city = np_city_new()) == NULL ||
	    np_city_load_file(city, np_city_load_posts, NP_SRC_DIR
	    "/deploy/city/posts.geojson", err, sizeof(err)) == -1 ||
	    np_city_load_file(city, np_city_load_units, NP_SRC_DIR
	    "/deploy/city/units.geojson", err, sizeof(err)) == -1 ||
	    np_plans_load_file(&plans, NP_SRC_DIR "/deploy/plans.json", err,
	    sizeof(err)) == -1 ||
	    (map = router_map_new(city, &plans, &p, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

static void
query(const char *s, size_t n)
{
	struct np_jerr e;
	size_t len;
	char *a = router_query(map, s, n, &len);
	json_t *j;

	if (a == NULL || (j = np_json_parse(a, len, &e)) == NULL ||
	    !json_is_object(j))
		abort();
	json_decref(j);
	free(a);
}

static void
unit_frame(const char *s, size_t n)
{
	struct router_unit_msg u;
	char err[256];
	long i;

	if (router_unit_msg_parse(s, n, &u, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();	/* every refusal must say why */
		return;
	}
	if ((i = np_city_unit(city, u.unit_id)) == -1)
		return;
	if (u.position)
		router_map_position(map, (size_t)i, u.lat, u.lon, u.ts);
	else if (u.status >= 0)
		router_map_status(map, (size_t)i, u.status);
}

static void
incident(const char *s, size_t n)
{
	static struct router_decision d;
	const struct np_type *t;
	struct router_incident inc;
	enum router_msg kind;
	char err[256];
	json_t *j;

	if (router_incident_parse(s, n, &kind, &inc, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (kind != ROUTER_MSG_CREATED)
		return;
	t = np_plans_type(&plans, inc.type);
	if (router_route(map, t != NULL ? t->plan : NULL, inc.lat, inc.lon,
	    &d) == -1)
		abort();	/* the parser let a bad point through */
	j = router_decided_json(map, &inc, &d);
	free(np_json_dump(j, NULL));
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size == 0)
		return 0;
	if (data[0] == 'q')
		query(s, size - 1);
	else if (data[0] == 'u')
		unit_frame(s, size - 1);
	else
		incident(s, size - 1);
	return 0;
}
