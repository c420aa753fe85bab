/*
 * session: the dashboard's session table (see session.h).  A plain array:
 * a few hundred supervisors at most, and every lookup compares every id
 * in constant time so a guess learns nothing from the timing.
 */
#include <stdlib.h>
#include <string.h>

#include "session.h"

int
dash_sessions_init(struct dash_sessions *t, size_t max, int ttl_s)
{
	memset(t, 0, sizeof(*t));
	if ((t->s = calloc(max, sizeof(*t->s))) == NULL)
		return -1;
	t->max = max;
	t->ttl_ms = (int64_t)ttl_s * 1000;
	return 0;
}

void
dash_sessions_free(struct dash_sessions *t)
{
	if (t->s != NULL)
		memset(t->s, 0, t->max * sizeof(*t->s));
	free(t->s);
	memset(t, 0, sizeof(*t));
}

static void
drop(struct dash_sessions *t, size_t i)
{
	t->s[i] = t->s[--t->n];
	memset(&t->s[t->n], 0, sizeof(t->s[t->n]));
}

static void
make_room(struct dash_sessions *t, int64_t now)
{
	size_t i, soonest = 0;

	for (i = 0; i < t->n;)
		if (t->s[i].expires <= now)
			drop(t, i);
		else
			i++;
	if (t->n < t->max)
		return;
	for (i = 1; i < t->n; i++)
		if (t->s[i].expires < t->s[soonest].expires)
			soonest = i;
	drop(t, soonest);
}

int
dash_session_new(struct dash_sessions *t, const uint8_t h[NP_SHA256_LEN],
    int64_t now, char id[DASH_SESSION_ID_LEN + 1])
{
	uint8_t rnd[DASH_SESSION_ID_BYTES];
	struct dash_session *s;

	if (t->max == 0 || np_random(rnd, sizeof(rnd)) == -1)
		return -1;
	if (t->n >= t->max)
		make_room(t, now);
	s = &t->s[t->n++];
	np_hex(rnd, sizeof(rnd), s->id);
	memcpy(s->tok_hash, h, NP_SHA256_LEN);
	s->expires = now + t->ttl_ms;
	memcpy(id, s->id, sizeof(s->id));
	return 0;
}

static long
find(const struct dash_sessions *t, const char *id, size_t len)
{
	long found = -1;

	if (len != DASH_SESSION_ID_LEN)
		return -1;
	for (size_t i = 0; i < t->n; i++)
		if (np_ct_equal(t->s[i].id, id, DASH_SESSION_ID_LEN))
			found = (long)i;
	return found;
}

const struct dash_session *
dash_session_get(struct dash_sessions *t, const char *id, size_t len,
    int64_t now)
{
	long i = find(t, id, len);

	if (i < 0)
		return NULL;
	if (t->s[i].expires <= now) {
		drop(t, (size_t)i);
		return NULL;
	}
	return &t->s[i];
}

void
dash_session_del(struct dash_sessions *t, const char *id, size_t len)
{
	long i = find(t, id, len);

	if (i >= 0)
		drop(t, (size_t)i);
}

const char *
dash_cookie(const char *h, const char *name, size_t *len)
{
	size_t n = strlen(name);

	while (h != NULL && *h != '\0') {
		while (*h == ' ' || *h == '\t' || *h == ';')
			h++;
		if (strncmp(h, name, n) == 0 && h[n] == '=') {
			h += n + 1;
			*len = strcspn(h, "; \t");
			return h;
		}
		h = strchr(h, ';');
	}
	return NULL;
}
