/*
 * np_bus: nanomsg sockets driven by the libevent loop.
 *
 * nanomsg carries what is latency-critical and can be rebuilt (see
 * DESIGN.md, "Two transports"): the PUB/SUB event bus, unit positions
 * (PUSH/PULL), REQ/REP queries and SURVEYOR/RESPONDENT health checks.
 *
 * A struct np_sock is one nanomsg socket whose NN_RCVFD is watched by the
 * loop (EV_READ|EV_PERSIST, level-triggered).  The fd is only a signal: it
 * is never read; on a wake-up the socket is drained with NN_DONTWAIT, at
 * most NP_SOCK_BATCH frames, so one busy socket cannot starve the loop.
 * Sends never block: back-pressure is -1 with errno EAGAIN, counted.
 *
 * On top of it: np_req (one outstanding request per REQ socket, a bounded
 * FIFO behind it, a deadline per request), np_rep_new (a synchronous
 * handler answers each request), np_survey / np_respondent_new (health).
 *
 * Ownership: every _new has its _free; a _free may be called from inside
 * the object's own callback.  Received frames are lent to callbacks for the
 * duration of the call only (not NUL-terminated).  Handlers return a
 * malloc'd reply that np_bus frees.
 */
#ifndef NP_BUS_H
#define NP_BUS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

#define NP_BUS_FRAME_MAX	(1024 * 1024)	/* NN_RCVMAXSIZE, send limit */
#define NP_BUS_TOPIC_MAX	64		/* bytes in a topic */
#define NP_SOCK_BATCH		64		/* frames drained per wake-up */
#define NP_REQ_TIMEOUT_MAX	600000		/* ms; NN_REQ_RESEND_IVL is above */
/* The reply sent when an np_rep_handler returns NULL. */
#define NP_REP_ERROR		"{\"error\":\"internal\"}"

enum np_sock_kind {
	NP_SOCK_PUB,
	NP_SOCK_SUB,
	NP_SOCK_PUSH,
	NP_SOCK_PULL,
	NP_SOCK_REQ,
	NP_SOCK_REP,
	NP_SOCK_SURVEYOR,
	NP_SOCK_RESPONDENT,
};

struct np_sock;
typedef void np_sock_cb(struct np_sock *, const char *msg, size_t len,
    void *arg);

struct np_sock_stats {
	uint64_t	sent;		/* frames accepted by nanomsg */
	uint64_t	received;	/* frames handed to the callback */
	uint64_t	dropped;	/* sends refused: EAGAIN (back-pressure) */
	uint64_t	errors;		/* other send/receive errors */
};

/*
 * endpoint: "ipc:///path" or "tcp://127.0.0.1:port", or several separated
 * by commas.  bind != 0 binds (errors such as EADDRINUSE fail here), else
 * connects (nanomsg connects and reconnects in the background).  cb may be
 * NULL for PUB and PUSH, which never receive.  Every kind but SURVEYOR is
 * watched from the start when it has a cb; a SURVEYOR's RCVFD stays
 * readable while no survey runs, so it is watched only during a survey
 * (np_survey does this).  Returns NULL (logged) on failure.
 */
struct np_sock	*np_sock_new(struct event_base *, enum np_sock_kind,
		    const char *endpoint, int bind, np_sock_cb *cb, void *arg);
void		 np_sock_free(struct np_sock *);
/* NN_DONTWAIT; -1 with errno EAGAIN on back-pressure, EMSGSIZE if too big. */
int		 np_sock_send(struct np_sock *, const void *msg, size_t len);
/* The nn socket, for nn_setsockopt. */
int		 np_sock_fd(const struct np_sock *);
/* Start (on != 0) or stop watching for frames, e.g. to pause a PULL. */
int		 np_sock_watch(struct np_sock *, int on);
void		 np_sock_stats(const struct np_sock *, struct np_sock_stats *);

/*
 * PUB/SUB event bus.  A frame is "<topic> <json>"; the topic is the message
 * type ("incident.created"), 1..NP_BUS_TOPIC_MAX bytes without spaces.
 * Subscriptions are prefixes matched against the whole frame: "incident."
 * gets every incident event, "incident.created " exactly that one, ""
 * everything.  PUB drops silently for slow or absent subscribers.
 */
int	np_bus_publish(struct np_sock *pub, const char *topic,
	    const char *json, size_t len);
int	np_bus_subscribe(struct np_sock *sub, const char *topic_prefix);
/* Split a received frame; 0 and pointers into msg, or -1 if malformed. */
int	np_bus_split(const char *msg, size_t len, const char **topic,
	    size_t *topiclen, const char **payload, size_t *paylen);

/*
 * ipc://RUN_DIR/NAME.ipc by default.  A configured endpoint (NAME holding
 * "://", e.g. "tcp://127.0.0.1:7420") is used as it is.  -1 with errno
 * ENAMETOOLONG if it does not fit buf or an ipc path is too long for
 * sun_path.
 */
int	np_bus_endpoint(char *buf, size_t len, const char *run_dir,
	    const char *name);

/*
 * REP and RESPONDENT servers: the handler answers each frame synchronously
 * with a malloc'd reply of *replylen bytes (freed by np_bus), or NULL,
 * answered with NP_REP_ERROR.  A REQ may re-send a request when the
 * connection it went out on breaks: handlers must be idempotent.
 */
typedef char *np_rep_handler(const char *msg, size_t len, size_t *replylen,
    void *arg);
struct np_sock	*np_rep_new(struct event_base *, const char *endpoint,
		    np_rep_handler *, void *arg);	/* binds */
struct np_sock	*np_respondent_new(struct event_base *,
		    const char *endpoint, np_rep_handler *, void *arg); /* connects */

/*
 * REQ client.  One request is outstanding at a time; up to max_queue more
 * wait in FIFO order (np_req_send fails with EAGAIN beyond that).  A
 * request's timeout counts from np_req_send, queueing included.  The cb is
 * called exactly once per accepted request: with the reply, or with NULL
 * on timeout or when the np_req is freed.  Never from inside np_req_send.
 */
struct np_req;
typedef void np_req_cb(const char *reply, size_t len, void *arg);

struct np_req_stats {
	uint64_t	requests;	/* accepted by np_req_send */
	uint64_t	replies;
	uint64_t	timeouts;
	uint64_t	late;		/* replies after their timeout, dropped */
	uint64_t	refused;	/* np_req_send failures (queue full ...) */
	size_t		queued;		/* waiting now, outstanding included */
};

struct np_req	*np_req_new(struct event_base *, const char *endpoint,
		    int max_queue);	/* connects */
int		 np_req_send(struct np_req *, const void *msg, size_t len,
		    int timeout_ms, np_req_cb *, void *arg);
void		 np_req_free(struct np_req *);
void		 np_req_stats(const struct np_req *, struct np_req_stats *);
struct np_sock	*np_req_sock(struct np_req *);

/*
 * Health surveys.  np_survey_ask sends question (a string) to every
 * connected respondent; on_answer runs per answer, on_done once at the
 * deadline with the number of answers (-1 if the survey was cancelled by
 * np_survey_free).  One survey at a time: EBUSY while one runs.  on_done
 * may ask the next survey.
 */
struct np_survey;
struct np_survey *np_survey_new(struct event_base *,
		    const char *endpoint /* bound */, int deadline_ms);
int		 np_survey_ask(struct np_survey *, const char *question,
		    void (*on_answer)(const char *, size_t, void *),
		    void (*on_done)(int answers, void *), void *arg);
void		 np_survey_free(struct np_survey *);
struct np_sock	*np_survey_sock(struct np_survey *);

#endif
