/*
 * The figures of the status are read from sums the database keeps (per
 * programme and month, per plan). Here they are held to the rows: after
 * randomized sequences of writes through the API (costs declared, approved,
 * paid, rejected, changed, deleted and corrected; plans approved and
 * settled; reallocations; programmes made, changed and stopped), every
 * figure of every level and period equals what plain SQL over the rows
 * says, to the cent; and the check of the kept sums finds what is off and
 * repairs it. NPO_FIGURES_SEED=S replays a run.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check_main.h"
#include "harness.h"
#include "npo/db.h"
#include "npo/figures.h"

static struct api a;
static unsigned seed;

static void setup(void)
{
	const char *s = getenv("NPO_FIGURES_SEED");

	seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
	srand(seed);
	api_init(&a);
	api_start_demo(&a);
}
static void teardown(void)
{
	api_down(&a);
}

static long call(const char *method, const char *path, long long *id,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static long call(const char *method, const char *path, long long *id,
		 const char *fmt, ...)
{
	char body[1024];
	va_list ap;
	struct resp *r;
	long status;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(body, sizeof(body), fmt, ap);
		va_end(ap);
	}
	r = api_req(&a, method, path, a.write, fmt ? body : NULL, NULL);
	status = r->status;
	if (id)
		*id = status < 300 ? jint(r, "id") : 0;
	ck_assert_msg(status < 500, "%s %s: %s", method, path, r->body);
	resp_free(r);
	return status;
}

/* --- plain SQL over the rows ------------------------------------------------ */

static sqlite3 *db;

static long long q1(const char *sql, long long a1, const char *from,
		    const char *until)
{
	sqlite3_stmt *st;
	long long v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
		      "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, a1);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, until, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A random id of sql's rows (?1 = budget 2), or 0. */
static long long pick(const char *sql)
{
	sqlite3_stmt *st;
	long long ids[4096];
	int n = 0;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, 2);
	while (sqlite3_step(st) == SQLITE_ROW && n < 4096)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n ? ids[rand() % n] : 0;
}

#define SPENT "status IN ('approved', 'paid')"
/* what a programme (?1) commits, by the definitions */
#define COMMITTED(pr)                                                       \
	"(SELECT coalesce(sum(coalesce(settled_cents, approved_cents)), 0)" \
	" FROM plans WHERE programme_id = " pr                              \
	" AND status IN ('approved', 'settled')) + (SELECT"                 \
	" coalesce(sum(amount_cents), 0) FROM expenditures WHERE"           \
	" programme_id = " pr " AND plan_id IS NULL AND " SPENT ")"
#define OPEN(pr)                                                             \
	"(SELECT coalesce(sum(max(coalesce(settled_cents, approved_cents) -" \
	" (SELECT coalesce(sum(amount_cents), 0) FROM expenditures e"        \
	" WHERE e.plan_id = p.id AND e." SPENT "), 0)), 0) FROM plans p"     \
	" WHERE p.programme_id = " pr                                        \
	" AND p.status IN ('approved', 'settled'))"
#define SUM_OF(pr, what)                                                 \
	"(SELECT coalesce(sum(amount_cents), 0) FROM expenditures WHERE" \
	" programme_id = " pr " AND " what ")"
#define IN_PERIOD " AND spent_on BETWEEN ?2 AND ?3"

static long long fig(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	ck_assert_msg(json_is_integer(v), "no %s", name);
	return json_integer_value(v);
}

static void same(const char *what, long long id, const char *name,
		 long long api, long long rows, const char *period)
{
	ck_assert_msg(api == rows,
		      "seed %u, %s: %s %lld: %s is %lld by the status, %lld by "
		      "the rows",
		      seed, period, what, id, name, api, rows);
}

