/*
 * np_log: one line per event on stderr, levelled, plain or JSON lines.
 *
 * The verbs follow OpenBSD's daemons: log_warn appends strerror(errno),
 * log_warnx does not; fatal/fatalx log and exit(1) and are meant for
 * start-up only -- a running service answers bad input, it never dies of it.
 */
#ifndef NP_LOG_H
#define NP_LOG_H

#include <stdarg.h>

enum np_log_level {
	NP_LOG_ERROR = 0,
	NP_LOG_WARN,
	NP_LOG_INFO,
	NP_LOG_DEBUG,
};

/* name: the service name on every line; json: emit JSON lines. */
void	log_init(const char *name, enum np_log_level level, int json);
/* "error", "warn", "info", "debug"; returns -1 for anything else. */
int	log_level_parse(const char *s, enum np_log_level *out);
void	log_set_level(enum np_log_level level);
int	log_enabled(enum np_log_level level);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
