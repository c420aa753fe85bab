/*
 * np_redis: a reconnecting hiredis async connection (see np_redis.h).
 *
 * State machine, driven by hiredis callbacks and two timers:
 *
 *   DOWN --retry timer--> CONNECTING --onConnect--> HANDSHAKE --PONG--> UP
 *     ^                        |                        |                |
 *     +------ back-off <-------+-- fail / watchdog -----+-- disconnect --+
 *
 * hiredis owns the redisAsyncContext: after a failed connect it frees the
 * context once onConnect(REDIS_ERR) returns (no onDisconnect, the context
 * never connected); after a connected context is lost or freed it first
 * answers every pending callback with NULL, then calls onDisconnect, then
 * frees it.  So r->ac is cleared in exactly those two callbacks (or right
 * here when we free a context that never connected) and never touched
 * afterwards.  To drop a connected context we call redisAsyncFree, never
 * redisAsyncDisconnect: the latter waits for pending replies, which a
 * half-open connection never sends.
 *
 * Our own callbacks (user replies, state listeners) may call np_redis_free.
 * r->depth counts them on the stack; np_redis_free then only marks the
 * connection dying, and whichever frame is last out (a user callback
 * wrapper or onDisconnect) releases the struct.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "np_log.h"
#include "np_redis_ev.h"
#include "np_time.h"
#include "np_redis.h"

#define NP_REDIS_EVAL_MAX_BYTES	(8 * 1024 * 1024)

enum np_redis_state {
	NP_REDIS_DOWN,
	NP_REDIS_CONNECTING,
	NP_REDIS_HANDSHAKE,
	NP_REDIS_UP,
};

struct np_redis_watch {
	np_redis_state_cb	*cb;
	void			*arg;
};

struct np_redis {
	struct event_base	*base;
	char			*name;
	char			*host;
	char			*user;
	char			*password;
	int			 port;
	int			 backoff_min;
	int			 backoff_max;
	int			 ping_ms;
	int			 max_pending;

	redisAsyncContext	*ac;		/* NULL while DOWN */
	enum np_redis_state	 state;
	int			 backoff;	/* next retry delay, ms */
	int			 ping_out;	/* PING sent, no PONG yet */
	int			 pending;	/* user commands outstanding */
	int			 depth;		/* user callbacks on the stack */
	int			 dying;
	int			 ever_up;
	unsigned long		 reconnects;
	struct event		*retry_ev;
	struct event		*tick_ev;
	struct np_redis_watch	 owner;
	struct np_redis_watch	 watch[NP_REDIS_MAX_WATCH];
};

/* One accepted command; for EVALSHA it keeps a copy for the EVAL retry. */
struct np_redis_req {
	struct np_redis		*r;
	np_redis_cb		*cb;
	void			*arg;
	struct np_redis_script	*script;	/* EVALSHA that may need EVAL */
	int			 argc;
	const char		**argv;
	size_t			*argvlen;
};

static void	redis_connect(struct np_redis *);
static void	redis_lost(struct np_redis *);

void
np_redis_conf_defaults(struct np_redis_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->host = "127.0.0.1";
	conf->port = 6379;
	conf->backoff_min_ms = 100;
	conf->backoff_max_ms = 5000;
	conf->ping_interval_ms = 2000;
	conf->max_pending = 10000;
}

static void
redis_destroy(struct np_redis *r)
{
	event_free(r->retry_ev);
	event_free(r->tick_ev);
	free(r->name);
	free(r->host);
	free(r->user);
	free(r->password);
	free(r);
}

/*
 * After running user code: 1 when the connection is dying (the caller must
 * not touch it any more); the last frame out releases it.
 */
static int
redis_settle(struct np_redis *r)
{
	if (!r->dying)
		return 0;
	if (r->depth == 0 && r->ac == NULL)
		redis_destroy(r);
	return 1;
}

