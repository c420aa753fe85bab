/*
 * order.c: the messages the gateway reads and writes, and the radio lines
 * made from them.
 *
 * In: order.issued and order.cancelled from the commander on s:orders
 * (docs/DISPATCH.md).  They are checked as strictly as a unit's lines --
 * every id against the id alphabet, numbers against their ranges -- since
 * their fields end up in lines on the radio: nothing from a message may
 * smuggle a blank or a line break into an ORDER.  Unknown extra fields are
 * tolerated (the commander may add some), unknown types are skipped.
 *
 * The commander's messages are read first without jansson
 * (radio_msg_fast: np_jscan, no allocation -- json_loadb building a hash
 * table for every order was a large part of the gateway's time); what
 * that refuses -- bad input, escapes (cjson writes '/' as "\/"),
 * non-ASCII in the strings read, anything unusual -- goes to the strict
 * jansson path (radio_msg_strict), which also names the field that is
 * wrong.  The fast path never accepts what the strict one refuses nor
 * reads it otherwise (tests/unit/test_radiogw_fast.c compares them on
 * mutations of the commander's messages).
 *
 * Out: unit.status and unit.position (schemas/unit.*.schema.json); an
 * order verb's unit.status also as text straight away (radio_status_text:
 * one per line, jansson's objects would cost more than the rest of it).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "np_jscan.h"
#include "np_json.h"
#include "radiogw.h"

static const char *const verb_status[RADIO_VERBS] = {
	[RADIO_ACK] = "acked",
	[RADIO_DECLINE] = "declined",
	[RADIO_ENROUTE] = "enroute",
	[RADIO_ONSCENE] = "onscene",
	[RADIO_CLEAR] = "clear",
};

const char *
radio_verb_status(enum radio_verb v)
{
	return (unsigned)v < RADIO_VERBS ? verb_status[v] : NULL;
}

/* A required (or optional) id field copied into dst. */
static int
get_id(json_t *doc, const char *key, int required, char *dst,
    struct np_jerr *e)
{
	const char *s = NULL;

	if (np_json_str(doc, "", key, required, 1024, &s, e) == -1)
		return -1;
	if (s == NULL)
		return 0;
	if (!radio_id_valid(s, strlen(s)))
		return np_jerr_set(e, "", key, "is not 1..%d of A-Z a-z 0-9 . "
		    "_ : -", RADIO_ID_MAX);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int
parse_issued(json_t *doc, struct radio_order *o, struct np_jerr *e)
{
	const char *type = NULL, *addr = NULL;
	long long tier, prio;

	if (get_id(doc, "order_id", 1, o->order_id, e) == -1 ||
	    get_id(doc, "incident_id", 1, o->incident_id, e) == -1 ||
	    get_id(doc, "unit_id", 1, o->unit_id, e) == -1 ||
	    np_json_int(doc, "", "tier", 1, 1, 9, &tier, e) == -1 ||
	    np_json_int(doc, "", "priority", 1, 1, 4, &prio, e) == -1 ||
	    np_json_num(doc, "", "lat", 1, -RADIO_LAT_MAX, RADIO_LAT_MAX,
	    &o->lat, e) == -1 ||
	    np_json_num(doc, "", "lon", 1, -180, 180, &o->lon, e) == -1 ||
	    np_json_str(doc, "", "incident_type", 1, RADIO_TYPE_MAX, &type,
	    e) == -1 ||
	    np_json_str(doc, "", "address", 0, RADIO_ADDRESS_MAX, &addr,
	    e) == -1)
		return -1;
	if (!radio_id_valid(type, strlen(type)))
		return np_jerr_set(e, "", "incident_type", "is not 1..%d of "
		    "A-Z a-z 0-9 . _ : -", RADIO_TYPE_MAX);
	o->tier = (int)tier;
	o->priority = (int)prio;
	memcpy(o->type, type, strlen(type) + 1);
	if (addr != NULL)
		memcpy(o->address, addr, strlen(addr) + 1);
	return 0;
}

/* Reasons are free text in messages (n bytes, no NUL) but one word on
 * the radio. */
static void
wordify(char *dst, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < RADIO_WORD_MAX && i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = (isalnum(c) && c < 0x80) || c == '-' ? (char)tolower(c)
		    : '_';
	}
	dst[i] = '\0';
	if (i == 0)
		snprintf(dst, RADIO_WORD_MAX + 1, "cancelled");
}

static int
parse_cancelled(json_t *doc, struct radio_cancel *c, struct np_jerr *e)
{
	const char *reason = NULL;

	if (get_id(doc, "order_id", 1, c->order_id, e) == -1 ||
	    get_id(doc, "unit_id", 1, c->unit_id, e) == -1 ||
	    get_id(doc, "incident_id", 0, c->incident_id, e) == -1 ||
	    np_json_str(doc, "", "reason", 0, 1024, &reason, e) == -1)
		return -1;
	wordify(c->reason, reason, reason != NULL ? strlen(reason) : 0);
	return 0;
}

