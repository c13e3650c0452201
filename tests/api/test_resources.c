/* The domain resources end to end: goals, programmes, schools, plans,
 * expenditures and reallocations. Their fields, references, unique keys,
 * filters, paging, audit rows and roles; the generic machinery itself
 * (ETags, If-Match, bad list queries) is covered with budgets. */
#include <stdarg.h>
#include <stdio.h>
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

/* --- helpers -------------------------------------------------------------- */

static struct resp *vcall(const char *method, const char *path,
			  const char *token, const char *fmt, va_list ap)
{
	char body[4096];

	if (!fmt)
		return api_req(&a, method, path, token, NULL, NULL);
	vsnprintf(body, sizeof(body), fmt, ap);
	return api_req(&a, method, path, token, body, NULL);
}

/* One request; the body (if fmt is not NULL) made printf-style. */
static struct resp *call(const char *method, const char *path,
			 const char *token, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static struct resp *call(const char *method, const char *path,
			 const char *token, const char *fmt, ...)
{
	va_list ap;
	struct resp *r;

	va_start(ap, fmt);
	r = vcall(method, path, token, fmt, ap);
	va_end(ap);
	return r;
}

/* The field names in the errors of a 422, comma-separated. */
static const char *error_fields(const struct resp *r)
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

/* The code of the i-th error of a 422, or "". */
static const char *error_code(const struct resp *r, size_t i)
{
	const char *s = json_string_value(json_object_get(
		json_array_get(json_object_get(r->json, "errors"), i), "code"));

	return s ? s : "";
}

/* Asserts r is 422 naming exactly fields, the first with code (unless
 * code is NULL); frees r. */
static void expect_422(struct resp *r, const char *fields, const char *code,
		       const char *what)
{
	ck_assert_msg(r->status == 422, "%s: %ld %s", what, r->status, r->body);
	ck_assert_str_eq(jstr(r, "code"), "validation_failed");
	ck_assert_msg(strcmp(error_fields(r), fields) == 0,
		      "%s: errors name %s, want %s", what, error_fields(r),
		      fields);
	if (code)
		ck_assert_msg(strcmp(error_code(r, 0), code) == 0,
			      "%s: error code %s, want %s", what,
			      error_code(r, 0), code);
	resp_free(r);
}

/* Asserts r has status and (unless NULL) problem code; frees r. */
static void expect(struct resp *r, long status, const char *code,
		   const char *what)
{
	ck_assert_msg(r->status == status, "%s: %ld, want %ld: %s", what,
		      r->status, status, r->body);
	if (code)
		ck_assert_msg(strcmp(jstr(r, "code"), code) == 0,
			      "%s: code %s, want %s", what, jstr(r, "code"),
			      code);
	resp_free(r);
}

/* The count that referenced_by of a 409 gives entity, or -1. */
static long long referenced(const struct resp *r, const char *entity)
{
	const json_t *refs = json_object_get(r->json, "referenced_by");
	size_t i;
	json_t *e;

	json_array_foreach(
		refs, i,
		e) if (strcmp(json_string_value(json_object_get(e, "entity")),
			      entity) ==
		       0) return json_integer_value(json_object_get(e,
								    "count"));
	return -1;
}

/* The ids of a list answer (read token), comma-separated. */
static const char *ids(const char *path)
{
	static char out[512];
	struct resp *r = api_req(&a, "GET", path, a.read, NULL, NULL);
	const json_t *items;
	size_t i;
	json_t *e;

	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	items = json_object_get(r->json, "items");
	ck_assert_msg(json_is_array(items), "%s: no items", path);
	out[0] = '\0';
	json_array_foreach(items, i, e) snprintf(
		out + strlen(out), sizeof(out) - strlen(out), "%s%lld",
		i ? "," : "",
		(long long)json_integer_value(json_object_get(e, "id")));
	resp_free(r);
	return out;
}

#define ASSERT_IDS(path, want)                                                \
	do {                                                                  \
		const char *got_ = ids(path);                                 \
		ck_assert_msg(strcmp(got_, want) == 0, "%s: ids %s, want %s", \
			      path, got_, want);                              \
	} while (0)

/* --- goals ---------------------------------------------------------------- */

START_TEST(goal_create_answers_201_and_checks_its_budget)
{
	struct resp *r;

	fx_budget(&a, (struct fx_budget){ .grant = 10000000 });
	r = api_req(
		&a, "POST", "/api/v1/goals", a.write,
		"{\"budget_id\":1,\"code\":\"1\",\"name\":"
		"\"Bovenschoolse maatregelen\",\"allocated_cents\":4277019}",
		NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_str_eq(resp_header(r, "Location"), "/api/v1/goals/1");
	ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
	ck_assert_int_eq(jint(r, "id"), 1);
	ck_assert_int_eq(jint(r, "version"), 1);
	ck_assert_int_eq(jint(r, "budget_id"), 1);
	ck_assert_str_eq(jstr(r, "code"), "1");
	ck_assert_str_eq(jstr(r, "name"), "Bovenschoolse maatregelen");
	ck_assert_int_eq(jint(r, "allocated_cents"), 4277019);
	ck_assert_int_eq(strlen(jstr(r, "created_at")), 20);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/goals/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "budget_id"), 1);
	ck_assert_int_eq(jint(r, "allocated_cents"), 4277019);
	resp_free(r);
	expect(api_req(&a, "GET", "/api/v1/goals/2", a.read, NULL, NULL), 404,
	       "not_found", "GET a goal that is not there");

	/* a budget that does not exist */
	expect_422(api_req(&a, "POST", "/api/v1/goals", a.write,
			   "{\"budget_id\":99,\"code\":\"2\",\"name\":\"Zorg\","
			   "\"allocated_cents\":1}",
			   NULL),
		   "budget_id", "not_found", "goal of budget 99");
	/* the declared bounds */
	expect_422(api_req(&a, "POST", "/api/v1/goals", a.write, "{}", NULL),
		   "budget_id,code,name,allocated_cents", "required",
		   "empty goal");
	expect_422(api_req(&a, "POST", "/api/v1/goals", a.write,
			   "{\"budget_id\":0,\"code\":\"\",\"name\":\"Zorg\","
			   "\"allocated_cents\":-1}",
			   NULL),
		   "budget_id,code,allocated_cents", "range", "bad goal");
	expect_422(api_req(&a, "POST", "/api/v1/goals", a.write,
			   "{\"budget_id\":1,\"code\":\"12345678901234567\","
			   "\"name\":\"Zorg\",\"allocated_cents\":1}",
			   NULL),
		   "code", "length", "code of 17 characters");
	expect_422(api_req(&a, "POST", "/api/v1/goals", a.write,
			   "{\"budget_id\":1,\"code\":\"2\",\"name\":\"Zorg\","
			   "\"allocated_cents\":1,\"status\":\"x\"}",
			   NULL),
		   "status", "unknown_field", "goal with a status");
	r = api_req(&a, "GET", "/api/v1/goals?count=true", a.read, NULL, NULL);
	ck_assert_int_eq(jint(r, "total"), 1);
	resp_free(r);
}
END_TEST

START_TEST(goal_budget_id_is_fixed_and_filters)
{
	struct resp *r;

	fx_budget(&a, (struct fx_budget){ .grant = 10000000 });
	fx_budget(&a, (struct fx_budget){ .gm = "GM0406", .grant = 10000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 2, .code = "1", .allocated = 1000000 });
	expect_422(api_req(&a, "PATCH", "/api/v1/goals/1", a.write,
			   "{\"budget_id\":2}", NULL),
		   "budget_id", "fixed", "PATCH budget_id");
	r = api_req(&a, "GET", "/api/v1/goals/1", a.read, NULL, NULL);
	ck_assert_int_eq(jint(r, "budget_id"), 1);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/goals/1", a.write,
		    "{\"name\":\"Zorg en welzijn\",\"allocated_cents\":7}",
		    NULL);
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_int_eq(jint(r, "version"), 2);
	ck_assert_int_eq(jint(r, "budget_id"), 1);
	ck_assert_str_eq(jstr(r, "code"), "1");
	ck_assert_str_eq(jstr(r, "name"), "Zorg en welzijn");
	ck_assert_int_eq(jint(r, "allocated_cents"), 7);
	resp_free(r);

	ASSERT_IDS("/api/v1/goals", "1,2,3");
	ASSERT_IDS("/api/v1/goals?budget_id=1", "1,2");
	ASSERT_IDS("/api/v1/goals?budget_id=2", "3");
	ASSERT_IDS("/api/v1/goals?budget_id=99", "");
	expect(api_req(&a, "GET", "/api/v1/goals?budget_id=x", a.read, NULL,
		       NULL),
	       400, "bad_query", "budget_id=x");
	expect(api_req(&a, "GET", "/api/v1/goals?code=1", a.read, NULL, NULL),
	       400, "bad_query", "code is no filter of goals");
}
END_TEST

