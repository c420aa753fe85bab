/*
 * test_router_incident_fast: the router's fast path for s:incidents
 * (services/router/msg.c, router_incident_fast on np_jscan) takes
 * intake's incident.created and incident.upgraded, and never accepts a
 * message the strict jansson path refuses nor reads one differently:
 * every truncation and one-byte change of real messages is compared with
 * the strict path.
 */
#include <check.h>
#include <string.h>

#include "np_testloop.h"
#include "np_testmutate.h"
#include "router.h"

#define CREATED "{\"type\":\"incident.created\",\"v\":1,\"ts\":1800000000123," \
	"\"src\":\"intake\",\"incident\":{\"id\":\"I-20261123-AB12CD\""

/*
 * As intake writes them: incident.created by intake_msg_created (jansson,
 * compact, in insertion order, reals %.15g; UTF-8 as it is, '/' not
 * escaped), incident.upgraded by aggregate.lua.
 */
static const char *const incidents[] = {
	CREATED ",\"type\":\"fight\",\"priority\":2,\"colour\":\"orange\","
	    "\"location\":{\"lat\":31.2304,\"lon\":121.4737},\"t0\":"
	    "1800000000000,\"district\":\"huangpu\",\"source\":\"phone\","
	    "\"call_id\":\"C-20261123-ABCD1234\",\"description\":\"npsim\"}}",
	CREATED ",\"type\":\"medical.cardiac\",\"priority\":1,\"colour\":"
	    "\"red\",\"location\":{\"lat\":-33.8688197,\"lon\":-180.0,"
	    "\"address\":\"\xe5\x8d\x97\xe4\xba\xac\xe8\xb7\xaf 1, 2/F\"},"
	    "\"t0\":0,\"district\":\"city\",\"source\":\"video\",\"call_id\":"
	    "\"c1\"}}",
	CREATED ",\"type\":\"noise\",\"priority\":4,\"colour\":\"blue\","
	    "\"location\":{\"lat\":31.0,\"lon\":1.0000000000000001e-05},\"t0\":"
	    "1800000000000,\"district\":\"city\",\"source\":\"phone\","
	    "\"call_id\":\"C-1\",\"description\":\"Caf\xc3\xa9 \xf0\x9f\x9a\x93"
	    "\"}}",
	"{\"type\":\"incident.upgraded\",\"v\":1,\"ts\":1800000000123,\"src\":"
	    "\"intake\",\"incident_id\":\"I-20261123-AB12CD\",\"priority\":1,"
	    "\"previous_priority\":2,\"call_id\":\"C-20261123-ABCD1234\","
	    "\"call_type\":\"fight\"}",
};

/* Other shapes jansson takes, the fast path too. */
static const char *const shapes[] = {
	" {\"incident\" : {\"t0\":7,\"location\":{\"lon\":2,\"x\":[],\"lat\":"
	    "-1.5E1},\n\"priority\":3,\"type\":\"a b\",\"id\":\"I.1\"},"
	    "\"type\":\"incident.created\",\"incident_id\":null}\r\n",
	"{\"type\":\"incident.created\",\"incident\":{\"id\":\"I-1\",\"type\":"
	    "\"\",\"priority\":1,\"t0\":0,\"location\":{\"lat\":-0.0,\"lon\":"
	    "-0}},\"tiers\":[{\"a\":null},true,false]}",
	"{\"incident_id\":\"I-9\",\"type\":\"incident.upgraded\",\"incident\":"
	    "{\"id\":\"I-1\"}}",
	"{\"type\":\"incident.closed\",\"incident_id\":\"I-9\",\"marks\":{}}",
};

/* Taken by jansson, left to it by the fast path. */
static const char *const slow[] = {
	/* an escape, even in a string not read (a description's line
	 * break or quote) */
	CREATED ",\"type\":\"fight\",\"priority\":2,\"location\":{\"lat\":1,"
	    "\"lon\":1},\"t0\":1,\"description\":\"two men,\\n one "
	    "\\\"armed\\\"\"}}",
	/* non-ASCII in a string read */
	CREATED ",\"type\":\"r\xc3\xa9ixe\",\"priority\":2,\"location\":{"
	    "\"lat\":1,\"lon\":1},\"t0\":1}}",
	/* an integer of more than 18 digits */
	CREATED ",\"type\":\"fight\",\"priority\":2,\"location\":{\"lat\":1,"
	    "\"lon\":1},\"t0\":1234567890123456789}}",
	/* what an incident.upgraded does not read */
	"{\"type\":\"incident.upgraded\",\"incident_id\":\"I-9\",\"incident\":"
	    "7}",
};

