/*
 * Generic handlers for declared resources: list, get, create, PATCH and
 * DELETE, with versions, ETags, If-Match and the audit trail.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npo/api.h"
#include "npo/figures.h"
#include "npo/money.h"
#include "npo/workflow.h"
#include "npo/write.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 1000
#define MAX_FILTERS 8

static int64_t version_of(const json_t *row)
{
	return json_integer_value(json_object_get(row, "version"));
}

static void set_etag(struct http_request *req, int64_t version)
{
	char etag[32];

	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)version);
	http_set_header(req, "ETag", etag);
}

/* weak for If-None-Match, strong for If-Match */
static bool version_matches(const char *list, int64_t version, bool weak)
{
	char etag[32];

	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)version);
	return http_etag_matches(list, etag, weak);
}

void crud_get(struct http_request *req)
{
	const struct resource *res = http_ctx(req);
	const char *inm = http_header(req, "If-None-Match");
	struct npo_err err = { 0 };
	json_t *row;

	if (store_get(http_db(req), res, http_id(req), &row, &err) < 0) {
		http_reply_err(req, &err);
		err_clear(&err);
		return;
	}
	if (!res->plain)
		set_etag(req, version_of(row));
	if (!res->plain && inm && version_matches(inm, version_of(row), true)) {
		json_decref(row);
		http_reply_empty(req, 304);
		return;
	}
	http_reply_json(req, 200, row);
}

/* --- lists ----------------------------------------------------------------- */

struct list_query {
	const struct resource *res;
	unsigned seen; /* bit set of the paging parameters given */
	struct store_filter filters[MAX_FILTERS];
	size_t nfilters;
	int64_t limit, after;
	bool count;
	const char *fields;
	const char *token;
	struct output out;
	struct npo_err *err;
};

static const char *const list_params[] = { "limit",	   "after",
					   "count",	   "fields",
					   "access_token", "format",
					   "dialect",	   NULL };

/* The field that list parameter key filters on, and how; NULL when key is
 * none. q gives the first F_SEARCH field (the search takes them all). */
static const struct field *list_filter(const struct resource *res,
				       const char *key, enum store_match *match)
{
	for (size_t i = 0; i < res->nfields; i++) {
		const struct field *f = &res->fields[i];

		*match = (f->flags & F_FILTER) && strcmp(key, f->name) == 0
				 ? MATCH_EQ
			 : f->from && strcmp(key, f->from) == 0	  ? MATCH_FROM
			 : f->until && strcmp(key, f->until) == 0 ? MATCH_UNTIL
			 : (f->flags & F_SEARCH) && strcmp(key, "q") == 0
				 ? MATCH_TEXT
				 : (enum store_match) - 1;
		if ((int)*match >= 0)
			return f;
	}
	return NULL;
}

/* 400 for a parameter a list does not know, with the one it may be a typo
 * of. */
static int unknown_param(const struct resource *res, const char *key,
			 struct npo_err *err)
{
	struct nearest near = { .word = key };

	for (const char *const *p = list_params; *p; p++)
		validate_nearest(&near, *p);
	for (size_t i = 0; i < res->nfields; i++) {
		const struct field *f = &res->fields[i];

		if (f->flags & F_FILTER)
			validate_nearest(&near, f->name);
		if (f->from)
			validate_nearest(&near, f->from);
		if (f->until)
			validate_nearest(&near, f->until);
	}
	if (near.best)
		return err_set(err, NPO_E_BAD_QUERY,
			       "unknown query parameter %s: did you mean %s?",
			       key, near.best);
	return err_set(err, NPO_E_BAD_QUERY, "unknown query parameter %s", key);
}

