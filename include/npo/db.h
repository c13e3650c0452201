/*
 * The database: one SQLite file in WAL mode with synchronous=FULL, foreign
 * keys on and a busy timeout; migrations compiled into the binary and tracked
 * with PRAGMA user_version; a pool of connections, one per worker thread.
 * Every other module reaches SQLite through this one and store.h.
 */
#ifndef NPO_DB_H
#define NPO_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "npo/util.h"

struct db;	/* the pool */
struct db_conn; /* one connection with its statement cache */

/*
 * Opens path (creating it), sets the pragmas, runs PRAGMA quick_check and
 * applies pending migrations, then opens nconn connections. A corrupt or
 * unreadable file, or one written by a newer binary, fails with a message
 * naming the file in msg. Returns 0 or -1.
 */
int db_open(const char *path, unsigned nconn, struct db **out, char *msg,
	    size_t msglen);
void db_close(struct db *db);
/* How many migrations db_open applied (0: the schema was current). */
int db_migrated(const struct db *db);
/* How many times the WAL was synced for commits (commits made together
 * share one: db_commit). */
uint64_t db_syncs(struct db *db);

/* The schema version this binary migrates to. */
int db_schema_latest(void);

/* Takes a connection from the pool, waiting while all are in use; give it
 * back with db_release. */
struct db_conn *db_acquire(struct db *db);
void db_release(struct db *db, struct db_conn *c);
/* Sets n of the free connections aside for streamed replies, which hold
 * one after their handler; db_acquire never hands those out. */
void db_reserve(struct db *db, unsigned n);
/* One of the connections set aside, without waiting; NULL when all are in
 * use. Give it back with db_release. */
struct db_conn *db_try_acquire(struct db *db);

struct scope;
/* The scope of the token whose request uses c (scope.h): the store limits
 * every read and write on c to it. NULL (as every connection starts and is
 * released): all rows. s must outlive its use on c. */
void db_set_scope(struct db_conn *c, const struct scope *s);
const struct scope *db_scope(const struct db_conn *c);

/* The raw handle, for code that needs one call SQLite has and we do not. */
sqlite3 *db_handle(struct db_conn *c);

/*
 * A prepared statement for sql, cached per connection: the caller must hand
 * it back with db_done (which resets it and clears its bindings) and must not
 * finalize it. On failure fills err and returns NULL.
 */
sqlite3_stmt *db_prepare(struct db_conn *c, const char *sql,
			 struct npo_err *err);
void db_done(struct db_conn *c, sqlite3_stmt *st);

/*
 * Binds a value to parameter i of st (text is copied; NULL text binds NULL).
 * A failure (too big, out of memory, no such parameter) is kept in the
 * connection and answered by the next db_step of it, so a call site binds
 * in one line and still never steps a statement bound wrong.
 */
void db_bind_int64(struct db_conn *c, sqlite3_stmt *st, int i, int64_t v);
void db_bind_text(struct db_conn *c, sqlite3_stmt *st, int i, const char *s,
		  int len);
void db_bind_null(struct db_conn *c, sqlite3_stmt *st, int i);

/* Steps st and maps any error into err (also one of binding it): returns
 * SQLITE_ROW, SQLITE_DONE or -1 (err filled). */
int db_step(struct db_conn *c, sqlite3_stmt *st, struct npo_err *err);

/* Runs sql without results; 0 or -1 with err filled. */
int db_exec(struct db_conn *c, const char *sql, struct npo_err *err);

/*
 * BEGIN IMMEDIATE / BEGIN (a read snapshot) / COMMIT / ROLLBACK. A write
 * transaction first waits for the pool's write lock, so the writers of one
 * process queue instead of polling SQLite's busy handler; COMMIT, ROLLBACK
 * (also of a failed COMMIT) and db_release hand it on. A write begun inside
 * a write transaction is a savepoint of it: its commit keeps its changes for
 * the outer one to commit, its rollback undoes only them (the imports and
 * the demo run the one write path many times in one transaction).
 */
int db_begin_write(struct db_conn *c, struct npo_err *err);
int db_begin_read(struct db_conn *c, struct npo_err *err);
int db_commit(struct db_conn *c, struct npo_err *err);
void db_rollback(struct db_conn *c);

/*
 * The one place SQLite result codes become API errors: SQLITE_FULL -> 507,
 * SQLITE_READONLY -> 503, constraint -> 409, busy -> 503, otherwise 500
 * (logged). Returns -1.
 */
int db_error(struct db_conn *c, int rc, struct npo_err *err);

/* The database-wide revision, bumped by every write transaction. */
int db_revision(struct db_conn *c, int64_t *rev, struct npo_err *err);
/* The same outside a transaction, without asking the file unless a write
 * of this process came since it was last read; a write of another process
 * is seen within the keeper's quarter second (server.c). */
int db_revision_now(struct db_conn *c, int64_t *rev, struct npo_err *err);

/* True when the pool is open and migrated (for /readyz). */
bool db_ready(struct db_conn *c);

#endif
