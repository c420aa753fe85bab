/*
 * Fuzz target: the configuration parser every service runs at start-up,
 * over a table with every kind of setting.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "np_conf.h"

struct settings {
	char	*s;
	int	 i;
	double	 d;
	int	 b;
};

static const struct np_conf_item items[] = {
	{ "a.str", NP_CONF_STR, "x", 0, 64, offsetof(struct settings, s), "" },
	{ "a.int", NP_CONF_INT, "1", -5, 70000, offsetof(struct settings, i),
	  "" },
	{ "a.dbl", NP_CONF_DOUBLE, "1.5", -1e9, 1e9,
	  offsetof(struct settings, d), "" },
	{ "a.bool", NP_CONF_BOOL, "no", 0, 1, offsetof(struct settings, b),
	  "" },
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings st = { 0 };
	struct np_conf_table t = { items, 4, &st };
	char err[512];

	np_conf_defaults(&t, 1);
	if (np_conf_parse(&t, 1, (const char *)data, size, "fuzz", err,
	    sizeof(err)) == -1 && err[0] == '\0')
		abort();
	np_conf_free(&t, 1);
	return 0;
}
