/*
 * Scenarios: the figures and warnings of GET /api/v1/budgets/{id}/status
 * and GET /api/v1/status, to the cent, for the two seed documents (built
 * through the API and loaded as demo data) and for fresh budgets that
 * provoke every warning. Every expected amount is worked out by hand from
 * the records and the definitions of docs/domain.md; the sums are
 * written out next to the assertions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check_main.h"
#include "fixture.h"
#include "harness.h"

static struct api a;

/*
 * Each test starts the daemon itself: on an empty database (start) or with
 * the demo data of both seed documents (demo). Starting with demo set,
 * rather than stopping a freshly started daemon to restart it, also keeps
 * clear of the libmicrohttpd abort in a stop right after a start (see the
 * report: MHD_quiesce_daemon with a thread pool on epoll).
 */
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

/* --- helpers ------------------------------------------------------------- */

/* The id of what r created (201); frees r. */
static long long created(struct resp *r)
{
	long long id;

	ck_assert_msg(r->status == 201, "create: %ld %s", r->status, r->body);
	id = jint(r, "id");
	ck_assert_int_gt(id, 0);
	resp_free(r);
	return id;
}

/* Moves kind/id to status through the status endpoint (approved_cents
 * given when >= 0). */
static void move(const char *kind, long long id, const char *status,
		 long long approved)
{
	char path[96];
	struct resp *r;

	snprintf(path, sizeof(path), "/api/v1/%s/%lld/status", kind, id);
	if (approved >= 0)
		r = api_json(&a, "POST", path, a.write, "{s:s, s:I}", "status",
			     status, "approved_cents", (json_int_t)approved);
	else
		r = api_json(&a, "POST", path, a.write, "{s:s}", "status",
			     status);
	ck_assert_msg(r->status == 200, "%s -> %s: %ld %s", path, status,
		      r->status, r->body);
	ck_assert_str_eq(jstr(r, "status"), status);
	if (approved >= 0)
		ck_assert_int_eq(jint(r, "approved_cents"), approved);
	resp_free(r);
}

/* GET the status of budget id with query (may be NULL); asserts 200. */
static struct resp *status_of(long long id, const char *query)
{
	char path[192];
	struct resp *r;

	snprintf(path, sizeof(path), "/api/v1/budgets/%lld/status%s%s", id,
		 query ? "?" : "", query ? query : "");
	r = api_req(&a, "GET", path, a.read, NULL, NULL);
	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	ck_assert_ptr_nonnull(r->json);
	return r;
}

static long long num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
	return json_integer_value(v);
}

static const char *text(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "%s is not a string", key);
	return s;
}

static long long tot(const struct resp *r, const char *key)
{
	return num(json_object_get(r->json, "totals"), key);
}

struct totals {
	long long grant, allocated, unallocated, programmed, committed, spent,
		paid, remaining, open, ret;
};

static void assert_totals(const struct resp *r, struct totals t)
{
	const json_t *o = json_object_get(r->json, "totals");

	ck_assert_int_eq(json_object_size(o), 11);
	ck_assert_int_eq(num(o, "grant_cents"), t.grant);
	ck_assert_int_eq(num(o, "allocated_cents"), t.allocated);
	ck_assert_int_eq(num(o, "unallocated_cents"), t.unallocated);
	ck_assert_int_eq(num(o, "programmed_cents"), t.programmed);
	ck_assert_int_eq(num(o, "committed_cents"), t.committed);
	ck_assert_int_eq(num(o, "spent_cents"), t.spent);
	ck_assert_int_eq(num(o, "paid_cents"), t.paid);
	ck_assert_int_eq(num(o, "remaining_cents"), t.remaining);
	ck_assert_int_eq(num(o, "open_commitments_cents"), t.open);
	ck_assert_int_eq(num(o, "expected_return_cents"), t.ret);
	/* what is not yet committed, over-committed money negative */
	ck_assert_int_eq(num(o, "uncommitted_cents"), t.grant - t.committed);
}

/* The row of list ("goals", "programmes", "items") whose key is value. */
static const json_t *row_by(const struct resp *r, const char *list,
			    const char *key, const char *value)
{
	const json_t *rows = json_object_get(r->json, list), *row;
	size_t i;

	json_array_foreach(rows, i,
			   row) if (json_is_string(json_object_get(row, key)) &&
				    strcmp(text(row, key), value) ==
					    0) return row;
	ck_abort_msg("no %s with %s %s", list, key, value);
	return NULL;
}

static const json_t *row_by_id(const struct resp *r, const char *list,
			       const char *key, long long id)
{
	const json_t *rows = json_object_get(r->json, list), *row;
	size_t i;

	json_array_foreach(rows, i, row) if (num(row, key) == id) return row;
	ck_abort_msg("no %s with %s %lld", list, key, id);
	return NULL;
}

struct line {
	long long allocated, programmed, committed, spent, paid, remaining,
		open;
};

/* A goal row of a status answer; allocated is also the goal's amount. */
static void assert_goal(const json_t *g, struct line l)
{
	ck_assert_int_eq(num(g, "allocated_cents"), l.allocated);
	ck_assert_int_eq(num(g, "programmed_cents"), l.programmed);
	ck_assert_int_eq(num(g, "committed_cents"), l.committed);
	ck_assert_int_eq(num(g, "spent_cents"), l.spent);
	ck_assert_int_eq(num(g, "paid_cents"), l.paid);
	ck_assert_int_eq(num(g, "remaining_cents"), l.remaining);
	ck_assert_int_eq(num(g, "open_commitments_cents"), l.open);
}

/* A programme row; allocated stands for budget_cents. */
static void assert_programme(const json_t *p, struct line l)
{
	ck_assert_int_eq(num(p, "budget_cents"), l.allocated);
	ck_assert_int_eq(num(p, "committed_cents"), l.committed);
	ck_assert_int_eq(num(p, "spent_cents"), l.spent);
	ck_assert_int_eq(num(p, "paid_cents"), l.paid);
	ck_assert_int_eq(num(p, "remaining_cents"), l.remaining);
	ck_assert_int_eq(num(p, "open_commitments_cents"), l.open);
}

static size_t nwarnings(const struct resp *r)
{
	const json_t *w = json_object_get(r->json, "warnings");

	ck_assert_msg(json_is_array(w), "warnings is not an array");
	return json_array_size(w);
}

/* How many warnings have code. */
static int count_code(const struct resp *r, const char *code)
{
	const json_t *w;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(r->json, "warnings"), i, w)
		n += strcmp(text(w, "code"), code) == 0;
	return n;
}

/* Exactly one warning code about entity id, for amount cents. */
static void assert_warning(const struct resp *r, const char *code,
			   const char *entity, long long id, long long amount)
{
	const json_t *w, *found = NULL;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(r->json, "warnings"), i,
			   w) if (strcmp(text(w, "code"), code) == 0 &&
				  num(w, "id") == id)
	{
		found = w;
		n++;
	}
	ck_assert_msg(n == 1, "%d warnings %s for id %lld in %s", n, code, id,
		      r->body);
	ck_assert_str_eq(text(found, "entity"), entity);
	ck_assert_int_eq(num(found, "amount_cents"), amount);
	ck_assert_int_gt(strlen(text(found, "message")), 0);
}

