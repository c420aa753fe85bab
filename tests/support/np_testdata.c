/*
 * np_testdata: see np_testdata.h.
 */
#include <check.h>

#include "np_testdata.h"

void
np_test_plans(struct np_plans *plans)
{
	char err[512];

	ck_assert_msg(np_plans_load_file(plans, NP_SRC_DIR
	    "/deploy/plans.json", err, sizeof(err)) == 0, "%s", err);
}
