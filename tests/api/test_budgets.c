/* Budgets end to end: create, read, list, PATCH with If-Match, delete,
 * validation, the audit trail, and data that survives a restart. */
#include <stdlib.h>
#include <string.h>

#include "../check_main.h"
#include "fixture.h"
#include "harness.h"

static struct api a;

static void setup(void)
{
	api_up(&a);
}
static void teardown(void)
{
	api_down(&a);
}

static void create_hilversum(void)
{
	struct resp *r = api_req(&a, "POST", "/api/v1/budgets", a.write,
				 HILVERSUM_BUDGET, NULL);

	ck_assert_msg(r->status == 201, "%s", r->body);
	resp_free(r);
}

static const char *const *if_match(const char *etag)
{
	static char line[64];
	static const char *list[2] = { line, NULL };

	snprintf(line, sizeof(line), "If-Match: %s", etag);
	return list;
}

START_TEST(create_answers_201_with_location_and_etag)
{
	struct resp *r = api_req(&a, "POST", "/api/v1/budgets", a.write,
				 HILVERSUM_BUDGET, NULL);

	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(resp_header(r, "Location"), "/api/v1/budgets/1");
	ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
	ck_assert_int_eq(jint(r, "id"), 1);
	ck_assert_int_eq(jint(r, "version"), 1);
	ck_assert_str_eq(jstr(r, "municipality_code"), "GM0402");
	ck_assert_str_eq(jstr(r, "municipality_name"), "Hilversum");
	ck_assert_int_eq(jint(r, "grant_cents"), 213850964);
	ck_assert_str_eq(jstr(r, "spend_from"), "2021-07-01");
	ck_assert_str_eq(jstr(r, "spend_until"), "2025-07-31");
	ck_assert_str_eq(jstr(r, "decision_ref"), "motie M20-29");
	ck_assert_str_eq(jstr(r, "overrun_policy"), "warn"); /* default */
	ck_assert_int_eq(strlen(jstr(r, "created_at")), 20);
	ck_assert_str_eq(jstr(r, "created_at"), jstr(r, "updated_at"));
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "grant_cents"), 213850964);
	ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
	ck_assert_str_eq(resp_header(r, "Cache-Control"), "private, no-cache");
	resp_free(r);
}
END_TEST

START_TEST(get_with_current_etag_is_304)
{
	struct resp *r;

	create_hilversum();
	r = api_req(&a, "GET", "/api/v1/budgets/1", a.read, NULL,
		    (const char *const[]){ "If-None-Match: \"1\"", NULL });
	ck_assert_int_eq(r->status, 304);
	ck_assert_int_eq(r->len, 0);
	ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/1", a.read, NULL,
		    (const char *const[]){ "If-None-Match: \"7\"", NULL });
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
}
END_TEST

START_TEST(patch_with_if_match_and_stale_version_is_412)
{
	struct resp *r;

	create_hilversum();
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"grant_cents\":213850965,\"overrun_policy\":\"stop\"}",
		    if_match("\"1\""));
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "version"), 2);
	ck_assert_int_eq(jint(r, "grant_cents"), 213850965);
	ck_assert_str_eq(jstr(r, "overrun_policy"), "stop");
	ck_assert_str_eq(jstr(r, "name"), "Nationaal Programma Onderwijs");
	ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
	resp_free(r);
	/* someone else still holds version 1 */
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"grant_cents\":1}", if_match("\"1\""));
	ck_assert_int_eq(r->status, 412);
	ck_assert_str_eq(jstr(r, "code"), "version_mismatch");
	ck_assert_int_eq(jint(r, "current_version"), 2);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/1", a.read, NULL, NULL);
	ck_assert_int_eq(jint(r, "grant_cents"), 213850965);
	ck_assert_int_eq(jint(r, "version"), 2);
	resp_free(r);
	/* If-Match compares strongly (RFC 9110 13.1.1): a weak tag never
	 * matches; the tag, a list holding it and * name the current version */
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"name\":\"NPO\"}", if_match("W/\"2\""));
	ck_assert_int_eq(r->status, 412);
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"name\":\"NPO\"}", if_match("\"2\""));
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"name\":\"NPO 2\"}", if_match("\"1\", \"3\""));
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"name\":\"NPO 3\"}", if_match("*"));
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "version"), 5);
	resp_free(r);
	/* without If-Match the last writer wins */
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"name\":\"NPO 4\"}", NULL);
	ck_assert_int_eq(jint(r, "version"), 6);
	resp_free(r);
}
END_TEST