/* The message of the one warning code about id holds part (in Dutch, with
 * euros as € 1.234,56). */
static void assert_message(const struct resp *r, const char *code, long long id,
			   const char *part)
{
	const json_t *w;
	size_t i;

	json_array_foreach(json_object_get(r->json, "warnings"), i, w)
	{
		if (strcmp(text(w, "code"), code) != 0 || num(w, "id") != id)
			continue;
		ck_assert_msg(strstr(text(w, "message"), part), "%s: %s", code,
			      text(w, "message"));
		return;
	}
	ck_abort_msg("no warning %s for %lld in %s", code, id, r->body);
}

/* --- 1, 2: Hilversum ------------------------------------------------------ */

/* The raadsinformatiebrief of December 2021: EUR 2,138,509.64 received,
 * 995,000 + 500,000 + 525,000 + 80,000 + 50,000 = 2,150,000 allocated. */
START_TEST(hilversum_built_through_the_api_is_over_allocated)
{
	static const long long euros[5] = { 995000, 500000, 525000, 80000,
					    50000 };
	long long budget, goals[5];
	char code[2] = "1", path[64];
	struct resp *r;

	start();
	r = api_req(&a, "POST", "/api/v1/budgets", a.write, HILVERSUM_BUDGET,
		    NULL);
	budget = created(r);
	for (int i = 0; i < 5; i++, code[0]++)
		goals[i] = fx_goal(
			&a, (struct fx_goal){ .budget = budget,
					      .code = code,
					      .allocated = euros[i] * 100 });

	r = status_of(budget, "as_of=2022-01-01");
	ck_assert_int_eq(num(json_object_get(r->json, "budget"), "id"), budget);
	ck_assert_str_eq(jstr(r, "as_of"), "2022-01-01");
	ck_assert(json_is_null(json_object_get(r->json, "period")));
	/* 213850964 - 215000000 = -1149036; nothing committed or spent */
	assert_totals(r, (struct totals){ .grant = 213850964,
					  .allocated = 215000000,
					  .unallocated = -1149036,
					  .programmed = 0,
					  .committed = 0,
					  .spent = 0,
					  .paid = 0,
					  .remaining = 213850964,
					  .open = 0,
					  .ret = 213850964 });
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "goals")), 5);
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "programmes")), 0);
	for (int i = 0; i < 5; i++) {
		const json_t *g = row_by_id(r, "goals", "id", goals[i]);
		char want[2] = { (char)('1' + i), '\0' };

		ck_assert_str_eq(text(g, "code"), want);
		assert_goal(g, (struct line){ .allocated = euros[i] * 100,
					      .remaining = euros[i] * 100 });
	}
	/* in 2022 the only warning is the over-allocation */
	ck_assert_int_eq(nwarnings(r), 1);
	assert_warning(r, "over_allocated", "budget", budget, 1149036);
	resp_free(r);

	/* without as_of the deadline has passed too; over_allocated stays */
	r = status_of(budget, NULL);
	assert_warning(r, "over_allocated", "budget", budget, 1149036);
	assert_warning(r, "deadline_passed", "budget", budget, 213850964);
	ck_assert_int_eq(nwarnings(r), 2);
	resp_free(r);

	/* taking the 11,490.36 off goal 1 fits the goals into the grant */
	snprintf(path, sizeof(path), "/api/v1/goals/%lld", goals[0]);
	r = api_json(&a, "PATCH", path, a.write, "{s:I}", "allocated_cents",
		     (json_int_t)(99500000 - 1149036));
	ck_assert_msg(r->status == 200, "%s", r->body);
	resp_free(r);
	r = status_of(budget, "as_of=2022-01-01");
	ck_assert_int_eq(tot(r, "allocated_cents"), 213850964);
	ck_assert_int_eq(tot(r, "unallocated_cents"), 0);
	ck_assert_int_eq(nwarnings(r), 0);
	resp_free(r);
}
END_TEST

START_TEST(hilversum_in_the_demo_is_over_allocated)
{
	struct resp *r;

	api_start_demo(&a);
	r = status_of(1, NULL);
	ck_assert_str_eq(text(json_object_get(r->json, "budget"),
			      "municipality_code"),
			 "GM0402");
	ck_assert_int_eq(tot(r, "grant_cents"), 213850964);
	ck_assert_int_eq(tot(r, "allocated_cents"), 215000000);
	ck_assert_int_eq(tot(r, "unallocated_cents"), -1149036);
	ck_assert_int_eq(tot(r, "remaining_cents"), 213850964);
	assert_warning(r, "over_allocated", "budget", 1, 1149036);
	assert_message(r, "over_allocated", 1,
		       "de bestedingsdoelen verdelen € 11.490,36 meer dan de "
		       "toekenning (€ 2.138.509,64)");
	resp_free(r);
	r = status_of(1, "as_of=2021-12-21");
	ck_assert_int_eq(nwarnings(r), 1);
	assert_warning(r, "over_allocated", "budget", 1, 1149036);
	resp_free(r);
}
END_TEST

/* --- 3, 4: Huizen --------------------------------------------------------- */

/*
 * By hand from demo.c (euros):
 * goals 250,000 + 120,000 + 230,901 + 43,000 + 40,000 = 683,901 = grant.
 * programmes not stopped: 180,000 + 60,000 | 100,000 | 47,294 (17,294 +
 * 20,000 + 10,000) + 30,000 + 150,000 | 8,000 + 30,000 | 40,000 = 645,294.
 * committed: plans 12,000 + 11,500 + 12,294 + 11,500 = 47,294 plus costs
 * without a plan 553,500 = 600,794. spent: 553,500 + declarations 9,000 +
 * 8,500 + 10,000 + 7,380 = 588,380; paid: all but 12,000 + 10,000 + 7,380
 * = 559,000. remaining 683,901 - 588,380 = 95,521 (the letter says
 * 125,521). open: 3,000 + 3,000 + 2,294 + 4,120 = 12,414. expected return
 * 683,901 - 600,794 = 83,107.
 */
static const struct totals huizen = { .grant = 68390100,
				      .allocated = 68390100,
				      .unallocated = 0,
				      .programmed = 64529400,
				      .committed = 60079400,
				      .spent = 58838000,
				      .paid = 55900000,
				      .remaining = 9552100,
				      .open = 1241400,
				      .ret = 8310700 };

static const struct {
	const char *code;
	struct line l;
} huizen_goals[] = {
	/* 180,000 + 45,000 spent on 240,000 programmed */
	{ "1",
	  { 25000000, 24000000, 22500000, 22500000, 22500000, 2500000, 0 } },
	/* speech therapy stopped at 0: only the 100,000 of VE hours */
	{ "2",
	  { 12000000, 10000000, 10000000, 10000000, 10000000, 2000000, 0 } },
	/* 47,294 + 20,000 + 150,000 committed; 34,880 + 20,000 + 150,000
	 * spent; 17,500 + 20,000 + 150,000 paid */
	{ "3",
	  { 23090100, 22729400, 21729400, 20488000, 18750000, 2602100,
	    1241400 } },
	/* 6,500 paid + 12,000 approved */
	{ "4", { 4300000, 3800000, 1850000, 1850000, 650000, 2450000, 0 } },
	{ "5", { 4000000, 4000000, 4000000, 4000000, 4000000, 0, 0 } },
};