static void
incident_eq(const struct router_incident *f, const struct router_incident *s)
{
	ck_assert_str_eq(f->id, s->id);
	ck_assert_str_eq(f->type, s->type);
	ck_assert_int_eq(f->priority, s->priority);
	/* memcmp: -0.0 is not 0.0 */
	ck_assert(memcmp(&f->lat, &s->lat, sizeof(f->lat)) == 0);
	ck_assert(memcmp(&f->lon, &s->lon, sizeof(f->lon)) == 0);
	ck_assert(f->t0 == s->t0);
}

/* Fast took it -> strict took it, the same; 1 when fast took it. */
static int
agree(const char *msg, size_t len, void *arg)
{
	struct router_incident f, s;
	enum router_msg fk, sk;
	char err[256];

	(void)arg;
	if (router_incident_fast(msg, len, &fk, &f) != 0)
		return 0;
	err[0] = '\0';
	ck_assert_msg(router_incident_strict(msg, len, &sk, &s, err,
	    sizeof(err)) == 0, "fast path took %.*s (%s)", (int)len, msg, err);
	ck_assert_int_eq(fk, sk);
	incident_eq(&f, &s);
	return 1;
}

START_TEST(intake_incidents_take_the_fast_path)
{
	struct router_incident inc;
	enum router_msg kind;
	size_t i;

	for (i = 0; i < sizeof(incidents) / sizeof(incidents[0]); i++)
		ck_assert_msg(router_incident_fast(incidents[i],
		    strlen(incidents[i]), &kind, &inc) == 0, "slow path for %s",
		    incidents[i]);
	ck_assert_int_eq(kind, ROUTER_MSG_UPGRADED);
	ck_assert_str_eq(inc.id, "I-20261123-AB12CD");
	ck_assert_int_eq(router_incident_fast(incidents[1],
	    strlen(incidents[1]), &kind, &inc), 0);
	ck_assert_int_eq(kind, ROUTER_MSG_CREATED);
	ck_assert_str_eq(inc.id, "I-20261123-AB12CD");
	ck_assert_str_eq(inc.type, "medical.cardiac");
	ck_assert_int_eq(inc.priority, 1);
	ck_assert(inc.lat == -33.8688197 && inc.lon == -180.0);
	ck_assert(inc.t0 == 0);
}
END_TEST

START_TEST(every_incident_mutation_agrees_with_jansson)
{
	np_test_fast_msgs(incidents, sizeof(incidents) / sizeof(incidents[0]),
	    agree, NULL);
}
END_TEST

START_TEST(other_shapes_read_as_jansson)
{
	struct router_incident inc;
	enum router_msg kind;

	np_test_fast_msgs(shapes, sizeof(shapes) / sizeof(shapes[0]), agree,
	    NULL);
	ck_assert_int_eq(router_incident_fast(shapes[2], strlen(shapes[2]),
	    &kind, &inc), 0);
	ck_assert_int_eq(kind, ROUTER_MSG_UPGRADED);
	ck_assert_str_eq(inc.id, "I-9");
	ck_assert_int_eq(router_incident_fast(shapes[3], strlen(shapes[3]),
	    &kind, &inc), 0);
	ck_assert_int_eq(kind, ROUTER_MSG_OTHER);
}
END_TEST

START_TEST(other_writings_are_left_to_jansson)
{
	struct router_incident inc;
	enum router_msg kind;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
		ck_assert_msg(router_incident_fast(slow[i], strlen(slow[i]),
		    &kind, &inc) == 1, "fast path took %s", slow[i]);
		ck_assert_msg(router_incident_parse(slow[i], strlen(slow[i]),
		    &kind, &inc, err, sizeof(err)) == 0, "%s: %s", slow[i],
		    err);
	}
	ck_assert_int_eq(kind, ROUTER_MSG_UPGRADED);
	ck_assert_str_eq(inc.id, "I-9");
}
END_TEST

START_TEST(bad_incidents_still_name_the_field)
{
	static const char msg[] = CREATED ",\"type\":\"fight\",\"priority\":2,"
	    "\"location\":{\"lat\":1,\"lon\":180.5},\"t0\":1}}";
	struct router_incident inc;
	enum router_msg kind;
	char err[256];

	ck_assert_int_eq(router_incident_parse(msg, strlen(msg), &kind, &inc,
	    err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "incident.location.lon: must be between",
	    38) == 0, "%s", err);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("router_incident_fast");
	TCase *tc = tcase_create("fast");

	tcase_add_test(tc, intake_incidents_take_the_fast_path);
	tcase_add_test(tc, every_incident_mutation_agrees_with_jansson);
	tcase_add_test(tc, other_shapes_read_as_jansson);
	tcase_add_test(tc, other_writings_are_left_to_jansson);
	tcase_add_test(tc, bad_incidents_still_name_the_field);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
