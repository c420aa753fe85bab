/*
 * Fuzz target: the token file parser (np_auth_parse) and the
 * Authorization header reader (np_auth_bearer).  A refused file must
 * come with a message naming its line; an accepted one must give back
 * entries whose principal is "<role>:<name>".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_auth_set set;
	char err[512], hdr[1024];
	const char *tok;
	size_t i, len;

	err[0] = '\0';
	if (np_auth_parse(&set, (const char *)data, size, "fuzz", err,
	    sizeof(err)) == -1) {
		if (strncmp(err, "fuzz:", 5) != 0 || set.n != 0)
			abort();
	} else {
		for (i = 0; i < set.n; i++)
			if (strchr(set.tok[i].principal, ':') == NULL ||
			    set.tok[i].role == NP_AUTH_NONE)
				abort();
		np_auth_find(&set, (const char *)data, size);
		np_auth_set_free(&set);
	}
	len = size < sizeof(hdr) - 1 ? size : sizeof(hdr) - 1;
	memcpy(hdr, data, len);
	hdr[len] = '\0';
	if (np_auth_bearer(hdr, &tok, &len) == NP_AUTH_BEARER_OK &&
	    (len == 0 || len > NP_AUTH_TOKEN_MAX || tok < hdr ||
	    tok + len > hdr + strlen(hdr)))
		abort();
	return 0;
}
