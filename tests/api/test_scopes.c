/*
 * Scoped tokens, tested as a matrix: every route of the route table (so a
 * new route is covered by itself) with every kind of token, on rows of two
 * municipalities and three schools. Each cell asserts its status, and every
 * answer a scoped token gets, JSON and CSV, is searched for a row outside
 * its scope: the rows of each scope carry a marker in their names
 * (MARKA: Huizen, MARKB: Hilversum, MARKA2: Huizen's second school), which
 * no answer to another scope may hold. Then the school's workflow end to
 * end, and a school's declarations racing the municipality's approvals.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check_main.h"
#include "fixture.h"
#include "harness.h"
#include "npo/api.h"

static struct api a;

/* The kinds of token of the matrix. */
enum who { NONE, READ, WRITE, ADMIN, MUNI_A, MUNI_B, SCHOOL_A, SCHOOL_B, NWHO };
static const char *const who_names[NWHO] = {
	"no token",	  "read",	    "write",	   "admin",
	"municipality A", "municipality B", "school of A", "school of B",
};
static char tokens[NWHO][AUTH_TOKEN_LEN + 1];

/* What each scope may never see. */
static const char *const hidden[NWHO][3] = {
	[MUNI_A] = { "MARKB", "GM0402", NULL },
	[MUNI_B] = { "MARKA", "GM0406", NULL },
	[SCHOOL_A] = { "MARKB", "MARKA2", "11HZ00" },
	[SCHOOL_B] = { "MARKA", "GM0406", "10HZ00" },
};

/* The rows of the world. */
static struct world {
	long long budget, goal, programme, programme2, school, plan,
		expenditure, reallocation;
} A, B;
static long long school_a2, plan_a2;

static void setup(void)
{
	api_up(&a);
}
static void teardown(void)
{
	api_down(&a);
}

/* --- the world ------------------------------------------------------------ */

static long long approved_plan(long long programme, long long school,
			       const char *title)
{
	long long p = fx_plan(&a, (struct fx_plan){ .programme = programme,
						    .school = school,
						    .title = title,
						    .requested = 100000 });

	fx_approve_plan(&a, p, 100000);
	return p;
}

/* A municipality's budget, goal, two programmes, a school with an approved
 * plan and a cost on it, and a reallocation, each named with mark. */
static struct world build(const char *gm, const char *school, const char *mark)
{
	struct world w;
	char name[64];

	snprintf(name, sizeof(name), "NPO %s", mark);
	w.budget = fx_budget(&a, (struct fx_budget){ .gm = gm,
						     .name = name,
						     .grant = 10000000 });
	snprintf(name, sizeof(name), "Doel %s", mark);
	w.goal = fx_goal(&a, (struct fx_goal){ .budget = w.budget,
					       .name = name,
					       .allocated = 5000000 });
	snprintf(name, sizeof(name), "Programma %s", mark);
	w.programme = fx_programme(
		&a, (struct fx_programme){
			    .goal = w.goal, .name = name, .budget = 1000000 });
	w.programme2 = fx_programme(
		&a, (struct fx_programme){
			    .goal = w.goal, .name = name, .budget = 1000000 });
	snprintf(name, sizeof(name), "School %s", mark);
	w.school = fx_school(&a, (struct fx_school){ .code = school,
						     .name = name,
						     .gm = gm });
	snprintf(name, sizeof(name), "Plan %s", mark);
	w.plan = approved_plan(w.programme, w.school, name);
	snprintf(name, sizeof(name), "Declaratie %s", mark);
	w.expenditure = fx_expenditure(
		&a, (struct fx_expenditure){ .programme = w.programme,
					     .plan = w.plan,
					     .description = name });
	snprintf(name, sizeof(name), "Herschikking %s", mark);
	w.reallocation = fx_reallocation(
		&a, (struct fx_reallocation){ .budget = w.budget,
					      .from_programme = w.programme2,
					      .to_programme = w.programme,
					      .reason = name });
	return w;
}

/* A token made over HTTP by the admin: its secret. */
static void make_token(const char *name, const char *role, const char *key,
		       const char *value, char out[AUTH_TOKEN_LEN + 1])
{
	char body[256];
	struct resp *r;

	if (key)
		snprintf(body, sizeof(body),
			 "{\"name\":\"%s\",\"role\":\"%s\",\"%s\":\"%s\"}",
			 name, role, key, value);
	else
		snprintf(body, sizeof(body),
			 "{\"name\":\"%s\",\"role\":\"%s\"}", name, role);
	r = api_req(&a, "POST", "/api/v1/tokens", a.admin, body, NULL);
	ck_assert_msg(r->status == 201, "%s: %ld %s", body, r->status, r->body);
	ck_assert_uint_eq(strlen(jstr(r, "token")), AUTH_TOKEN_LEN);
	snprintf(out, AUTH_TOKEN_LEN + 1, "%s", jstr(r, "token"));
	resp_free(r);
}

