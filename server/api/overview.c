/*
 * The bestedingsoverzicht: GET /api/v1/budgets/{id}/overview.xlsx, the
 * workbook a municipality attaches to a decision. Amounts are real numbers
 * in euros with a euro format, so a spreadsheet can add them up.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"

struct book {
	lxw_workbook *wb;
	lxw_format *bold, *money;
};

/*
 * The one place cents become a floating-point number: a spreadsheet cell
 * holds an IEEE double, which is exact for every amount below 2^53 cents
 * (about 90 trillion euros), far above MONEY_MAX_CENTS.
 */
static void put_money(struct book *b, lxw_worksheet *ws, int row, int col,
		      int64_t cents)
{
	worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col,
			       (double)cents / 100.0, b->money);
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
static void put_text(lxw_worksheet *ws, int row, int col, const char *s,
		     lxw_format *f)
{
	static const char esc[] = "_x005F";
	size_t n = 0, len = 0;
	char *text;

	if (!s)
		return;
	for (const char *p = s; *p; p++)
		n += xlsx_escape_at(p);
	if (!(text = malloc(strlen(s) + n * (sizeof(esc) - 1) + 2))) {
		util_log("overview: out of memory");
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
		util_log("overview: cannot write a cell at %d,%d", row, col);
	free(text);
}

static void put_int(lxw_worksheet *ws, int row, int col, const json_t *v)
{
	if (json_is_integer(v))
		worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col,
				       (double)json_integer_value(v), NULL);
}

/* A sheet with a bold header row and the widths of its columns. */
static lxw_worksheet *sheet(struct book *b, const char *name,
			    const char *const *heads, const int *widths, int n)
{
	lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);

	for (int i = 0; i < n; i++) {
		put_text(ws, 0, i, heads[i], b->bold);
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, widths[i],
				     NULL);
	}
	worksheet_freeze_panes(ws, 1, 0);
	return ws;
}

/* Writes at row the labels of the figures level shows, from column col;
 * returns how many. */
static int figure_heads(struct book *b, lxw_worksheet *ws, int row, int col,
			unsigned level)
{
	int n = 0;

	for (size_t i = 0; i < figure_ndefs; i++)
		if (figure_defs[i].levels & level)
			put_text(ws, row, col + n++, figure_defs[i].label,
				 b->bold);
	return n;
}

/* Writes at row the figures of f that level shows, from column col. */
static void figure_cells(struct book *b, lxw_worksheet *ws, int row, int col,
			 const struct figures *f, unsigned level)
{
	for (size_t i = 0; i < figure_ndefs; i++)
		if (figure_defs[i].levels & level)
			put_money(b, ws, row, col++,
				  figures_value(f, &figure_defs[i]));
}

/* Who and what, the totals (a label and an amount a row), then a row per
 * goal. */
static void overview_sheet(struct book *b, const json_t *budget,
			   const struct budget_figures *f)
{
	lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Overzicht");
	char who[128];
	const struct {
		const char *label, *value;
	} about[] = {
		{ "Gemeente", who },
		{ "Toekenning", util_jstr(budget, "name") },
		{ "Besteedbaar van", f->spend_from },
		{ "Besteedbaar tot", f->spend_until },
		{ "Besluit", util_jstr(budget, "decision_ref") },
	};
	int row = 0, n;

	worksheet_set_column(ws, 0, 0, 30, NULL);
	worksheet_set_column(ws, 1, 1, 50, NULL);
	snprintf(who, sizeof(who), "%s (%s)",
		 util_jstr(budget, "municipality_name"),
		 util_jstr(budget, "municipality_code"));
	for (size_t i = 0; i < ARRAY_SIZE(about); i++, row++) {
		put_text(ws, row, 0, about[i].label, b->bold);
		put_text(ws, row, 1, about[i].value, NULL);
	}
	for (size_t i = 0; i < figure_ndefs; i++) {
		if (!(figure_defs[i].levels & FIG_BUDGET))
			continue;
		put_text(ws, row, 0, figure_defs[i].label, b->bold);
		put_money(b, ws, row++, 1,
			  figures_value(&f->total, &figure_defs[i]));
	}
	row++;
	put_text(ws, row, 0, "Code", b->bold);
	put_text(ws, row, 1, "Bestedingsdoel", b->bold);
	n = figure_heads(b, ws, row++, 2, FIG_GOAL);
	worksheet_set_column(ws, 2, (lxw_col_t)(1 + n), 16, NULL);
	for (size_t i = 0; i < f->ngoals; i++, row++) {
		const struct figures *g = &f->goals[i];

		put_text(ws, row, 0, g->code, NULL);
		put_text(ws, row, 1, g->name, NULL);
		figure_cells(b, ws, row, 2, g, FIG_GOAL);
	}
}