static void
redis_notify(struct np_redis *r, int up)
{
	struct np_redis_watch w;
	int i;

	r->depth++;
	if (r->owner.cb != NULL)
		r->owner.cb(r, up, r->owner.arg);
	for (i = 0; i < NP_REDIS_MAX_WATCH && !r->dying; i++) {
		w = r->watch[i];
		if (w.cb != NULL)
			w.cb(r, up, w.arg);
	}
	r->depth--;
}

/* Drop the current context; the lost path schedules the retry. */
static void
redis_drop(struct np_redis *r, const char *why)
{
	redisAsyncContext *ac = r->ac;

	if (ac == NULL)
		return;
	log_warnx("redis %s: dropping connection: %s", r->name, why);
	if (ac->c.flags & REDIS_CONNECTED) {
		/* onDisconnect follows, now or when the current callback returns */
		redisAsyncFree(ac);
		return;
	}
	r->ac = NULL;
	redisAsyncFree(ac);
	redis_lost(r);
}

static void
redis_lost(struct np_redis *r)
{
	struct timeval tv;
	int was_up = r->state == NP_REDIS_UP;

	r->state = NP_REDIS_DOWN;
	r->ping_out = 0;
	event_del(r->tick_ev);
	tv = np_tv_ms(r->backoff);
	evtimer_add(r->retry_ev, &tv);
	if (r->backoff < r->backoff_max)
		r->backoff = r->backoff > r->backoff_max / 2 ?
		    r->backoff_max : r->backoff * 2;
	if (was_up) {
		log_warnx("redis %s: connection to %s:%d lost", r->name,
		    r->host, r->port);
		redis_notify(r, 0);
		(void)redis_settle(r);
	}
}

static void
redis_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct np_redis *r = ac->data;

	if (r == NULL || r->ac != ac)
		return;
	r->ac = NULL;
	if (r->dying) {
		(void)redis_settle(r);
		return;
	}
	if (status != REDIS_OK && ac->errstr != NULL)
		log_debug("redis %s: %s", r->name, ac->errstr);
	redis_lost(r);
}

static void
redis_on_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct np_redis *r = privdata;
	redisReply *rep = reply;

	if (rep == NULL || r->dying || r->state != NP_REDIS_HANDSHAKE)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		log_warnx("redis %s: AUTH as user %s refused by %s:%d: %s "
		    "(check redis.user and redis.password); retrying", r->name,
		    r->user != NULL ? r->user : "default", r->host, r->port,
		    rep->str);
		redis_drop(r, "AUTH refused");
	}
}

static void
redis_on_hello(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct np_redis *r = privdata;
	redisReply *rep = reply;

	if (rep == NULL || r->dying || r->state != NP_REDIS_HANDSHAKE)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		/* LOADING after a restart, NOAUTH, ...: retry with back-off */
		log_warnx("redis %s: not ready: %s%s", r->name, rep->str,
		    strncmp(rep->str, "NOAUTH", 6) == 0 ? " (Redis wants a "
		    "login: set redis.user and redis.password)" : "");
		redis_drop(r, "handshake failed");
		return;
	}
	r->state = NP_REDIS_UP;
	r->backoff = r->backoff_min;
	r->ping_out = 0;
	if (r->ever_up)
		r->reconnects++;
	r->ever_up = 1;
	log_info("redis %s: connected to %s:%d", r->name, r->host, r->port);
	redis_notify(r, 1);
	(void)redis_settle(r);
}

static void
redis_on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct np_redis *r = ac->data;
	int rc = REDIS_OK;

	if (r == NULL || r->ac != ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees ac when we return; no onDisconnect follows */
		log_debug("redis %s: connect to %s:%d failed: %s", r->name,
		    r->host, r->port, ac->errstr ? ac->errstr : "?");
		r->ac = NULL;
		redis_lost(r);
		return;
	}
	r->state = NP_REDIS_HANDSHAKE;
	if (r->password != NULL && r->user != NULL)
		rc = redisAsyncCommand(ac, redis_on_auth, r, "AUTH %s %s",
		    r->user, r->password);
	else if (r->password != NULL)
		rc = redisAsyncCommand(ac, redis_on_auth, r, "AUTH %s",
		    r->password);
	if (rc == REDIS_OK)
		rc = redisAsyncCommand(ac, redis_on_hello, r, "PING");
	if (rc != REDIS_OK)
		redis_drop(r, "cannot send handshake");
}

