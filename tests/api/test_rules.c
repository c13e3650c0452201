/* The rules of docs/domain.md against the real daemon: the workflows of
 * plans, expenditures and programmes, deleting only in the first status,
 * the overrun rules under warn and stop at every level, reallocations, no
 * over-commitment under concurrency, and the audit trail of it all. */
#include <curl/curl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_CASES
#include "../check_main.h"
#include "fixture.h"
#include "harness.h"
#include "npo/util.h"

static struct api a;

static void setup(void)
{
	api_up(&a);
}
static void teardown(void)
{
	api_down(&a);
}

/* --- helpers ----------------------------------------------------------- */

/* Sends body (taken over) with method to path as the writer. */
static struct resp *send_json(const char *method, const char *path,
			      json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);
	struct resp *r = api_req(&a, method, path, a.write, s, NULL);

	free(s);
	json_decref(body);
	return r;
}

/* POST /api/v1/{kind}/{id}/status with status, approved_cents when >= 0
 * and note when not NULL. */
static struct resp *move(const char *kind, long long id, const char *status,
			 long long approved, const char *note)
{
	json_t *b = json_pack("{s:s}", "status", status);
	char path[128];

	if (approved >= 0)
		json_object_set_new(b, "approved_cents",
				    json_integer(approved));
	if (note)
		json_object_set_new(b, "note", json_string(note));
	snprintf(path, sizeof(path), "/api/v1/%s/%lld/status", kind, id);
	return send_json("POST", path, b);
}

static void move_ok(const char *kind, long long id, const char *status,
		    long long approved)
{
	struct resp *r = move(kind, id, status, approved, NULL);

	ck_assert_msg(r->status == 200, "%s %lld -> %s: %ld %s", kind, id,
		      status, r->status, r->body);
	ck_assert_str_eq(jstr(r, "status"), status);
	resp_free(r);
}

/* A plan of programme brought into state (requested 10000, approved in
 * full where it is approved). */
static long long plan_in(long long programme, long long school,
			 const char *state)
{
	long long id = fx_plan(&a, (struct fx_plan){ .programme = programme,
						     .school = school,
						     .requested = 10000 });

	if (strcmp(state, "draft") == 0)
		return id;
	if (strcmp(state, "withdrawn") == 0) {
		move_ok("plans", id, "withdrawn", -1);
		return id;
	}
	move_ok("plans", id, "submitted", -1);
	if (strcmp(state, "submitted") == 0)
		return id;
	if (strcmp(state, "rejected") == 0) {
		move_ok("plans", id, "rejected", -1);
		return id;
	}
	move_ok("plans", id, "approved", 10000);
	if (strcmp(state, "settled") == 0)
		move_ok("plans", id, "settled", -1);
	return id;
}

static long long exp_in(long long programme, const char *state)
{
	long long id = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = programme,
					     .plan = 0,
					     .amount = 1000 });

	if (strcmp(state, "submitted") == 0)
		return id;
	if (strcmp(state, "rejected") == 0) {
		move_ok("expenditures", id, "rejected", -1);
		return id;
	}
	move_ok("expenditures", id, "approved", -1);
	if (strcmp(state, "paid") == 0)
		move_ok("expenditures", id, "paid", -1);
	return id;
}

static long long programme_in(long long goal, const char *state)
{
	long long id = fx_programme(&a, (struct fx_programme){ .goal = goal,
							       .budget = 0 });

	if (strcmp(state, "planned") == 0)
		return id;
	if (strcmp(state, "stopped") == 0) {
		move_ok("programmes", id, "stopped", -1);
		return id;
	}
	move_ok("programmes", id, "active", -1);
	if (strcmp(state, "completed") == 0)
		move_ok("programmes", id, "completed", -1);
	return id;
}

static struct resp *get(const char *fmt, long long id)
{
	char path[256];

	snprintf(path, sizeof(path), fmt, id);
	return api_req(&a, "GET", path, a.admin, NULL, NULL);
}

/* The JSON body of GET path (fmt with one id), owned by the caller. */
static json_t *get_json(const char *fmt, long long id)
{
	struct resp *r = get(fmt, id);
	json_t *j;

	ck_assert_msg(r->status == 200, "%s: %ld %s", fmt, r->status, r->body);
	j = json_incref(r->json);
	resp_free(r);
	return j;
}

static long long jget(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *jgets(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static long long audit_total(void)
{
	struct resp *r = api_req(&a, "GET", "/api/v1/audit?count=true", a.admin,
				 NULL, NULL);
	long long n = jint(r, "total");

	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	return n;
}

static long long count_of(const char *path)
{
	struct resp *r = api_req(&a, "GET", path, a.admin, NULL, NULL);
	long long n = jint(r, "total");

	ck_assert_msg(r->status == 200, "%s: %ld", path, r->status);
	resp_free(r);
	return n;
}

/* The warning of budget with code about entity id (NULL if none): its
 * amount_cents in *amount. */
static bool has_warning(long long budget, const char *code, const char *entity,
			long long id, long long *amount)
{
	json_t *s = get_json("/api/v1/budgets/%lld/status", budget);
	const json_t *w;
	size_t i;
	bool found = false;

	json_array_foreach(json_object_get(s, "warnings"), i, w)
	{
		if (strcmp(jgets(w, "code"), code) == 0 &&
		    strcmp(jgets(w, "entity"), entity) == 0 &&
		    jget(w, "id") == id) {
			found = true;
			if (amount)
				*amount = jget(w, "amount_cents");
		}
	}
	json_decref(s);
	return found;
}

static bool has_any_warning(long long budget, const char *code)
{
	json_t *s = get_json("/api/v1/budgets/%lld/status", budget);
	const json_t *w;
	size_t i;
	bool found = false;

	json_array_foreach(json_object_get(s, "warnings"), i, w)
		found |= strcmp(jgets(w, "code"), code) == 0;
	json_decref(s);
	return found;
}

/* The row of the status's goals or programmes with id. */
static long long status_figure(long long budget, const char *list, long long id,
			       const char *figure)
{
	json_t *s = get_json("/api/v1/budgets/%lld/status", budget);
	const json_t *row;
	size_t i;
	long long v = -2;

	json_array_foreach(json_object_get(s, list), i,
			   row) if (jget(row, "id") == id)
		v = jget(row, figure);
	json_decref(s);
	return v;
}

static long long total_figure(long long budget, const char *figure)
{
	json_t *s = get_json("/api/v1/budgets/%lld/status", budget);
	long long v = jget(json_object_get(s, "totals"), figure);

	json_decref(s);
	return v;
}

/* Asserts a 409 transition_not_allowed from status `from` whose allowed
 * lists exactly the NULL-terminated moves (in any order). */
static void assert_refused(struct resp *r, const char *what, const char *from,
			   const char *const *allowed)
{
	const json_t *list = json_object_get(r->json, "allowed");
	size_t n = 0;

	ck_assert_msg(r->status == 409, "%s: %ld %s", what, r->status, r->body);
	ck_assert_str_eq(jstr(r, "code"), "transition_not_allowed");
	ck_assert_str_eq(jstr(r, "current_status"), from);
	ck_assert_int_eq(jint(r, "status"), 409);
	ck_assert_msg(json_is_array(list), "%s: allowed is not an array", what);
	for (; allowed[n]; n++) {
		bool seen = false;
		size_t i;
		const json_t *v;

		json_array_foreach(list, i, v)
			seen |= strcmp(json_string_value(v), allowed[n]) == 0;
		ck_assert_msg(seen, "%s: %s missing from allowed %s", what,
			      allowed[n], r->body);
	}
	ck_assert_msg(json_array_size(list) == n, "%s: allowed %s", what,
		      r->body);
	ck_assert_str_eq(resp_header(r, "Content-Type"),
			 "application/problem+json");
}

/* Asserts the 409 overrun body. */
static void assert_overrun(struct resp *r, const char *rule, const char *entity,
			   long long id, long long parent, long long used,
			   long long asked)
{
	const json_t *p = json_object_get(r->json, "parent");

	ck_assert_msg(r->status == 409, "%s: %ld %s", rule, r->status, r->body);
	ck_assert_str_eq(jstr(r, "code"), "overrun");
	ck_assert_str_eq(jstr(r, "rule"), rule);
	ck_assert_str_eq(jgets(p, "entity"), entity);
	ck_assert_int_eq(jget(p, "id"), id);
	ck_assert_int_eq(jint(r, "parent_cents"), parent);
	ck_assert_int_eq(jint(r, "used_cents"), used);
	ck_assert_int_eq(jint(r, "asked_cents"), asked);
	ck_assert_int_eq(jint(r, "over_cents"), used + asked - parent);
}

/* The field of the first error of a 422, and its code. */
static void assert_invalid(struct resp *r, const char *field, const char *code)
{
	const json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);

	ck_assert_msg(r->status == 422, "%s: %ld %s", field, r->status,
		      r->body);
	ck_assert_str_eq(jstr(r, "code"), "validation_failed");
	ck_assert_msg(strcmp(jgets(e, "field"), field) == 0, "want %s: %s",
		      field, r->body);
	if (code)
		ck_assert_msg(strcmp(jgets(e, "code"), code) == 0,
			      "want %s %s: %s", field, code, r->body);
}

struct fx {
	long long budget, goal, programme, school;
};

/* A budget with a goal and a programme, each of amount. */
static struct fx fixture(long long amount, const char *policy)
{
	struct fx f;

	f.budget = fx_budget(&a, (struct fx_budget){ .grant = amount,
						     .policy = policy,
						     .until = "2030-07-31" });
	f.goal = fx_goal(&a, (struct fx_goal){ .budget = f.budget,
					       .code = "1",
					       .allocated = amount });
	f.programme = fx_programme(
		&a, (struct fx_programme){ .goal = f.goal, .budget = amount });
	f.school = fx_school(&a, (struct fx_school){ .gm = "GM0402" });
	return f;
}

/* --- 1. workflows ------------------------------------------------------ */

START_TEST(plan_moves_from_draft_to_settled)
{
	struct fx f = fixture(1000000, "warn");
	long long id = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						     .school = f.school,
						     .requested = 25000 });
	struct resp *r;
	json_t *p;

	p = get_json("/api/v1/plans/%lld", id);
	ck_assert_str_eq(jgets(p, "status"), "draft");
	ck_assert(json_is_null(json_object_get(p, "approved_cents")));
	ck_assert(json_is_null(json_object_get(p, "submitted_at")));
	ck_assert(json_is_null(json_object_get(p, "decided_at")));
	json_decref(p);

	r = move("plans", id, "submitted", -1, "ingediend door de school");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "status"), "submitted");
	ck_assert_int_eq(jint(r, "version"), 2);
	ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
	ck_assert_int_eq(strlen(jstr(r, "submitted_at")), 20);
	ck_assert_int_eq(jstr(r, "submitted_at")[19], 'Z');
	ck_assert(json_is_null(json_object_get(r->json, "decided_at")));
	ck_assert(json_is_null(json_object_get(r->json, "approved_cents")));
	resp_free(r);

	r = move("plans", id, "approved", 20000, "akkoord");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "status"), "approved");
	ck_assert_int_eq(jint(r, "approved_cents"), 20000);
	ck_assert_int_eq(jint(r, "requested_cents"), 25000);
	ck_assert_int_eq(jint(r, "version"), 3);
	ck_assert_int_eq(strlen(jstr(r, "submitted_at")), 20);
	ck_assert_int_eq(strlen(jstr(r, "decided_at")), 20);
	ck_assert_int_eq(jstr(r, "decided_at")[19], 'Z');
	resp_free(r);

	r = move("plans", id, "settled", -1, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "status"), "settled");
	ck_assert_int_eq(jint(r, "approved_cents"), 20000);
	ck_assert_int_eq(jint(r, "version"), 4);
	resp_free(r);

	p = get_json("/api/v1/plans/%lld", id);
	ck_assert_str_eq(jgets(p, "status"), "settled");
	ck_assert_int_eq(jget(p, "approved_cents"), 20000);
	ck_assert_int_eq(strlen(jgets(p, "decided_at")), 20);
	/* settled without an amount: what was spent on it, here nothing, and
	 * that is what it commits; the rest of its approval is free again */
	ck_assert_int_eq(jget(p, "settled_cents"), 0);
	json_decref(p);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "committed_cents"),
			 0);
}
END_TEST

/* The vaststelling: settled_cents from 0 to approved_cents (or what was
 * spent when not given), read-only, null until settled; the settled plan
 * commits it, and what it declares is held to it. */
