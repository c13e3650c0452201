/* What dashboards and spreadsheets pull: ETag polling of lists and status
 * (304 while nothing changed), keyset paging while rows are added, CORS for
 * browser dashboards on another origin, and CSV (both dialects, money in
 * euros, formula injection neutralised, large lists streamed). */
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../check_main.h"
#include "fixture.h"
#include "harness.h"

static struct api a;

/* Each test starts the daemon itself, with the configuration it needs. */
static void setup(void)
{
	api_init(&a);
}
static void teardown(void)
{
	api_down(&a);
}

static void start(void)
{
	api_start(&a);
}

static const char *const dash_origin[] = { "http://dash.example" };
static const char *const any_origin[] = { "*" };

/* --- helpers ------------------------------------------------------------- */

/* GET path with one extra header line (or none). */
static struct resp *get1(const char *path, const char *token,
			 const char *header)
{
	const char *const extra[] = { header, NULL };

	return api_req(&a, "GET", path, token, NULL, header ? extra : NULL);
}

/* The ETag of a 200 GET of path, into out. */
static void etag_of(const char *path, const char *token, char out[64])
{
	struct resp *r = get1(path, token, NULL);
	const char *tag;

	ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status,
		      r->body);
	tag = resp_header(r, "ETag");
	ck_assert_msg(tag != NULL, "GET %s has no ETag", path);
	ck_assert_uint_lt(strlen(tag), 64);
	snprintf(out, 64, "%s", tag);
	resp_free(r);
}

/* The status of GET path with If-None-Match: tag. */
static long revalidate(const char *path, const char *token, const char *tag)
{
	char line[96];
	struct resp *r;
	long status;

	snprintf(line, sizeof(line), "If-None-Match: %s", tag);
	r = get1(path, token, line);
	status = r->status;
	if (status == 304) {
		ck_assert_uint_eq(r->len, 0);
		ck_assert_str_eq(resp_header(r, "ETag"), tag);
	}
	resp_free(r);
	return status;
}

/* Whether the answer has any Access-Control-* header. */
static bool has_cors_header(const struct resp *r)
{
	for (const char *p = r->headers; p && *p;) {
		if (strncasecmp(p, "Access-Control-", 15) == 0)
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* Whether the comma-separated list has item (case-insensitive). */
static bool list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; p && *p;) {
		size_t len, l;

		p += strspn(p, " ,");
		len = strcspn(p, ",");
		for (l = len; l && p[l - 1] == ' '; l--)
			;
		if (l == n && strncasecmp(p, item, n) == 0)
			return true;
		p += len;
	}
	return false;
}

/*
 * Parses a CSV body (after a byte order mark, if any) into an array of rows,
 * each an array of cell strings, quoted cells unquoted. Asserts that every
 * row ends in CRLF.
 */
static json_t *csv_parse(const char *s, size_t len, char sep)
{
	json_t *rows = json_array(), *row = json_array();
	char *cell = malloc(len + 1);
	size_t i = 0, n;

	ck_assert_ptr_nonnull(cell);
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		n = 0;
		if (s[i] == '"') {
			for (i++; i < len; i++) {
				if (s[i] != '"') {
					cell[n++] = s[i];
				} else if (i + 1 < len && s[i + 1] == '"') {
					cell[n++] = '"';
					i++;
				} else {
					i++;
					break;
				}
			}
		} else {
			while (i < len && s[i] != sep && s[i] != '\r' &&
			       s[i] != '\n' && s[i] != '"')
				cell[n++] = s[i++];
		}
		json_array_append_new(row, json_stringn(cell, n));
		if (i < len && s[i] == sep) {
			i++;
			continue;
		}
		ck_assert_msg(i + 1 < len && s[i] == '\r' && s[i + 1] == '\n',
			      "row %zu does not end in CRLF at byte %zu",
			      json_array_size(rows) + 1, i);
		i += 2;
		json_array_append_new(rows, row);
		row = json_array();
	}
	ck_assert_msg(json_array_size(row) == 0, "the last row has no CRLF");
	json_decref(row);
	free(cell);
	return rows;
}

static size_t nrows(const json_t *rows)
{
	return json_array_size(rows);
}

static const char *cell_at(const json_t *rows, size_t row, size_t col)
{
	const char *s = json_string_value(
		json_array_get(json_array_get(rows, row), col));

	ck_assert_msg(s != NULL, "no cell %zu of row %zu", col, row);
	return s;
}

/* The index of the column named name in the header row. */
static size_t col_of(const json_t *rows, const char *name)
{
	const json_t *head = json_array_get(rows, 0);

	for (size_t i = 0; i < json_array_size(head); i++)
		if (strcmp(json_string_value(json_array_get(head, i)), name) ==
		    0)
			return i;
	ck_abort_msg("no column %s", name);
	return 0;
}

/* The cell of column name in the first row whose column key is value. */
static const char *cell_where(const json_t *rows, const char *key,
			      const char *value, const char *name)
{
	size_t k = col_of(rows, key), c = col_of(rows, name);

	for (size_t i = 1; i < nrows(rows); i++)
		if (strcmp(cell_at(rows, i, k), value) == 0)
			return cell_at(rows, i, c);
	ck_abort_msg("no row with %s %s", key, value);
	return NULL;
}

/* The header row of a CSV body, without the BOM and CRLF, into out. */
static void first_line(const struct resp *r, char *out, size_t size)
{
	const char *p = r->body;

	if (r->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	snprintf(out, size, "%.*s", (int)strcspn(p, "\r\n"), p);
}

static void assert_csv_answer(struct resp *r, const char *file)
{
	char disposition[96];

	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_msg(strncmp(resp_header(r, "Content-Type"), "text/csv", 8) ==
			      0,
		      "Content-Type %s", resp_header(r, "Content-Type"));
	snprintf(disposition, sizeof(disposition),
		 "attachment; filename=\"%s\"", file);
	ck_assert_str_eq(resp_header(r, "Content-Disposition"), disposition);
}

/* --- 1. ETag polling ----------------------------------------------------- */

static const struct {
	const char *path;
	bool admin;
} polled[] = {
	{ "/api/v1/goals", false },
	{ "/api/v1/budgets/1/status", false },
	{ "/api/v1/status", false },
	{ "/api/v1/audit", true },
};
#define NPOLLED (sizeof(polled) / sizeof(polled[0]))

static const char *token_for(size_t i)
{
	return polled[i].admin ? a.admin : a.read;
}

START_TEST(lists_and_status_answer_304_while_nothing_changed)
{
	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	for (size_t i = 0; i < NPOLLED; i++) {
		const char *path = polled[i].path;
		struct resp *r = get1(path, token_for(i), NULL);
		char tag[64], line[96];

		ck_assert_msg(r->status == 200, "%s: %ld", path, r->status);
		ck_assert_ptr_nonnull(resp_header(r, "ETag"));
		snprintf(tag, sizeof(tag), "%s", resp_header(r, "ETag"));
		ck_assert_msg(strncmp(tag, "\"r", 2) == 0, "%s: ETag %s", path,
			      tag);
		ck_assert_str_eq(resp_header(r, "Cache-Control"),
				 "private, no-cache");
		resp_free(r);

		snprintf(line, sizeof(line), "If-None-Match: %s", tag);
		r = get1(path, token_for(i), line);
		ck_assert_msg(r->status == 304, "%s: %ld", path, r->status);
		ck_assert_uint_eq(r->len, 0);
		ck_assert_str_eq(resp_header(r, "ETag"), tag);
		ck_assert_str_eq(resp_header(r, "Cache-Control"),
				 "private, no-cache");
		resp_free(r);

		/* weak and in a list, as browsers and proxies send it */
		snprintf(line, sizeof(line), "If-None-Match: \"x\", W/%s", tag);
		r = get1(path, token_for(i), line);
		ck_assert_msg(r->status == 304, "%s (weak): %ld", path,
			      r->status);
		resp_free(r);
		/* another tag is a full answer */
		ck_assert_int_eq(revalidate(path, token_for(i),
					    "\"r0-0000000000000000\""),
				 200);
	}
}
END_TEST

START_TEST(another_query_has_another_etag)
{
	static const char *const paths[] = {
		"/api/v1/goals",
		"/api/v1/goals?limit=1",
		"/api/v1/goals?budget_id=1",
		"/api/v1/goals?fields=id,name",
		"/api/v1/goals?format=csv",
		"/api/v1/goals?format=csv&dialect=excel-nl",
		"/api/v1/budgets/1/status",
		"/api/v1/budgets/1/status?format=csv",
		"/api/v1/budgets/1/status?as_of=2021-12-21",
		"/api/v1/status",
		"/api/v1/status?format=csv",
	};
	enum { N = sizeof(paths) / sizeof(paths[0]) };
	char tags[N + 1][64];
	struct resp *r;

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 100000 });
	for (size_t i = 0; i < N; i++)
		etag_of(paths[i], a.read, tags[i]);
	/* the same path, asked as CSV by Accept */
	r = get1("/api/v1/goals", a.read, "Accept: text/csv");
	ck_assert_int_eq(r->status, 200);
	snprintf(tags[N], 64, "%s", resp_header(r, "ETag"));
	resp_free(r);
	for (size_t i = 0; i <= N; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(tags[i], tags[j]) != 0,
				      "%s and %s share ETag %s",
				      i < N ? paths[i] : "Accept: text/csv",
				      paths[j], tags[i]);
	/* the tag of one query does not validate another */
	ck_assert_int_eq(revalidate("/api/v1/goals?limit=1", a.read, tags[0]),
			 200);
	ck_assert_int_eq(
		revalidate("/api/v1/goals?format=csv", a.read, tags[0]), 200);
	/* each its own */
	ck_assert_int_eq(revalidate("/api/v1/goals?limit=1", a.read, tags[1]),
			 304);
	ck_assert_int_eq(
		revalidate("/api/v1/goals?format=csv", a.read, tags[4]), 304);
	ck_assert_int_eq(revalidate("/api/v1/budgets/1/status?format=csv",
				    a.read, tags[7]),
			 304);
}
END_TEST

