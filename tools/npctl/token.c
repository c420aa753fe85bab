/*
 * token.c: `npctl token new NAME ROLE` -- a fresh bearer token for a
 * person or a program.  The token (32 random bytes as hex, "np_" in
 * front so it is recognisable in a paste) is printed once and kept
 * nowhere; the line for the token file holds only its SHA-256.  Append
 * the line to the file named by auth.tokens and send SIGHUP to intake
 * and the dashboard (or restart them).
 */
#include <stdio.h>
#include <string.h>

#include "np_auth.h"
#include "np_sha256.h"
#include "npctl.h"

#define TOKEN_BYTES	32

/* The line as np_auth_parse reads it, so what we print is what it takes. */
static int
check_line(const char *line)
{
	struct np_auth_set set;
	char err[256];

	if (np_auth_parse(&set, line, strlen(line), "name/role", err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "npctl token: %s\n", err + strlen("name/role:1: "));
		return -1;
	}
	np_auth_set_free(&set);
	return 0;
}

static int
token_new(const struct npctl *ctl, const char *name, const char *role)
{
	uint8_t rnd[TOKEN_BYTES], h[NP_SHA256_LEN];
	char tok[3 + 2 * TOKEN_BYTES + 1], hex[2 * NP_SHA256_LEN + 1];
	char line[NP_AUTH_NAME_MAX + 16 + sizeof(hex) + 8];

	if (strlen(name) > NP_AUTH_NAME_MAX || strlen(role) > 16 ||
	    strcspn(name, " \t\r\n#") != strlen(name) ||
	    strcspn(role, " \t\r\n#") != strlen(role)) {
		fprintf(stderr, "npctl token: the name is 1..%d characters of "
		    "[A-Za-z0-9._@-], the role calltaker, supervisor or "
		    "admin\n", NP_AUTH_NAME_MAX);
		return 2;
	}
	if (np_random(rnd, sizeof(rnd)) == -1) {
		fprintf(stderr, "npctl token: no random bytes (getrandom)\n");
		return 1;
	}
	memcpy(tok, "np_", 3);
	np_hex(rnd, sizeof(rnd), tok + 3);
	np_sha256(tok, strlen(tok), h);
	np_hex(h, sizeof(h), hex);
	snprintf(line, sizeof(line), "%s %s %s", name, role, hex);
	if (check_line(line) == -1)
		return 2;
	if (ctl->json)
		printf("{\"name\": \"%s\", \"role\": \"%s\", \"token\": \"%s\", "
		    "\"line\": \"%s\"}\n", name, role, tok, line);
	else
		printf("token for %s:%s (shown only now; hand it over "
		    "privately):\n  %s\nline for the token file (append it to "
		    "auth.tokens, then SIGHUP intake and dashboard):\n%s\n",
		    role, name, tok, line);
	memset(tok, 0, sizeof(tok));
	return 0;
}

int
npctl_token(const struct npctl *ctl, int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[0], "new") == 0)
		return token_new(ctl, argv[1], argv[2]);
	fprintf(stderr, "usage: npctl token new NAME calltaker|supervisor|"
	    "admin\n");
	return 2;
}
