/* The workbooks' cells, print setup and answer (workbook.h). */
#include "npo/workbook.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npo/api.h"
#include "npo/workflow.h"

/* Euros in the Dutch way (locale 413, nl-NL: € 1.234,56), negative in red. */
#define MONEY_FORMAT "[$€-413] #,##0.00;[Red][$€-413] -#,##0.00"
/* Dates as a Dutch reader writes them. */
#define DATE_FORMAT "dd-mm-yyyy"
#define DATE_LONG_FORMAT "[$-413]d mmmm yyyy"

int book_open(struct book *b, struct npo_err *err)
{
	int fd;

	*b = (struct book){ .path = "/tmp/npo-workbook-XXXXXX" };
	/* libxlsxwriter 1.1.4 writes only to a file: a private temporary one */
	fd = mkstemp(b->path);
	if (fd < 0)
		return err_set(err, NPO_E_INTERNAL,
			       "cannot make a temporary file");
	close(fd);
	if (!(b->wb = workbook_new(b->path))) {
		unlink(b->path);
		return err_set(err, NPO_E_INTERNAL, "cannot start a workbook");
	}
	b->title = workbook_add_format(b->wb);
	format_set_bold(b->title);
	format_set_font_size(b->title, 14);
	b->bold = workbook_add_format(b->wb);
	format_set_bold(b->bold);
	b->head = workbook_add_format(b->wb);
	format_set_bold(b->head);
	format_set_text_wrap(b->head);
	format_set_align(b->head, LXW_ALIGN_VERTICAL_BOTTOM);
	format_set_bottom(b->head, LXW_BORDER_THIN);
	b->money = workbook_add_format(b->wb);
	format_set_num_format(b->money, MONEY_FORMAT);
	format_set_align(b->money, LXW_ALIGN_VERTICAL_TOP);
	b->money_tot = workbook_add_format(b->wb);
	format_set_num_format(b->money_tot, MONEY_FORMAT);
	format_set_bold(b->money_tot);
	format_set_top(b->money_tot, LXW_BORDER_THIN);
	b->total = workbook_add_format(b->wb);
	format_set_bold(b->total);
	format_set_top(b->total, LXW_BORDER_THIN);
	b->date = workbook_add_format(b->wb);
	format_set_num_format(b->date, DATE_FORMAT);
	format_set_align(b->date, LXW_ALIGN_VERTICAL_TOP);
	b->date_long = workbook_add_format(b->wb);
	format_set_num_format(b->date_long, DATE_LONG_FORMAT);
	format_set_align(b->date_long, LXW_ALIGN_LEFT);
	format_set_align(b->date, LXW_ALIGN_LEFT);
	b->plain = workbook_add_format(b->wb);
	format_set_align(b->plain, LXW_ALIGN_VERTICAL_TOP);
	b->wrap = workbook_add_format(b->wb);
	format_set_text_wrap(b->wrap);
	format_set_align(b->wrap, LXW_ALIGN_VERTICAL_TOP);
	return 0;
}

lxw_worksheet *book_sheet(struct book *b, const char *name, const char *title,
			  int head_last)
{
	lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);

	if (!ws)
		return NULL;
	worksheet_set_landscape(ws);
	worksheet_set_paper(ws, 9); /* A4 */
	worksheet_set_margins(ws, 0.5, 0.5, 0.6, 0.6);
	worksheet_fit_to_pages(ws, 1, 0);
	worksheet_set_footer(ws, "&L&A&RPagina &P van &N");
	if (head_last >= 0) {
		worksheet_repeat_rows(ws, 0, (lxw_row_t)head_last);
		worksheet_freeze_panes(ws, (lxw_row_t)(head_last + 1), 0);
	}
	book_text(ws, 0, 0, title, b->title);
	return ws;
}

/* The start of an _xHHHH_ escape. */
static bool xlsx_escape_at(const char *p)
{
	return p[0] == '_' && p[1] == 'x' &&
	       strspn(p + 2, "0123456789abcdefABCDEF") >= 4 && p[6] == '_';
}

/*
 * The one place text goes into a cell. Excel and LibreOffice read _xHHHH_
 * in a cell's text as the escape of the character U+HHHH, and libxlsxwriter
 * 1.1 writes it as it is: so each "_x" that begins such a sequence is
 * written as _x005F_x (an escaped '_'). Text a spreadsheet would take for a
 * formula gets a leading apostrophe, as in CSV (csv_is_formula).
 */
void book_text(lxw_worksheet *ws, int row, int col, const char *s,
	       lxw_format *f)
{
	static const char esc[] = "_x005F";
	size_t n = 0, len = 0;
	char *text;

	if (!s || !*s)
		return;
	for (const char *p = s; *p; p++)
		n += xlsx_escape_at(p);
	if (!(text = malloc(strlen(s) + n * (sizeof(esc) - 1) + 2))) {
		util_log("workbook: out of memory");
		return;
	}
	if (csv_is_formula(s))
		text[len++] = '\'';
	for (const char *p = s; *p; p++) {
		if (xlsx_escape_at(p)) {
			memcpy(text + len, esc, sizeof(esc) - 1);
			len += sizeof(esc) - 1;
		}
		text[len++] = *p;
	}
	text[len] = '\0';
	if (worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, text,
				   f) != LXW_NO_ERROR)
		util_log("workbook: cannot write a cell at %d,%d", row, col);
	free(text);
}