START_TEST(goal_code_is_unique_within_its_budget)
{
	struct resp *r;

	fx_budget(&a, (struct fx_budget){ .grant = 10000000 });
	fx_budget(&a, (struct fx_budget){ .gm = "GM0406", .grant = 10000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 1000000 });
	r = api_req(&a, "POST", "/api/v1/goals", a.write,
		    "{\"budget_id\":1,\"code\":\"1\",\"name\":\"Nogmaals\","
		    "\"allocated_cents\":1}",
		    NULL);
	ck_assert_msg(r->status == 409, "%s", r->body);
	ck_assert_str_eq(jstr(r, "code"), "duplicate");
	resp_free(r);
	/* the same code in another budget is another goal */
	ck_assert_int_eq(fx_goal(&a, (struct fx_goal){ .budget = 2,
						       .code = "1",
						       .allocated = 1000000 }),
			 2);
	/* and a PATCH cannot make a clash either */
	ck_assert_int_eq(fx_goal(&a, (struct fx_goal){ .budget = 1,
						       .code = "2",
						       .allocated = 1000000 }),
			 3);
	expect(api_req(&a, "PATCH", "/api/v1/goals/3", a.write,
		       "{\"code\":\"1\"}", NULL),
	       409, "duplicate", "PATCH code to a taken one");
	r = api_req(&a, "GET", "/api/v1/goals/3", a.read, NULL, NULL);
	ck_assert_str_eq(jstr(r, "code"), "2");
	resp_free(r);
}
END_TEST

START_TEST(referenced_budgets_and_goals_cannot_be_deleted)
{
	struct resp *r;

	fx_tree(&a, 0);
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 1000000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	r = api_req(&a, "DELETE", "/api/v1/budgets/1", a.write, NULL, NULL);
	ck_assert_msg(r->status == 409, "%s", r->body);
	ck_assert_str_eq(jstr(r, "code"), "referenced");
	ck_assert_int_eq(referenced(r, "goals"), 2);
	resp_free(r);
	r = api_req(&a, "DELETE", "/api/v1/goals/1", a.write, NULL, NULL);
	ck_assert_msg(r->status == 409, "%s", r->body);
	ck_assert_str_eq(jstr(r, "code"), "referenced");
	ck_assert_int_eq(referenced(r, "programmes"), 2);
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "referenced_by")), 1);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/goals/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	/* once nothing points to them they go */
	expect(api_req(&a, "DELETE", "/api/v1/goals/2", a.write, NULL, NULL),
	       204, NULL, "DELETE goal 2");
	expect(api_req(&a, "DELETE", "/api/v1/programmes/1", a.write, NULL,
		       NULL),
	       204, NULL, "DELETE programme 1");
	expect(api_req(&a, "DELETE", "/api/v1/programmes/2", a.write, NULL,
		       NULL),
	       204, NULL, "DELETE programme 2");
	expect(api_req(&a, "DELETE", "/api/v1/goals/1", a.write, NULL, NULL),
	       204, NULL, "DELETE goal 1");
	expect(api_req(&a, "GET", "/api/v1/goals/1", a.read, NULL, NULL), 404,
	       "not_found", "GET deleted goal");
	expect(api_req(&a, "DELETE", "/api/v1/budgets/1", a.write, NULL, NULL),
	       204, NULL, "DELETE budget");
}
END_TEST

/* --- programmes ----------------------------------------------------------- */

START_TEST(programme_takes_its_budget_from_its_goal)
{
	struct resp *r;

	fx_budget(&a, (struct fx_budget){ .grant = 10000000 });
	fx_budget(&a, (struct fx_budget){ .gm = "GM0406", .grant = 10000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 2, .code = "1", .allocated = 1000000 });
	r = api_req(&a, "POST", "/api/v1/programmes", a.write,
		    "{\"goal_id\":2,\"name\":\"Zomerschool\",\"partner\":null,"
		    "\"owner\":\"J. de Vries\",\"budget_cents\":20000,"
		    "\"starts_on\":\"2022-01-01\",\"ends_on\":\"2022-12-31\","
		    "\"decision_ref\":null}",
		    NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_str_eq(resp_header(r, "Location"), "/api/v1/programmes/1");
	ck_assert_int_eq(jint(r, "goal_id"), 2);
	ck_assert_int_eq(jint(r, "budget_id"), 2);
	ck_assert_str_eq(jstr(r, "status"), "planned");
	ck_assert_str_eq(jstr(r, "owner"), "J. de Vries");
	ck_assert(json_is_null(json_object_get(r->json, "partner")));
	ck_assert(json_is_null(json_object_get(r->json, "decision_ref")));
	ck_assert_int_eq(jint(r, "budget_cents"), 20000);
	ck_assert_str_eq(jstr(r, "starts_on"), "2022-01-01");
	ck_assert_str_eq(jstr(r, "ends_on"), "2022-12-31");
	resp_free(r);
	/* absent optional fields are null */
	r = api_req(&a, "POST", "/api/v1/programmes", a.write,
		    "{\"goal_id\":1,\"name\":\"Tutoring\",\"budget_cents\":0}",
		    NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_int_eq(jint(r, "budget_id"), 1);
	ck_assert(json_is_null(json_object_get(r->json, "partner")));
	ck_assert(json_is_null(json_object_get(r->json, "owner")));
	ck_assert(json_is_null(json_object_get(r->json, "starts_on")));
	ck_assert(json_is_null(json_object_get(r->json, "ends_on")));
	resp_free(r);

	/* budget_id and status are the server's */
	expect_422(api_req(&a, "POST", "/api/v1/programmes", a.write,
			   "{\"goal_id\":1,\"budget_id\":1,\"name\":\"X\","
			   "\"budget_cents\":1}",
			   NULL),
		   "budget_id", "read_only", "POST with budget_id");
	expect_422(
		api_req(&a, "POST", "/api/v1/programmes", a.write,
			"{\"goal_id\":1,\"status\":\"active\",\"name\":\"X\","
			"\"budget_cents\":1}",
			NULL),
		"status", "read_only", "POST with status");
	expect_422(api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
			   "{\"budget_id\":1}", NULL),
		   "budget_id", "read_only", "PATCH budget_id");
	expect_422(api_req(&a, "POST", "/api/v1/programmes", a.write,
			   "{\"goal_id\":99,\"name\":\"X\",\"budget_cents\":1}",
			   NULL),
		   "goal_id", "not_found", "programme of goal 99");
	expect_422(api_req(&a, "POST", "/api/v1/programmes", a.write,
			   "{\"goal_id\":1,\"name\":\"\",\"budget_cents\":-1,"
			   "\"starts_on\":\"2022-02-30\"}",
			   NULL),
		   "name,budget_cents,starts_on", NULL, "bad programme");

	/* partner, owner and decision_ref take a value and null again */
	r = api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
		    "{\"partner\":\"Stichting Sterk\",\"owner\":null,"
		    "\"decision_ref\":\"Z.325009 \xe2\x80\x93 1646810\"}",
		    NULL);
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_str_eq(jstr(r, "partner"), "Stichting Sterk");
	ck_assert(json_is_null(json_object_get(r->json, "owner")));
	ck_assert_str_eq(jstr(r, "decision_ref"),
			 "Z.325009 \xe2\x80\x93 1646810");
	ck_assert_int_eq(jint(r, "budget_id"), 2);
	ck_assert_int_eq(jint(r, "version"), 2);
	resp_free(r);
	r = api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
		    "{\"partner\":null,\"decision_ref\":null}", NULL);
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert(json_is_null(json_object_get(r->json, "partner")));
	ck_assert(json_is_null(json_object_get(r->json, "decision_ref")));
	resp_free(r);
	expect_422(api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
			   "{\"name\":null,\"budget_cents\":null}", NULL),
		   "name,budget_cents", "type", "PATCH required to null");
}
END_TEST

START_TEST(programme_stays_in_its_budget_and_its_period_runs_forward)
{
	struct resp *r;

	fx_budget(&a, (struct fx_budget){ .grant = 10000000 });
	fx_budget(&a, (struct fx_budget){ .gm = "GM0406", .grant = 10000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 2, .code = "1", .allocated = 1000000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	/* a goal of another budget */
	expect_422(api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
			   "{\"goal_id\":3}", NULL),
		   "goal_id", NULL, "move to a goal of budget 2");
	expect_422(api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
			   "{\"goal_id\":99}", NULL),
		   "goal_id", "not_found", "move to goal 99");
	r = api_req(&a, "GET", "/api/v1/programmes/1", a.read, NULL, NULL);
	ck_assert_int_eq(jint(r, "goal_id"), 1);
	ck_assert_int_eq(jint(r, "budget_id"), 1);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	/* a goal of the same budget */
	r = api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
		    "{\"goal_id\":2}", NULL);
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_int_eq(jint(r, "goal_id"), 2);
	ck_assert_int_eq(jint(r, "budget_id"), 1);
	resp_free(r);

	/* ends_on before starts_on */
	expect_422(api_req(&a, "POST", "/api/v1/programmes", a.write,
			   "{\"goal_id\":1,\"name\":\"X\",\"budget_cents\":1,"
			   "\"starts_on\":\"2023-05-01\","
			   "\"ends_on\":\"2023-04-30\"}",
			   NULL),
		   "ends_on", NULL, "ends before it starts");
	r = api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
		    "{\"starts_on\":\"2023-01-01\",\"ends_on\":\"2023-01-01\"}",
		    NULL);
	ck_assert_msg(r->status == 200, "%s", r->body); /* one day is fine */
	resp_free(r);
	expect_422(api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
			   "{\"ends_on\":\"2022-12-31\"}", NULL),
		   "ends_on", NULL, "PATCH ends_on before starts_on");
	expect_422(api_req(&a, "PATCH", "/api/v1/programmes/1", a.write,
			   "{\"starts_on\":\"2023-01-02\"}", NULL),
		   "ends_on", NULL, "PATCH starts_on after ends_on");
	r = api_req(&a, "GET", "/api/v1/programmes/1", a.read, NULL, NULL);
	ck_assert_str_eq(jstr(r, "ends_on"), "2023-01-01");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/programmes?count=true", a.read, NULL,
		    NULL);
	ck_assert_int_eq(jint(r, "total"), 1);
	resp_free(r);
}
END_TEST

