/*
 * line.c: one line from a field unit -> a command, or a refusal that names
 * the problem (docs/RADIO.md).
 *
 * The line is checked as bytes first (printable ASCII and tabs only), then
 * split on runs of blanks into at most RADIO_ARGS_MAX words.  The first
 * word picks a row of the verb table, which says how many arguments the
 * verb takes; each argument is then checked by its own small parser, so
 * every refusal can say which argument is wrong and why.  A line starting
 * with '$' is an NMEA sentence and goes whole to nmea.c.  Pure: the unit
 * tests and the fuzz target run exactly this code.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "radiogw.h"

#define RADIO_ARGS_MAX	8	/* words looked at; more is an error */
#define SHOW_MAX	24	/* bytes of a bad word quoted in a message */

struct word {
	const char	*s;
	size_t		 len;
};

/*
 * AUTH takes one argument; a second is the old login that sent the
 * secret itself, parsed only to be refused by name (secret_on_wire).
 */
static const struct verb_row {
	const char	*name;
	int		 nargs;
	const char	*usage;
} verbs[RADIO_VERBS] = {
	[RADIO_NONE] =		{ "-", 0, "" },
	[RADIO_AUTH] =		{ "AUTH", 1, "<unit_id>" },
	[RADIO_PROOF] =		{ "PROOF", 1, "<mac>" },
	[RADIO_POS] =		{ "POS", 2, "<lat> <lon>" },
	[RADIO_NMEA] =		{ "NMEA", 0, "" },
	[RADIO_ACK] =		{ "ACK", 1, "<order_id>" },
	[RADIO_DECLINE] =	{ "DECLINE", 2, "<order_id> <reason>" },
	[RADIO_ENROUTE] =	{ "ENROUTE", 1, "<order_id>" },
	[RADIO_ONSCENE] =	{ "ONSCENE", 1, "<order_id>" },
	[RADIO_CLEAR] =		{ "CLEAR", 2, "<order_id> <disposition>" },
	[RADIO_PING] =		{ "PING", 0, "" },
	[RADIO_QUIT] =		{ "QUIT", 0, "" },
};

const char *const radio_dispositions[] = { "resolved", "arrested",
    "referred", "false_alarm", "no_trace", "cancelled", NULL };

const char *
radio_verb_name(enum radio_verb v)
{
	return (unsigned)v < RADIO_VERBS ? verbs[v].name : "-";
}

int
radio_error_set(struct radio_error *e, enum radio_verb verb,
    enum radio_err code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->verb = verb;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* A bad word, quoted and cut for a message (words are printable). */
static const char *
show(const struct word *w, char *buf, size_t len)
{
	size_t n = w->len < SHOW_MAX ? w->len : SHOW_MAX;

	snprintf(buf, len, "\"%.*s%s\"", (int)n, w->s,
	    w->len > SHOW_MAX ? "..." : "");
	return buf;
}

int
radio_id_valid(const char *s, size_t len)
{
	if (len == 0 || len > RADIO_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._:-", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

int
radio_word_copy(char *dst, const char *s, size_t len)
{
	if (len == 0 || len > RADIO_WORD_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-')
			return -1;
		dst[i] = (char)tolower((unsigned char)s[i]);
	}
	dst[len] = '\0';
	return 0;
}

int
radio_disposition_valid(const char *s)
{
	for (const char *const *d = radio_dispositions; *d != NULL; d++)
		if (strcmp(*d, s) == 0)
			return 1;
	return 0;
}

/* Printable ASCII and tabs only; the column (1-based) names the byte. */
static int
check_bytes(const char *line, size_t len, struct radio_error *e)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c >= 0x80)
			return radio_error_set(e, RADIO_NONE, RADIO_E_BAD_LINE,
			    "non-ASCII byte 0x%02x at column %zu: the protocol "
			    "is ASCII", c, i + 1);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return radio_error_set(e, RADIO_NONE, RADIO_E_BAD_LINE,
			    "control character 0x%02x at column %zu", c, i + 1);
	}
	return 0;
}

