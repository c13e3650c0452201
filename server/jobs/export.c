/*
 * The export job and the backup: `npo-budgetd export --out DIR` writes one
 * CSV per table and snapshot.json from one read transaction into a
 * temporary directory that is renamed into place only when complete;
 * `npo-budgetd backup FILE` copies the database with SQLite's online backup
 * while the daemon runs.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npo/jobs.h"
#include "npo/resource.h"
#include "npo/store.h"

#define MAX_TABLES 16 /* at least nresources */

/* dir/name into out; false when it does not fit. */
static bool path_of(char out[4096], const char *dir, const char *name)
{
	int n = snprintf(out, 4096, "%s/%s", dir, name);

	return n > 0 && n < 4096;
}

/* Flushes f to disk and closes it; -1 when that or any earlier write to it
 * failed (a full disk shows in ferror, not always in fflush). */
static int close_synced(FILE *f)
{
	int rc = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0 ? 0 : -1;

	return fclose(f) == 0 ? rc : -1;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes res as tmp/<table>.csv and as one member of the snapshot. */
static int export_table(struct db_conn *c, const struct resource *res,
			const char *tmp, enum csv_dialect d, FILE *snap,
			size_t *rows, struct npo_err *err)
{
	struct store_cursor cur;
	struct csv_buf b = { 0 };
	json_t *template = store_template(res), *row;
	char path[4096], name[64];
	FILE *f;
	int rc;

	snprintf(name, sizeof(name), "%s.csv", res->table);
	if (!path_of(path, tmp, name) || !(f = fopen(path, "w"))) {
		json_decref(template);
		return err_set(err, NPO_E_IO, "cannot write %s: %s", path,
			       strerror(errno));
	}
	csv_header(d, &b, template);
	fprintf(snap, "%s\n  \"%s\": [", res == resources[0] ? "" : ",",
		res->table);
	*rows = 0;
	rc = store_open(c, res, NULL, 0, 0, -1, &cur, err);
	while (rc == 0 && (rc = store_next(&cur, &row, err)) == 1) {
		char *text = json_dumps(row, JSON_COMPACT);

		csv_row(d, &b, template, row);
		fprintf(snap, "%s\n    %s", *rows ? "," : "", text);
		free(text);
		json_decref(row);
		(*rows)++;
		rc = 0;
		if (b.len > 1 << 16) {
			fwrite(b.p, 1, b.len, f);
			b.len = 0;
		}
	}
	store_close(&cur);
	fprintf(snap, "\n  ]");
	fwrite(b.p ? b.p : "", 1, b.len, f);
	csv_buf_free(&b);
	json_decref(template);
	if (close_synced(f) < 0 && rc == 0)
		return err_set(err, NPO_E_IO, "cannot write %s: %s", path,
			       strerror(errno));
	return rc < 0 ? -1 : 0;
}

/*
 * Makes the new directory "<dir>.tmp-<pid>-<n>" into tmp with mode 0777
 * less the umask, as mkdir does: the export keeps it when renamed, and
 * mkdtemp's 0700 would shut out the others of a shared finance folder.
 * -1 with errno when it cannot.
 */
static int make_tmp_dir(char tmp[4096], const char *dir)
{
	for (unsigned n = 0; n < 100; n++) {
		snprintf(tmp, 4096, "%s.tmp-%ld-%u", dir, (long)getpid(), n);
		if (mkdir(tmp, 0777) == 0)
			return 0;
		if (errno != EEXIST) /* one left by an earlier run: the next */
			return -1;
	}
	return -1;
}

static int remove_tree(const char *dir)
{
	char path[4096], name[64];

	for (size_t i = 0; i < nresources; i++) {
		snprintf(name, sizeof(name), "%s.csv", resources[i]->table);
		if (path_of(path, dir, name))
			unlink(path);
	}
	if (path_of(path, dir, "snapshot.json"))
		unlink(path);
	return rmdir(dir);
}

int export_run(struct db_conn *c, const char *dir, enum csv_dialect d,
	       FILE *report, struct npo_err *err)
{
	char tmp[4096], path[4096], now[21];
	char *path_copy = NULL;
	size_t rows[MAX_TABLES] = { 0 }, total = 0;
	int64_t rev = 0;
	FILE *snap = NULL;
	struct stat st;

	assert(nresources <= MAX_TABLES);

	if (strlen(dir) > 3000)
		return err_set(err, NPO_E_TOO_LONG, "the path is too long");
	snprintf(path, sizeof(path), "%s", dir);
	for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0'; /* "out/" is the directory "out" */
	dir = path_copy = strdup(path);
	if (!dir)
		return err_set(err, NPO_E_INTERNAL, "out of memory");
	if (stat(dir, &st) == 0) {
		err_set(err, NPO_E_EXISTS,
			"%s exists already; export into a new directory", dir);
		free(path_copy);
		return -1;
	}
	if (make_tmp_dir(tmp, dir) < 0) {
		err_set(err, NPO_E_IO, "cannot make %s: %s", tmp,
			strerror(errno));
		free(path_copy);
		return -1;
	}
	if (!path_of(path, tmp, "snapshot.json") ||
	    !(snap = fopen(path, "w"))) {
		err_set(err, NPO_E_IO, "cannot write %s: %s", path,
			strerror(errno));
		goto fail;
	}
	/* one read transaction: every table from the same moment */
	if (db_begin_read(c, err) < 0 || db_revision(c, &rev, err) < 0)
		goto fail;
	util_now_iso(now);
	fprintf(snap,
		"{\n\"exported_at\": \"%s\",\n\"schema_version\": %d,\n"
		"\"revision\": %lld,\n\"tables\": {",
		now, db_schema_latest(), (long long)rev);
	for (size_t i = 0; i < nresources; i++) {
		if (export_table(c, resources[i], tmp, d, snap, &rows[i], err) <
		    0)
			goto fail;
		total += rows[i];
	}
	db_rollback(c);
	fprintf(snap, "\n}\n}\n");
	if (close_synced(snap) < 0) {
		snap = NULL;
		err_set(err, NPO_E_IO, "cannot write %s: %s", path,
			strerror(errno));
		goto fail;
	}
	snap = NULL;
	if (sync_dir(tmp) < 0 || rename(tmp, dir) < 0) {
		err_set(err, NPO_E_IO, "cannot move %s to %s: %s", tmp, dir,
			strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s", dir);
	sync_dir(dirname(path));
	for (size_t i = 0; i < nresources; i++)
		fprintf(report, "%-14s %zu rows\n", resources[i]->table,
			rows[i]);
	fprintf(report, "exported %zu rows at revision %lld to %s\n", total,
		(long long)rev, dir);
	free(path_copy);
	return 0;
fail:
	db_rollback(c);
	if (snap)
		fclose(snap);
	remove_tree(tmp);
	free(path_copy);
	return -1;
}

int backup_run(struct db_conn *c, const char *file, struct npo_err *err)
{
	char tmp[4096];
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		return err_set(err, NPO_E_TOO_LONG, "the path is too long");
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &dst,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		err_set(err, NPO_E_IO, "cannot write %s: %s", tmp,
			dst ? sqlite3_errmsg(dst) : "out of memory");
		goto fail;
	}
	b = sqlite3_backup_init(dst, "main", db_handle(c), "main");
	if (!b) {
		err_set(err, NPO_E_IO, "cannot back up: %s",
			sqlite3_errmsg(dst));
		goto fail;
	}
	/*
	 * All pages in one step: in WAL mode this read does not block the
	 * daemon's writers, while copying in steps would start over after
	 * each write and, under steady writes, never finish.
	 */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	       rc == SQLITE_LOCKED)
		sqlite3_sleep(20);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		err_set(err, rc == SQLITE_FULL ? 507 : NPO_E_IO,
			"backup failed: %s", sqlite3_errstr(rc));
		goto fail;
	}
	if (sqlite3_close(dst) != SQLITE_OK || rename(tmp, file) < 0) {
		dst = NULL;
		err_set(err, NPO_E_IO, "cannot move %s to %s: %s", tmp, file,
			strerror(errno));
		goto fail;
	}
	return 0;
fail:
	sqlite3_close(dst);
	unlink(tmp);
	return -1;
}
