/*
 * The dashboard's pure logic: SSE framing (no injection through line
 * breaks, bad topics refused), /api/state assembly from state.lua's
 * answer (units joined with the city, marks from mark:<id> or the plan,
 * levels, escalations waiting), SLA buckets and figures.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"

START_TEST(sse_frame_plain)
{
	size_t n;
	char *f = dash_sse_frame("incident.created", 16, "{\"a\":1}", 7, &n);

	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f, "event: incident.created\ndata: {\"a\":1}\n\n");
	ck_assert_uint_eq(n, strlen(f));
	free(f);
}
END_TEST

START_TEST(sse_frame_line_breaks_stay_data)
{
	size_t n;
	char *f = dash_sse_frame("x", 1, "a\n\nevent: evil\r\nb\rc", 19, &n);

	ck_assert_str_eq(f, "event: x\ndata: a\ndata: \ndata: event: evil\n"
	    "data: b\ndata: c\n\n");
	free(f);
	f = dash_sse_frame("x", 1, "", 0, &n);
	ck_assert_str_eq(f, "event: x\ndata: \n\n");
	free(f);
}
END_TEST

START_TEST(sse_frame_bad_topic)
{
	size_t n;

	ck_assert_ptr_null(dash_sse_frame("", 0, "{}", 2, &n));
	ck_assert_ptr_null(dash_sse_frame("a\nb", 3, "{}", 2, &n));
	ck_assert_ptr_null(dash_sse_frame("a b", 3, "{}", 2, &n));
}
END_TEST

static json_t *
marks(const char *s)
{
	return json_loads(s, 0, NULL);
}

START_TEST(level_by_marks)
{
	json_t *m = marks("[{\"tier\":1,\"due\":1000,\"state\":\"pending\"},"
	    "{\"tier\":2,\"due\":3000,\"state\":\"pending\"}]");

	ck_assert_str_eq(dash_level(m, 999), "green");
	ck_assert_str_eq(dash_level(m, 1000), "red");
	json_object_set_new(json_array_get(m, 0), "state", json_string("met"));
	ck_assert_str_eq(dash_level(m, 2000), "amber");
	ck_assert_str_eq(dash_level(m, 3000), "red");
	json_object_set_new(json_array_get(m, 1), "state",
	    json_string("missed"));
	ck_assert_str_eq(dash_level(m, 0), "red");
	json_decref(m);
}
END_TEST

struct fixture {
	struct np_city	*city;
	struct np_plans	 plans;
	struct dash_view v;
};

static void
fixture_load(struct fixture *f)
{
	char err[512];

	f->city = np_city_new();
	ck_assert_int_eq(np_city_load_file(f->city, np_city_load_posts,
	    NP_SRC_DIR "/deploy/city/posts.geojson", err, sizeof(err)), 0);
	ck_assert_int_eq(np_city_load_file(f->city, np_city_load_units,
	    NP_SRC_DIR "/deploy/city/units.geojson", err, sizeof(err)), 0);
	ck_assert_int_eq(np_plans_load_file(&f->plans,
	    NP_SRC_DIR "/deploy/plans.json", err, sizeof(err)), 0);
	f->v = (struct dash_view){ f->city, &f->plans, { 0, 0, 0 }, 10 };
}

START_TEST(state_joins_city_marks_and_escalations)
{
	struct fixture f;
	json_t *raw, *s, *inc, *u;
	char buf[2048];

	fixture_load(&f);
	snprintf(buf, sizeof(buf), "{\"units\":[[\"%s\",{\"status\":"
	    "\"acked\",\"lat\":\"31.5\",\"lon\":\"121.5\"}],[\"nope\",{}]],"
	    "\"incidents\":[[\"I-1\",{\"type\":\"fight\",\"t0\":\"1000\","
	    "\"priority\":\"2\",\"coverage_gap\":\"true\",\"lat\":\"31.2\","
	    "\"lon\":\"121.4\"},{}],[\"I-2\",{\"type\":\"fight\",\"t0\":"
	    "\"0\"},{\"1.due\":\"500\",\"1.state\":\"met\"}]],"
	    "\"escalations\":[\"{\\\"type\\\":\\\"escalation\\\","
	    "\\\"incident_id\\\":\\\"I-1\\\",\\\"tier\\\":1,\\\"action\\\":"
	    "\\\"supervisor\\\"}\",\"{\\\"type\\\":\\\"escalation\\\","
	    "\\\"incident_id\\\":\\\"I-2\\\",\\\"tier\\\":1,\\\"action\\\":"
	    "\\\"command\\\"}\",\"not json\"]}", f.city->units[0].id);
	raw = json_loads(buf, 0, NULL);
	ck_assert_ptr_nonnull(raw);
	s = dash_state_build(&f.v, raw, 2000);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(json_array_size(json_object_get(s, "posts")),
	    f.city->nposts);
	ck_assert_uint_eq(json_array_size(json_object_get(s, "units")), 1);
	u = json_array_get(json_object_get(s, "units"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(u, "status")),
	    "acked");
	ck_assert(json_real_value(json_object_get(u, "lat")) == 31.5);
	inc = json_array_get(json_object_get(s, "incidents"), 0);
	ck_assert(json_is_true(json_object_get(inc, "coverage_gap")));
	ck_assert_int_eq(json_integer_value(json_object_get(inc, "age_ms")),
	    1000);
	/* fight's plan, mark 1 at t0 + 60 s: not due yet */
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    json_object_get(inc, "marks"), 0), "due")), 61000);
	ck_assert_str_eq(json_string_value(json_object_get(inc, "level")),
	    "green");
	inc = json_array_get(json_object_get(s, "incidents"), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(inc, "marks")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(inc, "level")),
	    "amber");
	/* I-2's mark 1 is met: only I-1's escalation waits */
	ck_assert_uint_eq(json_array_size(json_object_get(s, "escalations")),
	    1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    s, "counts"), "coverage_gaps")), 1);
	json_decref(s);
	json_decref(raw);
	np_city_free(f.city);
}
END_TEST

