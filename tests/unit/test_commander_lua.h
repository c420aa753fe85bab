/*
 * What the commander's script suites share: a real redis-server, the
 * scripts exactly as the commander sends them (the build's texts,
 * cmd_*_lua, linked from the npcommander_logic library), and small
 * synchronous callers with the arguments the commander passes.
 * Static inline so that each suite includes it once and uses what it
 * needs.
 */
#ifndef TEST_COMMANDER_LUA_H
#define TEST_COMMANDER_LUA_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "commander.h"
#include "np_testredis.h"
#include "np_testscript.h"

#define P		"np:{city}:"
#define T0		1800000000000LL
#define ACK_MS		15000
#define TC_FRAMES	16

struct tc_reply {
	char		result[32];
	char		detail[256];
	long long	due;
	int		nframes;
	char		frames[TC_FRAMES][NP_TEST_FRAME_MAX];
};

static struct np_testredis tc_srv;
static redisContext *rc;

static inline void
tc_setup(void)
{
	ck_assert_int_eq(np_testredis_start(&tc_srv, NULL), 0);
	rc = redisConnect("127.0.0.1", tc_srv.port);
	ck_assert(rc != NULL && rc->err == 0);
}

static inline void
tc_teardown(void)
{
	redisFree(rc);
	np_testredis_stop(&tc_srv);
}

/*
 * A batch script's answer (lib.lua's batch) {'batch', n, due, {result,
 * detail, ...}, frames...} of one group: as a call of its own; -1 when r
 * is no batch answer.
 */
static inline int
tc_batch_decode(const redisReply *r, struct tc_reply *o)
{
	const redisReply *a;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 4 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "batch") != 0)
		return -1;
	a = r->element[3];
	ck_assert_msg(a->type == REDIS_REPLY_ARRAY && a->elements == 2,
	    "one group, one result");
	snprintf(o->result, sizeof(o->result), "%s", a->element[0]->str);
	snprintf(o->detail, sizeof(o->detail), "%s", a->element[1]->str);
	o->due = r->element[2]->integer;
	for (size_t i = 4; i < r->elements && o->nframes < TC_FRAMES; i++)
		snprintf(o->frames[o->nframes++], NP_TEST_FRAME_MAX, "%s",
		    r->element[i]->str);
	return 0;
}

/* EVAL a lib-based script with its common arguments, then n more. */
static inline struct tc_reply
tc_eval(redisContext *c, const char *script, long long now, int n, ...)
{
	const char *argv[16];
	char nowbuf[24], ack[16];
	struct tc_reply o;
	redisReply *r;
	va_list ap;
	int argc = 0;

	snprintf(nowbuf, sizeof(nowbuf), "%lld", now);
	snprintf(ack, sizeof(ack), "%d", ACK_MS);
	argv[argc++] = "EVAL"; argv[argc++] = script; argv[argc++] = "2";
	argv[argc++] = P "orders:ackdue"; argv[argc++] = P "s:orders";
	argv[argc++] = P; argv[argc++] = nowbuf; argv[argc++] = ack;
	va_start(ap, n);
	while (n-- > 0)
		argv[argc++] = va_arg(ap, const char *);
	va_end(ap);
	r = redisCommandArgv(c, argc, argv, NULL);
	memset(&o, 0, sizeof(o));
	if (tc_batch_decode(r, &o) == -1)
		np_test_script_decode(r, o.result, sizeof(o.result), o.detail,
		    sizeof(o.detail), &o.due, o.frames, TC_FRAMES, &o.nframes);
	freeReplyObject(r);
	return o;
}

static inline struct tc_reply
tc_dispatch(redisContext *c, const char *inc, int tier, const char *route,
    long long now)
{
	char t[8];

	snprintf(t, sizeof(t), "%d", tier);
	/* candidates not read: the stored route is decoded */
	return tc_eval(c, cmd_dispatch_lua, now, 4, inc, t, route, "?");
}