START_TEST(a_settled_plan_commits_its_settled_amount)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 50000 });
	long long other =
		fx_plan(&a, (struct fx_plan){ .programme = f.programme,
					      .school = f.school,
					      .requested = 50000 });
	json_t *body;
	struct resp *r;

	move_ok("plans", plan, "submitted", -1);
	move_ok("plans", plan, "approved", 40000);
	move_ok("expenditures",
		fx_expenditure(&a, (struct fx_expenditure){ .programme =
								    f.programme,
							    .plan = plan,
							    .amount = 12000 }),
		"approved", -1);
	r = get("/api/v1/plans/%lld", plan);
	ck_assert(json_is_null(json_object_get(r->json, "settled_cents")));
	resp_free(r);
	/* only with the settlement, and never above what was approved */
	body = json_pack("{s:s, s:I}", "status", "submitted", "settled_cents",
			 (json_int_t)1);
	r = send_json("POST", "/api/v1/plans/2/status", body);
	assert_invalid(r, "settled_cents", "not_allowed");
	resp_free(r);
	body = json_pack("{s:s, s:I}", "status", "settled", "settled_cents",
			 (json_int_t)40001);
	r = send_json("POST", "/api/v1/plans/1/status", body);
	assert_invalid(r, "settled_cents", "range");
	resp_free(r);
	/* read-only in a PATCH */
	body = json_pack("{s:I}", "settled_cents", (json_int_t)1);
	r = send_json("PATCH", "/api/v1/plans/1", body);
	assert_invalid(r, "settled_cents", "read_only");
	resp_free(r);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "committed_cents"),
			 40000);
	body = json_pack("{s:s, s:I}", "status", "settled", "settled_cents",
			 (json_int_t)15000);
	r = send_json("POST", "/api/v1/plans/1/status", body);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_int_eq(jint(r, "settled_cents"), 15000);
	ck_assert_int_eq(jint(r, "approved_cents"), 40000);
	resp_free(r);
	/* it commits 15000; its open commitment is 15000 - 12000 */
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "committed_cents"),
			 15000);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "open_commitments_cents"),
			 3000);
	ck_assert_int_eq(total_figure(f.budget, "committed_cents"), 15000);
	/* the other plan settles at what was spent on it: nothing */
	move_ok("plans", other, "submitted", -1);
	move_ok("plans", other, "approved", 30000);
	move_ok("plans", other, "settled", -1);
	r = get("/api/v1/plans/%lld", other);
	ck_assert_int_eq(jint(r, "settled_cents"), 0);
	resp_free(r);
	ck_assert_int_eq(total_figure(f.budget, "committed_cents"), 15000);
}
END_TEST

START_TEST(plan_is_rejected_or_withdrawn)
{
	struct fx f = fixture(1000000, "warn");
	long long rejected =
		fx_plan(&a, (struct fx_plan){ .programme = f.programme,
					      .school = f.school,
					      .requested = 5000 });
	long long w1 = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						     .school = f.school,
						     .requested = 5000 });
	long long w2 = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						     .school = f.school,
						     .requested = 5000 });
	struct resp *r;

	move_ok("plans", rejected, "submitted", -1);
	r = move("plans", rejected, "rejected", -1, "past niet in de regeling");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "status"), "rejected");
	ck_assert(json_is_null(json_object_get(r->json, "approved_cents")));
	ck_assert_int_eq(strlen(jstr(r, "submitted_at")), 20);
	ck_assert_int_eq(strlen(jstr(r, "decided_at")), 20);
	resp_free(r);

	/* draft -> withdrawn: never submitted, never decided */
	r = move("plans", w1, "withdrawn", -1, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "status"), "withdrawn");
	ck_assert(json_is_null(json_object_get(r->json, "submitted_at")));
	ck_assert(json_is_null(json_object_get(r->json, "decided_at")));
	resp_free(r);

	/* submitted -> withdrawn */
	move_ok("plans", w2, "submitted", -1);
	r = move("plans", w2, "withdrawn", -1, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "status"), "withdrawn");
	ck_assert_int_eq(strlen(jstr(r, "submitted_at")), 20);
	ck_assert(json_is_null(json_object_get(r->json, "decided_at")));
	resp_free(r);
	/* none of them commits anything */
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "committed_cents"),
			 0);
}
END_TEST

/* Every move the workflow does not list, from every status. */
static const char *const plan_states[] = { "draft",    "submitted", "approved",
					   "rejected", "withdrawn", "settled" };

static const char *const *plan_allowed(const char *from)
{
	static const char *const draft[] = { "submitted", "withdrawn", NULL };
	static const char *const submitted[] = { "approved", "rejected",
						 "withdrawn", NULL };
	static const char *const approved[] = { "settled", NULL };
	static const char *const none[] = { NULL };

	return strcmp(from, "draft") == 0	? draft
	       : strcmp(from, "submitted") == 0 ? submitted
	       : strcmp(from, "approved") == 0	? approved
						: none;
}

static bool listed(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

START_TEST(plan_moves_not_in_the_workflow_are_409_with_allowed)
{
	struct fx f = fixture(100000000, "warn");
	long long audit;

	for (size_t i = 0; i < 6; i++) {
		const char *from = plan_states[i];
		long long id = plan_in(f.programme, f.school, from);
		json_t *before = get_json("/api/v1/plans/%lld", id);

		audit = audit_total();
		for (size_t j = 0; j < 6; j++) {
			const char *to = plan_states[j];
			char what[64];
			struct resp *r;
			json_t *now;

			if (listed(plan_allowed(from), to))
				continue;
			snprintf(what, sizeof(what), "plan %s -> %s", from, to);
			r = move("plans", id, to,
				 strcmp(to, "approved") == 0 ? 10000 : -1,
				 "poging");
			assert_refused(r, what, from, plan_allowed(from));
			resp_free(r);
			now = get_json("/api/v1/plans/%lld", id);
			ck_assert_msg(json_equal(before, now),
				      "%s changed the plan", what);
			json_decref(now);
		}
		ck_assert_int_eq(audit_total(), audit);
		json_decref(before);
	}
}
END_TEST

/*
 * The workflows of expenditures and programmes, written out: from every
 * status, every move the workflow has succeeds (one version more), and every
 * other one is 409 transition_not_allowed naming the moves there are, and
 * changes nothing.
 */
static const struct workflow_case {
	const char *kind; /* the collection */
	const char *states[4];
	const char *allowed[4][3]; /* from states[i], NULL-ended */
	const char *path[4][3];	   /* from the first status into states[i] */
} workflows[] = {
	{ "expenditures",
	  { "submitted", "approved", "rejected", "paid" },
	  { { "approved", "rejected" }, { "paid" }, { NULL }, { NULL } },
	  { { NULL }, { "approved" }, { "rejected" }, { "approved", "paid" } } },
	{ "programmes",
	  { "planned", "active", "completed", "stopped" },
	  { { "active", "stopped" },
	    { "completed", "stopped" },
	    { NULL },
	    { NULL } },
	  { { NULL }, { "active" }, { "active", "completed" }, { "stopped" } } },
};

/* A new row of w's kind in states[i], moved there along path[i]. */
static long long row_in(const struct workflow_case *w, const struct fx *f,
			size_t i)
{
	long long id =
		strcmp(w->kind, "expenditures") == 0
			? fx_expenditure(&a,
					 (struct fx_expenditure){
						 .programme = f->programme,
						 .plan = 0,
						 .amount = 1000 })
			: fx_programme(&a,
				       (struct fx_programme){ .goal = f->goal,
							      .budget = 0 });

	for (const char *const *m = w->path[i]; *m; m++)
		move_ok(w->kind, id, *m, -1);
	return id;
}

START_TEST(moves_of_every_workflow_as_written)
{
	struct fx f = fixture(1000000, "warn");
	char path[64], what[96];
	struct resp *r;

	for (size_t k = 0; k < ARRAY_SIZE(workflows); k++) {
		const struct workflow_case *w = &workflows[k];

		for (size_t i = 0; i < 4; i++) {
			const char *from = w->states[i];
			long long id;
			json_t *before;
			long long audit;

			/* every move there is */
			for (const char *const *to = w->allowed[i]; *to; to++) {
				id = row_in(w, &f, i);
				snprintf(path, sizeof(path), "/api/v1/%s/%%lld",
					 w->kind);
				before = get_json(path, id);
				r = move(w->kind, id, *to, -1, "gecontroleerd");
				ck_assert_msg(r->status == 200,
					      "%s %s -> %s: %ld", w->kind, from,
					      *to, r->status);
				ck_assert_str_eq(jstr(r, "status"), *to);
				ck_assert_int_eq(jint(r, "version"),
						 jget(before, "version") + 1);
				resp_free(r);
				json_decref(before);
			}
			/* and no other */
			id = row_in(w, &f, i);
			snprintf(path, sizeof(path), "/api/v1/%s/%%lld",
				 w->kind);
			before = get_json(path, id);
			ck_assert_str_eq(jgets(before, "status"), from);
			audit = audit_total();
			for (size_t j = 0; j < 4; j++) {
				json_t *now;

				if (listed(w->allowed[i], w->states[j]))
					continue;
				snprintf(what, sizeof(what), "%s %s -> %s",
					 w->kind, from, w->states[j]);
				r = move(w->kind, id, w->states[j], -1, NULL);
				assert_refused(r, what, from, w->allowed[i]);
				resp_free(r);
				now = get_json(path, id);
				ck_assert_msg(json_equal(before, now),
					      "%s changed it", what);
				json_decref(now);
			}
			ck_assert_int_eq(audit_total(), audit);
			json_decref(before);
		}
	}
}
END_TEST

START_TEST(status_bodies_are_validated)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 10000 });
	long long e = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = f.programme,
					     .plan = 0,
					     .amount = 1000 });
	long long audit = audit_total();
	struct resp *r;
	json_t *before;
	char path[128];

	/* not a status of the resource at all, or of another resource */
	r = move("plans", plan, "done", -1, NULL);
	assert_invalid(r, "status", "enum");
	resp_free(r);
	r = move("plans", plan, "paid", -1, NULL);
	assert_invalid(r, "status", NULL);
	resp_free(r);
	r = move("expenditures", e, "settled", -1, NULL);
	assert_invalid(r, "status", NULL);
	resp_free(r);
	r = move("programmes", f.programme, "approved", -1, NULL);
	assert_invalid(r, "status", NULL);
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/plans/%lld/status", plan);
	r = api_req(&a, "POST", path, a.write, "{}", NULL);
	assert_invalid(r, "status", "required");
	resp_free(r);
	r = api_req(&a, "POST", path, a.write, "{\"status\":3}", NULL);
	assert_invalid(r, "status", NULL);
	resp_free(r);
	r = api_req(&a, "POST", path, a.write,
		    "{\"status\":\"submitted\",\"statsu\":\"x\"}", NULL);
	assert_invalid(r, "statsu", "unknown_field");
	resp_free(r);

	/* approved_cents belongs only to a plan's approval */
	r = move("expenditures", e, "approved", 1000, NULL);
	assert_invalid(r, "approved_cents", "unknown_field");
	resp_free(r);
	r = move("programmes", f.programme, "active", 0, NULL);
	assert_invalid(r, "approved_cents", "unknown_field");
	resp_free(r);
	r = move("plans", plan, "submitted", 10000, NULL);
	assert_invalid(r, "approved_cents", NULL);
	resp_free(r);

	move_ok("plans", plan, "submitted", -1);
	audit = audit_total();
	before = get_json("/api/v1/plans/%lld", plan);
	r = move("plans", plan, "approved", -1, NULL);
	assert_invalid(r, "approved_cents", "required");
	resp_free(r);
	r = move("plans", plan, "approved", 10001, NULL);
	assert_invalid(r, "approved_cents", NULL);
	resp_free(r);
	r = api_req(&a, "POST", path, a.write,
		    "{\"status\":\"approved\",\"approved_cents\":-5}", NULL);
	assert_invalid(r, "approved_cents", NULL);
	resp_free(r);
	r = api_req(&a, "POST", path, a.write,
		    "{\"status\":\"approved\",\"approved_cents\":null}", NULL);
	assert_invalid(r, "approved_cents", NULL);
	resp_free(r);
	r = move("plans", plan, "rejected", 5000, NULL);
	assert_invalid(r, "approved_cents", NULL);
	resp_free(r);
	r = move("plans", plan, "withdrawn", 0, NULL);
	assert_invalid(r, "approved_cents", NULL);
	resp_free(r);
	{
		json_t *now = get_json("/api/v1/plans/%lld", plan);

		ck_assert(json_equal(before, now));
		json_decref(now);
	}
	ck_assert_int_eq(audit_total(), audit);
	json_decref(before);

	/* exactly the requested amount is fine */
	r = move("plans", plan, "approved", 10000, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "approved_cents"), 10000);
	resp_free(r);

	/* a move of something that is not there */
	r = move("plans", 999, "submitted", -1, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
	r = move("expenditures", 999, "approved", -1, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
	r = move("programmes", 999, "active", -1, NULL);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
}
END_TEST

START_TEST(status_is_read_only_in_create_and_patch)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 10000 });
	long long e = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = f.programme,
					     .plan = 0,
					     .amount = 1000 });
	long long audit = audit_total();
	struct resp *r;
	char path[128];

	r = send_json("POST", "/api/v1/plans",
		      json_pack("{s:I, s:I, s:s, s:s, s:I, s:s}",
				"programme_id", (json_int_t)f.programme,
				"school_id", (json_int_t)f.school,
				"school_year", "2030-2031", "title", "T",
				"requested_cents", (json_int_t)100, "status",
				"approved"));
	assert_invalid(r, "status", "read_only");
	resp_free(r);
	r = send_json("POST", "/api/v1/plans",
		      json_pack("{s:I, s:I, s:s, s:s, s:I, s:I}",
				"programme_id", (json_int_t)f.programme,
				"school_id", (json_int_t)f.school,
				"school_year", "2030-2031", "title", "T",
				"requested_cents", (json_int_t)100,
				"approved_cents", (json_int_t)100));
	assert_invalid(r, "approved_cents", "read_only");
	resp_free(r);
	r = send_json("POST", "/api/v1/expenditures",
		      json_pack("{s:I, s:I, s:s, s:s, s:s}", "programme_id",
				(json_int_t)f.programme, "amount_cents",
				(json_int_t)100, "spent_on", "2023-01-01",
				"description", "x", "status", "paid"));
	assert_invalid(r, "status", "read_only");
	resp_free(r);
	r = send_json("POST", "/api/v1/programmes",
		      json_pack("{s:I, s:s, s:I, s:s}", "goal_id",
				(json_int_t)f.goal, "name", "P", "budget_cents",
				(json_int_t)0, "status", "active"));
	assert_invalid(r, "status", "read_only");
	resp_free(r);

	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	r = api_req(&a, "PATCH", path, a.write, "{\"status\":\"submitted\"}",
		    NULL);
	assert_invalid(r, "status", "read_only");
	resp_free(r);
	r = api_req(&a, "PATCH", path, a.write,
		    "{\"submitted_at\":\"2024-01-01T00:00:00Z\"}", NULL);
	assert_invalid(r, "submitted_at", "read_only");
	resp_free(r);
	r = api_req(&a, "PATCH", path, a.write,
		    "{\"decided_at\":\"2024-01-01T00:00:00Z\"}", NULL);
	assert_invalid(r, "decided_at", "read_only");
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", e);
	r = api_req(&a, "PATCH", path, a.write, "{\"status\":\"approved\"}",
		    NULL);
	assert_invalid(r, "status", "read_only");
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/programmes/%lld", f.programme);
	r = api_req(&a, "PATCH", path, a.write, "{\"status\":\"stopped\"}",
		    NULL);
	assert_invalid(r, "status", "read_only");
	resp_free(r);

	ck_assert_int_eq(audit_total(), audit);
	r = get("/api/v1/plans/%lld", plan);
	ck_assert_str_eq(jstr(r, "status"), "draft");
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	r = get("/api/v1/programmes/%lld", f.programme);
	ck_assert_str_eq(jstr(r, "status"), "planned");
	resp_free(r);
}
END_TEST

