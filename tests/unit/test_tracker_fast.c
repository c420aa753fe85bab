/*
 * test_tracker_fast: the tracker's fast paths for route.decided and
 * unit.status (msg.c on np_jscan) take the router's and the gateway's
 * messages, and never accept a message the strict jansson path refuses
 * nor read one differently: every truncation and one-byte change of
 * real messages is compared with the strict path, with and without the
 * mark settings.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "np_testloop.h"
#include "np_testmutate.h"
#include "tracker.h"

#define CAND(id, d) "{\"unit_id\":\"" id "\",\"kind\":\"guard\"," \
	"\"distance_m\":" d ",\"eta_s\":" d "}"
#define CANDS4(p) CAND(p "1", "84.2") "," CAND(p "2", "120.0") "," \
	CAND(p "3", "131.7") "," CAND(p "4", "250.5")

static const int no_marks[3], marks[3] = { 60, 180, 0 };

/* As the router writes it (services/router/decided.c), and others. */
static const char *const routes[] = {
	"{\"type\":\"route.decided\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"router\",\"incident_id\":\"I-20261123-AB12CD\",\"incident_type\""
	    ":\"fight\",\"priority\":2,\"lat\":31.2304,\"lon\":121.4737,\"t0\":"
	    "1800000000000,\"post\":{\"id\":\"P-007\",\"name\":\"People's "
	    "Square\",\"distance_m\":84.2,\"district\":\"huangpu\"},"
	    "\"coverage_gap\":false,\"tiers\":[{\"tier\":1,\"deadline_s\":60,"
	    "\"candidates\":[" CANDS4("U-01") "]},{\"tier\":2,\"deadline_s\":"
	    "180,\"candidates\":[" CANDS4("U-02") "]},{\"tier\":3,"
	    "\"deadline_s\":300,\"candidates\":[" CAND("U-0301", "3000.1")
	    "]}]}",
	"{\"tiers\":[{\"deadline_s\":90.5,\"tier\":4.0},7,{\"tier\":4,"
	    "\"deadline_s\":1},{\"tier\":5,\"deadline_s\":-1},{\"tier\":2}],"
	    "\"t0\":5,\"incident_id\":\"I-1\",\"type\":\"route.decided\","
	    "\"post\":\"P-1\",\"incident_type\":\"\"}",
	"{\"type\":\"route.decided\",\"incident_id\":\"I-1\",\"t0\":0,"
	    "\"post\":{\"id\":7},\"name\":\"caf\xc3\xa9\",\"tiers\":[]}",
};

static void
route_eq(const struct trk_route *f, const struct trk_route *s)
{
	int i;

	ck_assert_str_eq(f->incident_id, s->incident_id);
	ck_assert_int_eq(f->t0, s->t0);
	ck_assert_str_eq(f->type, s->type);
	ck_assert_str_eq(f->post, s->post);
	ck_assert_int_eq(f->ntiers, s->ntiers);
	for (i = 0; i < s->ntiers; i++) {
		ck_assert_int_eq(f->tiers[i].tier, s->tiers[i].tier);
		ck_assert_int_eq(f->tiers[i].due, s->tiers[i].due);
	}
}

/* Fast took it -> strict took it, the same; 1 when fast took it. */
static int
route_agree(const char *msg, size_t len, void *arg)
{
	const int *m = arg;
	struct trk_route f, s;
	char err[256];

	if (trk_route_fast(msg, len, m, &f) != 0)
		return 0;
	ck_assert_msg(trk_route_strict(msg, len, m, &s, err, sizeof(err)) ==
	    0, "fast path took %.*s (%s)", (int)len, msg, err);
	route_eq(&f, &s);
	return 1;
}

START_TEST(routes_take_the_fast_path)
{
	struct trk_route r;

	ck_assert_int_eq(trk_route_fast(routes[0], strlen(routes[0]), marks,
	    &r), 0);
	ck_assert_int_eq(r.ntiers, 3);
	ck_assert_int_eq(r.tiers[0].due, 1800000000000LL + 60000);
	ck_assert_int_eq(r.tiers[2].due, 1800000000000LL + 300000);
	ck_assert_str_eq(r.post, "P-007");
	ck_assert_str_eq(r.type, "fight");
}
END_TEST

/* With and without the mark settings. */
START_TEST(every_route_mutation_agrees_with_jansson)
{
	np_test_fast_msgs(routes, sizeof(routes) / sizeof(routes[0]),
	    route_agree, (void *)marks);
	np_test_fast_msgs(routes, sizeof(routes) / sizeof(routes[0]),
	    route_agree, (void *)no_marks);
}
END_TEST

START_TEST(bad_routes_still_name_the_field)
{
	static const char msg[] = "{\"type\":\"route.decided\",\"incident_id\""
	    ":\"I-1\",\"t0\":1.5,\"tiers\":[]}";
	struct trk_route r;
	char err[256];

	ck_assert_int_eq(trk_route_parse(msg, strlen(msg), marks, &r, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "t0: must be an integer");
}
END_TEST

static const char *const statuses[] = {
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"onscene\","
	    "\"order_id\":\"I-20261123-AB12CD-T1-1\"}",
	"{\"type\":\"unit.status\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"radiogw\",\"unit_id\":\"U-0031\",\"status\":\"clear\","
	    "\"order_id\":\"I-20261123-AB12CD-T1-1\",\"disposition\":"
	    "\"resolved\",\"reason\":\"no one there\"}",
	"{\"status\":\"acked\",\"order_id\":null,\"ts\":null,\"type\":"
	    "\"unit.status\"}",
};

static int
status_agree(const char *msg, size_t len, void *arg)
{
	struct trk_status f, s;
	char err[256];

	(void)arg;
	if (trk_status_fast(msg, len, &f) != 0)
		return 0;
	ck_assert_msg(trk_status_strict(msg, len, &s, err, sizeof(err)) == 0,
	    "fast path took %.*s (%s)", (int)len, msg, err);
	ck_assert(memcmp(&f, &s, sizeof(f)) == 0);
	return 1;
}

START_TEST(statuses_take_the_fast_path)
{
	np_test_fast_msgs(statuses, sizeof(statuses) / sizeof(statuses[0]),
	    status_agree, NULL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tracker_fast");
	TCase *tc = tcase_create("fast");

	tcase_add_test(tc, routes_take_the_fast_path);
	tcase_add_test(tc, every_route_mutation_agrees_with_jansson);
	tcase_add_test(tc, bad_routes_still_name_the_field);
	tcase_add_test(tc, statuses_take_the_fast_path);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
