#include "npo/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "npo/embedded.h"
#include "npo/metrics.h"

#define STMT_CACHE 128
#define BUSY_TIMEOUT_MS 5000

struct stmt_slot {
	char *sql; /* owned; NULL when the slot is free */
	sqlite3_stmt *st;
	bool in_use;
};

struct db_conn {
	sqlite3 *h;
	struct db *db;
	bool writing; /* holds db->write_lock, from BEGIN IMMEDIATE to the end */
	int nested;   /* savepoints of writes begun inside the write */
	const struct scope *scope; /* of the request using it; NULL: all */
	bool spare;  /* one of the connections set aside by db_reserve */
	int bind_rc; /* the first failed bind since the last step */
	struct stmt_slot cache[STMT_CACHE];
	unsigned next_evict;
	struct db_conn *next_free;
};

struct db {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	/*
	 * One write transaction at a time in this process. SQLite lets only one
	 * writer in anyway; without this, the others wait in its busy handler,
	 * which sleeps (1, 2, 5 … 100 ms) and polls, so under concurrent writes
	 * the lock sits free while they sleep. Here they queue and the next one
	 * starts the moment the last commits.
	 */
	pthread_mutex_t write_lock;
	struct db_conn *spare_list; /* for streamed replies (db_reserve) */
	struct db_conn *conns;
	unsigned nconn;
	struct db_conn *free_list;
	/*
	 * The file that is open, by device and inode: when the file at the
	 * path is no longer the one open (deleted, or replaced by another),
	 * a commit would go into a file nobody will ever open again, so
	 * writes are refused from then on (db_commit, db_ready). One stat()
	 * of the main file per write; one of the WAL, which every commit
	 * appends to and syncs, cost a fifth of the write rate (bench/run),
	 * and whoever deletes the WAL deletes the file with it.
	 */
	char *path;
	struct file_id {
		bool known;
		dev_t dev;
		ino_t ino;
	} main_file;
	atomic_bool gone;
	int migrated; /* migrations db_open applied */
	/*
	 * Group commit. A COMMIT writes its pages to the WAL without a sync
	 * (synchronous=NORMAL) and takes the next number (committed, under
	 * write_lock); then, with write_lock free for the next writer, it
	 * waits until the WAL is synced up to its number. The first to wait
	 * syncs for every commit made by then, the others wait for it: so
	 * writers that commit together share one fsync, and none is
	 * answered before the fsync that holds its commit.
	 */
	pthread_mutex_t sync_lock;
	pthread_cond_t synced_cond;
	uint64_t committed; /* commits so far (under write_lock) */
	uint64_t synced;    /* commits the WAL is synced for (sync_lock) */
	uint64_t syncs;	    /* fsyncs of the WAL so far (sync_lock) */
	bool syncing;	    /* one syncs now (sync_lock) */
	/*
	 * The revision as last read (-1: not known), so that a request asks
	 * the file only after a write: a commit here forgets it (and moves
	 * the epoch, so a read that began before the commit is not kept);
	 * the keeper reads it four times a second, which is how a write by
	 * another process is seen.
	 */
	atomic_llong revision;
	atomic_ullong revision_epoch;
};

uint64_t db_syncs(struct db *db)
{
	uint64_t n;

	pthread_mutex_lock(&db->sync_lock);
	n = db->syncs;
	pthread_mutex_unlock(&db->sync_lock);
	return n;
}

int db_migrated(const struct db *db)
{
	return db->migrated;
}

/* The device and inode of the file at path now (known false: none). */
static struct file_id file_id_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return (struct file_id){ 0 };
	return (struct file_id){ true, st.st_dev, st.st_ino };
}

static bool same_file(struct file_id a, struct file_id b)
{
	return a.known == b.known &&
	       (!a.known || (a.dev == b.dev && a.ino == b.ino));
}

/* True (and logged the first time) once the database file at the path is
 * not the one this process has open. */
static bool file_gone(struct db *db)
{
	if (atomic_load(&db->gone))
		return true;
	if (same_file(file_id_of(db->path), db->main_file))
		return false;
	if (!atomic_exchange(&db->gone, true))
		util_log("db: %s was deleted or replaced while open: refusing "
			 "every write from now on (they would be lost); "
			 "restart the daemon",
			 db->path);
	return true;
}

