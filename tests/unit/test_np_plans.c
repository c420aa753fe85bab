/*
 * np_plans: the shipped deploy/plans.json loads into the types and plans
 * the router and intake expect; each class of bad input is refused with
 * the JSON path of the bad value; a refused file changes nothing.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_plans.h"

static struct np_plans *
shipped(void)
{
	struct np_plans *ps = calloc(1, sizeof(*ps));
	char err[512];

	ck_assert_ptr_nonnull(ps);
	ck_assert_msg(np_plans_load_file(ps, NP_SRC_DIR "/deploy/plans.json",
	    err, sizeof(err)) == 0, "%s", err);
	return ps;
}

START_TEST(shipped_plans_load)
{
	struct np_plans *ps = shipped();
	const struct np_type *t;
	const struct np_plan *p;

	ck_assert_uint_eq(ps->ntypes, 26);
	ck_assert_uint_eq(ps->nplans, 3);
	ck_assert_ptr_nonnull(t = np_plans_type(ps, "fight"));
	ck_assert_str_eq(t->label, "Fight");
	ck_assert_str_eq(t->group, "violence");
	ck_assert_int_eq(t->priority, 2);
	p = t->plan;
	ck_assert_str_eq(p->name, "standard");
	ck_assert_uint_eq(p->ntiers, 2);
	ck_assert_int_eq(p->tiers[1].tier, 2);
	ck_assert_int_eq(p->tiers[1].deadline_s, 180);
	ck_assert_int_eq(p->tiers[1].kinds[NP_UNIT_MCU], 1);
	ck_assert_int_eq(p->tiers[1].kinds[NP_UNIT_PATROL_CAR], 1);
	ck_assert_int_eq(p->tiers[1].kinds[NP_UNIT_GUARD], 0);
	ck_assert_ptr_nonnull(t = np_plans_type(ps, "robbery"));
	ck_assert_uint_eq(t->plan->ntiers, 3);
	ck_assert_int_eq(t->plan->tiers[2].deadline_s, 300);
	ck_assert_int_eq(t->plan->tiers[2].kinds[NP_UNIT_SPECIAL], 1);
	ck_assert_int_eq(t->plan->tiers[0].kinds[NP_UNIT_GRID_WORKER], 0);
	/* every type's plan lives in the same struct */
	for (size_t i = 0; i < ps->ntypes; i++)
		ck_assert(ps->types[i].plan >= ps->plans &&
		    ps->types[i].plan < ps->plans + ps->nplans);
	ck_assert_ptr_null(np_plans_type(ps, "tank_battle"));
	free(ps);
}
END_TEST

