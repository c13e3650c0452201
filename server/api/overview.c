/*
 * The bestedingsoverzicht: GET /api/v1/budgets/{id}/overview.xlsx, the
 * workbook a municipality attaches to a decision. ?year=, ?school_year= and
 * ?as_of= ask what they ask of the status. Each sheet has a title that says
 * whose and which, names next to ids, Dutch labels and statuses, real
 * dates, totals rows, and prints landscape one page wide with its header on
 * every page. Amounts are numbers in euros, so a spreadsheet can add them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"
#include "npo/workbook.h"

struct overview {
	struct book b;
	struct db_conn *c;
	const json_t *budget;
	const struct budget_figures *f;
	struct period *p;
	struct npo_err *err; /* for the query's arguments */
	char who[160];	     /* "Huizen (GM0406)" */
	char period[96];     /* what spent counts in, in words */
	char title[400];     /* a sheet's title */
};

/* The title of a sheet: what it holds, whose, and of when. */
static const char *title(struct overview *o, const char *what)
{
	snprintf(o->title, sizeof(o->title), "%s – %s – %s", what, o->who,
		 o->period);
	return o->title;
}

/* Writes at row, from col, the labels of the figures level shows, with
 * widths; returns how many. */
static int figure_heads(struct overview *o, lxw_worksheet *ws, int row, int col,
			unsigned level)
{
	int n = 0;

	for (size_t i = 0; i < figure_ndefs; i++)
		if (figure_defs[i].levels & level) {
			book_text(ws, row, col + n, figure_defs[i].label,
				  o->b.head);
			worksheet_set_column(ws, (lxw_col_t)(col + n),
					     (lxw_col_t)(col + n), 17, NULL);
			n++;
		}
	return n;
}

/* Writes at row, from col, the figures of f that level shows; adds them
 * to sums (may be NULL). */
static void figure_cells(struct overview *o, lxw_worksheet *ws, int row,
			 int col, const struct figures *f, unsigned level,
			 int64_t *sums)
{
	for (size_t i = 0, n = 0; i < figure_ndefs; i++)
		if (figure_defs[i].levels & level) {
			int64_t v = figures_value(f, &figure_defs[i]);

			book_money(ws, row, col + (int)n, v, o->b.money);
			/* sums of figures the bounds keep representable */
			if (sums)
				money_add(&sums[n], v);
			n++;
		}
}

/* A totals row: label in column label_col, the sums from col. */
static void totals_row(struct overview *o, lxw_worksheet *ws, int row,
		       int label_col, int col, const int64_t *sums, int n,
		       const char *label)
{
	for (int i = 0; i < col; i++)
		book_text(ws, row, i, i == label_col ? label : " ", o->b.total);
	for (int i = 0; i < n; i++)
		book_money(ws, row, col + i, sums[i], o->b.money_tot);
}

/* The first sheet: who, which grant, which period and as of when, the
 * totals, a row per goal with their total, and the warnings in Dutch. */
static void overview_sheet(struct overview *o)
{
	const struct budget_figures *f = o->f;
	const json_t *budget = o->budget;
	lxw_worksheet *ws = book_sheet(
		&o->b, "Overzicht",
		"Bestedingsoverzicht Nationaal Programma Onderwijs", -1);
	char period[96], today[21];
	int64_t sums[16] = { 0 };
	int row = 1, n;

	util_now_iso(today);
	snprintf(period, sizeof(period), "%s tot en met %s",
		 DATE_NL(f->spend_from), DATE_NL(f->spend_until));
	worksheet_set_column(ws, 0, 0, 30, NULL);
	worksheet_set_column(ws, 1, 1, 48, NULL);
	book_text(ws, row++, 0, o->who, o->b.bold);
	row++;
	const struct {
		const char *label, *text, *date;
	} about[] = {
		{ "Gemeente", o->who, NULL },
		{ "Toekenning", util_jstr(budget, "name"), NULL },
		{ "Beschikking", util_jstr(budget, "decision_ref"), NULL },
		{ "Bestedingsperiode", period, NULL },
		{ "Bestedingen in", o->period, NULL },
		{ "Peildatum", NULL, o->p->today },
		{ "Bij overschrijding",
		  strcmp(util_jstr(budget, "overrun_policy"), "stop") == 0
			  ? "tegenhouden (stop)"
			  : "waarschuwen (warn)",
		  NULL },
		{ "Opgemaakt op", NULL, today },
	};
	for (size_t i = 0; i < ARRAY_SIZE(about); i++, row++) {
		book_text(ws, row, 0, about[i].label, o->b.bold);
		book_text(ws, row, 1, about[i].text, NULL);
		book_date(&o->b, ws, row, 1, about[i].date, o->b.date_long);
	}
	row++;
	book_text(ws, row++, 0, "Totalen", o->b.title);
	for (size_t i = 0; i < figure_ndefs; i++) {
		if (!(figure_defs[i].levels & FIG_BUDGET))
			continue;
		book_text(ws, row, 0, figure_defs[i].label, o->b.bold);
		book_money(ws, row++, 1,
			   figures_value(&f->total, &figure_defs[i]),
			   o->b.money);
	}
	row++;
	book_text(ws, row++, 0, "Per bestedingsdoel", o->b.title);
	book_text(ws, row, 0, "Code", o->b.head);
	book_text(ws, row, 1, "Bestedingsdoel", o->b.head);
	n = figure_heads(o, ws, row++, 2, FIG_GOAL);
	for (size_t i = 0; i < f->ngoals; i++, row++) {
		book_text(ws, row, 0, f->goals[i].code, NULL);
		book_text(ws, row, 1, f->goals[i].name, NULL);
		figure_cells(o, ws, row, 2, &f->goals[i], FIG_GOAL, sums);
	}
	totals_row(o, ws, row++, 1, 2, sums, n, "Totaal");
	row++;
	book_text(ws, row++, 0, "Signaleringen", o->b.title);
	if (!f->nwarnings)
		book_text(ws, row++, 0, "Geen.", NULL);
	for (size_t i = 0; i < f->nwarnings; i++)
		book_text(ws, row++, 0, f->warnings[i].message, NULL);
}

