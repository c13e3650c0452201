/*
 * The rules of the domain through the write path itself (write.h), without
 * a daemon: creates, changes, deletes and moves of declared resources on a
 * real SQLite file, and what each refusal leaves behind (nothing).
 */
#include "../check_main.h"
#include "tmpdir.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "npo/money.h"
#include "npo/resource.h"
#include "npo/workflow.h"
#include "npo/write.h"

static char dir[256];
static char path[sizeof(dir) + 16];
static struct db *db;
static struct db_conn *c;

static void setup(void)
{
	char msg[512] = "";

	tmpdir_make(dir, sizeof(dir), "write");
	snprintf(path, sizeof(path), "%s/npo.db", dir);
	ck_assert_msg(db_open(path, 1, &db, msg, sizeof(msg)) == 0, "%s", msg);
	c = db_acquire(db);
}

static void teardown(void)
{
	db_release(db, c);
	db_close(db);
	tmpdir_remove(dir);
}

static int64_t count(const char *table)
{
	char sql[96];
	sqlite3_stmt *st;
	int64_t n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(c), sql, -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Applies w (body taken over); on success the id, else -1 with *e set. */
static int64_t apply(struct write w, json_t *body_new, enum npo_error *e)
{
	struct write_result out;
	struct npo_err err = { 0 };
	int64_t id = -1;

	w.body = body_new;
	w.actor = "unit";
	*e = NPO_E_NONE;
	if (write_apply(c, &w, &out, &err) == 0) {
		id = out.id;
		write_result_free(&out);
	} else {
		*e = err.e;
	}
	err_clear(&err);
	json_decref(body_new);
	return id;
}

/* apply() that must succeed. */
static int64_t ok(struct write w, json_t *body_new)
{
	enum npo_error e;
	int64_t id = apply(w, body_new, &e);

	ck_assert_msg(id > 0, "%s %d: refused with %s", w.res->name, w.op,
		      e ? npo_error_def(e)->code : "?");
	return id;
}

static int64_t budget(int64_t grant, const char *policy)
{
	return ok((struct write){ .res = &budget_resource, .op = WRITE_CREATE },
		  json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}",
			    "municipality_code", "GM0406", "municipality_name",
			    "Huizen", "name", "NPO", "grant_cents",
			    (json_int_t)grant, "spend_from", "2021-07-01",
			    "spend_until", "2025-07-31", "overrun_policy",
			    policy));
}

static json_t *goal_body(int64_t budget_id, const char *code, int64_t cents)
{
	return json_pack("{s:I, s:s, s:s, s:I}", "budget_id",
			 (json_int_t)budget_id, "code", code, "name", "Doel",
			 "allocated_cents", (json_int_t)cents);
}

START_TEST(a_create_is_stored_with_its_audit_row_and_revision)
{
	int64_t b = budget(100000, "warn");

	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(count("budgets"), 1);
	ck_assert_int_eq(count("audit"), 1);
	ck_assert_int_eq(count("meta WHERE key = 'revision' AND value = 1"), 1);
}
END_TEST

START_TEST(an_invalid_body_changes_nothing)
{
	enum npo_error e;

	ck_assert_int_eq(apply((struct write){ .res = &budget_resource,
					       .op = WRITE_CREATE },
			       json_pack("{s:s}", "name", "NPO"), &e),
			 -1);
	ck_assert_int_eq(e, NPO_E_VALIDATION_FAILED);
	ck_assert_int_eq(count("budgets"), 0);
	ck_assert_int_eq(count("audit"), 0);
}
END_TEST

START_TEST(goals_beyond_the_grant_stop_only_under_stop)
{
	int64_t warn = budget(1000, "warn"), stop = budget(1000, "stop");
	enum npo_error e;

	ok((struct write){ .res = &goal_resource, .op = WRITE_CREATE },
	   goal_body(warn, "1", 1500));
	ck_assert_int_eq(apply((struct write){ .res = &goal_resource,
					       .op = WRITE_CREATE },
			       goal_body(stop, "1", 1500), &e),
			 -1);
	ck_assert_int_eq(e, NPO_E_OVERRUN);
	ck_assert_int_eq(count("goals"), 1);
}
END_TEST

static bool names_version_7(int64_t version, const void *arg)
{
	(void)arg;
	return version == 7;
}

