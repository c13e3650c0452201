/*
 * Demo data: the figures of the two seed documents (see README.md, "Where
 * the demo figures come from"). Written through the store like any other
 * change, with audit rows by actor "demo".
 */
#include "npo/api.h"

/* Inserts row_new as a new res, with its audit row; sets *id. */
static int add(struct db_conn *c, const struct resource *res, json_t *row_new,
	       int64_t *id, struct npo_err *err)
{
	json_t *after = NULL;
	int rc = -1;

	if (store_insert(c, res, row_new, id, err) < 0 ||
	    store_get(c, res, *id, &after, err) < 0 ||
	    store_audit(c, "demo", "create", res->name, *id, NULL, after,
			NULL, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(after);
	json_decref(row_new);
	return rc;
}

static json_t *budget(const char *code, const char *municipality,
		      json_int_t grant_cents, const char *decision_ref)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
			 "municipality_code", code, "municipality_name",
			 municipality, "name", "Nationaal Programma Onderwijs",
			 "grant_cents", grant_cents, "spend_from", "2021-07-01",
			 "spend_until", "2025-07-31", "decision_ref",
			 decision_ref, "overrun_policy", "warn");
}

int demo_load(struct db_conn *c, struct npo_err *err)
{
	sqlite3_stmt *st;
	int64_t n = 0, hilversum, huizen;
	int rc;

	if (db_begin_write(c, err) < 0)
		return -1;
	if (!(st = db_prepare(c, "SELECT count(*) FROM budgets", err)))
		goto fail;
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	db_done(c, st);
	if (rc < 0)
		goto fail;
	if (n > 0) {
		db_rollback(c);
		return 0;
	}
	/* Hilversum, raadsinformatiebrief December 2021: EUR 2,138,509.64 */
	if (add(c, &budget_resource,
		budget("GM0402", "Hilversum", 213850964,
		       "Actieagenda NPO, B&W 21 december 2021"),
		&hilversum, err) < 0)
		goto fail;
	/* Huizen, collegebesluit uitvoeringsplan 2024-2025: EUR 683,901 */
	if (add(c, &budget_resource,
		budget("GM0406", "Huizen", 68390100, "Z.197762 – 1243357"),
		&huizen, err) < 0)
		goto fail;
	if (store_bump_revision(c, err) < 0 || db_commit(c, err) < 0)
		goto fail;
	return 0;
fail:
	db_rollback(c);
	return -1;
}
