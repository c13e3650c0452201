/* The platform: service endpoints, dispatcher, bodies, auth, shutdown. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "../check_main.h"
#include "harness.h"
#include "npo/db.h"

static struct api a;

static void setup(void)
{
	api_up(&a);
}
static void teardown(void)
{
	api_down(&a);
}

/* Asserts an RFC 9457 problem with status and code, and frees r. */
static void assert_problem(struct resp *r, long status, const char *code)
{
	ck_assert_msg(r->status == status, "status %ld, wanted %ld: %s",
		      r->status, status, r->body);
	ck_assert_str_eq(resp_header(r, "Content-Type"),
			 "application/problem+json");
	ck_assert_int_eq(jint(r, "status"), status);
	ck_assert_str_eq(jstr(r, "code"), code);
	ck_assert(strlen(jstr(r, "title")) > 0);
	ck_assert(strlen(jstr(r, "detail")) > 0);
	ck_assert(strncmp(jstr(r, "type"), "urn:npo-budgetd:problem:", 24) ==
		  0);
	resp_free(r);
}

START_TEST(health_and_readiness_need_no_token)
{
	struct resp *r = api_req(&a, "GET", "/healthz", NULL, NULL, NULL);

	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "status"), "ok");
	resp_free(r);
	r = api_req(&a, "GET", "/readyz", NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "status"), "ready");
	ck_assert_int_ge(jint(r, "schema_version"), 1);
	ck_assert_str_eq(resp_header(r, "Content-Type"),
			 "application/json; charset=utf-8");
	resp_free(r);
}
END_TEST

START_TEST(root_links_collections_and_openapi)
{
	struct resp *r = api_req(&a, "GET", "/api/v1", NULL, NULL, NULL);
	json_t *links;

	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "name"), "npo-budgetd");
	ck_assert_str_eq(jstr(r, "version"), NPO_VERSION);
	links = json_object_get(r->json, "links");
	ck_assert_str_eq(json_string_value(json_object_get(links, "budgets")),
			 "/api/v1/budgets");
	ck_assert_str_eq(json_string_value(json_object_get(links, "openapi")),
			 "/api/v1/openapi.yaml");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/openapi.yaml", NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(strncmp(r->body, "openapi: 3.", 11) == 0);
	ck_assert_ptr_nonnull(strstr(r->body, "/api/v1/budgets/{id}:"));
	ck_assert_ptr_nonnull(strstr(resp_header(r, "Content-Type"), "yaml"));
	resp_free(r);
}
END_TEST

START_TEST(unknown_path_is_404)
{
	static const char *const paths[] = {
		"/nope",
		"/api/v1/budgetsx",
		"/api/v1/budgets/abc",
		"/api/v1/budgets/0",
		"/api/v1/budgets/1/x",
		"/api/v2/budgets",
		"/api/v1/budgets/99999999999999999999",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_problem(api_req(&a, "GET", paths[i], a.read, NULL, NULL),
			       404, "not_found");
	/* a well-formed id that does not exist */
	assert_problem(api_req(&a, "GET", "/api/v1/budgets/42", a.read, NULL,
			       NULL),
		       404, "not_found");
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
	struct resp *r =
		api_req(&a, "DELETE", "/api/v1/budgets", a.write, NULL, NULL);

	ck_assert_str_eq(resp_header(r, "Allow"), "GET, HEAD, POST");
	assert_problem(r, 405, "method_not_allowed");
	r = api_req(&a, "PUT", "/api/v1/budgets/1", a.write, "{}", NULL);
	ck_assert_str_eq(resp_header(r, "Allow"), "GET, HEAD, PATCH, DELETE");
	assert_problem(r, 405, "method_not_allowed");
	r = api_req(&a, "POST", "/healthz", NULL, "{}", NULL);
	ck_assert_str_eq(resp_header(r, "Allow"), "GET, HEAD");
	assert_problem(r, 405, "method_not_allowed");
	r = api_req(&a, "BREW", "/api/v1/budgets", a.write, NULL, NULL);
	assert_problem(r, 405, "method_not_allowed");
}
END_TEST

START_TEST(head_answers_like_get_without_body)
{
	struct resp *r =
		api_req(&a, "HEAD", "/api/v1/budgets", a.read, NULL, NULL);

	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->len, 0);
	resp_free(r);
}
END_TEST

static char *big_body(size_t n)
{
	char *b = malloc(n + 1);

	memset(b, ' ', n);
	b[0] = '{';
	b[n - 1] = '}';
	b[n] = '\0';
	return b;
}

START_TEST(body_over_limit_is_413)
{
	char *b = big_body(2 * 1024 * 1024);

	assert_problem(api_req(&a, "POST", "/api/v1/budgets", a.write, b, NULL),
		       413, "too_large");
	free(b);
}
END_TEST

