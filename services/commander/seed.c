/*
 * seed.c: the city and the units' hashes.  At start the commander loads
 * posts and units (np_city: a bad file stops it with a message naming the
 * feature) and seeds every unit:<id> with seed.lua, which sets only the
 * fields a unit does not have yet: a restart keeps every reservation,
 * status and position.  Dispatching starts once every unit is seeded, so
 * no candidate is skipped for not existing yet.
 */
#include <stdio.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_city.h"
#include "np_log.h"

#define SEED_BATCH	128		/* units per script call */

void
cmd_city_load(struct commander *c)
{
	char err[512];

	if ((c->city = np_city_new()) == NULL)
		fatalx("out of memory");
	if (np_city_load_file(c->city, np_city_load_posts, c->conf.city.posts,
	    err, sizeof(err)) == -1)
		fatalx("city.posts: %s", err);
	if (np_city_load_file(c->city, np_city_load_units, c->conf.city.units,
	    err, sizeof(err)) == -1)
		fatalx("city.units: %s", err);
	log_info("%zu posts from %s, %zu units from %s", c->city->nposts,
	    c->conf.city.posts, c->city->nunits, c->conf.city.units);
}

static void
seed_done(const redisReply *r, void *arg)
{
	struct commander *c = arg;

	if (r != NULL)
		c->seeded_new += strtoull(np_script_detail(r), NULL, 10);
	else if (!c->svc.stopping)
		log_warnx("a batch of units could not be seeded");
	if (--c->seeding > 0 || c->svc.stopping)
		return;
	log_info("units seeded: %llu new, %zu in the city", c->seeded_new,
	    c->city->nunits);
	c->seeded(c);
}

static void
seed_batch(struct commander *c, size_t from, size_t n)
{
	static const int per = 6;	/* id kind callsign post lat lon */
	const char *argv[SEED_BATCH * 6];
	char pos[SEED_BATCH][2][32];
	const struct np_unit *u;
	size_t i;

	for (i = 0; i < n; i++) {
		u = &c->city->units[from + i];
		snprintf(pos[i][0], sizeof(pos[i][0]), "%.7f", u->lat);
		snprintf(pos[i][1], sizeof(pos[i][1]), "%.7f", u->lon);
		argv[per * i] = u->id;
		argv[per * i + 1] = np_unit_kind_name(u->kind);
		argv[per * i + 2] = u->callsign;
		argv[per * i + 3] = c->city->posts[u->post].id;
		argv[per * i + 4] = pos[i][0];
		argv[per * i + 5] = pos[i][1];
	}
	c->seeding++;
	if (np_script_call(&c->scripter, &c->s_seed, per * n, argv, seed_done,
	    c) == -1)
		fatalx("out of memory");
}

void
cmd_seed(struct commander *c, void (*done)(struct commander *))
{
	size_t from, n;

	c->seeded = done;
	c->seeding = 1;			/* held until every batch is sent */
	for (from = 0; from < c->city->nunits; from += n) {
		n = c->city->nunits - from;
		if (n > SEED_BATCH)
			n = SEED_BATCH;
		seed_batch(c, from, n);
	}
	c->seeding--;
	if (c->seeding == 0)
		done(c);
}
