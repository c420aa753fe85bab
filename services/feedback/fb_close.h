/*
 * fb_close: what feedback and intake share to close an incident and to
 * mark its follow-up done -- the two scripts (close.lua, followup.lua,
 * embedded once in the npfeedback_logic library), the settings they take
 * (feedback.followup_s, feedback.repeat_m, feedback.repeat_window_s) and
 * the argument list close.lua expects: one incident (intake) or a batch
 * of them (feedback, the clears of one read).  Linked by both daemons, so a
 * supervisor's close and feedback's close are the same atomic step.
 */
#ifndef FB_CLOSE_H
#define FB_CLOSE_H

#include <stddef.h>
#include <stdint.h>

#include "np_conf.h"
#include "np_redis.h"

#define FB_ID_MAX	64	/* incident and order ids */
#define FB_TEXT_MAX	256	/* disposition, reason, supervisor */
#define FB_NOTE_MAX	2000	/* follow-up note */

struct fb_close_conf {
	int	followup_s;
	double	repeat_m;
	int	repeat_window_s;
};

/* The feedback.* table filling conf (for np_svc_init). */
struct np_conf_table	fb_close_items(struct fb_close_conf *);

/* The scripts (each process keeps its own copy: the sha is cached). */
struct np_redis_script	fb_close_script(void);
struct np_redis_script	fb_followup_script(void);

/* close.lua's mode: after a unit's clear, or a supervisor's decision. */
enum fb_close_mode {
	FB_CLOSE_CLEARED,
	FB_CLOSE_SUPERVISOR,
};

struct fb_close_req {
	const char		*id;		/* incident */
	enum fb_close_mode	 mode;
	const char		*disposition;	/* "": the last clear's */
	const char		*reason;	/* "" if none */
	const char		*by;		/* service: feedback, intake */
	const char		*supervisor;	/* "" for feedback */
	const char		*order_id;	/* the clear's order, or "" */
};

/*
 * close.lua's arguments: FB_CLOSE_HEAD for the call (prefix, now, the
 * settings, by), then FB_CLOSE_REC per incident; strings point into the
 * struct and the requests, which must outlive the np_redis_eval call.
 */
#define FB_CLOSE_HEAD	6
#define FB_CLOSE_REC	6
#define FB_CLOSE_ARGC	(FB_CLOSE_HEAD + FB_CLOSE_REC)	/* one incident */
#define FB_BATCH_MAX	64	/* incidents per call */

struct fb_close_head {	/* the head's numbers, as text */
	char		 now[24], follow[16], radius[32], window[16];
};

struct fb_close_args {
	struct fb_close_head	 h;
	const char	*argv[FB_CLOSE_ARGC];
	size_t		 lens[FB_CLOSE_ARGC];
};
/* One incident (req->by is the call's by). */
void	fb_close_args(struct fb_close_args *, const struct fb_close_conf *,
	    const char *prefix, int64_t now, const struct fb_close_req *);

/*
 * Several: fb_close_batch_init, then fb_close_batch_add up to FB_BATCH_MAX
 * times; argc is FB_CLOSE_HEAD + FB_CLOSE_REC * n.  The answer holds three
 * elements per incident, in the order added.
 */
struct fb_close_batch {
	struct fb_close_head	 h;
	int		 n, argc;
	const char	*argv[FB_CLOSE_HEAD + FB_CLOSE_REC * FB_BATCH_MAX];
	size_t		 lens[FB_CLOSE_HEAD + FB_CLOSE_REC * FB_BATCH_MAX];
};
void	fb_close_batch_init(struct fb_close_batch *,
	    const struct fb_close_conf *, const char *prefix, int64_t now,
	    const char *by);
/* -1 when full. */
int	fb_close_batch_add(struct fb_close_batch *,
	    const struct fb_close_req *);

#endif
