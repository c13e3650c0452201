/*
 * Fuzzes the CSV writer in both dialects. An input that parses as JSON
 * (NUL bytes allowed in strings) gives the rows: an array whose first
 * element is the template and whose elements are the rows, or an object
 * that is both. Any other input is one text cell. The output is read back
 * with a strict RFC 4180 reader (the dialect's separator, CRLF, doubled
 * quotes) and must give one record per row with one cell per template
 * member, each cell what csv.h promises: text as is but for a leading
 * ' before a formula character, *_cents as euros that money_parse reads
 * back, integers in decimal, arrays of strings joined by spaces, objects as
 * compact JSON, reals and null empty, and header names with _cents turned
 * into _eur.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/csv.h"
#include "npo/money.h"

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1);
	return 0;
}

/* The reader: one cell of the record at *p, unquoted into a new string;
 * *p moves past it and its separator. *end tells the record ended. */
static char *read_cell(const char **p, const char *limit, char sep, bool *end)
{
	const char *s = *p;
	size_t cap = (size_t)(limit - s) + 1, n = 0;
	char *out = malloc(cap);

	if (s < limit && *s == '"') {
		for (s++;; s++) {
			CHECK(s < limit); /* an open quote at the end */
			if (*s == '"') {
				if (s + 1 < limit && s[1] == '"') {
					out[n++] = '"';
					s++;
					continue;
				}
				s++;
				break;
			}
			out[n++] = *s;
		}
	} else {
		for (; s < limit && *s != sep && *s != '\r' && *s != '\n';
		     s++) {
			CHECK(*s != '"'); /* a bare quote in a plain cell */
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	if (s < limit && *s == sep) {
		*end = false;
		s++;
	} else {
		CHECK(s + 2 <= limit && s[0] == '\r' && s[1] == '\n');
		*end = true;
		s += 2;
	}
	*p = s;
	return out;
}

/* Whether a spreadsheet reads s as a formula: a tab or CR first, or, after
 * spaces (ASCII, no-break, ideographic), = + - @ in ASCII or full width
 * (U+FF1D, U+FF0B, U+FF0D, U+FF20). Written apart from csv.c on purpose. */
static bool formula_start(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (*u == '\t' || *u == '\r')
		return true;
	for (;;) {
		if (u[0] == ' ')
			u++;
		else if (u[0] == 0xc2 && u[1] == 0xa0)
			u += 2;
		else if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
			u += 3;
		else
			break;
	}
	if (*u == '=' || *u == '+' || *u == '-' || *u == '@')
		return true;
	return u[0] == 0xef && u[1] == 0xbc &&
	       (u[2] == 0x9d || u[2] == 0x8b || u[2] == 0x8d || u[2] == 0xa0);
}

/* A text cell as it must read back: s, with ' before a formula start. */
static void check_text(const char *cell, const char *s)
{
	if (formula_start(s)) {
		CHECK(cell[0] == '\'');
		cell++;
	}
	if (strcmp(cell, s) != 0) {
		fprintf(stderr, "check failed: cell \"%s\" for \"%s\"\n", cell,
			s);
		abort();
	}
}

static bool is_money(const char *key)
{
	size_t n = strlen(key);

	return n > 6 && strcmp(key + n - 6, "_cents") == 0;
}

static void check_cell(enum csv_dialect d, const char *cell, const char *key,
		       const json_t *v)
{
	char sep = d == CSV_EXCEL_NL ? ',' : '.';
	char num[64];

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_INTEGER:
		if (is_money(key)) {
			int64_t c = json_integer_value(v), back;

			if (c >= -MONEY_MAX_CENTS && c <= MONEY_MAX_CENTS) {
				CHECK(money_parse(cell, sep, &back) == 0);
				CHECK(back == c);
			}
			CHECK(strlen(cell) >= 4 &&
			      cell[strlen(cell) - 3] == sep);
		} else {
			snprintf(num, sizeof(num), "%" PRId64,
				 (int64_t)json_integer_value(v));
			CHECK(strcmp(cell, num) == 0);
		}
		break;
	case JSON_STRING:
		check_text(cell, json_string_value(v));
		break;
	case JSON_TRUE:
		CHECK(strcmp(cell, "true") == 0);
		break;
	case JSON_FALSE:
		CHECK(strcmp(cell, "false") == 0);
		break;
	case JSON_ARRAY: {
		size_t len = 1, i;
		json_t *e;
		char *joined;

		json_array_foreach(v, i, e) len +=
			1 +
			(json_is_string(e) ? strlen(json_string_value(e)) : 0);
		joined = calloc(1, len);
		json_array_foreach(v, i, e)
		{
			if (i)
				strcat(joined, " ");
			if (json_is_string(e))
				strcat(joined, json_string_value(e));
		}
		check_text(cell, joined);
		free(joined);
		break;
	}
	case JSON_OBJECT: {
		char *text = json_dumps(v, JSON_COMPACT);

		check_text(cell, text ? text : "");
		free(text);
		break;
	}
	default:
		CHECK(cell[0] == '\0');
		break;
	}
}

/* Reads one record and checks it against template and row (NULL: the
 * header row). */
static void check_record(enum csv_dialect d, const char **p, const char *limit,
			 const json_t *template, const json_t *row)
{
	char sep = d == CSV_EXCEL_NL ? ';' : ',';
	const char *key;
	json_t *v;
	size_t n = 0, want = json_object_size(template);
	bool end = false;

	if (want == 0) { /* an empty record */
		CHECK(*p + 2 <= limit && memcmp(*p, "\r\n", 2) == 0);
		*p += 2;
		return;
	}
	json_object_foreach((json_t *)template, key, v)
	{
		char *cell;

		CHECK(!end);
		cell = read_cell(p, limit, sep, &end);
		if (!row) {
			char name[96];

			if (is_money(key))
				snprintf(name, sizeof(name), "%.*s_eur",
					 (int)(strlen(key) - 6), key);
			else
				snprintf(name, sizeof(name), "%s", key);
			check_text(cell, name);
		} else {
			check_cell(d, cell, key, json_object_get(row, key));
		}
		free(cell);
		n++;
	}
	CHECK(end && n == want);
}

static void run_rows(enum csv_dialect d, const json_t *template,
		     const json_t *rows)
{
	struct csv_buf b = { 0 };
	const char *p, *limit;
	size_t i;
	json_t *row;

	csv_header(d, &b, template);
	json_array_foreach(rows, i, row) csv_row(d, &b, template, row);
	CHECK(b.p && strlen(b.p) <= b.len && b.len < b.cap);
	p = b.p;
	limit = b.p + b.len;
	if (d == CSV_EXCEL_NL) {
		CHECK(memcmp(p, "\xEF\xBB\xBF", 3) == 0);
		p += 3;
	}
	check_record(d, &p, limit, template, NULL);
	json_array_foreach(rows, i, row)
		check_record(d, &p, limit, template, row);
	CHECK(p == limit);
	csv_buf_free(&b);
}

static void run_text(enum csv_dialect d, const char *s)
{
	struct csv_buf b = { 0 };
	const char *p;
	bool end;
	char *cell;
	json_t *t;

	csv_text(d, &b, s);
	if (!b.p) { /* nothing written: the empty cell */
		CHECK(s[0] == '\0');
		return;
	}
	{ /* ends the record, so the reader sees where the cell ends */
		char *rec = malloc(b.len + 3);

		memcpy(rec, b.p, b.len);
		memcpy(rec + b.len, "\r\n", 3);
		p = rec;
		cell = read_cell(&p, rec + b.len + 2,
				 d == CSV_EXCEL_NL ? ';' : ',', &end);
		CHECK(end && p == rec + b.len + 2);
		check_text(cell, s);
		free(cell);
		free(rec);
	}
	csv_buf_free(&b);
	/* and as the one member of a row (valid UTF-8 only, as in JSON) */
	t = json_pack("{s:s}", "text", s);
	if (t) {
		json_t *rows = json_pack("[O]", t);

		run_rows(d, t, rows);
		json_decref(rows);
		json_decref(t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum csv_dialect dialects[] = { CSV_RFC4180,
						     CSV_EXCEL_NL };
	json_t *j = json_loadb((const char *)data, size,
			       JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);

	for (int k = 0; k < 2; k++) {
		enum csv_dialect d = dialects[k];

		if (j && json_is_array(j) && json_array_size(j) > 0 &&
		    json_is_object(json_array_get(j, 0))) {
			run_rows(d, json_array_get(j, 0), j);
		} else if (j && json_is_object(j)) {
			json_t *rows = json_pack("[O]", j);

			run_rows(d, j, rows);
			json_decref(rows);
		} else {
			char *s = malloc(size + 1);

			memcpy(s, data, size);
			s[size] = '\0';
			run_text(d, s);
			free(s);
		}
	}
	json_decref(j);
	return 0;
}
