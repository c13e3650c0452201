#include "npo/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/money.h"
#include "npo/scope.h"

/* SQL text composed from the static declarations only. */
struct sql {
	char buf[2048];
	size_t len;
	bool overflow;
};

static void sql_add(struct sql *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sql_add(struct sql *q, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (q->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(q->buf + q->len, sizeof(q->buf) - q->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(q->buf) - q->len)
		q->overflow = true;
	else
		q->len += (size_t)n;
}

static sqlite3_stmt *sql_prepare(struct db_conn *c, struct sql *q,
				 struct npo_err *err)
{
	if (q->overflow) {
		util_log("store: SQL text too long: %.80s", q->buf);
		err_set(err, NPO_E_INTERNAL, "internal error");
		return NULL;
	}
	return db_prepare(c, q->buf, err);
}

/* Runs q, a statement without results whose one ? is id. */
static int exec_with_id(struct db_conn *c, struct sql *q, int64_t id,
			struct npo_err *err)
{
	sqlite3_stmt *st = sql_prepare(c, q, err);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(c, st, 1, id);
	rc = db_step(c, st, err);
	db_done(c, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The scope of c as a condition on the rows of res (resource.h): " AND
 * (…)" added to q, " AND 0" when the scope sees none of them, nothing for
 * an unscoped connection. bind_scope binds its :scope.
 */
static void add_scope(struct sql *q, struct db_conn *c,
		      const struct resource *res)
{
	const struct scope *s = db_scope(c);
	const char *cond;

	if (!s || s->kind == SCOPE_ALL)
		return;
	cond = s->kind == SCOPE_SCHOOL && res->by_school ? res->by_school
							 : res->by_municipality;
	if (cond)
		sql_add(q, " AND (%s)", cond);
	else
		sql_add(q, " AND 0");
}

static void bind_scope(struct db_conn *c, sqlite3_stmt *st,
		       const struct resource *res)
{
	const struct scope *s = db_scope(c);
	int i = sqlite3_bind_parameter_index(st, ":scope");

	if (!s || !i)
		return;
	if (s->kind == SCOPE_SCHOOL && res->by_school)
		db_bind_int64(c, st, i, s->school_id);
	else
		db_bind_text(c, st, i, s->municipality, -1);
}

/* The resource kept in table, or NULL. */
static const struct resource *resource_of(const char *table)
{
	for (size_t i = 0; i < nresources; i++)
		if (strcmp(resources[i]->table, table) == 0)
			return resources[i];
	return NULL;
}

static bool is_integer_type(enum field_type t)
{
	return t == FIELD_INT || t == FIELD_CENTS || t == FIELD_REF;
}

/* The first columns of every select: id, then version and the time stamps
 * unless the table is plain, then the fields. */
static int first_field_column(const struct resource *res)
{
	return res->plain ? 1 : 4;
}

/* ", a, b, …" (or ", a = ?, …" with assign) for the columns of the
 * stored fields, and for a select (select true) the computed ones too; a
 * FIELD_LINE has two. The stored columns are numbered in field order. */
static void add_field_columns(struct sql *q, const struct resource *res,
			      const char *assign, bool select)
{
	for (size_t i = 0; i < res->nfields; i++) {
		const struct field *f = &res->fields[i];

		if (f->computed) {
			if (select)
				sql_add(q, ", (%s) AS %s", f->computed,
					f->name);
		} else if (f->type == FIELD_LINE) {
			sql_add(q, ", %s_goal_id%s, %s_programme_id%s", f->name,
				assign, f->name, assign);
		} else {
			sql_add(q, ", %s%s", f->name, assign);
		}
	}
}

/* Number of stored columns the fields take. */
static int field_columns(const struct resource *res)
{
	int n = 0;

	for (size_t i = 0; i < res->nfields; i++)
		if (!res->fields[i].computed)
			n += res->fields[i].type == FIELD_LINE ? 2 : 1;
	return n;
}

static void add_columns(struct sql *q, const struct resource *res)
{
	sql_add(q, res->plain ? "id" : "id, version, created_at, updated_at");
	add_field_columns(q, res, "", true);
}

/* The row at st, whose columns are those of add_columns. */
static json_t *row_to_json(const struct resource *res, sqlite3_stmt *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	for (size_t i = 0, col = (size_t)first_field_column(res);
	     i < res->nfields; i++, col++) {
		const struct field *f = &res->fields[i];
		json_t *v;

		if (f->type == FIELD_LINE) {
			bool goal = sqlite3_column_type(st, (int)col) !=
				    SQLITE_NULL;

			v = json_pack("{s:I}",
				      goal ? "goal_id" : "programme_id",
				      (json_int_t)sqlite3_column_int64(
					      st, (int)col + !goal));
			col++;
		} else if (sqlite3_column_type(st, (int)col) == SQLITE_NULL)
			v = json_null();
		else if (is_integer_type(f->type))
			v = json_integer(sqlite3_column_int64(st, (int)col));
		else
			v = json_stringn(
				(const char *)sqlite3_column_text(st, (int)col),
				(size_t)sqlite3_column_bytes(st, (int)col));
		json_object_set_new(o, f->name, v);
	}
	if (res->plain)
		goto out;
	json_object_set_new(o, "version",
			    json_integer(sqlite3_column_int64(st, 1)));
	json_object_set_new(
		o, "created_at",
		json_string((const char *)sqlite3_column_text(st, 2)));
	json_object_set_new(
		o, "updated_at",
		json_string((const char *)sqlite3_column_text(st, 3)));
out:
	if (res->present)
		res->present(o);
	return o;
}

/* Binds a JSON value (integer, string or null) at index i. */
static void bind_json(struct db_conn *c, sqlite3_stmt *st, int i,
		      const json_t *v)
{
	if (json_is_integer(v))
		db_bind_int64(c, st, i, json_integer_value(v));
	else if (json_is_string(v))
		db_bind_text(c, st, i, json_string_value(v),
			     (int)json_string_length(v));
	else
		db_bind_null(c, st, i);
}

int store_get(struct db_conn *c, const struct resource *res, int64_t id,
	      json_t **row, struct npo_err *err)
{
	struct sql q = { 0 };
	sqlite3_stmt *st;
	int rc;

	sql_add(&q, "SELECT ");
	add_columns(&q, res);
	sql_add(&q, " FROM %s WHERE id = ?1", res->table);
	add_scope(&q, c, res);
	if (!(st = sql_prepare(c, &q, err)))
		return -1;
	db_bind_int64(c, st, 1, id);
	bind_scope(c, st, res);
	rc = db_step(c, st, err);
	if (rc == SQLITE_ROW)
		*row = row_to_json(res, st);
	else if (rc == SQLITE_DONE)
		err_set(err, NPO_E_NOT_FOUND, "there is no %s %lld", res->name,
			(long long)id);
	db_done(c, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Binds every declared field of row from index first on. */
static void bind_fields(struct db_conn *c, sqlite3_stmt *st, int first,
			const struct resource *res, const json_t *row)
{
	int col = first;

	for (size_t i = 0; i < res->nfields; i++) {
		const json_t *v = json_object_get(row, res->fields[i].name);

		if (res->fields[i].computed)
			continue;
		if (res->fields[i].type == FIELD_LINE) {
			bind_json(c, st, col++, json_object_get(v, "goal_id"));
			bind_json(c, st, col++,
				  json_object_get(v, "programme_id"));
		} else {
			bind_json(c, st, col++, v);
		}
	}
}

int store_insert(struct db_conn *c, const struct resource *res,
		 const json_t *row, int64_t *id, struct npo_err *err)
{
	struct sql q = { 0 };
	sqlite3_stmt *st;
	char now[21];
	int rc;

	sql_add(&q, "INSERT INTO %s (version, created_at, updated_at",
		res->table);
	add_field_columns(&q, res, "", false);
	sql_add(&q, ") VALUES (1, ?1, ?1");
	for (int i = 0; i < field_columns(res); i++)
		sql_add(&q, ", ?%d", i + 2);
	sql_add(&q, ")");
	if (!(st = sql_prepare(c, &q, err)))
		return -1;
	util_now_iso(now);
	db_bind_text(c, st, 1, now, -1);
	bind_fields(c, st, 2, res, row);
	rc = db_step(c, st, err);
	db_done(c, st);
	if (rc != SQLITE_DONE)
		return -1;
	*id = sqlite3_last_insert_rowid(db_handle(c));
	return 0;
}

int store_update(struct db_conn *c, const struct resource *res, int64_t id,
		 const json_t *row, struct npo_err *err)
{
	struct sql q = { 0 };
	sqlite3_stmt *st;
	char now[21];
	int rc;

	sql_add(&q, "UPDATE %s SET version = version + 1, updated_at = ?1",
		res->table);
	add_field_columns(&q, res, " = ?", false);
	sql_add(&q, " WHERE id = ?");
	if (!(st = sql_prepare(c, &q, err)))
		return -1;
	util_now_iso(now);
	db_bind_text(c, st, 1, now, -1);
	bind_fields(c, st, 2, res, row);
	db_bind_int64(c, st, field_columns(res) + 2, id);
	rc = db_step(c, st, err);
	db_done(c, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Which rows point to row id of res, found from the schema's foreign keys:
 * a new array of {"entity": table, "count": n}, empty when none do.
 */
static int find_references(struct db_conn *c, const struct resource *res,
			   int64_t id, json_t **refs, struct npo_err *err)
{
	static const char fk_sql[] =
		"SELECT m.name, p.\"from\" FROM sqlite_schema m,"
		" pragma_foreign_key_list(m.name) p"
		" WHERE m.type = 'table' AND p.\"table\" = ?";
	sqlite3_stmt *fk = db_prepare(c, fk_sql, err);
	int rc;

	if (!fk)
		return -1;
	*refs = json_array();
	db_bind_text(c, fk, 1, res->table, -1);
	while ((rc = db_step(c, fk, err)) == SQLITE_ROW) {
		struct sql q = { 0 };
		sqlite3_stmt *cnt;
		int64_t n = 0;

		/* names from our own schema, quoted as identifiers */
		sql_add(&q, "SELECT count(*) FROM \"%s\" WHERE \"%s\" = ?",
			(const char *)sqlite3_column_text(fk, 0),
			(const char *)sqlite3_column_text(fk, 1));
		if (!(cnt = sql_prepare(c, &q, err))) {
			rc = -1;
			break;
		}
		db_bind_int64(c, cnt, 1, id);
		if ((rc = db_step(c, cnt, err)) == SQLITE_ROW)
			n = sqlite3_column_int64(cnt, 0);
		db_done(c, cnt);
		if (rc < 0)
			break;
		if (n > 0)
			json_array_append_new(
				*refs, json_pack("{s:s, s:I}", "entity",
						 sqlite3_column_text(fk, 0),
						 "count", (json_int_t)n));
	}
	db_done(c, fk);
	if (rc < 0) {
		json_decref(*refs);
		*refs = NULL;
		return -1;
	}
	return 0;
}

int store_delete(struct db_conn *c, const struct resource *res, int64_t id,
		 struct npo_err *err)
{
	struct sql q = { 0 };
	json_t *refs;

	if (find_references(c, res, id, &refs, err) < 0)
		return -1;
	if (json_array_size(refs) > 0) {
		const json_t *first = json_array_get(refs, 0);

		return err_set_new(
			err, json_pack("{s:o}", "referenced_by", refs),
			NPO_E_REFERENCED,
			"%s %lld cannot be deleted: %lld %s point to it",
			res->name, (long long)id,
			(long long)json_integer_value(
				json_object_get(first, "count")),
			json_string_value(json_object_get(first, "entity")));
	}
	json_decref(refs);
	sql_add(&q, "DELETE FROM %s WHERE id = ?", res->table);
	return exec_with_id(c, &q, id, err);
}

int store_audit(struct db_conn *c, const char *actor, const char *action,
		const char *entity, int64_t id, const json_t *before,
		const json_t *after, const char *note, struct npo_err *err)
{
	static const char sql[] =
		"INSERT INTO audit (at, actor, action, entity, entity_id,"
		" before, after, note, scope)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = db_prepare(c, sql, err);
	char *b = before ? json_dumps(before, JSON_COMPACT) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT) : NULL;
	char now[21], scope[32];
	int rc = -1;

	if (!st)
		goto out;
	util_now_iso(now);
	db_bind_text(c, st, 1, now, -1);
	db_bind_text(c, st, 2, actor, -1);
	db_bind_text(c, st, 3, action, -1);
	db_bind_text(c, st, 4, entity, -1);
	db_bind_int64(c, st, 5, id);
	db_bind_text(c, st, 6, b, -1);
	db_bind_text(c, st, 7, a, -1);
	db_bind_text(c, st, 8, note, -1);
	/* in which scope the change was made: the token's */
	db_bind_text(c, st, 9, scope_describe(db_scope(c), scope), -1);
	rc = db_step(c, st, err) == SQLITE_DONE ? 0 : -1;
	db_done(c, st);
out:
	free(a);
	free(b);
	return rc;
}

int store_exists(struct db_conn *c, const char *table, int64_t id,
		 struct npo_err *err)
{
	struct sql q = { 0 };
	sqlite3_stmt *st;
	int rc;

	const struct resource *res = resource_of(table);

	sql_add(&q, "SELECT 1 FROM %s WHERE id = ?1", table);
	if (res)
		add_scope(&q, c, res);
	if (!(st = sql_prepare(c, &q, err)))
		return -1;
	db_bind_int64(c, st, 1, id);
	if (res)
		bind_scope(c, st, res);
	rc = db_step(c, st, err);
	db_done(c, st);
	return rc < 0 ? -1 : rc == SQLITE_ROW;
}

int store_touch(struct db_conn *c, const char *table, const char *where,
		int64_t id, struct npo_err *err)
{
	struct sql q = { 0 };

	sql_add(&q, "UPDATE %s SET version = version + 1 WHERE %s", table,
		where);
	return exec_with_id(c, &q, id, err);
}

int store_bump_revision(struct db_conn *c, struct npo_err *err)
{
	sqlite3_stmt *st = db_prepare(
		c, "UPDATE meta SET value = value + 1 WHERE key = 'revision'",
		err);
	int rc;

	if (!st)
		return -1;
	rc = db_step(c, st, err);
	db_done(c, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

const char *store_filter_param(const struct store_filter *f)
{
	switch (f->match) {
	case MATCH_FROM:
		return f->field->from;
	case MATCH_UNTIL:
		return f->field->until;
	case MATCH_TEXT:
		return "q";
	default:
		return f->field->name;
	}
}

/* What a range filter compares with: a date as given, or for a time the
 * first or last second of the day given (buf), or the time given. NULL
 * when the value is neither. */
static const char *range_value(const struct store_filter *f, char buf[21])
{
	if (f->field->type == FIELD_DATE)
		return validate_date(f->value) ? f->value : NULL;
	if (!validate_expiry(f->value, buf))
		return NULL;
	if (f->match == MATCH_UNTIL && strlen(f->value) == 10)
		snprintf(buf, 21, "%sT23:59:59Z", f->value);
	return buf;
}

/* Checks a filter's query value against its field, as a body's would be. */
static int check_filter(const struct store_filter *f, struct npo_err *err)
{
	const char *msg, *code;
	char buf[256];
	json_t *v;
	int64_t n;

	if (f->match == MATCH_TEXT) {
		if (*f->value && strlen(f->value) <= 200)
			return 0;
		return err_set(err, NPO_E_BAD_QUERY,
			       "q must be text of 1 to 200 bytes to search "
			       "for");
	}
	if (f->match != MATCH_EQ) {
		if (range_value(f, buf))
			return 0;
		return err_set(err, NPO_E_BAD_QUERY,
			       "%s must be a date YYYY-MM-DD%s",
			       store_filter_param(f),
			       f->field->type == FIELD_TIME
				       ? " or a time YYYY-MM-DDThh:mm:ssZ"
				       : "");
	}
	if (is_integer_type(f->field->type)) {
		if (util_parse_int64(f->value, &n) < 0)
			return err_set(err, NPO_E_BAD_QUERY,
				       "filter %s must be an integer",
				       f->field->name);
		v = json_integer(n);
	} else {
		v = json_string(f->value);
	}
	msg = v ? validate_value(f->field, v, &code, buf, sizeof(buf))
		: "is not valid UTF-8";
	json_decref(v);
	if (msg)
		return err_set(err, NPO_E_BAD_QUERY, "filter %s %s",
			       f->field->name, msg);
	return 0;
}

static void bind_filters(struct db_conn *c, sqlite3_stmt *st, int first,
			 const struct store_filter *filters, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct store_filter *f = &filters[i];
		char buf[21];
		int64_t v;

		if (f->match == MATCH_FROM || f->match == MATCH_UNTIL)
			db_bind_text(c, st, first + (int)i, range_value(f, buf),
				     -1);
		else if (f->match == MATCH_EQ &&
			 is_integer_type(f->field->type) &&
			 util_parse_int64(f->value, &v) == 0)
			db_bind_int64(c, st, first + (int)i, v);
		else
			db_bind_text(c, st, first + (int)i, f->value, -1);
	}
}

/* A field in a condition: its column, or its computed expression. */
static void add_field_expr(struct sql *q, const struct field *f)
{
	if (f->computed)
		sql_add(q, "(%s)", f->computed);
	else
		sql_add(q, "%s", f->name);
}

/* " AND f = ?2 …" for the filters, checking their values, then the
 * scope's condition. */
static int add_where(struct sql *where, struct db_conn *c,
		     const struct resource *res,
		     const struct store_filter *filters, size_t n,
		     struct npo_err *err)
{
	static const char *const ops[] = {
		[MATCH_EQ] = "=",
		[MATCH_FROM] = ">=",
		[MATCH_UNTIL] = "<=",
	};

	for (size_t i = 0; i < n; i++) {
		const struct store_filter *f = &filters[i];
		bool first = true;

		if (check_filter(f, err) < 0)
			return -1;
		sql_add(where, " AND ");
		if (f->match != MATCH_TEXT) {
			add_field_expr(where, f->field);
			sql_add(where, " %s ?%zu", ops[f->match], i + 2);
			continue;
		}
		/* lower() folds ASCII only: "de" finds "De Regenboog" */
		for (size_t k = 0; k < res->nfields; k++) {
			if (!(res->fields[k].flags & F_SEARCH))
				continue;
			sql_add(where, "%sinstr(lower(coalesce(",
				first ? "(" : " OR ");
			add_field_expr(where, &res->fields[k]);
			sql_add(where, ", '')), lower(?%zu)) > 0", i + 2);
			first = false;
		}
		sql_add(where, first ? "0" : ")");
	}
	add_scope(where, c, res);
	return 0;
}

int store_open(struct db_conn *c, const struct resource *res,
	       const struct store_filter *filters, size_t nfilters,
	       int64_t after, int64_t limit, struct store_cursor *cur,
	       struct npo_err *err)
{
	struct sql q = { 0 };
	struct sql where = { 0 };

	*cur = (struct store_cursor){ .c = c, .res = res };
	if (add_where(&where, c, res, filters, nfilters, err) < 0)
		return -1;
	sql_add(&q, "SELECT ");
	add_columns(&q, res);
	/* :limit by name: the scope's :scope takes the next number */
	sql_add(&q, " FROM %s WHERE id > ?1%s ORDER BY id LIMIT :limit",
		res->table, where.buf);
	if (!(cur->st = sql_prepare(c, &q, err)))
		return -1;
	db_bind_int64(c, cur->st, 1, after);
	bind_filters(c, cur->st, 2, filters, nfilters);
	bind_scope(c, cur->st, res);
	db_bind_int64(c, cur->st,
		      sqlite3_bind_parameter_index(cur->st, ":limit"), limit);
	return 0;
}

int store_next(struct store_cursor *cur, json_t **row, struct npo_err *err)
{
	int rc = db_step(cur->c, cur->st, err);

	if (rc == SQLITE_ROW) {
		*row = row_to_json(cur->res, cur->st);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

bool store_csv_columns(const struct resource *res, const json_t *template,
		       struct store_col *cols, size_t max, size_t *n)
{
	static const char *const meta[] = { "id", "version", "created_at",
					    "updated_at" };
	const char *key;
	json_t *v;

	*n = 0;
	if (res->present)
		return false;
	for (size_t i = 0; i < res->nfields; i++)
		if (res->fields[i].type == FIELD_LINE)
			return false;
	json_object_foreach((json_t *)template, key, v)
	{
		const struct field *f =
			validate_find(res->fields, res->nfields, key);
		struct store_col c = { .col = -1 };

		if (*n == max)
			return false;
		for (int k = 0; k < 4; k++)
			if (strcmp(key, meta[k]) == 0 &&
			    (k == 0 || !res->plain))
				c = (struct store_col){ .col = k,
							.integer = k < 2 };
		if (f)
			c = (struct store_col){
				.col = first_field_column(res) +
				       (int)(f - res->fields),
				.integer = is_integer_type(f->type),
				.money = money_is_cents_name(key),
			};
		cols[(*n)++] = c;
	}
	return true;
}

int store_next_csv(struct store_cursor *cur, enum csv_dialect d,
		   struct csv_buf *b, const struct store_col *cols, size_t n,
		   struct npo_err *err)
{
	int rc = db_step(cur->c, cur->st, err);

	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	for (size_t i = 0; i < n; i++) {
		int col = cols[i].col;

		if (i)
			csv_sep(d, b);
		if (col < 0 || sqlite3_column_type(cur->st, col) == SQLITE_NULL)
			continue;
		if (cols[i].integer)
			csv_int(d, b, cols[i].money,
				sqlite3_column_int64(cur->st, col));
		else
			csv_text(d, b,
				 (const char *)sqlite3_column_text(cur->st,
								   col));
	}
	csv_end_row(b);
	return 1;
}

void store_close(struct store_cursor *cur)
{
	if (cur->st)
		db_done(cur->c, cur->st);
	cur->st = NULL;
}

json_t *store_template(const struct resource *res)
{
	json_t *o = json_pack("{s:n}", "id");

	for (size_t i = 0; i < res->nfields; i++)
		json_object_set_new(o, res->fields[i].name, json_null());
	if (!res->plain) {
		json_object_set_new(o, "version", json_null());
		json_object_set_new(o, "created_at", json_null());
		json_object_set_new(o, "updated_at", json_null());
	}
	return o;
}

int store_list(struct db_conn *c, const struct resource *res,
	       const struct store_filter *filters, size_t nfilters,
	       int64_t after, int limit, json_t **items, int64_t *total,
	       struct npo_err *err)
{
	struct store_cursor cur;
	struct sql q = { 0 };
	struct sql where = { 0 };
	sqlite3_stmt *st;
	json_t *row;
	int rc;

	if (store_open(c, res, filters, nfilters, after, limit, &cur, err) < 0)
		return -1;
	*items = json_array();
	while ((rc = store_next(&cur, &row, err)) == 1)
		json_array_append_new(*items, row);
	store_close(&cur);
	if (rc < 0)
		goto fail;
	if (!total)
		return 0;
	add_where(&where, c, res, filters, nfilters, err);
	sql_add(&q, "SELECT count(*) FROM %s WHERE id > ?1%s", res->table,
		where.buf);
	if (!(st = sql_prepare(c, &q, err)))
		goto fail;
	db_bind_int64(c, st, 1, 0);
	bind_filters(c, st, 2, filters, nfilters);
	bind_scope(c, st, res);
	if ((rc = db_step(c, st, err)) == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	db_done(c, st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		err_set(err, NPO_E_INTERNAL, "internal error");
fail:
	json_decref(*items);
	*items = NULL;
	return -1;
}
