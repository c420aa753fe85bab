/*
 * test_router_msg: the messages the router reads (incident.created and
 * .upgraded from s:incidents, unit.position and unit.status frames from
 * the units bus) -- accepted as the producers write them, refused with
 * the offending field named -- and the route.decided it writes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_json.h"
#include "np_testloop.h"
#include "test_router_city.h"

#define CREATED(inc) "{\"type\":\"incident.created\",\"v\":1,\"ts\":1," \
	"\"src\":\"intake\",\"incident\":{" inc "}}"
#define INC_OK	"\"id\":\"I-20261123-AB12CD\",\"type\":\"fight\"," \
	"\"priority\":2,\"colour\":\"orange\",\"location\":{\"lat\":31.23," \
	"\"lon\":121.47,\"address\":\"x\"},\"t0\":1800000000000," \
	"\"district\":\"city\",\"source\":\"phone\",\"call_id\":\"c1\""

static struct router_incident inc;
static enum router_msg kind;
static char err[256];

static int
parse(const char *s)
{
	memset(err, 0, sizeof(err));
	return router_incident_parse(s, strlen(s), &kind, &inc, err,
	    sizeof(err));
}

START_TEST(incident_created_as_intake_writes_it)
{
	ck_assert_int_eq(parse(CREATED(INC_OK)), 0);
	ck_assert_int_eq(kind, ROUTER_MSG_CREATED);
	ck_assert_str_eq(inc.id, "I-20261123-AB12CD");
	ck_assert_str_eq(inc.type, "fight");
	ck_assert_int_eq(inc.priority, 2);
	ck_assert_double_eq(inc.lat, 31.23);
	ck_assert_double_eq(inc.lon, 121.47);
	ck_assert_int_eq(inc.t0, 1800000000000LL);
}
END_TEST

START_TEST(incident_created_refused_naming_the_field)
{
	static const struct {
		const char *msg, *want;
	} bad[] = {
		{ CREATED("\"id\":\"I-1\",\"type\":\"fight\",\"priority\":2,"
		  "\"location\":{\"lon\":121.47},\"t0\":1"),
		  "incident.location.lat: is required" },
		{ CREATED("\"id\":\"I 1\",\"type\":\"fight\",\"priority\":2,"
		  "\"location\":{\"lat\":1,\"lon\":1},\"t0\":1"),
		  "incident.id: \"I 1\" is not an id" },
		{ CREATED("\"id\":\"I-1\",\"type\":\"fight\",\"priority\":7,"
		  "\"location\":{\"lat\":1,\"lon\":1},\"t0\":1"),
		  "incident.priority: must be between 1 and 4" },
		{ CREATED("\"id\":\"I-1\",\"type\":\"fight\",\"priority\":1,"
		  "\"location\":{\"lat\":89,\"lon\":1},\"t0\":1"),
		  "incident.location.lat: must be between" },
		{ CREATED("\"id\":\"I-1\",\"priority\":1,"
		  "\"location\":{\"lat\":1,\"lon\":1},\"t0\":1"),
		  "incident.type: is required" },
		{ "{\"type\":\"incident.created\"}", "incident: is required" },
		{ "{\"v\":1}", "type: is required" },
		{ "[1]", "must be a JSON object" },
		{ "{\"type\":", "invalid JSON at line 1" },
		{ "{\"type\":\"incident.upgraded\"}",
		  "incident_id: is required" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(parse(bad[i].msg), -1);
		ck_assert_msg(strncmp(err, bad[i].want, strlen(bad[i].want)) ==
		    0, "%s: got \"%s\", want \"%s...\"", bad[i].msg, err,
		    bad[i].want);
	}
}
END_TEST

START_TEST(upgraded_and_other_types)
{
	ck_assert_int_eq(parse("{\"type\":\"incident.upgraded\",\"v\":1,"
	    "\"ts\":1,\"src\":\"intake\",\"incident_id\":\"I-9\","
	    "\"priority\":1,\"previous_priority\":2,\"call_id\":\"c\","
	    "\"call_type\":\"fight\"}"), 0);
	ck_assert_int_eq(kind, ROUTER_MSG_UPGRADED);
	ck_assert_str_eq(inc.id, "I-9");
	ck_assert_int_eq(parse("{\"type\":\"incident.closed\"}"), 0);
	ck_assert_int_eq(kind, ROUTER_MSG_OTHER);
}
END_TEST

static struct router_unit_msg um;

static int
frame(const char *s)
{
	memset(err, 0, sizeof(err));
	return router_unit_msg_parse(s, strlen(s), &um, err, sizeof(err));
}

START_TEST(unit_frames_from_the_gateway_and_the_commander)
{
	ck_assert_int_eq(frame("unit.position {\"type\":\"unit.position\","
	    "\"v\":1,\"ts\":5,\"src\":\"radiogw\",\"unit_id\":\"U-0031\","
	    "\"lat\":31.5,\"lon\":121.25}"), 0);
	ck_assert_int_eq(um.position, 1);
	ck_assert_str_eq(um.unit_id, "U-0031");
	ck_assert_double_eq(um.lat, 31.5);
	ck_assert_double_eq(um.lon, 121.25);
	ck_assert_int_eq(um.ts, 5);

	ck_assert_int_eq(frame("unit.status {\"unit_id\":\"U-1\","
	    "\"status\":\"dispatched\",\"order_id\":\"o\"}"), 0);
	ck_assert_int_eq(um.position, 0);
	ck_assert_int_eq(um.status, ROUTER_ST_DISPATCHED);
	ck_assert_int_eq(frame("unit.status {\"unit_id\":\"U-1\","
	    "\"status\":\"available\"}"), 0);
	ck_assert_int_eq(um.status, ROUTER_ST_AVAILABLE);
	ck_assert_int_eq(frame("unit.status {\"unit_id\":\"U-1\","
	    "\"status\":\"offline\"}"), 0);
	ck_assert_int_eq(um.status, ROUTER_ST_OFFLINE);
	/* the gateway's events: no status of the unit's own */
	ck_assert_int_eq(frame("unit.status {\"unit_id\":\"U-1\","
	    "\"status\":\"online\"}"), 0);
	ck_assert_int_eq(um.status, -1);
	ck_assert_int_eq(frame("unit.status {\"unit_id\":\"U-1\","
	    "\"status\":\"clear\",\"disposition\":\"done\"}"), 0);
	ck_assert_int_eq(um.status, -1);
}
END_TEST