#define PRIMARY "Welbevinden en sociaal-emotionele ontwikkeling basisonderwijs"

START_TEST(huizen_in_the_demo_adds_up_from_the_records)
{
	const json_t *p, *items, *re;
	long long primary, speech, trainings;
	struct resp *r;

	api_start_demo(&a);
	r = status_of(2, NULL);
	ck_assert_str_eq(text(json_object_get(r->json, "budget"),
			      "municipality_code"),
			 "GM0406");
	assert_totals(r, huizen);
	/* EUR 588,380 spent, and not the EUR 125,521 the letter leaves */
	ck_assert_int_eq(tot(r, "spent_cents"), 58838000);
	ck_assert_int_ne(tot(r, "remaining_cents"), 12552100);
	ck_assert_int_eq(tot(r, "remaining_cents"),
			 tot(r, "grant_cents") - tot(r, "spent_cents"));

	ck_assert_int_eq(json_array_size(json_object_get(r->json, "goals")), 5);
	for (size_t i = 0; i < 5; i++)
		assert_goal(row_by(r, "goals", "code", huizen_goals[i].code),
			    huizen_goals[i].l);

	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "programmes")), 11);
	/* primary-school wellbeing: 17,294 + 20,000 + 10,000 = 47,294, all
	 * of it in four approved plans, 34,880 declared, 17,500 paid */
	p = row_by(r, "programmes", "name", PRIMARY);
	primary = num(p, "id");
	ck_assert_str_eq(text(p, "status"), "active");
	assert_programme(p, (struct line){ .allocated = 4729400,
					   .committed = 4729400,
					   .spent = 3488000,
					   .paid = 1750000,
					   .remaining = 1241400,
					   .open = 1241400 });
	ck_assert_int_eq(num(p, "goal_id"),
			 num(row_by(r, "goals", "code", "3"), "id"));
	/* the two lines the money came from are stopped at 0 */
	p = row_by(r, "programmes", "name", "Preventieve logopedie");
	speech = num(p, "id");
	ck_assert_str_eq(text(p, "status"), "stopped");
	assert_programme(p, (struct line){ 0 });
	p = row_by(r, "programmes", "name",
		   "Voorlichting en trainingen voor leerlingen");
	trainings = num(p, "id");
	ck_assert_str_eq(text(p, "status"), "stopped");
	assert_programme(p, (struct line){ 0 });
	/* costs without a plan commit themselves: committed = spent */
	assert_programme(row_by(r, "programmes", "name",
				"Versterking begeleidingsteam basisscholen"),
			 (struct line){ .allocated = 3000000,
					.committed = 1200000,
					.spent = 1200000,
					.paid = 0,
					.remaining = 1800000 });
	/* all warnings: the period is over with 83,107 uncommitted */
	ck_assert_int_eq(nwarnings(r), 1);
	assert_warning(r, "deadline_passed", "budget", 2, 8310700);
	resp_free(r);

	r = api_req(&a, "GET", "/api/v1/reallocations?budget_id=2", a.read,
		    NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	re = json_array_get(items, 0);
	ck_assert_int_eq(num(re, "budget_id"), 2);
	ck_assert_int_eq(num(re, "amount_cents"), 2000000);
	ck_assert_int_eq(num(json_object_get(re, "from"), "programme_id"),
			 speech);
	ck_assert_int_eq(num(json_object_get(re, "to"), "programme_id"),
			 primary);
	re = json_array_get(items, 1);
	ck_assert_int_eq(num(re, "amount_cents"), 1000000);
	ck_assert_int_eq(num(json_object_get(re, "from"), "programme_id"),
			 trainings);
	ck_assert_int_eq(num(json_object_get(re, "to"), "programme_id"),
			 primary);
	resp_free(r);
	/* Hilversum has none */
	r = api_req(&a, "GET", "/api/v1/reallocations?budget_id=1", a.read,
		    NULL, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
	resp_free(r);
}
END_TEST

static void assert_period(const struct resp *r, const char *key,
			  const char *value, const char *from,
			  const char *until)
{
	const json_t *p = json_object_get(r->json, "period");

	ck_assert_msg(json_is_object(p), "period is not an object: %s",
		      r->body);
	ck_assert_int_eq(json_object_size(p), 3);
	ck_assert_str_eq(text(p, key), value);
	ck_assert_str_eq(text(p, "from"), from);
	ck_assert_str_eq(text(p, "until"), until);
}

START_TEST(a_period_restricts_spent_and_paid_only)
{
	struct totals t = huizen;
	struct resp *r;

	api_start_demo(&a);
	/* 2023: 85,000 + 15,000 + 35,000 + 50,000 + 20,000, all paid */
	r = status_of(2, "year=2023");
	assert_period(r, "year", "2023", "2023-01-01", "2023-12-31");
	t.spent = t.paid = 20500000;
	assert_totals(r, t);
	/* goal 3 in 2023: school social work 50,000; remaining all-time */
	assert_goal(row_by(r, "goals", "code", "3"),
		    (struct line){ 23090100, 22729400, 21729400, 5000000,
				   5000000, 2602100, 1241400 });
	resp_free(r);

	/* 2024-08-01..2025-07-31: 15,000 + 25,000 + 50,000 + 12,000 + 6,500
	 * + 20,000 + 9,000 + 8,500 + 10,000 + 7,380 = 163,380, of which all
	 * but 12,000 + 10,000 + 7,380 paid = 134,000 */
	r = status_of(2, "school_year=2024-2025");
	assert_period(r, "school_year", "2024-2025", "2024-08-01",
		      "2025-07-31");
	t.spent = 16338000;
	t.paid = 13400000;
	assert_totals(r, t);
	/* goal 3: 34,880 + 20,000 + 50,000 spent, 17,500 + 20,000 + 50,000
	 * paid */
	assert_goal(row_by(r, "goals", "code", "3"),
		    (struct line){ 23090100, 22729400, 21729400, 10488000,
				   8750000, 2602100, 1241400 });
	assert_programme(row_by(r, "programmes", "name", PRIMARY),
			 (struct line){ .allocated = 4729400,
					.committed = 4729400,
					.spent = 3488000,
					.paid = 1750000,
					.remaining = 1241400,
					.open = 1241400 });
	resp_free(r);

	/* nothing is dated 2025 */
	r = status_of(2, "year=2025");
	t.spent = t.paid = 0;
	assert_totals(r, t);
	resp_free(r);

	/* the period combines with as_of */
	r = status_of(2, "year=2023&as_of=2025-07-01");
	ck_assert_str_eq(jstr(r, "as_of"), "2025-07-01");
	ck_assert_int_eq(tot(r, "spent_cents"), 20500000);
	ck_assert_int_eq(tot(r, "remaining_cents"), 9552100);
	ck_assert_int_eq(nwarnings(r), 1);
	assert_warning(r, "deadline_near", "budget", 2, 8310700);
	resp_free(r);
}
END_TEST

START_TEST(bad_status_queries_are_400)
{
	static const char *const bad[] = {
		"year=23",
		"year=abcd",
		"year=",
		"year=20233",
		"school_year=2024-2026",
		"school_year=2024",
		"school_year=2024/2025",
		"year=2024&school_year=2024-2025",
		"school_year=2024-2025&year=2024",
		"as_of=2025-02-30",
		"as_of=2025-7-1",
		"as_of=tomorrow",
		"jaar=2024",
		"year=2024&limit=5",
	};
	char path[160];

	api_start_demo(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int all = 0; all < 2; all++) {
			struct resp *r;

			snprintf(path, sizeof(path), "%s?%s",
				 all ? "/api/v1/status"
				     : "/api/v1/budgets/2/status",
				 bad[i]);
			r = api_req(&a, "GET", path, a.read, NULL, NULL);
			ck_assert_msg(r->status == 400, "%s: %ld %s", path,
				      r->status, r->body);
			ck_assert_str_eq(jstr(r, "code"), "bad_query");
			ck_assert_int_eq(jint(r, "status"), 400);
			ck_assert_str_eq(resp_header(r, "Content-Type"),
					 "application/problem+json");
			resp_free(r);
		}
	}
}
END_TEST