static size_t
split(const char *s, size_t len, struct word *w, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n < max)
			w[n].s = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		if (n < max)
			w[n].len = (size_t)(s + i - w[n].s);
		n++;
	}
	return n;
}

static enum radio_verb
find_verb(const struct word *w)
{
	for (int v = RADIO_AUTH; v < RADIO_VERBS; v++)
		if (v != RADIO_NMEA && strlen(verbs[v].name) == w->len &&
		    strncasecmp(verbs[v].name, w->s, w->len) == 0)
			return (enum radio_verb)v;
	return RADIO_NONE;
}

/* A plain decimal: [+-]digits[.digits]; no exponent, hex, inf or nan. */
static int
decimal(const struct word *w, double min, double max, double *out)
{
	char buf[32], *end;
	size_t i = 0, digits = 0;

	if (w->len >= sizeof(buf))
		return -1;
	if (w->s[0] == '-' || w->s[0] == '+')
		i++;
	for (; i < w->len && isdigit((unsigned char)w->s[i]); i++)
		digits++;
	if (i < w->len && w->s[i] == '.')
		for (i++; i < w->len && isdigit((unsigned char)w->s[i]); i++)
			digits++;
	if (i != w->len || digits == 0)
		return -1;
	memcpy(buf, w->s, w->len);
	buf[w->len] = '\0';
	*out = strtod(buf, &end);
	return (*out < min || *out > max) ? -1 : 0;
}

static int
parse_pos(const struct word *w, struct radio_cmd *c, struct radio_error *e)
{
	char b[40];

	if (decimal(&w[1], -RADIO_LAT_MAX, RADIO_LAT_MAX, &c->lat) == -1)
		return radio_error_set(e, RADIO_POS, RADIO_E_BAD_LAT,
		    "latitude %s is not a decimal number in -%.8f..%.8f",
		    show(&w[1], b, sizeof(b)), RADIO_LAT_MAX, RADIO_LAT_MAX);
	if (decimal(&w[2], -180, 180, &c->lon) == -1)
		return radio_error_set(e, RADIO_POS, RADIO_E_BAD_LON,
		    "longitude %s is not a decimal number in -180..180",
		    show(&w[2], b, sizeof(b)));
	return 0;
}

static int
parse_auth(const struct word *w, struct radio_cmd *c, struct radio_error *e)
{
	char b[40];

	if (!radio_id_valid(w[1].s, w[1].len))
		return radio_error_set(e, RADIO_AUTH, RADIO_E_BAD_UNIT_ID,
		    "unit id %s is not 1..%d of A-Z a-z 0-9 . _ : -",
		    show(&w[1], b, sizeof(b)), RADIO_ID_MAX);
	memcpy(c->unit_id, w[1].s, w[1].len);
	c->unit_id[w[1].len] = '\0';
	return 0;
}

static int
parse_proof(const struct word *w, struct radio_cmd *c, struct radio_error *e)
{
	if (w[1].len > RADIO_PROOF_MAX)
		return radio_error_set(e, RADIO_PROOF, RADIO_E_BAD_PROOF,
		    "proof is longer than %d bytes: it is the %d hex digits "
		    "of an HMAC-SHA256", RADIO_PROOF_MAX, RADIO_MAC_HEX);
	memcpy(c->proof, w[1].s, w[1].len);
	c->proof[w[1].len] = '\0';
	return 0;
}

static int
parse_order_verb(enum radio_verb v, const struct word *w, size_t n,
    struct radio_cmd *c, struct radio_error *e)
{
	char b[40];

