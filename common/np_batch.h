/*
 * np_batch: the entries of a stream read as one script call.
 *
 * A script call costs Redis a round trip and the set-up of the whole
 * script whatever it does, so a stream handler that runs a script per
 * entry only collects: np_batch_add copies the entry's arguments into
 * the batcher's open call (one buffer, the arguments one after another),
 * and the consumer's batch callback (np_consumer_set_batch_cb, after the
 * read's last entry) sends them with np_batch_send as ONE np_call of the
 * batcher's script (the service's head arguments, then every entry's, in
 * the order added).  An entry that would take the call past max_args
 * arguments or max_entries entries sends the open call first, so an
 * entry's arguments always travel in one call.
 *
 * When the call has ended, done gets the reply and the call's entries in
 * order (the service parses the answer of each: result, stats, frames)
 * and says whether to ack them: every entry is acked once its call has
 * answered, never before, so a crash replays it and the (idempotent)
 * script finds its work done; an entry whose call is given up because
 * the service stops is left pending for the next run.  So are the
 * entries of a call that cannot be sent (logged).
 *
 * serial: at most one call of the batcher in flight from np_batch_send.
 * While one is unanswered, np_batch_send leaves what was added to grow
 * the next call, which goes when the answer has come: under load the
 * calls grow by themselves (a call costs much the same for one entry as
 * for many), idle nothing waits.  A call sent because the open one was
 * full goes at once all the same.  Without serial every np_batch_send
 * sends.
 *
 * Ownership: the owner embeds struct np_batcher, fills the settings and
 * zeroes the rest; the caller and the script must outlive every call.
 * np_batch_free frees what was added and not sent: call it once the
 * batcher's calls have ended (after np_redis_free answered them).
 */
#ifndef NP_BATCH_H
#define NP_BATCH_H

#include <stddef.h>

#include "np_call.h"

struct np_batch;
struct np_batcher;
struct np_consumer;
struct np_redis_script;
struct redisReply;

#define NP_BATCH_ID	48	/* a stream entry id, NUL included */
/* own arguments of a call: what np_call takes after any head */
#define NP_BATCH_ARGS	(NP_CALL_ARGS_MAX - NP_CALL_HEAD_MAX)

/* An entry of a call, as done sees it. */
struct np_batch_entry {
	struct np_consumer	*consumer;	/* whose entry it is */
	const char		*args;	/* its argc arguments, each after
					 * the previous one's NUL */
	size_t			 argc;
	char			 id[NP_BATCH_ID];
};

/*
 * A call has ended: reply as np_call hands it over (NULL: given up, the
 * service is stopping), the entries (n >= 1) valid for the callback.
 * Returns 0 to ack the entries, 1 to leave them pending.  It may add and
 * send; it must not free the batcher.
 */
typedef int	np_batch_done_cb(struct np_batcher *,
		    const struct redisReply *, const struct np_batch_entry *,
		    size_t n);

struct np_batcher {
	struct np_caller	*caller;
	struct np_redis_script	*script;
	np_batch_done_cb	*done;
	void			*owner;		/* for done */
	size_t			 max_args;	/* per call; 0: NP_BATCH_ARGS */
	size_t			 max_entries;	/* per call; 0: no own limit */
	int			 serial;	/* one call at a time */
	/* state */
	struct np_batch		*open;		/* added, not sent */
	size_t			 inflight;	/* calls not ended */
};

/* 0, or -1 (nothing added: no argument, too many, out of memory). */
int	np_batch_add(struct np_batcher *, struct np_consumer *,
	    const char *id, size_t argc, const char **argv);
/* Send what was added (serial: unless a call is unanswered). */
void	np_batch_send(struct np_batcher *);
void	np_batch_free(struct np_batcher *);

#endif
