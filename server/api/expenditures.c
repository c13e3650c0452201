/* Expenditures (bestedingen, declaraties): costs booked on a programme,
 * optionally against a school's approved plan. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"
#include "npo/workflow.h"
#include "npo/write.h"

/* The school of an expenditure's plan: its code or name, NULL without. */
#define PLAN_SCHOOL(column)                                  \
	"SELECT s." column                                   \
	" FROM plans p JOIN schools s ON s.id = p.school_id" \
	" WHERE p.id = expenditures.plan_id"

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field expenditure_fields[] = {
	{ .name = "programme_id", .type = FIELD_REF,
	  .flags = F_REQUIRED | F_FILTER, .min = 1, .max = INT64_MAX,
	  .ref = "programmes" },
	{ .name = "programme_name", .type = FIELD_TEXT,
	  .flags = F_READONLY | F_SEARCH,
	  .computed = PROGRAMME_NAME("expenditures") },
	{ .name = "plan_id", .type = FIELD_REF, .flags = F_NULLABLE | F_FILTER,
	  .min = 1, .max = INT64_MAX, .ref = "plans" },
	{ .name = "school_code", .type = FIELD_TEXT,
	  .flags = F_READONLY | F_NULLABLE,
	  .computed = PLAN_SCHOOL("code") },
	{ .name = "school_name", .type = FIELD_TEXT,
	  .flags = F_READONLY | F_NULLABLE | F_SEARCH,
	  .computed = PLAN_SCHOOL("name") },
	{ .name = "amount_cents", .type = FIELD_CENTS,
	  .flags = F_REQUIRED | F_NONZERO, .min = -MONEY_MAX_CENTS,
	  .max = MONEY_MAX_CENTS },
	{ .name = "spent_on", .type = FIELD_DATE, .flags = F_REQUIRED,
	  .from = "spent_from", .until = "spent_until" },
	{ .name = "description", .type = FIELD_TEXT,
	  .flags = F_REQUIRED | F_SEARCH, .min = 1, .max = 500 },
	{ .name = "reference", .type = FIELD_TEXT,
	  .flags = F_NULLABLE | F_FILTER | F_SEARCH, .max = 200 },
	{ .name = "status", .type = FIELD_ENUM, .flags = F_READONLY | F_FILTER,
	  .choices = expenditure_states, .def = "submitted" },
	{ .name = "corrects_id", .type = FIELD_REF,
	  .flags = F_NULLABLE | F_FIXED | F_FILTER, .min = 1, .max = INT64_MAX,
	  .ref = "expenditures" },
	{ .name = "corrected_cents", .type = FIELD_CENTS, .flags = F_READONLY,
	  .computed = "SELECT coalesce(sum(c.amount_cents), 0)"
		      " FROM expenditures c WHERE c.corrects_id = expenditures.id"
		      " AND c.status IN ('approved', 'paid')" },
	{ .name = "budget_id", .type = FIELD_REF, .flags = F_READONLY | F_FILTER,
	  .min = 1, .max = INT64_MAX,
	  .computed = PROGRAMME_BUDGET("expenditures") },
};
/* clang-format on */

/* Whether the expenditure is spent: approved or paid. */
static bool booked(const char *status)
{
	return strcmp(status, "approved") == 0 || strcmp(status, "paid") == 0;
}

/*
 * A correction (corrects_id) names an approved or paid expenditure that is
 * no correction itself, of the same programme and plan. Created, and again
 * when approved, it may not take its original below zero: original + its
 * approved or paid corrections + this one >= 0, else 409 over_corrected.
 */
static int correction_check(struct db_conn *c, const json_t *row,
			    const json_t *before, struct npo_err *err)
{
	int64_t id = util_jint(row, "corrects_id");
	int64_t amount = util_jint(row, "amount_cents"), others = 0, left;
	const char *to = util_jstr(row, "status");
	json_t *orig;
	int rc = 0;

	if (store_get(c, &expenditure_resource, id, &orig, err) < 0)
		return -1;
	if (json_is_integer(json_object_get(orig, "corrects_id")))
		rc = validate_fail(err, "corrects_id", "correction",
				   "expenditure %lld is a correction itself; "
				   "correct the original",
				   (long long)id);
	else if (!booked(util_jstr(orig, "status")))
		rc = validate_fail(
			err, "corrects_id", "not_booked",
			"expenditure %lld is %s; only an approved or "
			"paid one is corrected (change or reject a "
			"submitted one instead)",
			(long long)id, util_jstr(orig, "status"));
	else if (util_jint(orig, "programme_id") !=
		 util_jint(row, "programme_id"))
		rc = validate_fail(err, "programme_id", "other_programme",
				   "must be that of expenditure %lld (%lld)",
				   (long long)id,
				   (long long)util_jint(orig, "programme_id"));
	else if (!json_equal(json_object_get(orig, "plan_id"),
			     json_object_get(row, "plan_id")))
		rc = validate_fail(err, "plan_id", "other_plan",
				   "must be that of expenditure %lld",
				   (long long)id);
	if (rc < 0 || (before && (!strcmp(util_jstr(before, "status"), to) ||
				  strcmp(to, "approved") != 0)))
		goto out;
	if (figures_corrections(c, id, util_jint(row, "id"), &others, err) <
	    0) {
		rc = -1;
		goto out;
	}
	left = util_jint(orig, "amount_cents") + others + amount;
	if (left < 0)
		rc = err_set_new(
			err,
			json_pack("{s:I, s:I, s:I, s:I}", "original_id",
				  (json_int_t)id, "original_cents",
				  (json_int_t)util_jint(orig, "amount_cents"),
				  "corrected_cents", (json_int_t)others,
				  "asked_cents", (json_int_t)amount),
			NPO_E_OVER_CORRECTED,
			"expenditure %lld holds %lld cents, corrected by %lld; "
			"%lld more would take it below zero",
			(long long)id,
			(long long)util_jint(orig, "amount_cents"),
			(long long)others, (long long)amount);
out:
	json_decref(orig);
	return rc;
}