START_TEST(programme_filters_by_budget_goal_and_status)
{
	fx_budget(&a, (struct fx_budget){ .grant = 10000000 });
	fx_budget(&a, (struct fx_budget){ .gm = "GM0406", .grant = 10000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 2, .code = "1", .allocated = 1000000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 2, .budget = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 3, .budget = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	fx_move(&a, "programmes", 2, "{\"status\":\"active\"}");
	ASSERT_IDS("/api/v1/programmes?budget_id=1", "1,2,4");
	ASSERT_IDS("/api/v1/programmes?budget_id=2", "3");
	ASSERT_IDS("/api/v1/programmes?goal_id=1", "1,4");
	ASSERT_IDS("/api/v1/programmes?goal_id=3", "3");
	ASSERT_IDS("/api/v1/programmes?status=active", "2");
	ASSERT_IDS("/api/v1/programmes?status=planned", "1,3,4");
	ASSERT_IDS("/api/v1/programmes?status=planned&budget_id=1", "1,4");
	ASSERT_IDS("/api/v1/programmes?status=stopped", "");
	expect(api_req(&a, "GET", "/api/v1/programmes?status=bogus", a.read,
		       NULL, NULL),
	       400, "bad_query", "status=bogus");
	expect(api_req(&a, "GET", "/api/v1/programmes?goal_id=one", a.read,
		       NULL, NULL),
	       400, "bad_query", "goal_id=one");
	expect(api_req(&a, "GET", "/api/v1/programmes?partner=x", a.read, NULL,
		       NULL),
	       400, "bad_query", "partner is no filter");
}
END_TEST

/* --- schools -------------------------------------------------------------- */

START_TEST(school_code_sector_and_municipality_are_checked)
{
	static const char *const bad_codes[] = { "25gh00", "25GH0",  "25GH000",
						 "25G-00", "25GH0A", "" };
	static const char *const sectors[] = { "vve", "po", "sbo", "so",
					       "vso", "vo", "pro" };
	static const char *const bad_sectors[] = { "bo", "PO", "mbo", "" };
	static const char *const bad_gm[] = { "GM402", "gm0402", "GM04022",
					      "0402GM", "GMABCD" };
	struct resp *r;
	char code[8];

	r = api_req(&a, "POST", "/api/v1/schools", a.write,
		    "{\"code\":\"25GH00\",\"name\":\"De Regenboog\","
		    "\"sector\":\"po\",\"municipality_code\":\"GM0402\"}",
		    NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_str_eq(resp_header(r, "Location"), "/api/v1/schools/1");
	ck_assert_str_eq(jstr(r, "code"), "25GH00");
	ck_assert_str_eq(jstr(r, "name"), "De Regenboog");
	ck_assert_str_eq(jstr(r, "sector"), "po");
	ck_assert_str_eq(jstr(r, "municipality_code"), "GM0402");
	resp_free(r);
	for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
		r = call("POST", "/api/v1/schools", a.write,
			 "{\"code\":\"%s\",\"name\":\"S\",\"sector\":\"po\","
			 "\"municipality_code\":\"GM0402\"}",
			 bad_codes[i]);
		expect_422(r, "code", NULL, bad_codes[i]);
	}
	for (size_t i = 0; i < sizeof(sectors) / sizeof(sectors[0]); i++) {
		snprintf(code, sizeof(code), "00AA%02zu", i);
		fx_school(&a, (struct fx_school){ .code = code,
						  .sector = sectors[i],
						  .gm = "GM0406" });
	}
	for (size_t i = 0; i < sizeof(bad_sectors) / sizeof(bad_sectors[0]);
	     i++) {
		r = call(
			"POST", "/api/v1/schools", a.write,
			"{\"code\":\"11AB00\",\"name\":\"S\",\"sector\":\"%s\","
			"\"municipality_code\":\"GM0402\"}",
			bad_sectors[i]);
		expect_422(r, "sector", "enum", bad_sectors[i]);
	}
	for (size_t i = 0; i < sizeof(bad_gm) / sizeof(bad_gm[0]); i++) {
		r = call(
			"POST", "/api/v1/schools", a.write,
			"{\"code\":\"11AB00\",\"name\":\"S\",\"sector\":\"po\","
			"\"municipality_code\":\"%s\"}",
			bad_gm[i]);
		expect_422(r, "municipality_code", NULL, bad_gm[i]);
	}
	expect_422(api_req(&a, "PATCH", "/api/v1/schools/1", a.write,
			   "{\"code\":\"25G-00\",\"sector\":\"mbo\"}", NULL),
		   "code,sector", NULL, "PATCH bad code and sector");
	r = api_req(&a, "PATCH", "/api/v1/schools/1", a.write,
		    "{\"sector\":\"sbo\",\"name\":\"De Regenboog SBO\"}", NULL);
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_str_eq(jstr(r, "sector"), "sbo");
	ck_assert_str_eq(jstr(r, "code"), "25GH00");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/schools?count=true", a.read, NULL,
		    NULL);
	ck_assert_int_eq(jint(r, "total"), 8);
	resp_free(r);
}
END_TEST

START_TEST(school_code_is_unique_and_schools_filter)
{
	struct resp *r;

	fx_school(&a, (struct fx_school){ .code = "25GH00" });
	fx_school(&a, (struct fx_school){ .code = "25GH01", .sector = "vo" });
	fx_school(&a, (struct fx_school){ .code = "30AB00", .gm = "GM0406" });
	r = api_req(
		&a, "POST", "/api/v1/schools", a.write,
		"{\"code\":\"25GH00\",\"name\":\"Tweede\",\"sector\":\"vo\","
		"\"municipality_code\":\"GM0406\"}",
		NULL);
	ck_assert_msg(r->status == 409, "%s", r->body);
	ck_assert_str_eq(jstr(r, "code"), "duplicate");
	resp_free(r);
	expect(api_req(&a, "PATCH", "/api/v1/schools/2", a.write,
		       "{\"code\":\"25GH00\"}", NULL),
	       409, "duplicate", "PATCH code to a taken one");
	ASSERT_IDS("/api/v1/schools?sector=po", "1,3");
	ASSERT_IDS("/api/v1/schools?sector=vo", "2");
	ASSERT_IDS("/api/v1/schools?sector=vve", "");
	ASSERT_IDS("/api/v1/schools?municipality_code=GM0402", "1,2");
	ASSERT_IDS("/api/v1/schools?municipality_code=GM0406", "3");
	ASSERT_IDS("/api/v1/schools?municipality_code=GM0402&sector=po", "1");
	ASSERT_IDS("/api/v1/schools?code=25GH01", "2");
	expect(api_req(&a, "GET", "/api/v1/schools?sector=bogus", a.read, NULL,
		       NULL),
	       400, "bad_query", "sector=bogus");
	expect(api_req(&a, "GET", "/api/v1/schools?name=x", a.read, NULL, NULL),
	       400, "bad_query", "name is no filter");
	/* the codes and the total survive */
	r = api_req(&a, "GET", "/api/v1/schools?count=true", a.read, NULL,
		    NULL);
	ck_assert_int_eq(jint(r, "total"), 3);
	resp_free(r);
}
END_TEST

START_TEST(school_with_plans_cannot_be_deleted)
{
	struct resp *r;

	fx_tree(&a, 2);
	fx_school(&a, (struct fx_school){ .code = "25GH00" });
	fx_school(&a, (struct fx_school){ .code = "30AB00", .gm = "GM0406" });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2024-2025",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2023-2024",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	r = api_req(&a, "DELETE", "/api/v1/schools/1", a.write, NULL, NULL);
	ck_assert_msg(r->status == 409, "%s", r->body);
	ck_assert_str_eq(jstr(r, "code"), "referenced");
	ck_assert_int_eq(referenced(r, "plans"), 2);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/schools/1", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	expect(api_req(&a, "DELETE", "/api/v1/schools/2", a.write, NULL, NULL),
	       204, NULL, "DELETE school without plans");
	expect(api_req(&a, "GET", "/api/v1/schools/2", a.read, NULL, NULL), 404,
	       "not_found", "GET deleted school");
}
END_TEST

