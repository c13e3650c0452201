/*
 * GET /api/v1/budgets/{id}/accountability?year=T: what the municipality
 * reports for the grant in its annual accounts and SiSa appendix for
 * calendar year T, as JSON or CSV (figures_accountability computes it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"
#include "npo/workbook.h"

struct report_query {
	int year; /* 0: not given */
	struct output out;
	struct npo_err *err;
};

static int report_arg(void *arg, const char *key, const char *value)
{
	struct report_query *q = arg;
	int rc = output_arg(&q->out, key, value, q->err);
	int64_t y;

	if (rc)
		return rc < 0 ? -1 : 0;
	if (strcmp(key, "year") == 0) {
		if (!validate_year(value, &y))
			return err_set(q->err, NPO_E_BAD_QUERY,
				       "year must look like 2024");
		q->year = (int)y;
	} else if (strcmp(key, "access_token") != 0) {
		return err_set(q->err, NPO_E_BAD_QUERY,
			       "unknown query parameter %s", key);
	}
	return 0;
}

#define I(v) ((json_int_t)(v))

json_t *accountability_json(const struct accountability *r, const json_t *b)
{
	json_t *goals = json_array(), *ineligible = json_array();

	for (size_t i = 0; i < r->ngoals; i++) {
		const struct account_goal *g = &r->goals[i];

		json_array_append_new(
			goals,
			json_pack("{s:I, s:s, s:s, s:I, s:I}", "goal_id",
				  I(g->id), "code", g->code, "name", g->name,
				  "spent_cents", I(g->spent),
				  "cumulative_spent_cents", I(g->cumulative)));
	}
	for (size_t i = 0; i < r->nineligible; i++) {
		const struct ineligible *e = &r->ineligible[i];

		json_array_append_new(
			ineligible,
			json_pack("{s:I, s:s, s:I, s:s}", "id", I(e->id),
				  "spent_on", e->spent_on, "amount_cents",
				  I(e->amount), "description", e->description));
	}
	return json_pack(
		"{s:I, s:s, s:O, s:i, s:I, s:I, s:I, s:o, s:b, s:o, s:o, s:b,"
		" s:n}",
		"budget_id", I(r->budget_id), "municipality_code",
		util_jstr(b, "municipality_code"), "decision_ref",
		json_object_get(b, "decision_ref"), "year", r->year,
		"spent_cents", I(r->spent), "cumulative_spent_cents",
		I(r->cumulative), "ineligible_cents", I(r->ineligible_total),
		"ineligible", ineligible, "final", r->final,
		"expected_return_cents",
		r->final ? json_integer(r->expected_return) : json_null(),
		"goals", goals, "closed", 0, "closed_at");
}

/* A header, one row per goal, then the total: from the report as JSON,
 * computed or as stored at closing. */
static void report_csv(struct http_request *req, const struct output *out,
		       const json_t *report)
{
	json_t *template = json_pack("{s:n, s:n, s:n, s:n, s:n}", "goal_id",
				     "code", "name", "spent_cents",
				     "cumulative_spent_cents");
	json_t *rows = json_deep_copy(json_object_get(report, "goals"));
	char file[64];

	json_array_append_new(
		rows,
		json_pack("{s:s, s:O, s:O}", "name", "Totaal", "spent_cents",
			  json_object_get(report, "spent_cents"),
			  "cumulative_spent_cents",
			  json_object_get(report, "cumulative_spent_cents")));
	snprintf(file, sizeof(file), "budget-%lld-accountability-%lld",
		 (long long)util_jint(report, "budget_id"),
		 (long long)util_jint(report, "year"));
	output_csv(req, out, file, template, rows);
	json_decref(rows);
	json_decref(template);
}

/*
 * The report of the path's budget for ?year=: a closed year answers exactly
 * what was reported at its closing. New reference in *report and the budget
 * in *budget; or -1 with err.
 */
