/*
 * Fuzz target: the HTTP/1.x request parser every HTTP service runs on
 * untrusted bytes, fed in pieces whose sizes come from the input itself
 * (so split headers, split chunk sizes and pipelined requests are all
 * reached), then the percent-decoder on the request target, and then
 * what the server builds from a complete request (np_http_req_new: path
 * segments, query) matched against route patterns like the services'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_http.h"
#include "np_http_int.h"
#include "np_http_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_msg(const struct np_http_parser *p)
{
	const struct np_http_msg *m = np_http_parser_msg(p);
	const char *t = m->head + m->target;
	size_t len = strlen(t), i;
	char *dst;

	if (m->head_len == 0 || strlen(m->head + m->method) == 0)
		abort();	/* a parsed request has a method */
	for (i = 0; i < m->nhdrs; i++)
		if (m->hdrs[i].name >= m->head_len ||
		    m->hdrs[i].value >= m->head_len)
			abort();
	if ((dst = malloc(len + 1)) == NULL)
		return;
	if (np_http_pct_decode(dst, t, len, 1) > (long)len)
		abort();
	free(dst);
}

/* The request a server would hand to its routes; never NULL on no memory. */
static void
check_req(struct np_http_parser *p)
{
	static const char *const pats[] = { "/v1/calls", "/v1/incidents/*",
	    "/v1/incidents/*/close", "/*", "/" };
	struct np_http srv;
	struct np_http_conn c;
	struct np_http_req *req = NULL;
	const char *code = NULL;
	char msg[128];
	size_t i;

	memset(&srv, 0, sizeof(srv));
	memset(&c, 0, sizeof(c));
	c.srv = &srv;
	if (np_http_req_new(&c, p, &req, &code, msg, sizeof(msg)) == -1) {
		if (code == NULL || msg[0] == '\0')
			abort();	/* a refusal names its reason */
		return;
	}
	if (req == NULL)
		return;
	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		(void)np_http_req_match(req, pats[i]);
	(void)np_http_query(req, "limit");
	np_http_req_free(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_http_parse_limits lim = { 1024, 16, 4096, 512 };
	struct np_http_parser *p;
	enum np_http_parse_status st = NP_HTTP_PARSE_MORE;
	size_t off = 1, step, used, blen;
	unsigned seed;
	int stuck = 0;

	if (size < 1 || (p = np_http_parser_new(&lim)) == NULL)
		return 0;
	seed = data[0] | 1U;
	while (off < size) {
		step = 1 + (seed % 37);
		seed = seed * 1103515245U + 12345U;
		if (step > size - off)
			step = size - off;
		used = 0;
		st = np_http_parser_feed(p, (const char *)data + off, step,
		    &used);
		if (used > step)
			abort();
		off += used;
		if (st == NP_HTTP_PARSE_ERROR) {
			const struct np_http_parse_error *e =
			    np_http_parser_error(p);

			if (e->status < 400 || e->status > 599 ||
			    e->message[0] == '\0')
				abort();	/* every refusal says why */
			break;
		}
		if (st == NP_HTTP_PARSE_HEAD)
			check_msg(p);
		if (st == NP_HTTP_PARSE_DONE) {
			check_msg(p);
			if (data[0] & 0x80)
				check_req(p);	/* takes the body */
			else
				free(np_http_parser_take_body(p, &blen));
			np_http_parser_reset(p);
		}
		if (used > 0)
			stuck = 0;
		else if (st == NP_HTTP_PARSE_MORE)
			abort();	/* MORE means all input was used */
		else if (++stuck > 3)
			abort();	/* the parser makes no progress */
	}
	np_http_parser_free(p);
	return 0;
}
