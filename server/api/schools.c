/* Schools (vestigingen), by DUO vestigingsnummer. */
#include <string.h>

#include "npo/api.h"

/* BRIN (four digits or capitals) and a two-digit location, e.g. 25GH00. */
static bool is_school_code(const char *s)
{
	return strlen(s) == 6 &&
	       strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") >= 4 &&
	       strspn(s + 4, "0123456789") == 2;
}

static const char *const sectors[] = { "vve", "po", "sbo", "so",
				       "vso", "vo", "pro", NULL };

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field school_fields[] = {
	{ .name = "code", .type = FIELD_TEXT, .flags = F_REQUIRED | F_FILTER | F_SEARCH,
	  .min = 6, .max = 6, .format = is_school_code,
	  .hint = "must be a vestigingsnummer: BRIN and two digits, e.g. 25GH00" },
	{ .name = "name", .type = FIELD_TEXT, .flags = F_REQUIRED | F_SEARCH, .min = 1,
	  .max = 200 },
	{ .name = "sector", .type = FIELD_ENUM, .flags = F_REQUIRED | F_FILTER,
	  .choices = sectors },
	{ .name = "municipality_code", .type = FIELD_TEXT,
	  .flags = F_REQUIRED | F_FILTER, .min = 6, .max = 6,
	  .format = validate_cbs_code,
	  .hint = "must be a CBS municipality code such as GM0406" },
};
/* clang-format on */

/* Plans and the expenditures on them show the school's code and name. */
static int school_after_write(struct db_conn *c, const char *actor, int64_t id,
			      const json_t *row, const json_t *before,
			      struct npo_err *err)
{
	(void)actor;
	if (!before || (json_equal(json_object_get(row, "name"),
				   json_object_get(before, "name")) &&
			json_equal(json_object_get(row, "code"),
				   json_object_get(before, "code"))))
		return 0;
	return store_touch(c, "plans", "school_id = ?", id, err) < 0 ||
			       store_touch(c, "expenditures",
					   "plan_id IN (SELECT id FROM plans"
					   " WHERE school_id = ?)",
					   id, err) < 0
		       ? -1
		       : 0;
}

const struct resource school_resource = {
	.name = "school",
	.table = "schools",
	.path = "/api/v1/schools",
	.fields = school_fields,
	.nfields = ARRAY_SIZE(school_fields),
	.after_write = school_after_write,
	.ops = OPS_CRUD,
	.by_municipality = "municipality_code = :scope",
	.by_school = "id = :scope",
	.school_ops = OP_LIST | OP_GET,
};
