/*
 * Reallocations (herschikkingen): append-only transfers of money between two
 * goals or two programmes of one budget. Writing one moves the amounts in the
 * same transaction, never below what is committed or spent under the line
 * it takes from.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"
#include "npo/write.h"

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field reallocation_fields[] = {
	{ .name = "budget_id", .type = FIELD_REF, .flags = F_REQUIRED | F_FILTER,
	  .min = 1, .max = INT64_MAX, .ref = "budgets" },
	{ .name = "from", .type = FIELD_LINE, .flags = F_REQUIRED },
	{ .name = "to", .type = FIELD_LINE, .flags = F_REQUIRED },
	{ .name = "amount_cents", .type = FIELD_CENTS, .flags = F_REQUIRED,
	  .min = 1, .max = MONEY_MAX_CENTS },
	{ .name = "reason", .type = FIELD_TEXT, .flags = F_REQUIRED | F_SEARCH, .min = 1,
	  .max = 1000 },
	{ .name = "decision_ref", .type = FIELD_TEXT, .flags = F_NULLABLE,
	  .max = 500 },
	{ .name = "decided_on", .type = FIELD_DATE, .flags = F_REQUIRED },
};
/* clang-format on */

/* A line is a goal or a programme: its resource and its amount field. */
static bool is_goal(const json_t *line)
{
	return json_object_get(line, "goal_id") != NULL;
}

static int64_t line_id(const json_t *line)
{
	return util_jint(line, is_goal(line) ? "goal_id" : "programme_id");
}

static const struct resource *line_resource(const json_t *line)
{
	return is_goal(line) ? &goal_resource : &programme_resource;
}

static const char *line_amount(const json_t *line)
{
	return is_goal(line) ? "allocated_cents" : "budget_cents";
}

/*
 * The line named in field exists and belongs to budget. A programme's goal
 * is noted in row as "<field>_goal" (not a stored field), so that the goal
 * the money lands in is held to its allocation too.
 */
static int check_line(struct db_conn *c, json_t *row, const char *field,
		      const json_t *line, int64_t budget, struct npo_err *err)
{
	char goal_key[16];
	const struct resource *res = line_resource(line);
	json_t *line_row;
	int64_t owner;

	if (store_exists(c, res->table, line_id(line), err) < 1)
		return err->code
			       ? -1
			       : validate_fail(err, field, "not_found",
					       "there is no %s %lld", res->name,
					       (long long)line_id(line));
	if (store_get(c, res, line_id(line), &line_row, err) < 0)
		return -1;
	owner = util_jint(line_row, "budget_id");
	snprintf(goal_key, sizeof(goal_key), "%s_goal", field);
	if (!is_goal(line))
		json_object_set(row, goal_key,
				json_object_get(line_row, "goal_id"));
	json_decref(line_row);
	if (owner != budget)
		return validate_fail(err, field, "other_budget",
				     "%s %lld belongs to budget %lld",
				     res->name, (long long)line_id(line),
				     (long long)owner);
	return 0;
}

static int reallocation_check(struct db_conn *c, json_t *row,
			      const json_t *before, struct npo_err *err)
{
	const json_t *from = json_object_get(row, "from");
	const json_t *to = json_object_get(row, "to");
	int64_t budget = util_jint(row, "budget_id");
	int64_t move = util_jint(row, "amount_cents");
	int64_t amount, committed, spent, floor, sum;

	(void)before;
	if (is_goal(from) != is_goal(to))
		return validate_fail(err, "to", "kind",
				     "must name a %s, as from does",
				     is_goal(from) ? "goal" : "programme");
	if (line_id(from) == line_id(to))
		return validate_fail(err, "to", "same",
				     "must differ from from");
	if (check_line(c, row, "from", from, budget, err) < 0 ||
	    check_line(c, row, "to", to, budget, err) < 0 ||
	    figures_line(c, is_goal(to), line_id(to), &sum, &committed, &spent,
			 err) < 0)
		return -1;
	if (!money_add(&sum, move) || sum > MONEY_MAX_CENTS)
		return validate_fail(err, "amount_cents", "range",
				     "would take the receiving line beyond "
				     "the largest amount");
	if (figures_line(c, is_goal(from), line_id(from), &amount, &committed,
			 &spent, err) < 0)
		return -1;
	floor = committed > spent ? committed : spent;
	if (amount - move >= floor)
		return 0;
	return err_set_new(
		err,
		json_pack("{s:O, s:I, s:I, s:I, s:I}", "from", from,
			  "amount_cents", (json_int_t)amount, "committed_cents",
			  (json_int_t)committed, "spent_cents",
			  (json_int_t)spent, "asked_cents", (json_int_t)move),
		NPO_E_BELOW_COMMITTED,
		"%s %lld holds %lld cents of which %lld are committed and %lld "
		"spent; moving %lld would take it below that",
		line_resource(from)->name, (long long)line_id(from),
		(long long)amount, (long long)committed, (long long)spent,
		(long long)move);
}

/* Adds delta to the line's amount, as an audited update of that row (the
 * reallocation's own write checks the levels of both lines). */
static int shift(struct db_conn *c, const char *actor, const json_t *line,
		 int64_t delta, const char *note, struct npo_err *err)
{
	const struct resource *res = line_resource(line);
	int64_t id = line_id(line);
	json_t *before = NULL, *row;
	int rc;

	if (store_get(c, res, id, &before, err) < 0)
		return -1;
	row = json_deep_copy(before);
	json_object_set_new(
		row, line_amount(line),
		json_integer(util_jint(before, line_amount(line)) + delta));
	rc = write_store(c, res, &id, before, row, actor, "update", note, NULL,
			 err);
	json_decref(row);
	json_decref(before);
	return rc;
}

static int reallocation_apply(struct db_conn *c, const char *actor, int64_t id,
			      const json_t *row, const json_t *before,
			      struct npo_err *err)
{
	(void)before; /* append-only: always a create */
	int64_t move = util_jint(row, "amount_cents");
	char note[64];

	snprintf(note, sizeof(note), "reallocation %lld", (long long)id);
	if (shift(c, actor, json_object_get(row, "from"), -move, note, err) < 0)
		return -1;
	return shift(c, actor, json_object_get(row, "to"), move, note, err);
}

/* Both lines are levels, and the goals of programme lines: the one that
 * receives must still fit in its parent. */
static size_t reallocation_levels(const json_t *row, struct level *out,
				  size_t max)
{
	static const char *const fields[] = { "from", "to" };
	static const char *const goals[] = { "from_goal", "to_goal" };
	size_t n = 0;

	/* the most it writes */
	assert(max >= 4);
	for (int i = 0; i < 2; i++) {
		const json_t *line = json_object_get(row, fields[i]);

		out[n++] = (struct level){ is_goal(line) ? LEVEL_GOAL
							 : LEVEL_PROGRAMME,
					   line_id(line) };
		if (util_jint(row, goals[i]))
			out[n++] = (struct level){ LEVEL_GOAL,
						   util_jint(row, goals[i]) };
	}
	return n;
}

const struct resource reallocation_resource = {
	.name = "reallocation",
	.table = "reallocations",
	.path = "/api/v1/reallocations",
	.fields = reallocation_fields,
	.nfields = ARRAY_SIZE(reallocation_fields),
	.check = reallocation_check,
	.levels = reallocation_levels,
	.after_write = reallocation_apply,
	.ops = OP_LIST | OP_CREATE | OP_GET,
	.by_municipality = IN_MUNICIPALITY_BUDGET("budget_id"),
};
