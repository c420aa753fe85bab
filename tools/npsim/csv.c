/*
 * csv.c: the calls of a replay file, `time,lat,lon,type` one per line.
 *
 * time is seconds from the start (a plain decimal) or an ISO 8601 time
 * (2026-11-23T08:15:00, optional fraction, optional Z or +hh:mm; no zone
 * is read as UTC: only the differences between lines matter).  lat/lon
 * are plain decimals (no exponent, inf, nan or hex, as on the radio)
 * within Redis GEO's range; type is an incident type of the plans.
 * Fields are separated by commas, blanks around them are ignored; quotes
 * are not CSV here because no field may hold a comma.  Every refusal
 * names the line and the field, and nothing of a bad file is used.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_id.h"
#include "sim.h"

#define LAT_MAX		85.05112878
#define NFIELDS		4

static const char *const field_names[NFIELDS] = {
	"time", "lat", "lon", "type"
};

struct field {
	const char	*p;
	size_t		 n;
};

/* 1 for [+-]digits[.digits] with at least one digit, and *out set. */
static int
plain_decimal(const struct field *f, double *out)
{
	char buf[64];
	size_t i = 0, digits = 0;

	if (f->n == 0 || f->n >= sizeof(buf))
		return 0;
	if (f->p[0] == '-' || f->p[0] == '+')
		i++;
	for (; i < f->n && isdigit((unsigned char)f->p[i]); i++)
		digits++;
	if (i < f->n && f->p[i] == '.')
		for (i++; i < f->n && isdigit((unsigned char)f->p[i]); i++)
			digits++;
	if (i != f->n || digits == 0)
		return 0;
	memcpy(buf, f->p, f->n);
	buf[f->n] = '\0';
	*out = strtod(buf, NULL);
	return 1;
}