START_TEST(state_empty_lua_tables)
{
	struct fixture f;
	json_t *raw, *s;

	fixture_load(&f);
	f.v.mark_s[0] = 2;
	raw = json_loads("{\"units\":{},\"incidents\":{},\"escalations\":{}}",
	    0, NULL);
	s = dash_state_build(&f.v, raw, 0);
	ck_assert_uint_eq(json_array_size(json_object_get(s, "incidents")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(s, "units")), 0);
	json_decref(s);
	json_decref(raw);
	np_city_free(f.city);
}
END_TEST

START_TEST(sla_buckets_and_figures)
{
	char b[32];
	json_t *raw, *s, *m;

	/* 2026-11-23T10:15:00Z */
	ck_assert_int_eq(dash_sla_bucket("hour", 1795428900000LL, b,
	    sizeof(b)), 0);
	ck_assert_str_eq(b, "h:2026112310");
	ck_assert_int_eq(dash_sla_bucket("day", 1795428900000LL, b,
	    sizeof(b)), 0);
	ck_assert_str_eq(b, "d:20261123");
	ck_assert_int_eq(dash_sla_bucket("week", 0, b, sizeof(b)), -1);
	raw = json_loads("[[\"post:P-1\",{\"m1.met\":\"3\",\"m1.missed\":"
	    "\"1\",\"m1.sum_ms\":\"4000\"}],[\"post:P-2\",{}],"
	    "[\"district:d\",{\"m1.met\":\"3\"}]]", 0, NULL);
	s = dash_sla_build("hour", "h:1", raw);
	m = json_array_get(json_object_get(json_array_get(json_object_get(s,
	    "posts"), 0), "marks"), 0);
	ck_assert(json_real_value(json_object_get(m, "compliance")) == 75.0);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "mean_ms")),
	    1000);
	m = json_array_get(json_object_get(s, "total"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "met")), 3);
	ck_assert(json_is_null(json_object_get(json_array_get(
	    json_object_get(s, "total"), 1), "compliance")));
	ck_assert_uint_eq(json_array_size(json_object_get(s, "districts")),
	    1);
	json_decref(s);
	json_decref(raw);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dashboard_logic");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, sse_frame_plain);
	tcase_add_test(tc, sse_frame_line_breaks_stay_data);
	tcase_add_test(tc, sse_frame_bad_topic);
	tcase_add_test(tc, level_by_marks);
	tcase_add_test(tc, state_joins_city_marks_and_escalations);
	tcase_add_test(tc, state_empty_lua_tables);
	tcase_add_test(tc, sla_buckets_and_figures);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
