/*
 * supervise.c: the supervisors' commands -- SLA figures and escalations
 * waiting (from the dashboard's JSON API), closing an incident with a
 * reason and marking a caller follow-up done (intake's API).
 */
#include <stdio.h>
#include <string.h>

#include "np_id.h"
#include "npctl.h"

static int
cmd_sla(struct npctl *ctl, int argc, char **argv)
{
	static const char *const known[] = { "window", NULL };
	struct npctl_opts o = { .n = 0 };
	const char *w;
	char path[64];
	json_t *ans = NULL;
	int rc, status = 0;

	if ((rc = npctl_parse_opts(argc, argv, known, &o)) != 0)
		return rc;
	w = npctl_opt(&o, "window") ? npctl_opt(&o, "window") : "hour";
	if (strcmp(w, "hour") != 0 && strcmp(w, "day") != 0) {
		fprintf(stderr, "npctl sla: --window is hour or day\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/api/sla?window=%s", w);
	rc = npctl_http_at(ctl, ctl->dashboard, "GET", path, NULL, NULL,
	    &status, &ans);
	return npctl_result(ctl, rc, status, ans, npctl_print_sla);
}

static int
cmd_escalations(struct npctl *ctl)
{
	json_t *ans = NULL;
	int rc, status = 0;

	rc = npctl_http_at(ctl, ctl->dashboard, "GET", "/api/state", NULL,
	    NULL, &status, &ans);
	return npctl_result(ctl, rc, status, ans, npctl_print_escalations);
}

/* close ID --reason R ... / followup ID --note N ... */
static int
cmd_post(struct npctl *ctl, const char *what, int argc, char **argv)
{
	static const char *const close_known[] = { "reason", "disposition",
	    NULL };
	static const char *const follow_known[] = { "note", NULL };
	int closing = strcmp(what, "close") == 0;
	struct npctl_opts o = { .n = 0 };
	json_t *body, *ans = NULL;
	char path[160];
	int rc, status = 0;

	if (argc < 1 || !np_id_valid(argv[0], 64)) {
		fprintf(stderr, "npctl %s: an incident id comes first\n", what);
		return 2;
	}
	if ((rc = npctl_parse_opts(argc - 1, argv + 1, closing ? close_known :
	    follow_known, &o)) != 0)
		return rc;
	if (!npctl_opt(&o, closing ? "reason" : "note")) {
		fprintf(stderr, "npctl %s: --%s needed\n", what, closing ?
		    "reason" : "note");
		return 2;
	}
	body = json_object();
	npctl_set_str(body, "reason", npctl_opt(&o, "reason"));
	npctl_set_str(body, "disposition", npctl_opt(&o, "disposition"));
	npctl_set_str(body, "note", npctl_opt(&o, "note"));
	snprintf(path, sizeof(path), "/v1/incidents/%s/%s", argv[0],
	    closing ? "close" : "followup");
	rc = npctl_http(ctl, "POST", path, body, NULL, &status, &ans);
	json_decref(body);
	return npctl_result(ctl, rc, status, ans, npctl_print_done);
}

int
npctl_supervise(struct npctl *ctl, const char *cmd, int argc, char **argv)
{
	if (strcmp(cmd, "sla") == 0)
		return cmd_sla(ctl, argc, argv);
	if (strcmp(cmd, "escalations") == 0 && argc == 0)
		return cmd_escalations(ctl);
	if (strcmp(cmd, "close") == 0 || strcmp(cmd, "followup") == 0)
		return cmd_post(ctl, cmd, argc, argv);
	fprintf(stderr, "npctl %s: unexpected arguments\n", cmd);
	return 2;
}
