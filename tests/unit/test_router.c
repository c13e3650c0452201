/* Unit tests of the path matcher and the sanity of the route table. */
#include "../check_main.h"

#include <stdint.h>
#include <string.h>

#include "npo/api.h"
#include "npo/http.h"

#define BUDGET "/api/v1/budgets/{id}"
/* A value http_path_match must overwrite. */
#define UNTOUCHED INT64_C(-777)

static void assert_match(const char *pattern, const char *path, int64_t want)
{
	int64_t id = UNTOUCHED;

	ck_assert_msg(http_path_match(pattern, path, &id),
		      "%s does not match %s", path, pattern);
	ck_assert_msg(id == want, "%s: id %lld, want %lld", path, (long long)id,
		      (long long)want);
}

static void assert_no_match(const char *pattern, const char *path)
{
	int64_t id = UNTOUCHED;

	ck_assert_msg(!http_path_match(pattern, path, &id), "%s matches %s",
		      path, pattern);
}

START_TEST(matches_ids)
{
	assert_match(BUDGET, "/api/v1/budgets/12", 12);
	assert_match(BUDGET, "/api/v1/budgets/1", 1);
	assert_match(BUDGET, "/api/v1/budgets/10", 10);
	assert_match(BUDGET, "/api/v1/budgets/9000000000", INT64_C(9000000000));
}
END_TEST

START_TEST(matches_large_ids)
{
	assert_match(BUDGET, "/api/v1/budgets/922337203685477580",
		     INT64_C(922337203685477580));
	assert_match(BUDGET, "/api/v1/budgets/9223372036854775799",
		     INT64_C(9223372036854775799));
}
END_TEST

START_TEST(matches_ids_up_to_int64_max)
{
	/* every positive int64 is an id, the largest ones too */
	assert_match(BUDGET, "/api/v1/budgets/9223372036854775800",
		     INT64_C(9223372036854775800));
	assert_match(BUDGET, "/api/v1/budgets/9223372036854775806",
		     INT64_MAX - 1);
	assert_match(BUDGET, "/api/v1/budgets/9223372036854775807", INT64_MAX);
}
END_TEST

START_TEST(refuses_bad_ids)
{
	static const char *const bad[] = {
		"/api/v1/budgets/0",
		"/api/v1/budgets/00",
		"/api/v1/budgets/012",
		"/api/v1/budgets/12x",
		"/api/v1/budgets/x12",
		"/api/v1/budgets/",
		"/api/v1/budgets",
		"/api/v1/budgets/12/",
		"/api/v1/budgets/12/extra",
		"/api/v1/budgets/-1",
		"/api/v1/budgets/+1",
		"/api/v1/budgets/ 1",
		"/api/v1/budgets/1.0",
		"/api/v1/budgets/{id}",
		/* INT64_MAX + 1, and far beyond */
		"/api/v1/budgets/9223372036854775808",
		"/api/v1/budgets/9223372036854775810",
		"/api/v1/budgets/18446744073709551616",
		"/api/v1/budgets/99999999999999999999999",
		"/api/v1/budgetz/12",
		"/API/v1/budgets/12",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_no_match(BUDGET, bad[i]);
}
END_TEST

START_TEST(exact_paths)
{
	assert_match("/api/v1/budgets", "/api/v1/budgets", 0);
	assert_match("/healthz", "/healthz", 0);
	assert_match("/", "/", 0);
	assert_no_match("/api/v1/budgets", "/api/v1/budgets/");
	assert_no_match("/api/v1/budgets", "/api/v1/budgets/12");
	assert_no_match("/api/v1/budgets", "/api/v1/budget");
	assert_no_match("/api/v1/budgets", "/api/v1/budgetsx");
	assert_no_match("/api/v1/budgets", "");
	assert_no_match("/healthz", "/healthz?x=1");
}
END_TEST

START_TEST(prefixes_do_not_match)
{
	/* the path is a prefix of the pattern, and the other way round */
	assert_no_match("/api/v1", "/api/v1/budgets");
	assert_no_match("/api/v1/budgets", "/api/v1");
	assert_no_match("/api/v1/budgets/{id}/audit", "/api/v1/budgets/12");
	assert_no_match(BUDGET, "/api/v1");
	assert_match("/api/v1/budgets/{id}/audit", "/api/v1/budgets/12/audit",
		     12);
}
END_TEST

START_TEST(exact_match_sets_id_zero)
{
	int64_t id = UNTOUCHED;

	/* an exact pattern reports id 0, even after an earlier id match */
	ck_assert(http_path_match(BUDGET, "/api/v1/budgets/5", &id));
	ck_assert(id == 5);
	ck_assert(http_path_match("/readyz", "/readyz", &id));
	ck_assert(id == 0);
}
END_TEST

static bool is_api(const char *path)
{
	return strcmp(path, "/api/v1") == 0 ||
	       strncmp(path, "/api/v1/", 8) == 0;
}

static const struct route *find(const char *method, const char *path)
{
	for (size_t i = 0; i < api_nroutes; i++)
		if (strcmp(api_routes[i].method, method) == 0 &&
		    strcmp(api_routes[i].path, path) == 0)
			return &api_routes[i];
	return NULL;
}

START_TEST(routes_unique)
{
	ck_assert_uint_gt(api_nroutes, 0);
	for (size_t i = 0; i < api_nroutes; i++)
		for (size_t j = i + 1; j < api_nroutes; j++)
			ck_assert_msg(strcmp(api_routes[i].method,
					     api_routes[j].method) != 0 ||
					      strcmp(api_routes[i].path,
						     api_routes[j].path) != 0,
				      "%s %s twice (rows %zu and %zu)",
				      api_routes[i].method, api_routes[i].path,
				      i, j);
}
END_TEST

START_TEST(routes_well_formed)
{
	static const char *const methods[] = {
		"GET", "POST", "PUT", "PATCH", "DELETE",
	};

	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *r = &api_routes[i];
		bool known = false;

		ck_assert_ptr_nonnull(r->method);
		ck_assert_ptr_nonnull(r->path);
		ck_assert_msg(r->path[0] == '/', "row %zu: path %s", i,
			      r->path);
		ck_assert_msg(r->handler != NULL, "%s %s has no handler",
			      r->method, r->path);
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]);
		     m++)
			known |= strcmp(r->method, methods[m]) == 0;
		ck_assert_msg(known, "row %zu: method %s", i, r->method);
		ck_assert_msg(r->role >= ROLE_NONE && r->role <= ROLE_ADMIN,
			      "%s %s: role %d", r->method, r->path,
			      (int)r->role);
	}
}
END_TEST