/* An expenditure on the last day of a school year counts in that year
 * only, one on the first day of the next in the next only. */
START_TEST(period_bounds_are_inclusive)
{
	long long prog, e1, e2;
	struct resp *r;

	api_start_demo(&a);
	r = status_of(2, NULL);
	prog = num(row_by(r, "programmes", "name",
			  "Welbevinden voortgezet onderwijs"),
		   "id");
	resp_free(r);
	e1 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = prog,
						     .plan = 0,
						     .amount = 101,
						     .on = "2024-07-31",
						     .description = "Kosten" });
	e2 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = prog,
						     .plan = 0,
						     .amount = 202,
						     .on = "2024-08-01",
						     .description = "Kosten" });
	move("expenditures", e1, "approved", -1);
	move("expenditures", e2, "approved", -1);
	/* 2023-2024 without these: 85,000 + 15,000 + 35,000 + 50,000 +
	 * 20,000 (2024-06-28) = 205,000 */
	r = status_of(2, "school_year=2023-2024");
	ck_assert_int_eq(tot(r, "spent_cents"), 20500000 + 101);
	ck_assert_int_eq(tot(r, "paid_cents"), 20500000);
	resp_free(r);
	r = status_of(2, "school_year=2024-2025");
	ck_assert_int_eq(tot(r, "spent_cents"), 16338000 + 202);
	resp_free(r);
	/* 2024 calendar year: 15,000 + 25,000 + 50,000 + 20,000 + 12,000 +
	 * 6,500 + 20,000 + 34,880 = 183,380, plus both */
	r = status_of(2, "year=2024");
	ck_assert_int_eq(tot(r, "spent_cents"), 18338000 + 101 + 202);
	resp_free(r);
	r = status_of(2, NULL);
	ck_assert_int_eq(tot(r, "spent_cents"), 58838000 + 101 + 202);
	ck_assert_int_eq(tot(r, "remaining_cents"), 9552100 - 101 - 202);
	resp_free(r);
}
END_TEST

/* --- 5: every warning ---------------------------------------------------- */

/*
 * A fresh budget of EUR 10,000 (2021-07-01..2025-07-31, policy warn):
 * goal 1 allocates 6,000, goal 2 5,000             -> over_allocated 1,000
 * programme 1 of 7,000 under goal 1                -> goal_over_programmed 1,000
 * programme 2 of 2,000 under goal 2; plan A approved 1,500, plan B approved
 *   800 of 1,000 requested: 2,300 committed        -> programme_over_committed
 * 300 on plan B 500 approved + 400 paid = 900          -> plan_over_spent 100
 * on programme 1, no plan, 123.45 dated 2021-06-30 -> outside_period 123.45
 */