START_TEST(merge_groups_list_compatible_types)
{
	struct np_plans *ps = shipped();
	const struct np_type *t = np_plans_type(ps, "theft");
	char buf[512];

	ck_assert_int_eq(np_plans_compatible(ps, t, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "burglary,theft,vandalism");
	ck_assert_int_eq(np_plans_compatible(ps, t, buf, 8), -1);
	t = np_plans_type(ps, "fraud");
	ck_assert_int_eq(np_plans_compatible(ps, t, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "fraud");
	free(ps);
}
END_TEST

#define TIER1 "{\"tier\":1,\"deadline_s\":60,\"kinds\":[\"mcu\"]}"
#define PLAN(tiers) "\"plans\":{\"p\":{\"tiers\":[" tiers "]}}"
#define TYPE(body) "\"types\":{\"a\":{" body "}}"
#define TYPE_OK "\"label\":\"A\",\"priority\":1,\"merge_group\":\"g\"," \
	"\"plan\":\"p\""
#define DOC(types, plans) "{" types "," plans "}"

static const struct {
	const char	*text;
	const char	*want;
} bad[] = {
	{ "{\"types\":", "invalid JSON at line 1" },
	{ "[]", "must be an object" },
	{ "{}", "plans: a non-empty object is required" },
	{ "{" PLAN(TIER1) "}", "types: a non-empty object is required" },
	{ DOC(TYPE(TYPE_OK), PLAN(TIER1) ",\"x\":1"), "x: is not a known "
	  "field" },
	{ DOC(TYPE("\"label\":\"A\",\"priority\":1,\"merge_group\":\"g\","
	  "\"plan\":\"nope\""), PLAN(TIER1)),
	  "types.a.plan: no plan named 'nope'" },
	{ DOC("\"types\":{\"a b\":{}}", PLAN(TIER1)), "types.a b: a type "
	  "name" },
	{ DOC("\"types\":{\"a,b\":{}}", PLAN(TIER1)), "types.a,b: a type "
	  "name" },
	{ DOC("\"types\":{\"a\":[]}", PLAN(TIER1)), "types.a: must be an "
	  "object" },
	{ DOC(TYPE("\"label\":\"A\",\"priority\":5,\"merge_group\":\"g\","
	  "\"plan\":\"p\""), PLAN(TIER1)), "types.a.priority: must be "
	  "between 1 and 4" },
	{ DOC(TYPE(TYPE_OK ",\"x\":1"), PLAN(TIER1)), "types.a.x: is not a "
	  "known field" },
	{ DOC(TYPE("\"priority\":1,\"merge_group\":\"g\",\"plan\":\"p\""),
	  PLAN(TIER1)), "types.a.label: is required" },
	{ DOC(TYPE("\"label\":\"0123456789012345678901234567890123456789"
	  "012345678901234567890123\",\"priority\":1,\"merge_group\":\"g\","
	  "\"plan\":\"p\""), PLAN(TIER1)), "types.a.label: is longer than 63" },
	{ DOC(TYPE("\"label\":\"A\",\"priority\":1,\"merge_group\":\"g h\","
	  "\"plan\":\"p\""), PLAN(TIER1)), "types.a.merge_group: a group "
	  "name" },
	{ DOC(TYPE(TYPE_OK), "\"plans\":{\"p\":{}}"), "plans.p.tiers: an "
	  "array of 1..3 tiers is required" },
	{ DOC(TYPE(TYPE_OK), "\"plans\":{\"p\":{\"tiers\":[" TIER1 "],"
	  "\"x\":1}}"), "plans.p.x: is not a known field" },
	{ DOC(TYPE(TYPE_OK), "\"plans\":{\"p q\":{}}"), "plans.p q: a plan "
	  "name" },
	{ DOC(TYPE(TYPE_OK), PLAN(TIER1 "," TIER1 "," TIER1 "," TIER1)),
	  "plans.p.tiers: an array of 1..3 tiers" },
	{ DOC(TYPE(TYPE_OK), PLAN("7")), "plans.p.tiers[0]: must be an "
	  "object" },
	{ DOC(TYPE(TYPE_OK), PLAN("{\"tier\":2,\"deadline_s\":60,"
	  "\"kinds\":[\"mcu\"]}")), "plans.p.tiers[0].tier: 2 out of order" },
	{ DOC(TYPE(TYPE_OK), PLAN(TIER1 "," TIER1)), "plans.p.tiers[1].tier: "
	  "1 out of order" },
	{ DOC(TYPE(TYPE_OK), PLAN(TIER1 ",{\"tier\":2,\"deadline_s\":60,"
	  "\"kinds\":[\"mcu\"]}")), "plans.p.tiers[1].deadline_s: 60 is not "
	  "later than the tier before (60)" },
	{ DOC(TYPE(TYPE_OK), PLAN("{\"tier\":1,\"deadline_s\":0,"
	  "\"kinds\":[\"mcu\"]}")), "plans.p.tiers[0].deadline_s: must be "
	  "between 1 and 86400" },
	{ DOC(TYPE(TYPE_OK), PLAN("{\"tier\":1,\"deadline_s\":60}")),
	  "plans.p.tiers[0].kinds: a non-empty array of unit kinds" },
	{ DOC(TYPE(TYPE_OK), PLAN("{\"tier\":1,\"deadline_s\":60,"
	  "\"kinds\":[\"mcu\",\"tank\"]}")), "plans.p.tiers[0].kinds[1]: "
	  "\"tank\" is not a unit kind" },
	{ DOC(TYPE(TYPE_OK), PLAN("{\"tier\":1,\"deadline_s\":60,"
	  "\"kinds\":[3]}")), "plans.p.tiers[0].kinds[0]: this is not a unit "
	  "kind" },
	{ DOC(TYPE(TYPE_OK), PLAN("{\"tier\":1,\"deadline_s\":60,"
	  "\"kinds\":[\"mcu\",\"mcu\"]}")), "plans.p.tiers[0].kinds[1]: "
	  "\"mcu\" twice" },
	{ DOC(TYPE(TYPE_OK), PLAN("{\"tier\":1,\"deadline_s\":60,"
	  "\"kinds\":[\"mcu\"],\"note\":1}")), "plans.p.tiers[0].note: is not "
	  "a known field" },
};

START_TEST(bad_plans_name_the_path)
{
	struct np_plans *ps = shipped();
	char err[512];

	ck_assert_int_eq(np_plans_load(ps, bad[_i].text, strlen(bad[_i].text),
	    err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, bad[_i].want) != NULL, "%s\nwant: %s\n"
	    "got:  %s", bad[_i].text, bad[_i].want, err);
	/* refused: what was loaded stays */
	ck_assert_uint_eq(ps->ntypes, 26);
	ck_assert_ptr_nonnull(np_plans_type(ps, "fight"));
	free(ps);
}
END_TEST

START_TEST(small_plans_load)
{
	static const char text[] = DOC(TYPE(TYPE_OK), PLAN(TIER1
	    ",{\"tier\":2,\"deadline_s\":61,\"kinds\":[\"special\","
	    "\"grid_worker\"]}"));
	struct np_plans *ps = calloc(1, sizeof(*ps));
	char err[512];

	ck_assert_msg(np_plans_load(ps, text, strlen(text), err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(ps->ntypes, 1);
	ck_assert_ptr_eq(ps->types[0].plan, &ps->plans[0]);
	ck_assert_uint_eq(ps->plans[0].ntiers, 2);
	ck_assert_int_eq(ps->plans[0].tiers[1].kinds[NP_UNIT_GRID_WORKER], 1);
	ck_assert_int_eq(ps->plans[0].tiers[1].kinds[NP_UNIT_MCU], 0);
	free(ps);
}
END_TEST

START_TEST(load_file_names_the_path)
{
	struct np_plans *ps = calloc(1, sizeof(*ps));
	char err[512];

	ck_assert_int_eq(np_plans_load_file(ps, "/nonexistent/plans.json",
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/plans.json: No such file or "
	    "directory");
	ck_assert_int_eq(np_plans_load_file(ps, NP_SRC_DIR
	    "/deploy/city/posts.geojson", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/deploy/city/posts.geojson: "
	    "type: is not a known field"));
	free(ps);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("np_plans");
	TCase *tc = tcase_create("plans");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, shipped_plans_load);
	tcase_add_test(tc, merge_groups_list_compatible_types);
	tcase_add_loop_test(tc, bad_plans_name_the_path, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, small_plans_load);
	tcase_add_test(tc, load_file_names_the_path);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