static void world(void)
{
	A = build("GM0406", "10HZ00", "MARKA");
	B = build("GM0402", "20HV00", "MARKB");
	school_a2 = fx_school(&a, (struct fx_school){ .code = "11HZ00",
						      .name = "School MARKA2",
						      .gm = "GM0406" });
	plan_a2 = approved_plan(A.programme, school_a2, "Plan MARKA2");
	fx_expenditure(&a, (struct fx_expenditure){
				   .programme = A.programme,
				   .plan = plan_a2,
				   .description = "Declaratie MARKA2" });
	memcpy(tokens[READ], a.read, sizeof(a.read));
	memcpy(tokens[WRITE], a.write, sizeof(a.write));
	memcpy(tokens[ADMIN], a.admin, sizeof(a.admin));
	make_token("huizen", "write", "municipality_code", "GM0406",
		   tokens[MUNI_A]);
	make_token("hilversum", "write", "municipality_code", "GM0402",
		   tokens[MUNI_B]);
	make_token("regenboog", "write", "school_code", "10HZ00",
		   tokens[SCHOOL_A]);
	make_token("zonnewijzer", "write", "school_code", "20HV00",
		   tokens[SCHOOL_B]);
}

/* --- one cell ------------------------------------------------------------- */

enum kind { LIST, CREATE, GET, PATCH, DELETE, MOVE, FIGURE, SERVICE };

static enum kind kind_of(const struct route *rt)
{
	bool item = strstr(rt->path, "{id}") != NULL;

	if (rt->role == ROLE_NONE)
		return SERVICE;
	if (!rt->ctx)
		return FIGURE;
	if (strcmp(rt->method, "GET") == 0)
		return item ? GET : LIST;
	if (strcmp(rt->method, "PATCH") == 0)
		return PATCH;
	if (strcmp(rt->method, "DELETE") == 0)
		return DELETE;
	return item ? MOVE : CREATE;
}

static int unique(void)
{
	static int n;

	return ++n;
}

/* A fresh row of Huizen's for a cell that changes one: a draft plan of its
 * school, a submitted cost, a planned programme. */
static long long fresh(const char *res)
{
	char name[32];

	snprintf(name, sizeof(name), "Nieuw MARKA %d", unique());
	if (!strcmp(res, "budget"))
		return fx_budget(&a, (struct fx_budget){ .gm = "GM0406",
							 .name = name });
	if (!strcmp(res, "goal"))
		return fx_goal(&a, (struct fx_goal){ .budget = A.budget,
						     .name = name });
	if (!strcmp(res, "programme"))
		return fx_programme(&a, (struct fx_programme){ .goal = A.goal,
							       .name = name });
	if (!strcmp(res, "school"))
		return fx_school(&a, (struct fx_school){ .name = name,
							 .gm = "GM0406" });
	if (!strcmp(res, "plan"))
		return fx_plan(&a, (struct fx_plan){ .programme = A.programme,
						     .school = A.school,
						     .title = name });
	if (!strcmp(res, "expenditure"))
		return fx_expenditure(
			&a, (struct fx_expenditure){ .programme = A.programme,
						     .plan = A.plan,
						     .description = name });
	ck_abort_msg("no fresh %s for the matrix: add one", res);
	return 0;
}

/* Huizen's row of res that the reading cells ask for. */
static long long row_of(const char *res)
{
	static const struct {
		const char *name;
		long long *id;
	} rows[] = {
		{ "budget", &A.budget },
		{ "goal", &A.goal },
		{ "programme", &A.programme },
		{ "school", &A.school },
		{ "plan", &A.plan },
		{ "expenditure", &A.expenditure },
		{ "reallocation", &A.reallocation },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strcmp(rows[i].name, res))
			return *rows[i].id;
	ck_abort_msg("no row of %s for the matrix: add one", res);
	return 0;
}

/* The body of a create, a change or a move of res by a cell, for
 * Huizen. */
