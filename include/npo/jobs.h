/*
 * The jobs of the command line and the start: the export, the backup and
 * the demo loader (server/jobs/). They write through the store and the
 * write path and know nothing of HTTP.
 */
#ifndef NPO_JOBS_H
#define NPO_JOBS_H

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

#endif
