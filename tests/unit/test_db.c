/* Unit tests of db.c: opening, migrating, caching and mapping errors. */
#include "../check_main.h"
#include "tmpdir.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npo/db.h"
#include "npo/embedded.h"

/*
 * Every test makes its own directory under base and removes it at its end;
 * base itself is made and removed by the parent process, so that what a
 * failed test left behind goes too.
 */
static char base[256];

struct tmp {
	char dir[sizeof(base) + 16];
	char path[sizeof(base) + 32];
};

static void base_make(void)
{
	tmpdir_make(base, sizeof(base), "db");
}

static void base_remove(void)
{
	tmpdir_remove(base);
}

static void tmp_make(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "%s/XXXXXX", base);
	ck_assert_msg(mkdtemp(t->dir) != NULL, "mkdtemp %s", t->dir);
	snprintf(t->path, sizeof(t->path), "%s/npo.db", t->dir);
}

/* Removes the database with its -wal and -shm; the directory must then be
 * empty. */
static void tmp_remove(struct tmp *t)
{
	static const char *const suffixes[] = { "", "-wal", "-shm",
						"-journal" };
	char p[sizeof(t->path) + 16];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffixes[i]);
		unlink(p);
	}
	ck_assert_msg(rmdir(t->dir) == 0, "%s is not empty", t->dir);
}

static struct db *open_ok(const struct tmp *t, unsigned nconn)
{
	struct db *db = NULL;
	char msg[512] = "";

	ck_assert_msg(db_open(t->path, nconn, &db, msg, sizeof(msg)) == 0,
		      "db_open %s: %s", t->path, msg);
	ck_assert_ptr_nonnull(db);
	return db;
}

/* The one integer a one-row query answers. */
static int64_t query_int(struct db_conn *c, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(c), sql, -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The text a one-row query answers, copied to out. */
static void query_text(struct db_conn *c, const char *sql, char *out,
		       size_t len)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(c), sql, -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static void exec_ok(struct db_conn *c, const char *sql)
{
	struct npo_err err = { 0 };

	ck_assert_msg(db_exec(c, sql, &err) == 0, "%s: %d %s", sql, err.status,
		      err.detail);
	err_clear(&err);
}

/* Writes n bytes of 'x': a file that is not a database. */
static void write_garbage(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_ne(fputc('x', f), EOF);
	ck_assert_int_eq(fclose(f), 0);
}

/* Makes a small database with PRAGMA user_version v. */
static void write_user_version(const char *path, int v)
{
	sqlite3 *h = NULL;
	char sql[64];

	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", v);
	ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE t (x);", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
}

START_TEST(open_migrates_fresh_file)
{
	static const char *const tables[] = { "budgets", "audit", "tokens",
					      "meta" };
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	char mode[32];
	char sql[128];

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	ck_assert_int_ge(db_schema_latest(), 1);
	ck_assert_int_eq(query_int(c, "PRAGMA user_version"),
			 db_schema_latest());
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM sqlite_schema"
			 " WHERE type = 'table' AND name = '%s'",
			 tables[i]);
		ck_assert_msg(query_int(c, sql) == 1, "no table %s", tables[i]);
	}
	query_text(c, "PRAGMA journal_mode", mode, sizeof(mode));
	ck_assert_str_eq(mode, "wal");
	ck_assert_int_eq(query_int(c, "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(query_int(c, "SELECT value FROM meta"
				      " WHERE key = 'revision'"),
			 0);
	ck_assert(db_ready(c));
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(open_again_is_idempotent)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	exec_ok(c, "UPDATE meta SET value = 41 WHERE key = 'revision'");
	db_release(db, c);
	db_close(db);

	/* a second open migrates nothing and keeps the data */
	db = open_ok(&t, 2);
	c = db_acquire(db);
	ck_assert_int_eq(query_int(c, "PRAGMA user_version"),
			 db_schema_latest());
	ck_assert_int_eq(query_int(c, "SELECT value FROM meta"
				      " WHERE key = 'revision'"),
			 41);
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"), 2);
	ck_assert(db_ready(c));
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(pool_hands_out_each_connection)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c[3];

	tmp_make(&t);
	db = open_ok(&t, 3);
	for (int i = 0; i < 3; i++) {
		c[i] = db_acquire(db);
		ck_assert_ptr_nonnull(c[i]);
		for (int j = 0; j < i; j++)
			ck_assert_ptr_ne(c[i], c[j]);
		ck_assert_int_eq(query_int(c[i], "PRAGMA foreign_keys"), 1);
	}
	/* a write on one connection is seen by the others */
	exec_ok(c[0], "UPDATE meta SET value = 7 WHERE key = 'revision'");
	ck_assert_int_eq(query_int(c[2], "SELECT value FROM meta"
					 " WHERE key = 'revision'"),
			 7);
	for (int i = 0; i < 3; i++)
		db_release(db, c[i]);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(refuses_newer_schema)
{
	struct tmp t;
	struct db *db = NULL;
	char msg[512] = "";
	sqlite3 *h;
	sqlite3_stmt *st;

	tmp_make(&t);
	write_user_version(t.path, db_schema_latest() + 1);
	ck_assert_int_eq(db_open(t.path, 1, &db, msg, sizeof(msg)), -1);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(msg, t.path) != NULL, "msg: %s", msg);
	ck_assert_msg(strstr(msg, "newer") != NULL, "msg: %s", msg);

	/* and left it as it was */
	ck_assert_int_eq(sqlite3_open(t.path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st,
					    NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), db_schema_latest() + 1);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_prepare_v2(h,
					    "SELECT count(*) FROM sqlite_schema"
					    " WHERE name = 'budgets'",
					    -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
	tmp_remove(&t);
}
END_TEST