/* Asserts that each polled tag still answers 304. */
static void assert_unchanged(char tags[NPOLLED][64], const char *after)
{
	for (size_t i = 0; i < NPOLLED; i++)
		ck_assert_msg(revalidate(polled[i].path, token_for(i),
					 tags[i]) == 304,
			      "%s changed its ETag after %s", polled[i].path,
			      after);
}

START_TEST(any_write_changes_the_etag_and_a_refused_one_does_not)
{
	char tags[NPOLLED][64], fresh[64];
	struct resp *r;

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1,
						.name = "Zomerschool",
						.budget = 50000 });
	for (size_t i = 0; i < NPOLLED; i++)
		etag_of(polled[i].path, token_for(i), tags[i]);

	/* refused writes change nothing, so the tags hold */
	r = api_json(&a, "POST", "/api/v1/goals", a.write,
		     "{s:I, s:s, s:s, s:I}", "budget_id", (json_int_t)1, "code",
		     "2", "name", "Doel", "allocated_cents", (json_int_t)-1);
	ck_assert_int_eq(r->status, 422);
	resp_free(r);
	assert_unchanged(tags, "a 422 on POST /api/v1/goals");
	r = api_json(&a, "POST", "/api/v1/goals", a.write,
		     "{s:I, s:s, s:s, s:I}", "budget_id", (json_int_t)99,
		     "code", "2", "name", "Doel", "allocated_cents",
		     (json_int_t)1);
	ck_assert_int_eq(r->status, 422); /* no budget 99: in the transaction */
	resp_free(r);
	assert_unchanged(tags, "a 422 for a missing budget");
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"name\":\"Anders\"}",
		    (const char *const[]){ "If-Match: \"9\"", NULL });
	ck_assert_int_eq(r->status, 412);
	resp_free(r);
	assert_unchanged(tags, "a 412");
	r = api_req(&a, "DELETE", "/api/v1/goals/77", a.write, NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
	assert_unchanged(tags, "a 404 DELETE");
	r = api_req(&a, "POST", "/api/v1/goals", a.read, "{}", NULL);
	ck_assert_int_eq(r->status, 403);
	resp_free(r);
	assert_unchanged(tags, "a 403");
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"name\":\"NPO\"}", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	assert_unchanged(tags, "a PATCH that changes nothing");
	r = api_req(&a, "POST", "/api/v1/programmes/1/status", a.write,
		    "{\"status\":\"completed\"}", NULL);
	ck_assert_int_eq(r->status, 409); /* planned cannot complete */
	resp_free(r);
	assert_unchanged(tags, "a 409 status move");

	/* an accepted status move changes every tag */
	r = api_req(&a, "POST", "/api/v1/programmes/1/status", a.write,
		    "{\"status\":\"active\"}", NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	for (size_t i = 0; i < NPOLLED; i++) {
		ck_assert_msg(revalidate(polled[i].path, token_for(i),
					 tags[i]) == 200,
			      "%s still 304 after a status move",
			      polled[i].path);
		etag_of(polled[i].path, token_for(i), tags[i]);
	}
	/* and the answers behind the new tags are the new ones */
	r = api_req(&a, "GET", "/api/v1/budgets/1/status", a.read, NULL, NULL);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "programmes"),
				       0),
			"status")),
		"active");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/audit", a.admin, NULL, NULL);
	/* budget, goal, programme, the move */
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")),
			  4);
	resp_free(r);

	/* a write to another resource (a school) changes every tag */
	fx_school(&a, (struct fx_school){ .code = "10AB00",
					  .name = "OBS De Linde",
					  .gm = "GM0363" });
	for (size_t i = 0; i < NPOLLED; i++) {
		ck_assert_msg(revalidate(polled[i].path, token_for(i),
					 tags[i]) == 200,
			      "%s still 304 after a write", polled[i].path);
		etag_of(polled[i].path, token_for(i), fresh);
		ck_assert_str_ne(fresh, tags[i]);
		ck_assert_int_eq(
			revalidate(polled[i].path, token_for(i), fresh), 304);
		snprintf(tags[i], 64, "%s", fresh);
	}
	/* and a delete too */
	r = api_req(&a, "DELETE", "/api/v1/schools/1", a.write, NULL, NULL);
	ck_assert_int_eq(r->status, 204);
	resp_free(r);
	for (size_t i = 0; i < NPOLLED; i++)
		ck_assert_msg(revalidate(polled[i].path, token_for(i),
					 tags[i]) == 200,
			      "%s still 304 after a delete", polled[i].path);
}
END_TEST

