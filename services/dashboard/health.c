/*
 * health.c: GET /api/health runs a SURVEYOR round on bus.health (the
 * dashboard binds it; services answer through a RESPONDENT that
 * connects).  Requests that arrive while a round runs wait for it and
 * share its answers; a round with no respondents reports 0 answers.
 * An answer that is JSON is shown as it is, anything else as a string.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "np_bus.h"
#include "np_http.h"
#include "np_log.h"

static void
on_answer(const char *msg, size_t len, void *arg)
{
	struct dashboard *d = arg;
	json_t *a;

	if (json_array_size(d->answers) >= 256)
		return;
	if ((a = json_loadb(msg, len, 0, NULL)) == NULL)
		a = json_stringn(msg, len);
	if (a == NULL)
		a = json_string("(an answer that is not UTF-8)");
	json_array_append_new(d->answers, a);
}

static void
on_done(int answers, void *arg)
{
	struct dashboard *d = arg;
	struct dash_waiter *w;
	json_t *reply;

	d->surveying = 0;
	while ((w = TAILQ_FIRST(&d->waiters)) != NULL) {
		TAILQ_REMOVE(&d->waiters, w, entry);
		reply = json_pack("{s:i, s:i, s:O}", "answers",
		    answers < 0 ? 0 : answers, "deadline_ms",
		    d->conf.survey_ms, "services", d->answers);
		np_http_reply_json(w->req, 200, reply);
		free(w);
	}
	json_decref(d->answers);
	d->answers = NULL;
}

void
dash_health_serve(struct dashboard *d, struct np_http_req *req)
{
	struct dash_waiter *w;

	if (d->survey == NULL) {
		np_http_error(req, 503, "no_survey", NULL, "the health bus "
		    "could not be bound; see the dashboard log");
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		np_http_error(req, 503, "no_memory", NULL, "out of memory");
		return;
	}
	w->req = req;
	TAILQ_INSERT_TAIL(&d->waiters, w, entry);
	if (d->surveying)
		return;
	d->answers = json_array();
	if (np_survey_ask(d->survey, "health", on_answer, on_done, d) == -1) {
		log_warnx("health survey: %s", strerror(errno));
		on_done(0, d);
		return;
	}
	d->surveying = 1;
	d->stats.surveys++;
}

int
dash_health_start(struct dashboard *d)
{
	char ep[NP_SVC_ENDPOINT_MAX];

	TAILQ_INIT(&d->waiters);
	np_svc_endpoint(&d->svc, d->svc.conf.bus_health, "health", ep,
	    sizeof(ep));
	if ((d->survey = np_survey_new(d->svc.base, ep,
	    d->conf.survey_ms)) == NULL) {
		log_warnx("cannot bind the health bus at %s; /api/health "
		    "answers 503", ep);
		return -1;
	}
	log_info("health surveys on %s", ep);
	return 0;
}

void
dash_health_stop(struct dashboard *d)
{
	if (d->survey != NULL)
		np_survey_free(d->survey);	/* on_done(-1): waiters answered */
	d->survey = NULL;
	d->surveying = 0;
}
