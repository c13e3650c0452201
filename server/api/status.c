/* The figures of a budget and the front page of a dashboard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/write.h"

void period_init(struct period *p)
{
	char now[21];

	util_now_iso(now);
	*p = (struct period){ .from = "0000-01-01", .until = "9999-12-31" };
	snprintf(p->today, sizeof(p->today), "%.10s", now);
}

int period_arg(struct period *p, const char *key, const char *value,
	       struct npo_err *err)
{
	int64_t y;

	if (strcmp(key, "year") == 0 || strcmp(key, "school_year") == 0) {
		bool school = key[0] == 's';

		if (p->about)
			return err_set(err, NPO_E_BAD_QUERY,
				       "give year or school_year, not both");
		if (school ? !validate_school_year(value)
			   : !validate_year(value, &y))
			return err_set(err, NPO_E_BAD_QUERY,
				       "%s must look like %s", key,
				       school ? "2023-2024" : "2023");
		/* a calendar year, or a school year: 1 August to 31 July */
		y = strtoll(value, NULL, 10);
		snprintf(p->from, sizeof(p->from),
			 school ? "%04lld-08-01" : "%04lld-01-01",
			 (long long)y);
		snprintf(p->until, sizeof(p->until),
			 school ? "%04lld-07-31" : "%04lld-12-31",
			 (long long)(school ? y + 1 : y));
		p->about = json_pack("{s:s, s:s, s:s}", key, value, "from",
				     p->from, "until", p->until);
		return 1;
	}
	if (strcmp(key, "as_of") == 0) {
		if (!validate_date(value))
			return err_set(err, NPO_E_BAD_QUERY,
				       "as_of must be a date YYYY-MM-DD");
		snprintf(p->today, sizeof(p->today), "%s", value);
		return 1;
	}
	return 0;
}

/* The period and the output of a status query. */
struct status_query {
	struct period p;
	struct output out;
	struct npo_err *err;
};

static int status_arg(void *arg, const char *key, const char *value)
{
	struct status_query *q = arg;
	int rc = output_arg(&q->out, key, value, q->err);

	if (!rc)
		rc = period_arg(&q->p, key, value, q->err);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (strcmp(key, "access_token") != 0)
		return err_set(q->err, NPO_E_BAD_QUERY,
			       "unknown query parameter %s", key);
	return 0;
}

static int parse_query(struct http_request *req, struct status_query *q,
		       struct npo_err *err)
{
	*q = (struct status_query){ .err = err };
	period_init(&q->p);
	if (http_query_foreach(req, status_arg, q) == 0) {
		output_accept(&q->out, req);
		return 0;
	}
	json_decref(q->p.about);
	return -1;
}

#define I(v) ((json_int_t)(v))

/* Adds the figures of f that level shows to o, in the table's order. */
static json_t *add_figures(json_t *o, const struct figures *f, unsigned level)
{
	for (size_t i = 0; i < figure_ndefs; i++)
		if ((figure_defs[i].levels & level) &&
		    json_object_set_new(o, figure_defs[i].name,
					json_integer(figures_value(
						f, &figure_defs[i]))) < 0)
			util_log("status: cannot add %s", figure_defs[i].name);
	return o;
}

static json_t *goal_json(const struct figures *g)
{
	return add_figures(json_pack("{s:I, s:s, s:s}", "id", I(g->id), "code",
				     g->code, "name", g->name),
			   g, FIG_GOAL);
}

static json_t *programme_json(const struct figures *p)
{
	return add_figures(json_pack("{s:I, s:I, s:s, s:s}", "id", I(p->id),
				     "goal_id", I(p->parent_id), "name",
				     p->name, "status", p->status),
			   p, FIG_PROGRAMME);
}

/* A CSV template: the members of head (a NULL-ended list), then every
 * figure any of levels shows, then those of tail. */
static json_t *csv_template(const char *const *head, unsigned levels,
			    const char *const *tail)
{
	json_t *t = json_object();

	for (; *head; head++)
		json_object_set_new(t, *head, json_null());
	for (size_t i = 0; i < figure_ndefs; i++)
		if (figure_defs[i].levels & levels)
			json_object_set_new(t, figure_defs[i].name,
					    json_null());
	for (; tail && *tail; tail++)
		json_object_set_new(t, *tail, json_null());
	return t;
}

static json_t *warnings_json(const struct budget_figures *f)
{
	json_t *a = json_array();

	for (size_t i = 0; i < f->nwarnings; i++)
		json_array_append_new(a, write_warning_json(&f->warnings[i]));
	return a;
}

/*
 * The status as one table: a row for the budget, one per goal and one per
 * programme, each with its level; a column a level has not stays empty.
 */
static void status_csv(struct http_request *req, const struct output *out,
		       const struct budget_figures *f, json_t *goals,
		       json_t *programmes)
{
	static const char *const head[] = {
		"level", "id", "goal_id", "code", "name", "status", NULL,
	};
	json_t *template =
		csv_template(head, FIG_BUDGET | FIG_GOAL | FIG_PROGRAMME, NULL);
	json_t *rows = json_array();
	json_t *total = add_figures(json_object(), &f->total, FIG_BUDGET);
	char file[48];
	size_t i;
	json_t *r;

	json_object_set_new(total, "level", json_string("budget"));
	json_object_set_new(total, "id", json_integer(f->total.id));
	json_object_set_new(total, "name", json_string(f->total.name));
	json_array_append_new(rows, total);
	json_array_foreach(goals, i, r)
	{
		json_object_set_new(r, "level", json_string("goal"));
		json_array_append(rows, r);
	}
	json_array_foreach(programmes, i, r)
	{
		json_object_set_new(r, "level", json_string("programme"));
		json_array_append(rows, r);
	}
	snprintf(file, sizeof(file), "budget-%lld-status",
		 (long long)f->total.id);
	output_csv(req, out, file, template, rows);
	json_decref(rows);
	json_decref(template);
}