static void body_of(enum kind k, const char *res, char *out, size_t n)
{
	int u = unique();

	*out = '\0';
	if (k == PATCH)
		snprintf(out, n, "{\"%s\":\"Gewijzigd MARKA %d\"}",
			 !strcmp(res, "plan")	       ? "title"
			 : !strcmp(res, "expenditure") ? "description"
						       : "name",
			 u);
	else if (k == MOVE)
		snprintf(out, n, "{\"status\":\"%s\"}",
			 !strcmp(res, "plan")	       ? "submitted"
			 : !strcmp(res, "expenditure") ? "approved"
						       : "active");
	else if (k != CREATE)
		return;
	else if (!strcmp(res, "budget"))
		snprintf(out, n,
			 "{\"municipality_code\":\"GM0406\",\"municipality_"
			 "name\":\"Huizen\",\"name\":\"NPO MARKA %d\","
			 "\"grant_cents\":100,\"spend_from\":\"2021-07-01\","
			 "\"spend_until\":\"2025-07-31\"}",
			 u);
	else if (!strcmp(res, "goal"))
		snprintf(out, n,
			 "{\"budget_id\":%lld,\"code\":\"m%d\",\"name\":"
			 "\"MARKA\",\"allocated_cents\":0}",
			 A.budget, u);
	else if (!strcmp(res, "programme"))
		snprintf(out, n,
			 "{\"goal_id\":%lld,\"name\":\"MARKA %d\","
			 "\"budget_cents\":0}",
			 A.goal, u);
	else if (!strcmp(res, "reallocation"))
		snprintf(
			out, n,
			"{\"budget_id\":%lld,\"from\":{\"programme_id\":%lld},"
			"\"to\":{\"programme_id\":%lld},\"amount_cents\":1,"
			"\"reason\":\"MARKA %d\",\"decided_on\":\"2024-02-01\"}",
			A.budget, A.programme2, A.programme, u);
	else if (!strcmp(res, "school"))
		snprintf(out, n,
			 "{\"code\":\"%02dMA%02d\",\"name\":\"MARKA\","
			 "\"sector\":\"po\",\"municipality_code\":\"GM0406\"}",
			 u / 100 % 100, u % 100);
	else if (!strcmp(res, "plan"))
		snprintf(out, n,
			 "{\"programme_id\":%lld,\"school_id\":%lld,"
			 "\"school_year\":\"%d-%d\",\"title\":\"MARKA\","
			 "\"requested_cents\":100}",
			 A.programme, A.school, 2100 + u, 2101 + u);
	else if (!strcmp(res, "expenditure"))
		snprintf(out, n,
			 "{\"programme_id\":%lld,\"plan_id\":%lld,"
			 "\"amount_cents\":100,\"spent_on\":\"2024-05-01\","
			 "\"description\":\"MARKA %d\"}",
			 A.programme, A.plan, u);
	else
		ck_abort_msg("no body to create a %s for the matrix", res);
}

/* The status a cell must answer: the rules of the contract written out,
 * independently of the route table's flags. */
static long expected(const struct route *rt, enum kind k, const char *res,
		     enum who w)
{
	static const long ok[] = { [LIST] = 200,  [CREATE] = 201, [GET] = 200,
				   [PATCH] = 200, [DELETE] = 204, [MOVE] = 200 };
	static const enum role roles[NWHO] = {
		[READ] = ROLE_READ,	 [WRITE] = ROLE_WRITE,
		[ADMIN] = ROLE_ADMIN,	 [MUNI_A] = ROLE_WRITE,
		[MUNI_B] = ROLE_WRITE,	 [SCHOOL_A] = ROLE_WRITE,
		[SCHOOL_B] = ROLE_WRITE,
	};
	bool school = w == SCHOOL_A || w == SCHOOL_B;
	bool other = w == MUNI_B || w == SCHOOL_B;
	long done;

	if (k == SERVICE)
		/* / and /dashboard send the browser on to /dashboard/ */
		return strcmp(rt->path, "/") == 0 ||
				       strcmp(rt->path, "/dashboard") == 0
			       ? 302
			       : 200;
	if (w == NONE)
		return 401;
	if (roles[w] < rt->role)
		return 403;
	/* events tell only that something changed: anyone who reads may
	 * hear them, a school too */
	if (strcmp(rt->path, "/api/v1/events") == 0)
		return 200;
	if (k == FIGURE) {
		done = strcmp(rt->method, "POST") == 0	   ? 201
		       : strcmp(rt->method, "DELETE") == 0 ? 204
							   : 200;
		if (school)
			return 403; /* no figures, closings, imports, tokens */
		if (other && strstr(rt->path, "{id}"))
			return 404;
		/* another's costs name a programme that is not there; its
		 * schools are skipped */
		if (other && strstr(rt->path, "imports/expenditures"))
			return 422;
		return done;
	}
	if (school) {
		/* a school: sees its municipality's budgets, goals and
		 * programmes and its own school, plans and costs; drafts,
		 * submits and withdraws plans; declares costs */
		static const char *const sees[] = {
			"budget", "goal", "programme",
			"school", "plan", "expenditure"
		};
		bool may = false;

		for (size_t i = 0; i < sizeof(sees) / sizeof(sees[0]); i++)
			may |= !strcmp(sees[i], res) && (k == LIST || k == GET);
		may |= !strcmp(res, "plan");
		may |= !strcmp(res, "expenditure") && k == CREATE;
		if (!may)
			return 403;
	}
	if (!other || k == LIST)
		return ok[k];
	if (k != CREATE)
		return 404; /* Huizen's row is not there for Hilversum */
	/* a body that names Huizen's rows names rows that are not there;
	 * a budget or school of Huizen is outside the scope */
	return !strcmp(res, "budget") || !strcmp(res, "school") ? 403 : 422;
}