static int load_report(struct http_request *req, struct report_query *q,
		       json_t **report, json_t **budget, struct npo_err *err)
{
	struct db_conn *c = http_db(req);
	struct accountability r;
	char *stored = NULL;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	*report = *budget = NULL;
	if (http_query_foreach(req, report_arg, q) != 0)
		return -1;
	output_accept(&q->out, req);
	if (!q->year)
		return err_set(err, NPO_E_BAD_QUERY,
			       "give the calendar year: ?year=2024");
	/* one read transaction: every figure from the same snapshot */
	if (db_begin_read(c, err) < 0)
		return -1;
	if (store_get(c, &budget_resource, http_id(req), budget, err) == 0 &&
	    figures_accountability(c, http_id(req), q->year, &r, err) == 0 &&
	    figures_closed_report(c, http_id(req), q->year, &stored, err) ==
		    0) {
		*report = stored ? json_loads(stored, 0, NULL)
				 : accountability_json(&r, *budget);
		rc = *report ? 0
			     : err_set(err, NPO_E_INTERNAL,
				       "the stored report is not JSON");
	}
	db_rollback(c);
	free(stored);
	figures_accountability_free(&r);
	return rc;
}

/* The toelichting (explanation) of the SiSa row, in words. */
static void explanation(char *out, size_t size, const json_t *report,
			const json_t *budget)
{
	int64_t grant = util_jint(budget, "grant_cents");
	int64_t cumulative = util_jint(report, "cumulative_spent_cents");
	int64_t ineligible = util_jint(report, "ineligible_cents");
	int n;

	if (json_is_true(json_object_get(report, "final")))
		n = snprintf(
			out, size,
			"Eindverantwoording: van de toekenning van %s is "
			"%s besteed binnen de bestedingsperiode (%s tot "
			"en met %s); %s gaat terug naar het Rijk.",
			MONEY_NL(grant), MONEY_NL(cumulative),
			DATE_NL(util_jstr(budget, "spend_from")),
			DATE_NL(util_jstr(budget, "spend_until")),
			MONEY_NL(util_jint(report, "expected_return_cents")));
	else
		n = snprintf(out, size,
			     "Besteed in %lld: %s; tot en met %lld: %s van de "
			     "toekenning van %s.",
			     (long long)util_jint(report, "year"),
			     MONEY_NL(util_jint(report, "spent_cents")),
			     (long long)util_jint(report, "year"),
			     MONEY_NL(cumulative), MONEY_NL(grant));
	if (ineligible && n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n,
			 " Buiten de bestedingsperiode gedateerd en niet "
			 "meegeteld: %s (zie het blad Niet subsidiabel).",
			 MONEY_NL(ineligible));
}

/*
 * accountability.xlsx: a SiSa-shaped sheet (one row for the beschikking
 * with besteding jaar T, cumulatief, eindverantwoording and the
 * toelichting; a row per goal below) and the ineligible costs on a sheet of
 * their own, from the same report as the JSON.
 */
