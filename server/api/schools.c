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
	{ .name = "code", .type = FIELD_TEXT, .flags = F_REQUIRED | F_FILTER,
	  .min = 6, .max = 6, .format = is_school_code,
	  .hint = "must be a vestigingsnummer: BRIN and two digits, e.g. 25GH00" },
	{ .name = "name", .type = FIELD_TEXT, .flags = F_REQUIRED, .min = 1,
	  .max = 200 },
	{ .name = "sector", .type = FIELD_ENUM, .flags = F_REQUIRED | F_FILTER,
	  .choices = sectors,
	  .hint = "must be one of vve, po, sbo, so, vso, vo, pro" },
	{ .name = "municipality_code", .type = FIELD_TEXT,
	  .flags = F_REQUIRED | F_FILTER, .min = 6, .max = 6,
	  .format = validate_cbs_code,
	  .hint = "must be a CBS municipality code such as GM0406" },
};
/* clang-format on */

const struct resource school_resource = {
	.name = "school",
	.table = "schools",
	.path = "/api/v1/schools",
	.fields = school_fields,
	.nfields = ARRAY_SIZE(school_fields),
	.ops = OPS_CRUD,
};