	if (!radio_id_valid(w[1].s, w[1].len))
		return radio_error_set(e, v, RADIO_E_BAD_ORDER_ID, "order id "
		    "%s is not 1..%d of A-Z a-z 0-9 . _ : -",
		    show(&w[1], b, sizeof(b)), RADIO_ID_MAX);
	memcpy(c->order_id, w[1].s, w[1].len);
	c->order_id[w[1].len] = '\0';
	if (n < 3)
		return 0;
	if (radio_word_copy(c->word, w[2].s, w[2].len) == -1)
		return radio_error_set(e, v, v == RADIO_CLEAR ?
		    RADIO_E_BAD_DISPOSITION : RADIO_E_BAD_REASON, "%s %s is "
		    "not one word of 1..%d letters, digits, _ or -",
		    v == RADIO_CLEAR ? "disposition" : "reason",
		    show(&w[2], b, sizeof(b)), RADIO_WORD_MAX);
	if (v == RADIO_CLEAR && !radio_disposition_valid(c->word))
		return radio_error_set(e, v, RADIO_E_BAD_DISPOSITION,
		    "disposition %s is not one of resolved arrested referred "
		    "false_alarm no_trace cancelled", show(&w[2], b, sizeof(b)));
	return 0;
}

static int
parse_args(enum radio_verb v, const struct word *w, size_t n,
    struct radio_cmd *c, struct radio_error *e)
{
	const struct verb_row *row = &verbs[v];

	if (v == RADIO_AUTH && n == 3) {
		c->secret_on_wire = 1;	/* refused by the session, counted */
		return parse_auth(w, c, e);
	}
	if ((int)n - 1 < row->nargs)
		return radio_error_set(e, v, RADIO_E_MISSING_ARG, "%s needs "
		    "%s, got %zu argument%s", row->name, row->usage, n - 1,
		    n == 2 ? "" : "s");
	if ((int)n - 1 > row->nargs)
		return radio_error_set(e, v, RADIO_E_EXTRA_ARG, "%s takes %d "
		    "argument%s%s%s, got %zu", row->name, row->nargs,
		    row->nargs == 1 ? "" : "s", row->nargs ? " " : "",
		    row->usage, n - 1);
	switch (v) {
	case RADIO_AUTH:
		return parse_auth(w, c, e);
	case RADIO_PROOF:
		return parse_proof(w, c, e);
	case RADIO_POS:
		return parse_pos(w, c, e);
	case RADIO_ACK:
	case RADIO_DECLINE:
	case RADIO_ENROUTE:
	case RADIO_ONSCENE:
	case RADIO_CLEAR:
		return parse_order_verb(v, w, n, c, e);
	default:
		return 0;
	}
}

enum radio_parse
radio_line_parse(const char *line, size_t len, struct radio_cmd *c,
    struct radio_error *e)
{
	struct word w[RADIO_ARGS_MAX];
	char b[40];
	size_t n;

	memset(c, 0, sizeof(*c));
	memset(e, 0, sizeof(*e));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (check_bytes(line, len, e) == -1)
		return RADIO_PARSE_ERROR;
	if ((n = split(line, len, w, RADIO_ARGS_MAX)) == 0)
		return RADIO_PARSE_EMPTY;
	if (w[0].s[0] == '$') {
		c->verb = RADIO_NMEA;
		if (n > 1) {
			radio_error_set(e, RADIO_NMEA, RADIO_E_BAD_NMEA,
			    "a sentence holds no blanks");
			return RADIO_PARSE_ERROR;
		}
		return radio_nmea_parse(w[0].s, w[0].len, &c->lat, &c->lon,
		    e) == 0 ? RADIO_PARSE_CMD : RADIO_PARSE_ERROR;
	}
	if ((c->verb = find_verb(&w[0])) == RADIO_NONE) {
		radio_error_set(e, RADIO_NONE, RADIO_E_UNKNOWN_VERB, "%s is not "
		    "a verb: AUTH PROOF POS ACK DECLINE ENROUTE ONSCENE CLEAR "
		    "PING QUIT or an NMEA $GPRMC sentence", show(&w[0], b,
		    sizeof(b)));
		return RADIO_PARSE_ERROR;
	}
	if (parse_args(c->verb, w, n, c, e) == -1)
		return RADIO_PARSE_ERROR;
	return RADIO_PARSE_CMD;
}
