/*
 * facts.c: what npsim reads from the services and the radio, as plain
 * functions -- the login proof, the ORDER line, an incident's timeline
 * turned into the facts of the SLA summary, and percentiles.
 *
 * The summary trusts the services, not the simulation's own view: an
 * incident's marks are the tracker's (`marks`), its times are the
 * commander's timeline entries (first `acked` and `onscene` per tier),
 * its coverage gap is the router's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_id.h"
#include "np_json.h"
#include "np_sha256.h"
#include "sim.h"

#define PROOF_CONTEXT	"nearpost-radio-v1"

void
sim_radio_proof(const char *key, const char *unit_id, const char *nonce,
    char out[SIM_PROOF_HEX])
{
	uint8_t mac[NP_SHA256_LEN];
	char msg[256];
	int n;

	n = snprintf(msg, sizeof(msg), PROOF_CONTEXT " %s %s", unit_id,
	    nonce);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;	/* ids are short: not reached */
	np_hmac_sha256(key, strlen(key), msg, (size_t)n, mac);
	np_hex(mac, sizeof(mac), out);
}

/* The next blank-separated word of [*p, end) into buf; 0 if none/long. */
static int
word(const char **p, const char *end, char *buf, size_t size)
{
	const char *s;

	while (*p < end && **p == ' ')
		(*p)++;
	for (s = *p; *p < end && **p != ' '; (*p)++)
		;
	if (*p == s || (size_t)(*p - s) >= size)
		return 0;
	memcpy(buf, s, (size_t)(*p - s));
	buf[*p - s] = '\0';
	return 1;
}

int
sim_order_parse(const char *line, size_t len, struct sim_order *o)
{
	const char *p = line, *end = line + len;
	char verb[8], num[4][32], *e;
	long v;

	if (!word(&p, end, verb, sizeof(verb)) || strcmp(verb, "ORDER") != 0 ||
	    !word(&p, end, o->order_id, sizeof(o->order_id)) ||
	    !word(&p, end, o->incident_id, sizeof(o->incident_id)) ||
	    !word(&p, end, num[0], sizeof(num[0])) ||
	    !word(&p, end, num[1], sizeof(num[1])) ||
	    !word(&p, end, num[2], sizeof(num[2])) ||
	    !word(&p, end, num[3], sizeof(num[3])) ||
	    !word(&p, end, o->type, sizeof(o->type)))
		return -1;
	if (!np_id_valid(o->order_id, 63) || !np_id_valid(o->incident_id, 63))
		return -1;
	v = strtol(num[0], &e, 10);
	if (*e != '\0' || v < 1 || v > 9)
		return -1;
	o->tier = (int)v;
	o->lat = strtod(num[1], &e);
	if (*e != '\0' || !isfinite(o->lat))
		return -1;
	o->lon = strtod(num[2], &e);
	if (*e != '\0' || !isfinite(o->lon))
		return -1;
	v = strtol(num[3], &e, 10);
	if (*e != '\0' || v < 1 || v > 4)
		return -1;
	o->priority = (int)v;
	return 0;
}

static enum sim_mark
mark_state(const char *s)
{
	if (strcmp(s, "met") == 0)
		return SIM_MARK_MET;
	if (strcmp(s, "met_late") == 0)
		return SIM_MARK_MET_LATE;
	if (strcmp(s, "missed") == 0)
		return SIM_MARK_MISSED;
	return SIM_MARK_PENDING;
}

/* The tracker's marks: a JSON object, or that object as a string. */
static void
marks(const json_t *inc, struct sim_facts *f)
{
	json_t *m = json_object_get(inc, "marks"), *parsed = NULL, *t, *st;
	struct np_jerr e;
	char key[12];

	if (json_is_string(m)) {
		parsed = np_json_parse(json_string_value(m),
		    json_string_length(m), &e);
		m = parsed;
	}
	for (int i = 0; i < NP_TIERS_MAX && json_is_object(m); i++) {
		snprintf(key, sizeof(key), "%d", i + 1);
		t = json_object_get(m, key);
		st = json_object_get(t, "state");
		if (json_is_string(st))
			f->mark[i] = mark_state(json_string_value(st));
	}
	json_decref(parsed);
}

