/*
 * np_log: stderr logging.  A line is built in one buffer and written with
 * one write(2), so lines from concurrent processes sharing a terminal or a
 * log file never interleave mid-line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "np_log.h"

#define LOG_LINE_MAX	4096

static const char *log_name = "nearpost";
static enum np_log_level log_level = NP_LOG_INFO;
static int log_json;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_init(const char *name, enum np_log_level level, int json)
{
	log_name = name;
	log_level = level;
	log_json = json;
}

int
log_level_parse(const char *s, enum np_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum np_log_level)i;
			return 0;
		}
	return -1;
}

void
log_set_level(enum np_log_level level)
{
	log_level = level;
}

int
log_enabled(enum np_log_level level)
{
	return level <= log_level;
}

/* Append s to buf as the inside of a JSON string. */
static size_t
json_escape(char *buf, size_t len, size_t cap, const char *s)
{
	for (; *s && len + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[len++] = '\\';
			buf[len++] = (char)c;
		} else if (c < 0x20) {
			len += (size_t)snprintf(buf + len, cap - len, "\\u%04x", c);
		} else
			buf[len++] = (char)c;
	}
	return len;
}

static void
log_emit(enum np_log_level level, int with_errno, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX * 2];
	int saved = errno;
	size_t len;
	struct timespec ts;
	struct tm tm;

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	len += (size_t)snprintf(line + len, sizeof(line) - len, ".%03ldZ",
	    ts.tv_nsec / 1000000);
	if (log_json) {
		char stamp[40];
		memcpy(stamp, line, len + 1);
		len = (size_t)snprintf(line, sizeof(line),
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"svc\":\"%s\",\"pid\":%d,"
		    "\"msg\":\"", stamp, level_names[level], log_name,
		    (int)getpid());
		len = json_escape(line, len, sizeof(line) - 3, msg);
		len += (size_t)snprintf(line + len, sizeof(line) - len, "\"}\n");
	} else {
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    " %s[%d] %s: ", log_name, (int)getpid(), level_names[level]);
		if (len < sizeof(line) - 2)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			    "%s\n", msg);
	}
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	(void)!write(STDERR_FILENO, line, len);
	errno = saved;
}

#define LOG_VERB(fn, level, with_errno)			\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_emit(level, with_errno, fmt, ap);		\
	va_end(ap);					\
}

LOG_VERB(log_warn, NP_LOG_WARN, 1)
LOG_VERB(log_warnx, NP_LOG_WARN, 0)
LOG_VERB(log_info, NP_LOG_INFO, 0)
LOG_VERB(log_debug, NP_LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(NP_LOG_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(NP_LOG_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