START_TEST(status_moves_need_a_write_token)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 10000 });
	long long e = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = f.programme,
					     .plan = 0,
					     .amount = 1000 });
	const char *paths[3];
	char p[3][128];
	struct resp *r;

	snprintf(p[0], sizeof(p[0]), "/api/v1/plans/%lld/status", plan);
	snprintf(p[1], sizeof(p[1]), "/api/v1/expenditures/%lld/status", e);
	snprintf(p[2], sizeof(p[2]), "/api/v1/programmes/%lld/status",
		 f.programme);
	paths[0] = p[0];
	paths[1] = p[1];
	paths[2] = p[2];
	static const char *const bodies[] = { "{\"status\":\"submitted\"}",
					      "{\"status\":\"approved\"}",
					      "{\"status\":\"active\"}" };
	for (int i = 0; i < 3; i++) {
		r = api_req(&a, "POST", paths[i], a.read, bodies[i], NULL);
		ck_assert_msg(r->status == 403, "%s: %ld", paths[i], r->status);
		resp_free(r);
		r = api_req(&a, "POST", paths[i], NULL, bodies[i], NULL);
		ck_assert_msg(r->status == 401, "%s: %ld", paths[i], r->status);
		resp_free(r);
	}
	r = get("/api/v1/plans/%lld", plan);
	ck_assert_str_eq(jstr(r, "status"), "draft");
	resp_free(r);
	r = get("/api/v1/expenditures/%lld", e);
	ck_assert_str_eq(jstr(r, "status"), "submitted");
	resp_free(r);
	/* admin is more than write */
	for (int i = 0; i < 3; i++) {
		r = api_req(&a, "POST", paths[i], a.admin, bodies[i], NULL);
		ck_assert_msg(r->status == 200, "%s: %ld", paths[i], r->status);
		resp_free(r);
	}
}
END_TEST

START_TEST(status_moves_are_audited_with_their_note)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 10000 });
	struct resp *r;
	const json_t *items, *e;
	char path[160];

	resp_free(move("plans", plan, "submitted", -1, "ingediend 3 maart"));
	resp_free(move("plans", plan, "approved", 8000, NULL));
	resp_free(move("programmes", f.programme, "active", -1, "besluit B&W"));
	snprintf(path, sizeof(path),
		 "/api/v1/audit?entity=plan&entity_id=%lld&action=status",
		 plan);
	r = api_req(&a, "GET", path, a.admin, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	e = json_array_get(items, 0);
	ck_assert_str_eq(jgets(e, "action"), "status");
	ck_assert_str_eq(jgets(e, "actor"), "writer");
	ck_assert_str_eq(jgets(e, "entity"), "plan");
	ck_assert_str_eq(jgets(e, "note"), "ingediend 3 maart");
	ck_assert_str_eq(jgets(json_object_get(e, "before"), "status"),
			 "draft");
	ck_assert_str_eq(jgets(json_object_get(e, "after"), "status"),
			 "submitted");
	ck_assert_int_eq(jget(json_object_get(e, "after"), "version"), 2);
	e = json_array_get(items, 1);
	ck_assert_str_eq(jgets(e, "action"), "status");
	ck_assert(json_is_null(json_object_get(e, "note")));
	ck_assert_str_eq(jgets(json_object_get(e, "after"), "status"),
			 "approved");
	ck_assert_int_eq(jget(json_object_get(e, "after"), "approved_cents"),
			 8000);
	ck_assert(json_is_null(json_object_get(json_object_get(e, "before"),
					       "approved_cents")));
	resp_free(r);
	snprintf(path, sizeof(path),
		 "/api/v1/audit?entity=programme&entity_id=%lld&action=status",
		 f.programme);
	r = api_req(&a, "GET", path, a.admin, NULL, NULL);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 1);
	ck_assert_str_eq(jgets(json_array_get(items, 0), "note"),
			 "besluit B&W");
	resp_free(r);
}
END_TEST

/* --- 2. deleting ------------------------------------------------------- */

static void assert_delete(const char *fmt, long long id, long status)
{
	char path[128];
	struct resp *r;

	snprintf(path, sizeof(path), fmt, id);
	r = api_req(&a, "DELETE", path, a.write, NULL, NULL);
	ck_assert_msg(r->status == status, "DELETE %s: %ld %s", path, r->status,
		      r->body);
	if (status == 409)
		ck_assert_str_eq(jstr(r, "code"), "not_deletable");
	resp_free(r);
	r = api_req(&a, "GET", path, a.read, NULL, NULL);
	ck_assert_int_eq(r->status, status == 204 ? 404 : 200);
	resp_free(r);
}

START_TEST(only_what_is_in_its_first_status_can_be_deleted)
{
	struct fx f = fixture(100000000, "warn");
	long long audit;

	for (size_t i = 0; i < 6; i++)
		assert_delete("/api/v1/plans/%lld",
			      plan_in(f.programme, f.school, plan_states[i]),
			      i == 0 ? 204 : 409);
	assert_delete("/api/v1/expenditures/%lld",
		      exp_in(f.programme, "submitted"), 204);
	assert_delete("/api/v1/expenditures/%lld",
		      exp_in(f.programme, "approved"), 409);
	assert_delete("/api/v1/expenditures/%lld",
		      exp_in(f.programme, "rejected"), 409);
	assert_delete("/api/v1/expenditures/%lld", exp_in(f.programme, "paid"),
		      409);
	audit = audit_total();
	assert_delete("/api/v1/programmes/%lld", programme_in(f.goal, "active"),
		      409);
	assert_delete("/api/v1/programmes/%lld",
		      programme_in(f.goal, "completed"), 409);
	assert_delete("/api/v1/programmes/%lld",
		      programme_in(f.goal, "stopped"), 409);
	assert_delete("/api/v1/programmes/%lld",
		      programme_in(f.goal, "planned"), 204);
	/* rows for the programmes made and moved (2 + 3 + 2 + 1) and for the
	 * one deletion; none for a refusal */
	ck_assert_int_eq(audit_total(), audit + 9);
}
END_TEST

/* --- 3. the overrun rules ---------------------------------------------- */

static void set_policy(long long budget, const char *policy)
{
	char path[64];
	struct resp *r;

	snprintf(path, sizeof(path), "/api/v1/budgets/%lld", budget);
	r = send_json("PATCH", path,
		      json_pack("{s:s}", "overrun_policy", policy));
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	resp_free(r);
}

static struct resp *patch_amount(const char *fmt, long long id,
				 const char *field, long long v)
{
	char path[64];

	snprintf(path, sizeof(path), fmt, id);
	return send_json("PATCH", path,
			 json_pack("{s:I}", field, (json_int_t)v));
}

START_TEST(goals_above_the_grant_warn)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 60000 }),
		  g2, amount = 0;
	struct resp *r;

	ck_assert(!has_any_warning(b, "over_allocated"));
	g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
					   .code = "2",
					   .allocated = 50000 });
	ck_assert(has_warning(b, "over_allocated", "budget", b, &amount));
	ck_assert_int_eq(amount, 10000);
	ck_assert_int_eq(total_figure(b, "unallocated_cents"), -10000);
	/* raising a goal further */
	r = patch_amount("/api/v1/goals/%lld", g1, "allocated_cents", 70000);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "allocated_cents"), 70000);
	resp_free(r);
	ck_assert(has_warning(b, "over_allocated", "budget", b, &amount));
	ck_assert_int_eq(amount, 20000);
	/* and back inside the grant: the warning goes */
	r = patch_amount("/api/v1/goals/%lld", g2, "allocated_cents", 30000);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	ck_assert(!has_any_warning(b, "over_allocated"));
}
END_TEST

START_TEST(goals_above_the_grant_stop)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "stop",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 60000 }),
		  audit = audit_total();
	struct resp *r;
	json_t *before, *now;

	r = send_json("POST", "/api/v1/goals",
		      json_pack("{s:I, s:s, s:s, s:I}", "budget_id",
				(json_int_t)b, "code", "2", "name", "Zorg",
				"allocated_cents", (json_int_t)50000));
	assert_overrun(r, "over_allocated", "budget", b, 100000, 60000, 50000);
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/goals?count=true"), 1);
	ck_assert_int_eq(audit_total(), audit);

	before = get_json("/api/v1/goals/%lld", g1);
	r = patch_amount("/api/v1/goals/%lld", g1, "allocated_cents", 100001);
	assert_overrun(r, "over_allocated", "budget", b, 100000, 60000, 40001);
	resp_free(r);
	now = get_json("/api/v1/goals/%lld", g1);
	ck_assert(json_equal(before, now));
	ck_assert_int_eq(jget(now, "allocated_cents"), 60000);
	ck_assert_int_eq(jget(now, "version"), 1);
	json_decref(now);
	json_decref(before);
	ck_assert_int_eq(audit_total(), audit);
	/* lowering the grant below the goals is the same rule */
	r = patch_amount("/api/v1/budgets/%lld", b, "grant_cents", 59999);
	assert_overrun(r, "over_allocated", "budget", b, 59999, 60000, 0);
	resp_free(r);
	r = get("/api/v1/budgets/%lld", b);
	ck_assert_int_eq(jint(r, "grant_cents"), 100000);
	resp_free(r);
	/* up to the grant exactly is fine */
	fx_goal(&a, (struct fx_goal){
			    .budget = b, .code = "2", .allocated = 40000 });
	ck_assert(!has_any_warning(b, "over_allocated"));
	ck_assert_int_eq(audit_total(), audit + 1);
}
END_TEST

START_TEST(programmes_above_their_goal_warn)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 1000000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g = fx_goal(&a, (struct fx_goal){ .budget = b,
						    .code = "1",
						    .allocated = 100000 }),
		  p1, amount = 0;
	struct resp *r;

	p1 = fx_programme(&a,
			  (struct fx_programme){ .goal = g, .budget = 70000 });
	ck_assert(!has_any_warning(b, "goal_over_programmed"));
	fx_programme(&a, (struct fx_programme){ .goal = g, .budget = 40000 });
	ck_assert(has_warning(b, "goal_over_programmed", "goal", g, &amount));
	ck_assert_int_eq(amount, 10000);
	r = patch_amount("/api/v1/programmes/%lld", p1, "budget_cents", 80000);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	ck_assert(has_warning(b, "goal_over_programmed", "goal", g, &amount));
	ck_assert_int_eq(amount, 20000);
	r = patch_amount("/api/v1/goals/%lld", g, "allocated_cents", 200000);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	ck_assert(!has_any_warning(b, "goal_over_programmed"));
	/* lowering the goal below what its programmes hold */
	r = patch_amount("/api/v1/goals/%lld", g, "allocated_cents", 100000);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "allocated_cents"), 100000);
	resp_free(r);
	ck_assert(has_warning(b, "goal_over_programmed", "goal", g, &amount));
	ck_assert_int_eq(amount, 20000);
}
END_TEST

