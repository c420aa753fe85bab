/*
 * status.c: a unit's link -- unit.status online / offline on s:status
 * (durable: the commander acts on it) and on the events bus, and
 * unit:<id> link -- and the Redis helpers the gateway's files share.
 * The order verbs' statuses are verbs.c's.
 *
 * Logins while Redis was away are reported again when it comes back
 * (status_on_redis).  The units bus carries no unit.status from the
 * gateway: its one reader, the router, follows the commander's, which
 * say what Redis holds.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "gw.h"
#include "np_bus.h"
#include "np_city.h"
#include "np_json.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_stream.h"

struct fire {
	struct gw	*gw;
	const char	*what;
};

int
gw_key(struct gw *gw, char *buf, size_t len, const char *kind,
    const char *id)
{
	if (id == NULL)
		return np_svc_key(&gw->svc, buf, len, "%s", kind);
	return np_svc_key(&gw->svc, buf, len, "%s:%s", kind, id);
}

void
gw_redis_done(struct gw *gw)
{
	gw->pending--;
}

static void
fire_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct fire *f = arg;

	if (reply == NULL)
		log_warnx("%s: Redis connection lost, outcome unknown", f->what);
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("%s: %s", f->what, reply->str);
	gw_redis_done(f->gw);
	free(f);
}

static struct fire *
fire_new(struct gw *gw, const char *what)
{
	struct fire *f = malloc(sizeof(*f));

	if (f != NULL) {
		f->gw = gw;
		f->what = what;
	}
	return f;
}

int
gw_redis_fire(struct gw *gw, const char *what, int argc, const char **argv)
{
	size_t lens[16];
	struct fire *f;

	if (argc > 16 || (f = fire_new(gw, what)) == NULL)
		return -1;
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (np_redis_cmd(gw->redis, fire_reply, f, argc, argv, lens) == -1) {
		free(f);
		return -1;
	}
	gw->pending++;
	return 0;
}

void
gw_publish(struct gw *gw, const char *topic, json_t *msg, int units,
    int events)
{
	size_t len;
	char *s = np_json_dump(msg, &len);

	if (s == NULL)
		return;
	if (units && gw->bus_units != NULL)
		(void)np_bus_publish(gw->bus_units, topic, s, len);
	if (events && gw->bus_events != NULL)
		(void)np_bus_publish(gw->bus_events, topic, s, len);
	free(s);
}

/* XADD s:status; the json is copied by hiredis.  0, or -1 if not sent. */
static int
status_add(struct gw *gw, json_t *msg, np_redis_cb *cb, void *arg)
{
	char key[256], *s;
	const char *kv[2];
	size_t kvlen[2];
	int rc = -1;

	if (gw_key(gw, key, sizeof(key), "s:status", NULL) == -1 ||
	    (s = np_json_dump(msg, &kvlen[1])) == NULL)
		return -1;
	kv[0] = "msg";
	kvlen[0] = 3;
	kv[1] = s;
	rc = np_stream_add(gw->redis, key, 0, cb, arg, 1, kv, kvlen);
	free(s);
	return rc;
}

void
gw_status_link(struct gw *gw, long u, int up)
{
	const char *id = gw->city->units[u].id;
	char key[256];
	const char *argv[4] = { "HSET", key, "link", up ? "up" : "down" };
	json_t *msg = radio_status_msg(id, up ? "online" : "offline", NULL,
	    NULL, NULL, NULL);
	struct fire *f;

	if ((f = fire_new(gw, "unit.status online/offline")) != NULL &&
	    status_add(gw, msg, fire_reply, f) == 0) {
		gw->pending++;
		gw->stats.statuses++;
	} else {
		free(f);
		log_warnx("unit %s %s: not written to s:status (Redis down)",
		    id, up ? "online" : "offline");
	}
	gw_publish(gw, "unit.status", msg, 0, 1);
	json_decref(msg);
	if (gw_key(gw, key, sizeof(key), "unit", id) == 0)
		(void)gw_redis_fire(gw, "HSET unit link", 4, argv);
}

/*
 * Redis is (back) up: every unit on the air is reported online again.  A
 * login while Redis was away wrote its online to s:status nowhere, and the
 * commander, which had made the unit unreachable meanwhile, would never
 * hear of it (the commander's online is idempotent).
 */
static void
status_on_redis(struct np_redis *r, int connected, void *arg)
{
	struct gw *gw = arg;
	size_t u, n = 0;

	(void)r;
	if (!connected)
		return;
	for (u = 0; u < gw->city->nunits; u++)
		if (gw->units[u].conn != NULL) {
			gw_status_link(gw, (long)u, 1);
			n++;
		}
	if (n > 0)
		log_info("Redis is back: %zu unit(s) on the air reported "
		    "online again", n);
}

int
gw_status_start(struct gw *gw)
{
	return np_redis_watch(gw->redis, status_on_redis, gw);
}
