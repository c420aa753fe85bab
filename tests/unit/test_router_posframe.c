/*
 * test_router_posframe: the router's fast paths for unit.position frames
 * and unit.status frames (services/router/posframe.c, on np_jscan) take
 * the gateway's positions and the commander's statuses, and never accept
 * a frame the strict jansson path refuses nor read one differently: every
 * one-byte change and every truncation of real frames (and of frames in
 * other shapes the fast paths also take) is compared with the jansson
 * path.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "np_json.h"
#include "np_testloop.h"
#include "router.h"

/* The payload as radiogw writes it (radio_position_msg + np_json_dump). */
static char *
gateway_payload(const char *uid, double lat, double lon, long long ts)
{
	json_t *j = json_pack("{s:s, s:f, s:f, s:I}", "unit_id", uid, "lat",
	    lat, "lon", lon, "ts", (json_int_t)ts);
	char *s = np_json_dump(j, NULL);

	json_decref(j);
	return s;
}

/* The strict path alone. */
static int
slow_topic(const char *topic, const char *payload, size_t len,
    struct router_unit_msg *u)
{
	char err[256];

	return router_unit_msg_strict(topic, strlen(topic), payload, len, u,
	    err, sizeof(err));
}

static int
slow(const char *payload, size_t len, struct router_unit_msg *u)
{
	return slow_topic("unit.position", payload, len, u);
}

/* Fast accepted -> slow accepted, same values; returns fast's answer. */
static int
agree(const char *payload, size_t len)
{
	struct router_unit_msg f, s;
	int rv;

	memset(&f, 0, sizeof(f));
	f.status = -1;
	if ((rv = router_pos_fast(payload, len, &f)) != 0)
		return rv;
	ck_assert_msg(slow(payload, len, &s) == 0, "fast path took %.*s",
	    (int)len, payload);
	ck_assert_str_eq(f.unit_id, s.unit_id);
	ck_assert(f.lat == s.lat && f.lon == s.lon && f.ts == s.ts);
	ck_assert_int_eq(f.position, 1);
	ck_assert_int_eq(f.status, s.status);
	return 0;
}

static const struct {
	const char	*uid;
	double		 lat, lon;
	long long	 ts;
} cases[] = {
	{ "U-0031", 31.2304, 121.4737, 1800000000123LL },
	{ "U-1", -33.8688197, 151.2092955, 0 },
	{ "a.b_c:d-9", 0.0, -180.0, 7 },
	{ "U-0500", 85.05112878, 180.0, 999999999999999999LL },
	{ "Z", -85.05112878, 1e-7, 42 },
};

START_TEST(gateway_frames_take_the_fast_path)
{
	struct router_unit_msg u;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = gateway_payload(cases[i].uid, cases[i].lat,
		    cases[i].lon, cases[i].ts);

		ck_assert_msg(agree(p, strlen(p)) == 0, "slow path for %s", p);
		ck_assert_int_eq(router_pos_fast(p, strlen(p), &u), 0);
		ck_assert_str_eq(u.unit_id, cases[i].uid);
		ck_assert(u.lat == cases[i].lat && u.lon == cases[i].lon);
		ck_assert(u.ts == cases[i].ts);
		free(p);
	}
}
END_TEST

/* Not the gateway's writing, but the fast path reads them as jansson. */
static const char *const pos_shapes[] = {
	"{\"unit_id\":\"U-1\",\"lat\":1,\"lon\":-2,\"ts\":0}",
	" {\"unit_id\": \"U-1\" ,\"lat\": 1.5e1 ,\"lon\":\t2.5E-1 ,"
	    "\"ts\": 7 }\n",
	"{\"unit_id\":\"U-1\",\"lat\":1e-400,\"lon\":-0.0,\"ts\":-0}",
};

START_TEST(every_mutation_agrees_with_jansson)
{
	static const char subst[] = "09-+.eE\"\\},: x{\t\x80";
	char buf[256];
	size_t i, k, len, n, taken = 0;
	size_t ncases = sizeof(cases) / sizeof(cases[0]);

	for (i = 0; i < ncases + sizeof(pos_shapes) / sizeof(pos_shapes[0]);
	    i++) {
		char *p = i < ncases ? gateway_payload(cases[i].uid,
		    cases[i].lat, cases[i].lon, cases[i].ts) :
		    strdup(pos_shapes[i - ncases]);

		len = strlen(p);
		for (n = 0; n < len; n++)	/* truncations (white space
						 * at a shape's end: valid) */
			ck_assert(agree(p, n) != 0 || i >= ncases);
		for (k = 0; k < len; k++)
			for (n = 0; n < sizeof(subst); n++) {	/* NUL too */
				memcpy(buf, p, len);
				buf[k] = subst[n];
				taken += agree(buf, len) == 0;
			}
		free(p);
	}
	ck_assert_uint_gt(taken, 0);	/* digit changes stay fast */
}
END_TEST

