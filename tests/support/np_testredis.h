/*
 * np_testredis: a real redis-server for a test, on a free loopback port,
 * in its own temporary directory, stopped (and the directory removed) by
 * np_testredis_stop.  Works inside Check's forked tests: the server is a
 * child of the test process and dies with its process group at the latest.
 */
#ifndef NP_TESTREDIS_H
#define NP_TESTREDIS_H

#include <sys/types.h>

struct np_testredis {
	pid_t	pid;
	int	port;
	char	dir[64];
};

/* A free TCP port on 127.0.0.1 (bound then released). */
int	np_test_free_port(void);
/* 0 when the server answers PING; extra: more "--key value" words or NULL. */
int	np_testredis_start(struct np_testredis *, const char *const *extra);
/* SIGKILL-free stop: SIGTERM, wait, remove the directory. */
void	np_testredis_stop(struct np_testredis *);
/* Kill (SIGKILL) without cleanup, to simulate a crash; start again later. */
void	np_testredis_kill(struct np_testredis *);
/* Restart on the same port and directory (after stop or kill). */
int	np_testredis_restart(struct np_testredis *, const char *const *extra);

#endif
