/*
 * What a policy adviser asks and is told, against the demo: answers to
 * mistakes that say what to do, the warnings a write under warn caused in
 * its own answer, and the everyday questions as one request each (a budget's
 * plans and costs, costs in a period, a text search, the audit of a week,
 * approved plans with nothing spent, what is not yet committed). Expected
 * figures are counted from the rows with plain SQL on the database file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check_main.h"
#include "harness.h"
#include "npo/csv.h"
#include "npo/resource.h"
#include "npo/store.h"

static struct api a;

static void setup(void)
{
	api_init(&a);
	api_start_demo(&a);
}
static void teardown(void)
{
	api_down(&a);
}

static struct resp *call(const char *method, const char *path,
			 const char *token, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static struct resp *call(const char *method, const char *path,
			 const char *token, const char *fmt, ...)
{
	char body[4096];
	va_list ap;

	if (!fmt)
		return api_req(&a, method, path, token, NULL, NULL);
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return api_req(&a, method, path, token, body, NULL);
}

/* The message of the error about field in a 422 (or NULL). */
static const char *message_of(const struct resp *r, const char *field)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(r->json, "errors"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "field")),
			   field) == 0)
			return json_string_value(json_object_get(e, "message"));
	}
	return NULL;
}

static void assert_message(const struct resp *r, const char *field,
			   const char *want)
{
	const char *got = message_of(r, field);

	ck_assert_msg(got && strstr(got, want), "%s: %s, wanted \"%s\" in: %s",
		      field, got ? got : "(none)", want, r->body);
}

/* --- answers that say what to do ------------------------------------------ */

START_TEST(mistakes_are_answered_with_what_to_do)
{
	struct resp *r;

	r = call("POST", "/api/v1/expenditures", a.write,
		 "{\"programme_id\":2,\"amout_cents\":500,"
		 "\"spent_on\":\"2025-02-30\",\"description\":\"x\"}");
	ck_assert_int_eq(r->status, 422);
	assert_message(r, "amout_cents", "did you mean amount_cents?");
	assert_message(r, "spent_on", "February 2025 has days 01 to 28");
	resp_free(r);

	r = call("POST", "/api/v1/plans/1/status", a.write,
		 "{\"status\":\"aproved\"}");
	ck_assert_int_eq(r->status, 422);
	assert_message(r, "status",
		       "must be draft, submitted, approved, rejected, "
		       "withdrawn or settled: did you mean approved?");
	resp_free(r);

	r = call("POST", "/api/v1/budgets", a.write,
		 "{\"grant_cents\":-1,\"overrun_policy\":\"warm\"}");
	ck_assert_int_eq(r->status, 422);
	assert_message(r, "grant_cents", "from 0 to 1000000000000000 cents");
	assert_message(r, "overrun_policy", "warn or stop: did you mean warn?");
	resp_free(r);

	r = call("PATCH", "/api/v1/plans/1", a.write,
		 "{\"status\":\"approved\"}");
	ck_assert_int_eq(r->status, 422);
	assert_message(r, "status", "POST /api/v1/plans/{id}/status");
	resp_free(r);

	r = call("POST", "/api/v1/expenditures/1/status", a.write,
		 "{\"status\":\"submitted\"}");
	ck_assert_int_eq(r->status, 409);
	ck_assert_msg(strstr(jstr(r, "detail"), "an expenditure cannot move"),
		      "%s", r->body);
	resp_free(r);

	/* valid JSON with a number no field holds: a value out of range */
	r = call("POST", "/api/v1/expenditures", a.write,
		 "{\"programme_id\":2,\"amount_cents\":12345678901234567890,"
		 "\"spent_on\":\"2025-02-28\",\"description\":\"x\"}");
	ck_assert_int_eq(r->status, 422);
	ck_assert_str_eq(jstr(r, "code"), "validation_failed");
	assert_message(r, "amount_cents", "too large");
	ck_assert_ptr_null(message_of(r, "programme_id"));
	resp_free(r);

	r = call("GET", "/api/v1/expenditures?spent_form=2024-01-01", a.read,
		 NULL);
	ck_assert_int_eq(r->status, 400);
	ck_assert_msg(strstr(jstr(r, "detail"), "did you mean spent_from?"),
		      "%s", r->body);
	resp_free(r);
}
END_TEST

/* --- warnings in the answer to a write ------------------------------------ */

