/*
 * np_city: the GeoJSON posts and units loaders and the keys file -- good
 * input loads, each class of bad input is refused with a message naming
 * the file, feature, id and property, a refused file changes nothing, and
 * the shipped deploy/city files load and keep their coverage promise
 * (deploy/city/README.md).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_city.h"
#include "np_geo.h"

#define PT(lon, lat) "\"geometry\":{\"type\":\"Point\",\"coordinates\":[" \
	#lon "," #lat "]}"
#define FEAT(geom, props) "{\"type\":\"Feature\"," geom ",\"properties\":{" \
	props "}}"
#define FC(feats) "{\"type\":\"FeatureCollection\",\"features\":[" feats "]}"

#define POST1 FEAT(PT(121.47, 31.23), "\"id\":\"P-1\",\"name\":\"Central\"," \
	"\"kind\":\"central\",\"district\":\"huangpu\"")
#define POST2 FEAT(PT(121.48, 31.24), "\"id\":\"P-2\",\"name\":\"North\"," \
	"\"kind\":\"grid\",\"fid\":7,\"layer\":\"qgis\"")
#define POSTS FC(POST1 "," POST2)

#define UNIT1 FEAT(PT(121.471, 31.231), "\"id\":\"U-1\",\"callsign\":" \
	"\"MCU-01\",\"kind\":\"mcu\",\"post\":\"P-1\",\"capabilities\":" \
	"[\"ebike\"]")
#define UNIT2 FEAT(PT(121.481, 31.241), "\"id\":\"U-2\",\"callsign\":" \
	"\"GRID-01\",\"kind\":\"grid_worker\",\"post\":\"P-2\"")
#define UNITS FC(UNIT1 "," UNIT2)

#define KEYS "# keys\n\nU-1 0123456789abcdef\r\n  U-2\t#secret-key-0002#\n"

static int
load(struct np_city *c,
    int (*fn)(struct np_city *, const char *, const char *, size_t, char *,
    size_t), const char *file, const char *text, char *err, size_t errlen)
{
	return fn(c, file, text, strlen(text), err, errlen);
}

/* A city with the two posts (and the two units if with_units). */
static struct np_city *
city(int with_units)
{
	struct np_city *c = np_city_new();
	char err[512];

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(load(c, np_city_load_posts, "posts.geojson", POSTS, err,
	    sizeof(err)) == 0, "%s", err);
	if (with_units)
		ck_assert_msg(load(c, np_city_load_units, "units.geojson",
		    UNITS, err, sizeof(err)) == 0, "%s", err);
	return c;
}