START_TEST(refuses_garbage_file)
{
	struct tmp t;
	struct db *db = NULL;
	char msg[512] = "";
	struct stat sb;

	tmp_make(&t);
	write_garbage(t.path, 8192);
	ck_assert_int_eq(db_open(t.path, 1, &db, msg, sizeof(msg)), -1);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(msg, t.path) != NULL, "msg: %s", msg);
	/* not overwritten */
	ck_assert_int_eq(stat(t.path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 8192);
	tmp_remove(&t);
}
END_TEST

START_TEST(refuses_missing_directory)
{
	struct tmp t;
	struct db *db = NULL;
	char msg[512] = "";
	char path[sizeof(t.path) + 16];

	tmp_make(&t);
	snprintf(path, sizeof(path), "%s/no/such/dir.db", t.dir);
	ck_assert_int_eq(db_open(path, 1, &db, msg, sizeof(msg)), -1);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(msg, path) != NULL, "msg: %s", msg);
	tmp_remove(&t);
}
END_TEST

START_TEST(prepare_caches_statements)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };
	sqlite3_stmt *a, *b, *busy;

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	a = db_prepare(c, sql, &err);
	ck_assert_ptr_nonnull(a);
	db_done(c, a);
	b = db_prepare(c, sql, &err);
	ck_assert_ptr_eq(a, b);
	/* one in use is not handed out twice */
	busy = db_prepare(c, sql, &err);
	ck_assert_ptr_nonnull(busy);
	ck_assert_ptr_ne(busy, b);
	db_done(c, busy);
	db_done(c, b);
	/* a different text is a different statement */
	b = db_prepare(c, "SELECT value FROM meta WHERE key = ?1", &err);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	db_done(c, b);
	err_clear(&err);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(done_resets_and_clears)
{
	static const char sql[] = "SELECT ?";
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };
	sqlite3_stmt *st;

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	st = db_prepare(c, sql, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(sqlite3_bind_int(st, 1, 5), SQLITE_OK);
	ck_assert_int_eq(db_step(c, st, &err), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 5);
	db_done(c, st);

	st = db_prepare(c, sql, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(db_step(c, st, &err), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_type(st, 0), SQLITE_NULL);
	ck_assert_int_eq(db_step(c, st, &err), SQLITE_DONE);
	db_done(c, st);
	err_clear(&err);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(prepare_evicts_when_full)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };
	char sql[64];

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	/* more distinct statements than the cache holds, twice over */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 300; i++) {
			sqlite3_stmt *st;

			snprintf(sql, sizeof(sql), "SELECT %d", i);
			st = db_prepare(c, sql, &err);
			ck_assert_msg(st != NULL, "%s: %s", sql, err.detail);
			ck_assert_int_eq(db_step(c, st, &err), SQLITE_ROW);
			ck_assert_int_eq(sqlite3_column_int(st, 0), i);
			db_done(c, st);
		}
	err_clear(&err);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(prepare_refuses_bad_sql)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	ck_assert_ptr_null(db_prepare(c, "SELEKT 1", &err));
	ck_assert_int_eq(err.status, 500);
	ck_assert_ptr_null(db_prepare(c, "SELECT * FROM nowhere", &err));
	ck_assert_int_eq(err.status, 500);
	/* the failures took no slot: a good statement still works */
	err_clear(&err);
	ck_assert_int_eq(query_int(c, "SELECT 3"), 3);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(rollback_leaves_no_change)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	ck_assert_int_eq(db_begin_write(c, &err), 0);
	ck_assert(!sqlite3_get_autocommit(db_handle(c)));
	exec_ok(c, "INSERT INTO meta (key, value) VALUES ('x', 1)");
	exec_ok(c, "UPDATE meta SET value = 9 WHERE key = 'revision'");
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"), 3);
	db_rollback(c);
	ck_assert(sqlite3_get_autocommit(db_handle(c)));
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"), 2);
	ck_assert_int_eq(query_int(c, "SELECT value FROM meta"
				      " WHERE key = 'revision'"),
			 0);
	/* rolling back outside a transaction is harmless */
	db_rollback(c);

	/* and a commit keeps the change */
	ck_assert_int_eq(db_begin_write(c, &err), 0);
	exec_ok(c, "INSERT INTO meta (key, value) VALUES ('y', 2)");
	ck_assert_int_eq(db_commit(c, &err), 0);
	ck_assert(sqlite3_get_autocommit(db_handle(c)));
	ck_assert_int_eq(query_int(c, "SELECT value FROM meta"
				      " WHERE key = 'y'"),
			 2);
	err_clear(&err);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