int
radio_msg_strict(const char *json, size_t len, struct radio_msg *m,
    char *err, size_t errlen)
{
	struct np_jerr e;
	const char *type = NULL;
	json_t *doc;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	memset(&e, 0, sizeof(e));
	if ((doc = np_json_parse(json, len, &e)) == NULL)
		goto out;
	if (!json_is_object(doc)) {
		np_jerr_set(&e, NULL, NULL, "not a JSON object");
		goto out;
	}
	if (np_json_str(doc, "", "type", 1, 64, &type, &e) == -1)
		goto out;
	if (strcmp(type, "order.issued") == 0) {
		m->kind = RADIO_MSG_ISSUED;
		rc = parse_issued(doc, &m->order, &e);
	} else if (strcmp(type, "order.cancelled") == 0) {
		m->kind = RADIO_MSG_CANCELLED;
		rc = parse_cancelled(doc, &m->cancel, &e);
	} else {
		m->kind = RADIO_MSG_OTHER;
		rc = 0;
	}
out:
	if (rc == -1)
		snprintf(err, errlen, "%s%s%s", e.field, e.field[0] ? ": " : "",
		    e.msg);
	json_decref(doc);
	return rc;
}

/* An id (get_id): null is absent (""). */
static int
fast_id(struct np_jscan *js, char *out, size_t max)
{
	return np_jscan_null(js) ? 0 : np_jscan_id(js, out, max);
}

/* The members of either message, read as parse_issued and
 * parse_cancelled read them; what is not set stays 0 or "". */
struct fast_msg {
	struct radio_order	 o;
	long long		 tier, prio;
	int			 lat, lon, type;	/* seen */
	const char		*reason;
	size_t			 rlen;
};

static int
fast_member(struct np_jscan *js, const char *key, size_t kl,
    struct fast_msg *f)
{
	struct radio_order *o = &f->o;

	if (np_jscan_key(key, kl, "order_id"))
		return fast_id(js, o->order_id, RADIO_ID_MAX);
	if (np_jscan_key(key, kl, "incident_id"))
		return fast_id(js, o->incident_id, RADIO_ID_MAX);
	if (np_jscan_key(key, kl, "unit_id"))
		return fast_id(js, o->unit_id, RADIO_ID_MAX);
	if (np_jscan_key(key, kl, "tier"))
		return np_jscan_int(js, &f->tier);
	if (np_jscan_key(key, kl, "priority"))
		return np_jscan_int(js, &f->prio);
	if (np_jscan_key(key, kl, "lat"))
		return f->lat = 1, np_jscan_num_in(js, -RADIO_LAT_MAX, RADIO_LAT_MAX,
		    &o->lat);
	if (np_jscan_key(key, kl, "lon"))
		return f->lon = 1, np_jscan_num_in(js, -180, 180, &o->lon);
	if (np_jscan_key(key, kl, "incident_type"))
		return f->type = 1, np_jscan_id(js, o->type, RADIO_TYPE_MAX);
	if (np_jscan_key(key, kl, "address"))
		return np_jscan_null(js) ? 0 : np_jscan_textcpy(js, o->address,
		    RADIO_ADDRESS_MAX);
	if (np_jscan_key(key, kl, "reason"))
		return np_jscan_null(js) ? 0 : np_jscan_str(js, &f->reason,
		    &f->rlen);
	return np_jscan_skip(js);
}

/* f holds what an order.issued needs: m filled, 0; else -1. */
static int
fast_issued(const struct fast_msg *f, struct radio_msg *m)
{
	const struct radio_order *o = &f->o;

	if (o->order_id[0] == '\0' || o->incident_id[0] == '\0' ||
	    o->unit_id[0] == '\0' || f->tier < 1 || f->tier > 9 ||
	    f->prio < 1 || f->prio > 4 || !f->lat || !f->lon || !f->type)
		return -1;
	m->kind = RADIO_MSG_ISSUED;
	m->order = *o;
	m->order.tier = (int)f->tier;
	m->order.priority = (int)f->prio;
	return 0;
}

static int
fast_cancelled(const struct fast_msg *f, struct radio_msg *m)
{
	struct radio_cancel *c = &m->cancel;

	if (f->o.order_id[0] == '\0' || f->o.unit_id[0] == '\0' ||
	    f->rlen > 1024)
		return -1;
	m->kind = RADIO_MSG_CANCELLED;
	memcpy(c->order_id, f->o.order_id, sizeof(c->order_id));
	memcpy(c->unit_id, f->o.unit_id, sizeof(c->unit_id));
	memcpy(c->incident_id, f->o.incident_id, sizeof(c->incident_id));
	wordify(c->reason, f->reason, f->rlen);
	return 0;
}