static inline struct tc_reply
tc_status(redisContext *c, const char *unit, const char *status,
    const char *oid, const char *extra, long long now)
{
	int clear = strcmp(status, "clear") == 0;

	return tc_eval(c, cmd_status_lua, now, 5, unit, status, oid,
	    clear ? extra : "", clear ? "" : extra);
}

static inline struct tc_reply
tc_noanswer(redisContext *c, long long now)
{
	return tc_eval(c, cmd_noanswer_lua, now, 1, "100");
}

/* Units "U1,U2,..." of kind guard at post P-1, through seed.lua. */
static inline long long
tc_seed(redisContext *c, const char *units)
{
	const char *argv[8 + 6 * 64];
	char ids[64][16], list[1024], *s, *save = NULL;
	int argc = 0, n = 0;
	redisReply *r;
	long long v;

	snprintf(list, sizeof(list), "%s", units);
	argv[argc++] = "EVAL"; argv[argc++] = cmd_seed_lua; argv[argc++] = "2";
	argv[argc++] = P "orders:ackdue"; argv[argc++] = P "s:orders";
	argv[argc++] = P; argv[argc++] = "0"; argv[argc++] = "0";
	for (s = strtok_r(list, ",", &save); s != NULL && n < 64;
	    s = strtok_r(NULL, ",", &save), n++) {
		snprintf(ids[n], sizeof(ids[n]), "%s", s);
		argv[argc++] = ids[n]; argv[argc++] = "guard";
		argv[argc++] = ids[n]; argv[argc++] = "P-1";
		argv[argc++] = "31.23"; argv[argc++] = "121.47";
	}
	r = redisCommandArgv(c, argc, argv, NULL);
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    r->elements == 3);
	v = strtoll(r->element[1]->str, NULL, 10);
	freeReplyObject(r);
	return v;
}

static inline void
tc_cmd(redisContext *c, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	ck_assert(r != NULL && r->type != REDIS_REPLY_ERROR);
	freeReplyObject(r);
}

/* An incident as the router leaves it: routed, with type and place. */
static inline void
tc_incident(redisContext *c, const char *id)
{
	tc_cmd(c, "HSET " P "inc:%s id %s type fight priority 2 state routed "
	    "lat 31.2304000 lon 121.4737000 address %s", id, id, "Main_St_1");
}

/*
 * A route.decided for inc: tiers separated by '|', candidates by ',':
 * "U1,U2|U3" is tier 1 [U1, U2], tier 2 [U3]; "-" is an empty list.
 * Returns buf.
 */
static inline char *
tc_route(char *buf, size_t len, const char *inc, const char *tiers)
{
	char list[1024], *t, *u, *s1 = NULL, *s2 = NULL;
	size_t off;
	int tier = 0, first;

	snprintf(list, sizeof(list), "%s", tiers);
	off = snprintf(buf, len, "{\"type\":\"route.decided\",\"v\":1,"
	    "\"ts\":%lld,\"src\":\"router\",\"incident_id\":\"%s\","
	    "\"incident_type\":\"fight\",\"priority\":2,\"lat\":31.2304,"
	    "\"lon\":121.4737,\"t0\":%lld,\"post\":{\"id\":\"P-1\","
	    "\"name\":\"One\",\"distance_m\":12.5},\"coverage_gap\":false,"
	    "\"tiers\":[", T0, inc, T0);
	for (t = strtok_r(list, "|", &s1); t != NULL;
	    t = strtok_r(NULL, "|", &s1)) {
		off += snprintf(buf + off, len - off, "%s{\"tier\":%d,"
		    "\"deadline_s\":%d,\"candidates\":[", tier ? "," : "",
		    tier + 1, 60 * (2 * tier + 1));
		first = 1;
		for (u = strtok_r(t, ",-", &s2); u != NULL;
		    u = strtok_r(NULL, ",", &s2), first = 0)
			off += snprintf(buf + off, len - off, "%s{\"unit_id\":"
			    "\"%s\",\"kind\":\"guard\",\"distance_m\":40.0,"
			    "\"eta_s\":37.1}", first ? "" : ",", u);
		off += snprintf(buf + off, len - off, "]}");
		tier++;
	}
	snprintf(buf + off, len - off, "]}");
	ck_assert_uint_lt(off + 2, len);
	return buf;
}

