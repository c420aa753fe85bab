/*
 * Fuzz target: the fast paths of the messages the commander, the tracker,
 * the router, the gateway and feedback consume (np_jscan), against their
 * strict jansson paths.  The first byte picks the reader: 'r' the
 * commander's route.decided, 's' its unit.status, 'R' the tracker's
 * route.decided, 'p' the router's unit.position, 'u' its unit.status,
 * 'i' its s:incidents entry, 'o' the gateway's s:orders entry, 'f'
 * feedback's unit.status, anything else the tracker's unit.status.
 * Whatever a fast path takes, the strict path must take and read the
 * same (else abort); parse (fast, else strict) never fails without an
 * error message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commander.h"
#include "feedback.h"
#include "radiogw.h"
#include "router.h"
#include "tracker.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int marks[3] = { 60, 0, 300 };

static void
cmd_route(const char *s, size_t n)
{
	static struct cmd_route f, t;
	char err[256];
	size_t i;

	if (cmd_route_fast(s, n, &f) != 0) {
		err[0] = '\0';
		if (cmd_route_parse(s, n, &t, err, sizeof(err)) == -1 &&
		    err[0] == '\0')
			abort();
		return;
	}
	if (cmd_route_strict(s, n, &t, err, sizeof(err)) != 0 ||
	    strcmp(f.incident_id, t.incident_id) != 0 || f.ntiers != t.ntiers)
		abort();
	for (i = 0; i < t.ntiers; i++)
		if (f.tiers[i] != t.tiers[i] ||
		    strcmp(f.cands[i], t.cands[i]) != 0)
			abort();
}

static void
cmd_status(const char *s, size_t n)
{
	struct cmd_status_msg f, t;
	char err[256];

	if (cmd_status_fast(s, n, &f) == 0 &&
	    (cmd_status_strict(s, n, &t, err, sizeof(err)) != 0 ||
	    memcmp(&f, &t, sizeof(f)) != 0))
		abort();
}

static void
trk_route(const char *s, size_t n)
{
	struct trk_route f, t;
	char err[256];
	int i;

	if (trk_route_fast(s, n, marks, &f) != 0)
		return;
	if (trk_route_strict(s, n, marks, &t, err, sizeof(err)) != 0 ||
	    strcmp(f.incident_id, t.incident_id) != 0 || f.t0 != t.t0 ||
	    strcmp(f.type, t.type) != 0 || strcmp(f.post, t.post) != 0 ||
	    f.ntiers != t.ntiers)
		abort();
	for (i = 0; i < t.ntiers; i++)	/* not memcmp: padding */
		if (f.tiers[i].tier != t.tiers[i].tier ||
		    f.tiers[i].due != t.tiers[i].due)
			abort();
}

static void
trk_status(const char *s, size_t n)
{
	struct trk_status f, t;
	char err[256];

	if (trk_status_fast(s, n, &f) == 0 &&
	    (trk_status_strict(s, n, &t, err, sizeof(err)) != 0 ||
	    memcmp(&f, &t, sizeof(f)) != 0))
		abort();
}

/* topic: "unit.position" (position 1) or "unit.status" */
static void
router_unit(const char *s, size_t n, int position)
{
	const char *topic = position ? "unit.position" : "unit.status";
	struct router_unit_msg f, t;
	char err[256];

	memset(&f, 0, sizeof(f));
	f.status = -1;
	if ((position ? router_pos_fast(s, n, &f) :
	    router_status_fast(s, n, &f)) != 0)
		return;
	if (router_unit_msg_strict(topic, strlen(topic), s, n, &t, err,
	    sizeof(err)) != 0 || strcmp(f.unit_id, t.unit_id) != 0 ||
	    f.position != t.position || f.status != t.status)
		abort();
	if (position && (memcmp(&f.lat, &t.lat, sizeof(f.lat)) != 0 ||
	    memcmp(&f.lon, &t.lon, sizeof(f.lon)) != 0 || f.ts != t.ts))
		abort();	/* memcmp: -0.0 is not 0.0 */
}

static void
router_incident(const char *s, size_t n)
{
	struct router_incident f, t;
	enum router_msg fk, tk;
	char err[256];

	if (router_incident_fast(s, n, &fk, &f) != 0) {
		err[0] = '\0';
		if (router_incident_parse(s, n, &tk, &t, err, sizeof(err)) ==
		    -1 && err[0] == '\0')
			abort();
		return;
	}
	if (router_incident_strict(s, n, &tk, &t, err, sizeof(err)) != 0 ||
	    fk != tk || strcmp(f.id, t.id) != 0 || strcmp(f.type, t.type) !=
	    0 || f.priority != t.priority || f.t0 != t.t0 ||
	    memcmp(&f.lat, &t.lat, sizeof(f.lat)) != 0 ||
	    memcmp(&f.lon, &t.lon, sizeof(f.lon)) != 0)
		abort();
}

static void
radio_order(const char *s, size_t n)
{
	static struct radio_msg f, t;
	const struct radio_order *fo = &f.order, *to = &t.order;
	const struct radio_cancel *fc = &f.cancel, *tc = &t.cancel;
	char err[256];

	if (radio_msg_fast(s, n, &f) != 0) {
		err[0] = '\0';
		if (radio_msg_parse(s, n, &t, err, sizeof(err)) == -1 &&
		    err[0] == '\0')
			abort();
		return;
	}
	if (radio_msg_strict(s, n, &t, err, sizeof(err)) != 0 ||
	    f.kind != t.kind || strcmp(fo->order_id, to->order_id) != 0 ||
	    strcmp(fo->incident_id, to->incident_id) != 0 ||
	    strcmp(fo->unit_id, to->unit_id) != 0 || fo->tier != to->tier ||
	    fo->priority != to->priority ||
	    memcmp(&fo->lat, &to->lat, sizeof(fo->lat)) != 0 ||
	    memcmp(&fo->lon, &to->lon, sizeof(fo->lon)) != 0 ||
	    strcmp(fo->type, to->type) != 0 ||
	    strcmp(fo->address, to->address) != 0 ||
	    memcmp(fc, tc, sizeof(*fc)) != 0)
		abort();
}

static void
fb_clear(const char *s, size_t n)
{
	struct fb_clear f, t;
	char err[512];
	int rf;

	if ((rf = fb_clear_fast(s, n, &f)) == -1) {
		err[0] = '\0';
		if (fb_clear_parse(s, n, &t, err, sizeof(err)) == -1 &&
		    err[0] == '\0')
			abort();
		return;
	}
	if (fb_clear_strict(s, n, &t, err, sizeof(err)) != rf ||
	    memcmp(&f, &t, sizeof(f)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0]) {
	case 'r':
		cmd_route(s, size - 1);
		break;
	case 's':
		cmd_status(s, size - 1);
		break;
	case 'R':
		trk_route(s, size - 1);
		break;
	case 'p':
	case 'u':
		router_unit(s, size - 1, data[0] == 'p');
		break;
	case 'i':
		router_incident(s, size - 1);
		break;
	case 'o':
		radio_order(s, size - 1);
		break;
	case 'f':
		fb_clear(s, size - 1);
		break;
	default:
		trk_status(s, size - 1);
		break;
	}
	return 0;
}