START_TEST(unit_frames_refused)
{
	static const struct {
		const char *frame, *want;
	} bad[] = {
		{ "unit.position {\"unit_id\":\"U-1\",\"lat\":1,\"lon\":2}",
		  "ts: is required" },
		{ "unit.position {\"unit_id\":\"U-1\",\"lat\":91,\"lon\":2,"
		  "\"ts\":1}", "lat: must be between" },
		{ "unit.position {\"lat\":1,\"lon\":2,\"ts\":1}",
		  "unit_id: is required" },
		{ "unit.status {\"unit_id\":\"U-1\",\"status\":\"asleep\"}",
		  "status: \"asleep\" is not a unit status" },
		{ "unit.status {\"unit_id\":\"U-1\",\"status\":\"unknown\"}",
		  "status: \"unknown\" is not a unit status" },
		{ "unit.moved {\"unit_id\":\"U-1\"}", "topic unit.moved is" },
		{ "unit.status", "not a \"<topic> <json>\" frame" },
		{ "unit.status {", "invalid JSON" },
		{ "unit.status [7]", "must be a JSON object" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(frame(bad[i].frame), -1);
		ck_assert_msg(strncmp(err, bad[i].want, strlen(bad[i].want)) ==
		    0, "%s: got \"%s\", want \"%s...\"", bad[i].frame, err,
		    bad[i].want);
	}
}
END_TEST

START_TEST(route_decided_carries_the_decision)
{
	struct router_decision d;
	struct router_map *m;
	json_t *j, *t, *c;

	tc_reset();
	tc_post(0, 84.23);
	tc_unit(NP_UNIT_GRID_WORKER, 0, 40.07);
	tc_unit(NP_UNIT_PATROL_CAR, 0, 300);
	m = tc_map();
	ck_assert_int_eq(parse(CREATED(INC_OK)), 0);
	inc.lat = TC_LAT;
	inc.lon = TC_LON;
	ck_assert_int_eq(router_route(m, tc_plan("p", 2, (int[]){ 60, 180 },
	    (unsigned[]){ K(NP_UNIT_GRID_WORKER), K(NP_UNIT_PATROL_CAR) }),
	    inc.lat, inc.lon, &d), 0);
	j = router_decided_json(m, &inc, &d);
	ck_assert_str_eq(json_string_value(json_object_get(j, "type")),
	    "route.decided");
	ck_assert_str_eq(json_string_value(json_object_get(j, "src")),
	    "router");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "v")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(j, "incident_id")),
	    "I-20261123-AB12CD");
	ck_assert_str_eq(json_string_value(json_object_get(j,
	    "incident_type")), "fight");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "t0")),
	    1800000000000LL);
	ck_assert(json_is_false(json_object_get(j, "coverage_gap")));
	t = json_object_get(j, "post");
	ck_assert_str_eq(json_string_value(json_object_get(t, "id")), "P-000");
	ck_assert_double_eq(json_real_value(json_object_get(t, "distance_m")),
	    84.2);
	t = json_object_get(j, "tiers");
	ck_assert_uint_eq(json_array_size(t), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(t,
	    1), "deadline_s")), 180);
	c = json_array_get(json_object_get(json_array_get(t, 0),
	    "candidates"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(c, "unit_id")),
	    "U-0000");
	ck_assert_str_eq(json_string_value(json_object_get(c, "kind")),
	    "grid_worker");
	ck_assert_double_eq(json_real_value(json_object_get(c, "distance_m")),
	    40.1);
	ck_assert_double_eq(json_real_value(json_object_get(c, "eta_s")),
	    37.2);
	json_decref(j);
	router_map_free(m);
}
END_TEST

