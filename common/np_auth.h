/*
 * np_auth: who may use the HTTP APIs.  Bearer tokens, stored hashed.
 *
 * The token file (setting auth.tokens) has one line per person or
 * program, `<name> <role> <sha256 hex of the token>`, blank lines and
 * `#` comments.  Only hashes are on disk: the file says who exists, not
 * how to be them.  Roles are ordered, calltaker < supervisor < admin, and
 * a higher role may do all a lower one may.  A presented token is hashed
 * and compared with every entry in constant time, so neither the time
 * nor the answer tells how close a guess was.
 *
 * The parser (np_auth_parse) is pure and strict: an error names the
 * file, the line and the field, and nothing of a bad file is used.  The
 * HTTP side (np_auth_http.c) checks a request's Authorization header
 * against a route's role and answers 401/403 itself; it also re-reads
 * the file on SIGHUP (a bad new file keeps the old tokens, logged).
 *
 * Ownership: a token found by lookup stays valid until the next reload
 * (a SIGHUP, which runs from the event loop between callbacks); copy
 * its principal if you keep it across a callback.
 */
#ifndef NP_AUTH_H
#define NP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "np_conf.h"
#include "np_sha256.h"

#define NP_AUTH_NAME_MAX	64	/* [A-Za-z0-9._@-] */
#define NP_AUTH_PRINCIPAL_MAX	(NP_AUTH_NAME_MAX + 16)
#define NP_AUTH_TOKEN_MAX	512	/* longer presented tokens: 401 */
#define NP_AUTH_TOKENS_MAX	10000	/* entries in one file */
#define NP_AUTH_LINE_MAX	1024
#define NP_AUTH_FILE_MAX	(1024 * 1024)

struct event_base;
struct event;
struct np_http_req;

enum np_auth_role {
	NP_AUTH_NONE = 0,	/* open routes (/healthz) */
	NP_AUTH_CALLTAKER,
	NP_AUTH_SUPERVISOR,
	NP_AUTH_ADMIN,
};

struct np_auth_token {
	char			 name[NP_AUTH_NAME_MAX + 1];
	enum np_auth_role	 role;
	uint8_t			 hash[NP_SHA256_LEN];
	/* "<role>:<name>", e.g. calltaker:alice: the `by` of timelines */
	char			 principal[NP_AUTH_PRINCIPAL_MAX];
};

struct np_auth_set {
	struct np_auth_token	*tok;
	size_t			 n;
};

/* "calltaker" ... or NULL; np_auth_role_parse: NP_AUTH_NONE if unknown. */
const char		*np_auth_role_name(enum np_auth_role);
enum np_auth_role	 np_auth_role_parse(const char *);

/*
 * Parse a token file's text; origin names it in errors
 * ("tokens:3: role: ...").  0 and set filled (free with
 * np_auth_set_free), or -1 with err and set empty.
 */
int	np_auth_parse(struct np_auth_set *, const char *text, size_t len,
	    const char *origin, char *err, size_t errlen);
void	np_auth_set_free(struct np_auth_set *);
/* The entry whose hash is sha256(token), or NULL; constant time in n. */
const struct np_auth_token *np_auth_find(const struct np_auth_set *,
	    const char *token, size_t len);
const struct np_auth_token *np_auth_find_hash(const struct np_auth_set *,
	    const uint8_t hash[NP_SHA256_LEN]);

/* Reading an Authorization header value. */
enum np_auth_bearer {
	NP_AUTH_BEARER_OK,
	NP_AUTH_BEARER_MISSING,		/* no header */
	NP_AUTH_BEARER_SCHEME,		/* not "Bearer <token>" */
	NP_AUTH_BEARER_SYNTAX,		/* token has characters RFC 6750 bars */
	NP_AUTH_BEARER_LONG,		/* over NP_AUTH_TOKEN_MAX */
};
/* value may be NULL (no header).  On OK, tok and len point into value. */
enum np_auth_bearer np_auth_bearer(const char *value, const char **tok,
	    size_t *len);

/* The settings (auth.*) a service with an HTTP API embeds. */
struct np_auth_conf {
	char	*tokens;		/* auth.tokens: the token file */
	int	 metrics_loopback;	/* auth.metrics_loopback */
};
struct np_conf_table	np_auth_items(struct np_auth_conf *);

/* A service's tokens: the file and the set read from it. */
struct np_auth {
	char			*path;		/* NULL: no file, all 401 */
	struct np_auth_set	 set;
	struct event		*ev_hup;
	int			 metrics_loopback;
	uint64_t		 denied;	/* 401 + 403, for /metrics */
};

/*
 * Read conf->tokens (empty: no tokens; every protected route answers
 * 401 and a warning is logged).  -1 with err on a bad file.  A file
 * readable by group or others is used, with a warning.
 */
int	np_auth_init(struct np_auth *, const struct np_auth_conf *,
	    char *err, size_t errlen);
/* Re-read the file; on error keep the old set.  0 / -1 (logged). */
int	np_auth_reload(struct np_auth *);
/* Re-read on SIGHUP.  -1 if the signal event cannot be added. */
int	np_auth_watch(struct np_auth *, struct event_base *);
void	np_auth_free(struct np_auth *);

/*
 * The caller of req if its token has at least role need; otherwise NULL
 * after answering 401 (no/unknown token; WWW-Authenticate: Bearer) or
 * 403 (role too low).  need NP_AUTH_NONE: never answers, returns NULL
 * for an anonymous caller.
 */
const struct np_auth_token *np_auth_require(struct np_auth *,
	    struct np_http_req *, enum np_auth_role need);
/* The 401 / 403 answers, for callers with their own credentials. */
void	np_auth_unauthorized(struct np_auth *, struct np_http_req *,
	    const char *code, const char *msg);
void	np_auth_forbidden(struct np_auth *, struct np_http_req *,
	    const struct np_auth_token *, enum np_auth_role need);
/* /metrics: admin, or anyone on loopback with auth.metrics_loopback. */
int	np_auth_metrics(struct np_auth *, struct np_http_req *);

#endif
