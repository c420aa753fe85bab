/*
 * np_svc: what every nearpost daemon does before and around its own logic
 * (tmux's proc.c idea: the plumbing lives here once, services read as
 * domain logic).
 *
 *   --config FILE, --help, --version, --check-config on the command line;
 *   the common settings (log, redis, key prefix, district, run directory)
 *   plus the service's own tables, loaded through np_conf;
 *   the libevent base, SIGTERM/SIGINT as events that call the service's
 *   stop hook (drain, then np_svc_exit), SIGPIPE ignored.
 *
 * Redis keys are "<prefix>:{<district>}:<name>": the braces are a Redis
 * Cluster hash tag, so every key of one district lands in one slot and
 * Lua scripts may touch several of them.
 */
#ifndef NP_SVC_H
#define NP_SVC_H

#include <stddef.h>

#include "np_conf.h"

struct event_base;
struct event;
struct np_redis_conf;

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
};

struct np_svc {
	const char		*name;
	struct event_base	*base;
	struct np_svc_conf	 conf;
	struct event		*ev_term;
	struct event		*ev_int;
	void			(*on_stop)(struct np_svc *, void *);
	void			*stop_arg;
	int			 stopping;
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
/* Run the loop until np_svc_exit; returns 0. */
int	np_svc_run(struct np_svc *);
void	np_svc_exit(struct np_svc *);
void	np_svc_free(struct np_svc *, const struct np_conf_table *, size_t);
/* Fill a Redis connection setting from the common configuration. */
void	np_svc_redis_conf(const struct np_svc *, struct np_redis_conf *);
/* buf = keys prefix + formatted name; -1 if it does not fit. */
int	np_svc_key(const struct np_svc *, char *buf, size_t len,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
