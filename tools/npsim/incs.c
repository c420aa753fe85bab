/*
 * incs.c: the incidents npsim has seen, by id -- an open-addressing
 * table (FNV-1a, linear probing) that doubles when half full, plus the
 * order they were first seen in, so that the load mode at thousands of
 * calls a second allocates only when the table grows.  Also the
 * latency samples, kept the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "npsim.h"

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int
sim_incs_init(struct sim_incs *t, size_t cap)
{
	size_t c = 1024;

	while (c < cap * 2)
		c *= 2;
	memset(t, 0, sizeof(*t));
	if ((t->v = calloc(c, sizeof(*t->v))) == NULL ||
	    (t->order = calloc(c / 2, sizeof(*t->order))) == NULL) {
		free(t->v);
		return -1;
	}
	t->cap = c;
	return 0;
}

void
sim_incs_free(struct sim_incs *t)
{
	free(t->v);
	free(t->order);
	memset(t, 0, sizeof(*t));
}

static size_t
find(const struct sim_incs *t, const char *id, size_t len)
{
	size_t i = hash(id, len) & (t->cap - 1);

	while (t->v[i].id[0] != '\0' && (strncmp(t->v[i].id, id, len) != 0 ||
	    t->v[i].id[len] != '\0'))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int
grow(struct sim_incs *t)
{
	struct sim_incs nt;
	struct sim_inc *e;

	if (sim_incs_init(&nt, t->cap) == -1)
		return -1;
	for (size_t k = 0; k < t->n; k++) {
		e = &t->v[t->order[k]];
		nt.order[nt.n++] = (uint32_t)find(&nt, e->id, strlen(e->id));
		nt.v[nt.order[nt.n - 1]] = *e;
	}
	sim_incs_free(t);
	*t = nt;
	return 0;
}

struct sim_inc *
sim_incs_get(struct sim_incs *t, const char *id, size_t len, int *added)
{
	size_t i;

	*added = 0;
	if (len == 0 || len >= sizeof(t->v[0].id))
		return NULL;
	i = find(t, id, len);
	if (t->v[i].id[0] != '\0')
		return &t->v[i];
	if (t->n + 1 > t->cap / 2) {
		if (grow(t) == -1)
			return NULL;
		i = find(t, id, len);
	}
	memcpy(t->v[i].id, id, len);
	t->v[i].id[len] = '\0';
	t->order[t->n++] = (uint32_t)i;
	*added = 1;
	return &t->v[i];
}

struct sim_inc *
sim_incs_at(struct sim_incs *t, size_t k)
{
	return k < t->n ? &t->v[t->order[k]] : NULL;
}

int
sim_stats_latency(struct sim_stats *st, double us)
{
	double *nv;

	size_t cap;

	if (st->nlat == st->caplat) {
		cap = st->caplat ? st->caplat * 2 : 65536;
		if ((nv = realloc(st->lat_us, cap * sizeof(*nv))) == NULL)
			return -1;
		st->lat_us = nv;
		st->caplat = cap;
	}
	st->lat_us[st->nlat++] = us;
	return 0;
}