/* The programme of f with id, or NULL. */
static const struct figures *programme_of(const struct budget_figures *f,
					  int64_t id)
{
	for (size_t i = 0; i < f->nprogrammes; i++)
		if (f->programmes[i].id == id)
			return &f->programmes[i];
	return NULL;
}

/* The goal of f with id, or NULL. */
static const struct figures *goal_of(const struct budget_figures *f, int64_t id)
{
	for (size_t i = 0; i < f->ngoals; i++)
		if (f->goals[i].id == id)
			return &f->goals[i];
	return NULL;
}

/* Whether a row of a sheet is shown: the callback of rows_sheet. */
typedef bool (*keep_fn)(const struct overview *o, json_t *row);

/*
 * A sheet of the rows of res under this budget (filter: the member that
 * says which budget or programme, for each value in ids), as cols say, with
 * a totals row of the money columns; keep may leave rows out or add to
 * them. Returns 0, or -1 with err.
 */
static int rows_sheet(struct overview *o, const struct resource *res,
		      const char *name, const char *what, const char *filter,
		      const int64_t *ids, size_t nids,
		      const struct book_col *cols, int ncols, keep_fn keep,
		      struct npo_err *err)
{
	lxw_worksheet *ws = book_sheet(&o->b, name, title(o, what), 1);
	int64_t sums[16] = { 0 };
	int row = 2;

	book_head(&o->b, ws, 1, cols, ncols);
	for (size_t i = 0; i < nids; i++) {
		struct store_filter by = { .field = validate_find(res->fields,
								  res->nfields,
								  filter) };
		struct store_cursor cur;
		char id[24];
		json_t *r;
		int rc;

		snprintf(id, sizeof(id), "%lld", (long long)ids[i]);
		by.value = id;
		if (store_open(o->c, res, &by, 1, 0, -1, &cur, err) < 0)
			return -1;
		while ((rc = store_next(&cur, &r, err)) == 1) {
			if (!keep || keep(o, r)) {
				book_row(&o->b, ws, row++, cols, ncols, r);
				for (int k = 0; k < ncols && k < 16; k++)
					if (cols[k].kind == BOOK_MONEY)
						money_add(
							&sums[k],
							util_jint(r,
								  cols[k].key));
			}
			json_decref(r);
		}
		store_close(&cur);
		if (rc < 0)
			return -1;
	}
	book_totals(&o->b, ws, row, cols, ncols, sums);
	return 0;
}

/* The programmes with their partner, owner and dates, and their figures. */
static bool programme_keep(const struct overview *o, json_t *row)
{
	const struct figures *p = programme_of(o->f, util_jint(row, "id"));
	const struct figures *g = goal_of(o->f, util_jint(row, "goal_id"));

	for (size_t i = 0; p && i < figure_ndefs; i++)
		if (figure_defs[i].levels & FIG_PROGRAMME)
			json_object_set_new(row, figure_defs[i].name,
					    json_integer(figures_value(
						    p, &figure_defs[i])));
	json_object_set_new(row, "goal_code",
			    json_string(g && g->code ? g->code : ""));
	return true;
}