/* --- group commit -------------------------------------------------------- */

#define WRITERS 8
#define COMMITS 25

struct writer {
	struct db *db;
	int n;
	int failed;
};

static void *write_some(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < COMMITS; i++) {
		struct db_conn *c = db_acquire(w->db);
		struct npo_err err = { 0 };
		char sql[96];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO meta (key, value) VALUES ('w%d-%d', %d)",
			 w->n, i, i);
		if (db_begin_write(c, &err) < 0 || db_exec(c, sql, &err) < 0 ||
		    db_commit(c, &err) < 0)
			w->failed++;
		err_clear(&err);
		db_release(w->db, c);
	}
	return NULL;
}

START_TEST(writers_that_commit_together_share_an_fsync)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	uint64_t before;

	tmp_make(&t);
	db = open_ok(&t, WRITERS);
	/* alone, each commit has its own */
	before = db_syncs(db);
	w[0] = (struct writer){ .db = db, .n = 100 };
	write_some(&w[0]);
	ck_assert_int_eq(w[0].failed, 0);
	ck_assert_uint_eq(db_syncs(db) - before, COMMITS);
	/* together, they share */
	before = db_syncs(db);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .db = db, .n = i };
		ck_assert_int_eq(
			pthread_create(&th[i], NULL, write_some, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failed, 0);
	}
	ck_assert_msg(db_syncs(db) - before < WRITERS * COMMITS,
		      "%llu fsyncs for %d commits",
		      (unsigned long long)(db_syncs(db) - before),
		      WRITERS * COMMITS);
	/* and every commit is there */
	c = db_acquire(db);
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"
				      " WHERE key GLOB 'w[0-9]*'"),
			 WRITERS * COMMITS + COMMITS);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(a_write_inside_a_write_is_a_savepoint)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	ck_assert_int_eq(db_begin_write(c, &err), 0);
	exec_ok(c, "INSERT INTO meta (key, value) VALUES ('outer', 1)");
	/* an inner write that fails undoes only itself */
	ck_assert_int_eq(db_begin_write(c, &err), 0);
	exec_ok(c, "INSERT INTO meta (key, value) VALUES ('undone', 2)");
	db_rollback(c);
	ck_assert(!sqlite3_get_autocommit(db_handle(c)));
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"), 3);
	/* one that commits leaves its change to the outer one */
	ck_assert_int_eq(db_begin_write(c, &err), 0);
	exec_ok(c, "INSERT INTO meta (key, value) VALUES ('kept', 3)");
	ck_assert_int_eq(db_commit(c, &err), 0);
	ck_assert(!sqlite3_get_autocommit(db_handle(c)));
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"), 4);
	ck_assert_int_eq(db_commit(c, &err), 0);
	ck_assert(sqlite3_get_autocommit(db_handle(c)));
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"
				      " WHERE key IN ('outer', 'kept')"),
			 2);
	/* and the outer rollback undoes what the inner ones committed */
	ck_assert_int_eq(db_begin_write(c, &err), 0);
	ck_assert_int_eq(db_begin_write(c, &err), 0);
	exec_ok(c, "INSERT INTO meta (key, value) VALUES ('gone', 4)");
	ck_assert_int_eq(db_commit(c, &err), 0);
	db_rollback(c);
	ck_assert(sqlite3_get_autocommit(db_handle(c)));
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"), 4);
	err_clear(&err);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(release_rolls_back_open_transaction)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	ck_assert_int_eq(db_begin_write(c, &err), 0);
	exec_ok(c, "INSERT INTO meta (key, value) VALUES ('x', 1)");
	db_release(db, c);
	c = db_acquire(db);
	ck_assert(sqlite3_get_autocommit(db_handle(c)));
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM meta"), 2);
	err_clear(&err);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(audit_is_append_only)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	exec_ok(c, "INSERT INTO audit (at, actor, action, entity, entity_id,"
		   " before, after) VALUES ('2025-01-01T00:00:00Z', 'alice',"
		   " 'create', 'budget', 1, NULL, '{\"a\": 1}')");
	ck_assert_int_eq(db_exec(c, "UPDATE audit SET actor = 'mallory'", &err),
			 -1);
	ck_assert_int_eq(err.status, 409);
	ck_assert_str_eq(err.code, "constraint");
	err_clear(&err);
	ck_assert_int_eq(db_exec(c, "DELETE FROM audit", &err), -1);
	ck_assert_int_eq(err.status, 409);
	ck_assert_str_eq(err.code, "constraint");
	err_clear(&err);
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM audit"
				      " WHERE actor = 'alice'"),
			 1);
	/* JSON columns must hold JSON */
	ck_assert_int_eq(db_exec(c,
				 "INSERT INTO audit (at, actor, action,"
				 " entity, entity_id, after) VALUES"
				 " ('2025-01-01T00:00:00Z', 'a', 'create',"
				 " 'budget', 1, '{oops')",
				 &err),
			 -1);
	ck_assert_int_eq(err.status, 409);
	err_clear(&err);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(budget_checks_in_schema)
{
	static const char *const bad[] = {
		/* code, grant, from, until */
		"'GM402', 1, '2021-07-01', '2025-07-31'",
		"'GM0402', -1, '2021-07-01', '2025-07-31'",
		"'GM0402', 1.5, '2021-07-01', '2025-07-31'",
		"'GM0402', 1, '2025-07-31', '2021-07-01'",
	};
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };
	char sql[512];

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO budgets (created_at, updated_at,"
			 " municipality_code, grant_cents, spend_from,"
			 " spend_until, municipality_name, name) VALUES"
			 " ('t', 't', %s, 'Hilversum', 'NPO')",
			 bad[i]);
		ck_assert_msg(db_exec(c, sql, &err) == -1, "accepted: %s",
			      bad[i]);
		ck_assert_int_eq(err.status, 409);
		err_clear(&err);
	}
	exec_ok(c, "INSERT INTO budgets (created_at, updated_at,"
		   " municipality_code, grant_cents, spend_from, spend_until,"
		   " municipality_name, name) VALUES ('t', 't', 'GM0402',"
		   " 213850964, '2021-07-01', '2025-07-31', 'Hilversum',"
		   " 'NPO')");
	ck_assert_int_eq(query_int(c, "SELECT grant_cents FROM budgets"),
			 213850964);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(budget_schema_refuses_non_dates)
{
	/* spend_from, spend_until: each pair has one that is not a date */
	static const char *const bad[][2] = {
		{ "2021-7-1", "2025-07-31" },	{ "2021-07-01", "zzz" },
		{ "2021-07-01", "2025-13-01" }, { "2021-02-30", "2025-07-31" },
		{ "2021-07-01", "2023-02-29" },
	};
	struct tmp t;
	struct db *db;
	struct db_conn *c;
	struct npo_err err = { 0 };
	char sql[512], accepted[256] = "";
	size_t n = 0;

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	/* the schema backs up validate_date() */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO budgets (created_at, updated_at,"
			 " municipality_code, grant_cents, spend_from,"
			 " spend_until, municipality_name, name) VALUES"
			 " ('t', 't', 'GM0402', 1, '%s', '%s', 'Hilversum',"
			 " 'NPO')",
			 bad[i][0], bad[i][1]);
		if (db_exec(c, sql, &err) == 0) {
			n += (size_t)snprintf(accepted + n,
					      sizeof(accepted) - n, " %s..%s",
					      bad[i][0], bad[i][1]);
			continue;
		}
		ck_assert_int_eq(err.status, 409);
		err_clear(&err);
	}
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
	ck_assert_msg(n == 0, "accepted (SQLite %s):%s", sqlite3_libversion(),
		      accepted);
}
END_TEST