/* Whether w's role is enough for rt (so a 403 is the scope's). */
static bool roles_ok(const struct route *rt, enum who w)
{
	return rt->role <= ROLE_WRITE || w == ADMIN;
}

/* The path a cell asks: the route's, with the row it asks about. */
static void path_of(const struct route *rt, enum kind k, const char *res,
		    char *out, size_t n)
{
	const char *hole = strstr(rt->path, "{id}");
	const char *name = strstr(rt->path, "{name}");
	long long id = 0;

	if (hole)
		id = k == FIGURE ? A.budget
		     : k == GET	 ? row_of(res)
				 : fresh(res);
	if (hole)
		snprintf(out, n, "%.*s%lld%s", (int)(hole - rt->path), rt->path,
			 id, hole + 4);
	else if (name && strncmp(rt->path, "/dashboard/", 11) == 0)
		snprintf(out, n, "/dashboard/index.html");
	else if (name) {
		char secret[AUTH_TOKEN_LEN + 1], who[32];

		snprintf(who, sizeof(who), "weg%d", unique());
		make_token(who, "read", NULL, NULL, secret);
		snprintf(out, n, "%.*s%s", (int)(name - rt->path), rt->path,
			 who);
	} else
		snprintf(out, n, "%s", rt->path);
	if (strstr(rt->path, "accountability"))
		strncat(out, "?year=2024", n - strlen(out) - 1);
}

/* The marker of a row outside w's scope in body, or NULL. */
static const char *leak(enum who w, const char *body)
{
	for (int i = 0; i < 3 && hidden[w][i]; i++)
		if (body && strstr(body, hidden[w][i]))
			return hidden[w][i];
	return NULL;
}

static int cells, failures;
static char report[16384];

