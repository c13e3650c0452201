/* Plans (bestedingsplannen): what a school intends to do with money from
 * one programme in one school year, and its approval. */
#include <assert.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"
#include "npo/workflow.h"

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field plan_fields[] = {
	{ .name = "programme_id", .type = FIELD_REF,
	  .flags = F_REQUIRED | F_FILTER, .min = 1, .max = INT64_MAX,
	  .ref = "programmes" },
	{ .name = "programme_name", .type = FIELD_TEXT,
	  .flags = F_READONLY | F_SEARCH, .computed = PROGRAMME_NAME("plans") },
	{ .name = "school_id", .type = FIELD_REF, .flags = F_REQUIRED | F_FILTER,
	  .min = 1, .max = INT64_MAX, .ref = "schools" },
	{ .name = "school_code", .type = FIELD_TEXT,
	  .flags = F_READONLY | F_SEARCH,
	  .computed = "SELECT code FROM schools WHERE id = plans.school_id" },
	{ .name = "school_name", .type = FIELD_TEXT,
	  .flags = F_READONLY | F_SEARCH,
	  .computed = "SELECT name FROM schools WHERE id = plans.school_id" },
	{ .name = "school_year", .type = FIELD_TEXT,
	  .flags = F_REQUIRED | F_FILTER, .min = 9, .max = 9,
	  .format = validate_school_year,
	  .hint = "must be a school year such as 2024-2025" },
	{ .name = "title", .type = FIELD_TEXT, .flags = F_REQUIRED | F_SEARCH,
	  .min = 1, .max = 200 },
	{ .name = "requested_cents", .type = FIELD_CENTS, .flags = F_REQUIRED,
	  .min = 0, .max = MONEY_MAX_CENTS },
	{ .name = "approved_cents", .type = FIELD_CENTS,
	  .flags = F_READONLY | F_NULLABLE, .min = 0, .max = MONEY_MAX_CENTS },
	{ .name = "settled_cents", .type = FIELD_CENTS,
	  .flags = F_READONLY | F_NULLABLE, .min = 0, .max = MONEY_MAX_CENTS },
	{ .name = "status", .type = FIELD_ENUM, .flags = F_READONLY | F_FILTER,
	  .choices = plan_states, .def = "draft" },
	{ .name = "submitted_at", .type = FIELD_TIME,
	  .flags = F_READONLY | F_NULLABLE },
	{ .name = "decided_at", .type = FIELD_TIME,
	  .flags = F_READONLY | F_NULLABLE },
	{ .name = "note", .type = FIELD_TEXT, .flags = F_NULLABLE | F_SEARCH,
	  .max = 2000 },
	{ .name = "budget_id", .type = FIELD_REF, .flags = F_READONLY | F_FILTER,
	  .min = 1, .max = INT64_MAX, .computed = PROGRAMME_BUDGET("plans") },
	{ .name = "spent_cents", .type = FIELD_CENTS, .flags = F_READONLY | F_FILTER,
	  .min = -MONEY_MAX_CENTS, .max = MONEY_MAX_CENTS,
	  .computed = PLAN_SPENT("plans") },
	{ .name = "open_cents", .type = FIELD_CENTS, .flags = F_READONLY | F_FILTER,
	  .min = 0, .max = MONEY_MAX_CENTS, .computed = PLAN_OPEN("plans") },
};
/* clang-format on */

/* Once decided, only title and note may change. */
static int plan_check(struct db_conn *c, json_t *row, const json_t *before,
		      struct npo_err *err)
{
	static const char *const locked[] = { "programme_id", "school_id",
					      "school_year",
					      "requested_cents" };
	const char *status, *changed;

	if (!before)
		return 0;
	/* settled without an amount: what was spent on it, at most what was
	 * approved */
	if (strcmp(util_jstr(row, "status"), "settled") == 0 &&
	    json_is_null(json_object_get(row, "settled_cents"))) {
		int64_t spent;

		if (figures_plan_spent(c, util_jint(row, "id"), &spent, err) <
		    0)
			return -1;
		if (spent > util_jint(row, "approved_cents"))
			spent = util_jint(row, "approved_cents");
		json_object_set_new(row, "settled_cents",
				    json_integer(spent > 0 ? spent : 0));
	}
	status = util_jstr(before, "status");
	if (strcmp(status, "draft") == 0 || strcmp(status, "submitted") == 0)
		return 0;
	changed = validate_changed(row, before, locked, 4);
	if (changed)
		return err_set(err, NPO_E_LOCKED,
			       "plan %lld is %s; its %s can no longer change",
			       (long long)util_jint(before, "id"), status,
			       changed);
	return 0;
}

