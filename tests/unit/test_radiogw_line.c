/*
 * radiogw's line parser and NMEA reader: every verb accepted in its proper
 * form, every malformed line refused with the right code and a message
 * naming the problem.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "np_testloop.h"
#include "radiogw.h"

static struct radio_cmd c;
static struct radio_error e;

static enum radio_parse
parse(const char *line)
{
	return radio_line_parse(line, strlen(line), &c, &e);
}

/* The line is refused with code and a message holding needle. */
static void
refused(const char *line, enum radio_err code, const char *needle)
{
	ck_assert_msg(parse(line) == RADIO_PARSE_ERROR, "accepted: %s", line);
	ck_assert_msg(e.code == code, "%s: code %s, wanted %s (%s)", line,
	    radio_err_code(e.code), radio_err_code(code), e.msg);
	ck_assert_msg(strstr(e.msg, needle) != NULL, "%s: message '%s' lacks "
	    "'%s'", line, e.msg, needle);
}

/* A sentence with its checksum appended: body is without '$' and '*'. */
static const char *
nmea(const char *body)
{
	static char buf[256];
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf) - 4, "$%s", body);
	snprintf(buf + n, 4, "*%02X", radio_nmea_checksum(buf, n) & 0xff);
	return buf;
}

START_TEST(auth_and_simple_verbs)
{
	ck_assert_int_eq(parse("AUTH U-0031\r\n"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_AUTH);
	ck_assert_str_eq(c.unit_id, "U-0031");
	ck_assert_int_eq(c.secret_on_wire, 0);
	/* the old login: parsed only to be refused, the secret not kept */
	ck_assert_int_eq(parse("auth U-0031 s3cr3t!key"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_AUTH);
	ck_assert_int_eq(c.secret_on_wire, 1);
	for (size_t i = 0; i + 6 <= sizeof(c); i++)
		ck_assert_msg(memcmp((char *)&c + i, "s3cr3t", 6) != 0,
		    "the secret is kept at byte %zu of the command", i);
	ck_assert_int_eq(parse("PROOF 0a1B"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_PROOF);
	ck_assert_str_eq(c.proof, "0a1B");
	ck_assert_int_eq(parse("ping"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_PING);
	ck_assert_int_eq(parse("  QUIT \t"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_QUIT);
	ck_assert_int_eq(parse(""), RADIO_PARSE_EMPTY);
	ck_assert_int_eq(parse(" \t \r\n"), RADIO_PARSE_EMPTY);
}
END_TEST

START_TEST(order_verbs)
{
	ck_assert_int_eq(parse("ACK I-20261123-AB12CD-T1-1"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_ACK);
	ck_assert_str_eq(c.order_id, "I-20261123-AB12CD-T1-1");
	ck_assert_int_eq(parse("DECLINE O-1 Vehicle_Broken"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_DECLINE);
	ck_assert_str_eq(c.word, "vehicle_broken");
	ck_assert_int_eq(parse("ENROUTE O-1"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_ENROUTE);
	ck_assert_int_eq(parse("onscene O-1"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_ONSCENE);
	for (const char *const *d = radio_dispositions; *d != NULL; d++) {
		char line[64];

		snprintf(line, sizeof(line), "CLEAR O-1 %s", *d);
		ck_assert_int_eq(parse(line), RADIO_PARSE_CMD);
		ck_assert_str_eq(c.word, *d);
	}
	ck_assert_str_eq(radio_verb_status(RADIO_ACK), "acked");
	ck_assert_str_eq(radio_verb_status(RADIO_CLEAR), "clear");
	ck_assert_ptr_null(radio_verb_status(RADIO_PING));
}
END_TEST

START_TEST(positions)
{
	ck_assert_int_eq(parse("POS 31.2304 121.4737"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_POS);
	ck_assert_double_eq_tol(c.lat, 31.2304, 1e-9);
	ck_assert_double_eq_tol(c.lon, 121.4737, 1e-9);
	ck_assert_int_eq(parse("POS -33.9 -70"), RADIO_PARSE_CMD);
	ck_assert_double_eq_tol(c.lon, -70, 1e-9);
	ck_assert_int_eq(parse("POS 85.05112878 180"), RADIO_PARSE_CMD);
	refused("POS 91 0", RADIO_E_BAD_LAT, "\"91\"");
	refused("POS 85.06 0", RADIO_E_BAD_LAT, "latitude");
	refused("POS abc 0", RADIO_E_BAD_LAT, "\"abc\"");
	refused("POS 1e1 0", RADIO_E_BAD_LAT, "decimal");
	refused("POS nan 0", RADIO_E_BAD_LAT, "latitude");
	refused("POS 0x10 0", RADIO_E_BAD_LAT, "latitude");
	refused("POS . 0", RADIO_E_BAD_LAT, "latitude");
	refused("POS 10 180.5", RADIO_E_BAD_LON, "\"180.5\"");
	refused("POS 10 inf", RADIO_E_BAD_LON, "longitude");
	refused("POS 10", RADIO_E_MISSING_ARG, "<lat> <lon>");
	refused("POS 1 2 3", RADIO_E_EXTRA_ARG, "got 3");
}
END_TEST

START_TEST(nmea_sentences)
{
	const char *s;

	ck_assert_int_eq(parse("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,"
	    "084.4,230394,003.1,W*6A"), RADIO_PARSE_CMD);
	ck_assert_int_eq(c.verb, RADIO_NMEA);
	ck_assert_double_eq_tol(c.lat, 48 + 7.038 / 60, 1e-9);
	ck_assert_double_eq_tol(c.lon, 11 + 31.0 / 60, 1e-9);
	/* southern and western hemispheres, GN talker, mode field */
	s = nmea("GNRMC,010203.00,A,3352.1234,S,07040.5000,W,0.0,0.0,010126,,,A");
	ck_assert_int_eq(parse(s), RADIO_PARSE_CMD);
	ck_assert_double_eq_tol(c.lat, -(33 + 52.1234 / 60), 1e-9);
	ck_assert_double_eq_tol(c.lon, -(70 + 40.5 / 60), 1e-9);
	/* lower-case hex checksum is fine */
	ck_assert_int_eq(parse("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,"
	    "084.4,230394,003.1,W*6a"), RADIO_PARSE_CMD);

	refused("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,"
	    "003.1,W*6B", RADIO_E_BAD_CHECKSUM, "sums to 6A");
	refused("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,"
	    "003.1,W", RADIO_E_BAD_NMEA, "*hh");
	refused("$GPRMC,123519,A*4", RADIO_E_BAD_NMEA, "*hh");
	refused(nmea("GPRMC,123519,V,4807.038,N,01131.000,E,,,230394,,"),
	    RADIO_E_NO_FIX, "status V");
	refused(nmea("GPRMC,1,A,4807.038,N,01131.000,E,,,230394,,,N"),
	    RADIO_E_NO_FIX, "mode N");
	refused(nmea("GPRMC,1,X,4807.038,N,01131.000,E,,,230394,,"),
	    RADIO_E_BAD_NMEA, "A or V");
	refused(nmea("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,,,"),
	    RADIO_E_UNSUPPORTED_SENTENCE, "$GPGGA");
	refused(nmea("GPRMC,123519,A,4807.038,N"), RADIO_E_BAD_NMEA,
	    "5 fields");
	refused(nmea("GPRMC,1,A,4867.038,N,01131.000,E,,,230394,,"),
	    RADIO_E_BAD_LAT, "ddmm");
	refused(nmea("GPRMC,1,A,4807.038,X,01131.000,E,,,230394,,"),
	    RADIO_E_BAD_LAT, "N or S");
	refused(nmea("GPRMC,1,A,,N,01131.000,E,,,230394,,"), RADIO_E_BAD_LAT,
	    "latitude");
	refused(nmea("GPRMC,1,A,8807.038,N,01131.000,E,,,230394,,"),
	    RADIO_E_BAD_LAT, "beyond");
	refused(nmea("GPRMC,1,A,4807.038,N,1131.000,E,,,230394,,"),
	    RADIO_E_BAD_LON, "dddmm");
	refused(nmea("GPRMC,1,A,4807.038,N,18100.000,E,,,230394,,"),
	    RADIO_E_BAD_LON, "180");
	refused(nmea("GPRMC,1,A,4807.0x8,N,01131.000,E,,,230394,,"),
	    RADIO_E_BAD_LAT, "latitude");
	refused("$GPRMC,1 ,A*00", RADIO_E_BAD_NMEA, "blanks");
}
END_TEST

START_TEST(malformed_lines)
{
	char big[200];

	refused("HELLO there", RADIO_E_UNKNOWN_VERB, "\"HELLO\"");
	refused("AUTH", RADIO_E_MISSING_ARG, "<unit_id>, got 0 arguments");
	refused("AUTH U-1 key more", RADIO_E_EXTRA_ARG, "got 3");
	refused("AUTH U/1", RADIO_E_BAD_UNIT_ID, "\"U/1\"");
	refused("AUTH U/1 key", RADIO_E_BAD_UNIT_ID, "\"U/1\"");
	refused("PROOF", RADIO_E_MISSING_ARG, "<mac>");
	refused("PROOF a b", RADIO_E_EXTRA_ARG, "got 2");
	refused("ACK", RADIO_E_MISSING_ARG, "<order_id>");
	refused("ACK O-1 O-2", RADIO_E_EXTRA_ARG, "got 2");
	refused("ACK O#1", RADIO_E_BAD_ORDER_ID, "\"O#1\"");
	refused("DECLINE O-1", RADIO_E_MISSING_ARG, "<reason>");
	refused("DECLINE O-1 too!bad", RADIO_E_BAD_REASON, "\"too!bad\"");
	refused("CLEAR O-1", RADIO_E_MISSING_ARG, "<disposition>");
	refused("CLEAR O-1 lunch", RADIO_E_BAD_DISPOSITION, "\"lunch\"");
	refused("CLEAR O-1 no.trace", RADIO_E_BAD_DISPOSITION, "no.trace");
	refused("PING me", RADIO_E_EXTRA_ARG, "PING takes 0 arguments");
	refused("a b c d e f g h i j k", RADIO_E_UNKNOWN_VERB, "\"a\"");
	refused("ACK a b c d e f g h i j k", RADIO_E_EXTRA_ARG, "got 11");
	refused("PING\x01", RADIO_E_BAD_LINE, "0x01 at column 5");
	refused("ACK \xc3\xa9t\xc3\xa9", RADIO_E_BAD_LINE, "non-ASCII");
	refused("AC\rK O-1", RADIO_E_BAD_LINE, "0x0d at column 3");
	ck_assert_int_eq(radio_line_parse("ACK\0O-1", 7, &c, &e),
	    RADIO_PARSE_ERROR);
	ck_assert_int_eq(e.code, RADIO_E_BAD_LINE);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(big, RADIO_E_UNKNOWN_VERB, "...");
	memcpy(big, "ACK ", 4);
	refused(big, RADIO_E_BAD_ORDER_ID, "order id");
}
END_TEST

START_TEST(nak_lines_name_verb_and_code)
{
	char buf[RADIO_OUT_MAX];
	size_t n;

	parse("ACK O#1");
	n = radio_fmt_nak(buf, sizeof(buf), &e);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_msg(strncmp(buf, "NAK ACK bad_order_id order id \"O#1\"",
	    35) == 0, "%s", buf);
	ck_assert_str_eq(buf + n - 2, "\r\n");
	parse("WHAT");
	radio_fmt_nak(buf, sizeof(buf), &e);
	ck_assert_msg(strncmp(buf, "NAK - unknown_verb ", 19) == 0, "%s", buf);
	radio_fmt_ok(buf, sizeof(buf), RADIO_ACK, "O-1");
	ck_assert_str_eq(buf, "OK ACK O-1\r\n");
	radio_fmt_ok(buf, sizeof(buf), RADIO_POS, NULL);
	ck_assert_str_eq(buf, "OK POS\r\n");
	radio_fmt_bye(buf, sizeof(buf), "replaced", "another link");
	ck_assert_str_eq(buf, "BYE replaced another link\r\n");
	/* cut, never overflowed, always terminated */
	n = radio_fmt_ok(buf, 10, RADIO_DECLINE, "O-123456789");
	ck_assert_uint_eq(n, 9);
	ck_assert_str_eq(buf, "OK DEC" "L\r\n");
	for (int i = 0; i < RADIO_E_COUNT; i++)
		ck_assert_ptr_nonnull(radio_err_code((enum radio_err)i));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("radiogw_line");
	TCase *t = tcase_create("line");

	tcase_add_test(t, auth_and_simple_verbs);
	tcase_add_test(t, order_verbs);
	tcase_add_test(t, positions);
	tcase_add_test(t, nmea_sentences);
	tcase_add_test(t, malformed_lines);
	tcase_add_test(t, nak_lines_name_verb_and_code);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return np_test_run(suite());
}