/* The text the daemon writes is what jansson writes, byte for byte. */
static void
text_as_jansson(const struct router_map *m, const struct router_decision *d)
{
	json_t *j = router_decided_json(m, &inc, d), *t;
	size_t len;
	char *text = router_decided_text(m, &inc, d, &len), *want;

	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_ptr_nonnull(t = json_loads(text, 0, NULL));
	json_object_set(j, "ts", json_object_get(t, "ts"));
	want = np_json_dump(j, NULL);
	ck_assert_str_eq(text, want);	/* (reals: both %.15g) */
	free(want);
	free(text);
	json_decref(t);
	json_decref(j);
}

START_TEST(route_decided_text_is_jansson_s)
{
	static const double lats[] = { TC_LAT, 31.2, 0, -33.8688197, 1e-7 };
	struct router_decision d;
	struct router_map *m;
	size_t i;

	tc_reset();
	tc_post(0, 84.23);
	tc_unit(NP_UNIT_GRID_WORKER, 0, 40.07);
	tc_unit(NP_UNIT_GRID_WORKER, 90, 1200.55);
	tc_unit(NP_UNIT_PATROL_CAR, 0, 300);
	tc_unit(NP_UNIT_MCU, 45, 0.04);
	m = tc_map();
	ck_assert_int_eq(parse(CREATED(INC_OK)), 0);
	for (i = 0; i < sizeof(lats) / sizeof(lats[0]); i++) {
		inc.lat = lats[i];
		inc.lon = i == 0 ? TC_LON : 121.0 + (double)i / 3;
		ck_assert_int_eq(router_route(m, tc_plan("p", 2, (int[]){ 60,
		    180 }, (unsigned[]){ K(NP_UNIT_GRID_WORKER) |
		    K(NP_UNIT_MCU), K(NP_UNIT_PATROL_CAR) }), inc.lat,
		    inc.lon, &d), 0);
		text_as_jansson(m, &d);
	}
	/* strings that need escapes, and no tiers */
	snprintf(inc.type, sizeof(inc.type), "a\"b\\c\t\xc3\xa9");
	d.ntiers = 0;
	text_as_jansson(m, &d);
	router_map_free(m);
}
END_TEST

START_TEST(status_names_round_trip)
{
	for (int s = 0; s < ROUTER_ST_UNKNOWN; s++)
		ck_assert_int_eq(router_status_parse(router_status_name(s)), s);
	ck_assert_int_eq(router_status_parse("unknown"), -1);
	ck_assert_str_eq(router_status_name(99), "unknown");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("router_msg");
	TCase *tc = tcase_create("msg");

	tcase_add_test(tc, incident_created_as_intake_writes_it);
	tcase_add_test(tc, incident_created_refused_naming_the_field);
	tcase_add_test(tc, upgraded_and_other_types);
	tcase_add_test(tc, unit_frames_from_the_gateway_and_the_commander);
	tcase_add_test(tc, unit_frames_refused);
	tcase_add_test(tc, route_decided_carries_the_decision);
	tcase_add_test(tc, route_decided_text_is_jansson_s);
	tcase_add_test(tc, status_names_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
