/*
 * intake: the aggregate stage.  Call-takers and machine sources post calls
 * over HTTP; a call is validated (call.c), then one Lua script in Redis
 * (aggregate.lua, driven by store.c) atomically either replays an earlier
 * answer for the same call id, merges the call into an open incident of a
 * compatible type nearby, or creates a new incident and hands it to the
 * router on the incidents stream.  The HTTP reply goes out only after
 * Redis has answered, so an accepted call is never only in our memory.
 *
 * Files: call.c (parsing and canonical form: pure; incident types come
 * from the plans file through common/np_plans), store.c (Redis), http.c
 * (routes), main.c.
 */
#ifndef INTAKE_H
#define INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "np_auth.h"
#include "np_http.h"
#include "np_json.h"
#include "np_plans.h"
#include "np_svc.h"

struct np_http;
struct np_http_req;
struct np_redis;
struct np_redis_script;
struct np_sock;
struct fb_close_conf;

#define INTAKE_ID_MAX		64	/* call and incident ids */
#define INTAKE_ADDRESS_MAX	256
#define INTAKE_NAME_MAX		128
#define INTAKE_PHONE_MAX	32
#define INTAKE_DESC_MAX		2000
/* Redis GEO (and Web Mercator) stop at +-85.05112878 degrees */
#define INTAKE_LAT_MAX		85.05112878

enum intake_source {
	INTAKE_SRC_PHONE,
	INTAKE_SRC_VIDEO,
	INTAKE_SRC_ALARM,
	INTAKE_SRC_WALKIN,
};

/* call.c: priority 1..4 <-> "red", "orange", "yellow", "blue". */
const char *intake_colour(int priority);
int	intake_priority_of_colour(const char *colour);

/* One validated call.  Strings point into doc, which the call owns. */
struct intake_call {
	json_t			*doc;
	char			 call_id[INTAKE_ID_MAX + 1];
	int			 call_id_given;
	enum intake_source	 source;
	const struct np_type	*type;
	int			 priority;
	double			 lat, lon;
	const char		*address;
	const char		*caller_name;
	const char		*caller_phone;
	const char		*description;
	char			 by[NP_AUTH_PRINCIPAL_MAX]; /* who took it */
};

/*
 * call.c: parse a POST /v1/calls body.  idem: the Idempotency-Key header
 * or NULL.  0, or -1 with e naming the field.  On success free with
 * intake_call_free.
 */
int	intake_call_parse(struct intake_call *, const struct np_plans *,
	    const char *body, size_t len, const char *idem, struct np_jerr *e);
void	intake_call_free(struct intake_call *);
const char *intake_source_name(enum intake_source);
/* The call as stored and shown: canonical JSON (caller frees). */
json_t	*intake_call_json(const struct intake_call *, int64_t accepted_ms);
/* Fingerprint of what the call says (not its id or time): 16 hex chars. */
void	intake_call_fingerprint(const struct intake_call *, char out[17]);
/* The same from the parts, each made once per call (store.c): what the
 * call says as compact JSON (caller frees), its fingerprint, and the dump
 * of intake_call_json() spliced from it (caller frees; NULL no memory). */
char	*intake_call_content(const struct intake_call *, size_t *len);
void	intake_content_fingerprint(const char *content, char out[17]);
char	*intake_call_json_str(const struct intake_call *, const char *content,
	    size_t len, int64_t accepted_ms);


/* The service: one context, no other globals. */
struct intake_conf {
	char	*http_addr;
	int	 http_port;
	int	 http_max_body;
	int	 http_max_conns;
	int	 http_idle_ms;
	double	 merge_radius_m;
	int	 merge_window_s;
	int	 merge_candidates;
	struct np_svc_city city;	/* plans.file */
	struct np_svc_bus bus;		/* bus.events */
	struct np_auth_conf auth;	/* auth.* */
	struct np_http_limit_conf limits; /* http.max_header_bytes, per source */
};

struct intake_stats {
	uint64_t	calls;		/* accepted: created + merged */
	uint64_t	created;
	uint64_t	merged;
	uint64_t	duplicates;
	uint64_t	conflicts;
	uint64_t	rejected;	/* 4xx */
	uint64_t	unavailable;	/* 503 */
};

struct intake {
	struct np_svc		 svc;
	struct intake_conf	 conf;
	struct np_plans		 plans;
	struct np_redis		*redis;
	struct np_http		*http;
	struct np_sock		*bus;
	struct np_sock		*health;	/* answers surveys */
	struct fb_close_conf	*close;	/* feedback.*, for supervisor closes
					   (services/feedback/fb_close.h) */
	struct intake_stats	 stats;
	struct np_auth		 auth;		/* who may do what (http.c) */
	size_t			 inflight;	/* calls waiting for Redis */
	char			 k_geo[160];
	char			 k_open[160];
	char			 k_stream[160];
	/* aggregate.lua's merge arguments, from conf (intake_store_init) */
	char			 a_radius[32], a_window[24], a_cand[16];
};

/* store.c: the Redis side.  Outcome of one call: */
enum intake_rc {
	INTAKE_OK,		/* Redis answered: see the outcome */
	INTAKE_UNAVAILABLE,	/* not sent: Redis is down */
	INTAKE_UNKNOWN,		/* sent, connection lost: retry safely */
	INTAKE_FAILED,		/* Redis refused (a bug or misconfig) */
};

struct intake_outcome {
	char		status[16];	/* created merged duplicate conflict */
	char		incident_id[INTAKE_ID_MAX + 1];
	int		merged;
	long long	calls;
	int		priority;
	long long	t0;
	const char	*created;	/* "created": the incident.created */
	size_t		 created_len;	/* message put on the stream */
};

typedef void intake_aggregate_cb(struct intake *, enum intake_rc,
    const struct intake_call *, const struct intake_outcome *, void *);
typedef void intake_get_cb(struct intake *, enum intake_rc,
    json_t *incident, void *);	/* incident NULL: no such incident */

void	intake_store_init(struct intake *);
/* Takes the call (freed when done); the callback sees it last. */
void	intake_store_aggregate(struct intake *, struct intake_call *,
	    intake_aggregate_cb *, void *);
void	intake_store_get(struct intake *, const char *id, intake_get_cb *,
	    void *);
/* incident.c: the open incidents, newest first, at most limit:
 * {"incidents": [...], "count": n} (the caller of cb must not keep it). */
void	intake_store_list(struct intake *, int limit, intake_get_cb *,
	    void *);
/* incident.created message for the stream and the bus (caller frees). */
json_t	*intake_msg_created(const struct intake *, const struct intake_call *,
	    const char *incident_id, int64_t t0);

/* http.c */
int	intake_http_start(struct intake *);
int	intake_is_json(const char *content_type);
/* 503 for rc INTAKE_UNAVAILABLE / INTAKE_UNKNOWN (call_id may be NULL). */
void	intake_reply_unavailable(struct intake *, struct np_http_req *,
	    enum intake_rc, const char *call_id);

/* supervise.c: POST /v1/incidents/{id}/close and .../followup. */
void	intake_post_close(struct np_http_req *, void *);
void	intake_post_followup(struct np_http_req *, void *);

#endif