/*
 * The one place cents become a floating-point number: a spreadsheet cell
 * holds an IEEE double, which is exact for every amount below 2^53 cents
 * (about 90 trillion euros), far above MONEY_MAX_CENTS.
 */
void book_money(lxw_worksheet *ws, int row, int col, int64_t cents,
		lxw_format *f)
{
	worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col,
			       (double)cents / 100.0, f);
}

void book_int(lxw_worksheet *ws, int row, int col, int64_t v, lxw_format *f)
{
	worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, (double)v,
			       f);
}

void book_date(struct book *b, lxw_worksheet *ws, int row, int col,
	       const char *iso, lxw_format *f)
{
	lxw_datetime d = { 0 };

	if (!iso || sscanf(iso, "%4d-%2d-%2d", &d.year, &d.month, &d.day) != 3)
		return;
	worksheet_write_datetime(ws, (lxw_row_t)row, (lxw_col_t)col, &d,
				 f ? f : b->date);
}

/* How many lines text takes in a wrapped column width characters wide: a
 * spreadsheet does not grow a row for them itself when it opens the file. */
static int lines_of(const char *text, double width)
{
	size_t chars = 0;

	for (const char *p = text; p && *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	return width < 1 ? 1 : (int)((double)chars / (width * 1.1)) + 1;
}

void book_head(struct book *b, lxw_worksheet *ws, int row,
	       const struct book_col *cols, int n)
{
	int lines = 1;

	for (int i = 0; i < n; i++) {
		/* a bold word is wider: as if the column were narrower */
		int k = lines_of(cols[i].head, cols[i].width * 0.85);

		book_text(ws, row, i, cols[i].head, b->head);
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i,
				     cols[i].width, NULL);
		lines = k > lines ? k : lines;
	}
	if (lines > 1)
		worksheet_set_row(ws, (lxw_row_t)row, 15.0 * lines, NULL);
}

void book_row(struct book *b, lxw_worksheet *ws, int row,
	      const struct book_col *cols, int n, const json_t *o)
{
	int lines = 1;

	for (int i = 0; i < n; i++) {
		const json_t *v = json_object_get(o, cols[i].key);

		if (json_is_integer(v) && cols[i].kind == BOOK_MONEY) {
			book_money(ws, row, i, json_integer_value(v), b->money);
		} else if (json_is_integer(v)) {
			book_int(ws, row, i, json_integer_value(v), b->plain);
		} else if (cols[i].kind == BOOK_DATE) {
			book_date(b, ws, row, i, json_string_value(v), NULL);
		} else if (cols[i].kind == BOOK_STATUS) {
			book_text(ws, row, i,
				  workflow_label(json_string_value(v)),
				  b->plain);
		} else {
			int k = lines_of(json_string_value(v), cols[i].width);

			book_text(ws, row, i, json_string_value(v), b->wrap);
			lines = k > lines ? k : lines;
		}
	}
	if (lines > 1)
		worksheet_set_row(ws, (lxw_row_t)row, 15.0 * lines, NULL);
}

void book_totals(struct book *b, lxw_worksheet *ws, int row,
		 const struct book_col *cols, int n, const int64_t *sums)
{
	for (int k = 0; k < n; k++)
		if (cols[k].kind == BOOK_MONEY)
			book_money(ws, row, k, sums[k], b->money_tot);
		else
			book_text(ws, row, k, k == 0 ? "Totaal" : " ",
				  b->total);
}

/* Reads the whole file at path into a new buffer. */
static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && (buf = malloc((size_t)st.st_size + 1)) &&
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	*len = (size_t)st.st_size;
	close(fd);
	return buf;
}

void book_reply(struct http_request *req, struct book *b, const char *file)
{
	char disposition[160];
	char *data = NULL;
	size_t len = 0;

	if (workbook_close(b->wb) != LXW_NO_ERROR ||
	    !(data = slurp(b->path, &len))) {
		unlink(b->path);
		http_reply_problem(req, NPO_E_INTERNAL,
				   "cannot write the workbook");
		return;
	}
	unlink(b->path);
	snprintf(disposition, sizeof(disposition),
		 "attachment; filename=\"%s.xlsx\"", file);
	http_set_header(req, "Content-Disposition", disposition);
	http_reply_bytes(req, 200,
			 "application/vnd.openxmlformats-officedocument."
			 "spreadsheetml.sheet",
			 data, len);
}

void book_discard(struct book *b)
{
	if (!b->wb)
		return;
	workbook_close(b->wb);
	unlink(b->path);
	b->wb = NULL;
}