struct chunks {
	size_t left;
};

static size_t send_chunk(char *buf, size_t size, size_t n, void *arg)
{
	struct chunks *c = arg;
	size_t k = size * n < c->left ? size * n : c->left;

	memset(buf, ' ', k);
	if (k && c->left == 2 * 1024 * 1024)
		buf[0] = '{';
	c->left -= k;
	return k;
}

static size_t ignore(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

START_TEST(chunked_body_over_limit_is_413)
{
	struct chunks c = { 2 * 1024 * 1024 };
	struct curl_slist *hl = NULL;
	char url[128], auth[128];
	long status = 0;
	CURL *h = curl_easy_init();

	snprintf(url, sizeof(url), "%s/api/v1/budgets", a.base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a.write);
	hl = curl_slist_append(hl, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, send_chunk);
	curl_easy_setopt(h, CURLOPT_READDATA, &c);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ignore);
	ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	ck_assert_int_eq(status, 413);
	ck_assert_int_eq(c.left, 0); /* the whole body was read */
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
}
END_TEST

START_TEST(body_limit_is_configurable)
{
	char *b = big_body(600);
	struct resp *r;

	api_halt(&a);
	a.cfg.max_body = 512;
	api_start(&a);
	assert_problem(api_req(&a, "POST", "/api/v1/budgets", a.write, b, NULL),
		       413, "too_large");
	r = api_req(&a, "POST", "/api/v1/budgets", a.write, HILVERSUM_BUDGET,
		    NULL);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);
	free(b);
}
END_TEST

START_TEST(body_that_is_not_json_is_415)
{
	static const char *const plain[] = { "Content-Type: text/plain", NULL };
	static const char *const form[] = {
		"Content-Type: application/x-www-form-urlencoded", NULL
	};
	static const char *const merge[] = {
		"Content-Type: application/merge-patch+json", NULL
	};
	struct resp *r;

	assert_problem(api_req(&a, "POST", "/api/v1/budgets", a.write,
			       HILVERSUM_BUDGET, plain),
		       415, "not_json");
	assert_problem(api_req(&a, "POST", "/api/v1/budgets", a.write, "a=b",
			       form),
		       415, "not_json");
	/* application/json with parameters and +json types are JSON */
	r = api_req(&a, "POST", "/api/v1/budgets", a.write, HILVERSUM_BUDGET,
		    (const char *const[]){
			    "Content-Type: application/json; charset=utf-8",
			    NULL });
	ck_assert_int_eq(r->status, 201);
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"name\":\"NPO\"}", merge);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
}
END_TEST

START_TEST(malformed_json_is_400_with_position)
{
	struct resp *r = api_req(&a, "POST", "/api/v1/budgets", a.write,
				 "{\n  \"name\": \"x\",\n  oops\n}", NULL);

	ck_assert_int_eq(jint(r, "line"), 3);
	ck_assert_int_ge(jint(r, "column"), 1);
	ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "line 3"));
	assert_problem(r, 400, "malformed_json");
	assert_problem(api_req(&a, "POST", "/api/v1/budgets", a.write,
			       "{\"name\":\"a\",\"name\":\"b\"}", NULL),
		       400, "malformed_json");
	assert_problem(api_req(&a, "POST", "/api/v1/budgets", a.write, "",
			       NULL),
		       400, "malformed_json");
	assert_problem(api_req(&a, "POST", "/api/v1/budgets", a.write,
			       "{\"name\":\"a\\u0000b\"}", NULL),
		       400, "malformed_json");
	r = api_req(&a, "POST", "/api/v1/budgets", a.write, "[1,2]", NULL);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "errors"), 0),
			"code")),
		"type");
	assert_problem(r, 422, "validation_failed");
}
END_TEST

START_TEST(missing_or_unknown_token_is_401)
{
	struct resp *r =
		api_req(&a, "GET", "/api/v1/budgets", NULL, NULL, NULL);

	ck_assert_str_eq(resp_header(r, "WWW-Authenticate"),
			 "Bearer realm=\"npo-budgetd\"");
	assert_problem(r, 401, "no_token");
	r = api_req(&a, "GET", "/api/v1/budgets", "npo_not-a-token", NULL,
		    NULL);
	ck_assert_ptr_nonnull(
		strstr(resp_header(r, "WWW-Authenticate"), "invalid_token"));
	assert_problem(r, 401, "bad_token");
	r = api_req(&a, "GET", "/api/v1/budgets", NULL, NULL,
		    (const char *const[]){ "Authorization: Basic YTpi", NULL });
	ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate"));
	assert_problem(r, 401, "bad_token");
	/* no token for a write either */
	assert_problem(api_req(&a, "POST", "/api/v1/budgets", NULL,
			       HILVERSUM_BUDGET, NULL),
		       401, "no_token");
}
END_TEST