/* --- plans ---------------------------------------------------------------- */

START_TEST(plan_school_year_and_references_are_checked)
{
	static const char *const bad_years[] = { "2024-2026",  "24-25",
						 "2024/2025",  "2025-2024",
						 "2024-2025 ", "" };
	struct resp *r;

	fx_tree(&a, 2);
	fx_school(&a, (struct fx_school){ .code = "25GH00" });
	for (size_t i = 0; i < sizeof(bad_years) / sizeof(bad_years[0]); i++) {
		r = call("POST", "/api/v1/plans", a.write,
			 "{\"programme_id\":1,\"school_id\":1,"
			 "\"school_year\":\"%s\",\"title\":\"T\","
			 "\"requested_cents\":1}",
			 bad_years[i]);
		expect_422(r, "school_year", NULL, bad_years[i]);
	}
	r = api_req(&a, "POST", "/api/v1/plans", a.write,
		    "{\"programme_id\":99,\"school_id\":98,"
		    "\"school_year\":\"2024-2025\",\"title\":\"T\","
		    "\"requested_cents\":1}",
		    NULL);
	ck_assert_msg(r->status == 422, "%s", r->body);
	ck_assert_str_eq(error_fields(r), "programme_id,school_id");
	ck_assert_str_eq(error_code(r, 0), "not_found");
	ck_assert_str_eq(error_code(r, 1), "not_found");
	resp_free(r);
	expect_422(api_req(&a, "POST", "/api/v1/plans", a.write,
			   "{\"programme_id\":1,\"school_id\":98,"
			   "\"school_year\":\"2024-2025\",\"title\":\"T\","
			   "\"requested_cents\":1}",
			   NULL),
		   "school_id", "not_found", "plan of school 98");
	expect_422(api_req(&a, "POST", "/api/v1/plans", a.write,
			   "{\"programme_id\":1,\"school_id\":1,"
			   "\"school_year\":\"2024-2025\",\"title\":\"T\","
			   "\"requested_cents\":5,\"approved_cents\":5,"
			   "\"status\":\"approved\"}",
			   NULL),
		   "approved_cents,status", "read_only", "plan set approved");
	expect_422(api_req(&a, "POST", "/api/v1/plans", a.write, "{}", NULL),
		   "programme_id,school_id,school_year,title,requested_cents",
		   "required", "empty plan");

	r = api_req(
		&a, "POST", "/api/v1/plans", a.write,
		"{\"programme_id\":1,\"school_id\":1,"
		"\"school_year\":\"2024-2025\",\"title\":\"Leesinterventie\","
		"\"requested_cents\":250000,\"note\":\"groep 5-8\"}",
		NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_str_eq(resp_header(r, "Location"), "/api/v1/plans/1");
	ck_assert_int_eq(jint(r, "programme_id"), 1);
	ck_assert_int_eq(jint(r, "school_id"), 1);
	ck_assert_str_eq(jstr(r, "school_year"), "2024-2025");
	ck_assert_str_eq(jstr(r, "title"), "Leesinterventie");
	ck_assert_int_eq(jint(r, "requested_cents"), 250000);
	ck_assert_str_eq(jstr(r, "status"), "draft");
	ck_assert_ptr_nonnull(json_object_get(r->json, "approved_cents"));
	ck_assert(json_is_null(json_object_get(r->json, "approved_cents")));
	ck_assert(json_is_null(json_object_get(r->json, "submitted_at")));
	ck_assert(json_is_null(json_object_get(r->json, "decided_at")));
	ck_assert_str_eq(jstr(r, "note"), "groep 5-8");
	resp_free(r);
	/* a PATCH to a programme that is not there */
	expect_422(api_req(&a, "PATCH", "/api/v1/plans/1", a.write,
			   "{\"programme_id\":99,\"school_year\":\"2024\"}",
			   NULL),
		   "school_year", NULL, "PATCH bad school_year");
	expect_422(api_req(&a, "PATCH", "/api/v1/plans/1", a.write,
			   "{\"programme_id\":99}", NULL),
		   "programme_id", "not_found", "PATCH programme 99");
	expect_422(api_req(&a, "PATCH", "/api/v1/plans/1", a.write,
			   "{\"approved_cents\":1}", NULL),
		   "approved_cents", "read_only", "PATCH approved_cents");
}
END_TEST

START_TEST(plan_is_unique_per_programme_school_and_year)
{
	struct resp *r;

	fx_tree(&a, 4);
	fx_school(&a, (struct fx_school){ .code = "25GH00" });
	fx_school(&a, (struct fx_school){ .code = "25GH01", .sector = "vo" });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2024-2025",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	r = api_req(&a, "POST", "/api/v1/plans", a.write,
		    "{\"programme_id\":1,\"school_id\":1,"
		    "\"school_year\":\"2024-2025\",\"title\":\"Nog een\","
		    "\"requested_cents\":1}",
		    NULL);
	ck_assert_msg(r->status == 409, "%s", r->body);
	ck_assert_str_eq(jstr(r, "code"), "duplicate");
	resp_free(r);
	/* another year, school or programme is another plan */
	ck_assert_int_eq(fx_plan(&a,
				 (struct fx_plan){ .programme = 1,
						   .school = 1,
						   .year = "2023-2024",
						   .title = "Leesinterventie",
						   .requested = 5000 }),
			 2);
	ck_assert_int_eq(fx_plan(&a,
				 (struct fx_plan){ .programme = 1,
						   .school = 2,
						   .year = "2024-2025",
						   .title = "Leesinterventie",
						   .requested = 5000 }),
			 3);
	ck_assert_int_eq(fx_plan(&a,
				 (struct fx_plan){ .programme = 2,
						   .school = 1,
						   .year = "2024-2025",
						   .title = "Leesinterventie",
						   .requested = 5000 }),
			 4);
	expect(api_req(&a, "PATCH", "/api/v1/plans/2", a.write,
		       "{\"school_year\":\"2024-2025\"}", NULL),
	       409, "duplicate", "PATCH school_year into a clash");

	/* PATCH of a draft */
	r = api_req(&a, "PATCH", "/api/v1/plans/1", a.write,
		    "{\"title\":\"Rekenen en lezen\",\"requested_cents\":6000}",
		    NULL);
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_str_eq(jstr(r, "title"), "Rekenen en lezen");
	ck_assert_int_eq(jint(r, "requested_cents"), 6000);
	ck_assert_int_eq(jint(r, "version"), 2);
	ck_assert_str_eq(jstr(r, "status"), "draft");
	ck_assert(json_is_null(json_object_get(r->json, "approved_cents")));
	resp_free(r);

	fx_move(&a, "plans", 3, "{\"status\":\"submitted\"}");
	ASSERT_IDS("/api/v1/plans", "1,2,3,4");
	ASSERT_IDS("/api/v1/plans?programme_id=1", "1,2,3");
	ASSERT_IDS("/api/v1/plans?programme_id=2", "4");
	ASSERT_IDS("/api/v1/plans?school_id=1", "1,2,4");
	ASSERT_IDS("/api/v1/plans?school_id=2", "3");
	ASSERT_IDS("/api/v1/plans?school_year=2024-2025", "1,3,4");
	ASSERT_IDS("/api/v1/plans?school_year=2023-2024", "2");
	ASSERT_IDS("/api/v1/plans?status=draft", "1,2,4");
	ASSERT_IDS("/api/v1/plans?status=submitted", "3");
	ASSERT_IDS("/api/v1/plans?status=approved", "");
	ASSERT_IDS("/api/v1/plans?programme_id=1&school_year=2024-2025"
		   "&status=draft",
		   "1");
	expect(api_req(&a, "GET", "/api/v1/plans?status=bogus", a.read, NULL,
		       NULL),
	       400, "bad_query", "status=bogus");
	expect(api_req(&a, "GET", "/api/v1/plans?school_id=x", a.read, NULL,
		       NULL),
	       400, "bad_query", "school_id=x");
}
END_TEST

/* --- expenditures --------------------------------------------------------- */

