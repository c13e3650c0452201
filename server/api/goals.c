/* Goals (bestedingsdoelen): the budget's spending goals and allocations. */
#include <assert.h>
#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field goal_fields[] = {
	{ .name = "budget_id", .type = FIELD_REF,
	  .flags = F_REQUIRED | F_FIXED | F_FILTER, .min = 1, .max = INT64_MAX,
	  .ref = "budgets" },
	{ .name = "code", .type = FIELD_TEXT, .flags = F_REQUIRED, .min = 1,
	  .max = 16 },
	{ .name = "name", .type = FIELD_TEXT, .flags = F_REQUIRED | F_SEARCH, .min = 1,
	  .max = 200 },
	{ .name = "allocated_cents", .type = FIELD_CENTS, .flags = F_REQUIRED,
	  .min = 0, .max = MONEY_MAX_CENTS },
};
/* clang-format on */

/* The grant holds the goals; a goal holds its programmes. */
static size_t goal_levels(const json_t *row, struct level *out, size_t max)
{
	size_t n = 0;

	/* the most it writes */
	assert(max >= 2);
	out[n++] = (struct level){ LEVEL_BUDGET, util_jint(row, "budget_id") };
	if (util_jint(row, "id"))
		out[n++] = (struct level){ LEVEL_GOAL, util_jint(row, "id") };
	return n;
}

const struct resource goal_resource = {
	.name = "goal",
	.table = "goals",
	.path = "/api/v1/goals",
	.fields = goal_fields,
	.nfields = ARRAY_SIZE(goal_fields),
	.levels = goal_levels,
	.ops = OPS_CRUD,
	.by_municipality = IN_MUNICIPALITY_BUDGET("budget_id"),
	.school_ops = OP_LIST | OP_GET,
};
