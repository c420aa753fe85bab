/*
 * npsim: a simulated city driven against the real services.
 *
 * Calls go to intake's HTTP API (docs/API.md) like a call-taker's, every
 * unit of the city data speaks the radio line protocol to radiogw
 * (docs/RADIO.md) like a field unit, and the summary at the end is read
 * back from the services (each incident's timeline and marks), so what
 * npsim prints is what the loop did, not what the simulation intended.
 *
 * One process, one libevent loop.  The city clock runs `speed` times
 * real time; every delay of the simulation is in city seconds and is
 * divided by the speed when it becomes a timer (sim_tv).  The services
 * get the same scale through their settings (`npsim --scaled-env`).
 *
 * Files: main.c (settings, start, stop), scaled.c (--scaled-env),
 * calls.c (the call load: generated, replayed or at a fixed rate; the
 * 201s), units.c (the radio
 * link: connect, login, lines), life.c (what a unit does with an
 * order), report.c (progress line, incidents read back, summary),
 * incs.c (the incidents seen, by id).  Pure logic is in sim.h.
 */
#ifndef NPSIM_H
#define NPSIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <event2/event_struct.h>

#include "np_conn.h"
#include "np_svc.h"
#include "sim.h"

struct np_httpc;

struct sim_conf {
	double	 speed;
	double	 duration_min;
	char	*start;			/* "HH:MM" city start, "" now */
	char	*area;			/* "lat,lat,lon,lon", "" posts' box */
	double	 calls_per_hour;
	char	*curve;
	int	 seed;
	double	 repeat_share, retry_share, gap_share;
	double	 decline_share, mute_share, drop_per_hour;
	double	 pos_interval_s, onscene_mean_s;
	char	*replay;
	double	 rate;			/* load mode: calls per real second */
	int	 fast_units;
	double	 progress_s;		/* real seconds between lines */
	int	 conns, pipeline, timeout_ms;
	double	 drain_s;		/* real seconds to wait at the end */
	double	 warmup_s;		/* load mode: longest wait for logins */
	int	 quiet;
	int	 scaled_env;
	char	*intake_url, *dashboard_url, *radio_host;
	int	 radio_port;
	char	*token;
	char	*log_level;
	struct np_svc_city city;	/* city.* and plans.file */
};

enum unit_link { LINK_OFF, LINK_CONNECTING, LINK_AUTH, LINK_ON };
enum unit_life {
	LIFE_IDLE,		/* at home or patrolling, available */
	LIFE_ORDERED,		/* an order came, not yet acknowledged */
	LIFE_ACKED,
	LIFE_ENROUTE,
	LIFE_ONSCENE,
	LIFE_RETURNING,		/* done, going home */
};

struct sim;

struct sim_unit {
	struct sim		*sim;
	const struct np_unit	*u;
	struct np_conn		 conn;		/* the radio link */
	int			 reading;	/* flush after the lines */
	enum unit_link		 link;
	enum unit_life		 life;
	int			 mute;		/* never answers orders */
	struct sim_order	 order;		/* the current one */
	char			 last[128];	/* last order line sent */
	int			 unsent;	/* ...not sent: link down */
	int			 was_on;	/* logged in at least once */
	double			 lat, lon;
	struct sim_trip		 trip;
	int			 moving;
	struct event		 ev_step;	/* the next step of life */
	struct event		 ev_pos;	/* position reports */
	struct event		 ev_link;	/* drop / reconnect */
	struct event		 ev_resend;	/* after NAK unavailable */
	unsigned		 resend;	/* RESEND_* of it */
};

/* An incident seen in a 201, by id (incs.c). */
struct sim_inc {
	char		id[32];
	int64_t		accepted_us;	/* 201 read, 0: not yet */
	int64_t		order_us;	/* first ORDER read, 0: none */
	int		closed;		/* the services said so */
	int		escalations;
};

struct sim_incs {
	struct sim_inc	*v;		/* open addressing */
	size_t		 cap, n;
	uint32_t	*order;		/* slots in the order first seen */
};

struct sim_stats {
	uint64_t	calls, accepted, merged, duplicates, refused, failed;
	uint64_t	incidents, orders, declines, dropped, late_calls;
	uint64_t	clears, onscene_now, mute_orders;
	double		*lat_us;	/* call accepted -> ORDER read */
	size_t		 nlat, caplat;
	uint64_t	 order_before_201;
};

