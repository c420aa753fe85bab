/*
 * test_radiogw_fast: the gateway's fast path for s:orders
 * (services/radiogw/order.c, radio_msg_fast on np_jscan) takes the
 * commander's order.issued and order.cancelled, and never accepts a
 * message the strict jansson path refuses nor reads one differently:
 * every truncation and one-byte change of real messages is compared with
 * the strict path.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "np_testloop.h"
#include "np_testmutate.h"
#include "radiogw.h"

#define ENVELOPE(type) "{\"type\":\"" type "\",\"v\":1,\"ts\":1800000000123," \
	"\"src\":\"commander\""

/*
 * As the commander writes them (lib.lua issue: the incident's hash as
 * text -- lat and lon as intake stored them, %.7f -- or else the route's
 * values through cjson; cancel.lua and noanswer.lua).
 */
static const char *const orders[] = {
	ENVELOPE("order.issued") ",\"order_id\":\"I-20261123-AB12CD-T1-1\","
	    "\"incident_id\":\"I-20261123-AB12CD\",\"unit_id\":\"U-0031\","
	    "\"tier\":1,\"incident_type\":\"fight\",\"priority\":2,\"lat\":"
	    "31.2304000,\"lon\":121.4737000,\"ack_due\":1800000030123}",
	ENVELOPE("order.issued") ",\"order_id\":\"I-20261123-AB12CD-T3-12\","
	    "\"incident_id\":\"I-20261123-AB12CD\",\"unit_id\":\"U-0500\","
	    "\"tier\":3,\"incident_type\":\"medical.cardiac\",\"priority\":1,"
	    "\"lat\":-0.5000000,\"lon\":-180,\"ack_due\":1800000030123,"
	    "\"address\":\"Nanjing Rd 100, People's Square\"}",
	ENVELOPE("order.issued") ",\"order_id\":\"I-1-T2-1\",\"incident_id\":"
	    "\"I-1\",\"unit_id\":\"U-1\",\"tier\":2,\"incident_type\":"
	    "\"fight\",\"priority\":4,\"lat\":31.2304,\"lon\":1e-05,"
	    "\"ack_due\":1}",
	ENVELOPE("order.cancelled") ",\"order_id\":\"I-20261123-AB12CD-T1-1\","
	    "\"unit_id\":\"U-0031\",\"incident_id\":\"I-20261123-AB12CD\","
	    "\"reason\":\"incident_closed\"}",
	ENVELOPE("order.cancelled") ",\"order_id\":\"I-20261123-AB12CD-T2-1\","
	    "\"unit_id\":\"U-0031\",\"incident_id\":\"I-20261123-AB12CD\","
	    "\"reason\":\"no_answer\"}",
	/* an address in the city's own script, as cjson writes it (UTF-8) */
	ENVELOPE("order.issued") ",\"order_id\":\"I-1-T1-1\",\"incident_id\":"
	    "\"I-1\",\"unit_id\":\"U-1\",\"tier\":1,\"incident_type\":"
	    "\"fight\",\"priority\":2,\"lat\":31.2304000,\"lon\":121.4737000,"
	    "\"ack_due\":1,\"address\":"
	    "\"\xe5\x8d\x97\xe4\xba\xac\xe8\xb7\xaf 100\xe5\x8f\xb7 "
	    "\xf0\x9f\x9a\x93\"}",
};

/* Other shapes jansson takes, the fast path too. */
static const char *const shapes[] = {
	" {\"lon\" : 2 ,\"lat\":\t1.5e1,\"priority\":3,\"tier\":9,\n"
	    "\"incident_type\":\"a.b_c:d-9\",\"unit_id\":\"U-1\","
	    "\"incident_id\":\"I-1\",\"order_id\":\"O-1\",\"address\":null,"
	    "\"type\":\"order.issued\",\"x\":[null,{\"a\":"
	    "\"Caf\xc3\xa9 \xe2\x82\xac\"}]}\r\n",
	"{\"type\":\"order.cancelled\",\"order_id\":\"O-1\",\"unit_id\":"
	    "\"U-1\",\"incident_id\":null,\"reason\":\"No Answer, sorry!\"}",
	"{\"type\":\"order.cancelled\",\"reason\":\"\",\"order_id\":\"O-1\","
	    "\"unit_id\":\"U-1\",\"note\":\"\xe5\x8d\x97\xe4\xba\xac\"}",
	"{\"type\":\"route.decided\",\"incident_id\":\"I-1\",\"tiers\":[]}",
};