START_TEST(patch_that_changes_nothing_keeps_the_version)
{
	struct resp *r;

	create_hilversum();
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"municipality_name\":\"Hilversum\"}", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/audit?entity=budget&count=true",
		    a.admin, NULL, NULL);
	ck_assert_int_eq(jint(r, "total"), 1);
	resp_free(r);
}
END_TEST

/* The field names in the errors of a 422, comma-separated. */
static char *error_fields(const struct resp *r)
{
	static char out[512];
	const json_t *errors = json_object_get(r->json, "errors");
	size_t i;
	json_t *e;

	out[0] = '\0';
	json_array_foreach(errors, i, e)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? "," : "",
			 json_string_value(json_object_get(e, "field")));
	return out;
}

START_TEST(invalid_fields_are_422_naming_each)
{
	struct resp *r = api_req(
		&a, "POST", "/api/v1/budgets", a.write,
		"{\"municipality_code\":\"GM402\",\"name\":\"\","
		"\"grant_cents\":1.5,\"spend_from\":\"2021-02-30\","
		"\"spend_until\":\"2025-07-31\",\"overrun_policy\":\"maybe\","
		"\"grnat_cents\":5,\"id\":7}",
		NULL);

	ck_assert_int_eq(r->status, 422);
	ck_assert_str_eq(jstr(r, "code"), "validation_failed");
	ck_assert_str_eq(error_fields(r),
			 "municipality_code,name,grant_cents,spend_from,"
			 "overrun_policy,grnat_cents,id,municipality_name");
	resp_free(r);
	r = api_req(
		&a, "POST", "/api/v1/budgets", a.write,
		"{\"municipality_code\":\"GM0402\",\"municipality_name\":\"H\","
		"\"name\":\"N\",\"grant_cents\":-1,\"spend_from\":\"2025-07-31\","
		"\"spend_until\":\"2021-07-01\"}",
		NULL);
	ck_assert_int_eq(r->status, 422);
	ck_assert_str_eq(error_fields(r), "grant_cents");
	resp_free(r);
	/* the rule across fields, once each field is valid */
	r = api_req(
		&a, "POST", "/api/v1/budgets", a.write,
		"{\"municipality_code\":\"GM0402\",\"municipality_name\":\"H\","
		"\"name\":\"N\",\"grant_cents\":1,\"spend_from\":\"2025-07-31\","
		"\"spend_until\":\"2021-07-01\"}",
		NULL);
	ck_assert_int_eq(r->status, 422);
	ck_assert_str_eq(error_fields(r), "spend_until");
	resp_free(r);
	/* and nothing was stored */
	r = api_req(&a, "GET", "/api/v1/budgets?count=true", a.read, NULL,
		    NULL);
	ck_assert_int_eq(jint(r, "total"), 0);
	resp_free(r);
}
END_TEST

START_TEST(patch_is_validated_against_the_merged_row)
{
	struct resp *r;

	create_hilversum();
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"spend_until\":\"2020-12-31\"}", NULL);
	ck_assert_int_eq(r->status, 422);
	ck_assert_str_eq(error_fields(r), "spend_until");
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"version\":9,\"grant_cents\":null,\"nmae\":\"x\"}",
		    NULL);
	ck_assert_int_eq(r->status, 422);
	ck_assert_str_eq(error_fields(r), "version,grant_cents,nmae");
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
		    "{\"decision_ref\":null}", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(json_is_null(json_object_get(r->json, "decision_ref")));
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/budgets/77", a.write,
		    "{\"name\":\"x\"}", NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
}
END_TEST

