/*
 * posframe.c: the fast paths of the units bus's frames.
 *
 * radiogw sends every position report as
 *
 *   unit.position {"unit_id":"<id>","lat":<real>,"lon":<real>,"ts":<int>}
 *
 * (jansson, compact) and the commander every unit.status from its
 * scripts (cjson, keys in any order).  Profiling bench/positions.py put
 * a third of the router's time in json_loadb, which builds a hash table
 * for every frame; these read both with np_jscan, without allocating: a
 * position in exactly that shape (the keys matched as text, no member
 * loop -- the hottest path), a status as any object.  What np_jscan
 * refuses (bad JSON, escapes, non-ASCII in keys and in the strings read,
 * integers of more than 18 digits, duplicate keys, ...), a position in
 * another shape and what the router would refuse anyway (a value of the
 * wrong type or out of range) is left to the strict jansson path of
 * router_unit_msg_parse, which also says what is wrong.  So a fast path
 * never accepts a frame the slow path refuses, nor reads one
 * differently: numbers are read as jansson reads them (np_jscan_num), an
 * integer lat or lon too (tests/unit/test_router_posframe.c compares the
 * two).
 */
#include "np_jscan.h"
#include "router.h"

/* The gateway's shape exactly (np_jscan_lit between the values). */
int
router_pos_fast(const char *json, size_t len, struct router_unit_msg *u)
{
	struct np_jscan js;
	long long ts;

	np_jscan_init(&js, json, len);
	if (!np_jscan_lit(&js, "{\"unit_id\":") ||
	    np_jscan_id(&js, u->unit_id, NP_CITY_ID_MAX) == -1 ||
	    !np_jscan_lit(&js, ",\"lat\":") ||
	    np_jscan_num_in(&js, -ROUTER_LAT_MAX, ROUTER_LAT_MAX,
	    &u->lat) == -1 ||
	    !np_jscan_lit(&js, ",\"lon\":") ||
	    np_jscan_num_in(&js, -180, 180, &u->lon) == -1 ||
	    !np_jscan_lit(&js, ",\"ts\":") || np_jscan_int(&js, &ts) == -1 ||
	    ts < 0 || !np_jscan_lit(&js, "}") || np_jscan_end(&js) == -1)
		return 1;
	u->ts = ts;
	u->position = 1;
	return 0;
}

/* The status value: a status or one of the gateway's events. */
static int
status_value(struct np_jscan *js, struct router_unit_msg *u)
{
	char buf[33];

	if (np_jscan_strcpy(js, buf, sizeof(buf) - 1) == -1)
		return -1;
	return router_status_word(buf, &u->status);
}

int
router_status_fast(const char *json, size_t len, struct router_unit_msg *u)
{
	struct np_jscan js;
	struct np_jobj o;
	const char *key;
	size_t kl;
	int rv, unit = 0, status = 0;

	if (np_jscan_begin(&js, &o, json, len) == -1)
		return 1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "unit_id"))
			rv = np_jscan_id(&js, u->unit_id, NP_CITY_ID_MAX),
			    unit = 1;
		else if (np_jscan_key(key, kl, "status"))
			rv = status_value(&js, u), status = 1;
		else
			rv = np_jscan_skip(&js);
		if (rv == -1)
			return 1;
	}
	if (rv == -1 || np_jscan_end(&js) == -1 || !unit || !status)
		return 1;
	u->position = 0;
	return 0;
}
