/*
 * api.c: the Redis-backed routes.  Each is one read-only Lua script
 * (state.lua, sla.lua) whose cjson answer is joined with the city by the
 * pure code in state.c / sla.c.  The unit ids and SLA scopes, fixed by
 * the city files, are made into script arguments once at start.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "dashboard.h"
#include "np_http.h"
#include "np_json.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_time.h"

extern const char dashboard_state_lua[];
extern const char dashboard_sla_lua[];

static struct np_redis_script state_script = { "state", dashboard_state_lua,
    "" };
static struct np_redis_script sla_script = { "sla", dashboard_sla_lua, "" };

struct api_call {
	struct dashboard	*d;
	struct np_http_req	*req;
	char			 window[8];
	char			 bucket[16];
	int			 sla;
};

static void
unavailable(struct dashboard *d, struct np_http_req *req)
{
	d->stats.redis_errors++;
	np_http_add_header(req, "Retry-After", "1");
	np_http_error(req, 503, "store_unavailable", NULL, "Redis is "
	    "unreachable or refused the read; see the dashboard log");
}

static void
on_reply(struct np_redis *r, struct redisReply *reply, void *arg)
{
	struct api_call *c = arg;
	json_t *raw, *out;

	(void)r;
	if (reply == NULL || reply->type != REDIS_REPLY_STRING ||
	    (raw = json_loadb(reply->str, reply->len, 0, NULL)) == NULL) {
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
			log_warnx("%s.lua: %s", c->sla ? "sla" : "state",
			    reply->str);
		unavailable(c->d, c->req);
		free(c);
		return;
	}
	if (c->sla)
		out = dash_sla_build(c->window, c->bucket, raw);
	else
		out = dash_state_build(&c->d->view, raw, np_now_ms());
	json_decref(raw);
	np_http_add_header(c->req, "Cache-Control", "no-store");
	if (out == NULL)
		np_http_error(c->req, 500, "internal", NULL, "out of memory");
	else
		np_http_reply_json(c->req, 200, out);
	free(c);
}

/* argv: prefix, then fixed args, then the strings of list. */
static void
run(struct api_call *c, struct np_redis_script *s, int nkeys,
    const char **fixed, int nfixed, json_t *list)
{
	size_t n = (size_t)nfixed + json_array_size(list), i;
	const char **argv;
	size_t *lens;

	argv = calloc(n, sizeof(*argv));
	lens = calloc(n, sizeof(*lens));
	if (argv == NULL || lens == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		argv[i] = i < (size_t)nfixed ? fixed[i] :
		    json_string_value(json_array_get(list, i - nfixed));
		lens[i] = strlen(argv[i]);
	}
	if (np_redis_eval(c->d->redis, s, on_reply, c, nkeys, (int)n, argv,
	    lens) == -1)
		goto fail;
	free(argv);
	free(lens);
	return;
fail:
	free(argv);
	free(lens);
	unavailable(c->d, c->req);
	free(c);
}

void
dash_api_state(struct np_http_req *req, void *arg)
{
	struct dashboard *d = arg;
	struct api_call *c;
	char open[160], esc[160], maxi[16], maxe[16];
	const char *fixed[5];

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		unavailable(d, req);
		return;
	}
	c->d = d;
	c->req = req;
	np_svc_key(&d->svc, open, sizeof(open), "open:t0");
	np_svc_key(&d->svc, esc, sizeof(esc), "s:escalations");
	snprintf(maxi, sizeof(maxi), "%d", d->conf.max_incidents);
	snprintf(maxe, sizeof(maxe), "%d", 4 * d->conf.max_escalations);
	fixed[0] = open;
	fixed[1] = esc;
	fixed[2] = d->svc.keys;
	fixed[3] = maxi;
	fixed[4] = maxe;
	run(c, &state_script, 2, fixed, 5, d->unit_ids);
}

void
dash_api_sla(struct np_http_req *req, void *arg)
{
	struct dashboard *d = arg;
	const char *w = np_http_query(req, "window"), *fixed[2];
	struct api_call *c;

	if (w == NULL)
		w = "hour";
	if (strcmp(w, "hour") != 0 && strcmp(w, "day") != 0) {
		np_http_error(req, 400, "bad_window", "window", "window must "
		    "be \"hour\" or \"day\"");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		unavailable(d, req);
		return;
	}
	c->d = d;
	c->req = req;
	c->sla = 1;
	snprintf(c->window, sizeof(c->window), "%s", w);
	dash_sla_bucket(w, np_now_ms(), c->bucket, sizeof(c->bucket));
	fixed[0] = d->svc.keys;
	fixed[1] = c->bucket;
	run(c, &sla_script, 0, fixed, 2, d->scopes);
}

void
dash_api_init(struct dashboard *d)
{
	size_t i;

	d->unit_ids = json_array();
	for (i = 0; i < d->city->nunits; i++)
		json_array_append_new(d->unit_ids,
		    json_string(d->city->units[i].id));
	d->scopes = dash_sla_scopes(d->city);
	d->view = (struct dash_view){ d->city, &d->plans, { 0, 0, 0 },
	    (size_t)d->conf.max_escalations };
	memcpy(d->view.mark_s, d->conf.mark_s, sizeof(d->view.mark_s));
}
