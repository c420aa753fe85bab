/*
 * test_router_query: the REQ/REP queries answered from the map -- post,
 * units (filters, order, max), route (the tiers, and nothing changed by
 * asking) -- and a clear JSON error, naming the field, for every kind of
 * bad query.
 */
#include <check.h>
#include <string.h>

#include "np_json.h"
#include "np_testloop.h"
#include "test_router_city.h"

static struct router_map *m;

static void
setup(void)
{
	tc_reset();
	tc_post(0, 50);
	tc_post(0, 1000);
	tc_unit(NP_UNIT_GUARD, 0, 30);		/* U-0000 */
	tc_unit(NP_UNIT_MCU, 0, 20);		/* U-0001 */
	tc_unit(NP_UNIT_GUARD, 0, 10);		/* U-0002 */
	tc_unit(NP_UNIT_PATROL_CAR, 0, 5000);	/* U-0003 */
	tc_plan("standard", 2, (int[]){ 60, 180 }, (unsigned[]){
	    K(NP_UNIT_GUARD) | K(NP_UNIT_MCU),
	    K(NP_UNIT_MCU) | K(NP_UNIT_PATROL_CAR) });
	snprintf(tc_plans.types[0].name, sizeof(tc_plans.types[0].name),
	    "fight");
	tc_plans.types[0].plan = &tc_plans.plans[0];
	tc_plans.ntypes = 1;
	m = tc_map();
	router_map_status(m, 2, ROUTER_ST_ENROUTE);
}

static void
teardown(void)
{
	router_map_free(m);
}

/* Ask; the answer parsed (strictly: it must be one JSON object). */
static json_t *
ask(const char *q)
{
	struct np_jerr e;
	size_t len;
	char *s = router_query(m, q, strlen(q), &len);
	json_t *j;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	j = np_json_parse(s, len, &e);
	ck_assert_msg(j != NULL && json_is_object(j), "%s: %s", q, s);
	free(s);
	return j;
}

static void
ask_at(char *buf, size_t len, const char *fmt, double north, double east)
{
	double lat, lon;

	tc_point(north, east, &lat, &lon);
	snprintf(buf, len, fmt, lat, lon);
}

START_TEST(post_query)
{
	char q[256];
	json_t *j, *p;

	ask_at(q, sizeof(q), "{\"q\":\"post\",\"lat\":%.9f,\"lon\":%.9f}", 0,
	    0);
	j = ask(q);
	p = json_object_get(j, "post");
	ck_assert_str_eq(json_string_value(json_object_get(p, "id")), "P-000");
	ck_assert_str_eq(json_string_value(json_object_get(p, "name")),
	    "Post 0");
	ck_assert_str_eq(json_string_value(json_object_get(p, "kind")),
	    "station");
	ck_assert_double_eq_tol(json_real_value(json_object_get(p, "lat")),
	    TC_LAT, 1e-9);
	ck_assert_double_eq_tol(json_number_value(json_object_get(p,
	    "distance_m")), 50, 0.1);
	ck_assert(json_is_false(json_object_get(j, "coverage_gap")));
	json_decref(j);

	ask_at(q, sizeof(q), "{\"q\":\"post\",\"lat\":%.9f,\"lon\":%.9f}", 0,
	    600);
	j = ask(q);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j,
	    "post"), "id")), "P-001");
	ck_assert(json_is_true(json_object_get(j, "coverage_gap")));
	json_decref(j);
}
END_TEST

static const char *
unit_at(json_t *j, size_t i)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "units"), i), "unit_id"));
}

START_TEST(units_query)
{
	char q[256];
	json_t *j, *u;

	ask_at(q, sizeof(q), "{\"q\":\"units\",\"lat\":%.9f,\"lon\":%.9f,"
	    "\"radius_m\":100}", 0, 0);
	j = ask(q);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "units")), 3);
	ck_assert_str_eq(unit_at(j, 0), "U-0002");
	ck_assert_str_eq(unit_at(j, 1), "U-0001");
	ck_assert_str_eq(unit_at(j, 2), "U-0000");
	u = json_array_get(json_object_get(j, "units"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(u, "kind")),
	    "guard");
	ck_assert_str_eq(json_string_value(json_object_get(u, "status")),
	    "enroute");
	ck_assert_double_eq_tol(json_number_value(json_object_get(u,
	    "distance_m")), 10, 0.1);
	ck_assert_ptr_nonnull(json_object_get(u, "lat"));
	json_decref(j);

	ask_at(q, sizeof(q), "{\"q\":\"units\",\"lat\":%.9f,\"lon\":%.9f,"
	    "\"radius_m\":100,\"kind\":\"guard\",\"status\":\"available\"}",
	    0, 0);
	j = ask(q);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "units")), 1);
	ck_assert_str_eq(unit_at(j, 0), "U-0000");
	json_decref(j);

	ask_at(q, sizeof(q), "{\"q\":\"units\",\"lat\":%.9f,\"lon\":%.9f,"
	    "\"radius_m\":10000,\"max\":2}", 0, 0);
	j = ask(q);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "units")), 2);
	json_decref(j);
}
END_TEST