void status_budget(struct http_request *req)
{
	struct db_conn *c = http_db(req);
	struct npo_err err = { 0 };
	struct status_query q;
	struct budget_figures f = { 0 };
	json_t *budget = NULL, *goals, *programmes;

	if (parse_query(req, &q, &err) < 0)
		goto fail;
	/* one read transaction: every figure from the same snapshot */
	if (db_begin_read(c, &err) < 0)
		goto fail_q;
	if (store_get(c, &budget_resource, http_id(req), &budget, &err) < 0 ||
	    figures_budget(c, http_id(req), q.p.from, q.p.until, q.p.today, &f,
			   &err) < 0) {
		db_rollback(c);
		goto fail_q;
	}
	db_rollback(c);
	goals = json_array();
	for (size_t i = 0; i < f.ngoals; i++)
		json_array_append_new(goals, goal_json(&f.goals[i]));
	programmes = json_array();
	for (size_t i = 0; i < f.nprogrammes; i++)
		json_array_append_new(programmes,
				      programme_json(&f.programmes[i]));
	if (q.out.csv) {
		status_csv(req, &q.out, &f, goals, programmes);
		json_decref(goals);
		json_decref(programmes);
		json_decref(budget);
		json_decref(q.p.about);
		figures_free(&f);
		return;
	}
	http_reply_json(
		req, 200,
		json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "budget",
			  budget, "as_of", q.p.today, "period",
			  q.p.about ? q.p.about : json_null(), "totals",
			  add_figures(json_object(), &f.total, FIG_BUDGET),
			  "goals", goals, "programmes", programmes, "warnings",
			  warnings_json(&f)));
	figures_free(&f);
	return;
fail_q:
	json_decref(q.p.about);
	json_decref(budget);
	figures_free(&f);
fail:
	http_reply_err(req, &err);
	err_clear(&err);
}

/* Who a budget's summary row is about; its figures or its error follow. */
static json_t *summary_head(const json_t *b)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s}", "budget_id",
			 (json_int_t)util_jint(b, "id"), "municipality_code",
			 util_jstr(b, "municipality_code"), "municipality_name",
			 util_jstr(b, "municipality_name"), "name",
			 util_jstr(b, "name"), "spend_until",
			 util_jstr(b, "spend_until"));
}

/* The summary row of a budget whose figures cannot be computed: who it is
 * and why, without figures. */
static json_t *unavailable_row(const json_t *b, const struct npo_err *err)
{
	json_t *row = summary_head(b);

	json_object_set_new(row, "warnings", json_array());
	json_object_set_new(row, "error",
			    json_pack("{s:s, s:s}", "code", err->code, "detail",
				      err->detail));
	return row;
}

/* One summary row per budget. */
void status_all(struct http_request *req)
{
	struct db_conn *c = http_db(req);
	struct npo_err err = { 0 };
	struct status_query q;
	json_t *budgets = NULL, *items = json_array(), *b;
	size_t i;

	if (parse_query(req, &q, &err) < 0)
		goto fail;
	if (db_begin_read(c, &err) < 0 ||
	    store_list(c, &budget_resource, NULL, 0, 0, 1000000, &budgets, NULL,
		       &err) < 0)
		goto fail_tx;
	json_array_foreach(budgets, i, b)
	{
		struct budget_figures f;
		const struct figures *t = &f.total;
		json_t *codes = json_array(), *row;

		if (figures_budget(c, util_jint(b, "id"), q.p.from, q.p.until,
				   q.p.today, &f, &err) < 0) {
			json_decref(codes);
			figures_free(&f);
			if (err.e != NPO_E_FIGURES_OVERFLOW)
				goto fail_tx;
			/* one budget whose figures cannot be counted (written
			 * before writes were refused for it) does not take the
			 * front page of every other one down with it */
			util_log("status: budget %lld: %s",
				 (long long)util_jint(b, "id"), err.detail);
			json_array_append_new(items, unavailable_row(b, &err));
			err_clear(&err);
			continue;
		}
		for (size_t k = 0; k < f.nwarnings; k++)
			json_array_append_new(codes,
					      json_string(f.warnings[k].code));
		row = add_figures(summary_head(b), t, FIG_SUMMARY);
		json_object_set_new(row, "warnings", codes);
		json_array_append_new(items, row);
		figures_free(&f);
	}
	db_rollback(c);
	json_decref(budgets);
	if (q.out.csv) {
		/* the columns of a summary row, also when there is none */
		static const char *const head[] = {
			"budget_id", "municipality_code", "municipality_name",
			"name",	     "spend_until",	  NULL,
		};
		static const char *const tail[] = { "warnings", NULL };
		json_t *template = csv_template(head, FIG_SUMMARY, tail);

		output_csv(req, &q.out, "status", template, items);
		json_decref(template);
		json_decref(items);
		json_decref(q.p.about);
		return;
	}
	http_reply_json(req, 200,
			json_pack("{s:s, s:o, s:o}", "as_of", q.p.today,
				  "period", q.p.about ? q.p.about : json_null(),
				  "items", items));
	return;
fail_tx:
	db_rollback(c);
	json_decref(q.p.about);
fail:
	json_decref(budgets);
	json_decref(items);
	http_reply_err(req, &err);
	err_clear(&err);
}
