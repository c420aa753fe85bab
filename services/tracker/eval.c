/*
 * eval.c: the tracker's scripts, each embedded whole by the build
 * (CMakeLists.txt: text.lua and lib.lua in front of its own file).
 * Every script is idempotent, so np_script's calls are re-sent (now
 * re-read) while Redis is unreachable or the connection drops before
 * the answer; an error reply is a bug or bad data no retry fixes:
 * logged, given up.  The frames of an answer go on the events bus
 * before the caller sees it.
 */
#include <stdio.h>

#include "np_log.h"
#include "np_time.h"
#include "tracker.h"

#define TRK_BACKOFF_MAX_MS	2000

/* KEYS marks:due, s:escalations; ARGV prefix, now, district. */
static void
head(void *owner, const char **argv, char buf[][NP_CALL_BUF])
{
	struct tracker *t = owner;

	snprintf(buf[0], NP_CALL_BUF, "%lld", (long long)np_now_ms());
	argv[0] = t->k_due;
	argv[1] = t->k_esc;
	argv[2] = t->svc.keys;
	argv[3] = buf[0];
	argv[4] = t->svc.conf.district;
}

void
trk_scripts_init(struct tracker *t)
{
	t->s_arm = (struct np_redis_script){ "arm", trk_arm_lua, "" };
	t->s_met = (struct np_redis_script){ "met", trk_met_lua, "" };
	t->s_fire = (struct np_redis_script){ "fire", trk_fire_lua, "" };
	if (np_svc_key(&t->svc, t->k_due, sizeof(t->k_due), "marks:due") ==
	    -1 || np_svc_key(&t->svc, t->k_esc, sizeof(t->k_esc),
	    "s:escalations") == -1 || np_svc_key(&t->svc, t->k_routes,
	    sizeof(t->k_routes), "s:routes") == -1 || np_svc_key(&t->svc,
	    t->k_status, sizeof(t->k_status), "s:status") == -1)
		fatalx("key prefix too long");
	/* every answer has its list: one answer per entry of a batch */
	t->scripter = (struct np_scripter){ .caller = { .base = t->svc.base,
	    .first_ms = t->conf.retry_ms, .max_ms = TRK_BACKOFF_MAX_MS,
	    .stopping = &t->svc.stopping, .nkeys = 2, .nhead = 5,
	    .head = head, .owner = t }, .list = 1,
	    .failed = &t->stats.failed };
}
