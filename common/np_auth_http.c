/*
 * np_auth_http: tokens on the HTTP side (see np_auth.h) -- the auth.*
 * settings, the token file on disk and its reload on SIGHUP, and the
 * 401/403 answers.
 *
 * Answers: 401 {"error":{"code":"unauthorized"|"invalid_token",...}} with
 * `WWW-Authenticate: Bearer realm="nearpost"` (plus error="invalid_token"
 * when a token was presented, RFC 6750 section 3); 403 "forbidden" naming
 * the role needed and the caller.  The message never echoes the token.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "np_auth.h"
#include "np_file.h"
#include "np_http.h"
#include "np_log.h"

#define OFF(f)		offsetof(struct np_auth_conf, f)

static const struct np_conf_item auth_items[] = {
	{ "auth.tokens", NP_CONF_STR, "", 0, 1024, OFF(tokens),
	  "token file: `<name> <role> <sha256 hex>` lines (empty: no "
	  "tokens, every route but /healthz answers 401); re-read on "
	  "SIGHUP" },
	{ "auth.metrics_loopback", NP_CONF_BOOL, "false", 0, 1,
	  OFF(metrics_loopback), "serve /metrics without a token to "
	  "clients on 127.0.0.0/8 and ::1 (else it needs an admin token)" },
};

struct np_conf_table
np_auth_items(struct np_auth_conf *c)
{
	return (struct np_conf_table){ auth_items,
	    sizeof(auth_items) / sizeof(auth_items[0]), c };
}

static int
auth_read(const char *path, struct np_auth_set *set, char *err,
    size_t errlen)
{
	struct stat st;
	size_t len;
	char *text;
	int rv;

	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: writable by group or others: anyone "
		    "could add a token (chmod 600)", path);
		return -1;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH))
		log_warnx("%s is readable by group or others; it holds only "
		    "hashes, but chmod 600 is better", path);
	if ((text = np_file_read(path, NP_AUTH_FILE_MAX, &len, err,
	    errlen)) == NULL)
		return -1;
	rv = np_auth_parse(set, text, len, path, err, errlen);
	free(text);
	return rv;
}

int
np_auth_init(struct np_auth *a, const struct np_auth_conf *conf,
    char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->metrics_loopback = conf->metrics_loopback;
	if (conf->tokens == NULL || conf->tokens[0] == '\0') {
		log_warnx("auth.tokens is not set: every route but /healthz "
		    "answers 401");
		return 0;
	}
	if ((a->path = strdup(conf->tokens)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (auth_read(a->path, &a->set, err, errlen) == -1)
		return -1;
	log_info("%zu tokens from %s", a->set.n, a->path);
	return 0;
}

int
np_auth_reload(struct np_auth *a)
{
	struct np_auth_set set;
	char err[512];

	if (a->path == NULL)
		return 0;
	if (auth_read(a->path, &set, err, sizeof(err)) == -1) {
		log_warnx("tokens not reloaded, keeping the %zu old ones: %s",
		    a->set.n, err);
		return -1;
	}
	np_auth_set_free(&a->set);
	a->set = set;
	log_info("%zu tokens reloaded from %s", a->set.n, a->path);
	return 0;
}

static void
auth_sighup(evutil_socket_t sig, short what, void *arg)
{
	np_auth_reload(arg);
}

int
np_auth_watch(struct np_auth *a, struct event_base *base)
{
	if ((a->ev_hup = evsignal_new(base, SIGHUP, auth_sighup, a)) == NULL ||
	    evsignal_add(a->ev_hup, NULL) == -1)
		return -1;
	return 0;
}

void
np_auth_free(struct np_auth *a)
{
	if (a->ev_hup != NULL)
		event_free(a->ev_hup);
	np_auth_set_free(&a->set);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

void
np_auth_unauthorized(struct np_auth *a, struct np_http_req *req,
    const char *code, const char *msg)
{
	a->denied++;
	np_http_add_header(req, "WWW-Authenticate",
	    strcmp(code, "invalid_token") == 0 ?
	    "Bearer realm=\"nearpost\", error=\"invalid_token\"" :
	    "Bearer realm=\"nearpost\"");
	np_http_add_header(req, "Cache-Control", "no-store");
	np_http_error(req, 401, code, "Authorization", "%s", msg);
}

void
np_auth_forbidden(struct np_auth *a, struct np_http_req *req,
    const struct np_auth_token *t, enum np_auth_role need)
{
	a->denied++;
	np_http_error(req, 403, "forbidden", NULL, "%s %s needs the %s role; "
	    "the token is %s's", np_http_method(req), np_http_path(req),
	    np_auth_role_name(need), t->principal);
}

const struct np_auth_token *
np_auth_require(struct np_auth *a, struct np_http_req *req,
    enum np_auth_role need)
{
	const struct np_auth_token *t = NULL;
	const char *tok = NULL, *msg = NULL;
	size_t len = 0;

	switch (np_auth_bearer(np_http_header(req, "Authorization"), &tok,
	    &len)) {
	case NP_AUTH_BEARER_OK:
		if ((t = np_auth_find(&a->set, tok, len)) == NULL)
			msg = a->path == NULL ? "no token file is configured "
			    "(auth.tokens): no token is valid" :
			    "the token is not valid (unknown or revoked)";
		break;
	case NP_AUTH_BEARER_MISSING:
		msg = "this needs a token: send Authorization: Bearer <token>";
		break;
	case NP_AUTH_BEARER_SCHEME:
		msg = "the Authorization header must be `Bearer <token>`";
		break;
	case NP_AUTH_BEARER_SYNTAX:
		msg = "the token has characters a bearer token cannot have";
		break;
	case NP_AUTH_BEARER_LONG:
		msg = "the token is longer than any valid one";
		break;
	}
	if (need == NP_AUTH_NONE)
		return t;
	if (t == NULL) {
		np_auth_unauthorized(a, req, tok != NULL || np_http_header(req,
		    "Authorization") != NULL ? "invalid_token" : "unauthorized",
		    msg);
		return NULL;
	}
	if (t->role < need) {
		np_auth_forbidden(a, req, t, need);
		return NULL;
	}
	return t;
}

static int
peer_loopback(const char *peer)
{
	return strncmp(peer, "127.", 4) == 0 ||
	    strncmp(peer, "[::1]:", 6) == 0 ||
	    strncmp(peer, "[::ffff:127.", 12) == 0;
}

int
np_auth_metrics(struct np_auth *a, struct np_http_req *req)
{
	if (a->metrics_loopback && peer_loopback(np_http_peer(req)))
		return 1;
	return np_auth_require(a, req, NP_AUTH_ADMIN) != NULL;
}
