/*
 * np_http_limit: per-source limits of the HTTP server (see np_http.h):
 * connections open at once from one address, and a token bucket of
 * requests per address.  Also the limits' settings table, shared by the
 * services with an HTTP API.
 *
 * A source is the peer's IP address without its port.  Sources live in
 * a chained hash table; an entry is kept while it has connections, and
 * afterwards for its bucket's memory until the table is full, when the
 * entries without connections are swept (refilled buckets first, then
 * the rest).  Entries with connections are at most max_conns, so the
 * table (max_conns + NP_HTTP_SRC_SLACK entries) never refuses a source.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_http_int.h"
#include "np_time.h"

#define NP_HTTP_SRC_SLACK	4096
#define NP_HTTP_SRC_BUCKETS	1024

struct np_http_src {
	struct np_http_src	*next;
	int			 conns;
	double			 tokens;
	int64_t			 at;	/* np_mono_ms of tokens */
	char			 addr[NP_HTTP_ADDR_MAX];
};

static size_t
src_hash(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % NP_HTTP_SRC_BUCKETS;
}

static void
src_refill(const struct np_http_conf *conf, struct np_http_src *s,
    int64_t now)
{
	if (now > s->at) {
		s->tokens += (double)(now - s->at) * conf->rate_per_source /
		    1000.0;
		if (s->tokens > conf->rate_burst)
			s->tokens = conf->rate_burst;
	}
	s->at = now;
}

/* Free the idle entries: those whose bucket is full, or all (all = 1). */
static void
src_sweep(struct np_http *srv, int all)
{
	struct np_http_src **pp, *s;
	int64_t now = np_mono_ms();

	for (size_t i = 0; i < NP_HTTP_SRC_BUCKETS; i++) {
		for (pp = &srv->srcs[i]; (s = *pp) != NULL;) {
			if (s->conns == 0 && srv->conf.rate_per_source > 0)
				src_refill(&srv->conf, s, now);
			if (s->conns == 0 && (all || srv->conf.rate_per_source
			    <= 0 || s->tokens >= srv->conf.rate_burst)) {
				*pp = s->next;
				free(s);
				srv->nsrcs--;
			} else
				pp = &s->next;
		}
	}
}

struct np_http_src *
np_http_src_get(struct np_http *srv, const char *addr)
{
	struct np_http_src *s;
	size_t h;

	if (srv->srcs == NULL && (srv->srcs = calloc(NP_HTTP_SRC_BUCKETS,
	    sizeof(*srv->srcs))) == NULL)
		return NULL;
	h = src_hash(addr);
	for (s = srv->srcs[h]; s != NULL; s = s->next)
		if (strcmp(s->addr, addr) == 0)
			return s;
	if (srv->nsrcs >= (size_t)srv->conf.max_conns + NP_HTTP_SRC_SLACK) {
		src_sweep(srv, 0);
		if (srv->nsrcs >= (size_t)srv->conf.max_conns +
		    NP_HTTP_SRC_SLACK)
			src_sweep(srv, 1);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	s->tokens = srv->conf.rate_burst;
	s->at = np_mono_ms();
	s->next = srv->srcs[h];
	srv->srcs[h] = s;
	srv->nsrcs++;
	return s;
}

int
np_http_src_full(const struct np_http *srv, const struct np_http_src *s)
{
	return s != NULL && srv->conf.max_conns_per_source > 0 &&
	    s->conns >= srv->conf.max_conns_per_source;
}

void
np_http_src_hold(struct np_http_src *s, int delta)
{
	if (s != NULL)
		s->conns += delta;
}

int
np_http_src_take(struct np_http *srv, struct np_http_src *s)
{
	double wait;

	if (s == NULL || srv->conf.rate_per_source <= 0)
		return 0;
	src_refill(&srv->conf, s, np_mono_ms());
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
		return 0;
	}
	wait = (1.0 - s->tokens) / srv->conf.rate_per_source;
	return wait < 1.0 ? 1 : (int)wait + 1;
}

void
np_http_srcs_free(struct np_http *srv)
{
	struct np_http_src *s, *next;

	if (srv->srcs == NULL)
		return;
	for (size_t i = 0; i < NP_HTTP_SRC_BUCKETS; i++)
		for (s = srv->srcs[i]; s != NULL; s = next) {
			next = s->next;
			free(s);
		}
	free(srv->srcs);
	srv->srcs = NULL;
	srv->nsrcs = 0;
}

/* The settings: "<prefix>.max_conns_per_source" and so on. */
static const struct {
	const char		*name;
	enum np_conf_type	 type;
	double			 min, max;
	size_t			 off;
	const char		*help;
} limit_items[NP_HTTP_LIMIT_ITEMS] = {
	{ "max_header_bytes", NP_CONF_INT, 1024, 1048576,
	  offsetof(struct np_http_limit_conf, max_header_bytes),
	  "largest request line + headers (bytes; over: 431)" },
	{ "max_conns_per_source", NP_CONF_INT, 0, 100000,
	  offsetof(struct np_http_limit_conf, max_conns_per_source),
	  "most connections at once from one address (0: no limit; over: "
	  "429 and close)" },
	{ "rate_per_source", NP_CONF_DOUBLE, 0, 1e6,
	  offsetof(struct np_http_limit_conf, rate_per_source),
	  "requests per second one address may make on average (0: no "
	  "limit; over: 429 with Retry-After)" },
	{ "rate_burst", NP_CONF_INT, 1, 1000000,
	  offsetof(struct np_http_limit_conf, rate_burst),
	  "requests one address may make at once above the rate" },
};

struct np_conf_table
np_http_limit_items(struct np_http_limit_conf *c, const char *prefix,
    const struct np_http_limit_conf *def)
{
	const int *ints[NP_HTTP_LIMIT_ITEMS] = { &def->max_header_bytes,
	    &def->max_conns_per_source, NULL, &def->rate_burst };

	for (int i = 0; i < NP_HTTP_LIMIT_ITEMS; i++) {
		snprintf(c->keys[i], sizeof(c->keys[i]), "%s.%s", prefix,
		    limit_items[i].name);
		if (ints[i] != NULL)
			snprintf(c->defs[i], sizeof(c->defs[i]), "%d", *ints[i]);
		else
			snprintf(c->defs[i], sizeof(c->defs[i]), "%g",
			    def->rate_per_source);
		c->items[i] = (struct np_conf_item){ c->keys[i],
		    limit_items[i].type, c->defs[i], limit_items[i].min,
		    limit_items[i].max, limit_items[i].off,
		    limit_items[i].help };
	}
	return (struct np_conf_table){ c->items, NP_HTTP_LIMIT_ITEMS, c };
}

void
np_http_limit_apply(struct np_http_conf *hc,
    const struct np_http_limit_conf *c)
{
	hc->max_header_bytes = (size_t)c->max_header_bytes;
	hc->max_conns_per_source = c->max_conns_per_source;
	hc->rate_per_source = c->rate_per_source;
	hc->rate_burst = c->rate_burst;
}
