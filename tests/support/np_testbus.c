/*
 * np_testbus: fixtures and peers of the np_bus suites (see np_testbus.h).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "np_bus.h"
#include "np_testbus.h"
#include "np_testloop.h"
#include "np_testredis.h"	/* np_test_free_port */

static char tmpdir[64];

void
np_testbus_setup(void)
{
	strcpy(tmpdir, "/tmp/np_bus.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		abort();
	}
}

void
np_testbus_teardown(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[sizeof(tmpdir) + sizeof(de->d_name) + 1];

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

TCase *
np_testbus_tcase(Suite *s, const char *name)
{
	TCase	*tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, np_testbus_setup, np_testbus_teardown);
	suite_add_tcase(s, tc);
	return tc;
}

void
np_testbus_endpoint(char *buf, size_t len, int tcp, const char *name)
{
	if (tcp)
		snprintf(buf, len, "tcp://127.0.0.1:%d", np_test_free_port());
	else
		ck_assert_int_eq(np_bus_endpoint(buf, len, tmpdir, name), 0);
}

struct each {
	void	(*fn)(void *);
	void	*arg;
};

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct each	*each = arg;

	each->fn(each->arg);
}

int
np_testbus_repeat(struct event_base *base, void (*each)(void *),
    void *each_arg, int (*done)(void *), void *arg, int ms)
{
	struct each	 e = { each, each_arg };
	struct event	*ev;
	struct timeval	 tv = { 0, 5000 };
	int		 ok;

	ev = event_new(base, -1, EV_PERSIST, tick, &e);
	event_add(ev, &tv);
	ok = np_test_run_until(base, done, arg, ms);
	event_free(ev);
	return ok;
}

char *
np_testbus_echo(const char *msg, size_t len, size_t *rlen, void *arg)
{
	char	*r = malloc(len + 3);
	int	*calls = arg;

	if (calls != NULL)
		(*calls)++;
	if (len == 4 && memcmp(msg, "fail", 4) == 0) {
		free(r);
		return NULL;
	}
	memcpy(r, "re:", 3);
	memcpy(r + 3, msg, len);
	*rlen = len + 3;
	return r;
}

void
np_testbus_publish_incident(void *pub)
{
	np_bus_publish(pub, "incident.created", "{\"id\":\"I-1\"}", 12);
}