/* 409 period_closed for the year of date. */
static int period_closed(struct npo_err *err, const char *date,
			 const char *what)
{
	int year = (int)strtol(date, NULL, 10);

	return err_set_new(
		err, json_pack("{s:i}", "year", year), NPO_E_PERIOD_CLOSED,
		"%d is closed: %s (correct it with a correction dated "
		"in an open year)",
		year, what);
}

/* Whether the year of date is closed for the budget of programme. */
static int closed(struct db_conn *c, int64_t programme, const char *date,
		  bool *out, struct npo_err *err)
{
	return figures_year_closed(c, true, programme,
				   (int)strtol(date, NULL, 10), out, NULL, err);
}

/*
 * The costs of a closed year stay as they were: an approved or paid one
 * dated in it changes no more (moving approved to paid changes nothing that
 * was spent), and none is made, dated or approved into it.
 */
static int closed_year_check(struct db_conn *c, const json_t *row,
			     const json_t *before, struct npo_err *err)
{
	const char *on = util_jstr(row, "spent_on");
	bool was_closed = false, in_closed;
	bool same_date = before && !strcmp(util_jstr(before, "spent_on"), on);
	/* then the year asked for before is the one it is dated in now */
	bool same_year = same_date && util_jint(before, "programme_id") ==
					      util_jint(row, "programme_id");

	if (before &&
	    closed(c, util_jint(before, "programme_id"),
		   util_jstr(before, "spent_on"), &was_closed, err) < 0)
		return -1;
	if (was_closed && booked(util_jstr(before, "status"))) {
		json_t *a = json_deep_copy(before), *b = json_deep_copy(row);
		bool same;

		json_object_del(a, "status");
		json_object_del(b, "status");
		same = json_equal(a, b);
		json_decref(a);
		json_decref(b);
		if (!same)
			return period_closed(
				err, util_jstr(before, "spent_on"),
				"its approved and paid costs do not change");
	}
	if (same_year)
		in_closed = was_closed;
	else if (closed(c, util_jint(row, "programme_id"), on, &in_closed,
			err) < 0)
		return -1;
	if (!in_closed)
		return 0;
	if (!before)
		return period_closed(err, on, "no cost is added to it");
	if (!same_date)
		return period_closed(err, on, "no cost is dated into it");
	if (!booked(util_jstr(before, "status")) &&
	    booked(util_jstr(row, "status")))
		return period_closed(err, on,
				     "no cost dated in it is approved");
	return 0;
}

/*
 * A declaration against a plan belongs to the plan's programme and needs an
 * approved plan; once approved, what it declares can no longer change. Only
 * a correction may be negative (and no amount is 0: F_NONZERO).
 */
static int expenditure_check(struct db_conn *c, json_t *row,
			     const json_t *before, struct npo_err *err)
{
	static const char *const locked[] = { "programme_id", "plan_id",
					      "amount_cents", "spent_on" };
	const json_t *plan_id = json_object_get(row, "plan_id");
	const char *changed;
	json_t *plan;
	int rc = 0;

	if (before && strcmp(util_jstr(before, "status"), "submitted") != 0 &&
	    (changed = validate_changed(row, before, locked, 4)))
		return err_set(err, NPO_E_LOCKED,
			       "expenditure %lld is %s; its %s can no longer "
			       "change",
			       (long long)util_jint(before, "id"),
			       util_jstr(before, "status"), changed);
	if (closed_year_check(c, row, before, err) < 0)
		return -1;
	if (json_is_integer(json_object_get(row, "corrects_id"))) {
		if (correction_check(c, row, before, err) < 0)
			return -1;
	} else if (util_jint(row, "amount_cents") < 0) {
		return validate_fail(err, "amount_cents", "range",
				     "must be more than 0; only a correction "
				     "(with corrects_id) is negative");
	}
	if (!json_is_integer(plan_id) ||
	    (before &&
	     json_equal(plan_id, json_object_get(before, "plan_id")) &&
	     json_equal(json_object_get(row, "programme_id"),
			json_object_get(before, "programme_id"))))
		return 0;
	if (store_get(c, &plan_resource, json_integer_value(plan_id), &plan,
		      err) < 0)
		return -1;
	if (util_jint(plan, "programme_id") != util_jint(row, "programme_id"))
		rc = validate_fail(err, "plan_id", "other_programme",
				   "belongs to programme %lld, not %lld",
				   (long long)util_jint(plan, "programme_id"),
				   (long long)util_jint(row, "programme_id"));
	else if (strcmp(util_jstr(plan, "status"), "approved") != 0)
		rc = err_set(err, NPO_E_PLAN_NOT_APPROVED,
			     "plan %lld is %s; costs are declared only against "
			     "an approved plan",
			     (long long)json_integer_value(plan_id),
			     util_jstr(plan, "status"));
	json_decref(plan);
	return rc;
}

