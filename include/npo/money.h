/*
 * Money is an int64 number of euro cents. Nothing here uses floating point.
 */
#ifndef NPO_MONEY_H
#define NPO_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest amount accepted anywhere: 10^15 cents (10 trillion euros), so that
 * sums of many amounts stay far from INT64_MAX. */
#define MONEY_MAX_CENTS INT64_C(1000000000000000)

/*
 * Parses euros as written by people and spreadsheets: "2138509.64",
 * "-5", "0.5", "1.234,56" is refused (ambiguous); with decimal_comma the
 * separator is ',' instead of '.'. At most two decimals, no exponent, no
 * spaces. Returns 0 and the cents, or -1 when s is not such an amount or is
 * beyond MONEY_MAX_CENTS.
 */
int money_parse(const char *s, char decimal_sep, int64_t *cents);

/*
 * Parses euros as a person or a spreadsheet in any locale writes them in a
 * file: "1.234,56" and "1234,56" (decimal comma, '.' grouping thousands in
 * threes), "1234.56" (decimal point, no grouping), blanks around, a leading
 * "€". "1.234" (a point with three decimals) is refused: ambiguous.
 */
int money_parse_any(const char *s, int64_t *cents);

/* Writes cents as euros with exactly two decimals ("-1149036" cents ->
 * "-11490.36"), with the given decimal separator and no grouping. Returns
 * the length written; out must hold MONEY_BUF bytes. */
#define MONEY_BUF 32
size_t money_format(int64_t cents, char decimal_sep, char out[MONEY_BUF]);

/* Writes cents as a Dutch reader writes euros: "€ 1.234,56", "€ -11.490,36"
 * (out must hold MONEY_BUF bytes: INT64_MIN takes 31); returns out.
 * MONEY_NL(cents) does it into a buffer of the expression's own. */
const char *money_nl(int64_t cents, char out[MONEY_BUF]);
#define MONEY_NL(cents) money_nl((cents), (char[MONEY_BUF]){ 0 })

/* True for a member that holds cents: its name ends in _cents. */
bool money_is_cents_name(const char *name);

/* *sum += add, refusing (false, *sum unchanged) what would overflow. */
bool money_add(int64_t *sum, int64_t add);

#endif
