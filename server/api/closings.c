/*
 * Closed years (jaarafsluiting): POST and GET /api/v1/budgets/{id}/closings.
 * A calendar year of a budget is closed once the annual accounts are final;
 * the closing keeps the accountability report of that year as it was, and
 * from then on the costs of that year cannot change (expenditures.c).
 * Append-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/write.h"

/* the declaration: a field a line or two */
/* clang-format off */
static const struct field closing_fields[] = {
	{ .name = "budget_id", .type = FIELD_REF,
	  .flags = F_REQUIRED | F_FIXED | F_FILTER, .min = 1, .max = INT64_MAX,
	  .ref = "budgets" },
	{ .name = "year", .type = FIELD_INT, .flags = F_REQUIRED | F_FIXED,
	  .min = 1900, .max = 9999 },
	{ .name = "closed_at", .type = FIELD_TIME, .flags = F_READONLY },
	{ .name = "closed_by", .type = FIELD_TEXT, .flags = F_FIXED, .min = 1,
	  .max = 64 },
	{ .name = "note", .type = FIELD_TEXT, .flags = F_NULLABLE, .max = 2000 },
	{ .name = "report", .type = FIELD_TEXT, .flags = F_READONLY },
};
/* What a client gives. */
static const struct field asked[] = {
	{ .name = "year", .type = FIELD_INT, .flags = F_REQUIRED, .min = 1900,
	  .max = 9999 },
	{ .name = "note", .type = FIELD_TEXT, .flags = F_NULLABLE, .max = 2000 },
};
/* clang-format on */

/*
 * The rules of closing, in this order: the year has ended (422
 * year_not_ended), lies within the budget's years (422 naming year), is not
 * closed yet (409 duplicate), and the year before is closed or lies before
 * spend_from (409 previous_year_open). Then the report is kept with it.
 */
static int closing_check(struct db_conn *c, json_t *row, const json_t *before,
			 struct npo_err *err)
{
	int64_t budget = util_jint(row, "budget_id");
	int year = (int)util_jint(row, "year");
	struct accountability r;
	json_t *b = NULL, *report;
	char now[21], *text;
	bool closed;
	int rc = -1;

	(void)before;
	util_now_iso(now);
	if (year >= (int)strtol(now, NULL, 10))
		return err_set(err, NPO_E_YEAR_NOT_ENDED,
			       "%d has not ended yet; close it from 1 January "
			       "%d on",
			       year, year + 1);
	if (store_get(c, &budget_resource, budget, &b, err) < 0 ||
	    figures_accountability(c, budget, year, &r, err) < 0)
		goto out;
	if (figures_year_closed(c, false, budget, year, &closed, NULL, err) < 0)
		goto out_r;
	if (closed) {
		err_set(err, NPO_E_DUPLICATE, "%d is closed already", year);
		goto out_r;
	}
	if (year > (int)strtol(util_jstr(b, "spend_from"), NULL, 10)) {
		if (figures_year_closed(c, false, budget, year - 1, &closed,
					NULL, err) < 0)
			goto out_r;
		if (!closed) {
			err_set(err, NPO_E_PREVIOUS_YEAR_OPEN,
				"%d is still open; close the years in order",
				year - 1);
			goto out_r;
		}
	}
	report = accountability_json(&r, b);
	json_object_set_new(report, "closed", json_true());
	json_object_set_new(report, "closed_at", json_string(now));
	text = json_dumps(report, JSON_COMPACT);
	json_decref(report);
	if (!text) {
		err_set(err, NPO_E_INTERNAL, "out of memory");
		goto out_r;
	}
	json_object_set_new(row, "report", json_string(text));
	json_object_set_new(row, "closed_at", json_string(now));
	free(text);
	rc = 0;
out_r:
	figures_accountability_free(&r);
out:
	json_decref(b);
	return rc;
}

/* The report is stored as JSON text and shown as the object it is. */
static void closing_present(json_t *row)
{
	json_t *report = json_loads(util_jstr(row, "report"), 0, NULL);

	if (report)
		json_object_set_new(row, "report", report);
}

const struct resource closing_resource = {
	.name = "closing",
	.table = "closings",
	.path = "/api/v1/closings",
	.fields = closing_fields,
	.nfields = ARRAY_SIZE(closing_fields),
	.check = closing_check,
	.present = closing_present,
	/* its routes are under its budget, below */
	.ops = 0,
	.by_municipality = IN_MUNICIPALITY_BUDGET("budget_id"),
};

/* The budget of the path exists; else 404 in err and -1. */
static int budget_of(struct http_request *req, struct npo_err *err)
{
	int rc = store_exists(http_db(req), "budgets", http_id(req), err);

	if (rc == 0)
		err_set(err, NPO_E_NOT_FOUND, "there is no budget %lld",
			(long long)http_id(req));
	return rc == 1 ? 0 : -1;
}

void closings_create(struct http_request *req)
{
	const json_t *body = http_body(req);
	json_t *errors = validate_body(asked, ARRAY_SIZE(asked), body, true);
	struct npo_err err = { 0 };
	struct write_result out;
	json_t *row;
	char location[96];
	int rc;

	if (errors) {
		err_set_new(
			&err, json_pack("{s:o}", "errors", errors),
			NPO_E_VALIDATION_FAILED,
			"the body must name the year (and may hold a note)");
		goto fail;
	}
	if (budget_of(req, &err) < 0)
		goto fail;
	row = json_pack("{s:I, s:O, s:O, s:s}", "budget_id",
			(json_int_t)http_id(req), "year",
			json_object_get(body, "year"), "note",
			json_object_get(body, "note")
				? json_object_get(body, "note")
				: json_null(),
			"closed_by", http_actor(req));
	rc = write_apply(http_db(req),
			 &(struct write){ .res = &closing_resource,
					  .op = WRITE_CREATE,
					  .body = row,
					  .actor = http_actor(req) },
			 &out, &err);
	json_decref(row);
	if (rc < 0)
		goto fail;
	snprintf(location, sizeof(location), "/api/v1/budgets/%lld/closings",
		 (long long)http_id(req));
	http_set_header(req, "Location", location);
	snprintf(location, sizeof(location), "\"%lld\"",
		 (long long)util_jint(out.row, "version"));
	http_set_header(req, "ETag", location);
	http_reply_json(req, 201, json_incref(out.row));
	write_result_free(&out);
	return;
fail:
	http_reply_err(req, &err);
	err_clear(&err);
}

void closings_list(struct http_request *req)
{
	struct store_filter filter = {
		.field = validate_find(closing_fields,
				       ARRAY_SIZE(closing_fields), "budget_id")
	};
	struct npo_err err = { 0 };
	json_t *items = NULL;
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)http_id(req));
	filter.value = id;
	if (budget_of(req, &err) < 0)
		goto fail;
	if (store_list(http_db(req), &closing_resource, &filter, 1, 0, 1000,
		       &items, NULL, &err) < 0)
		goto fail;
	http_reply_json(req, 200, json_pack("{s:o}", "items", items));
	return;
fail:
	http_reply_err(req, &err);
	err_clear(&err);
}