static int list_arg(void *arg, const char *key, const char *value)
{
	struct list_query *q = arg;
	const struct field *f;
	enum store_match match;
	int rc = output_arg(&q->out, key, value, q->err);

	if (rc)
		return rc < 0 ? -1 : 0;
	/* a parameter given twice never gets here (http.c answers 400) */
	for (unsigned i = 0; i < 5; i++)
		if (strcmp(key, list_params[i]) == 0)
			q->seen |= 1u << i;
	if (strcmp(key, "limit") == 0) {
		if (util_parse_int64(value, &q->limit) < 0 || q->limit < 1 ||
		    q->limit > LIMIT_MAX)
			return err_set(
				q->err, NPO_E_BAD_QUERY,
				"limit must be a whole number from 1 to %d",
				LIMIT_MAX);
	} else if (strcmp(key, "after") == 0) {
		if (util_parse_int64(value, &q->after) < 0 || q->after < 0)
			return err_set(q->err, NPO_E_BAD_QUERY,
				       "after must be an id");
	} else if (strcmp(key, "count") == 0) {
		if (strcmp(value, "true") && strcmp(value, "false"))
			return err_set(q->err, NPO_E_BAD_QUERY,
				       "count must be true or false");
		q->count = strcmp(value, "true") == 0;
	} else if (strcmp(key, "fields") == 0) {
		q->fields = value;
	} else if (strcmp(key, "access_token") == 0) {
		/* checked by the http layer; kept in next for spreadsheets */
		q->token = value;
	} else if ((f = list_filter(q->res, key, &match))) {
		if (q->nfilters == MAX_FILTERS)
			return err_set(q->err, NPO_E_BAD_QUERY,
				       "at most %d filters", MAX_FILTERS);
		q->filters[q->nfilters++] = (struct store_filter){
			.field = match == MATCH_TEXT ? NULL : f,
			.value = value,
			.match = match
		};
	} else {
		return unknown_param(q->res, key, q->err);
	}
	return 0;
}

/* Writes "?key=value" (or "&…" after the first) with value percent-encoded. */
static void url_add(FILE *url, bool *first, const char *key, const char *value)
{
	fprintf(url, "%c%s=", *first ? '?' : '&', key);
	*first = false;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~,", *p))
			fputc(*p, url);
		else
			fprintf(url, "%%%02X", *p);
	}
}

/* The URL of the page after the one whose last id is last. New string. */
static char *next_url(const struct list_query *q, int64_t last)
{
	char *url = NULL;
	size_t len = 0;
	bool first = true;
	char num[24];
	FILE *f = open_memstream(&url, &len);

	if (!f)
		return NULL;
	fputs(q->res->path, f);
	for (size_t i = 0; i < q->nfilters; i++)
		url_add(f, &first, store_filter_param(&q->filters[i]),
			q->filters[i].value);
	if (q->fields)
		url_add(f, &first, "fields", q->fields);
	if (q->count)
		url_add(f, &first, "count", "true");
	if (q->token)
		url_add(f, &first, "access_token", q->token);
	snprintf(num, sizeof(num), "%lld", (long long)q->limit);
	url_add(f, &first, "limit", num);
	snprintf(num, sizeof(num), "%lld", (long long)last);
	url_add(f, &first, "after", num);
	if (fclose(f) != 0) {
		free(url);
		return NULL;
	}
	return url;
}

static bool is_output_field(const struct resource *res, const char *name,
			    size_t len)
{
	char n[64];

	if (len == 0 || len >= sizeof(n))
		return false;
	snprintf(n, sizeof(n), "%.*s", (int)len, name);
	if (validate_is_meta(n))
		return strcmp(n, "id") == 0 || !res->plain;
	return validate_find(res->fields, res->nfields, n) != NULL;
}

/*
 * The members a list shows: all of a row's, or those listed in fields, in
 * the order listed (for JSON and the CSV header alike). New reference, or
 * NULL with err filled for a name that is not a field.
 */
static json_t *list_template(const struct resource *res, const char *fields,
			     struct npo_err *err)
{
	json_t *all = store_template(res), *t;