/*
 * A correction that becomes approved changes what its original shows
 * (corrected_cents): the original gets a new version, so an ETag of it is no
 * longer current, and an audit row that says why.
 */
/* What an expenditure adds to the spent_cents of a plan: its amount while
 * it is approved or paid and has a plan (*plan: 0 when none). */
static int64_t spent_on_plan(const json_t *row, int64_t *plan)
{
	*plan = row && booked(util_jstr(row, "status"))
			? util_jint(row, "plan_id")
			: 0;
	return *plan ? util_jint(row, "amount_cents") : 0;
}

/* A plan shows what is spent on it: when that changes, so does its
 * version (and its ETag). */
static int touch_plans(struct db_conn *c, const json_t *row,
		       const json_t *before, struct npo_err *err)
{
	int64_t was_plan, plan;
	int64_t was = spent_on_plan(before, &was_plan);
	int64_t now = spent_on_plan(row, &plan);

	if (was_plan == plan && was == now)
		return 0;
	if (was_plan && store_touch(c, "plans", "id = ?", was_plan, err) < 0)
		return -1;
	if (plan && plan != was_plan &&
	    store_touch(c, "plans", "id = ?", plan, err) < 0)
		return -1;
	return 0;
}

static int expenditure_after_write(struct db_conn *c, const char *actor,
				   int64_t id, const json_t *row,
				   const json_t *before, struct npo_err *err)
{
	int64_t orig = util_jint(row, "corrects_id");
	json_t *was;
	char note[48];
	int rc;

	if (touch_plans(c, row, before, err) < 0)
		return -1;
	if (!orig || !booked(util_jstr(row, "status")) ||
	    (before && booked(util_jstr(before, "status"))))
		return 0;
	if (store_get(c, &expenditure_resource, orig, &was, err) < 0)
		return -1;
	snprintf(note, sizeof(note), "correction %lld", (long long)id);
	rc = write_store(c, &expenditure_resource, &orig, was, was, actor,
			 "update", note, NULL, err);
	json_decref(was);
	return rc;
}

/* A cost dated outside the spending period warns when this write dated it
 * there or made it count. */
static int expenditure_warnings(struct db_conn *c, int64_t id,
				const json_t *row, const json_t *before,
				json_t *warnings, struct npo_err *err)
{
	struct warning w;
	bool outside;

	if (before && strcmp(util_jstr(before, "status"), "rejected") != 0 &&
	    strcmp(util_jstr(before, "spent_on"), util_jstr(row, "spent_on")) ==
		    0)
		return 0;
	if (figures_outside_period(c, id, &outside, &w, err) < 0)
		return -1;
	if (outside)
		json_array_append_new(warnings, write_warning_json(&w));
	return 0;
}

/* A programme holds what is committed; a plan holds its declarations. */
static size_t expenditure_levels(const json_t *row, struct level *out,
				 size_t max)
{
	size_t n = 0;

	/* the most it writes */
	assert(max >= 2);
	out[n++] = (struct level){ LEVEL_PROGRAMME,
				   util_jint(row, "programme_id") };
	if (util_jint(row, "plan_id"))
		out[n++] =
			(struct level){ LEVEL_PLAN, util_jint(row, "plan_id") };
	return n;
}

const struct resource expenditure_resource = {
	.name = "expenditure",
	.table = "expenditures",
	.path = "/api/v1/expenditures",
	.fields = expenditure_fields,
	.nfields = ARRAY_SIZE(expenditure_fields),
	.check = expenditure_check,
	.levels = expenditure_levels,
	.after_write = expenditure_after_write,
	.warnings = expenditure_warnings,
	.workflow = &expenditure_workflow,
	.ops = OPS_CRUD | OP_MOVE,
	.by_municipality = IN_MUNICIPALITY_PROGRAMME,
	.by_school =
		"plan_id IN (SELECT id FROM plans WHERE school_id = :scope)",
	/* a school declares costs against its approved plans */
	.school_ops = OP_LIST | OP_GET | OP_CREATE,
};