static int programme_sheet(struct overview *o, struct npo_err *err)
{
	/* the columns, then a column per programme figure */
	struct book_col cols[16] = {
		{ "Id", "id", BOOK_INT, 6 },
		{ "Doel", "goal_code", BOOK_TEXT, 6 },
		{ "Programma", "name", BOOK_TEXT, 40 },
		{ "Partner", "partner", BOOK_TEXT, 24 },
		{ "Eigenaar", "owner", BOOK_TEXT, 20 },
		{ "Status", "status", BOOK_STATUS, 11 },
		{ "Start", "starts_on", BOOK_DATE, 11 },
		{ "Einde", "ends_on", BOOK_DATE, 11 },
	};
	int n = 8;
	int64_t budget = util_jint(o->budget, "id");

	for (size_t i = 0; i < figure_ndefs && n < 16; i++)
		if (figure_defs[i].levels & FIG_PROGRAMME)
			cols[n++] = (struct book_col){ figure_defs[i].label,
						       figure_defs[i].name,
						       BOOK_MONEY, 15 };
	return rows_sheet(o, &programme_resource, "Programma's",
			  "Uitvoeringsprogramma's", "budget_id", &budget, 1,
			  cols, n, programme_keep, err);
}

/* With ?school_year=, the plans of that school year. */
static bool plan_keep(const struct overview *o, json_t *row)
{
	const char *asked = util_jstr(o->p->about, "school_year");

	return !asked || strcmp(asked, util_jstr(row, "school_year")) == 0;
}

static int plans_sheet(struct overview *o, const int64_t *programmes, size_t n,
		       struct npo_err *err)
{
	static const struct book_col cols[] = {
		{ "Id", "id", BOOK_INT, 6 },
		{ "Programma", "programme_name", BOOK_TEXT, 32 },
		{ "School", "school_code", BOOK_TEXT, 9 },
		{ "Schoolnaam", "school_name", BOOK_TEXT, 24 },
		{ "Schooljaar", "school_year", BOOK_TEXT, 10 },
		{ "Titel", "title", BOOK_TEXT, 34 },
		{ "Status", "status", BOOK_STATUS, 12 },
		{ "Ingediend", "submitted_at", BOOK_DATE, 11 },
		{ "Besloten", "decided_at", BOOK_DATE, 11 },
		{ "Aangevraagd", "requested_cents", BOOK_MONEY, 14 },
		{ "Toegekend", "approved_cents", BOOK_MONEY, 14 },
		{ "Vastgesteld", "settled_cents", BOOK_MONEY, 14 },
	};

	return rows_sheet(o, &plan_resource, "Bestedingsplannen",
			  "Bestedingsplannen van scholen", "programme_id",
			  programmes, n, cols, (int)ARRAY_SIZE(cols), plan_keep,
			  err);
}

/* The costs dated in the period. */
static bool expenditure_keep(const struct overview *o, json_t *row)
{
	const char *on = util_jstr(row, "spent_on");

	return strcmp(on, o->p->from) >= 0 && strcmp(on, o->p->until) <= 0;
}

static int expenditures_sheet(struct overview *o, const int64_t *programmes,
			      size_t n, struct npo_err *err)
{
	static const struct book_col cols[] = {
		{ "Id", "id", BOOK_INT, 6 },
		{ "Datum", "spent_on", BOOK_DATE, 11 },
		{ "Programma", "programme_name", BOOK_TEXT, 32 },
		{ "Plan", "plan_id", BOOK_INT, 6 },
		{ "School", "school_name", BOOK_TEXT, 20 },
		{ "Omschrijving", "description", BOOK_TEXT, 34 },
		{ "Kenmerk", "reference", BOOK_TEXT, 14 },
		{ "Status", "status", BOOK_STATUS, 12 },
		{ "Correctie op", "corrects_id", BOOK_INT, 9 },
		{ "Bedrag", "amount_cents", BOOK_MONEY, 14 },
		{ "Gecorrigeerd", "corrected_cents", BOOK_MONEY, 14 },
	};

	return rows_sheet(o, &expenditure_resource, "Bestedingen",
			  "Bestedingen", "programme_id", programmes, n, cols,
			  (int)ARRAY_SIZE(cols), expenditure_keep, err);
}

