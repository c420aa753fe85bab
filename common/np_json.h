/*
 * np_json: strict JSON in, compact JSON out, on jansson.
 *
 * Input from outside is parsed strictly: duplicate keys and trailing data
 * are refused, and the error names line and column.  Field readers check
 * type, range and length and, on failure, fill a struct np_jerr naming the
 * field (as a JSON path such as "location.lat") and the problem, which the
 * HTTP layer turns into a 4xx body as it is.
 *
 * Every message on a stream or the bus is an envelope:
 *   {"type": "incident.created", "v": 1, "ts": <ms since epoch>,
 *    "src": "intake", ...the type's own fields...}
 * whose shape is fixed by schemas/<type>.schema.json.
 */
#ifndef NP_JSON_H
#define NP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "np_time.h"

#define NP_MSG_VERSION	1

struct np_jerr {
	char	field[96];	/* "" when the problem is the whole document */
	char	msg[256];
};

/* Strict parse; NULL with a "line L column C: ..." message in e->msg. */
json_t	*np_json_parse(const char *buf, size_t len, struct np_jerr *e);

/*
 * Field readers: obj is an object; path is the prefix used in error
 * messages ("" at the top, "location" inside it).  With required == 0 an
 * absent (or null) field returns 0 and leaves *out untouched; with 1 it is
 * an error.  Return 0, or -1 with e filled.
 */
int	np_json_str(json_t *obj, const char *path, const char *key,
	    int required, size_t maxlen, const char **out, struct np_jerr *e);
int	np_json_num(json_t *obj, const char *path, const char *key,
	    int required, double min, double max, double *out,
	    struct np_jerr *e);
int	np_json_int(json_t *obj, const char *path, const char *key,
	    int required, long long min, long long max, long long *out,
	    struct np_jerr *e);
int	np_json_obj(json_t *obj, const char *path, const char *key,
	    int required, json_t **out, struct np_jerr *e);
/* Refuse any key not in allowed (NULL-terminated). */
int	np_json_only(json_t *obj, const char *path,
	    const char *const *allowed, struct np_jerr *e);
/*
 * An id (np_id_valid: 1..maxlen of [A-Za-z0-9._:-]) copied into out,
 * which holds maxlen + 1 bytes.
 */
int	np_json_id(json_t *obj, const char *path, const char *key,
	    int required, size_t maxlen, char *out, struct np_jerr *e);
/* "field: message" (or just the message) into buf; returns -1. */
int	np_jerr_format(const struct np_jerr *e, char *buf, size_t len);
/* Fill e; returns -1 so callers can `return np_jerr_set(...)`. */
int	np_jerr_set(struct np_jerr *e, const char *path, const char *key,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A new envelope with type, v, ts (now) and src. */
json_t	*np_msg_new(const char *type, const char *src);
/* Compact dump, keys in insertion order; caller frees.  NULL on error. */
char	*np_json_dump(const json_t *, size_t *len);
/* 1 when s goes into a JSON string as it is, byte for byte as jansson
 * writes it (printable ASCII, no '"' or '\\'): text built by hand. */
int	 np_json_plain(const char *s);

#endif