START_TEST(expenditure_amount_and_date_are_checked)
{
	static const char *const bad_amounts[] = { "0",	     "-5",   "1.5",
						   "\"12\"", "null", "true" };
	static const char *const bad_dates[] = { "2023-02-29", "2023-13-01",
						 "01-03-2023", "2023-3-1",
						 "2023-04-31", "" };
	struct resp *r;

	fx_tree(&a, 2);
	for (size_t i = 0; i < sizeof(bad_amounts) / sizeof(bad_amounts[0]);
	     i++) {
		r = call("POST", "/api/v1/expenditures", a.write,
			 "{\"programme_id\":1,\"amount_cents\":%s,"
			 "\"spent_on\":\"2024-03-01\",\"description\":\"F\"}",
			 bad_amounts[i]);
		expect_422(r, "amount_cents", NULL, bad_amounts[i]);
	}
	for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
		r = call("POST", "/api/v1/expenditures", a.write,
			 "{\"programme_id\":1,\"amount_cents\":1,"
			 "\"spent_on\":\"%s\",\"description\":\"F\"}",
			 bad_dates[i]);
		expect_422(r, "spent_on", "format", bad_dates[i]);
	}
	expect_422(api_req(&a, "POST", "/api/v1/expenditures", a.write,
			   "{\"programme_id\":99,\"plan_id\":98,"
			   "\"amount_cents\":1,\"spent_on\":\"2024-03-01\","
			   "\"description\":\"F\"}",
			   NULL),
		   "programme_id,plan_id", "not_found",
		   "programme 99, plan 98");
	expect_422(api_req(&a, "POST", "/api/v1/expenditures", a.write,
			   "{\"programme_id\":1,\"amount_cents\":1,"
			   "\"spent_on\":\"2024-03-01\",\"description\":\"F\","
			   "\"status\":\"paid\"}",
			   NULL),
		   "status", "read_only", "expenditure set paid");

	/* the smallest amount, a leap day and no plan */
	r = api_req(&a, "POST", "/api/v1/expenditures", a.write,
		    "{\"programme_id\":1,\"plan_id\":null,\"amount_cents\":1,"
		    "\"spent_on\":\"2024-02-29\",\"description\":\"Factuur 7\","
		    "\"reference\":\"INV-2024-007\"}",
		    NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_str_eq(resp_header(r, "Location"), "/api/v1/expenditures/1");
	ck_assert_int_eq(jint(r, "programme_id"), 1);
	ck_assert_ptr_nonnull(json_object_get(r->json, "plan_id"));
	ck_assert(json_is_null(json_object_get(r->json, "plan_id")));
	ck_assert_int_eq(jint(r, "amount_cents"), 1);
	ck_assert_str_eq(jstr(r, "spent_on"), "2024-02-29");
	ck_assert_str_eq(jstr(r, "reference"), "INV-2024-007");
	ck_assert_str_eq(jstr(r, "status"), "submitted");
	resp_free(r);
	/* plan_id may also be left out */
	r = api_req(&a, "POST", "/api/v1/expenditures", a.write,
		    "{\"programme_id\":1,\"amount_cents\":99999,"
		    "\"spent_on\":\"2024-12-31\",\"description\":\"F\"}",
		    NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert(json_is_null(json_object_get(r->json, "plan_id")));
	ck_assert(json_is_null(json_object_get(r->json, "reference")));
	resp_free(r);
	expect_422(api_req(&a, "PATCH", "/api/v1/expenditures/1", a.write,
			   "{\"amount_cents\":0,\"spent_on\":\"2024-02-30\"}",
			   NULL),
		   "amount_cents,spent_on", NULL, "PATCH bad amount and date");
	r = api_req(&a, "GET", "/api/v1/expenditures?count=true", a.read, NULL,
		    NULL);
	ck_assert_int_eq(jint(r, "total"), 2);
	resp_free(r);
}
END_TEST

START_TEST(expenditure_against_a_plan_needs_its_programme_and_approval)
{
	struct resp *r;

	fx_tree(&a, 4);
	fx_school(&a, (struct fx_school){ .code = "25GH00" });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2024-2025",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2023-2024",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	/* a plan of another programme */
	expect_422(api_req(&a, "POST", "/api/v1/expenditures", a.write,
			   "{\"programme_id\":2,\"plan_id\":1,"
			   "\"amount_cents\":100,\"spent_on\":\"2024-03-01\","
			   "\"description\":\"F\"}",
			   NULL),
		   "plan_id", NULL, "plan of programme 1 on programme 2");
	/* a plan that is draft, then submitted */
	expect(api_req(&a, "POST", "/api/v1/expenditures", a.write,
		       "{\"programme_id\":1,\"plan_id\":1,\"amount_cents\":100,"
		       "\"spent_on\":\"2024-03-01\",\"description\":\"F\"}",
		       NULL),
	       409, "plan_not_approved", "against a draft plan");
	fx_move(&a, "plans", 1, "{\"status\":\"submitted\"}");
	expect(api_req(&a, "POST", "/api/v1/expenditures", a.write,
		       "{\"programme_id\":1,\"plan_id\":1,\"amount_cents\":100,"
		       "\"spent_on\":\"2024-03-01\",\"description\":\"F\"}",
		       NULL),
	       409, "plan_not_approved", "against a submitted plan");
	r = api_req(&a, "POST", "/api/v1/plans/1/status", a.write,
		    "{\"status\":\"approved\",\"approved_cents\":4000}", NULL);
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert_str_eq(jstr(r, "status"), "approved");
	ck_assert_int_eq(jint(r, "approved_cents"), 4000);
	resp_free(r);
	r = api_req(&a, "POST", "/api/v1/expenditures", a.write,
		    "{\"programme_id\":1,\"plan_id\":1,\"amount_cents\":100,"
		    "\"spent_on\":\"2024-03-01\",\"description\":\"F\"}",
		    NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_int_eq(jint(r, "plan_id"), 1);
	ck_assert_int_eq(jint(r, "programme_id"), 1);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/expenditures?count=true", a.read, NULL,
		    NULL);
	ck_assert_int_eq(jint(r, "total"), 1);
	resp_free(r);

	/* a PATCH cannot leave the plan's programme or pick a draft plan */
	expect_422(api_req(&a, "PATCH", "/api/v1/expenditures/1", a.write,
			   "{\"programme_id\":2}", NULL),
		   "plan_id", NULL, "PATCH to programme 2 keeping plan 1");
	expect(api_req(&a, "PATCH", "/api/v1/expenditures/1", a.write,
		       "{\"plan_id\":2}", NULL),
	       409, "plan_not_approved", "PATCH to draft plan 2");
	r = api_req(&a, "PATCH", "/api/v1/expenditures/1", a.write,
		    "{\"plan_id\":null,\"programme_id\":2}", NULL);
	ck_assert_msg(r->status == 200, "%s", r->body);
	ck_assert(json_is_null(json_object_get(r->json, "plan_id")));
	ck_assert_int_eq(jint(r, "programme_id"), 2);
	resp_free(r);
}
END_TEST

START_TEST(expenditure_filters_and_programmes_with_costs_stay)
{
	struct resp *r;

	fx_tree(&a, 4);
	fx_school(&a, (struct fx_school){ .code = "25GH00" });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2024-2025",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_approve_plan(&a, 1, 5000);
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 1, .plan = 1 });
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 1, .plan = 0 });
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 2, .plan = 0 });
	fx_move(&a, "expenditures", 2, "{\"status\":\"approved\"}");
	ASSERT_IDS("/api/v1/expenditures", "1,2,3");
	ASSERT_IDS("/api/v1/expenditures?programme_id=1", "1,2");
	ASSERT_IDS("/api/v1/expenditures?programme_id=2", "3");
	ASSERT_IDS("/api/v1/expenditures?plan_id=1", "1");
	ASSERT_IDS("/api/v1/expenditures?plan_id=2", "");
	ASSERT_IDS("/api/v1/expenditures?status=approved", "2");
	ASSERT_IDS("/api/v1/expenditures?status=submitted", "1,3");
	ASSERT_IDS("/api/v1/expenditures?status=submitted&programme_id=1", "1");
	ASSERT_IDS("/api/v1/plans?status=approved", "1");
	expect(api_req(&a, "GET", "/api/v1/expenditures?status=bogus", a.read,
		       NULL, NULL),
	       400, "bad_query", "status=bogus");
	expect(api_req(&a, "GET", "/api/v1/expenditures?plan_id=x", a.read,
		       NULL, NULL),
	       400, "bad_query", "plan_id=x");

	r = api_req(&a, "DELETE", "/api/v1/programmes/2", a.write, NULL, NULL);
	ck_assert_msg(r->status == 409, "%s", r->body);
	ck_assert_str_eq(jstr(r, "code"), "referenced");
	ck_assert_int_eq(referenced(r, "expenditures"), 1);
	resp_free(r);
	r = api_req(&a, "DELETE", "/api/v1/programmes/1", a.write, NULL, NULL);
	ck_assert_msg(r->status == 409, "%s", r->body);
	ck_assert_str_eq(jstr(r, "code"), "referenced");
	ck_assert_int_eq(referenced(r, "expenditures"), 2);
	ck_assert_int_eq(referenced(r, "plans"), 1);
	resp_free(r);
	/* a plan with costs against it stays too */
	r = api_req(&a, "DELETE", "/api/v1/expenditures/3", a.write, NULL,
		    NULL);
	ck_assert_int_eq(r->status, 204);
	resp_free(r);
	expect(api_req(&a, "DELETE", "/api/v1/programmes/2", a.write, NULL,
		       NULL),
	       204, NULL, "DELETE programme without costs");
}
END_TEST

/* --- lists ---------------------------------------------------------------- */