/* Every figure of budget 2's status for one period equals the rows'. */
static void figures_equal_rows(const char *query, const char *from,
			       const char *until)
{
	char path[128];
	struct resp *r;
	const json_t *t;
	size_t i;
	json_t *row;

	snprintf(path, sizeof(path), "/api/v1/budgets/2/status%s", query);
	r = api_req(&a, "GET", path, a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	json_array_foreach(json_object_get(r->json, "programmes"), i, row)
	{
		long long id = fig(row, "id");
		long long amount = fig(row, "budget_cents");
		long long committed =
			q1("SELECT " COMMITTED("?1"), id, from, until);
		long long ever =
			q1("SELECT " SUM_OF("?1", SPENT), id, from, until);

		same("programme", id, "committed_cents",
		     fig(row, "committed_cents"), committed, query);
		same("programme", id, "spent_cents", fig(row, "spent_cents"),
		     q1("SELECT " SUM_OF("?1", SPENT IN_PERIOD), id, from,
			until),
		     query);
		same("programme", id, "paid_cents", fig(row, "paid_cents"),
		     q1("SELECT " SUM_OF("?1", "status = 'paid'" IN_PERIOD), id,
			from, until),
		     query);
		same("programme", id, "remaining_cents",
		     fig(row, "remaining_cents"), amount - ever, query);
		same("programme", id, "uncommitted_cents",
		     fig(row, "uncommitted_cents"), amount - committed, query);
		same("programme", id, "open_commitments_cents",
		     fig(row, "open_commitments_cents"),
		     q1("SELECT " OPEN("?1"), id, from, until), query);
	}
	json_array_foreach(json_object_get(r->json, "goals"), i, row)
	{
		long long id = fig(row, "id");
		long long allocated =
			q1("SELECT allocated_cents FROM goals WHERE id = ?1",
			   id, from, until);
		long long committed =
			q1("SELECT coalesce(sum(" COMMITTED(
				   "pr.id") "), 0) FROM programmes pr"
					    " WHERE goal_id = ?1",
			   id, from, until);
		long long ever =
			q1("SELECT coalesce(sum(" SUM_OF(
				   "pr.id", SPENT) "), 0) FROM programmes pr"
						   " WHERE goal_id = ?1",
			   id, from, until);

		same("goal", id, "allocated_cents", fig(row, "allocated_cents"),
		     allocated, query);
		same("goal", id, "programmed_cents",
		     fig(row, "programmed_cents"),
		     q1("SELECT coalesce(sum(budget_cents), 0) FROM programmes"
			" WHERE goal_id = ?1 AND status != 'stopped'",
			id, from, until),
		     query);
		same("goal", id, "committed_cents", fig(row, "committed_cents"),
		     committed, query);
		same("goal", id, "spent_cents", fig(row, "spent_cents"),
		     q1("SELECT coalesce(sum(" SUM_OF(
				"pr.id",
				SPENT IN_PERIOD) "), 0) FROM programmes pr"
						 " WHERE goal_id = ?1",
			id, from, until),
		     query);
		same("goal", id, "remaining_cents", fig(row, "remaining_cents"),
		     allocated - ever, query);
		same("goal", id, "uncommitted_cents",
		     fig(row, "uncommitted_cents"), allocated - committed,
		     query);
	}
	t = json_object_get(r->json, "totals");
	{
		long long grant =
			q1("SELECT grant_cents FROM budgets WHERE id = ?1", 2,
			   from, until);
		long long committed =
			q1("SELECT coalesce(sum(" COMMITTED(
				   "pr.id") "), 0) FROM programmes pr"
					    " WHERE budget_id = ?1",
			   2, from, until);

		same("budget", 2, "allocated_cents", fig(t, "allocated_cents"),
		     q1("SELECT coalesce(sum(allocated_cents), 0) FROM goals"
			" WHERE budget_id = ?1",
			2, from, until),
		     query);
		same("budget", 2, "committed_cents", fig(t, "committed_cents"),
		     committed, query);
		same("budget", 2, "spent_cents", fig(t, "spent_cents"),
		     q1("SELECT coalesce(sum(" SUM_OF(
				"pr.id",
				SPENT IN_PERIOD) "), 0) FROM programmes pr"
						 " WHERE budget_id = ?1",
			2, from, until),
		     query);
		same("budget", 2, "paid_cents", fig(t, "paid_cents"),
		     q1("SELECT coalesce(sum(" SUM_OF(
				"pr.id",
				"status = 'paid'" IN_PERIOD) "), 0)"
							     " FROM programmes pr WHERE budget_id = ?1",
			2, from, until),
		     query);
		same("budget", 2, "open_commitments_cents",
		     fig(t, "open_commitments_cents"),
		     q1("SELECT coalesce(sum(" OPEN(
				"pr.id") "), 0) FROM"
					 " programmes pr WHERE budget_id = ?1",
			2, from, until),
		     query);
		same("budget", 2, "expected_return_cents",
		     fig(t, "expected_return_cents"),
		     grant > committed ? grant - committed : 0, query);
		same("budget", 2, "uncommitted_cents",
		     fig(t, "uncommitted_cents"), grant - committed, query);
	}
	resp_free(r);
}

static void all_periods_equal_rows(void)
{
	ck_assert_int_eq(sqlite3_open_v2(a.db_path, &db, SQLITE_OPEN_READONLY,
					 NULL),
			 SQLITE_OK);
	figures_equal_rows("", "0000-01-01", "9999-12-31");
	figures_equal_rows("?year=2023", "2023-01-01", "2023-12-31");
	figures_equal_rows("?year=2025", "2025-01-01", "2025-12-31");
	figures_equal_rows("?school_year=2024-2025", "2024-08-01",
			   "2025-07-31");
	sqlite3_close(db);
}

/* --- random writes ---------------------------------------------------------- */

#define PROGRAMMES                                                     \
	"SELECT id FROM programmes WHERE budget_id = ?1 AND status IN" \
	" ('planned', 'active')"

static void random_date(char out[11])
{
	/* mostly inside 2021-07-01..2025-07-31, some outside */
	unsigned y = 2021 + (unsigned)rand() % 6, m = 1 + (unsigned)rand() % 12,
		 d = 1 + (unsigned)rand() % 28;

	snprintf(out, 11, "%04u-%02u-%02u", y % 10000, m, d);
}

static void one_random_write(void)
{
	char path[96], date[11];
	long long id, other;

	sqlite3_open_v2(a.db_path, &db, SQLITE_OPEN_READONLY, NULL);
	switch (rand() % 12) {
	case 0:
	case 1: /* a cost, with a plan of its programme now and then */
		id = pick(PROGRAMMES);
		other = id && rand() % 2
				? pick("SELECT p.id FROM plans p JOIN programmes"
				       " pr ON pr.id = p.programme_id WHERE"
				       " pr.budget_id = ?1 AND p.status ="
				       " 'approved'")
				: 0;
		if (other)
			id = q1("SELECT programme_id FROM plans WHERE id = ?1",
				other, "", "");
		random_date(date);
		sqlite3_close(db);
		if (!id)
			return;
		if (other)
			call("POST", "/api/v1/expenditures", NULL,
			     "{\"programme_id\":%lld,\"plan_id\":%lld,"
			     "\"amount_cents\":%d,\"spent_on\":\"%s\","
			     "\"description\":\"random\"}",
			     id, other, 1 + rand() % 400000, date);
		else
			call("POST", "/api/v1/expenditures", NULL,
			     "{\"programme_id\":%lld,\"amount_cents\":%d,"
			     "\"spent_on\":\"%s\",\"description\":\"random\"}",
			     id, 1 + rand() % 400000, date);
		return;
	case 2:
	case 3: /* a move of a cost */
		id = pick("SELECT id FROM expenditures WHERE status IN"
			  " ('submitted', 'approved')");
		other = id ? q1("SELECT status = 'submitted' FROM expenditures"
				" WHERE id = ?1",
				id, "", "")
			   : 0;
		sqlite3_close(db);
		if (!id)
			return;
		snprintf(path, sizeof(path), "/api/v1/expenditures/%lld/status",
			 id);
		call("POST", path, NULL, "{\"status\":\"%s\"}",
		     !other	  ? "paid"
		     : rand() % 5 ? "approved"
				  : "rejected");
		return;
	case 4: /* a submitted cost changed */
		id = pick("SELECT id FROM expenditures WHERE status ="
			  " 'submitted'");
		random_date(date);
		sqlite3_close(db);
		if (!id)
			return;
		snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", id);
		call("PATCH", path, NULL,
		     "{\"amount_cents\":%d,\"spent_on\":\"%s\"}",
		     1 + rand() % 300000, date);
		return;
	case 5: /* a submitted cost deleted */
		id = pick("SELECT id FROM expenditures WHERE status ="
			  " 'submitted'");
		sqlite3_close(db);
		if (!id)
			return;
		snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", id);
		call("DELETE", path, NULL, NULL);
		return;
	case 6: /* a booked cost corrected, and the correction approved */
		id = pick("SELECT id FROM expenditures WHERE status IN"
			  " ('approved', 'paid') AND corrects_id IS NULL");
		if (id) {
			long long programme = q1("SELECT programme_id FROM"
						 " expenditures WHERE id = ?1",
						 id, "", "");
			long long plan = q1("SELECT coalesce(plan_id, 0) FROM"
					    " expenditures WHERE id = ?1",
					    id, "", "");
			long long amount = q1("SELECT amount_cents FROM"
					      " expenditures WHERE id = ?1",
					      id, "", "");
			long long corr;
			char planned[40] = "";

			sqlite3_close(db);
			if (plan)
				snprintf(planned, sizeof(planned),
					 "\"plan_id\":%lld,", plan);
			random_date(date);
			if (call("POST", "/api/v1/expenditures", &corr,
				 "{\"programme_id\":%lld,%s\"corrects_id\":%lld,"
				 "\"amount_cents\":-%lld,\"spent_on\":\"%s\","
				 "\"description\":\"correctie\"}",
				 programme, planned, id,
				 1 + rand() % (amount > 1 ? amount / 2 : 1),
				 date) == 201) {
				snprintf(path, sizeof(path),
					 "/api/v1/expenditures/%lld/status",
					 corr);
				call("POST", path, NULL,
				     "{\"status\":\"approved\"}");
			}
			return;
		}
		sqlite3_close(db);
		return;
	case 7: /* a plan, approved */
		id = pick(PROGRAMMES);
		sqlite3_close(db);
		if (!id)
			return;
		{
			int y = 2025 + rand() % 20;

			call("POST", "/api/v1/plans", NULL,
			     "{\"programme_id\":%lld,\"school_id\":%d,"
			     "\"school_year\":\"%d-%d\",\"title\":\"r\","
			     "\"requested_cents\":%d}",
			     id, 1 + rand() % 4, y, y + 1,
			     1000 + rand() % 300000);
		}
		return;
	case 8: /* a plan moved on: submitted, approved, settled */
		id = pick(
			"SELECT p.id FROM plans p JOIN programmes pr ON"
			" pr.id = p.programme_id WHERE pr.budget_id = ?1"
			" AND p.status IN ('draft', 'submitted', 'approved')");
		other = id ? q1("SELECT requested_cents FROM plans WHERE"
				" id = ?1",
				id, "", "")
			   : 0;
		if (id) {
			long long st = q1("SELECT CASE status WHEN 'draft' THEN"
					  " 0 WHEN 'submitted' THEN 1 ELSE 2"
					  " END FROM plans WHERE id = ?1",
					  id, "", "");

			sqlite3_close(db);
			snprintf(path, sizeof(path),
				 "/api/v1/plans/%lld/status", id);
			if (st == 0)
				call("POST", path, NULL,
				     "{\"status\":\"submitted\"}");
			else if (st == 1)
				call("POST", path, NULL,
				     "{\"status\":\"approved\","
				     "\"approved_cents\":%lld}",
				     other ? 1 + rand() % other : 0);
			else if (rand() % 3 == 0)
				call("POST", path, NULL,
				     "{\"status\":\"settled\"}");
			return;
		}
		sqlite3_close(db);
		return;
	case 9: /* a reallocation between two goals */
		id = pick("SELECT id FROM goals WHERE budget_id = ?1");
		other = pick("SELECT id FROM goals WHERE budget_id = ?1");
		sqlite3_close(db);
		if (id && other && id != other)
			call("POST", "/api/v1/reallocations", NULL,
			     "{\"budget_id\":2,\"from\":{\"goal_id\":%lld},"
			     "\"to\":{\"goal_id\":%lld},\"amount_cents\":%d,"
			     "\"reason\":\"r\",\"decided_on\":\"2025-01-15\"}",
			     id, other, 1 + rand() % 5000);
		return;
	case 10: /* a programme made, or its budget changed */
		id = pick("SELECT id FROM goals WHERE budget_id = ?1");
		other = pick(PROGRAMMES);
		sqlite3_close(db);
		if (rand() % 2 && id)
			call("POST", "/api/v1/programmes", NULL,
			     "{\"goal_id\":%lld,\"name\":\"r\","
			     "\"budget_cents\":%d}",
			     id, rand() % 500000);
		else if (other) {
			snprintf(path, sizeof(path), "/api/v1/programmes/%lld",
				 other);
			call("PATCH", path, NULL, "{\"budget_cents\":%d}",
			     rand() % 500000);
		}
		return;
	default: /* a programme stopped or moved on */
		id = pick(PROGRAMMES);
		sqlite3_close(db);
		if (!id)
			return;
		snprintf(path, sizeof(path), "/api/v1/programmes/%lld/status",
			 id);
		call("POST", path, NULL, "{\"status\":\"%s\"}",
		     rand() % 4 ? "active" : "stopped");
		return;
	}
}

START_TEST(figures_equal_the_rows_after_random_writes)
{
	all_periods_equal_rows(); /* the demo as it is */
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < 60; i++)
			one_random_write();
		all_periods_equal_rows();
	}
}
END_TEST