START_TEST(other_writings_of_the_shape_read_as_jansson)
{
	size_t i;

	for (i = 0; i < sizeof(pos_shapes) / sizeof(pos_shapes[0]); i++)
		ck_assert_msg(agree(pos_shapes[i], strlen(pos_shapes[i])) ==
		    0, "slow path for %s", pos_shapes[i]);
}
END_TEST

START_TEST(other_shapes_are_left_to_jansson)
{
	static const char *const other[] = {
		"{\"lat\":1.5,\"unit_id\":\"U-1\",\"lon\":2.5,\"ts\":1}",
		"{\"unit_id\" :\"U-1\",\"lat\":1.5,\"lon\":2.5,\"ts\":1}",
		"{\"unit_id\":\"U-1\",\"lat\":1.5,\"lon\":2.5,\"ts\":1.0}",
		"{\"unit_id\":\"U-1\",\"lat\":1.5,\"lon\":2.5,\"ts\":-1}",
		"{\"unit_id\":\"U-1\",\"lat\":91.5,\"lon\":2.5,\"ts\":1}",
		"{\"unit_id\":\"U-1\",\"lat\":1.5,\"lon\":2.5,\"ts\":01}",
		"{\"unit_id\":\"U\\u002d1\",\"lat\":1.5,\"lon\":2.5,\"ts\":1}",
		"{\"unit_id\":\"U-1\",\"lat\":1.5,\"lon\":2.5,\"ts\":1,\"x\":1}",
		"{\"unit_id\":\"U-1\",\"lat\":1e999,\"lon\":2.5,\"ts\":1}",
		"{\"unit_id\":\"U-1\",\"lat\":1.5,\"lon\":2.5,"
		    "\"ts\":1234567890123456789}",
		"{\"unit_id\":\"\",\"lat\":1.5,\"lon\":2.5,\"ts\":1}",
	};
	struct router_unit_msg u;
	size_t i;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		ck_assert_msg(router_pos_fast(other[i], strlen(other[i]),
		    &u) == 1, "fast path took %s", other[i]);
}
END_TEST

/* The commander's statuses (cjson: compact, keys in any order). */
static const char *const statuses[] = {
	"{\"src\":\"commander\",\"v\":1,\"status\":\"dispatched\","
	    "\"ts\":1763900000000,\"type\":\"unit.status\",\"unit_id\":"
	    "\"U-0031\",\"order_id\":\"I-1-T1-1\",\"incident_id\":\"I-1\"}",
	"{\"unit_id\":\"a.b_c:d-9\",\"status\":\"available\",\"v\":1,"
	    "\"ts\":0,\"type\":\"unit.status\",\"src\":\"commander\"}",
	"{\"status\":\"online\",\"unit_id\":\"Z\",\"x\":null,\"y\":true,"
	    "\"z\":false,\"n\":-7}",
	"{\"type\":\"unit.status\",\"unit_id\":\"U-9\",\"status\":"
	    "\"unreachable\",\"ts\":999999999999999999}",
};

/* Any other JSON around the two members: read as jansson reads it. */
static const char *const status_shapes[] = {
	" { \"unit_id\" : \"U-1\" ,\n\"status\":\t\"available\" } ",
	"{\"unit_id\":\"U-1\",\"o\":{\"a\":[1,-2.5e3,{\"b\":null}],\"c\":{}},"
	    "\"status\":\"enroute\",\"e\":[]}",
	"{\"status\":\"clear\",\"ts\":1.5,\"t\":\"\xc3\xa9 x\","
	    "\"unit_id\":\"U-1\"}",
};

/* Fast accepted -> slow accepted, same values; returns fast's answer. */
static int
status_agree(const char *payload, size_t len)
{
	struct router_unit_msg f, s;
	int rv;

	memset(&f, 0, sizeof(f));
	f.status = -1;
	if ((rv = router_status_fast(payload, len, &f)) != 0)
		return rv;
	ck_assert_msg(slow_topic("unit.status", payload, len, &s) == 0,
	    "fast path took %.*s", (int)len, payload);
	ck_assert_str_eq(f.unit_id, s.unit_id);
	ck_assert_int_eq(f.status, s.status);
	ck_assert_int_eq(f.position, 0);
	return 0;
}