START_TEST(an_item_keeps_its_version_as_etag)
{
	struct resp *r;

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	r = api_req(&a, "GET", "/api/v1/goals/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
	ck_assert_str_eq(resp_header(r, "Cache-Control"), "private, no-cache");
	resp_free(r);
}
END_TEST

/* --- 2. paging while rows are added ------------------------------------- */

START_TEST(paging_stays_correct_while_rows_are_inserted)
{
	char next[256];
	long long seen[16];
	size_t nseen = 0;
	struct resp *r;
	const json_t *items, *it;
	size_t i;
	int pages = 0;

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	for (int k = 1; k <= 5; k++) {
		char code[4];

		snprintf(code, sizeof(code), "%d", k);
		fx_goal(&a, (struct fx_goal){ .budget = 1,
					      .code = code,
					      .allocated = 100000 });
	}
	r = api_req(&a, "GET", "/api/v1/goals?limit=2", a.read, NULL, NULL);
	for (;;) {
		ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
		items = json_object_get(r->json, "items");
		ck_assert_uint_le(json_array_size(items), 2);
		json_array_foreach(items, i, it)
		{
			ck_assert_uint_lt(nseen, 16);
			seen[nseen++] =
				json_integer_value(json_object_get(it, "id"));
		}
		if (pages++ == 0)
			/* three more rows arrive while the client reads */
			for (int k = 6; k <= 8; k++) {
				char code[4];

				snprintf(code, sizeof(code), "%d", k);
				fx_goal(&a, (struct fx_goal){ .budget = 1,
							      .code = code,
							      .allocated =
								      100000 });
			}
		if (json_is_null(json_object_get(r->json, "next"))) {
			ck_assert_ptr_null(resp_header(r, "Link"));
			resp_free(r);
			break;
		}
		snprintf(next, sizeof(next), "%s", jstr(r, "next"));
		{
			char link[300];

			snprintf(link, sizeof(link), "<%s>; rel=\"next\"",
				 next);
			ck_assert_str_eq(resp_header(r, "Link"), link);
		}
		resp_free(r);
		ck_assert_int_lt(pages, 10);
		r = api_req(&a, "GET", next, a.read, NULL, NULL);
	}
	/* every id once, in order, the new ones at the end */
	ck_assert_uint_eq(nseen, 8);
	for (i = 0; i < nseen; i++)
		ck_assert_int_eq(seen[i], (long long)i + 1);
	ck_assert_int_eq(pages, 4);
}
END_TEST

/* --- 3. CORS --------------------------------------------------------------- */

static void start_cors(const char *const *origins, size_t n)
{
	a.cfg.cors_origins = origins;
	a.cfg.ncors_origins = n;
	api_start(&a);
}

START_TEST(an_allowed_origin_gets_cors_headers)
{
	struct resp *r;
	const char *expose;

	start_cors(dash_origin, 1);
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	r = get1("/api/v1/goals", a.read, "Origin: http://dash.example");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"),
			 "http://dash.example");
	expose = resp_header(r, "Access-Control-Expose-Headers");
	ck_assert_ptr_nonnull(expose);
	ck_assert_msg(list_has(expose, "ETag") && list_has(expose, "Link") &&
			      list_has(expose, "Location"),
		      "Expose-Headers: %s", expose);
	ck_assert_str_eq(resp_header(r, "Vary"), "Origin");
	resp_free(r);

	/* a 304 to a polling dashboard carries them too */
	{
		char tag[64], line[96];
		const char *const extra[] = { "Origin: http://dash.example",
					      line, NULL };

		etag_of("/api/v1/goals", a.read, tag);
		snprintf(line, sizeof(line), "If-None-Match: %s", tag);
		r = api_req(&a, "GET", "/api/v1/goals", a.read, NULL, extra);
		ck_assert_int_eq(r->status, 304);
		ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"),
				 "http://dash.example");
		resp_free(r);
	}
	/* a create from the dashboard: Location readable */
	r = api_req(&a, "POST", "/api/v1/goals", a.write,
		    "{\"budget_id\":1,\"code\":\"1\",\"name\":\"Doel\","
		    "\"allocated_cents\":100}",
		    (const char *const[]){ "Origin: http://dash.example",
					   NULL });
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"),
			 "http://dash.example");
	ck_assert_ptr_nonnull(resp_header(r, "Location"));
	resp_free(r);
}
END_TEST

START_TEST(each_of_several_configured_origins_is_allowed)
{
	static const char *const two[] = { "https://intranet.example",
					   "http://dash.example" };
	struct resp *r;

	start_cors(two, 2);
	r = get1("/api/v1/status", a.read, "Origin: http://dash.example");
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"),
			 "http://dash.example");
	resp_free(r);
	r = get1("/api/v1/status", a.read, "Origin: https://intranet.example");
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"),
			 "https://intranet.example");
	resp_free(r);
	r = get1("/api/v1/status", a.read, "Origin: http://intranet.example");
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	resp_free(r);
}
END_TEST

START_TEST(another_origin_gets_no_cors_headers)
{
	struct resp *r;

	start_cors(dash_origin, 1);
	r = get1("/api/v1/goals", a.read, "Origin: http://evil.example");
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	ck_assert_str_eq(resp_header(r, "Vary"), "Origin");
	resp_free(r);
	/* a prefix or a suffix of the allowed one is another origin */
	r = get1("/api/v1/goals", a.read, "Origin: http://dash.example.evil");
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	resp_free(r);
	r = get1("/api/v1/goals", a.read, "Origin: http://dash.exampl");
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	resp_free(r);
	/* no Origin: a plain answer, still Vary */
	r = get1("/api/v1/goals", a.read, NULL);
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	ck_assert_str_eq(resp_header(r, "Vary"), "Origin");
	resp_free(r);
	/* nor a preflight from there */
	r = api_req(&a, "OPTIONS", "/api/v1/goals", NULL, NULL,
		    (const char *const[]){ "Origin: http://evil.example",
					   "Access-Control-Request-Method: GET",
					   NULL });
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	resp_free(r);
}
END_TEST

START_TEST(preflight_answers_204_without_a_token_and_writes_nothing)
{
	static const char *const preflight[] = {
		"Origin: http://dash.example",
		"Access-Control-Request-Method: GET",
		"Access-Control-Request-Headers: authorization,if-none-match",
		NULL
	};
	char tag[64];
	long long audit;
	const char *h;
	struct resp *r;

	start_cors(dash_origin, 1);
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	etag_of("/api/v1/goals", a.read, tag);
	r = api_req(&a, "GET", "/api/v1/audit?count=true", a.admin, NULL, NULL);
	audit = jint(r, "total");
	ck_assert_int_eq(audit, 2);
	resp_free(r);

	r = api_req(&a, "OPTIONS", "/api/v1/budgets/1/status", NULL, NULL,
		    preflight);
	ck_assert_msg(r->status == 204, "%ld %s", r->status, r->body);
	ck_assert_uint_eq(r->len, 0);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"),
			 "http://dash.example");
	h = resp_header(r, "Access-Control-Allow-Methods");
	ck_assert_ptr_nonnull(h);
	ck_assert_msg(list_has(h, "GET"), "Allow-Methods: %s", h);
	ck_assert_msg(!list_has(h, "POST") && !list_has(h, "DELETE"),
		      "Allow-Methods: %s", h);
	h = resp_header(r, "Access-Control-Allow-Headers");
	ck_assert_ptr_nonnull(h);
	ck_assert_msg(
		list_has(h, "Authorization") && list_has(h, "Content-Type") &&
			list_has(h, "If-Match") && list_has(h, "If-None-Match"),
		"Allow-Headers: %s", h);
	ck_assert_ptr_nonnull(resp_header(r, "Access-Control-Max-Age"));
	ck_assert_str_eq(resp_header(r, "Vary"), "Origin");
	ck_assert_ptr_null(resp_header(r, "WWW-Authenticate"));
	resp_free(r);

	/* a preflight for a write on a collection names POST as well */
	r = api_req(&a, "OPTIONS", "/api/v1/goals", NULL, NULL,
		    (const char *const[]){
			    "Origin: http://dash.example",
			    "Access-Control-Request-Method: POST",
			    "Access-Control-Request-Headers: content-type",
			    NULL });
	ck_assert_int_eq(r->status, 204);
	h = resp_header(r, "Access-Control-Allow-Methods");
	ck_assert_msg(h && list_has(h, "GET") && list_has(h, "POST"),
		      "Allow-Methods: %s", h ? h : "(none)");
	resp_free(r);
	r = api_req(&a, "OPTIONS", "/api/v1/goals/1", NULL, NULL, preflight);
	ck_assert_int_eq(r->status, 204);
	h = resp_header(r, "Access-Control-Allow-Methods");
	ck_assert_msg(h && list_has(h, "PATCH") && list_has(h, "DELETE"),
		      "Allow-Methods: %s", h ? h : "(none)");
	resp_free(r);

	/* nothing was written */
	ck_assert_int_eq(revalidate("/api/v1/goals", a.read, tag), 304);
	r = api_req(&a, "GET", "/api/v1/audit?count=true", a.admin, NULL, NULL);
	ck_assert_int_eq(jint(r, "total"), audit);
	resp_free(r);
}
END_TEST

START_TEST(a_401_to_an_allowed_origin_is_readable)
{
	struct resp *r;

	start_cors(dash_origin, 1);
	r = get1("/api/v1/budgets/1/status", NULL,
		 "Origin: http://dash.example");
	ck_assert_int_eq(r->status, 401);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"),
			 "http://dash.example");
	ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate"));
	ck_assert_str_eq(jstr(r, "code"), "no_token");
	resp_free(r);
	/* and an unknown token */
	r = get1("/api/v1/goals", "nope", "Origin: http://dash.example");
	ck_assert_int_eq(r->status, 401);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"),
			 "http://dash.example");
	resp_free(r);
	/* but not to another origin */
	r = get1("/api/v1/goals", NULL, "Origin: http://evil.example");
	ck_assert_int_eq(r->status, 401);
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	resp_free(r);
}
END_TEST

START_TEST(no_configured_origin_means_no_cors_headers)
{
	struct resp *r;

	start();
	r = get1("/api/v1/goals", a.read, "Origin: http://dash.example");
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	ck_assert_ptr_null(resp_header(r, "Vary"));
	resp_free(r);
	r = api_req(&a, "OPTIONS", "/api/v1/budgets/1/status", NULL, NULL,
		    (const char *const[]){ "Origin: http://dash.example",
					   "Access-Control-Request-Method: GET",
					   NULL });
	ck_assert_msg(!has_cors_header(r), "headers:\n%s", r->headers);
	resp_free(r);
}
END_TEST