START_TEST(a_stale_version_is_refused_and_nothing_changes)
{
	int64_t b = budget(1000, "warn");
	enum npo_error e;
	struct write w = { &budget_resource, WRITE_UPDATE, .id = b,
			   .expects = names_version_7, .expected = "\"7\"" };

	ck_assert_int_eq(
		apply(w, json_pack("{s:I}", "grant_cents", (json_int_t)2000),
		      &e),
		-1);
	ck_assert_int_eq(e, NPO_E_VERSION_MISMATCH);
	ck_assert_int_eq(count("budgets WHERE grant_cents = 1000"), 1);
	ck_assert_int_eq(count("audit"), 1);
}
END_TEST

START_TEST(a_change_to_what_is_there_writes_nothing)
{
	int64_t b = budget(1000, "warn");
	struct write_result out;
	struct npo_err err = { 0 };
	json_t *same = json_pack("{s:I}", "grant_cents", (json_int_t)1000);

	ck_assert_int_eq(write_apply(c,
				     &(struct write){ .res = &budget_resource,
						      .op = WRITE_UPDATE,
						      .id = b,
						      .body = same,
						      .actor = "unit" },
				     &out, &err),
			 0);
	ck_assert(!out.changed);
	ck_assert_int_eq(
		json_integer_value(json_object_get(out.row, "version")), 1);
	write_result_free(&out);
	json_decref(same);
	ck_assert_int_eq(count("audit"), 1);
}
END_TEST

/* The workbook shows every status of every workflow in Dutch. */
START_TEST(every_status_has_a_dutch_word)
{
	const char *const *all[] = { plan_states, expenditure_states,
				     programme_states };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		for (const char *const *st = all[i]; *st; st++)
			ck_assert_msg(strcmp(workflow_label(*st), *st) != 0,
				      "%s has no Dutch word", *st);
	ck_assert_str_eq(workflow_label("approved"), "goedgekeurd");
	ck_assert_str_eq(workflow_label("unknown"), "unknown");
}
END_TEST

START_TEST(moves_follow_the_workflow)
{
	int64_t b = budget(100000, "warn"), g, p, x;
	enum npo_error e;

	g = ok((struct write){ .res = &goal_resource, .op = WRITE_CREATE },
	       goal_body(b, "1", 50000));
	p = ok((struct write){ .res = &programme_resource, .op = WRITE_CREATE },
	       json_pack("{s:I, s:s, s:I}", "goal_id", (json_int_t)g, "name",
			 "Zomerschool", "budget_cents", (json_int_t)50000));
	x = ok((struct write){ .res = &expenditure_resource,
			       .op = WRITE_CREATE },
	       json_pack("{s:I, s:I, s:s, s:s}", "programme_id", (json_int_t)p,
			 "amount_cents", (json_int_t)1000, "spent_on",
			 "2024-03-01", "description", "Factuur"));
	/* submitted -> paid skips approved */
	ck_assert_int_eq(apply((struct write){ .res = &expenditure_resource,
					       .op = WRITE_MOVE,
					       .id = x },
			       json_pack("{s:s}", "status", "paid"), &e),
			 -1);
	ck_assert_int_eq(e, NPO_E_TRANSITION_NOT_ALLOWED);
	ok((struct write){ .res = &expenditure_resource,
			   .op = WRITE_MOVE,
			   .id = x },
	   json_pack("{s:s, s:s}", "status", "approved", "note", "akkoord"));
	ck_assert_int_eq(count("expenditures WHERE status = 'approved'"), 1);
	ck_assert_int_eq(count("audit WHERE action = 'status'"
			       " AND note = 'akkoord'"),
			 1);
	/* an approved cost is not deleted */
	ck_assert_int_eq(apply((struct write){ .res = &expenditure_resource,
					       .op = WRITE_DELETE,
					       .id = x },
			       NULL, &e),
			 -1);
	ck_assert_int_eq(e, NPO_E_NOT_DELETABLE);
	/* a status that is none of the workflow's */
	ck_assert_int_eq(apply((struct write){ .res = &expenditure_resource,
					       .op = WRITE_MOVE,
					       .id = x },
			       json_pack("{s:s}", "status", "booked"), &e),
			 -1);
	ck_assert_int_eq(e, NPO_E_VALIDATION_FAILED);
}
END_TEST