START_TEST(programmes_above_their_goal_stop)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 1000000,
						  .policy = "stop",
						  .until = "2030-07-31" });
	long long g = fx_goal(&a, (struct fx_goal){ .budget = b,
						    .code = "1",
						    .allocated = 100000 }),
		  p1, p2, audit;
	struct resp *r;
	json_t *before, *now;

	p1 = fx_programme(&a,
			  (struct fx_programme){ .goal = g, .budget = 70000 });
	audit = audit_total();
	r = send_json("POST", "/api/v1/programmes",
		      json_pack("{s:I, s:s, s:I}", "goal_id", (json_int_t)g,
				"name", "Tweede", "budget_cents",
				(json_int_t)40000));
	assert_overrun(r, "goal_over_programmed", "goal", g, 100000, 70000,
		       40000);
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/programmes?count=true"), 1);

	before = get_json("/api/v1/programmes/%lld", p1);
	r = patch_amount("/api/v1/programmes/%lld", p1, "budget_cents", 120000);
	assert_overrun(r, "goal_over_programmed", "goal", g, 100000, 70000,
		       50000);
	resp_free(r);
	now = get_json("/api/v1/programmes/%lld", p1);
	ck_assert(json_equal(before, now));
	json_decref(now);
	json_decref(before);

	before = get_json("/api/v1/goals/%lld", g);
	r = patch_amount("/api/v1/goals/%lld", g, "allocated_cents", 60000);
	assert_overrun(r, "goal_over_programmed", "goal", g, 60000, 70000, 0);
	resp_free(r);
	now = get_json("/api/v1/goals/%lld", g);
	ck_assert(json_equal(before, now));
	ck_assert_int_eq(jget(now, "allocated_cents"), 100000);
	json_decref(now);
	json_decref(before);
	ck_assert_int_eq(audit_total(), audit);

	/* moving a programme to a goal without room for it */
	{
		long long g2 =
			fx_goal(&a, (struct fx_goal){ .budget = b,
						      .code = "2",
						      .allocated = 50000 });
		long long p3 =
			fx_programme(&a, (struct fx_programme){
						 .goal = g2, .budget = 40000 });
		char path[64];

		audit = audit_total();
		snprintf(path, sizeof(path), "/api/v1/programmes/%lld", p3);
		r = send_json("PATCH", path,
			      json_pack("{s:I}", "goal_id", (json_int_t)g));
		assert_overrun(r, "goal_over_programmed", "goal", g, 100000,
			       70000, 40000);
		resp_free(r);
		r = get("/api/v1/programmes/%lld", p3);
		ck_assert_int_eq(jint(r, "goal_id"), g2);
		ck_assert_int_eq(jint(r, "version"), 1);
		resp_free(r);
		ck_assert_int_eq(audit_total(), audit);
		/* nor to a goal of another budget */
		r = send_json(
			"PATCH", path,
			json_pack(
				"{s:I}", "goal_id",
				(json_int_t)fx_goal(
					&a,
					(struct fx_goal){
						.budget = fx_budget(
							&a,
							(struct fx_budget){
								.grant = 1,
								.policy = "warn",
								.until =
									"2030-07-31" }),
						.code = "1",
						.allocated = 0 })));
		assert_invalid(r, "goal_id", "other_budget");
		resp_free(r);
	}

	/* exactly full is fine; a stopped programme holds nothing */
	p2 = fx_programme(&a,
			  (struct fx_programme){ .goal = g, .budget = 30000 });
	move_ok("programmes", p2, "stopped", -1);
	fx_programme(&a, (struct fx_programme){ .goal = g, .budget = 30000 });
	ck_assert(!has_any_warning(b, "goal_over_programmed"));
}
END_TEST

START_TEST(approved_plans_above_the_programme_warn)
{
	struct fx f = fixture(100000, "warn");
	long long p1 = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						     .school = f.school,
						     .requested = 70000 });
	long long p2 = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						     .school = f.school,
						     .requested = 40000 });
	long long e = fx_expenditure(
			  &a, (struct fx_expenditure){ .programme = f.programme,
						       .plan = 0,
						       .amount = 5000 }),
		  amount = 0;

	move_ok("plans", p1, "submitted", -1);
	move_ok("plans", p1, "approved", 70000);
	move_ok("plans", p2, "submitted", -1);
	ck_assert(!has_any_warning(f.budget, "programme_over_committed"));
	move_ok("plans", p2, "approved", 40000);
	ck_assert(has_warning(f.budget, "programme_over_committed", "programme",
			      f.programme, &amount));
	ck_assert_int_eq(amount, 10000);
	/* an approved expenditure without a plan commits too */
	move_ok("expenditures", e, "approved", -1);
	ck_assert(has_warning(f.budget, "programme_over_committed", "programme",
			      f.programme, &amount));
	ck_assert_int_eq(amount, 15000);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "committed_cents"),
			 115000);
}
END_TEST

START_TEST(approved_plans_above_the_programme_stop)
{
	struct fx f = fixture(100000, "stop");
	long long p1 = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						     .school = f.school,
						     .requested = 70000 });
	long long p2 = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						     .school = f.school,
						     .requested = 40000 });
	long long e1 = fx_expenditure(
			  &a, (struct fx_expenditure){ .programme = f.programme,
						       .plan = 0,
						       .amount = 1 }),
		  audit;
	struct resp *r;
	json_t *before, *now;

	move_ok("plans", p1, "submitted", -1);
	move_ok("plans", p1, "approved", 70000);
	move_ok("plans", p2, "submitted", -1);
	audit = audit_total();
	before = get_json("/api/v1/plans/%lld", p2);
	r = move("plans", p2, "approved", 40000, "te veel");
	assert_overrun(r, "programme_over_committed", "programme", f.programme,
		       100000, 70000, 40000);
	resp_free(r);
	now = get_json("/api/v1/plans/%lld", p2);
	ck_assert(json_equal(before, now));
	ck_assert_str_eq(jgets(now, "status"), "submitted");
	ck_assert(json_is_null(json_object_get(now, "approved_cents")));
	ck_assert(json_is_null(json_object_get(now, "decided_at")));
	json_decref(now);
	json_decref(before);
	ck_assert_int_eq(audit_total(), audit);

	/* approving less, up to the budget exactly, is fine */
	r = move("plans", p2, "approved", 30000, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "committed_cents"),
			 100000);
	/* then even one cent without a plan is too much */
	audit = audit_total();
	r = move("expenditures", e1, "approved", -1, NULL);
	assert_overrun(r, "programme_over_committed", "programme", f.programme,
		       100000, 100000, 1);
	resp_free(r);
	r = get("/api/v1/expenditures/%lld", e1);
	ck_assert_str_eq(jstr(r, "status"), "submitted");
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	/* and the programme cannot shrink below what it has committed */
	r = patch_amount("/api/v1/programmes/%lld", f.programme, "budget_cents",
			 99999);
	assert_overrun(r, "programme_over_committed", "programme", f.programme,
		       99999, 100000, 0);
	resp_free(r);
	ck_assert_int_eq(audit_total(), audit);
	ck_assert(!has_any_warning(f.budget, "programme_over_committed"));
}
END_TEST

START_TEST(expenditures_above_the_plan_warn_and_stop)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 50000 });
	long long e1, e2, e3, audit, amount = 0;
	struct resp *r;

	move_ok("plans", plan, "submitted", -1);
	move_ok("plans", plan, "approved", 50000);
	e1 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = f.programme,
						     .plan = plan,
						     .amount = 30000 });
	e2 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = f.programme,
						     .plan = plan,
						     .amount = 25000 });
	e3 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = f.programme,
						     .plan = plan,
						     .amount = 20000 });
	move_ok("expenditures", e1, "approved", -1);
	ck_assert(!has_any_warning(f.budget, "plan_over_spent"));
	/* warn: allowed, and listed */
	move_ok("expenditures", e2, "approved", -1);
	ck_assert(has_warning(f.budget, "plan_over_spent", "plan", plan,
			      &amount));
	ck_assert_int_eq(amount, 5000);

	/* stop: refused with the figures */
	set_policy(f.budget, "stop");
	audit = audit_total();
	r = move("expenditures", e3, "approved", -1, NULL);
	assert_overrun(r, "plan_over_spent", "plan", plan, 50000, 55000, 20000);
	resp_free(r);
	r = get("/api/v1/expenditures/%lld", e3);
	ck_assert_str_eq(jstr(r, "status"), "submitted");
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	ck_assert_int_eq(audit_total(), audit);
	/* paying what is approved changes nothing in what is spent */
	move_ok("expenditures", e1, "paid", -1);
	/* rejecting takes nothing */
	move_ok("expenditures", e3, "rejected", -1);
}
END_TEST

START_TEST(expenditures_against_a_plan_stop_from_the_start)
{
	struct fx f = fixture(1000000, "stop");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 50000 });
	long long e1, e2;
	struct resp *r;

	move_ok("plans", plan, "submitted", -1);
	move_ok("plans", plan, "approved", 40000);
	e1 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = f.programme,
						     .plan = plan,
						     .amount = 40000 });
	e2 = fx_expenditure(&a,
			    (struct fx_expenditure){ .programme = f.programme,
						     .plan = plan,
						     .amount = 1 });
	move_ok("expenditures", e1, "approved", -1);
	r = move("expenditures", e2, "approved", -1, NULL);
	assert_overrun(r, "plan_over_spent", "plan", plan, 40000, 40000, 1);
	resp_free(r);
	/* plan expenditures do not count against the programme twice */
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "committed_cents"),
			 40000);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "spent_cents"),
			 40000);
}
END_TEST

START_TEST(declarations_need_an_approved_plan_of_the_same_programme)
{
	struct fx f = fixture(1000000, "warn");
	long long other = fx_programme(
		&a, (struct fx_programme){ .goal = f.goal, .budget = 0 });
	long long draft =
		fx_plan(&a, (struct fx_plan){ .programme = f.programme,
					      .school = f.school,
					      .requested = 1000 });
	long long approved = plan_in(f.programme, f.school, "approved");
	struct resp *r;

	r = send_json("POST", "/api/v1/expenditures",
		      json_pack("{s:I, s:I, s:I, s:s, s:s}", "programme_id",
				(json_int_t)f.programme, "plan_id",
				(json_int_t)draft, "amount_cents",
				(json_int_t)100, "spent_on", "2023-01-01",
				"description", "x"));
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "plan_not_approved");
	resp_free(r);
	r = send_json("POST", "/api/v1/expenditures",
		      json_pack("{s:I, s:I, s:I, s:s, s:s}", "programme_id",
				(json_int_t)other, "plan_id",
				(json_int_t)approved, "amount_cents",
				(json_int_t)100, "spent_on", "2023-01-01",
				"description", "x"));
	assert_invalid(r, "plan_id", "other_programme");
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/expenditures?count=true"), 0);
}
END_TEST

START_TEST(a_write_that_reduces_an_overrun_is_allowed_under_stop)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 60000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 50000 });
	long long pr = fx_programme(
		&a, (struct fx_programme){ .goal = g1, .budget = 70000 });
	long long s = fx_school(&a, (struct fx_school){ .gm = "GM0402" });
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = pr,
						       .school = s,
						       .requested = 80000 }),
		  amount = 0;
	struct resp *r;
	char path[64];

	move_ok("plans", plan, "submitted", -1);
	move_ok("plans", plan, "approved", 80000);
	ck_assert(has_any_warning(b, "over_allocated"));
	ck_assert(has_any_warning(b, "goal_over_programmed"));
	ck_assert(has_any_warning(b, "programme_over_committed"));
	/* switching to stop while over is not itself an overrun */
	set_policy(b, "stop");

	/* grant: 10000 over; 5000 over is better, 6000 worse than that */
	r = patch_amount("/api/v1/goals/%lld", g2, "allocated_cents", 45000);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	resp_free(r);
	r = patch_amount("/api/v1/goals/%lld", g2, "allocated_cents", 46000);
	assert_overrun(r, "over_allocated", "budget", b, 100000, 105000, 1000);
	resp_free(r);
	/* a change that leaves the overrun as it is */
	snprintf(path, sizeof(path), "/api/v1/goals/%lld", g2);
	r = send_json("PATCH", path, json_pack("{s:s}", "name", "Zorg"));
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	r = patch_amount("/api/v1/budgets/%lld", b, "grant_cents", 102000);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);

	/* goal 1: programmes 70000 in 60000; 65000 is less over */
	r = patch_amount("/api/v1/goals/%lld", g2, "allocated_cents", 37000);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	r = patch_amount("/api/v1/goals/%lld", g1, "allocated_cents", 65000);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	resp_free(r);
	/* lowering the programme helps goal 1 but worsens its commitments */
	r = patch_amount("/api/v1/programmes/%lld", pr, "budget_cents", 69000);
	assert_overrun(r, "programme_over_committed", "programme", pr, 69000,
		       80000, 0);
	resp_free(r);
	/* raising the programme helps its commitments, not its goal */
	r = patch_amount("/api/v1/programmes/%lld", pr, "budget_cents", 75000);
	assert_overrun(r, "goal_over_programmed", "goal", g1, 65000, 70000,
		       5000);
	resp_free(r);
	/* more grant, then more for goal 1, then more for the programme */
	r = patch_amount("/api/v1/budgets/%lld", b, "grant_cents", 112000);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	r = patch_amount("/api/v1/goals/%lld", g1, "allocated_cents", 75000);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	r = patch_amount("/api/v1/programmes/%lld", pr, "budget_cents", 75000);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	resp_free(r);
	ck_assert(!has_any_warning(b, "over_allocated"));
	ck_assert(!has_any_warning(b, "goal_over_programmed"));
	ck_assert(has_warning(b, "programme_over_committed", "programme", pr,
			      &amount));
	ck_assert_int_eq(amount, 5000);
}
END_TEST

/* --- 4. reallocations -------------------------------------------------- */

static struct resp *reallocate(long long budget, const char *from_kind,
			       long long from, const char *to_kind,
			       long long to, long long amount)
{
	return send_json(
		"POST", "/api/v1/reallocations",
		json_pack("{s:I, s:{s:I}, s:{s:I}, s:I, s:s, s:s, s:s}",
			  "budget_id", (json_int_t)budget, "from", from_kind,
			  (json_int_t)from, "to", to_kind, (json_int_t)to,
			  "amount_cents", (json_int_t)amount, "reason",
			  "onderuitputting", "decision_ref", "Z.325009",
			  "decided_on", "2024-03-01"));
}