static void assert_maps(struct db_conn *c, int rc, int status, const char *code)
{
	struct npo_err err = { 0 };

	ck_assert_int_eq(db_error(c, rc, &err), -1);
	ck_assert_msg(err.status == status, "rc %d: status %d, want %d", rc,
		      err.status, status);
	ck_assert_str_eq(err.code, code);
	ck_assert_msg(err.detail[0] != '\0', "rc %d: no detail", rc);
	err_clear(&err);
}

START_TEST(error_mapping)
{
	struct tmp t;
	struct db *db;
	struct db_conn *c;

	tmp_make(&t);
	db = open_ok(&t, 1);
	c = db_acquire(db);
	assert_maps(c, SQLITE_FULL, 507, "disk_full");
	assert_maps(c, SQLITE_READONLY, 503, "read_only");
	assert_maps(c, SQLITE_READONLY_DBMOVED, 503, "read_only");
	assert_maps(c, SQLITE_BUSY, 503, "busy");
	assert_maps(c, SQLITE_BUSY_SNAPSHOT, 503, "busy");
	assert_maps(c, SQLITE_LOCKED, 503, "busy");
	assert_maps(c, SQLITE_CONSTRAINT, 409, "constraint");
	assert_maps(c, SQLITE_CONSTRAINT_UNIQUE, 409, "duplicate");
	assert_maps(c, SQLITE_TOOBIG, 413, "too_large");
	assert_maps(c, SQLITE_IOERR_WRITE, 500, "internal");
	assert_maps(c, SQLITE_CORRUPT, 500, "internal");
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

START_TEST(not_ready_without_connection)
{
	ck_assert(!db_ready(NULL));
}
END_TEST

/*
 * A database of schema 2 (before the bounds of migration 3) whose budget 2
 * already holds more than int64 can count migrates, with the sums of budget
 * 1 as they are and budget 2 at the largest bound, so nothing more is added
 * to it; from then on the triggers keep the bounds.
 */
START_TEST(migration_3_bounds_what_is_there)
{
	static const char *const fill =
		"INSERT INTO budgets (created_at, updated_at, municipality_code,"
		" municipality_name, name, grant_cents, spend_from, spend_until)"
		" VALUES ('x', 'x', 'GM0402', 'H', 'NPO', 100, '2021-07-01',"
		" '2025-07-31'), ('x', 'x', 'GM0406', 'H', 'NPO', 100,"
		" '2021-07-01', '2025-07-31');"
		"INSERT INTO goals (created_at, updated_at, budget_id, code, name,"
		" allocated_cents) VALUES ('x', 'x', 1, '1', 'g', 70),"
		" ('x', 'x', 1, '2', 'g', 30), ('x', 'x', 2, '1', 'g', 0);"
		"INSERT INTO programmes (created_at, updated_at, goal_id,"
		" budget_id, name, budget_cents) VALUES ('x', 'x', 1, 1, 'p', 60),"
		" ('x', 'x', 3, 2, 'p', 9000000000000000000),"
		" ('x', 'x', 3, 2, 'p', 9000000000000000000);"
		"INSERT INTO expenditures (created_at, updated_at, programme_id,"
		" amount_cents, spent_on, description) VALUES"
		" ('x', 'x', 1, 25, '2023-01-01', 'f'),"
		" ('x', 'x', 1, 5, '2023-01-01', 'f');";
	struct tmp t;
	struct db *db;
	struct db_conn *c;

	sqlite3 *h;

	/* a database of schema 2: the first two migrations as they are */
	tmp_make(&t);
	ck_assert_int_eq(sqlite3_open(t.path, &h), SQLITE_OK);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(sqlite3_exec(h, embedded_migrations[i].sql,
					      NULL, NULL, NULL),
				 SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, fill, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version = 2", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);

	db = open_ok(&t, 1);
	c = db_acquire(db);
	ck_assert_int_eq(query_int(c, "PRAGMA user_version"),
			 db_schema_latest());
	ck_assert_int_eq(query_int(c, "SELECT allocated FROM budget_bounds"
				      " WHERE budget_id = 1"),
			 100);
	ck_assert_int_eq(query_int(c, "SELECT programmed FROM budget_bounds"
				      " WHERE budget_id = 1"),
			 60);
	ck_assert_int_eq(query_int(c, "SELECT money FROM budget_bounds"
				      " WHERE budget_id = 1"),
			 30);
	ck_assert_int_eq(query_int(c, "SELECT programmed FROM budget_bounds"
				      " WHERE budget_id = 2"),
			 INT64_MAX);
	/* the triggers: an expenditure adds, a change replaces, a delete
	 * takes away */
	exec_ok(c, "INSERT INTO expenditures (created_at, updated_at,"
		   " programme_id, amount_cents, spent_on, description)"
		   " VALUES ('x', 'x', 1, 7, '2023-01-01', 'f')");
	exec_ok(c, "UPDATE expenditures SET amount_cents = 20 WHERE id = 1");
	exec_ok(c, "DELETE FROM expenditures WHERE id = 2");
	ck_assert_int_eq(query_int(c, "SELECT money FROM budget_bounds"
				      " WHERE budget_id = 1"),
			 27);
	/* past int64 is refused: the sum would turn into a REAL */
	ck_assert_int_eq(sqlite3_exec(db_handle(c),
				      "UPDATE programmes SET budget_cents = 1"
				      " WHERE id = 1; INSERT INTO programmes"
				      " (created_at, updated_at, goal_id,"
				      " budget_id, name, budget_cents) VALUES"
				      " ('x', 'x', 3, 2, 'p', 1)",
				      NULL, NULL, NULL),
			 SQLITE_CONSTRAINT_CHECK);
	db_release(db, c);
	db_close(db);
	tmp_remove(&t);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, base_make, base_remove);
	tcase_add_test(tc, open_migrates_fresh_file);
	tcase_add_test(tc, open_again_is_idempotent);
	tcase_add_test(tc, migration_3_bounds_what_is_there);
	tcase_add_test(tc, pool_hands_out_each_connection);
	tcase_add_test(tc, refuses_newer_schema);
	tcase_add_test(tc, refuses_garbage_file);
	tcase_add_test(tc, refuses_missing_directory);
	tcase_add_test(tc, prepare_caches_statements);
	tcase_add_test(tc, done_resets_and_clears);
	tcase_add_test(tc, prepare_evicts_when_full);
	tcase_add_test(tc, prepare_refuses_bad_sql);
	tcase_add_test(tc, rollback_leaves_no_change);
	tcase_add_test(tc, release_rolls_back_open_transaction);
	tcase_add_test(tc, audit_is_append_only);
	tcase_add_test(tc, budget_checks_in_schema);
	tcase_add_test(tc, budget_schema_refuses_non_dates);
	tcase_add_test(tc, error_mapping);
	tcase_add_test(tc, a_write_inside_a_write_is_a_savepoint);
	tcase_add_test(tc, writers_that_commit_together_share_an_fsync);
	tcase_add_test(tc, not_ready_without_connection);
}

CHECK_MAIN("db")