START_TEST(every_warning_is_provoked_through_the_api)
{
	long long b, g1, g2, p1, p2, s1, s2, plan_a, plan_b, e1, e2, e3, e4;
	char path[64];
	struct resp *r;

	start();
	b = fx_budget(&a, (struct fx_budget){ .gm = "GM0406",
					      .grant = 1000000,
					      .from = "2021-07-01",
					      .until = "2025-07-31" });
	snprintf(path, sizeof(path), "/api/v1/budgets/%lld", b);
	r = api_req(&a, "GET", path, a.read, NULL, NULL);
	ck_assert_str_eq(jstr(r, "overrun_policy"), "warn");
	resp_free(r);
	g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
					   .code = "1",
					   .allocated = 600000 });
	g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
					   .code = "2",
					   .allocated = 500000 });
	p1 = fx_programme(&a, (struct fx_programme){ .goal = g1,
						     .name = "Zomerschool",
						     .budget = 700000 });
	p2 = fx_programme(&a, (struct fx_programme){ .goal = g2,
						     .name = "Welbevinden",
						     .budget = 200000 });
	move("programmes", p1, "active", -1);
	move("programmes", p2, "active", -1);
	s1 = fx_school(&a,
		       (struct fx_school){ .code = "10HZ00", .gm = "GM0406" });
	s2 = fx_school(&a,
		       (struct fx_school){ .code = "11HZ00", .gm = "GM0406" });
	plan_a = fx_plan(&a, (struct fx_plan){ .programme = p2,
					       .school = s1,
					       .year = "2024-2025",
					       .title = "Bestedingsplan",
					       .requested = 150000 });
	plan_b = fx_plan(&a, (struct fx_plan){ .programme = p2,
					       .school = s2,
					       .year = "2024-2025",
					       .title = "Bestedingsplan",
					       .requested = 100000 });
	move("plans", plan_a, "submitted", -1);
	move("plans", plan_a, "approved", 150000);
	move("plans", plan_b, "submitted", -1);
	move("plans", plan_b, "approved", 80000);
	e1 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = p2,
						     .plan = plan_b,
						     .amount = 50000,
						     .on = "2024-10-01",
						     .description = "Kosten" });
	e2 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = p2,
						     .plan = plan_b,
						     .amount = 40000,
						     .on = "2024-11-01",
						     .description = "Kosten" });
	move("expenditures", e1, "approved", -1);
	move("expenditures", e2, "approved", -1);
	move("expenditures", e2, "paid", -1);
	e3 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = p1,
						     .plan = 0,
						     .amount = 12345,
						     .on = "2021-06-30",
						     .description = "Kosten" });
	move("expenditures", e3, "approved", -1);
	/* a rejected cost dated outside the period is no warning */
	e4 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = p1,
						     .plan = 0,
						     .amount = 999,
						     .on = "2025-08-01",
						     .description = "Kosten" });
	move("expenditures", e4, "rejected", -1);

	r = status_of(b, "as_of=2024-01-01");
	/* committed 150,000 + 80,000 + 12,345; spent 90,000 + 12,345;
	 * open: A 150,000 - 0, B max(80,000 - 90,000, 0) = 0 */
	assert_totals(r, (struct totals){ .grant = 1000000,
					  .allocated = 1100000,
					  .unallocated = -100000,
					  .programmed = 900000,
					  .committed = 242345,
					  .spent = 102345,
					  .paid = 40000,
					  .remaining = 897655,
					  .open = 150000,
					  .ret = 757655 });
	assert_goal(row_by_id(r, "goals", "id", g1),
		    (struct line){ 600000, 700000, 12345, 12345, 0, 587655,
				   0 });
	assert_goal(row_by_id(r, "goals", "id", g2),
		    (struct line){ 500000, 200000, 230000, 90000, 40000, 410000,
				   150000 });
	assert_programme(row_by_id(r, "programmes", "id", p1),
			 (struct line){ .allocated = 700000,
					.committed = 12345,
					.spent = 12345,
					.remaining = 687655 });
	assert_programme(row_by_id(r, "programmes", "id", p2),
			 (struct line){ .allocated = 200000,
					.committed = 230000,
					.spent = 90000,
					.paid = 40000,
					.remaining = 110000,
					.open = 150000 });
	assert_warning(r, "over_allocated", "budget", b, 100000);
	assert_warning(r, "goal_over_programmed", "goal", g1, 100000);
	assert_warning(r, "programme_over_committed", "programme", p2, 30000);
	assert_warning(r, "plan_over_spent", "plan", plan_b, 10000);
	assert_warning(r, "outside_period", "expenditure", e3, 12345);
	assert_message(r, "over_allocated", b, "verdelen € 1.000,00 meer");
	assert_message(r, "goal_over_programmed", g1,
		       "heeft € 1.000,00 meer aan programma's");
	assert_message(r, "programme_over_committed", p2,
		       "heeft € 300,00 meer verplicht dan het budget");
	assert_message(r, "plan_over_spent", plan_b,
		       "is € 100,00 meer gedeclareerd dan toegekend");
	assert_message(r, "outside_period", e3, "€ 123,45");
	assert_message(r, "outside_period", e3,
		       "buiten de bestedingsperiode van ");
	ck_assert_int_eq(count_code(r, "outside_period"), 1);	    /* not e4 */
	ck_assert_int_eq(count_code(r, "goal_over_programmed"), 1); /* not g2 */
	ck_assert_int_eq(count_code(r, "programme_over_committed"), 1);
	ck_assert_int_eq(count_code(r, "plan_over_spent"), 1); /* not A */
	ck_assert_int_eq(nwarnings(r), 5);
	resp_free(r);

	/* 100 days before spend_until: no deadline warning yet */
	r = status_of(b, "as_of=2025-04-22");
	ck_assert_int_eq(count_code(r, "deadline_near"), 0);
	ck_assert_int_eq(count_code(r, "deadline_passed"), 0);
	ck_assert_int_eq(nwarnings(r), 5);
	resp_free(r);
	/* 91 days before: not yet; 90 days before: within 90 days */
	r = status_of(b, "as_of=2025-05-01");
	ck_assert_int_eq(count_code(r, "deadline_near"), 0);
	resp_free(r);
	r = status_of(b, "as_of=2025-05-02");
	assert_warning(r, "deadline_near", "budget", b, 757655);
	resp_free(r);
	/* 30 days before: 1,000,000 - 242,345 uncommitted */
	r = status_of(b, "as_of=2025-07-01");
	ck_assert_str_eq(jstr(r, "as_of"), "2025-07-01");
	assert_warning(r, "deadline_near", "budget", b, 757655);
	assert_message(r, "deadline_near", b,
		       "nog 30 dagen tot en met 31 juli 2025 en € 7.576,55 is "
		       "niet verplicht");
	ck_assert_int_eq(count_code(r, "deadline_passed"), 0);
	ck_assert_int_eq(nwarnings(r), 6);
	resp_free(r);
	/* the last day is still near, not passed */
	r = status_of(b, "as_of=2025-07-31");
	assert_warning(r, "deadline_near", "budget", b, 757655);
	ck_assert_int_eq(count_code(r, "deadline_passed"), 0);
	resp_free(r);
	/* the day after: passed, with the expected return */
	r = status_of(b, "as_of=2025-08-01");
	assert_warning(r, "deadline_passed", "budget", b, 757655);
	assert_message(r, "deadline_passed", b,
		       "de bestedingsperiode is op 31 juli 2025 geëindigd; "
		       "€ 7.576,55 gaat terug naar het Rijk");
	ck_assert_int_eq(count_code(r, "deadline_near"), 0);
	ck_assert_int_eq(nwarnings(r), 6);
	resp_free(r);
	/* today (after 2025-07-31) too */
	r = status_of(b, NULL);
	assert_warning(r, "deadline_passed", "budget", b, 757655);
	resp_free(r);
}
END_TEST

/* A budget whose grant is wholly committed warns of no deadline. */
START_TEST(no_deadline_warning_when_everything_is_committed)
{
	long long b, g, p, e, other;
	struct resp *r;

	start();
	/* another budget with money left must not leak into this one */
	other = fx_budget(&a, (struct fx_budget){ .gm = "GM0402",
						  .grant = 70000,
						  .from = "2021-07-01",
						  .until = "2025-07-31" });
	fx_goal(&a, (struct fx_goal){
			    .budget = other, .code = "1", .allocated = 80000 });
	b = fx_budget(&a, (struct fx_budget){ .gm = "GM0406",
					      .grant = 50000,
					      .from = "2021-07-01",
					      .until = "2025-07-31" });
	g = fx_goal(&a, (struct fx_goal){
				.budget = b, .code = "1", .allocated = 50000 });
	p = fx_programme(&a,
			 (struct fx_programme){ .goal = g,
						.name = "Aanpak thuiszitters",
						.budget = 50000 });
	e = fx_expenditure(&a,
			   (struct fx_expenditure){ .programme = p,
						    .plan = 0,
						    .amount = 30000,
						    .on = "2024-01-01",
						    .description = "Kosten" });
	move("expenditures", e, "approved", -1);

	/* 20,000 still uncommitted: near and passed both warn */
	r = status_of(b, "as_of=2025-07-01");
	ck_assert_int_eq(nwarnings(r), 1);
	assert_warning(r, "deadline_near", "budget", b, 20000);
	resp_free(r);
	r = status_of(b, "as_of=2025-08-01");
	ck_assert_int_eq(nwarnings(r), 1);
	assert_warning(r, "deadline_passed", "budget", b, 20000);
	resp_free(r);

	e = fx_expenditure(&a,
			   (struct fx_expenditure){ .programme = p,
						    .plan = 0,
						    .amount = 20000,
						    .on = "2025-06-30",
						    .description = "Kosten" });
	move("expenditures", e, "approved", -1);
	r = status_of(b, "as_of=2025-08-01");
	assert_totals(r, (struct totals){ .grant = 50000,
					  .allocated = 50000,
					  .unallocated = 0,
					  .programmed = 50000,
					  .committed = 50000,
					  .spent = 50000,
					  .paid = 0,
					  .remaining = 0,
					  .open = 0,
					  .ret = 0 });
	ck_assert_int_eq(nwarnings(r), 0);
	resp_free(r);
	r = status_of(b, "as_of=2025-07-01");
	ck_assert_int_eq(nwarnings(r), 0);
	resp_free(r);
	r = status_of(b, NULL);
	ck_assert_int_eq(nwarnings(r), 0);
	resp_free(r);
	/* the other budget keeps its own warnings */
	r = status_of(other, "as_of=2025-08-01");
	assert_warning(r, "over_allocated", "budget", other, 10000);
	assert_warning(r, "deadline_passed", "budget", other, 70000);
	ck_assert_int_eq(nwarnings(r), 2);
	resp_free(r);
}
END_TEST