/* Taken by jansson, left to it by the fast path. */
static const char *const slow[] = {
	/* cjson writes '/' as "\/", and any escape is left to jansson */
	ENVELOPE("order.issued") ",\"order_id\":\"I-1-T1-1\",\"incident_id\":"
	    "\"I-1\",\"unit_id\":\"U-1\",\"tier\":1,\"incident_type\":"
	    "\"fight\",\"priority\":2,\"lat\":31.2304000,\"lon\":121.4737000,"
	    "\"ack_due\":1,\"address\":\"Nanjing Rd 1, 2\\/F\"}",
	ENVELOPE("order.cancelled") ",\"order_id\":\"O-1\",\"unit_id\":\"U-1\","
	    "\"reason\":\"r\xc3\xa9sum\xc3\xa9\"}",
	/* an integer of more than 18 digits */
	ENVELOPE("order.cancelled") ",\"order_id\":\"O-1\",\"unit_id\":\"U-1\","
	    "\"n\":1234567890123456789}",
	/* what an order.cancelled does not read */
	ENVELOPE("order.cancelled") ",\"order_id\":\"O-1\",\"unit_id\":\"U-1\","
	    "\"tier\":\"x\"}",
};

static void
order_eq(const struct radio_order *f, const struct radio_order *s)
{
	ck_assert_str_eq(f->order_id, s->order_id);
	ck_assert_str_eq(f->incident_id, s->incident_id);
	ck_assert_str_eq(f->unit_id, s->unit_id);
	ck_assert_int_eq(f->tier, s->tier);
	ck_assert_int_eq(f->priority, s->priority);
	/* memcmp: -0.0 is not 0.0 (%.6f on the radio tells them apart) */
	ck_assert(memcmp(&f->lat, &s->lat, sizeof(f->lat)) == 0);
	ck_assert(memcmp(&f->lon, &s->lon, sizeof(f->lon)) == 0);
	ck_assert_str_eq(f->type, s->type);
	ck_assert_str_eq(f->address, s->address);
}

static void
cancel_eq(const struct radio_cancel *f, const struct radio_cancel *s)
{
	ck_assert_str_eq(f->order_id, s->order_id);
	ck_assert_str_eq(f->unit_id, s->unit_id);
	ck_assert_str_eq(f->incident_id, s->incident_id);
	ck_assert_str_eq(f->reason, s->reason);
}

/* Fast took it -> strict took it, the same; 1 when fast took it. */
static int
agree(const char *msg, size_t len, void *arg)
{
	static struct radio_msg f, s;
	char err[256];

	(void)arg;
	if (radio_msg_fast(msg, len, &f) != 0)
		return 0;
	err[0] = '\0';
	ck_assert_msg(radio_msg_strict(msg, len, &s, err, sizeof(err)) == 0,
	    "fast path took %.*s (%s)", (int)len, msg, err);
	ck_assert_int_eq(f.kind, s.kind);
	order_eq(&f.order, &s.order);
	cancel_eq(&f.cancel, &s.cancel);
	return 1;
}

START_TEST(commander_orders_take_the_fast_path)
{
	static struct radio_msg m;
	char line[RADIO_OUT_MAX];
	size_t i;

	for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++)
		ck_assert_msg(radio_msg_fast(orders[i], strlen(orders[i]),
		    &m) == 0, "slow path for %s", orders[i]);
	ck_assert_int_eq(radio_msg_fast(orders[1], strlen(orders[1]), &m), 0);
	ck_assert_int_eq(m.kind, RADIO_MSG_ISSUED);
	radio_order_line(line, sizeof(line), &m.order);
	ck_assert_str_eq(line, "ORDER I-20261123-AB12CD-T3-12 "
	    "I-20261123-AB12CD 3 -0.500000 -180.000000 1 medical.cardiac "
	    "Nanjing%20Rd%20100%2C%20People%27s%20Square\r\n");
	ck_assert_int_eq(radio_msg_fast(orders[4], strlen(orders[4]), &m), 0);
	ck_assert_int_eq(m.kind, RADIO_MSG_CANCELLED);
	radio_cancel_line(line, sizeof(line), &m.cancel);
	ck_assert_str_eq(line, "CANCEL I-20261123-AB12CD-T2-1 no_answer\r\n");
}
END_TEST

