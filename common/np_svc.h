/*
 * np_svc: what every nearpost daemon does before and around its own logic
 * (tmux's proc.c idea: the plumbing lives here once, services read as
 * domain logic).
 *
 *   --config FILE, --help, --version, --check-config on the command line;
 *   the common settings (log, redis, key prefix, district, run directory)
 *   plus the service's own tables, loaded through np_conf;
 *   the libevent base, SIGTERM/SIGINT as events that call the service's
 *   stop hook (drain with np_svc_drain, then np_svc_exit), SIGPIPE
 *   ignored;
 *   settings several services share (city and plans files, bus
 *   endpoints, stream limits: np_svc_items.c) with the PUB socket and
 *   stream consumer helpers that go with them.
 *
 * Redis keys are "<prefix>:{<district>}:<name>": the braces are a Redis
 * Cluster hash tag, so every key of one district lands in one slot and
 * Lua scripts may touch several of them.
 */
#ifndef NP_SVC_H
#define NP_SVC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "np_conf.h"

struct event_base;
struct event;
struct np_redis_conf;
struct np_sock;
struct np_svc;
struct np_redis;
struct np_consumer;
struct np_stream_entry;

struct np_svc_conf {
	char	*log_level;
	int	 log_json;
	char	*redis_host;
	int	 redis_port;
	char	*redis_user;
	char	*redis_password;
	char	*key_prefix;
	char	*district;
	char	*run_dir;
	char	*instance;	/* consumer name within a group */
	char	*bus_health;	/* surveys of the dashboard */
};

/* Drain (np_svc_drain): how much work is left; what to do after. */
typedef size_t	np_svc_busy_cb(void *);
typedef void	np_svc_drained_cb(struct np_svc *, void *);

struct np_svc {
	const char		*name;
	struct event_base	*base;
	struct np_svc_conf	 conf;
	struct event		*ev_term;
	struct event		*ev_int;
	void			(*on_stop)(struct np_svc *, void *);
	void			*stop_arg;
	int			 stopping;
	np_svc_busy_cb		*drain_busy;
	np_svc_drained_cb	*drain_done;
	void			*drain_arg;
	const char		*drain_left;
	int64_t			 drain_until;	/* np_mono_ms */
	char			 keys[128];	/* "<prefix>:{<district>}:" */
};

/*
 * Parse argv and the configuration (common table first, then the
 * service's), set up logging, the event base and the signals.  Exits 0
 * after --help/--version/--check-config, 1 with one line on any error.
 */
void	np_svc_init(struct np_svc *, const char *name, const char *summary,
	    int argc, char **argv, const struct np_conf_table *tables,
	    size_t ntables);
/* Called once on SIGTERM/SIGINT; a second signal exits at once. */
void	np_svc_on_stop(struct np_svc *, void (*)(struct np_svc *, void *),
	    void *);
/*
 * The usual stop hook's tail: poll busy(arg) every NP_SVC_DRAIN_TICK_MS
 * (first at once) until it returns 0 or NP_SVC_DRAIN_MAX_MS have passed
 * (then log "exiting with <n> <left>"), then call done(svc, arg), which
 * calls np_svc_exit now or later; done NULL: np_svc_exit at once.
 */
#define NP_SVC_DRAIN_MAX_MS	5000
#define NP_SVC_DRAIN_TICK_MS	20
void	np_svc_drain(struct np_svc *, np_svc_busy_cb *, const char *left,
	    np_svc_drained_cb *done, void *arg);
/* Run the loop until np_svc_exit; returns 0. */
int	np_svc_run(struct np_svc *);
void	np_svc_exit(struct np_svc *);
void	np_svc_free(struct np_svc *, const struct np_conf_table *, size_t);
/* Fill a Redis connection setting from the common configuration. */
void	np_svc_redis_conf(const struct np_svc *, struct np_redis_conf *);
/* buf = keys prefix + formatted name; -1 if it does not fit. */
int	np_svc_key(const struct np_svc *, char *buf, size_t len,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Settings several services share (np_svc_items.c).  A service embeds
 * the structs it needs in its own settings and passes the groups it uses
 * as extra tables to np_svc_init (and np_svc_free).
 */
struct np_svc_city {
	char	*posts;		/* city.posts */
	char	*units;		/* city.units */
	char	*keys;		/* city.keys */
	char	*plans;		/* plans.file */
};
struct np_svc_bus {
	char	*events;	/* bus.events */
	char	*units;		/* bus.units */
	char	*router;	/* bus.router */
};
struct np_svc_stream {
	int	 claim_idle_ms;	/* stream.claim_idle_ms */
	int	 max_inflight;	/* stream.max_inflight */
	int	 ack_delay_ms;	/* stream.ack_delay_ms */
	int	 gap_ms;	/* stream.gap_ms: not applied by
				 * np_svc_consumer; a service sets it on the
				 * streams no order or deadline waits for
				 * (np_consumer_set_gap) */
};
enum np_svc_city_set {
	NP_SVC_CITY_MAP,	/* city.posts, city.units */
	NP_SVC_CITY_KEYS,	/* ... and city.keys */
};
enum np_svc_bus_set {
	NP_SVC_BUS_EVENTS,	/* bus.events */
	NP_SVC_BUS_UNITS,	/* ... and bus.units */
	NP_SVC_BUS_ROUTER,	/* ... and bus.router */
};
struct np_conf_table	np_svc_city_items(struct np_svc_city *,
			    enum np_svc_city_set);
struct np_conf_table	np_svc_plans_items(struct np_svc_city *);
struct np_conf_table	np_svc_bus_items(struct np_svc_bus *,
			    enum np_svc_bus_set);
struct np_conf_table	np_svc_stream_items(struct np_svc_stream *);

/*
 * Answer the dashboard's health surveys (np_svc_health.c): a RESPONDENT
 * connected to bus.health answers every question with
 * {"service","instance","pid","uptime_s","status":"ok"|"stopping"}
 * plus what fill adds (may be NULL).  NULL (logged) when it cannot.
 */
typedef void	np_svc_health_cb(const struct np_svc *, json_t *answer, void *);
struct np_sock	*np_svc_health(struct np_svc *, np_svc_health_cb *fill,
		    void *arg);

#define NP_SVC_ENDPOINT_MAX	600
/*
 * The endpoint of bus NAME: the configured one if not empty, else
 * ipc://RUN_DIR/NAME.ipc (np_bus_endpoint); fatal if it does not fit.
 */
void	np_svc_endpoint(const struct np_svc *, const char *configured,
	    const char *name, char *buf, size_t len);
/* A PUB socket connected there, or NULL (logged: run without it). */
struct np_sock	*np_svc_pub(const struct np_svc *, const char *configured,
		    const char *name);
/*
 * A consumer of stream (a full key) in the group named after the service,
 * as this instance, with the stream.* limits (NULL: np_consumer's
 * defaults); cmd is the service's command connection.  NULL if out of
 * memory.
 */
struct np_consumer	*np_svc_consumer(const struct np_svc *,
			    struct np_redis *cmd, const char *stream,
			    const struct np_svc_stream *,
			    void (*cb)(struct np_consumer *,
			    const struct np_stream_entry *, void *), void *);

#endif
