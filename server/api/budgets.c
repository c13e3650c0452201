/* Budgets (toekenningen) and the audit trail, as declared resources. */
#include <assert.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"

static const char *const overrun_policies[] = { "warn", "stop", NULL };

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field budget_fields[] = {
	{ .name = "municipality_code", .type = FIELD_TEXT,
	  .flags = F_REQUIRED | F_FILTER, .min = 6, .max = 6,
	  .format = validate_cbs_code,
	  .hint = "must be a CBS municipality code such as GM0402" },
	{ .name = "municipality_name", .type = FIELD_TEXT,
	  .flags = F_REQUIRED | F_SEARCH, .min = 1, .max = 200 },
	{ .name = "name", .type = FIELD_TEXT, .flags = F_REQUIRED | F_SEARCH, .min = 1,
	  .max = 200 },
	{ .name = "grant_cents", .type = FIELD_CENTS, .flags = F_REQUIRED,
	  .min = 0, .max = MONEY_MAX_CENTS },
	{ .name = "spend_from", .type = FIELD_DATE, .flags = F_REQUIRED },
	{ .name = "spend_until", .type = FIELD_DATE, .flags = F_REQUIRED },
	{ .name = "decision_ref", .type = FIELD_TEXT, .flags = F_NULLABLE,
	  .min = 0, .max = 500 },
	{ .name = "overrun_policy", .type = FIELD_ENUM, .flags = F_FILTER,
	  .choices = overrun_policies, .def = "warn" },
};
/* clang-format on */

static int budget_check(struct db_conn *c, json_t *row, const json_t *before,
			struct npo_err *err)
{
	const char *from = util_jstr(row, "spend_from");

	(void)c;
	(void)before;
	if (strcmp(util_jstr(row, "spend_until"), from) >= 0)
		return 0;
	return validate_fail(err, "spend_until", "range",
			     "must not be before spend_from (%s)", from);
}

/* The grant holds the goals. */
static size_t budget_levels(const json_t *row, struct level *out, size_t max)
{
	/* the most it writes */
	assert(max >= 1);
	if (!util_jint(row, "id"))
		return 0;
	out[0] = (struct level){ LEVEL_BUDGET, util_jint(row, "id") };
	return 1;
}

const struct resource budget_resource = {
	.name = "budget",
	.table = "budgets",
	.path = "/api/v1/budgets",
	.fields = budget_fields,
	.nfields = ARRAY_SIZE(budget_fields),
	.check = budget_check,
	.levels = budget_levels,
	.ops = OPS_CRUD,
	.by_municipality = "municipality_code = :scope",
	.school_ops = OP_LIST | OP_GET,
};

/* The audit trail: read-only, stored before/after shown as JSON values. */

/* The budget an audit row is about: the budget itself, or the one its row
 * (as it was after, or before a delete) names, or names through its
 * programme. NULL for tokens. */
#define AUDIT_ROW "coalesce(audit.after, audit.before)"
#define AUDIT_BUDGET                                                     \
	"SELECT CASE audit.entity WHEN 'budget' THEN audit.entity_id"    \
	" WHEN 'token' THEN NULL ELSE coalesce(json_extract(" AUDIT_ROW  \
	", '$.budget_id'), (SELECT budget_id FROM programmes WHERE id =" \
	" json_extract(" AUDIT_ROW ", '$.programme_id'))) END"
/* the declaration: a field a line or two */
/* clang-format off */
static const struct field audit_fields[] = {
	{ .name = "at", .type = FIELD_TIME, .from = "since", .until = "until" },
	{ .name = "actor", .type = FIELD_TEXT, .flags = F_FILTER, .max = 64 },
	{ .name = "action", .type = FIELD_TEXT, .flags = F_FILTER, .max = 16 },
	{ .name = "entity", .type = FIELD_TEXT, .flags = F_FILTER, .max = 32 },
	{ .name = "entity_id", .type = FIELD_REF, .flags = F_FILTER, .min = 1,
	  .max = INT64_MAX },
	{ .name = "before", .type = FIELD_TEXT, .flags = F_NULLABLE },
	{ .name = "after", .type = FIELD_TEXT, .flags = F_NULLABLE },
	{ .name = "note", .type = FIELD_TEXT, .flags = F_NULLABLE | F_SEARCH },
	{ .name = "scope", .type = FIELD_TEXT, .flags = F_NULLABLE | F_FILTER,
	  .max = 32 },
	{ .name = "budget_id", .type = FIELD_REF,
	  .flags = F_READONLY | F_NULLABLE | F_FILTER, .min = 1,
	  .max = INT64_MAX, .computed = AUDIT_BUDGET },
};
/* clang-format on */

static void audit_present(json_t *row)
{
	static const char *const keys[] = { "before", "after" };

	for (int i = 0; i < 2; i++) {
		const char *text =
			json_string_value(json_object_get(row, keys[i]));

		if (text)
			json_object_set_new(row, keys[i],
					    json_loads(text, 0, NULL));
	}
}

const struct resource audit_resource = {
	.name = "audit entry",
	.table = "audit",
	.path = "/api/v1/audit",
	.fields = audit_fields,
	.nfields = ARRAY_SIZE(audit_fields),
	.present = audit_present,
	.plain = true,
	.ops = OP_LIST,
	.read_role = ROLE_ADMIN,
};
