#include "harness.h"

#include <check.h>
#include <curl/curl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "npo/db.h"
#include "../curlbuf.h"

/* A token called name with role, its secret in token. */
static void add_token(struct db_conn *c, const char *name, const char *role,
		      char token[AUTH_TOKEN_LEN + 1])
{
	static unsigned n;
	char hash[65], sql[320];

	snprintf(token, AUTH_TOKEN_LEN + 1, "npo_%032x%032x",
		 (unsigned)getpid(), ++n);
	auth_sha256_hex(token, strlen(token), hash);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO tokens (name, role, hash, created_at)"
		 " VALUES ('%s', '%s', '%s', '2026-01-01T00:00:00Z')",
		 name, role, hash);
	ck_assert_int_eq(sqlite3_exec(db_handle(c), sql, NULL, NULL, NULL),
			 SQLITE_OK);
}

void api_init(struct api *a)
{
	struct db_conn *c;
	struct db *db;
	char msg[512];

	memset(a, 0, sizeof(*a));
	snprintf(a->dir, sizeof(a->dir), "/tmp/npo-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(a->dir));
	snprintf(a->db_path, sizeof(a->db_path), "%s/npo.db", a->dir);
	ck_assert_msg(db_open(a->db_path, 1, &db, msg, sizeof(msg)) == 0, "%s",
		      msg);
	c = db_acquire(db);
	/* the three tokens go straight into the table: set-up is no change
	 * the audit trail of a test should count */
	add_token(c, "reader", "read", a->read);
	add_token(c, "writer", "write", a->write);
	add_token(c, "admin", "admin", a->admin);
	db_release(db, c);
	db_close(db);
	server_config_defaults(&a->cfg);
	a->cfg.db_path = a->db_path;
	a->cfg.listen = "127.0.0.1:0";
	a->cfg.threads = 4;
}

void api_start(struct api *a)
{
	ck_assert_int_eq(server_start(&a->cfg, &a->srv), 0);
	snprintf(a->base, sizeof(a->base), "http://127.0.0.1:%u",
		 server_port(a->srv));
}

void api_start_demo(struct api *a)
{
	a->cfg.demo = true;
	api_start(a);
}

void api_up(struct api *a)
{
	api_init(a);
	api_start(a);
}

void api_halt(struct api *a)
{
	server_stop(a->srv);
	a->srv = NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void api_down(struct api *a)
{
	if (a->srv)
		api_halt(a);
	nftw(a->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

struct resp *api_req(struct api *a, const char *method, const char *path,
		     const char *token, const char *body,
		     const char *const *extra)
{
	struct resp *r = calloc(1, sizeof(*r));
	struct buf data = { 0 }, head = { 0 };
	struct curl_slist *hl = NULL;
	char url[4096], line[256];
	bool has_type = false;
	CURL *h = curl_easy_init();
	CURLcode rc;

	ck_assert_ptr_nonnull(h);
	snprintf(url, sizeof(url), "%s%s", a->base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (token) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		hl = curl_slist_append(hl, line);
	}
	for (const char *const *e = extra; e && *e; e++) {
		if (strncasecmp(*e, "Content-Type:", 13) == 0)
			has_type = true;
		hl = curl_slist_append(hl, *e);
	}
	if (body) {
		if (!has_type)
			hl = curl_slist_append(
				hl, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &data);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	rc = curl_easy_perform(h);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
		      curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	r->body = data.p ? data.p : strdup("");
	r->len = data.len;
	r->headers = head.p ? head.p : strdup("");
	r->json = json_loadb(r->body, r->len, 0, NULL);
	return r;
}

struct resp *api_json(struct api *a, const char *method, const char *path,
		      const char *token, const char *fmt, ...)
{
	va_list ap;
	json_error_t e;
	json_t *j;
	char *body;
	struct resp *r;

	va_start(ap, fmt);
	j = json_vpack_ex(&e, 0, fmt, ap);
	va_end(ap);
	ck_assert_msg(j != NULL, "json_pack: %s", e.text);
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	r = api_req(a, method, path, token, body, NULL);
	free(body);
	return r;
}

const char *resp_header(struct resp *r, const char *name)
{
	size_t n = strlen(name);

	for (char *p = r->headers; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			char *v = p + n + 1;
			size_t len;

			v += strspn(v, " ");
			len = strcspn(v, "\r\n");
			ck_assert_int_lt(r->ngot, 16);
			r->got[r->ngot] = strndup(v, len);
			return r->got[r->ngot++];
		}
	}
	return NULL;
}

void resp_free(struct resp *r)
{
	if (!r)
		return;
	json_decref(r->json);
	for (int i = 0; i < r->ngot; i++)
		free(r->got[i]);
	free(r->body);
	free(r->headers);
	free(r);
}

const char *jstr(const struct resp *r, const char *key)
{
	const char *s = json_string_value(json_object_get(r->json, key));

	return s ? s : "";
}

long long jint(const struct resp *r, const char *key)
{
	const json_t *v = json_object_get(r->json, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

void api_sql(struct api *a, const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(a->db_path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK,
		      "%s: %s", sql, msg ? msg : "");
	sqlite3_free(msg);
	sqlite3_close(h);
}

long long api_sql_int(struct api *a, const char *sql, long long arg)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v;

	ck_assert_int_eq(sqlite3_open_v2(a->db_path, &h, SQLITE_OPEN_READONLY,
					 NULL),
			 SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK,
		      "%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_bind_parameter_count(st))
		sqlite3_bind_int64(st, 1, arg);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}
