/*
 * npctl: command line for call-takers and supervisors (see npctl.h).
 *
 *   npctl [--intake URL] [--router ENDPOINT] [--json] COMMAND [ARGS]
 *
 * Exit status: 0 done, 1 the service refused (its error is printed),
 * 2 usage error, 3 the service could not be reached.  The bearer token
 * for intake and the dashboard comes from $NEARPOST_TOKEN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_bus.h"
#include "np_json.h"
#include "npctl.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: npctl [--intake URL] [--router ENDPOINT] [--dashboard URL] [--json]\n"
"             [--timeout MS]\n"
"             COMMAND [ARGS]\n"
"\n"
"call-takers:\n"
"  call --type T --lat LAT --lon LON [--address A] [--source phone|video|\n"
"       alarm|walkin] [--priority 1-4] [--caller-name N] [--caller-phone P]\n"
"       [--description D] [--call-id ID]     post a call\n"
"  incident ID                              an incident, its calls, timeline\n"
"  incidents                                the open incidents\n"
"supervisors:\n"
"  units [--lat LAT --lon LON] [--radius M] [--kind K] [--status S] [--max N]\n"
"                                           units near a point\n"
"  post --lat LAT --lon LON                 the post covering a point\n"
"  route --lat LAT --lon LON --type T       what the router would send\n"
"  sla [--window hour|day]                  marks met and missed, by post\n"
"  escalations                              escalations waiting\n"
"  close ID --reason R [--disposition D]    close an incident\n"
"  followup ID --note N                     the caller was called back\n"
"admins:\n"
"  token new NAME calltaker|supervisor|admin\n"
"                                           a new token and its file line\n"
"\n"
"The token for intake and the dashboard is read from $NEARPOST_TOKEN;\n"
"who did what is the token's holder (role:name).\n"
"--intake defaults to $NEARPOST_INTAKE_URL or http://127.0.0.1:7401;\n"
"--router to $NEARPOST_ROUTER or ipc://$NEARPOST_RUN_DIR/router.ipc\n"
"--dashboard to $NEARPOST_DASHBOARD_URL or http://127.0.0.1:7402;\n"
"(run dir /tmp/nearpost).  Exit: 0 ok, 1 refused, 2 usage, 3 unreachable.\n");
}

const char *
npctl_opt(const struct npctl_opts *o, const char *name)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->name[i], name) == 0)
			return o->val[i];
	return NULL;
}

int
npctl_parse_opts(int argc, char **argv, const char *const *known,
    struct npctl_opts *o)
{
	int i, k;

	for (i = 0; i < argc; i += 2) {
		for (k = 0; known[k] != NULL; k++)
			if (strncmp(argv[i], "--", 2) == 0 &&
			    strcmp(argv[i] + 2, known[k]) == 0)
				break;
		if (known[k] == NULL || i + 1 >= argc ||
		    o->n == NPCTL_MAXOPT) {
			fprintf(stderr, "npctl: %s: %s\n", argv[i],
			    known[k] == NULL ? "unknown option" :
			    "needs a value");
			return 2;
		}
		o->name[o->n] = known[k];
		o->val[o->n++] = argv[i + 1];
	}
	return 0;
}

/* A number option into obj[key]; 2 on a bad value. */
static int
set_num(json_t *obj, const char *key, const char *v, int integer)
{
	char *end;
	double d;

	if (v == NULL)
		return 0;
	d = strtod(v, &end);
	if (*v == '\0' || *end != '\0') {
		fprintf(stderr, "npctl: --%s: '%s' is not a number\n", key, v);
		return 2;
	}
	json_object_set_new(obj, key, integer ? json_integer((json_int_t)d) :
	    json_real(d));
	return 0;
}

void
npctl_set_str(json_t *obj, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(obj, key, json_string(v));
}

