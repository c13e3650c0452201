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
		if (strlen(value) != 4 || util_parse_int64(value, &y) < 0 ||
		    y < 1900)
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

void accountability_report(struct http_request *req)
{
	struct db_conn *c = http_db(req);
	struct npo_err err = { 0 };
	struct report_query q = { .err = &err };
	struct accountability r;
	json_t *budget = NULL, *report;
	char *stored = NULL;

	memset(&r, 0, sizeof(r));
	if (http_query_foreach(req, report_arg, &q) != 0)
		goto fail;
	output_accept(&q.out, req);
	if (!q.year) {
		err_set(&err, NPO_E_BAD_QUERY,
			"give the calendar year: ?year=2024");
		goto fail;
	}
	/* one read transaction: every figure from the same snapshot */
	if (db_begin_read(c, &err) < 0)
		goto fail;
	if (store_get(c, &budget_resource, http_id(req), &budget, &err) < 0 ||
	    figures_accountability(c, http_id(req), q.year, &r, &err) < 0 ||
	    figures_closed_report(c, http_id(req), q.year, &stored, &err) < 0) {
		db_rollback(c);
		goto fail;
	}
	db_rollback(c);
	/* a closed year answers exactly what was reported at its closing */
	report = stored ? json_loads(stored, 0, NULL)
			: accountability_json(&r, budget);
	free(stored);
	if (!report) {
		err_set(&err, NPO_E_INTERNAL, "the stored report is not JSON");
		goto fail;
	}
	if (q.out.csv) {
		report_csv(req, &q.out, report);
		json_decref(report);
	} else {
		http_reply_json(req, 200, report);
	}
	json_decref(budget);
	figures_accountability_free(&r);
	return;
fail:
	json_decref(budget);
	figures_accountability_free(&r);
	http_reply_err(req, &err);
	err_clear(&err);
}
