/*
 * closing.c: the closing step's settings and arguments (see fb_close.h).
 * The decisions are in close.lua and followup.lua.
 */
#include <stdio.h>
#include <string.h>

#include "fb_close.h"

#define OFF(f)		offsetof(struct fb_close_conf, f)

extern const char fb_close_lua[], fb_followup_lua[];

static const struct np_conf_item close_items[] = {
	{ "feedback.followup_s", NP_CONF_INT, "86400", 0, 31 * 86400,
	  OFF(followup_s), "the follow-up with the caller is due this long "
	  "after the incident closes" },
	{ "feedback.repeat_m", NP_CONF_DOUBLE, "100", 0, 10000,
	  OFF(repeat_m), "an incident closed this close to another one "
	  "closed within the window is flagged for review" },
	{ "feedback.repeat_window_s", NP_CONF_INT, "604800", 1, 366 * 86400,
	  OFF(repeat_window_s), "how far back a repeat (same place or same "
	  "caller phone) is looked for" },
};

struct np_conf_table
fb_close_items(struct fb_close_conf *conf)
{
	return (struct np_conf_table){ close_items,
	    sizeof(close_items) / sizeof(close_items[0]), conf };
}

struct np_redis_script
fb_close_script(void)
{
	return (struct np_redis_script){ "close", fb_close_lua, "" };
}

struct np_redis_script
fb_followup_script(void)
{
	return (struct np_redis_script){ "followup", fb_followup_lua, "" };
}

/* The call's head: prefix, now, follow-up delay, radius, window, by. */
static void
head(const char **argv, struct fb_close_head *h,
    const struct fb_close_conf *conf, const char *prefix, int64_t now,
    const char *by)
{
	snprintf(h->now, sizeof(h->now), "%lld", (long long)now);
	snprintf(h->follow, sizeof(h->follow), "%d", conf->followup_s);
	snprintf(h->radius, sizeof(h->radius), "%.3f", conf->repeat_m);
	snprintf(h->window, sizeof(h->window), "%d", conf->repeat_window_s);
	argv[0] = prefix;
	argv[1] = h->now;
	argv[2] = h->follow;
	argv[3] = h->radius;
	argv[4] = h->window;
	argv[5] = by;
}

/* One incident's six. */
static void
record(const char **argv, const struct fb_close_req *r)
{
	argv[0] = r->id;
	argv[1] = r->mode == FB_CLOSE_CLEARED ? "cleared" : "supervisor";
	argv[2] = r->disposition;
	argv[3] = r->reason;
	argv[4] = r->supervisor;
	argv[5] = r->order_id;
}

static void
lengths(const char **argv, size_t *lens, int from, int to)
{
	int i;

	for (i = from; i < to; i++)
		lens[i] = strlen(argv[i]);
}

void
fb_close_args(struct fb_close_args *a, const struct fb_close_conf *conf,
    const char *prefix, int64_t now, const struct fb_close_req *r)
{
	head(a->argv, &a->h, conf, prefix, now, r->by);
	record(a->argv + FB_CLOSE_HEAD, r);
	lengths(a->argv, a->lens, 0, FB_CLOSE_ARGC);
}

void
fb_close_batch_init(struct fb_close_batch *b, const struct fb_close_conf *conf,
    const char *prefix, int64_t now, const char *by)
{
	head(b->argv, &b->h, conf, prefix, now, by);
	lengths(b->argv, b->lens, 0, FB_CLOSE_HEAD);
	b->n = 0;
	b->argc = FB_CLOSE_HEAD;
}

int
fb_close_batch_add(struct fb_close_batch *b, const struct fb_close_req *r)
{
	if (b->n >= FB_BATCH_MAX)
		return -1;
	record(b->argv + b->argc, r);
	lengths(b->argv, b->lens, b->argc, b->argc + FB_CLOSE_REC);
	b->argc += FB_CLOSE_REC;
	b->n++;
	return 0;
}