int
npctl_result(const struct npctl *ctl, int rc, int status, json_t *ans,
    void (*print)(const json_t *))
{
	if (rc == -1)
		return 3;
	if (status >= 400 || ans == NULL) {
		npctl_print_error(ans, status);
		if (status == 401)
			fprintf(stderr, "npctl: %s\n", ctl->token == NULL ?
			    "NEARPOST_TOKEN is not set: export the token you "
			    "were given (an admin makes one with `npctl token "
			    "new`)" : "the token in NEARPOST_TOKEN was not "
			    "accepted");
		json_decref(ans);
		return 1;
	}
	if (ctl->json) {
		json_dumpf(ans, stdout, JSON_INDENT(2));
		putchar('\n');
	} else
		print(ans);
	json_decref(ans);
	return 0;
}

static void
print_accepted_201(const json_t *a)
{
	npctl_print_accepted(a, json_is_true(json_object_get(a, "duplicate")) ?
	    200 : 201);
}

static int
cmd_call(struct npctl *ctl, int argc, char **argv)
{
	static const char *const known[] = { "type", "lat", "lon", "address",
	    "source", "priority", "caller-name", "caller-phone", "description",
	    "call-id", NULL };
	struct npctl_opts o = { .n = 0 };
	json_t *body, *loc, *caller, *ans = NULL;
	int rc, status = 0;

	if ((rc = npctl_parse_opts(argc, argv, known, &o)) != 0)
		return rc;
	if (!npctl_opt(&o, "type") || !npctl_opt(&o, "lat") || !npctl_opt(&o, "lon")) {
		fprintf(stderr, "npctl call: --type, --lat and --lon needed\n");
		return 2;
	}
	body = json_object();
	loc = json_object();
	caller = json_object();
	npctl_set_str(body, "call_id", npctl_opt(&o, "call-id"));
	npctl_set_str(body, "type", npctl_opt(&o, "type"));
	npctl_set_str(body, "source", npctl_opt(&o, "source"));
	npctl_set_str(body, "description", npctl_opt(&o, "description"));
	npctl_set_str(loc, "address", npctl_opt(&o, "address"));
	npctl_set_str(caller, "name", npctl_opt(&o, "caller-name"));
	npctl_set_str(caller, "phone", npctl_opt(&o, "caller-phone"));
	if (set_num(loc, "lat", npctl_opt(&o, "lat"), 0) ||
	    set_num(loc, "lon", npctl_opt(&o, "lon"), 0) ||
	    set_num(body, "priority", npctl_opt(&o, "priority"), 1)) {
		json_decref(body);
		json_decref(loc);
		json_decref(caller);
		return 2;
	}
	json_object_set_new(body, "location", loc);
	if (json_object_size(caller) > 0)
		json_object_set(body, "caller", caller);
	json_decref(caller);
	rc = npctl_http(ctl, "POST", "/v1/calls", body, NULL, &status, &ans);
	json_decref(body);
	return npctl_result(ctl, rc, status, ans, print_accepted_201);
}

static int
cmd_get(struct npctl *ctl, const char *path, void (*print)(const json_t *))
{
	json_t *ans = NULL;
	int status = 0, rc;

	rc = npctl_http(ctl, "GET", path, NULL, NULL, &status, &ans);
	return npctl_result(ctl, rc, status, ans, print);
}

