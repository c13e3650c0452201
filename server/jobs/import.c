/*
 * Imports (jobs.h): costs from the ledger and schools from DUO's register,
 * from CSV, all or nothing in one transaction, each row through the one
 * write path (so every rule, level, closed year, scope and audit row
 * applies, with note "import"), idempotent on a cost's reference and a
 * school's code.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/jobs.h"
#include "npo/money.h"
#include "npo/resource.h"
#include "npo/scope.h"
#include "npo/store.h"
#include "npo/write.h"

#define MAX_ERRORS 100
#define MAX_COLS 64
#define NOTE "import"

struct import {
	struct db_conn *c;
	const struct import_opts *o;
	struct import_counts *n;
	json_t *errors; /* [{row, field, code, message}], at most MAX_ERRORS */
	size_t nerrors; /* all of them, also those not kept */
	size_t row;	/* 1: the first line after the header */
	int col[MAX_COLS]; /* the column each header cell names, or -1 */
	size_t ncols;
};

static void row_error(struct import *im, const char *field, const char *code,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void row_error(struct import *im, const char *field, const char *code,
		      const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (im->nerrors++ >= MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(im->errors,
			      json_pack("{s:I, s:s, s:s, s:s}", "row",
					(json_int_t)im->row, "field", field,
					"code", code, "message", msg));
}

/* The errors of a refused write (422 with errors), as errors of the row;
 * true when err was such a refusal. */
static bool take_errors(struct import *im, struct npo_err *err)
{
	const json_t *errors = json_object_get(err->extra, "errors");
	const json_t *e;
	size_t i;

	if (err->e != NPO_E_VALIDATION_FAILED || !json_is_array(errors))
		return false;
	json_array_foreach(errors, i, e)
		row_error(im, json_string_value(json_object_get(e, "field")),
			  json_string_value(json_object_get(e, "code")), "%s",
			  json_string_value(json_object_get(e, "message")));
	err_clear(err);
	return true;
}

/* A refusal that is no field's (409 overrun, period_closed, 403): the
 * whole import stops with it, naming the row. */
static int stop_at_row(struct import *im, struct npo_err *err)
{
	if (!err->extra)
		err->extra = json_object();
	json_object_set_new(err->extra, "row",
			    json_integer((json_int_t)im->row));
	return -1;
}

/* The warnings a row caused, in o->warnings: a level the import took over
 * its parent once, from the row that first did, with the excess the rows
 * after it left. */
static void keep_warnings(struct import *im, const json_t *warnings)
{
	size_t i, k;
	json_t *w, *had;

	json_array_foreach(warnings, i, w)
	{
		bool seen = false;

		json_array_foreach(im->o->warnings, k, had)
		{
			if (!json_equal(json_object_get(had, "code"),
					json_object_get(w, "code")) ||
			    !json_equal(json_object_get(had, "id"),
					json_object_get(w, "id")))
				continue;
			json_object_set(had, "amount_cents",
					json_object_get(w, "amount_cents"));
			json_object_set(had, "message",
					json_object_get(w, "message"));
			seen = true;
		}
		if (!seen && json_array_size(im->o->warnings) < MAX_ERRORS) {
			json_t *row = json_copy(w);

			json_object_set_new(row, "row",
					    json_integer((json_int_t)im->row));
			json_array_append_new(im->o->warnings, row);
		}
	}
}

/* One write of the import through the write path; 0, 1 when the row was
 * refused field by field (its errors noted), -1 to stop. */
static int apply(struct import *im, const struct write *w,
		 struct write_result *out, struct npo_err *err)
{
	if (write_apply(im->c, w, out, err) == 0) {
		if (im->o->warnings)
			keep_warnings(im, out->warnings);
		return 0;
	}
	return take_errors(im, err) ? 1 : stop_at_row(im, err);
}

/* --- the header ------------------------------------------------------------ */

/* name in lower case without blanks and underscores: "Amount_EUR" and
 * "amount eur" are "amounteur". */
static void squash(const char *name, char out[64])
{
	size_t n = 0;

	for (; *name && n < 63; name++)
		if (*name != ' ' && *name != '_')
			out[n++] = (char)tolower((unsigned char)*name);
	out[n] = '\0';
}

/* Maps each header cell to one of names (squashed); unknown ones are an
 * error when strict, else ignored. Returns -1 when the header is wrong. */
static int read_header(struct import *im, const char *const *cells, size_t n,
		       const char *const *names, size_t nnames, bool strict)
{
	char want[64], got[64];

	im->row = 0;
	if (n > MAX_COLS) {
		row_error(im, "header", "too_many",
			  "the header has %zu columns; at most %d", n,
			  MAX_COLS);
		return -1;
	}
	im->ncols = n;
	for (size_t i = 0; i < n; i++) {
		im->col[i] = -1;
		squash(cells[i], got);
		for (size_t k = 0; k < nnames; k++) {
			squash(names[k], want);
			if (strcmp(want, got) == 0)
				im->col[i] = (int)k;
		}
		if (im->col[i] < 0 && strict && *got)
			row_error(im, cells[i], "unknown_column",
				  "is not a column of this import");
	}
	return im->nerrors ? -1 : 0;
}

/* The cell of column k in the row, or NULL when the file has none or it is
 * empty (an empty optional cell: the field is absent). */
static const char *cell(const struct import *im, const char *const *cells,
			size_t n, int k)
{
	for (size_t i = 0; i < n && i < im->ncols; i++)
		if (im->col[i] == k)
			return *cells[i] ? cells[i] : NULL;
	return NULL;
}

static bool has_column(const struct import *im, int k)
{
	for (size_t i = 0; i < im->ncols; i++)
		if (im->col[i] == k)
			return true;
	return false;
}

/* --- expenditures ----------------------------------------------------------- */

enum {
	E_PROGRAMME,
	E_AMOUNT_EUR,
	E_AMOUNT_CENTS,
	E_SPENT_ON,
	E_DESCRIPTION,
	E_PLAN,
	E_REFERENCE,
	E_STATUS,
	E_NCOLS
};
static const char *const expenditure_cols[E_NCOLS] = {
	"programme_id", "amount_eur", "amount_cents", "spent_on",
	"description",	"plan_id",    "reference",    "status",
};

/* An id cell: a whole number from 1. */
static bool id_cell(struct import *im, const char *s, const char *field,
		    json_t *body)
{
	int64_t v;

	if (!s)
		return true;
	if (util_parse_int64(s, &v) < 0 || v < 1) {
		row_error(
			im, field, "format",
			"must be the id of a row, a whole number, not '%.40s'",
			s);
		return false;
	}
	json_object_set_new(body, field, json_integer(v));
	return true;
}

/* The row as the body of a new expenditure, and the status it is to reach;
 * NULL when a cell is wrong (each noted). */
static json_t *expenditure_body(struct import *im, const char *const *cells,
				size_t n, const char **status)
{
	const char *eur = cell(im, cells, n, E_AMOUNT_EUR);
	const char *cents = cell(im, cells, n, E_AMOUNT_CENTS);
	const char *on = cell(im, cells, n, E_SPENT_ON);
	const char *what = cell(im, cells, n, E_DESCRIPTION);
	const char *ref = cell(im, cells, n, E_REFERENCE);
	json_t *body = json_object();
	size_t before = im->nerrors;
	char date[11];
	int64_t v;

	*status = cell(im, cells, n, E_STATUS);
	if (!cell(im, cells, n, E_PROGRAMME))
		row_error(im, "programme_id", "required", "is required");
	id_cell(im, cell(im, cells, n, E_PROGRAMME), "programme_id", body);
	id_cell(im, cell(im, cells, n, E_PLAN), "plan_id", body);
	if (eur && money_parse_any(eur, &v) == 0)
		json_object_set_new(body, "amount_cents", json_integer(v));
	else if (eur)
		row_error(im, "amount_eur", "format",
			  "must be euros such as 1.234,56 or 1234.56, not "
			  "'%.40s'",
			  eur);
	else if (cents && util_parse_int64(cents, &v) == 0)
		json_object_set_new(body, "amount_cents", json_integer(v));
	else if (cents)
		row_error(im, "amount_cents", "format",
			  "must be a whole number of cents, not '%.40s'",
			  cents);
	else
		row_error(im,
			  has_column(im, E_AMOUNT_CENTS) ? "amount_cents"
							 : "amount_eur",
			  "required", "is required");
	if (on && validate_date_any(on, date))
		json_object_set_new(body, "spent_on", json_string(date));
	else
		row_error(im, "spent_on", on ? "format" : "required",
			  on ? "must be a date such as 2025-03-14 or "
			       "14-03-2025, not '%.40s'"
			     : "is required%.0s",
			  on ? on : "");
	if (what)
		json_object_set_new(body, "description", json_string(what));
	else
		row_error(im, "description", "required", "is required");
	if (ref)
		json_object_set_new(body, "reference", json_string(ref));
	if (*status && strcmp(*status, "submitted") != 0 &&
	    strcmp(*status, "approved") != 0 && strcmp(*status, "paid") != 0)
		row_error(im, "status", "enum",
			  "must be submitted, approved or paid, not '%.40s'",
			  *status);
	if (im->nerrors == before)
		return body;
	json_decref(body);
	return NULL;
}

/* The cost of the same programme with the same reference, or NULL. */
static int by_reference(struct import *im, const json_t *body, json_t **found,
			struct npo_err *err)
{
	const struct resource *res = &expenditure_resource;
	char programme[24];
	struct store_filter f[2] = {
		{ .field = validate_find(res->fields, res->nfields,
					 "programme_id"),
		  .value = programme },
		{ .field =
			  validate_find(res->fields, res->nfields, "reference"),
		  .value = util_jstr(body, "reference") },
	};
	json_t *items = NULL;

	*found = NULL;
	snprintf(programme, sizeof(programme), "%lld",
		 (long long)util_jint(body, "programme_id"));
	if (store_list(im->c, res, f, 2, 0, 1, &items, NULL, err) < 0)
		return -1;
	if (json_array_size(items))
		*found = json_incref(json_array_get(items, 0));
	json_decref(items);
	return 0;
}

/* Whether the stored cost is what the row says. */
static bool same_cost(const json_t *stored, const json_t *body,
		      const char *status)
{
	static const char *const keys[] = { "amount_cents", "spent_on",
					    "description", "plan_id" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const json_t *a = json_object_get(stored, keys[i]);
		const json_t *b = json_object_get(body, keys[i]);

		if (!json_equal(a, b ? b : json_null()))
			return false;
	}
	return !status || strcmp(status, util_jstr(stored, "status")) == 0;
}

/* Moves cost id through the workflow up to status. */
static int move_to(struct import *im, int64_t id, const char *status,
		   struct npo_err *err)
{
	static const char *const steps[] = { "approved", "paid" };
	struct write_result out;

	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		json_t *body = json_pack("{s:s}", "status", steps[i]);
		int rc = apply(im,
			       &(struct write){ .res = &expenditure_resource,
						.op = WRITE_MOVE,
						.id = id,
						.body = body,
						.actor = im->o->actor,
						.note = NOTE },
			       &out, err);

		json_decref(body);
		write_result_free(&out);
		if (rc)
			return rc;
		if (strcmp(steps[i], status) == 0)
			break;
	}
	return 0;
}

static int expenditure_row(struct import *im, const char *const *cells,
			   size_t n, struct npo_err *err)
{
	const char *status = NULL;
	json_t *body = expenditure_body(im, cells, n, &status), *found = NULL;
	struct write_result out;
	int rc = 0;

	if (!body)
		return 0;
	if (json_object_get(body, "reference") &&
	    by_reference(im, body, &found, err) < 0) {
		json_decref(body);
		return -1;
	}
	if (found) {
		if (same_cost(found, body, status))
			im->n->unchanged++;
		else
			row_error(im, "reference", "reference_conflict",
				  "expenditure %lld of programme %lld has "
				  "reference %s with other values; change "
				  "that one, or give this row another "
				  "reference",
				  (long long)util_jint(found, "id"),
				  (long long)util_jint(found, "programme_id"),
				  util_jstr(found, "reference"));
		json_decref(found);
		json_decref(body);
		return 0;
	}
	rc = apply(im,
		   &(struct write){ .res = &expenditure_resource,
				    .op = WRITE_CREATE,
				    .body = body,
				    .actor = im->o->actor,
				    .note = NOTE },
		   &out, err);
	json_decref(body);
	if (rc == 0) {
		im->n->created++;
		if (status && strcmp(status, "submitted") != 0)
			rc = move_to(im, out.id, status, err);
	}
	write_result_free(&out);
	return rc < 0 ? -1 : 0;
}

/* --- schools (DUO's register of locations) ---------------------------------- */

enum { S_INSTELLING, S_VESTIGING, S_NUMMER, S_NAAM, S_GEMEENTE, S_NCOLS };
static const char *const school_cols[S_NCOLS] = {
	"INSTELLINGSCODE", "VESTIGINGSCODE", "VESTIGINGSNUMMER",
	"VESTIGINGSNAAM",  "GEMEENTENUMMER",
};

/* The school of the row as {code, name, sector, municipality_code}; NULL
 * when a cell is wrong (noted). */
static json_t *school_body(struct import *im, const char *const *cells,
			   size_t n)
{
	const char *brin = cell(im, cells, n, S_INSTELLING);
	const char *loc = cell(im, cells, n, S_VESTIGING);
	const char *number = cell(im, cells, n, S_NUMMER);
	const char *name = cell(im, cells, n, S_NAAM);
	const char *gm = cell(im, cells, n, S_GEMEENTE);
	char code[16] = "", municipality[16] = "";
	size_t before = im->nerrors;

	if (number && strlen(number) <= 8)
		snprintf(code, sizeof(code), "%s", number);
	else if (brin && loc && strlen(brin) == 4 && strlen(loc) <= 2 &&
		 strspn(loc, "0123456789") == strlen(loc))
		snprintf(code, sizeof(code), "%s%02d", brin, atoi(loc));
	else
		row_error(im, number ? "VESTIGINGSNUMMER" : "VESTIGINGSCODE",
			  "format",
			  "must give the location: INSTELLINGSCODE (4) and "
			  "VESTIGINGSCODE (2 digits), or VESTIGINGSNUMMER (6)");
	if (gm && strlen(gm) <= 4 && strspn(gm, "0123456789") == strlen(gm))
		snprintf(municipality, sizeof(municipality), "GM%04d",
			 atoi(gm));
	else
		row_error(im, "GEMEENTENUMMER", gm ? "format" : "required",
			  "must be the CBS number of the municipality, such "
			  "as 0406");
	if (!name)
		row_error(im, "VESTIGINGSNAAM", "required", "is required");
	if (im->nerrors != before)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s}", "code", code, "name", name,
			 "sector", im->o->sector, "municipality_code",
			 municipality);
}