/* HGET into a static buffer; "" when absent. */
static inline const char *
tc_hget(redisContext *c, const char *key, const char *field)
{
	static char val[4096];
	redisReply *r = redisCommand(c, "HGET " P "%s %s", key, field);

	ck_assert_ptr_nonnull(r);
	snprintf(val, sizeof(val), "%s",
	    r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	return val;
}

/* An integer reply, or a number in a string (ZSCORE); nil is 0. */
static inline long long
tc_int(redisContext *c, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;
	long long v;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	ck_assert(r != NULL && (r->type == REDIS_REPLY_INTEGER ||
	    r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL));
	v = r->type == REDIS_REPLY_INTEGER ? r->integer :
	    r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
	freeReplyObject(r);
	return v;
}

/* Timeline events of inc as "a,b,c" (the event names only). */
static inline const char *
tc_events(redisContext *c, const char *inc)
{
	static char out[4096];
	redisReply *r = redisCommand(c, "LRANGE " P "inc:%s:tl 0 -1", inc);
	size_t off = 0;
	const char *e;

	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	out[0] = '\0';
	for (size_t i = 0; i < r->elements && off < sizeof(out) - 64; i++) {
		e = strstr(r->element[i]->str, "\"event\":\"");
		ck_assert_ptr_nonnull(e);
		e += 9;
		off += snprintf(out + off, sizeof(out) - off, "%s%.*s",
		    i ? "," : "", (int)strcspn(e, "\""), e);
	}
	freeReplyObject(r);
	return out;
}

/* Every key and value, sorted: equal snapshots = nothing changed. */
static const char tc_snapshot_lua[] =
    "local out = {}\n"
    "local keys = redis.call('KEYS', '*')\n"
    "table.sort(keys)\n"
    "for _, k in ipairs(keys) do\n"
    "  local t = redis.call('TYPE', k).ok\n"
    "  local v\n"
    "  if t == 'hash' then\n"
    "    local h, f = redis.call('HGETALL', k), {}\n"
    "    for i = 1, #h, 2 do f[#f + 1] = h[i] .. '=' .. h[i + 1] end\n"
    "    table.sort(f)\n"
    "    v = table.concat(f, ';')\n"
    "  elseif t == 'list' then\n"
    "    v = table.concat(redis.call('LRANGE', k, 0, -1), ';')\n"
    "  elseif t == 'zset' then\n"
    "    v = table.concat(redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'),"
    " ';')\n"
    "  elseif t == 'stream' then\n"
    "    local last = redis.call('XREVRANGE', k, '+', '-', 'COUNT', 1)\n"
    "    v = redis.call('XLEN', k) .. ' ' .. (last[1] and last[1][1] or '')\n"
    "  else\n"
    "    v = tostring(redis.call('GET', k))\n"
    "  end\n"
    "  out[#out + 1] = k .. ' ' .. t .. ' ' .. v\n"
    "end\n"
    "return table.concat(out, '\\n')\n";

/* The snapshot, malloc'd. */
static inline char *
tc_snapshot(redisContext *c)
{
	redisReply *r = redisCommand(c, "EVAL %s 0", tc_snapshot_lua);
	char *s;

	ck_assert_msg(r != NULL && r->type == REDIS_REPLY_STRING, "%s",
	    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : "?");
	s = strdup(r->str);
	freeReplyObject(r);
	return s;
}

/* Nothing changed since the snapshot before (which is freed). */
static inline void
tc_unchanged(char *before, const char *what)
{
	char *after = tc_snapshot(rc);

	ck_assert_msg(strcmp(before, after) == 0, "%s changed:\n%s\n----\n%s",
	    what, before, after);
	free(before);
	free(after);
}

#endif