	if (!fields)
		return all;
	t = json_object();
	for (const char *p = fields;; p++) {
		size_t len = strcspn(p, ",");
		char name[64];

		if (!is_output_field(res, p, len)) {
			err_set(err, NPO_E_BAD_QUERY,
				"fields: %.*s is not a field of %s", (int)len,
				p, res->name);
			json_decref(t);
			t = NULL;
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		json_object_set_new(t, name, json_null());
		p += len;
		if (!*p)
			break;
	}
	json_decref(all);
	return t;
}

/* Keeps only the members of template in each item, in its order. */
static void project(const json_t *template, json_t *items)
{
	const char *key;
	json_t *item, *v;
	size_t i;

	json_array_foreach(items, i, item)
	{
		json_t *o = json_object();

		json_object_foreach((json_t *)template, key, v)
			json_object_set(o, key, json_object_get(item, key));
		json_array_set_new(items, i, o);
	}
}

/* A CSV list streamed from its own read transaction, row by row. */
struct list_stream {
	struct db *pool;
	struct db_conn *c;
	struct store_cursor cur;
	json_t *template;
	enum csv_dialect dialect;
	struct csv_buf buf;
	size_t off;
	bool started, ended;
	/* the rows straight from the columns, when they can be (ncols) */
	struct store_col cols[64];
	size_t ncols;
	bool by_columns;
};

static long list_read(void *ctx, char *out, size_t max)
{
	struct list_stream *s = ctx;
	struct npo_err err = { 0 };
	size_t n;

	/* what is left of the last call first, then rows until max bytes are
	 * buffered: one chunk (and one send) per call, not one per row; the
	 * buffer stays below max plus one row */
	if (s->off) {
		memmove(s->buf.p, s->buf.p + s->off, s->buf.len - s->off);
		s->buf.len -= s->off;
		s->off = 0;
	}
	while (s->buf.len < max && !s->ended) {
		json_t *row;
		int rc;

		if (!s->started) {
			csv_header(s->dialect, &s->buf, s->template);
			s->started = true;
			continue;
		}
		if (s->by_columns) {
			rc = store_next_csv(&s->cur, s->dialect, &s->buf,
					    s->cols, s->ncols, &err);
			row = NULL;
		} else {
			rc = store_next(&s->cur, &row, &err);
		}
		if (rc < 0) {
			util_log("csv: stream failed: %s", err.detail);
			err_clear(&err);
			return -1;
		}
		if (rc == 0) {
			s->ended = true;
			break;
		}
		if (row)
			csv_row(s->dialect, &s->buf, s->template, row);
		json_decref(row);
	}
	n = s->buf.len - s->off < max ? s->buf.len - s->off : max;
	memcpy(out, s->buf.p + s->off, n);
	s->off += n;
	return (long)n;
}

static void list_done(void *ctx)
{
	struct list_stream *s = ctx;

	store_close(&s->cur);
	db_rollback(s->c);
	db_release(s->pool, s->c);
	json_decref(s->template);
	csv_buf_free(&s->buf);
	free(s);
}

static void content_disposition(struct http_request *req, const char *file)
{
	char value[160];

	snprintf(value, sizeof(value), "attachment; filename=\"%s.csv\"", file);
	http_set_header(req, "Content-Disposition", value);
}

/* Streams the whole list (or the page asked for) as CSV. */
static void list_csv(struct http_request *req, const struct list_query *q,
		     json_t *template_new)
{
	struct list_stream *s = calloc(1, sizeof(*s));
	struct npo_err err = { 0 };

	if (!s || !(s->c = http_db_spare(req))) {
		free(s);
		json_decref(template_new);
		http_reply_problem(req, NPO_E_BUSY,
				   "too many exports at once; try again");
		return;
	}
	s->pool = http_db_pool(req);
	s->template = template_new;
	s->dialect = q->out.dialect;
	s->by_columns = store_csv_columns(q->res, template_new, s->cols,
					  ARRAY_SIZE(s->cols), &s->ncols);
	if (db_begin_read(s->c, &err) < 0 ||
	    store_open(s->c, q->res, q->filters, q->nfilters, q->after,
		       (q->seen & 1) ? q->limit : -1, &s->cur, &err) < 0) {
		list_done(s);
		http_reply_err(req, &err);
		err_clear(&err);
		return;
	}
	content_disposition(req, q->res->table);
	http_reply_stream(req, 200, "text/csv; charset=utf-8; header=present",
			  list_read, list_done, s);
}

int output_arg(struct output *out, const char *key, const char *value,
	       struct npo_err *err)
{
	if (strcmp(key, "format") == 0) {
		if (strcmp(value, "csv") && strcmp(value, "json"))
			return err_set(err, NPO_E_BAD_QUERY,
				       "format must be csv or json");
		out->csv = strcmp(value, "csv") == 0;
		out->format_given = true;
		return 1;
	}
	if (strcmp(key, "dialect") == 0) {
		if (csv_dialect_parse(value, &out->dialect) < 0)
			return err_set(err, NPO_E_BAD_QUERY,
				       "dialect must be rfc4180 or excel-nl");
		/* a dialect only means something for CSV */
		if (!out->format_given)
			out->csv = true;
		return 1;
	}
	return 0;
}

void output_accept(struct output *out, const struct http_request *req)
{
	const char *accept = http_header(req, "Accept");

	if (!out->format_given && accept && strstr(accept, "text/csv"))
		out->csv = true;
}

void output_csv(struct http_request *req, const struct output *out,
		const char *file, const json_t *template, const json_t *items)
{
	struct csv_buf b = { 0 };
	const json_t *row;
	size_t i;

	csv_header(out->dialect, &b, template);
	json_array_foreach(items, i, row)
		csv_row(out->dialect, &b, template, row);
	content_disposition(req, file);
	http_reply_text(req, 200, "text/csv; charset=utf-8; header=present",
			b.p);
	csv_buf_free(&b);
}

void crud_list(struct http_request *req)
{
	const struct resource *res = http_ctx(req);
	struct npo_err err = { 0 };
	struct list_query q = { .res = res,
				.limit = LIMIT_DEFAULT,
				.err = &err };
	json_t *items = NULL, *next = json_null(), *body, *template = NULL;
	int64_t total = 0;

	if (http_query_foreach(req, list_arg, &q) != 0 ||
	    !(template = list_template(res, q.fields, &err)))
		goto fail;
	output_accept(&q.out, req);
	if (q.out.csv) {
		json_decref(next);
		list_csv(req, &q, template);
		return;
	}
	if (store_list(http_db(req), res, q.filters, q.nfilters, q.after,
		       (int)q.limit + 1, &items, q.count ? &total : NULL,
		       &err) < 0)
		goto fail;
	if (json_array_size(items) > (size_t)q.limit) {
		/* one more row than asked: there is a next page */
		char *url, *link;

		json_array_remove(items, (size_t)q.limit);
		url = next_url(
			&q, json_integer_value(json_object_get(
				    json_array_get(items, (size_t)q.limit - 1),
				    "id")));
		if (!url || asprintf(&link, "<%s>; rel=\"next\"", url) < 0) {
			free(url);
			err_set(&err, NPO_E_INTERNAL, "out of memory");
			goto fail;
		}
		json_decref(next);
		next = json_string(url);
		http_set_header(req, "Link", link);
		free(link);
		free(url);
	}
	if (q.fields)
		project(template, items);
	json_decref(template);
	body = json_pack("{s:o, s:o}", "items", items, "next", next);
	if (q.count)
		json_object_set_new(body, "total", json_integer(total));
	http_reply_json(req, 200, body);
	return;
fail:
	json_decref(template);
	json_decref(next);
	json_decref(items);
	http_reply_err(req, &err);
	err_clear(&err);
}

/* --- writes: the adapter of the write path (write.h) ----------------------- */

static bool if_match_names(int64_t version, const void *if_match)
{
	return version_matches(if_match, version, false);
}

/* Applies w for req: If-Match in; 201 with Location, 200 or 204, and the
 * ETag, or the problem, out. */
static void write_reply(struct http_request *req, struct write *w)
{
	const char *if_match = http_header(req, "If-Match");
	struct npo_err err = { 0 };
	struct write_result out;
	char location[128];

	w->actor = http_actor(req);
	if (if_match) {
		w->expects = if_match_names;
		w->expects_arg = if_match;
		w->expected = if_match;
	}
	if (write_apply(http_db(req), w, &out, &err) < 0) {
		http_reply_err(req, &err);
		err_clear(&err);
		return;
	}
	if (!out.row) {
		write_result_free(&out);
		http_reply_empty(req, 204);
		return;
	}
	set_etag(req, version_of(out.row));
	if (out.created) {
		snprintf(location, sizeof(location), "%s/%lld", w->res->path,
			 (long long)out.id);
		http_set_header(req, "Location", location);
	}
	/* the warnings it caused beside the row's own members, which keep
	 * their shape */
	if (json_array_size(out.warnings)) {
		json_t *body = json_copy(out.row);

		json_object_set(body, "warnings", out.warnings);
		http_reply_json(req, out.created ? 201 : 200, body);
	} else {
		http_reply_json(req, out.created ? 201 : 200,
				json_incref(out.row));
	}
	write_result_free(&out);
}

void crud_create(struct http_request *req)
{
	write_reply(req, &(struct write){ .res = http_ctx(req),
					  .op = WRITE_CREATE,
					  .body = http_body(req) });
}

void crud_patch(struct http_request *req)
{
	write_reply(req, &(struct write){ .res = http_ctx(req),
					  .op = WRITE_UPDATE,
					  .id = http_id(req),
					  .body = http_body(req) });
}

void crud_delete(struct http_request *req)
{
	write_reply(req, &(struct write){ .res = http_ctx(req),
					  .op = WRITE_DELETE,
					  .id = http_id(req) });
}

void crud_status(struct http_request *req)
{
	write_reply(req, &(struct write){ .res = http_ctx(req),
					  .op = WRITE_MOVE,
					  .id = http_id(req),
					  .body = http_body(req) });
}
