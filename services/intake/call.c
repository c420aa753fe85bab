/*
 * call.c: one call from outside, validated field by field.
 *
 * Strict on purpose: unknown fields are refused (a misspelt "priorty"
 * must not silently become the default), every string is bounded, every
 * number range-checked, and the error names the field.  Pure: no I/O, so
 * the unit tests and the fuzz target run exactly this code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "np_id.h"

static const char *const source_names[] = { "phone", "video", "alarm",
    "walkin" };

static const char *const colours[] = { "red", "orange", "yellow", "blue" };

const char *
intake_colour(int priority)
{
	if (priority < 1 || priority > 4)
		return "unknown";
	return colours[priority - 1];
}

int
intake_priority_of_colour(const char *colour)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(colour, colours[i]) == 0)
			return i + 1;
	return -1;
}

const char *
intake_source_name(enum intake_source s)
{
	return source_names[s];
}

static int
parse_source(struct intake_call *c, json_t *doc, struct np_jerr *e)
{
	const char *s = NULL;

	c->source = INTAKE_SRC_PHONE;
	if (np_json_str(doc, "", "source", 0, 16, &s, e) == -1)
		return -1;
	if (s == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(source_names) / sizeof(*source_names);
	    i++)
		if (strcmp(s, source_names[i]) == 0) {
			c->source = (enum intake_source)i;
			return 0;
		}
	return np_jerr_set(e, "", "source", "must be one of phone, video, "
	    "alarm, walkin");
}

static int
parse_priority(struct intake_call *c, json_t *doc, struct np_jerr *e)
{
	const char *colour = NULL;
	long long prio = 0;
	int cp;

	if (np_json_int(doc, "", "priority", 0, 1, 4, &prio, e) == -1 ||
	    np_json_str(doc, "", "colour", 0, 16, &colour, e) == -1)
		return -1;
	c->priority = prio ? (int)prio : c->type->priority;
	if (colour == NULL)
		return 0;
	if ((cp = intake_priority_of_colour(colour)) == -1)
		return np_jerr_set(e, "", "colour", "must be one of red, "
		    "orange, yellow, blue");
	if (prio && cp != prio)
		return np_jerr_set(e, "", "colour", "'%s' disagrees with "
		    "priority %lld", colour, prio);
	c->priority = cp;
	return 0;
}

static int
parse_location(struct intake_call *c, json_t *doc, struct np_jerr *e)
{
	static const char *const keys[] = { "lat", "lon", "address", NULL };
	json_t *loc;

	if (np_json_obj(doc, "", "location", 1, &loc, e) == -1 ||
	    np_json_only(loc, "location", keys, e) == -1 ||
	    np_json_num(loc, "location", "lat", 1, -INTAKE_LAT_MAX,
	    INTAKE_LAT_MAX, &c->lat, e) == -1 ||
	    np_json_num(loc, "location", "lon", 1, -180, 180, &c->lon, e) == -1
	    || np_json_str(loc, "location", "address", 0, INTAKE_ADDRESS_MAX,
	    &c->address, e) == -1)
		return -1;
	if (c->lat == 0 && c->lon == 0)
		return np_jerr_set(e, "location", "lat", "0,0 is not a call "
		    "location (a device without a position fix?)");
	return 0;
}

static int
parse_caller(struct intake_call *c, json_t *doc, struct np_jerr *e)
{
	static const char *const keys[] = { "name", "phone", NULL };
	json_t *caller = NULL;

	if (np_json_obj(doc, "", "caller", 0, &caller, e) == -1)
		return -1;
	if (caller == NULL)
		return 0;
	if (np_json_only(caller, "caller", keys, e) == -1 ||
	    np_json_str(caller, "caller", "name", 0, INTAKE_NAME_MAX,
	    &c->caller_name, e) == -1 ||
	    np_json_str(caller, "caller", "phone", 0, INTAKE_PHONE_MAX,
	    &c->caller_phone, e) == -1)
		return -1;
	if (c->caller_phone != NULL) {
		const char *p = c->caller_phone;
		if (*p == '\0' || p[strspn(p, "0123456789+-() ")] != '\0')
			return np_jerr_set(e, "caller", "phone", "may hold "
			    "only digits, spaces and + - ( )");
	}
	return 0;
}

static int
parse_ids(struct intake_call *c, json_t *doc, const char *idem,
    struct np_jerr *e)
{
	const char *id = NULL;

	if (np_json_str(doc, "", "call_id", 0, INTAKE_ID_MAX, &id, e) == -1)
		return -1;
	if (id != NULL && !np_id_valid(id, INTAKE_ID_MAX))
		return np_jerr_set(e, "", "call_id", "must be 1..%d characters "
		    "of [A-Za-z0-9._:-]", INTAKE_ID_MAX);
	if (idem != NULL && !np_id_valid(idem, INTAKE_ID_MAX))
		return np_jerr_set(e, "", "Idempotency-Key", "must be 1..%d "
		    "characters of [A-Za-z0-9._:-]", INTAKE_ID_MAX);
	if (id != NULL && idem != NULL && strcmp(id, idem) != 0)
		return np_jerr_set(e, "", "call_id", "disagrees with the "
		    "Idempotency-Key header");
	if (id == NULL)
		id = idem;
	if (id != NULL) {
		snprintf(c->call_id, sizeof(c->call_id), "%s", id);
		c->call_id_given = 1;
	} else if (np_id_new(c->call_id, sizeof(c->call_id), "C", 8) == -1)
		return np_jerr_set(e, "", "call_id", "could not be generated");
	return 0;
}

int
intake_call_parse(struct intake_call *c, const struct np_plans *ps,
    const char *body, size_t len, const char *idem, struct np_jerr *e)
{
	static const char *const keys[] = { "call_id", "source", "type",
	    "priority", "colour", "location", "caller", "description", NULL };
	const char *type;

	memset(c, 0, sizeof(*c));
	memset(e, 0, sizeof(*e));
	if ((c->doc = np_json_parse(body, len, e)) == NULL)
		return -1;
	if (!json_is_object(c->doc)) {
		np_jerr_set(e, NULL, NULL, "the body must be a JSON object");
		goto fail;
	}
	if (np_json_only(c->doc, "", keys, e) == -1 ||
	    np_json_str(c->doc, "", "type", 1, NP_TYPE_MAX, &type, e) == -1)
		goto fail;
	if ((c->type = np_plans_type(ps, type)) == NULL) {
		np_jerr_set(e, "", "type", "'%s' is not a known incident type",
		    type);
		goto fail;
	}
	if (parse_ids(c, c->doc, idem, e) == -1 ||
	    parse_source(c, c->doc, e) == -1 ||
	    parse_priority(c, c->doc, e) == -1 ||
	    parse_location(c, c->doc, e) == -1 ||
	    parse_caller(c, c->doc, e) == -1 ||
	    np_json_str(c->doc, "", "description", 0, INTAKE_DESC_MAX,
	    &c->description, e) == -1)
		goto fail;
	return 0;
fail:
	intake_call_free(c);
	return -1;
}

void
intake_call_free(struct intake_call *c)
{
	json_decref(c->doc);
	c->doc = NULL;
}

/* What the call says, without its id and time. */
static json_t *
call_content(const struct intake_call *c)
{
	json_t *j, *loc;

	loc = json_pack("{s:f, s:f}", "lat", c->lat, "lon", c->lon);
	if (c->address != NULL)
		json_object_set_new(loc, "address", json_string(c->address));
	j = json_pack("{s:s, s:s, s:i, s:s, s:o}", "source",
	    intake_source_name(c->source), "type", c->type->name,
	    "priority", c->priority, "colour", intake_colour(c->priority),
	    "location", loc);
	if (c->caller_name != NULL || c->caller_phone != NULL) {
		json_t *who = json_object();
		if (c->caller_name != NULL)
			json_object_set_new(who, "name",
			    json_string(c->caller_name));
		if (c->caller_phone != NULL)
			json_object_set_new(who, "phone",
			    json_string(c->caller_phone));
		json_object_set_new(j, "caller", who);
	}
	if (c->description != NULL)
		json_object_set_new(j, "description",
		    json_string(c->description));
	return j;
}

