/*
 * The workbooks a municipality files (overview.xlsx, accountability.xlsx):
 * the one place cells are written, with a title, real dates, euro amounts
 * as numbers, Dutch labels and a print setup, and the one place a workbook
 * becomes an answer. Built on libxlsxwriter.
 */
#ifndef NPO_WORKBOOK_H
#define NPO_WORKBOOK_H

#include <jansson.h>
#include <stdint.h>
#include <xlsxwriter.h>

#include "npo/http.h"

struct book {
	lxw_workbook *wb;
	lxw_format *title;     /* the sheet's title: large and bold */
	lxw_format *bold;      /* a label */
	lxw_format *head;      /* a table's header: bold, wrapped, ruled */
	lxw_format *money;     /* € 1.234,56 as a number */
	lxw_format *money_tot; /* the same, bold and ruled above */
	lxw_format *total;     /* a totals row's label */
	lxw_format *date;      /* dd-mm-yyyy as a date */
	lxw_format *date_long; /* 31 juli 2025 as a date */
	lxw_format *plain;     /* a table's cell */
	lxw_format *wrap;      /* text that wraps in its cell */
	char path[32];	       /* the temporary file it is written to */
};

/* Starts a workbook in a private temporary file: 0, or -1 with err. */
int book_open(struct book *b, struct npo_err *err);

/*
 * A new sheet set up for print: A4 landscape, one page wide, a footer with
 * the page number, rows 0..head_last repeated on every printed page
 * (head_last < 0: none) and frozen on screen. Its first row holds title.
 */
lxw_worksheet *book_sheet(struct book *b, const char *name, const char *title,
			  int head_last);

/* Cells; a NULL text or date leaves the cell empty. */
void book_text(lxw_worksheet *ws, int row, int col, const char *s,
	       lxw_format *f);
void book_money(lxw_worksheet *ws, int row, int col, int64_t cents,
		lxw_format *f);
void book_int(lxw_worksheet *ws, int row, int col, int64_t v, lxw_format *f);
/* A date cell from "YYYY-MM-DD" (or the date of an ISO time), in format f
 * (NULL: b->date). */
void book_date(struct book *b, lxw_worksheet *ws, int row, int col,
	       const char *iso, lxw_format *f);

/*
 * A table of rows of JSON objects: each column a header, the member it
 * shows, how, and a width. BOOK_STATUS shows a status in Dutch.
 */
enum book_kind { BOOK_TEXT, BOOK_INT, BOOK_MONEY, BOOK_DATE, BOOK_STATUS };
struct book_col {
	const char *head, *key;
	enum book_kind kind;
	double width;
};
/* The header at row and the widths of the columns. */
void book_head(struct book *b, lxw_worksheet *ws, int row,
	       const struct book_col *cols, int n);
/* One row of the table: o's members as the columns say. */
void book_row(struct book *b, lxw_worksheet *ws, int row,
	      const struct book_col *cols, int n, const json_t *o);

/* A totals row under a table of cols: "Totaal" in its first column, sums[k]
 * in each money column k, the rest ruled and empty. */
void book_totals(struct book *b, lxw_worksheet *ws, int row,
		 const struct book_col *cols, int n, const int64_t *sums);

/* Closes the workbook and answers it as an attachment named file; on
 * failure answers 500. Either way b is done with. */
void book_reply(struct http_request *req, struct book *b, const char *file);
/* Drops a workbook that will not be answered. */
void book_discard(struct book *b);

#endif
