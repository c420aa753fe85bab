/*
 * np_svc_items: the settings several services share, written once
 * (see np_svc.h): the city and plans files, the bus endpoints and the
 * stream consumer limits.  Each group is a table of its own so that a
 * service loads only the groups it uses; the city and bus groups are
 * ordered so that a service takes a prefix.  Also the endpoint and PUB
 * socket helpers that go with the bus.* settings, and the consumer that
 * goes with the stream.* ones.
 */
#include <stdio.h>

#include "np_bus.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"
#include "np_svc.h"

#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define CITY(f)		offsetof(struct np_svc_city, f)
#define BUS(f)		offsetof(struct np_svc_bus, f)
#define STREAM(f)	offsetof(struct np_svc_stream, f)

static const struct np_conf_item city_items[] = {
	{ "city.posts", NP_CONF_STR, "deploy/city/posts.geojson", 0, 1024,
	  CITY(posts), "posts (GeoJSON FeatureCollection of Points)" },
	{ "city.units", NP_CONF_STR, "deploy/city/units.geojson", 0, 1024,
	  CITY(units), "units and their home positions (GeoJSON)" },
	{ "city.keys", NP_CONF_STR, "deploy/city/units.keys", 0, 1024,
	  CITY(keys), "unit keys (`unit_id key` lines)" },
};

static const struct np_conf_item plans_items[] = {
	{ "plans.file", NP_CONF_STR, "deploy/plans.json", 0, 1024,
	  CITY(plans), "incident types and response plans (JSON)" },
};

static const struct np_conf_item bus_items[] = {
	{ "bus.events", NP_CONF_STR, "", 0, 512, BUS(events),
	  "nanomsg endpoint events are published to (empty: "
	  "ipc://RUN_DIR/events.ipc)" },
	{ "bus.units", NP_CONF_STR, "", 0, 512, BUS(units),
	  "nanomsg endpoint of unit positions and status hints (the router "
	  "binds it, the others publish to it; empty: "
	  "ipc://RUN_DIR/units.ipc)" },
	{ "bus.router", NP_CONF_STR, "", 0, 512, BUS(router),
	  "nanomsg endpoint the router answers queries on (empty: "
	  "ipc://RUN_DIR/router.ipc)" },
};

static const struct np_conf_item stream_items[] = {
	{ "stream.claim_idle_ms", NP_CONF_INT, "30000", 100, 86400000,
	  STREAM(claim_idle_ms), "take over stream entries a dead copy of "
	  "this service left unacked this long" },
	{ "stream.max_inflight", NP_CONF_INT, "256", 1, 100000,
	  STREAM(max_inflight), "stream entries being handled at once, per "
	  "stream" },
	{ "stream.ack_delay_ms", NP_CONF_INT, "10", 0, 1000,
	  STREAM(ack_delay_ms), "gather the acks of handled entries this long "
	  "into one XACK (0: one XACK per loop pass); an entry not acked yet "
	  "is handled again only after a crash, and handlers are idempotent" },
	{ "stream.gap_ms", NP_CONF_INT, "2", 0, 1000, STREAM(gap_ms),
	  "on the streams that neither an order nor a deadline waits for "
	  "(feedback's statuses, the commander's closures and escalations, "
	  "the tracker's routes), wait this long after a read that caught "
	  "up before reading again: what comes meanwhile is handled as one "
	  "read and one script call (0: read again at once).  The dispatch "
	  "path (s:incidents, s:routes, s:orders) and the statuses the ack "
	  "timeout and the marks judge are always read at once" },
};

struct np_conf_table
np_svc_city_items(struct np_svc_city *c, enum np_svc_city_set set)
{
	size_t n = set == NP_SVC_CITY_KEYS ? 3 : 2;

	return (struct np_conf_table){ city_items, n, c };
}

struct np_conf_table
np_svc_plans_items(struct np_svc_city *c)
{
	return (struct np_conf_table){ plans_items, N(plans_items), c };
}

struct np_conf_table
np_svc_bus_items(struct np_svc_bus *b, enum np_svc_bus_set set)
{
	size_t n = set == NP_SVC_BUS_EVENTS ? 1 :
	    set == NP_SVC_BUS_UNITS ? 2 : 3;

	return (struct np_conf_table){ bus_items, n, b };
}

struct np_conf_table
np_svc_stream_items(struct np_svc_stream *s)
{
	return (struct np_conf_table){ stream_items, N(stream_items), s };
}

void
np_svc_endpoint(const struct np_svc *svc, const char *configured,
    const char *name, char *buf, size_t len)
{
	/* a configured "scheme://..." is used as it is */
	if (np_bus_endpoint(buf, len, svc->conf.run_dir,
	    configured != NULL && *configured != '\0' ? configured : name) ==
	    -1)
		fatalx("bus.%s: endpoint too long", name);
}

struct np_sock *
np_svc_pub(const struct np_svc *svc, const char *configured,
    const char *name)
{
	char ep[NP_SVC_ENDPOINT_MAX];
	struct np_sock *s;

	np_svc_endpoint(svc, configured, name, ep, sizeof(ep));
	if ((s = np_sock_new(svc->base, NP_SOCK_PUB, ep, 0, NULL, NULL)) ==
	    NULL)
		log_warnx("%s bus %s unavailable; continuing without it", name,
		    ep);
	return s;
}

struct np_consumer *
np_svc_consumer(const struct np_svc *svc, struct np_redis *cmd,
    const char *stream, const struct np_svc_stream *limits,
    np_consumer_cb *cb, void *arg)
{
	struct np_consumer_conf cc;
	struct np_redis_conf rc;

	np_consumer_conf_defaults(&cc);
	cc.stream = stream;
	cc.group = svc->name;
	cc.consumer = svc->conf.instance;
	if (limits != NULL) {
		cc.claim_idle_ms = limits->claim_idle_ms;
		cc.max_inflight = limits->max_inflight;
		cc.ack_delay_ms = limits->ack_delay_ms;
	}
	np_svc_redis_conf(svc, &rc);
	return np_consumer_new(svc->base, &rc, cmd, &cc, cb, arg);
}