static void programme_sheet(struct book *b, const struct budget_figures *f)
{
	static const char *const heads[] = { "Id", "Doel", "Programma",
					     "Status" };
	static const int widths[] = { 6, 8, 50, 12 };
	lxw_worksheet *ws =
		sheet(b, "Programma's", heads, widths, (int)ARRAY_SIZE(heads));
	int n = figure_heads(b, ws, 0, (int)ARRAY_SIZE(heads), FIG_PROGRAMME);

	worksheet_set_column(ws, (lxw_col_t)ARRAY_SIZE(heads),
			     (lxw_col_t)(ARRAY_SIZE(heads) + (size_t)n - 1), 16,
			     NULL);
	for (size_t i = 0; i < f->nprogrammes; i++) {
		const struct figures *p = &f->programmes[i];
		const char *code = "";
		int row = (int)i + 1;

		for (size_t g = 0; g < f->ngoals; g++)
			if (f->goals[g].id == p->parent_id)
				code = f->goals[g].code;
		worksheet_write_number(ws, (lxw_row_t)row, 0, (double)p->id,
				       NULL);
		put_text(ws, row, 1, code, NULL);
		put_text(ws, row, 2, p->name, NULL);
		put_text(ws, row, 3, p->status, NULL);
		figure_cells(b, ws, row, (int)ARRAY_SIZE(heads), p,
			     FIG_PROGRAMME);
	}
}

