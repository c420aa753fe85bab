/*
 * router: the route stage.  For each new incident it finds the owning
 * post (nearest within route.post_radius_m, else nearest at all and a
 * coverage gap) and, per tier of the incident type's plan, the ranked
 * candidate units (the contract is docs/DISPATCH.md, "Routing").
 *
 * The decision is pure logic over a struct router_map -- the city, the
 * plans, a geo index of the posts and one per unit kind of the units
 * where they are now, and each unit's live status -- so it is tested and
 * benchmarked without Redis or sockets:
 *
 *   map.c    the map: building it, moving units, changing their status
 *   route.c  owning post and ranked candidates (the minimal-unit rule)
 *   msg.c    messages in (incident.created, unit.position, unit.status)
 *            and out (route.decided), as JSON; decided.c route.decided
 *            as text, the daemon's fast way
 *   query.c  the REQ/REP queries (post, units, route), JSON in and out
 *
 * are the nprouter_logic library.  The daemon around it (struct router):
 *
 *   units.c      unit state from Redis at start and every refresh_s; the
 *                units bus (positions and status hints)
 *   incidents.c  s:incidents -> route -> decide.lua (inc:<id>, timeline,
 *                s:routes in one script call per read) -> XACK;
 *                route.decided on the event bus
 *   main.c       settings, start-up, REP socket, drain on SIGTERM
 */
#ifndef ROUTER_H
#define ROUTER_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "np_city.h"
#include "np_plans.h"
#include "np_svc.h"

struct np_geo_hit;
struct np_geo_index;

#define ROUTER_CAND_MAX		64	/* route.candidates at most */
#define ROUTER_CELL_S		180.0	/* a kind's index cell: its reach in
					 * this many seconds, */
#define ROUTER_CELL_MIN_M	100.0	/* but at least this many metres */
#define ROUTER_QUERY_MAX	500	/* "max" of a units query */
#define ROUTER_QUERY_RADIUS_MAX	1000000.0	/* metres, units query */
#define ROUTER_LAT_MAX		85.05112878	/* Redis GEO's limit */

/*
 * Unit statuses (docs/DISPATCH.md); only AVAILABLE is routable.  UNKNOWN
 * stands for a status string we do not know (from a newer peer): shown,
 * never routed.
 */
enum router_status {
	ROUTER_ST_AVAILABLE,
	ROUTER_ST_DISPATCHED,
	ROUTER_ST_ACKED,
	ROUTER_ST_ENROUTE,
	ROUTER_ST_ONSCENE,
	ROUTER_ST_UNREACHABLE,
	ROUTER_ST_OFFLINE,
	ROUTER_ST_UNKNOWN,
	ROUTER_ST_COUNT
};

const char	*router_status_name(enum router_status);
/* -1 for anything but the statuses above (UNKNOWN included). */
int		 router_status_parse(const char *);

struct router_params {
	double	post_radius_m;			/* 200 */
	double	detour;				/* 1.3 */
	double	speed[NP_UNIT_KINDS];		/* m/s */
	int	candidates;			/* per tier, 8 */
};

/* DISPATCH.md's defaults. */
void	router_params_defaults(struct router_params *);

/* Live state of city->units[i]. */
struct router_unit {
	enum router_status	status;
	int			located;	/* in its kind's index */
	double			lat, lon;
	int64_t			pos_ts;		/* ms; 0: home position */
	uint32_t		taken;		/* tier generation: listed */
	uint32_t		lead;		/* tier generation in which it
						 * came first (is sent) */
	uint32_t		hinted;		/* sync generation of a bus
						 * status (units.c) */
};

/*
 * The map.  Every unit starts at its home position, available.  Posts
 * and units are indexed under their index in city->posts / ->units, the
 * units in one index per kind: a search for the few units of a rare kind
 * then never wades through the many of a common one.
 * The map keeps pointers to city and plans, which must outlive it.
 */
struct router_map {
	const struct np_city	*city;
	const struct np_plans	*plans;
	struct router_params	 p;
	struct np_geo_index	*posts;
	struct np_geo_index	*units[NP_UNIT_KINDS];
	struct router_unit	*live;
	uint32_t		 gen;		/* of the last tier routed */
	uint32_t		 gen0;		/* of the current route's first */
};

