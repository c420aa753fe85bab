/*
 * np_bus: a nanomsg socket watched by the libevent loop, the PUB/SUB frame
 * format, endpoint names, and the REP/RESPONDENT servers.
 *
 * nanomsg hands out NN_RCVFD, a descriptor that is readable while the socket
 * has a frame to receive (level-triggered; it must never be read).  One
 * persistent EV_READ event per socket watches it; the callback drains with
 * NN_DONTWAIT up to NP_SOCK_BATCH frames and returns, so a flood on one
 * socket shares the loop with the rest (the level-triggered fd brings us
 * back).  Frames are received zero-copy (NN_MSG) and lent to the callback.
 *
 * A callback may free its own socket: np_sock_free then only marks it, and
 * the drain loop frees it once the callback has returned.  The event is
 * always freed before nn_close, which invalidates the descriptor.
 *
 * The np_req and np_survey layers live in np_bus_rpc.c.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>
#include <nanomsg/survey.h>

#include "np_bus.h"
#include "np_log.h"

struct np_sock {
	struct event_base	*base;
	enum np_sock_kind	 kind;
	int			 fd;		/* nn socket */
	struct event		*rev;		/* on NN_RCVFD, or NULL */
	int			 watching;
	int			 in_cb;		/* draining: defer the free */
	int			 dead;
	np_sock_cb		*cb;
	void			*arg;
	np_rep_handler		*handler;	/* REP and RESPONDENT */
	void			*harg;
	struct np_sock_stats	 stats;
};

static const struct {
	int		 proto;
	int		 receives;
	const char	*name;
} sock_kinds[] = {
	[NP_SOCK_PUB] =		{ NN_PUB, 0, "pub" },
	[NP_SOCK_SUB] =		{ NN_SUB, 1, "sub" },
	[NP_SOCK_PUSH] =	{ NN_PUSH, 0, "push" },
	[NP_SOCK_PULL] =	{ NN_PULL, 1, "pull" },
	[NP_SOCK_REQ] =		{ NN_REQ, 1, "req" },
	[NP_SOCK_REP] =		{ NN_REP, 1, "rep" },
	[NP_SOCK_SURVEYOR] =	{ NN_SURVEYOR, 1, "surveyor" },
	[NP_SOCK_RESPONDENT] =	{ NN_RESPONDENT, 1, "respondent" },
};

static void	sock_readable(evutil_socket_t, short, void *);
static void	sock_destroy(struct np_sock *);