START_TEST(commander_statuses_take_the_fast_path)
{
	static const int want[] = { ROUTER_ST_DISPATCHED, ROUTER_ST_AVAILABLE,
	    -1, ROUTER_ST_UNREACHABLE };
	struct router_unit_msg u;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		ck_assert_msg(status_agree(statuses[i], strlen(statuses[i])) ==
		    0, "slow path for %s", statuses[i]);
		ck_assert_int_eq(router_status_fast(statuses[i],
		    strlen(statuses[i]), &u), 0);
		ck_assert_int_eq(u.status, want[i]);
	}
	ck_assert_str_eq(u.unit_id, "U-9");
}
END_TEST

START_TEST(other_status_shapes_read_as_jansson)
{
	size_t i;

	for (i = 0; i < sizeof(status_shapes) / sizeof(status_shapes[0]); i++)
		ck_assert_msg(status_agree(status_shapes[i],
		    strlen(status_shapes[i])) == 0, "slow path for %s",
		    status_shapes[i]);
}
END_TEST

START_TEST(every_status_mutation_agrees_with_jansson)
{
	static const char subst[] = "09-+.eE\"\\},: x{[\t\x80";
	char buf[512];
	size_t i, k, len, n, taken = 0;
	size_t nst = sizeof(statuses) / sizeof(statuses[0]);

	for (i = 0; i < nst + sizeof(status_shapes) /
	    sizeof(status_shapes[0]); i++) {
		const char *p = i < nst ? statuses[i] : status_shapes[i - nst];

		len = strlen(p);
		for (n = 0; n < len; n++)	/* truncations (white space
						 * at a shape's end: valid) */
			ck_assert(status_agree(p, n) != 0 || i >= nst);
		for (k = 0; k < len; k++)
			for (n = 0; n < sizeof(subst); n++) {	/* NUL too */
				memcpy(buf, p, len);
				buf[k] = subst[n];
				taken += status_agree(buf, len) == 0;
			}
	}
	ck_assert_uint_gt(taken, 0);
}
END_TEST

START_TEST(other_statuses_are_left_to_jansson)
{
	static const char *const other[] = {
		"{\"unit_id\":\"U\\u002d1\",\"status\":\"available\"}",
		"{\"unit_id\":\"U-1\",\"status\":\"avail\\u0061ble\"}",
		"{\"unit_id\":\"U-1\",\"status\":\"available\","
		    "\"ts\":1234567890123456789}",
		"{\"unit_id\":\"U-1\",\"status\":\"available\",\"o\":{\"k\":1,"
		    "\"k\":2}}",
		"{\"unit_id\":\"U-1\",\"status\":\"available\",\"status\":"
		    "\"offline\"}",
		"{\"unit_id\":\"U-1\",\"status\":\"napping\"}",
		"{\"unit_id\":\"\",\"status\":\"available\"}",
		"{\"unit_id\":\"U/1\",\"status\":\"available\"}",
		"{\"unit_id\":\"U-1\"}",
		"{\"unit_id\":1,\"status\":\"available\"}",
		"{\"unit_id\":\"U-1\",\"status\":\"available\",\"t\":\"\xc3\"}",
		"{\"unit_id\":\"U-1\",\"status\":\"available\"} x",
		"{}",
	};
	struct router_unit_msg u;
	size_t i;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		ck_assert_msg(router_status_fast(other[i], strlen(other[i]),
		    &u) == 1, "fast path took %s", other[i]);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("router_posframe");
	TCase *tc = tcase_create("posframe");

	tcase_add_test(tc, gateway_frames_take_the_fast_path);
	tcase_add_test(tc, every_mutation_agrees_with_jansson);
	tcase_add_test(tc, other_shapes_are_left_to_jansson);
	tcase_add_test(tc, other_writings_of_the_shape_read_as_jansson);
	tcase_add_test(tc, commander_statuses_take_the_fast_path);
	tcase_add_test(tc, other_status_shapes_read_as_jansson);
	tcase_add_test(tc, every_status_mutation_agrees_with_jansson);
	tcase_add_test(tc, other_statuses_are_left_to_jansson);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