/* --- 6: the front page --------------------------------------------------- */

START_TEST(front_page_summarises_both_demo_budgets)
{
	const json_t *items, *row, *w;
	struct resp *r;
	size_t i;
	int over = 0;

	api_start_demo(&a);
	r = api_req(&a, "GET", "/api/v1/status", a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(json_is_null(json_object_get(r->json, "period")));
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 2);

	row = row_by(r, "items", "municipality_code", "GM0406");
	ck_assert_int_eq(num(row, "budget_id"), 2);
	ck_assert_str_eq(text(row, "municipality_name"), "Huizen");
	ck_assert_str_eq(text(row, "spend_until"), "2025-07-31");
	ck_assert_int_eq(num(row, "grant_cents"), 68390100);
	ck_assert_int_eq(num(row, "allocated_cents"), 68390100);
	ck_assert_int_eq(num(row, "committed_cents"), 60079400);
	ck_assert_int_eq(num(row, "spent_cents"), 58838000);
	ck_assert_int_eq(num(row, "paid_cents"), 55900000);
	ck_assert_int_eq(num(row, "remaining_cents"), 9552100);
	ck_assert_int_eq(num(row, "open_commitments_cents"), 1241400);
	ck_assert_int_eq(num(row, "expected_return_cents"), 8310700);
	w = json_object_get(row, "warnings");
	ck_assert_int_eq(json_array_size(w), 1);
	ck_assert_str_eq(json_string_value(json_array_get(w, 0)),
			 "deadline_passed");

	row = row_by(r, "items", "municipality_code", "GM0402");
	ck_assert_int_eq(num(row, "budget_id"), 1);
	ck_assert_int_eq(num(row, "grant_cents"), 213850964);
	ck_assert_int_eq(num(row, "allocated_cents"), 215000000);
	ck_assert_int_eq(num(row, "remaining_cents"), 213850964);
	ck_assert_int_eq(num(row, "expected_return_cents"), 213850964);
	json_array_foreach(json_object_get(row, "warnings"), i, w)
		over += strcmp(json_string_value(w), "over_allocated") == 0;
	ck_assert_int_eq(over, 1);
	resp_free(r);

	/* the same query parameters as a budget's status */
	r = api_req(&a, "GET", "/api/v1/status?year=2023&as_of=2021-12-21",
		    a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "as_of"), "2021-12-21");
	assert_period(r, "year", "2023", "2023-01-01", "2023-12-31");
	row = row_by(r, "items", "municipality_code", "GM0406");
	ck_assert_int_eq(num(row, "spent_cents"), 20500000);
	ck_assert_int_eq(num(row, "remaining_cents"), 9552100);
	ck_assert_int_eq(json_array_size(json_object_get(row, "warnings")), 0);
	row = row_by(r, "items", "municipality_code", "GM0402");
	w = json_object_get(row, "warnings");
	ck_assert_int_eq(json_array_size(w), 1);
	ck_assert_str_eq(json_string_value(json_array_get(w, 0)),
			 "over_allocated");
	resp_free(r);
}
END_TEST

/* --- 7: figures follow writes ------------------------------------------- */

START_TEST(figures_follow_expenditure_writes)
{
	struct totals t = huizen;
	long long prog, e, rejected;
	char path[64];
	const json_t *p;
	struct resp *r;

	api_start_demo(&a);
	r = status_of(2, NULL);
	/* VO wellbeing: 30,000 budget, 20,000 spent without a plan */
	p = row_by(r, "programmes", "name", "Welbevinden voortgezet onderwijs");
	prog = num(p, "id");
	assert_programme(p, (struct line){ .allocated = 3000000,
					   .committed = 2000000,
					   .spent = 2000000,
					   .paid = 2000000,
					   .remaining = 1000000 });
	resp_free(r);

	/* submitted: nothing is spent or committed yet */
	e = fx_expenditure(&a,
			   (struct fx_expenditure){ .programme = prog,
						    .plan = 0,
						    .amount = 12345,
						    .on = "2025-03-03",
						    .description = "Kosten" });
	r = status_of(2, NULL);
	assert_totals(r, t);
	resp_free(r);

	/* approved: spent, and (without a plan) committed */
	move("expenditures", e, "approved", -1);
	t.spent += 12345;
	t.remaining -= 12345;
	t.committed += 12345;
	t.ret -= 12345;
	r = status_of(2, NULL);
	assert_totals(r, t);
	ck_assert_int_eq(tot(r, "spent_cents"), 58838000 + 12345);
	ck_assert_int_eq(tot(r, "remaining_cents"), 9552100 - 12345);
	assert_programme(row_by_id(r, "programmes", "id", prog),
			 (struct line){ .allocated = 3000000,
					.committed = 2012345,
					.spent = 2012345,
					.paid = 2000000,
					.remaining = 987655 });
	assert_goal(row_by(r, "goals", "code", "3"),
		    (struct line){ 23090100, 22729400, 21729400 + 12345,
				   20488000 + 12345, 18750000, 2602100 - 12345,
				   1241400 });
	assert_warning(r, "deadline_passed", "budget", 2, 8310700 - 12345);
	resp_free(r);
	/* in the school year it is dated in, not in 2024 */
	r = status_of(2, "school_year=2024-2025");
	ck_assert_int_eq(tot(r, "spent_cents"), 16338000 + 12345);
	resp_free(r);
	r = status_of(2, "year=2024");
	ck_assert_int_eq(tot(r, "spent_cents"), 18338000);
	resp_free(r);

	/* a rejected one changes nothing */
	rejected = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = prog,
					     .plan = 0,
					     .amount = 50000,
					     .on = "2025-03-04",
					     .description = "Kosten" });
	move("expenditures", rejected, "rejected", -1);
	r = status_of(2, NULL);
	assert_totals(r, t);
	resp_free(r);

	/* paid: paid rises, spent stays */
	move("expenditures", e, "paid", -1);
	t.paid += 12345;
	r = status_of(2, NULL);
	assert_totals(r, t);
	ck_assert_int_eq(tot(r, "paid_cents"), 55900000 + 12345);
	resp_free(r);

	/* a paid expenditure cannot go back: 409, figures unchanged */
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld/status", e);
	r = api_json(&a, "POST", path, a.write, "{s:s}", "status", "approved");
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "transition_not_allowed");
	resp_free(r);
	r = status_of(2, NULL);
	assert_totals(r, t);
	resp_free(r);
}
END_TEST

/* A declaration against an approved plan spends the plan's commitment:
 * spent rises, committed does not, the open commitment falls. */