static void report_xlsx(struct http_request *req, const json_t *report,
			const json_t *budget)
{
	static const struct book_col sisa[] = {
		{ "Beschikking", "decision_ref", BOOK_TEXT, 30 },
		{ "Besteding jaar T", "spent_cents", BOOK_MONEY, 17 },
		{ "Cumulatieve besteding tot en met jaar T",
		  "cumulative_spent_cents", BOOK_MONEY, 19 },
		{ "Eindverantwoording (Ja/Nee)", "final_word", BOOK_TEXT, 20 },
		{ "Terug te betalen", "expected_return_cents", BOOK_MONEY, 16 },
		{ "Toelichting", "explanation", BOOK_TEXT, 60 },
	};
	/* under the columns of the beschikking's row */
	static const struct book_col goals[] = {
		{ "Bestedingsdoel", "label", BOOK_TEXT, 30 },
		{ "Besteding jaar T", "spent_cents", BOOK_MONEY, 17 },
		{ "Cumulatief tot en met jaar T", "cumulative_spent_cents",
		  BOOK_MONEY, 19 },
	};
	static const struct book_col ineligible[] = {
		{ "Id", "id", BOOK_INT, 8 },
		{ "Datum", "spent_on", BOOK_DATE, 12 },
		{ "Bedrag", "amount_cents", BOOK_MONEY, 16 },
		{ "Omschrijving", "description", BOOK_TEXT, 60 },
	};
	struct npo_err err = { 0 };
	struct book b;
	lxw_worksheet *ws;
	json_t *row = json_deep_copy(report), *g;
	char title[256], text[1024], file[96];
	long long year = util_jint(report, "year");
	const json_t *closed_at = json_object_get(report, "closed_at");
	int r = 3;
	size_t i;

	if (book_open(&b, &err) < 0) {
		json_decref(row);
		http_reply_err(req, &err);
		err_clear(&err);
		return;
	}
	snprintf(title, sizeof(title),
		 "Verantwoording specifieke uitkering NPO %lld – %s (%s)", year,
		 util_jstr(budget, "municipality_name"),
		 util_jstr(budget, "municipality_code"));
	ws = book_sheet(&b, "SiSa", title, -1);
	snprintf(title, sizeof(title), "%.10s",
		 json_is_string(closed_at) ? json_string_value(closed_at) : "");
	snprintf(text, sizeof(text),
		 "Jaar T = %lld. Bestedingsperiode %s tot en met %s. %s%s%s",
		 year, DATE_NL(util_jstr(budget, "spend_from")),
		 DATE_NL(util_jstr(budget, "spend_until")),
		 *title ? "Jaar afgesloten op " : "Jaar nog niet afgesloten.",
		 *title ? DATE_NL(title) : "", *title ? "." : "");
	book_text(ws, 1, 0, text, NULL);
	book_head(&b, ws, r++, sisa, (int)ARRAY_SIZE(sisa));
	explanation(text, sizeof(text), report, budget);
	json_object_set_new(row, "explanation", json_string(text));
	json_object_set_new(
		row, "final_word",
		json_string(json_is_true(json_object_get(report, "final"))
				    ? "Ja"
				    : "Nee"));
	book_row(&b, ws, r++, sisa, (int)ARRAY_SIZE(sisa), row);
	r++;
	book_text(ws, r++, 0, "Per bestedingsdoel", b.title);
	book_head(&b, ws, r++, goals, (int)ARRAY_SIZE(goals));
	json_array_foreach(json_object_get(report, "goals"), i, g)
	{
		json_t *line = json_deep_copy(g);

		snprintf(text, sizeof(text), "%s %s", util_jstr(g, "code"),
			 util_jstr(g, "name"));
		json_object_set_new(line, "label", json_string(text));
		book_row(&b, ws, r++, goals, (int)ARRAY_SIZE(goals), line);
		json_decref(line);
	}
	book_totals(&b, ws, r, goals, (int)ARRAY_SIZE(goals),
		    (const int64_t[]){
			    0, util_jint(report, "spent_cents"),
			    util_jint(report, "cumulative_spent_cents") });

	snprintf(title, sizeof(title),
		 "Niet subsidiabel in %lld: buiten de bestedingsperiode "
		 "gedateerd – %s (%s)",
		 year, util_jstr(budget, "municipality_name"),
		 util_jstr(budget, "municipality_code"));
	ws = book_sheet(&b, "Niet subsidiabel", title, 1);
	book_head(&b, ws, 1, ineligible, (int)ARRAY_SIZE(ineligible));
	r = 2;
	json_array_foreach(json_object_get(report, "ineligible"), i, g)
		book_row(&b, ws, r++, ineligible, (int)ARRAY_SIZE(ineligible),
			 g);
	book_totals(&b, ws, r, ineligible, (int)ARRAY_SIZE(ineligible),
		    (const int64_t[]){
			    0, 0, util_jint(report, "ineligible_cents"), 0 });
	json_decref(row);
	snprintf(file, sizeof(file), "verantwoording-%s-%lld-%lld",
		 util_jstr(budget, "municipality_code"),
		 (long long)util_jint(budget, "id"), year);
	book_reply(req, &b, file);
}

/* The report as JSON, CSV or (workbook) accountability.xlsx. */
static void answer(struct http_request *req, bool workbook)
{
	struct npo_err err = { 0 };
	struct report_query q = { .err = &err };
	json_t *budget, *report;

	if (load_report(req, &q, &report, &budget, &err) < 0) {
		http_reply_err(req, &err);
		err_clear(&err);
	} else if (workbook) {
		report_xlsx(req, report, budget);
		json_decref(report);
	} else if (q.out.csv) {
		report_csv(req, &q.out, report);
		json_decref(report);
	} else {
		http_reply_json(req, 200, report);
	}
	json_decref(budget);
}

void accountability_report(struct http_request *req)
{
	answer(req, false);
}

void accountability_xlsx(struct http_request *req)
{
	answer(req, true);
}
