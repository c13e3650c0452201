/* Programmes (uitvoeringsprogramma's): lines of execution under a goal. */
#include <assert.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"
#include "npo/workflow.h"

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field programme_fields[] = {
	{ .name = "goal_id", .type = FIELD_REF, .flags = F_REQUIRED | F_FILTER,
	  .min = 1, .max = INT64_MAX, .ref = "goals" },
	{ .name = "budget_id", .type = FIELD_REF, .flags = F_READONLY | F_FILTER,
	  .min = 1, .max = INT64_MAX },
	{ .name = "name", .type = FIELD_TEXT, .flags = F_REQUIRED | F_SEARCH, .min = 1,
	  .max = 200 },
	{ .name = "partner", .type = FIELD_TEXT, .flags = F_NULLABLE | F_SEARCH,
	  .max = 200 },
	{ .name = "owner", .type = FIELD_TEXT, .flags = F_NULLABLE | F_SEARCH,
	  .max = 200 },
	{ .name = "budget_cents", .type = FIELD_CENTS, .flags = F_REQUIRED,
	  .min = 0, .max = MONEY_MAX_CENTS },
	{ .name = "starts_on", .type = FIELD_DATE, .flags = F_NULLABLE },
	{ .name = "ends_on", .type = FIELD_DATE, .flags = F_NULLABLE },
	{ .name = "status", .type = FIELD_ENUM, .flags = F_READONLY | F_FILTER,
	  .choices = programme_states, .def = "planned" },
	{ .name = "decision_ref", .type = FIELD_TEXT, .flags = F_NULLABLE,
	  .max = 500 },
};
/* clang-format on */

/* budget_id follows the goal, which must stay in the same budget. */
static int programme_check(struct db_conn *c, json_t *row, const json_t *before,
			   struct npo_err *err)
{
	const char *starts = util_jstr(row, "starts_on");
	const char *ends = util_jstr(row, "ends_on");
	json_t *goal;
	int64_t budget;

	if (starts && ends && strcmp(ends, starts) < 0)
		return validate_fail(err, "ends_on", "range",
				     "must not be before starts_on (%s)",
				     starts);
	if (store_get(c, &goal_resource, util_jint(row, "goal_id"), &goal,
		      err) < 0)
		return -1;
	budget = util_jint(goal, "budget_id");
	json_decref(goal);
	if (before && budget != util_jint(before, "budget_id"))
		return validate_fail(err, "goal_id", "other_budget",
				     "belongs to budget %lld, not to this "
				     "programme's budget %lld",
				     (long long)budget,
				     (long long)util_jint(before, "budget_id"));
	json_object_set_new(row, "budget_id", json_integer(budget));
	return 0;
}

/* Plans and expenditures show the programme's name. */
static int programme_after_write(struct db_conn *c, const char *actor,
				 int64_t id, const json_t *row,
				 const json_t *before, struct npo_err *err)
{
	(void)actor;
	if (!before || json_equal(json_object_get(row, "name"),
				  json_object_get(before, "name")))
		return 0;
	return store_touch(c, "plans", "programme_id = ?", id, err) < 0 ||
			       store_touch(c, "expenditures",
					   "programme_id = ?", id, err) < 0
		       ? -1
		       : 0;
}

/* A goal holds its programmes; a programme holds its commitments. */
static size_t programme_levels(const json_t *row, struct level *out, size_t max)
{
	size_t n = 0;

	/* the most it writes */
	assert(max >= 2);
	out[n++] = (struct level){ LEVEL_GOAL, util_jint(row, "goal_id") };
	if (util_jint(row, "id"))
		out[n++] =
			(struct level){ LEVEL_PROGRAMME, util_jint(row, "id") };
	return n;
}

const struct resource programme_resource = {
	.name = "programme",
	.table = "programmes",
	.path = "/api/v1/programmes",
	.fields = programme_fields,
	.nfields = ARRAY_SIZE(programme_fields),
	.after_write = programme_after_write,
	.check = programme_check,
	.levels = programme_levels,
	.workflow = &programme_workflow,
	.ops = OPS_CRUD | OP_MOVE,
	.by_municipality = IN_MUNICIPALITY_BUDGET("budget_id"),
	.school_ops = OP_LIST | OP_GET,
};