START_TEST(delete_answers_204_then_404)
{
	struct resp *r;

	create_hilversum();
	r = api_req(&a, "DELETE", "/api/v1/budgets/1", a.write, NULL,
		    if_match("\"3\""));
	ck_assert_int_eq(r->status, 412);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	r = api_req(&a, "DELETE", "/api/v1/budgets/1", a.write, NULL,
		    if_match("\"1\""));
	ck_assert_int_eq(r->status, 204);
	ck_assert_int_eq(r->len, 0);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
	r = api_req(&a, "DELETE", "/api/v1/budgets/1", a.write, NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
	/* ids are never reused, so the audit trail stays unambiguous */
	r = api_req(&a, "POST", "/api/v1/budgets", a.write, HILVERSUM_BUDGET,
		    NULL);
	ck_assert_int_eq(jint(r, "id"), 2);
	resp_free(r);
}
END_TEST

START_TEST(audit_holds_each_change_with_actor_before_and_after)
{
	struct resp *r;
	const json_t *items, *e;

	create_hilversum();
	resp_free(api_req(&a, "PATCH", "/api/v1/budgets/1", a.admin,
			  "{\"grant_cents\":1}", NULL));
	resp_free(api_req(&a, "DELETE", "/api/v1/budgets/1", a.write, NULL,
			  NULL));
	r = api_req(&a, "GET", "/api/v1/audit?entity=budget&entity_id=1",
		    a.admin, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 3);
	e = json_array_get(items, 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "action")),
			 "create");
	ck_assert_str_eq(json_string_value(json_object_get(e, "actor")),
			 "writer");
	ck_assert(json_is_null(json_object_get(e, "before")));
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(e, "after"), "grant_cents")),
			 213850964);
	e = json_array_get(items, 1);
	ck_assert_str_eq(json_string_value(json_object_get(e, "action")),
			 "update");
	ck_assert_str_eq(json_string_value(json_object_get(e, "actor")),
			 "admin");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(e, "before"), "grant_cents")),
			 213850964);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(e, "after"), "grant_cents")),
			 1);
	e = json_array_get(items, 2);
	ck_assert_str_eq(json_string_value(json_object_get(e, "action")),
			 "delete");
	ck_assert(json_is_null(json_object_get(e, "after")));
	ck_assert_int_eq(strlen(json_string_value(json_object_get(e, "at"))),
			 20);
	resp_free(r);
	/* a refused write leaves no audit row */
	resp_free(api_req(&a, "POST", "/api/v1/budgets", a.write, "{}", NULL));
	r = api_req(&a, "GET", "/api/v1/audit?count=true", a.admin, NULL, NULL);
	ck_assert_int_eq(jint(r, "total"), 3);
	resp_free(r);
}
END_TEST

START_TEST(list_pages_by_id_with_next_and_link)
{
	struct resp *r;
	char next[256];
	const json_t *items;

	for (int i = 0; i < 5; i++)
		fx_budget(&a, (struct fx_budget){ .gm = i % 2 ? "GM0406"
							      : "GM0402" });
	r = api_req(&a, "GET", "/api/v1/budgets?limit=2", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(items, 1), "id")),
			 2);
	ck_assert_str_eq(jstr(r, "next"), "/api/v1/budgets?limit=2&after=2");
	ck_assert_str_eq(resp_header(r, "Link"),
			 "</api/v1/budgets?limit=2&after=2>; rel=\"next\"");
	ck_assert_ptr_null(json_object_get(r->json, "total"));
	snprintf(next, sizeof(next), "%s", jstr(r, "next"));
	resp_free(r);
	/* a row added between pages shows up on a later page, none twice */
	fx_budget(&a, (struct fx_budget){ .gm = "GM0402" });
	r = api_req(&a, "GET", next, a.read, NULL, NULL);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(items, 0), "id")),
			 3);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets?limit=2&after=4", a.read, NULL,
		    NULL);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
	ck_assert(json_is_null(json_object_get(r->json, "next")));
	ck_assert_ptr_null(resp_header(r, "Link"));
	resp_free(r);
	/* filters, count and fields, carried into next */
	r = api_req(&a, "GET",
		    "/api/v1/budgets?municipality_code=GM0402&count=true"
		    "&fields=id,grant_cents&limit=1",
		    a.read, NULL, NULL);
	ck_assert_int_eq(jint(r, "total"), 4);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_object_size(json_array_get(items, 0)), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(items, 0), "grant_cents")),
			 100000);
	ck_assert_str_eq(jstr(r, "next"),
			 "/api/v1/budgets?municipality_code=GM0402"
			 "&fields=id,grant_cents&count=true&limit=1&after=1");
	resp_free(r);
}
END_TEST

