#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define OR(v, d) ((v) ? (v) : (d))

/* fx_create, and the new row's status must be status (when not NULL). */
static long long create_in(struct api *a, const char *path, json_t *body_new,
			   const char *status)
{
	char *text = json_dumps(body_new, JSON_COMPACT);
	struct resp *r;
	long long id;

	ck_assert_ptr_nonnull(text);
	r = api_req(a, "POST", path, a->write, text, NULL);
	ck_assert_msg(r->status == 201, "POST %s %s: %ld %s", path, text,
		      r->status, r->body);
	if (status)
		ck_assert_str_eq(jstr(r, "status"), status);
	id = jint(r, "id");
	ck_assert_int_gt(id, 0);
	resp_free(r);
	free(text);
	json_decref(body_new);
	return id;
}

long long fx_create(struct api *a, const char *path, json_t *body_new)
{
	return create_in(a, path, body_new, NULL);
}

void fx_move(struct api *a, const char *kind, long long id, const char *body)
{
	char path[96];
	struct resp *r;

	snprintf(path, sizeof(path), "/api/v1/%s/%lld/status", kind, id);
	r = api_req(a, "POST", path, a->write, body, NULL);
	ck_assert_msg(r->status == 200, "%s %s: %ld %s", path, body, r->status,
		      r->body);
	resp_free(r);
}

void fx_approve_plan(struct api *a, long long id, long long cents)
{
	char body[96];

	fx_move(a, "plans", id, "{\"status\":\"submitted\"}");
	snprintf(body, sizeof(body),
		 "{\"status\":\"approved\",\"approved_cents\":%lld}", cents);
	fx_move(a, "plans", id, body);
}

long long fx_budget(struct api *a, struct fx_budget b)
{
	json_t *body = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}",
				 "municipality_code", OR(b.gm, "GM0402"),
				 "municipality_name", "Gemeente", "name",
				 OR(b.name, "NPO"), "grant_cents",
				 (json_int_t)OR(b.grant, 100000), "spend_from",
				 OR(b.from, "2021-07-01"), "spend_until",
				 OR(b.until, "2025-07-31"));

	if (b.policy)
		json_object_set_new(body, "overrun_policy",
				    json_string(b.policy));
	return fx_create(a, "/api/v1/budgets", body);
}

long long fx_goal(struct api *a, struct fx_goal g)
{
	static int made;
	char code[16];

	snprintf(code, sizeof(code), "%d", ++made);
	return fx_create(a, "/api/v1/goals",
			 json_pack("{s:I, s:s, s:s, s:I}", "budget_id",
				   (json_int_t)g.budget, "code",
				   OR(g.code, code), "name",
				   OR(g.name, "Bestedingsdoel"),
				   "allocated_cents", (json_int_t)g.allocated));
}

long long fx_programme(struct api *a, struct fx_programme p)
{
	return fx_create(a, "/api/v1/programmes",
			 json_pack("{s:I, s:s, s:I}", "goal_id",
				   (json_int_t)p.goal, "name",
				   OR(p.name, "Uitvoeringsprogramma"),
				   "budget_cents", (json_int_t)p.budget));
}

long long fx_school(struct api *a, struct fx_school s)
{
	static int made;
	char code[16];

	snprintf(code, sizeof(code), "%02dXY%02d", (made / 100) % 100,
		 made % 100);
	made++;
	return fx_create(a, "/api/v1/schools",
			 json_pack("{s:s, s:s, s:s, s:s}", "code",
				   OR(s.code, code), "name",
				   OR(s.name, "De Regenboog"), "sector",
				   OR(s.sector, "po"), "municipality_code",
				   OR(s.gm, "GM0402")));
}

long long fx_plan(struct api *a, struct fx_plan p)
{
	static int made;
	char year[32];
	int y = 1950 + made++;

	snprintf(year, sizeof(year), "%d-%d", y, y + 1);
	return fx_create(a, "/api/v1/plans",
			 json_pack("{s:I, s:I, s:s, s:s, s:I}", "programme_id",
				   (json_int_t)p.programme, "school_id",
				   (json_int_t)p.school, "school_year",
				   OR(p.year, year), "title",
				   OR(p.title, "Extra begeleiding"),
				   "requested_cents", (json_int_t)p.requested));
}

long long fx_expenditure(struct api *a, struct fx_expenditure e)
{
	json_t *body = json_pack("{s:I, s:I, s:s, s:s}", "programme_id",
				 (json_int_t)e.programme, "amount_cents",
				 (json_int_t)OR(e.amount, 1000), "spent_on",
				 OR(e.on, "2024-03-01"), "description",
				 OR(e.description, "Factuur"));

	if (e.plan)
		json_object_set_new(body, "plan_id", json_integer(e.plan));
	/* created in the first status of the workflow, always */
	return create_in(a, "/api/v1/expenditures", body, "submitted");
}

/* {"goal_id": goal} or {"programme_id": programme}. */
static json_t *line(long long goal, long long programme)
{
	return goal ? json_pack("{s:I}", "goal_id", (json_int_t)goal)
		    : json_pack("{s:I}", "programme_id", (json_int_t)programme);
}

long long fx_reallocation(struct api *a, struct fx_reallocation r)
{
	return fx_create(a, "/api/v1/reallocations",
			 json_pack("{s:I, s:o, s:o, s:I, s:s, s:s}",
				   "budget_id", (json_int_t)r.budget, "from",
				   line(r.from_goal, r.from_programme), "to",
				   line(r.to_goal, r.to_programme),
				   "amount_cents",
				   (json_int_t)OR(r.amount, 100), "reason",
				   OR(r.reason, "herschikking"), "decided_on",
				   OR(r.on, "2024-01-15")));
}

struct fx_tree fx_tree(struct api *a, int nprogrammes)
{
	struct fx_tree t = { 0 };

	ck_assert_int_le(nprogrammes, 4);
	t.budget = fx_budget(a, (struct fx_budget){ .grant = 10000000 });
	t.goal = fx_goal(a, (struct fx_goal){ .budget = t.budget,
					      .code = "1",
					      .allocated = 1000000 });
	for (int i = 0; i < nprogrammes; i++)
		t.programme[i] = fx_programme(
			a, (struct fx_programme){ .goal = t.goal,
						  .budget = 100000 });
	return t;
}
