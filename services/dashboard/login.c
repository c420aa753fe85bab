/*
 * login.c: who may see the dashboard -- supervisors and admins.
 *
 *   POST /api/login   {"token": "..."}: a supervisor's token -> 200
 *                     {"principal", "expires_in"} and the session cookie
 *                     (np_session: HttpOnly, SameSite=Strict, Path=/);
 *                     401 unknown token, 403 a calltaker's, 415 not JSON
 *   POST /api/logout  ends the session (the cookie's), clears the cookie
 *
 * Every API route and the event stream take either the cookie or an
 * Authorization: Bearer header (npctl, scripts) -- dash_auth.  The page
 * and its assets are open: they hold no data.  A JSON body (not a form)
 * for the login keeps other sites from posting to it (a cross-site JSON
 * POST needs CORS, which we never grant); SameSite=Strict keeps the
 * cookie off cross-site requests.  Per-source request rates (np_http)
 * bound guessing.
 */
#include <stdio.h>
#include <string.h>

#include "dashboard.h"
#include "np_http.h"
#include "np_json.h"
#include "np_time.h"

static void
set_cookie(struct np_http_req *req, const char *id, long max_age)
{
	char v[DASH_SESSION_ID_LEN + 128];

	snprintf(v, sizeof(v), "%s=%s; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=%ld", DASH_SESSION_COOKIE, id, max_age);
	np_http_add_header(req, "Set-Cookie", v);
	np_http_add_header(req, "Cache-Control", "no-store");
}

/* t if it is a supervisor's (or more); else NULL after 401 (code, msg)
 * or 403. */
static const struct np_auth_token *
supervisor(struct dashboard *d, struct np_http_req *req,
    const struct np_auth_token *t, const char *code, const char *msg)
{
	if (t == NULL)
		np_auth_unauthorized(&d->auth, req, code, msg);
	else if (t->role < NP_AUTH_SUPERVISOR)
		np_auth_forbidden(&d->auth, req, t, NP_AUTH_SUPERVISOR);
	else
		return t;
	return NULL;
}

const struct np_auth_token *
dash_auth(struct dashboard *d, struct np_http_req *req)
{
	const struct dash_session *s;
	const struct np_auth_token *t;
	const char *id;
	size_t len;

	id = dash_cookie(np_http_header(req, "Cookie"), DASH_SESSION_COOKIE,
	    &len);
	if (id == NULL || np_http_header(req, "Authorization") != NULL)
		return np_auth_require(&d->auth, req, NP_AUTH_SUPERVISOR);
	if ((s = dash_session_get(&d->sessions, id, len, np_mono_ms())) ==
	    NULL) {
		np_auth_unauthorized(&d->auth, req, "session_expired", "the "
		    "session has ended (expired, logged out or the dashboard "
		    "restarted): log in again");
		return NULL;
	}
	if ((t = np_auth_find_hash(&d->auth.set, s->tok_hash)) == NULL)
		dash_session_del(&d->sessions, id, len);
	return supervisor(d, req, t, "session_expired", "the session's "
	    "token was revoked: log in again");
}

/* The token of a login body; NULL after answering the error. */
static const char *
login_token(struct dashboard *d, struct np_http_req *req, json_t **doc)
{
	static const char *const keys[] = { "token", NULL };
	const char *ct = np_http_header(req, "Content-Type"), *body, *tok;
	struct np_jerr e;
	size_t len;

	if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
		np_http_error(req, 415, "unsupported_media_type",
		    "Content-Type", "log in with a JSON body {\"token\": ...} "
		    "and Content-Type: application/json");
		return NULL;
	}
	body = np_http_body(req, &len);
	if ((*doc = np_json_parse(body, len, &e)) == NULL ||
	    !json_is_object(*doc)) {
		np_http_error(req, 400, "invalid_json", NULL, "%s", *doc ?
		    "the body is a JSON object" : e.msg);
		return NULL;
	}
	if (np_json_only(*doc, "", keys, &e) == -1 ||
	    np_json_str(*doc, "", "token", 1, NP_AUTH_TOKEN_MAX, &tok, &e)) {
		np_http_error(req, 422, "invalid_field", e.field, "%s %s",
		    e.field, e.msg);
		return NULL;
	}
	return tok;
}

void
dash_login(struct np_http_req *req, void *arg)
{
	struct dashboard *d = arg;
	const struct np_auth_token *t;
	char id[DASH_SESSION_ID_LEN + 1];
	const char *tok;
	json_t *doc = NULL;

	if ((tok = login_token(d, req, &doc)) == NULL)
		goto done;
	if ((t = supervisor(d, req, np_auth_find(&d->auth.set, tok,
	    strlen(tok)), "invalid_token", "the token is not valid (unknown "
	    "or revoked)")) == NULL)
		goto done;
	if (dash_session_new(&d->sessions, t->hash, np_mono_ms(), id) == -1) {
		np_http_error(req, 503, "no_session", NULL, "no session could "
		    "be made (no random bytes); retry");
		goto done;
	}
	set_cookie(req, id, (long)d->conf.session_ttl_s);
	np_http_reply_json(req, 200, json_pack("{s:s, s:i}", "principal",
	    t->principal, "expires_in", d->conf.session_ttl_s));
done:
	json_decref(doc);
}

void
dash_logout(struct np_http_req *req, void *arg)
{
	struct dashboard *d = arg;
	const char *id;
	size_t len;

	id = dash_cookie(np_http_header(req, "Cookie"), DASH_SESSION_COOKIE,
	    &len);
	if (id != NULL)
		dash_session_del(&d->sessions, id, len);
	set_cookie(req, "", 0);
	np_http_reply_json(req, 200, json_pack("{s:b}", "logged_out", 1));
}
