/*
 * The main of every test program: one suite, TAP on stdout and nothing else
 * there, a generous timeout per test case (the sanitizer build is slow).
 * A test file either defines add_tests() (one test case) and ends with
 * CHECK_MAIN("name"), or, with one test case per heading of what it tests,
 * defines CHECK_CASES before including this, defines add_cases() making
 * each with test_case(), and ends with CHECK_MAIN_CASES("name"); one case
 * then runs alone with CK_RUN_CASE=its-name.
 */
#ifndef NPO_CHECK_MAIN_H
#define NPO_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A test case of suite s, with a fixture around each test (or none). */
static inline TCase *test_case(Suite *s, const char *name, void (*setup)(void),
			       void (*teardown)(void))
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 120);
	if (setup || teardown)
		tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

#ifdef CHECK_CASES
static void add_cases(Suite *s);

#define CHECK_MAIN_CASES(name)                 \
	int main(void)                         \
	{                                      \
		Suite *s = suite_create(name); \
                                               \
		add_cases(s);                  \
		return check_run(s);           \
	}
#else
static void add_tests(TCase *tc);

static inline int check_main(const char *name)
{
	Suite *s = suite_create(name);

	add_tests(test_case(s, name, NULL, NULL));
	return check_run(s);
}

#define CHECK_MAIN(name)                 \
	int main(void)                   \
	{                                \
		return check_main(name); \
	}
#endif

#endif