struct sim_delayed;

struct sim {
	struct sim_conf		 conf;
	struct event_base	*base;
	struct np_city		*city;
	struct np_plans		*plans;
	struct sim_rng		 rng;
	struct sim_curve	 curve;
	struct sim_area		 area;
	double			*gap_lat, *gap_lon;
	size_t			 ngaps;
	int64_t			 start_us;	/* np_mono, real */
	double			 city0;		/* city s since midnight */
	char			 run_id[24];
	struct sim_unit		*units;
	size_t			 nunits;
	struct sockaddr_storage	 radio_addr;	/* radiogw, resolved once */
	socklen_t		 radio_addrlen;	/* 0: not yet */
	struct np_httpc		**http;		/* intake connections */
	size_t			 nhttp, next_http;
	struct np_httpc		*dash;		/* dashboard, for /api/sla */
	struct sim_incs		 incs;
	struct sim_stats	 st;
	struct sim_csv_call	*replay;
	size_t			 nreplay, next_replay;
	struct sim_delayed	*delayed;	/* repeat calls and retries */
	struct event		 ev_call, ev_progress, ev_end, ev_sig, ev_term;
	struct event		 ev_warm;	/* load mode: the warm-up */
	size_t			 nlogged;	/* units logged in once */
	int			 loading;	/* load mode: calls started */
	size_t			 nlogged0;	/* ...logged in by then */
	double			 warmup_took_s;	/* ...after this long */
	int			 ending;
	int			 signalled;	/* the signal that ended it */
	double			 sla_closed0;	/* dashboard total at start */
	uint64_t		 seq;		/* call ids */
	uint64_t		 load_sent;	/* load mode: calls paced so far */
	int			 pace_fd;	/* load mode: its timerfd */
	int64_t			 pace_next;	/* ...set for (ns from start) */
};

/* main.c */
int64_t		sim_now_us(void);
double		sim_city_now(const struct sim *);	/* city s, from 0 */
struct timeval	sim_tv(const struct sim *, double city_s);
/* Send the bearer token (NEARPOST_TOKEN) on every request of c. */
void		sim_http_auth(const struct sim *, struct np_httpc *c);
/* Ask the loop to end (summary, then exit). */
void		sim_end(struct sim *);
/* A unit has logged in for the first time (load mode: the warm-up). */
void		sim_unit_on(struct sim *);

/* scaled.c: export lines of the service settings for conf->speed. */
void	sim_print_scaled_env(const struct sim_conf *, const struct np_plans *);

/* calls.c */
int	sim_calls_start(struct sim *);
void	sim_calls_stop(struct sim *);

/* units.c */
int	sim_units_start(struct sim *);
/*
 * End of shift: every order in hand is cleared (disposition cancelled),
 * so the next run finds every unit available; the count sent.
 */
int	sim_units_release(struct sim *);
void	sim_units_stop(struct sim *);
/* Send a line ("ACK x"); nothing while the link is down. */
void	sim_unit_send(struct sim_unit *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Send bytes as they are (whole lines, CRLF included). */
void	sim_unit_send_raw(struct sim_unit *, const char *, size_t);
/* Kept as unsent while the link is down, sent after the next login. */
void	sim_unit_order_line(struct sim_unit *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* life.c */
void	sim_life_init(struct sim_unit *);
void	sim_life_order(struct sim_unit *, const struct sim_order *);
void	sim_life_cancel(struct sim_unit *, const char *order_id);
void	sim_life_nak(struct sim_unit *, const char *verb, const char *code);
void	sim_life_position(struct sim_unit *, double *lat, double *lon);

/* incs.c */
int	sim_incs_init(struct sim_incs *, size_t cap);
void	sim_incs_free(struct sim_incs *);
/* The incident with this id, added if new (*added set); NULL: no memory. */
struct sim_inc *sim_incs_get(struct sim_incs *, const char *id, size_t len,
	    int *added);
struct sim_inc *sim_incs_at(struct sim_incs *, size_t i);  /* first seen */
int	sim_stats_latency(struct sim_stats *, double us);

/* report.c */
void	sim_report_start(struct sim *);
void	sim_report_progress(struct sim *);
/* Load mode: the dashboard's closed count before the run. */
void	sim_report_load_start(struct sim *);
/* Read every incident back, print the summary, then call done. */
void	sim_report_final(struct sim *, void (*done)(struct sim *));

#endif
