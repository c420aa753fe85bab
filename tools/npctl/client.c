/*
 * client.c: one request at a time, each on its own short-lived libevent
 * loop -- npctl is a command, not a daemon, so simplicity wins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "np_bus.h"
#include "np_json.h"
#include "npctl.h"

struct http_done {
	struct event_base	*base;
	int			 status;
	json_t			*answer;
	int			 failed;
};

static void
on_http(struct evhttp_request *req, void *arg)
{
	struct http_done *d = arg;
	struct evbuffer *in;
	struct np_jerr e;
	size_t len;

	/* the connection stays open (keep-alive): stop the loop ourselves */
	event_base_loopbreak(d->base);
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		d->failed = 1;
		return;
	}
	d->status = evhttp_request_get_response_code(req);
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	if (len > 0)
		d->answer = np_json_parse((const char *)evbuffer_pullup(in, -1),
		    len, &e);
}

int
npctl_http(const struct npctl *ctl, const char *method, const char *path,
    const json_t *body, const char *idem_key, int *status, json_t **answer)
{
	return npctl_http_at(ctl, ctl->intake, method, path, body, idem_key,
	    status, answer);
}

int
npctl_http_at(const struct npctl *ctl, const char *base_url,
    const char *method, const char *path, const json_t *body,
    const char *idem_key, int *status, json_t **answer)
{
	struct evhttp_uri *uri = evhttp_uri_parse(base_url);
	struct event_base *base = event_base_new();
	struct http_done d = { base, 0, NULL, 0 };
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req;
	struct evkeyvalq *h;
	enum evhttp_cmd_type cmd;
	char hostport[300], auth[600], *s;
	size_t len;
	int port;

	if (uri == NULL || evhttp_uri_get_host(uri) == NULL || base == NULL) {
		fprintf(stderr, "npctl: bad URL %s\n", base_url);
		goto fail;
	}
	port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : 80;
	conn = evhttp_connection_base_new(base, NULL,
	    evhttp_uri_get_host(uri), (unsigned short)port);
	evhttp_connection_set_timeout(conn, (ctl->timeout_ms + 999) / 1000);
	req = evhttp_request_new(on_http, &d);
	h = evhttp_request_get_output_headers(req);
	snprintf(hostport, sizeof(hostport), "%s:%d", evhttp_uri_get_host(uri),
	    port);
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Accept", "application/json");
	if (idem_key != NULL)
		evhttp_add_header(h, "Idempotency-Key", idem_key);
	if (ctl->token != NULL) {
		snprintf(auth, sizeof(auth), "Bearer %s", ctl->token);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (body != NULL) {
		if ((s = np_json_dump(body, &len)) == NULL)
			goto fail;
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), s, len);
		free(s);
	}
	cmd = strcmp(method, "POST") == 0 ? EVHTTP_REQ_POST : EVHTTP_REQ_GET;
	if (evhttp_make_request(conn, req, cmd, path) == -1)
		goto fail;
	event_base_dispatch(base);
	if (d.failed) {
		fprintf(stderr, "npctl: %s did not answer\n", base_url);
		goto fail;
	}
	*status = d.status;
	*answer = d.answer;
	evhttp_connection_free(conn);
	event_base_free(base);
	evhttp_uri_free(uri);
	return 0;
fail:
	json_decref(d.answer);
	if (conn != NULL)
		evhttp_connection_free(conn);
	if (base != NULL)
		event_base_free(base);
	if (uri != NULL)
		evhttp_uri_free(uri);
	return -1;
}

struct query_done {
	struct event_base	*base;
	json_t			*answer;
	int			 done;
};

static void
on_reply(const char *reply, size_t len, void *arg)
{
	struct query_done *q = arg;
	struct np_jerr e;

	q->done = 1;
	if (reply != NULL && (q->answer = np_json_parse(reply, len, &e)) ==
	    NULL)
		fprintf(stderr, "npctl: the router answered badly: %s\n",
		    e.msg);
	event_base_loopbreak(q->base);
}

json_t *
npctl_query(const struct npctl *ctl, const json_t *query)
{
	struct query_done q = { NULL, NULL, 0 };
	struct np_req *req = NULL;
	char *s = NULL;
	size_t len;

	if ((q.base = event_base_new()) == NULL ||
	    (req = np_req_new(q.base, ctl->router, 1)) == NULL ||
	    (s = np_json_dump(query, &len)) == NULL)
		goto out;
	if (np_req_send(req, s, len, ctl->timeout_ms, on_reply, &q) == -1) {
		fprintf(stderr, "npctl: query not sent: %s\n", strerror(errno));
		goto out;
	}
	while (!q.done)
		event_base_loop(q.base, EVLOOP_ONCE);
	if (q.answer == NULL)
		fprintf(stderr, "npctl: the router at %s did not answer\n",
		    ctl->router);
out:
	free(s);
	np_req_free(req);
	if (q.base != NULL)
		event_base_free(q.base);
	return q.answer;
}