/* A move's body may name approved_cents (for the approval) and
 * settled_cents (for the settlement). */
/* the declaration: a field a line or two */
/* clang-format off */
static const struct field plan_move_fields[] = {
	{ .name = "approved_cents", .type = FIELD_CENTS, .min = 0,
	  .max = MONEY_MAX_CENTS },
	{ .name = "settled_cents", .type = FIELD_CENTS, .min = 0,
	  .max = MONEY_MAX_CENTS },
};
/* clang-format on */

/* Approval sets approved_cents (at most requested) and decided_at;
 * settlement sets settled_cents (at most approved). */
static int plan_on_move(json_t *row, const char *to, const json_t *body,
			struct npo_err *err)
{
	const json_t *approved = json_object_get(body, "approved_cents");
	const json_t *settled = json_object_get(body, "settled_cents");
	const char *note = util_jstr(body, "note");
	char now[21];

	util_now_iso(now);
	if (strcmp(to, "approved") == 0) {
		if (!approved)
			return validate_fail(err, "approved_cents", "required",
					     "is required when approving");
		if (json_integer_value(approved) >
		    util_jint(row, "requested_cents"))
			return validate_fail(
				err, "approved_cents", "range",
				"must not exceed requested_cents (%lld)",
				(long long)util_jint(row, "requested_cents"));
		json_object_set(row, "approved_cents", (json_t *)approved);
	} else if (approved) {
		return validate_fail(err, "approved_cents", "not_allowed",
				     "is only given when approving");
	}
	if (strcmp(to, "settled") == 0) {
		/* the vaststelling: at most what was approved; without it,
		 * plan_check takes what was spent */
		if (settled && json_integer_value(settled) >
				       util_jint(row, "approved_cents"))
			return validate_fail(
				err, "settled_cents", "range",
				"must not exceed approved_cents (%lld)",
				(long long)util_jint(row, "approved_cents"));
		json_object_set_new(row, "settled_cents",
				    settled ? json_incref((json_t *)settled)
					    : json_null());
	} else if (settled) {
		return validate_fail(err, "settled_cents", "not_allowed",
				     "is only given when settling");
	}
	if (strcmp(to, "submitted") == 0)
		json_object_set_new(row, "submitted_at", json_string(now));
	if (strcmp(to, "approved") == 0 || strcmp(to, "rejected") == 0)
		json_object_set_new(row, "decided_at", json_string(now));
	if (note)
		json_object_set_new(row, "note", json_string(note));
	return 0;
}

/* A programme holds its approved plans; a plan holds its declarations. */
static size_t plan_levels(const json_t *row, struct level *out, size_t max)
{
	size_t n = 0;

	/* the most it writes */
	assert(max >= 2);
	out[n++] = (struct level){ LEVEL_PROGRAMME,
				   util_jint(row, "programme_id") };
	if (util_jint(row, "id"))
		out[n++] = (struct level){ LEVEL_PLAN, util_jint(row, "id") };
	return n;
}

static const char *const plan_school_moves[] = { "submitted", "withdrawn",
						 NULL };

const struct resource plan_resource = {
	.name = "plan",
	.table = "plans",
	.path = "/api/v1/plans",
	.fields = plan_fields,
	.nfields = ARRAY_SIZE(plan_fields),
	.check = plan_check,
	.levels = plan_levels,
	.workflow = &plan_workflow,
	.on_move = plan_on_move,
	.move_fields = plan_move_fields,
	.nmove_fields = ARRAY_SIZE(plan_move_fields),
	.ops = OPS_CRUD | OP_MOVE,
	.by_municipality = IN_MUNICIPALITY_PROGRAMME,
	.by_school = "school_id = :scope",
	/* a school drafts its plans, submits or withdraws them */
	.school_ops = OPS_CRUD | OP_MOVE,
	.school_moves = plan_school_moves,
};