/* n digits at p as a number, or -1. */
static int
digits(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static long
days_from_civil(long y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* YYYY-MM-DD[T ]HH:MM:SS[.f+][Z|+hh:mm|-hh:mm] -> epoch seconds. */
static int
iso_time(const struct field *f, double *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char *p = f->p, *e = f->p + f->n;
	int y, mo, d, h, mi, s, zh = 0, zm = 0, sign = 0;
	double frac = 0, scale = 0.1;

	if (f->n < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' &&
	    p[10] != ' ') || p[13] != ':' || p[16] != ':')
		return 0;
	y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2);
	h = digits(p + 11, 2), mi = digits(p + 14, 2), s = digits(p + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return 0;
	p += 19;
	if (p < e && *p == '.') {
		if (++p == e || !isdigit((unsigned char)*p))
			return 0;
		for (; p < e && isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (p < e && *p == 'Z')
		p++;
	else if (p < e && (*p == '+' || *p == '-')) {
		sign = *p == '+' ? 1 : -1;
		if (e - p != 6 || p[3] != ':' || (zh = digits(p + 1, 2)) < 0 ||
		    zh > 23 || (zm = digits(p + 4, 2)) < 0 || zm > 59)
			return 0;
		p = e;
	}
	if (p != e)
		return 0;
	*out = (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600 +
	    mi * 60 + s + frac - sign * (zh * 3600 + zm * 60);
	return 1;
}

static int
fail(char *err, size_t errlen, long lineno, int field, const struct field *f,
    const char *why)
{
	snprintf(err, errlen, "line %ld: field %s: \"%.*s\" %s", lineno,
	    field_names[field], (int)(f->n > 40 ? 40 : f->n), f->p, why);
	return -1;
}

/* Split on commas and trim blanks; the count of fields (up to max + 1). */
static int
split(const char *line, size_t len, struct field *f, int max)
{
	size_t i = 0, start;
	int n = 0;

	for (;;) {
		start = i;
		while (i < len && line[i] != ',')
			i++;
		if (n <= max) {
			f[n].p = line + start;
			f[n].n = i - start;
			while (f[n].n > 0 && (*f[n].p == ' ' || *f[n].p == '\t'))
				f[n].p++, f[n].n--;
			while (f[n].n > 0 && (f[n].p[f[n].n - 1] == ' ' ||
			    f[n].p[f[n].n - 1] == '\t'))
				f[n].n--;
		}
		n++;
		if (i >= len)
			return n;
		i++;
	}
}

static int
check_chars(const char *line, size_t len, long lineno, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
			snprintf(err, errlen, "line %ld: column %zu: control "
			    "byte 0x%02x", lineno, i + 1,
			    (unsigned char)line[i]);
			return -1;
		} else if ((unsigned char)line[i] >= 0x7f) {
			snprintf(err, errlen, "line %ld: column %zu: byte "
			    "0x%02x is not ASCII", lineno, i + 1,
			    (unsigned char)line[i]);
			return -1;
		}
	return 0;
}

static int
type_field(const struct field *f, long lineno, const struct np_plans *plans,
    char *type, char *err, size_t errlen)
{
	if (f->n == 0 || f->n > NP_TYPE_MAX)
		return fail(err, errlen, lineno, 3, f, "is not 1..32 "
		    "characters");
	memcpy(type, f->p, f->n);
	type[f->n] = '\0';
	if (!np_id_valid(type, NP_TYPE_MAX))
		return fail(err, errlen, lineno, 3, f, "has characters "
		    "outside A-Z a-z 0-9 . _ : -");
	if (plans != NULL && np_plans_type(plans, type) == NULL)
		return fail(err, errlen, lineno, 3, f, "is not a type of "
		    "the plans file");
	return 0;
}

int
sim_csv_line(const char *line, size_t len, long lineno,
    const struct np_plans *plans, struct sim_csv_call *out, char *err,
    size_t errlen)
{
	struct field f[NFIELDS + 1];
	int n;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > SIM_CSV_LINE_MAX) {
		snprintf(err, errlen, "line %ld: longer than %d bytes", lineno,
		    SIM_CSV_LINE_MAX);
		return -1;
	}
	if (check_chars(line, len, lineno, err, errlen) == -1)
		return -1;
	n = split(line, len, f, NFIELDS);
	if (n == 1 && f[0].n == 0)
		return 0;
	if (f[0].n > 0 && f[0].p[0] == '#')
		return 0;
	if (lineno == 1 && n == NFIELDS && f[0].n == 4 &&
	    memcmp(f[0].p, "time", 4) == 0) {
		for (int i = 1; i < NFIELDS; i++)
			if (f[i].n != strlen(field_names[i]) ||
			    memcmp(f[i].p, field_names[i], f[i].n) != 0)
				return fail(err, errlen, lineno, i, &f[i],
				    "is not the header's name for it (the "
				    "header is time,lat,lon,type)");
		return 0;
	}
	if (n != NFIELDS) {
		snprintf(err, errlen, "line %ld: %d fields; a line is "
		    "time,lat,lon,type", lineno, n);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (plain_decimal(&f[0], &out->t)) {
		if (!(out->t >= 0) || out->t > 1e9)
			return fail(err, errlen, lineno, 0, &f[0], "is out of "
			    "range 0..1e9 seconds");
	} else if (iso_time(&f[0], &out->t))
		out->iso = 1;
	else
		return fail(err, errlen, lineno, 0, &f[0], "is neither "
		    "seconds (a plain decimal) nor an ISO 8601 time");
	if (!plain_decimal(&f[1], &out->lat) || fabs(out->lat) > LAT_MAX)
		return fail(err, errlen, lineno, 1, &f[1], "is not a decimal "
		    "number in -85.05112878..85.05112878");
	if (!plain_decimal(&f[2], &out->lon) || fabs(out->lon) > 180)
		return fail(err, errlen, lineno, 2, &f[2], "is not a decimal "
		    "number in -180..180");
	if (out->lat == 0 && out->lon == 0)
		return fail(err, errlen, lineno, 2, &f[2], "with lat 0 is "
		    "0,0: a missing fix, not a place");
	return type_field(&f[3], lineno, plans, out->type, err, errlen) == -1 ?
	    -1 : 1;
}

static int
add_call(struct sim_csv_call **v, size_t *n, size_t *cap,
    const struct sim_csv_call *c)
{
	struct sim_csv_call *nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		if ((nv = realloc(*v, *cap * sizeof(**v))) == NULL)
			return -1;
		*v = nv;
	}
	(*v)[(*n)++] = *c;
	return 0;
}

/* Same kind of time as the first call, and not before the previous. */
static int
check_order(const struct sim_csv_call *v, size_t n, long lineno, char *err,
    size_t errlen)
{
	const struct sim_csv_call *c = &v[n - 1], *prev = &v[n - 2];

	if (c->iso != v[0].iso) {
		snprintf(err, errlen, "line %ld: field time: %s, but the "
		    "first call's is %s (use one kind)", lineno,
		    c->iso ? "an ISO time" : "seconds",
		    v[0].iso ? "an ISO time" : "seconds");
		return -1;
	}
	if (c->t < prev->t) {
		snprintf(err, errlen, "line %ld: field time: %.3f s before "
		    "the previous call (calls must be in time order)", lineno,
		    prev->t - c->t);
		return -1;
	}
	return 0;
}

int
sim_csv_load(const char *text, size_t len, const struct np_plans *plans,
    struct sim_csv_call **out, size_t *nout, char *err, size_t errlen)
{
	struct sim_csv_call *v = NULL, c;
	size_t n = 0, cap = 0, i = 0, end;
	long lineno = 0;
	int rc;

	while (i < len) {
		lineno++;
		for (end = i; end < len && text[end] != '\n'; end++)
			;
		rc = sim_csv_line(text + i, end - i, lineno, plans, &c, err,
		    errlen);
		if (rc == -1)
			goto fail;
		if (rc == 1 && add_call(&v, &n, &cap, &c) == -1) {
			snprintf(err, errlen, "line %ld: out of memory", lineno);
			goto fail;
		}
		if (rc == 1 && n > 1 && check_order(v, n, lineno, err,
		    errlen) == -1)
			goto fail;
		i = end + 1;
	}
	if (n == 0) {
		snprintf(err, errlen, "no calls in the file");
		goto fail;
	}
	for (i = n; i-- > 0;)
		v[i].t -= v[0].t;
	*out = v;
	*nout = n;
	return 0;
fail:
	free(v);
	return -1;
}