START_TEST(declaration_against_a_plan_spends_its_commitment)
{
	struct totals t = huizen;
	long long plan, prog, e;
	const json_t *it;
	struct resp *r;

	api_start_demo(&a);
	/* OBS De Regenboog: 12,000 approved, 9,000 declared */
	r = api_req(&a, "GET", "/api/v1/plans?school_year=2024-2025&limit=1",
		    a.read, NULL, NULL);
	it = json_array_get(json_object_get(r->json, "items"), 0);
	ck_assert_str_eq(text(it, "status"), "approved");
	ck_assert_int_eq(num(it, "approved_cents"), 1200000);
	plan = num(it, "id");
	prog = num(it, "programme_id");
	resp_free(r);

	e = fx_expenditure(&a,
			   (struct fx_expenditure){ .programme = prog,
						    .plan = plan,
						    .amount = 250000,
						    .on = "2025-05-20",
						    .description = "Kosten" });
	move("expenditures", e, "approved", -1);
	t.spent += 250000;
	t.remaining -= 250000;
	t.open -= 250000; /* 3,000 -> 500 open on this plan */
	r = status_of(2, NULL);
	assert_totals(r, t);
	assert_programme(row_by(r, "programmes", "name", PRIMARY),
			 (struct line){ .allocated = 4729400,
					.committed = 4729400,
					.spent = 3738000,
					.paid = 1750000,
					.remaining = 991400,
					.open = 991400 });
	ck_assert_int_eq(count_code(r, "plan_over_spent"), 0);
	resp_free(r);

	/* 1,000 more than the plan's 500 left: open 0 on it, over by 500 */
	e = fx_expenditure(&a,
			   (struct fx_expenditure){ .programme = prog,
						    .plan = plan,
						    .amount = 100000,
						    .on = "2025-05-21",
						    .description = "Kosten" });
	move("expenditures", e, "approved", -1);
	t.spent += 100000;
	t.remaining -= 100000;
	t.open -= 50000;
	r = status_of(2, NULL);
	assert_totals(r, t);
	assert_warning(r, "plan_over_spent", "plan", plan, 50000);
	resp_free(r);
}
END_TEST

START_TEST(stopping_a_programme_unprograms_it)
{
	struct totals t = huizen;
	long long prog;
	struct resp *r;

	api_start_demo(&a);
	r = status_of(2, NULL);
	prog = num(row_by(r, "programmes", "name", "Kunst- en cultuureducatie"),
		   "id");
	resp_free(r);
	move("programmes", prog, "stopped", -1);
	/* 645,294 - 60,000; its 45,000 spent stays spent and committed */
	t.programmed -= 6000000;
	r = status_of(2, NULL);
	assert_totals(r, t);
	assert_goal(row_by(r, "goals", "code", "1"),
		    (struct line){ 25000000, 18000000, 22500000, 22500000,
				   22500000, 2500000, 0 });
	resp_free(r);
}
END_TEST

/* --- 8: edges -------------------------------------------------------------- */

START_TEST(status_of_a_missing_budget_is_404)
{
	struct resp *r;

	api_start_demo(&a);
	r = api_req(&a, "GET", "/api/v1/budgets/999/status", a.read, NULL,
		    NULL);
	ck_assert_int_eq(r->status, 404);
	ck_assert_str_eq(jstr(r, "code"), "not_found");
	ck_assert_str_eq(resp_header(r, "Content-Type"),
			 "application/problem+json");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/0/status?as_of=2025-01-01",
		    a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
}
END_TEST

START_TEST(status_of_an_empty_budget_is_the_grant)
{
	long long b;
	struct resp *r;

	start();
	b = fx_budget(&a, (struct fx_budget){ .gm = "GM0406",
					      .grant = 100000,
					      .from = "2021-07-01",
					      .until = "2025-07-31" });
	r = status_of(b, "as_of=2024-01-01");
	/* unallocated = grant - 0 by its definition */
	assert_totals(r, (struct totals){ .grant = 100000,
					  .unallocated = 100000,
					  .remaining = 100000,
					  .ret = 100000 });
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "goals")), 0);
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "programmes")), 0);
	ck_assert_int_eq(nwarnings(r), 0);
	resp_free(r);
	/* after the period the whole grant goes back */
	r = status_of(b, NULL);
	ck_assert_int_eq(nwarnings(r), 1);
	assert_warning(r, "deadline_passed", "budget", b, 100000);
	resp_free(r);
}
END_TEST

/* --- the accountability report (verantwoording, SiSa) ---------------------- */

/* GET the report of budget for year; 200 asserted. */
static struct resp *report(long long budget, int year)
{
	char path[96];
	struct resp *r;

	snprintf(path, sizeof(path),
		 "/api/v1/budgets/%lld/accountability?year=%d", budget, year);
	r = api_req(&a, "GET", path, a.read, NULL, NULL);
	ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
	return r;
}

/* Huizen's costs of the demo, year by year: spent in the year, from the
 * start of the period to its end, and in 2025 (the year of spend_until)
 * the eindverantwoording with what goes back to the state. */
