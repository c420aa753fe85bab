/*
 * np_redis: one asynchronous hiredis connection inside a libevent loop that
 * reconnects by itself.
 *
 * hiredis 0.14.1 has no reconnect and no timeouts, so this module adds them:
 * a lost or failed connection schedules a new context after an exponential
 * back-off (backoff_min_ms doubling up to backoff_max_ms), and a watchdog
 * tick sends PING every ping_interval_ms; a PING (or a connect/handshake)
 * still unanswered at the next tick drops the connection, which catches
 * half-open TCP.  After connect the handshake is AUTH (when a password is
 * set) then PING; only a PONG makes the connection usable, so a server that
 * is still LOADING is treated like a failed connect and retried.
 *
 * Commands are refused (-1, callback never called) unless the connection is
 * up and fewer than max_pending commands are outstanding.  Every accepted
 * command gets exactly one callback: the reply, or reply NULL when the
 * connection dropped first (outcome unknown: the command may have run).
 * Replies belong to hiredis and are freed when the callback returns.
 *
 * Ownership: np_redis_new copies the configuration strings; np_redis_free
 * answers every outstanding callback with NULL and frees everything.  It
 * may be called from inside one of the connection's own callbacks.
 * A struct np_redis_script is owned by the caller and must outlive every
 * np_redis_eval call that uses it.
 */
#ifndef NP_REDIS_H
#define NP_REDIS_H

#include <stddef.h>

struct redisReply;
struct event_base;
struct np_redis;

struct np_redis_conf {
	const char	*host;
	int		 port;
	const char	*user;			/* ACL user or NULL */
	const char	*password;		/* NULL/"" = no AUTH */
	int		 backoff_min_ms;	/* default 100 */
	int		 backoff_max_ms;	/* default 5000 */
	int		 ping_interval_ms;	/* watchdog tick, default 2000 */
	int		 max_pending;		/* outstanding commands, 10000 */
};

/* Defaults for everything; host "127.0.0.1", port 6379. */
void	np_redis_conf_defaults(struct np_redis_conf *);

/* reply NULL: the connection dropped before the answer (outcome unknown). */
typedef void np_redis_cb(struct np_redis *, struct redisReply *reply,
	    void *arg);
/* connected: 1 when the connection became usable, 0 when it was lost. */
typedef void np_redis_state_cb(struct np_redis *, int connected, void *arg);

/* NULL only when out of memory; the first connect runs in the loop. */
struct np_redis	*np_redis_new(struct event_base *, const struct np_redis_conf *,
		    const char *name);
void		 np_redis_free(struct np_redis *);
int		 np_redis_connected(const struct np_redis *);
const char	*np_redis_name(const struct np_redis *);
/* Times the connection became usable again after having been usable. */
unsigned long	 np_redis_reconnects(const struct np_redis *);

/* The owner's state callback (one slot; NULL clears it). */
void	np_redis_set_state_cb(struct np_redis *, np_redis_state_cb *, void *arg);
/*
 * Further listeners for modules sharing a connection (up to
 * NP_REDIS_MAX_WATCH); 0/-1.  Unwatch before the listener goes away.
 */
#define NP_REDIS_MAX_WATCH	8
int	np_redis_watch(struct np_redis *, np_redis_state_cb *, void *arg);
void	np_redis_unwatch(struct np_redis *, np_redis_state_cb *, void *arg);

/* 0, or -1 (callback never called) when down or over max_pending. */
int	np_redis_cmd(struct np_redis *, np_redis_cb *, void *arg, int argc,
	    const char **argv, const size_t *argvlen);
int	np_redis_cmdf(struct np_redis *, np_redis_cb *, void *arg,
	    const char *fmt, ...);

/*
 * A Lua script run by EVALSHA.  sha is filled lazily (SCRIPT LOAD on first
 * use); on NOSCRIPT (Redis restarted or SCRIPT FLUSH) the call is re-sent
 * as EVAL and the callback sees only the final reply.
 */
struct np_redis_script {
	const char	*name;
	const char	*body;
	char		 sha[41];
};
/* argv holds the nkeys keys followed by the other arguments: at most
 * NP_REDIS_EVAL_MAX_ARGS of them (more: -1, nothing sent). */
#define NP_REDIS_EVAL_MAX_ARGS	1024
int	np_redis_eval(struct np_redis *, struct np_redis_script *,
	    np_redis_cb *, void *arg, int nkeys, int argc, const char **argv,
	    const size_t *argvlen);

#endif