/* Walks path with limit=1 following next; returns how many items. */
static long long walk(const char *path, const char *token)
{
	char next[512];
	long long n = 0, last = 0;

	snprintf(next, sizeof(next), "%s%climit=1", path,
		 strchr(path, '?') ? '&' : '?');
	for (;;) {
		struct resp *r = api_req(&a, "GET", next, token, NULL, NULL);
		const json_t *items = json_object_get(r->json, "items");
		const json_t *nx = json_object_get(r->json, "next");
		long long id;

		ck_assert_msg(r->status == 200, "%s: %ld %s", next, r->status,
			      r->body);
		ck_assert_msg(json_array_size(items) <= 1, "%s: %zu items",
			      next, json_array_size(items));
		if (json_array_size(items) == 1) {
			id = json_integer_value(json_object_get(
				json_array_get(items, 0), "id"));
			ck_assert_msg(id > last, "%s: id %lld after %lld", next,
				      id, last);
			last = id;
			n++;
		}
		ck_assert_msg(n < 100, "%s: no end", path);
		if (json_is_null(nx)) {
			ck_assert_ptr_null(resp_header(r, "Link"));
			resp_free(r);
			return n;
		}
		ck_assert_msg(json_is_string(nx), "%s: next %s", next, r->body);
		ck_assert_msg(strncmp(json_string_value(nx), path,
				      strlen(path)) == 0,
			      "%s: next %s", path, json_string_value(nx));
		ck_assert_ptr_nonnull(resp_header(r, "Link"));
		snprintf(next, sizeof(next), "%s", json_string_value(nx));
		resp_free(r);
	}
}

/* Plans and expenditures show the programme's name and the school's code
 * and name next to their ids, in JSON and CSV; renaming either gives them a
 * new version, so their ETags change with what they show. */
START_TEST(names_stand_next_to_ids_and_follow_a_rename)
{
	struct fx_tree t = fx_tree(&a, 1);
	long long school =
		fx_school(&a, (struct fx_school){ .code = "10HZ00",
						  .name = "OBS De Regenboog" });
	long long plan =
		fx_plan(&a, (struct fx_plan){ .programme = t.programme[0],
					      .school = school,
					      .requested = 5000 });
	long long with, without;
	char path[96], etag[32];
	struct resp *r;

	fx_approve_plan(&a, plan, 5000);
	with = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = t.programme[0],
					     .plan = plan });
	without = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = t.programme[0] });
	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	r = call("GET", path, a.read, NULL);
	ck_assert_str_eq(jstr(r, "programme_name"), "Uitvoeringsprogramma");
	ck_assert_str_eq(jstr(r, "school_code"), "10HZ00");
	ck_assert_str_eq(jstr(r, "school_name"), "OBS De Regenboog");
	snprintf(etag, sizeof(etag), "%s", resp_header(r, "ETag"));
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", without);
	r = call("GET", path, a.read, NULL);
	ck_assert_str_eq(jstr(r, "programme_name"), "Uitvoeringsprogramma");
	ck_assert(json_is_null(json_object_get(r->json, "school_code")));
	ck_assert(json_is_null(json_object_get(r->json, "school_name")));
	resp_free(r);
	/* the names are the server's: a body may not set them */
	r = call("PATCH", path, a.write, "{\"programme_name\":\"x\"}");
	ck_assert_int_eq(r->status, 422);
	resp_free(r);

	/* a rename of the school and the programme shows at once */
	snprintf(path, sizeof(path), "/api/v1/schools/%lld", school);
	resp_free(call("PATCH", path, a.write,
		       "{\"name\":\"IKC De Regenboog\"}"));
	snprintf(path, sizeof(path), "/api/v1/programmes/%lld", t.programme[0]);
	resp_free(call("PATCH", path, a.write, "{\"name\":\"Welbevinden\"}"));
	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	r = call("GET", path, a.read, NULL);
	ck_assert_str_eq(jstr(r, "programme_name"), "Welbevinden");
	ck_assert_str_eq(jstr(r, "school_name"), "IKC De Regenboog");
	ck_assert_str_ne(resp_header(r, "ETag"), etag);
	ck_assert_int_eq(jint(r, "version"), 5); /* 2 moves, 2 renames */
	resp_free(r);

	/* CSV: the names next to the ids */
	snprintf(path, sizeof(path),
		 "/api/v1/expenditures?format=csv&programme_id=%lld",
		 t.programme[0]);
	r = call("GET", path, a.read, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strncmp(r->body,
			      "id,programme_id,programme_name,plan_id,"
			      "school_code,school_name,amount_eur,",
			      58) == 0,
		      "%s", r->body);
	snprintf(
		path, sizeof(path),
		"\r\n%lld,%lld,Welbevinden,%lld,10HZ00,IKC De Regenboog,10.00,",
		with, t.programme[0], plan);
	ck_assert_msg(strstr(r->body, path), "%s", r->body);
	resp_free(r);
}
END_TEST

START_TEST(every_collection_pages_and_chooses_fields)
{
	static const struct {
		const char *path;
		long long n;
	} lists[] = {
		{ "/api/v1/budgets", 2 },      { "/api/v1/goals", 3 },
		{ "/api/v1/programmes", 3 },   { "/api/v1/reallocations", 2 },
		{ "/api/v1/schools", 2 },      { "/api/v1/plans", 3 },
		{ "/api/v1/expenditures", 3 },
	};
	char path[128];

	fx_budget(&a, (struct fx_budget){ .grant = 10000000 });
	fx_budget(&a, (struct fx_budget){ .gm = "GM0406", .grant = 10000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "1", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 2, .code = "1", .allocated = 1000000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 2, .budget = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 3, .budget = 100000 });
	for (int i = 0; i < 2; i++)
		fx_reallocation(&a,
				(struct fx_reallocation){ .budget = 1,
							  .from_goal = 1,
							  .to_goal = 2,
							  .amount = 100 + i });
	fx_school(&a, (struct fx_school){ .code = "25GH00" });
	fx_school(&a, (struct fx_school){ .code = "25GH01", .sector = "vo" });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2024-2025",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 2,
				      .year = "2024-2025",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_plan(&a, (struct fx_plan){ .programme = 2,
				      .school = 1,
				      .year = "2024-2025",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_approve_plan(&a, 1, 3000);
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 1, .plan = 1 });
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 1, .plan = 0 });
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 3, .plan = 0 });

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct resp *r;
		const json_t *items;
		size_t j;
		json_t *e;
		long long n = walk(lists[i].path, a.read);

		ck_assert_msg(n == lists[i].n, "%s: walked %lld, want %lld",
			      lists[i].path, n, lists[i].n);
		snprintf(path, sizeof(path), "%s?fields=id&count=true",
			 lists[i].path);
		r = api_req(&a, "GET", path, a.read, NULL, NULL);
		ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status,
			      r->body);
		ck_assert_int_eq(jint(r, "total"), lists[i].n);
		items = json_object_get(r->json, "items");
		ck_assert_int_eq(json_array_size(items), lists[i].n);
		json_array_foreach(items, j, e)
		{
			ck_assert_msg(json_object_size(e) == 1, "%s: %s", path,
				      r->body);
			ck_assert_int_eq(
				json_integer_value(json_object_get(e, "id")),
				(long long)j + 1);
		}
		resp_free(r);
	}
	/* the filter goes along into next, and count counts what it keeps */
	ck_assert_int_eq(walk("/api/v1/plans?school_year=2024-2025", a.read),
			 3);
	{
		struct resp *r = api_req(
			&a, "GET",
			"/api/v1/plans?programme_id=1&count=true&limit=1",
			a.read, NULL, NULL);

		ck_assert_int_eq(jint(r, "total"), 2);
		ck_assert_str_eq(jstr(r, "next"),
				 "/api/v1/plans?programme_id=1&count=true"
				 "&limit=1&after=1");
		resp_free(r);
	}
	ck_assert_int_eq(walk("/api/v1/goals?budget_id=1", a.read), 2);
	ck_assert_int_eq(walk("/api/v1/programmes?budget_id=2", a.read), 1);
	ck_assert_int_eq(walk("/api/v1/expenditures?programme_id=1", a.read),
			 2);
	ck_assert_int_eq(walk("/api/v1/reallocations?budget_id=1", a.read), 2);
	ck_assert_int_eq(walk("/api/v1/schools?sector=vo", a.read), 1);
	/* and fields does too, with the values */
	ck_assert_int_eq(
		walk("/api/v1/reallocations?fields=id,from,to", a.read), 2);
	{
		struct resp *r = api_req(
			&a, "GET",
			"/api/v1/reallocations?fields=from,amount_cents",
			a.read, NULL, NULL);
		const json_t *first =
			json_array_get(json_object_get(r->json, "items"), 0);

		ck_assert_int_eq(r->status, 200);
		ck_assert_int_eq(json_object_size(first), 2);
		ck_assert_int_eq(
			json_integer_value(json_object_get(
				json_object_get(first, "from"), "goal_id")),
			1);
		ck_assert_int_eq(json_integer_value(json_object_get(
					 first, "amount_cents")),
				 100);
		resp_free(r);
	}
}
END_TEST