static void fail_cell(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void fail_cell(const char *fmt, ...)
{
	size_t len = strlen(report);
	va_list ap;

	failures++;
	if (len + 2 >= sizeof(report))
		return;
	va_start(ap, fmt);
	vsnprintf(report + len, sizeof(report) - len - 1, fmt, ap);
	va_end(ap);
	strcat(report, "\n");
}

static void cell(const struct route *rt, enum who w)
{
	enum kind k = kind_of(rt);
	const char *res = rt->ctx ? ((const struct resource *)rt->ctx)->name
				  : "";
	long want = expected(rt, k, res, w);
	char path[256], body[512];
	const char *m;
	struct resp *r;

	if (!strcmp(rt->path, "/api/v1/budgets/{id}/closings") &&
	    !strcmp(rt->method, "POST"))
		snprintf(body, sizeof(body), "{\"year\":2021}");
	else if (!strcmp(rt->path, "/api/v1/tokens") &&
		 !strcmp(rt->method, "POST"))
		snprintf(body, sizeof(body),
			 "{\"name\":\"matrix%d\",\"role\":\"read\"}", unique());
	else
		body_of(k, res, body, sizeof(body));
	path_of(rt, k, res, path, sizeof(path));
	if (rt->csv_body) {
		/* an import of one row of Huizen's */
		int u = unique();

		if (strstr(rt->path, "schools")) {
			strncat(path, "?sector=po",
				sizeof(path) - strlen(path) - 1);
			snprintf(
				body, sizeof(body),
				"VESTIGINGSNUMMER;VESTIGINGSNAAM;GEMEENTENUMMER\n"
				"%02dIM%02d;School MARKA;0406\n",
				u / 100 % 100, u % 100);
		} else {
			snprintf(
				body, sizeof(body),
				"programme_id,amount_cents,spent_on,description\n"
				"%lld,100,2024-05-01,MARKA import %d\n",
				A.programme, u);
		}
	}
	/* an event stream does not end: HEAD asks the same of it */
	r = api_req(
		&a,
		strcmp(rt->path, "/api/v1/events") == 0 ? "HEAD" : rt->method,
		path, w == NONE ? NULL : tokens[w], *body ? body : NULL,
		rt->csv_body ? (const char *const[]){ "Content-Type: text/csv",
						      NULL }
			     : NULL);
	cells++;
	if (r->status != want)
		fail_cell("%s: %s %s %s: %ld, wanted %ld: %.200s", who_names[w],
			  rt->method, path, body, r->status, want, r->body);
	/* a reference out of scope is one that is not there */
	if (want == 422 && r->status == 422) {
		const json_t *e =
			json_array_get(json_object_get(r->json, "errors"), 0);

		if (!e || strcmp(json_string_value(json_object_get(e, "code")),
				 "not_found") != 0)
			fail_cell("%s: %s %s: 422 but not not_found: %.300s",
				  who_names[w], rt->method, path, r->body);
	}
	if (r->status == 403 && want == 403 && w >= MUNI_A &&
	    strcmp(jstr(r, "code"), "out_of_scope") != 0 && roles_ok(rt, w))
		fail_cell("%s: %s %s: 403 %s, wanted out_of_scope",
			  who_names[w], rt->method, path, jstr(r, "code"));
	if (k != SERVICE && (m = leak(w, r->body)))
		fail_cell("%s: %s %s shows %s: %.300s", who_names[w],
			  rt->method, path, m, r->body);
	resp_free(r);
	/* lists as CSV too */
	if (k == LIST && want == 200) {
		char csv[300];

		snprintf(csv, sizeof(csv), "%s?format=csv", path);
		r = api_req(&a, "GET", csv, tokens[w], NULL, NULL);
		cells++;
		if (r->status != 200)
			fail_cell("%s: GET %s: %ld", who_names[w], csv,
				  r->status);
		if ((m = leak(w, r->body)))
			fail_cell("%s: GET %s shows %s: %.300s", who_names[w],
				  csv, m, r->body);
		resp_free(r);
	}
}

START_TEST(every_route_with_every_token)
{
	world();
	for (size_t i = 0; i < api_nroutes; i++)
		for (int w = 0; w < NWHO; w++)
			cell(&api_routes[i], (enum who)w);
	fprintf(stderr, "# scope matrix: %zu routes x %d tokens, %d cells\n",
		api_nroutes, NWHO, cells);
	/* all of them on stderr; Check carries messages up to 4 KiB */
	if (failures)
		fprintf(stderr, "%s", report);
	ck_assert_msg(failures == 0, "%d of %d cells deviate:\n%.3000s",
		      failures, cells, report);
	/* every route was asked, with every kind of token */
	ck_assert_int_ge(cells, (int)api_nroutes * NWHO);
}
END_TEST

/* --- the school's workflow ------------------------------------------------ */

/* One request by w; asserts its status; the answer. */
static struct resp *by(enum who w, const char *method, const char *path,
		       const char *body, long status)
{
	struct resp *r = api_req(&a, method, path, tokens[w], body, NULL);

	ck_assert_msg(r->status == status, "%s: %s %s %s: %ld, wanted %ld: %s",
		      who_names[w], method, path, body ? body : "", r->status,
		      status, r->body);
	return r;
}

static long long id_of(struct resp *r)
{
	long long id = jint(r, "id");

	resp_free(r);
	return id;
}

/* A school drafts, changes, submits and withdraws its plans and declares
 * costs against an approved one; the municipality approves, pays and
 * settles; the audit trail names each token and its scope. */
START_TEST(a_school_works_through_its_plans)
{
	char path[128], body[256];
	long long plan, other, cost;
	const json_t *row;
	struct resp *r;
	size_t i;

	world();
	snprintf(body, sizeof(body),
		 "{\"programme_id\":%lld,\"school_id\":%lld,"
		 "\"school_year\":\"2025-2026\",\"title\":\"Leesplan\","
		 "\"requested_cents\":500000}",
		 A.programme, A.school);
	r = by(SCHOOL_A, "POST", "/api/v1/plans", body, 201);
	ck_assert_str_eq(jstr(r, "status"), "draft");
	ck_assert_str_eq(jstr(r, "school_code"), "10HZ00");
	plan = id_of(r);
	/* not for another school */
	snprintf(body, sizeof(body),
		 "{\"programme_id\":%lld,\"school_id\":%lld,"
		 "\"school_year\":\"2025-2026\",\"title\":\"x\","
		 "\"requested_cents\":1}",
		 A.programme, school_a2);
	resp_free(by(SCHOOL_A, "POST", "/api/v1/plans", body, 422));
	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	resp_free(by(SCHOOL_A, "PATCH", path, "{\"requested_cents\":400000}",
		     200));
	snprintf(path, sizeof(path), "/api/v1/plans/%lld/status", plan);
	resp_free(
		by(SCHOOL_A, "POST", path, "{\"status\":\"submitted\"}", 200));
	/* submitted: no longer the school's to change, nor to approve */
	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	r = by(SCHOOL_A, "PATCH", path, "{\"title\":\"Leesplan 2\"}", 403);
	ck_assert_str_eq(jstr(r, "code"), "out_of_scope");
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/plans/%lld/status", plan);
	r = by(SCHOOL_A, "POST", path,
	       "{\"status\":\"approved\",\"approved_cents\":400000}", 403);
	ck_assert_str_eq(jstr(r, "code"), "out_of_scope");
	resp_free(r);
	/* the other municipality does not even see it */
	resp_free(by(MUNI_B, "POST", path,
		     "{\"status\":\"approved\",\"approved_cents\":400000}",
		     404));
	resp_free(by(MUNI_A, "POST", path,
		     "{\"status\":\"approved\",\"approved_cents\":300000}",
		     200));

	/* the school declares against it; they start submitted */
	snprintf(body, sizeof(body),
		 "{\"programme_id\":%lld,\"plan_id\":%lld,"
		 "\"amount_cents\":120000,\"spent_on\":\"2025-03-01\","
		 "\"description\":\"Leesboeken\"}",
		 A.programme, plan);
	r = by(SCHOOL_A, "POST", "/api/v1/expenditures", body, 201);
	ck_assert_str_eq(jstr(r, "status"), "submitted");
	cost = id_of(r);
	/* not against a plan of another school, nor without a plan */
	snprintf(body, sizeof(body),
		 "{\"programme_id\":%lld,\"plan_id\":%lld,"
		 "\"amount_cents\":1,\"spent_on\":\"2025-03-01\","
		 "\"description\":\"x\"}",
		 A.programme, plan_a2);
	resp_free(by(SCHOOL_A, "POST", "/api/v1/expenditures", body, 422));
	snprintf(body, sizeof(body),
		 "{\"programme_id\":%lld,\"amount_cents\":1,"
		 "\"spent_on\":\"2025-03-01\",\"description\":\"x\"}",
		 A.programme);
	r = by(SCHOOL_A, "POST", "/api/v1/expenditures", body, 403);
	ck_assert_str_eq(jstr(r, "code"), "out_of_scope");
	resp_free(r);
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld/status", cost);
	resp_free(by(SCHOOL_A, "POST", path, "{\"status\":\"approved\"}", 403));
	resp_free(by(MUNI_A, "POST", path, "{\"status\":\"approved\"}", 200));
	resp_free(by(MUNI_A, "POST", path, "{\"status\":\"paid\"}", 200));
	snprintf(path, sizeof(path), "/api/v1/plans/%lld/status", plan);
	resp_free(by(SCHOOL_A, "POST", path, "{\"status\":\"settled\"}", 403));
	resp_free(by(MUNI_A, "POST", path,
		     "{\"status\":\"settled\",\"settled_cents\":120000}", 200));
	snprintf(path, sizeof(path), "/api/v1/plans/%lld", plan);
	r = by(SCHOOL_A, "GET", path, NULL, 200);
	ck_assert_str_eq(jstr(r, "status"), "settled");
	ck_assert_int_eq(jint(r, "settled_cents"), 120000);
	resp_free(r);

	/* a second draft, withdrawn; deleting a draft of its own works */
	snprintf(body, sizeof(body),
		 "{\"programme_id\":%lld,\"school_id\":%lld,"
		 "\"school_year\":\"2026-2027\",\"title\":\"Later\","
		 "\"requested_cents\":1000}",
		 A.programme, A.school);
	other = id_of(by(SCHOOL_A, "POST", "/api/v1/plans", body, 201));
	snprintf(path, sizeof(path), "/api/v1/plans/%lld/status", other);
	resp_free(
		by(SCHOOL_A, "POST", path, "{\"status\":\"withdrawn\"}", 200));

	/* who did what, in which scope */
	snprintf(path, sizeof(path), "/api/v1/audit?entity=plan&entity_id=%lld",
		 plan);
	r = by(ADMIN, "GET", path, NULL, 200);
	json_array_foreach(json_object_get(r->json, "items"), i, row)
	{
		bool school =
			strcmp(json_string_value(json_object_get(row, "actor")),
			       "regenboog") == 0;

		ck_assert_str_eq(
			json_string_value(json_object_get(row, "scope")),
			school ? "school 10HZ00" : "municipality GM0406");
		ck_assert_str_eq(
			json_string_value(json_object_get(row, "actor")),
			school ? "regenboog" : "huizen");
	}
	/* create, change, submit, approve, settle */
	ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")),
			  5);
	resp_free(r);
}
END_TEST

