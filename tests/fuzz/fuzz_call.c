/*
 * Fuzz target: intake's call parser (the body of POST /v1/calls) and the
 * canonical form built from an accepted call.  Half the inputs also go in
 * with an Idempotency-Key taken from their first bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"

static struct np_plans plans;

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	if (np_plans_load_file(&plans, NP_SRC_DIR "/deploy/plans.json", err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_call c;
	struct np_jerr e;
	char idem[17], fp[17];
	const char *key = NULL;
	json_t *j;

	if (size > 0 && (data[0] & 1) && size > 16) {
		memcpy(idem, data + 1, 16);
		idem[16] = '\0';
		key = idem;
	}
	if (intake_call_parse(&c, &plans, (const char *)data, size, key,
	    &e) == 0) {
		j = intake_call_json(&c, 1);
		intake_call_fingerprint(&c, fp);
		json_decref(j);
		intake_call_free(&c);
	} else if (e.msg[0] == '\0')
		abort();	/* every refusal must say why */
	return 0;
}
