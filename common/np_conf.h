/*
 * np_conf: service configuration.
 *
 * One format for every service: a text file of `key = value` lines, `#`
 * comments, values optionally in double quotes.  Each service describes
 * its settings in tables (key, type, default, range, where to store it),
 * so every setting has a default, a range and a help line, and a bad key
 * or value is refused with one message naming the file, the line and the
 * key.  Environment variables override the file: NEARPOST_HTTP_PORT=7001
 * sets `http.port` (upper case, dots become underscores).
 *
 * Ownership: string settings are malloc'd into the caller's struct and
 * released by np_conf_free.
 */
#ifndef NP_CONF_H
#define NP_CONF_H

#include <stddef.h>
#include <stdio.h>

enum np_conf_type {
	NP_CONF_STR,		/* char * (malloc'd) */
	NP_CONF_INT,		/* int, range-checked */
	NP_CONF_DOUBLE,		/* double, range-checked */
	NP_CONF_BOOL,		/* int 0/1: true/false/yes/no/on/off/1/0 */
};

struct np_conf_item {
	const char		*key;
	enum np_conf_type	 type;
	const char		*def;	/* default, as it would be written */
	double			 min;	/* numbers: inclusive range; */
	double			 max;	/* strings: max length (0 = 4096) */
	size_t			 off;	/* offsetof in the settings struct */
	const char		*help;
};

/* One table and the struct it fills. */
struct np_conf_table {
	const struct np_conf_item	*items;
	size_t				 n;
	void				*base;
};

#define NP_CONF_ENV_PREFIX	"NEARPOST_"
#define NP_CONF_LINE_MAX	4096
#define NP_CONF_FILE_MAX	(1024 * 1024)

/*
 * Defaults, then the file (if path is not NULL), then the environment.
 * Returns 0, or -1 with a message in err.
 */
int	np_conf_load(const struct np_conf_table *, size_t ntables,
	    const char *path, char *err, size_t errlen);
/* Parse text (the file's contents); origin names it in errors. */
int	np_conf_parse(const struct np_conf_table *, size_t ntables,
	    const char *text, size_t len, const char *origin, char *err,
	    size_t errlen);
/* Set one key from its textual value (used by the parser and env). */
int	np_conf_set(const struct np_conf_table *, size_t ntables,
	    const char *key, const char *value, char *err, size_t errlen);
void	np_conf_defaults(const struct np_conf_table *, size_t ntables);
void	np_conf_usage(FILE *, const struct np_conf_table *, size_t ntables);
void	np_conf_free(const struct np_conf_table *, size_t ntables);

#endif