/* NULL with err (no posts, bad parameters, out of memory). */
struct router_map *router_map_new(const struct np_city *,
		    const struct np_plans *, const struct router_params *,
		    char *err, size_t errlen);
void		 router_map_free(struct router_map *);
/*
 * Move unit i (index in city->units).  ts: when the unit was there (ms);
 * a position older than the one held is ignored (returns 0), an invalid
 * one refused (-1); 1 when the unit moved.
 */
int		 router_map_position(struct router_map *, size_t unit,
		    double lat, double lon, int64_t ts);
void		 router_map_status(struct router_map *, size_t unit,
		    enum router_status);

/* The owning post of a point. */
struct router_post {
	size_t	post;		/* index in city->posts */
	double	dist_m;
	int	gap;		/* none within post_radius_m */
};

struct router_cand {
	uint32_t	unit;	/* index in city->units */
	double		dist_m;
	double		eta_s;
};

struct router_tier {
	int			tier;
	int			deadline_s;
	size_t			n;
	struct router_cand	c[ROUTER_CAND_MAX];
};

struct router_decision {
	struct router_post	post;
	size_t			ntiers;
	struct router_tier	tiers[NP_TIERS_MAX];
};

/* route.c: 0, or -1 if lat/lon is not a valid point. */
int	router_post(const struct router_map *, double lat, double lon,
	    struct router_post *);
/*
 * The owning post and, per tier of plan (NULL: no tiers), the ranked
 * candidates.  Marks the units it lists (so a unit is in one tier only);
 * changes nothing else.  0, or -1 if lat/lon is not a valid point.
 */
int	router_route(struct router_map *, const struct np_plan *plan,
	    double lat, double lon, struct router_decision *);
/* Estimated arrival of a unit of kind k over dist_m metres. */
double	router_eta(const struct router_map *, enum np_unit_kind k,
	    double dist_m);
/*
 * Units within radius_m, nearest first (ties: lower index): kind and
 * status -1 for any.  Returns how many were written to out (<= max).
 */
size_t	router_units_near(const struct router_map *, double lat, double lon,
	    double radius_m, int kind, int status, struct np_geo_hit *out,
	    size_t max);

/*
 * msg.c.  The parts of the messages the router relies on; every parser
 * returns 0, or -1 with err naming the field.
 */
struct router_incident {
	char		id[NP_CITY_ID_MAX + 1];
	char		type[NP_TYPE_MAX + 1];
	int		priority;
	double		lat, lon;
	long long	t0;
};

enum router_msg {
	ROUTER_MSG_CREATED,	/* incident.created */
	ROUTER_MSG_UPGRADED,	/* incident.upgraded: id only */
	ROUTER_MSG_OTHER,	/* another type: acked, ignored */
};

/* An s:incidents entry: fast, else strict. */
int	router_incident_parse(const char *msg, size_t len, enum router_msg *,
	    struct router_incident *, char *err, size_t errlen);
/*
 * Its two paths, for tests: the fast one (np_jscan, keys in any order) 0
 * with kind and inc filled, or 1: not read here (the strict one decides,
 * and names the field); the strict one (jansson) is the parse without
 * the fast path.
 */
int	router_incident_fast(const char *msg, size_t len, enum router_msg *,
	    struct router_incident *);
int	router_incident_strict(const char *msg, size_t len, enum router_msg *,
	    struct router_incident *, char *err, size_t errlen);

struct router_unit_msg {
	char		unit_id[NP_CITY_ID_MAX + 1];
	int		position;	/* 1: unit.position, 0: unit.status */
	double		lat, lon;
	int64_t		ts;
	int		status;		/* enum router_status, or -1: an
					 * event (online, clear, declined)
					 * that is no status of its own */
};

/*
 * A unit.status "status": 0 with *status its enum router_status, or -1
 * for an event that is no status (online, clear, declined); -1 returned
 * for anything else.
 */
int	router_status_word(const char *, int *status);
/* One units-bus frame "<topic> <json>": fast, else strict. */
int	router_unit_msg_parse(const char *frame, size_t len,
	    struct router_unit_msg *, char *err, size_t errlen);