int
radio_msg_fast(const char *json, size_t len, struct radio_msg *m)
{
	struct fast_msg f;
	struct np_jscan js;
	struct np_jobj o;
	const char *key, *type = NULL;
	size_t kl, tl = 0;
	int rv;

	memset(m, 0, sizeof(*m));
	memset(&f, 0, sizeof(f));
	if (np_jscan_begin(&js, &o, json, len) == -1)
		return -1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "type"))
			rv = np_jscan_str(&js, &type, &tl);
		else
			rv = fast_member(&js, key, kl, &f);
		if (rv == -1)
			return -1;
	}
	if (rv == -1 || np_jscan_end(&js) == -1 || type == NULL || tl > 64)
		return -1;
	if (np_jscan_key(type, tl, "order.issued"))
		return fast_issued(&f, m);
	if (np_jscan_key(type, tl, "order.cancelled"))
		return fast_cancelled(&f, m);
	m->kind = RADIO_MSG_OTHER;
	return 0;
}

int
radio_msg_parse(const char *json, size_t len, struct radio_msg *m,
    char *err, size_t errlen)
{
	if (radio_msg_fast(json, len, m) == 0)
		return 0;
	return radio_msg_strict(json, len, m, err, errlen);
}

size_t
radio_order_line(char *buf, size_t len, const struct radio_order *o)
{
	char addr[3 * RADIO_ADDRESS_MAX + 1];
	int n;

	if (radio_pct_encode(addr, sizeof(addr), o->address) == -1)
		snprintf(addr, sizeof(addr), "-");
	n = snprintf(buf, len, "ORDER %s %s %d %.6f %.6f %d %s %s\r\n",
	    o->order_id, o->incident_id, o->tier, o->lat, o->lon, o->priority,
	    o->type, addr);
	return (n < 0 || (size_t)n >= len) ? 0 : (size_t)n;
}

size_t
radio_cancel_line(char *buf, size_t len, const struct radio_cancel *c)
{
	int n = snprintf(buf, len, "CANCEL %s %s\r\n", c->order_id,
	    c->reason);

	return (n < 0 || (size_t)n >= len) ? 0 : (size_t)n;
}

json_t *
radio_status_msg(const char *unit_id, const char *status,
    const char *order_id, const char *incident_id, const char *disposition,
    const char *reason)
{
	json_t *m = np_msg_new("unit.status", "radiogw");

	json_object_set_new(m, "unit_id", json_string(unit_id));
	json_object_set_new(m, "status", json_string(status));
	if (order_id != NULL)
		json_object_set_new(m, "order_id", json_string(order_id));
	if (incident_id != NULL && *incident_id != '\0')
		json_object_set_new(m, "incident_id", json_string(incident_id));
	if (disposition != NULL)
		json_object_set_new(m, "disposition", json_string(disposition));
	if (reason != NULL)
		json_object_set_new(m, "reason", json_string(reason));
	return m;
}

json_t *
radio_position_msg(const char *unit_id, double lat, double lon, int64_t ts)
{
	return json_pack("{s:s, s:f, s:f, s:I}", "unit_id", unit_id,
	    "lat", lat, "lon", lon, "ts", (json_int_t)ts);
}

size_t
radio_status_text(char *buf, size_t len, int64_t ts, const char *unit_id,
    const char *status, const char *order_id, const char *disposition,
    const char *reason)
{
	const char *dk = disposition != NULL ? ",\"disposition\":\"" : "";
	const char *rk = reason != NULL ? ",\"reason\":\"" : "";
	int n;

	if (!np_json_plain(unit_id) || !np_json_plain(status) ||
	    !np_json_plain(order_id) ||
	    (disposition != NULL && !np_json_plain(disposition)) ||
	    (reason != NULL && !np_json_plain(reason)))
		return 0;
	n = snprintf(buf, len, "{\"type\":\"unit.status\",\"v\":%d,\"ts\":"
	    "%lld,\"src\":\"radiogw\",\"unit_id\":\"%s\",\"status\":\"%s\","
	    "\"order_id\":\"%s\"%s%s%s%s%s%s}", NP_MSG_VERSION, (long long)ts,
	    unit_id, status, order_id, dk, disposition != NULL ? disposition :
	    "", disposition != NULL ? "\"" : "", rk, reason != NULL ? reason :
	    "", reason != NULL ? "\"" : "");
	return (n < 0 || (size_t)n >= len) ? 0 : (size_t)n;
}