/* A filter is checked against its field like a value in a body: a typo in
 * a spreadsheet's URL is an error, not an empty list (store.h: "A filter
 * value that does not fit its field is 400"). */
START_TEST(filter_values_that_do_not_fit_their_field_are_400)
{
	static const char *const bad[] = {
		"/api/v1/plans?school_year=2024%2F2025",
		"/api/v1/plans?school_year=24-25",
		"/api/v1/schools?municipality_code=gm0402",
		"/api/v1/schools?code=25gh00",
		"/api/v1/goals?budget_id=0",
		"/api/v1/expenditures?plan_id=-1",
	};

	char wrong[1024] = "";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp *r = api_req(&a, "GET", bad[i], a.read, NULL, NULL);

		if (r->status != 400 || strcmp(jstr(r, "code"), "bad_query"))
			snprintf(wrong + strlen(wrong),
				 sizeof(wrong) - strlen(wrong), " %s: %ld;",
				 bad[i], r->status);
		resp_free(r);
	}
	ck_assert_msg(wrong[0] == '\0', "not 400:%s", wrong);
}
END_TEST

/* next (and Link) must be a whole URL however long the query was: here a
 * fields list of some 1100 characters (2xx with a next that works, or a
 * 400 that refuses the query; never a cut-off URL or a stack overflow). */
START_TEST(next_stays_whole_for_a_long_query)
{
	char path[2048], next[2048], link[2100];
	struct resp *r;
	const json_t *items;
	size_t n, len;

	fx_tree(&a, 0);
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 1000000 });
	n = (size_t)snprintf(path, sizeof(path),
			     "/api/v1/goals?limit=1&fields=id");
	while (n < 1100)
		n += (size_t)snprintf(path + n, sizeof(path) - n, ",id");
	r = api_req(&a, "GET", path, a.read, NULL, NULL);
	if (r->status == 400) {
		ck_assert_str_eq(jstr(r, "code"), "bad_query");
		resp_free(r);
		return;
	}
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	snprintf(next, sizeof(next), "%s", jstr(r, "next"));
	len = strlen(next);
	ck_assert_msg(len > 16 &&
			      strcmp(next + len - 16, "&limit=1&after=1") == 0,
		      "next is cut off (%zu characters): ...%s", len,
		      next + (len > 40 ? len - 40 : 0));
	snprintf(link, sizeof(link), "<%s>; rel=\"next\"", next);
	ck_assert_ptr_nonnull(resp_header(r, "Link"));
	ck_assert_str_eq(resp_header(r, "Link"), link);
	resp_free(r);
	r = api_req(&a, "GET", next, a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(items, 0), "id")),
			 2);
	ck_assert(json_is_null(json_object_get(r->json, "next")));
	resp_free(r);
}
END_TEST

/* --- audit ---------------------------------------------------------------- */

/* Asserts the audit rows of entity id: their actions in order (e.g.
 * "create,update,delete"), each by actor; returns the parsed answer, to be
 * freed by the caller. */
static struct resp *audit_of(const char *entity, long long id,
			     const char *actions, const char *actor)
{
	char path[128], got[256] = "";
	struct resp *r;
	const json_t *items;
	size_t i;
	json_t *e;

	snprintf(path, sizeof(path), "/api/v1/audit?entity=%s&entity_id=%lld",
		 entity, id);
	r = api_req(&a, "GET", path, a.admin, NULL, NULL);
	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	items = json_object_get(r->json, "items");
	json_array_foreach(items, i, e)
	{
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 i ? "," : "",
			 json_string_value(json_object_get(e, "action")));
		ck_assert_msg(
			strcmp(json_string_value(json_object_get(e, "actor")),
			       actor) == 0,
			"%s: actor %s", path,
			json_string_value(json_object_get(e, "actor")));
		ck_assert_str_eq(
			json_string_value(json_object_get(e, "entity")),
			entity);
		ck_assert_int_eq(
			json_integer_value(json_object_get(e, "entity_id")),
			id);
	}
	ck_assert_msg(strcmp(got, actions) == 0, "%s: actions %s, want %s",
		      path, got, actions);
	return r;
}

/* The member key of the before (or after) of audit row i. */
static const json_t *audit_val(const struct resp *r, size_t i, const char *side,
			       const char *key)
{
	return json_object_get(
		json_object_get(
			json_array_get(json_object_get(r->json, "items"), i),
			side),
		key);
}

/* Creates, updates and deletes one row as the writer and checks its audit
 * trail; field is a text field the update changes to "nieuw". */
static void audit_cycle(const char *entity, const char *path, long long id,
			const char *field)
{
	char item[96], body[96];
	struct resp *r;

	snprintf(item, sizeof(item), "%s/%lld", path, id);
	snprintf(body, sizeof(body), "{\"%s\":\"nieuw\"}", field);
	r = api_req(&a, "PATCH", item, a.write, body, NULL);
	ck_assert_msg(r->status == 200, "%s: %ld %s", item, r->status, r->body);
	resp_free(r);
	r = api_req(&a, "DELETE", item, a.write, NULL, NULL);
	ck_assert_msg(r->status == 204, "%s: %ld %s", item, r->status, r->body);
	resp_free(r);
	r = audit_of(entity, id, "create,update,delete", "writer");
	ck_assert(json_is_null(json_object_get(
		json_array_get(json_object_get(r->json, "items"), 0),
		"before")));
	ck_assert_int_eq(json_integer_value(audit_val(r, 0, "after", "id")),
			 id);
	ck_assert_int_eq(
		json_integer_value(audit_val(r, 0, "after", "version")), 1);
	ck_assert_str_ne(json_string_value(audit_val(r, 1, "before", field)),
			 "nieuw");
	ck_assert_str_eq(json_string_value(audit_val(r, 1, "after", field)),
			 "nieuw");
	ck_assert_int_eq(
		json_integer_value(audit_val(r, 1, "after", "version")), 2);
	ck_assert_str_eq(json_string_value(audit_val(r, 2, "before", field)),
			 "nieuw");
	ck_assert(json_is_null(json_object_get(
		json_array_get(json_object_get(r->json, "items"), 2),
		"after")));
	resp_free(r);
}

START_TEST(audit_rows_for_every_kind_of_change)
{
	long long g, p, s, pl, e;
	struct resp *r;

	fx_tree(&a, 0);
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 1000000 });
	g = fx_goal(&a, (struct fx_goal){ .budget = 1,
					  .code = "3",
					  .allocated = 1000000 });
	p = fx_programme(&a,
			 (struct fx_programme){ .goal = g, .budget = 100000 });
	s = fx_school(&a, (struct fx_school){ .code = "25GH00" });
	pl = fx_plan(&a, (struct fx_plan){ .programme = p,
					   .school = s,
					   .year = "2024-2025",
					   .title = "Leesinterventie",
					   .requested = 5000 });
	e = fx_expenditure(&a, (struct fx_expenditure){ .programme = p,
							.plan = 0 });
	/* dependants first */
	audit_cycle("expenditure", "/api/v1/expenditures", e, "description");
	audit_cycle("plan", "/api/v1/plans", pl, "title");
	audit_cycle("school", "/api/v1/schools", s, "name");
	audit_cycle("programme", "/api/v1/programmes", p, "name");
	audit_cycle("goal", "/api/v1/goals", g, "name");

	/* a reallocation: its creation, and the goals it moves money of */
	r = api_req(
		&a, "POST", "/api/v1/reallocations", a.write,
		"{\"budget_id\":1,\"from\":{\"goal_id\":1},"
		"\"to\":{\"goal_id\":2},\"amount_cents\":2500,"
		"\"reason\":\"herschikking\",\"decision_ref\":\"B&W 2024-01\","
		"\"decided_on\":\"2024-01-15\"}",
		NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_str_eq(resp_header(r, "Location"), "/api/v1/reallocations/1");
	resp_free(r);
	r = audit_of("reallocation", 1, "create", "writer");
	ck_assert_int_eq(
		json_integer_value(audit_val(r, 0, "after", "amount_cents")),
		2500);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 audit_val(r, 0, "after", "from"), "goal_id")),
			 1);
	resp_free(r);
	r = audit_of("goal", 1, "create,update", "writer");
	ck_assert_int_eq(
		json_integer_value(audit_val(r, 1, "after", "allocated_cents")),
		1000000 - 2500);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "items"), 1),
			"note")),
		"reallocation 1");
	resp_free(r);
	r = audit_of("goal", 2, "create,update", "writer");
	ck_assert_int_eq(
		json_integer_value(audit_val(r, 1, "after", "allocated_cents")),
		1000000 + 2500);
	resp_free(r);
	/* reallocations are append-only */
	expect(api_req(&a, "PATCH", "/api/v1/reallocations/1", a.write,
		       "{\"reason\":\"x\"}", NULL),
	       405, NULL, "PATCH a reallocation");
	expect(api_req(&a, "DELETE", "/api/v1/reallocations/1", a.write, NULL,
		       NULL),
	       405, NULL, "DELETE a reallocation");
	/* a status move is audited as such */
	p = fx_programme(&a,
			 (struct fx_programme){ .goal = 1, .budget = 100000 });
	fx_move(&a, "programmes", p,
		"{\"status\":\"active\",\"note\":\"gestart\"}");
	r = audit_of("programme", p, "create,status", "writer");
	ck_assert_str_eq(json_string_value(audit_val(r, 1, "after", "status")),
			 "active");
	resp_free(r);
	/* a refused write leaves no row */
	resp_free(api_req(&a, "POST", "/api/v1/goals", a.write,
			  "{\"budget_id\":1,\"code\":\"1\",\"name\":\"Dubbel\","
			  "\"allocated_cents\":1}",
			  NULL));
	resp_free(
		api_req(&a, "DELETE", "/api/v1/goals/1", a.write, NULL, NULL));
	r = api_req(&a, "GET", "/api/v1/audit?entity=goal&count=true", a.admin,
		    NULL, NULL);
	/* 3 creates + update + delete of goal 3, 2 updates by the move */
	ck_assert_int_eq(jint(r, "total"), 7);
	resp_free(r);
}
END_TEST