START_TEST(role_too_low_is_403)
{
	struct resp *r;

	assert_problem(api_req(&a, "POST", "/api/v1/budgets", a.read,
			       HILVERSUM_BUDGET, NULL),
		       403, "forbidden");
	assert_problem(api_req(&a, "GET", "/api/v1/audit", a.write, NULL, NULL),
		       403, "forbidden");
	assert_problem(api_req(&a, "GET", "/api/v1/audit", a.read, NULL, NULL),
		       403, "forbidden");
	r = api_req(&a, "GET", "/api/v1/audit", a.admin, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	/* higher roles include the lower ones */
	r = api_req(&a, "POST", "/api/v1/budgets", a.admin, HILVERSUM_BUDGET,
		    NULL);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets", a.write, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
}
END_TEST

START_TEST(revoked_token_is_401)
{
	struct npo_err err = { 0 };
	struct db_conn *c;
	struct db *db;
	char msg[256];

	/* a second process-level connection, as `token revoke` would use */
	ck_assert_int_eq(db_open(a.db_path, 1, &db, msg, sizeof(msg)), 0);
	c = db_acquire(db);
	ck_assert_int_eq(auth_token_revoke(c, "reader", "test", &err), 0);
	db_release(db, c);
	db_close(db);
	assert_problem(api_req(&a, "GET", "/api/v1/budgets", a.read, NULL,
			       NULL),
		       401, "bad_token");
}
END_TEST

START_TEST(access_token_in_query_only_for_read_tokens)
{
	char path[256];
	struct resp *r;

	snprintf(path, sizeof(path), "/api/v1/budgets?access_token=%s", a.read);
	r = api_req(&a, "GET", path, NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/budgets?access_token=%s",
		 a.write);
	assert_problem(api_req(&a, "GET", path, NULL, NULL, NULL), 401,
		       "token_in_query");
	assert_problem(api_req(&a, "POST", path, NULL, HILVERSUM_BUDGET, NULL),
		       401, "token_in_query");
	snprintf(path, sizeof(path), "/api/v1/audit?access_token=%s", a.admin);
	assert_problem(api_req(&a, "GET", path, NULL, NULL, NULL), 401,
		       "token_in_query");
	/* a read token in the query cannot write */
	snprintf(path, sizeof(path), "/api/v1/budgets?access_token=%s", a.read);
	assert_problem(api_req(&a, "POST", path, NULL, HILVERSUM_BUDGET, NULL),
		       403, "forbidden");
	r = api_req(&a, "GET", "/api/v1/budgets", NULL, NULL, NULL);
	assert_problem(r, 401, "no_token");
}
END_TEST

START_TEST(public_read_lets_gets_through)
{
	struct resp *r;

	api_halt(&a);
	a.cfg.public_read = true;
	api_start(&a);
	r = api_req(&a, "GET", "/api/v1/budgets", NULL, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	assert_problem(api_req(&a, "POST", "/api/v1/budgets", NULL,
			       HILVERSUM_BUDGET, NULL),
		       401, "no_token");
	/* the audit trail stays admin-only */
	assert_problem(api_req(&a, "GET", "/api/v1/audit", NULL, NULL, NULL),
		       401, "no_token");
	/* a bad token is still refused */
	assert_problem(api_req(&a, "GET", "/api/v1/budgets", "npo_bad", NULL,
			       NULL),
		       401, "bad_token");
}
END_TEST

START_TEST(corrupt_database_refuses_to_start)
{
	struct npo_server *srv = NULL;
	FILE *f;

	api_halt(&a);
	f = fopen(a.db_path, "r+");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 4096; i++)
		fputc('x', f);
	fclose(f);
	ck_assert_int_eq(server_start(&a.cfg, &srv), -1);
	ck_assert_ptr_null(srv);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, health_and_readiness_need_no_token);
	tcase_add_test(tc, root_links_collections_and_openapi);
	tcase_add_test(tc, unknown_path_is_404);
	tcase_add_test(tc, wrong_method_is_405_with_allow);
	tcase_add_test(tc, head_answers_like_get_without_body);
	tcase_add_test(tc, body_over_limit_is_413);
	tcase_add_test(tc, chunked_body_over_limit_is_413);
	tcase_add_test(tc, body_limit_is_configurable);
	tcase_add_test(tc, body_that_is_not_json_is_415);
	tcase_add_test(tc, malformed_json_is_400_with_position);
	tcase_add_test(tc, missing_or_unknown_token_is_401);
	tcase_add_test(tc, role_too_low_is_403);
	tcase_add_test(tc, revoked_token_is_401);
	tcase_add_test(tc, access_token_in_query_only_for_read_tokens);
	tcase_add_test(tc, public_read_lets_gets_through);
	tcase_add_test(tc, corrupt_database_refuses_to_start);
}

CHECK_MAIN("platform")
