/*
 * decided.c: route.decided as text, written straight into a buffer.
 *
 * Every incident's decision goes to Redis and the events bus as JSON.
 * Built with jansson (router_decided_json) it costs an object per
 * candidate and a printf of 17 significant digits per number -- a good
 * part of the router's time per incident.  This writes the same message
 * (the same keys in the same order, the same values: test_router_msg
 * compares the two) with the numbers jansson would write: distances and
 * times are rounded to 0.1 (router_round1), so they are printed as
 * tenths from an integer; other reals as np_json_dump does ("%.15g",
 * ".0" when that looks like an integer, no '+' or leading zeros in an
 * exponent).  Strings are copied as they are
 * when they need no escape, else escaped by jansson.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "np_json.h"
#include "np_time.h"
#include "router.h"

#define TENTHS_MAX	1e14	/* larger values: the general format */

struct out {
	struct evbuffer	*b;
	int		 err;
};

static void
raw(struct out *o, const char *s)
{
	if (evbuffer_add(o->b, s, strlen(s)) == -1)
		o->err = 1;
}

static void
str(struct out *o, const char *s)
{
	json_t *j;
	char *t;

	if (np_json_plain(s)) {
		raw(o, "\"");
		raw(o, s);
		raw(o, "\"");
		return;
	}
	if ((j = json_string(s)) == NULL ||
	    (t = json_dumps(j, JSON_ENCODE_ANY)) == NULL) {
		json_decref(j);
		o->err = 1;
		return;
	}
	raw(o, t);
	free(t);
	json_decref(j);
}

/* ,"key": */
static void
key(struct out *o, const char *k)
{
	raw(o, ",\"");
	raw(o, k);
	raw(o, "\":");
}

static void
real(struct out *o, double x)
{
	char buf[64], *e, *z;
	long long k;

	if (x >= 0 && x < TENTHS_MAX && (k = llround(x * 10.0)) / 10.0 ==
	    x) {
		snprintf(buf, sizeof(buf), "%lld.%lld", k / 10, k % 10);
		raw(o, buf);
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", x);
	if (strpbrk(buf, ".eE") == NULL && isfinite(x))
		strncat(buf, ".0", sizeof(buf) - strlen(buf) - 1);
	if ((e = strchr(buf, 'e')) != NULL) {	/* 1e-07 -> 1e-7, as jansson */
		if (*++e == '-')
			e++;
		for (z = *e == '+' ? e + 1 : e; *z == '0' && z[1] != '\0'; z++)
			;
		memmove(e, z, strlen(z) + 1);
	}
	raw(o, buf);
}

static void
integer(struct out *o, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	raw(o, buf);
}

static void
post(struct out *o, const struct router_map *m, const struct router_post *p)
{
	const struct np_post *pt = &m->city->posts[p->post];

	raw(o, "{\"id\":");
	str(o, pt->id);
	key(o, "name");
	str(o, pt->name);
	key(o, "distance_m");
	real(o, router_round1(p->dist_m));
	if (pt->district[0] != '\0') {
		key(o, "district");
		str(o, pt->district);
	}
	raw(o, "}");
}

static void
tiers(struct out *o, const struct router_map *m,
    const struct router_decision *d)
{
	size_t i, k;

	raw(o, "[");
	for (i = 0; i < d->ntiers; i++) {
		const struct router_tier *t = &d->tiers[i];

		raw(o, i == 0 ? "{\"tier\":" : ",{\"tier\":");
		integer(o, t->tier);
		key(o, "deadline_s");
		integer(o, t->deadline_s);
		raw(o, ",\"candidates\":[");
		for (k = 0; k < t->n; k++) {
			const struct np_unit *u = &m->city->units[t->c[k].unit];

			raw(o, k == 0 ? "{\"unit_id\":" : ",{\"unit_id\":");
			str(o, u->id);
			key(o, "kind");
			str(o, np_unit_kind_name(u->kind));
			key(o, "distance_m");
			real(o, router_round1(t->c[k].dist_m));
			key(o, "eta_s");
			real(o, router_round1(t->c[k].eta_s));
			raw(o, "}");
		}
		raw(o, "]}");
	}
	raw(o, "]");
}

char *
router_decided_text(const struct router_map *m,
    const struct router_incident *inc, const struct router_decision *d,
    size_t *len)
{
	struct out o = { evbuffer_new(), 0 };
	char *s = NULL;
	size_t n;

	if (o.b == NULL)
		return NULL;
	raw(&o, "{\"type\":\"route.decided\",\"v\":");
	integer(&o, NP_MSG_VERSION);
	key(&o, "ts");
	integer(&o, np_now_ms());
	raw(&o, ",\"src\":\"router\",\"incident_id\":");
	str(&o, inc->id);
	key(&o, "incident_type");
	str(&o, inc->type);
	key(&o, "priority");
	integer(&o, inc->priority);
	key(&o, "lat");
	real(&o, inc->lat);
	key(&o, "lon");
	real(&o, inc->lon);
	key(&o, "t0");
	integer(&o, inc->t0);
	key(&o, "post");
	post(&o, m, &d->post);
	key(&o, "coverage_gap");
	raw(&o, d->post.gap ? "true" : "false");
	key(&o, "tiers");
	tiers(&o, m, d);
	raw(&o, "}");
	n = evbuffer_get_length(o.b);
	if (!o.err && (s = malloc(n + 1)) != NULL) {
		evbuffer_remove(o.b, s, n);
		s[n] = '\0';
		*len = n;
	}
	evbuffer_free(o.b);
	return s;
}
