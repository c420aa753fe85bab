/*
 * np_bus_rpc: REQ clients with deadlines and a bounded queue, and health
 * surveys, on top of np_sock (np_bus.c).
 *
 * A nanomsg REQ socket holds one request at a time: sending a new one
 * cancels the old, and a reply to the old one is then discarded by
 * nanomsg (request ids).  So np_req keeps one request outstanding and the
 * rest in a FIFO, and runs its own libevent timer per request.  nanomsg's
 * own re-send timer (NN_REQ_RESEND_IVL) is set above NP_REQ_TIMEOUT_MAX so
 * a request goes out once per np_req_send; it is still re-sent when the
 * connection it went out on breaks, so a REP may see it twice.  A reply
 * that arrives after its request timed out (nothing newer sent yet) is
 * counted as late and dropped.
 *
 * A SURVEYOR's NN_RCVFD stays readable while no survey runs (nn_recv then
 * fails with EFSM or ETIMEDOUT): watched level-triggered it would spin the
 * loop.  np_survey therefore watches it only between ask and deadline, and
 * gives nanomsg a longer deadline than its own timer, so nanomsg does not
 * end a survey that np_survey still counts as running (should it happen
 * on a late loop, np_sock stops watching at the first EFSM/ETIMEDOUT).
 *
 * Callbacks may free their np_req / np_survey: the free is deferred until
 * the callback returns (in_cb), and pending callbacks then get NULL / -1.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <nanomsg/survey.h>

#include "np_bus.h"
#include "np_log.h"
#include "np_time.h"

#define REQ_RESEND_IVL	(NP_REQ_TIMEOUT_MAX + 60000)

struct req_item {
	TAILQ_ENTRY(req_item)	 entry;
	char			*msg;
	size_t			 len;
	int64_t			 deadline;	/* monotonic ms */
	np_req_cb		*cb;
	void			*arg;
};

struct np_req {
	struct np_sock		*sock;
	struct event		*timer;
	TAILQ_HEAD(, req_item)	 waiting;
	struct req_item		*cur;		/* outstanding, or NULL */
	size_t			 max;		/* waiting + outstanding */
	int			 in_cb;
	int			 dying;
	struct np_req_stats	 st;
};

struct np_survey {
	struct np_sock	*sock;
	struct event	*timer;
	int		 deadline_ms;
	int64_t		 due;		/* monotonic ms of the running survey */
	int		 active;
	int		 answers;
	int		 in_cb;
	int		 dying;
	void		(*on_answer)(const char *, size_t, void *);
	void		(*on_done)(int, void *);
	void		*arg;
};

/* Hand the outcome to the caller and release the item. */
static void
req_call(struct np_req *r, struct req_item *it, const char *reply,
    size_t len)
{
	r->in_cb++;
	it->cb(reply, len, it->arg);
	r->in_cb--;
	free(it->msg);
	free(it);
}

static void
req_destroy(struct np_req *r)
{
	struct req_item	*it;

	evtimer_del(r->timer);
	r->in_cb++;	/* nested np_req_free and np_req_send are refused */
	if ((it = r->cur) != NULL) {
		r->cur = NULL;
		req_call(r, it, NULL, 0);
	}
	while ((it = TAILQ_FIRST(&r->waiting)) != NULL) {
		TAILQ_REMOVE(&r->waiting, it, entry);
		req_call(r, it, NULL, 0);
	}
	np_sock_free(r->sock);
	event_free(r->timer);
	free(r);
}

static int
req_start(struct np_req *r, struct req_item *it, int64_t left)
{
	struct timeval	tv = np_tv_ms(left);

	if (np_sock_send(r->sock, it->msg, it->len) < 0)
		return -1;
	r->cur = it;
	evtimer_add(r->timer, &tv);
	return 0;
}

