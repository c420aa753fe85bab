/*
 * events.c: the event bus to the browsers.  The dashboard binds the SUB
 * side of bus.events (every service's PUB connects to it) and writes
 * each frame to every SSE client as "event: <topic>\ndata: <json>\n\n".
 * A client whose unsent bytes pass np_http's bound (1 MiB) is dropped:
 * a slow browser costs its own feed, never the others' or the bus.
 * A ":" comment every dashboard.heartbeat_ms keeps proxies and idle
 * timeouts from closing quiet streams.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dashboard.h"
#include "np_bus.h"
#include "np_http.h"
#include "np_log.h"
#include "np_time.h"

static void
client_drop(struct dashboard *d, struct dash_client *c, int end)
{
	TAILQ_REMOVE(&d->clients, c, entry);
	d->nclients--;
	if (end)
		np_http_stream_end(c->req);
	free(c);
}

static void
broadcast(struct dashboard *d, const char *buf, size_t len, int count)
{
	struct dash_client *c, *next;

	for (c = TAILQ_FIRST(&d->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (np_http_stream_write(c->req, buf, len) == -1) {
			log_info("dropping a slow or gone SSE client");
			d->stats.dropped++;
			client_drop(d, c, 1);
		} else if (count)
			d->stats.forwarded++;
	}
}

static void
on_frame(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	struct dashboard *d = arg;
	const char *topic, *data;
	size_t tlen, dlen, n;
	char *frame;

	(void)s;
	d->stats.frames++;
	if (np_bus_split(msg, len, &topic, &tlen, &data, &dlen) == -1 ||
	    (frame = dash_sse_frame(topic, tlen, data, dlen, &n)) == NULL) {
		d->stats.bad_frames++;
		log_debug("malformed bus frame (%zu bytes) ignored", len);
		return;
	}
	broadcast(d, frame, n, 1);
	free(frame);
}

static void
on_beat(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	broadcast(arg, ":\n\n", 3, 0);
}

static void
on_close(struct np_http_req *req, void *arg)
{
	struct dashboard *d = arg;
	struct dash_client *c;

	TAILQ_FOREACH(c, &d->clients, entry)
		if (c->req == req) {
			client_drop(d, c, 0);
			return;
		}
}

void
dash_events_serve(struct dashboard *d, struct np_http_req *req)
{
	struct dash_client *c;
	static const char hello[] = "retry: 2000\n: nearpost events\n\n";

	if (d->nclients >= (size_t)d->conf.max_clients ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		d->stats.refused++;
		np_http_add_header(req, "Retry-After", "5");
		np_http_error(req, 503, "too_many_clients", NULL, "%zu event "
		    "streams are open (dashboard.max_clients)", d->nclients);
		return;
	}
	c->req = req;
	TAILQ_INSERT_TAIL(&d->clients, c, entry);
	d->nclients++;
	np_http_add_header(req, "Cache-Control", "no-cache");
	np_http_add_header(req, "X-Accel-Buffering", "no");
	np_http_stream_begin(req, 200, "text/event-stream", on_close, d);
	if (np_http_stream_write(req, hello, sizeof(hello) - 1) == -1)
		client_drop(d, c, 1);
}

int
dash_events_start(struct dashboard *d)
{
	char ep[NP_SVC_ENDPOINT_MAX];
	struct timeval tv;

	TAILQ_INIT(&d->clients);
	np_svc_endpoint(&d->svc, d->conf.bus.events, "events", ep,
	    sizeof(ep));
	if ((d->sub = np_sock_new(d->svc.base, NP_SOCK_SUB, ep, 1, on_frame,
	    d)) == NULL || np_bus_subscribe(d->sub, "") == -1) {
		log_warnx("cannot bind the event bus at %s", ep);
		return -1;
	}
	log_info("event bus bound at %s", ep);
	if ((d->ev_beat = event_new(d->svc.base, -1, EV_PERSIST, on_beat,
	    d)) == NULL)
		return -1;
	tv = np_tv_ms(d->conf.heartbeat_ms);
	return event_add(d->ev_beat, &tv);
}

/* End every stream (drain); the bus stays until the end. */
void
dash_events_stop(struct dashboard *d)
{
	while (!TAILQ_EMPTY(&d->clients))
		client_drop(d, TAILQ_FIRST(&d->clients), 1);
	if (d->ev_beat != NULL) {
		event_free(d->ev_beat);
		d->ev_beat = NULL;
	}
}
