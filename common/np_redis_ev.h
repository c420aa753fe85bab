/*
 * np_redis_ev: hiredis on libevent with fewer system calls than hiredis'
 * own adapter (hiredis/adapters/libevent.h), for np_redis.c.
 *
 * hiredis' adapter uses one-shot events: every reply costs an epoll_ctl
 * DEL and ADD of the read event, and every command an epoll_ctl MOD for
 * EPOLLOUT, a loop iteration to be told the socket is writable (it always
 * is) and a MOD back: four epoll_ctl and one epoll_wait per round trip.
 * Here the read event persists, and a command is written at the end of
 * the current loop iteration (commands issued in the same iteration go
 * out in one write) through an event made active by hand; only when the
 * socket does not take everything, or is still connecting, does a real
 * EV_WRITE event wait for it.
 */
#ifndef NP_REDIS_EV_H
#define NP_REDIS_EV_H

#include <event2/event.h>
#include <hiredis/async.h>

/* REDIS_OK, or REDIS_ERR (already attached, or out of memory). */
int	np_redis_ev_attach(redisAsyncContext *, struct event_base *);

#endif