/* --- what a token is, kept in memory, ends in time ------------------------- */

/* A new read token over HTTP; its secret in out. */
static void new_read_token(const char *name, char out[AUTH_TOKEN_LEN + 1])
{
	char body[96];
	struct resp *r;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"role\":\"read\"}",
		 name);
	r = api_req(&a, "POST", "/api/v1/tokens", a.admin, body, NULL);
	ck_assert_msg(r->status == 201, "%s", r->body);
	snprintf(out, AUTH_TOKEN_LEN + 1, "%s", jstr(r, "token"));
	resp_free(r);
}

static long status_with(const char *token)
{
	struct resp *r =
		api_req(&a, "GET", "/api/v1/budgets", token, NULL, NULL);
	long s = r->status;

	resp_free(r);
	return s;
}

/* A token changed by another process ends within a second: the keeper
 * looks four times a second. The sanitizer build runs several times
 * slower, on a machine running other tests: it gets three. */
#ifdef __SANITIZE_ADDRESS__
#define TOKEN_CHANGE_MS 3000
#else
#define TOKEN_CHANGE_MS 1000
#endif

/* Milliseconds until token is answered 401 by every worker, asking every
 * 20 ms: until twenty answers in a row are 401 (-1: not within 5 s). */
static long ms_until_refused(const char *token)
{
	int in_a_row = 0;

	for (long ms = 0; ms <= 5000;) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (status_with(token) != 401) {
			in_a_row = 0;
		} else if (++in_a_row == 20) {
			return ms;
		} else {
			continue;
		}
		nanosleep(&ts, NULL);
		ms += 20;
	}
	return -1;
}

