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

void
fb_close_args(struct fb_close_args *a, const struct fb_close_conf *conf,
    const char *prefix, int64_t now, const struct fb_close_req *r)
{
	int i;

	snprintf(a->now, sizeof(a->now), "%lld", (long long)now);
	snprintf(a->follow, sizeof(a->follow), "%d", conf->followup_s);
	snprintf(a->radius, sizeof(a->radius), "%.3f", conf->repeat_m);
	snprintf(a->window, sizeof(a->window), "%d", conf->repeat_window_s);
	a->argv[0] = prefix;
	a->argv[1] = a->now;
	a->argv[2] = r->id;
	a->argv[3] = r->mode == FB_CLOSE_CLEARED ? "cleared" : "supervisor";
	a->argv[4] = r->disposition;
	a->argv[5] = r->reason;
	a->argv[6] = r->by;
	a->argv[7] = r->supervisor;
	a->argv[8] = a->follow;
	a->argv[9] = a->radius;
	a->argv[10] = a->window;
	a->argv[11] = r->order_id;
	for (i = 0; i < FB_CLOSE_ARGC; i++)
		a->lens[i] = strlen(a->argv[i]);
}