/* The audit rows of entity id with action, as an owned array. */
static json_t *audit_rows(const char *entity, long long id, const char *action)
{
	char path[160];
	struct resp *r;
	json_t *items;

	snprintf(path, sizeof(path),
		 "/api/v1/audit?entity=%s&entity_id=%lld&action=%s", entity, id,
		 action);
	r = api_req(&a, "GET", path, a.admin, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	items = json_incref(json_object_get(r->json, "items"));
	resp_free(r);
	return items;
}

static void assert_shift_audited(const char *entity, long long id,
				 const char *field, long long from,
				 long long to, const char *note)
{
	json_t *rows = audit_rows(entity, id, "update");
	const json_t *e = json_array_get(rows, json_array_size(rows) - 1);

	ck_assert_msg(json_array_size(rows) >= 1, "no update of %s %lld",
		      entity, id);
	ck_assert_str_eq(jgets(e, "actor"), "writer");
	ck_assert_str_eq(jgets(e, "note"), note);
	ck_assert_int_eq(jget(json_object_get(e, "before"), field), from);
	ck_assert_int_eq(jget(json_object_get(e, "after"), field), to);
	json_decref(rows);
}

START_TEST(reallocation_between_two_goals)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "stop",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 60000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 40000 });
	struct resp *r = reallocate(b, "goal_id", g1, "goal_id", g2, 15000);
	long long id;
	char note[64], loc[64];
	json_t *j;

	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	id = jint(r, "id");
	snprintf(loc, sizeof(loc), "/api/v1/reallocations/%lld", id);
	ck_assert_str_eq(resp_header(r, "Location"), loc);
	ck_assert_int_eq(jint(r, "amount_cents"), 15000);
	ck_assert_int_eq(jget(json_object_get(r->json, "from"), "goal_id"), g1);
	ck_assert_int_eq(jget(json_object_get(r->json, "to"), "goal_id"), g2);
	resp_free(r);
	j = get_json("/api/v1/goals/%lld", g1);
	ck_assert_int_eq(jget(j, "allocated_cents"), 45000);
	ck_assert_int_eq(jget(j, "version"), 2);
	json_decref(j);
	j = get_json("/api/v1/goals/%lld", g2);
	ck_assert_int_eq(jget(j, "allocated_cents"), 55000);
	ck_assert_int_eq(jget(j, "version"), 2);
	json_decref(j);
	ck_assert_int_eq(total_figure(b, "allocated_cents"), 100000);
	ck_assert_int_eq(total_figure(b, "unallocated_cents"), 0);
	snprintf(note, sizeof(note), "reallocation %lld", id);
	assert_shift_audited("goal", g1, "allocated_cents", 60000, 45000, note);
	assert_shift_audited("goal", g2, "allocated_cents", 40000, 55000, note);
	j = audit_rows("reallocation", id, "create");
	ck_assert_int_eq(json_array_size(j), 1);
	ck_assert(
		json_is_null(json_object_get(json_array_get(j, 0), "before")));
	json_decref(j);
	r = get("/api/v1/reallocations/%lld", id);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(jstr(r, "reason"), "onderuitputting");
	resp_free(r);
}
END_TEST

START_TEST(reallocation_between_two_programmes)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 1000000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g = fx_goal(&a, (struct fx_goal){ .budget = b,
						    .code = "1",
						    .allocated = 100000 });
	long long p1 = fx_programme(&a,
				    (struct fx_programme){ .goal = g,
							   .budget = 60000 }),
		  p2 = fx_programme(&a, (struct fx_programme){
						.goal = g, .budget = 40000 });
	long long s = fx_school(&a, (struct fx_school){ .gm = "GM0402" }),
		  plan = fx_plan(&a, (struct fx_plan){ .programme = p1,
						       .school = s,
						       .requested = 20000 }),
		  id;
	struct resp *r;
	char note[64];
	json_t *j;

	move_ok("plans", plan, "submitted", -1);
	move_ok("plans", plan, "approved", 20000);
	/* down to what is committed exactly is fine */
	r = reallocate(b, "programme_id", p1, "programme_id", p2, 40000);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	id = jint(r, "id");
	resp_free(r);
	j = get_json("/api/v1/programmes/%lld", p1);
	ck_assert_int_eq(jget(j, "budget_cents"), 20000);
	ck_assert_int_eq(jget(j, "version"), 2);
	json_decref(j);
	j = get_json("/api/v1/programmes/%lld", p2);
	ck_assert_int_eq(jget(j, "budget_cents"), 80000);
	ck_assert_int_eq(jget(j, "version"), 2);
	json_decref(j);
	ck_assert_int_eq(total_figure(b, "allocated_cents"), 100000);
	ck_assert_int_eq(total_figure(b, "programmed_cents"), 100000);
	snprintf(note, sizeof(note), "reallocation %lld", id);
	assert_shift_audited("programme", p1, "budget_cents", 60000, 20000,
			     note);
	assert_shift_audited("programme", p2, "budget_cents", 40000, 80000,
			     note);
	ck_assert(!has_any_warning(b, "goal_over_programmed"));
}
END_TEST

START_TEST(reallocation_never_goes_below_committed_or_spent)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 1000000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g = fx_goal(&a, (struct fx_goal){ .budget = b,
						    .code = "1",
						    .allocated = 200000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 0 });
	long long p1 = fx_programme(&a,
				    (struct fx_programme){ .goal = g,
							   .budget = 50000 }),
		  p2 = fx_programme(&a, (struct fx_programme){
						.goal = g, .budget = 50000 });
	long long p3 = fx_programme(
		&a, (struct fx_programme){ .goal = g, .budget = 50000 });
	long long s = fx_school(&a, (struct fx_school){ .gm = "GM0402" }),
		  plan = fx_plan(&a, (struct fx_plan){ .programme = p1,
						       .school = s,
						       .requested = 40000 });
	long long plan3 = fx_plan(&a, (struct fx_plan){ .programme = p3,
							.school = s,
							.requested = 10000 }),
		  e, audit;
	struct resp *r;
	const json_t *line;
	json_t *before, *now;

	move_ok("plans", plan, "submitted", -1);
	move_ok("plans", plan, "approved", 40000);
	audit = audit_total();
	before = get_json("/api/v1/programmes/%lld", p1);
	r = reallocate(b, "programme_id", p1, "programme_id", p2, 20000);
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "below_committed");
	ck_assert_int_eq(jint(r, "amount_cents"), 50000);
	ck_assert_int_eq(jint(r, "committed_cents"), 40000);
	ck_assert_int_eq(jint(r, "spent_cents"), 0);
	ck_assert_int_eq(jint(r, "asked_cents"), 20000);
	line = json_object_get(r->json, "from");
	ck_assert_int_eq(jget(line, "programme_id"), p1);
	resp_free(r);
	now = get_json("/api/v1/programmes/%lld", p1);
	ck_assert(json_equal(before, now));
	json_decref(now);
	json_decref(before);
	ck_assert_int_eq(audit_total(), audit);
	ck_assert_int_eq(count_of("/api/v1/reallocations?count=true"), 0);

	/* spent above committed (a plan overspent under warn) */
	move_ok("plans", plan3, "submitted", -1);
	move_ok("plans", plan3, "approved", 10000);
	e = fx_expenditure(&a, (struct fx_expenditure){ .programme = p3,
							.plan = plan3,
							.amount = 30000 });
	move_ok("expenditures", e, "approved", -1);
	r = reallocate(b, "programme_id", p3, "programme_id", p2, 25000);
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "below_committed");
	ck_assert_int_eq(jint(r, "amount_cents"), 50000);
	ck_assert_int_eq(jint(r, "committed_cents"), 10000);
	ck_assert_int_eq(jint(r, "spent_cents"), 30000);
	ck_assert_int_eq(jint(r, "asked_cents"), 25000);
	resp_free(r);
	r = reallocate(b, "programme_id", p3, "programme_id", p2, 20000);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);

	/* a goal: programmes under it have spent 30000 and committed
	 * 40000 + 10000; 200000 - 150001 < 50000 */
	r = reallocate(b, "goal_id", g, "goal_id", g2, 150001);
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "below_committed");
	ck_assert_int_eq(jint(r, "amount_cents"), 200000);
	ck_assert_int_eq(jint(r, "committed_cents"), 50000);
	ck_assert_int_eq(jint(r, "spent_cents"), 30000);
	ck_assert_int_eq(jint(r, "asked_cents"), 150001);
	resp_free(r);
	r = get("/api/v1/goals/%lld", g);
	ck_assert_int_eq(jint(r, "allocated_cents"), 200000);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
}
END_TEST

START_TEST(reallocation_from_a_goal_whose_programmes_have_spent)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 1000000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 60000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 0 });
	long long p = fx_programme(
		&a, (struct fx_programme){ .goal = g1, .budget = 60000 });
	long long e = fx_expenditure(
		&a, (struct fx_expenditure){
			    .programme = p, .plan = 0, .amount = 45000 });
	struct resp *r;

	move_ok("programmes", p, "active", -1);
	move_ok("expenditures", e, "approved", -1);
	move_ok("expenditures", e, "paid", -1);
	r = reallocate(b, "goal_id", g1, "goal_id", g2, 20000);
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "below_committed");
	ck_assert_int_eq(jint(r, "amount_cents"), 60000);
	ck_assert_int_eq(jint(r, "spent_cents"), 45000);
	ck_assert_int_eq(jint(r, "asked_cents"), 20000);
	resp_free(r);
	r = get("/api/v1/goals/%lld", g2);
	ck_assert_int_eq(jint(r, "allocated_cents"), 0);
	resp_free(r);
	/* 15000 leaves exactly what is spent */
	r = reallocate(b, "goal_id", g1, "goal_id", g2, 15000);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);
	r = get("/api/v1/goals/%lld", g1);
	ck_assert_int_eq(jint(r, "allocated_cents"), 45000);
	resp_free(r);
}
END_TEST

START_TEST(reallocation_refusals_are_422)
{
	long long b = fx_budget(&a,
				(struct fx_budget){ .grant = 1000000,
						    .policy = "warn",
						    .until = "2030-07-31" }),
		  other = fx_budget(
			  &a, (struct fx_budget){ .grant = 100,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 50000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 50000 });
	long long og = fx_goal(&a, (struct fx_goal){ .budget = other,
						     .code = "1",
						     .allocated = 100 });
	long long p1 = fx_programme(&a,
				    (struct fx_programme){ .goal = g1,
							   .budget = 10000 }),
		  op = fx_programme(&a, (struct fx_programme){ .goal = og,
							       .budget = 100 });
	long long audit = audit_total();
	struct resp *r;

	r = reallocate(b, "goal_id", g1, "programme_id", p1, 100);
	assert_invalid(r, "to", NULL);
	resp_free(r);
	r = reallocate(b, "programme_id", p1, "goal_id", g2, 100);
	assert_invalid(r, "to", NULL);
	resp_free(r);
	r = reallocate(b, "goal_id", g1, "goal_id", g1, 100);
	ck_assert_int_eq(r->status, 422);
	resp_free(r);
	r = reallocate(b, "programme_id", p1, "programme_id", p1, 100);
	ck_assert_int_eq(r->status, 422);
	resp_free(r);
	r = reallocate(b, "goal_id", og, "goal_id", g2, 100);
	assert_invalid(r, "from", "other_budget");
	resp_free(r);
	r = reallocate(b, "goal_id", g1, "goal_id", og, 100);
	assert_invalid(r, "to", "other_budget");
	resp_free(r);
	r = reallocate(b, "programme_id", op, "programme_id", p1, 100);
	assert_invalid(r, "from", "other_budget");
	resp_free(r);
	r = reallocate(b, "goal_id", 999, "goal_id", g2, 100);
	assert_invalid(r, "from", "not_found");
	resp_free(r);
	r = reallocate(b, "goal_id", g1, "goal_id", 999, 100);
	assert_invalid(r, "to", "not_found");
	resp_free(r);
	r = reallocate(b, "programme_id", p1, "programme_id", 999, 100);
	assert_invalid(r, "to", "not_found");
	resp_free(r);
	/* more than the line holds, with nothing committed under it */
	r = reallocate(b, "programme_id", p1, "programme_id",
		       fx_programme(&a, (struct fx_programme){ .goal = g2,
							       .budget = 0 }),
		       10001);
	ck_assert_msg(r->status == 409 || r->status == 422, "%ld %s", r->status,
		      r->body);
	resp_free(r);
	audit = audit_total();
	r = reallocate(b, "goal_id", g1, "goal_id", g2, 0);
	assert_invalid(r, "amount_cents", NULL);
	resp_free(r);
	r = reallocate(b, "goal_id", g1, "goal_id", g2, -100);
	assert_invalid(r, "amount_cents", NULL);
	resp_free(r);
	r = reallocate(999, "goal_id", g1, "goal_id", g2, 100);
	assert_invalid(r, "budget_id", NULL);
	resp_free(r);
	r = send_json("POST", "/api/v1/reallocations",
		      json_pack("{s:I, s:{s:I}, s:I, s:s, s:s}", "budget_id",
				(json_int_t)b, "to", "goal_id", (json_int_t)g2,
				"amount_cents", (json_int_t)100, "reason", "r",
				"decided_on", "2024-01-01"));
	assert_invalid(r, "from", "required");
	resp_free(r);
	r = send_json("POST", "/api/v1/reallocations",
		      json_pack("{s:I, s:{s:I,s:I}, s:{s:I}, s:I, s:s, s:s}",
				"budget_id", (json_int_t)b, "from", "goal_id",
				(json_int_t)g1, "programme_id", (json_int_t)p1,
				"to", "goal_id", (json_int_t)g2, "amount_cents",
				(json_int_t)100, "reason", "r", "decided_on",
				"2024-01-01"));
	assert_invalid(r, "from", NULL);
	resp_free(r);

	ck_assert_int_eq(count_of("/api/v1/reallocations?count=true"), 0);
	ck_assert_int_eq(audit_total(), audit);
	r = get("/api/v1/goals/%lld", g1);
	ck_assert_int_eq(jint(r, "version"), 1);
	ck_assert_int_eq(jint(r, "allocated_cents"), 50000);
	resp_free(r);
	r = get("/api/v1/programmes/%lld", p1);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
}
END_TEST

