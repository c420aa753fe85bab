/*
 * np_auth: the token file and the Authorization header, both pure (see
 * np_auth.h); the HTTP and signal side is in np_auth_http.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "np_auth.h"
#include "np_http_parse.h"	/* np_http_hexval */

static const char *const role_names[] = {
	[NP_AUTH_NONE] = "none",
	[NP_AUTH_CALLTAKER] = "calltaker",
	[NP_AUTH_SUPERVISOR] = "supervisor",
	[NP_AUTH_ADMIN] = "admin",
};

const char *
np_auth_role_name(enum np_auth_role r)
{
	return r >= NP_AUTH_NONE && r <= NP_AUTH_ADMIN ? role_names[r] : NULL;
}

enum np_auth_role
np_auth_role_parse(const char *s)
{
	for (int r = NP_AUTH_CALLTAKER; r <= NP_AUTH_ADMIN; r++)
		if (strcmp(s, role_names[r]) == 0)
			return (enum np_auth_role)r;
	return NP_AUTH_NONE;
}

static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '@';
}

struct tok_parse {
	const char	*origin;
	size_t		 line;
	char		*err;
	size_t		 errlen;
};

static int
fail(struct tok_parse *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct tok_parse *p, const char *field, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%zu: %s%s", p->origin, p->line,
	    field ? field : "", field ? ": " : "");
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Split a line into at most 4 blank-separated fields (4: too many). */
static int
split(char *s, char *f[4])
{
	int n = 0;

	while (*s != '\0' && n < 4) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0')
			break;
		f[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

static int
parse_fields(struct tok_parse *p, char *f[3], struct np_auth_token *t)
{
	size_t i, len = strlen(f[0]);
	int hi, lo;

	if (len == 0 || len > NP_AUTH_NAME_MAX)
		return fail(p, "name", "must be 1..%d characters",
		    NP_AUTH_NAME_MAX);
	for (i = 0; i < len; i++)
		if (!name_char((unsigned char)f[0][i]))
			return fail(p, "name", "'%s' may hold only "
			    "[A-Za-z0-9._@-]", f[0]);
	if ((t->role = np_auth_role_parse(f[1])) == NP_AUTH_NONE)
		return fail(p, "role", "'%.32s' is not calltaker, supervisor "
		    "or admin", f[1]);
	if (strlen(f[2]) != 2 * NP_SHA256_LEN)
		return fail(p, "hash", "must be %d hex digits (the SHA-256 of "
		    "the token, e.g. from `npctl token new`), not %zu "
		    "characters", 2 * NP_SHA256_LEN, strlen(f[2]));
	for (i = 0; i < NP_SHA256_LEN; i++) {
		hi = np_http_hexval((unsigned char)f[2][2 * i]);
		lo = np_http_hexval((unsigned char)f[2][2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(p, "hash", "must be hex digits only");
		t->hash[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(t->name, f[0], len + 1);
	snprintf(t->principal, sizeof(t->principal), "%s:%s",
	    role_names[t->role], t->name);
	return 0;
}

/* One non-comment line; s is a writable copy. */
static int
parse_line(struct tok_parse *p, struct np_auth_set *set, char *s)
{
	static const char *const fields[] = { "name", "role", "hash" };
	struct np_auth_token t;
	char *f[4];
	size_t i;
	int n;

	memset(&t, 0, sizeof(t));
	n = split(s, f);
	if (n == 0 || f[0][0] == '#')
		return 0;
	if (n < 3)
		return fail(p, fields[n], "missing: a line is `<name> <role> "
		    "<sha256 hex>`");
	if (n > 3)
		return fail(p, NULL, "'%.32s' after the hash: a line has three "
		    "fields", f[3]);
	if (parse_fields(p, f, &t) == -1)
		return -1;
	for (i = 0; i < set->n; i++) {
		if (strcmp(set->tok[i].name, t.name) == 0)
			return fail(p, "name", "'%s' appears twice", t.name);
		if (memcmp(set->tok[i].hash, t.hash, NP_SHA256_LEN) == 0)
			return fail(p, "hash", "same token as '%s'",
			    set->tok[i].name);
	}
	if (set->n >= NP_AUTH_TOKENS_MAX)
		return fail(p, NULL, "more than %d tokens", NP_AUTH_TOKENS_MAX);
	if (set->n % 64 == 0) {
		struct np_auth_token *nt = realloc(set->tok,
		    (set->n + 64) * sizeof(*nt));

		if (nt == NULL)
			return fail(p, NULL, "out of memory");
		set->tok = nt;
	}
	set->tok[set->n++] = t;
	return 0;
}

int
np_auth_parse(struct np_auth_set *set, const char *text, size_t len,
    const char *origin, char *err, size_t errlen)
{
	struct tok_parse p = { origin, 0, err, errlen };
	char line[NP_AUTH_LINE_MAX + 1];
	size_t i = 0, n;
	const char *nl;

	memset(set, 0, sizeof(*set));
	if (len > NP_AUTH_FILE_MAX) {
		p.line = 1;
		return fail(&p, NULL, "larger than %d bytes", NP_AUTH_FILE_MAX);
	}
	while (i < len) {
		p.line++;
		nl = memchr(text + i, '\n', len - i);
		n = (nl != NULL ? (size_t)(nl - text) : len) - i;
		if (n > 0 && text[i + n - 1] == '\r')
			n--;
		if (n > NP_AUTH_LINE_MAX) {
			fail(&p, NULL, "longer than %d bytes", NP_AUTH_LINE_MAX);
			goto bad;
		}
		memcpy(line, text + i, n);
		line[n] = '\0';
		if (strlen(line) != n) {
			fail(&p, NULL, "holds a NUL byte");
			goto bad;
		}
		if (parse_line(&p, set, line) == -1)
			goto bad;
		i += (nl != NULL ? (size_t)(nl - (text + i)) + 1 : len - i);
	}
	return 0;
bad:
	np_auth_set_free(set);
	return -1;
}

void
np_auth_set_free(struct np_auth_set *set)
{
	if (set->tok != NULL)
		memset(set->tok, 0, set->n * sizeof(*set->tok));
	free(set->tok);
	set->tok = NULL;
	set->n = 0;
}

const struct np_auth_token *
np_auth_find_hash(const struct np_auth_set *set,
    const uint8_t hash[NP_SHA256_LEN])
{
	const struct np_auth_token *found = NULL;

	/* no early exit: every entry is compared */
	for (size_t i = 0; i < set->n; i++)
		if (np_ct_equal(set->tok[i].hash, hash, NP_SHA256_LEN))
			found = &set->tok[i];
	return found;
}

const struct np_auth_token *
np_auth_find(const struct np_auth_set *set, const char *token, size_t len)
{
	uint8_t h[NP_SHA256_LEN];

	np_sha256(token, len, h);
	return np_auth_find_hash(set, h);
}

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-._~+/" ) *"=" */
static int
b64token(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (name_char((unsigned char)s[i]) || s[i] == '~' ||
	    s[i] == '+' || s[i] == '/') && s[i] != '@')
		i++;
	if (i == 0)
		return 0;
	while (i < n && s[i] == '=')
		i++;
	return i == n;
}

enum np_auth_bearer
np_auth_bearer(const char *v, const char **tok, size_t *len)
{
	size_t n;

	if (v == NULL)
		return NP_AUTH_BEARER_MISSING;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strncasecmp(v, "Bearer", 6) != 0 || (v[6] != ' ' && v[6] != '\t'))
		return NP_AUTH_BEARER_SCHEME;
	v += 6;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0)
		return NP_AUTH_BEARER_SCHEME;
	if (n > NP_AUTH_TOKEN_MAX)
		return NP_AUTH_BEARER_LONG;
	if (!b64token(v, n))
		return NP_AUTH_BEARER_SYNTAX;
	*tok = v;
	*len = n;
	return NP_AUTH_BEARER_OK;
}