static void
redis_on_pong(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct np_redis *r = privdata;

	/* any answer, even an error, proves the connection alive */
	if (reply != NULL)
		r->ping_out = 0;
}

/* Watchdog: connect/handshake or PING unanswered for a full tick = drop. */
static void
redis_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct np_redis *r = arg;

	switch (r->state) {
	case NP_REDIS_CONNECTING:
	case NP_REDIS_HANDSHAKE:
		redis_drop(r, "connect timed out");
		break;
	case NP_REDIS_UP:
		if (r->ping_out) {
			redis_drop(r, "no PONG within the ping interval");
			break;
		}
		if (redisAsyncCommand(r->ac, redis_on_pong, r, "PING") ==
		    REDIS_OK)
			r->ping_out = 1;
		break;
	case NP_REDIS_DOWN:
		break;
	}
}

static void
redis_retry(evutil_socket_t fd, short ev, void *arg)
{
	redis_connect(arg);
}

static void
redis_connect(struct np_redis *r)
{
	struct timeval tv = np_tv_ms(r->ping_ms);
	redisAsyncContext *ac;

	ac = redisAsyncConnect(r->host, r->port);
	if (ac == NULL || ac->err) {
		log_debug("redis %s: connect to %s:%d failed: %s", r->name,
		    r->host, r->port, ac ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		redis_lost(r);
		return;
	}
	ac->data = r;
	(void)redisEnableKeepAlive(&ac->c);
	if (np_redis_ev_attach(ac, r->base) != REDIS_OK) {
		redisAsyncFree(ac);
		redis_lost(r);
		return;
	}
	redisAsyncSetConnectCallback(ac, redis_on_connect);
	redisAsyncSetDisconnectCallback(ac, redis_on_disconnect);
	r->ac = ac;
	r->state = NP_REDIS_CONNECTING;
	r->ping_out = 0;
	event_add(r->tick_ev, &tv);
}

static char *
dup_or_null(const char *s, int empty_is_null)
{
	if (s == NULL || (empty_is_null && *s == '\0'))
		return NULL;
	return strdup(s);
}

struct np_redis *
np_redis_new(struct event_base *base, const struct np_redis_conf *conf,
    const char *name)
{
	struct np_redis_conf def;
	struct np_redis *r;

	np_redis_conf_defaults(&def);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->base = base;
	r->port = conf->port > 0 ? conf->port : def.port;
	r->backoff_min = conf->backoff_min_ms > 0 ? conf->backoff_min_ms :
	    def.backoff_min_ms;
	r->backoff_max = conf->backoff_max_ms > 0 ? conf->backoff_max_ms :
	    def.backoff_max_ms;
	if (r->backoff_max < r->backoff_min)
		r->backoff_max = r->backoff_min;
	r->ping_ms = conf->ping_interval_ms > 0 ? conf->ping_interval_ms :
	    def.ping_interval_ms;
	r->max_pending = conf->max_pending > 0 ? conf->max_pending :
	    def.max_pending;
	r->backoff = r->backoff_min;
	r->name = strdup(name != NULL ? name : "redis");
	r->host = strdup(conf->host != NULL ? conf->host : def.host);
	r->user = dup_or_null(conf->user, 1);
	r->password = dup_or_null(conf->password, 1);
	r->retry_ev = evtimer_new(base, redis_retry, r);
	r->tick_ev = event_new(base, -1, EV_PERSIST, redis_tick, r);
	if (r->name == NULL || r->host == NULL || r->retry_ev == NULL ||
	    r->tick_ev == NULL || (conf->user && *conf->user && !r->user) ||
	    (conf->password && *conf->password && !r->password))
		goto fail;
	redis_connect(r);
	return r;
fail:
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	if (r->tick_ev != NULL)
		event_free(r->tick_ev);
	r->retry_ev = r->tick_ev = NULL;
	free(r->name);
	free(r->host);
	free(r->user);
	free(r->password);
	free(r);
	return NULL;
}

void
np_redis_free(struct np_redis *r)
{
	redisAsyncContext *ac;

	if (r == NULL || r->dying)
		return;
	r->dying = 1;
	r->state = NP_REDIS_DOWN;
	event_del(r->retry_ev);
	event_del(r->tick_ev);
	if ((ac = r->ac) != NULL) {
		if (ac->c.flags & REDIS_IN_CALLBACK) {
			/* hiredis frees it when the callback returns */
			redisAsyncFree(ac);
			return;
		}
		/* pending callbacks get NULL now; depth keeps r alive */
		r->depth++;
		redisAsyncFree(ac);
		r->depth--;
		r->ac = NULL;
	}
	(void)redis_settle(r);
}

int
np_redis_connected(const struct np_redis *r)
{
	return r->state == NP_REDIS_UP && r->ac != NULL &&
	    !(r->ac->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING));
}

