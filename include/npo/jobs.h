/*
 * The jobs of the command line and the start: the export, the backup and
 * the demo loader (server/jobs/). They write through the store and the
 * write path and know nothing of HTTP.
 */
#ifndef NPO_JOBS_H
#define NPO_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "npo/csv.h"
#include "npo/db.h"

/*
 * The export job (jobs/export.c): one CSV per table in dialect d and a
 * snapshot.json, all from one read transaction, into a temporary directory
 * renamed to dir when complete (dir must not exist). Reports the row counts
 * on report. 0 or -1 with err filled.
 */
int export_run(struct db_conn *c, const char *dir, enum csv_dialect d,
	       FILE *report, struct npo_err *err);

/* Copies the database to file with SQLite's online backup (through a
 * temporary file renamed into place), while others may write. */
int backup_run(struct db_conn *c, const char *file, struct npo_err *err);

/*
 * Fills an empty database with the figures of the two seed documents
 * (jobs/demo.c). Does nothing when any budget exists. 0 or -1 with err filled.
 */
int demo_load(struct db_conn *c, struct npo_err *err);

/*
 * An import (jobs/import.c): the CSV text (csv.h's reader) as expenditures
 * or as schools from DUO's register, all or nothing in one transaction,
 * every row through the write path in c's scope. 0 with the counts (the
 * transaction rolled back for a dry run), or -1 with err: 422
 * validation_failed with errors [{row, field, code, message}] (row 0: the
 * header; at most 100) when any row is wrong, or the first refusal that is
 * no field's (409 overrun, period_closed, 403) with "row".
 */
enum import_kind { IMPORT_EXPENDITURES, IMPORT_SCHOOLS };
struct import_opts {
	enum import_kind kind;
	bool dry_run;
	const char *sector;	  /* schools: the sector of the file */
	const char *municipality; /* schools: only this one's rows, or NULL */
	const char *actor;	  /* for the audit rows */
	/* an array that gets the warnings the rows caused, once per level
	 * (its first row and, as the import left it, its amount), at most
	 * 100; or NULL */
	json_t *warnings;
};
struct import_counts {
	long created, updated, unchanged, skipped;
};
int import_run(struct db_conn *c, const struct import_opts *o, const char *text,
	       size_t len, struct import_counts *counts, struct npo_err *err);

#endif