/* --- the check of the kept sums --------------------------------------------- */

static void count_line(void *arg, const char *line)
{
	(void)line;
	(*(int *)arg)++;
}

/* figures_check on the file, as npo-budgetd check runs it. */
static long check(bool repair, int *lines)
{
	struct db *d;
	struct db_conn *c;
	struct npo_err err = { 0 };
	char msg[256];
	long n = -1;

	*lines = 0;
	ck_assert_int_eq(db_open(a.db_path, 1, &d, msg, sizeof(msg)), 0);
	c = db_acquire(d);
	ck_assert_int_eq(
		repair ? db_begin_write(c, &err) : db_begin_read(c, &err), 0);
	ck_assert_int_eq(figures_check(c, repair, count_line, lines, &n, &err),
			 0);
	if (repair)
		ck_assert_int_eq(db_commit(c, &err), 0);
	else
		db_rollback(c);
	db_release(d, c);
	db_close(d);
	return n;
}

START_TEST(the_check_finds_a_kept_sum_that_is_off_and_repairs_it)
{
	int lines;
	struct resp *r;
	long long spent;

	for (int i = 0; i < 80; i++)
		one_random_write();
	ck_assert_int_eq(check(false, &lines), 0);
	ck_assert_int_eq(lines, 0);
	r = api_req(&a, "GET", "/api/v1/budgets/2/status", a.read, NULL, NULL);
	spent = fig(json_object_get(r->json, "totals"), "spent_cents");
	resp_free(r);
	/* a kept sum off by a cent, and a plan's sum that is not there */
	api_sql(&a, "UPDATE programme_sums SET spent = spent + 1"
		    " WHERE (programme_id, month) = (SELECT programme_id, month"
		    " FROM programme_sums LIMIT 1);"
		    "DELETE FROM plan_sums WHERE plan_id = (SELECT min(plan_id)"
		    " FROM plan_sums WHERE spent != 0)");
	ck_assert_int_eq(check(false, &lines), 2);
	ck_assert_int_eq(lines, 2);
	ck_assert_int_eq(check(true, &lines), 0);
	ck_assert_int_eq(check(false, &lines), 0);
	r = api_req(&a, "GET", "/api/v1/budgets/2/status", a.read, NULL, NULL);
	ck_assert_int_eq(fig(json_object_get(r->json, "totals"), "spent_cents"),
			 spent);
	resp_free(r);
	all_periods_equal_rows();
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, figures_equal_the_rows_after_random_writes);
	tcase_add_test(tc,
		       the_check_finds_a_kept_sum_that_is_off_and_repairs_it);
}

CHECK_MAIN("figures")