const char *
np_redis_name(const struct np_redis *r)
{
	return r->name;
}

unsigned long
np_redis_reconnects(const struct np_redis *r)
{
	return r->reconnects;
}

void
np_redis_set_state_cb(struct np_redis *r, np_redis_state_cb *cb, void *arg)
{
	r->owner.cb = cb;
	r->owner.arg = arg;
}

int
np_redis_watch(struct np_redis *r, np_redis_state_cb *cb, void *arg)
{
	int i;

	for (i = 0; i < NP_REDIS_MAX_WATCH; i++)
		if (r->watch[i].cb == NULL) {
			r->watch[i].cb = cb;
			r->watch[i].arg = arg;
			return 0;
		}
	log_warnx("redis %s: too many state listeners", r->name);
	return -1;
}

void
np_redis_unwatch(struct np_redis *r, np_redis_state_cb *cb, void *arg)
{
	int i;

	for (i = 0; i < NP_REDIS_MAX_WATCH; i++)
		if (r->watch[i].cb == cb && r->watch[i].arg == arg) {
			r->watch[i].cb = NULL;
			r->watch[i].arg = NULL;
		}
}

static void
redis_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct np_redis_req *req = privdata;
	struct np_redis *r = req->r;
	redisReply *rep = reply;

	if (req->script != NULL && rep != NULL &&
	    rep->type == REDIS_REPLY_ERROR &&
	    strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		/* the script cache is empty (restart, SCRIPT FLUSH): EVAL */
		req->argv[0] = "EVAL";
		req->argvlen[0] = 4;
		req->argv[1] = req->script->body;
		req->argvlen[1] = strlen(req->script->body);
		req->script = NULL;
		if (redisAsyncCommandArgv(ac, redis_on_reply, req, req->argc,
		    req->argv, req->argvlen) == REDIS_OK)
			return;
		rep = NULL;
	}
	r->pending--;
	if (req->cb != NULL) {
		r->depth++;
		req->cb(r, rep, req->arg);
		r->depth--;
	}
	free(req);
	(void)redis_settle(r);
}

int
np_redis_cmd(struct np_redis *r, np_redis_cb *cb, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct np_redis_req *req;

	if (argc < 1 || !np_redis_connected(r) || r->pending >= r->max_pending)
		return -1;
	if ((req = calloc(1, sizeof(*req))) == NULL)
		return -1;
	req->r = r;
	req->cb = cb;
	req->arg = arg;
	if (redisAsyncCommandArgv(r->ac, redis_on_reply, req, argc, argv,
	    argvlen) != REDIS_OK) {
		free(req);
		return -1;
	}
	r->pending++;
	return 0;
}

