/* Expenditures (bestedingen, declaraties): costs booked on a programme,
 * optionally against a school's approved plan. */
#include <assert.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"
#include "npo/workflow.h"

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field expenditure_fields[] = {
	{ .name = "programme_id", .type = FIELD_REF,
	  .flags = F_REQUIRED | F_FILTER, .min = 1, .max = INT64_MAX,
	  .ref = "programmes" },
	{ .name = "plan_id", .type = FIELD_REF, .flags = F_NULLABLE | F_FILTER,
	  .min = 1, .max = INT64_MAX, .ref = "plans" },
	{ .name = "amount_cents", .type = FIELD_CENTS, .flags = F_REQUIRED,
	  .min = 1, .max = MONEY_MAX_CENTS },
	{ .name = "spent_on", .type = FIELD_DATE, .flags = F_REQUIRED },
	{ .name = "description", .type = FIELD_TEXT, .flags = F_REQUIRED,
	  .min = 1, .max = 500 },
	{ .name = "reference", .type = FIELD_TEXT, .flags = F_NULLABLE,
	  .max = 200 },
	{ .name = "status", .type = FIELD_ENUM, .flags = F_READONLY | F_FILTER,
	  .choices = expenditure_states, .def = "submitted",
	  .hint = "must be submitted, approved, rejected or paid" },
};
/* clang-format on */

/*
 * A declaration against a plan belongs to the plan's programme and needs an
 * approved plan; once approved, what it declares can no longer change.
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
	.workflow = &expenditure_workflow,
	.ops = OPS_CRUD | OP_MOVE,
};
