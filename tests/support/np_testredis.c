/*
 * np_testredis: start/stop a real redis-server for tests.  Readiness is
 * polled (PING over a plain socket) with a deadline -- never a fixed sleep.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "np_testredis.h"

int
np_test_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
ping(int port)
{
	struct sockaddr_in sin;
	char buf[16];
	int fd, ok = 0;
	ssize_t n;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    write(fd, "PING\r\n", 6) == 6 &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		ok = strncmp(buf, "+PONG", 5) == 0;
	}
	close(fd);
	return ok;
}

static int
spawn(struct np_testredis *r, const char *const *extra)
{
	const char *argv[64];
	char port[16];
	int argc = 0;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	snprintf(port, sizeof(port), "%d", r->port);
	argv[argc++] = "redis-server";
	argv[argc++] = "--port";
	argv[argc++] = port;
	argv[argc++] = "--bind";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "--dir";
	argv[argc++] = r->dir;
	argv[argc++] = "--save";
	argv[argc++] = "";
	argv[argc++] = "--logfile";
	argv[argc++] = "redis.log";
	for (; extra != NULL && *extra != NULL && argc < 62; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;

	if ((r->pid = fork()) == -1)
		return -1;
	if (r->pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {	/* up to ~10 s */
		if (ping(r->port))
			return 0;
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
			r->pid = 0;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

int
np_testredis_start(struct np_testredis *r, const char *const *extra)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/np-redis-XXXXXX");
	if (mkdtemp(r->dir) == NULL)
		return -1;
	if ((r->port = np_test_free_port()) <= 0)
		return -1;
	return spawn(r, extra);
}

int
np_testredis_restart(struct np_testredis *r, const char *const *extra)
{
	return spawn(r, extra);
}

static void
reap(struct np_testredis *r, int sig)
{
	if (r->pid > 0) {
		kill(r->pid, sig);
		while (waitpid(r->pid, NULL, 0) == -1 && errno == EINTR)
			;
		r->pid = 0;
	}
}

void
np_testredis_kill(struct np_testredis *r)
{
	reap(r, SIGKILL);
}

void
np_testredis_stop(struct np_testredis *r)
{
	char cmd[128];

	reap(r, SIGTERM);
	if (r->dir[0] != '\0' && strncmp(r->dir, "/tmp/np-redis-", 14) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
		(void)!system(cmd);
	}
	r->dir[0] = '\0';
}