START_TEST(a_wildcard_origin_with_public_read_answers_star)
{
	struct resp *r;

	a.cfg.public_read = true;
	start_cors(any_origin, 1);
	r = get1("/api/v1/goals", NULL, "Origin: http://anywhere.example");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "*");
	ck_assert_ptr_nonnull(resp_header(r, "Access-Control-Expose-Headers"));
	resp_free(r);
	r = get1("/api/v1/status", NULL, "Origin: http://other.example");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "*");
	resp_free(r);
	r = api_req(&a, "OPTIONS", "/api/v1/status", NULL, NULL,
		    (const char *const[]){ "Origin: http://other.example",
					   "Access-Control-Request-Method: GET",
					   NULL });
	ck_assert_int_eq(r->status, 204);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "*");
	resp_free(r);
	/* writes still need a token */
	r = api_req(&a, "POST", "/api/v1/goals", NULL, "{}",
		    (const char *const[]){ "Origin: http://other.example",
					   NULL });
	ck_assert_int_eq(r->status, 401);
	ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "*");
	resp_free(r);
}
END_TEST

/* --- 4. CSV lists ---------------------------------------------------------- */

START_TEST(budgets_as_csv)
{
	struct resp *r, *r2;
	json_t *rows;
	char head[512];

	api_start_demo(&a);
	r = api_req(&a, "GET", "/api/v1/budgets?format=csv", a.read, NULL,
		    NULL);
	assert_csv_answer(r, "budgets.csv");
	ck_assert_msg(r->body[0] != '\xEF', "rfc4180 has no BOM");
	first_line(r, head, sizeof(head));
	ck_assert_msg(strstr(head, "grant_eur") && !strstr(head, "grant_cents"),
		      "header %s", head);
	ck_assert_msg(strncmp(head, "id,", 3) == 0, "header %s", head);
	/* every line ends in CRLF: no bare LF anywhere */
	for (size_t i = 0; i < r->len; i++)
		if (r->body[i] == '\n')
			ck_assert_msg(i > 0 && r->body[i - 1] == '\r',
				      "bare LF at %zu", i);
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_uint_eq(nrows(rows), 3);
	ck_assert_str_eq(cell_where(rows, "municipality_code", "GM0402",
				    "grant_eur"),
			 "2138509.64");
	ck_assert_str_eq(cell_where(rows, "municipality_code", "GM0402",
				    "municipality_name"),
			 "Hilversum");
	ck_assert_str_eq(cell_where(rows, "municipality_code", "GM0406",
				    "grant_eur"),
			 "683901.00");
	ck_assert_msg(strstr(r->body, ",2138509.64,") != NULL, "%s", r->body);
	json_decref(rows);

	/* Accept: text/csv is the same */
	r2 = get1("/api/v1/budgets", a.read, "Accept: text/csv");
	assert_csv_answer(r2, "budgets.csv");
	ck_assert_uint_eq(r2->len, r->len);
	ck_assert(memcmp(r2->body, r->body, r->len) == 0);
	resp_free(r2);
	/* as is a spreadsheet's read token in the query */
	{
		char path[160];

		snprintf(path, sizeof(path),
			 "/api/v1/budgets?format=csv&access_token=%s", a.read);
		r2 = api_req(&a, "GET", path, NULL, NULL, NULL);
		assert_csv_answer(r2, "budgets.csv");
		ck_assert_uint_eq(r2->len, r->len);
		resp_free(r2);
	}
	resp_free(r);

	/* format=json wins over Accept */
	r = get1("/api/v1/budgets?format=json", a.read, "Accept: text/csv");
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strncmp(resp_header(r, "Content-Type"),
			      "application/json", 16) == 0,
		      "%s", resp_header(r, "Content-Type"));
	ck_assert_ptr_nonnull(r->json);
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")),
			  2);
	ck_assert_ptr_null(resp_header(r, "Content-Disposition"));
	resp_free(r);
}
END_TEST

START_TEST(budgets_as_csv_for_dutch_excel)
{
	struct resp *r;
	json_t *rows;
	char head[512];

	api_start_demo(&a);
	r = api_req(&a, "GET", "/api/v1/budgets?format=csv&dialect=excel-nl",
		    a.read, NULL, NULL);
	assert_csv_answer(r, "budgets.csv");
	ck_assert_uint_gt(r->len, 3);
	ck_assert(memcmp(r->body, "\xEF\xBB\xBF", 3) == 0);
	/* one BOM only */
	ck_assert_ptr_null(strstr(r->body + 3, "\xEF\xBB\xBF"));
	first_line(r, head, sizeof(head));
	ck_assert_msg(strncmp(head, "id;", 3) == 0 && !strchr(head, ','),
		      "header %s", head);
	ck_assert_msg(strstr(r->body, ";2138509,64;") != NULL, "%s", r->body);
	rows = csv_parse(r->body, r->len, ';');
	ck_assert_uint_eq(nrows(rows), 3);
	ck_assert_str_eq(cell_where(rows, "municipality_code", "GM0402",
				    "grant_eur"),
			 "2138509,64");
	json_decref(rows);
	resp_free(r);
	/* a dialect alone asks for CSV */
	r = api_req(&a, "GET", "/api/v1/budgets?dialect=excel-nl", a.read, NULL,
		    NULL);
	assert_csv_answer(r, "budgets.csv");
	ck_assert(memcmp(r->body, "\xEF\xBB\xBF", 3) == 0);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets?format=csv&dialect=rfc4180",
		    a.read, NULL, NULL);
	assert_csv_answer(r, "budgets.csv");
	ck_assert_msg(strstr(r->body, ",2138509.64,") != NULL, "%s", r->body);
	resp_free(r);
}
END_TEST

START_TEST(bad_format_or_dialect_is_400)
{
	static const char *const bad[] = {
		"/api/v1/budgets?format=xml",
		"/api/v1/budgets?format=",
		"/api/v1/budgets?format=CSV",
		"/api/v1/budgets?dialect=excel",
		"/api/v1/budgets?format=csv&dialect=",
		"/api/v1/budgets/1/status?format=xlsx",
		"/api/v1/budgets/1/status?format=csv&dialect=nl",
		"/api/v1/status?format=pdf",
		"/api/v1/status?dialect=semicolon",
	};

	api_start_demo(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp *r = api_req(&a, "GET", bad[i], a.read, NULL, NULL);

		ck_assert_msg(r->status == 400, "%s: %ld", bad[i], r->status);
		ck_assert_str_eq(jstr(r, "code"), "bad_query");
		ck_assert_ptr_null(resp_header(r, "ETag"));
		resp_free(r);
	}
}
END_TEST

START_TEST(csv_fields_filters_and_limit)
{
	struct resp *r;
	char head[128];

	api_start_demo(&a);
	r = api_req(&a, "GET",
		    "/api/v1/budgets?format=csv&fields=id,grant_cents", a.read,
		    NULL, NULL);
	assert_csv_answer(r, "budgets.csv");
	first_line(r, head, sizeof(head));
	ck_assert_str_eq(head, "id,grant_eur");
	ck_assert_str_eq(r->body,
			 "id,grant_eur\r\n1,2138509.64\r\n2,683901.00\r\n");
	resp_free(r);
	r = api_req(&a, "GET",
		    "/api/v1/budgets?format=csv&fields=grant_cents,id"
		    "&dialect=excel-nl",
		    a.read, NULL, NULL);
	ck_assert_str_eq(r->body, "\xEF\xBB\xBFgrant_eur;id\r\n"
				  "2138509,64;1\r\n683901,00;2\r\n");
	resp_free(r);
	/* a filter */
	r = api_req(&a, "GET",
		    "/api/v1/budgets?format=csv&fields=id,municipality_name"
		    "&municipality_code=GM0406",
		    a.read, NULL, NULL);
	ck_assert_str_eq(r->body, "id,municipality_name\r\n2,Huizen\r\n");
	resp_free(r);
	/* limit, and after */
	r = api_req(&a, "GET", "/api/v1/budgets?format=csv&fields=id&limit=1",
		    a.read, NULL, NULL);
	ck_assert_str_eq(r->body, "id\r\n1\r\n");
	resp_free(r);
	r = api_req(&a, "GET",
		    "/api/v1/budgets?format=csv&fields=id&limit=1&after=1",
		    a.read, NULL, NULL);
	ck_assert_str_eq(r->body, "id\r\n2\r\n");
	resp_free(r);
	/* bad list queries stay 400 in CSV */
	r = api_req(&a, "GET", "/api/v1/budgets?format=csv&fields=id,nope",
		    a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 400);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets?format=csv&limit=0", a.read,
		    NULL, NULL);
	ck_assert_int_eq(r->status, 400);
	resp_free(r);
}
END_TEST