/* After a callback: finish a deferred free, or send the next request. */
static void
req_settle(struct np_req *r)
{
	struct req_item	*it;
	int64_t		 left;

	if (r->in_cb)
		return;
	if (r->dying) {
		req_destroy(r);
		return;
	}
	while (r->cur == NULL && (it = TAILQ_FIRST(&r->waiting)) != NULL) {
		TAILQ_REMOVE(&r->waiting, it, entry);
		left = it->deadline - np_mono_ms();
		if (left > 0 && req_start(r, it, left) == 0)
			continue;
		r->st.queued--;
		if (left <= 0)
			r->st.timeouts++;
		else
			log_warnx("np_req: send failed: %s", strerror(errno));
		req_call(r, it, NULL, 0);
		if (r->dying) {
			req_destroy(r);
			return;
		}
	}
}

static void
req_reply(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	struct np_req	*r = arg;
	struct req_item	*it;

	if ((it = r->cur) == NULL) {
		r->st.late++;
		return;
	}
	r->cur = NULL;
	r->st.queued--;
	r->st.replies++;
	evtimer_del(r->timer);
	req_call(r, it, msg, len);
	req_settle(r);
}

static void
req_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct np_req	*r = arg;
	struct req_item	*it = r->cur;

	r->cur = NULL;
	r->st.queued--;
	r->st.timeouts++;
	req_call(r, it, NULL, 0);
	req_settle(r);
}

struct np_req *
np_req_new(struct event_base *base, const char *endpoint, int max_queue)
{
	struct np_req	*r;
	int		 ivl = REQ_RESEND_IVL;

	if (max_queue < 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	TAILQ_INIT(&r->waiting);
	r->max = (size_t)max_queue + 1;
	if ((r->timer = evtimer_new(base, req_timeout, r)) == NULL)
		goto fail;
	r->sock = np_sock_new(base, NP_SOCK_REQ, endpoint, 0, req_reply, r);
	if (r->sock == NULL)
		goto fail;
	if (nn_setsockopt(np_sock_fd(r->sock), NN_REQ, NN_REQ_RESEND_IVL,
	    &ivl, sizeof(ivl)) < 0) {
		log_warnx("NN_REQ_RESEND_IVL: %s", nn_strerror(nn_errno()));
		goto fail;
	}
	return r;
fail:
	np_sock_free(r->sock);
	if (r->timer != NULL)
		event_free(r->timer);
	free(r);
	return NULL;
}

int
np_req_send(struct np_req *r, const void *msg, size_t len, int timeout_ms,
    np_req_cb *cb, void *arg)
{
	struct req_item	*it;

	if (r->dying || cb == NULL || timeout_ms <= 0 ||
	    timeout_ms > NP_REQ_TIMEOUT_MAX || len > NP_BUS_FRAME_MAX) {
		errno = r->dying ? ESHUTDOWN : EINVAL;
		goto refuse;
	}
	if (r->st.queued >= r->max) {
		errno = EAGAIN;
		goto refuse;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL ||
	    (it->msg = malloc(len ? len : 1)) == NULL) {
		free(it);
		goto refuse;
	}
	memcpy(it->msg, msg, len);
	it->len = len;
	it->deadline = np_mono_ms() + timeout_ms;
	it->cb = cb;
	it->arg = arg;
	if (r->cur == NULL && TAILQ_EMPTY(&r->waiting) && !r->in_cb) {
		/* Idle: send now, so a failure is the caller's to see. */
		if (req_start(r, it, timeout_ms) < 0) {
			free(it->msg);
			free(it);
			goto refuse;
		}
	} else
		TAILQ_INSERT_TAIL(&r->waiting, it, entry);
	r->st.queued++;
	r->st.requests++;
	return 0;
refuse:
	r->st.refused++;
	return -1;
}

void
np_req_free(struct np_req *r)
{
	if (r == NULL || r->dying)
		return;
	r->dying = 1;
	if (!r->in_cb)
		req_destroy(r);
}

void
np_req_stats(const struct np_req *r, struct np_req_stats *st)
{
	*st = r->st;
}

struct np_sock *
np_req_sock(struct np_req *r)
{
	return r->sock;
}

static void
survey_destroy(struct np_survey *sv)
{
	if (sv->active) {
		sv->active = 0;
		sv->in_cb++;
		sv->on_done(-1, sv->arg);
		sv->in_cb--;
	}
	np_sock_free(sv->sock);
	event_free(sv->timer);
	free(sv);
}

static void
survey_answer(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	struct np_survey	*sv = arg;

	if (!sv->active)
		return;
	sv->answers++;
	if (sv->on_answer == NULL)
		return;
	sv->in_cb++;
	sv->on_answer(msg, len, sv->arg);
	sv->in_cb--;
	if (sv->dying && !sv->in_cb)
		survey_destroy(sv);
}

static void
survey_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct np_survey	*sv = arg;
	struct timeval		 tv;
	int64_t			 left = sv->due - np_mono_ms();

	if (left > 0) {
		/* libevent's coarse clock may fire a little early: the survey
		 * lasts its whole deadline on the monotonic clock */
		tv = np_tv_ms(left);
		evtimer_add(sv->timer, &tv);
		return;
	}
	sv->active = 0;
	np_sock_watch(sv->sock, 0);
	sv->in_cb++;
	sv->on_done(sv->answers, sv->arg);
	sv->in_cb--;
	if (sv->dying && !sv->in_cb)
		survey_destroy(sv);
}

