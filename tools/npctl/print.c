/*
 * print.c: answers as a person reads them.  Times are local wall-clock
 * times; anything not shown here is in --json.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "npctl.h"

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

static double
num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* ms since the epoch as HH:MM:SS. */
static const char *
clock_of(json_int_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL)
		return "-";
	strftime(buf, len, "%H:%M:%S", &tm);
	return buf;
}

void
npctl_print_error(const json_t *ans, int status)
{
	const json_t *e = json_object_get(ans, "error");
	const char *field = json_string_value(json_object_get(e, "field"));

	if (!json_is_object(e)) {
		fprintf(stderr, "npctl: HTTP %d without an error body\n", status);
		return;
	}
	fprintf(stderr, "npctl: refused (%s%s%s): %s\n", str(e, "code"),
	    field ? ", field " : "", field ? field : "", str(e, "message"));
}

void
npctl_print_accepted(const json_t *a, int status)
{
	const json_t *inc = json_object_get(a, "incident");

	printf("call %s -> incident %s (%s), priority %d %s, %d call(s)\n",
	    str(a, "call_id"), str(a, "incident_id"),
	    status == 200 ? "already accepted" :
	    json_is_true(json_object_get(a, "merged")) ? "merged into an open "
	    "incident" : "new", (int)num(inc, "priority"), str(inc, "colour"),
	    (int)num(inc, "calls_count"));
}

static void
print_entry(const json_t *e)
{
	const char *skip[] = { "ts", "event", "by", NULL };
	const char *key;
	json_t *v;
	char t[16];
	int i, first = 1;

	printf("  %s  %-16s %-10s", clock_of(json_integer_value(
	    json_object_get(e, "ts")), t, sizeof(t)), str(e, "event"),
	    str(e, "by"));
	json_object_foreach((json_t *)e, key, v) {
		for (i = 0; skip[i] != NULL && strcmp(skip[i], key) != 0; i++)
			;
		if (skip[i] != NULL)
			continue;
		if (json_is_string(v))
			printf("%s%s=%s", first ? " " : ", ", key,
			    json_string_value(v));
		else if (json_is_number(v))
			printf("%s%s=%g", first ? " " : ", ", key,
			    json_number_value(v));
		else if (json_is_boolean(v))
			printf("%s%s=%s", first ? " " : ", ", key,
			    json_is_true(v) ? "yes" : "no");
		first = 0;
	}
	putchar('\n');
}

void
npctl_print_incident(const json_t *inc)
{
	const json_t *loc = json_object_get(inc, "location"), *v;
	char t[16], t2[16];
	size_t i;

	printf("incident %s  %s  priority %d %s  state %s\n", str(inc, "id"),
	    str(inc, "type"), (int)num(inc, "priority"), str(inc, "colour"),
	    str(inc, "state"));
	printf("  at %.6f, %.6f  %s\n", num(loc, "lat"), num(loc, "lon"),
	    str(loc, "address"));
	printf("  first call %s, last call %s, %d call(s)\n",
	    clock_of(json_integer_value(json_object_get(inc, "t0")), t,
	    sizeof(t)), clock_of(json_integer_value(json_object_get(inc,
	    "last_call")), t2, sizeof(t2)), (int)num(inc, "calls_count"));
	printf("timeline:\n");
	json_array_foreach(json_object_get(inc, "timeline"), i, v)
		print_entry(v);
}

void
npctl_print_incidents(const json_t *ans)
{
	const json_t *v;
	char t[16];
	size_t i;

	printf("%-20s %-18s %-3s %-10s %-9s %s\n", "ID", "TYPE", "PRI",
	    "STATE", "SINCE", "CALLS");
	json_array_foreach(json_object_get(ans, "incidents"), i, v) {
		printf("%-20s %-18s %-3d %-10s %-9s %d\n", str(v, "id"),
		    str(v, "type"), (int)num(v, "priority"), str(v, "state"),
		    clock_of(json_integer_value(json_object_get(v, "t0")), t,
		    sizeof(t)), (int)num(v, "calls_count"));
	}
}

