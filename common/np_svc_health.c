/*
 * np_svc_health: every service answers the dashboard's health surveys
 * (SURVEYOR/RESPONDENT, see np_bus.h and np_svc.h).  The answer is built
 * fresh for each question; a service adds its own counters through the
 * fill callback.
 */
#include <stdlib.h>
#include <unistd.h>

#include "np_bus.h"
#include "np_json.h"
#include "np_log.h"
#include "np_svc.h"
#include "np_time.h"

struct health {
	struct np_svc		*svc;
	np_svc_health_cb	*fill;
	void			*arg;
	int64_t			 started;
};

static char *
health_answer(const char *msg, size_t len, size_t *replylen, void *arg)
{
	struct health *h = arg;
	json_t *a;
	char *s;

	a = json_pack("{s:s, s:s, s:I, s:I, s:s}", "service", h->svc->name,
	    "instance", h->svc->conf.instance, "pid", (json_int_t)getpid(),
	    "uptime_s", (json_int_t)((np_mono_ms() - h->started) / 1000),
	    "status", h->svc->stopping ? "stopping" : "ok");
	if (a == NULL)
		return NULL;
	if (h->fill != NULL)
		h->fill(h->svc, a, h->arg);
	s = np_json_dump(a, replylen);
	json_decref(a);
	return s;
}

struct np_sock *
np_svc_health(struct np_svc *svc, np_svc_health_cb *fill, void *arg)
{
	static struct health h;		/* one per process, lives as long */
	char ep[NP_SVC_ENDPOINT_MAX];
	struct np_sock *s;

	h = (struct health){ svc, fill, arg, np_mono_ms() };
	np_svc_endpoint(svc, svc->conf.bus_health, "health", ep, sizeof(ep));
	if ((s = np_respondent_new(svc->base, ep, health_answer, &h)) == NULL)
		log_warnx("health bus %s unavailable; surveys go unanswered",
		    ep);
	return s;
}
