/*
 * POST /api/v1/imports/expenditures and /api/v1/imports/schools: a CSV body
 * through the import job (jobs/import.c), in the token's scope. 201 with what
 * was created, updated, unchanged and skipped; 200 for ?dry_run=true, which
 * counts what would be and writes nothing.
 */
#include <string.h>

#include "npo/api.h"
#include "npo/jobs.h"

struct import_query {
	struct import_opts o;
	struct npo_err *err;
};

static int import_arg(void *arg, const char *key, const char *value)
{
	struct import_query *q = arg;

	if (strcmp(key, "dry_run") == 0) {
		if (strcmp(value, "true") && strcmp(value, "false"))
			return err_set(q->err, NPO_E_BAD_QUERY,
				       "dry_run must be true or false");
		q->o.dry_run = value[0] == 't';
	} else if (q->o.kind == IMPORT_SCHOOLS && strcmp(key, "sector") == 0) {
		q->o.sector = value;
	} else if (q->o.kind == IMPORT_SCHOOLS &&
		   strcmp(key, "municipality_code") == 0) {
		if (!validate_cbs_code(value))
			return err_set(q->err, NPO_E_BAD_QUERY,
				       "municipality_code must be a CBS code "
				       "such as GM0406");
		q->o.municipality = value;
	} else {
		return err_set(q->err, NPO_E_BAD_QUERY,
			       "unknown query parameter %s", key);
	}
	return 0;
}

static void import(struct http_request *req, enum import_kind kind)
{
	struct npo_err err = { 0 };
	struct import_query q = {
		.o = { .kind = kind, .actor = http_actor(req) }, .err = &err
	};
	struct import_counts n;
	const char *text;
	size_t len;
	json_t *answer;

	if (http_query_foreach(req, import_arg, &q) != 0)
		goto fail;
	text = http_body_text(req, &len);
	q.o.warnings = json_array();
	if (import_run(http_db(req), &q.o, text ? text : "", len, &n, &err) < 0)
		goto fail;
	answer = json_pack("{s:I, s:I, s:I, s:I, s:b}", "created",
			   (json_int_t)n.created, "updated",
			   (json_int_t)n.updated, "unchanged",
			   (json_int_t)n.unchanged, "skipped",
			   (json_int_t)n.skipped, "dry_run", q.o.dry_run);
	/* what the rows caused under warn, as a single write names it */
	if (json_array_size(q.o.warnings))
		json_object_set(answer, "warnings", q.o.warnings);
	json_decref(q.o.warnings);
	http_reply_json(req, q.o.dry_run ? 200 : 201, answer);
	return;
fail:
	json_decref(q.o.warnings);
	http_reply_err(req, &err);
	err_clear(&err);
}

void imports_expenditures(struct http_request *req)
{
	import(req, IMPORT_EXPENDITURES);
}

void imports_schools(struct http_request *req)
{
	import(req, IMPORT_SCHOOLS);
}