START_TEST(reallocations_are_append_only)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 50000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 50000 });
	struct resp *r = reallocate(b, "goal_id", g1, "goal_id", g2, 100);
	static const char *const methods[] = { "PATCH", "DELETE", "PUT" };
	char path[64];
	long long id = jint(r, "id");

	ck_assert_int_eq(r->status, 201);
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/reallocations/%lld", id);
	for (int i = 0; i < 3; i++) {
		r = api_req(&a, methods[i], path, a.admin,
			    i == 1 ? NULL : "{\"amount_cents\":5}", NULL);
		ck_assert_msg(r->status == 405, "%s: %ld", methods[i],
			      r->status);
		ck_assert_str_eq(resp_header(r, "Allow"), "GET, HEAD");
		resp_free(r);
	}
	r = api_req(&a, "HEAD", path, a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->len, 0);
	resp_free(r);
	r = api_req(&a, "GET", path, a.read, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "amount_cents"), 100);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	r = get("/api/v1/goals/%lld", g1);
	ck_assert_int_eq(jint(r, "allocated_cents"), 49900);
	resp_free(r);
}
END_TEST

START_TEST(reallocation_that_breaks_a_level_under_stop_is_refused)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "stop",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 60000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 40000 });
	long long p1 = fx_programme(&a,
				    (struct fx_programme){ .goal = g1,
							   .budget = 55000 }),
		  audit;
	struct resp *r;

	(void)p1;
	audit = audit_total();
	/* goal 1 would hold programmes for 55000 in 50000 */
	r = reallocate(b, "goal_id", g1, "goal_id", g2, 10000);
	assert_overrun(r, "goal_over_programmed", "goal", g1, 50000, 55000, 0);
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/reallocations?count=true"), 0);
	ck_assert_int_eq(audit_total(), audit);
	r = get("/api/v1/goals/%lld", g1);
	ck_assert_int_eq(jint(r, "allocated_cents"), 60000);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	r = reallocate(b, "goal_id", g1, "goal_id", g2, 5000);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);
}
END_TEST

START_TEST(reallocation_between_programmes_of_two_goals_keeps_the_goal_rule)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "stop",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 50000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 50000 });
	long long p1 = fx_programme(&a,
				    (struct fx_programme){ .goal = g1,
							   .budget = 50000 }),
		  p2 = fx_programme(&a, (struct fx_programme){
						.goal = g2, .budget = 50000 });
	long long audit = audit_total();
	struct resp *r;

	/* goal 2 would hold programmes for 60000 in its 50000 */
	r = reallocate(b, "programme_id", p1, "programme_id", p2, 10000);
	assert_overrun(r, "goal_over_programmed", "goal", g2, 50000, 50000,
		       10000);
	resp_free(r);
	r = get("/api/v1/programmes/%lld", p2);
	ck_assert_int_eq(jint(r, "budget_cents"), 50000);
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	ck_assert_int_eq(count_of("/api/v1/reallocations?count=true"), 0);
	ck_assert_int_eq(audit_total(), audit);
	ck_assert(!has_any_warning(b, "goal_over_programmed"));
}
END_TEST

START_TEST(reallocation_between_programmes_of_two_goals_warns)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 50000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 50000 });
	long long p1 = fx_programme(&a,
				    (struct fx_programme){ .goal = g1,
							   .budget = 50000 }),
		  p2 = fx_programme(&a, (struct fx_programme){
						.goal = g2, .budget = 50000 });
	long long amount = 0;
	struct resp *r;

	r = reallocate(b, "programme_id", p1, "programme_id", p2, 10000);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);
	ck_assert(has_warning(b, "goal_over_programmed", "goal", g2, &amount));
	ck_assert_int_eq(amount, 10000);
}
END_TEST

START_TEST(status_move_with_a_stale_if_match_is_412)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 10000 });
	struct resp *r;
	char path[64];

	snprintf(path, sizeof(path), "/api/v1/plans/%lld/status", plan);
	r = api_req(&a, "POST", path, a.write, "{\"status\":\"submitted\"}",
		    (const char *const[]){ "If-Match: \"2\"", NULL });
	ck_assert_int_eq(r->status, 412);
	ck_assert_str_eq(jstr(r, "code"), "version_mismatch");
	resp_free(r);
	r = get("/api/v1/plans/%lld", plan);
	ck_assert_str_eq(jstr(r, "status"), "draft");
	ck_assert_int_eq(jint(r, "version"), 1);
	resp_free(r);
	r = api_req(&a, "POST", path, a.write, "{\"status\":\"submitted\"}",
		    (const char *const[]){ "If-Match: \"1\"", NULL });
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "version"), 2);
	resp_free(r);
}
END_TEST

START_TEST(decided_plans_and_expenditures_are_locked)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = plan_in(f.programme, f.school, "approved");
	long long e = exp_in(f.programme, "approved");
	struct resp *r;
	char path[64];

	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	r = api_req(&a, "PATCH", path, a.write, "{\"requested_cents\":99}",
		    NULL);
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "locked");
	resp_free(r);
	r = api_req(&a, "PATCH", path, a.write, "{\"title\":\"Nieuw\"}", NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(jint(r, "requested_cents"), 10000);
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", e);
	r = api_req(&a, "PATCH", path, a.write, "{\"amount_cents\":99}", NULL);
	ck_assert_int_eq(r->status, 409);
	ck_assert_str_eq(jstr(r, "code"), "locked");
	resp_free(r);
	r = get("/api/v1/expenditures/%lld", e);
	ck_assert_int_eq(jint(r, "amount_cents"), 1000);
	resp_free(r);
}
END_TEST

/* --- 5. concurrency ---------------------------------------------------- */

struct racer {
	const char *base, *token;
	char path[128];
	const char *body;
	pthread_barrier_t *start;
	long status;
	char code[64];
	CURL *h;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct racer *r = arg;
	json_t *j;
	char buf[4096];
	size_t len = size * n < sizeof(buf) - 1 ? size * n : sizeof(buf) - 1;

	memcpy(buf, p, len);
	buf[len] = '\0';
	j = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	if (j && json_string_value(json_object_get(j, "code")))
		snprintf(r->code, sizeof(r->code), "%s",
			 json_string_value(json_object_get(j, "code")));
	json_decref(j);
	return size * n;
}

static void *race(void *arg)
{
	struct racer *r = arg;
	struct curl_slist *hl = NULL;
	char url[256], auth[128];

	snprintf(url, sizeof(url), "%s%s", r->base, r->path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", r->token);
	hl = curl_slist_append(hl, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(r->h, CURLOPT_URL, url);
	curl_easy_setopt(r->h, CURLOPT_POST, 1L);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	pthread_barrier_wait(r->start);
	if (curl_easy_perform(r->h) == CURLE_OK)
		curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	return NULL;
}

/* Posts body to each of the n status paths at the same moment; counts the
 * 200s and the 409 overruns. */
static void race_all(const char *kind, const long long *ids, size_t n,
		     const char *body, int *ok, int *overrun)
{
	struct racer *rs = calloc(n, sizeof(*rs));
	pthread_t *th = calloc(n, sizeof(*th));
	pthread_barrier_t start;

	ck_assert_int_eq(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
	*ok = *overrun = 0;
	for (size_t i = 0; i < n; i++) {
		rs[i].base = a.base;
		rs[i].token = a.write;
		rs[i].body = body;
		rs[i].start = &start;
		rs[i].h = curl_easy_init();
		ck_assert_ptr_nonnull(rs[i].h);
		snprintf(rs[i].path, sizeof(rs[i].path),
			 "/api/v1/%s/%lld/status", kind, ids[i]);
	}
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, race, &rs[i]), 0);
	for (size_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (size_t i = 0; i < n; i++) {
		curl_easy_cleanup(rs[i].h);
		if (rs[i].status == 200)
			(*ok)++;
		else if (rs[i].status == 409 &&
			 strcmp(rs[i].code, "overrun") == 0)
			(*overrun)++;
		else
			fprintf(stderr, "# %s: %ld %s\n", rs[i].path,
				rs[i].status, rs[i].code);
	}
	free(rs);
	free(th);
}

static void restart_with_threads(unsigned threads)
{
	api_halt(&a);
	a.cfg.threads = threads;
	api_start(&a);
}

START_TEST(concurrent_plan_approvals_never_over_commit)
{
	struct fx f;
	long long ids[40];
	int ok, overrun;

	curl_global_init(CURL_GLOBAL_ALL);
	restart_with_threads(8);
	f = fixture(100000, "stop");
	for (int i = 0; i < 40; i++) {
		ids[i] = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 10000 });
		move_ok("plans", ids[i], "submitted", -1);
	}
	race_all("plans", ids, 40,
		 "{\"status\":\"approved\",\"approved_cents\":10000}", &ok,
		 &overrun);
	ck_assert_int_eq(ok, 10);
	ck_assert_int_eq(overrun, 30);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "committed_cents"),
			 100000);
	ck_assert_int_eq(count_of("/api/v1/plans?status=approved&count=true"),
			 10);
	ck_assert_int_eq(count_of("/api/v1/plans?status=submitted&count=true"),
			 30);
	ck_assert_int_eq(count_of("/api/v1/audit?action=status&count=true"),
			 50);
	ck_assert(!has_any_warning(f.budget, "programme_over_committed"));
	curl_global_cleanup();
}
END_TEST

START_TEST(concurrent_expenditure_approvals_never_over_spend_a_plan)
{
	struct fx f;
	long long ids[20], plan;
	int ok, overrun;

	curl_global_init(CURL_GLOBAL_ALL);
	restart_with_threads(8);
	f = fixture(1000000, "stop");
	plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
					     .school = f.school,
					     .requested = 60000 });
	move_ok("plans", plan, "submitted", -1);
	move_ok("plans", plan, "approved", 50000);
	for (int i = 0; i < 20; i++)
		ids[i] = fx_expenditure(
			&a, (struct fx_expenditure){ .programme = f.programme,
						     .plan = plan,
						     .amount = 5000 });
	race_all("expenditures", ids, 20, "{\"status\":\"approved\"}", &ok,
		 &overrun);
	ck_assert_int_eq(ok, 10);
	ck_assert_int_eq(overrun, 10);
	ck_assert_int_eq(
		count_of("/api/v1/expenditures?status=approved&count=true"),
		10);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "spent_cents"),
			 50000);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "open_commitments_cents"),
			 0);
	ck_assert(!has_any_warning(f.budget, "plan_over_spent"));
	curl_global_cleanup();
}
END_TEST

/* --- 6. the audit trail ------------------------------------------------ */

START_TEST(audit_has_a_row_for_each_kind_of_change)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = 100000,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = 50000 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 50000 });
	long long p = fx_programme(&a,
				   (struct fx_programme){ .goal = g1,
							  .budget = 10000 }),
		  s = fx_school(&a, (struct fx_school){ .gm = "GM0402" });
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = p,
						       .school = s,
						       .requested = 1000 }),
		  gone = fx_plan(&a, (struct fx_plan){ .programme = p,
						       .school = s,
						       .requested = 500 });
	long long realloc;
	struct resp *r;
	json_t *rows;
	const json_t *e;
	char path[64];

	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	r = send_json("PATCH", path, json_pack("{s:s}", "title", "Taalklas"));
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	resp_free(move("plans", plan, "submitted", -1, "zie brief"));
	snprintf(path, sizeof(path), "/api/v1/plans/%lld", gone);
	r = api_req(&a, "DELETE", path, a.write, NULL, NULL);
	ck_assert_int_eq(r->status, 204);
	resp_free(r);
	r = reallocate(b, "goal_id", g1, "goal_id", g2, 2500);
	realloc = jint(r, "id");
	ck_assert_int_eq(r->status, 201);
	resp_free(r);

	rows = audit_rows("plan", plan, "create");
	ck_assert_int_eq(json_array_size(rows), 1);
	e = json_array_get(rows, 0);
	ck_assert_str_eq(jgets(e, "actor"), "writer");
	ck_assert(json_is_null(json_object_get(e, "before")));
	ck_assert(json_is_object(json_object_get(e, "after")));
	ck_assert_str_eq(jgets(json_object_get(e, "after"), "title"),
			 "Extra begeleiding");
	ck_assert_int_eq(strlen(jgets(e, "at")), 20);
	json_decref(rows);

	rows = audit_rows("plan", plan, "update");
	ck_assert_int_eq(json_array_size(rows), 1);
	e = json_array_get(rows, 0);
	ck_assert_str_eq(jgets(e, "actor"), "writer");
	ck_assert_str_eq(jgets(json_object_get(e, "before"), "title"),
			 "Extra begeleiding");
	ck_assert_str_eq(jgets(json_object_get(e, "after"), "title"),
			 "Taalklas");
	json_decref(rows);

	rows = audit_rows("plan", plan, "status");
	ck_assert_int_eq(json_array_size(rows), 1);
	e = json_array_get(rows, 0);
	ck_assert_str_eq(jgets(e, "actor"), "writer");
	ck_assert_str_eq(jgets(e, "note"), "zie brief");
	ck_assert(json_is_object(json_object_get(e, "before")));
	ck_assert(json_is_object(json_object_get(e, "after")));
	json_decref(rows);

	rows = audit_rows("plan", gone, "delete");
	ck_assert_int_eq(json_array_size(rows), 1);
	e = json_array_get(rows, 0);
	ck_assert_str_eq(jgets(e, "actor"), "writer");
	ck_assert(json_is_object(json_object_get(e, "before")));
	ck_assert_int_eq(jget(json_object_get(e, "before"), "requested_cents"),
			 500);
	ck_assert(json_is_null(json_object_get(e, "after")));
	json_decref(rows);

	rows = audit_rows("reallocation", realloc, "create");
	ck_assert_int_eq(json_array_size(rows), 1);
	ck_assert_int_eq(jget(json_object_get(json_array_get(rows, 0), "after"),
			      "amount_cents"),
			 2500);
	json_decref(rows);
	snprintf(path, sizeof(path), "reallocation %lld", realloc);
	assert_shift_audited("goal", g1, "allocated_cents", 50000, 47500, path);
	assert_shift_audited("goal", g2, "allocated_cents", 50000, 52500, path);
	/* the whole trail filtered by actor */
	ck_assert_int_eq(count_of("/api/v1/audit?actor=writer&count=true"),
			 audit_total());
}
END_TEST

