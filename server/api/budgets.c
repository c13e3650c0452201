/* Budgets (toekenningen) and the audit trail, as declared resources. */
#include <string.h>

#include "npo/api.h"
#include "npo/money.h"

/* A CBS municipality code: GM and four digits, e.g. GM0402 (Hilversum). */
static bool is_cbs_code(const char *s)
{
	return strlen(s) == 6 && strncmp(s, "GM", 2) == 0 &&
	       strspn(s + 2, "0123456789") == 4;
}

static const char *const overrun_policies[] = { "warn", "stop", NULL };

static const struct field budget_fields[] = {
	{ .name = "municipality_code", .type = FIELD_TEXT,
	  .flags = F_REQUIRED | F_FILTER, .min = 6, .max = 6,
	  .format = is_cbs_code,
	  .hint = "must be a CBS municipality code such as GM0402" },
	{ .name = "municipality_name", .type = FIELD_TEXT,
	  .flags = F_REQUIRED, .min = 1, .max = 200 },
	{ .name = "name", .type = FIELD_TEXT, .flags = F_REQUIRED, .min = 1,
	  .max = 200 },
	{ .name = "grant_cents", .type = FIELD_CENTS, .flags = F_REQUIRED,
	  .min = 0, .max = MONEY_MAX_CENTS },
	{ .name = "spend_from", .type = FIELD_DATE, .flags = F_REQUIRED },
	{ .name = "spend_until", .type = FIELD_DATE, .flags = F_REQUIRED },
	{ .name = "decision_ref", .type = FIELD_TEXT, .flags = F_NULLABLE,
	  .min = 0, .max = 500 },
	{ .name = "overrun_policy", .type = FIELD_ENUM, .flags = F_FILTER,
	  .choices = overrun_policies, .def = "warn",
	  .hint = "must be warn or stop" },
};

static int budget_check(struct db_conn *c, json_t *row, const json_t *before,
			struct npo_err *err)
{
	const char *from = json_string_value(json_object_get(row, "spend_from"));
	const char *until =
		json_string_value(json_object_get(row, "spend_until"));
	json_t *errors;

	(void)c;
	(void)before;
	if (strcmp(until, from) >= 0)
		return 0;
	errors = json_array();
	validate_add_error(errors, "spend_until", "range",
			   "must not be before spend_from");
	return err_set_new(err, json_pack("{s:o}", "errors", errors), 422,
			   "validation_failed",
			   "spend_until %s is before spend_from %s", until, from);
}

const struct resource budget_resource = {
	.name = "budget",
	.table = "budgets",
	.path = "/api/v1/budgets",
	.fields = budget_fields,
	.nfields = sizeof(budget_fields) / sizeof(budget_fields[0]),
	.check = budget_check,
};

/* The audit trail: read-only, stored before/after shown as JSON values. */
static const struct field audit_fields[] = {
	{ .name = "at", .type = FIELD_TIME },
	{ .name = "actor", .type = FIELD_TEXT, .flags = F_FILTER, .max = 64 },
	{ .name = "action", .type = FIELD_TEXT, .flags = F_FILTER, .max = 16 },
	{ .name = "entity", .type = FIELD_TEXT, .flags = F_FILTER, .max = 32 },
	{ .name = "entity_id", .type = FIELD_REF, .flags = F_FILTER, .min = 1,
	  .max = INT64_MAX },
	{ .name = "before", .type = FIELD_TEXT, .flags = F_NULLABLE },
	{ .name = "after", .type = FIELD_TEXT, .flags = F_NULLABLE },
};

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
	.nfields = sizeof(audit_fields) / sizeof(audit_fields[0]),
	.present = audit_present,
	.plain = true,
};