/* Bind or connect to each comma-separated endpoint. */
static int
sock_endpoints(int fd, const char *endpoints, int bind)
{
	char	*copy, *p, *ep;
	int	 rc = 0;

	if ((copy = strdup(endpoints)) == NULL)
		return -1;
	for (p = copy; rc == 0 && (ep = strsep(&p, ",")) != NULL;) {
		ep += strspn(ep, " \t");
		ep[strcspn(ep, " \t")] = '\0';
		if (*ep == '\0')
			continue;
		if ((bind ? nn_bind(fd, ep) : nn_connect(fd, ep)) < 0) {
			log_warnx("nanomsg %s %s: %s", bind ? "bind" : "connect",
			    ep, nn_strerror(nn_errno()));
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

struct np_sock *
np_sock_new(struct event_base *base, enum np_sock_kind kind,
    const char *endpoint, int bind, np_sock_cb *cb, void *arg)
{
	struct np_sock	*s;
	int		 max = NP_BUS_FRAME_MAX, rfd, saved;
	size_t		 sz = sizeof(rfd);

	if ((unsigned)kind >= sizeof(sock_kinds) / sizeof(sock_kinds[0]) ||
	    endpoint == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("np_sock_new");
		return NULL;
	}
	s->base = base;
	s->kind = kind;
	s->cb = cb;
	s->arg = arg;
	if ((s->fd = nn_socket(AF_SP, sock_kinds[kind].proto)) < 0) {
		log_warnx("nn_socket %s: %s", sock_kinds[kind].name,
		    nn_strerror(nn_errno()));
		free(s);
		return NULL;
	}
	if (nn_setsockopt(s->fd, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max,
	    sizeof(max)) < 0 || (sock_kinds[kind].receives &&
	    nn_getsockopt(s->fd, NN_SOL_SOCKET, NN_RCVFD, &rfd, &sz) < 0)) {
		log_warnx("np_sock_new %s: %s", sock_kinds[kind].name,
		    nn_strerror(nn_errno()));
		goto fail;
	}
	if (sock_kinds[kind].receives && (s->rev = event_new(base, rfd,
	    EV_READ | EV_PERSIST, sock_readable, s)) == NULL) {
		log_warnx("np_sock_new: event_new failed");
		goto fail;
	}
	if (sock_endpoints(s->fd, endpoint, bind) < 0)
		goto fail;
	if (cb != NULL && kind != NP_SOCK_SURVEYOR &&
	    np_sock_watch(s, 1) < 0) {
		log_warnx("np_sock_new: event_add failed");
		goto fail;
	}
	return s;
fail:
	saved = errno;
	sock_destroy(s);
	errno = saved;
	return NULL;
}

static void
sock_destroy(struct np_sock *s)
{
	if (s->rev != NULL)
		event_free(s->rev);	/* before nn_close closes RCVFD */
	nn_close(s->fd);
	free(s);
}

void
np_sock_free(struct np_sock *s)
{
	if (s == NULL || s->dead)
		return;
	if (s->rev != NULL)
		event_del(s->rev);
	s->watching = 0;
	if (s->in_cb) {
		s->dead = 1;	/* sock_readable frees it on the way out */
		return;
	}
	sock_destroy(s);
}

int
np_sock_watch(struct np_sock *s, int on)
{
	if (s->rev == NULL || s->cb == NULL || s->dead) {
		errno = EINVAL;
		return -1;
	}
	if (on && !s->watching) {
		if (event_add(s->rev, NULL) < 0)
			return -1;
	} else if (!on && s->watching)
		event_del(s->rev);
	s->watching = on != 0;
	return 0;
}

static void
sock_readable(evutil_socket_t fd, short what, void *arg)
{
	struct np_sock	*s = arg;
	void		*buf;
	int		 i, n;

	for (i = 0; i < NP_SOCK_BATCH && s->watching; i++) {
		n = nn_recv(s->fd, &buf, NN_MSG, NN_DONTWAIT);
		if (n < 0) {
			if (nn_errno() == EAGAIN)
				break;
			s->stats.errors++;
			log_debug("nn_recv %s: %s", sock_kinds[s->kind].name,
			    nn_strerror(nn_errno()));
			/*
			 * EFSM/ETIMEDOUT: no survey runs, and the fd stays
			 * readable until the next one: stop watching or spin.
			 */
			if (s->kind == NP_SOCK_SURVEYOR)
				np_sock_watch(s, 0);
			break;
		}
		s->stats.received++;
		s->in_cb = 1;
		s->cb(s, buf, (size_t)n, s->arg);
		s->in_cb = 0;
		nn_freemsg(buf);
		if (s->dead) {
			sock_destroy(s);
			return;
		}
	}
}

int
np_sock_send(struct np_sock *s, const void *msg, size_t len)
{
	if (len > NP_BUS_FRAME_MAX) {
		s->stats.errors++;
		errno = EMSGSIZE;
		return -1;
	}
	if (nn_send(s->fd, msg, len, NN_DONTWAIT) < 0) {
		errno = nn_errno();
		if (errno == EAGAIN)
			s->stats.dropped++;
		else
			s->stats.errors++;
		return -1;
	}
	s->stats.sent++;
	return 0;
}

int
np_sock_fd(const struct np_sock *s)
{
	return s->fd;
}

void
np_sock_stats(const struct np_sock *s, struct np_sock_stats *st)
{
	*st = s->stats;
}

int
np_bus_publish(struct np_sock *pub, const char *topic, const char *json,
    size_t len)
{
	size_t	 tlen = strlen(topic);
	char	*frame;

	if (tlen == 0 || tlen > NP_BUS_TOPIC_MAX || strchr(topic, ' ') ||
	    len > NP_BUS_FRAME_MAX - tlen - 1) {
		pub->stats.errors++;
		errno = tlen == 0 || tlen > NP_BUS_TOPIC_MAX ||
		    strchr(topic, ' ') ? EINVAL : EMSGSIZE;
		return -1;
	}
	/* Zero-copy: on success nanomsg owns the buffer. */
	if ((frame = nn_allocmsg(tlen + 1 + len, 0)) == NULL) {
		errno = nn_errno();
		pub->stats.errors++;
		return -1;
	}
	memcpy(frame, topic, tlen);
	frame[tlen] = ' ';
	memcpy(frame + tlen + 1, json, len);
	if (nn_send(pub->fd, &frame, NN_MSG, NN_DONTWAIT) < 0) {
		errno = nn_errno();
		nn_freemsg(frame);
		if (errno == EAGAIN)
			pub->stats.dropped++;
		else
			pub->stats.errors++;
		return -1;
	}
	pub->stats.sent++;
	return 0;
}

int
np_bus_subscribe(struct np_sock *sub, const char *topic_prefix)
{
	if (nn_setsockopt(sub->fd, NN_SUB, NN_SUB_SUBSCRIBE, topic_prefix,
	    strlen(topic_prefix)) < 0) {
		errno = nn_errno();
		log_warnx("subscribe \"%s\": %s", topic_prefix,
		    nn_strerror(errno));
		return -1;
	}
	return 0;
}

int
np_bus_split(const char *msg, size_t len, const char **topic,
    size_t *topiclen, const char **payload, size_t *paylen)
{
	const char	*sp;

	if ((sp = memchr(msg, ' ', len)) == NULL || sp == msg ||
	    (size_t)(sp - msg) > NP_BUS_TOPIC_MAX)
		return -1;
	*topic = msg;
	*topiclen = (size_t)(sp - msg);
	*payload = sp + 1;
	*paylen = len - *topiclen - 1;
	return 0;
}

int
np_bus_endpoint(char *buf, size_t len, const char *run_dir, const char *name)
{
	struct sockaddr_un	sun;
	int			n;

	if (strstr(name, "://") != NULL)
		n = snprintf(buf, len, "%s", name);
	else {
		n = snprintf(buf, len, "ipc://%s/%s.ipc", run_dir, name);
		if (n >= 0 && (size_t)n - 6 >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
	}
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* REP and RESPONDENT: answer every frame through the handler. */
static void
rep_answer(struct np_sock *s, const char *msg, size_t len, void *arg)
{
	char	*reply;
	size_t	 rlen = 0;

	reply = s->handler(msg, len, &rlen, s->harg);
	if (s->dead) {
		free(reply);
		return;
	}
	if (reply == NULL)
		(void)np_sock_send(s, NP_REP_ERROR, strlen(NP_REP_ERROR));
	else if (np_sock_send(s, reply, rlen) < 0)
		log_warnx("%s reply dropped: %s", sock_kinds[s->kind].name,
		    strerror(errno));
	free(reply);
}

static struct np_sock *
rep_new(struct event_base *base, enum np_sock_kind kind, const char *endpoint,
    int bind, np_rep_handler *handler, void *arg)
{
	struct np_sock	*s;

	if (handler == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = np_sock_new(base, kind, endpoint, bind, rep_answer,
	    NULL)) == NULL)
		return NULL;
	s->handler = handler;
	s->harg = arg;
	return s;
}

struct np_sock *
np_rep_new(struct event_base *base, const char *endpoint,
    np_rep_handler *handler, void *arg)
{
	return rep_new(base, NP_SOCK_REP, endpoint, 1, handler, arg);
}

struct np_sock *
np_respondent_new(struct event_base *base, const char *endpoint,
    np_rep_handler *handler, void *arg)
{
	return rep_new(base, NP_SOCK_RESPONDENT, endpoint, 0, handler, arg);
}