/* --- figures that cannot be counted ------------------------------------ */

#define MAX_CENTS 1000000000000000LL /* the largest amount a field takes */
/* how many of MAX_CENTS fit in int64 together: 9223 (and 0.37e15 more) */
#define FIT (INT64_MAX / MAX_CENTS)

/*
 * Runs sql (a format with %lld for ids) on the daemon's database file from
 * another connection, and bumps the revision as every write does: a state
 * that thousands of single writes would make, made in one step.
 */
static void sql_exec(const char *fmt, ...)
{
	char *sql;
	va_list ap;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	api_sql(&a, sql);
	api_sql(&a, "UPDATE meta SET value = value + 1 WHERE key = 'revision'");
	sqlite3_free(sql);
}

/* n programmes of MAX_CENTS under goal (of budget) */
static void fill_programmes(long long budget, long long goal, int n)
{
	sql_exec("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1"
		 " FROM s WHERE i < %d) INSERT INTO programmes (created_at,"
		 " updated_at, goal_id, budget_id, name, budget_cents)"
		 " SELECT 'x', 'x', %lld, %lld, 'p', %lld FROM s",
		 n, goal, budget, MAX_CENTS);
}

/* n approved expenditures of MAX_CENTS on programme */
static void fill_expenditures(long long programme, int n)
{
	sql_exec("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1"
		 " FROM s WHERE i < %d) INSERT INTO expenditures (created_at,"
		 " updated_at, programme_id, amount_cents, spent_on,"
		 " description, status)"
		 " SELECT 'x', 'x', %lld, %lld, '2023-03-01', 'f', 'approved'"
		 " FROM s",
		 n, programme, MAX_CENTS);
}

static void assert_overflow(struct resp *r, const char *what)
{
	ck_assert_msg(r->status == 422 &&
			      strcmp(jstr(r, "code"), "overflow") == 0,
		      "%s: %ld %s", what, r->status, r->body);
	resp_free(r);
}

/* Every view of the figures still answers. */
static void assert_figures_answer(long long budget)
{
	static const char *const paths[] = {
		"/api/v1/budgets/%lld/status",
		"/api/v1/budgets/%lld/status?format=csv",
		"/api/v1/budgets/%lld/overview.xlsx",
		"/api/v1/status",
		"/api/v1/status?format=csv",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct resp *r = get(paths[i], budget);

		ck_assert_msg(r->status == 200, "%s: %ld %s", paths[i],
			      r->status, r->body);
		resp_free(r);
	}
}

START_TEST(writes_that_make_a_figure_uncountable_are_refused)
{
	long long b =
		fx_budget(&a, (struct fx_budget){ .grant = MAX_CENTS,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "1",
						     .allocated = MAX_CENTS }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = b,
						     .code = "2",
						     .allocated = 0 });
	long long p1, p2, plan, audit;
	struct resp *r;

	/* programmes: each goal's sum fits, the budget's would not */
	fill_programmes(b, g1, FIT / 2);
	fill_programmes(b, g2, FIT / 2);
	fx_programme(&a,
		     (struct fx_programme){
			     .goal = g1,
			     .budget =
				     MAX_CENTS }); /* FIT of them: still fits */
	audit = audit_total();
	assert_overflow(send_json("POST", "/api/v1/programmes",
				  json_pack("{s:I, s:s, s:I}", "goal_id",
					    (json_int_t)g2, "name",
					    "Eén te veel", "budget_cents",
					    (json_int_t)MAX_CENTS)),
			"a programme past the budget's programmed sum");
	ck_assert_int_eq(count_of("/api/v1/programmes?count=true&limit=1"),
			 FIT + 0);
	ck_assert_int_eq(audit_total(), audit);
	assert_figures_answer(b);

	/* expenditures: each programme's sum fits, the budget's would not */
	b = fx_budget(&a, (struct fx_budget){ .grant = MAX_CENTS,
					      .policy = "warn",
					      .until = "2030-07-31" });
	g1 = fx_goal(&a, (struct fx_goal){ .budget = b,
					   .code = "1",
					   .allocated = MAX_CENTS });
	p1 = fx_programme(&a, (struct fx_programme){ .goal = g1,
						     .budget = MAX_CENTS });
	p2 = fx_programme(&a, (struct fx_programme){ .goal = g1, .budget = 0 });
	fill_expenditures(p1, FIT / 2);
	fill_expenditures(p2, FIT / 2);
	fx_expenditure(&a, (struct fx_expenditure){ .programme = p1,
						    .plan = 0,
						    .amount = MAX_CENTS });
	assert_overflow(send_json("POST", "/api/v1/expenditures",
				  json_pack("{s:I, s:I, s:s, s:s}",
					    "programme_id", (json_int_t)p2,
					    "amount_cents",
					    (json_int_t)MAX_CENTS, "spent_on",
					    "2023-04-01", "description",
					    "Eén te veel")),
			"an expenditure past the budget's spent sum");
	assert_figures_answer(b);

	/* a plan's approval: committed is plans and expenditures together */
	plan = fx_plan(
		&a, (struct fx_plan){
			    .programme = p2,
			    .school = fx_school(
				    &a, (struct fx_school){ .gm = "GM0402" }),
			    .requested = MAX_CENTS });
	move_ok("plans", plan, "submitted", -1);
	assert_overflow(move("plans", plan, "approved", MAX_CENTS, NULL),
			"an approval past the budget's committed sum");
	r = get("/api/v1/plans/%lld", plan);
	ck_assert_str_eq(jstr(r, "status"), "submitted");
	resp_free(r);
	/* a PATCH that raises an amount is refused the same way */
	{
		char path[64];
		long long e = fx_expenditure(
			&a, (struct fx_expenditure){
				    .programme = p2, .plan = 0, .amount = 1 });

		snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", e);
		assert_overflow(send_json("PATCH", path,
					  json_pack("{s:I}", "amount_cents",
						    (json_int_t)MAX_CENTS)),
				"a PATCH raising an amount past the sum");
		r = get("/api/v1/expenditures/%lld", e);
		ck_assert_int_eq(jint(r, "amount_cents"), 1);
		resp_free(r);
	}
	assert_figures_answer(b);
}
END_TEST

START_TEST(one_uncountable_budget_leaves_the_front_page_standing)
{
	long long good =
		fx_budget(&a, (struct fx_budget){ .grant = 213850964,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long bad =
		fx_budget(&a, (struct fx_budget){ .grant = MAX_CENTS,
						  .policy = "warn",
						  .until = "2030-07-31" });
	long long g1 = fx_goal(&a, (struct fx_goal){ .budget = bad,
						     .code = "1",
						     .allocated = 0 }),
		  g2 = fx_goal(&a, (struct fx_goal){ .budget = bad,
						     .code = "2",
						     .allocated = 0 });
	struct resp *r;
	json_t *items, *row;
	size_t i;

	/* as a database written before such writes were refused holds it,
	 * with the bounds its migration gives it (migrations/0003) */
	sql_exec("DELETE FROM budget_bounds WHERE budget_id = %lld", bad);
	fill_programmes(bad, g1, FIT / 2 + 1);
	fill_programmes(bad, g2, FIT / 2 + 1);
	sql_exec("INSERT INTO budget_bounds VALUES (%lld, %lld, %lld, %lld)",
		 bad, (long long)INT64_MAX, (long long)INT64_MAX,
		 (long long)INT64_MAX);
	/* nothing more is added to it */
	assert_overflow(send_json("POST", "/api/v1/programmes",
				  json_pack("{s:I, s:s, s:I}", "goal_id",
					    (json_int_t)g1, "name", "Nog één",
					    "budget_cents", (json_int_t)1)),
			"a programme in a budget that cannot be counted");
	r = get("/api/v1/status", 0);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	json_array_foreach(items, i, row)
	{
		if (jget(row, "budget_id") == good) {
			ck_assert_int_eq(jget(row, "grant_cents"), 213850964);
			ck_assert_ptr_null(json_object_get(row, "error"));
		} else {
			ck_assert_int_eq(jget(row, "budget_id"), bad);
			ck_assert_ptr_null(json_object_get(row, "grant_cents"));
			ck_assert_str_eq(
				json_string_value(json_object_get(
					json_object_get(row, "error"), "code")),
				"figures_overflow");
		}
	}
	resp_free(r);
	r = get("/api/v1/status?format=csv", 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "\r\n1,GM0402,"));
	resp_free(r);
}
END_TEST

/* --- eligibility: costs outside the spending period ---------------------- */

/* A cost dated outside spend_from..spend_until (2021-07-01..2030-07-31 here)
 * is not eligible: the status warns about each one, by id and amount, as
 * long as it is not rejected; the bounds themselves are inside. */
START_TEST(costs_outside_the_period_warn_until_rejected)
{
	struct fx f = fixture(100000, "warn");
	static const struct {
		const char *on;
		bool outside;
	} dates[] = {
		{ "2021-06-30", true },
		{ "2021-07-01", false },
		{ "2030-07-31", false },
		{ "2030-08-01", true },
	};
	long long ids[ARRAY_SIZE(dates)], amount = 0;
	struct resp *r;

	for (size_t i = 0; i < ARRAY_SIZE(dates); i++)
		ids[i] = fx_create(
			&a, "/api/v1/expenditures",
			json_pack("{s:I, s:I, s:s, s:s}", "programme_id",
				  (json_int_t)f.programme, "amount_cents",
				  (json_int_t)(100 + i), "spent_on",
				  dates[i].on, "description", "Factuur"));
	for (size_t i = 0; i < ARRAY_SIZE(dates); i++) {
		ck_assert_msg(has_warning(f.budget, "outside_period",
					  "expenditure", ids[i],
					  &amount) == dates[i].outside,
			      "a cost on %s", dates[i].on);
		if (dates[i].outside)
			ck_assert_int_eq(amount, 100 + (long long)i);
	}
	/* a rejected one is no cost at all */
	r = move("expenditures", ids[0], "rejected", -1, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	ck_assert(!has_warning(f.budget, "outside_period", "expenditure",
			       ids[0], NULL));
	ck_assert(has_warning(f.budget, "outside_period", "expenditure", ids[3],
			      NULL));
}
END_TEST

/* --- corrections ---------------------------------------------------------- */

/* A correction of expenditure id of amount (negative or not). */
static struct resp *correct(long long programme, long long plan, long long id,
			    long long amount)
{
	json_t *b = json_pack("{s:I, s:I, s:s, s:s, s:I}", "programme_id",
			      (json_int_t)programme, "amount_cents",
			      (json_int_t)amount, "spent_on", "2024-05-01",
			      "description", "Correctie", "corrects_id",
			      (json_int_t)id);

	if (plan)
		json_object_set_new(b, "plan_id", json_integer(plan));
	return send_json("POST", "/api/v1/expenditures", b);
}

static long long created_id(struct resp *r)
{
	long long id = jint(r, "id");

	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ck_assert_str_eq(jstr(r, "status"), "submitted");
	resp_free(r);
	return id;
}

static long long corrected_of(long long id)
{
	struct resp *r = get("/api/v1/expenditures/%lld", id);
	long long v = jint(r, "corrected_cents");

	resp_free(r);
	return v;
}

START_TEST(corrections_correct_booked_costs_never_below_zero)
{
	struct fx f = fixture(1000000, "warn");
	long long other = fx_programme(
		&a, (struct fx_programme){ .goal = f.goal, .budget = 1000 });
	long long orig, open, c1, c2, c3;
	struct resp *r;

	orig = fx_expenditure(&a,
			      (struct fx_expenditure){ .programme = f.programme,
						       .amount = 10000 });
	open = fx_expenditure(&a,
			      (struct fx_expenditure){ .programme = f.programme,
						       .amount = 500 });
	move_ok("expenditures", orig, "approved", -1);
	ck_assert_int_eq(corrected_of(orig), 0);

	/* negative only for a correction, of a booked cost of its programme */
	r = send_json("POST", "/api/v1/expenditures",
		      json_pack("{s:I, s:I, s:s, s:s}", "programme_id",
				(json_int_t)f.programme, "amount_cents",
				(json_int_t)-100, "spent_on", "2024-05-01",
				"description", "Min"));
	assert_invalid(r, "amount_cents", "range");
	resp_free(r);
	r = correct(f.programme, 0, open, -100);
	assert_invalid(r, "corrects_id", "not_booked");
	resp_free(r);
	r = correct(other, 0, orig, -100);
	assert_invalid(r, "programme_id", "other_programme");
	resp_free(r);
	r = correct(f.programme, 0, 9999, -100);
	assert_invalid(r, "corrects_id", "not_found");
	resp_free(r);

	/* a correction counts once approved, like any cost */
	c1 = created_id(correct(f.programme, 0, orig, -3000));
	ck_assert_int_eq(corrected_of(orig), 0);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "spent_cents"),
			 10000);
	{
		/* the original shows it: a new version, so an old ETag is no
		 * longer current, and an audit row that says why */
		json_t *was = get_json("/api/v1/expenditures/%lld", orig);
		char tag[40], path[64];
		const char *inm[] = { tag, NULL };

		snprintf(tag, sizeof(tag), "If-None-Match: \"%lld\"",
			 jget(was, "version"));
		move_ok("expenditures", c1, "approved", -1);
		snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", orig);
		r = api_req(&a, "GET", path, a.read, NULL, inm);
		ck_assert_int_eq(r->status, 200);
		ck_assert_int_eq(jint(r, "version"), jget(was, "version") + 1);
		resp_free(r);
		json_decref(was);
		snprintf(path, sizeof(path),
			 "/api/v1/audit?entity=expenditure&entity_id=%lld",
			 orig);
		r = api_req(&a, "GET", path, a.admin, NULL, NULL);
		ck_assert_msg(strstr(r->body, "correction") != NULL, "%s",
			      r->body);
		resp_free(r);
	}
	ck_assert_int_eq(corrected_of(orig), -3000);
	ck_assert_int_eq(corrected_of(c1), 0);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "spent_cents"),
			 7000);
	ck_assert_int_eq(total_figure(f.budget, "committed_cents"), 7000);

	/* never below zero: when made, and again when approved */
	r = correct(f.programme, 0, orig, -7001);
	ck_assert_msg(r->status == 409, "%ld %s", r->status, r->body);
	ck_assert_str_eq(jstr(r, "code"), "over_corrected");
	ck_assert_int_eq(jint(r, "original_cents"), 10000);
	ck_assert_int_eq(jint(r, "corrected_cents"), -3000);
	ck_assert_int_eq(jint(r, "asked_cents"), -7001);
	resp_free(r);
	c2 = created_id(correct(f.programme, 0, orig, -7000));
	c3 = created_id(correct(f.programme, 0, orig, -1));
	move_ok("expenditures", c2, "approved", -1);
	r = move("expenditures", c3, "approved", -1, NULL);
	ck_assert_msg(r->status == 409, "%ld %s", r->status, r->body);
	ck_assert_str_eq(jstr(r, "code"), "over_corrected");
	resp_free(r);
	ck_assert_int_eq(corrected_of(orig), -10000);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "spent_cents"),
			 0);
	/* a positive correction (booked too little) is one too */
	move_ok("expenditures", created_id(correct(f.programme, 0, orig, 250)),
		"approved", -1);
	ck_assert_int_eq(corrected_of(orig), -9750);

	/* a correction is not corrected; corrects_id never changes */
	r = correct(f.programme, 0, c1, 100);
	assert_invalid(r, "corrects_id", "correction");
	resp_free(r);
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", c3);
		r = send_json("PATCH", path,
			      json_pack("{s:I}", "corrects_id",
					(json_int_t)c1));
		ck_assert_int_eq(r->status, 422);
		resp_free(r);
	}

	/* both rows in the list and the CSV */
	r = get("/api/v1/expenditures?corrects_id=%lld&count=true", orig);
	ck_assert_int_eq(jint(r, "total"), 4);
	resp_free(r);
	r = get("/api/v1/expenditures?format=csv&fields=id,amount_cents,"
		"corrects_id,corrected_cents&after=%lld&limit=1",
		orig - 1);
	ck_assert_msg(strstr(r->body, "id,amount_eur,corrects_id,corrected_eur"
				      "\r\n") != NULL,
		      "%s", r->body);
	ck_assert_msg(strstr(r->body, ",100.00,,-97.50\r\n") != NULL, "%s",
		      r->body);
	resp_free(r);
}
END_TEST