START_TEST(route_query_changes_nothing)
{
	char q[256];
	json_t *j, *t;

	ask_at(q, sizeof(q), "{\"q\":\"route\",\"lat\":%.9f,\"lon\":%.9f,"
	    "\"type\":\"fight\"}", 0, 0);
	for (int round = 0; round < 2; round++) {
		j = ask(q);
		ck_assert_str_eq(json_string_value(json_object_get(
		    json_object_get(j, "post"), "id")), "P-000");
		ck_assert(json_is_false(json_object_get(j, "coverage_gap")));
		t = json_object_get(j, "tiers");
		ck_assert_uint_eq(json_array_size(t), 2);
		t = json_object_get(json_array_get(t, 0), "candidates");
		ck_assert_uint_eq(json_array_size(t), 2);
		ck_assert_str_eq(json_string_value(json_object_get(
		    json_array_get(t, 0), "unit_id")), "U-0000");
		/* tier 2: the mcu tier 1 keeps only as a fallback leads */
		t = json_object_get(json_array_get(json_object_get(j, "tiers"),
		    1), "candidates");
		ck_assert_uint_eq(json_array_size(t), 2);
		ck_assert_str_eq(json_string_value(json_object_get(
		    json_array_get(t, 0), "unit_id")), "U-0001");
		ck_assert_str_eq(json_string_value(json_object_get(
		    json_array_get(t, 1), "unit_id")), "U-0003");
		json_decref(j);
	}
	ck_assert_int_eq(m->live[0].status, ROUTER_ST_AVAILABLE);
	ck_assert_int_eq(m->live[2].status, ROUTER_ST_ENROUTE);
}
END_TEST

START_TEST(bad_queries_get_clear_errors)
{
	static const struct {
		const char *q, *code, *field, *msg;
	} bad[] = {
		{ "", "bad_json", NULL, "empty body" },
		{ "{\"q\":", "bad_json", NULL, "invalid JSON at line 1" },
		{ "{\"q\":\"post\"} x", "bad_json", NULL, "invalid JSON" },
		{ "[1,2]", "bad_query", NULL, "a query is a JSON object" },
		{ "{}", "bad_query", "q", "is required" },
		{ "{\"q\":7}", "bad_query", "q", "must be a string" },
		{ "{\"q\":\"where\"}", "unknown_query", "q",
		  "\"where\" is not a query" },
		{ "{\"q\":\"post\",\"lon\":121}", "bad_field", "lat",
		  "is required" },
		{ "{\"q\":\"post\",\"lat\":\"31\",\"lon\":121}", "bad_field",
		  "lat", "must be a number" },
		{ "{\"q\":\"post\",\"lat\":86,\"lon\":121}", "bad_field", "lat",
		  "must be between" },
		{ "{\"q\":\"post\",\"lat\":31,\"lon\":-181}", "bad_field",
		  "lon", "must be between" },
		{ "{\"q\":\"post\",\"lat\":31,\"lon\":121,\"x\":1}",
		  "bad_field", "x", "is not a known field" },
		{ "{\"q\":\"units\",\"lat\":31,\"lon\":121}", "bad_field",
		  "radius_m", "is required" },
		{ "{\"q\":\"units\",\"lat\":31,\"lon\":121,\"radius_m\":-1}",
		  "bad_field", "radius_m", "must be between" },
		{ "{\"q\":\"units\",\"lat\":31,\"lon\":121,\"radius_m\":9,"
		  "\"kind\":\"tank\"}", "bad_field", "kind",
		  "\"tank\" is not a unit kind" },
		{ "{\"q\":\"units\",\"lat\":31,\"lon\":121,\"radius_m\":9,"
		  "\"status\":\"asleep\"}", "bad_field", "status",
		  "\"asleep\" is not a unit status" },
		{ "{\"q\":\"units\",\"lat\":31,\"lon\":121,\"radius_m\":9,"
		  "\"max\":0}", "bad_field", "max", "must be between 1 and" },
		{ "{\"q\":\"units\",\"lat\":31,\"lon\":121,\"radius_m\":9,"
		  "\"max\":501}", "bad_field", "max", "must be between 1 and" },
		{ "{\"q\":\"route\",\"lat\":31,\"lon\":121}", "bad_field",
		  "type", "is required" },
		{ "{\"q\":\"route\",\"lat\":31,\"lon\":121,\"type\":\"ufo\"}",
		  "unknown_type", "type", "\"ufo\" is not an incident type" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = ask(bad[i].q), *e = json_object_get(j, "error");
		const char *code = json_string_value(json_object_get(e,
		    "code"));
		const char *msg = json_string_value(json_object_get(e,
		    "message"));
		const char *field = json_string_value(json_object_get(e,
		    "field"));

		ck_assert_msg(code != NULL && strcmp(code, bad[i].code) == 0,
		    "%s: code %s, want %s", bad[i].q, code, bad[i].code);
		ck_assert_msg(msg != NULL && strstr(msg, bad[i].msg) != NULL,
		    "%s: message \"%s\", want \"%s\"", bad[i].q, msg,
		    bad[i].msg);
		if (bad[i].field != NULL)
			ck_assert_msg(field != NULL && strcmp(field,
			    bad[i].field) == 0, "%s: field %s, want %s",
			    bad[i].q, field, bad[i].field);
		else
			ck_assert_ptr_null(field);
		ck_assert_uint_eq(json_object_size(j), 1);
		json_decref(j);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("router_query");
	TCase *tc = tcase_create("query");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, post_query);
	tcase_add_test(tc, units_query);
	tcase_add_test(tc, route_query_changes_nothing);
	tcase_add_test(tc, bad_queries_get_clear_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
