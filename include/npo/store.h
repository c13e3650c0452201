/*
 * Generic storage of declared resources: each resource is one table with the
 * columns id, version, created_at, updated_at and its declared fields. SQL is
 * composed only from the static declarations; every value is bound.
 */
#ifndef NPO_STORE_H
#define NPO_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "npo/csv.h"
#include "npo/db.h"
#include "npo/resource.h"
#include "npo/validate.h"

/* Reads one row as a new JSON object; 404 in err when there is none. */
int store_get(struct db_conn *c, const struct resource *res, int64_t id,
	      json_t **row, struct npo_err *err);

/* Inserts row (the declared fields it holds) with version 1 and the time
 * stamps; returns the new id in *id. */
int store_insert(struct db_conn *c, const struct resource *res,
		 const json_t *row, int64_t *id, struct npo_err *err);

/* Writes every declared field of row to row id and bumps its version. */
int store_update(struct db_conn *c, const struct resource *res, int64_t id,
		 const json_t *row, struct npo_err *err);

/* Deletes row id; a row others point to is 409 naming them. */
int store_delete(struct db_conn *c, const struct resource *res, int64_t id,
		 struct npo_err *err);

/* Appends an audit row; before, after and note may be NULL. */
int store_audit(struct db_conn *c, const char *actor, const char *action,
		const char *entity, int64_t id, const json_t *before,
		const json_t *after, const char *note, struct npo_err *err);

/* 1 when table has a row id, 0 when not, -1 on error. */
int store_exists(struct db_conn *c, const char *table, int64_t id,
		 struct npo_err *err);

/*
 * Gives the rows of table that match where (an SQL condition with one ?,
 * bound to id) a new version, without an audit row: what they show of
 * another row (a name next to its id) changed, so an ETag of them is no
 * longer current.
 */
int store_touch(struct db_conn *c, const char *table, const char *where,
		int64_t id, struct npo_err *err);

/* Bumps the database-wide revision (part of every write transaction). */
int store_bump_revision(struct db_conn *c, struct npo_err *err);

/* How a list filter matches: the field equals the value, lies on or after
 * it, on or before it (a date, or for a time also a date: the whole day),
 * or (text) one of the fields marked F_SEARCH holds it, in any case. */
enum store_match { MATCH_EQ, MATCH_FROM, MATCH_UNTIL, MATCH_TEXT };

struct store_filter {
	const struct field *field; /* NULL for MATCH_TEXT */
	const char *value; /* as given in the query; checked by store_list */
	enum store_match match;
};

/* The query parameter that gives filter f: the field's name, its range's
 * names (field.from, field.until), or q for a text search. */
const char *store_filter_param(const struct store_filter *f);

/* A query over the rows of a resource, read one at a time. */
struct store_cursor {
	struct db_conn *c;
	const struct resource *res;
	sqlite3_stmt *st;
};

/*
 * Opens rows in id order: ids > after, at most limit (-1: all), matching
 * every filter. A filter value that does not fit its field is 400.
 */
int store_open(struct db_conn *c, const struct resource *res,
	       const struct store_filter *filters, size_t nfilters,
	       int64_t after, int64_t limit, struct store_cursor *cur,
	       struct npo_err *err);
/* 1 and a new row, 0 at the end, -1 on error. */
int store_next(struct store_cursor *cur, json_t **row, struct npo_err *err);

/*
 * CSV straight from a cursor's columns, without a JSON object per row: where
 * each member of template sits in the row, and whether it is an integer
 * (money, when named *_cents). false when rows of res are more than their
 * columns (a line of two columns, or a present hook): CSV then goes through
 * store_next and csv_row.
 */
struct store_col {
	int col;
	bool integer, money;
};
bool store_csv_columns(const struct resource *res, const json_t *template,
		       struct store_col *cols, size_t max, size_t *n);
/* As store_next, appending the row to b as csv_row would write it. */
int store_next_csv(struct store_cursor *cur, enum csv_dialect d,
		   struct csv_buf *b, const struct store_col *cols, size_t n,
		   struct npo_err *err);
void store_close(struct store_cursor *cur);

/* An object with the members of a row of res, in order, all null. */
json_t *store_template(const struct resource *res);

/*
 * One page of rows in id order: ids > after, at most limit, matching every
 * filter. *items is a new array. With total non-NULL, also counts every
 * matching row. A filter value that does not fit its field is 400.
 */
int store_list(struct db_conn *c, const struct resource *res,
	       const struct store_filter *filters, size_t nfilters,
	       int64_t after, int limit, json_t **items, int64_t *total,
	       struct npo_err *err);

#endif