START_TEST(csv_without_limit_has_every_row)
{
	struct resp *r;
	json_t *rows;

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	for (int k = 1; k <= 250; k++) {
		char code[8];

		snprintf(code, sizeof(code), "%d", k);
		fx_goal(&a, (struct fx_goal){ .budget = 1,
					      .code = code,
					      .allocated = 100000 });
	}
	r = api_req(&a, "GET", "/api/v1/goals?format=csv", a.read, NULL, NULL);
	assert_csv_answer(r, "goals.csv");
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_uint_eq(nrows(rows), 251);
	for (size_t i = 1; i < nrows(rows); i++) {
		char id[24];

		snprintf(id, sizeof(id), "%zu", i);
		ck_assert_str_eq(cell_at(rows, i, col_of(rows, "id")), id);
	}
	ck_assert_str_eq(cell_at(rows, 250, col_of(rows, "allocated_eur")),
			 "1000.00");
	json_decref(rows);
	resp_free(r);
	/* JSON keeps its default page of 100 */
	r = api_req(&a, "GET", "/api/v1/goals", a.read, NULL, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")),
			  100);
	resp_free(r);
	/* a limit is a page */
	r = api_req(&a, "GET", "/api/v1/goals?format=csv&limit=10", a.read,
		    NULL, NULL);
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_uint_eq(nrows(rows), 11);
	json_decref(rows);
	resp_free(r);
	r = get1("/api/v1/goals", a.read, "Accept: text/csv");
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_uint_eq(nrows(rows), 251);
	json_decref(rows);
	resp_free(r);
}
END_TEST

/* --- 5. formula injection -------------------------------------------------- */

START_TEST(csv_neutralises_formulas_and_quotes_rfc4180)
{
	static const struct {
		const char *code, *name, *cell; /* cell as written, rfc4180 */
	} schools[] = {
		{ "20AB00", "+31 20 555", "\"'+31 20 555\"" },
		{ "21AB00", "-5", "\"'-5\"" },
		{ "22AB00", "@SUM(A1)", "\"'@SUM(A1)\"" },
		{ "23AB00", "\tx", "\"'\tx\"" },
		{ "24AB00", "\rx", "\"'\rx\"" },
		{ "25AB00", "=1+1", "\"'=1+1\"" },
		{ "26AB00", "Kring, De", "\"Kring, De\"" },
		{ "27AB00", "De \"Kring\"", "\"De \"\"Kring\"\"\"" },
		{ "28AB00", "regel 1\nregel 2", "\"regel 1\nregel 2\"" },
		{ "29AB00", "a;b", "a;b" },
		{ "30AB00", "1+1=2", "1+1=2" },
		/* spreadsheets skip leading blanks and read full-width signs */
		{ "40AB00", "  =1+1", "\"'  =1+1\"" },
		{ "41AB00", " =cmd|' /C calc'!A0", "\"' =cmd|' /C calc'!A0\"" },
		{ "42AB00",
		  "\xef\xbc\x9d"
		  "1+1",
		  "\"'\xef\xbc\x9d"
		  "1+1\"" },
		{ "43AB00",
		  "\xef\xbc\x8b"
		  "31",
		  "\"'\xef\xbc\x8b"
		  "31\"" },
		{ "44AB00",
		  "\xef\xbc\x8d"
		  "5",
		  "\"'\xef\xbc\x8d"
		  "5\"" },
		{ "45AB00",
		  "\xef\xbc\xa0"
		  "SUM(A1)",
		  "\"'\xef\xbc\xa0"
		  "SUM(A1)\"" },
		{ "46AB00", "\xc2\xa0=1", "\"'\xc2\xa0=1\"" },
		{ "47AB00", "\xe3\x80\x80+1", "\"'\xe3\x80\x80+1\"" },
		{ "48AB00", "   @x", "\"'   @x\"" },
		{ "49AB00", "  De Kring", "  De Kring" },
		{ "50AB00", "a = b", "a = b" },
		{ "51AB00",
		  "\xef\xbc\xa1"
		  "B",
		  "\xef\xbc\xa1"
		  "B" },
	};
	enum { N = sizeof(schools) / sizeof(schools[0]) };
	long long ids[N];
	struct resp *r;
	json_t *rows;
	char want[256];

	api_start_demo(&a);
	ck_assert_int_eq(
		fx_budget(&a,
			  (struct fx_budget){
				  .gm = "GM0363",
				  .name = "=HYPERLINK(\"http://x\",\"klik\")",
				  .grant = 100000000 }),
		3);
	for (size_t i = 0; i < N; i++)
		ids[i] = fx_school(&a,
				   (struct fx_school){ .code = schools[i].code,
						       .name = schools[i].name,
						       .gm = "GM0363" });

	r = api_req(&a, "GET", "/api/v1/budgets?format=csv&fields=id,name",
		    a.read, NULL, NULL);
	assert_csv_answer(r, "budgets.csv");
	ck_assert_msg(strstr(r->body, "\r\n3,\"'=HYPERLINK(\"\"http://x\"\","
				      "\"\"klik\"\")\"\r\n") != NULL,
		      "%s", r->body);
	resp_free(r);
	/* all columns: the name is neutralised wherever it stands */
	r = api_req(&a, "GET", "/api/v1/budgets?format=csv&after=2", a.read,
		    NULL, NULL);
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_str_eq(cell_where(rows, "id", "3", "name"),
			 "'=HYPERLINK(\"http://x\",\"klik\")");
	json_decref(rows);
	resp_free(r);

	r = api_req(&a, "GET",
		    "/api/v1/schools?format=csv&fields=id,name"
		    "&municipality_code=GM0363",
		    a.read, NULL, NULL);
	assert_csv_answer(r, "schools.csv");
	for (size_t i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "\r\n%lld,%s\r\n", ids[i],
			 schools[i].cell);
		ck_assert_msg(strstr(r->body, want) != NULL,
			      "school %s: no line %s in\n%s", schools[i].code,
			      want, r->body);
	}
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_uint_eq(nrows(rows), N + 1);
	ck_assert_str_eq(cell_at(rows, 8, 1), "De \"Kring\"");
	ck_assert_str_eq(cell_at(rows, 9, 1), "regel 1\nregel 2");
	json_decref(rows);
	resp_free(r);

	/* excel-nl: ';' must be quoted, ',' need not */
	r = api_req(&a, "GET",
		    "/api/v1/schools?format=csv&dialect=excel-nl&fields=id,name"
		    "&municipality_code=GM0363",
		    a.read, NULL, NULL);
	snprintf(want, sizeof(want), "\r\n%lld;\"a;b\"\r\n", ids[9]);
	ck_assert_msg(strstr(r->body, want), "no %s in\n%s", want, r->body);
	snprintf(want, sizeof(want), "\r\n%lld;Kring, De\r\n", ids[6]);
	ck_assert_msg(strstr(r->body, want), "no %s in\n%s", want, r->body);
	snprintf(want, sizeof(want), "\r\n%lld;\"'-5\"\r\n", ids[1]);
	ck_assert_msg(strstr(r->body, want), "no %s in\n%s", want, r->body);
	resp_free(r);

	/* a negative figure is a number, not a formula: unquoted */
	r = api_req(&a, "GET", "/api/v1/budgets/1/status?format=csv", a.read,
		    NULL, NULL);
	assert_csv_answer(r, "budget-1-status.csv");
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_str_eq(cell_where(rows, "level", "budget", "unallocated_eur"),
			 "-11490.36");
	ck_assert_msg(strstr(r->body, ",-11490.36,") != NULL, "%s", r->body);
	ck_assert_ptr_null(strstr(r->body, "'-11490"));
	json_decref(rows);
	resp_free(r);
	r = api_req(&a, "GET",
		    "/api/v1/budgets/1/status?format=csv&dialect=excel-nl",
		    a.read, NULL, NULL);
	ck_assert_msg(strstr(r->body, ";-11490,36;") != NULL, "%s", r->body);
	resp_free(r);
	/* and the formula name in the summary of every budget */
	r = api_req(&a, "GET", "/api/v1/status?format=csv", a.read, NULL, NULL);
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_str_eq(cell_where(rows, "budget_id", "3", "name"),
			 "'=HYPERLINK(\"http://x\",\"klik\")");
	ck_assert_msg(strstr(r->body, ",\"'=HYPERLINK(") != NULL, "%s",
		      r->body);
	json_decref(rows);
	resp_free(r);
}
END_TEST