json_t *
intake_call_json(const struct intake_call *c, int64_t accepted_ms)
{
	json_t *j = json_pack("{s:s}", "call_id", c->call_id);
	json_t *content = call_content(c);

	json_object_update(j, content);
	json_decref(content);
	json_object_set_new(j, "accepted_at", json_integer(accepted_ms));
	return j;
}

char *
intake_call_content(const struct intake_call *c, size_t *len)
{
	json_t *j = call_content(c);
	char *s = np_json_dump(j, len);

	json_decref(j);
	return s;
}

/*
 * The dump of intake_call_json() from the content's: the call id goes
 * first and accepted_at last, the content's members between, compact.
 * The call id needs no escaping (np_id_valid characters only).
 */
char *
intake_call_json_str(const struct intake_call *c, const char *content,
    size_t clen, int64_t accepted_ms)
{
	size_t size = clen + strlen(c->call_id) + 64;
	char *s;

	if (clen < 2 || content[0] != '{' || content[clen - 1] != '}' ||
	    (s = malloc(size)) == NULL)
		return NULL;
	snprintf(s, size, "{\"call_id\":\"%s\",%.*s,\"accepted_at\":%lld}",
	    c->call_id, (int)(clen - 2), content + 1, (long long)accepted_ms);
	return s;
}

void
intake_content_fingerprint(const char *content, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */

	for (const char *p = content ? content : ""; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void
intake_call_fingerprint(const struct intake_call *c, char out[17])
{
	char *s = intake_call_content(c, NULL);

	intake_content_fingerprint(s, out);
	free(s);
}