START_TEST(good_files_load)
{
	struct np_city *c = city(1);
	char err[512];

	ck_assert_uint_eq(c->nposts, 2);
	ck_assert_str_eq(c->posts[0].id, "P-1");
	ck_assert_str_eq(c->posts[0].name, "Central");
	ck_assert_int_eq(c->posts[0].kind, NP_POST_CENTRAL);
	ck_assert_str_eq(c->posts[0].district, "huangpu");
	ck_assert_double_eq(c->posts[0].lat, 31.23);	/* [lon, lat] */
	ck_assert_double_eq(c->posts[0].lon, 121.47);
	ck_assert_str_eq(c->posts[1].district, "");
	ck_assert_uint_eq(c->nunits, 2);
	ck_assert_str_eq(c->units[0].callsign, "MCU-01");
	ck_assert_int_eq(c->units[0].kind, NP_UNIT_MCU);
	ck_assert_uint_eq(c->units[1].post, 1);
	ck_assert_double_eq(c->units[1].lat, 31.241);
	ck_assert_str_eq(c->units[0].key, "");
	ck_assert_msg(load(c, np_city_load_keys, "units.keys", KEYS, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c->units[0].key, "0123456789abcdef");
	ck_assert_str_eq(c->units[1].key, "#secret-key-0002#");
	ck_assert_int_eq(np_city_post(c, "P-2"), 1);
	ck_assert_int_eq(np_city_unit(c, "U-1"), 0);
	ck_assert_int_eq(np_city_unit(c, "U-3"), -1);
	ck_assert_int_eq(np_city_post(c, "U-1"), -1);
	np_city_free(c);
}
END_TEST

START_TEST(kind_names_round_trip)
{
	for (int k = 0; k < NP_UNIT_KINDS; k++)
		ck_assert_int_eq(np_unit_kind_parse(np_unit_kind_name(k)), k);
	for (int k = 0; k < NP_POST_KINDS; k++)
		ck_assert_int_eq(np_post_kind_parse(np_post_kind_name(k)), k);
	ck_assert_int_eq(np_unit_kind_parse("tank"), -1);
	ck_assert_int_eq(np_post_kind_parse(""), -1);
	ck_assert_str_eq(np_unit_kind_name(NP_UNIT_MCU), "mcu");
	ck_assert_str_eq(np_post_kind_name(NP_POST_COMMUNITY), "community");
	ck_assert_int_lt(NP_UNIT_GRID_WORKER, NP_UNIT_SPECIAL);
}
END_TEST

struct bad {
	const char	*text;
	const char	*want;
};

static const struct bad bad_posts[] = {
	{ "{\"type\":", "posts.geojson: invalid JSON at line 1" },
	{ "[]", "posts.geojson: a GeoJSON FeatureCollection is required" },
	{ "{\"type\":\"Feature\"}", "FeatureCollection is required" },
	{ "{\"type\":\"FeatureCollection\",\"features\":[],\"x\":1}",
	  "posts.geojson: member \"x\": is not a known field" },
	{ FC(""), "member \"features\": a non-empty array" },
	{ FC(POST1 "," POST1), "posts.geojson: feature 1 (P-1): property "
	  "\"id\": the same id as feature 0" },
	{ FC("3"), "posts.geojson: feature 0: must be a GeoJSON Feature" },
	{ FC(POST1 ",{\"type\":\"Feature\",\"properties\":{},\"style\":1}"),
	  "feature 1: member \"style\": is not a known field" },
	{ FC("{\"type\":\"feature\",\"properties\":{}}"),
	  "feature 0: member \"type\": \"Feature\" is required" },
	{ FC("{\"type\":\"Feature\"," PT(1, 2) "}"),
	  "feature 0: member \"properties\": an object is required" },
	{ FC(FEAT(PT(1, 2), "\"name\":\"x\"")),
	  "feature 0: property \"id\": is required" },
	{ FC(FEAT(PT(1, 2), "\"id\":\"P 1\"")),
	  "feature 0: property \"id\": \"P 1\" is not" },
	{ FC(FEAT(PT(1, 2), "\"id\":7")),
	  "feature 0: property \"id\": must be a string" },
	{ FC(FEAT("\"geometry\":null", "\"id\":\"P-1\"")),
	  "feature 0 (P-1): geometry: a Point is required" },
	{ FC(FEAT("\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
	  "[[1,2],[3,4]]}", "\"id\":\"P-1\"")), "geometry: a Point" },
	{ FC(FEAT("\"geometry\":{\"type\":\"Point\",\"coordinates\":[1]}",
	  "\"id\":\"P-1\"")), "(P-1): geometry.coordinates: [lon, lat] is "
	  "required" },
	{ FC(FEAT("\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,\"2\"]"
	  "}", "\"id\":\"P-1\"")), "geometry.coordinates[1]: must be a "
	  "number" },
	{ FC(FEAT(PT(1, 2) ",\"crs\":1", "\"id\":\"P-1\"")),
	  "member \"crs\": is not a known field" },
	{ FC(FEAT(PT(121, 85.06), "\"id\":\"P-1\"")),
	  "(P-1): geometry.coordinates[1]: latitude 85.06 is outside" },
	{ FC(FEAT(PT(180.5, 31), "\"id\":\"P-1\"")),
	  "(P-1): geometry.coordinates[0]: longitude 180.5 is outside" },
	{ FC(POST1 "," FEAT(PT(1, 2), "\"id\":\"P-2\",\"name\":\"x\"")),
	  "feature 1 (P-2): property \"kind\": is required" },
	{ FC(POST1 "," FEAT(PT(1, 2), "\"id\":\"P-2\",\"name\":\"x\","
	  "\"kind\":\"castle\"")), "posts.geojson: feature 1 (P-2): property "
	  "\"kind\": \"castle\" is not a post kind" },
	{ FC(FEAT(PT(1, 2), "\"id\":\"P-1\",\"kind\":\"grid\"")),
	  "(P-1): property \"name\": is required" },
	{ FC(FEAT(PT(1, 2), "\"id\":\"P-1\",\"kind\":\"grid\",\"name\":"
	  "\"a\\nb\"")), "(P-1): property \"name\": contains a control" },
	{ FC(FEAT(PT(1, 2), "\"id\":\"P-1\",\"kind\":\"grid\",\"name\":"
	  "\"a\",\"district\":[]")), "(P-1): property \"district\": must be a "
	  "string" },
	{ FC(FEAT(PT(1, 2), "\"id\":\"P-1\",\"id\":\"P-2\"")),
	  "invalid JSON at line 1" },
	{ POSTS " x", "invalid JSON at line 1" },
};

START_TEST(bad_posts_are_refused_by_name)
{
	const struct bad *b = &bad_posts[_i];
	struct np_city *c = np_city_new();
	char err[512];

	ck_assert_int_eq(load(c, np_city_load_posts, "posts.geojson",
	    b->text, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, b->want) != NULL, "%s\nwant: %s\ngot:  %s",
	    b->text, b->want, err);
	ck_assert_uint_eq(c->nposts, 0);
	ck_assert_ptr_null(c->posts);
	np_city_free(c);
}
END_TEST

#define U(props) FC(UNIT1 "," FEAT(PT(121.4, 31.2), props))

static const struct bad bad_units[] = {
	{ U("\"id\":\"U-0012\",\"callsign\":\"X\",\"kind\":\"tank\","
	  "\"post\":\"P-1\""), "units.geojson: feature 1 (U-0012): property "
	  "\"kind\": \"tank\" is not a unit kind" },
	{ U("\"id\":\"U-2\",\"callsign\":\"X\",\"kind\":\"mcu\","
	  "\"post\":\"P-9\""), "feature 1 (U-2): property \"post\": no post "
	  "\"P-9\"" },
	{ U("\"id\":\"U-2\",\"callsign\":\"X\",\"kind\":\"mcu\""),
	  "feature 1 (U-2): property \"post\": is required" },
	{ U("\"id\":\"U-2\",\"kind\":\"mcu\",\"post\":\"P-1\""),
	  "feature 1 (U-2): property \"callsign\": is required" },
	{ U("\"id\":\"U-2\",\"callsign\":\"MCU 2\",\"kind\":\"mcu\","
	  "\"post\":\"P-1\""), "(U-2): property \"callsign\": \"MCU 2\" is "
	  "not" },
	{ U("\"id\":\"U-2\",\"callsign\":\"MCU-01\",\"kind\":\"mcu\","
	  "\"post\":\"P-1\""), "feature 1 (U-2): property \"callsign\": "
	  "\"MCU-01\" is the callsign of feature 0" },
	{ U("\"id\":\"U-1\",\"callsign\":\"MCU-02\",\"kind\":\"mcu\","
	  "\"post\":\"P-1\""), "feature 1 (U-1): property \"id\": the same "
	  "id as feature 0" },
	{ U("\"id\":\"U-2\",\"callsign\":\"X\",\"kind\":\"mcu\","
	  "\"post\":\"P-1\",\"capabilities\":\"ebike\""),
	  "(U-2): property \"capabilities\": an array" },
	{ U("\"id\":\"U-2\",\"callsign\":\"X\",\"kind\":\"mcu\","
	  "\"post\":\"P-1\",\"capabilities\":[\"ok\",3]"),
	  "(U-2): property \"capabilities\"[1]:" },
	{ U("\"id\":\"U-2\",\"callsign\":\"X\",\"kind\":\"mcu\","
	  "\"post\":\"P-1\",\"extra\":{\"by\":\"qgis\"}"), NULL },
};

START_TEST(bad_units_are_refused_by_name)
{
	const struct bad *b = &bad_units[_i];
	struct np_city *c = city(0);
	char err[512];
	int rv;

	rv = load(c, np_city_load_units, "units.geojson", b->text, err,
	    sizeof(err));
	if (b->want == NULL) {		/* extra properties are allowed */
		ck_assert_msg(rv == 0, "%s", err);
		ck_assert_uint_eq(c->nunits, 2);
	} else {
		ck_assert_int_eq(rv, -1);
		ck_assert_msg(strstr(err, b->want) != NULL, "want: %s\ngot:  %s",
		    b->want, err);
		ck_assert_uint_eq(c->nunits, 0);
	}
	np_city_free(c);
}
END_TEST

START_TEST(units_need_posts_and_load_once)
{
	struct np_city *c = np_city_new();
	char err[512];

	ck_assert_int_eq(load(c, np_city_load_units, "u", UNITS, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "u: feature 0 (U-1): property "
	    "\"post\": no post \"P-1\" (load the posts first)"));
	ck_assert_int_eq(load(c, np_city_load_keys, "k", KEYS, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "k: load the units first");
	ck_assert_int_eq(load(c, np_city_load_posts, "p", POSTS, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(load(c, np_city_load_posts, "p", POSTS, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "p: the city has its posts already");
	ck_assert_int_eq(load(c, np_city_load_units, "u", UNITS, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(load(c, np_city_load_units, "u", UNITS, err,
	    sizeof(err)), -1);
	ck_assert_uint_eq(c->nunits, 2);
	np_city_free(c);
	np_city_free(NULL);
}
END_TEST

static const struct bad bad_keys[] = {
	{ "U-1 0123456789abcdef\n", "units.keys: unit U-2 has no key" },
	{ KEYS "U-3 0123456789abcdef\n",
	  "units.keys: line 5: no unit \"U-3\" in the city" },
	{ KEYS "U-1 0123456789abcdef\n", "line 5: unit U-1: a second key" },
	{ "U-1\nU-2 0123456789abcdef\n", "line 1: unit U-1: no key" },
	{ "U-1 0123456789abcdef x\n", "line 1: unit U-1: more than" },
	{ "U-1 0123456789abcde\n", "line 1: unit U-1: the key must be 16..127"
	  " characters" },
	{ "U-1 0123456789abcdef\x01\n", "line 1: unit U-1: the key must be "
	  "printable" },
	{ "U-1 0123456789abcdef\xc3\xa9\n", "the key must be printable" },
	{ "U-1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	  "ef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
	  "f\n", "line 1: unit U-1: the key must be 16..127" },
};

START_TEST(bad_keys_are_refused_by_line)
{
	const struct bad *b = &bad_keys[_i];
	struct np_city *c = city(1);
	char err[512];

	ck_assert_int_eq(load(c, np_city_load_keys, "units.keys", b->text, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, b->want) != NULL, "want: %s\ngot:  %s",
	    b->want, err);
	ck_assert_str_eq(c->units[0].key, "");
	np_city_free(c);
}
END_TEST

START_TEST(keys_file_limits_lines_and_nul)
{
	struct np_city *c = city(1);
	char err[512], big[700];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(load(c, np_city_load_keys, "k", big, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "k: line 1: longer than 511 bytes");
	ck_assert_int_eq(np_city_load_keys(c, "k", "U-1\0x\n", 6, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "k: line 1: NUL byte");
	np_city_free(c);
}
END_TEST

START_TEST(load_file_names_the_path)
{
	struct np_city *c = np_city_new();
	char err[512];

	ck_assert_int_eq(np_city_load_file(c, np_city_load_posts,
	    "/nonexistent/posts.geojson", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/posts.geojson: No such file or "
	    "directory");
	ck_assert_int_eq(np_city_load_file(c, np_city_load_posts,
	    NP_SRC_DIR "/deploy/plans.json", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/deploy/plans.json: a GeoJSON "
	    "FeatureCollection is required"));
	np_city_free(c);
}
END_TEST

/* The shipped city (deploy/city/, README.md there). */
static struct np_city *
shipped(void)
{
	struct np_city *c = np_city_new();
	char err[512];

	ck_assert_msg(np_city_load_file(c, np_city_load_posts, NP_SRC_DIR
	    "/deploy/city/posts.geojson", err, sizeof(err)) == 0 &&
	    np_city_load_file(c, np_city_load_units, NP_SRC_DIR
	    "/deploy/city/units.geojson", err, sizeof(err)) == 0 &&
	    np_city_load_file(c, np_city_load_keys, NP_SRC_DIR
	    "/deploy/city/units.keys", err, sizeof(err)) == 0, "%s", err);
	return c;
}

START_TEST(shipped_city_loads)
{
	struct np_city *c = shipped();
	size_t units[NP_UNIT_KINDS] = { 0 }, posts[NP_POST_KINDS] = { 0 };

	for (size_t i = 0; i < c->nposts; i++)
		posts[c->posts[i].kind]++;
	for (size_t i = 0; i < c->nunits; i++) {
		units[c->units[i].kind]++;
		ck_assert_uint_ge(strlen(c->units[i].key), 16);
		ck_assert_uint_lt(c->units[i].post, c->nposts);
	}
	ck_assert_uint_eq(posts[NP_POST_CENTRAL], 1);
	ck_assert_uint_ge(posts[NP_POST_STATION], 2);
	ck_assert_uint_ge(posts[NP_POST_BUILDING], 1);
	ck_assert_uint_ge(posts[NP_POST_COMMUNITY], 1);
	ck_assert_uint_eq(units[NP_UNIT_GRID_WORKER], posts[NP_POST_GRID]);
	ck_assert_uint_eq(units[NP_UNIT_GUARD], posts[NP_POST_BUILDING]);
	ck_assert_uint_eq(units[NP_UNIT_MCU], 12);
	ck_assert_uint_eq(units[NP_UNIT_PATROL_CAR], 6);
	ck_assert_uint_eq(units[NP_UNIT_SPECIAL], 2);
	ck_assert_str_eq(c->posts[0].id, "P-001");
	ck_assert_str_eq(c->units[0].id, "U-0001");
	np_city_free(c);
}
END_TEST

/* deploy/city/README.md: the district and its deliberate gaps. */
#define LAT_MIN	31.2228
#define LAT_MAX	31.2372
#define LON_MIN	121.4595
#define LON_MAX	121.4805
#define GAP_RADIUS_M	120.0
#define GAP_CLEAR_M	240.0

static const double gaps[][2] = {
	{ 31.2327, 121.4658 }, { 31.2260, 121.4686 }, { 31.2361, 121.4759 },
};
#define NGAPS	(sizeof(gaps) / sizeof(gaps[0]))

static double
nearest_post_m(const struct np_city *c, double lat, double lon)
{
	double best = 1e12, d;

	for (size_t i = 0; i < c->nposts; i++)
		if ((d = np_geo_dist(lat, lon, c->posts[i].lat,
		    c->posts[i].lon)) < best)
			best = d;
	return best;
}

START_TEST(shipped_city_covers_the_district_but_its_gaps)
{
	struct np_city *c = shipped();
	const int n = 240;	/* ~7 m x ~8 m between samples */
	size_t checked = 0;

	for (int j = 0; j <= n; j++) {
		double lat = LAT_MIN + (LAT_MAX - LAT_MIN) * j / n;
		for (int i = 0; i <= n; i++) {
			double lon = LON_MIN + (LON_MAX - LON_MIN) * i / n;
			size_t g;

			for (g = 0; g < NGAPS; g++)
				if (np_geo_dist(lat, lon, gaps[g][0],
				    gaps[g][1]) <= GAP_RADIUS_M)
					break;
			if (g < NGAPS)
				continue;
			checked++;
			ck_assert_msg(nearest_post_m(c, lat, lon) <= 200.0,
			    "%.6f,%.6f: no post within 200 m", lat, lon);
		}
	}
	ck_assert_uint_gt(checked, 50000);
	for (size_t g = 0; g < NGAPS; g++)
		ck_assert_msg(nearest_post_m(c, gaps[g][0], gaps[g][1]) >=
		    GAP_CLEAR_M, "gap %zu has a post nearer than %g m", g,
		    GAP_CLEAR_M);
	np_city_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("np_city");
	TCase *tc = tcase_create("load");
	TCase *ts = tcase_create("shipped");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, good_files_load);
	tcase_add_test(tc, kind_names_round_trip);
	tcase_add_loop_test(tc, bad_posts_are_refused_by_name, 0,
	    sizeof(bad_posts) / sizeof(bad_posts[0]));
	tcase_add_loop_test(tc, bad_units_are_refused_by_name, 0,
	    sizeof(bad_units) / sizeof(bad_units[0]));
	tcase_add_test(tc, units_need_posts_and_load_once);
	tcase_add_loop_test(tc, bad_keys_are_refused_by_line, 0,
	    sizeof(bad_keys) / sizeof(bad_keys[0]));
	tcase_add_test(tc, keys_file_limits_lines_and_nul);
	tcase_add_test(tc, load_file_names_the_path);
	suite_add_tcase(s, tc);
	tcase_add_test(ts, shipped_city_loads);
	tcase_add_test(ts, shipped_city_covers_the_district_but_its_gaps);
	suite_add_tcase(s, ts);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