/* --- 6. status as CSV ------------------------------------------------------ */

START_TEST(budget_status_as_csv)
{
	static const char *const head =
		"level,id,goal_id,code,name,status,grant_eur,allocated_eur,"
		"unallocated_eur,budget_eur,programmed_eur,committed_eur,"
		"spent_eur,paid_eur,remaining_eur,open_commitments_eur,"
		"expected_return_eur,uncommitted_eur";
	struct resp *r;
	json_t *rows;
	char line[512];
	size_t goals = 0, programmes = 0, level;

	api_start_demo(&a);
	r = api_req(&a, "GET", "/api/v1/budgets/2/status?format=csv", a.read,
		    NULL, NULL);
	assert_csv_answer(r, "budget-2-status.csv");
	first_line(r, line, sizeof(line));
	ck_assert_str_eq(line, head);
	rows = csv_parse(r->body, r->len, ',');
	level = col_of(rows, "level");
	ck_assert_str_eq(cell_at(rows, 1, level), "budget");
	ck_assert_str_eq(cell_where(rows, "level", "budget", "remaining_eur"),
			 "95521.00");
	ck_assert_str_eq(cell_where(rows, "level", "budget", "grant_eur"),
			 "683901.00");
	ck_assert_str_eq(cell_where(rows, "level", "budget", "spent_eur"),
			 "588380.00");
	ck_assert_str_eq(cell_where(rows, "level", "budget", "id"), "2");
	ck_assert_str_eq(cell_where(rows, "level", "budget",
				    "expected_return_eur"),
			 "83107.00");
	for (size_t i = 1; i < nrows(rows); i++) {
		goals += strcmp(cell_at(rows, i, level), "goal") == 0;
		programmes += strcmp(cell_at(rows, i, level), "programme") == 0;
	}
	ck_assert_uint_eq(goals, 5);
	ck_assert_uint_eq(programmes, 11);
	ck_assert_uint_eq(nrows(rows), 1 + 1 + 5 + 11);
	ck_assert_str_eq(cell_where(rows, "code", "1", "allocated_eur"),
			 "250000.00");
	ck_assert_str_eq(cell_where(rows, "name", "Preventieve logopedie",
				    "status"),
			 "stopped");
	json_decref(rows);
	resp_free(r);
	/* Accept: text/csv does the same */
	r = get1("/api/v1/budgets/2/status", a.read, "Accept: text/csv");
	assert_csv_answer(r, "budget-2-status.csv");
	resp_free(r);
	/* an unknown budget stays a 404 */
	r = api_req(&a, "GET", "/api/v1/budgets/9/status?format=csv", a.read,
		    NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
}
END_TEST

START_TEST(front_page_status_as_csv_for_dutch_excel)
{
	struct resp *r;
	json_t *rows;

	api_start_demo(&a);
	r = api_req(&a, "GET", "/api/v1/status?format=csv&dialect=excel-nl",
		    a.read, NULL, NULL);
	assert_csv_answer(r, "status.csv");
	ck_assert(memcmp(r->body, "\xEF\xBB\xBF", 3) == 0);
	rows = csv_parse(r->body, r->len, ';');
	ck_assert_uint_eq(nrows(rows), 3);
	ck_assert_str_eq(cell_where(rows, "municipality_name", "Hilversum",
				    "warnings"),
			 "over_allocated deadline_passed");
	ck_assert_str_eq(cell_where(rows, "municipality_name", "Huizen",
				    "warnings"),
			 "deadline_passed");
	ck_assert_str_eq(cell_where(rows, "municipality_name", "Hilversum",
				    "grant_eur"),
			 "2138509,64");
	ck_assert_str_eq(cell_where(rows, "municipality_name", "Huizen",
				    "remaining_eur"),
			 "95521,00");
	col_of(rows, "budget_id");
	json_decref(rows);
	resp_free(r);
}
END_TEST

/* --- 7. streaming ---------------------------------------------------------- */

#define NEXP 20000

/* Writes NEXP expenditures under programme 1 straight into the database,
 * in one transaction, while the daemon is stopped; pad makes each
 * description that much longer. */
static void insert_expenditures(int pad)
{
	char padding[400];

	ck_assert_int_lt(pad, (int)sizeof(padding));
	memset(padding, 'x', (size_t)pad);
	padding[pad] = '\0';
	sqlite3 *db;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_open(a.db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(
		sqlite3_prepare_v2(
			db,
			"INSERT INTO expenditures (id, version, created_at, "
			"updated_at, programme_id, plan_id, amount_cents, "
			"spent_on, description, reference, status) VALUES "
			"(?1, 1, '2024-01-02T03:04:05Z', '2024-01-02T03:04:05Z', "
			"1, NULL, ?2, '2024-01-02', ?3, NULL, 'submitted')",
			-1, &st, NULL),
		SQLITE_OK);
	for (int i = 1; i <= NEXP; i++) {
		char desc[440];

		snprintf(desc, sizeof(desc), "Kosten %d%s", i, padding);
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_int(st, 2, 100 + i);
		sqlite3_bind_text(st, 3, desc, -1, SQLITE_TRANSIENT);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

/* A body that grows by doubling: the harness grows its buffer by each
 * piece, which a sanitizer build makes quadratic for a stream that arrives
 * in some 20,000 small chunks. */
struct big {
	char *p;
	size_t len, cap;
};

static size_t big_add(char *ptr, size_t size, size_t n, void *arg)
{
	struct big *b = arg;

	if (b->len + size * n + 1 > b->cap) {
		size_t cap = (b->len + size * n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, ptr, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

/* Keeps only the header block of the last response. */
static size_t big_header(char *ptr, size_t size, size_t n, void *arg)
{
	struct big *b = arg;

	if (size * n > 5 && strncmp(ptr, "HTTP/", 5) == 0)
		b->len = 0;
	return big_add(ptr, size, n, arg);
}

/* GET path with the read token, into a struct resp as api_req makes
 * (without parsing the body as JSON). */
static struct resp *get_big(const char *path)
{
	struct resp *r = calloc(1, sizeof(*r));
	struct big body = { 0 }, head = { 0 };
	struct curl_slist *hl = NULL;
	char url[512], auth[128];
	CURL *h = curl_easy_init();
	CURLcode rc;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(h);
	snprintf(url, sizeof(url), "%s%s", a.base, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a.read);
	hl = curl_slist_append(hl, auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, big_add);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, big_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 100L);
	rc = curl_easy_perform(h);
	ck_assert_msg(rc == CURLE_OK, "GET %s: %s", path,
		      curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	r->body = body.p ? body.p : strdup("");
	r->len = body.len;
	r->headers = head.p ? head.p : strdup("");
	return r;
}

START_TEST(a_large_csv_streams_complete_and_chunked)
{
	struct resp *r;
	json_t *rows;
	size_t id, amount;
	bool in_order = true;

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1,
						.name = "Zomerschool",
						.budget = 50000 });
	api_halt(&a);
	insert_expenditures(0);
	api_start(&a);

	r = get_big("/api/v1/expenditures?format=csv");
	assert_csv_answer(r, "expenditures.csv");
	ck_assert_str_eq(resp_header(r, "Transfer-Encoding"), "chunked");
	ck_assert_ptr_null(resp_header(r, "Content-Length"));
	ck_assert_ptr_nonnull(resp_header(r, "ETag"));
	rows = csv_parse(r->body, r->len, ',');
	ck_assert_uint_eq(nrows(rows), NEXP + 1);
	id = col_of(rows, "id");
	amount = col_of(rows, "amount_eur");
	for (size_t i = 1; i <= NEXP && in_order; i++) {
		char want[24];

		snprintf(want, sizeof(want), "%zu", i);
		in_order = strcmp(cell_at(rows, i, id), want) == 0;
		ck_assert_msg(in_order, "row %zu has id %s", i,
			      cell_at(rows, i, id));
	}
	ck_assert_str_eq(cell_at(rows, NEXP, id), "20000");
	ck_assert_str_eq(cell_at(rows, NEXP, amount), "201.00");
	ck_assert_str_eq(cell_at(rows, 1, amount), "1.01");
	ck_assert_str_eq(cell_where(rows, "id", "20000", "description"),
			 "Kosten 20000");
	json_decref(rows);
	resp_free(r);

	/* the JSON list still pages */
	r = api_req(&a, "GET", "/api/v1/expenditures?count=true&limit=1000",
		    a.read, NULL, NULL);
	ck_assert_int_eq(jint(r, "total"), NEXP);
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")),
			  1000);
	resp_free(r);
}
END_TEST

/* Budget 1, goal 1, programme 1, then NEXP expenditures of some 300 bytes
 * each (6 MB of CSV, more than the socket buffers hold), and the daemon
 * started again. */
static void start_with_a_large_table(void)
{
	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1,
						.name = "Zomerschool",
						.budget = 50000 });
	api_halt(&a);
	insert_expenditures(200);
	api_start(&a);
}

/* A GET on a socket of its own with a small receive buffer, so that a large
 * answer stalls in the daemon until the test reads it. */
static int open_get(const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), small = 4096;
	char req[512];
	int n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)),
			 0);
	sa.sin_port = htons(server_port(a.srv));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Authorization: Bearer %s\r\nConnection: close\r\n\r\n",
		     path, a.read);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	return fd;
}

