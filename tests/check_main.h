/*
 * The main of every test program: one suite, one test case with a generous
 * timeout (the sanitizer build is slow), TAP on stdout and nothing else there.
 * A test file defines add_tests() and ends with CHECK_MAIN("name").
 */
#ifndef NPO_CHECK_MAIN_H
#define NPO_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static void add_tests(TCase *tc);

static inline int check_main(const char *name)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create(name);
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	add_tests(tc);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define CHECK_MAIN(name)                 \
	int main(void)                   \
	{                                \
		return check_main(name); \
	}

#endif