/* --- roles ---------------------------------------------------------------- */

static const struct {
	const char *method, *path, *body;
} writes[] = {
	{ "POST", "/api/v1/goals",
	  "{\"budget_id\":1,\"code\":\"9\",\"name\":\"N\",\"allocated_cents\":1}" },
	{ "PATCH", "/api/v1/goals/1", "{\"name\":\"N\"}" },
	{ "DELETE", "/api/v1/goals/3", NULL },
	{ "POST", "/api/v1/programmes",
	  "{\"goal_id\":1,\"name\":\"N\",\"budget_cents\":1}" },
	{ "PATCH", "/api/v1/programmes/1", "{\"name\":\"N\"}" },
	{ "DELETE", "/api/v1/programmes/2", NULL },
	{ "POST", "/api/v1/programmes/3/status", "{\"status\":\"active\"}" },
	{ "POST", "/api/v1/reallocations",
	  "{\"budget_id\":1,\"from\":{\"goal_id\":1},\"to\":{\"goal_id\":2},"
	  "\"amount_cents\":1,\"reason\":\"r\",\"decided_on\":\"2024-01-15\"}" },
	{ "POST", "/api/v1/schools",
	  "{\"code\":\"99ZZ00\",\"name\":\"N\",\"sector\":\"po\","
	  "\"municipality_code\":\"GM0402\"}" },
	{ "PATCH", "/api/v1/schools/1", "{\"name\":\"N\"}" },
	{ "DELETE", "/api/v1/schools/2", NULL },
	{ "POST", "/api/v1/plans",
	  "{\"programme_id\":1,\"school_id\":1,\"school_year\":\"2021-2022\","
	  "\"title\":\"N\",\"requested_cents\":1}" },
	{ "PATCH", "/api/v1/plans/1", "{\"title\":\"N\"}" },
	{ "DELETE", "/api/v1/plans/2", NULL },
	{ "POST", "/api/v1/plans/3/status", "{\"status\":\"submitted\"}" },
	{ "POST", "/api/v1/expenditures",
	  "{\"programme_id\":1,\"amount_cents\":1,\"spent_on\":\"2024-03-01\","
	  "\"description\":\"N\"}" },
	{ "PATCH", "/api/v1/expenditures/1", "{\"description\":\"N\"}" },
	{ "DELETE", "/api/v1/expenditures/2", NULL },
	{ "POST", "/api/v1/expenditures/3/status",
	  "{\"status\":\"approved\"}" },
};

static const char *const reads[] = {
	"/api/v1/goals",	 "/api/v1/goals/1",
	"/api/v1/programmes",	 "/api/v1/programmes/1",
	"/api/v1/reallocations", "/api/v1/reallocations/1",
	"/api/v1/schools",	 "/api/v1/schools/1",
	"/api/v1/plans",	 "/api/v1/plans/1",
	"/api/v1/expenditures",	 "/api/v1/expenditures/1",
};

/* Rows enough that every route above would succeed for a writer. */
static void fill_for_roles(void)
{
	fx_tree(&a, 0);
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "2", .allocated = 1000000 });
	fx_goal(&a, (struct fx_goal){
			    .budget = 1, .code = "3", .allocated = 1000000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	fx_programme(&a, (struct fx_programme){ .goal = 1, .budget = 100000 });
	fx_reallocation(&a, (struct fx_reallocation){ .budget = 1,
						      .from_goal = 1,
						      .to_goal = 2,
						      .amount = 1,
						      .reason = "r" });
	fx_school(&a, (struct fx_school){ .code = "25GH00" });
	fx_school(&a, (struct fx_school){ .code = "25GH01" });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2024-2025",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2023-2024",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_plan(&a, (struct fx_plan){ .programme = 1,
				      .school = 1,
				      .year = "2022-2023",
				      .title = "Leesinterventie",
				      .requested = 5000 });
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 1, .plan = 0 });
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 1, .plan = 0 });
	fx_expenditure(&a,
		       (struct fx_expenditure){ .programme = 1, .plan = 0 });
}

static long long audit_total(void)
{
	struct resp *r = api_req(&a, "GET", "/api/v1/audit?count=true", a.admin,
				 NULL, NULL);
	long long n = jint(r, "total");

	resp_free(r);
	return n;
}

START_TEST(read_token_may_read_but_not_write)
{
	long long before;

	fill_for_roles();
	before = audit_total();
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		struct resp *r = api_req(&a, writes[i].method, writes[i].path,
					 a.read, writes[i].body, NULL);

		ck_assert_msg(r->status == 403, "%s %s: %ld %s",
			      writes[i].method, writes[i].path, r->status,
			      r->body);
		ck_assert_str_eq(jstr(r, "code"), "forbidden");
		resp_free(r);
	}
	ck_assert_int_eq(audit_total(), before);
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		struct resp *r =
			api_req(&a, "GET", reads[i], a.read, NULL, NULL);

		ck_assert_msg(r->status == 200, "GET %s: %ld %s", reads[i],
			      r->status, r->body);
		resp_free(r);
	}
	/* the same writes are fine for a writer (so the 403s were roles) */
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		struct resp *r = api_req(&a, writes[i].method, writes[i].path,
					 a.write, writes[i].body, NULL);

		ck_assert_msg(r->status >= 200 && r->status < 300,
			      "%s %s: %ld %s", writes[i].method, writes[i].path,
			      r->status, r->body);
		resp_free(r);
	}
}
END_TEST

START_TEST(no_token_is_401_on_every_route)
{
	long long before;

	fill_for_roles();
	before = audit_total();
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		struct resp *r = api_req(&a, writes[i].method, writes[i].path,
					 NULL, writes[i].body, NULL);

		ck_assert_msg(r->status == 401, "%s %s: %ld %s",
			      writes[i].method, writes[i].path, r->status,
			      r->body);
		ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate"));
		resp_free(r);
	}
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		struct resp *r = api_req(&a, "GET", reads[i], NULL, NULL, NULL);

		ck_assert_msg(r->status == 401, "GET %s: %ld %s", reads[i],
			      r->status, r->body);
		ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate"));
		resp_free(r);
	}
	ck_assert_int_eq(audit_total(), before);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, goal_create_answers_201_and_checks_its_budget);
	tcase_add_test(tc, goal_budget_id_is_fixed_and_filters);
	tcase_add_test(tc, goal_code_is_unique_within_its_budget);
	tcase_add_test(tc, referenced_budgets_and_goals_cannot_be_deleted);
	tcase_add_test(tc, programme_takes_its_budget_from_its_goal);
	tcase_add_test(
		tc, programme_stays_in_its_budget_and_its_period_runs_forward);
	tcase_add_test(tc, programme_filters_by_budget_goal_and_status);
	tcase_add_test(tc, school_code_sector_and_municipality_are_checked);
	tcase_add_test(tc, school_code_is_unique_and_schools_filter);
	tcase_add_test(tc, school_with_plans_cannot_be_deleted);
	tcase_add_test(tc, plan_school_year_and_references_are_checked);
	tcase_add_test(tc, plan_is_unique_per_programme_school_and_year);
	tcase_add_test(tc, expenditure_amount_and_date_are_checked);
	tcase_add_test(
		tc,
		expenditure_against_a_plan_needs_its_programme_and_approval);
	tcase_add_test(tc, expenditure_filters_and_programmes_with_costs_stay);
	tcase_add_test(tc, names_stand_next_to_ids_and_follow_a_rename);
	tcase_add_test(tc, every_collection_pages_and_chooses_fields);
	tcase_add_test(tc, filter_values_that_do_not_fit_their_field_are_400);
	tcase_add_test(tc, next_stays_whole_for_a_long_query);
	tcase_add_test(tc, audit_rows_for_every_kind_of_change);
	tcase_add_test(tc, read_token_may_read_but_not_write);
	tcase_add_test(tc, no_token_is_401_on_every_route);
}

CHECK_MAIN("resources")