/* Reads n bytes from fd (within 30 seconds) into buf. */
static void read_n(int fd, char *buf, size_t n)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (size_t got = 0; got < n;) {
		ssize_t k;

		ck_assert_msg(poll(&p, 1, 30000) == 1, "no answer");
		k = read(fd, buf + got, n - got);
		ck_assert_msg(k > 0, "connection closed after %zu bytes", got);
		got += (size_t)k;
	}
}

/* The status code of the answer on fd, from its first 12 bytes. */
static int read_status(int fd)
{
	char line[13] = { 0 };

	read_n(fd, line, 12);
	ck_assert_msg(strncmp(line, "HTTP/1.1 ", 9) == 0, "%s", line);
	return atoi(line + 9);
}

/* The rest of the answer on fd until the daemon closes it; the body with
 * its chunked transfer coding undone, which must end with the last chunk.
 * A new string. */
static char *read_rest_dechunked(int fd, size_t *len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct big raw = { 0 }, body = { 0 };
	char buf[65536];
	const char *c, *end;
	bool last = false;

	for (;;) {
		ssize_t k;

		ck_assert_msg(poll(&p, 1, 30000) == 1, "the answer stalls");
		k = read(fd, buf, sizeof(buf));
		ck_assert_int_ge(k, 0);
		if (k == 0)
			break;
		big_add(buf, 1, (size_t)k, &raw);
	}
	ck_assert_ptr_nonnull(raw.p);
	c = strstr(raw.p, "\r\n\r\n");
	ck_assert_ptr_nonnull(c);
	end = raw.p + raw.len;
	for (c += 4; c < end;) {
		char *e;
		unsigned long n = strtoul(c, &e, 16);

		ck_assert_msg(e > c && e + 2 <= end && e[0] == '\r' &&
				      e[1] == '\n',
			      "bad chunk size line");
		c = e + 2;
		if (n == 0) {
			last = true;
			break;
		}
		ck_assert_msg(c + n + 2 <= end, "a chunk is cut off");
		big_add((char *)c, 1, n, &body);
		c += n + 2;
	}
	ck_assert_msg(last, "the stream has no last chunk");
	free(raw.p);
	*len = body.len;
	return body.p ? body.p : strdup("");
}

/* The daemon keeps database connections for four streamed replies at once
 * (server.c: STREAMS 4, "streamed replies (CSV) running at once"). */
START_TEST(four_spreadsheets_can_pull_at_once)
{
	int fds[4];

	start_with_a_large_table();
	for (int i = 0; i < 4; i++) {
		int status;

		fds[i] = open_get("/api/v1/expenditures?format=csv");
		status = read_status(fds[i]);
		ck_assert_msg(status == 200,
			      "CSV stream %d of 4 at once: %d (the others "
			      "are still streaming)",
			      i + 1, status);
	}
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}
END_TEST

/* A raw POST of a JSON body with the write token, not read yet. */
static int open_post(const char *path, const char *body)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char req[1024];
	int n;

	ck_assert_int_ge(fd, 0);
	sa.sin_port = htons(server_port(a.srv));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = snprintf(req, sizeof(req),
		     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Authorization: Bearer %s\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     path, a.write, strlen(body), body);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	return fd;
}

/*
 * The spare connections are for streams: with no stream running, a CSV is
 * served even while the other three workers are busy (here: three writes
 * waiting for a write lock that someone else holds).
 */
START_TEST(a_csv_is_served_while_the_other_workers_are_busy)
{
	sqlite3 *db;
	int fds[3];
	struct resp *r;
	long status;

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	ck_assert_int_eq(sqlite3_open(a.db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		char body[160];

		snprintf(body, sizeof(body),
			 "{\"budget_id\":1,\"code\":\"%d\",\"name\":\"Doel\","
			 "\"allocated_cents\":100}",
			 i + 1);
		fds[i] = open_post("/api/v1/goals", body);
		/* in its handler, waiting, before the next arrives: so each
		 * holds a worker thread of its own */
		usleep(200 * 1000);
	}
	r = api_req(&a, "GET", "/api/v1/goals?format=csv", a.read, NULL, NULL);
	status = r->status;
	ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(read_status(fds[i]), 201);
		close(fds[i]);
	}
	ck_assert_msg(status == 200,
		      "GET /api/v1/goals?format=csv with no stream running, "
		      "three other workers busy: %ld %s (%s)",
		      status, jstr(r, "code"), jstr(r, "detail"));
	resp_free(r);
}
END_TEST

/* Streams cut off by their clients give their connections back. */
START_TEST(streams_cut_off_by_the_client_are_let_go)
{
	struct resp *r;

	start_with_a_large_table();
	/* more rounds than streams may run at once: each stream cut off
	 * must be let go (the daemon notices when its next send fails) */
	for (int round = 0; round < 8; round++) {
		char some[4096];
		int fd, status, tries = 0;

		for (;;) {
			fd = open_get("/api/v1/expenditures?format=csv");
			status = read_status(fd);
			if (status == 200 || ++tries == 50)
				break;
			close(fd);
			usleep(100 * 1000);
		}
		ck_assert_msg(status == 200, "round %d: still %d after 5 s",
			      round, status);
		read_n(fd, some, sizeof(some));
		close(fd);
	}
	for (int tries = 0;; tries++) {
		r = api_req(&a, "GET",
			    "/api/v1/expenditures?format=csv&limit=5", a.read,
			    NULL, NULL);
		if (r->status == 200 || tries == 50)
			break;
		resp_free(r);
		usleep(100 * 1000);
	}
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	{
		json_t *rows = csv_parse(r->body, r->len, ',');

		ck_assert_uint_eq(nrows(rows), 6);
		json_decref(rows);
	}
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/expenditures/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
}
END_TEST

/* A stream reads one snapshot: what is written while it runs is not in it. */
START_TEST(a_stream_reads_one_snapshot)
{
	int fd;
	struct resp *r;
	char *body;
	size_t len;
	json_t *rows;

	start_with_a_large_table();
	fd = open_get("/api/v1/expenditures?format=csv");
	ck_assert_int_eq(read_status(fd), 200);
	usleep(200 * 1000);
	r = api_json(&a, "POST", "/api/v1/expenditures", a.write,
		     "{s:I, s:I, s:s, s:s}", "programme_id", (json_int_t)1,
		     "amount_cents", (json_int_t)500, "spent_on", "2024-02-02",
		     "description", "Na het begin");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ck_assert_int_eq(jint(r, "id"), NEXP + 1);
	resp_free(r);
	r = api_req(&a, "DELETE", "/api/v1/expenditures/1", a.write, NULL,
		    NULL);
	ck_assert_int_eq(r->status, 204);
	resp_free(r);
	body = read_rest_dechunked(fd, &len);
	close(fd);
	rows = csv_parse(body, len, ',');
	ck_assert_uint_eq(nrows(rows), NEXP + 1);
	ck_assert_str_eq(cell_at(rows, 1, col_of(rows, "id")), "1");
	ck_assert_str_eq(cell_at(rows, NEXP, col_of(rows, "id")), "20000");
	json_decref(rows);
	free(body);
}
END_TEST

