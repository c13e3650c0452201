/*
 * The one CSV module. The writer: flat JSON objects to CSV rows. Money members
 * named
 * *_cents become columns *_eur in euros with two decimals; text cells that
 * a spreadsheet would take for a formula are neutralised; numbers are left
 * as numbers.
 */
#ifndef NPO_CSV_H
#define NPO_CSV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum csv_dialect {
	CSV_RFC4180,  /* ',' separator, '.' decimals, CRLF (RFC 4180) */
	CSV_EXCEL_NL, /* UTF-8 BOM, ';', decimal comma, CRLF: Dutch Excel */
};

/* 0 and the dialect for "rfc4180" or "excel-nl"; -1 otherwise. */
int csv_dialect_parse(const char *s, enum csv_dialect *out);

/* A growing output buffer. */
struct csv_buf {
	char *p;
	size_t len, cap;
};
void csv_buf_free(struct csv_buf *b);

/* Appends the byte order mark (excel-nl only) and the header row for the
 * members of template, in its order. */
void csv_header(enum csv_dialect d, struct csv_buf *b, const json_t *template);

/* Appends one row: the members of obj named as in template, in its order. */
void csv_row(enum csv_dialect d, struct csv_buf *b, const json_t *template,
	     const json_t *obj);

/*
 * True for text a spreadsheet would take for a formula: its first character
 * after any blanks (spaces, no-break and ideographic spaces, which
 * spreadsheets skip) is = + - or @, ASCII or full-width (＝ ＋ － ＠), or it
 * begins with a tab or CR. The one rule for CSV, the export and the
 * workbook.
 */
bool csv_is_formula(const char *s);

/* Appends one text cell's content as it would be written (exposed for the
 * unit tests). */
void csv_text(enum csv_dialect d, struct csv_buf *b, const char *s);

/* Cells of a row written straight from values (a list's columns), as
 * csv_row writes them: an integer (in euros when it is money: a *_cents
 * column), the separator before every cell but the first, the row's end. */
void csv_int(enum csv_dialect d, struct csv_buf *b, bool money, long long v);
void csv_sep(enum csv_dialect d, struct csv_buf *b);
void csv_end_row(struct csv_buf *b);

/*
 * The reader, for what people and spreadsheets send (imports): RFC 4180
 * quoting (doubled quotes, separators and line breaks inside quotes), a
 * UTF-8 byte order mark, CRLF or LF, and ',' or ';' as the separator, taken
 * from the header line (the one of the two it has more of outside quotes).
 * It reads the text in place, a record at a time; the cells of a record
 * live until the next call.
 */
struct csv_reader {
	const char *p, *end;
	char sep;
	size_t record;	      /* the number of the last record read, 1-based */
	struct csv_buf cells; /* the cells of the last record, NUL after each */
	size_t *starts;	      /* where each cell begins in cells */
	const char **fields;
	size_t ncells, cap;
};

void csv_reader_init(struct csv_reader *r, const char *text, size_t len);
void csv_reader_free(struct csv_reader *r);
/* The next record: 1 with *fields and *n set (a blank line is a record of
 * one empty cell), 0 at the end, -1 for a quote that is never closed. */
int csv_read(struct csv_reader *r, const char *const **fields, size_t *n);

#endif