/* Tokens over HTTP: shown once, never again; scoped as asked; refused as
 * the command line refuses them; revoked at once; expired is 401. */
START_TEST(tokens_over_http)
{
	char secret[AUTH_TOKEN_LEN + 1];
	struct resp *r;
	const json_t *t;
	size_t i;
	bool seen = false;
	long ms;

	world();
	resp_free(by(MUNI_A, "GET", "/api/v1/budgets", NULL, 200));
	r = by(ADMIN, "GET", "/api/v1/tokens", NULL, 200);
	ck_assert_ptr_null(strstr(r->body, "npo_"));
	ck_assert_ptr_null(strstr(r->body, "hash"));
	json_array_foreach(json_object_get(r->json, "items"), i, t)
	{
		if (strcmp(json_string_value(json_object_get(t, "name")),
			   "huizen"))
			continue;
		seen = true;
		ck_assert_str_eq(json_string_value(json_object_get(
					 t, "municipality_code")),
				 "GM0406");
		ck_assert(json_is_null(json_object_get(t, "school_code")));
		/* used just now, before any write of it */
		ck_assert(json_is_string(json_object_get(t, "last_used_at")));
	}
	ck_assert(seen);
	resp_free(r);
	resp_free(by(ADMIN, "POST", "/api/v1/tokens",
		     "{\"name\":\"x\",\"role\":\"read\",\"school_code\":"
		     "\"99XX00\"}",
		     422));
	resp_free(by(ADMIN, "POST", "/api/v1/tokens",
		     "{\"name\":\"x\",\"role\":\"admin\",\"municipality_code\":"
		     "\"GM0406\"}",
		     422));
	r = by(ADMIN, "POST", "/api/v1/tokens",
	       "{\"name\":\"huizen\",\"role\":\"read\"}", 409);
	ck_assert_str_eq(jstr(r, "code"), "name_taken");
	resp_free(r);
	/* revoked: 401 from then on */
	resp_free(by(ADMIN, "DELETE", "/api/v1/tokens/hilversum", NULL, 204));
	resp_free(by(ADMIN, "DELETE", "/api/v1/tokens/hilversum", NULL, 404));
	r = api_req(&a, "GET", "/api/v1/budgets", tokens[MUNI_B], NULL, NULL);
	ck_assert_int_eq(r->status, 401);
	resp_free(r);
	/* expired: 401 token_expired */
	make_token("tijdelijk", "read", "expires_at", "2999-01-01", secret);
	r = api_req(&a, "GET", "/api/v1/budgets", secret, NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	resp_free(r);
	api_sql(&a, "UPDATE tokens SET expires_at = '2020-01-01T00:00:00Z'"
		    " WHERE name = 'tijdelijk'");
	/* from the command line: within a second (what a token is, is kept
	 * in memory until the tokens' version moves) */
	ms = ms_until_refused(secret);
	ck_assert_msg(ms >= 0 && ms < TOKEN_CHANGE_MS,
		      "still let in after %ld ms", ms);
	r = api_req(&a, "GET", "/api/v1/budgets", secret, NULL, NULL);
	ck_assert_int_eq(r->status, 401);
	ck_assert_str_eq(jstr(r, "code"), "token_expired");
	resp_free(r);
}
END_TEST

/* --- a school's declarations racing the municipality's approvals ---------- */

struct racer {
	enum who w;
	const char *method;
	char path[96], body[256];
	long status;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct resp *x = api_req(&a, r->method, r->path, tokens[r->w],
				 r->body[0] ? r->body : NULL, NULL);

	r->status = x->status;
	resp_free(x);
	return NULL;
}

/* Under stop, a plan of 100,000 cents: 10 declarations of 15,000 submitted
 * by the school are approved by the municipality all at once, while the
 * school declares 10 more: at most 6 can be approved, and what is spent on
 * the plan never exceeds its approval. */
START_TEST(declarations_racing_approvals_never_overspend)
{
	enum { N = 10 };
	struct racer rs[2 * N];
	pthread_t th[2 * N];
	long long costs[N], plan, budget, goal, programme, school;
	int approved = 0, overrun = 0, declared = 0;
	struct resp *r;
	char path[96];

	budget = fx_budget(&a, (struct fx_budget){ .gm = "GM0406",
						   .grant = 10000000,
						   .policy = "stop" });
	goal = fx_goal(&a, (struct fx_goal){ .budget = budget,
					     .allocated = 1000000 });
	programme = fx_programme(
		&a, (struct fx_programme){ .goal = goal, .budget = 1000000 });
	school = fx_school(&a, (struct fx_school){ .code = "10HZ00",
						   .gm = "GM0406" });
	memcpy(tokens[ADMIN], a.admin, sizeof(a.admin));
	make_token("huizen", "write", "municipality_code", "GM0406",
		   tokens[MUNI_A]);
	make_token("regenboog", "write", "school_code", "10HZ00",
		   tokens[SCHOOL_A]);
	plan = approved_plan(programme, school, "Plan");
	for (int i = 0; i < N; i++) {
		struct racer *x = &rs[i];

		snprintf(x->body, sizeof(x->body),
			 "{\"programme_id\":%lld,\"plan_id\":%lld,"
			 "\"amount_cents\":15000,\"spent_on\":\"2024-05-01\","
			 "\"description\":\"d%d\"}",
			 programme, plan, i);
		r = by(SCHOOL_A, "POST", "/api/v1/expenditures", x->body, 201);
		costs[i] = id_of(r);
	}
	for (int i = 0; i < N; i++) {
		rs[i] = (struct racer){ .w = MUNI_A, .method = "POST" };
		snprintf(rs[i].path, sizeof(rs[i].path),
			 "/api/v1/expenditures/%lld/status", costs[i]);
		snprintf(rs[i].body, sizeof(rs[i].body),
			 "{\"status\":\"approved\"}");
		rs[N + i] = (struct racer){ .w = SCHOOL_A, .method = "POST" };
		snprintf(rs[N + i].path, sizeof(rs[N + i].path),
			 "/api/v1/expenditures");
		snprintf(rs[N + i].body, sizeof(rs[N + i].body),
			 "{\"programme_id\":%lld,\"plan_id\":%lld,"
			 "\"amount_cents\":15000,\"spent_on\":\"2024-05-02\","
			 "\"description\":\"e%d\"}",
			 programme, plan, i);
	}
	for (int i = 0; i < 2 * N; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, race, &rs[i]), 0);
	for (int i = 0; i < 2 * N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		approved += rs[i].status == 200;
		overrun += rs[i].status == 409;
		declared += rs[N + i].status == 201;
	}
	ck_assert_int_eq(approved, 6); /* 6 x 15,000 <= 100,000 < 7 x */
	ck_assert_int_eq(overrun, N - 6);
	ck_assert_int_eq(declared, N);
	snprintf(path, sizeof(path), "/api/v1/budgets/%lld/status", budget);
	r = by(MUNI_A, "GET", path, NULL, 200);
	ck_assert_int_eq(
		json_integer_value(json_object_get(
			json_object_get(r->json, "totals"), "spent_cents")),
		90000);
	resp_free(r);
}
END_TEST