START_TEST(huizen_accounts_for_each_year)
{
	static const struct {
		int year;
		long long spent, cumulative;
		bool final;
		const char *closed_at; /* the demo closed 2021..2023 */
	} years[] = {
		{ 2021, 0, 0, false, "2022-06-15T10:00:00Z" },
		{ 2022, 20000000, 20000000, false, "2023-06-15T10:00:00Z" },
		{ 2023, 20500000, 40500000, false, "2024-06-15T10:00:00Z" },
		{ 2024, 18338000, 58838000, false, NULL },
		{ 2025, 0, 58838000, true, NULL },
	};
	struct resp *r;
	const json_t *g;
	long long sum = 0;
	size_t i;

	api_start_demo(&a);
	for (size_t k = 0; k < sizeof(years) / sizeof(years[0]); k++) {
		r = report(2, years[k].year);
		ck_assert_int_eq(jint(r, "budget_id"), 2);
		ck_assert_str_eq(jstr(r, "municipality_code"), "GM0406");
		ck_assert_int_eq(jint(r, "year"), years[k].year);
		ck_assert_int_eq(jint(r, "spent_cents"), years[k].spent);
		ck_assert_int_eq(jint(r, "cumulative_spent_cents"),
				 years[k].cumulative);
		ck_assert_int_eq(jint(r, "ineligible_cents"), 0);
		ck_assert(json_is_true(json_object_get(r->json, "final")) ==
			  years[k].final);
		if (years[k].final)
			/* 683,901.00 granted, 588,380.00 spent: 95,521.00 back */
			ck_assert_int_eq(jint(r, "expected_return_cents"),
					 9552100);
		else
			ck_assert(json_is_null(json_object_get(
				r->json, "expected_return_cents")));
		if (years[k].closed_at) {
			ck_assert(json_is_true(
				json_object_get(r->json, "closed")));
			ck_assert_str_eq(jstr(r, "closed_at"),
					 years[k].closed_at);
		} else {
			ck_assert(json_is_false(
				json_object_get(r->json, "closed")));
		}
		ck_assert_uint_eq(
			json_array_size(json_object_get(r->json, "goals")), 5);
		/* the goals add up to the totals */
		sum = 0;
		json_array_foreach(json_object_get(r->json, "goals"), i, g)
			sum += num(g, "spent_cents");
		ck_assert_int_eq(sum, years[k].spent);
		resp_free(r);
	}
	/* the same as CSV: a row per goal, then the total */
	r = api_req(&a, "GET",
		    "/api/v1/budgets/2/accountability?year=2024&format=csv",
		    a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(
		strncmp(r->body,
			"goal_id,code,name,spent_eur,cumulative_spent_eur\r\n",
			50) == 0,
		"%s", r->body);
	ck_assert_msg(strstr(r->body, "\r\n,,Totaal,183380.00,588380.00\r\n"),
		      "%s", r->body);
	resp_free(r);
}
END_TEST

/* The demo is written as its history: each row through its workflow on
 * its own past dates, and Huizen's closed years 2021-2023. */
START_TEST(the_demo_is_a_history)
{
	static const struct {
		const char *path, *at[3], *status[3];
	} rows[] = {
		/* Zomerschool 2022: declared, approved, paid two weeks on */
		{ "/api/v1/audit?entity=expenditure&entity_id=1",
		  { "2022-09-30T09:00:00Z", "2022-09-30T15:00:00Z",
		    "2022-10-14T10:00:00Z" },
		  { "submitted", "approved", "paid" } },
		/* OBS De Regenboog's plan: drafted, submitted, approved */
		{ "/api/v1/audit?entity=plan&entity_id=1",
		  { "2024-09-16T10:00:00Z", "2024-09-20T09:00:00Z",
		    "2024-10-15T14:00:00Z" },
		  { "draft", "submitted", "approved" } },
	};
	const json_t *items, *row;
	struct resp *r;

	api_start_demo(&a);
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		r = api_req(&a, "GET", rows[k].path, a.admin, NULL, NULL);
		ck_assert_int_eq(r->status, 200);
		items = json_object_get(r->json, "items");
		ck_assert_uint_eq(json_array_size(items), 3);
		for (size_t i = 0; i < 3; i++) {
			row = json_array_get(items, i);
			ck_assert_str_eq(text(row, "actor"), "demo");
			ck_assert_str_eq(text(row, "at"), rows[k].at[i]);
			ck_assert_str_eq(text(json_object_get(row, "after"),
					      "status"),
					 rows[k].status[i]);
		}
		resp_free(r);
	}
	r = api_req(&a, "GET", "/api/v1/plans/1", a.read, NULL, NULL);
	ck_assert_str_eq(jstr(r, "submitted_at"), "2024-09-20T09:00:00Z");
	ck_assert_str_eq(jstr(r, "decided_at"), "2024-10-15T14:00:00Z");
	ck_assert_int_eq(jint(r, "approved_cents"), 1200000);
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/2/closings", a.read, NULL,
		    NULL);
	items = json_object_get(r->json, "items");
	ck_assert_uint_eq(json_array_size(items), 3);
	for (size_t i = 0; i < 3; i++) {
		row = json_array_get(items, i);
		ck_assert_int_eq(num(row, "year"), 2021 + (long long)i);
		ck_assert_str_eq(text(row, "closed_by"), "demo");
	}
	resp_free(r);
	/* and no cost is added to a closed year, a correction neither */
	r = api_req(&a, "POST", "/api/v1/expenditures", a.write,
		    "{\"programme_id\":1,\"corrects_id\":1,"
		    "\"amount_cents\":-100000,\"spent_on\":\"2023-03-01\","
		    "\"description\":\"correctie\"}",
		    NULL);
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "period_closed");
	ck_assert_int_eq(jint(r, "year"), 2023);
	resp_free(r);
}
END_TEST

/* Costs dated outside the spending period are not spent for the grant:
 * they are listed as ineligible in the year of their date; a year outside
 * the budget's years is 422, and the year must be given. */
START_TEST(the_report_keeps_ineligible_costs_apart)
{
	long long b, g, p, e;
	struct resp *r;
	const json_t *in;

	start();
	b = fx_budget(&a, (struct fx_budget){ .gm = "GM0406",
					      .grant = 100000,
					      .from = "2021-07-01",
					      .until = "2025-07-31" });
	g = fx_goal(&a, (struct fx_goal){ .budget = b, .allocated = 100000 });
	p = fx_programme(&a,
			 (struct fx_programme){ .goal = g, .budget = 100000 });
	e = fx_expenditure(&a, (struct fx_expenditure){ .programme = p,
							.amount = 1500,
							.on = "2021-06-30" });
	move("expenditures", e, "approved", -1);
	move("expenditures",
	     fx_expenditure(&a, (struct fx_expenditure){ .programme = p,
							 .amount = 2500,
							 .on = "2021-07-01" }),
	     "approved", -1);
	/* submitted: not spent at all */
	fx_expenditure(&a, (struct fx_expenditure){ .programme = p,
						    .amount = 4000,
						    .on = "2021-08-01" });
	r = report(b, 2021);
	ck_assert_int_eq(jint(r, "spent_cents"), 2500);
	ck_assert_int_eq(jint(r, "cumulative_spent_cents"), 2500);
	ck_assert_int_eq(jint(r, "ineligible_cents"), 1500);
	in = json_array_get(json_object_get(r->json, "ineligible"), 0);
	ck_assert_int_eq(num(in, "id"), e);
	ck_assert_int_eq(num(in, "amount_cents"), 1500);
	ck_assert_str_eq(json_string_value(json_object_get(in, "spent_on")),
			 "2021-06-30");
	resp_free(r);
	r = report(b, 2025);
	ck_assert_int_eq(jint(r, "expected_return_cents"), 100000 - 2500);
	resp_free(r);

	r = api_req(&a, "GET", "/api/v1/budgets/1/accountability?year=2026",
		    a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 422);
	ck_assert_str_eq(jstr(r, "code"), "validation_failed");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/1/accountability", a.read, NULL,
		    NULL);
	ck_assert_int_eq(r->status, 400);
	ck_assert_str_eq(jstr(r, "code"), "bad_query");
	resp_free(r);
	r = api_req(&a, "GET", "/api/v1/budgets/9/accountability?year=2024",
		    a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hilversum_built_through_the_api_is_over_allocated);
	tcase_add_test(tc, hilversum_in_the_demo_is_over_allocated);
	tcase_add_test(tc, huizen_in_the_demo_adds_up_from_the_records);
	tcase_add_test(tc, a_period_restricts_spent_and_paid_only);
	tcase_add_test(tc, bad_status_queries_are_400);
	tcase_add_test(tc, period_bounds_are_inclusive);
	tcase_add_test(tc, every_warning_is_provoked_through_the_api);
	tcase_add_test(tc, no_deadline_warning_when_everything_is_committed);
	tcase_add_test(tc, front_page_summarises_both_demo_budgets);
	tcase_add_test(tc, figures_follow_expenditure_writes);
	tcase_add_test(tc, declaration_against_a_plan_spends_its_commitment);
	tcase_add_test(tc, stopping_a_programme_unprograms_it);
	tcase_add_test(tc, status_of_a_missing_budget_is_404);
	tcase_add_test(tc, status_of_an_empty_budget_is_the_grant);
	tcase_add_test(tc, huizen_accounts_for_each_year);
	tcase_add_test(tc, the_demo_is_a_history);
	tcase_add_test(tc, the_report_keeps_ineligible_costs_apart);
}

CHECK_MAIN("scenarios")