/* The same frame's topic and payload read by jansson alone. */
int	router_unit_msg_strict(const char *topic, size_t tlen,
	    const char *payload, size_t plen, struct router_unit_msg *,
	    char *err, size_t errlen);
/*
 * The payload of a unit.position frame in the gateway's shape (its keys,
 * in its order), read without jansson (np_jscan): 0 with u filled, 1 for
 * anything else or what the strict path would refuse (then parse it the
 * strict way).  posframe.c.
 */
int	router_pos_fast(const char *json, size_t len,
	    struct router_unit_msg *u);
/* The same for a unit.status frame, keys in any order (u's unit_id and
 * status). */
int	router_status_fast(const char *json, size_t len,
	    struct router_unit_msg *u);

/* The tiers array of a decision (route.decided's "tiers"). */
json_t	*router_tiers_json(const struct router_map *,
	    const struct router_decision *);
/* {"id","name","distance_m"} of the decision's post (+ kind, lat, lon). */
json_t	*router_post_json(const struct router_map *,
	    const struct router_post *, int full);
/* The route.decided message (caller json_decrefs). */
json_t	*router_decided_json(const struct router_map *,
	    const struct router_incident *, const struct router_decision *);
/*
 * The same message as text (what router_decided_json dumps), written
 * without jansson objects: malloc'd, *len set; NULL when out of memory.
 * decided.c.
 */
char	*router_decided_text(const struct router_map *,
	    const struct router_incident *, const struct router_decision *,
	    size_t *len);
/* Round to 0.1 (metres, seconds) as the messages carry them. */
double	router_round1(double);

/* query.c: answer one REQ frame; malloc'd JSON, *len set.  Never NULL. */
char	*router_query(struct router_map *, const char *msg, size_t len,
	    size_t *replylen);

/* The daemon. */
struct np_consumer;
struct np_redis;
struct np_sock;
struct event;
struct decide_op;
struct decide_batch;
TAILQ_HEAD(router_opq, decide_op);
LIST_HEAD(router_batches, decide_batch);

struct router_conf {
	double	 post_radius_m;
	double	 detour;
	double	 speed[NP_UNIT_KINDS];
	int	 candidates;
	int	 refresh_s;
	struct np_svc_city	city;	/* city.posts, city.units, plans.file */
	struct np_svc_bus	bus;	/* bus.events, bus.units, bus.router */
	struct np_svc_stream	stream;
};

struct router_stats {
	unsigned long long	routed;		/* decisions written */
	unsigned long long	replayed;	/* already routed: acked */
	unsigned long long	bad;		/* entries refused */
	unsigned long long	failed;		/* script errors */
	unsigned long long	positions;	/* unit.position applied */
	unsigned long long	statuses;	/* unit.status applied */
	unsigned long long	queries;
};

struct router {
	struct np_svc		 svc;
	struct router_conf	 conf;
	struct np_city		*city;
	struct np_plans		*plans;
	struct router_map	*map;
	struct np_redis		*redis;
	struct np_consumer	*incidents;
	struct np_sock		*bus_units;
	struct np_sock		*bus_router;
	struct np_sock		*bus_events;
	struct np_sock		*health;	/* answers surveys */

	/* units.c: loading unit state from Redis */
	struct event		*sync_ev;
	size_t			 sync_next;	/* next unit to ask for */
	size_t			 sync_wait;	/* replies outstanding */
	uint32_t		 sync_gen;	/* of the running sync */
	int			 sync_broken;	/* a reply was lost */
	int			 synced;	/* first sync finished */
	void			(*on_synced)(struct router *);

	struct router_opq	 pending;	/* decisions of the read */
	struct router_batches	 batches;	/* decide.lua calls */
	size_t			 inflight;	/* decisions not yet done */
	struct router_stats	 stats;
	char			 k_incidents[160];
	char			 k_routes[160];
};

/* units.c */
int	router_units_start(struct router *, const char *endpoint);
void	router_units_sync(struct router *);	/* (re)load from Redis */
void	router_units_stop(struct router *);

/* incidents.c */
void	router_incidents_init(struct router *);
int	router_incidents_start(struct router *);
/* Stop reading; drop what waits to be retried (it stays pending). */
void	router_incidents_stop(struct router *);

#endif
