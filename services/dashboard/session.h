/*
 * session: the dashboard's browser sessions (pure; login.c is the HTTP
 * side).  A supervisor logs in once with a token; the browser then holds
 * a random session id in an HttpOnly, SameSite=Strict cookie, which the
 * page's fetch and EventSource send by themselves.
 *
 * The table lives in memory only: a restart logs everyone out, which
 * costs a login.  A session remembers the hash of the token it was made
 * with, not the role: every use looks the token up again, so a token
 * removed from the file (and SIGHUP) ends its sessions at once.  Bounded:
 * when full, a new session pushes out the expired ones, then the one
 * closest to expiry.
 */
#ifndef DASH_SESSION_H
#define DASH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "np_sha256.h"

#define DASH_SESSION_ID_BYTES	32
#define DASH_SESSION_ID_LEN	(2 * DASH_SESSION_ID_BYTES)
#define DASH_SESSION_COOKIE	"np_session"

struct dash_session {
	char		id[DASH_SESSION_ID_LEN + 1];
	uint8_t		tok_hash[NP_SHA256_LEN];
	int64_t		expires;	/* np_mono_ms */
};

struct dash_sessions {
	struct dash_session	*s;
	size_t			 n, max;
	int64_t			 ttl_ms;
};

/* 0, or -1 out of memory. */
int	dash_sessions_init(struct dash_sessions *, size_t max, int ttl_s);
void	dash_sessions_free(struct dash_sessions *);
/* A new session for the token with hash h; its id in id.  -1 if no
 * random bytes could be had. */
int	dash_session_new(struct dash_sessions *, const uint8_t h[NP_SHA256_LEN],
	    int64_t now, char id[DASH_SESSION_ID_LEN + 1]);
/* The live session with this id, or NULL (an expired one is dropped). */
const struct dash_session *dash_session_get(struct dash_sessions *,
	    const char *id, size_t len, int64_t now);
void	dash_session_del(struct dash_sessions *, const char *id, size_t len);
/* The value of cookie name in a Cookie header (may be NULL), or NULL. */
const char *dash_cookie(const char *header, const char *name, size_t *len);

#endif