int db_schema_latest(void)
{
	return embedded_migrations_count;
}

/* Runs sql on a bare handle (start-up, before the pool exists). */
static int exec_raw(sqlite3 *h, const char *sql, const char *path, char *msg,
		    size_t msglen)
{
	char *e = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &e) == SQLITE_OK)
		return 0;
	snprintf(msg, msglen, "database %s: %s", path,
		 e ? e : sqlite3_errmsg(h));
	sqlite3_free(e);
	return -1;
}

/* Reads one integer from a one-row query; -1 on failure. */
static int query_int(sqlite3 *h, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Opens path read-write, creating it. When the database cannot be written
 * where it lies (SQLite keeps -wal and -shm files beside a WAL database, so
 * a read-only directory refuses even reads), *readonly is set and it is
 * opened read-only and immutable instead: reads work, every write gets
 * SQLITE_READONLY, which the API answers with 503.
 */
static int open_handle(const char *path, bool *readonly, sqlite3 **out,
		       char *msg, size_t msglen)
{
	sqlite3 *h = NULL;
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	char uri[4200];
	size_t n = 0;
	int rc;

	if (!*readonly) {
		rc = sqlite3_open_v2(path, &h,
				     flags | SQLITE_OPEN_READWRITE |
					     SQLITE_OPEN_CREATE,
				     NULL);
		if (rc == SQLITE_OK) {
			sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
			rc = sqlite3_exec(
				h,
				"PRAGMA journal_mode=WAL;"
				" PRAGMA synchronous=FULL;"
				" PRAGMA foreign_keys=ON;"
				/* the savepoints of a write inside a
				 * write (an import's rows) keep what
				 * they undo in memory, not in a file */
				" PRAGMA temp_store=MEMORY;",
				NULL, NULL, NULL);
		}
		if (rc == SQLITE_OK) {
			*out = h;
			return 0;
		}
		if ((rc & 0xff) != SQLITE_READONLY) {
			snprintf(msg, msglen, "cannot open database %s: %s",
				 path,
				 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
			sqlite3_close(h);
			return -1;
		}
		sqlite3_close(h);
		h = NULL;
		*readonly = true;
		util_log("db: %s cannot be written here; serving reads only",
			 path);
	}
	/* file:PATH?immutable=1, with the URI's special characters escaped */
	n += (size_t)snprintf(uri, sizeof(uri), "file:");
	for (const char *p = path; *p && n + 4 < sizeof(uri); p++)
		n += (size_t)(strchr("%?#", *p)
				      ? snprintf(uri + n, sizeof(uri) - n,
						 "%%%02X", (unsigned char)*p)
				      : snprintf(uri + n, sizeof(uri) - n, "%c",
						 *p));
	snprintf(uri + n, sizeof(uri) - n, "?immutable=1");
	rc = sqlite3_open_v2(
		uri, &h, flags | SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK || sqlite3_exec(h, "PRAGMA foreign_keys=ON;", NULL,
					    NULL, NULL) != SQLITE_OK) {
		snprintf(msg, msglen, "cannot open database %s: %s", path,
			 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

/* PRAGMA quick_check must answer the single row "ok". */
static int check_integrity(sqlite3 *h, const char *path, char *msg,
			   size_t msglen)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, msglen, "database %s is not usable: %s", path,
			 sqlite3_errmsg(h));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		snprintf(msg, msglen, "database %s is corrupt: %s", path,
			 rc == SQLITE_ROW
				 ? (const char *)sqlite3_column_text(st, 0)
				 : sqlite3_errmsg(h));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Applies every migration newer than user_version, each in its own
 * transaction together with the new user_version. */
static int migrate(sqlite3 *h, const char *path, int *applied, char *msg,
		   size_t msglen)
{
	int64_t have;
	char sql[64];

	if (query_int(h, "PRAGMA user_version", &have) < 0) {
		snprintf(msg, msglen, "database %s is not usable: %s", path,
			 sqlite3_errmsg(h));
		return -1;
	}
	if (have > embedded_migrations_count) {
		snprintf(msg, msglen,
			 "database %s has schema version %lld, newer than this "
			 "npo-budgetd knows (%d); use a newer npo-budgetd",
			 path, (long long)have, embedded_migrations_count);
		return -1;
	}
	for (int i = (int)have; i < embedded_migrations_count; i++) {
		const struct embedded_migration *m = &embedded_migrations[i];

		/* an integer from our own table, not a value from outside */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;",
			 m->number);
		if (exec_raw(h, "BEGIN IMMEDIATE;", path, msg, msglen) < 0)
			return -1;
		if (exec_raw(h, m->sql, path, msg, msglen) < 0 ||
		    exec_raw(h, sql, path, msg, msglen) < 0 ||
		    exec_raw(h, "COMMIT;", path, msg, msglen) < 0) {
			size_t n = strlen(msg);

			snprintf(msg + n, msglen - n, " (in migration %s)",
				 m->name);
			sqlite3_exec(h, "ROLLBACK;", NULL, NULL, NULL);
			return -1;
		}
		(*applied)++;
	}
	return 0;
}

int db_open(const char *path, unsigned nconn, struct db **out, char *msg,
	    size_t msglen)
{
	struct db *db;
	sqlite3 *h;
	bool readonly = false;
	int applied = 0;

	if (nconn == 0)
		nconn = 1;
	if (open_handle(path, &readonly, &h, msg, msglen) < 0)
		return -1;
	if (check_integrity(h, path, msg, msglen) < 0 ||
	    migrate(h, path, &applied, msg, msglen) < 0) {
		sqlite3_close(h);
		return -1;
	}
	db = calloc(1, sizeof(*db));
	if (!db || !(db->conns = calloc(nconn, sizeof(*db->conns)))) {
		snprintf(msg, msglen, "out of memory");
		free(db);
		sqlite3_close(h);
		return -1;
	}
	db->migrated = applied;
	atomic_init(&db->revision, -1);
	atomic_init(&db->revision_epoch, 0);
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->freed, NULL);
	pthread_mutex_init(&db->write_lock, NULL);
	pthread_mutex_init(&db->sync_lock, NULL);
	pthread_cond_init(&db->synced_cond, NULL);
	db->nconn = nconn;
	db->conns[0].h = h;
	for (unsigned i = 0; i < nconn; i++)
		db->conns[i].db = db;
	for (unsigned i = 1; i < nconn; i++) {
		if (open_handle(path, &readonly, &db->conns[i].h, msg, msglen) <
		    0) {
			db_close(db);
			return -1;
		}
	}
	for (unsigned i = 0; i < nconn; i++) {
		/* a commit's sync is the group's (group_sync); migrations
		 * above still synced each of theirs */
		if (!readonly &&
		    sqlite3_exec(db->conns[i].h, "PRAGMA synchronous=NORMAL",
				 NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(msg, msglen, "cannot open database %s: %s",
				 path, sqlite3_errmsg(db->conns[i].h));
			db_close(db);
			return -1;
		}
		db->conns[i].next_free = db->free_list;
		db->free_list = &db->conns[i];
	}
	if (!(db->path = strdup(path))) {
		snprintf(msg, msglen, "out of memory");
		db_close(db);
		return -1;
	}
	db->main_file = file_id_of(path);
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (unsigned i = 0; i < db->nconn; i++) {
		struct db_conn *c = &db->conns[i];

		for (int j = 0; j < STMT_CACHE; j++) {
			sqlite3_finalize(c->cache[j].st);
			free(c->cache[j].sql);
		}
		if (c->h && sqlite3_close(c->h) != SQLITE_OK)
			util_log("db: close: %s", sqlite3_errmsg(c->h));
	}
	pthread_cond_destroy(&db->freed);
	pthread_cond_destroy(&db->synced_cond);
	pthread_mutex_destroy(&db->sync_lock);
	pthread_mutex_destroy(&db->lock);
	pthread_mutex_destroy(&db->write_lock);
	free(db->conns);
	free(db->path);
	free(db);
}

struct db_conn *db_acquire(struct db *db)
{
	struct db_conn *c;

	pthread_mutex_lock(&db->lock);
	while (!db->free_list)
		pthread_cond_wait(&db->freed, &db->lock);
	c = db->free_list;
	db->free_list = c->next_free;
	pthread_mutex_unlock(&db->lock);
	return c;
}

void db_reserve(struct db *db, unsigned n)
{
	pthread_mutex_lock(&db->lock);
	for (; n > 0 && db->free_list; n--) {
		struct db_conn *c = db->free_list;

		db->free_list = c->next_free;
		c->spare = true;
		c->next_free = db->spare_list;
		db->spare_list = c;
	}
	pthread_mutex_unlock(&db->lock);
}

struct db_conn *db_try_acquire(struct db *db)
{
	struct db_conn *c;

	pthread_mutex_lock(&db->lock);
	c = db->spare_list;
	if (c)
		db->spare_list = c->next_free;
	pthread_mutex_unlock(&db->lock);
	return c;
}

void db_release(struct db *db, struct db_conn *c)
{
	if (!sqlite3_get_autocommit(c->h) || c->writing) {
		util_log("db: connection released inside a transaction");
		c->nested = 0;
		db_rollback(c);
	}
	c->scope = NULL;
	pthread_mutex_lock(&db->lock);
	if (c->spare) {
		c->next_free = db->spare_list;
		db->spare_list = c;
	} else {
		c->next_free = db->free_list;
		db->free_list = c;
		pthread_cond_signal(&db->freed);
	}
	pthread_mutex_unlock(&db->lock);
}

void db_set_scope(struct db_conn *c, const struct scope *s)
{
	c->scope = s;
}

const struct scope *db_scope(const struct db_conn *c)
{
	return c->scope;
}

sqlite3 *db_handle(struct db_conn *c)
{
	return c->h;
}

sqlite3_stmt *db_prepare(struct db_conn *c, const char *sql,
			 struct npo_err *err)
{
	struct stmt_slot *free_slot = NULL;
	struct stmt_slot *s;
	int rc;

	for (int i = 0; i < STMT_CACHE; i++) {
		s = &c->cache[i];
		if (!s->sql) {
			if (!free_slot)
				free_slot = s;
		} else if (!s->in_use && strcmp(s->sql, sql) == 0) {
			s->in_use = true;
			return s->st;
		}
	}
	/* no free slot: evict one that is not in use, round robin */
	for (int i = 0; !free_slot && i < STMT_CACHE; i++) {
		s = &c->cache[(c->next_evict + i) % STMT_CACHE];
		if (!s->in_use) {
			c->next_evict = (unsigned)(s - c->cache) + 1;
			sqlite3_finalize(s->st);
			free(s->sql);
			s->sql = NULL;
			free_slot = s;
		}
	}
	if (!free_slot) {
		util_log("db: statement cache exhausted");
		err_set(err, NPO_E_INTERNAL, "internal error");
		return NULL;
	}
	rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
				&free_slot->st, NULL);
	if (rc != SQLITE_OK) {
		db_error(c, rc, err);
		return NULL;
	}
	free_slot->sql = strdup(sql);
	if (!free_slot->sql) {
		sqlite3_finalize(free_slot->st);
		free_slot->st = NULL;
		err_set(err, NPO_E_INTERNAL, "out of memory");
		return NULL;
	}
	free_slot->in_use = true;
	return free_slot->st;
}

void db_done(struct db_conn *c, sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	c->bind_rc = SQLITE_OK;
	for (int i = 0; i < STMT_CACHE; i++)
		if (c->cache[i].st == st) {
			c->cache[i].in_use = false;
			return;
		}
	util_log("db: db_done on a statement not from the cache");
}

static void bound(struct db_conn *c, int rc)
{
	if (rc != SQLITE_OK && c->bind_rc == SQLITE_OK)
		c->bind_rc = rc;
}

void db_bind_int64(struct db_conn *c, sqlite3_stmt *st, int i, int64_t v)
{
	bound(c, sqlite3_bind_int64(st, i, v));
}

void db_bind_text(struct db_conn *c, sqlite3_stmt *st, int i, const char *s,
		  int len)
{
	bound(c, s ? sqlite3_bind_text(st, i, s, len, SQLITE_TRANSIENT)
		   : sqlite3_bind_null(st, i));
}

void db_bind_null(struct db_conn *c, sqlite3_stmt *st, int i)
{
	bound(c, sqlite3_bind_null(st, i));
}

int db_step(struct db_conn *c, sqlite3_stmt *st, struct npo_err *err)
{
	int rc = c->bind_rc;

	if (rc != SQLITE_OK) {
		c->bind_rc = SQLITE_OK;
		util_log("db: a bind failed: %s", sqlite3_errstr(rc));
		return db_error(c, rc, err);
	}
	rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	return db_error(c, rc, err);
}

int db_exec(struct db_conn *c, const char *sql, struct npo_err *err)
{
	int rc = sqlite3_exec(c->h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_error(c, rc, err);
}

static int gone(struct npo_err *err)
{
	return err_set(err, NPO_E_DATABASE_GONE,
		       "the database file was deleted or replaced while the "
		       "daemon ran; nothing was changed (restart the daemon)");
}

/* The write transaction has ended: the next writer may begin. */
static void end_write(struct db_conn *c)
{
	if (!c->writing)
		return;
	metrics_db_write_end();
	c->writing = false;
	pthread_mutex_unlock(&c->db->write_lock);
}

int db_begin_write(struct db_conn *c, struct npo_err *err)
{
	struct timespec deadline, now;
	long left_ms;
	int rc;

	if (c->writing) {
		if (db_exec(c, "SAVEPOINT nested", err) < 0)
			return -1;
		c->nested++;
		return 0;
	}
	/* the wait in the queue counts against the busy timeout: a writer
	 * queued behind one that waits for another process still gives up
	 * (503 busy) after BUSY_TIMEOUT_MS, as it would with SQLite alone */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += BUSY_TIMEOUT_MS / 1000;
	if (pthread_mutex_clocklock(&c->db->write_lock, CLOCK_MONOTONIC,
				    &deadline) != 0)
		return err_set(err, NPO_E_BUSY,
			       "the database is busy; try again");
	c->writing = true;
	metrics_db_write_begin();
	clock_gettime(CLOCK_MONOTONIC, &now);
	left_ms = (long)(deadline.tv_sec - now.tv_sec) * 1000 +
		  (deadline.tv_nsec - now.tv_nsec) / 1000000;
	sqlite3_busy_timeout(c->h, left_ms > 0 ? (int)left_ms : 1);
	rc = db_exec(c, "BEGIN IMMEDIATE", err);
	sqlite3_busy_timeout(c->h, BUSY_TIMEOUT_MS);
	if (rc == 0)
		return 0;
	end_write(c);
	return -1;
}

int db_begin_read(struct db_conn *c, struct npo_err *err)
{
	return db_exec(c, "BEGIN", err);
}

/* Syncs the WAL through c's own handle of it (SQLite's, so always the file
 * that is the WAL now). */
static int sync_wal(struct db_conn *c, struct npo_err *err)
{
	sqlite3_file *wal = NULL;
	int rc = sqlite3_file_control(c->h, "main",
				      SQLITE_FCNTL_JOURNAL_POINTER, &wal);

	if (rc == SQLITE_OK && wal && wal->pMethods)
		rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
	return rc == SQLITE_OK ? 0 : db_error(c, rc, err);
}

/* Waits until the WAL is synced for commit number seq, syncing it for
 * every commit made so far when nobody else is (see struct db). */
static int group_sync(struct db_conn *c, uint64_t seq, struct npo_err *err)
{
	struct db *db = c->db;
	int rc = 0;

	pthread_mutex_lock(&db->sync_lock);
	while (db->synced < seq && rc == 0) {
		uint64_t upto;

		if (db->syncing) {
			pthread_cond_wait(&db->synced_cond, &db->sync_lock);
			continue;
		}
		db->syncing = true;
		pthread_mutex_unlock(&db->sync_lock);
		pthread_mutex_lock(&db->write_lock);
		upto = db->committed; /* what the WAL holds by now */
		pthread_mutex_unlock(&db->write_lock);
		rc = sync_wal(c, err);
		pthread_mutex_lock(&db->sync_lock);
		db->syncing = false;
		db->syncs++;
		if (rc == 0 && upto > db->synced)
			db->synced = upto;
		pthread_cond_broadcast(&db->synced_cond);
	}
	pthread_mutex_unlock(&db->sync_lock);
	return rc;
}

int db_commit(struct db_conn *c, struct npo_err *err)
{
	if (c->nested) {
		if (db_exec(c, "RELEASE nested", err) == 0) {
			c->nested--;
			return 0;
		}
		db_rollback(c);
		return -1;
	}
	if (c->writing && file_gone(c->db)) {
		db_rollback(c);
		return gone(err);
	}
	if (db_exec(c, "COMMIT", err) == 0) {
		bool wrote = c->writing;
		uint64_t seq = wrote ? ++c->db->committed : 0;

		if (wrote) {
			/* before the answer: the next request asks again */
			atomic_fetch_add(&c->db->revision_epoch, 1);
			atomic_store(&c->db->revision, -1);
		}

		end_write(c);
		return wrote ? group_sync(c, seq, err) : 0;
	}
	db_rollback(c);
	return -1;
}

void db_rollback(struct db_conn *c)
{
	if (c->nested && !sqlite3_get_autocommit(c->h)) {
		c->nested--;
		if (sqlite3_exec(c->h, "ROLLBACK TO nested; RELEASE nested",
				 NULL, NULL, NULL) == SQLITE_OK)
			return;
	}
	c->nested = 0;
	if (!sqlite3_get_autocommit(c->h))
		sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
	end_write(c);
}

int db_error(struct db_conn *c, int rc, struct npo_err *err)
{
	const char *m = sqlite3_errmsg(c->h);

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return err_set(err, NPO_E_DISK_FULL,
			       "the disk is full; nothing was changed");
	case SQLITE_READONLY:
		return err_set(
			err, NPO_E_READ_ONLY,
			"the database is read-only; nothing was changed");
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return err_set(err, NPO_E_BUSY,
			       "the database is busy; try again");
	case SQLITE_CONSTRAINT:
		/* migrations/0003_bounds.sql: a sum past int64 became a REAL */
		if (rc == SQLITE_CONSTRAINT_CHECK && strstr(m, "figures_fit"))
			return err_set(
				err, NPO_E_OVERFLOW,
				"the figures of this budget would add up "
				"to more than can be counted; nothing was "
				"changed");
		if (rc == SQLITE_CONSTRAINT_UNIQUE)
			return err_set(err, NPO_E_DUPLICATE,
				       "one like it exists already (%s)", m);
		return err_set(err, NPO_E_CONSTRAINT,
			       "the change breaks a rule of the database: %s",
			       m);
	case SQLITE_TOOBIG:
		return err_set(err, NPO_E_TOO_LARGE, "a value is too large");
	case SQLITE_ERROR:
		/* sum() refuses to wrap: an amount too large to add up */
		if (strcmp(m, "integer overflow") == 0)
			return err_set(err, NPO_E_OVERFLOW,
				       "the amounts would add up to more than "
				       "can be counted; nothing was changed");
		/* fall through */
	default:
		util_log("db: sqlite error %d: %s", rc, m);
		return err_set(err, NPO_E_INTERNAL, "internal error");
	}
}

bool db_ready(struct db_conn *c)
{
	int64_t v;

	return c && !file_gone(c->db) &&
	       query_int(c->h, "PRAGMA user_version", &v) == 0 &&
	       v == embedded_migrations_count;
}

int db_revision(struct db_conn *c, int64_t *rev, struct npo_err *err)
{
	unsigned long long epoch = atomic_load(&c->db->revision_epoch);
	sqlite3_stmt *st = db_prepare(
		c, "SELECT value FROM meta WHERE key = 'revision'", err);
	int rc;

	if (!st)
		return -1;
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW)
		*rev = sqlite3_column_int64(st, 0);
	db_done(c, st);
	if (rc == SQLITE_DONE)
		return err_set(err, NPO_E_INTERNAL, "no revision");
	/* outside a transaction it is the revision now: kept, unless a
	 * commit came in between */
	if (rc == SQLITE_ROW && sqlite3_get_autocommit(c->h) &&
	    atomic_load(&c->db->revision_epoch) == epoch)
		atomic_store(&c->db->revision, *rev);
	return rc == SQLITE_ROW ? 0 : -1;
}

int db_revision_now(struct db_conn *c, int64_t *rev, struct npo_err *err)
{
	long long known = atomic_load(&c->db->revision);

	if (known >= 0) {
		*rev = known;
		return 0;
	}
	return db_revision(c, rev, err);
}