int
np_redis_cmdf(struct np_redis *r, np_redis_cb *cb, void *arg,
    const char *fmt, ...)
{
	struct np_redis_req *req;
	va_list ap;
	int rc;

	if (!np_redis_connected(r) || r->pending >= r->max_pending)
		return -1;
	if ((req = calloc(1, sizeof(*req))) == NULL)
		return -1;
	req->r = r;
	req->cb = cb;
	req->arg = arg;
	va_start(ap, fmt);
	rc = redisvAsyncCommand(r->ac, redis_on_reply, req, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		free(req);
		return -1;
	}
	r->pending++;
	return 0;
}

static void
redis_on_script_load(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct np_redis_script *s = privdata;
	redisReply *rep = reply;

	if (rep != NULL && rep->type == REDIS_REPLY_STRING && rep->len == 40) {
		memcpy(s->sha, rep->str, 40);
		s->sha[40] = '\0';
	}
}

/* One allocation: the request, argv/argvlen, the nkeys digits, the args. */
static struct np_redis_req *
redis_eval_req(int nkeys, int argc, const char **argv, const size_t *argvlen)
{
	struct np_redis_req *req;
	size_t n = (size_t)argc + 3, bytes = 0, off;
	char *p;
	int i;

	for (i = 0; i < argc; i++) {
		if (argvlen[i] > NP_REDIS_EVAL_MAX_BYTES - bytes)
			return NULL;
		bytes += argvlen[i];
	}
	off = sizeof(*req) + n * (sizeof(char *) + sizeof(size_t));
	if ((req = calloc(1, off + 16 + bytes)) == NULL)
		return NULL;
	req->argc = (int)n;
	req->argv = (const char **)(req + 1);
	req->argvlen = (size_t *)(req->argv + n);
	p = (char *)req + off;
	req->argvlen[2] = (size_t)snprintf(p, 16, "%d", nkeys);
	req->argv[2] = p;
	p += 16;
	for (i = 0; i < argc; i++) {
		memcpy(p, argv[i], argvlen[i]);
		req->argv[3 + i] = p;
		req->argvlen[3 + i] = argvlen[i];
		p += argvlen[i];
	}
	return req;
}

int
np_redis_eval(struct np_redis *r, struct np_redis_script *s, np_redis_cb *cb,
    void *arg, int nkeys, int argc, const char **argv, const size_t *argvlen)
{
	struct np_redis_req *req;

	if (nkeys < 0 || argc < nkeys || argc > NP_REDIS_EVAL_MAX_ARGS ||
	    !np_redis_connected(r) || r->pending >= r->max_pending)
		return -1;
	if ((req = redis_eval_req(nkeys, argc, argv, argvlen)) == NULL) {
		log_warnx("redis %s: script %s: arguments too large", r->name,
		    s->name);
		return -1;
	}
	req->r = r;
	req->cb = cb;
	req->arg = arg;
	if (s->sha[0] == '\0') {
		/* first use: cache the SHA for next time, run this one as EVAL */
		(void)redisAsyncCommand(r->ac, redis_on_script_load, s,
		    "SCRIPT LOAD %s", s->body);
		req->argv[0] = "EVAL";
		req->argv[1] = s->body;
		req->argvlen[1] = strlen(s->body);
	} else {
		req->script = s;
		req->argv[0] = "EVALSHA";
		req->argv[1] = s->sha;
		req->argvlen[1] = strlen(s->sha);
	}
	req->argvlen[0] = strlen(req->argv[0]);
	if (redisAsyncCommandArgv(r->ac, redis_on_reply, req, req->argc,
	    req->argv, req->argvlen) != REDIS_OK) {
		free(req);
		return -1;
	}
	r->pending++;
	return 0;
}
