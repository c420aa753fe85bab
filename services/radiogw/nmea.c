/*
 * nmea.c: positions from NMEA 0183 RMC sentences, as GPS receivers in the
 * field units emit them:
 *
 *   $GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A
 *          time   st lat      NS lon       EW speed course date  magvar
 *
 * optionally followed by the NMEA 2.3 mode and 4.1 navigation-status
 * fields.  Any two-letter talker is accepted ($GNRMC from multi-GNSS
 * receivers).  The checksum (XOR of the bytes between '$' and '*', two hex
 * digits) is mandatory; only status A ("valid") is a position; latitude is
 * ddmm.mmmm and longitude dddmm.mmmm with hemisphere letters.  The time
 * and date are not used: the gateway stamps positions when it gets them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "radiogw.h"

#define NMEA_FIELDS_MAX	16
#define NMEA_FRAC_MAX	10	/* digits after the point */

struct field {
	const char	*s;
	size_t		 len;
};

unsigned
radio_nmea_checksum(const char *s, size_t len)
{
	unsigned sum = 0;
	size_t i = (len > 0 && s[0] == '$') ? 1 : 0;

	for (; i < len && s[i] != '*'; i++)
		sum ^= (unsigned char)s[i];
	return sum;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
check_sum(const char *s, size_t len, size_t *bodylen, struct radio_error *e)
{
	const char *star = memchr(s, '*', len);
	int hi, lo;
	unsigned sum;

	if (star == NULL || (size_t)(s + len - star) != 3 ||
	    (hi = hexval(star[1])) == -1 || (lo = hexval(star[2])) == -1)
		return radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_NMEA,
		    "the sentence must end in *hh (two hex digits of "
		    "checksum)");
	*bodylen = (size_t)(star - s);
	sum = radio_nmea_checksum(s, *bodylen);
	if (sum != (unsigned)(hi << 4 | lo))
		return radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_CHECKSUM,
		    "checksum is %c%c but the sentence sums to %02X", star[1],
		    star[2], sum);
	return 0;
}

static size_t
split_fields(const char *s, size_t len, struct field *f, size_t max)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= len; i++)
		if (i == len || s[i] == ',') {
			if (n < max) {
				f[n].s = s + start;
				f[n].len = i - start;
			}
			n++;
			start = i + 1;
		}
	return n;
}

/*
 * "ddmm.mmmm" (degdigits 2) or "dddmm.mmmm" (3) and a hemisphere letter,
 * pos the positive one ('N' or 'E').  Degrees, or -1 when malformed.
 */
static int
coord(const struct field *v, const struct field *h, size_t degdigits,
    char pos, char neg, double *out)
{
	size_t i, whole = degdigits + 2;
	double deg = 0, min = 0, scale = 10;

	if (v->len < whole || h->len != 1 || (h->s[0] != pos &&
	    h->s[0] != neg))
		return -1;
	for (i = 0; i < whole; i++) {
		if (!isdigit((unsigned char)v->s[i]))
			return -1;
		if (i < degdigits)
			deg = deg * 10 + (v->s[i] - '0');
		else
			min = min * 10 + (v->s[i] - '0');
	}
	if (i < v->len) {
		if (v->s[i++] != '.' || v->len - i > NMEA_FRAC_MAX)
			return -1;
		for (; i < v->len; i++, scale *= 10) {
			if (!isdigit((unsigned char)v->s[i]))
				return -1;
			min += (v->s[i] - '0') / scale;
		}
	}
	if (min >= 60)
		return -1;
	*out = (deg + min / 60) * (h->s[0] == neg ? -1 : 1);
	return 0;
}

static int
check_type(const struct field *f, struct radio_error *e)
{
	if (f->len == 6 && isupper((unsigned char)f->s[1]) &&
	    isupper((unsigned char)f->s[2]) && memcmp(f->s + 3, "RMC", 3) == 0)
		return 0;
	return radio_error_set(e, RADIO_NMEA, RADIO_E_UNSUPPORTED_SENTENCE,
	    "%.*s is not supported: send $GPRMC", (int)(f->len > 12 ? 12 :
	    f->len), f->s);
}

static int
check_status(const struct field *f, size_t n, struct radio_error *e)
{
	if (f[2].len != 1 || (f[2].s[0] != 'A' && f[2].s[0] != 'V'))
		return radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_NMEA,
		    "status (field 2) must be A or V");
	if (f[2].s[0] == 'V')
		return radio_error_set(e, RADIO_NMEA, RADIO_E_NO_FIX,
		    "status V: the receiver has no valid fix");
	if (n > 12 && f[12].len == 1 && f[12].s[0] == 'N')
		return radio_error_set(e, RADIO_NMEA, RADIO_E_NO_FIX,
		    "mode N: the data are not valid");
	return 0;
}

int
radio_nmea_parse(const char *s, size_t len, double *lat, double *lon,
    struct radio_error *e)
{
	struct field f[NMEA_FIELDS_MAX];
	size_t bodylen = 0, n;

	if (len < 1 || s[0] != '$')
		return radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_NMEA,
		    "a sentence starts with $");
	if (check_sum(s, len, &bodylen, e) == -1)
		return -1;
	n = split_fields(s, bodylen, f, NMEA_FIELDS_MAX);
	if (check_type(&f[0], e) == -1)
		return -1;
	if (n < 12 || n > 14)
		return radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_NMEA,
		    "RMC has %zu fields, expected 12 to 14", n);
	if (check_status(f, n, e) == -1)
		return -1;
	if (coord(&f[3], &f[4], 2, 'N', 'S', lat) == -1)
		return radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_LAT,
		    "latitude (fields 3-4) must be ddmm.mmmm then N or S");
	if (*lat < -RADIO_LAT_MAX || *lat > RADIO_LAT_MAX)
		return radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_LAT,
		    "latitude %.6f is beyond +-%.8f", *lat, RADIO_LAT_MAX);
	if (coord(&f[5], &f[6], 3, 'E', 'W', lon) == -1 || *lon > 180 ||
	    *lon < -180)
		return radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_LON,
		    "longitude (fields 5-6) must be dddmm.mmmm (up to 180 "
		    "degrees) then E or W");
	return 0;
}
