/*
 * Tokens over HTTP, for an unscoped admin: POST /api/v1/tokens makes one
 * (the secret is in the answer this once and stored only as its hash), GET
 * lists them without secrets, DELETE /api/v1/tokens/{name} revokes one. The
 * rules are those of the command line (auth_token_add).
 */
#include <stdio.h>
#include <string.h>

#include "npo/api.h"

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field token_fields[] = {
	{ .name = "name", .type = FIELD_TEXT, .flags = F_REQUIRED, .min = 1,
	  .max = AUTH_NAME_MAX },
	{ .name = "role", .type = FIELD_TEXT, .flags = F_REQUIRED, .min = 1,
	  .max = 16 },
	{ .name = "municipality_code", .type = FIELD_TEXT, .flags = F_NULLABLE,
	  .max = 16 },
	{ .name = "school_code", .type = FIELD_TEXT, .flags = F_NULLABLE,
	  .max = 16 },
	{ .name = "expires_at", .type = FIELD_TEXT, .flags = F_NULLABLE,
	  .max = 32 },
};
/* clang-format on */

void tokens_create(struct http_request *req)
{
	const json_t *body = http_body(req);
	json_t *errors = validate_body(token_fields, ARRAY_SIZE(token_fields),
				       body, true);
	struct npo_err err = { 0 };
	struct token_spec t = {
		.name = util_jstr(body, "name"),
		.role = util_jstr(body, "role"),
		.municipality_code = util_jstr(body, "municipality_code"),
		.school_code = util_jstr(body, "school_code"),
		.expires_at = util_jstr(body, "expires_at"),
	};
	char secret[AUTH_TOKEN_LEN + 1], location[128];
	json_t *row;

	if (errors) {
		err_set_new(&err, json_pack("{s:o}", "errors", errors),
			    NPO_E_VALIDATION_FAILED,
			    "a token needs a name and a role (see errors)");
		goto fail;
	}
	if (auth_token_add(http_db(req), &t, http_actor(req), secret, &row,
			   &err) < 0)
		goto fail;
	json_object_set_new(row, "token", json_string(secret));
	snprintf(location, sizeof(location), "/api/v1/tokens/%s", t.name);
	http_set_header(req, "Location", location);
	/* a token never changes: it is at its first version for good */
	http_set_header(req, "ETag", "\"1\"");
	/* the secret: never kept by a cache on the way */
	http_set_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 201, row);
	return;
fail:
	http_reply_err(req, &err);
	err_clear(&err);
}

void tokens_list(struct http_request *req)
{
	struct npo_err err = { 0 };
	json_t *items;

	if (auth_token_list(http_db(req), http_uses(req), &items, &err) < 0) {
		http_reply_err(req, &err);
		err_clear(&err);
		return;
	}
	http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

void tokens_delete(struct http_request *req)
{
	const char *name = strrchr(http_path(req), '/') + 1;
	struct npo_err err = { 0 };

	if (auth_token_revoke(http_db(req), name, http_actor(req), &err) < 0) {
		http_reply_err(req, &err);
		err_clear(&err);
		return;
	}
	http_reply_empty(req, 204);
}
