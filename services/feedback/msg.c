/*
 * msg.c: reading a unit.status entry (docs/DISPATCH.md) for feedback.
 * Pure: text in, the clear out.  Only 'clear' matters here; any other
 * status is acknowledged without work -- most without being parsed at
 * all (fb_maybe_clear).
 *
 * What could be a clear is read first without jansson (fb_clear_fast:
 * np_jscan, no allocation -- json_loadb building a hash table for every
 * clear was a large part of feedback's time); whatever that refuses --
 * bad input, escapes, non-ASCII in the strings read, anything unusual --
 * goes to the strict jansson path (fb_clear_strict), which also names
 * the field that is wrong.  The fast path never accepts what the strict
 * one refuses nor reads it otherwise (tests/unit/test_feedback_fast.c
 * compares them on mutations of the gateway's messages).
 */
#include <stdio.h>
#include <string.h>

#include "feedback.h"
#include "np_id.h"
#include "np_jscan.h"
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
fb_clear_strict(const char *msg, size_t len, struct fb_clear *c, char *err,
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

/* An optional id (np_json_id): null or absent leaves out "". */
static int
fast_id(struct np_jscan *js, char *out)
{
	return np_jscan_null(js) ? 0 : np_jscan_id(js, out, FB_ID_MAX);
}

int
fb_clear_fast(const char *msg, size_t len, struct fb_clear *c)
{
	struct np_jscan js;
	struct np_jobj o;
	const char *key, *status = NULL;
	size_t kl, sl = 0;
	int rv, type = 0;

	memset(c, 0, sizeof(*c));
	if (np_jscan_begin(&js, &o, msg, len) == -1)
		return -1;
	while ((rv = np_jscan_next(&js, &o, &key, &kl)) == 1) {
		if (np_jscan_key(key, kl, "type"))
			rv = np_jscan_streq(&js, "unit.status"), type = 1;
		else if (np_jscan_key(key, kl, "status"))
			rv = np_jscan_str(&js, &status, &sl);
		else if (np_jscan_key(key, kl, "order_id"))
			rv = fast_id(&js, c->order_id);
		else if (np_jscan_key(key, kl, "incident_id"))
			rv = fast_id(&js, c->incident_id);
		else if (np_jscan_key(key, kl, "disposition"))
			rv = np_jscan_null(&js) ? 0 : np_jscan_strcpy(&js,
			    c->disposition, FB_TEXT_MAX);
		else
			rv = np_jscan_skip(&js);
		if (rv == -1)
			return -1;
	}
	if (rv == -1 || np_jscan_end(&js) == -1 || !type || status == NULL ||
	    sl > 32)
		return -1;
	if (!np_jscan_key(status, sl, "clear")) {
		memset(c, 0, sizeof(*c));	/* as the strict path does */
		return 0;
	}
	if (c->order_id[0] == '\0' || (c->incident_id[0] == '\0' &&
	    incident_of_order(c->order_id, c->incident_id,
	    sizeof(c->incident_id)) == -1))
		return -1;
	return 1;
}

int
fb_clear_parse(const char *msg, size_t len, struct fb_clear *c, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = fb_clear_fast(msg, len, c)) != -1)
		return rc;
	return fb_clear_strict(msg, len, c, err, errlen);
}