/* The warning of code about id in array warnings, or NULL. */
static const json_t *warning_in(const json_t *warnings, const char *code,
				long long id)
{
	size_t i;
	json_t *w;

	json_array_foreach(warnings, i, w)
	{
		if (strcmp(json_string_value(json_object_get(w, "code")),
			   code) == 0 &&
		    json_integer_value(json_object_get(w, "id")) == id)
			return w;
	}
	return NULL;
}

START_TEST(a_write_under_warn_names_the_warnings_it_caused)
{
	struct resp *r, *st;
	const json_t *w, *sw;
	long long plan;

	/* programme 5 (primary wellbeing) is committed to the cent: a new
	 * approved plan takes it over by what it approves */
	r = call("POST", "/api/v1/plans", a.write,
		 "{\"programme_id\":5,\"school_id\":1,\"school_year\":"
		 "\"2025-2026\",\"title\":\"Leesplezier\","
		 "\"requested_cents\":250000}");
	ck_assert_int_eq(r->status, 201);
	ck_assert_ptr_null(json_object_get(r->json, "warnings"));
	plan = jint(r, "id");
	resp_free(r);
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/v1/plans/%lld/status", plan);
		resp_free(call("POST", path, a.write,
			       "{\"status\":\"submitted\"}"));
		r = call("POST", path, a.write,
			 "{\"status\":\"approved\",\"approved_cents\":200000}");
	}
	ck_assert_int_eq(r->status, 200);
	/* the row keeps its shape; the warning sits beside it */
	ck_assert_str_eq(jstr(r, "status"), "approved");
	ck_assert_int_eq(jint(r, "approved_cents"), 200000);
	w = warning_in(json_object_get(r->json, "warnings"),
		       "programme_over_committed", 5);
	ck_assert_msg(w != NULL, "%s", r->body);
	ck_assert_int_eq(json_integer_value(json_object_get(w, "amount_cents")),
			 200000);
	/* worded as the status words it */
	st = call("GET", "/api/v1/budgets/2/status", a.read, NULL);
	sw = warning_in(json_object_get(st->json, "warnings"),
			"programme_over_committed", 5);
	ck_assert_ptr_nonnull(sw);
	ck_assert_str_eq(json_string_value(json_object_get(w, "message")),
			 json_string_value(json_object_get(sw, "message")));
	resp_free(st);
	resp_free(r);

	/* a GET never has it; a write that adds no overrun has none */
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
		r = call("GET", path, a.read, NULL);
		ck_assert_ptr_null(json_object_get(r->json, "warnings"));
		resp_free(r);
		r = call("PATCH", path, a.write, "{\"note\":\"besluit\"}");
		ck_assert_int_eq(r->status, 200);
		ck_assert_ptr_null(json_object_get(r->json, "warnings"));
		resp_free(r);
	}

	/* a cost dated after the spending period */
	r = call("POST", "/api/v1/expenditures", a.write,
		 "{\"programme_id\":2,\"amount_cents\":125000,"
		 "\"spent_on\":\"2026-03-14\",\"description\":\"Training\"}");
	ck_assert_int_eq(r->status, 201);
	w = warning_in(json_object_get(r->json, "warnings"), "outside_period",
		       jint(r, "id"));
	ck_assert_msg(w != NULL, "%s", r->body);
	ck_assert_msg(strstr(json_string_value(json_object_get(w, "message")),
			     "14 maart 2026"),
		      "%s", r->body);
	resp_free(r);
}
END_TEST

START_TEST(an_import_names_each_level_it_took_over_once)
{
	static const char *const ct[] = { "Content-Type: text/csv", NULL };
	struct resp *r = api_req(
		&a, "POST", "/api/v1/imports/expenditures", a.write,
		"programme_id;amount_eur;spent_on;description;status\r\n"
		"2;10,00;14-03-2025;Boeken;submitted\r\n"
		"5;100,00;14-03-2025;Training;approved\r\n"
		"5;50,00;15-03-2025;Training 2;approved\r\n",
		ct);
	const json_t *w;

	ck_assert_msg(r->status == 201, "%s", r->body);
	ck_assert_int_eq(jint(r, "created"), 3);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "warnings")),
			 1);
	w = warning_in(json_object_get(r->json, "warnings"),
		       "programme_over_committed", 5);
	ck_assert_msg(w != NULL, "%s", r->body);
	/* the row that first took it over, and the excess the import left */
	ck_assert_int_eq(json_integer_value(json_object_get(w, "row")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(w, "amount_cents")),
			 15000);
	resp_free(r);
}
END_TEST