START_TEST(a_correction_keeps_to_the_plan_of_its_original)
{
	struct fx f = fixture(1000000, "warn");
	long long plan = fx_plan(&a, (struct fx_plan){ .programme = f.programme,
						       .school = f.school,
						       .requested = 20000 });
	long long orig, c1;
	struct resp *r;

	move_ok("plans", plan, "submitted", -1);
	move_ok("plans", plan, "approved", 20000);
	orig = fx_expenditure(&a,
			      (struct fx_expenditure){ .programme = f.programme,
						       .plan = plan,
						       .amount = 8000 });
	move_ok("expenditures", orig, "approved", -1);
	r = correct(f.programme, 0, orig, -1000);
	assert_invalid(r, "plan_id", "other_plan");
	resp_free(r);
	c1 = created_id(correct(f.programme, plan, orig, -1000));
	move_ok("expenditures", c1, "approved", -1);
	/* the plan's figures count it: spent 7000 of 20000 */
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "spent_cents"),
			 7000);
	ck_assert_int_eq(status_figure(f.budget, "programmes", f.programme,
				       "open_commitments_cents"),
			 13000);
	/* approved, it is locked like any cost */
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", c1);
		r = send_json("PATCH", path,
			      json_pack("{s:I}", "amount_cents",
					(json_int_t)-500));
		ck_assert_int_eq(r->status, 409);
		ck_assert_str_eq(jstr(r, "code"), "locked");
		resp_free(r);
	}
}
END_TEST

/* --- closed years --------------------------------------------------------- */

static struct resp *close_year(long long budget, int year, const char *token)
{
	char path[64], body[64];

	snprintf(path, sizeof(path), "/api/v1/budgets/%lld/closings", budget);
	snprintf(body, sizeof(body), "{\"year\":%d,\"note\":\"jaarrekening\"}",
		 year);
	return api_req(&a, "POST", path, token, body, NULL);
}

static void expect_code(struct resp *r, long status, const char *code)
{
	ck_assert_msg(r->status == status && strcmp(jstr(r, "code"), code) == 0,
		      "want %ld %s: %ld %s", status, code, r->status, r->body);
	resp_free(r);
}

START_TEST(years_close_in_order_once_ended)
{
	long long b = fx_budget(&a, (struct fx_budget){ .grant = 100000 });
	struct resp *r;

	expect_code(close_year(b, 2026, a.admin), 422, "year_not_ended");
	expect_code(close_year(b, 2020, a.admin), 422, "validation_failed");
	expect_code(close_year(b, 2022, a.admin), 409, "previous_year_open");
	expect_code(close_year(b, 2021, a.write), 403, "forbidden");
	expect_code(close_year(b, 9, a.admin), 422, "validation_failed");
	r = close_year(b, 2021, a.admin);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ck_assert_int_eq(jint(r, "budget_id"), b);
	ck_assert_int_eq(jint(r, "year"), 2021);
	ck_assert_str_eq(jstr(r, "closed_by"), "admin");
	ck_assert_str_eq(jstr(r, "note"), "jaarrekening");
	ck_assert_int_eq(strlen(jstr(r, "closed_at")), 20);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(r->json, "report"), "year")),
			 2021);
	ck_assert(json_is_true(
		json_object_get(json_object_get(r->json, "report"), "closed")));
	resp_free(r);
	expect_code(close_year(b, 2021, a.admin), 409, "duplicate");
	r = close_year(b, 2022, a.admin);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);
	r = get("/api/v1/budgets/%lld/closings", b);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
	resp_free(r);
	/* append-only */
	r = api_req(&a, "DELETE", "/api/v1/budgets/1/closings", a.admin, NULL,
		    NULL);
	ck_assert_int_eq(r->status, 405);
	resp_free(r);
	r = get("/api/v1/budgets/%lld/closings", 99);
	ck_assert_int_eq(r->status, 404);
	resp_free(r);
}
END_TEST

START_TEST(the_costs_of_a_closed_year_stay_as_they_were)
{
	struct fx f = fixture(1000000, "warn");
	long long booked, waiting, later, c;
	struct resp *r;
	char path[64];

	/* the fixture's budget runs 2021-07-01..2030-07-31 */
	booked = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = f.programme,
					     .amount = 5000,
					     .on = "2021-09-01" });
	move_ok("expenditures", booked, "approved", -1);
	waiting = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = f.programme,
					     .amount = 700,
					     .on = "2021-10-01" });
	later = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = f.programme,
					     .amount = 900,
					     .on = "2022-02-01" });
	r = close_year(f.budget, 2021, a.admin);
	ck_assert_int_eq(r->status, 201);
	resp_free(r);

	/* nothing new in it, nothing dated or approved into it */
	expect_code(send_json("POST", "/api/v1/expenditures",
			      json_pack("{s:I, s:I, s:s, s:s}", "programme_id",
					(json_int_t)f.programme, "amount_cents",
					(json_int_t)100, "spent_on",
					"2021-12-31", "description", "Laat")),
		    409, "period_closed");
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", later);
	expect_code(send_json("PATCH", path,
			      json_pack("{s:s}", "spent_on", "2021-12-01")),
		    409, "period_closed");
	expect_code(move("expenditures", waiting, "approved", -1, NULL), 409,
		    "period_closed");
	/* a booked one in it does not change, but it may be paid */
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", booked);
	r = send_json("PATCH", path,
		      json_pack("{s:s}", "description", "Anders"));
	ck_assert_int_eq(jint(r, "year"), 2021);
	expect_code(r, 409, "period_closed");
	move_ok("expenditures", booked, "paid", -1);
	/* a waiting one may still be rejected, or dated into an open year */
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", waiting);
	r = send_json("PATCH", path,
		      json_pack("{s:s}", "spent_on", "2022-01-15"));
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	resp_free(r);
	/* mistakes are corrected in an open year */
	c = fx_create(&a, "/api/v1/expenditures",
		      json_pack("{s:I, s:I, s:s, s:s, s:I}", "programme_id",
				(json_int_t)f.programme, "amount_cents",
				(json_int_t)-1000, "spent_on", "2022-03-01",
				"description", "Correctie", "corrects_id",
				(json_int_t)booked));
	move_ok("expenditures", c, "approved", -1);
	/* the closed year's report is the one kept at closing */
	r = get("/api/v1/budgets/%lld/accountability?year=2021", f.budget);
	ck_assert_int_eq(jint(r, "spent_cents"), 5000);
	ck_assert(json_is_true(json_object_get(r->json, "closed")));
	ck_assert_int_eq(strlen(jstr(r, "closed_at")), 20);
	resp_free(r);
	r = get("/api/v1/budgets/%lld/accountability?year=2022", f.budget);
	ck_assert_int_eq(jint(r, "spent_cents"), -1000);
	ck_assert(json_is_false(json_object_get(r->json, "closed")));
	resp_free(r);
}
END_TEST

/* One test case per heading of the rules, each of which runs alone with
 * CK_RUN_CASE=<name>. */
static void add_cases(Suite *s)
{
	TCase *tc = test_case(s, "workflows", setup, teardown);

	tcase_add_test(tc, plan_moves_from_draft_to_settled);
	tcase_add_test(tc, plan_is_rejected_or_withdrawn);
	tcase_add_test(tc, a_settled_plan_commits_its_settled_amount);
	tcase_add_test(tc, plan_moves_not_in_the_workflow_are_409_with_allowed);
	tcase_add_test(tc, moves_of_every_workflow_as_written);
	tcase_add_test(tc, status_bodies_are_validated);
	tcase_add_test(tc, status_is_read_only_in_create_and_patch);
	tcase_add_test(tc, status_moves_need_a_write_token);
	tcase_add_test(tc, only_what_is_in_its_first_status_can_be_deleted);

	tc = test_case(s, "overruns", setup, teardown);
	tcase_add_test(tc, goals_above_the_grant_warn);
	tcase_add_test(tc, goals_above_the_grant_stop);
	tcase_add_test(tc, programmes_above_their_goal_warn);
	tcase_add_test(tc, programmes_above_their_goal_stop);
	tcase_add_test(tc, approved_plans_above_the_programme_warn);
	tcase_add_test(tc, approved_plans_above_the_programme_stop);
	tcase_add_test(tc, expenditures_above_the_plan_warn_and_stop);
	tcase_add_test(tc, expenditures_against_a_plan_stop_from_the_start);
	tcase_add_test(
		tc, declarations_need_an_approved_plan_of_the_same_programme);
	tcase_add_test(tc,
		       a_write_that_reduces_an_overrun_is_allowed_under_stop);
	tcase_add_test(tc, costs_outside_the_period_warn_until_rejected);
	tcase_add_test(tc, writes_that_make_a_figure_uncountable_are_refused);
	tcase_add_test(tc,
		       one_uncountable_budget_leaves_the_front_page_standing);

	tc = test_case(s, "corrections", setup, teardown);
	tcase_add_test(tc, corrections_correct_booked_costs_never_below_zero);
	tcase_add_test(tc, a_correction_keeps_to_the_plan_of_its_original);

	tc = test_case(s, "closed years", setup, teardown);
	tcase_add_test(tc, years_close_in_order_once_ended);
	tcase_add_test(tc, the_costs_of_a_closed_year_stay_as_they_were);

	tc = test_case(s, "reallocations", setup, teardown);
	tcase_add_test(tc, reallocation_between_two_goals);
	tcase_add_test(tc, reallocation_between_two_programmes);
	tcase_add_test(tc, reallocation_never_goes_below_committed_or_spent);
	tcase_add_test(tc,
		       reallocation_from_a_goal_whose_programmes_have_spent);
	tcase_add_test(tc, reallocation_refusals_are_422);
	tcase_add_test(tc, reallocations_are_append_only);
	tcase_add_test(tc,
		       reallocation_that_breaks_a_level_under_stop_is_refused);
	tcase_add_test(
		tc,
		reallocation_between_programmes_of_two_goals_keeps_the_goal_rule);
	tcase_add_test(tc, reallocation_between_programmes_of_two_goals_warns);

	tc = test_case(s, "locking", setup, teardown);
	tcase_add_test(tc, status_move_with_a_stale_if_match_is_412);
	tcase_add_test(tc, decided_plans_and_expenditures_are_locked);

	tc = test_case(s, "concurrency", setup, teardown);
	tcase_add_test(tc, concurrent_plan_approvals_never_over_commit);
	tcase_add_test(
		tc, concurrent_expenditure_approvals_never_over_spend_a_plan);

	tc = test_case(s, "audit", setup, teardown);
	tcase_add_test(tc, status_moves_are_audited_with_their_note);
	tcase_add_test(tc, audit_has_a_row_for_each_kind_of_change);
}

CHECK_MAIN_CASES("rules")