START_TEST(every_order_mutation_agrees_with_jansson)
{
	np_test_fast_msgs(orders, sizeof(orders) / sizeof(orders[0]), agree,
	    NULL);
}
END_TEST

START_TEST(other_shapes_read_as_jansson)
{
	static struct radio_msg m;

	np_test_fast_msgs(shapes, sizeof(shapes) / sizeof(shapes[0]), agree,
	    NULL);
	ck_assert_int_eq(radio_msg_fast(shapes[1], strlen(shapes[1]), &m), 0);
	ck_assert_str_eq(m.cancel.reason, "no_answer__sorry_");
	ck_assert_int_eq(radio_msg_fast(shapes[2], strlen(shapes[2]), &m), 0);
	ck_assert_str_eq(m.cancel.reason, "cancelled");
	ck_assert_int_eq(radio_msg_fast(shapes[3], strlen(shapes[3]), &m), 0);
	ck_assert_int_eq(m.kind, RADIO_MSG_OTHER);
}
END_TEST

/* A UTF-8 address of 256 bytes (RADIO_ADDRESS_MAX) is taken by both
 * paths, one of 257 by neither; a broken sequence by neither. */
START_TEST(utf8_addresses_by_their_bytes)
{
	static struct radio_msg m;
	char msg[1024], addr[300], err[256];
	size_t n;

	for (n = 255; n <= 257; n++) {
		memset(addr, 'a', n);
		memcpy(addr + n - 3, "\xe5\x8f\xb7", 3);	/* 号 at the end */
		addr[n] = '\0';
		snprintf(msg, sizeof(msg), "%s", ENVELOPE("order.issued")
		    ",\"order_id\":\"O-1\",\"incident_id\":\"I-1\",\"unit_id\":"
		    "\"U-1\",\"tier\":1,\"incident_type\":\"fight\",\"priority\":"
		    "2,\"lat\":1,\"lon\":1,\"address\":\"");
		strcat(msg, addr);
		strcat(msg, "\"}");
		ck_assert_int_eq(agree(msg, strlen(msg), NULL), n <= 256);
		ck_assert_int_eq(radio_msg_strict(msg, strlen(msg), &m, err,
		    sizeof(err)), n <= 256 ? 0 : -1);
		/* cut inside the last character: invalid UTF-8 */
		memmove(msg + strlen(msg) - 3, "\"}", 3);
		ck_assert_int_eq(agree(msg, strlen(msg), NULL), 0);
		ck_assert_int_eq(radio_msg_strict(msg, strlen(msg), &m, err,
		    sizeof(err)), -1);
	}
}
END_TEST

START_TEST(other_writings_are_left_to_jansson)
{
	static struct radio_msg m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
		ck_assert_msg(radio_msg_fast(slow[i], strlen(slow[i]), &m) ==
		    -1, "fast path took %s", slow[i]);
		ck_assert_msg(radio_msg_parse(slow[i], strlen(slow[i]), &m,
		    err, sizeof(err)) == 0, "%s: %s", slow[i], err);
	}
	ck_assert_int_eq(radio_msg_parse(slow[0], strlen(slow[0]), &m, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(m.order.address, "Nanjing Rd 1, 2/F");
}
END_TEST

START_TEST(bad_orders_still_name_the_field)
{
	static const char msg[] = ENVELOPE("order.issued") ",\"order_id\":"
	    "\"I-1-T1-1\",\"incident_id\":\"I-1\",\"unit_id\":\"U-1\",\"tier\":"
	    "1,\"incident_type\":\"fight\",\"priority\":2,\"lat\":85.1,\"lon\":"
	    "1}";
	static struct radio_msg m;
	char err[256];

	ck_assert_int_eq(radio_msg_parse(msg, strlen(msg), &m, err,
	    sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "lat: must be between", 20) == 0, "%s",
	    err);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("radiogw_fast");
	TCase *tc = tcase_create("fast");

	tcase_add_test(tc, commander_orders_take_the_fast_path);
	tcase_add_test(tc, every_order_mutation_agrees_with_jansson);
	tcase_add_test(tc, other_shapes_read_as_jansson);
	tcase_add_test(tc, other_writings_are_left_to_jansson);
	tcase_add_test(tc, utf8_addresses_by_their_bytes);
	tcase_add_test(tc, bad_orders_still_name_the_field);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