/* --- the everyday questions ------------------------------------------------ */

/* The ids of the items of a list, as "1,2,3". */
static const char *ids_of(const struct resp *r)
{
	static char out[1024];
	size_t i, len = 0;
	json_t *item;

	out[0] = '\0';
	json_array_foreach(json_object_get(r->json, "items"), i, item)
	{
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%lld",
					i ? "," : "",
					(long long)json_integer_value(
						json_object_get(item, "id")));
	}
	return out;
}

static long long total_of(const char *path)
{
	struct resp *r = call("GET", path, a.admin, NULL);
	long long n;

	ck_assert_msg(r->status == 200, "%s: %s", path, r->body);
	n = json_integer_value(json_object_get(r->json, "total"));
	resp_free(r);
	return n;
}

START_TEST(a_budgets_plans_and_costs_and_a_period)
{
	ck_assert_int_eq(
		total_of("/api/v1/plans?budget_id=2&count=true"),
		api_sql_int(&a,
			    "SELECT count(*) FROM plans p JOIN programmes"
			    " pr ON pr.id = p.programme_id"
			    " WHERE pr.budget_id = ?1",
			    2));
	ck_assert_int_eq(
		total_of("/api/v1/expenditures?budget_id=2&count=true"),
		api_sql_int(&a,
			    "SELECT count(*) FROM expenditures e JOIN"
			    " programmes pr ON pr.id = e.programme_id"
			    " WHERE pr.budget_id = ?1",
			    2));
	ck_assert_int_eq(
		total_of("/api/v1/expenditures?budget_id=1&count=true"), 0);
	/* both ends count */
	ck_assert_int_eq(
		total_of(
			"/api/v1/expenditures?budget_id=2&spent_from=2024-01-01"
			"&spent_until=2024-12-31&count=true"),
		api_sql_int(&a,
			    "SELECT count(*) FROM expenditures WHERE spent_on"
			    " BETWEEN '2024-01-01' AND '2024-12-31' AND ?1",
			    1));
	ck_assert_int_gt(total_of("/api/v1/expenditures?spent_from=2024-01-01"
				  "&count=true"),
			 0);
	{
		struct resp *r = call(
			"GET", "/api/v1/expenditures?spent_from=2024-13-01",
			a.read, NULL);

		ck_assert_int_eq(r->status, 400);
		ck_assert_str_eq(jstr(r, "code"), "bad_query");
		resp_free(r);
	}
	/* the next page keeps the range */
	{
		struct resp *r =
			call("GET",
			     "/api/v1/expenditures?spent_from=2024-01-01"
			     "&spent_until=2024-12-31&limit=1",
			     a.read, NULL);

		ck_assert_msg(
			strstr(jstr(r, "next"),
			       "spent_from=2024-01-01&spent_until=2024-12-31"),
			"%s", r->body);
		resp_free(r);
	}
}
END_TEST