void
npctl_print_units(const json_t *ans)
{
	const json_t *v;
	size_t i;

	printf("%-10s %-12s %-12s %10s %10s %8s\n", "UNIT", "KIND", "STATUS",
	    "LAT", "LON", "DIST_M");
	json_array_foreach(json_object_get(ans, "units"), i, v)
		printf("%-10s %-12s %-12s %10.6f %10.6f %8.1f\n",
		    str(v, "unit_id"), str(v, "kind"), str(v, "status"),
		    num(v, "lat"), num(v, "lon"), num(v, "distance_m"));
}

void
npctl_print_post(const json_t *ans)
{
	const json_t *p = json_object_get(ans, "post");

	printf("post %s (%s, %s) at %.1f m%s\n", str(p, "id"), str(p, "name"),
	    str(p, "kind"), num(p, "distance_m"),
	    json_is_true(json_object_get(ans, "coverage_gap")) ?
	    " -- COVERAGE GAP: no post within 200 m" : "");
}

void
npctl_print_route(const json_t *ans)
{
	const json_t *tier, *c;
	size_t i, j;

	npctl_print_post(ans);
	json_array_foreach(json_object_get(ans, "tiers"), i, tier) {
		printf("tier %d (%d s):\n", (int)num(tier, "tier"),
		    (int)num(tier, "deadline_s"));
		json_array_foreach(json_object_get(tier, "candidates"), j, c)
			printf("  %zu. %-10s %-12s %8.1f m  eta %6.1f s\n",
			    j + 1, str(c, "unit_id"), str(c, "kind"),
			    num(c, "distance_m"), num(c, "eta_s"));
	}
}

static void
print_marks(const char *scope, const json_t *marks)
{
	const json_t *m, *c;
	size_t i;

	printf("%-24s", scope);
	json_array_foreach(marks, i, m) {
		c = json_object_get(m, "compliance");
		if (json_is_number(c))
			printf("  %3d/%-3d %5.1f%%", (int)num(m, "met"),
			    (int)(num(m, "met") + num(m, "missed")),
			    json_number_value(c));
		else
			printf("  %15s", "-");
	}
	putchar('\n');
}

/* 1 if any mark of the row was due (met or missed). */
static int
any_due(const json_t *marks)
{
	const json_t *m;
	size_t i;

	json_array_foreach(marks, i, m)
		if (num(m, "met") + num(m, "missed") > 0)
			return 1;
	return 0;
}

void
npctl_print_sla(const json_t *ans)
{
	const json_t *v;
	size_t i, quiet = 0;

	printf("SLA, this %s (%s): marks met / due, compliance\n",
	    str(ans, "window"), str(ans, "bucket"));
	printf("%-24s  %15s  %15s  %15s\n", "", "1 min", "3 min", "5 min");
	print_marks("all posts", json_object_get(ans, "total"));
	json_array_foreach(json_object_get(ans, "districts"), i, v)
		print_marks(str(v, "district"), json_object_get(v, "marks"));
	json_array_foreach(json_object_get(ans, "posts"), i, v) {
		if (any_due(json_object_get(v, "marks")))
			print_marks(str(v, "post"), json_object_get(v, "marks"));
		else
			quiet++;
	}
	if (quiet > 0)
		printf("(%zu posts had no mark due)\n", quiet);
}

void
npctl_print_escalations(const json_t *ans)
{
	const json_t *v, *e = json_object_get(ans, "escalations");
	char t[16];
	size_t i;

	if (json_array_size(e) == 0) {
		printf("no escalations waiting\n");
		return;
	}
	printf("%-9s %-20s %-4s %-4s %-11s %s\n", "SINCE", "INCIDENT", "TIER",
	    "STEP", "ACTION", "POST");
	json_array_foreach(e, i, v)
		printf("%-9s %-20s %-4d %-4d %-11s %s\n", clock_of(
		    json_integer_value(json_object_get(v, "ts")), t, sizeof(t)),
		    str(v, "incident_id"), (int)num(v, "tier"),
		    (int)num(v, "step"), str(v, "action"), str(v, "post"));
}

void
npctl_print_done(const json_t *ans)
{
	const char *key;
	json_t *v;

	printf("done:");
	json_object_foreach((json_t *)ans, key, v)
		if (json_is_string(v))
			printf(" %s=%s", key, json_string_value(v));
	putchar('\n');
}
