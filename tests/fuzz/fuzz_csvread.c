/*
 * Fuzzes the CSV reader (csv.h) on what an import may send: any bytes. It
 * must not crash or read past the input; every record it gives, written
 * again with RFC 4180 quoting and the separator it detected, must read back
 * as the same cells; and the amounts and dates of an import, read from each
 * cell, must be what money.h and validate.h promise.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/csv.h"
#include "npo/money.h"
#include "npo/validate.h"

#include "fuzz.h"

/* Appends cell, quoted, to scratch at *len. */
static void quote(const char *cell, char *scratch, size_t *len)
{
	size_t n = *len;

	scratch[n++] = '"';
	for (const char *p = cell; *p; p++) {
		if (*p == '"')
			scratch[n++] = '"';
		scratch[n++] = *p;
	}
	scratch[n++] = '"';
	*len = n;
}

/* What the cell says as an import's amount and date. */
static void check_cell(const char *s)
{
	int64_t cents;
	char date[11];

	if (money_parse_any(s, &cents) == 0) {
		CHECK(cents >= -MONEY_MAX_CENTS && cents <= MONEY_MAX_CENTS);
		/* a plain number reads the same either way */
		if (strspn(s, "0123456789") == strlen(s) && strlen(s) < 12)
			CHECK(cents == strtoll(s, NULL, 10) * 100);
	}
	if (validate_date_any(s, date))
		CHECK(strlen(date) == 10 && validate_date(date));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r, again;
	const char *const *cells;
	const char *const *back;
	size_t n, m, records = 0;
	char *text = malloc(size ? size : 1);
	/* a record again, every cell quoted: each byte at most twice, and
	 * two quotes and a separator for each of at most size + 1 cells */
	char *out = malloc(6 * size + 16);
	int rc;

	memcpy(text, data, size);
	csv_reader_init(&r, text, size);
	CHECK(r.sep == ',' || r.sep == ';');
	while ((rc = csv_read(&r, &cells, &n)) == 1) {
		size_t len = 0, total = 0;
		int rc2;

		records++;
		CHECK(n >= 1 && records <= size + 1);
		for (size_t i = 0; i < n; i++) {
			total += strlen(cells[i]);
			check_cell(cells[i]);
			if (i)
				out[len++] = r.sep;
			quote(cells[i], out, &len);
		}
		CHECK(total <= size);
		/* a cell with a NUL reads back shorter: compare up to it */
		csv_reader_init(&again, out, len);
		again.sep = r.sep;
		rc2 = csv_read(&again, &back, &m);
		CHECK(rc2 == 1 && m == n);
		for (size_t i = 0; i < n; i++)
			CHECK(strcmp(back[i], cells[i]) == 0);
		csv_reader_free(&again);
	}
	CHECK(rc == 0 || rc == -1);
	csv_reader_free(&r);
	free(out);
	free(text);
	return 0;
}
