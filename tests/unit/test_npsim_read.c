/*
 * test_npsim_read: what npsim reads -- the replay CSV (every refusal
 * names the line and the field), the gateway's ORDER line, the radio
 * login proof (the vector of the brief, computed the documented way),
 * an incident's timeline turned into facts, and percentiles.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "np_json.h"
#include "np_sha256.h"
#include "np_testdata.h"
#include "np_testloop.h"
#include "sim.h"

static struct np_plans plans;

static void
load_plans(void)
{
	np_test_plans(&plans);
}

static int
line(const char *s, struct sim_csv_call *c, char *err)
{
	return sim_csv_line(s, strlen(s), 2, &plans, c, err, 256);
}

START_TEST(test_csv_line_reads_seconds_and_iso_times)
{
	struct sim_csv_call c;
	char err[256];

	load_plans();
	ck_assert_int_eq(line(" 12.5 , 31.2317,121.4726 ,fight\r", &c, err),
	    1);
	ck_assert_double_eq(c.t, 12.5);
	ck_assert_int_eq(c.iso, 0);
	ck_assert_double_eq(c.lat, 31.2317);
	ck_assert_str_eq(c.type, "fight");
	ck_assert_int_eq(line("2026-11-23T08:15:00Z,31.23,121.47,theft", &c,
	    err), 1);
	ck_assert_int_eq(c.iso, 1);
	ck_assert_double_eq(c.t, 1795421700.0);
	ck_assert_int_eq(line("2026-11-23 16:15:00.5+08:00,31.23,121.47,"
	    "theft", &c, err), 1);
	ck_assert_double_eq(c.t, 1795421700.5);
	ck_assert_int_eq(line("", &c, err), 0);
	ck_assert_int_eq(line("# a comment", &c, err), 0);
	ck_assert_int_eq(sim_csv_line("time,lat,lon,type", 17, 1, &plans, &c,
	    err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_csv_errors_name_line_and_field)
{
	static const struct { const char *in, *want; } bad[] = {
		{ "x,31.23,121.47,fight", "line 2: field time" },
		{ "1e3,31.23,121.47,fight", "line 2: field time" },
		{ "-1,31.23,121.47,fight", "line 2: field time" },
		{ "2026-02-30T00:00:00,31.23,121.47,fight", "field time" },
		{ "1,95,121.47,fight", "line 2: field lat" },
		{ "1,nan,121.47,fight", "line 2: field lat" },
		{ "1,31.23,0x10,fight", "line 2: field lon" },
		{ "1,0,0,fight", "field lon" },
		{ "1,31.23,121.47,tank", "line 2: field type" },
		{ "1,31.23,121.47,fi ght", "line 2: field type" },
		{ "1,31.23,121.47", "line 2: 3 fields" },
		{ "1,31.23,121.47,fight,extra", "line 2: 5 fields" },
		{ "1,31.23,121.47,fight\x01", "line 2: column 21" },
	};
	struct sim_csv_call c;
	char err[256];

	load_plans();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(line(bad[i].in, &c, err), -1);
		ck_assert_msg(strstr(err, bad[i].want) != NULL, "%s -> %s",
		    bad[i].in, err);
	}
	ck_assert_int_eq(sim_csv_line("time,lat,lng,type", 17, 1, &plans, &c,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 1: field lon"));
}
END_TEST

START_TEST(test_csv_load_makes_times_relative_and_checks_order)
{
	const char *ok = "time,lat,lon,type\n100,31.23,121.47,fight\n"
	    "130,31.231,121.471,weapon\n";
	const char *backwards = "100,31.23,121.47,fight\n"
	    "# two\n90,31.23,121.47,fight\n";
	const char *mixed = "100,31.23,121.47,fight\n"
	    "2026-11-23T08:15:00Z,31.23,121.47,fight\n";
	struct sim_csv_call *v;
	char err[256];
	size_t n;

	load_plans();
	ck_assert_int_eq(sim_csv_load(ok, strlen(ok), &plans, &v, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_double_eq(v[0].t, 0);
	ck_assert_double_eq(v[1].t, 30);
	free(v);
	ck_assert_int_eq(sim_csv_load(backwards, strlen(backwards), &plans,
	    &v, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 3: field time"));
	ck_assert_int_eq(sim_csv_load(mixed, strlen(mixed), &plans, &v, &n,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 2: field time"));
	ck_assert_int_eq(sim_csv_load("", 0, &plans, &v, &n, err,
	    sizeof(err)), -1);
}
END_TEST

START_TEST(test_the_sample_csv_loads)
{
	char err[512], *text;
	struct sim_csv_call *v;
	size_t len, n;
	FILE *f = fopen(NP_SRC_DIR "/tools/npsim/sample_calls.csv", "r");

	load_plans();
	ck_assert_ptr_nonnull(f);
	text = calloc(1, 65536);
	len = fread(text, 1, 65535, f);
	fclose(f);
	ck_assert_msg(sim_csv_load(text, len, &plans, &v, &n, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert(n >= 10);
	free(v);
	free(text);
}
END_TEST

START_TEST(test_order_line_parses_and_refuses_junk)
{
	struct sim_order o;
	const char *l = "ORDER I-20261123-AB12CD-T1-1 I-20261123-AB12CD 1 "
	    "31.230400 121.473700 2 fight Nanjing%20Rd%201";

	ck_assert_int_eq(sim_order_parse(l, strlen(l), &o), 0);
	ck_assert_str_eq(o.order_id, "I-20261123-AB12CD-T1-1");
	ck_assert_str_eq(o.incident_id, "I-20261123-AB12CD");
	ck_assert_int_eq(o.tier, 1);
	ck_assert_double_eq(o.lon, 121.4737);
	ck_assert_int_eq(o.priority, 2);
	ck_assert_str_eq(o.type, "fight");
	l = "ORDER a b 0 1 2 3 x -";
	ck_assert_int_eq(sim_order_parse(l, strlen(l), &o), -1);
	l = "ORDER a b 1 1 2";
	ck_assert_int_eq(sim_order_parse(l, strlen(l), &o), -1);
}
END_TEST

START_TEST(test_proof_is_hmac_of_the_documented_message)
{
	char got[SIM_PROOF_HEX], want[SIM_PROOF_HEX];
	const char *msg = "nearpost-radio-v1 U-0031 "
	    "00112233445566778899aabbccddeeff";
	uint8_t mac[NP_SHA256_LEN];

	sim_radio_proof("k3y-0031", "U-0031",
	    "00112233445566778899aabbccddeeff", got);
	np_hmac_sha256("k3y-0031", 8, msg, strlen(msg), mac);
	np_hex(mac, sizeof(mac), want);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(strlen(got), 64);
}
END_TEST

START_TEST(test_facts_from_a_timeline)
{
	const char *text = "{\"id\":\"I-1\",\"type\":\"robbery\",\"t0\":1000,"
	    "\"state\":\"onscene\",\"coverage_gap\":\"true\",\"timeline\":["
	    "{\"ts\":1000,\"event\":\"created\"},"
	    "{\"ts\":1003,\"event\":\"dispatched\",\"tier\":1},"
	    "{\"ts\":1003,\"event\":\"dispatched\",\"tier\":2},"
	    "{\"ts\":5000,\"event\":\"acked\",\"tier\":1},"
	    "{\"ts\":5001,\"event\":\"mark_met\",\"tier\":1,\"late\":false},"
	    "{\"ts\":6000,\"event\":\"declined\",\"tier\":2},"
	    "{\"ts\":9000,\"event\":\"mark_missed\",\"tier\":2},"
	    "{\"ts\":9001,\"event\":\"escalation\",\"tier\":2,\"step\":1},"
	    "{\"ts\":9500,\"event\":\"onscene\",\"tier\":2},"
	    "{\"ts\":9502,\"event\":\"mark_met\",\"tier\":2,\"late\":true}]}";
	struct sim_facts f;
	struct np_jerr e;
	char err[128];
	json_t *j = np_json_parse(text, strlen(text), &e);

	load_plans();
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(sim_facts_parse(j, &plans, &f, err, sizeof(err)), 0);
	ck_assert_int_eq(f.t0, 1000);
	ck_assert_int_eq(f.coverage_gap, 1);
	ck_assert_int_eq(f.closed, 0);
	ck_assert_int_eq(f.orders, 2);
	ck_assert_int_eq(f.declines, 1);
	ck_assert_int_eq(f.escalations, 1);
	ck_assert_int_eq(f.mark[0], SIM_MARK_MET);
	ck_assert_int_eq(f.mark[1], SIM_MARK_MET_LATE);
	ck_assert_int_eq(f.mark[2], SIM_MARK_PENDING);	/* violent: 3 tiers */
	ck_assert_int_eq(f.acked[0], 5000);
	ck_assert_int_eq(f.acked[1], 9500);	/* on scene implies acked */
	ck_assert_int_eq(f.onscene[1], 9500);
	json_decref(j);
	j = json_pack("{s:s}", "id", "I-2");
	ck_assert_int_eq(sim_facts_parse(j, &plans, &f, err, sizeof(err)),
	    -1);
	json_decref(j);
}
END_TEST

START_TEST(test_percentiles_nearest_rank)
{
	double v[100];

	for (int i = 0; i < 100; i++)
		v[i] = 100 - i;
	ck_assert_double_eq(sim_pctl(v, 100, 50), 50);
	ck_assert_double_eq(sim_pctl(v, 100, 90), 90);
	ck_assert_double_eq(sim_pctl(v, 100, 100), 100);
	ck_assert_double_eq(sim_pctl(v, 1, 99), 1);
	ck_assert(isnan(sim_pctl(v, 0, 50)));
}
END_TEST

static Suite *
read_suite(void)
{
	Suite *s = suite_create("npsim_read");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_csv_line_reads_seconds_and_iso_times);
	tcase_add_test(tc, test_csv_errors_name_line_and_field);
	tcase_add_test(tc, test_csv_load_makes_times_relative_and_checks_order);
	tcase_add_test(tc, test_the_sample_csv_loads);
	tcase_add_test(tc, test_order_line_parses_and_refuses_junk);
	tcase_add_test(tc, test_proof_is_hmac_of_the_documented_message);
	tcase_add_test(tc, test_facts_from_a_timeline);
	tcase_add_test(tc, test_percentiles_nearest_rank);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(read_suite());
}