START_TEST(a_reallocation_moves_both_lines_never_below_what_is_spent)
{
	int64_t b = budget(100000, "warn"), g1, g2, p;
	enum npo_error e;
	json_t *move = json_pack("{s:I, s:{s:I}, s:{s:I}, s:I, s:s, s:s}",
				 "budget_id", (json_int_t)b, "from", "goal_id",
				 (json_int_t)1, "to", "goal_id", (json_int_t)2,
				 "amount_cents", (json_int_t)20000, "reason",
				 "herschikking", "decided_on", "2024-01-15");

	g1 = ok((struct write){ .res = &goal_resource, .op = WRITE_CREATE },
		goal_body(b, "1", 50000));
	g2 = ok((struct write){ .res = &goal_resource, .op = WRITE_CREATE },
		goal_body(b, "2", 10000));
	ck_assert_int_eq(g1, 1);
	ck_assert_int_eq(g2, 2);
	ok((struct write){ .res = &reallocation_resource, .op = WRITE_CREATE },
	   json_incref(move));
	ck_assert_int_eq(
		count("goals WHERE id = 1 AND allocated_cents = 30000"), 1);
	ck_assert_int_eq(
		count("goals WHERE id = 2 AND allocated_cents = 30000"), 1);
	/* spent under goal 1: 30000 - 25000 leaves 5000 to move */
	p = ok((struct write){ .res = &programme_resource, .op = WRITE_CREATE },
	       json_pack("{s:I, s:s, s:I}", "goal_id", (json_int_t)g1, "name",
			 "Bijles", "budget_cents", (json_int_t)25000));
	ok((struct write){ .res = &expenditure_resource,
			   .op = WRITE_MOVE,
			   .id = ok((struct write){ .res = &expenditure_resource,
						    .op = WRITE_CREATE },
				    json_pack("{s:I, s:I, s:s, s:s}",
					      "programme_id", (json_int_t)p,
					      "amount_cents", (json_int_t)25000,
					      "spent_on", "2024-03-01",
					      "description", "Factuur")) },
	   json_pack("{s:s}", "status", "approved"));
	ck_assert_int_eq(apply((struct write){ .res = &reallocation_resource,
					       .op = WRITE_CREATE },
			       move, &e),
			 -1);
	ck_assert_int_eq(e, NPO_E_BELOW_COMMITTED);
	ck_assert_int_eq(count("reallocations"), 1);
	ck_assert_int_eq(
		count("goals WHERE id = 1 AND allocated_cents = 30000"), 1);
}
END_TEST

START_TEST(a_write_past_what_int64_can_count_is_refused)
{
	int64_t b = budget(MONEY_MAX_CENTS, "warn"), g;
	enum npo_error e;
	char sql[512];

	g = ok((struct write){ .res = &goal_resource, .op = WRITE_CREATE },
	       goal_body(b, "1", 0));
	/* 9223 programmes of the largest amount fit, one more does not */
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1"
		 " FROM s WHERE i < 9223) INSERT INTO programmes (created_at,"
		 " updated_at, goal_id, budget_id, name, budget_cents)"
		 " SELECT 'x', 'x', %lld, %lld, 'p', %lld FROM s",
		 (long long)g, (long long)b, (long long)MONEY_MAX_CENTS);
	ck_assert_int_eq(sqlite3_exec(db_handle(c), sql, NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(apply((struct write){ .res = &programme_resource,
					       .op = WRITE_CREATE },
			       json_pack("{s:I, s:s, s:I}", "goal_id",
					 (json_int_t)g, "name", "Eén te veel",
					 "budget_cents",
					 (json_int_t)MONEY_MAX_CENTS),
			       &e),
			 -1);
	ck_assert_int_eq(e, NPO_E_OVERFLOW);
	ck_assert_int_eq(count("programmes"), 9223);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_create_is_stored_with_its_audit_row_and_revision);
	tcase_add_test(tc, an_invalid_body_changes_nothing);
	tcase_add_test(tc, goals_beyond_the_grant_stop_only_under_stop);
	tcase_add_test(tc, a_stale_version_is_refused_and_nothing_changes);
	tcase_add_test(tc, a_change_to_what_is_there_writes_nothing);
	tcase_add_test(tc, every_status_has_a_dutch_word);
	tcase_add_test(tc, moves_follow_the_workflow);
	tcase_add_test(
		tc, a_reallocation_moves_both_lines_never_below_what_is_spent);
	tcase_add_test(tc, a_write_past_what_int64_can_count_is_refused);
}

CHECK_MAIN("write")