/* The name of a reallocation's line: its goal's or programme's. */
static json_t *line_name(const struct budget_figures *f, const json_t *line)
{
	const json_t *goal = json_object_get(line, "goal_id");
	const struct figures *x =
		goal ? goal_of(f, json_integer_value(goal))
		     : programme_of(f, util_jint(line, "programme_id"));
	char name[256];

	if (!x)
		return json_string("");
	if (goal)
		snprintf(name, sizeof(name), "doel %s %s", x->code, x->name);
	else
		snprintf(name, sizeof(name), "%s", x->name);
	return json_string(name);
}

static bool reallocation_keep(const struct overview *o, json_t *row)
{
	json_object_set_new(row, "from_name",
			    line_name(o->f, json_object_get(row, "from")));
	json_object_set_new(row, "to_name",
			    line_name(o->f, json_object_get(row, "to")));
	return true;
}

static int reallocations_sheet(struct overview *o, struct npo_err *err)
{
	static const struct book_col cols[] = {
		{ "Id", "id", BOOK_INT, 6 },
		{ "Besloten op", "decided_on", BOOK_DATE, 11 },
		{ "Van", "from_name", BOOK_TEXT, 34 },
		{ "Naar", "to_name", BOOK_TEXT, 34 },
		{ "Bedrag", "amount_cents", BOOK_MONEY, 14 },
		{ "Reden", "reason", BOOK_TEXT, 44 },
		{ "Besluit", "decision_ref", BOOK_TEXT, 20 },
	};
	int64_t budget = util_jint(o->budget, "id");

	return rows_sheet(o, &reallocation_resource, "Herschikkingen",
			  "Herschikkingen en hun besluiten", "budget_id",
			  &budget, 1, cols, (int)ARRAY_SIZE(cols),
			  reallocation_keep, err);
}

static int overview_arg(void *arg, const char *key, const char *value)
{
	struct overview *o = arg;
	int rc = period_arg(o->p, key, value, o->err);

	if (rc)
		return rc < 0 ? -1 : 0;
	if (strcmp(key, "access_token") != 0)
		return err_set(o->err, NPO_E_BAD_QUERY,
			       "unknown query parameter %s", key);
	return 0;
}

/* The period in words: "2024", "schooljaar 2024-2025", or all of it. */
static void period_words(char out[96], const struct period *p)
{
	const char *year = util_jstr(p->about, "year");
	const char *school = util_jstr(p->about, "school_year");

	if (year)
		snprintf(out, 96, "%s", year);
	else if (school)
		snprintf(out, 96, "schooljaar %s", school);
	else
		snprintf(out, 96, "de hele bestedingsperiode");
}

void overview_xlsx(struct http_request *req)
{
	struct db_conn *c = http_db(req);
	struct npo_err err = { 0 };
	struct budget_figures f = { 0 };
	struct period p;
	struct overview o = { .c = c, .f = &f, .p = &p, .err = &err };
	json_t *budget = NULL;
	int64_t *programmes = NULL;
	char file[96];

	period_init(&p);
	if (http_query_foreach(req, overview_arg, &o) != 0)
		goto fail;
	if (db_begin_read(c, &err) < 0)
		goto fail;
	if (store_get(c, &budget_resource, http_id(req), &budget, &err) < 0 ||
	    figures_budget(c, http_id(req), p.from, p.until, p.today, &f,
			   &err) < 0)
		goto fail_read;
	o.budget = budget;
	snprintf(o.who, sizeof(o.who), "%s (%s)",
		 util_jstr(budget, "municipality_name"),
		 util_jstr(budget, "municipality_code"));
	period_words(o.period, &p);
	if (!(programmes = calloc(f.nprogrammes + 1, sizeof(*programmes)))) {
		err_set(&err, NPO_E_INTERNAL, "out of memory");
		goto fail_read;
	}
	for (size_t i = 0; i < f.nprogrammes; i++)
		programmes[i] = f.programmes[i].id;
	if (book_open(&o.b, &err) < 0)
		goto fail_read;
	overview_sheet(&o);
	if (programme_sheet(&o, &err) < 0 ||
	    plans_sheet(&o, programmes, f.nprogrammes, &err) < 0 ||
	    expenditures_sheet(&o, programmes, f.nprogrammes, &err) < 0 ||
	    reallocations_sheet(&o, &err) < 0) {
		book_discard(&o.b);
		goto fail_read;
	}
	db_rollback(c);
	snprintf(file, sizeof(file), "bestedingsoverzicht-%s-%lld",
		 util_jstr(budget, "municipality_code"),
		 (long long)http_id(req));
	book_reply(req, &o.b, file);
	goto out;
fail_read:
	db_rollback(c);
fail:
	http_reply_err(req, &err);
	err_clear(&err);
out:
	free(programmes);
	json_decref(p.about);
	json_decref(budget);
	figures_free(&f);
}
