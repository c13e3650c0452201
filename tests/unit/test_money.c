/* Unit tests of money.c: parsing, formatting and adding euro cents. */
#include "../check_main.h"

#include <stdint.h>
#include <string.h>

#include "npo/money.h"
#include "npo/util.h"

/* A value that no successful parse in these tests produces. */
#define UNTOUCHED INT64_C(-777)

static void assert_parses(const char *s, char sep, int64_t want)
{
	int64_t c = UNTOUCHED;

	ck_assert_msg(money_parse(s, sep, &c) == 0, "\"%s\" refused", s);
	ck_assert_msg(c == want, "\"%s\" gave %lld, want %lld", s, (long long)c,
		      (long long)want);
}

static void assert_refused(const char *s, char sep)
{
	int64_t c = UNTOUCHED;

	ck_assert_msg(money_parse(s, sep, &c) == -1, "\"%s\" accepted", s);
	ck_assert_msg(c == UNTOUCHED, "\"%s\" wrote %lld on failure", s,
		      (long long)c);
}

static void assert_formats(int64_t cents, char sep, const char *want)
{
	char out[MONEY_BUF];
	size_t n = money_format(cents, sep, out);

	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(n, strlen(want));
}

START_TEST(parses_euros)
{
	assert_parses("2138509.64", '.', INT64_C(213850964));
	assert_parses("0.5", '.', 50);
	assert_parses("0.05", '.', 5);
	assert_parses("-11490.36", '.', INT64_C(-1149036));
	assert_parses("5", '.', 500);
	assert_parses("0", '.', 0);
	assert_parses("-5", '.', -500);
}
END_TEST

START_TEST(parses_decimal_comma)
{
	assert_parses("1234,56", ',', 123456);
	assert_parses("-0,5", ',', -50);
	/* with ',' as separator a point is just a wrong character */
	assert_refused("1234.56", ',');
	assert_refused("1.234,56", ',');
}
END_TEST

START_TEST(refuses_malformed)
{
	static const char *const bad[] = {
		"",   "-",  "1.234", "1,5", "1e3", " 5",   "5 ",       "abc",
		".5", "5.", "1.2.3", "--5", "5-",  "0x10", "1.234,56", "\t5",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i], '.');
}
END_TEST

START_TEST(refuses_null)
{
	int64_t c = UNTOUCHED;

	ck_assert_int_eq(money_parse(NULL, '.', &c), -1);
	ck_assert(c == UNTOUCHED);
}
END_TEST

START_TEST(bounds_at_max_cents)
{
	/* MONEY_MAX_CENTS is 10^15 cents: 10^13 euros */
	assert_parses("10000000000000", '.', MONEY_MAX_CENTS);
	assert_parses("10000000000000.00", '.', MONEY_MAX_CENTS);
	assert_parses("-10000000000000", '.', -MONEY_MAX_CENTS);
	assert_parses("9999999999999.99", '.', MONEY_MAX_CENTS - 1);
	assert_refused("10000000000000.01", '.');
	assert_refused("-10000000000000.01", '.');
	assert_refused("10000000000001", '.');
	assert_refused("100000000000000", '.');
	/* far beyond int64: must be refused, not wrap around */
	assert_refused("99999999999999999999999999999", '.');
	assert_refused("-99999999999999999999999999999.99", '.');
}
END_TEST

START_TEST(formats_euros)
{
	assert_formats(INT64_C(213850964), '.', "2138509.64");
	assert_formats(INT64_C(-1149036), '.', "-11490.36");
	assert_formats(0, '.', "0.00");
	assert_formats(5, '.', "0.05");
	assert_formats(-5, '.', "-0.05");
	assert_formats(50, '.', "0.50");
	assert_formats(100, '.', "1.00");
	assert_formats(MONEY_MAX_CENTS, '.', "10000000000000.00");
}
END_TEST

START_TEST(formats_decimal_comma)
{
	assert_formats(INT64_C(213850964), ',', "2138509,64");
	assert_formats(INT64_C(-1149036), ',', "-11490,36");
	assert_formats(0, ',', "0,00");
}
END_TEST

START_TEST(formats_extremes)
{
	char out[MONEY_BUF];
	size_t n;

	n = money_format(INT64_MIN, '.', out);
	ck_assert_uint_lt(n, MONEY_BUF);
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_str_eq(out, "-92233720368547758.08");

	n = money_format(INT64_MAX, '.', out);
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_str_eq(out, "92233720368547758.07");
}
END_TEST