static int
cmd_query(struct npctl *ctl, const char *q, int argc, char **argv,
    void (*print)(const json_t *))
{
	static const char *const known[] = { "lat", "lon", "radius", "kind",
	    "status", "max", "type", NULL };
	struct npctl_opts o = { .n = 0 };
	json_t *query, *ans;
	int rc;

	if ((rc = npctl_parse_opts(argc, argv, known, &o)) != 0)
		return rc;
	if (strcmp(q, "units") != 0 && (!npctl_opt(&o, "lat") || !npctl_opt(&o, "lon"))) {
		fprintf(stderr, "npctl %s: --lat and --lon needed\n", q);
		return 2;
	}
	query = json_pack("{s:s}", "q", q);
	npctl_set_str(query, "kind", npctl_opt(&o, "kind"));
	npctl_set_str(query, "status", npctl_opt(&o, "status"));
	npctl_set_str(query, "type", npctl_opt(&o, "type"));
	if (set_num(query, "lat", npctl_opt(&o, "lat"), 0) ||
	    set_num(query, "lon", npctl_opt(&o, "lon"), 0) ||
	    set_num(query, "radius_m", npctl_opt(&o, "radius"), 0) ||
	    set_num(query, "max", npctl_opt(&o, "max"), 1)) {
		json_decref(query);
		return 2;
	}
	ans = npctl_query(ctl, query);
	json_decref(query);
	if (ans == NULL)
		return 3;
	if (json_object_get(ans, "error") != NULL) {
		npctl_print_error(ans, 0);
		json_decref(ans);
		return 1;
	}
	return npctl_result(ctl, 0, 200, ans, print);
}

int
main(int argc, char **argv)
{
	static char router[512];
	struct npctl ctl = { NULL, NULL, NULL, NULL, 0, 5000 };
	const char *run = getenv("NEARPOST_RUN_DIR"), *cmd;
	char path[256];
	int i = 1;

	ctl.intake = getenv("NEARPOST_INTAKE_URL") ? getenv("NEARPOST_INTAKE_URL")
	    : "http://127.0.0.1:7401";
	ctl.router = getenv("NEARPOST_ROUTER");
	ctl.token = getenv("NEARPOST_TOKEN");
	if (ctl.token != NULL && ctl.token[0] == '\0')
		ctl.token = NULL;
	ctl.dashboard = getenv("NEARPOST_DASHBOARD_URL") ?
	    getenv("NEARPOST_DASHBOARD_URL") : "http://127.0.0.1:7402";
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctl.json = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("npctl %s\n", NP_VERSION);
			return 0;
		} else if (i + 1 < argc && strcmp(argv[i], "--intake") == 0)
			ctl.intake = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--router") == 0)
			ctl.router = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--dashboard") == 0)
			ctl.dashboard = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0)
			ctl.timeout_ms = atoi(argv[++i]);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (ctl.router == NULL) {
		if (np_bus_endpoint(router, sizeof(router), run ? run :
		    "/tmp/nearpost", "router") == -1)
			return 2;
		ctl.router = router;
	}
	if (ctl.timeout_ms <= 0 || i >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i++];
	if (strcmp(cmd, "call") == 0)
		return cmd_call(&ctl, argc - i, argv + i);
	if (strcmp(cmd, "incident") == 0 && argc - i == 1) {
		if (strlen(argv[i]) > 64 || strchr(argv[i], '/') != NULL) {
			fprintf(stderr, "npctl: '%s' is not an incident id\n",
			    argv[i]);
			return 2;
		}
		snprintf(path, sizeof(path), "/v1/incidents/%s", argv[i]);
		return cmd_get(&ctl, path, npctl_print_incident);
	}
	if (strcmp(cmd, "incidents") == 0 && argc == i)
		return cmd_get(&ctl, "/v1/incidents", npctl_print_incidents);
	if (strcmp(cmd, "units") == 0)
		return cmd_query(&ctl, "units", argc - i, argv + i,
		    npctl_print_units);
	if (strcmp(cmd, "post") == 0)
		return cmd_query(&ctl, "post", argc - i, argv + i,
		    npctl_print_post);
	if (strcmp(cmd, "route") == 0)
		return cmd_query(&ctl, "route", argc - i, argv + i,
		    npctl_print_route);
	if (strcmp(cmd, "token") == 0)
		return npctl_token(&ctl, argc - i, argv + i);
	if (strcmp(cmd, "sla") == 0 || strcmp(cmd, "escalations") == 0 ||
	    strcmp(cmd, "close") == 0 || strcmp(cmd, "followup") == 0)
		return npctl_supervise(&ctl, cmd, argc - i, argv + i);
	usage(stderr);
	return 2;
}