START_TEST(routes_writes_need_write)
{
	size_t n = 0;

	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *r = &api_routes[i];

		if (strcmp(r->method, "GET") == 0 || !is_api(r->path))
			continue;
		ck_assert_msg(r->role >= ROLE_WRITE, "%s %s needs only %s",
			      r->method, r->path, auth_role_name(r->role));
		n++;
	}
	/* the table has writes at all: the loop above checked something */
	ck_assert_uint_gt(n, 0);
}
END_TEST

START_TEST(routes_roles)
{
	const struct route *r;

	r = find("GET", "/healthz");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->role, ROLE_NONE);
	r = find("GET", "/readyz");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->role, ROLE_NONE);
	r = find("GET", "/api/v1/audit");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->role, ROLE_ADMIN);
	ck_assert_ptr_eq(r->ctx, &audit_resource);
	/* nothing else may write the audit trail */
	for (size_t i = 0; i < api_nroutes; i++)
		if (strncmp(api_routes[i].path, "/api/v1/audit", 13) == 0)
			ck_assert_str_eq(api_routes[i].method, "GET");
}
END_TEST

START_TEST(routes_budgets)
{
	static const char *const rows[][2] = {
		{ "GET", "/api/v1/budgets" },
		{ "POST", "/api/v1/budgets" },
		{ "GET", BUDGET },
		{ "PATCH", BUDGET },
		{ "DELETE", BUDGET },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct route *r = find(rows[i][0], rows[i][1]);

		ck_assert_msg(r != NULL, "no %s %s", rows[i][0], rows[i][1]);
		ck_assert_ptr_eq(r->ctx, &budget_resource);
		ck_assert_int_ge(r->role, ROLE_READ);
	}
}
END_TEST

START_TEST(routes_reachable)
{
	/* each route's own path (with an id filled in) finds that route
	 * first among those of its method */
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *r = &api_routes[i];
		char path[256];
		const char *brace = strstr(r->path, "{id}");
		int64_t id;

		if (brace)
			snprintf(path, sizeof(path), "%.*s42%s",
				 (int)(brace - r->path), r->path, brace + 4);
		else
			snprintf(path, sizeof(path), "%s", r->path);
		for (size_t j = 0; j < api_nroutes; j++) {
			if (strcmp(api_routes[j].method, r->method) != 0 ||
			    !http_path_match(api_routes[j].path, path, &id))
				continue;
			ck_assert_msg(j == i, "%s %s is shadowed by row %zu",
				      r->method, r->path, j);
			ck_assert(id == (brace ? 42 : 0));
			break;
		}
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, matches_ids);
	tcase_add_test(tc, matches_large_ids);
	tcase_add_test(tc, matches_ids_up_to_int64_max);
	tcase_add_test(tc, refuses_bad_ids);
	tcase_add_test(tc, exact_paths);
	tcase_add_test(tc, prefixes_do_not_match);
	tcase_add_test(tc, exact_match_sets_id_zero);
	tcase_add_test(tc, routes_unique);
	tcase_add_test(tc, routes_well_formed);
	tcase_add_test(tc, routes_writes_need_write);
	tcase_add_test(tc, routes_roles);
	tcase_add_test(tc, routes_budgets);
	tcase_add_test(tc, routes_reachable);
}

CHECK_MAIN("router")
