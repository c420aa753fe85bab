/*
 * np_testdata: the repository's own data files (deploy/) for unit tests,
 * loaded once here so a suite does not repeat the path and the checks.
 */
#ifndef NP_TESTDATA_H
#define NP_TESTDATA_H

#include "np_plans.h"

/* deploy/plans.json into plans; a failing load fails the test. */
void	np_test_plans(struct np_plans *plans);

#endif
