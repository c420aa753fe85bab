/*
 * dashboard: the supervisors' view (docs/TRACK.md, "The dashboard").
 *
 * An HTTP server on common/np_http serving a page (www/, embedded into
 * the binary: nothing is loaded from outside the machine), a JSON API
 * read from Redis by two Lua scripts (state.lua, sla.lua: one round trip
 * each), a Server-Sent-Events feed of the nanomsg event bus (the
 * dashboard binds the SUB side of bus.events, every service's PUB
 * connects to it), /metrics and a SURVEYOR health round on bus.health.
 *
 * Files: sse.c, state.c, sla.c (pure: framing and JSON assembly, linked
 * by the unit tests as npdashboard_logic), events.c (bus -> SSE clients),
 * health.c (survey), api.c (Redis-backed routes), http.c (routes, page,
 * metrics), main.c.
 */
#ifndef DASHBOARD_H
#define DASHBOARD_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "np_auth.h"
#include "np_city.h"
#include "np_http.h"
#include "np_plans.h"
#include "np_svc.h"
#include "session.h"

struct event;
struct np_http;
struct np_http_req;
struct np_redis;
struct np_sock;
struct np_survey;

/* sse.c: one SSE event "event: <topic>\ndata: <line>\n...\n\n" (every
 * line of data gets its own "data:"); malloc'd, *outlen set; NULL if the
 * topic is empty, holds CR/LF/space or out of memory. */
char	*dash_sse_frame(const char *topic, size_t tlen, const char *data,
	    size_t dlen, size_t *outlen);

/* state.c: what /api/state is built from. */
struct dash_view {
	const struct np_city	*city;
	const struct np_plans	*plans;
	int			 mark_s[NP_TIERS_MAX];	/* 0: plan's */
	size_t			 max_escalations;
};
/* raw: state.lua's answer; a new object (never NULL unless OOM). */
json_t	*dash_state_build(const struct dash_view *, json_t *raw,
	    int64_t now);
/* "green" before the first mark, "amber" after it, "red" once a mark is
 * missed or overdue; marks: [{tier, due, state}]. */
const char *dash_level(json_t *marks, int64_t now);

/* sla.c: "h:yyyymmddhh" / "d:yyyymmdd" (UTC) for window "hour"/"day";
 * -1 for another window. */
int	dash_sla_bucket(const char *window, int64_t now_ms, char *buf,
	    size_t len);
/* The scopes asked for: "post:<id>" per post, "district:<d>" per
 * distinct district; a JSON array of strings. */
json_t	*dash_sla_scopes(const struct np_city *);
/* raw: sla.lua's answer [[scope, {field: value}], ...]. */
json_t	*dash_sla_build(const char *window, const char *bucket, json_t *raw);

/* The service. */
struct dash_conf {
	char	*http_addr;
	int	 http_port;
	int	 http_max_conns;
	int	 http_idle_ms;
	int	 max_clients;		/* SSE clients */
	int	 heartbeat_ms;
	int	 max_incidents;
	int	 max_escalations;
	int	 survey_ms;
	int	 mark_s[NP_TIERS_MAX];
	int	 http_max_body;
	int	 session_ttl_s;
	int	 max_sessions;
	struct np_svc_city city;
	struct np_svc_bus bus;
	struct np_auth_conf auth;
	struct np_http_limit_conf limits;
};

struct dash_client {
	struct np_http_req		*req;
	TAILQ_ENTRY(dash_client)	 entry;
};
TAILQ_HEAD(dash_clients, dash_client);

struct dash_waiter {
	struct np_http_req		*req;
	TAILQ_ENTRY(dash_waiter)	 entry;
};
TAILQ_HEAD(dash_waiters, dash_waiter);

struct dash_stats {
	uint64_t	frames;		/* received from the bus */
	uint64_t	bad_frames;
	uint64_t	forwarded;	/* frames written to clients */
	uint64_t	dropped;	/* clients dropped (slow) */
	uint64_t	refused;	/* SSE clients refused (max) */
	uint64_t	surveys;
	uint64_t	redis_errors;
};

struct dashboard {
	struct np_svc		 svc;
	struct dash_conf	 conf;
	struct np_city		*city;
	struct np_plans		 plans;
	struct dash_view	 view;
	json_t			*unit_ids;	/* for state.lua */
	json_t			*scopes;	/* for sla.lua */
	struct np_redis		*redis;
	struct np_http		*http;
	struct np_sock		*sub;
	struct np_sock		*health;	/* answers surveys */
	struct np_survey	*survey;
	struct event		*ev_beat;
	struct dash_clients	 clients;
	size_t			 nclients;
	struct dash_waiters	 waiters;
	json_t			*answers;	/* of the running survey */
	int			 surveying;
	struct dash_stats	 stats;
	struct np_auth		 auth;
	struct dash_sessions	 sessions;	/* login.c */
};

/* events.c */
int	dash_events_start(struct dashboard *);
void	dash_events_stop(struct dashboard *);
void	dash_events_serve(struct dashboard *, struct np_http_req *);
/* health.c */
int	dash_health_start(struct dashboard *);
void	dash_health_stop(struct dashboard *);
void	dash_health_serve(struct dashboard *, struct np_http_req *);
/* api.c */
void	dash_api_init(struct dashboard *);
void	dash_api_state(struct np_http_req *, void *);
void	dash_api_sla(struct np_http_req *, void *);
/* http.c */
int	dash_http_start(struct dashboard *);
/* login.c: the caller (session cookie or bearer token, supervisor at
 * least), or NULL after answering 401/403. */
const struct np_auth_token *dash_auth(struct dashboard *,
	    struct np_http_req *);
void	dash_login(struct np_http_req *, void *);
void	dash_logout(struct np_http_req *, void *);

#endif
