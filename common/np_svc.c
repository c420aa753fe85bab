/*
 * np_svc: start-up, configuration and signal plumbing shared by every
 * daemon (see np_svc.h).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "np_conf.h"
#include "np_log.h"
#include "np_redis.h"
#include "np_svc.h"
#include "np_time.h"

#define OFF(f)	offsetof(struct np_svc_conf, f)

static const struct np_conf_item svc_items[] = {
	{ "log.level", NP_CONF_STR, "info", 0, 16, OFF(log_level),
	  "error, warn, info or debug" },
	{ "log.json", NP_CONF_BOOL, "false", 0, 1, OFF(log_json),
	  "log JSON lines instead of text" },
	{ "redis.host", NP_CONF_STR, "127.0.0.1", 0, 255, OFF(redis_host),
	  "Redis server address" },
	{ "redis.port", NP_CONF_INT, "6379", 1, 65535, OFF(redis_port),
	  "Redis server port" },
	{ "redis.user", NP_CONF_STR, "", 0, 128, OFF(redis_user),
	  "Redis ACL user (empty: default user)" },
	{ "redis.password", NP_CONF_STR, "", 0, 512, OFF(redis_password),
	  "Redis password (empty: no AUTH)" },
	{ "keys.prefix", NP_CONF_STR, "np", 0, 32, OFF(key_prefix),
	  "prefix of every Redis key" },
	{ "keys.district", NP_CONF_STR, "city", 0, 32, OFF(district),
	  "district tag of every Redis key (a Redis Cluster hash tag)" },
	{ "run.dir", NP_CONF_STR, "/tmp/nearpost", 0, 200, OFF(run_dir),
	  "directory for ipc:// endpoints" },
	{ "instance", NP_CONF_STR, "1", 0, 64, OFF(instance),
	  "this copy's name within its service (stream consumer name)" },
	{ "bus.health", NP_CONF_STR, "", 0, 512, OFF(bus_health),
	  "nanomsg endpoint of the dashboard's health surveys (the dashboard "
	  "binds it; empty: ipc://RUN_DIR/health.ipc)" },
};

static void
usage(FILE *f, const char *name, const char *summary,
    const struct np_conf_table *t, size_t nt)
{
	fprintf(f, "usage: %s [--config FILE] [--check-config] [--help] "
	    "[--version]\n%s\n\nsettings (file `key = value`, or the "
	    "environment):\n", name, summary);
	np_conf_usage(f, t, nt);
}

static void
svc_signal(evutil_socket_t sig, short what, void *arg)
{
	struct np_svc *svc = arg;

	if (svc->stopping) {
		log_warnx("second signal %d: exiting now", (int)sig);
		exit(1);
	}
	svc->stopping = 1;
	log_info("signal %d: draining", (int)sig);
	if (svc->on_stop != NULL)
		svc->on_stop(svc, svc->stop_arg);
	else
		np_svc_exit(svc);
}

static int
valid_tag(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '{' || *s == '}' || *s == ':' || *s <= ' ')
			return 0;
	return 1;
}

void
np_svc_init(struct np_svc *svc, const char *name, const char *summary,
    int argc, char **argv, const struct np_conf_table *tables, size_t nt)
{
	struct np_conf_table all[16];
	const char *path = NULL;
	enum np_log_level level;
	char err[1024];
	int check = 0;

	memset(svc, 0, sizeof(*svc));
	svc->name = name;
	if (nt + 1 > sizeof(all) / sizeof(all[0]))
		fatalx("too many configuration tables");
	all[0] = (struct np_conf_table){ svc_items,
	    sizeof(svc_items) / sizeof(svc_items[0]), &svc->conf };
	memcpy(all + 1, tables, nt * sizeof(*tables));
	log_init(name, NP_LOG_INFO, 0);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--check-config") == 0)
			check = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			np_conf_defaults(all, nt + 1);
			usage(stdout, name, summary, all, nt + 1);
			np_conf_free(all, nt + 1);
			exit(0);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", name, NP_VERSION);
			exit(0);
		} else {
			fprintf(stderr, "%s: unknown argument '%s' "
			    "(try --help)\n", name, argv[i]);
			exit(1);
		}
	}
	if (np_conf_load(all, nt + 1, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: bad configuration: %s\n", name, err);
		exit(1);
	}
	if (log_level_parse(svc->conf.log_level, &level) == -1) {
		fprintf(stderr, "%s: bad configuration: log.level: '%s' is "
		    "not error, warn, info or debug\n", name,
		    svc->conf.log_level);
		exit(1);
	}
	if (!valid_tag(svc->conf.key_prefix) || !valid_tag(svc->conf.district)
	    || *svc->conf.district == '\0') {
		fprintf(stderr, "%s: bad configuration: keys.prefix and "
		    "keys.district may not be empty or hold '{', '}', ':' "
		    "or spaces\n", name);
		exit(1);
	}
	if (check) {
		printf("%s: configuration ok\n", name);
		exit(0);
	}
	log_init(name, level, svc->conf.log_json);
	snprintf(svc->keys, sizeof(svc->keys), "%s:{%s}:",
	    svc->conf.key_prefix, svc->conf.district);
	(void)mkdir(svc->conf.run_dir, 0750);

	signal(SIGPIPE, SIG_IGN);
	if ((svc->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	svc->ev_term = evsignal_new(svc->base, SIGTERM, svc_signal, svc);
	svc->ev_int = evsignal_new(svc->base, SIGINT, svc_signal, svc);
	if (svc->ev_term == NULL || svc->ev_int == NULL ||
	    evsignal_add(svc->ev_term, NULL) == -1 ||
	    evsignal_add(svc->ev_int, NULL) == -1)
		fatalx("cannot install signal handlers");
}

void
np_svc_on_stop(struct np_svc *svc, void (*cb)(struct np_svc *, void *),
    void *arg)
{
	svc->on_stop = cb;
	svc->stop_arg = arg;
}

static void
drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct np_svc *svc = arg;
	struct timeval tv = np_tv_ms(NP_SVC_DRAIN_TICK_MS);
	size_t busy;

	busy = svc->drain_busy(svc->drain_arg);
	if (busy > 0 && np_mono_ms() < svc->drain_until) {
		event_base_once(svc->base, -1, EV_TIMEOUT, drain_check, svc,
		    &tv);
		return;
	}
	if (busy > 0)
		log_warnx("exiting with %zu %s", busy, svc->drain_left);
	if (svc->drain_done != NULL)
		svc->drain_done(svc, svc->drain_arg);
	else
		np_svc_exit(svc);
}

void
np_svc_drain(struct np_svc *svc, np_svc_busy_cb *busy, const char *left,
    np_svc_drained_cb *done, void *arg)
{
	svc->drain_busy = busy;
	svc->drain_left = left;
	svc->drain_done = done;
	svc->drain_arg = arg;
	svc->drain_until = np_mono_ms() + NP_SVC_DRAIN_MAX_MS;
	drain_check(-1, 0, svc);
}

int
np_svc_run(struct np_svc *svc)
{
	log_info("%s %s running", svc->name, NP_VERSION);
	event_base_dispatch(svc->base);
	return 0;
}

void
np_svc_exit(struct np_svc *svc)
{
	event_base_loopexit(svc->base, NULL);
}

void
np_svc_free(struct np_svc *svc, const struct np_conf_table *tables,
    size_t nt)
{
	struct np_conf_table common = { svc_items,
	    sizeof(svc_items) / sizeof(svc_items[0]), &svc->conf };

	if (svc->ev_term != NULL)
		event_free(svc->ev_term);
	if (svc->ev_int != NULL)
		event_free(svc->ev_int);
	if (svc->base != NULL)
		event_base_free(svc->base);
	np_conf_free(&common, 1);
	np_conf_free(tables, nt);
}

void
np_svc_redis_conf(const struct np_svc *svc, struct np_redis_conf *rc)
{
	np_redis_conf_defaults(rc);
	rc->host = svc->conf.redis_host;
	rc->port = svc->conf.redis_port;
	rc->user = *svc->conf.redis_user ? svc->conf.redis_user : NULL;
	rc->password = svc->conf.redis_password;
}

int
np_svc_key(const struct np_svc *svc, char *buf, size_t len,
    const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(buf, len, "%s", svc->keys);
	if (n < 0 || (size_t)n >= len)
		return -1;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return (m < 0 || (size_t)(n + m) >= len) ? -1 : 0;
}