START_TEST(a_text_search_finds_names_titles_and_descriptions)
{
	struct resp *r;

	/* any case, in the school's name next to the plan */
	r = call("GET", "/api/v1/plans?q=REGENBOOG", a.read, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(ids_of(r), "1");
	resp_free(r);
	r = call("GET", "/api/v1/schools?q=regenboog", a.read, NULL);
	ck_assert_str_eq(ids_of(r), "1");
	resp_free(r);
	ck_assert_int_eq(
		total_of("/api/v1/programmes?q=sardes&count=true"),
		api_sql_int(&a,
			    "SELECT count(*) FROM programmes WHERE"
			    " lower(name || coalesce(partner, '') ||"
			    " coalesce(owner, '')) LIKE '%sardes%' AND ?1",
			    1));
	ck_assert_int_gt(total_of("/api/v1/programmes?q=sardes&count=true"), 0);
	/* % and _ are text, not patterns */
	ck_assert_int_eq(total_of("/api/v1/expenditures?q=%25&count=true"), 0);
	r = call("GET", "/api/v1/expenditures?q=", a.read, NULL);
	ck_assert_int_eq(r->status, 400);
	resp_free(r);
}
END_TEST

START_TEST(the_audit_of_a_week_of_one_budget)
{
	long long all = total_of("/api/v1/audit?count=true");
	long long of2 = total_of("/api/v1/audit?budget_id=2&count=true");
	long long of1 = total_of("/api/v1/audit?budget_id=1&count=true");
	struct resp *r;

	ck_assert_int_gt(of2, 0);
	ck_assert_int_gt(of1, 0);
	ck_assert_int_le(of1 + of2, all);
	/* the demo wrote its history on past dates: 2024 holds a part */
	ck_assert_int_eq(
		total_of("/api/v1/audit?since=2024-01-01&until=2024-12-31"
			 "&count=true"),
		api_sql_int(&a,
			    "SELECT count(*) FROM audit WHERE at >= '2024-01-01'"
			    " AND at < '2025-01-01' AND ?1",
			    1));
	ck_assert_int_eq(total_of("/api/v1/audit?since=2024-10-15T14:00:00Z"
				  "&until=2024-10-15T14:00:00Z&count=true"),
			 api_sql_int(&a,
				     "SELECT count(*) FROM audit WHERE"
				     " at = '2024-10-15T14:00:00Z' AND ?1",
				     1));
	r = call("GET", "/api/v1/audit?since=last-week", a.admin, NULL);
	ck_assert_int_eq(r->status, 400);
	resp_free(r);
}
END_TEST

START_TEST(plans_show_what_is_spent_and_open)
{
	struct resp *r;
	size_t i;
	json_t *p;
	long long version, plan;
	char path[80];

	r = call("GET", "/api/v1/plans?budget_id=2", a.read, NULL);
	ck_assert_int_gt(json_array_size(json_object_get(r->json, "items")), 0);
	json_array_foreach(json_object_get(r->json, "items"), i, p)
	{
		long long id = json_integer_value(json_object_get(p, "id"));
		long long spent = api_sql_int(
			&a,
			"SELECT coalesce(sum(amount_cents), 0) FROM"
			" expenditures WHERE plan_id = ?1 AND status IN"
			" ('approved', 'paid')",
			id);
		long long holds = api_sql_int(
			&a,
			"SELECT CASE WHEN status IN ('approved', 'settled')"
			" THEN coalesce(settled_cents, approved_cents)"
			" ELSE 0 END FROM plans WHERE id = ?1",
			id);

		ck_assert_int_eq(
			json_integer_value(json_object_get(p, "spent_cents")),
			spent);
		ck_assert_int_eq(
			json_integer_value(json_object_get(p, "open_cents")),
			holds > spent ? holds - spent : 0);
		ck_assert_int_eq(
			json_integer_value(json_object_get(p, "budget_id")), 2);
	}
	resp_free(r);

	/* a new approved plan with nothing spent is found so; a cost on it
	 * approved gives it a new version and leaves the list */
	r = call("POST", "/api/v1/plans", a.write,
		 "{\"programme_id\":5,\"school_id\":2,\"school_year\":"
		 "\"2025-2026\",\"title\":\"Rekenen\",\"requested_cents\":"
		 "100000}");
	plan = jint(r, "id");
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/plans/%lld/status", plan);
	resp_free(call("POST", path, a.write, "{\"status\":\"submitted\"}"));
	resp_free(call("POST", path, a.write,
		       "{\"status\":\"approved\",\"approved_cents\":100000}"));
	r = call("GET",
		 "/api/v1/plans?budget_id=2&status=approved&spent_cents=0",
		 a.read, NULL);
	snprintf(path, sizeof(path), "%lld", plan);
	ck_assert_str_eq(ids_of(r), path);
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	r = call("GET", path, a.read, NULL);
	version = jint(r, "version");
	ck_assert_int_eq(jint(r, "open_cents"), 100000);
	resp_free(r);
	r = call("POST", "/api/v1/expenditures", a.write,
		 "{\"programme_id\":5,\"plan_id\":%lld,\"amount_cents\":40000,"
		 "\"spent_on\":\"2025-06-02\",\"description\":\"Rekenboeken\"}",
		 plan);
	{
		char move[80];

		snprintf(move, sizeof(move), "/api/v1/expenditures/%lld/status",
			 jint(r, "id"));
		resp_free(r);
		resp_free(call("POST", move, a.write,
			       "{\"status\":\"approved\"}"));
	}
	r = call("GET", path, a.read, NULL);
	ck_assert_int_eq(jint(r, "spent_cents"), 40000);
	ck_assert_int_eq(jint(r, "open_cents"), 60000);
	ck_assert_int_gt(jint(r, "version"), version);
	resp_free(r);
	r = call("GET",
		 "/api/v1/plans?budget_id=2&status=approved&spent_cents=0",
		 a.read, NULL);
	ck_assert_str_eq(ids_of(r), "");
	resp_free(r);
}
END_TEST

START_TEST(uncommitted_stands_beside_remaining_at_every_level)
{
	struct resp *r = call("GET", "/api/v1/budgets/2/status", a.read, NULL);
	const char *const levels[] = { "goals", "programmes" };
	const json_t *t = json_object_get(r->json, "totals");
	size_t i;
	json_t *row;

	ck_assert_int_eq(
		json_integer_value(json_object_get(t, "uncommitted_cents")),
		json_integer_value(json_object_get(t, "grant_cents")) -
			json_integer_value(
				json_object_get(t, "committed_cents")));
	for (int k = 0; k < 2; k++) {
		ck_assert_int_gt(
			json_array_size(json_object_get(r->json, levels[k])),
			0);
		json_array_foreach(json_object_get(r->json, levels[k]), i, row)
		{
			long long amount = json_integer_value(json_object_get(
				row, k ? "budget_cents" : "allocated_cents"));

			ck_assert_int_eq(
				json_integer_value(json_object_get(
					row, "uncommitted_cents")),
				amount - json_integer_value(json_object_get(
						 row, "committed_cents")));
		}
	}
	resp_free(r);
	r = call("GET", "/api/v1/status", a.read, NULL);
	ck_assert_ptr_nonnull(json_object_get(
		json_array_get(json_object_get(r->json, "items"), 0),
		"uncommitted_cents"));
	resp_free(r);
}
END_TEST

/* --- CSV straight from the columns ------------------------------------------ */

START_TEST(every_list_as_csv_is_its_json_list_written_as_csv)
{
	static const enum csv_dialect dialects[] = { CSV_RFC4180,
						     CSV_EXCEL_NL };
	struct store_col cols[64];
	size_t n;
	json_t *ledger = store_template(&expenditure_resource);

	/* the ledger's CSV is written from its columns */
	ck_assert(
		store_csv_columns(&expenditure_resource, ledger, cols, 64, &n));
	ck_assert_uint_eq(n, json_object_size(ledger));
	json_decref(ledger);

	for (size_t r = 0; r < nresources; r++) {
		const struct resource *res = resources[r];
		char path[160];
		struct resp *json;

		if (!(res->ops & OP_LIST))
			continue;
		snprintf(path, sizeof(path), "%s?limit=1000", res->path);
		json = api_req(&a, "GET", path, a.admin, NULL, NULL);
		ck_assert_msg(json->status == 200, "%s: %s", path, json->body);
		for (int d = 0; d < 2; d++) {
			json_t *t = store_template(res);
			struct csv_buf want = { 0 };
			struct resp *csv;
			size_t i;
			json_t *row;

			csv_header(dialects[d], &want, t);
			json_array_foreach(json_object_get(json->json, "items"),
					   i, row)
			{
				csv_row(dialects[d], &want, t, row);
			}
			snprintf(path, sizeof(path),
				 "%s?limit=1000&format=csv%s", res->path,
				 d ? "&dialect=excel-nl" : "");
			csv = api_req(&a, "GET", path, a.admin, NULL, NULL);
			ck_assert_int_eq(csv->status, 200);
			ck_assert_msg(
				csv->len == want.len &&
					memcmp(csv->body, want.p, want.len) ==
						0,
				"%s: the CSV is not the JSON list's:\n%s\n"
				"wanted:\n%s",
				path, csv->body, want.p);
			resp_free(csv);
			csv_buf_free(&want);
			json_decref(t);
		}
		resp_free(json);
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mistakes_are_answered_with_what_to_do);
	tcase_add_test(tc, a_write_under_warn_names_the_warnings_it_caused);
	tcase_add_test(tc, an_import_names_each_level_it_took_over_once);
	tcase_add_test(tc, a_budgets_plans_and_costs_and_a_period);
	tcase_add_test(tc, a_text_search_finds_names_titles_and_descriptions);
	tcase_add_test(tc, the_audit_of_a_week_of_one_budget);
	tcase_add_test(tc, plans_show_what_is_spent_and_open);
	tcase_add_test(tc, uncommitted_stands_beside_remaining_at_every_level);
	tcase_add_test(tc, every_list_as_csv_is_its_json_list_written_as_csv);
}

CHECK_MAIN("adviser")