START_TEST(a_revoked_token_ends_within_a_second)
{
	char t[AUTH_TOKEN_LEN + 1];
	struct resp *r;
	long ms;

	/* over HTTP: at once */
	new_read_token("kort", t);
	ck_assert_int_eq(status_with(t), 200);
	ck_assert_int_eq(status_with(t), 200); /* now kept in memory */
	r = api_req(&a, "DELETE", "/api/v1/tokens/kort", a.admin, NULL, NULL);
	ck_assert_int_eq(r->status, 204);
	resp_free(r);
	ck_assert_int_eq(status_with(t), 401);
	/* by another process (what npo-budgetd token revoke does from the
	 * command line): within a second */
	new_read_token("elders", t);
	ck_assert_int_eq(status_with(t), 200);
	ck_assert_int_eq(status_with(t), 200);
	api_sql(&a, "DELETE FROM tokens WHERE name = 'elders'");
	ms = ms_until_refused(t);
	ck_assert_msg(ms >= 0 && ms < TOKEN_CHANGE_MS,
		      "still let in after %ld ms", ms);
	/* an expiry set elsewhere, likewise */
	new_read_token("verloopt", t);
	ck_assert_int_eq(status_with(t), 200);
	ck_assert_int_eq(status_with(t), 200);
	api_sql(&a, "UPDATE tokens SET expires_at = '2020-01-01T00:00:00Z'"
		    " WHERE name = 'verloopt'");
	ms = ms_until_refused(t);
	ck_assert_msg(ms >= 0 && ms < TOKEN_CHANGE_MS,
		      "still let in after %ld ms", ms);
	r = api_req(&a, "GET", "/api/v1/budgets", t, NULL, NULL);
	ck_assert_str_eq(jstr(r, "code"), "token_expired");
	resp_free(r);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_route_with_every_token);
	tcase_add_test(tc, a_school_works_through_its_plans);
	tcase_add_test(tc, tokens_over_http);
	tcase_add_test(tc, declarations_racing_approvals_never_overspend);
	tcase_add_test(tc, a_revoked_token_ends_within_a_second);
}

CHECK_MAIN("scopes")