/* HEAD answers the headers of the CSV GET, with the same ETag. */
START_TEST(head_of_a_csv_list)
{
	struct resp *r;
	char tag[64];

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	etag_of("/api/v1/goals?format=csv", a.read, tag);
	r = api_req(&a, "HEAD", "/api/v1/goals?format=csv", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_uint_eq(r->len, 0);
	ck_assert_str_eq(resp_header(r, "ETag"), tag);
	ck_assert_str_eq(resp_header(r, "Content-Disposition"),
			 "attachment; filename=\"goals.csv\"");
	resp_free(r);
	r = get1("/api/v1/goals?format=csv", a.read, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
}
END_TEST

/*
 * If-None-Match: * is true only when there is a current representation
 * (RFC 9110 13.1.2): a budget that does not exist or a bad query is still
 * answered 404 or 400, as without the header.
 */
START_TEST(if_none_match_star_does_not_hide_errors)
{
	static const struct {
		const char *path;
		long status;
	} cases[] = {
		{ "/api/v1/budgets/99/status", 404 },
		{ "/api/v1/goals?limit=0", 400 },
		{ "/api/v1/goals?format=xml", 400 },
		{ "/api/v1/status?year=twenty", 400 },
	};
	struct resp *r;

	char wrong[512] = "";

	start();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = get1(cases[i].path, a.read, NULL);
		ck_assert_int_eq(r->status, cases[i].status);
		resp_free(r);
		r = get1(cases[i].path, a.read, "If-None-Match: *");
		if (r->status != cases[i].status)
			snprintf(wrong + strlen(wrong),
				 sizeof(wrong) - strlen(wrong),
				 "%s: %ld (without it %ld); ", cases[i].path,
				 r->status, cases[i].status);
		resp_free(r);
	}
	ck_assert_msg(wrong[0] == '\0', "with If-None-Match: * %s", wrong);
	/* where there is an answer, * names it */
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	r = get1("/api/v1/budgets/1/status", a.read, "If-None-Match: *");
	ck_assert_int_eq(r->status, 304);
	resp_free(r);
}
END_TEST

/* The front page's CSV has its header row whether or not there are
 * budgets, as the lists' CSV has (header=present). */
START_TEST(front_page_csv_has_its_header_without_budgets)
{
	struct resp *r;
	char empty[512], full[512];

	start();
	r = api_req(&a, "GET", "/api/v1/status?format=csv", a.read, NULL, NULL);
	assert_csv_answer(r, "status.csv");
	first_line(r, empty, sizeof(empty));
	resp_free(r);
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	r = api_req(&a, "GET", "/api/v1/status?format=csv", a.read, NULL, NULL);
	first_line(r, full, sizeof(full));
	ck_assert_msg(strncmp(full, "budget_id,", 10) == 0, "%s", full);
	resp_free(r);
	ck_assert_msg(strcmp(empty, full) == 0,
		      "header without budgets \"%s\", with one \"%s\"", empty,
		      full);
	/* a list without rows has its header */
	r = api_req(&a, "GET", "/api/v1/schools?format=csv", a.read, NULL,
		    NULL);
	first_line(r, full, sizeof(full));
	ck_assert_msg(strncmp(full, "id,code,name,", 13) == 0, "%s", full);
	resp_free(r);
}
END_TEST

/*
 * A status or list asked again, with nothing written in between, comes from
 * the reply cache: the same bytes and headers as the first answer; "*" still
 * gets its 304, and the first GET after a write is computed anew.
 */
START_TEST(repeated_gets_are_the_same_and_see_every_write)
{
	struct resp *r1, *r2;

	start();
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
					  .name = "NPO",
					  .grant = 100000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 100000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 100000 });
	r1 = get1("/api/v1/budgets/1/status", a.read, NULL);
	r2 = get1("/api/v1/budgets/1/status", a.read, NULL);
	ck_assert_int_eq(r1->status, 200);
	ck_assert_int_eq(r2->status, 200);
	ck_assert_uint_eq(r1->len, r2->len);
	ck_assert(memcmp(r1->body, r2->body, r1->len) == 0);
	ck_assert_ptr_nonnull(resp_header(r1, "ETag"));
	ck_assert_ptr_nonnull(resp_header(r2, "ETag"));
	ck_assert_str_eq(resp_header(r1, "ETag"), resp_header(r2, "ETag"));
	ck_assert_msg(strstr(r1->body, "\"allocated_cents\": 200000") != NULL,
		      "%s", r1->body);
	resp_free(r2);
	r2 = get1("/api/v1/budgets/1/status", a.read, "If-None-Match: *");
	ck_assert_int_eq(r2->status, 304);
	resp_free(r2);

	/* a page of a list keeps its Link header */
	for (int i = 0; i < 2; i++) {
		r2 = get1("/api/v1/goals?limit=1", a.read, NULL);
		ck_assert_int_eq(r2->status, 200);
		ck_assert_ptr_nonnull(resp_header(r2, "Link"));
		ck_assert_str_eq(
			resp_header(r2, "Link"),
			"</api/v1/goals?limit=1&after=1>; rel=\"next\"");
		resp_free(r2);
	}

	/* a write, and the next answer is computed from it */
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "3", .allocated = 100000 });
	r2 = get1("/api/v1/budgets/1/status", a.read, NULL);
	ck_assert_int_eq(r2->status, 200);
	ck_assert_str_ne(resp_header(r1, "ETag"), resp_header(r2, "ETag"));
	ck_assert_msg(strstr(r2->body, "\"allocated_cents\": 300000") != NULL,
		      "%s", r2->body);
	resp_free(r2);
	resp_free(r1);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lists_and_status_answer_304_while_nothing_changed);
	tcase_add_test(tc, another_query_has_another_etag);
	tcase_add_test(tc,
		       any_write_changes_the_etag_and_a_refused_one_does_not);
	tcase_add_test(tc, an_item_keeps_its_version_as_etag);
	tcase_add_test(tc, paging_stays_correct_while_rows_are_inserted);
	tcase_add_test(tc, an_allowed_origin_gets_cors_headers);
	tcase_add_test(tc, each_of_several_configured_origins_is_allowed);
	tcase_add_test(tc, another_origin_gets_no_cors_headers);
	tcase_add_test(
		tc, preflight_answers_204_without_a_token_and_writes_nothing);
	tcase_add_test(tc, a_401_to_an_allowed_origin_is_readable);
	tcase_add_test(tc, no_configured_origin_means_no_cors_headers);
	tcase_add_test(tc, a_wildcard_origin_with_public_read_answers_star);
	tcase_add_test(tc, budgets_as_csv);
	tcase_add_test(tc, budgets_as_csv_for_dutch_excel);
	tcase_add_test(tc, bad_format_or_dialect_is_400);
	tcase_add_test(tc, csv_fields_filters_and_limit);
	tcase_add_test(tc, csv_without_limit_has_every_row);
	tcase_add_test(tc, csv_neutralises_formulas_and_quotes_rfc4180);
	tcase_add_test(tc, budget_status_as_csv);
	tcase_add_test(tc, front_page_status_as_csv_for_dutch_excel);
	tcase_add_test(tc, a_large_csv_streams_complete_and_chunked);
	tcase_add_test(tc, four_spreadsheets_can_pull_at_once);
	tcase_add_test(tc, a_csv_is_served_while_the_other_workers_are_busy);
	tcase_add_test(tc, streams_cut_off_by_the_client_are_let_go);
	tcase_add_test(tc, a_stream_reads_one_snapshot);
	tcase_add_test(tc, head_of_a_csv_list);
	tcase_add_test(tc, if_none_match_star_does_not_hide_errors);
	tcase_add_test(tc, front_page_csv_has_its_header_without_budgets);
	tcase_add_test(tc, repeated_gets_are_the_same_and_see_every_write);
}

CHECK_MAIN("pull")