static int school_row(struct import *im, const char *const *cells, size_t n,
		      struct npo_err *err)
{
	const struct resource *res = &school_resource;
	json_t *body = school_body(im, cells, n), *items = NULL, *change;
	const struct scope *s = db_scope(im->c);
	const char *only = im->o->municipality;
	struct write_result out;
	struct store_filter f = { .field = validate_find(
					  res->fields, res->nfields, "code") };
	int rc;

	if (!body)
		return 0;
	/* a municipality's token imports its own schools only */
	if (!only && s && s->kind == SCOPE_MUNICIPALITY)
		only = s->municipality;
	if (only && strcmp(only, util_jstr(body, "municipality_code")) != 0) {
		im->n->skipped++;
		json_decref(body);
		return 0;
	}
	f.value = util_jstr(body, "code");
	if (store_list(im->c, res, &f, 1, 0, 1, &items, NULL, err) < 0) {
		json_decref(body);
		return -1;
	}
	change = json_object();
	if (json_array_size(items)) {
		const json_t *had = json_array_get(items, 0);
		const char *key;
		json_t *v;

		json_object_foreach(body, key, v)
		{
			if (!json_equal(v, json_object_get(had, key)))
				json_object_set(change, key, v);
		}
	}
	if (json_array_size(items) && !json_object_size(change)) {
		im->n->unchanged++;
		rc = 0;
	} else {
		bool update = json_array_size(items) != 0;

		rc = apply(im,
			   &(struct write){
				   .res = res,
				   .op = update ? WRITE_UPDATE : WRITE_CREATE,
				   .id = update ? util_jint(json_array_get(
								    items, 0),
							    "id")
						: 0,
				   .body = update ? change : body,
				   .actor = im->o->actor,
				   .note = NOTE },
			   &out, err);
		if (rc == 0 && update)
			im->n->updated++;
		else if (rc == 0)
			im->n->created++;
		write_result_free(&out);
	}
	json_decref(change);
	json_decref(items);
	json_decref(body);
	return rc < 0 ? -1 : 0;
}

