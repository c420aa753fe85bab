/*
 * msg.c: reading a unit.status entry (docs/DISPATCH.md) for feedback.
 * Pure: text in, the clear out.  Only 'clear' matters here; any other
 * status is acknowledged without work -- most without being parsed at
 * all (fb_maybe_clear).
 */
#include <stdio.h>
#include <string.h>

#include "feedback.h"
#include "np_id.h"
#include "np_json.h"

/* <incident>-T<tier>-<n> -> <incident>; -1 if the id is not shaped so. */
static int
incident_of_order(const char *oid, char *out, size_t len)
{
	const char *t = NULL, *p;

	for (p = strstr(oid, "-T"); p != NULL; p = strstr(p + 1, "-T"))
		t = p;
	if (t == NULL || t == oid || (size_t)(t - oid) >= len)
		return -1;
	memcpy(out, oid, t - oid);
	out[t - oid] = '\0';
	return 0;
}

static int
parse(json_t *doc, struct fb_clear *c, struct np_jerr *e)
{
	const char *type = NULL, *status = NULL, *disp = NULL;

	if (np_json_str(doc, "", "type", 1, 64, &type, e) == -1)
		return -1;
	if (strcmp(type, "unit.status") != 0)
		return np_jerr_set(e, "", "type", "is %s, not unit.status",
		    type);
	if (np_json_str(doc, "", "status", 1, 32, &status, e) == -1)
		return -1;
	if (strcmp(status, "clear") != 0)
		return 0;
	if (np_json_id(doc, "", "order_id", 1, FB_ID_MAX, c->order_id,
	    e) == -1 ||
	    np_json_id(doc, "", "incident_id", 0, FB_ID_MAX, c->incident_id,
	    e) == -1 ||
	    np_json_str(doc, "", "disposition", 0, FB_TEXT_MAX, &disp,
	    e) == -1)
		return -1;
	if (c->incident_id[0] == '\0' && incident_of_order(c->order_id,
	    c->incident_id, sizeof(c->incident_id)) == -1)
		return np_jerr_set(e, "", "order_id", "%s names no incident "
		    "(<incident>-T<tier>-<n>) and incident_id is absent",
		    c->order_id);
	if (disp != NULL)
		snprintf(c->disposition, sizeof(c->disposition), "%s", disp);
	return 1;
}

int
fb_maybe_clear(const char *msg, size_t len)
{
	static const char word[] = "\"clear\"";
	const char *p = msg, *end = msg + len;

	if (memchr(msg, '\\', len) != NULL)
		return 1;	/* an escape could spell it */
	while ((p = memchr(p, '"', end - p)) != NULL) {
		if ((size_t)(end - p) < sizeof(word) - 1)
			return 0;
		if (memcmp(p, word, sizeof(word) - 1) == 0)
			return 1;
		p++;
	}
	return 0;
}

int
fb_clear_parse(const char *msg, size_t len, struct fb_clear *c, char *err,
    size_t errlen)
{
	struct np_jerr e;
	json_t *doc;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((doc = np_json_parse(msg, len, &e)) == NULL)
		rc = -1;
	else if (!json_is_object(doc))
		rc = np_jerr_set(&e, "", "", "a message is a JSON object");
	else
		rc = parse(doc, c, &e);
	json_decref(doc);
	if (rc == -1)
		np_jerr_format(&e, err, errlen);
	return rc;
}