static void
first(int64_t *slot, int64_t ts)
{
	if (*slot == 0 || ts < *slot)
		*slot = ts;
}

static void
event(const json_t *ev, struct sim_facts *f)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	json_t *ts = json_object_get(ev, "ts"), *tier;
	json_int_t k;

	if (name == NULL || !json_is_integer(ts))
		return;
	tier = json_object_get(ev, "tier");
	k = json_is_integer(tier) ? json_integer_value(tier) : 0;
	if (strcmp(name, "dispatched") == 0)
		f->orders++;
	else if (strcmp(name, "escalation") == 0)
		f->escalations++;
	else if (strcmp(name, "declined") == 0)
		f->declines++;
	else if (strcmp(name, "no_answer") == 0)
		f->noanswers++;
	else if (strcmp(name, "tier_unfilled") == 0)
		f->unfilled++;
	else if (k < 1 || k > NP_TIERS_MAX)
		return;
	else if (strcmp(name, "mark_met") == 0)
		f->mark[k - 1] = json_is_true(json_object_get(ev, "late")) ?
		    SIM_MARK_MET_LATE : SIM_MARK_MET;
	else if (strcmp(name, "mark_missed") == 0 &&
	    f->mark[k - 1] != SIM_MARK_MET_LATE)
		f->mark[k - 1] = SIM_MARK_MISSED;
	else if (strcmp(name, "acked") == 0)
		first(&f->acked[k - 1], json_integer_value(ts));
	else if (strcmp(name, "onscene") == 0)
		first(&f->onscene[k - 1], json_integer_value(ts));
}

/* Tiers of the type's plan with no word from the tracker: pending. */
static void
pending(const json_t *inc, const struct np_plans *plans, struct sim_facts *f)
{
	const char *name = json_string_value(json_object_get(inc, "type"));
	const struct np_type *t;

	if (plans == NULL || name == NULL ||
	    (t = np_plans_type(plans, name)) == NULL)
		return;
	for (size_t i = 0; i < t->plan->ntiers; i++) {
		int k = t->plan->tiers[i].tier;

		if (k >= 1 && k <= NP_TIERS_MAX && f->mark[k - 1] ==
		    SIM_MARK_NONE)
			f->mark[k - 1] = SIM_MARK_PENDING;
	}
}

int
sim_facts_parse(const json_t *inc, const struct np_plans *plans,
    struct sim_facts *f, char *err, size_t errlen)
{
	json_t *t0 = json_object_get(inc, "t0"), *tl, *gap, *ev;
	const char *state;
	size_t i;

	memset(f, 0, sizeof(*f));
	tl = json_object_get(inc, "timeline");
	if (!json_is_integer(t0) || !json_is_array(tl)) {
		snprintf(err, errlen, "incident without t0 or timeline");
		return -1;
	}
	f->t0 = json_integer_value(t0);
	gap = json_object_get(inc, "coverage_gap");
	f->coverage_gap = json_is_true(gap) || (json_is_string(gap) &&
	    strcmp(json_string_value(gap), "true") == 0);
	state = json_string_value(json_object_get(inc, "state"));
	f->closed = state != NULL && strcmp(state, "closed") == 0;
	json_array_foreach(tl, i, ev)
		event(ev, f);
	marks(inc, f);
	pending(inc, plans, f);
	/* an acked-and-on-scene unit acknowledged too, by then at the latest */
	for (int k = 0; k < NP_TIERS_MAX; k++)
		if (f->onscene[k] != 0)
			first(&f->acked[k], f->onscene[k]);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
sim_pctl(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t)ceil(p / 100.0 * (double)n);
	return v[rank == 0 ? 0 : rank - 1];
}