/* --- the run ---------------------------------------------------------------- */

int import_run(struct db_conn *c, const struct import_opts *o, const char *text,
	       size_t len, struct import_counts *counts, struct npo_err *err)
{
	bool schools = o->kind == IMPORT_SCHOOLS;
	struct import im = {
		.c = c, .o = o, .n = counts, .errors = json_array()
	};
	struct csv_reader r;
	const char *const *cells;
	size_t n;
	int rc;

	*counts = (struct import_counts){ 0 };
	if (schools && (!o->sector || !*o->sector)) {
		json_decref(im.errors);
		return err_set(err, NPO_E_BAD_QUERY,
			       "give the sector of the file: ?sector=po (DUO "
			       "publishes a file per sector)");
	}
	csv_reader_init(&r, text, len);
	if (db_begin_write(c, err) < 0) {
		csv_reader_free(&r);
		json_decref(im.errors);
		return -1;
	}
	rc = csv_read(&r, &cells, &n);
	if (rc <= 0) {
		im.row = 0;
		row_error(&im, "header", "required",
			  "the file must begin with a header line naming its "
			  "columns");
	} else if (read_header(&im, cells, n,
			       schools ? school_cols : expenditure_cols,
			       schools ? S_NCOLS : E_NCOLS, !schools) == 0) {
		/* the required columns */
		static const int need_e[] = { E_PROGRAMME, E_SPENT_ON,
					      E_DESCRIPTION };
		static const int need_s[] = { S_NAAM, S_GEMEENTE };

		for (size_t i = 0; i < (schools ? 2 : 3); i++) {
			int k = schools ? need_s[i] : need_e[i];

			if (!has_column(&im, k))
				row_error(&im,
					  schools ? school_cols[k]
						  : expenditure_cols[k],
					  "missing_column",
					  "is a column the "
					  "file must have");
		}
		if (!schools && !has_column(&im, E_AMOUNT_EUR) &&
		    !has_column(&im, E_AMOUNT_CENTS))
			row_error(&im, "amount_eur", "missing_column",
				  "the file needs amount_eur or amount_cents");
		if (schools && !has_column(&im, S_NUMMER) &&
		    !(has_column(&im, S_INSTELLING) &&
		      has_column(&im, S_VESTIGING)))
			row_error(&im, "VESTIGINGSNUMMER", "missing_column",
				  "the file needs VESTIGINGSNUMMER, or "
				  "INSTELLINGSCODE and VESTIGINGSCODE");
	}
	rc = im.nerrors ? 0 : 1;
	while (rc > 0 && (rc = csv_read(&r, &cells, &n)) > 0) {
		im.row++;
		if (n == 1 && !*cells[0])
			continue; /* a blank line */
		if ((schools ? school_row(&im, cells, n, err)
			     : expenditure_row(&im, cells, n, err)) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == -1 && !err->e) {
		im.row =
			r.record; /* the one after those read: header and rows */
		row_error(&im, "file", "format",
			  "a quoted cell is never closed: the file ends in "
			  "it");
		rc = 0;
	}
	csv_reader_free(&r);
	if (rc < 0 || im.nerrors) {
		db_rollback(c);
		if (rc >= 0)
			err_set_new(err,
				    json_pack("{s:o}", "errors", im.errors),
				    NPO_E_VALIDATION_FAILED,
				    "%zu row error%s; nothing was written (see "
				    "errors%s)",
				    im.nerrors, im.nerrors == 1 ? "" : "s",
				    im.nerrors > MAX_ERRORS ? ", the first 100"
							    : "");
		else
			json_decref(im.errors);
		return -1;
	}
	json_decref(im.errors);
	if (o->dry_run) {
		db_rollback(c);
		return 0;
	}
	return db_commit(c, err);
}