START_TEST(bad_list_queries_are_400)
{
	static const char *const bad[] = {
		"/api/v1/budgets?limit=0",
		"/api/v1/budgets?limit=1001",
		"/api/v1/budgets?limit=ten",
		"/api/v1/budgets?after=-1",
		"/api/v1/budgets?count=yes",
		"/api/v1/budgets?fields=id,nope",
		"/api/v1/budgets?overrun_policy=sometimes",
		"/api/v1/budgets?muncipality_code=GM0402",
		"/api/v1/budgets?grant_cents=5",
		"/api/v1/audit?entity_id=x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp *r =
			api_req(&a, "GET", bad[i], a.admin, NULL, NULL);

		ck_assert_msg(r->status == 400, "%s: %ld", bad[i], r->status);
		ck_assert_str_eq(jstr(r, "code"), "bad_query");
		resp_free(r);
	}
}
END_TEST

START_TEST(data_survives_a_restart)
{
	struct resp *r;

	create_hilversum();
	resp_free(api_req(&a, "PATCH", "/api/v1/budgets/1", a.write,
			  "{\"overrun_policy\":\"stop\"}", NULL));
	api_halt(&a);
	api_start(&a);
	r = api_req(&a, "GET", "/api/v1/budgets/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "grant_cents"), 213850964);
	ck_assert_str_eq(jstr(r, "overrun_policy"), "stop");
	ck_assert_int_eq(jint(r, "version"), 2);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/audit?count=true", a.admin, NULL, NULL);
	ck_assert_int_eq(jint(r, "total"), 2);
	resp_free(r);
}
END_TEST

START_TEST(demo_loads_both_seed_budgets_once)
{
	struct resp *r;
	const json_t *items;

	api_halt(&a);
	a.cfg.demo = true;
	api_start(&a);
	api_halt(&a);
	api_start(&a); /* a second start adds nothing */
	r = api_req(&a, "GET", "/api/v1/budgets", a.read, NULL, NULL);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(items, 0), "grant_cents")),
			 213850964);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(items, 1), "grant_cents")),
			 68390100);
	resp_free(r);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_answers_201_with_location_and_etag);
	tcase_add_test(tc, get_with_current_etag_is_304);
	tcase_add_test(tc, patch_with_if_match_and_stale_version_is_412);
	tcase_add_test(tc, patch_that_changes_nothing_keeps_the_version);
	tcase_add_test(tc, invalid_fields_are_422_naming_each);
	tcase_add_test(tc, patch_is_validated_against_the_merged_row);
	tcase_add_test(tc, delete_answers_204_then_404);
	tcase_add_test(tc, audit_holds_each_change_with_actor_before_and_after);
	tcase_add_test(tc, list_pages_by_id_with_next_and_link);
	tcase_add_test(tc, bad_list_queries_are_400);
	tcase_add_test(tc, data_survives_a_restart);
	tcase_add_test(tc, demo_loads_both_seed_budgets_once);
}

CHECK_MAIN("budgets")