START_TEST(formats_for_a_dutch_reader)
{
	ck_assert_str_eq(MONEY_NL(INT64_C(68390100)), "€ 683.901,00");
	ck_assert_str_eq(MONEY_NL(INT64_C(-1149036)), "€ -11.490,36");
	ck_assert_str_eq(MONEY_NL(INT64_C(123456)), "€ 1.234,56");
	ck_assert_str_eq(MONEY_NL(INT64_C(99999)), "€ 999,99");
	ck_assert_str_eq(MONEY_NL(5), "€ 0,05");
	ck_assert_str_eq(MONEY_NL(INT64_MIN), "€ -92.233.720.368.547.758,08");
	ck_assert_uint_lt(strlen(MONEY_NL(INT64_MIN)), MONEY_BUF);
	ck_assert_str_eq(DATE_NL("2025-07-31"), "31 juli 2025");
	ck_assert_str_eq(DATE_NL("2021-01-01"), "1 januari 2021");
	ck_assert_str_eq(DATE_NL("nonsense"), "nonsense");
}
END_TEST

/* What an import reads as euros: decimal comma with points grouping
 * thousands, or a decimal point; never a guess. */
START_TEST(parses_what_files_hold)
{
	static const struct {
		const char *s;
		int rc;
		int64_t cents;
	} cases[] = {
		{ "1.234,56", 0, 123456 },
		{ "1234,56", 0, 123456 },
		{ "1234.56", 0, 123456 },
		{ "€ 1.234.567,00", 0, 123456700 },
		{ " 99,5 ", 0, 9950 },
		{ "-12,00", 0, -1200 },
		{ "0,05", 0, 5 },
		{ "12", 0, 1200 },
		{ "1.234", -1, 0 },
		{ "1.23,00", -1, 0 },
		{ "1234.567,00", -1, 0 },
		{ "12,3.4", -1, 0 },
		{ "1,2,3", -1, 0 },
		{ ".123,00", -1, 0 },
		{ "", -1, 0 },
		{ "€", -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t cents = 0;

		ck_assert_msg(money_parse_any(cases[i].s, &cents) ==
				      cases[i].rc,
			      "'%s'", cases[i].s);
		if (cases[i].rc == 0)
			ck_assert_int_eq(cents, cases[i].cents);
	}
}
END_TEST

START_TEST(adds_without_overflow)
{
	int64_t sum = 0;

	ck_assert(money_add(&sum, 150));
	ck_assert(money_add(&sum, -200));
	ck_assert_int_eq(sum, -50);

	sum = INT64_MAX - 1;
	ck_assert(money_add(&sum, 1));
	ck_assert(sum == INT64_MAX);
}
END_TEST

START_TEST(refuses_overflowing_add)
{
	int64_t sum = INT64_MAX;

	ck_assert(!money_add(&sum, 1));
	ck_assert(sum == INT64_MAX);

	sum = INT64_MAX - 10;
	ck_assert(!money_add(&sum, INT64_MAX));
	ck_assert(sum == INT64_MAX - 10);

	sum = INT64_MIN;
	ck_assert(!money_add(&sum, -1));
	ck_assert(sum == INT64_MIN);
}
END_TEST

START_TEST(round_trips)
{
	static const int64_t values[] = {
		0,
		1,
		-1,
		5,
		99,
		100,
		-100,
		123456,
		INT64_C(213850964),
		INT64_C(-1149036),
		MONEY_MAX_CENTS,
		-MONEY_MAX_CENTS,
	};
	static const char seps[] = { '.', ',' };

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		for (size_t j = 0; j < sizeof(seps); j++) {
			char out[MONEY_BUF];
			int64_t back = UNTOUCHED;

			money_format(values[i], seps[j], out);
			ck_assert_msg(money_parse(out, seps[j], &back) == 0,
				      "\"%s\" refused", out);
			ck_assert_msg(back == values[i],
				      "%lld -> \"%s\" -> %lld",
				      (long long)values[i], out,
				      (long long)back);
		}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, parses_euros);
	tcase_add_test(tc, parses_decimal_comma);
	tcase_add_test(tc, refuses_malformed);
	tcase_add_test(tc, refuses_null);
	tcase_add_test(tc, bounds_at_max_cents);
	tcase_add_test(tc, formats_euros);
	tcase_add_test(tc, formats_decimal_comma);
	tcase_add_test(tc, formats_extremes);
	tcase_add_test(tc, formats_for_a_dutch_reader);
	tcase_add_test(tc, parses_what_files_hold);
	tcase_add_test(tc, adds_without_overflow);
	tcase_add_test(tc, refuses_overflowing_add);
	tcase_add_test(tc, round_trips);
}

CHECK_MAIN("money")