/* The rows of res whose programme_id is one of the budget's programmes. */
static int rows_sheet(struct book *b, struct db_conn *c,
		      const struct budget_figures *f,
		      const struct resource *res, const char *name,
		      const char *const *heads, const int *widths, int ncols,
		      const char *const *keys, struct npo_err *err)
{
	lxw_worksheet *ws = sheet(b, name, heads, widths, ncols);
	int row = 1;

	for (size_t i = 0; i < f->nprogrammes; i++) {
		struct store_filter filter = { validate_find(res->fields,
							     res->nfields,
							     "programme_id"),
					       NULL };
		struct store_cursor cur;
		char id[24];
		json_t *r;
		int rc;

		snprintf(id, sizeof(id), "%lld",
			 (long long)f->programmes[i].id);
		filter.value = id;
		if (store_open(c, res, &filter, 1, 0, -1, &cur, err) < 0)
			return -1;
		while ((rc = store_next(&cur, &r, err)) == 1) {
			for (int k = 0; k < ncols; k++) {
				const json_t *v = json_object_get(r, keys[k]);

				if (money_is_cents_name(keys[k]) &&
				    json_is_integer(v))
					put_money(b, ws, row, k,
						  json_integer_value(v));
				else if (json_is_integer(v))
					put_int(ws, row, k, v);
				else
					put_text(ws, row, k,
						 json_string_value(v), NULL);
			}
			json_decref(r);
			row++;
		}
		store_close(&cur);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int plans_sheet(struct book *b, struct db_conn *c,
		       const struct budget_figures *f, struct npo_err *err)
{
	static const char *const heads[] = {
		"Id",	 "Programma", "School",	     "Schooljaar",
		"Titel", "Status",    "Aangevraagd", "Toegekend",
	};
	static const char *const keys[] = {
		"id",	 "programme_id", "school_id",	    "school_year",
		"title", "status",	 "requested_cents", "approved_cents",
	};
	static const int widths[] = { 6, 10, 8, 10, 40, 12, 16, 16 };

	return rows_sheet(b, c, f, &plan_resource, "Bestedingsplannen", heads,
			  widths, 8, keys, err);
}

static int expenditures_sheet(struct book *b, struct db_conn *c,
			      const struct budget_figures *f,
			      struct npo_err *err)
{
	static const char *const heads[] = {
		"Id",		"Programma", "Plan",   "Datum",
		"Omschrijving", "Kenmerk",   "Status", "Bedrag",
	};
	static const char *const keys[] = {
		"id",	       "programme_id", "plan_id", "spent_on",
		"description", "reference",    "status",  "amount_cents",
	};
	static const int widths[] = { 6, 10, 6, 11, 40, 16, 10, 16 };

	return rows_sheet(b, c, f, &expenditure_resource, "Bestedingen", heads,
			  widths, 8, keys, err);
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

void overview_xlsx(struct http_request *req)
{
	struct db_conn *c = http_db(req);
	struct npo_err err = { 0 };
	struct budget_figures f = { 0 };
	struct book b = { 0 };
	json_t *budget = NULL;
	char path[] = "/tmp/npo-overview-XXXXXX";
	char today[21], disposition[96];
	char *data = NULL;
	size_t len = 0;
	int fd;

	util_now_iso(today);
	today[10] = '\0';
	if (db_begin_read(c, &err) < 0)
		goto fail;
	if (store_get(c, &budget_resource, http_id(req), &budget, &err) < 0 ||
	    figures_budget(c, http_id(req), "0000-01-01", "9999-12-31", today,
			   &f, &err) < 0)
		goto fail;
	/* libxlsxwriter 1.1.4 writes only to a file: a private temporary one */
	fd = mkstemp(path);
	if (fd < 0) {
		err_set(&err, NPO_E_INTERNAL, "cannot make a temporary file");
		goto fail;
	}
	close(fd);
	b.wb = workbook_new(path);
	if (!b.wb) {
		err_set(&err, NPO_E_INTERNAL, "cannot start a workbook");
		goto fail_file;
	}
	b.bold = workbook_add_format(b.wb);
	format_set_bold(b.bold);
	b.money = workbook_add_format(b.wb);
	format_set_num_format(b.money, "\"€\" #,##0.00;[Red]\"€\" -#,##0.00");
	overview_sheet(&b, budget, &f);
	programme_sheet(&b, &f);
	if (plans_sheet(&b, c, &f, &err) < 0 ||
	    expenditures_sheet(&b, c, &f, &err) < 0) {
		workbook_close(b.wb);
		goto fail_file;
	}
	if (workbook_close(b.wb) != LXW_NO_ERROR ||
	    !(data = slurp(path, &len))) {
		err_set(&err, NPO_E_INTERNAL, "cannot write the workbook");
		goto fail_file;
	}
	unlink(path);
	db_rollback(c);
	snprintf(disposition, sizeof(disposition),
		 "attachment; filename=\"bestedingsoverzicht-%s-%lld.xlsx\"",
		 util_jstr(budget, "municipality_code"),
		 (long long)http_id(req));
	http_set_header(req, "Content-Disposition", disposition);
	http_reply_bytes(req, 200,
			 "application/vnd.openxmlformats-officedocument."
			 "spreadsheetml.sheet",
			 data, len);
	json_decref(budget);
	figures_free(&f);
	return;
fail_file:
	unlink(path);
fail:
	db_rollback(c);
	json_decref(budget);
	figures_free(&f);
	http_reply_err(req, &err);
	err_clear(&err);
}