struct np_survey *
np_survey_new(struct event_base *base, const char *endpoint, int deadline_ms)
{
	struct np_survey	*sv;
	int			 nndl;

	if (deadline_ms <= 0 || deadline_ms > NP_REQ_TIMEOUT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		return NULL;
	sv->deadline_ms = deadline_ms;
	if ((sv->timer = evtimer_new(base, survey_deadline, sv)) == NULL)
		goto fail;
	sv->sock = np_sock_new(base, NP_SOCK_SURVEYOR, endpoint, 1,
	    survey_answer, sv);
	if (sv->sock == NULL)
		goto fail;
	/* nanomsg's deadline outlives ours: see the top of the file. */
	nndl = deadline_ms + deadline_ms / 2 + 100;
	if (nn_setsockopt(np_sock_fd(sv->sock), NN_SURVEYOR,
	    NN_SURVEYOR_DEADLINE, &nndl, sizeof(nndl)) < 0) {
		log_warnx("NN_SURVEYOR_DEADLINE: %s", nn_strerror(nn_errno()));
		goto fail;
	}
	return sv;
fail:
	np_sock_free(sv->sock);
	if (sv->timer != NULL)
		event_free(sv->timer);
	free(sv);
	return NULL;
}

int
np_survey_ask(struct np_survey *sv, const char *question,
    void (*on_answer)(const char *, size_t, void *),
    void (*on_done)(int, void *), void *arg)
{
	struct timeval	tv = np_tv_ms(sv->deadline_ms);

	if (sv->dying || on_done == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (sv->active) {
		errno = EBUSY;
		return -1;
	}
	if (np_sock_send(sv->sock, question, strlen(question)) < 0)
		return -1;
	sv->on_answer = on_answer;
	sv->on_done = on_done;
	sv->arg = arg;
	sv->answers = 0;
	sv->active = 1;
	sv->due = np_mono_ms() + sv->deadline_ms;
	np_sock_watch(sv->sock, 1);
	evtimer_add(sv->timer, &tv);
	return 0;
}

void
np_survey_free(struct np_survey *sv)
{
	if (sv == NULL || sv->dying)
		return;
	sv->dying = 1;
	evtimer_del(sv->timer);
	if (!sv->in_cb)
		survey_destroy(sv);
}

struct np_sock *
np_survey_sock(struct np_survey *sv)
{
	return sv->sock;
}
