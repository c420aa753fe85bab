/*
 * np_script: a service's script calls and the answers they give.
 *
 * The commander's and the tracker's scripts answer alike, an array
 *
 *	{result, detail, due, [list,] frame, frame, ...}
 *
 * result and detail strings, due an integer (the earliest time, ms, the
 * service has to look again; 0: none), with list set an array after due
 * (the tracker's: an answer per entry of a batch; without list an array
 * may be there too, the commander's batch results), then frames: strings
 * "<topic> <json>", live events the service publishes for the script
 * once it has run (Redis holds the truth; the bus is best effort).  What
 * a result, a detail or a due means is each service's own.
 *
 * np_script_call is np_call (re-sent until Redis answers) whose done sees
 * the answer judged by np_script_answer: an error reply or an answer of
 * another shape is a bug or bad data that no retry will fix -- logged
 * with the script's name and the call's first argument, counted in
 * *failed, handed on as NULL; a good one has its frames published on the
 * events bus, and given to frame (what else the service does with them),
 * before it is handed on.  np_batch's calls go through np_call itself:
 * their done calls np_script_answer.
 *
 * Ownership: a service embeds one struct np_scripter, fills it (the
 * caller as np_call.h says; caller.owner is also frame's) and sets
 * events once its bus exists.  The bus is the service's to free, after
 * the calls have ended.
 */
#ifndef NP_SCRIPT_H
#define NP_SCRIPT_H

#include <stddef.h>

#include "np_call.h"

struct np_redis_script;
struct np_sock;
struct redisReply;

/* A frame of an answer, topic NUL-terminated (json is not). */
typedef void	np_script_frame_cb(void *owner, const char *topic,
		    const char *json, size_t len);

struct np_scripter {
	struct np_caller	 caller;	/* the calls (np_call.h) */
	int			 list;		/* a list follows due */
	struct np_sock		*events;	/* frames go there; NULL: not */
	np_script_frame_cb	*frame;		/* and to it, if set */
	unsigned long long	*failed;	/* answers given up on */
};

/*
 * An np_call of script with argc arguments after the caller's head;
 * done(answer, arg) gets the answer as np_script_answer leaves it, NULL
 * when given up (error or malformed: logged; the service stopping), and
 * is never called from inside np_script_call.  -1 (done never called)
 * when stopping or out of memory.
 */
int	np_script_call(struct np_scripter *, struct np_redis_script *,
	    int argc, const char **argv, np_call_done_cb *, void *arg);

/*
 * The reply to a call of script name (what: its first argument, for the
 * log; may be NULL) judged: NULL when it is NULL, an error or malformed
 * (logged, counted), else the reply, its frames published.
 */
const struct redisReply *np_script_answer(struct np_scripter *,
	    const char *name, const char *what, const struct redisReply *);

/* The fixed fields of an answer ("", 0 when r is no answer). */
const char	*np_script_result(const struct redisReply *r);
const char	*np_script_detail(const struct redisReply *r);
long long	 np_script_due(const struct redisReply *r);

#endif
